"""Exercises of notebook 06: the RBM's free energy and hidden conditionals."""

from __future__ import annotations

import torch

from ..homework import Exercise, register


def _rbm_cases():
    out = []
    for i, (n, d, h) in enumerate([(3, 4, 2), (10, 12, 5), (6, 20, 9)]):
        g = torch.Generator().manual_seed(600 + i)
        W = torch.randn(d, h, generator=g, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        c = 3 * torch.randn(h, generator=g, dtype=torch.float64)
        x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.float64), generator=g)
        out.append((f"N={n}, D={d}, H={h}", (x, W, b, c)))
    return out


def _rbm(W, b, c):
    from ..boltzmann import RBM

    rbm = RBM(W.shape[0], W.shape[1]).to(torch.float64)
    with torch.no_grad():
        rbm.W.copy_(W)
        rbm.b.copy_(b)
        rbm.c.copy_(c)
    return rbm


def free_energy(x, W, b, c):
    """F(x) = −bᵀx − Σ_j softplus(c_j + (xW)_j), through :class:`lecturekit.boltzmann.RBM`."""
    with torch.no_grad():
        return _rbm(W, b, c).free_energy(x)


def p_z_given_x(x, W, b, c):
    """p(z_j = 1 | x) = σ(c_j + (xW)_j), through :class:`lecturekit.boltzmann.RBM`."""
    with torch.no_grad():
        return _rbm(W, b, c).p_z_given_x(x)


register(Exercise("6.1", "RBM hidden conditionals", "lecturekit.exercises.boltzmann:p_z_given_x", _rbm_cases, atol=1e-9))
register(Exercise("6.2", "RBM free energy", "lecturekit.exercises.boltzmann:free_energy", _rbm_cases, atol=1e-8))
