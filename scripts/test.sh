#!/usr/bin/env bash
# Install tokbench with its test extras (CPU torch first: a bare `torch` would pull a CUDA build), run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "torch==2.13.0" 2>/dev/null || python3 -m pip install -q "torch>=2.4"
python3 -m pip install -q -e ".[test]"
python3 -m pytest -q "$@"
