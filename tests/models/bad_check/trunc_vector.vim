// expect: 4:9: truncation T[,] needs a univariate variate (int or real), not vector
data { int N; vector[N] y; }
parameters { real mu; }
model { y ~ normal(mu, 1) T[0, ]; }
