"""A RunConfig as `tokbench run` flags: only what differs from the defaults, in flags old releases know.

The gate's A/B mode runs the same benchmark under another tokbench (a git ref, an installed
release) through its command line, the one interface every version has.
"""

from __future__ import annotations

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_errors import flag_of

# Knobs of the built-in strategies that have had flags of their own since the first release.
_KNOB_FLAGS = ("chunk_size", "watermark", "order", "bin_tokens")
_BOOL_FLAGS = {"warmup": ("--warmup", "--no-warmup"), "model.cuda_graphs": ("--cuda-graphs", "--no-cuda-graphs"),
               "verify": ("--verify", None), "save_outputs": ("--save-outputs", None),
               "workload.skip_bad_rows": ("--skip-bad-rows", None), "workload.sort_by_time": ("--sort-by-time", None),
               "workload.offline": ("--offline", None)}


def _flat(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and key not in ("columns",):
            out.update(_flat(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def config_to_flags(config: RunConfig, *, with_out: bool = False) -> list[str]:
    """Flags that make `tokbench run` build `config` (the output directory only if asked)."""
    default, given = _flat(RunConfig().to_dict()), _flat(config.to_dict())
    flags: list[str] = []
    slo = []
    for key, value in given.items():
        if default.get(key) == value or (key == "out" and not with_out):
            continue
        if key in ("strategies", "backends"):
            flags += [part for name in value for part in (flag_of(key), name)]
        elif key.startswith("slo."):
            slo.append(f"{key[4:]}={value:g}")
        elif key in _BOOL_FLAGS:
            on, off = _BOOL_FLAGS[key]
            flags.append(on if value else off)
        elif key == "workload.columns":
            flags += [part for name, column in value.items() for part in ("--column", f"{name}={column}")]
        elif key.startswith("scheduler.knobs."):
            name = key.rsplit(".", 1)[1]
            flags += [f"--{name.replace('_', '-')}", _value(value)] if name in _KNOB_FLAGS else \
                ["--knob", f"{name}={_value(value)}"]
        else:
            flags += [flag_of(key), _value(value)]
    if slo:
        flags += ["--slo", ",".join(slo)]
    return flags
