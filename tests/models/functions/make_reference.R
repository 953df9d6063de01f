# make_reference.R: Stan's log density and gradient for the models in this
# folder, the reference for tests/test_functions.c.
#
# For each model NAME it writes (when absent) NAME.data.csv with simulated
# data, then NAME.points.csv (5 unconstrained points: the origin and 4 uniform
# draws on [-2, 2]) and NAME.stan.csv (Stan's log_prob with the Jacobian and
# its gradient at each point: header lp,grad[1],...). NAME.stan is the same
# model as NAME.vim in the array syntax of Stan 2.21 (rstan 2.21).
#
# Run from this folder: Rscript make_reference.R [NAME ...]   (compiles each model: ~1-2 min)
suppressMessages(library(rstan))
# Debian's r-cran-bh ships the Boost headers in /usr/include, not in BH/include
if (!file.exists(rstan_options("boost_lib"))) rstan_options(boost_lib = "/usr/include")

write_num <- function(df, path, digits = 17) {
  out <- as.data.frame(lapply(df, function(v) sprintf(paste0("%.", digits, "g"), v)))
  names(out) <- names(df)
  write.csv(out, path, row.names = FALSE, quote = FALSE)
}

sim <- list(
  trunc_reg = function() {
    N <- 25
    x <- round(runif(N, 0, 4), 3)
    y <- numeric(N)
    for (n in 1:N) {
      repeat { v <- rnorm(1, 1 + 1.5 * x[n], 2); if (v >= 0 && v <= 10) break }
      y[n] <- round(v, 3)
    }
    data.frame(x = x, y = y)
  },
  skew_poly = function() {
    N <- 20
    x <- round(runif(N, -1, 1), 3)
    y <- round(0.5 - x + 0.8 * x^2 + abs(rnorm(N, 0, 0.7)), 3)
    data.frame(x = x, y = y)
  },
  lkj_mvn = function() {
    N <- 15
    S <- matrix(c(1, 0.5, 0.2, 0.5, 2, -0.3, 0.2, -0.3, 1.5), 3)
    Y <- matrix(rnorm(N * 3), N) %*% chol(S)
    z1 <- rnorm(N)
    z2 <- 0.6 * z1 + sqrt(1 - 0.36) * rnorm(N)
    data.frame(y1 = round(Y[, 1] + 1, 3), y2 = round(Y[, 2] - 1, 3), y3 = round(Y[, 3], 3),
               z1 = round(z1, 3), z2 = round(z2, 3))
  },
  stdlib_new = function() {
    N <- 12
    data.frame(a = round(runif(N, -pi, pi), 3), p = round(rbeta(N, 2, 3), 3))
  },
  stdlib_new2 = function() {
    N <- 10
    data.frame(x = round(rnorm(N), 3), k = sample(1:4, N, replace = TRUE))
  }
)

# Rscript make_reference.R NAME ... redoes only those models
todo <- commandArgs(trailingOnly = TRUE)
if (!length(todo)) todo <- names(sim)
for (name in todo) {
  set.seed(match(name, names(sim)) + 20261122)
  data_path <- paste0(name, ".data.csv")
  if (!file.exists(data_path)) write_num(sim[[name]](), data_path, digits = 6)
  df <- read.csv(data_path)
  data <- c(list(N = nrow(df)), as.list(df))
  sm <- stan_model(paste0(name, ".stan"))
  fit <- sampling(sm, data = data, chains = 1, iter = 1, refresh = 0, seed = 1)
  D <- get_num_upars(fit)
  # the origin and 4 uniform draws on [-2, 2]; a draw where Stan's value or
  # gradient is not finite (Stan 2.21's normal_lcdf rounds far tails to 0, so
  # log_diff_exp(0, 0) makes the truncation term +Inf) is drawn again
  pts <- matrix(0, 5, D)
  out <- matrix(NA_real_, 5, D + 1)
  for (i in 1:5) {
    repeat {
      if (i > 1) pts[i, ] <- runif(D, -2, 2)
      lp <- log_prob(fit, pts[i, ], adjust_transform = TRUE, gradient = TRUE)
      out[i, ] <- c(lp, attr(lp, "gradient"))
      if (all(is.finite(out[i, ]))) break
    }
  }
  p <- as.data.frame(pts)
  names(p) <- paste0("u[", seq_len(D), "]")
  write_num(p, paste0(name, ".points.csv"))
  o <- as.data.frame(out)
  names(o) <- c("lp", paste0("grad[", seq_len(D), "]"))
  write_num(o, paste0(name, ".stan.csv"))
  cat(name, ": D =", D, "\n")
}
