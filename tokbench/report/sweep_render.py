"""A sweep report as one self-contained HTML file, and as markdown with its charts beside it."""

from __future__ import annotations

import base64
import html
from importlib.resources import files
from pathlib import Path
from string import Template

from tokbench.atomic import atomic_write_bytes, atomic_write_text
from tokbench.report.html import _inline, html_table
from tokbench.report.markdown import markdown_table
from tokbench.report.sweep_content import SweepContent


def _chart_html(chart) -> str:
    data = base64.b64encode(chart.png).decode()
    return (f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2><figure>'
            f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(chart.caption)}</figcaption></figure></section>")


def render_sweep_html(content: SweepContent) -> str:
    pkg = files("tokbench.report")
    body = [_chart_html(c) for c in content.charts]
    body += [f'<section id="{key}"><h2>{html.escape(heading)}</h2>\n{html_table(table)}</section>'
             for key, heading, table in content.tables]
    return Template(pkg.joinpath("sweep_template.html").read_text(encoding="utf-8")).substitute(
        title=html.escape(content.title),
        css=pkg.joinpath("style.css").read_text(encoding="utf-8"),
        context="\n".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in content.context),
        findings="\n".join(f"<li>{_inline(s)}</li>" for s in content.findings),
        body="\n".join(body),
    )


def render_sweep_markdown(content: SweepContent, charts_dir: str) -> str:
    parts = [f"# {content.title}", ""]
    parts += [f"- **{what}**: {value}" for what, value in content.context]
    parts += ["", "## What this shows", ""] + [f"- {s}" for s in content.findings]
    for chart in content.charts:
        parts += ["", f"## {chart.title}", "", f"![{chart.title}]({charts_dir}/{chart.key}.png)", "", chart.caption]
    for _, heading, table in content.tables:
        parts += ["", f"## {heading}", "", markdown_table(table)]
    return "\n".join(parts) + "\n"


def write_sweep_html(content: SweepContent, path: Path) -> Path:
    atomic_write_text(path, render_sweep_html(content))
    return path


def write_sweep_markdown(content: SweepContent, path: Path) -> Path:
    charts_dir = path.parent / f"{path.stem}_charts"
    for chart in content.charts:
        atomic_write_bytes(charts_dir / f"{chart.key}.png", chart.png)
    atomic_write_text(path, render_sweep_markdown(content, charts_dir.name))
    return path


def write_sweep_report(sweep_dir: Path, out_dir: Path, name: str, title: str, formats: list[str]) -> tuple[list, list]:
    """(paths written, findings) for `tokbench report SWEEP_DIR`."""
    from tokbench.report.sweep_content import build_sweep_content
    from tokbench.report.sweep_data import load_sweep

    content = build_sweep_content(load_sweep(sweep_dir), title)
    written = []
    if "md" in formats:
        written.append(write_sweep_markdown(content, out_dir / f"{name}.md"))
    if "html" in formats:
        written.append(write_sweep_html(content, out_dir / f"{name}.html"))
    return written, content.findings
