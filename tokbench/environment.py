"""Where a run happened: recorded with every result so a figure can be traced to its machine."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import torch

import tokbench
from tokbench.machine import machine_fingerprint
from tokbench.metrics.hardware import device_name


def _command_output(args: list[str], cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def _git_commit() -> str | None:
    return _command_output(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent.parent)


def _system_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return None


def _usable_cores() -> int | None:
    # A container or taskset may allow fewer cores than the machine has; torch uses the allowed ones.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def nvidia_driver() -> str | None:
    try:
        import pynvml  # from nvidia-ml-py, when present

        pynvml.nvmlInit()
        return str(pynvml.nvmlSystemGetDriverVersion())
    except Exception:  # not installed, or no NVML on this machine
        pass
    first = _command_output(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
    return first.splitlines()[0].strip() if first else None


def describe_environment(device: torch.device, attention_backend: str) -> dict:
    """The fields docs/results-format.md lists under `environment`; unknown values are null, never guessed."""
    cuda = device.type == "cuda"
    props = torch.cuda.get_device_properties(device) if cuda else None
    return {
        "tokbench_version": tokbench.__version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "driver": nvidia_driver() if cuda else None,
        "platform": platform.platform(),
        "cpu_model": device_name(torch.device("cpu")),
        "cpu_count": os.cpu_count(),
        "cpu_usable": _usable_cores(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "device_name": device_name(device),
        # A GPU's own memory; on CPU the machine's RAM, which is what the model and KV live in.
        "device_memory_bytes": props.total_memory if cuda else _system_memory_bytes(),
        "compute_capability": f"{props.major}.{props.minor}" if cuda else None,
        "attention_backend": attention_backend,
        # What decides how fast the same code runs here: gate compares timing only on equal ones.
        "machine": machine_fingerprint(str(device)),
    }
