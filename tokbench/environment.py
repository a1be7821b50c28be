"""Where a run happened: recorded with every result so a figure can be traced to its machine."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
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


# --- The machine's load around a run: what else was using the cores (and the GPU) meanwhile. ---

_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal in /proc/stat's cpu line (guest is in user)


@dataclass(frozen=True)
class LoadSample:
    wall_s: float  # time.monotonic()
    load_average: float | None  # 1-minute load average
    busy_ticks: int | None  # CPU time of the whole machine, all cores, in clock ticks
    own_ticks: int | None  # CPU time of this process (all threads, and its finished children)
    gpu_other_processes: int | None  # other processes on this process's GPU; None: unknown or no GPU


def _machine_busy_ticks() -> int | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        return sum(int(fields[i]) for i in _BUSY_FIELDS if i < len(fields))
    except (OSError, IndexError, ValueError):
        return None


def _own_ticks() -> int | None:
    try:
        # Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are 14-17.
        after_name = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        return sum(int(v) for v in after_name[11:15])
    except (OSError, IndexError, ValueError):
        return None


def _gpu_other_processes(device: torch.device) -> int | None:
    """Other processes holding the GPU (pynvml, else nvidia-smi); None when that cannot be told."""
    if device.type != "cuda":
        return None
    index = device.index if device.index is not None else torch.cuda.current_device()
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle) + pynvml.nvmlDeviceGetGraphicsRunningProcesses(handle)
        pids = {p.pid for p in procs}
    except Exception:  # not installed, or no NVML here
        listing = _command_output(["nvidia-smi", f"--id={index}", "--query-compute-apps=pid", "--format=csv,noheader"])
        if listing is None:
            return None
        pids = {int(line) for line in listing.split() if line.strip().isdigit()}
    return len(pids - {os.getpid()})


def sample_load(device: torch.device) -> LoadSample:
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return LoadSample(time.monotonic(), load, _machine_busy_ticks(), _own_ticks(), _gpu_other_processes(device))


def load_between(before: LoadSample, after: LoadSample) -> dict:
    """The machine's load across a run: load average before and after, the cores' worth of CPU time other
    processes took meanwhile, and other processes on the GPU (the larger count). Unknown figures are null."""
    wall = after.wall_s - before.wall_s
    others = None
    if None not in (before.busy_ticks, after.busy_ticks, before.own_ticks, after.own_ticks) and wall > 0:
        ticks = (after.busy_ticks - before.busy_ticks) - (after.own_ticks - before.own_ticks)
        others = max(0.0, ticks / os.sysconf("SC_CLK_TCK") / wall)
    gpu = [g for g in (before.gpu_other_processes, after.gpu_other_processes) if g is not None]
    return {"load_average_before": before.load_average, "load_average_after": after.load_average,
            "cores": _usable_cores(), "other_cpu_cores": others, "gpu_other_processes": max(gpu) if gpu else None}
