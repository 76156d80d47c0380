"""Give freed memory back to the operating system between large steps.

pandas and pyarrow allocate through glibc's malloc and Arrow's own pool, and both keep freed
memory for reuse; a long build that reads one group of rows after another would otherwise hold
the high-water mark of every step at once in each process."""

from __future__ import annotations

import ctypes
import gc
from contextlib import contextmanager


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _libc()
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
_MMAP_FROM = 1 << 20


def map_large_blocks() -> None:
    """Have glibc's malloc take every block of 1 MiB or more straight from the system, and give
    it back when it is freed.

    By default the threshold for that grows with every large block freed (up to 32 MiB), after
    which the column arrays and read buffers of each group of rows are carved from the heap and
    stay in the process when freed, fragmented. Set once per process (workers made by fork
    inherit it); does nothing where malloc is not glibc's."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM)


def release_memory() -> None:
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


@contextmanager
def shared_with_forks():
    """Keep the objects this process holds now out of its forked workers' garbage collections.

    A worker made by ``fork`` shares its parent's memory until it writes to a page, and a
    collection writes to the header of every object it visits: without this, each worker soon
    holds a private copy of most of the parent's heap (the imported libraries included). Frozen
    objects are never visited (``gc.freeze``), in the workers or here, until the block ends.

    ``gc.unfreeze`` cannot tell one freeze from another: if the caller had frozen objects itself,
    they (and what this block froze with them) stay frozen when it ends."""
    callers_freeze = gc.get_freeze_count() > 0
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        if not callers_freeze:
            gc.unfreeze()
