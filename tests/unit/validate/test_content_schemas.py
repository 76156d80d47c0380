"""The content tables and their codebooks against their schemas, and the content checks."""

from __future__ import annotations

import pandas as pd
import pytest

from lbgr import pipeline
from lbgr.extract.citations import extract_citations
from lbgr.extract.compliance import extract_compliance
from lbgr.extract.policy_terms import extract_policy_terms, flag_shared_terms
from lbgr.extract.themes import code_themes
from lbgr.package.tables import frame, read_table
from lbgr.schema_registry import load_resources
from lbgr.validate import RULES, content_rules
from lbgr.validate.schemas import dataframe_schema
from testroot import ROOT

CONTENT_TABLES = ["citations", "policy_terms", "paragraph_themes", "theme_attention", "compliance"]
CODEBOOKS = ["themes", "theme_keywords", "theme_crosswalk_2015", "citation_doc_types", "citation_verbs",
             "citation_suffixes", "citation_scope", "compliance_rules", "document_types", "number_words"]


def test_the_stages_are_listed_and_the_rules_run_by_validation():
    names = [n for n, _ in pipeline.PER_REPORT_STAGES]
    assert {"citations", "policy_terms", "themes", "compliance"} <= set(names)
    assert "policy_terms_shared" in [n for n, _ in pipeline.CROSS_REPORT_STAGES]
    checks = [r.check for r in RULES]
    for rule in (content_rules.check_citations, content_rules.check_policy_terms, content_rules.check_themes,
                 content_rules.check_compliance):
        assert checks.count(rule) == 1


@pytest.mark.parametrize("name", CODEBOOKS)
def test_every_codebook_is_valid_against_its_table_schema(name):
    spec = load_resources()[name]
    assert spec["path"] == f"data/codebooks/{name}.csv"
    df = read_table(ROOT / spec["path"], name)
    dataframe_schema(name).validate(df, lazy=True)
    assert len(df) > 0


@pytest.fixture(scope="module")
def tables(ctx, corpus) -> dict[str, pd.DataFrame]:
    """The content tables of the corpus, built the way the build does it."""
    rows: dict[str, list[dict]] = {}
    for key in sorted(corpus):
        result = corpus[key]
        outputs = [result.tables] + [stage(result.doc, ctx) for stage in
                                     (extract_citations, extract_policy_terms, code_themes, extract_compliance)]
        for output in outputs:
            for resource, table_rows in output.items():
                rows.setdefault(resource, []).extend(table_rows)
    frames = {name: frame(name, rows[name]) for name in ["reports", "sections", "paragraphs", *CONTENT_TABLES]}
    frames.update(flag_shared_terms(frames, ctx))
    frames["themes"] = read_table(ROOT / "data/codebooks/themes.csv", "themes")
    return frames


@pytest.fixture(scope="module")
def bodies(corpus) -> dict[str, str]:
    return {r.doc.report_id: r.doc.body for r in corpus.values()}


@pytest.mark.parametrize("name", CONTENT_TABLES)
def test_content_tables_of_the_corpus_are_valid_against_their_schemas(tables, name):
    dataframe_schema(name).validate(tables[name], lazy=True)


def test_content_checks_pass_on_the_corpus(tables, bodies):
    assert content_rules.check(tables, bodies) == []


