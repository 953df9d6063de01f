#!/usr/bin/python3
"""The decoder.vim computation in PyTorch (float64): log density of 100 rows given z and
its gradient with respect to W1, b1, W2, b2; prints microseconds per gradient.
Usage: torch_decoder.py DIR/decoder100.csv [--threads T] [--reps R]"""
import argparse, time
import numpy as np
import torch
torch.set_default_dtype(torch.float64)
p = argparse.ArgumentParser(); p.add_argument("csv"); p.add_argument("--threads", type=int, default=1)
p.add_argument("--reps", type=int, default=200); a = p.parse_args()
torch.set_num_threads(a.threads)
A = torch.tensor(np.loadtxt(a.csv, delimiter=",", skiprows=1))
x, z = A[:, :64], A[:, 64:]
W1 = torch.zeros(128, 8, requires_grad=True); b1 = torch.zeros(128, requires_grad=True)
W2 = torch.zeros(64, 128, requires_grad=True); b2 = torch.zeros(64, requires_grad=True)
lch = torch.lgamma(torch.tensor(17.0)) - torch.lgamma(x + 1) - torch.lgamma(17 - x)
def lp():
    al = torch.tanh(z @ W1.T + b1) @ W2.T + b2
    return (lch + x * al - 16 * torch.nn.functional.softplus(al)).sum()
for _ in range(20):
    g = torch.autograd.grad(lp(), (W1, b1, W2, b2))
t0 = time.perf_counter()
for _ in range(a.reps):
    g = torch.autograd.grad(lp(), (W1, b1, W2, b2))
print("torch_decoder threads=%d rows=%d per_gradient_us=%.1f" % (a.threads, x.shape[0], 1e6 * (time.perf_counter() - t0) / a.reps))
