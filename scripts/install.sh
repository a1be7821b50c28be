#!/usr/bin/env bash
# Install tokbench (editable) with the extras given as arguments, e.g. `bash scripts/install.sh test`.
# torch is installed first and pinned: a bare `torch` requirement with no torch present pulls a
# multi-GB CUDA build even on CPU machines; an already installed torch is kept as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c "import torch" 2>/dev/null; then
    python3 -m pip install -q "torch==2.13.0" || python3 -m pip install -q "torch>=2.4"
fi
extras=$(IFS=,; echo "$*")
python3 -m pip install -q -e ".${extras:+[$extras]}"
