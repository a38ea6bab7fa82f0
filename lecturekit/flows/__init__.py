"""Normalizing flows: planar, radial, NICE and Real NVP, fitted by reverse KL or likelihood.

A flow pushes a base density q_0 through diffeomorphisms Φ_1..Φ_K and tracks the volume change:

    log q_K(z_K) = log q_0(z_0) − Σ_k log |det ∇Φ_k(z_{k−1})|.

Four modules, by what a reader looks for:

* :mod:`lecturekit.flows.layers`: :class:`PlanarFlow`, :class:`RadialFlow`, :class:`Compose` and
  :class:`Flow` (base density plus transform).
* :mod:`lecturekit.flows.coupling`: :class:`AdditiveCoupling`, :class:`AffineCoupling`,
  :class:`Scaling`, :func:`NICE`, :func:`RealNVP` and their flows.
* :mod:`lecturekit.flows.fitting`: the energies' log Z, the annealed reverse KL
  (:func:`fit_reverse_kl`), :func:`kl`, maximum likelihood (:func:`fit_max_likelihood`), densities on
  a grid, and the thresholds that notebook 07 checks.
* :mod:`lecturekit.flows.transport`: measure transport, a flow and a GAN trained on the same
  two-moons points (one base density, two ways to train Φ).

Every public name is re-exported here, so ``lk.flows.PlanarFlow`` and ``lk.flows.fit_reverse_kl`` work.

References:
    Tabak & Vanden-Eijnden (2010), Density estimation by dual ascent of the log-likelihood.
    Rezende & Mohamed (2015), Variational inference with normalizing flows.
    Dinh, Krueger & Bengio (2015), NICE: non-linear independent components estimation.
    Dinh, Sohl-Dickstein & Bengio (2017), Density estimation using Real NVP.
"""

from __future__ import annotations

from . import coupling, fitting, layers, transport
from .coupling import *  # noqa: F403
from .fitting import *  # noqa: F403
from .layers import *  # noqa: F403
from .transport import *  # noqa: F403

__all__ = [*layers.__all__, *coupling.__all__, *fitting.__all__, *transport.__all__]
