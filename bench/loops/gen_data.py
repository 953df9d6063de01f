#!/usr/bin/env python3
"""bench/loops/gen_data.py OUTDIR [N J K T S]

Writes OUTDIR/data.json (CmdStan JSON, read by vi-run) and OUTDIR/data.R
(the same values as an R dump, read by rstan::read_rdump; Debian's R has no
JSON package) for the loop-style benchmark: the data set of
tests/models/loops/gen_data.py (same variable names and meaning), only larger.
Defaults: N=20000, J=200, K=5, T=5000, S=3. Deterministic (fixed seed)."""
import json, math, os, random, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "models", "loops"))
from gen_data import make  # noqa: E402  (the corpus's own generator, at a larger size)

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
