#!/usr/bin/python3
"""decoder.csv for decoder.vim: the first R digits training rows (x.1..x.64) with z.1..z.8
standard normals (numpy seed 1).  Usage: make_decoder_data.py DIR [R]"""
import sys, os
import numpy as np
d = sys.argv[1]; R = int(sys.argv[2]) if len(sys.argv) > 2 else 100
X = np.loadtxt(os.path.join(d, "train.csv"), delimiter=",", skiprows=1)[:R].astype(int)
Zs = np.random.RandomState(1).randn(R, 8)
with open(os.path.join(d, "decoder%d.csv" % R), "w") as f:
    f.write(",".join(["x.%d" % (j + 1) for j in range(64)] + ["z.%d" % (j + 1) for j in range(8)]) + "\n")
    for xr, zr in zip(X, Zs):
        f.write(",".join([str(v) for v in xr] + ["%.17g" % v for v in zr]) + "\n")
