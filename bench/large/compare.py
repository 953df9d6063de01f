#!/usr/bin/env python3
"""compare.py REFERENCE.csv PARAMS.csv (param,mean,sd or --params output): how far vi's fit (vi-run --params)
is from a reference (param,mean,sd): the largest |mean - ref| in reference
sds and the largest |sd / ref sd - 1|. Prints 'mean_err_sd=... sd_err=...'."""
import csv
import sys


def read(path):
    """param -> (mean, sd); a --params file of a covariance factor (L_1 ..)
    gives sd as the root of the sum of squares of its row."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if "sd" in r:
                sd = float(r["sd"])
            else:
                sd = sum(float(v) ** 2 for k, v in r.items() if k.startswith("L_")) ** 0.5
            out[r["param"]] = (float(r["mean"]), sd)
    return out


ref, fit = read(sys.argv[1]), read(sys.argv[2])
worst_m = worst_s = 0.0
for name, (m, s) in ref.items():
    fm, fs = fit[name]
    worst_m = max(worst_m, abs(fm - m) / s)
    worst_s = max(worst_s, abs(fs / s - 1))
print(f"mean_err_sd={worst_m:.3g} sd_err={worst_s:.3g}")
