"""The registry of extraction stages, in the order the build runs them.

Every stage sees one report at a time, so reports are processed independently, in parallel
worker processes, and their rows are written to disk as soon as they are made (the build never
holds the corpus in memory):

- A per-report stage is ``f(doc: ReportDoc, ctx: Context) -> dict[resource_name, list[row]]``.
- A derived stage is ``g(rows: dict[resource_name, list[row]], ctx) -> dict[resource_name,
  list[row]]``: a table computed from the rows of one report's other tables (for example
  ``report_indicators`` from its ``measures`` and ``sections``).
- A cross-report stage (``CrossReportStage``) fills columns that depend on other reports. It
  summarises each report into something small in the worker, the build combines the summaries,
  and the stage finishes each report's rows with the combined state as they are written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

PerReportStage = Callable[..., dict[str, list[dict]]]
DerivedStage = Callable[..., dict[str, list[dict]]]


class CrossReportStage(Protocol):
    resource: str

    def summarise(self, rows: list[dict]) -> Any:
        """What the stage needs to know of one report's rows of ``resource`` (small, picklable)."""

    def combine(self, summaries: list[Any]) -> Any:
        """The state of the whole package, from every accepted report's summary."""

    def finish(self, rows: list[dict], state: Any) -> list[dict]:
        """One report's rows with the cross-report columns filled in."""


_registered = False
PER_REPORT_STAGES: list[tuple[str, PerReportStage]] = []
DERIVED_STAGES: list[tuple[str, DerivedStage]] = []
CROSS_REPORT_STAGES: list[tuple[str, CrossReportStage]] = []


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
    from . import measures  # measures (per report), report_indicators (derived), checks_measures

    measures.register()


# Content checks beyond the core ones (lbgr.checks.core): functions
# ``check(tables, bodies) -> list[str]`` of error messages, registered by the stage modules.
CONTENT_CHECKS: list[Callable[..., list[str]]] = []


class GlobalCheck(Protocol):
    """A content rule that spans reports: validation shows it every group of reports in turn
    (groups may be seen by different processes, whose checks are then merged)."""

    def observe(self, tables: dict) -> None: ...

    def merge(self, other: GlobalCheck) -> None: ...

    def errors(self) -> list[str]: ...


# Factories of global checks (a fresh object per validation), registered by the stage modules.
GLOBAL_CHECKS: list[Callable[[], GlobalCheck]] = []
