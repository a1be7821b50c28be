"""The `tokbench` command: one typer app; each sub-command lives in its own module."""

from __future__ import annotations

import sys

import typer

from tokbench.errors import UserError
from tokbench.interrupts import Interrupted, signals_raise
from tokbench.process_exit import run_then_exit

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

    for optional in ("workloads_cmd", "profile_cmd", "report_cmd", "compare_cmd", "gate_cmd", "export_cmd",
                     "simulate_cmd", "calibrate_cmd", "sweep_cmd"):
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
        print(f"tokbench: interrupted ({exc}){exc.kept}", file=sys.stderr)
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
    """The installed `tokbench` command: main(), then exit with its code without tearing the
    interpreter down, so no native thread can turn that code into an abort (tokbench/process_exit.py)."""
    run_then_exit(main)
