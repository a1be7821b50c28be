"""`tokbench run` arguments (a list of strings) to a RunConfig, without running: for stored flag lists."""

from __future__ import annotations

import typer

from tokbench.errors import UserError


def config_from_args(args: list[str], where: str):
    """The RunConfig `tokbench run ARGS` would build; UserError naming `where` for a bad flag."""
    import tokbench.cli.run_cmd  # noqa: F401  (registers `run`)
    from tokbench.cli.app import app
    from tokbench.cli.run_flags import config_from_flags
    from tokbench.cli.run_main import given_flags

    command = typer.main.get_command(app).commands["run"]
    try:
        ctx = command.make_context("run", list(args))
    except Exception as exc:  # click's usage errors (typer vendors click: match by attribute)
        if hasattr(exc, "format_message"):
            raise UserError(f"{where}: {exc.format_message()}") from None
        raise
    given = given_flags(ctx)
    config_file = ctx.params.get("config")
    try:
        return config_from_flags(given, str(config_file) if config_file else None)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
