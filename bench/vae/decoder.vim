// The digits VAE's decoder alone (bench/vae): z given as data, the weights @point.
// Times the network ops: W1 * z[n], tanh, W2 * h, binomial_logit over 100-row batches.
data {
  int<lower=1> N;
  array[N, 64] int<lower=0, upper=16> x;
  array[N] vector[8] z;
}
parameters {
  @point matrix[128, 8] W1;  @point vector[128] b1;
  @point matrix[64, 128] W2; @point vector[64] b2;
}
model {
  for (n in 1:N) {
    vector[128] h = tanh(W1 * z[n] + b1);
    x[n] ~ binomial_logit(16, W2 * h + b2);
  }
}
