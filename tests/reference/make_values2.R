# make_values2.R: reference values for the standard-library rows added
# after make_values.R (tests/test_dist_values.c reads both files). Base R
# only. Same line format as make_values.R. Run from the repository root:
#   Rscript tests/reference/make_values2.R > tests/reference/values2.txt
f17 <- function(x) ifelse(is.nan(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"),
                    sprintf("%.17g", x)))
R <- function(x) paste0("r", f17(x))
I <- function(x) sprintf("i%d", as.integer(x))
V <- function(x) paste0("v", paste0(":", f17(x), collapse = ""))
W <- function(x) paste0("w", paste0(":", f17(x), collapse = ""))
A <- function(x) paste0("a", paste0(":", f17(x), collapse = ""))
IA <- function(x) paste0("ia", paste0(":", as.integer(x), collapse = ""))
M <- function(m) paste0("m", nrow(m), "x", ncol(m), paste0(":", f17(as.vector(m)), collapse = ""))
AV <- function(l) paste0("A", length(l[[1]]), paste0(":", f17(unlist(l)), collapse = ""))
emit <- function(fn, args, value, flags = 0) {
  cat(fn, "|", paste(args, collapse = ","), "|", flags, "|", paste(f17(as.vector(value)), collapse = ":"),
      "\n", sep = "")
}

# ---- sizes ----
emit("dims", M(matrix(1:6 / 2, 2)), c(2, 3))
# as Stan: a vector is N x 1, a row_vector 1 x N
emit("dims", V(c(1, 2, 3, 4)), c(4, 1))
emit("dims", W(c(1, 2, 3)), c(1, 3))
emit("dims", AV(list(c(1, 2), c(3, 4), c(5, 6))), c(3, 2, 1))
emit("dims", A(c(1, 2, 3)), 3)
emit("dims", R(1.5), numeric(0))
# linspaced_int_array (Stan's definition: Eigen's integer LinSpaced)
lia <- function(K, lo, hi) {
  if (K == 0) return(integer(0)); if (K == 1) return(hi)
  d <- hi - lo; k <- 0:(K - 1)
  if (d + 1 < K) lo + k %/% ((K + d) %/% (d + 1)) else lo + k * (d %/% (K - 1))
}
for (a in list(c(5, 1, 9), c(4, 0, 10), c(6, 1, 3), c(1, 2, 7), c(3, -4, -4)))
  emit("linspaced_int_array", c(I(a[1]), I(a[2]), I(a[3])), lia(a[1], a[2], a[3]))

# ---- linear algebra ----
S <- matrix(c(2.5, 0.4, -0.3, 0.4, 1.8, 0.6, -0.3, 0.6, 3.1), 3)
S4 <- crossprod(matrix(c(1, 0.3, -0.5, 0.2, 0.1, 1.2, 0.4, -0.3, 0.7, -0.2, 1.5, 0.6, 0.2, 0.5, -0.4, 0.9), 4)) + diag(0.5, 4)
Lc <- t(chol(S))
Mx <- matrix(c(0.3, -0.7, 0.2, 1.1, 0.5, -0.4, 0.8, 0.1, -0.6), 3)
emit("quad_form_diag", c(M(Mx), V(c(0.5, -1.5, 2))), diag(c(0.5, -1.5, 2)) %*% Mx %*% diag(c(0.5, -1.5, 2)))
emit("quad_form_diag", c(M(S), W(c(1.2, 0.3, -0.8))), diag(c(1.2, 0.3, -0.8)) %*% S %*% diag(c(1.2, 0.3, -0.8)))
# eigenvalues ascending; each eigenvector's largest component positive
ev <- function(A) {
  e <- eigen(A, symmetric = TRUE); o <- order(e$values); V <- e$vectors[, o, drop = FALSE]
  for (j in seq_len(ncol(V))) { b <- which.max(abs(V[, j])); if (V[b, j] < 0) V[, j] <- -V[, j] }
  list(values = e$values[o], vectors = V)
}
for (A in list(S, S4, matrix(2.7, 1, 1))) {
  emit("eigenvalues_sym", M(A), ev(A)$values)
  emit("eigenvectors_sym", M(A), ev(A)$vectors)
}
emit("log_determinant_spd", M(S), determinant(S)$modulus)
emit("log_determinant_spd", M(S4), determinant(S4)$modulus)
emit("inverse_spd", M(S), solve(S))
emit("inverse_spd", M(S4), solve(S4))
emit("chol2inv", M(Lc), chol2inv(t(Lc)))
emit("chol2inv", M(t(chol(S4))), solve(S4))
mp <- function(A, k) { P <- diag(nrow(A)); for (i in seq_len(k)) P <- P %*% A; P }
emit("matrix_power", c(M(Mx), I(0)), diag(3))
emit("matrix_power", c(M(Mx), I(1)), Mx)
emit("matrix_power", c(M(Mx), I(5)), mp(Mx, 5))
# matrix_exp: for a symmetric matrix V diag(exp(w)) V'; for a general one
# the eigendecomposition (distinct eigenvalues), real part
expm_sym <- function(A) { e <- eigen(A, symmetric = TRUE); e$vectors %*% diag(exp(e$values)) %*% t(e$vectors) }
expm_gen <- function(A) { e <- eigen(A); Re(e$vectors %*% diag(exp(e$values)) %*% solve(e$vectors)) }
emit("matrix_exp", M(S), expm_sym(S))
emit("matrix_exp", M(-3 * S4), expm_sym(-3 * S4))
emit("matrix_exp", M(Mx), expm_gen(Mx))
emit("matrix_exp", M(matrix(c(0, 2, -2, 0), 2)), matrix(c(cos(2), sin(2), -sin(2), cos(2)), 2))

