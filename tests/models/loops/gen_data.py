#!/usr/bin/env python3
"""Writes data.json for the loop-style corpus (tests/test_lower.c): one data
set that every model in this folder reads a part of. Deterministic.
bench/loops/gen_data.py makes a larger one with the same make()."""
import json, math, random


def make(N, J, K, T, S, seed=7):
    random.seed(seed)
    g = [1 + (n % J) for n in range(N)]
    x = [round(random.gauss(0, 1), 4) for _ in range(N)]
    X = [[round(random.gauss(0, 1), 4) for _ in range(K)] for _ in range(N)]
    y = [round(1 + 0.5 * x[n] + 0.3 * (g[n] - 3) + random.gauss(0, 0.7), 4) for n in range(N)]
    yb = [1 if random.random() < 1 / (1 + math.exp(-(0.2 + x[n]))) else 0 for n in range(N)]
    expo = [round(random.uniform(0.5, 3), 3) for _ in range(N)]
    cnt = [int(random.expovariate(1 / (expo[n] * math.exp(0.3 * x[n])))) for n in range(N)]
    xpos = [round(random.uniform(0.5, 4), 3) for _ in range(N)]
    ypos = [round(math.exp(0.1 + 0.6 * math.log(xpos[n]) + random.gauss(0, 0.3)), 4) for n in range(N)]
    ts = [0.0]
    for t in range(1, T):
        ts.append(round(0.3 + 0.6 * ts[-1] + random.gauss(0, 0.5), 4))
    yirt = [[1 if random.random() < 0.6 else 0 for _ in range(K)] for _ in range(J)]
    hmm = [1 + (t // 7) % S for t in range(T)]
    yv = [[round(random.gauss(0, 1), 4) for _ in range(K)] for _ in range(J)]
    sigma_j = [round(random.uniform(5, 15), 2) for _ in range(J)]
    yj = [round(random.gauss(8, 10), 2) for _ in range(J)]
    return dict(N=N, J=J, K=K, T=T, S=S, g=g, x=x, X=X, y=y, yb=yb, expo=expo, cnt=cnt, xpos=xpos,
                ypos=ypos, ts=ts, yirt=yirt, hmm=hmm, yv=yv, sigma_j=sigma_j, yj=yj)


if __name__ == "__main__":
    with open("data.json", "w") as f:
        json.dump(make(60, 6, 3, 40, 3), f)
