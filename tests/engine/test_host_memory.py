"""Huge pages for torch's CPU tensors: asked for before the first allocation, the user's own setting
wins, nothing leaks into the environment, and the status the results record says what really took
effect (read from /proc/self/smaps)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tokbench.engine import host_memory

MODE = host_memory._kernel_thp_mode()  # 'always', 'madvise', 'never'; None: no huge pages in this kernel
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or MODE is None,
                                reason="transparent huge pages need Linux with THP support")

# A fresh interpreter each time: torch reads THP_MEM_ALLOC_ENABLE once, at its first allocation.
SCRIPT = """
import os
{before}
from tokbench.engine.host_memory import _advised_huge, ask_for_huge_pages, huge_pages_status
ask_for_huge_pages()
import torch
weights = torch.empty(1 << 22)  # 16 MiB, like a weight matrix
print(huge_pages_status())
print(_advised_huge(weights.data_ptr()))
print(os.environ.get("THP_MEM_ALLOC_ENABLE"))
"""


def _fresh_process(thp_env: str | None = None, before: str = "") -> tuple[str, str, str]:
    env = {k: v for k, v in os.environ.items() if k != host_memory.THP_ENV}
    if thp_env is not None:
        env[host_memory.THP_ENV] = thp_env
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(before=before)], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    status, advised, left_in_env = out.stdout.strip().splitlines()[-3:]
    if advised == "None":
        pytest.skip("/proc/self/smaps has no VmFlags here")
    return status, advised, left_in_env


def _expected(under_madvise: str) -> str:
    """The status for a kernel in this machine's mode, given what it is in mode 'madvise'."""
    if MODE == "never":
        return f"off: the kernel's transparent huge pages are 'never' ({host_memory._KERNEL_THP})"
    return "on (kernel mode always)" if MODE == "always" else under_madvise


def test_big_tensors_get_huge_pages_when_the_user_set_nothing_and_the_environment_is_left_as_it_was():
    status, advised, left_in_env = _fresh_process()
    assert advised == "True"  # torch advised the kernel, whatever the kernel then does
    assert status == _expected("on")
    assert left_in_env == "None"  # subprocesses inherit nothing from tokbench


def test_the_users_own_setting_wins():
    status, advised, left_in_env = _fresh_process("0")
    assert advised == "False" and left_in_env == "0"
    assert status == _expected("off: THP_MEM_ALLOC_ENABLE=0")


def test_a_value_torch_does_not_read_is_named():
    status, advised, _ = _fresh_process("true")
    assert advised == "False"
    assert status == _expected("off: THP_MEM_ALLOC_ENABLE=true (torch reads only 0 or 1)")


def test_asking_after_torch_allocated_is_reported_as_not_taking_effect():
    status, advised, _ = _fresh_process(before="import torch; early = torch.empty(3)")
    assert advised == "False"
    assert status == _expected("off: torch did not advise huge pages (it had allocated before "
                               "THP_MEM_ALLOC_ENABLE could be set, or madvise failed)")


def test_a_kernel_with_huge_pages_off_is_named(tmp_path, monkeypatch):
    setting = tmp_path / "enabled"
    setting.write_text("always madvise [never]\n")
    monkeypatch.setattr(host_memory, "_KERNEL_THP", setting)
    assert host_memory.huge_pages_status() == f"off: the kernel's transparent huge pages are 'never' ({setting})"
