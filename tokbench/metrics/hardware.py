"""Peak memory bandwidth and FLOP/s of the device: the denominators of MBU and MFU.

Known GPUs come from NVIDIA's datasheet figures (dense: no 2:4 sparsity); anything else (CPUs,
unknown GPUs) is measured with a short probe, and the result says which it was. A GPU is
recognised from `torch.cuda.get_device_name()` ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB",
"NVIDIA L4", ...) by a pattern with word boundaries, so "L4" never matches an L40S.
"""

from __future__ import annotations

import functools
import platform
import re
import time
from dataclasses import asdict, dataclass
from typing import Callable

import torch

from tokbench.errors import UserError

TB = 1e12
GB = 1e9


@dataclass(frozen=True)
class GpuPeaks:
    key: str  # the short name `--roofline` takes
    pattern: str  # regex searched in the device name, case-insensitive
    bandwidth: float  # bytes/s of device memory
    half: float  # dense bf16/fp16 tensor-core FLOP/s (fp32 accumulate)
    tf32: float  # dense TF32 tensor-core FLOP/s
    fp32: float  # fp32 FLOP/s on CUDA cores (torch's default for fp32 matmuls: TF32 off)
    fp8: float | None  # dense FP8 tensor-core FLOP/s; None where the part has no FP8 tensor cores
    memory: float  # bytes of device memory
    link: float  # GPU-to-GPU bytes/s, both directions together, as datasheets state it (NVLink, else PCIe)

    def flops(self, dtype: str) -> float:
        """Dense peak at a dtype name: bf16, fp16, fp8, tf32 or fp32."""
        peaks = {"bf16": self.half, "fp16": self.half, "fp8": self.fp8, "tf32": self.tf32, "fp32": self.fp32}
        if peaks.get(dtype) is None:
            raise UserError(f"{self.key}: no peak FLOP/s for dtype {dtype!r} "
                            f"(known: {', '.join(k for k, v in peaks.items() if v is not None)})")
        return peaks[dtype]

    def to_dict(self) -> dict:
        return asdict(self)


# Ordered most specific first: the first pattern found in the name wins. All figures are dense
# (no 2:4 sparsity: datasheets print sparse figures, twice these, with an asterisk).
GPUS: tuple[GpuPeaks, ...] = (
    # H200 NVL / SXM: NVIDIA H200 Tensor Core GPU datasheet (141 GB HBM3e at 4.8 TB/s; NVLink
    # 900 GB/s on SXM, 2- or 4-way NVLink bridge at 900 GB/s on NVL).
    GpuPeaks("H200-NVL", r"\bH200 NVL\b", 4.8 * TB, 835.5 * TB, 417.5 * TB, 60 * TB, 1670.5 * TB, 141 * GB, 900 * GB),
    GpuPeaks("H200", r"\bH200\b", 4.8 * TB, 989.5 * TB, 494.7 * TB, 67 * TB, 1979 * TB, 141 * GB, 900 * GB),
    # H100 SXM / PCIe / NVL: NVIDIA H100 Tensor Core GPU datasheet. The SXM part names itself
    # "NVIDIA H100 80GB HBM3"; the PCIe one "NVIDIA H100 PCIe". NVLink 900 GB/s (SXM), 600 GB/s
    # bridge (PCIe, NVL); 80 GB, 80 GB and 94 GB.
    GpuPeaks("H100-NVL", r"\bH100 NVL\b", 3.9 * TB, 835.5 * TB, 417.5 * TB, 60 * TB, 1670.5 * TB, 94 * GB, 600 * GB),
    GpuPeaks("H100-PCIe", r"\bH100 PCIe\b", 2.0 * TB, 756.5 * TB, 378 * TB, 51 * TB, 1513 * TB, 80 * GB, 600 * GB),
    GpuPeaks("H100-SXM", r"\bH100\b.*\b(SXM|HBM3)", 3.35 * TB, 989.5 * TB, 494.7 * TB, 67 * TB, 1979 * TB, 80 * GB,
             900 * GB),
    # A100 80GB / 40GB, SXM4 / PCIe: NVIDIA A100 Tensor Core GPU datasheet (no FP8; NVLink 600 GB/s,
    # a bridge of two on PCIe).
    GpuPeaks("A100-SXM-80GB", r"\bA100\b.*\bSXM4?-80GB", 2.039 * TB, 312 * TB, 156 * TB, 19.5 * TB, None, 80 * GB,
             600 * GB),
    GpuPeaks("A100-PCIe-80GB", r"\bA100\b.*\b80GB\b", 1.935 * TB, 312 * TB, 156 * TB, 19.5 * TB, None, 80 * GB,
             600 * GB),  # "NVIDIA A100 80GB PCIe"
    GpuPeaks("A100-40GB", r"\bA100\b", 1.555 * TB, 312 * TB, 156 * TB, 19.5 * TB, None, 40 * GB,
             600 * GB),  # the 40GB parts, SXM4 and PCIe
    # L40S / L40: NVIDIA L40S and L40 datasheets (48 GB GDDR6, no NVLink: PCIe Gen4 x16, 64 GB/s).
    GpuPeaks("L40S", r"\bL40S\b", 0.864 * TB, 362.05 * TB, 183 * TB, 91.6 * TB, 733 * TB, 48 * GB, 64 * GB),
    GpuPeaks("L40", r"\bL40\b", 0.864 * TB, 181.05 * TB, 90.5 * TB, 90.5 * TB, 362 * TB, 48 * GB, 64 * GB),
    # L4: NVIDIA L4 Tensor Core GPU datasheet (242 / 120 TFLOPS are with sparsity; 24 GB; PCIe Gen4).
    GpuPeaks("L4", r"\bL4\b", 0.300 * TB, 121 * TB, 60 * TB, 30.3 * TB, 242.5 * TB, 24 * GB, 64 * GB),
    # A10G (AWS g5): no NVIDIA datasheet; 600 GB/s GDDR6 and 31.2 TFLOPS fp32 as the A10, tensor
    # throughput as published by AWS for g5 (about 70 dense bf16 TFLOPS per GPU); 24 GB, PCIe Gen4.
    GpuPeaks("A10G", r"\bA10G\b", 0.600 * TB, 70 * TB, 35 * TB, 31.2 * TB, None, 24 * GB, 64 * GB),
    # A10: NVIDIA A10 Tensor Core GPU datasheet (24 GB GDDR6, PCIe Gen4).
    GpuPeaks("A10", r"\bA10\b", 0.600 * TB, 125 * TB, 62.5 * TB, 31.2 * TB, None, 24 * GB, 64 * GB),
    # RTX 4090: NVIDIA Ada Lovelace architecture whitepaper, GeForce RTX 4090 column
    # (165.2 dense FP16/BF16 tensor TFLOPS with FP32 accumulate; 82.6 TFLOPS FP32; 1008 GB/s;
    # 24 GB; no NVLink). FP8 left out: the GeForce part's FP32-accumulate FP8 rate is not the
    # datacenter one and we do not guess it.
    GpuPeaks("RTX-4090", r"\bRTX 4090\b", 1.008 * TB, 165.2 * TB, 82.6 * TB, 82.6 * TB, None, 24 * GB, 64 * GB),
)


