r"""Exponential families, their log-partition function and its convex conjugate.

A family in canonical form has density p_θ(x) = h(x) exp(⟨θ, φ(x)⟩ − A(θ)) on the domain
Ω = {θ : A(θ) < ∞}. A is convex and its gradient is the mean map, μ = ∇A(θ) = E_θ[φ(X)].
The convex conjugate (Legendre transform)

.. math::
    A^*(μ) = \sup_{θ ∈ Ω} ⟨θ, μ⟩ − A(θ)

is, at μ = ∇A(θ), the negative entropy relative to the base measure,
A*(μ) = −H(p_θ) − E_θ[log h(X)], and A** = A gives the variational representation
A(θ) = sup_μ ⟨θ, μ⟩ − A*(μ).

Parameters are float64 tensors whose last dimension is ``family.dim`` (a Python float is
accepted for one-dimensional families); leading dimensions broadcast.

References:
    Wainwright & Jordan (2008). Graphical models, exponential families, and variational
    inference. Foundations and Trends in Machine Learning 1(1-2), §3.

Three modules, by what a reader looks for:

* :mod:`lecturekit.expfam.base`: the canonical form, :class:`Family` (φ, A, Ω, the mean map, A*,
  the entropy) and the checks on θ, μ and x.
* :mod:`lecturekit.expfam.families`: the closed forms of :class:`Bernoulli`, :class:`Categorical`,
  :class:`Poisson` (a stable entropy at large rates), :class:`Exponential` and :class:`Gaussian`,
  and :func:`get_family`.
* :mod:`lecturekit.expfam.duality`: conjugate duality computed numerically, μ = ∇A(θ) by autograd
  (:func:`mean_autograd`), A*(μ) by convex optimization (:func:`conjugate`) and A(θ) as a
  supremum over μ (:func:`variational_log_partition`), to check the closed forms against.

Every public name is re-exported here, so ``lk.expfam.Poisson`` and ``lk.expfam.conjugate`` work.
"""

from __future__ import annotations

from . import base, duality, families
from .base import *  # noqa: F403
from .duality import *  # noqa: F403
from .duality import _default_theta  # noqa: F401  (the Newton start, read by tests/test_expfam.py)
from .families import *  # noqa: F403

__all__ = [*base.__all__, *families.__all__, *duality.__all__]
