"""run_sweep: plan the points, skip the complete ones, place the rest, write every result and the manifest.

The driver is the only writer: workers hand back in-memory Results and the driver saves each
one under points/<id> before it records the point complete, rewriting manifest.json atomically
after every change. A driver killed at any moment leaves complete points complete; started
again, it runs the rest.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from tokbench import __version__
from tokbench.errors import UserError
from tokbench.interrupts import Interrupted
from tokbench.results import Results
from tokbench.results.writer import save_results
from tokbench.sweep.capacity_search import CapacitySearch
from tokbench.sweep.events import OnEvent, SweepEvent, ignore
from tokbench.sweep.executor import DONE, FAILED, Executor, Outcome
from tokbench.sweep.local_executor import LocalExecutor
from tokbench.sweep.points import Point, SearchPlan, plan_points, plan_searches
from tokbench.sweep.records import (
    COMPLETE,
    FAILED as POINT_FAILED,
    PENDING,
    RUNNING,
    PointRecord,
    key_figures,
    now_iso,
    point_attainment,
)
from tokbench.sweep.spec import RATE_KEY, SweepSpec, spec_differences
from tokbench.sweep.store import POINTS, SCHEMA, SCHEMA_VERSION, SweepStore
from tokbench.sweep.workload_check import check_configs, check_online, offered_rate


@dataclass(frozen=True)
class SweepOutcome:
    root: Path
    records: list[PointRecord]
    capacity: list[dict]  # one entry per search, as in the manifest
    ran: int  # points this call completed
    reused: int  # points complete before this call

    @property
    def failed(self) -> list[PointRecord]:
        return [r for r in self.records if r.status == POINT_FAILED]


def run_sweep(spec: SweepSpec, out: str | Path, executor: Executor | None = None, *, force: bool = False,
              on_event: OnEvent | None = None) -> SweepOutcome:
    """Run every point of `spec` that `out` does not hold complete; UserError for what the user can fix."""
    executor = executor or LocalExecutor()
    store = SweepStore(out)
    store.open()
    try:
        sweep = _Sweep(spec, store, executor, on_event or ignore)
        sweep.check_unchanged(force)
        sweep.plan()
        executor.start()
        try:
            sweep.run()
        finally:
            executor.close()
        return sweep.outcome()
    finally:
        store.close()


class _Sweep:
    def __init__(self, spec: SweepSpec, store: SweepStore, executor: Executor, emit: OnEvent):
        self.spec, self.store, self.executor, self.emit = spec, store, executor, emit
        self.old = store.read_manifest() or {}
        self.old_records = {r["id"]: r for r in self.old.get("points", [])}
        self.records: dict[str, PointRecord] = {}
        self.queue: deque[Point] = deque()
        self.searches: list[tuple[SearchPlan, CapacitySearch]] = []
        self.waiting: dict[str, int] = {}  # a probe's point id -> the search waiting for it
        self.ran = self.reused = 0
        self.created = self.old.get("created") or now_iso()

    # -- planning ----------------------------------------------------------------------------------
    def check_unchanged(self, force: bool) -> None:
        if not self.old or self.old.get("spec_hash") == self.spec.hash:
            return
        diffs = spec_differences(self.old.get("spec") or {}, self.spec.canonical())
        if force:
            self.emit(SweepEvent("note", message=f"the spec changed ({len(diffs)} difference(s)); --force: "
                                                 "sweeping the new spec, keeping the complete points it shares"))
            return
        raise UserError("\n".join([f"--out {self.store.root}: the sweep spec differs from the one this sweep was "
                                   f"started with ({self.old.get('spec_file')}); rerun with --force to sweep the new "
                                   "spec here (complete points it shares are kept), or choose another --out",
                                   *(f"  changed {d}" for d in diffs)]))

    def plan(self) -> None:
        where = self.spec.where
        if self.spec.capacity is None:
            points = plan_points(self.spec)
            check_configs([(f"{where} {p.origin} ({p.label})", p.config) for p in points])
            for point in points:
                self._add(point)
            return
        plans = plan_searches(self.spec)
        check_online([(f"{where} capacity search ({p.label})", p.config) for p in plans])
        self.searches = [(plan, CapacitySearch(self.spec.capacity)) for plan in plans]
        for i in range(len(self.searches)):
            self._advance(i)

    def _add(self, point: Point) -> Results | None:
        """Register a point; its results if the directory already holds them complete, else queue it."""
        old = self.old_records.get(point.id, {})
        record = PointRecord.from_dict({**old, "id": point.id, "values": point.values, "origin": point.origin,
                                        "dir": f"{POINTS}/{point.id}"})
        self.records[point.id] = record
        results = self.store.complete(point.id)
        if results is not None:
            record.status, record.error = COMPLETE, None
            record.figures = record.figures or key_figures(results, bool(point.config.slo.as_dict()))
            self.reused += 1
            return results
        record.status = PENDING
        self.queue.append(point)
        return None

    def _advance(self, i: int) -> None:
        """Move search i on through probes already complete; queue its next one, or report its answer."""
        plan, search = self.searches[i]
        while (scale := search.next_scale()) is not None:
            point = plan.probe(scale)
            results = self._add(point)
            if results is None:
                self.waiting[point.id] = i
                return
            self._record_probe(search, point, results)
        self.emit(SweepEvent("capacity", message=self._capacity_line(plan, search)))

    def _record_probe(self, search: CapacitySearch, point: Point, results: Results | None,
                      error: str | None = None) -> None:
        scale = point.values[RATE_KEY]
        if results is None:
            search.record(scale, point.id, None, error=error)
        else:
            search.record(scale, point.id, point_attainment(results), offered_rps=offered_rate(results))

    # -- running -----------------------------------------------------------------------------------
    def run(self) -> None:
        self.emit(SweepEvent("plan", total=len(self.records), reused=self.reused))
        self.write_manifest()
        try:
            while self.queue or self.executor.in_flight():
                while self.queue and self.executor.has_slot(self.queue[0]):
                    self._submit(self.queue.popleft())
                self._handle(self.executor.next_outcome(self._progress))
                self.write_manifest()
        except (KeyboardInterrupt, Interrupted):  # Ctrl-C in Python; SIGINT/SIGTERM under the CLI
            self.executor.cancel_all()
            for record in self.records.values():
                if record.status == RUNNING:  # stopped mid-point (or mid-write): run again next time
                    record.status = PENDING
                    record.failures.append("stopped by Ctrl-C or SIGTERM")
                    self.emit(SweepEvent("stopped", record))
            self.write_manifest()
            raise

    def _submit(self, point: Point) -> None:
        record = self.records[point.id]
        record.status, record.error, record.submitted = RUNNING, None, now_iso()
        record.attempts += 1
        self.executor.submit(point)
        self.emit(SweepEvent("start", record, total=len(self.records)))

    def _progress(self, point: Point, event) -> None:
        self.emit(SweepEvent("progress", self.records[point.id], progress=event))

    def _handle(self, outcome: Outcome) -> None:
        point, record = outcome.point, self.records[outcome.point.id]
        if outcome.kind == DONE:
            run = outcome.run
            save_results(run.results, self.store.point_dir(point.id), save_outputs=point.config.save_outputs)
            record.status, record.error, record.host = COMPLETE, None, run.host
            record.started, record.finished = now_iso(run.started), now_iso(run.finished)
            record.duration_s = round(run.finished - run.started, 3)
            record.figures = key_figures(run.results, bool(point.config.slo.as_dict()))
            self.ran += 1
            self.emit(SweepEvent("land", record, total=len(self.records)))
        elif outcome.kind == FAILED:
            record.status, record.error = POINT_FAILED, outcome.error
            record.failures.append(outcome.error)
            self.emit(SweepEvent("fail", record, total=len(self.records), message=outcome.error))
        else:  # RETRY: the executor has already submitted it again
            record.failures.append(outcome.error)
            record.attempts += 1
            self.emit(SweepEvent("retry", record, message=outcome.error))
        if point.id in self.waiting and outcome.kind in (DONE, FAILED):
            i = self.waiting.pop(point.id)
            results = outcome.run.results if outcome.kind == DONE else None
            self._record_probe(self.searches[i][1], point, results, error=outcome.error)
            self._advance(i)

    # -- what is written -----------------------------------------------------------------------------
    def _capacity_line(self, plan: SearchPlan, search: CapacitySearch) -> str:
        d = search.to_dict()
        answer = {"found": f"×{d['capacity']:g}", "above-max": f"≥ ×{d['capacity']:g} (the largest tried)",
                  "below-min": f"< ×{search.hi:g} (the smallest tried)" if search.hi else "none",
                  "unfinished": f"in [×{search.lo}, ×{search.hi}] (probe limit)",
                  "failed": f"unknown: {search.error}"}[d["status"]]
        rate = f" ≈ {d['offered_rps']:.2f} req/s" if d.get("offered_rps") else ""
        return f"capacity {plan.label}: {answer}{rate} after {len(search.probes)} probes"

    def capacity_doc(self) -> list[dict]:
        s = self.spec.capacity
        return [{"search": plan.key, "label": plan.label, "strategy": plan.values["strategies"],
                 "values": plan.values, "slo": s.slo, "attainment_target": s.attainment,
                 "tolerance": s.tolerance, **search.to_dict()} for plan, search in self.searches]

    def write_manifest(self) -> None:
        self.store.write_manifest({
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "tokbench_version": __version__,
            "spec_file": self.spec.where, "spec_hash": self.spec.hash, "spec": self.spec.canonical(),
            "created": self.created, "updated": now_iso(),
            "executor": self.executor.name,
            "points": [r.to_dict() for r in self.records.values()],
            "capacity": self.capacity_doc() if self.searches else None,
        })

    def outcome(self) -> SweepOutcome:
        return SweepOutcome(self.store.root, list(self.records.values()),
                            self.capacity_doc() if self.searches else [], self.ran, self.reused)
