"""Extract: one report → its content tables: quantities and measures, indicators, citations,
policy terms, themes, compliance. Each stage is a function of one ``ReportDoc`` and the
``Context``; ``lbgr.pipeline`` lists them."""
