"""The memory helpers of the build: what they promise is observable through gc and /proc."""

import gc
import subprocess
import sys

import pytest

from lbgr.memory import shared_with_forks


def test_shared_with_forks_freezes_then_unfreezes():
    held = [object() for _ in range(1000)]
    assert gc.get_freeze_count() == 0
    with shared_with_forks():
        # Everything alive on entry (``held`` included) is out of the collector's reach.
        assert gc.get_freeze_count() >= len(held)
    assert gc.get_freeze_count() == 0


def test_shared_with_forks_unfreezes_after_an_error():
    with pytest.raises(RuntimeError), shared_with_forks():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def _visible(objects: list) -> bool:
    """Whether any of ``objects`` is in the collector's generations (frozen ones are not)."""
    ids = {id(o) for o in objects}
    return any(id(o) in ids for o in gc.get_objects())


def test_shared_with_forks_keeps_the_callers_freeze():
    # Counting frozen objects would not do: a frozen object that dies leaves the count.
    held = [[] for _ in range(100)]
    gc.freeze()
    try:
        assert not _visible(held)
        with shared_with_forks():
            assert not _visible(held)
        assert not _visible(held)  # the caller's objects are still out of reach
    finally:
        gc.unfreeze()
    assert _visible(held)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc")
def test_freed_large_blocks_leave_the_process():
    """By default glibc maps the first freed 16 MiB block but then raises its threshold, so that
    the next ones come from the heap and stay there when freed; with ``map_large_blocks`` none
    stays. Run in a fresh interpreter: the setting lasts for the life of a process."""
    script = """
import sys
from lbgr.memory import map_large_blocks
def rss_kib():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 // 1024
if sys.argv[1] == "on":
    map_large_blocks()
before, small = rss_kib(), []
for _ in range(4):
    block = b"x" * (16 << 20)
    small.append(b"y" * 100)  # allocated after the block, so the heap cannot shrink past it
    del block
print(rss_kib() - before)
"""
    grown = {mode: int(subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                      check=True).stdout) for mode in ("off", "on")}
    if grown["off"] < 12 << 10:  # KiB
        pytest.skip(f"this malloc gives the blocks back by itself ({grown})")
    assert grown["on"] < 4 << 10, grown
