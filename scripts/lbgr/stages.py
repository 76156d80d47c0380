"""The registry of extraction stages, in the order the build runs them.

A per-report stage is ``f(doc: ReportDoc, ctx: Context) -> dict[resource_name, list[row]]``:
a pure function of one report, so reports can be processed independently and in parallel.
A package stage is ``g(tables: dict[resource_name, DataFrame], ctx) -> dict[resource_name,
DataFrame]``: it derives cross-report tables (or columns) once every report is done.
"""

from __future__ import annotations

from collections.abc import Callable

PerReportStage = Callable[..., dict[str, list[dict]]]
PackageStage = Callable[..., dict]

_registered = False
PER_REPORT_STAGES: list[tuple[str, PerReportStage]] = []
PACKAGE_STAGES: list[tuple[str, PackageStage]] = []


def register_all() -> None:
    """Import the stage modules (each appends itself to the lists above) exactly once."""
    global _registered
    if _registered:
        return
    _registered = True
    # Stage modules are added here as they are written; the order is the run order.
    from . import checks_content, citations, compliance, policy_terms, themes

    citations.register()
    policy_terms.register()
    themes.register()
    compliance.register()
    checks_content.register()
    from . import measures  # measures (per report), report_indicators (package), checks_measures

    measures.register()


# Content checks beyond the core ones (lbgr.checks.core): functions
# ``check(tables, bodies) -> list[str]`` of error messages, registered by the stage modules.
CONTENT_CHECKS: list[Callable[..., list[str]]] = []
