# Reference posterior for a bench/hard case by NUTS (rstan 2.21).
# Usage: Rscript nuts_ref.R CASE STANFILE ITER CHAINS [ADAPT_DELTA (0.95)]
# The data: every column of CASE/data.csv, the NAME=VALUE words of CASE/args,
# N = the number of rows (unless args sets it) and J = max(g) when there is a
# column g and args does not set J. Writes CASE/reference.csv
# (param,mean,sd,q05,q50,q95) and CASE/reference.txt (R-hat, n_eff,
# divergences, settings); a reference is kept only when max R-hat < 1.01 and
# there are no divergences (the caller checks reference.txt).
suppressMessages(library(rstan))
a <- commandArgs(TRUE)
case <- a[1]; stanfile <- a[2]; iter <- as.integer(a[3]); chains <- as.integer(a[4])
adapt <- if (length(a) >= 5) as.numeric(a[5]) else 0.95
d <- read.csv(file.path(case, "data.csv"))
data <- as.list(d)
words <- if (file.exists(file.path(case, "args"))) scan(file.path(case, "args"), what = "", quiet = TRUE) else character()
for (w in words) { kv <- strsplit(w, "=", fixed = TRUE)[[1]]; data[[kv[1]]] <- as.numeric(kv[2]) }
if (is.null(data$N)) data$N <- nrow(d)
if (is.null(data$J) && !is.null(d$g)) data$J <- max(d$g)
# Debian's r-cran-bh is a virtual package: Boost is in /usr/include
boost <- if (file.exists(rstan_options("boost_lib"))) NULL else "/usr/include"
sm <- stan_model(file = stanfile, boost_lib = boost)
t0 <- proc.time()[["elapsed"]]
fit <- sampling(sm, data = data, iter = iter, chains = chains, cores = min(chains, 2), seed = 1,
                refresh = 0, control = list(adapt_delta = adapt, max_treedepth = 12))
secs <- proc.time()[["elapsed"]] - t0
s <- summary(fit)$summary
s <- s[rownames(s) != "lp__", , drop = FALSE]
div <- sum(get_divergent_iterations(fit))
info <- sprintf("%s: %d chains x %d draws after %d warm-up, adapt_delta %g, seed 1: max R-hat %.4f, min n_eff %.0f, divergences %d, %.0f s",
                case, chains, iter %/% 2, iter %/% 2, adapt, max(s[, "Rhat"], na.rm = TRUE),
                min(s[, "n_eff"], na.rm = TRUE), div, secs)
cat(info, "\n")
writeLines(info, file.path(case, "reference.txt"))
q <- as.matrix(fit)
out <- data.frame(param = rownames(s), mean = s[, "mean"], sd = s[, "sd"],
                  q05 = apply(q[, rownames(s), drop = FALSE], 2, quantile, 0.05),
                  q50 = s[, "50%"],
                  q95 = apply(q[, rownames(s), drop = FALSE], 2, quantile, 0.95))
write.csv(out, file.path(case, "reference.csv"), row.names = FALSE, quote = FALSE)
