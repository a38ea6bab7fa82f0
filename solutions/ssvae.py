"""References and held-out cases of notebook 05 (semi-supervised VAEs)."""

import torch
import torch.nn.functional as F
from torch.distributions import Categorical

from lecturekit import ssvae
from lecturekit.exercises.ssvae import labelled_cases, objective_cases, unlabelled_cases


def labelled_bound(model, x, y, eps):
    """L(x, y) with the noise ``eps`` (S, N, latent_dim) given."""
    return ssvae.labelled_bound(model, x, y, eps=eps)


def unlabelled_bound(bound_y, log_qy):
    """U(x) = Σ_y q(y|x) L(x, y) + H(q(y|x)), as in ssvae.unlabelled_bound."""
    qy = Categorical(logits=log_qy)
    return (qy.probs * bound_y).sum(-1) + qy.entropy()


def m2_objective(bound_l, bound_u, logits_l, y_l, alpha):
    """-mean_l L - mean_u U + alpha mean_l[-log q(y|x)], the loss ssvae.m2_loss returns."""
    return -(bound_l.mean() + bound_u.mean()) + alpha * F.cross_entropy(logits_l, y_l)


REFERENCES = {"5.1": labelled_bound, "5.2": unlabelled_bound, "5.3": m2_objective}

HIDDEN = {
    "5.1": lambda: labelled_cases([(8, 5, 2, "gaussian", 6, 4, False), (784, 10, 3, "bernoulli", 3, 3, True),
                                   (12, 3, 5, "bernoulli", 10, 1, False)], seed=1500),
    "5.2": lambda: unlabelled_cases([(3, 4, 0.5), (12, 10, 8.0), (5, 2, 40.0)], seed=1510),
    "5.3": lambda: objective_cases([(3, 9, 4, 2.0), (20, 20, 10, 0.1), (1, 50, 2, 10.0)], seed=1520),
}
