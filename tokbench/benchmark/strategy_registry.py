"""Find a strategy by name: the built-ins in `strategies/`, entry points, or a user's `file.py:Class`."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from importlib.metadata import entry_points
from pathlib import Path

from tokbench.engine.policy import Strategy
from tokbench.errors import UserError

_REGISTRY: dict[str, type[Strategy]] = {}
_VARIANTS: set[str] = set()  # intermediate steps of an ablation: run by name, not with 'all'


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy selectable by its `name`."""
    _REGISTRY[cls.name] = cls
    return cls


def register_variant(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator for a built-in's variant that isolates one of its ideas (tokbench run --ablation):
    selectable by its `name`, left out of 'all'."""
    _VARIANTS.add(cls.name)
    return register(cls)


def _load_builtin() -> None:
    import tokbench.strategies as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"tokbench.strategies.{mod.name}")
    for ep in entry_points(group="tokbench.strategies"):
        register(ep.load())


def builtin_names() -> list[str]:
    """What 'all' runs: every registered strategy but the ablation variants."""
    _load_builtin()
    return [name for name in _REGISTRY if name not in _VARIANTS]


def _load_from_file(spec: str) -> type[Strategy]:
    path_text, _, cls_name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"--strategy {spec!r}: file {path} not found")
    module_spec = importlib.util.spec_from_file_location(f"tokbench_user_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        raise UserError(f"--strategy {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise UserError(f"--strategy {spec!r}: {path} has no Strategy subclass named {cls_name!r}")
    return cls


def resolve(spec: str) -> type[Strategy]:
    """A strategy by registered name, or `path/to/file.py:ClassName`."""
    if ":" in spec and spec.rpartition(":")[0].endswith(".py"):
        return _load_from_file(spec)
    _load_builtin()
    if spec not in _REGISTRY:
        raise UserError(f"--strategy {spec!r}: unknown (choose from {', '.join(sorted(_REGISTRY))}, "
                        "'all', or path/to/file.py:ClassName)")
    return _REGISTRY[spec]
