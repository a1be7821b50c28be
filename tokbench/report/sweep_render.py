"""A sweep report as one self-contained HTML file, and as markdown with its charts beside it."""

from __future__ import annotations

from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.report.html import chart_section, render_page, table_section
from tokbench.report.markdown import markdown_table, write_with_charts
from tokbench.report.sweep_content import SweepContent


def render_sweep_html(content: SweepContent) -> str:
    body = [chart_section(c) for c in content.charts]
    body += [table_section(heading, table, key) for key, heading, table in content.tables]
    return render_page(content.title, content.context, content.findings, body)


def render_sweep_markdown(content: SweepContent, charts_dir: str) -> str:
    parts = [f"# {content.title}", ""]
    parts += [f"- **{what}**: {value}" for what, value in content.context]
    parts += ["", "## What this shows", ""] + [f"- {s}" for s in content.findings]
    for chart in content.charts:
        parts += ["", f"## {chart.title}", "", f"![{chart.title}]({charts_dir}/{chart.key}.png)", "", chart.caption]
    for _, heading, table in content.tables:
        parts += ["", f"## {heading}", "", markdown_table(table)]
    return "\n".join(parts) + "\n"


def write_sweep_report(sweep_dir: Path, out_dir: Path, name: str, title: str, formats: list[str]) -> tuple[list, list]:
    """(paths written, findings) for `tokbench report SWEEP_DIR`."""
    from tokbench.report.sweep_content import build_sweep_content
    from tokbench.report.sweep_data import load_sweep

    content = build_sweep_content(load_sweep(sweep_dir), title)
    written = []
    if "md" in formats:
        written.append(write_with_charts(out_dir / f"{name}.md", content.charts,
                                         lambda charts_dir: render_sweep_markdown(content, charts_dir)))
    if "html" in formats:
        path = out_dir / f"{name}.html"
        atomic_write_text(path, render_sweep_html(content))
        written.append(path)
    return written, content.findings
