"""References and held-out cases of notebook 06 (Boltzmann machines), through lecturekit.boltzmann and .ais."""

import torch

from lecturekit import ais, boltzmann
from lecturekit.exercises.boltzmann import ais_cases, cd_cases, rbm_cases


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


def cd_gradient(x, x_neg, W, b, c):
    """The CD estimate of the gradient of the average log-likelihood: minus the gradient of cd_loss."""
    rbm = _rbm(W, b, c)
    loss = boltzmann.cd_loss(rbm.free_energy, x, x_neg)
    dW, db, dc = torch.autograd.grad(-loss, (rbm.W, rbm.b, rbm.c))
    return dW, db, dc


def ais_log_weight_step(x, tau_prev, tau, W, b, c, b0):
    """log p*_τ(x) − log p*_τ_prev(x), through ais.log_p_star."""
    with torch.no_grad():
        rbm = _rbm(W, b, c)
        return ais.log_p_star(x, tau, rbm, b0) - ais.log_p_star(x, tau_prev, rbm, b0)


REFERENCES = {"6.1": p_z_given_x, "6.2": free_energy, "6.3": cd_gradient, "6.4": ais_log_weight_step}

_SIZES = [(4, 7, 3), (15, 30, 12), (2, 5, 40)]
HIDDEN = {"6.1": lambda: rbm_cases(_SIZES, seed=1600), "6.2": lambda: rbm_cases(_SIZES, seed=1610),
          # one chain against a big batch, and a hidden layer wider than the visible one
          "6.3": lambda: cd_cases([(3, 1, 6, 2), (40, 25, 9, 4), (8, 8, 3, 12)], seed=1630),
          # the first and the last step of an annealing run, and a tiny step in the middle
          "6.4": lambda: ais_cases([(5, 8, 4, 0.0, 0.001), (3, 15, 7, 0.999, 1.0), (10, 4, 6, 0.3, 0.3001)],
                                   seed=1640)}
