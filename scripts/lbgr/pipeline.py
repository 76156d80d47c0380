"""The pipeline, in the order data flows: every step, the function it calls, the codebooks and
reference tables it reads and the tables it makes.

This list is the one place that wires the stages together. It imports the stage modules
top-down; no stage module imports it, and nothing registers itself. The build runs the steps
from here, the result cache keys each step on its code and the files it reads (``lbgr.build.cache``),
and the book's methods page draws the stages from it.

Kinds of step:

- ``per_report``: ``f(doc: ReportDoc, ctx: Context) -> {table: [row]}``, one report at a time,
  in worker processes;
- ``derived``: ``g(rows: {table: [row]}, ctx) -> {table: [row]}``, a table computed from one
  report's other tables;
- ``cross_report``: a ``CrossReportStage`` (below) that fills columns depending on other
  reports: it summarises each report in the worker, the build combines the summaries and
  finishes each report's rows as the tables are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from lbgr.extract import citations, compliance, measures, policy_terms, themes
from lbgr.extract.indicators import report_indicator_rows
from lbgr.parse import report


class CrossReportStage(Protocol):
    resource: str

    def summarise(self, rows: list[dict]) -> Any:
        """What the stage needs to know of one report's rows of ``resource`` (small, picklable)."""

    def combine(self, summaries: list[Any]) -> Any:
        """The state of the whole package, from every accepted report's summary."""

    def finish(self, rows: list[dict], state: Any) -> list[dict]:
        """One report's rows with the cross-report columns filled in."""


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # parse / per_report / derived / cross_report
    run: Callable | CrossReportStage
    codebooks: tuple[str, ...] = ()  # data/codebooks/<name>.csv it reads
    reference: tuple[str, ...] = ()  # data/reference/<name>.csv it reads
    tables: tuple[str, ...] = ()  # the tables it makes (or finishes)
    reads: tuple[str, ...] = ()  # tables of other steps it reads (a derived step)
    code: tuple[str, ...] = ()  # lbgr modules it runs beyond those its function's module imports
    notes: str = field(default="", compare=False)

    @property
    def module(self) -> str:
        """The module of the function (or of the cross-report stage's class) the step runs."""
        run = self.run
        return run.__module__ if hasattr(run, "__name__") else type(run).__module__


STEPS: list[Step] = [
    Step("parse", "parse", report.process_text, code=("lbgr.ingest.decode",),
         codebooks=("furniture", "document_types", "part_types", "elements"), reference=("divisions", "division_history"),
         tables=("reports", "sections", "paragraphs"),
         notes="bytes → text → normalised body, header metadata, place, sections and paragraphs"),
    Step("citations", "per_report", citations.extract_citations,
         codebooks=("citation_doc_types", "citation_verbs", "citation_suffixes", "citation_scope"),
         reference=("divisions", "division_history"), tables=("citations",)),
    Step("policy_terms", "per_report", policy_terms.extract_policy_terms, tables=("policy_terms",)),
    Step("themes", "per_report", themes.code_themes, codebooks=("themes", "theme_keywords"),
         tables=("paragraph_themes", "theme_attention")),
    Step("compliance", "per_report", compliance.extract_compliance, codebooks=("compliance_rules", "elements", "number_words"),
         tables=("compliance",)),
    Step("measures", "per_report", measures.extract_measures,
         codebooks=("indicators", "unit_families", "number_words"), tables=("measures",)),
    Step("report_indicators", "derived", report_indicator_rows,
         codebooks=("indicators", "unit_families", "plausibility_checks"),
         reads=("measures", "sections"), tables=("report_indicators",)),
    Step("policy_terms_shared", "cross_report", policy_terms.SHARED_TERMS, tables=("policy_terms",),
         notes="n_reports_with_term and is_in_other_reports, over the whole package"),
]

PER_REPORT_STAGES: list[tuple[str, Callable]] = [(s.name, s.run) for s in STEPS if s.kind == "per_report"]
DERIVED_STAGES: list[tuple[str, Callable]] = [(s.name, s.run) for s in STEPS if s.kind == "derived"]
CROSS_REPORT_STAGES: list[tuple[str, CrossReportStage]] = [(s.name, s.run) for s in STEPS if s.kind == "cross_report"]


def step_making(table: str) -> Step:
    """The first step that makes ``table``."""
    return next(s for s in STEPS if table in s.tables)
