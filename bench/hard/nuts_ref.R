# Reference posterior for a bench/hard case by NUTS (rstan 2.21).
# Usage: Rscript nuts_ref.R CASE STANFILE ITER CHAINS
# Writes CASE/reference.csv (param,mean,sd,q05,q50,q95) and prints R-hat and
# divergences; the reference is used only when max R-hat < 1.01 and there are
# no divergences.
suppressMessages(library(rstan))
a <- commandArgs(TRUE)
case <- a[1]; stanfile <- a[2]; iter <- as.integer(a[3]); chains <- as.integer(a[4])
d <- read.csv(file.path(case, "data.csv"))
data <- as.list(d); data$N <- nrow(d); data$J <- max(d$g)
fit <- stan(stanfile, data = data, iter = iter, chains = chains, cores = 1, seed = 1,
            refresh = 0, control = list(adapt_delta = 0.95))
s <- summary(fit)$summary
s <- s[rownames(s) != "lp__", , drop = FALSE]
div <- sum(get_divergent_iterations(fit))
cat(case, "max Rhat", max(s[, "Rhat"], na.rm = TRUE), "min n_eff", min(s[, "n_eff"], na.rm = TRUE),
    "divergences", div, "\n")
out <- data.frame(param = rownames(s), mean = s[, "mean"], sd = s[, "sd"], q05 = s[, "2.5%"],
                  q50 = s[, "50%"], q95 = s[, "97.5%"])
q <- as.matrix(fit)
out$q05 <- apply(q[, out$param, drop = FALSE], 2, quantile, 0.05)
out$q95 <- apply(q[, out$param, drop = FALSE], 2, quantile, 0.95)
write.csv(out, file.path(case, "reference.csv"), row.names = FALSE, quote = FALSE)
