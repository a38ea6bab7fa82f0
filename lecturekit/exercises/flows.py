"""Exercises of notebook 07: the invertible planar layer and its log-det."""

from __future__ import annotations

import torch

from ..homework import Exercise, register
from ..utils import make_generator

SIZES = [(5, 2, 1.0), (20, 2, 3.0), (8, 5, 0.5)]


def planar_cases(sizes=SIZES, seed: int = 700):
    """(label, (z, w, u, b)) for each (N, D, scale of w and u)."""
    out = []
    for i, (n, d, scale) in enumerate(sizes):
        g = make_generator(seed + i)
        w = scale * torch.randn(d, generator=g, dtype=torch.float64)
        u = scale * torch.randn(d, generator=g, dtype=torch.float64)
        b = torch.randn((), generator=g, dtype=torch.float64)
        z = 2 * torch.randn(n, d, generator=g, dtype=torch.float64)
        out.append((f"N={n}, D={d}, |w|~{scale}", (z, w, u, b)))
    return out


_ANSWERS = ("lecturekit.flows:PlanarFlow.u_hat", "lecturekit.flows:PlanarFlow.forward",
            "lecturekit.flows:PlanarFlow.inverse")

register(Exercise("7.1", "the invertible reparametrization û", "u_hat",
                  lambda: [(label, (w, u)) for label, (_, w, u, _) in planar_cases()], atol=1e-10, forbidden=_ANSWERS))
register(Exercise("7.2", "a planar layer and its log-det", "planar_layer", planar_cases, atol=1e-9,
                  forbidden=_ANSWERS))
