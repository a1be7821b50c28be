"""The profile as a Markdown or HTML report with its PNG plots beside it."""

from __future__ import annotations

import html
from pathlib import Path

from tokbench.atomic import atomic_write_bytes, atomic_write_text
from tokbench.errors import UserError


def _markdown(profile: dict, images: dict[str, str]) -> str:
    src, rec = profile["source"], profile["recommendation"]
    lines = [
        f"# Workload profile: {src.get('name', '')}",
        "",
        f"{profile['requests']:,} requests, source `{src.get('path', src.get('kind', ''))}`.",
        "",
    ]
    lines += [
        "## Recommendation",
        "",
        f"**{rec['strategy']}** with " + ", ".join(f"`{k}={v}`" for k, v in rec["knobs"].items()),
        "",
    ]
    lines += [f"- {r}" for r in rec["reasons"] + rec["notes"]] + [""]
    lines += ["## Lengths", "", "| tokens | p50 | p90 | p99 | max | mean | p90/p10 | p99/p50 |", "|---" * 8 + "|"]
    for name in ("prompt", "output", "total"):
        s = profile[name]
        lines.append(
            f"| {name} | {s['p50']:,.0f} | {s['p90']:,.0f} | {s['p99']:,.0f} | {s['max']:,} | "
            f"{s['mean']:,.1f} | {s['p90_over_p10']:.2f} | {s['p99_over_p50']:.2f} |"
        )
    lines.append("")
    a = profile["arrivals"]
    if a is None:
        lines += ["## Arrivals", "", "Offline: every request arrives at t=0.", ""]
    else:
        dispersion = ", ".join(f"{v:.2f} at {w}" for w, v in a["index_of_dispersion"].items() if v is not None)
        lines += [
            "## Arrivals",
            "",
            f"- duration {a['duration_s']:,.1f} s, mean rate {a['mean_rate_per_s']:.3f} req/s",
            f"- inter-arrival CV {a['interarrival_cv']:.2f}; index of dispersion {dispersion or 'n/a'}",
            f"- idle gaps >= {a['idle_gaps']['threshold_s']:g} s: {a['idle_gaps']['count']:,} "
            f"({a['idle_gaps']['fraction_of_time']:.1%} of the time)",
            f"- concurrency estimate: mean {profile['concurrency']['mean']:.1f}, "
            f"p99 {profile['concurrency']['p99']:.0f}",
            "",
        ]
    if profile["prefix_reuse"]:
        lines += [f"Prefix reuse: {profile['prefix_reuse']['reused_token_fraction']:.1%} of prompt tokens.", ""]
    lines += ["## Batching", "", "| batch size | prefill waste | decode waste |", "|---|---|---|"]
    lines += [f"| {b} | {v['prefill_waste']:.1%} | {v['decode_waste']:.1%} |" for b, v in profile["padding"].items()]
    lines += ["", "| token budget | FFD efficiency | bins |", "|---|---|---|"]
    lines += [f"| {b} | {v['efficiency']:.1%} | {v['bins']:,} |" for b, v in profile["packing"]["budgets"].items()]
    lines += [""] + [f"![{name}]({file})" for name, file in images.items()] + [""]
    return "\n".join(lines)


def _html(markdown: str) -> str:
    # A small, dependency-free rendering: headings, lists, tables and images.
    body, in_table = [], False
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip("|").split("|"))
            body.append(("<table>" if not in_table else "") + f"<tr>{cells}</tr>")
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            body.append("</table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.startswith("!["):
            alt, src = line[2:].split("](")
            body.append(f'<p><img alt="{html.escape(alt)}" src="{html.escape(src[:-1])}"></p>')
        elif line and not line.startswith("|---"):
            body.append(f"<p>{html.escape(line).replace('**', '')}</p>")
    style = "body{font-family:sans-serif;max-width:60em;margin:auto}td{padding:2px 8px;border-bottom:1px solid #ddd}"
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
