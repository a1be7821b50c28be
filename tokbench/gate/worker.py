"""The candidate side of an A/B gate round, in its own process like the reference side:

    python -m tokbench.gate.worker RUN_CONFIG.json OUT_DIR

runs the config through run_benchmark (with the gate's injected slowdown when it is set) and
writes one results directory.
"""

from __future__ import annotations

import sys

from tokbench.errors import UserError


def main(argv: list[str]) -> int:
    from tokbench.benchmark.config_files import load_config
    from tokbench.benchmark.run import run_benchmark
    from tokbench.gate.inject import decode_slowdown, injected_fraction
    from tokbench.results.writer import save_results

    config_path, out = argv
    try:
        config = load_config(config_path)
        results = run_benchmark(config, wrap_runner=decode_slowdown(injected_fraction()))
        save_results(results, out, save_outputs=config.save_outputs)
    except UserError as exc:
        print(f"tokbench: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
