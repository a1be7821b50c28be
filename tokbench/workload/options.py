"""How to turn a preset or trace into a workload: every knob `load_workload` and the CLI accept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tokbench.errors import UserError

OVER_LENGTH_POLICIES = ("clip", "drop", "refuse")  # refuse: a request over max_model_len is an error
TIME_UNIT_NAMES = ("s", "ms", "us", "ns", "datetime")


@dataclass(frozen=True)
class WorkloadOptions:
    format: str | None = None  # trace format; None = detect from the file
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> column in the file
    time_unit: str | None = None  # generic traces: s, ms, us, ns or datetime
    delimiter: str | None = None  # CSV delimiter; None = ',' (or tab for .tsv)
    time_scale: float = 1.0  # multiply inter-arrival times (2.0 = half the load)
    rate_scale: float = 1.0  # multiply the arrival rate (2.0 = twice the load)
    window: tuple[float, float] | None = None  # keep arrivals in [start, end) s after the first
    limit: int | None = None  # keep the first N requests (after window)
    sample: int | None = None  # keep N requests drawn at random (seeded), in arrival order
    num_requests: int | None = None  # synthetic presets: override the preset's request count
    length_scale: float = 1.0  # multiply prompt and output lengths
    over_length: str = "clip"  # requests over max_model_len: clip (proportionally), drop, or refuse
    skip_bad_rows: bool = False  # drop malformed rows (counted by reason) instead of failing
    sort_by_time: bool = False  # sort an out-of-order trace instead of rejecting it
    offline: bool = False  # every request arrives at t=0
    tokenizer: str | None = None  # local tokenizer (file or dir) for ShareGPT text lengths
    progress: bool = False  # show a progress bar while reading large files (TTY only)

    def __post_init__(self) -> None:
        if self.over_length not in OVER_LENGTH_POLICIES:
            raise UserError(f"--over-length must be one of {', '.join(OVER_LENGTH_POLICIES)}, got {self.over_length!r}")
        for name in ("time_scale", "rate_scale", "length_scale"):
            value = getattr(self, name)
            if not value > 0:
                raise UserError(f"--{name.replace('_', '-')} must be > 0, got {value}")
        for name in ("limit", "sample", "num_requests"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UserError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        if self.time_unit is not None and self.time_unit not in TIME_UNIT_NAMES:
            raise UserError(f"--time-unit must be one of {', '.join(TIME_UNIT_NAMES)}, got {self.time_unit!r}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise UserError(f"--delimiter must be one character (e.g. ';' or a tab), got {self.delimiter!r}")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise UserError(f"--window start must be below end, got {self.window[0]}:{self.window[1]}")

    @property
    def arrival_stretch(self) -> float:
        """Factor applied to every arrival time: time_scale stretches, rate_scale compresses."""
        return self.time_scale / self.rate_scale

    def as_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if v not in (None, {}, False) and k != "progress"}
        if self.window is not None:  # an open end is null: JSON has no infinity
            out["window"] = [self.window[0], None if self.window[1] == float("inf") else self.window[1]]
        return out


def option_flags(options: dict) -> list[str]:
    """The CLI flags that reproduce `WorkloadOptions.as_dict()` output (defaults left out), so a
    profile can print the `tokbench run` command for the same workload."""
    defaults = asdict(WorkloadOptions())
    flags: list[str] = []
    for key, value in options.items():
        if key not in defaults or value == defaults[key]:
            continue
        flag = "--" + key.replace("_", "-")
        if key == "columns":
            flags += [f"--column={name}={column}" for name, column in value.items()]
        elif isinstance(value, bool):
            flags.append(flag)
        elif key == "delimiter" and value == "\t":
            flags.append(f"{flag}=\\t")
        elif key == "window":
            end = "" if value[1] is None else f"{value[1]:g}"
            flags.append(f"{flag}={value[0]:g}:{end}")
        else:
            flags.append(f"{flag}={value:g}" if isinstance(value, float) else f"{flag}={value}")
    return flags


def parse_delimiter(text: str | None) -> str | None:
    """Shells make a tab hard to type: accept '\\t' and 'tab' for it."""
    return {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(text, text) if text else None


def parse_window(text: str | None) -> tuple[float, float] | None:
    """'60:120' -> (60.0, 120.0); ':300' starts at 0; '600:' runs to the end."""
    if not text:
        return None
    start, sep, end = text.partition(":")
    if not sep:
        raise UserError(f"--window must look like START:END in seconds (e.g. 60:120), got {text!r}")
    try:
        return (float(start) if start else 0.0, float(end) if end else float("inf"))
    except ValueError:
        raise UserError(f"--window must look like START:END in seconds (e.g. 60:120), got {text!r}") from None


def parse_columns(pairs: list[str] | None) -> dict[str, str]:
    """['prompt=ContextTokens', 'output=GeneratedTokens'] -> {'prompt': 'ContextTokens', ...}."""
    from tokbench.workload.traces.columns import CANONICAL_COLUMNS

    mapping: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, column = pair.partition("=")
        if not sep or not column or key not in CANONICAL_COLUMNS:
            raise UserError(
                f"--column must look like NAME=COLUMN with NAME one of {', '.join(CANONICAL_COLUMNS)}, got {pair!r}"
            )
        mapping[key] = column
    return mapping