def test_content_checks_name_the_rows_that_break_them(tables, bodies):
    broken = {k: v.copy() for k, v in tables.items()}
    broken["citations"].loc[0, "char_start"] += 1
    child = broken["citations"].dropna(subset=["parent_citation_id"]).index[0]
    broken["citations"].loc[child, "parent_citation_id"] = broken["citations"].loc[0, "citation_id"]
    broken["policy_terms"].loc[3, "is_in_other_reports"] = not bool(broken["policy_terms"].loc[3, "is_in_other_reports"])
    shares = broken["theme_attention"]
    shares.loc[shares.index[0], "char_share"] = 0.9
    shares.loc[shares.index[1], "n_units_attributed"] += 1
    broken["paragraph_themes"] = broken["paragraph_themes"].drop(index=broken["paragraph_themes"].index[5])
    broken["compliance"].loc[0, "problems_part_ordinal"] = 9
    broken["compliance"].loc[1, "days_after_year_end"] = 1
    errors = " | ".join(content_rules.check(broken, bodies))
    for what in ("citations: cited_title is not the body text", tables["citations"].citation_id[0],
                 "nested title not inside its parent", "policy_terms: is_in_other_reports",
                 tables["policy_terms"].term_id[3], "do not sum to 1", "attributed units",
                 "do not tile it", "element part does not match", "days_after_year_end disagree"):
        assert what in errors, what


def test_the_enumerations_in_code_and_schema_agree():
    from lbgr.extract.themes import ASSIGNMENT_RULES
    from lbgr.ingest.doctype import DOCUMENT_CLASSES
    from lbgr.schema_registry import table_schema

    def enum(resource, field):
        return next(f for f in table_schema(resource)["fields"] if f["name"] == field)["constraints"]["enum"]

    assert tuple(enum("paragraph_themes", "assignment_rule")) == ASSIGNMENT_RULES
    assert tuple(enum("document_types", "document_class")) == DOCUMENT_CLASSES
    codebook_types = set(read_table(ROOT / "data/codebooks/citation_doc_types.csv", "citation_doc_types").doc_type)
    assert codebook_types | {"other"} == set(enum("citations", "doc_type"))


def test_compliance_checks_hold_without_a_problems_part_and_catch_stray_causes_and_figures(tables, bodies, ctx, corpus):
    from lbgr.extract.measures import extract_measures

    checked = {k: v.copy() for k, v in tables.items()}
    checked["measures"] = frame("measures", [m for r in corpus.values() for m in extract_measures(r.doc, ctx)["measures"]])
    assert content_rules.check_compliance(checked, bodies) == []
    compliance = checked["compliance"]
    no_problems = compliance.index[0]  # as a report without a problems part has it: the candour fields empty
    for col in ("has_causes", "causes_evidence", "causes_char_start", "causes_char_end", "problems_section_id",
                "problems_part_ordinal", "n_problems", "problems_char_share"):
        compliance.loc[no_problems, col] = pd.NA
    compliance.loc[no_problems, "has_problems_part"] = False
    assert content_rules.check_compliance(checked, bodies) == []
    compliance.loc[compliance.index[1], "causes_char_start"] = 0
    compliance.loc[compliance.index[2], "n_figures"] += 1
    errors = " | ".join(content_rules.check_compliance(checked, bodies))
    assert f"{compliance.report_id[compliance.index[1]]}" in errors and "causes evidence span" in errors
    assert "n_figures differs from the report's rows in measures" in errors


def test_element_names_live_in_the_elements_codebook_and_match_the_schemas():
    """The codebook ``elements`` names every element once; the reports and compliance columns are
    those names, so renaming an element in one place and not the other fails here."""
    import csv

    from lbgr import paths
    from lbgr.schema_registry import table_schema

    with open(paths.CODEBOOKS / "elements.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    reports = {f["name"] for f in table_schema("reports")["fields"]}
    compliance = {f["name"] for f in table_schema("compliance")["fields"]}
    flagged = {r["element_name"] for r in rows if r["is_flagged_in_reports"] == "true"}
    assert flagged == {c[len("has_"):] for c in reports if c.startswith("has_") and f"{c[4:]}_evidence" in reports}
    assert {r["element_name"] for r in rows} == {c[len("has_"):-len("_part")] for c in compliance
                                                  if c.startswith("has_") and c.endswith("_part")}
    with open(paths.CODEBOOKS / "part_types.csv", encoding="utf-8", newline="") as fh:
        assert {r["element_code"] for r in csv.DictReader(fh)} <= {r["element_code"] for r in rows}
