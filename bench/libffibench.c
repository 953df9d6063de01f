/* libffibench.c: trivial foreign functions for bench/ffi_overhead.c, so the
 * benchmark measures the cost of the call, not of the function. */
double fb_mul(double a, double b);
void fb_mul_grad(double a, double b, double *grad);

double fb_mul(double a, double b) { return a * b; }

void fb_mul_grad(double a, double b, double *grad) {
  grad[0] = b;
  grad[1] = a;
}

/* fb_mul5(a, b, c, d, e) = a * b: five real arguments, more than vi calls
 * directly, so it goes through libffi's ffi_call. */
double fb_mul5(double a, double b, double c, double d, double e);
void fb_mul5_grad(double a, double b, double c, double d, double e, double *grad);

double fb_mul5(double a, double b, double c, double d, double e) {
  (void)c, (void)d, (void)e;
  return a * b;
}

void fb_mul5_grad(double a, double b, double c, double d, double e, double *grad) {
  (void)c, (void)d, (void)e;
  grad[0] = b;
  grad[1] = a;
  grad[2] = grad[3] = grad[4] = 0;
}
