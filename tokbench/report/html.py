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


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "\n".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f'<section class="notes">\n<h2>Notes</h2>\n<ul>\n{items}\n</ul>\n</section>'


def _ablation(ablation: tuple[TextTable, str] | None) -> str:
    if ablation is None:
        return ""
    table, words = ablation
    return (f'<section id="ablation">\n<h2>Ablation: what each step changes</h2>\n'
            f'<p class="note">{html.escape(ABLATION_NOTE)}</p>\n{html_table(table)}\n<p>{html.escape(words)}</p>\n'
            "</section>")


def render_html(content: ReportContent) -> str:
    pkg = files("tokbench.report")
    charts = "\n".join(
        f'<section id="{c.key}"><h2>{html.escape(c.title)}</h2><figure>'
        f'<img alt="{html.escape(c.title)}" src="data:image/png;base64,{base64.b64encode(c.png).decode()}">'
        f"<figcaption>{html.escape(c.caption)}</figcaption></figure></section>"
        for c in content.charts)
    return Template(pkg.joinpath("template.html").read_text(encoding="utf-8")).substitute(
        title=html.escape(content.title),
        css=pkg.joinpath("style.css").read_text(encoding="utf-8"),
        context="\n".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in content.context),
        findings="\n".join(f"<li>{_inline(s)}</li>" for s in content.findings),
        notes=_notes(content.notes),
        summary_note=html.escape(SUMMARY_NOTE),
        headline=html_table(content.headline),
        predictions="" if content.predictions is None else
        f"<section><h2>Predicted against measured</h2>\n{html_table(content.predictions)}\n</section>",
        ablation=_ablation(content.ablation),
        percentiles=html_table(content.percentiles),
        charts=charts,
    )


def write_html(content: ReportContent, path: Path) -> Path:
    atomic_write_text(path, render_html(content))
    return path
