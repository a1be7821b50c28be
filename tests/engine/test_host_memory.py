"""Huge pages for torch's CPU tensors: asked for before the first allocation, the user's own setting
wins, and the status the results record says what really took effect (read from /proc/self/smaps)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tokbench.engine import host_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux-only")

# A fresh interpreter each time: torch reads THP_MEM_ALLOC_ENABLE once, at its first allocation.
SCRIPT = """
{before}
from tokbench.engine.host_memory import _advised_huge, ask_for_huge_pages, huge_pages_status
ask_for_huge_pages()
import torch
weights = torch.empty(1 << 22)  # 16 MiB, like a weight matrix
print(huge_pages_status())
print(_advised_huge(weights.data_ptr()))
"""


def _fresh_process(thp_env: str | None = None, before: str = "") -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != host_memory.THP_ENV}
    if thp_env is not None:
        env[host_memory.THP_ENV] = thp_env
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(before=before)], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    status, advised = out.stdout.strip().splitlines()[-2:]
    return status, advised


def test_big_tensors_get_huge_pages_when_the_user_set_nothing():
    status, advised = _fresh_process()
    assert advised == "True"  # torch advised the kernel, whatever the kernel then does
    if host_memory._kernel_thp_mode() == "never":
        assert status.startswith("off: the kernel's transparent huge pages are 'never'")
    else:
        assert status == "on"


def test_the_users_own_setting_wins():
    status, advised = _fresh_process("0")
    assert status == "off: THP_MEM_ALLOC_ENABLE=0"
    assert advised == "False"


def test_asking_after_torch_allocated_is_reported_as_not_taking_effect():
    status, advised = _fresh_process(before="import torch; early = torch.empty(1 << 22)")
    assert advised == "False"
    if host_memory._kernel_thp_mode() != "never":
        assert status.startswith("off: torch had allocated CPU memory before THP_MEM_ALLOC_ENABLE was set")


def test_a_kernel_with_huge_pages_off_is_named(tmp_path, monkeypatch):
    setting = tmp_path / "enabled"
    setting.write_text("always madvise [never]\n")
    monkeypatch.setattr(host_memory, "_KERNEL_THP", setting)
    monkeypatch.setenv(host_memory.THP_ENV, "1")
    assert host_memory.huge_pages_status() == f"off: the kernel's transparent huge pages are 'never' ({setting})"
