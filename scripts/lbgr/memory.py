"""Give freed memory back to the operating system between large steps.

pandas and pyarrow allocate through glibc's malloc and Arrow's own pool, and both keep freed
memory for reuse; a long build that reads one group of rows after another would otherwise hold
the high-water mark of every step at once in each process."""

from __future__ import annotations

import ctypes
import gc


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _libc()


def release_memory() -> None:
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
