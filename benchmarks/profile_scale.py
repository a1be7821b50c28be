"""Scale benchmark: `tokbench profile` on a 10M-row Azure-format CSV, and ffd_pack on 1M items.

    python benchmarks/profile_scale.py [--rows 10000000] [--layout 2023|2024] [--keep]

Writes the CSV to /tmp (about 350-420 MB; reused if present), runs `python -m tokbench profile
--json` in a child process and reports its wall time and peak RSS (the child's ru_maxrss, which
includes the interpreter, pandas and pyarrow), then
times FFD packing of 1M lognormal sequence lengths at several token budgets. The load average is
printed before and after: the figures mean little on a busy machine.

Layouts: 2023 = 'YYYY-MM-DD HH:MM:SS.fffffff' (7 decimals, no zone); 2024 = microseconds with a
'+00:00' zone, 2% of rows written without a fraction (the real files' quirk: such a row can read up
to a second earlier than the row before it).
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


def _timestamps(start: np.datetime64, offsets_ns: np.ndarray, layout: str, rng) -> list[str]:
    stamps = start + offsets_ns.astype("timedelta64[ns]")
    if layout == "2023":
        # numpy prints 9 decimals and a 'T'; Azure 2023 has 7 decimals and a space.
        text = np.char.replace(np.datetime_as_string(stamps, unit="ns").astype("U27"), "T", " ")
        return text.tolist()
    micro = np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ")
    whole = rng.random(micro.size) < 0.02
    micro[whole] = np.char.partition(micro[whole], ".")[:, 0]  # whole-second rows: fraction dropped
    return [t + "+00:00" for t in micro.tolist()]


def write_azure_csv(path: Path, rows: int, layout: str, seed: int = 0) -> None:
    """Azure layout, Poisson arrivals at ~100 req/s, lognormal lengths."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-11-16T18:00:00" if layout == "2023" else "2024-05-10T00:00:00", "ns")
    clock_ns = 0
    tmp = path.with_suffix(".partial")
    with open(tmp, "w") as fh:
        fh.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            offsets = clock_ns + np.cumsum(rng.exponential(1e7, n)).astype(np.int64)
            clock_ns = int(offsets[-1])
            text = _timestamps(start, offsets, layout, rng)
            prompts = np.maximum(1, rng.lognormal(7.0, 1.0, n)).astype(np.int64)
            outputs = np.maximum(1, rng.lognormal(5.0, 0.9, n)).astype(np.int64)
            lines = [f"{t},{p},{o}" for t, p, o in zip(text, prompts.tolist(), outputs.tolist())]
            fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def time_profile(path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys: steadier than wall on a shared machine), peak RSS MiB."""
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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KiB


def time_ffd(n: int = 1_000_000) -> dict[int, float]:
    from tokbench.workload.ffd import ffd_pack

    sizes = np.maximum(1, np.random.default_rng(0).lognormal(np.log(800), 1.2, n)).astype(np.int64)
    times = {}
    for budget in (2048, 8192, 32768):
        start = time.perf_counter()
        ffd_pack(sizes, budget, 16)
        times[budget] = time.perf_counter() - start
    return times


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--layout", choices=("2023", "2024"), default="2023")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args()
    path = Path(f"/tmp/tokbench_azure{args.layout}_{args.rows}.csv")
    if not path.exists():
        start = time.perf_counter()
        write_azure_csv(path, args.rows, args.layout)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    print(f"before: {_load()}")
    wall, cpu, peak = time_profile(path)
    print(f"profile {args.rows:,} rows ({args.layout} layout): wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MiB")
    for budget, seconds in time_ffd().items():
        print(f"ffd_pack 1,000,000 sequences, budget {budget}: {seconds:.2f} s")
    print(f"after: {_load()}")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
