"""Everything a report shows, computed once; the markdown and HTML writers only lay it out."""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.report.ablation import ablation_table, attribution, ladder
from tokbench.report.charts import all_charts
from tokbench.report.collect import LabelledRun, collect_runs
from tokbench.report.figure import Chart
from tokbench.report.findings import baseline_run, findings, measured
from tokbench.report.predictions import is_simulated, prediction_table
from tokbench.report.tables import TextTable, headline_table, percentile_table
from tokbench.results.loader import Results


@dataclass(frozen=True)
class ReportContent:
    title: str
    context: list[tuple[str, str]]  # (what, value) lines: model, workload, device, versions
    findings: list[str]
    notes: list[str]  # what loading the workload changed, and runs the machine disturbed (noise: ...)
    headline: TextTable
    percentiles: TextTable
    ablation: tuple[TextTable, str] | None  # the ladder's table and who carries the gain (--ablation)
    charts: list[Chart]
    predictions: TextTable | None = None  # simulated beside measured, when the report has both


def _context(results: list[Results]) -> list[tuple[str, str]]:
    lines = []
    for res in results:
        cfg, env, wl = res.doc["config"], res.doc["environment"], res.doc["workload"]
        commit = (env.get("git_commit") or "unknown")[:10]
        prefix = f"{res.path.parent.name}: " if len(results) > 1 else ""
        lines += [
            (f"{prefix}workload", f"{wl['name']}, {wl['num_requests']} requests"
                                  f"{', offline' if wl.get('offline') else ''}, seed {cfg['seed']}"),
            (f"{prefix}model", f"{cfg['model']['spec']} ({cfg['model']['dtype']})"),
            (f"{prefix}device", _device(res)),
            (f"{prefix}software", f"tokbench {env['tokbench_version']} ({commit}), torch {env['torch']}; "
                                  f"results written {res.doc['created']}"),
        ]
    return lines


def _device(res: Results) -> str:
    env = res.doc["environment"]
    if is_simulated(res):
        sim = res.doc["simulation"]
        return (f"simulated: {env.get('device_name')}, {sim['cost_model']['kind']} cost model, "
                f"{sim['replicas']} replica(s)")
    return f"{env.get('device_name') or env['device']}, attention {env['attention_backend']}, " \
           f"{env.get('cpu_count', '?')} CPU cores"


def _notes(results: list[Results]) -> list[str]:
    """The results' notes (what loading the workload changed) and every disturbed round's warning."""
    lines = []
    for res in results:
        warnings = [n["warning"] for run in res.runs for n in run.get("noise", []) if n.get("warning")]
        lines += [(f"{res.path.parent.name}: " if len(results) > 1 else "") + line
                  for line in [*res.doc.get("notes", []), *warnings]]
    return lines


def build_content(results: list[Results], title: str = "tokbench report") -> ReportContent:
    runs: list[LabelledRun] = collect_runs(results)
    steps = ladder(measured(runs))
    return ReportContent(title, _context(results), findings(runs), _notes(results),
                         headline_table(runs, baseline_run(runs)), percentile_table(runs),
                         (ablation_table(steps), attribution(steps)) if steps else None, all_charts(runs),
                         prediction_table(results))
