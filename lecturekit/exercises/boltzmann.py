"""Exercises of notebook 06: the RBM's hidden conditionals and free energy, one CD-k update, the AIS weight update."""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

SIZES = [(3, 4, 2), (10, 12, 5), (6, 20, 9)]


def rbm_cases(sizes=SIZES, seed: int = 600):
    """(label, (x, W, b, c)) for each (N, D, H)."""
    out = []
    for i, (n, d, h) in enumerate(sizes):
        g = make_generator(seed + i)
        W = torch.randn(d, h, generator=g, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        c = 3 * torch.randn(h, generator=g, dtype=torch.float64)
        x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.float64), generator=g)
        out.append((f"N={n}, D={d}, H={h}", (x, W, b, c)))
    return out


CD_SIZES = [(5, 5, 4, 3), (12, 30, 8, 6), (20, 7, 15, 10)]


def cd_cases(sizes=CD_SIZES, seed: int = 630):
    """(label, (x, x_neg, W, b, c)) for each (N, Ñ, D, H): a batch and negative samples of another size."""
    out = []
    for i, (n, n_neg, d, h) in enumerate(sizes):
        g = make_generator(seed + i)
        W = torch.randn(d, h, generator=g, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        c = 2 * torch.randn(h, generator=g, dtype=torch.float64)
        x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.float64), generator=g)
        x_neg = torch.bernoulli(torch.full((n_neg, d), 0.3, dtype=torch.float64), generator=g)
        out.append((f"N={n}, Ñ={n_neg}, D={d}, H={h}", (x, x_neg, W, b, c)))
    return out


AIS_SIZES = [(4, 6, 3, 0.0, 0.1), (9, 12, 5, 0.5, 0.55), (6, 20, 9, 0.95, 1.0)]


def ais_cases(sizes=AIS_SIZES, seed: int = 640):
    """(label, (x, tau_prev, tau, W, b, c, b0)) for each (N, D, H, tau_prev, tau)."""
    out = []
    for i, (n, d, h, tau_prev, tau) in enumerate(sizes):
        g = make_generator(seed + i)
        W = torch.randn(d, h, generator=g, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        c = 3 * torch.randn(h, generator=g, dtype=torch.float64)
        b0 = torch.randn(d, generator=g, dtype=torch.float64)
        x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.float64), generator=g)
        out.append((f"N={n}, D={d}, H={h}, τ from {tau_prev} to {tau}", (x, tau_prev, tau, W, b, c, b0)))
    return out


# Every conditional of the RBM, DBN and DBM has the form σ(c + xW), and the free energies sum out z.
_ANSWERS = ("lecturekit.boltzmann:RBM.free_energy", "lecturekit.boltzmann:RBM.p_z_given_x",
            "lecturekit.boltzmann:RBM.p_x_given_z", "lecturekit.boltzmann:DBM.p_z1", "lecturekit.boltzmann:DBM.p_z2",
            "lecturekit.boltzmann:DBM.p_x", "lecturekit.boltzmann:cd_loss", "lecturekit.ais:*")

register(Exercise("6.1", "RBM hidden conditionals", "p_z_given_x", rbm_cases, atol=1e-9, forbidden=_ANSWERS))
register(Exercise("6.2", "RBM free energy", "free_energy", rbm_cases, atol=1e-8, forbidden=_ANSWERS))
register(Exercise("6.3", "one CD-k update", "cd_gradient", cd_cases, atol=1e-9, forbidden=_ANSWERS))
register(Exercise("6.4", "the AIS weight update", "ais_log_weight_step", ais_cases, atol=1e-9, forbidden=_ANSWERS))
