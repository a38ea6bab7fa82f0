r"""Exercises of notebook 05 (semi-supervised VAEs): the bounds and the objective of M2.

* 5.1 the labelled bound L(x, y) of a small random :class:`~lecturekit.ssvae.M2`, with the noise
  ``eps`` given, so that the answer is deterministic;
* 5.2 the unlabelled bound U(x) from the (N, K) matrix of L(x, y) and log q(y | x), the last step
  of :func:`lecturekit.ssvae.unlabelled_bound`;
* 5.3 the per-minibatch M2 loss from the bounds and the classifier's logits, the last line of
  :func:`lecturekit.ssvae.m2_loss`.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator, seeded

f64 = torch.float64
LABELLED = [(6, 3, 2, "bernoulli", 5, 1, False), (10, 4, 3, "gaussian", 7, 3, False),
            (784, 10, 4, "bernoulli", 4, 2, True), (5, 2, 1, "gaussian", 9, 20, False)]
UNLABELLED = [(1, 2, 1.0), (6, 3, 1.0), (20, 10, 3.0), (8, 10, 20.0)]
OBJECTIVE = [(2, 3, 2, 0.0), (10, 40, 10, 1.0), (5, 100, 3, 4.0), (30, 7, 10, 0.5)]


def labelled_cases(settings=LABELLED, seed: int = 500):
    """(label, (model, x, y, eps)) for each (D, K, latent, likelihood, N, S, image-shaped x)."""
    from ..ssvae import M2

    out = []
    for i, (d, k, latent, likelihood, n, s, image) in enumerate(settings):
        with seeded(seed + i):  # the weights and the draws of this case
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


def unlabelled_cases(settings=UNLABELLED, seed: int = 510):
    g = make_generator(seed)
    out = []
    for n, k, sharp in settings:
        bound_y = -100 + 10 * torch.randn(n, k, generator=g, dtype=f64)
        log_qy = torch.log_softmax(sharp * torch.randn(n, k, generator=g, dtype=f64), -1)
        out.append((f"N={n}, K={k}" + (", nearly one-hot q" if sharp > 10 else ""), (bound_y, log_qy)))
    return out


def objective_cases(settings=OBJECTIVE, seed: int = 520):
    g = make_generator(seed)
    out = []
    for n_l, n_u, k, alpha in settings:
        bound_l = -100 + 10 * torch.randn(n_l, generator=g, dtype=f64)
        bound_u = -100 + 10 * torch.randn(n_u, generator=g, dtype=f64)
        logits_l = 2 * torch.randn(n_l, k, generator=g, dtype=f64)
        y_l = torch.randint(0, k, (n_l,), generator=g)
        out.append((f"N_l={n_l}, N_u={n_u}, K={k}, alpha={alpha}", (bound_l, bound_u, logits_l, y_l, alpha)))
    return out


_ANSWERS = ("lecturekit.ssvae:_bound", "lecturekit.ssvae:labelled_bound", "lecturekit.ssvae:unlabelled_bound",
            "lecturekit.ssvae:m2_loss")

register(Exercise("5.1", "the labelled bound L(x, y)", "labelled_bound", labelled_cases, atol=1e-8, rtol=1e-9,
                  forbidden=_ANSWERS))
register(Exercise("5.2", "the unlabelled bound U(x)", "unlabelled_bound", unlabelled_cases, atol=1e-8, rtol=1e-9,
                  forbidden=_ANSWERS))
register(Exercise("5.3", "the M2 objective", "m2_objective", objective_cases, atol=1e-8, rtol=1e-9,
                  forbidden=_ANSWERS))
