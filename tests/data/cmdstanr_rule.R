# cmdstanr's read_csv_metadata rule for comment lines (R/csv.R): strip '#'
# and '(Default)', split on '='; exactly two parts set key = value, the
# last line for a key wins. The first line not starting with '#' is the header.
lines <- readLines(commandArgs(TRUE)[1])
info <- list()
for (l in lines[startsWith(lines, "#")]) {
  t <- gsub("(Default)", "", gsub("#", "", l, fixed = TRUE), fixed = TRUE)
  kv <- trimws(strsplit(t, "=", fixed = TRUE)[[1]])
  if (grepl("=", t, fixed = TRUE) && length(kv) == 2 && nzchar(kv[2])) info[[kv[1]]] <- kv[2]
}
body <- lines[!startsWith(lines, "#")]
vars <- strsplit(body[1], ",")[[1]]
draws <- read.csv(text = paste(body, collapse = "\n"))[-1, vars != "lp__"]
cat("method:", info$method, "\noutput_samples:", info$output_samples, "\nvariables:", head(vars, 6),
    "\ndraws:", nrow(draws), "x", ncol(draws), "\n")
stopifnot(info$method == "variational", nrow(draws) == as.integer(info$output_samples))
