"""`tokbench report SWEEP_DIR` and `tokbench compare SWEEP_A SWEEP_B`: the sweep forms of both commands."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tokbench.errors import UserError
from tokbench.sweep.store import is_sweep_dir


def sweep_report(paths: list[Path], out_dir: Path, name: str, title: str, formats: list[str]) -> None:
    if len(paths) != 1:
        raise UserError(f"{next(p for p in paths if is_sweep_dir(p))}: a sweep directory is reported on its own "
                        "(give one sweep directory, or only results directories)")
    from tokbench.report.sweep_render import write_sweep_report

    title = "tokbench sweep report" if title == "tokbench report" else title
    written, findings = write_sweep_report(paths[0], out_dir, name, title, formats)
    console = Console(stderr=True, soft_wrap=True)
    for line in findings:
        console.print(f"• {line}")
    for path in written:
        console.print(f"report: {path}")


def sweep_compare(a: str, b: str, tolerance: float, markdown: Path | None, allow_mismatch: bool) -> None:
    from tokbench.cli.compare_cmd import emit_markdown
    from tokbench.report.markdown import markdown_table
    from tokbench.report.sweep_compare import capacity_table, compare_sweeps, comparison_table, row_styles
    from tokbench.report.sweep_data import load_sweep
    from tokbench.report.terminal import console_for_tables, print_table

    for path in (a, b):
        if not is_sweep_dir(path):
            raise UserError(f"{path}: not a sweep directory; compare two sweep directories, or two results "
                            "directories")
    cmp = compare_sweeps(load_sweep(a), load_sweep(b), tolerance, allow_mismatch=allow_mismatch)
    if not cmp.pairs and not cmp.capacity:
        raise UserError(f"{a} and {b} share no point (no swept settings and run in both)")
    console = console_for_tables()
    for note in cmp.notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    table = comparison_table(cmp)
    print_table(table, f"sweep points: {a} (A) → {b} (B)", console, styles=row_styles(cmp))
    better, worse, total = cmp.counts()
    points = f"{len(cmp.pairs)} points in both, {cmp.only_a} only in A, {cmp.only_b} only in B"
    verdict = (f"B is better on {better} and worse on {worse} of {total} point-metrics where a 95% interval "
               f"excludes no change (a change within {tolerance:.0%} counts as the same); {points}" if cmp.judged
               else f"one round per point: deltas only, no verdict (set repeats in the sweep to judge); {points}")
    console.print(verdict)
    sections = [f"> **Note:** {note}\n" for note in cmp.notes]
    sections.append(f"### Points\n\n{markdown_table(table)}\n\n{verdict}.\n")
    if cmp.capacity:
        cap = capacity_table(cmp)
        print_table(cap, "capacity under the SLO", console)
        sections.append(f"### Capacity\n\n{markdown_table(cap)}\n")
    if markdown is not None:
        emit_markdown(f"## tokbench compare (sweeps)\n\nA = `{a}`, B = `{b}`\n\n" + "\n".join(sections), markdown)
