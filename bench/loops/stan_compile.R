# Rscript bench/loops/stan_compile.R CACHEDIR MODEL.stan ...
# Compiles each Stan 2.21 model with rstan and caches the stanmodel object as
# CACHEDIR/NAME-MD5.rds (MD5 of the model text), so reruns skip compilation.
# Prints one line per model: "compiled NAME PATH", "cached NAME PATH" or
# "FAILED NAME: message".
suppressMessages(library(rstan))
args <- commandArgs(TRUE)
cache <- args[1]
# Debian's r-cran-bh is a virtual package: Boost is in /usr/include
boost <- if (file.exists(rstan_options("boost_lib"))) NULL else "/usr/include"
dir.create(cache, showWarnings = FALSE, recursive = TRUE)
for (f in args[-1]) {
  name <- sub("\\.stan$", "", basename(f))
  md5 <- unname(tools::md5sum(f))
  rds <- file.path(cache, paste0(name, "-", md5, ".rds"))
  if (file.exists(rds)) { cat("cached", name, rds, "\n"); next }
  t0 <- proc.time()[["elapsed"]]
  r <- tryCatch({
    sm <- stan_model(file = f, model_name = name, save_dso = TRUE, auto_write = FALSE,
                     boost_lib = boost)
    saveRDS(sm, rds)
    "ok"
  }, error = function(e) conditionMessage(e))
  if (identical(r, "ok")) cat("compiled", name, rds, sprintf("(%.0f s)", proc.time()[["elapsed"]] - t0), "\n")
  else cat("FAILED", name, ":", gsub("\n", " ", r), "\n")
}
