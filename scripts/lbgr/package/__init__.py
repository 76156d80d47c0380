"""Package: corpus steps. Duplicate detection, rows → typed tables → CSV, Parquet paths and the
``datapackage.json`` descriptor."""
