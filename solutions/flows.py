"""References and held-out cases of notebook 07 (flows), through lecturekit.flows.PlanarFlow."""

import torch

from lecturekit import flows
from lecturekit.exercises.flows import planar_cases


def _layer(w, u, b):
    flow = flows.PlanarFlow(w.shape[-1], 1).to(torch.float64)
    with torch.no_grad():
        flow.w.copy_(w[None])
        flow.u.copy_(u[None])
        flow.b.copy_(b.reshape(1))
    return flow


def u_hat(w, u):
    """û = u + (m(wᵀu) − wᵀu) w / ‖w‖², m(x) = −1 + softplus(x)."""
    with torch.no_grad():
        return _layer(w, u, torch.zeros((), dtype=w.dtype)).u_hat()[0][0]


def planar_layer(z, w, u, b):
    """(z + û tanh(wᵀz + b), log |1 + ψᵀû|)."""
    with torch.no_grad():
        return _layer(w, u, b)(z)


REFERENCES = {"7.1": u_hat, "7.2": planar_layer}

_SIZES = [(3, 3, 2.0), (11, 1, 1.0), (6, 4, 5.0)]
HIDDEN = {
    "7.1": lambda: [(label, (w, u)) for label, (_, w, u, _) in planar_cases(_SIZES, seed=1700)],
    "7.2": lambda: planar_cases(_SIZES, seed=1710),
}