# ---- univariate distributions ----
vm <- function(y, mu, k) k * cos(y - mu) - log(2 * pi) - (log(besselI(k, 0, expon.scaled = TRUE)) + k)
for (a in list(c(0.4, -0.3, 2.5), c(2.9, 0.1, 0), c(-1.2, 0.5, 45), c(0.2, 0.25, 700), c(3, -2, 29.5)))
  emit("von_mises_lpdf", c(R(a[1]), R(a[2]), R(a[3])), vm(a[1], a[2], a[3]))
emit("von_mises_lpdf", c(V(c(0.3, -1, 2)), R(0.2), V(c(1, 31, 0.5))), sum(vm(c(0.3, -1, 2), 0.2, c(1, 31, 0.5))))
ll <- function(y, a, b) log(b) - log(a) + (b - 1) * (log(y) - log(a)) - 2 * log1p((y / a)^b)
for (a in list(c(1.3, 0.7, 2.5), c(0.2, 2, 0.6), c(40, 3, 7)))
  emit("loglogistic_lpdf", c(R(a[1]), R(a[2]), R(a[3])), ll(a[1], a[2], a[3]))
emit("loglogistic_lpdf", c(V(c(0.5, 1.5)), R(1.1), V(c(2, 3))), sum(ll(c(0.5, 1.5), 1.1, c(2, 3))))
for (a in list(c(0.3, 0.6, 4), c(0.95, 0.2, 0.7), c(0.01, 0.5, 30)))
  emit("beta_proportion_lpdf", c(R(a[1]), R(a[2]), R(a[3])), dbeta(a[1], a[2] * a[3], (1 - a[2]) * a[3], log = TRUE))
emit("beta_proportion_lpdf", c(V(c(0.2, 0.7)), V(c(0.4, 0.5)), R(3)),
     sum(dbeta(c(0.2, 0.7), c(0.4, 0.5) * 3, (1 - c(0.4, 0.5)) * 3, log = TRUE)))
emit("discrete_range_lpmf", c(I(3), I(1), I(6)), -log(6))
emit("discrete_range_lpmf", c(IA(c(2, 5, 4)), I(2), IA(c(3, 9, 4))), -log(2) - log(8) - log(3))
emit("discrete_range_lpmf", c(I(7), I(1), I(6)), -Inf)
op <- function(y, eta, cc) { K <- length(cc) + 1
  if (y == 1) pnorm(cc[1] - eta, log.p = TRUE) else if (y == K) pnorm(eta - cc[K - 1], log.p = TRUE)
  else log(pnorm(eta - cc[y - 1]) - pnorm(eta - cc[y])) }
cc <- c(-1.2, 0.1, 0.9)
for (y in 1:4) emit("ordered_probit_lpmf", c(I(y), R(0.35), V(cc)), op(y, 0.35, cc))
emit("ordered_probit_lpmf", c(IA(c(1, 4, 2)), V(c(-0.5, 2, 0.3)), V(cc)), op(1, -0.5, cc) + op(4, 2, cc) + op(2, 0.3, cc))
emit("ordered_probit_lpmf", c(I(1), R(9), V(cc)), op(1, 9, cc))

# ---- GLMs ----
X <- matrix(c(0.5, -1, 0.3, 1.2, 0.4, -0.7, 0.2, 0.9), 4)
bet <- c(0.8, -0.6)
emit("binomial_logit_glm_lpmf", c(IA(c(1, 0, 3, 2)), IA(c(2, 3, 4, 2)), M(X), R(0.3), V(bet)),
     sum(dbinom(c(1, 0, 3, 2), c(2, 3, 4, 2), plogis(X %*% bet + 0.3), log = TRUE)))
