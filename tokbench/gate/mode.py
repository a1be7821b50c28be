"""How the gate can judge timing on this machine: against stored values, A/B, or not at all.

Stored values hold only on the machine they were measured on (its fingerprint: CPU and ISA, cores,
GPU, torch). Elsewhere the gate runs the benchmark A/B against a reference tokbench — by default
the commit the baseline was recorded at — in the same rounds; without one, it judges only the
rules that do not depend on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.errors import UserError
from tokbench.gate import reference as ref
from tokbench.gate.baseline import Baseline
from tokbench.machine import fingerprint_differences

STORED, AB, SCHEDULE_ONLY = "stored", "A/B", "schedule only"
RECORDED = "recorded"  # --against recorded: the commit the baseline was recorded at


@dataclass
class TimingMode:
    kind: str  # STORED, AB or SCHEDULE_ONLY
    why: str  # one line for the terminal and the markdown
    reference: ref.Reference | None = None


def _against(name: str, baseline: Baseline) -> ref.Reference:
    if name == RECORDED:
        commit = ref.recorded_commit(baseline.recorded)
        if commit is None:
            raise UserError(f"--against {RECORDED}: {baseline.path} records no git commit")
        return ref.from_git(commit)
    return ref.from_git(name)


def choose(baseline: Baseline, machine_now: dict, *, against: str | None, against_python: str | None,
           ignore_machine: bool) -> TimingMode:
    if against and against_python:
        raise UserError("--against and --against-python both name a reference: give one")
    if against == RECORDED and not against_python:
        try:
            other = _against(RECORDED, baseline)
        except UserError as exc:  # e.g. a shallow clone: what can be judged without it still is
            return TimingMode(SCHEDULE_ONLY, f"no A/B: {exc}; judging only the rules that do not depend on "
                                             "the machine")
        return TimingMode(AB, f"A/B against the baseline's commit {other.label}, in alternating rounds on this "
                              "machine", other)
    if against or against_python:
        other = ref.from_python(against_python) if against_python else _against(against, baseline)
        return TimingMode(AB, f"A/B against {other.label}, in alternating rounds on this machine", other)
    recorded = baseline.machine
    if recorded is None:
        return TimingMode(STORED, "against stored values: the baseline records no machine to compare with "
                                  "(record one with --update-baseline)")
    diffs = fingerprint_differences(machine_now, recorded) if machine_now else ["no machine recorded"]
    if not diffs or ignore_machine:
        why = ("against stored values: this machine matches the baseline's" if not diffs
               else f"against stored values of another machine (--ignore-machine): {'; '.join(diffs)}")
        return TimingMode(STORED, why)
    notice = f"this machine is not the baseline's ({'; '.join(diffs)})"
    commit = ref.recorded_commit(baseline.recorded)
    if commit:
        try:
            other = ref.from_git(commit)
        except UserError as exc:
            return TimingMode(SCHEDULE_ONLY, f"{notice}; the baseline's commit is not available ({exc}); "
                                             "judging only the rules that do not depend on the machine")
        return TimingMode(AB, f"{notice}: A/B against the baseline's commit {other.label}, in alternating rounds "
                              "on this machine", other)
    return TimingMode(SCHEDULE_ONLY, f"{notice} and it records no commit to run A/B against; judging only the "
                                     "rules that do not depend on the machine")
