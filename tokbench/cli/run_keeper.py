"""Keep a run's results as it goes: after each strategy, the runs so far replace --out whole,
marked incomplete, so an interruption or a crash loses no finished strategy.

A failed write (a full disk) is remembered, not fatal: the benchmark goes on, and the final write
tries again; what --out then holds is said in one line.
"""

from __future__ import annotations

from pathlib import Path

from tokbench.benchmark.progress import Progress
from tokbench.results.writer import save_results


class ResultsKeeper:
    def __init__(self, out: str, save_outputs: bool):
        self.out = out
        self.save_outputs = save_outputs
        self.kept: list[str] = []  # the runs --out holds now, written by this run (incomplete)
        self.complete = False  # the run's complete results are in --out

    def on_progress(self, event: Progress) -> None:
        if event.kind not in ("done", "failed") or event.so_far is None:
            return
        results = event.so_far()
        if not results.runs:
            return
        try:
            save_results(results, self.out, save_outputs=self.save_outputs)  # marked incomplete
        except OSError:
            return  # --out keeps what it held; the final write tries again and reports
        self.kept = list(results.run_names)

    def finished(self) -> None:
        self.complete = True

    def holds(self) -> str:
        """What --out holds now, for the line that ends an interrupted or failed run."""
        if self.complete:
            return f"{self.out} holds the complete results"
        if not self.kept:
            return f"{self.out} is unchanged"
        return (f"{self.out} keeps the finished {', '.join(self.kept)} (marked incomplete; "
                f"{Path(self.out) / 'results.json'})")
