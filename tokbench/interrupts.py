"""SIGINT and SIGTERM as one exception the CLI can answer, and short stretches they must not cut.

typer turns KeyboardInterrupt into a silent exit 130 before the CLI sees it, and SIGTERM kills
without a word; both would leave a run no chance to say what it kept. Inside `signals_raise()`
either signal raises `Interrupted` instead (a BaseException, so `except Exception` does not eat
it). Inside `uninterrupted()` (the renames that swap a results directory in) the signal is held
and raised when the stretch ends, so a directory is never left half swapped.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal number, as shells report it


class Interrupted(BaseException):
    def __init__(self, signum: int):
        self.signum = signum
        self.exit_code = EXIT_CODES.get(signum, 128 + signum)
        self.kept = ""  # what the interrupted command kept, and where: said after the signal's name
        super().__init__(signal.Signals(signum).name)


_held = 0
_pending: int | None = None


def _raise(signum, _frame) -> None:
    global _pending
    if _held:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted while the block runs (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in EXIT_CODES}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, then raise the one that came (if any)."""
    global _held, _pending
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)