def find_gpu(name: str) -> GpuPeaks | None:
    """A table entry by its short name (case-insensitive), else by a device name; None if neither."""
    return next((g for g in GPUS if g.key.lower() == name.lower()), None) or lookup(name)


def gpu_by_key(key: str) -> GpuPeaks:
    """find_gpu, or a UserError listing the short names."""
    found = find_gpu(key)
    if found is None:
        raise UserError(f"GPU {key!r} is not in the hardware table (known: {', '.join(g.key for g in GPUS)})")
    return found


def lookup(name: str) -> GpuPeaks | None:
    for gpu in GPUS:
        if re.search(gpu.pattern, name, flags=re.IGNORECASE):
            return gpu
    return None


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
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


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
    """Copy bandwidth (bytes read + written per second) and matmul FLOP/s, best of a few tries.

    Buffers are far larger than any cache on the device, so the copy streams from memory."""
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    src = torch.empty((2**27 if cuda else 2**25), dtype=torch.float32, device=device).fill_(1.0)
    dst = torch.empty_like(src)

    def copy():
        dst.copy_(src)
        sync()

    bandwidth = 2 * src.numel() * 4 / _best_seconds(copy, 5)
    n = 4096 if cuda else 1024
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)

    def matmul():
        torch.mm(a, b)
        sync()

    flops = 2 * n**3 / _best_seconds(matmul, 5)
    return bandwidth, flops


def peaks_for(name: str, dtype: torch.dtype, *, gpu: bool, tf32: bool,
              measure: Callable[[], tuple[float, float]]) -> DevicePeaks:
    """The table's figures for a known GPU at `dtype`, else `measure()`'s."""
    known = lookup(name) if gpu else None
    if known:
        flops = known.half if dtype in (torch.float16, torch.bfloat16) else (known.tf32 if tf32 else known.fp32)
        return DevicePeaks(name, known.bandwidth, flops, "table")
    bandwidth, flops = measure()
    return DevicePeaks(name, bandwidth, flops, "measured")


def device_peaks(device: torch.device, dtype: torch.dtype) -> DevicePeaks:
    cuda = device.type == "cuda"
    return peaks_for(device_name(device), dtype, gpu=cuda,
                     tf32=cuda and torch.backends.cuda.matmul.allow_tf32,
                     measure=lambda: measured_peaks(device, dtype))
