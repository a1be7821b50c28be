"""Run the baseline's benchmark N times in this process: `tokbench run` with the recorded arguments.

In one process the imports, the model build and the device probe are paid once, which keeps a
five-repeat CI gate in tens of seconds on two cores.
"""

from __future__ import annotations

import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Callable

from tokbench.errors import UserError
from tokbench.gate.inject import decode_slowdown


def run_repeats(run_args: list[str], repeats: range, out_dir: Path, slowdown: float,
                progress: Callable[[str], None]) -> list[Path]:
    """Results directories out_dir/repeat-I for I in `repeats`; the runs' own output goes to out_dir/run.log."""
    import tokbench.cli.run_cmd  # noqa: F401  (registers `run` on the app)
    from tokbench.cli.app import app

    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / "run.log"
    dirs = []
    with open(log_path, "w" if repeats.start == 1 else "a", encoding="utf-8") as log, decode_slowdown(slowdown):
        for i in repeats:
            target = out_dir / f"repeat-{i}"
            args = ["run", *run_args, "--out", str(target)]
            log.write(f"$ tokbench {' '.join(args)}\n")
            log.flush()
            start = time.perf_counter()
            try:
                with redirect_stdout(log), redirect_stderr(log):
                    rc = app(args, standalone_mode=False)
            except UserError as exc:
                raise UserError(f"benchmark.run_args: {exc}") from None
            except Exception as exc:  # click's usage errors: a bad flag in the baseline's run_args
                if hasattr(exc, "format_message"):
                    raise UserError(f"benchmark.run_args: {exc.format_message()}") from None
                raise
            if rc not in (None, 0):
                raise UserError(f"benchmark run {i} exited with {rc}; see {log_path}")
            progress(f"repeat {i}/{repeats.stop - 1}: {target} ({time.perf_counter() - start:.1f} s)")
            dirs.append(target)
    return dirs
