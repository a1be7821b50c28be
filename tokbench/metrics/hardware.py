"""Peak memory bandwidth and FLOP/s of the device: the denominators of MBU and MFU.

Known GPUs come from a table of datasheet figures (dense, no sparsity); anything else (CPUs,
unknown GPUs) is measured with a short probe, and the result says which it was.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass

import torch

TB = 1e12

# name fragment -> (peak bandwidth B/s, dense bf16/fp16 tensor FLOP/s, dense fp32 FLOP/s (TF32 where used))
GPU_PEAKS: dict[str, tuple[float, float, float]] = {
    "H200": (4.8 * TB, 989 * TB, 67 * TB),
    "H100 SXM": (3.35 * TB, 989 * TB, 67 * TB),
    "H100 80GB HBM3": (3.35 * TB, 989 * TB, 67 * TB),
    "H100 PCIe": (2.0 * TB, 756 * TB, 51 * TB),
    "H100 NVL": (3.9 * TB, 835 * TB, 60 * TB),
    "A100-SXM4-80GB": (2.039 * TB, 312 * TB, 19.5 * TB),
    "A100 80GB PCIe": (1.935 * TB, 312 * TB, 19.5 * TB),
    "A100-SXM4-40GB": (1.555 * TB, 312 * TB, 19.5 * TB),
    "A100-PCIE-40GB": (1.555 * TB, 312 * TB, 19.5 * TB),
    "L40S": (0.864 * TB, 362 * TB, 91.6 * TB),
    "L4": (0.300 * TB, 121 * TB, 30.3 * TB),
    "A10G": (0.600 * TB, 70 * TB, 31.2 * TB),
    "RTX 4090": (1.008 * TB, 165 * TB, 82.6 * TB),
    "GTX 1080": (0.320 * TB, 8.9 * TB, 8.9 * TB),
}


@dataclass(frozen=True)
class DevicePeaks:
    device_name: str
    peak_bandwidth: float  # bytes/s
    peak_flops: float  # FLOP/s at the run's dtype
    source: str  # "table" or "measured"

    def to_dict(self) -> dict:
        return asdict(self)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def _lookup(name: str) -> tuple[float, float, float] | None:
    for fragment in sorted(GPU_PEAKS, key=len, reverse=True):  # most specific first
        if fragment.lower() in name.lower():
            return GPU_PEAKS[fragment]
    return None


def _best_seconds(fn, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


@functools.lru_cache(maxsize=None)
def measured_peaks(device: torch.device, dtype: torch.dtype) -> tuple[float, float]:
    """Copy bandwidth (bytes read + written per second) and matmul FLOP/s, best of a few tries."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    src = torch.empty(32 * 2**20, dtype=torch.float32, device=device).fill_(1.0)
    dst = torch.empty_like(src)

    def copy():
        dst.copy_(src)
        sync()

    bandwidth = 2 * src.numel() * 4 / _best_seconds(copy, 5)
    n = 1024
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)

    def matmul():
        torch.mm(a, b)
        sync()

    flops = 2 * n**3 / _best_seconds(matmul, 5)
    return bandwidth, flops


def device_peaks(device: torch.device, dtype: torch.dtype) -> DevicePeaks:
    name = device_name(device)
    known = _lookup(name) if device.type == "cuda" else None
    if known:
        bandwidth, half, single = known
        return DevicePeaks(name, bandwidth, single if dtype == torch.float32 else half, "table")
    bandwidth, flops = measured_peaks(device, dtype)
    return DevicePeaks(name, bandwidth, flops, "measured")
