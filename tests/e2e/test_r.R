# Loads the package in R as the README shows without the CRAN frictionless package (out of reach
# offline): base R's read.csv with the column classes of each Table Schema (jsonlite), and the
# release's Stata files with haven. Prints one JSON object that tests/e2e/test_r.py checks.
# Usage: Rscript tests/e2e/test_r.R PACKAGE_DIR STATA_DIR
args <- commandArgs(trailingOnly = TRUE)
package <- args[1]
stata <- args[2]
suppressPackageStartupMessages({library(jsonlite); library(haven)})

types <- c(string = "character", integer = "integer", number = "numeric", boolean = "logical",
           date = "Date", datetime = "character", year = "integer")
descriptor <- fromJSON(file.path(package, "datapackage.json"), simplifyVector = FALSE)
tables <- list()
for (res in descriptor$resources) {
  fields <- fromJSON(file.path(package, res$schema))$fields
  df <- read.csv(file.path(package, res$path), colClasses = unname(types[fields$type]), na.strings = "",
                 encoding = "UTF-8", fileEncoding = "UTF-8", check.names = FALSE)
  numeric <- names(df)[vapply(df, is.numeric, logical(1))]
  tables[[res$name]] <- list(
    nrow = nrow(df),
    columns = names(df),
    classes = unname(vapply(df, function(x) class(x)[1], character(1))),
    sums = lapply(setNames(numeric, numeric), function(col) sum(as.numeric(df[[col]]), na.rm = TRUE)),
    missing = as.list(colSums(is.na(df))),
    first = lapply(df[1, , drop = FALSE], function(x) if (length(x) && !is.na(x)) as.character(x) else NULL)
  )
}
dta <- read_dta(file.path(stata, "reports.dta"))
out <- list(
  tables = tables,
  dta = list(
    nrow = nrow(dta),
    report_id_label = attr(dta$report_id, "label"),
    issuer_type_labels = as.list(attr(dta$issuer_type, "labels")),
    has_problems_labels = as.list(attr(dta$has_problems, "labels")),
    first_issuer_type = as.character(as_factor(dta$issuer_type)[1])
  )
)
cat(toJSON(out, auto_unbox = TRUE, null = "null", digits = NA))
