#!/usr/bin/env python3
"""compare.py REFERENCE.csv PARAMS.csv: how far vi's fit (vi-run --params)
is from a reference (param,mean,sd): the largest |mean - ref| in reference
sds and the largest |sd / ref sd - 1|. Prints 'mean_err_sd=... sd_err=...'."""
import csv
import sys


def read(path):
    with open(path) as f:
        return {r["param"]: (float(r["mean"]), float(r["sd"])) for r in csv.DictReader(f)}


ref, fit = read(sys.argv[1]), read(sys.argv[2])
worst_m = worst_s = 0.0
for name, (m, s) in ref.items():
    fm, fs = fit[name]
    worst_m = max(worst_m, abs(fm - m) / s)
    worst_s = max(worst_s, abs(fs / s - 1))
print(f"mean_err_sd={worst_m:.3g} sd_err={worst_s:.3g}")
