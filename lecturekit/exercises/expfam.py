"""Exercises of notebook 02 (exponential families): public cases.

The student's functions take plain tensors: θ of shape (N,) for the Bernoulli, μ of shape (N, K−1)
for the Categorical in minimal form; 2.3 takes a family and uses only its ``log_partition``.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

f64 = torch.float64


def bernoulli_cases(seed: int = 200, sizes=(5, 100), scales=(3.0, 20.0), extremes=(-800.0, -50.0, 50.0, 800.0),
                    zero: bool = True):
    g = make_generator(seed)
    out = [("θ = 0", (torch.zeros(1, dtype=f64),))] if zero else []
    for n, s in zip(sizes, scales):
        out.append((f"{n} values, |θ| < {s:g}", (s * (2 * torch.rand(n, generator=g, dtype=f64) - 1),)))
    out.append(("large |θ| (overflow)", (torch.tensor(extremes, dtype=f64),)))
    return out


def categorical_cases(seed: int = 201, shapes=((1, 2, 1.0), (4, 3, 1.0), (10, 5, 3.0), (6, 4, 12.0))):
    g = make_generator(seed)
    out = []
    for n, k, scale in shapes:
        p = torch.softmax(scale * torch.randn(n, k, generator=g, dtype=f64), dim=-1)
        out.append((f"N={n}, K={k}" + (", some μ_k near 0" if scale > 5 else ""), (p[:, 1:],)))
    return out


def legendre_cases(values=(("Bernoulli", 0.3), ("Bernoulli", 0.9), ("Bernoulli", 0.02),
                           ("Poisson", 0.5), ("Poisson", 4.0), ("Poisson", 20.0))):
    from .. import expfam

    return [(f"{name}, μ = {mu}", (getattr(expfam, name)(), torch.tensor([mu], dtype=f64))) for name, mu in values]


# Every closed form of the mean map, its inverse, the conjugate and the entropy; 2.3 may use
# log_partition (and 2.1's log-partition is one softplus anyway).
_ANSWERS = ("lecturekit.expfam:*.mean", "lecturekit.expfam:*._mean", "lecturekit.expfam:*.theta_from_mean",
            "lecturekit.expfam:*._theta", "lecturekit.expfam:*.conjugate", "lecturekit.expfam:*._conjugate",
            "lecturekit.expfam:*.entropy", "lecturekit.expfam:*._entropy", "lecturekit.expfam:mean_autograd",
            "lecturekit.expfam:conjugate", "lecturekit.expfam.duality:_newton_maximize",
            "lecturekit.expfam:variational_log_partition")

register(Exercise("2.1", "Bernoulli log-partition and mean map", "bernoulli_log_partition_and_mean",
                  bernoulli_cases, atol=1e-10, rtol=1e-10, forbidden=_ANSWERS))
register(Exercise("2.2", "the Categorical conjugate A*(μ) = −H", "categorical_conjugate",
                  categorical_cases, atol=1e-10, rtol=1e-10, forbidden=_ANSWERS))
register(Exercise("2.3", "the Legendre transform by Newton's method", "conjugate_newton",
                  legendre_cases, atol=1e-8, rtol=1e-8, forbidden=_ANSWERS))
