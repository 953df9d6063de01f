#!/usr/bin/env python3
"""bench/loops/gen_data.py OUTDIR [N J K T S]

Writes OUTDIR/data.json (CmdStan JSON, read by vi-run) and OUTDIR/data.R
(the same values as an R dump, read by rstan::read_rdump; Debian's R has no
JSON package) for the loop-style benchmark: the data set of
tests/models/loops/gen_data.py (same variable names and meaning), only larger.
Defaults: N=20000, J=200, K=5, T=5000, S=3. Deterministic (fixed seed)."""
import json, math, os, random, sys

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

def r_value(v):
    """An R dump expression: scalars, vectors, and rectangular 2-d arrays
    (R is column-major, so a matrix is written column by column)."""
    def num(a):
        return str(a) if isinstance(a, int) else repr(float(a))
    if not isinstance(v, list):
        return num(v)
    if v and isinstance(v[0], list):
        rows, cols = len(v), len(v[0])
        flat = [v[r][c] for c in range(cols) for r in range(rows)]
        return "structure(c(%s), .Dim = c(%d, %d))" % (", ".join(num(a) for a in flat), rows, cols)
    return "c(%s)" % ", ".join(num(a) for a in v)

def write_rdump(d, path):
    with open(path, "w") as f:
        for k, v in d.items():
            # integers stay integers (R dump: whole numbers without a decimal point)
            f.write("%s <- %s\n" % (k, r_value(v)))

def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    dims = [int(a) for a in sys.argv[2:7]] or [20000, 200, 5, 5000, 3]
    os.makedirs(out, exist_ok=True)
    d = make(*dims)
    with open(os.path.join(out, "data.json"), "w") as f:
        json.dump(d, f)
    write_rdump(d, os.path.join(out, "data.R"))
    print("wrote %s/data.json and data.R (N=%d J=%d K=%d T=%d S=%d)" % (out, *dims))

if __name__ == "__main__":
    main()
