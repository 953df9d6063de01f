#!/usr/bin/python3
"""Writes the digits CSVs (scikit-learn's bundled 8x8 digits, counts 0..16) into DIR
(default bench/vae/data, gitignored): train.csv (1297 rows), test.csv (500 rows),
split by numpy seed 0 permutation. Columns x.1 .. x.64 (vi's array-column names)."""
import os, sys
import numpy as np
from sklearn.datasets import load_digits

def split():
    X = load_digits().data.astype(np.int64)          # 1797 x 64
    perm = np.random.RandomState(0).permutation(X.shape[0])
    return X[perm[:1297]], X[perm[1297:]]

def write(path, X):
    with open(path, "w") as f:
        f.write(",".join("x.%d" % (j + 1) for j in range(X.shape[1])) + "\n")
        for row in X:
            f.write(",".join(str(int(v)) for v in row) + "\n")

if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(d, exist_ok=True)
    tr, te = split()
    write(os.path.join(d, "train.csv"), tr)
    write(os.path.join(d, "test.csv"), te)
    print("wrote %s/train.csv (%d rows), %s/test.csv (%d rows)" % (d, len(tr), d, len(te)))
