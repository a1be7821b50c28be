"""How a bad RunConfig field is named: by its command-line flag and its config key, one line each."""

from __future__ import annotations

from tokbench.errors import UserError

# Config keys whose flag is not simply --the-last-part-with-dashes.
_FLAGS = {
    "model.spec": "--model",
    "workload.spec": "--workload",
    "workload.columns": "--column",
    "strategies": "--strategy",
    "backends": "--backend",
    "slo.ttft_ms": "--slo ttft_ms=",
    "slo.tpot_ms": "--slo tpot_ms=",
    "slo.e2el_ms": "--slo e2el_ms=",
}


def flag_of(key: str) -> str:
    """The `tokbench run` flag that sets config key `key` (scheduler.knobs.X: --knob X=...)."""
    if key in _FLAGS:
        return _FLAGS[key]
    if key.startswith("scheduler.knobs."):
        return f"--knob {key.rsplit('.', 1)[1]}="
    return "--" + key.rsplit(".", 1)[-1].replace("_", "-")


def key_of_flag(flag: str, section: str) -> str:
    """The config key of a `--flag` within `section` (the inverse of flag_of for plain flags)."""
    for key, known in _FLAGS.items():
        if known == flag:
            return key
    return f"{section}.{flag.lstrip('-').replace('-', '_')}"


class ConfigError(UserError):
    """One or more bad fields of a run configuration; str() is one line per field."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
