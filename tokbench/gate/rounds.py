"""The gate's benchmark, run round after round: in this process, or A/B against another tokbench.

In-process rounds call run_benchmark (the model is loaded once). A/B rounds run each side in its
own process — the candidate through tokbench.gate.worker, the reference through its own
`tokbench run` — in alternating order, so drift and bursts of load fall on both sides alike.
Every round's results are written under the output directory; the logs beside them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_flags import config_to_flags
from tokbench.benchmark.model_cache import ModelCache
from tokbench.errors import UserError
from tokbench.gate.reference import Reference
from tokbench.results import Results, load_results
from tokbench.results.fingerprint import measured_fingerprint, mismatches


ONE_ROUND = {"repeats": 1, "target_precision": None, "max_repeats": None}  # the gate's rounds are its own


def _verified_first(config: RunConfig, round_no: int) -> RunConfig:
    # Tokens are deterministic: checking them against the reference once is enough.
    return config.with_values({"verify": round_no == 1, **ONE_ROUND})


def run_rounds(config: RunConfig, rounds: range, out_dir: Path, wrap_runner: Callable | None,
               progress: Callable[[str], None]) -> list[Results]:
    from tokbench.benchmark.run import run_benchmark
    from tokbench.results.writer import save_results

    models = ModelCache()
    out = []
    for i in rounds:
        start = time.perf_counter()
        target = out_dir / f"round-{i}"
        results = run_benchmark(_verified_first(config, i), models=models, wrap_runner=wrap_runner)
        out.append(load_results(save_results(results, target)))
        progress(f"round {i}/{rounds.stop - 1}: {target} ({time.perf_counter() - start:.1f} s)")
    return out


def _run_side(argv: list[str], env: dict | None, log: Path, what: str) -> None:
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        rc = subprocess.run(argv, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        raise UserError(f"{what} exited with {rc}; see {log}")


def run_ab_rounds(config: RunConfig, reference: Reference, rounds: range, out_dir: Path,
                  progress: Callable[[str], None]) -> list[tuple[Results, Results]]:
    """(candidate, reference) results per round; odd rounds start with the candidate, even with the reference."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "ab.log"
    pairs = []
    for i in rounds:
        start = time.perf_counter()
        cand_dir, ref_dir = out_dir / f"round-{i}" / "candidate", out_dir / f"round-{i}" / "reference"
        cand_config = _verified_first(config, i).with_values({"out": str(cand_dir)})
        config_file = out_dir / f"round-{i}.candidate.json"
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(json.dumps(cand_config.to_dict(), indent=2))
        sides = [
            ([sys.executable, "-m", "tokbench.gate.worker", str(config_file), str(cand_dir)], None,
             f"round {i}, candidate"),
            (*reference.command(config_to_flags(config.with_values(ONE_ROUND)), ref_dir),
             f"round {i}, reference {reference.label}"),
        ]
        for argv, env, what in (sides if i % 2 else sides[::-1]):
            _run_side(argv, env, log, what)
        pair = (load_results(cand_dir), load_results(ref_dir))
        differences = mismatches(*(measured_fingerprint(r) for r in pair))  # alike for any two versions
        if differences:  # the reference read the run config differently: an A/B of two benchmarks means nothing
            raise UserError(f"round {i}: {reference.label} ran another benchmark than the candidate "
                            f"({'; '.join(differences[:4])}); see {log}")
        pairs.append(pair)
        progress(f"round {i}/{rounds.stop - 1}: candidate and {reference.label} "
                 f"({time.perf_counter() - start:.1f} s)")
    return pairs
