#!/usr/bin/env bash
# Install tokbench and run the default benchmark: the tiny random-weight model, the built-in `quick`
# workload (48 requests shaped like high-variance), all four strategies, on the CPU; results in
# results/latest. Extra arguments go to `tokbench run` (e.g. --verify, --workload high-variance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
tokbench run "$@"
