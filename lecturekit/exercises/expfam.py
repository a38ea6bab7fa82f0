"""Exercises of notebook 02 (exponential families): reference solutions and seeded cases.

The references are the package's closed forms (:mod:`lecturekit.expfam`), wrapped so that the
student's function takes plain tensors: θ of shape (N,) for the Bernoulli, μ of shape (N, K−1)
for the Categorical in minimal form.
"""

from __future__ import annotations

import torch

from ..homework import Exercise, register

f64 = torch.float64


def _bernoulli_cases():
    g = torch.Generator().manual_seed(200)
    return [
        ("θ = 0", (torch.zeros(1, dtype=f64),)),
        ("5 values, |θ| < 3", (3 * (2 * torch.rand(5, generator=g, dtype=f64) - 1),)),
        ("100 values, |θ| < 20", (20 * (2 * torch.rand(100, generator=g, dtype=f64) - 1),)),
        ("large |θ| (overflow)", (torch.tensor([-800.0, -50.0, 50.0, 800.0], dtype=f64),)),
    ]


def _bernoulli_log_partition_and_mean(theta):
    """(A(θ), μ(θ)) = (log(1 + e^θ), σ(θ)) for a vector θ (N,), each (N,)."""
    from ..expfam import Bernoulli

    fam, t = Bernoulli(), theta.unsqueeze(-1)
    return fam.log_partition(t), fam.mean(t)[..., 0]


def _categorical_cases():
    g = torch.Generator().manual_seed(201)
    out = []
    for n, k, scale in [(1, 2, 1.0), (4, 3, 1.0), (10, 5, 3.0), (6, 4, 12.0)]:
        p = torch.softmax(scale * torch.randn(n, k, generator=g, dtype=f64), dim=-1)
        out.append((f"N={n}, K={k}" + (", some μ_k near 0" if scale > 5 else ""), (p[:, 1:],)))
    return out


def _categorical_conjugate(mu):
    """A*(μ) of the Categorical(K) family in minimal form, μ (N, K−1) -> (N,)."""
    from ..expfam import Categorical

    return Categorical(mu.shape[-1] + 1).conjugate(mu)


def _legendre_cases():
    from ..expfam import Bernoulli, Poisson

    return [(f"{fam.name}, μ = {mu}", (fam, torch.tensor([mu], dtype=f64)))
            for fam, mu in [(Bernoulli(), 0.3), (Bernoulli(), 0.9), (Bernoulli(), 0.02),
                            (Poisson(), 0.5), (Poisson(), 4.0), (Poisson(), 20.0)]]


register(Exercise("2.1", "Bernoulli log-partition and mean map",
                  "lecturekit.exercises.expfam:_bernoulli_log_partition_and_mean",
                  _bernoulli_cases, atol=1e-10, rtol=1e-10))
register(Exercise("2.2", "the Categorical conjugate A*(μ) = −H",
                  "lecturekit.exercises.expfam:_categorical_conjugate",
                  _categorical_cases, atol=1e-10, rtol=1e-10))
register(Exercise("2.3", "the Legendre transform by Newton's method", "lecturekit.expfam:conjugate",
                  _legendre_cases, atol=1e-8, rtol=1e-8))
