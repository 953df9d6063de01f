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

def varying_slopes_centred(case, J, n, seed):
    rnd = random.Random(seed)
    rows = []
    for j in range(J):
        a, b = rnd.gauss(1.0, 0.6), rnd.gauss(-0.5, 0.3)
        for _ in range(n):
            x = rnd.gauss(0, 1)
            rows.append((j + 1, round(x, 6), round(rnd.gauss(a + b * x, 1.0), 6)))
    write(case, ["g", "x", "y"], rows)

def irt2pl(case, P, I, seed):
    rnd = random.Random(seed)
    theta = [rnd.gauss(0, 1) for _ in range(P)]
    a = [math.exp(rnd.gauss(0, 0.4)) for _ in range(I)]
    b = [rnd.gauss(0, 1) for _ in range(I)]
    rows = []
    for p in range(P):
        for i in range(I):
            eta = a[i] * (theta[p] - b[i])
            rows.append((p + 1, i + 1, 1 if rnd.random() < 1 / (1 + math.exp(-eta)) else 0))
    write(case, ["pp", "ii", "y"], rows)

def meas_err(case, N, seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(N):
        xt = rnd.gauss(1.0, 1.0)
        se = round(rnd.uniform(0.3, 0.8), 3)
        rows.append((round(rnd.gauss(xt, se), 6), se, round(rnd.gauss(0.5 + 1.5 * xt, 0.5), 6)))
    write(case, ["xobs", "se", "y"], rows)

def schools(case, J, tau, slo, shi, seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(J):
        th = rnd.gauss(3.0, tau)
        s = round(rnd.uniform(slo, shi), 3)
        rows.append((round(rnd.gauss(th, s), 6), s))
    write(case, ["y", "s"], rows)

def hier_scales(case, J, n, seed):
    rnd = random.Random(seed)
    rows = []
    for j in range(J):
        mu, ls = rnd.gauss(1.0, 1.0), rnd.gauss(0.0, 0.4)
        for _ in range(n):
            rows.append((j + 1, round(rnd.gauss(mu, math.exp(ls)), 6)))
    write(case, ["g", "y"], rows)

def logit_vi(case, J, n, seed):
    rnd = random.Random(seed)
    rows = []
    for j in range(J):
        a = rnd.gauss(-0.3, 0.8)
        for _ in range(n):
            x = round(rnd.gauss(0, 1), 6)
            rows.append((j + 1, x, 1 if rnd.random() < 1 / (1 + math.exp(-(a + 0.7 * x))) else 0))
    write(case, ["g", "x", "y"], rows)

def pois_re(case, N, seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(N):
        x = round(rnd.gauss(0, 1), 6)
        lam = math.exp(1.0 + 0.5 * x + rnd.gauss(0, 0.6))
        # Poisson by inversion (small means)
        k, p, u = 0, math.exp(-lam), rnd.random()
        c = p
        while u > c:
            k += 1
            p *= lam / k
            c += p
        rows.append((x, k))
    write(case, ["x", "y"], rows)

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(here)
    varying_intercepts("vi_centred150", 150, 5, 0.5, 1.0, 1)
    varying_slopes("vs_noncentred1000", 1000, 10, 2)
    known_scales("exact_known_scales500", 500, 4, 0.3, 3)
    irt2pl("irt2pl", 100, 20, 4)
    varying_slopes_centred("vs_centred60", 60, 8, 5)
    varying_slopes_centred("vs_centred300", 300, 10, 6)
    meas_err("meas_err100", 100, 7)
    schools("es_centred100", 100, 2.0, 0.5, 1.5, 8)
    schools("es_noncentred100", 100, 3.0, 5.0, 15.0, 9)
    hier_scales("hscales50", 50, 10, 10)
    logit_vi("logit_vi100", 100, 20, 11)
    pois_re("pois_re200", 200, 12)
