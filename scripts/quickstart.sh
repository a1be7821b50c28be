#!/usr/bin/env bash
# Install tokbench and run the default benchmark: the tiny random-weight model, the built-in
# high-variance workload, all four strategies, with a token-identity check; results in results/latest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
tokbench run "$@"
