"""References and held-out cases of notebook 06 (Boltzmann machines), through lecturekit.boltzmann.RBM."""

import torch

from lecturekit import boltzmann
from lecturekit.exercises.boltzmann import rbm_cases


def _rbm(W, b, c):
    rbm = boltzmann.RBM(W.shape[0], W.shape[1]).to(torch.float64)
    with torch.no_grad():
        rbm.W.copy_(W)
        rbm.b.copy_(b)
        rbm.c.copy_(c)
    return rbm


def free_energy(x, W, b, c):
    """F(x) = −bᵀx − Σ_j softplus(c_j + (xW)_j)."""
    with torch.no_grad():
        return _rbm(W, b, c).free_energy(x)


def p_z_given_x(x, W, b, c):
    """p(z_j = 1 | x) = σ(c_j + (xW)_j)."""
    with torch.no_grad():
        return _rbm(W, b, c).p_z_given_x(x)


REFERENCES = {"6.1": p_z_given_x, "6.2": free_energy}

_SIZES = [(4, 7, 3), (15, 30, 12), (2, 5, 40)]
HIDDEN = {"6.1": lambda: rbm_cases(_SIZES, seed=1600), "6.2": lambda: rbm_cases(_SIZES, seed=1610)}
