"""HTML output: one self-contained file (CSS inlined, charts embedded as data URIs) that opens anywhere."""

from __future__ import annotations

import base64
import html
import re
from importlib.resources import files
from pathlib import Path
from string import Template

from tokbench.atomic import atomic_write_text
from tokbench.report.content import ReportContent
from tokbench.report.tables import ABLATION_NOTE, SUMMARY_NOTE, TextTable


def _inline(text: str) -> str:
    """Escape, then keep the one markdown emphasis the findings use (**bold**)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def html_table(table: TextTable) -> str:
    def cells(tag, row):
        names = ' class="name"'
        return "".join(f"<{tag}{names if i < table.align_left else ''}>{html.escape(c)}</{tag}>"
                       for i, c in enumerate(row))

    body = "\n".join(f"<tr>{cells('td', r)}</tr>" for r in table.rows)
    return (f'<div class="table-wrap"><table>\n<thead><tr>{cells("th", table.header)}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table></div>")


def chart_section(chart) -> str:
    data = base64.b64encode(chart.png).decode()
    return (f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2><figure>'
            f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(chart.caption)}</figcaption></figure></section>")


def table_section(heading: str, table: TextTable, key: str | None = None, note: str = "", after: str = "") -> str:
    """A table under its heading; `note` above it and `after` below it, as paragraphs."""
    anchor = f' id="{key}"' if key else ""
    above = f'<p class="note">{html.escape(note)}</p>\n' if note else ""
    below = f"\n<p>{html.escape(after)}</p>" if after else ""
    return f"<section{anchor}>\n<h2>{html.escape(heading)}</h2>\n{above}{html_table(table)}{below}\n</section>"


def notes_section(notes: list[str]) -> str:
    items = "\n".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f'<section class="notes">\n<h2>Notes</h2>\n<ul>\n{items}\n</ul>\n</section>'


def render_page(title: str, context: list[tuple[str, str]], findings: list[str], body: list[str]) -> str:
    """The report page (template.html): heading, context, findings, then the given sections."""
    pkg = files("tokbench.report")
    return Template(pkg.joinpath("template.html").read_text(encoding="utf-8")).substitute(
        title=html.escape(title),
        css=pkg.joinpath("style.css").read_text(encoding="utf-8"),
        context="\n".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in context),
        findings="\n".join(f"<li>{_inline(s)}</li>" for s in findings),
        body="\n".join(body),
    )


def render_html(content: ReportContent) -> str:
    body = [notes_section(content.notes)] if content.notes else []
    body.append(table_section("Summary", content.headline, note=SUMMARY_NOTE))
    if content.predictions is not None:
        body.append(table_section("Predicted against measured", content.predictions))
    if content.ablation is not None:
        table, words = content.ablation
        body.append(table_section("Ablation: what each step changes", table, "ablation", ABLATION_NOTE, words))
    body.append(table_section("Latency percentiles", content.percentiles))
    return render_page(content.title, content.context, content.findings,
                       body + [chart_section(c) for c in content.charts])


def write_html(content: ReportContent, path: Path) -> Path:
    atomic_write_text(path, render_html(content))
    return path
