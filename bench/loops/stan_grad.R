# Rscript bench/loops/stan_grad.R MODEL.rds DATA.R [SECONDS=1] [MINCALLS=20]
# Times Stan's log density + gradient (rstan::grad_log_prob, Jacobian adjusted,
# like vi's) at a fixed unconstrained point: the point vi-run --time-gradient
# uses, theta[i] = 0.1 * ((i mod 7) - 3), i = 0..dim-1. The number of calls is
# chosen so the timed loop runs about SECONDS. Also times the same R loop
# calling a trivial R function, so the R-side overhead per call can be judged
# (nothing is subtracted). Prints key=value lines.
suppressMessages(library(rstan))
args <- commandArgs(TRUE)
secs <- if (length(args) >= 3) as.numeric(args[3]) else 1
mincalls <- if (length(args) >= 4) as.integer(args[4]) else 20
sm <- readRDS(args[1])
data <- read_rdump(args[2])
# chains = 0: builds the model with the data and returns a stanfit with no draws
fit <- suppressMessages(suppressWarnings(sampling(sm, data = data, chains = 0)))
dim <- get_num_upars(fit)
upars <- 0.1 * ((seq_len(dim) - 1) %% 7 - 3)
g <- grad_log_prob(fit, upars)   # warm-up; also checks it evaluates
lp <- attr(g, "log_prob")
now <- function() proc.time()[["elapsed"]]
# calibrate: double the calls until a batch takes >= 0.05 s
n <- 1
repeat {
  t0 <- now(); for (i in seq_len(n)) g <- grad_log_prob(fit, upars); dt <- now() - t0
  if (dt >= 0.05 || n >= 1e6) break
  n <- n * 2
}
n <- max(mincalls, as.integer(ceiling(n * secs / max(dt, 1e-3))))
t0 <- now(); for (i in seq_len(n)) g <- grad_log_prob(fit, upars); dt <- now() - t0
trivial <- function(fit, upars) upars
nt <- 100000L
t1 <- now(); for (i in seq_len(nt)) h <- trivial(fit, upars); dt1 <- now() - t1
cat(sprintf("lp=%.10g dim=%d calls=%d\n", lp, dim, n))
cat(sprintf("per_gradient_us=%.3f\n", 1e6 * dt / n))
cat(sprintf("r_call_overhead_us=%.3f\n", 1e6 * dt1 / nt))
