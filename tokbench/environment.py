"""Where a run happened: recorded with every result so a figure can be traced to its machine."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import torch

import tokbench
from tokbench.metrics.hardware import device_name


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def describe_environment(device: torch.device, attention_backend: str) -> dict:
    env = {
        "tokbench_version": tokbench.__version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu_model": device_name(torch.device("cpu")),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "device_name": device_name(device),
        "attention_backend": attention_backend,
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update({
            "device_memory_bytes": props.total_memory,
            "cuda": torch.version.cuda,
            "compute_capability": f"{props.major}.{props.minor}",
        })
        try:
            import pynvml  # from nvidia-ml-py, when present

            pynvml.nvmlInit()
            env["driver"] = pynvml.nvmlSystemGetDriverVersion()
        except Exception:
            env["driver"] = None
    return env
