#!/usr/bin/python3
"""Closed-form probabilistic PCA (Tipping & Bishop 1999, ML solution) on the digits split:
fit on train (eigendecomposition of the sample covariance, latent dim q), report the mean
test log-likelihood per image under N(mean, W W' + s2 I).  Usage: ppca.py [DIR] [q]"""
import os, sys
import numpy as np

def ppca_fit(X, q):
    mu = X.mean(0)
    S = np.cov(X - mu, rowvar=False, bias=True)
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    d = X.shape[1]
    s2 = lam[q:].mean()
    W = U[:, :q] * np.sqrt(np.maximum(lam[:q] - s2, 0.0))
    return mu, W, s2

def loglik(X, mu, W, s2):
    d = X.shape[1]
    C = W @ W.T + s2 * np.eye(d)
    L = np.linalg.cholesky(C)
    R = np.linalg.solve(L, (X - mu).T)
    logdet = 2 * np.log(np.diag(L)).sum()
    return -0.5 * (d * np.log(2 * np.pi) + logdet + (R * R).sum(0))

def read(path):
    return np.loadtxt(path, delimiter=",", skiprows=1)

if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    q = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    tr, te = read(os.path.join(d, "train.csv")), read(os.path.join(d, "test.csv"))
    mu, W, s2 = ppca_fit(tr, q)
    print("ppca q=%d sigma2=%.6f train_ll=%.4f test_ll=%.4f (nats per image)"
          % (q, s2, loglik(tr, mu, W, s2).mean(), loglik(te, mu, W, s2).mean()))
