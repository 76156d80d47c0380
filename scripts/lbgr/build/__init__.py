"""Build: the orchestration of a run (``run.build``), the per-report result cache, the fragments
each worker spools, and the atomic install of the finished package."""
