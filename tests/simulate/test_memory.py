"""reused_memory(): numpy makes no huge-page request inside it, and the setting comes back after,
error or not (the glibc side is checked by the 100k benchmark's timing, not here)."""

import pytest

from tokbench.simulate.memory import _hugepage_switch, reused_memory


def test_the_huge_page_request_is_off_inside_and_restored_after():
    switch = _hugepage_switch()
    if switch is None:
        pytest.fail("this numpy has no huge-page switch: memory.py's lookup needs updating")
    get, set_ = switch
    before = get()
    for setting in (True, False):
        set_(setting)
        with reused_memory():
            assert get() is False
        assert get() is setting
        with pytest.raises(RuntimeError), reused_memory():
            raise RuntimeError("boom")
        assert get() is setting
    set_(before)
