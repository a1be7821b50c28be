"""One gate: pick how timing can be judged here, run the rounds, judge every rule, confirm a regression.

The library side of `tokbench gate` (the command only reads flags and prints): no typer, no printing
except through `progress`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tokbench.benchmark.config import RunConfig
from tokbench.gate import mode as modes
from tokbench.gate.baseline import Baseline
from tokbench.gate.evaluate import EXACT, REGRESSION, STORED, Outcome, judge_ab, judge_on_values, require_values, skipped
from tokbench.gate.inject import decode_slowdown
from tokbench.gate.rounds import run_ab_rounds, run_rounds
from tokbench.results import Results


@dataclass
class GateRun:
    """What the gate measured and decided."""

    outcomes: list[Outcome]
    candidates: list[Results]  # the candidate's rounds (for A/B: the candidate sides)
    timing: modes.TimingMode
    notes: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(o.verdict == REGRESSION for o in self.outcomes)


def _offline(candidates: list[Results]) -> bool:
    return all(bool(c.doc.get("workload", {}).get("offline")) for c in candidates)


def measured_values(baseline: Baseline, candidates: list[Results]) -> dict[str, tuple[float, list[float]]]:
    """Each rule's value over the rounds (what --update-baseline stores) and its value per round."""
    offline = _offline(candidates)
    out = {}
    for rule in baseline.rules:
        o = judge_on_values(rule, EXACT if rule.schedule_only and offline else STORED, candidates)
        out[rule.name] = (o.point, o.values)
    return out


def judge(baseline: Baseline, candidates: list[Results], timing: modes.TimingMode,
          pairs: list[tuple[Results, Results]] | None = None) -> list[Outcome]:
    """Every rule, each judged the way this machine allows (evaluate.py)."""
    offline = _offline(candidates)
    exact = [r for r in baseline.rules if r.schedule_only and offline]
    stored = [r for r in baseline.rules if r not in exact]
    require_values(baseline, exact + (stored if timing.kind == modes.STORED else []))
    out = []
    for rule in baseline.rules:
        if rule in exact:
            out.append(judge_on_values(rule, EXACT, candidates))
        elif timing.kind == modes.STORED:
            out.append(judge_on_values(rule, STORED, candidates))
        elif timing.kind == modes.AB and pairs:
            out.append(judge_ab(rule, pairs))
        else:
            out.append(skipped(rule, timing.why))
    return out


def gate_results(baseline: Baseline, candidates: list[Results], machine_of_results: dict | None,
                 ignore_machine: bool) -> GateRun:
    """Judge results directories someone already has (no benchmark is run)."""
    timing = modes.choose(baseline, machine_of_results or {"machine": "not recorded in these results"},
                          against=None, against_python=None, ignore_machine=ignore_machine)
    if timing.kind == modes.AB:  # a reference needs rounds of its own: results alone cannot give them
        timing = modes.TimingMode(modes.SCHEDULE_ONLY, timing.why.split(":")[0] + "; judging only the rules that "
                                  "do not depend on the machine (run the gate without RESULTS for an A/B)")
    return GateRun(judge(baseline, candidates, timing), candidates, timing)


def gate_benchmark(baseline: Baseline, config: RunConfig, *, rounds: int, timing: modes.TimingMode, out_dir: Path,
                   confirm: bool, slowdown: float, progress: Callable[[str], None]) -> GateRun:
    """Run the baseline's benchmark `rounds` times the chosen way, judge, and confirm a regression."""
    notes = []

    def measure(span: range):
        if timing.kind == modes.AB:
            pairs = run_ab_rounds(config, timing.reference, span, out_dir, progress)
            return [c for c, _ in pairs], pairs
        return run_rounds(config, span, out_dir, decode_slowdown(slowdown), progress), None

    candidates, pairs = measure(range(1, rounds + 1))
    outcomes = judge(baseline, candidates, timing, pairs)
    suspect = [o.rule.name for o in outcomes if o.suspect]
    if suspect and confirm:
        # A burst of load can outlast a few rounds, and a few rounds can leave a real regression
        # inside a wide interval: twice as many rounds settle both.
        notes.append(f"{', '.join(suspect)} past the threshold after {rounds} rounds; judged on {rounds} more")
        progress(f"{notes[-1]}: running them")
        more, more_pairs = measure(range(rounds + 1, 2 * rounds + 1))
        candidates += more
        pairs = pairs + more_pairs if pairs is not None else None
        outcomes = judge(baseline, candidates, timing, pairs)
    return GateRun(outcomes, candidates, timing, notes)