emit("binomial_logit_glm_lpmf", c(IA(c(1, 0, 3, 2)), I(5), M(X), V(c(0.1, -0.2, 0.3, 0)), V(bet)),
     sum(dbinom(c(1, 0, 3, 2), 5, plogis(X %*% bet + c(0.1, -0.2, 0.3, 0)), log = TRUE)))
emit("neg_binomial_2_log_glm_lpmf", c(IA(c(1, 0, 7, 2)), M(X), R(0.3), V(bet), R(2.5)),
     sum(dnbinom(c(1, 0, 7, 2), size = 2.5, mu = exp(X %*% bet + 0.3), log = TRUE)))
emit("neg_binomial_2_log_glm_lpmf", c(IA(c(1, 0, 7, 2)), M(X), V(c(0.1, -0.2, 0.3, 0)), V(bet), V(c(0.5, 1, 4, 30))),
     sum(dnbinom(c(1, 0, 7, 2), size = c(0.5, 1, 4, 30), mu = exp(X %*% bet + c(0.1, -0.2, 0.3, 0)), log = TRUE)))

# ---- multivariate ----
y3 <- c(0.3, -1.1, 0.8); y3b <- c(-0.4, 0.2, 1.5); mu3 <- c(0.1, -0.5, 0.4)
ldmvn <- function(y, mu, Sig) { r <- y - mu; -0.5 * sum(r * solve(Sig, r)) - 0.5 * determinant(Sig)$modulus - 1.5 * log(2 * pi) }
emit("multi_normal_prec_lpdf", c(V(y3), V(mu3), M(S)), ldmvn(y3, mu3, solve(S)))
emit("multi_normal_prec_lpdf", c(AV(list(y3, y3b)), V(mu3), M(S)), ldmvn(y3, mu3, solve(S)) + ldmvn(y3b, mu3, solve(S)))

# ---- sparse ----
# A (3 x 4) = [[0.5, 0, 0, -1.2], [0, 0.7, 0, 0], [0, 0, 2.1, 0.4]] in CSR form
wcsr <- c(0.5, -1.2, 0.7, 2.1, 0.4); vcsr <- c(1, 4, 2, 3, 4); ucsr <- c(1, 3, 4, 6)
Acsr <- matrix(0, 3, 4); Acsr[1, 1] <- 0.5; Acsr[1, 4] <- -1.2; Acsr[2, 2] <- 0.7; Acsr[3, 3] <- 2.1; Acsr[3, 4] <- 0.4
bcsr <- c(0.3, -0.8, 1.1, 2)
emit("csr_matrix_times_vector", c(I(3), I(4), V(wcsr), IA(vcsr), IA(ucsr), V(bcsr)), Acsr %*% bcsr)

# ---- hidden Markov models: the forward algorithm, unscaled (small N) ----
hmm <- function(lo, G, rho) { a <- rho * exp(lo[, 1])
  if (ncol(lo) > 1) for (n in 2:ncol(lo)) a <- as.vector(t(G) %*% a) * exp(lo[, n])
  log(sum(a)) }
lo <- matrix(c(-1.2, -0.3, -2.5, -0.7, -1.9, -0.4, -3.1, -0.2, -1.0, -0.8, -0.5, -2.2), 3)
G3 <- matrix(c(0.7, 0.2, 0.1, 0.6, 0.5, 0.3, 0.1, 0.4, 0.6) / c(1.4, 1.1, 1.0), 3, byrow = TRUE)
G3 <- G3 / rowSums(G3)  # not symmetric: Gamma[i, j] is the move from state i to state j
rho3 <- c(0.5, 0.3, 0.2)
emit("hmm_marginal", c(M(lo), M(G3), V(rho3)), hmm(lo, G3, rho3))
emit("hmm_marginal", c(M(lo[, 1, drop = FALSE]), M(G3), V(rho3)), hmm(lo[, 1, drop = FALSE], G3, rho3))
emit("hmm_marginal", c(M(lo - 600), M(G3), V(rho3)), hmm(lo, G3, rho3) - 2400)

# ---- categorical_logit_glm ----
clg <- function(y, x, al, be) { eta <- x %*% be + matrix(al, nrow(x), length(al), byrow = TRUE)
  sum(sapply(seq_along(y), function(n) eta[n, y[n]] - log(sum(exp(eta[n, ]))))) }
Xc <- matrix(c(0.5, -1, 0.3, 1.2, 0.4, -0.7, 0.2, 0.9), 4); alc <- c(0.2, -0.4, 0.1)
Bc <- matrix(c(0.8, -0.6, 0.3, 0.5, -0.2, 1.1), 2)
emit("categorical_logit_glm_lpmf", c(IA(c(1, 3, 2, 3)), M(Xc), V(alc), M(Bc)), clg(c(1, 3, 2, 3), Xc, alc, Bc))
emit("categorical_logit_glm_lpmf", c(I(2), W(c(0.5, -1)), V(alc), M(Bc)), clg(2, matrix(c(0.5, -1), 1), alc, Bc))

