#!/usr/bin/env python3
"""Data for the hard-case bench (bench/hard): simulated hierarchical models.
Deterministic (seeded). Usage: gen.py (writes each case's data.csv)."""
import math, os, random

def write(case, header, rows):
    os.makedirs(case, exist_ok=True)
    with open(os.path.join(case, "data.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")

def varying_intercepts(case, J, n, tau, sigma, seed):
    rnd = random.Random(seed)
    mu = 1.0
    a = [rnd.gauss(mu, tau) for _ in range(J)]
    rows = []
    for j in range(J):
        for _ in range(n):
            rows.append((j + 1, round(rnd.gauss(a[j], sigma), 6)))
    write(case, ["g", "y"], rows)

def varying_slopes(case, J, n, seed):
    rnd = random.Random(seed)
    rows = []
    for j in range(J):
        a, b = rnd.gauss(0.5, 1.0), rnd.gauss(-0.3, 0.5)
        for _ in range(n):
            x = rnd.gauss(0, 1)
            rows.append((j + 1, round(x, 6), round(rnd.gauss(a + b * x, 1.0), 6)))
    write(case, ["g", "x", "y"], rows)

def known_scales(case, J, n, tau, seed):
    """y_ji ~ N(a_j, 1), a_j ~ N(mu, tau^2), mu ~ N(0, 5^2), tau known: the
    posterior is exactly Gaussian; the reference is analytic."""
    rnd = random.Random(seed)
    mu0 = 1.0
    a = [rnd.gauss(mu0, tau) for _ in range(J)]
    rows, ybar = [], []
    for j in range(J):
        ys = [round(rnd.gauss(a[j], 1.0), 6) for _ in range(n)]
        ybar.append(sum(ys) / n)
        rows += [(j + 1, y) for y in ys]
    write(case, ["g", "y"], rows)
    v = tau * tau + 1.0 / n
    prec = 1 / 25 + J / v
    m_mu = sum(yb / v for yb in ybar) / prec
    var_mu = 1 / prec
    k = 1 / (n + 1 / tau ** 2)
    ref = [("mu", m_mu, math.sqrt(var_mu))]
    for j in range(J):
        m = k * (n * ybar[j] + m_mu / tau ** 2)
        var = k + (k / tau ** 2) ** 2 * var_mu
        ref.append((f"a[{j + 1}]", m, math.sqrt(var)))
    with open(os.path.join(case, "reference.csv"), "w") as f:
        f.write("param,mean,sd,q05,q50,q95\n")
        for name, m, sd in ref:
            f.write(f"{name},{m:.10g},{sd:.10g},{m - 1.6448536269514722 * sd:.10g},{m:.10g},"
                    f"{m + 1.6448536269514722 * sd:.10g}\n")

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(here)
    varying_intercepts("vi_centred150", 150, 5, 0.5, 1.0, 1)
    varying_slopes("vs_noncentred1000", 1000, 10, 2)
    known_scales("exact_known_scales500", 500, 4, 0.3, 3)
