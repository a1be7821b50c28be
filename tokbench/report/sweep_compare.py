"""Two sweeps point by point: the same swept settings and run in both, B (candidate) against A (reference)."""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.report.compare import Delta, deltas
from tokbench.report.evidence import Measured
from tokbench.report.metric_info import metric_info
from tokbench.report.sweep_data import SweepData, SweepRow
from tokbench.report.tables import TextTable, estimate_cell
from tokbench.results.judging import mismatch_notes
from tokbench.sweep.keys import describe_values

SWEEP_METRICS = ("output_throughput", "p99_ttft_ms", "p99_tpot_ms")


def _measured(sweep: SweepData, row: SweepRow) -> Measured:
    """The row's run with its rounds (a point run with repeats), as evidence; points are separate benchmarks."""
    entry = next(r for r in sweep.docs[row.point]["runs"] if r["name"] == row.run)
    return Measured.of(row.run, entry, source=(sweep.root, row.point))


def _key(row: SweepRow) -> tuple[str, str]:
    # Swept values, not point ids: two sweeps whose [base] differs (another model, another commit's defaults)
    # still pair the points that sit at the same place in their grids.
    return describe_values(row.values), row.run


@dataclass(frozen=True)
class SweepComparison:
    pairs: list[tuple[SweepRow, SweepRow, list[Delta]]]
    only_a: int
    only_b: int
    capacity: list[tuple[str, float | None, float | None]]  # (configuration, A's capacity, B's)
    notes: list[str]  # pairs judged although their benchmarks differ (--allow-mismatch)

    @property
    def judged(self) -> bool:
        """Whether any change has an interval to judge it by (points run with repeats)."""
        return any(d.change.has_interval for _, _, deltas in self.pairs for d in deltas)

    def counts(self) -> tuple[int, int, int]:
        verdicts = [d.verdict for _, _, deltas in self.pairs for d in deltas]
        return verdicts.count("better"), verdicts.count("worse"), len(verdicts)


def compare_sweeps(a: SweepData, b: SweepData, tolerance: float, *, allow_mismatch: bool = False,
                   metrics=SWEEP_METRICS) -> SweepComparison:
    """Pairs of runs at the same swept settings. A pair from different benchmarks (fingerprint.py: another
    workload, model, knobs or device) is refused with one line, or noted with allow_mismatch."""
    rows_b = {_key(r): r for r in b.rows}
    pairs, notes = [], []
    for ra in a.rows:
        rb = rows_b.get(_key(ra))
        if rb is not None:
            label = " ".join(_key(ra))
            notes += mismatch_notes([(f"{a.root} {label}", a.docs[ra.point]), (f"{b.root} {label}", b.docs[rb.point])],
                                    allow_mismatch=allow_mismatch)
            pairs.append((ra, rb, deltas(_measured(a, ra), _measured(b, rb), list(metrics), tolerance)))
    keys_a = {_key(r) for r in a.rows}
    only_a = len(keys_a - set(rows_b))
    only_b = len(set(rows_b) - keys_a)
    cap_b = {c["label"]: c["bracket"][0] for c in b.capacity}
    capacity = [(c["label"], c["bracket"][0], cap_b.get(c["label"])) for c in a.capacity if c["label"] in cap_b]
    return SweepComparison(pairs, only_a, only_b, capacity, notes)


def _cell(d: Delta) -> str:
    rel = d.relative
    return (f"{estimate_cell(d.metric, d.a)} → {estimate_cell(d.metric, d.b)}"
            + ("" if rel is None else f" ({100 * rel:+.1f}%)"))


def comparison_table(cmp: SweepComparison) -> TextTable:
    header = ["settings", "run", *(metric_info(m).label + (f" ({metric_info(m).unit})" if metric_info(m).unit else "")
                                   for m in SWEEP_METRICS)]
    rows = [[describe_values(ra.values), ra.run, *(_cell(d) for d in deltas)] for ra, _, deltas in cmp.pairs]
    return TextTable(header, rows, align_left=2)


def capacity_table(cmp: SweepComparison) -> TextTable:
    rows = [[label, "–" if a is None else f"×{a:.3g}", "–" if b is None else f"×{b:.3g}",
             f"{b / a:.2f}×" if a and b else "–"] for label, a, b in cmp.capacity]
    return TextTable(["configuration", "A capacity", "B capacity", "B ÷ A"], rows)


def row_styles(cmp: SweepComparison) -> list[str | None]:
    """Red where any metric got worse, green where some got better and none worse."""
    out = []
    for _, _, deltas in cmp.pairs:
        verdicts = {d.verdict for d in deltas}
        out.append("red" if "worse" in verdicts else ("green" if "better" in verdicts else None))
    return out
