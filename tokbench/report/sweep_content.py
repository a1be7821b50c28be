"""Everything a sweep report shows, computed once: context, findings, tables and charts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokbench.report.figure import Chart
from tokbench.report.metric_info import format_value
from tokbench.report.sweep_charts import sweep_charts
from tokbench.report.sweep_data import SweepData
from tokbench.report.sweep_pareto import pareto_front
from tokbench.report.tables import TextTable
from tokbench.sweep.keys import describe_values


@dataclass(frozen=True)
class SweepContent:
    title: str
    context: list[tuple[str, str]]
    findings: list[str]
    tables: list[tuple[str, str, TextTable]]  # (id, heading, table)
    charts: list[Chart]


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def _on_front(data: SweepData, metric: str) -> set[int]:
    return set(pareto_front([(r.value(metric), r.value("output_throughput")) for r in data.rows]))


def points_table(data: SweepData) -> TextTable:
    ttft, tpot = _on_front(data, "p99_ttft_ms"), _on_front(data, "p99_tpot_ms")
    slo_points = data.slo_points()
    with_slo = any(r.point in slo_points for r in data.rows)
    header = ["point", "strategy", "settings", "output tok/s", "p99 TTFT (ms)", "p99 TPOT (ms)"]
    header += ["within SLO"] if with_slo else []
    header += ["Pareto front"]
    rows = []
    for i, r in enumerate(data.rows):
        front = "/".join(name for name, members in (("TTFT", ttft), ("TPOT", tpot)) if i in members)
        row = [r.point, r.strategy if r.run == r.strategy else r.run, data.label(r),
               format_value("output_throughput", r.summary.get("output_throughput")),
               format_value("p99_ttft_ms", r.summary.get("p99_ttft_ms")),
               format_value("p99_tpot_ms", r.summary.get("p99_tpot_ms"))]
        row += [_pct(r.attainment if r.point in slo_points else None)] if with_slo else []
        rows.append(row + [front or "–"])
    return TextTable(header, rows, align_left=3)


def capacity_table(data: SweepData) -> TextTable:
    rows = []
    for s in data.capacity:
        lo, hi = s["bracket"]
        answer = {"found": f"×{lo:g}", "above-max": f"≥ ×{lo:g}" if lo else "–",
                  "below-min": f"< ×{hi:g}" if hi else "–", "unfinished": "not closed", "failed": "failed"}
        rows.append([s["label"], answer.get(s["status"], s["status"]),
                     f"[×{lo:g}, ×{hi:g}]" if lo and hi else "–",
                     f"{s['offered_rps']:.2f}" if s.get("offered_rps") else "–", str(len(s["probes"])),
                     s["status"], "; ".join(s["non_monotone"]) or (s.get("error") or "–")])
    return TextTable(["configuration", "capacity", "bracket", "req/s at capacity", "probes", "search", "notes"],
                     rows)


def probes_table(data: SweepData) -> TextTable:
    rows = [[s["label"], str(n), f"×{p['rate_scale']:g}",
             f"{p['offered_rps']:.2f}" if p.get("offered_rps") else "–", _pct(p["attainment"]),
             "pass" if p["passed"] else ("failed point" if p["attainment"] is None else "fail"), p["point"]]
            for s in data.capacity for n, p in enumerate(s["probes"], 1)]
    return TextTable(["configuration", "probe", "rate_scale", "req/s", "within SLO", "verdict", "point"], rows)


def failures_table(data: SweepData) -> TextTable | None:
    failed = [p for p in data.records if p.get("status") != "complete"]
    if not failed:
        return None
    rows = [[p["id"], describe_values(p["values"]), p.get("status", "?"), str(p.get("attempts", 0)),
             p.get("error") or (p.get("failures") or ["not run yet"])[-1]] for p in failed]
    return TextTable(["point", "values", "status", "attempts", "why"], rows, align_left=3)


def _findings(data: SweepData) -> list[str]:
    out = []
    records = data.records
    complete = sum(p.get("status") == "complete" for p in records)
    swept = ", ".join(data.swept_keys()) or "no setting besides the strategy"
    out.append(f"{complete} of {len(records)} points complete ({len(data.rows)} runs); swept: {swept}.")
    usable = [r for r in data.rows if not math.isnan(r.value("output_throughput"))]
    if usable:
        best = max(usable, key=lambda r: r.value("output_throughput"))
        out.append(f"Highest output throughput: **{best.strategy}** at {data.label(best)}: "
                   f"{best.value('output_throughput'):,.1f} tok/s (p99 TTFT {best.value('p99_ttft_ms'):,.0f} ms).")
        front = [data.rows[i] for i in pareto_front([(r.value("p99_ttft_ms"), r.value("output_throughput"))
                                                     for r in data.rows])]
        names = sorted({r.strategy for r in front})
        out.append(f"On the throughput–p99 TTFT Pareto front: {', '.join(names)} "
                   f"({len(front)} of {len(data.rows)} runs).")
    found = [s for s in data.capacity if s["bracket"][0]]
    if found:
        ranked = sorted(found, key=lambda s: -s["bracket"][0])
        lead = ranked[0]
        line = (f"**{lead['label']}** sustains the highest load within the SLO: ×{lead['bracket'][0]:g}"
                + (f" ({lead['offered_rps']:.2f} req/s)" if lead.get("offered_rps") else ""))
        if len(ranked) > 1:
            second, top = ranked[1], lead["bracket"][0]
            line += f", {top / second['bracket'][0]:.2f}× {second['label']} (×{second['bracket'][0]:g})"
        out.append(line + ".")
    for s in data.capacity:
        if s["status"] != "found":
            out.append(f"The capacity search for {s['label']} did not close: {s['status']}"
                       + (f" ({s['error']})" if s.get("error") else "") + ".")
        for line in s["non_monotone"]:
            out.append(f"Non-monotone probes for {s['label']}: {line}.")
    failed = [p for p in records if p.get("status") == "failed"]
    if failed:
        out.append(f"{len(failed)} point(s) failed; see the table of points not complete.")
    return out + data.notes


def _context(data: SweepData) -> list[tuple[str, str]]:
    m = data.manifest
    base = (m.get("spec") or {}).get("base", {})
    lines = [("sweep", f"{data.root} (spec {m.get('spec_file')}, hash {m.get('spec_hash')})"),
             ("base", ", ".join(f"{k} = {v}" for k, v in base.items()) or "defaults"),
             ("executor", f"{m.get('executor')}, last updated {m.get('updated')}")]
    hosts = sorted({p["host"] for p in m.get("points", []) if p.get("host")})
    if hosts:
        lines.append(("hosts", ", ".join(hosts)))
    return lines


def build_sweep_content(data: SweepData, title: str) -> SweepContent:
    tables = [("points", "Points", points_table(data))]
    if data.capacity:
        tables += [("capacity_table", "Capacity", capacity_table(data)),
                   ("probes", "Capacity probes", probes_table(data))]
    failures = failures_table(data)
    if failures is not None:
        tables.append(("not_complete", "Points not complete", failures))
    return SweepContent(title, _context(data), _findings(data), tables, sweep_charts(data))
