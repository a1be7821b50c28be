"""End a command's process with the exit code it decided, every time.

A native thread still finishing work when Python finalizes can abort the process (exit 134) after
the right message and code were decided: pyarrow's streaming CSV reader, released on one of
Arrow's I/O threads after a malformed trace was refused, takes the GIL to drop its Python row
handler; Python 3.11 ends a thread that asks for the GIL during finalization with pthread_exit,
whose forced unwind through Arrow's noexcept code calls std::terminate. `exit_now` runs what a
normal exit runs first (atexit handlers, flushed streams), then ends the process without the
finalization a thread could trip over. For a process's entry point, never for library code.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Callable, NoReturn


def exit_now(code: int) -> NoReturn:
    try:
        getattr(atexit, "_run_exitfuncs", lambda: None)()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def run_then_exit(main: Callable[[], object]) -> NoReturn:
    """Call `main` (it may sys.exit), then exit_now with its code: an int return or SystemExit's."""
    try:
        result = main()
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    exit_now(code)
