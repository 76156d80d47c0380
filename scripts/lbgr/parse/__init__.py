"""Parse: text → the report (``ReportDoc``): header metadata, place (division codes), the
sections tree and paragraphs. ``report.process_text`` runs it for one report; ``context.Context``
holds the codebooks and reference tables every later stage reads."""
