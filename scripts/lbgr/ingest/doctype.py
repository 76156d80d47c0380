"""Document-type guard: is a text an annual report on law-based government construction?

Portals publish several annual reports side by side, and a crawl also brings news items about
the reports. Only 法治政府建设(年度)报告 belong in the package; the others are rejected with a
reason a person can read. The patterns are rows of the codebook ``document_types``, tried in
file order, the first that applies deciding:

- ``title`` rows are matched against the title line (skipped when the text has none): the
  other report types first (政府信息公开工作年度报告, 行政执法年度报告, 行政复议年度报告), then news
  wording (召开, 会议, 解读), then the report's own title forms;
- ``opening`` rows against the first ``OPENING_CHARS`` characters of the body (现将…报告如下);
- ``body`` rows against the whole body, matching at least ``min_count`` times.

A text that no row claims is ``news_or_other``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from lbgr import paths

DOCUMENT_CLASSES = ("rule_of_law_report", "gov_info_disclosure_report", "enforcement_report",
                    "reconsideration_report", "plan", "government_work_report", "multi_year_summary",
                    "half_year_summary", "personal_report", "template", "news_or_other")
OPENING_CHARS = 400  # the opening paragraph(s), where reports announce themselves (现将…报告如下)


@dataclass(frozen=True)
class DocTypeRule:
    document_class: str
    target: str
    pattern: re.Pattern
    min_count: int
    reason: str


def load_rules(codebooks: Path = paths.CODEBOOKS) -> tuple[DocTypeRule, ...]:
    with open(Path(codebooks) / "document_types.csv", encoding="utf-8", newline="") as fh:
        return tuple(DocTypeRule(r["document_class"], r["target"], re.compile(r["pattern"], re.M),
                                 int(r["min_count"] or 1), r["reason"])
                     for r in csv.DictReader(fh))


def classify_document(title: str, body: str, rules: tuple[DocTypeRule, ...] | None = None) -> tuple[str, str]:
    """(document class, reason). The class is ``rule_of_law_report`` or a rejection class."""
    rules = load_rules() if rules is None else rules
    title = (title or "").strip()
    texts = {"title": title, "opening": body[:OPENING_CHARS], "body": body}
    for rule in rules:
        text = texts[rule.target]
        if not text:
            continue
        if rule.min_count > 1:
            applies = sum(1 for _ in rule.pattern.finditer(text)) >= rule.min_count
        else:
            applies = rule.pattern.search(text) is not None
        if applies:
            where = f"title '{title}'" if rule.target == "title" else f"{rule.target} of the text"
            return rule.document_class, f"{rule.reason} ({where}, pattern {rule.pattern.pattern!r})"
    shown = f"the title '{title}'" if title else "the text (no title line)"
    return "news_or_other", (f"{shown} does not name an annual report on law-based government construction "
                             "(法治政府建设情况报告), and the body neither announces one nor speaks of "
                             "法治政府建设 often enough to be one")
