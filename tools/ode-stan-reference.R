# tools/ode-stan-reference.R: Stan 2.21's log density and gradient for the
# four posteriordb ODE models in tests/models/ode (the reference for
# tests/test_ode.c).
#
# For each model NAME (NAME.vim is posteriordb's model.stan unchanged,
# NAME.stan the same model in Stan 2.21's array syntax, NAME.json its data)
# it writes tests/reference/ode/NAME.points.csv, 5 unconstrained points: the
# mode found by rstan::optimizing from a fixed seed (and for soil_incubation
# a fixed start), then 4 points
# mode + N(0, 0.3^2) per coordinate (redrawn where Stan cannot evaluate),
# and tests/reference/ode/NAME.stan.csv, Stan's log_prob (Jacobian
# adjusted) and its gradient at each point: header lp,grad[1],...
#
# Run from the repository root: Rscript tools/ode-stan-reference.R [NAME ...]
# (compiles each model: about a minute each)
suppressMessages(library(rstan))
suppressMessages(library(jsonlite))
# Debian's r-cran-bh ships the Boost headers in /usr/include, not in BH/include
boost <- if (file.exists(rstan_options("boost_lib"))) NULL else "/usr/include"

write_num <- function(m, names, path) {
  out <- as.data.frame(apply(m, 2, function(v) sprintf("%.17g", v)))
  if (nrow(m) == 1) out <- as.data.frame(t(out))
  names(out) <- names
  write.csv(out, path, row.names = FALSE, quote = FALSE)
}

models <- c("lotka_volterra", "one_comp_mm_elim_abs", "sir", "soil_incubation")
todo <- commandArgs(trailingOnly = TRUE)
if (!length(todo)) todo <- models
for (name in todo) {
  set.seed(match(name, models) + 20261202)
  src <- file.path("tests/models/ode", name)
  data <- fromJSON(paste0(src, ".json"), simplifyVector = TRUE)
  cache <- Sys.getenv("VI_STAN_CACHE")  # optional: a folder for the compiled models
  rds <- file.path(cache, paste0(name, "-", unname(tools::md5sum(paste0(src, ".stan"))), ".rds"))
  if (nzchar(cache) && file.exists(rds)) {
    sm <- readRDS(rds)
  } else {
    sm <- stan_model(paste0(src, ".stan"), model_name = name, boost_lib = boost)
    if (nzchar(cache)) saveRDS(sm, rds)
  }
  fit <- suppressWarnings(sampling(sm, data = data, chains = 0))
  D <- get_num_upars(fit)
  # soil_incubation's optimizer diverges from a random start (lp -1e85):
  # start it near the posterior (vi's fit: k1 0.077, k2 0.59, gamma 0.98)
  init <- if (name == "soil_incubation")
    list(k1 = 0.08, k2 = 0.6, alpha21 = 0.8, alpha12 = 0.06, gamma = 0.98, sigma = 0.38) else "random"
  opt <- optimizing(sm, data = data, seed = 1, as_vector = FALSE, init = init)
  mode <- unconstrain_pars(fit, opt$par)
  pts <- matrix(0, 5, D)
  out <- matrix(NA_real_, 5, D + 1)
  for (i in 1:5) {
    for (try in 1:100) {
      pts[i, ] <- if (i == 1) mode else mode + rnorm(D, 0, 0.3)
      lp <- tryCatch(log_prob(fit, pts[i, ], adjust_transform = TRUE, gradient = TRUE), error = function(e) NA)
      if (!is.na(lp[1])) {
        out[i, ] <- c(lp, attr(lp, "gradient"))
        if (all(is.finite(out[i, ]))) break
      }
    }
  }
  dir <- "tests/reference/ode"
  write_num(pts, paste0("u[", seq_len(D), "]"), file.path(dir, paste0(name, ".points.csv")))
  write_num(out, c("lp", paste0("grad[", seq_len(D), "]")), file.path(dir, paste0(name, ".stan.csv")))
  cat(name, ": D =", D, " mode lp =", out[1, 1], "\n")
}