# ---- wishart, inv_wishart, multi_gp_cholesky ----
lmg <- function(K, a) K * (K - 1) / 4 * log(pi) + sum(lgamma(a + (1 - 1:K) / 2))
ldet <- function(A) as.numeric(determinant(A)$modulus)
dwish <- function(W, nu, S) { K <- nrow(W)
  (nu - K - 1) / 2 * ldet(W) - sum(diag(solve(S, W))) / 2 - nu * K / 2 * log(2) - nu / 2 * ldet(S) - lmg(K, nu / 2) }
dinvwish <- function(W, nu, S) { K <- nrow(W)
  nu / 2 * ldet(S) - nu * K / 2 * log(2) - lmg(K, nu / 2) - (nu + K + 1) / 2 * ldet(W) - sum(diag(S %*% solve(W))) / 2 }
W3 <- S4[1:3, 1:3]
emit("wishart_lpdf", c(M(W3), R(4.5), M(S)), dwish(W3, 4.5, S))
emit("wishart_lpdf", c(M(S), R(2.2), M(diag(2.5, 3))), dwish(S, 2.2, diag(2.5, 3)))
emit("inv_wishart_lpdf", c(M(W3), R(4.5), M(S)), dinvwish(W3, 4.5, S))
emit("inv_wishart_lpdf", c(M(S), R(2.2), M(diag(2.5, 3))), dinvwish(S, 2.2, diag(2.5, 3)))
# R's rWishart parameterisation agrees: the density of W ~ Wishart(nu, S) at W (checked by the formula above)
mgp <- function(y, L, w) { Sig <- L %*% t(L); N <- ncol(y)
  sum(sapply(seq_len(nrow(y)), function(i) { r <- y[i, ]; Si <- Sig / w[i]
    -0.5 * sum(r * solve(Si, r)) - 0.5 * ldet(Si) - N / 2 * log(2 * pi) })) }
ymg <- matrix(c(0.3, -1.1, 0.8, 0.2, -0.5, 1.4), 2)
emit("multi_gp_cholesky_lpdf", c(M(ymg), M(Lc), V(c(0.7, 2.5))), mgp(ymg, Lc, c(0.7, 2.5)))

# ---- singular value decomposition: d descending, u_k's largest component positive ----
sv <- function(A) { s <- svd(A); U <- s$u; V <- s$v
  for (k in seq_along(s$d)) { b <- which.max(abs(U[, k])); if (U[b, k] < 0) { U[, k] <- -U[, k]; V[, k] <- -V[, k] } }
  list(d = s$d, u = U, v = V) }
A32 <- matrix(c(0.5, -1.2, 0.3, 0.8, 0.4, -0.7), 3); A23 <- t(A32) + 0.1
for (A in list(A32, A23, Mx)) {
  emit("singular_values", M(A), sv(A)$d)
  emit("svd_U", M(A), sv(A)$u)
  emit("svd_V", M(A), sv(A)$v)
}
# Cholesky forms: the density of W = L_W L_W' plus log J = K log 2 + sum_k (K - k + 1) log L_W,kk
logJ <- function(L) { K <- nrow(L); K * log(2) + sum((K - 1:K + 1) * log(diag(L))) }
LW3 <- t(chol(W3)); LS3 <- t(chol(S))
emit("wishart_cholesky_lpdf", c(M(LW3), R(4.5), M(LS3)), dwish(W3, 4.5, S) + logJ(LW3))
emit("inv_wishart_cholesky_lpdf", c(M(LW3), R(4.5), M(LS3)), dinvwish(W3, 4.5, S) + logJ(LW3))
emit("inv_wishart_cholesky_lpdf", c(M(LS3), R(2.2), M(diag(1.5, 3))), dinvwish(S, 2.2, diag(2.25, 3)) + logJ(LS3))

# ---- activation functions networks use (issue 14) ----
emit("softplus", R(-1.3), log1p(exp(-1.3)))
emit("softplus", V(c(-20, 0.4, 30)), log1p(exp(c(-20, 0.4, 30))))
emit("relu", R(-0.7), 0)
emit("relu", V(c(-2, 0.5, 3)), pmax(c(-2, 0.5, 3), 0))
emit("elu", R(-0.7), expm1(-0.7))
emit("elu", V(c(-2, 0.5, 3)), ifelse(c(-2, 0.5, 3) > 0, c(-2, 0.5, 3), expm1(c(-2, 0.5, 3))))
emit("tanh", M(matrix(c(-1, 0.5, 2, -0.25), 2)), tanh(c(-1, 0.5, 2, -0.25)))
