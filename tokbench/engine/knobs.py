"""A strategy's own knobs: declared with a type, a default and a range; set by name; validated once.

    class Mine(Strategy):
        knob_specs = (Knob("lookahead", int, 4, "Steps to look ahead.", minimum=1),)
        ...  self.knob("lookahead")

`tokbench run --knob lookahead=8` (or `[scheduler.knobs] lookahead = 8` in a run config) sets it
for every strategy of the run that declares a knob of that name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from tokbench.errors import UserError

KNOB_TYPES = (int, float, str, bool)


@dataclass(frozen=True)
class Knob:
    name: str
    type: type  # int, float, str or bool
    default: Any  # None: "not set" (the strategy decides what that means, and says so in help)
    help: str
    minimum: float | None = None
    below: float | None = None  # exclusive upper bound
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """The value if it is of this knob's type and in range, else UserError naming the knob."""
        if value is None and self.default is None:
            return None
        where = f"--knob {self.name}={value!r} (scheduler.knobs.{self.name})"
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.type is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = f"{value:g}" if isinstance(value, float) else str(value)  # --knob NAME=1 read as a number
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise UserError(f"{where}: must be {_article(self.type.__name__)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{where}: must be a finite number")
        if self.minimum is not None and value < self.minimum:
            raise UserError(f"{where}: must be at least {self.minimum:g}")
        if self.below is not None and value >= self.below:
            raise UserError(f"{where}: must be below {self.below:g}")
        if self.choices and value not in self.choices:
            raise UserError(f"{where}: choose one of {', '.join(self.choices)}")
        return value


def resolve_knobs(specs: tuple[Knob, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared knob's value: the one given (checked), else its default."""
    return {k.name: k.check(given[k.name]) if k.name in given else k.default for k in specs}


def check_knobs_used(given: Mapping[str, Any], strategies: list, known: list | None = None) -> None:
    """Every knob set must be declared by at least one strategy of the run; its value must suit each.

    `known`: every strategy tokbench knows, to say which one a misplaced knob belongs to."""
    declared: dict[str, list] = {}
    for cls in strategies:
        for k in cls.knob_specs:
            declared.setdefault(k.name, []).append(k)
    for name, value in given.items():
        if name not in declared:
            owners = sorted({c.name for c in known or [] for k in c.knob_specs if k.name == name})
            names = ", ".join(c.name for c in strategies) or "none"
            hint = f"it belongs to {', '.join(owners)}" if owners else "no strategy tokbench knows declares it"
            raise UserError(f"--knob {name}= (scheduler.knobs.{name}): no strategy of this run reads it ({hint}; "
                            f"this run: {names})")
        for knob in declared[name]:
            knob.check(value)


def parse_knob_value(text: str) -> Any:
    """`--knob NAME=VALUE`'s VALUE as TOML would read it: an int, a float, a boolean, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        return value if not (isinstance(value, float) and not math.isfinite(value)) else text
    return text


def _article(type_name: str) -> str:
    return {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}[type_name]
