"""Exercises of notebook 06: the RBM's free energy and hidden conditionals."""

from __future__ import annotations

import torch

from ..homework import Exercise, register

SIZES = [(3, 4, 2), (10, 12, 5), (6, 20, 9)]


def rbm_cases(sizes=SIZES, seed: int = 600):
    """(label, (x, W, b, c)) for each (N, D, H)."""
    out = []
    for i, (n, d, h) in enumerate(sizes):
        g = torch.Generator().manual_seed(seed + i)
        W = torch.randn(d, h, generator=g, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        c = 3 * torch.randn(h, generator=g, dtype=torch.float64)
        x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.float64), generator=g)
        out.append((f"N={n}, D={d}, H={h}", (x, W, b, c)))
    return out


# Every conditional of the RBM, DBN and DBM has the form σ(c + xW), and the free energies sum out z.
_ANSWERS = ("lecturekit.boltzmann:RBM.free_energy", "lecturekit.boltzmann:RBM.p_z_given_x",
            "lecturekit.boltzmann:RBM.p_x_given_z", "lecturekit.boltzmann:DBM.p_z1", "lecturekit.boltzmann:DBM.p_z2",
            "lecturekit.boltzmann:DBM.p_x", "lecturekit.ais:*")

register(Exercise("6.1", "RBM hidden conditionals", "p_z_given_x", rbm_cases, atol=1e-9, forbidden=_ANSWERS))
register(Exercise("6.2", "RBM free energy", "free_energy", rbm_cases, atol=1e-8, forbidden=_ANSWERS))
