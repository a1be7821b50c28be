"""Markdown output: the report as a .md file with its charts as PNG files in a sibling folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tokbench.atomic import atomic_write_bytes, atomic_write_text
from tokbench.report.tables import ABLATION_NOTE, SUMMARY_NOTE, TextTable

if TYPE_CHECKING:  # the content module pulls in matplotlib; tables alone need none of it
    from tokbench.report.content import ReportContent


def markdown_table(table: TextTable) -> str:
    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = ["---" if i < table.align_left else "---:" for i in range(len(table.header))]
    return "\n".join([line(table.header), line(rule), *(line(r) for r in table.rows)])


def render_markdown(content: ReportContent, charts_dir: str) -> str:
    parts = [f"# {content.title}", ""]
    parts += [f"- **{what}**: {value}" for what, value in content.context]
    parts += ["", "## What this shows", ""] + [f"- {s}" for s in content.findings]
    if content.notes:
        parts += ["", "## Notes", ""] + [f"- {s}" for s in content.notes]
    parts += ["", "## Summary", "", SUMMARY_NOTE, "", markdown_table(content.headline)]
    if content.predictions is not None:
        parts += ["", "## Predicted against measured", "", markdown_table(content.predictions)]
    if content.ablation:
        table, words = content.ablation
        parts += ["", "## Ablation: what each step changes", "", ABLATION_NOTE, "", markdown_table(table), "", words]
    parts += ["", "## Latency percentiles", "", markdown_table(content.percentiles)]
    for chart in content.charts:
        parts += ["", f"## {chart.title}", "", f"![{chart.title}]({charts_dir}/{chart.key}.png)", "", chart.caption]
    return "\n".join(parts) + "\n"


def write_markdown(content: ReportContent, path: Path) -> Path:
    return write_with_charts(path, content.charts, lambda charts_dir: render_markdown(content, charts_dir))


def write_with_charts(path: Path, charts, render) -> Path:
    """Charts as PNGs in PATH-STEM_charts/, then the text `render(that folder's name)` at `path`."""
    charts_dir = path.parent / f"{path.stem}_charts"
    for chart in charts:
        atomic_write_bytes(charts_dir / f"{chart.key}.png", chart.png)
    atomic_write_text(path, render(charts_dir.name))
    return path
