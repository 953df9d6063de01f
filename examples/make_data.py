#!/usr/bin/env python3
"""Writes the example data sets (deterministic: fixed seed). Run from examples/."""
import math, random

rng = random.Random(20261122)

def write(name, header, rows):
    with open(name, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(v) if not isinstance(v, float) else f"{v:.6g}" for v in r) + "\n")

# linear regression: y = 1 + 2 x1 - 0.5 x2 + noise(0.8)
rows = []
for _ in range(200):
    x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
    rows.append((1 + 2 * x1 - 0.5 * x2 + rng.gauss(0, 0.8), x1, x2))
write("linear_regression.csv", ["y", "x.1", "x.2"], rows)
write("prediction.csv", ["y", "x"], [(r[0], r[1]) for r in rows[:60]])

# logistic regression
rows = []
for _ in range(300):
    age, dose = rng.uniform(20, 70), rng.uniform(0, 3)
    eta = -1 + 0.8 * dose - 0.02 * (age - 45)
    rows.append((1 if rng.random() < 1 / (1 + math.exp(-eta)) else 0, age, dose))
write("logistic_regression.csv", ["sick", "age", "dose"], rows)

# Poisson regression with an exposure offset
rows = []
for _ in range(150):
    x, expo = rng.gauss(0, 1), rng.uniform(0.5, 2)
    lam = expo * math.exp(0.3 + 0.6 * x)
    # Poisson draw by inversion
    k, p, u = 0, math.exp(-lam), rng.random()
    s = p
    while u > s:
        k += 1
        p *= lam / k
        s += p
    rows.append((k, x, expo))
write("poisson_regression.csv", ["count", "x", "exposure"], rows)

# hierarchical: radon-like, counties as text
counties = ["Aitkin", "Anoka", "Becker", "Beltrami", "Benton", "BigStone", "BlueEarth", "Brown", "Carlton", "Carver"]
alpha = {c: rng.gauss(1.5, 0.4) for c in counties}
rows = []
for i in range(240):
    c = counties[i % len(counties)] if i < 20 else rng.choice(counties)
    floor = 1 if rng.random() < 0.3 else 0
    rows.append((alpha[c] - 0.6 * floor + rng.gauss(0, 0.7), floor, c))
write("hierarchical.csv", ["log_radon", "floor", "county"], rows)

# eight schools (Rubin 1981)
write("eight_schools.csv", ["y", "sigma"],
      [(28, 15), (8, 10), (-3, 16), (7, 11), (-1, 9), (1, 11), (18, 10), (12, 18)])

# two-component mixture
rows = []
for _ in range(400):
    rows.append((rng.gauss(-2, 0.7) if rng.random() < 0.35 else rng.gauss(1.5, 1.0),))
write("mixture.csv", ["y"], rows)

# AR(1) time series
y, rows = 0.0, []
for _ in range(250):
    y = 0.4 + 0.7 * y + rng.gauss(0, 0.5)
    rows.append((y,))
write("ar1.csv", ["y"], rows)
