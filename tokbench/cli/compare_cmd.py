"""`tokbench compare A B`: per-metric changes of B (candidate) against A (reference), terminal and markdown.

With repeats on both sides each change gets a 95% interval and a verdict only where the interval
excludes no change (tokbench/report/compare.py); with single runs, plain deltas and no verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from tokbench.atomic import atomic_write_text
from tokbench.cli.app import app
from tokbench.errors import UserError
from tokbench.report.compare import delta_table, deltas, metrics_to_compare, verdict_line
from tokbench.report.evidence import Measured
from tokbench.report.markdown import markdown_table
from tokbench.report.terminal import console_for_tables, print_table
from tokbench.results import Results, RunResult, load_results
from tokbench.results.judging import judgement_notes
from tokbench.results.preflight import check_writable_file

MARKDOWN_BYTES = 64 << 10  # a few tables of text

ROW_STYLE = {"better": "green", "worse": "red"}


def _split_selector(text: str) -> tuple[str, str | None]:
    """'DIR' or 'DIR:RUN' (a path that exists as written wins over the RUN reading)."""
    path, sep, run = text.rpartition(":")
    if not sep or Path(text).exists() or not path:
        return text, None
    return path, run


def _pairs(a: Results, a_run: str | None, b: Results, b_run: str | None,
           only: list[str] | None) -> list[tuple[RunResult, RunResult]]:
    if a_run or b_run:  # one named run: the other side has the same name, or just one run
        run_a = a.run(a_run) if a_run else None  # a misspelt name is the error to report first
        run_b = b.run(b_run) if b_run else None
        return [(run_a or a.run(_same_or_only(a, b_run)), run_b or b.run(_same_or_only(b, a_run)))]
    common = [n for n in a.run_names if n in b.run_names and (not only or n in only)]
    if only:
        missing = [n for n in only if n not in common]
        if missing:
            raise UserError(f"--run {', '.join(missing)}: not in both results ({a.path} has "
                            f"{', '.join(a.run_names)}; {b.path} has {', '.join(b.run_names)})")
    if common:
        return [(a.run(n), b.run(n)) for n in common]
    if len(a.run_names) == 1 and len(b.run_names) == 1:
        return [(a.run(a.run_names[0]), b.run(b.run_names[0]))]
    raise UserError(f"no run name is in both results ({a.path}: {', '.join(a.run_names)}; {b.path}: "
                    f"{', '.join(b.run_names)}); pick runs as DIR:RUN")


def _same_or_only(res: Results, name: str) -> str:
    if name in res.run_names:
        return name
    if len(res.run_names) != 1:
        raise UserError(f"{res.path} has runs {', '.join(res.run_names)}: pick one as DIR:RUN")
    return res.run_names[0]


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Reference results: DIR (or its results.json), or DIR:RUN for one run.")],
    b: Annotated[str, typer.Argument(help="Candidate results, the same way; deltas are B against A.")],
    run: Annotated[Optional[list[str]], typer.Option("--run", "-r", help="Compare only this run name (repeatable).")] = None,
    metric: Annotated[Optional[list[str]], typer.Option("--metric", "-m", help="Show only this summary metric (repeatable).")] = None,
    all_metrics: Annotated[bool, typer.Option("--all", help="Every summary metric, not just the key ones.")] = False,
    tolerance: Annotated[float, typer.Option(help="A significant relative change below this counts as the same.")] = 0.01,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Also write the tables as markdown to this file ('-' for stdout).")] = None,
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Compare results of different benchmarks (workload, model, knobs or device differ); every output says so.")] = False,
) -> None:
    """Per-metric table: value in A and B, change, relative change, and (with repeats) better or worse."""
    if not 0 <= tolerance < 1:
        raise UserError(f"--tolerance {tolerance}: must be at least 0 and below 1")
    if markdown is not None and str(markdown) != "-":
        check_writable_file(markdown, "--markdown", need_bytes=MARKDOWN_BYTES)
    from tokbench.sweep.store import is_sweep_dir

    if is_sweep_dir(a) or is_sweep_dir(b):  # two sweeps: point by point (docs/sweeps.md)
        from tokbench.cli.sweep_report import sweep_compare

        return sweep_compare(a, b, tolerance, markdown, allow_mismatch)
    (a_path, a_run), (b_path, b_run) = _split_selector(a), _split_selector(b)
    ra, rb = load_results(a_path), load_results(b_path)
    notes = judgement_notes([(a_path, ra), (b_path, rb)], allow_mismatch=allow_mismatch)
    console = console_for_tables()
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    sections = [f"> **Note:** {note}\n" for note in notes]
    for run_a, run_b in _pairs(ra, a_run, rb, b_run, run):
        names = metrics_to_compare(run_a.summary, run_b.summary, metric, all_metrics)
        unknown = [m for m in names if m not in run_a.summary or m not in run_b.summary]
        if unknown:
            raise UserError(f"--metric {', '.join(unknown)}: not a summary metric of both runs "
                            f"(known: {', '.join(sorted(run_a.summary))})")
        a_side = Measured.of(run_a.name, run_a.info, ra.path.resolve())
        b_side = Measured.of(run_b.name, run_b.info, rb.path.resolve())
        rows = deltas(a_side, b_side, names, tolerance)
        table = delta_table(rows, f"A: {run_a.name}", f"B: {run_b.name}")
        title = (f"{run_a.name}: {ra.path.parent.name} → {rb.path.parent.name}" if run_a.name == run_b.name
                 else f"{ra.path.parent.name}:{run_a.name} → {rb.path.parent.name}:{run_b.name}")
        print_table(table, title, console, styles=[ROW_STYLE.get(d.verdict) for d in rows])
        verdict = verdict_line(rows)
        console.print(verdict)
        sections.append(f"### {title}\n\n{markdown_table(table)}\n\n{verdict}.\n")
    if markdown is not None:
        emit_markdown(f"## tokbench compare\n\nA = `{ra.path}`, B = `{rb.path}`\n\n" + "\n".join(sections), markdown)


def emit_markdown(text: str, markdown: Path) -> None:
    """`--markdown FILE` (written atomically) or `--markdown -` (stdout)."""
    if str(markdown) == "-":
        typer.echo(text)
    else:
        atomic_write_text(markdown, text)
        Console(stderr=True).print(f"markdown: {markdown}")
