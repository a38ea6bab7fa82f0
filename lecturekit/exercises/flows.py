"""Exercises of notebook 07: the invertible planar layer and its log-det."""

from __future__ import annotations

import torch

from ..homework import Exercise, register


def _planar_cases():
    out = []
    for i, (n, d, scale) in enumerate([(5, 2, 1.0), (20, 2, 3.0), (8, 5, 0.5)]):
        g = torch.Generator().manual_seed(700 + i)
        w = scale * torch.randn(d, generator=g, dtype=torch.float64)
        u = scale * torch.randn(d, generator=g, dtype=torch.float64)
        b = torch.randn((), generator=g, dtype=torch.float64)
        z = 2 * torch.randn(n, d, generator=g, dtype=torch.float64)
        out.append((f"N={n}, D={d}, |w|~{scale}", (z, w, u, b)))
    return out


def _layer(w, u, b):
    from ..flows import PlanarFlow

    flow = PlanarFlow(w.shape[-1], 1).to(torch.float64)
    with torch.no_grad():
        flow.w.copy_(w[None])
        flow.u.copy_(u[None])
        flow.b.copy_(b.reshape(1))
    return flow


def u_hat(w, u):
    """û = u + (m(wᵀu) − wᵀu) w / ‖w‖², m(x) = −1 + softplus(x), via :class:`PlanarFlow`."""
    with torch.no_grad():
        return _layer(w, u, torch.zeros((), dtype=w.dtype)).u_hat()[0][0]


def planar_layer(z, w, u, b):
    """(z + û tanh(wᵀz + b), log |1 + ψᵀû|), via :class:`PlanarFlow`."""
    with torch.no_grad():
        return _layer(w, u, b)(z)


register(Exercise("7.1", "the invertible reparametrization û", "lecturekit.exercises.flows:u_hat",
                  lambda: [(label, (w, u)) for label, (_, w, u, _) in _planar_cases()], atol=1e-10))
register(Exercise("7.2", "a planar layer and its log-det", "lecturekit.exercises.flows:planar_layer",
                  _planar_cases, atol=1e-9))
