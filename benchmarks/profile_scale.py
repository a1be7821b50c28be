"""Scale benchmark: `tokbench profile` on a 10M-row Azure-2023-format CSV, and ffd_pack on 1M items.

    python benchmarks/profile_scale.py [--rows 10000000] [--keep]

Writes the CSV to /tmp (about 400 MB; reused if present), runs `python -m tokbench profile --json`
in a child process and reports its wall time and peak RSS (the child's ru_maxrss), then times
FFD packing of 1M lognormal sequence lengths at several token budgets.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHUNK_ROWS = 1_000_000


def write_azure_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Azure 2023 layout: 'YYYY-MM-DD HH:MM:SS.fffffff', Poisson arrivals at ~100 req/s."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-11-16T18:00:00", "ns")
    clock_ns = 0
    tmp = path.with_suffix(".partial")
    with open(tmp, "w") as fh:
        fh.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            offsets = clock_ns + np.cumsum(rng.exponential(1e7, n)).astype(np.int64)
            clock_ns = int(offsets[-1])
            stamps = np.datetime_as_string(start + offsets.astype("timedelta64[ns]"), unit="ns")
            # numpy prints 9 decimals and a 'T'; Azure 2023 has 7 decimals and a space.
            text = np.char.replace(stamps.astype("U27"), "T", " ")
            prompts = np.maximum(1, rng.lognormal(7.0, 1.0, n)).astype(np.int64)
            outputs = np.maximum(1, rng.lognormal(5.0, 0.9, n)).astype(np.int64)
            lines = [f"{t},{p},{o}" for t, p, o in zip(text.tolist(), prompts.tolist(), outputs.tolist())]
            fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def time_profile(path: Path) -> tuple[float, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tokbench", "profile", str(path), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"profile failed: {done.stderr.strip()}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
    return wall, peak_mib


def time_ffd(n: int = 1_000_000) -> dict[int, float]:
    from tokbench.workload.ffd import ffd_pack

    sizes = np.maximum(1, np.random.default_rng(0).lognormal(np.log(800), 1.2, n)).astype(np.int64)
    times = {}
    for budget in (2048, 8192, 32768):
        start = time.perf_counter()
        ffd_pack(sizes, budget, 16)
        times[budget] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args()
    path = Path(f"/tmp/tokbench_azure2023_{args.rows}.csv")
    if not path.exists():
        start = time.perf_counter()
        write_azure_csv(path, args.rows)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    wall, peak = time_profile(path)
    print(f"profile {args.rows:,} rows: wall {wall:.1f} s, peak RSS {peak:.0f} MiB")
    for budget, seconds in time_ffd().items():
        print(f"ffd_pack 1,000,000 sequences, budget {budget}: {seconds:.2f} s")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
