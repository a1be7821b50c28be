"""`tokbench report RESULTS...`: one comparison report (markdown + self-contained HTML) for any runs."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tokbench.cli.app import app
from tokbench.errors import UserError
from tokbench.results.preflight import check_writable_dir

FORMATS = ("md", "html")
REPORT_BYTES = 4 << 20  # charts (PNG) and two documents


@app.command("report")
def report(
    results: Annotated[list[Path], typer.Argument(help="Results directories (or their results.json), one or more.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="Where the report files go.")] = Path("reports"),
    name: Annotated[str, typer.Option("--name", "-n", help="Base file name: NAME.md, NAME.html, NAME_charts/.")] = "report",
    title: Annotated[str, typer.Option(help="Heading of the report.")] = "tokbench report",
    format: Annotated[list[str], typer.Option("--format", "-f", help="md and/or html (repeatable).")] = list(FORMATS),  # noqa: B006
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Report results of different benchmarks (workload, model, knobs or device differ) side by side; the report says so.")] = False,
) -> None:
    """Compare every run in RESULTS: charts, percentile tables and a short verdict (or report one sweep directory)."""
    unknown = sorted(set(format) - set(FORMATS))
    if unknown:
        raise UserError(f"--format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    if not re.fullmatch(r"[\w.-]+", name):
        raise UserError(f"--name {name!r}: use letters, digits, '.', '_' or '-' (it becomes a file name)")
    check_writable_dir(out_dir, "--out-dir", need_bytes=REPORT_BYTES)
    from tokbench.sweep.store import is_sweep_dir

    if any(is_sweep_dir(p) for p in results):  # a sweep directory: its own report (docs/sweeps.md)
        from tokbench.cli.sweep_report import sweep_report

        return sweep_report(results, out_dir, name, title, format)
    # Imported here: charts need matplotlib (and the metrics torch), which other commands never load.
    from tokbench.report.content import build_content
    from tokbench.report.html import write_html
    from tokbench.report.markdown import write_markdown
    from tokbench.results.judging import judgement_notes
    from tokbench.results.loader import load_results

    loaded = [load_results(p) for p in results]  # all checked before anything is written
    notes = judgement_notes([(str(p), r) for p, r in zip(results, loaded)], allow_mismatch=allow_mismatch)
    content = build_content(loaded, title)
    content = replace(content, findings=[f"**Note:** {n}" for n in notes] + list(content.findings))
    written = []
    if "md" in format:
        written.append(write_markdown(content, out_dir / f"{name}.md"))
    if "html" in format:
        written.append(write_html(content, out_dir / f"{name}.html"))
    console = Console(stderr=True)
    for line in content.findings:
        console.print(f"• {line}", soft_wrap=True)
    for path in written:
        console.print(f"report: {path}")
