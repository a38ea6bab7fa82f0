r"""Exercises of notebook 05 (semi-supervised VAEs): the bounds and the objective of M2.

* 5.1 the labelled bound L(x, y) of a small random :class:`~lecturekit.ssvae.M2`, with the noise
  ``eps`` given, so that the answer is deterministic (reference :func:`lecturekit.ssvae.labelled_bound`);
* 5.2 the unlabelled bound U(x) from the (N, K) matrix of L(x, y) and log q(y | x), the last step
  of :func:`lecturekit.ssvae.unlabelled_bound`;
* 5.3 the per-minibatch M2 loss from the bounds and the classifier's logits, the last line of
  :func:`lecturekit.ssvae.m2_loss`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.distributions import Categorical

from ..homework import Exercise, register

f64 = torch.float64


def _labelled_cases():
    from ..ssvae import M2

    out = []
    for i, (d, k, latent, likelihood, n, s, image) in enumerate([
        (6, 3, 2, "bernoulli", 5, 1, False), (10, 4, 3, "gaussian", 7, 3, False),
        (784, 10, 4, "bernoulli", 4, 2, True), (5, 2, 1, "gaussian", 9, 20, False),
    ]):
        torch.manual_seed(500 + i)
        model = M2(x_dim=d, num_classes=k, latent_dim=latent, hidden_dim=16, likelihood=likelihood).double()
        if model.log_sigma is not None:
            with torch.no_grad():
                model.log_sigma.normal_(0.0, 0.3)
        x = torch.rand(n, d, dtype=f64) if likelihood == "bernoulli" else torch.randn(n, d, dtype=f64)
        if image:
            x = x.view(n, 1, 28, 28)
        y = torch.randint(0, k, (n,))
        eps = torch.randn(s, n, latent, dtype=f64)
        out.append((f"{likelihood}, x {tuple(x.shape)}, K={k}, S={s}", (model, x, y, eps)))
    return out


def _labelled_bound(model, x, y, eps):
    """L(x, y) with the noise ``eps`` (S, N, latent_dim) given."""
    from ..ssvae import labelled_bound

    return labelled_bound(model, x, y, eps=eps)


def _unlabelled_cases():
    g = torch.Generator().manual_seed(510)
    out = []
    for n, k, sharp in [(1, 2, 1.0), (6, 3, 1.0), (20, 10, 3.0), (8, 10, 20.0)]:
        bound_y = -100 + 10 * torch.randn(n, k, generator=g, dtype=f64)
        log_qy = torch.log_softmax(sharp * torch.randn(n, k, generator=g, dtype=f64), -1)
        out.append((f"N={n}, K={k}" + (", nearly one-hot q" if sharp > 10 else ""), (bound_y, log_qy)))
    return out


def _unlabelled_bound(bound_y, log_qy):
    """U(x) = Σ_y q(y|x) L(x, y) + H(q(y|x)), as in :func:`lecturekit.ssvae.unlabelled_bound`."""
    qy = Categorical(logits=log_qy)
    return (qy.probs * bound_y).sum(-1) + qy.entropy()


def _objective_cases():
    g = torch.Generator().manual_seed(520)
    out = []
    for n_l, n_u, k, alpha in [(2, 3, 2, 0.0), (10, 40, 10, 1.0), (5, 100, 3, 4.0), (30, 7, 10, 0.5)]:
        bound_l = -100 + 10 * torch.randn(n_l, generator=g, dtype=f64)
        bound_u = -100 + 10 * torch.randn(n_u, generator=g, dtype=f64)
        logits_l = 2 * torch.randn(n_l, k, generator=g, dtype=f64)
        y_l = torch.randint(0, k, (n_l,), generator=g)
        out.append((f"N_l={n_l}, N_u={n_u}, K={k}, alpha={alpha}", (bound_l, bound_u, logits_l, y_l, alpha)))
    return out


def _m2_objective(bound_l, bound_u, logits_l, y_l, alpha):
    """-mean_l L - mean_u U + alpha mean_l[-log q(y|x)], the loss :func:`lecturekit.ssvae.m2_loss` returns."""
    return -(bound_l.mean() + bound_u.mean()) + alpha * F.cross_entropy(logits_l, y_l)


register(Exercise("5.1", "the labelled bound L(x, y)", "lecturekit.exercises.ssvae:_labelled_bound",
                  _labelled_cases, atol=1e-8, rtol=1e-9))
register(Exercise("5.2", "the unlabelled bound U(x)", "lecturekit.exercises.ssvae:_unlabelled_bound",
                  _unlabelled_cases, atol=1e-8, rtol=1e-9))
register(Exercise("5.3", "the M2 objective", "lecturekit.exercises.ssvae:_m2_objective",
                  _objective_cases, atol=1e-8, rtol=1e-9))
