"""The GPU peak table, looked up by device names as torch.cuda.get_device_name() prints them."""

import pytest
import torch

from tokbench.metrics.hardware import TB, device_peaks, lookup, peaks_for

# (name as the driver reports it, peak bandwidth TB/s, dense bf16 TFLOPS)
REAL_NAMES = [
    ("NVIDIA H100 80GB HBM3", 3.35, 989.5),
    ("NVIDIA H100 PCIe", 2.0, 756.5),
    ("NVIDIA H100 NVL", 3.9, 835.5),
    ("NVIDIA H200", 4.8, 989.5),
    ("NVIDIA H200 NVL", 4.8, 835.5),
    ("NVIDIA A100-SXM4-80GB", 2.039, 312),
    ("NVIDIA A100 80GB PCIe", 1.935, 312),
    ("NVIDIA A100-SXM4-40GB", 1.555, 312),
    ("NVIDIA A100-PCIE-40GB", 1.555, 312),
    ("NVIDIA L40S", 0.864, 362.05),
    ("NVIDIA L40", 0.864, 181.05),
    ("NVIDIA L4", 0.300, 121),
    ("NVIDIA A10G", 0.600, 70),
    ("NVIDIA A10", 0.600, 125),
    ("NVIDIA GeForce RTX 4090", 1.008, 165.2),
]


@pytest.mark.parametrize("name,bandwidth,bf16", REAL_NAMES)
def test_known_gpus_by_their_reported_names(name, bandwidth, bf16):
    gpu = lookup(name)
    assert gpu is not None
    assert gpu.bandwidth == pytest.approx(bandwidth * TB)
    assert gpu.half == pytest.approx(bf16 * TB)


@pytest.mark.parametrize("name", ["NVIDIA GeForce RTX 3060", "NVIDIA B200", "Tesla T4", "NVIDIA H800"])
def test_unknown_gpus_are_not_guessed(name):
    assert lookup(name) is None


def _no_probe():
    raise AssertionError("a known GPU must not be measured")


def test_dtype_picks_the_matching_peak():
    name = "NVIDIA H100 80GB HBM3"
    assert peaks_for(name, torch.bfloat16, gpu=True, tf32=False, measure=_no_probe).peak_flops == 989.5 * TB
    assert peaks_for(name, torch.float32, gpu=True, tf32=False, measure=_no_probe).peak_flops == 67 * TB
    tf32 = peaks_for(name, torch.float32, gpu=True, tf32=True, measure=_no_probe)
    assert tf32.peak_flops == 494.7 * TB and tf32.source == "table"


def test_unknown_gpu_falls_back_to_the_probe():
    peaks = peaks_for("NVIDIA Mystery 9000", torch.bfloat16, gpu=True, tf32=False, measure=lambda: (1.5 * TB, 2e14))
    assert (peaks.peak_bandwidth, peaks.peak_flops, peaks.source) == (1.5 * TB, 2e14, "measured")


def test_a_cpu_named_like_a_gpu_is_still_measured():
    # a CPU model string is never looked up in the GPU table
    peaks = peaks_for("NVIDIA Grace A100 lookalike", torch.float32, gpu=False, tf32=False, measure=lambda: (1e11, 1e12))
    assert peaks.source == "measured"


def test_cpu_probe_measures_something_plausible():
    peaks = device_peaks(torch.device("cpu"), torch.float32)
    assert peaks.source == "measured"
    assert 1e8 < peaks.peak_bandwidth < 1e13 and 1e8 < peaks.peak_flops < 1e14


def test_every_gpu_has_a_unique_short_name_that_finds_it():
    from tokbench.metrics.hardware import GPUS, gpu_by_key

    assert len({g.key.lower() for g in GPUS}) == len(GPUS)
    for gpu in GPUS:
        assert gpu_by_key(gpu.key.lower()) is gpu
        assert gpu.memory >= 24e9 and gpu.link >= 64e9 and gpu.bandwidth > 0
    assert gpu_by_key("NVIDIA H100 80GB HBM3").key == "H100-SXM"  # a device name works too


def test_flops_per_dtype_and_the_dtypes_a_gpu_lacks():
    from tokbench.errors import UserError
    from tokbench.metrics.hardware import gpu_by_key

    h100 = gpu_by_key("H100-SXM")
    assert [h100.flops(d) / TB for d in ("bf16", "fp16", "fp8", "tf32", "fp32")] == [989.5, 989.5, 1979, 494.7, 67]
    with pytest.raises(UserError, match="A100-40GB: no peak FLOP/s for dtype 'fp8'"):
        gpu_by_key("A100-40GB").flops("fp8")
    with pytest.raises(UserError, match="not in the hardware table"):
        gpu_by_key("TPU v5")
