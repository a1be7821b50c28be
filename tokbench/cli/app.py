"""The `tokbench` command: one typer app; each sub-command lives in its own module."""

from __future__ import annotations

import atexit
import os
import sys

import typer

from tokbench.errors import UserError
from tokbench.interrupts import Interrupted, signals_raise

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Measure which LLM-inference scheduling strategy serves a model and traffic best.",
)


@app.callback()
def _root() -> None:
    """Measure which LLM-inference scheduling strategy serves a model and traffic best."""


def _register_commands() -> None:
    # Each module adds its command(s) to `app` when imported.
    from tokbench.cli import run_cmd  # noqa: F401

    for optional in ("workloads_cmd", "profile_cmd", "report_cmd", "compare_cmd", "gate_cmd", "export_cmd"):
        try:
            __import__(f"tokbench.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tokbench.cli.{optional}":
                raise


def main() -> None:
    """User mistakes become one line on stderr and exit code 2, never a traceback; SIGINT and SIGTERM
    one line and exit 130 / 143 (a command that kept work says what and where)."""
    _register_commands()
    try:
        with signals_raise():
            rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except UserError as exc:
        for line in str(exc).splitlines() or [""]:  # a config with several bad fields: one line each
            print(f"tokbench: error: {line}", file=sys.stderr)
        sys.exit(2)
    except Interrupted as exc:
        print(f"tokbench: interrupted ({exc}){getattr(exc, 'kept', '')}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("tokbench: aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        # Usage errors (click's, vendored inside typer) arrive here in non-standalone mode.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise


def entry() -> None:
    """The installed `tokbench` command: main(), then exit without tearing the interpreter down.

    A native thread still finishing work when Python finalizes can abort the process (exit 134)
    after the right message and code were decided: pyarrow's streaming CSV reader, released on
    one of Arrow's I/O threads after a malformed trace was refused, takes the GIL to drop its
    Python row handler; Python 3.11 ends a thread that asks for the GIL during finalization with
    pthread_exit, whose forced unwind through Arrow's noexcept code calls std::terminate. So the
    exit code is decided by main(), and the process ends with it: streams flushed, atexit
    handlers run, no finalization for a thread to trip over.
    """
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    try:
        getattr(atexit, "_run_exitfuncs", lambda: None)()  # what a normal exit would run first
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
