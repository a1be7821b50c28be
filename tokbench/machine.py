"""A machine's fingerprint: what decides how fast the same code runs here (CPU, ISA, cores, GPU, torch).

Two runs on equal fingerprints may be compared on absolute timing; on different ones only figures
that do not depend on the machine (the schedule, the tokens) compare, or an A/B on one machine.
The kernel libraries' instruction-set caps (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY) count as part
of the machine: they change which kernels run.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

# CPU features that change which kernels torch, oneDNN and tokbench's C kernels use.
_ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "sve2")
_ISA_ENV = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]
    fields = {}
    for line in first.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def cpu_fingerprint() -> dict:
    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = info.get("model name") or info.get("Model") or platform.processor() or None
    family = "/".join(info[k] for k in ("cpu family", "model", "stepping") if k in info) or None
    return {
        "cpu_model": model,
        "cpu_family_model_stepping": family,  # tells CPU generations apart when the model name does not
        "cpu_isa": sorted(f for f in _ISA_FLAGS if f in flags),
        "cpu_usable": usable,
        "isa_caps": {k: os.environ[k] for k in _ISA_ENV if os.environ.get(k)},
    }


def machine_fingerprint(device: str = "cpu") -> dict:
    """CPU, ISA caps, cores, GPU and torch: equal dicts mean timings may be compared directly."""
    import torch

    out = {**cpu_fingerprint(), "torch": torch.__version__,
           "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    if device.startswith("cuda") and torch.cuda.is_available():
        dev = torch.device(device)
        out.update(gpu=torch.cuda.get_device_name(dev), gpu_memory=torch.cuda.get_device_properties(dev).total_memory,
                   cuda=torch.version.cuda, driver=_nvidia_driver())
    return out


def _nvidia_driver() -> str | None:
    from tokbench.environment import nvidia_driver

    return nvidia_driver()


def fingerprint_differences(a: dict, b: dict) -> list[str]:
    """'field: A vs B' for each field that differs (fields missing on one side are not compared)."""
    diffs = []
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            diffs.append(f"{key}: {_short(a[key])} vs {_short(b[key])}")
    return diffs


def _short(value) -> str:
    text = ",".join(value) if isinstance(value, list) else str(value)
    return re.sub(r"\s+", " ", text)[:80]
