#!/usr/bin/python3
"""PyTorch 1.13 reference for examples/vae: the same network as the vi model (8-dim latent,
one hidden layer of 128 tanh units in encoder and decoder, Binomial(16) likelihood with
logits, encoder input x/16), float64, Adam lr 1e-3, batch 100, E epochs.
Prints time per epoch and the test importance-weighted bound (K samples per image) with
its Monte Carlo standard error.
Usage: torch_vae.py DIR --threads T --seed S [--epochs E] [--K K] [--time-only]"""
import argparse, math, os, time
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
D, H, Z, NB = 64, 128, 8, 16.0

class VAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.e1 = torch.nn.Linear(D, H); self.em = torch.nn.Linear(H, Z); self.es = torch.nn.Linear(H, Z)
        self.d1 = torch.nn.Linear(Z, H); self.d2 = torch.nn.Linear(H, D)
        for m in (self.e1, self.em, self.es, self.d1, self.d2):   # Glorot-uniform, zero bias (as vi)
            torch.nn.init.xavier_uniform_(m.weight); torch.nn.init.zeros_(m.bias)
    def encode(self, x):
        h = torch.tanh(self.e1(x / NB))
        return self.em(h), torch.exp(self.es(h))
    def log_joint(self, x, z):
        # log p(z) + log Binomial(x | 16, logits) summed over pixels
        lz = -0.5 * (z * z).sum(-1) - 0.5 * Z * math.log(2 * math.pi)
        a = self.d2(torch.tanh(self.d1(z)))
        lchoose = torch.lgamma(torch.tensor(NB + 1)) - torch.lgamma(x + 1) - torch.lgamma(NB - x + 1)
        lx = (lchoose + x * a - NB * torch.nn.functional.softplus(a)).sum(-1)
        return lz + lx
    def elbo(self, x):
        m, s = self.encode(x)
        z = m + s * torch.randn_like(m)
        ent = torch.log(s).sum(-1) + 0.5 * Z * (1 + math.log(2 * math.pi))
        return self.log_joint(x, z) + ent

def iw_bound(model, X, K, chunk=1000):
    """Per image: log (1/K sum_k p(x,z_k)/q(z_k|x)), z_k ~ q(.|x); MC standard error by the
    delta method on the weights: se = sd(w) / (sqrt(K) mean(w))."""
    out, ses = [], []
    with torch.no_grad():
        for x in X:
            m, s = model.encode(x[None])
            lws = []
            for c in range(0, K, chunk):
                k = min(chunk, K - c)
                e = torch.randn(k, Z)
                z = m + s * e
                lq = (-0.5 * e * e - torch.log(s) - 0.5 * math.log(2 * math.pi)).sum(-1)
                lws.append(model.log_joint(x[None].expand(k, D), z) - lq)
            lw = torch.cat(lws)
            mx = lw.max()
            w = torch.exp(lw - mx)
            out.append((mx + torch.log(w.mean())).item())
            ses.append((w.std() / (math.sqrt(K) * w.mean())).item())
    return np.array(out), np.array(ses)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir"); p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1); p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--K", type=int, default=5000); p.add_argument("--time-only", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
    rd = lambda f: torch.tensor(np.loadtxt(os.path.join(a.dir, f), delimiter=",", skiprows=1))
    Xtr, Xte = rd("train.csv"), rd("test.csv")
    model = VAE(); opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    N, B = Xtr.shape[0], 100
    t0 = time.perf_counter()
    for ep in range(a.epochs):
        perm = torch.randperm(N)
        for i in range(0, N, B):
            xb = Xtr[perm[i:i + B]]
            loss = -model.elbo(xb).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    t = time.perf_counter() - t0
    print("torch threads=%d seed=%d epochs=%d ms_per_epoch=%.2f" % (a.threads, a.seed, a.epochs, 1e3 * t / a.epochs))
    if a.time_only:
        return
    with torch.no_grad():
        torch.manual_seed(1000 + a.seed)
        el = model.elbo(Xte).mean().item()
    iw, se = iw_bound(model, Xte, a.K)
    print("torch seed=%d test_elbo=%.4f test_iw%d=%.4f mc_se=%.4f (per image)"
          % (a.seed, el, a.K, iw.mean(), math.sqrt((se ** 2).sum()) / len(se)))

if __name__ == "__main__":
    main()
