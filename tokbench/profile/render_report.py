"""The profile as a Markdown or HTML report with its PNG plots beside it."""

from __future__ import annotations

import html
from pathlib import Path

from tokbench.atomic import atomic_write_bytes, atomic_write_text
from tokbench.errors import UserError
from tokbench.profile.describe import (
    BATCHING_HEADER,
    FIT_HEADER,
    LENGTH_HEADER,
    arrival_rows,
    batching_rows,
    fit_rows,
    fit_title,
    length_rows,
    prefix_line,
    source_notes,
    target_line,
)


def _pipe_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in rows
    ]


def _markdown(profile: dict, images: dict[str, str]) -> str:
    src, rec = profile["source"], profile["recommendation"]
    lines = [
        f"# Workload profile: {src.get('name', '')}",
        "",
        f"{profile['requests']:,} requests, source `{src.get('path', src.get('kind', ''))}`.",
        "",
    ]
    lines += [f"- {note}" for note in source_notes(profile)] + [""]
    lines += [target_line(profile), ""]
    lines += ["## Recommendation", "", f"**{rec['strategy']}**: `{rec['flags']}`", ""]
    lines += [f"- {r}" for r in rec["reasons"] + rec["notes"]] + [""]
    if rec.get("command"):
        lines += ["```", rec["command"], "```", ""]
    if profile["fit"]["rewritten"]:
        lines += ["## Trace vs what run serves", "", fit_title(profile) + ".", ""]
        lines += _pipe_table(FIT_HEADER, fit_rows(profile)) + [""]
    lines += ["## Lengths as served", ""] + _pipe_table(LENGTH_HEADER, length_rows(profile)) + [""]
    lines += ["## Arrivals", ""]
    if profile["arrivals"] is None:
        lines += ["Offline: every request arrives at t=0.", ""]
    else:
        lines += _pipe_table(("", ""), arrival_rows(profile)) + [""]
    if prefix_line(profile):
        lines += [prefix_line(profile), ""]
    lines += ["## Batching", ""] + _pipe_table(BATCHING_HEADER, batching_rows(profile)) + [""]
    lines += [f"![{name}]({file})" for name, file in images.items()] + [""]
    return "\n".join(lines)


def _html(markdown: str) -> str:
    # A small, dependency-free rendering of what _markdown writes: headings, lists, tables,
    # a code block and images.
    body, in_table, in_list, in_code = [], False, False, False
    for line in markdown.splitlines():
        if line.startswith("```"):
            body.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            body.append(html.escape(line))
            continue
        if line.startswith("|"):
            if not line.startswith("|---"):
                cells = "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip("|").split("|"))
                body.append(("<table>" if not in_table else "") + f"<tr>{cells}</tr>")
                in_table = True
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if in_list and not line.startswith("- "):
            body.append("</ul>")
            in_list = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.startswith("- "):
            body.append(("<ul>" if not in_list else "") + f"<li>{html.escape(line[2:])}</li>")
            in_list = True
        elif line.startswith("!["):
            alt, src = line[2:].split("](")
            body.append(f'<p><img alt="{html.escape(alt)}" src="{html.escape(src[:-1])}"></p>')
        elif line:
            body.append(f"<p>{html.escape(line).replace('**', '').replace('`', '')}</p>")
    body.append("</table>" if in_table else "")
    body.append("</ul>" if in_list else "")
    style = (
        "body{font-family:sans-serif;max-width:64em;margin:auto}td{padding:2px 8px;border-bottom:1px solid #ddd}"
        "pre{background:#f4f4f4;padding:8px;white-space:pre-wrap}"
    )
    head = f"<head><meta charset='utf-8'><style>{style}</style></head>"
    return f"<!doctype html><html>{head}<body>{''.join(body)}</body></html>"


def write_report(profile: dict, plots: dict[str, bytes], path: Path) -> list[Path]:
    """Write PATH (.md or .html) and its PNGs beside it; returns the files written."""
    if path.suffix.lower() not in (".md", ".html", ".htm"):
        raise UserError(f"--report must end in .md or .html, got {path}")
    written = []
    images = {}
    for name, png in plots.items():
        image = path.with_name(f"{path.stem}-{name}.png")
        atomic_write_bytes(image, png)
        images[name] = image.name
        written.append(image)
    markdown = _markdown(profile, images)
    atomic_write_text(path, markdown if path.suffix.lower() == ".md" else _html(markdown))
    return written + [path]
