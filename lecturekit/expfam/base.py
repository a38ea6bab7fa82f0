"""The canonical form of an exponential family: :class:`Family` and the checks on θ, μ and x.

p_θ(x) = h(x) exp(⟨θ, φ(x)⟩ − A(θ)). A subclass fills in the closed forms (``_log_partition``,
``_mean``, ``_theta``, ``_conjugate``, ``_entropy``, ``_distribution``) and its domains; the public
methods check their argument, call the closed form and refuse a result that overflows float64.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import distributions as D

__all__ = ["Family"]

DTYPE = torch.float64


def _as_tensor(name: str, value) -> torch.Tensor:
    """``value`` (a number, nested list, array or tensor of real numbers) as a float64 tensor."""
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        if value.device.type == "meta":
            raise ValueError(f"{name} is on the meta device, which holds no values")
        return value.to(DTYPE)
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f"{name} must be a number, a list of numbers or a tensor, got {value!r}")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            raise TypeError
        return torch.as_tensor(arr.astype(np.float64), dtype=DTYPE)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, a list of numbers or a tensor, got {type(value).__name__}") from None


def _as_param(name: str, value, dim: int) -> torch.Tensor:
    """``value`` as a float64 tensor whose last dimension is ``dim``."""
    t = _as_tensor(name, value)
    if dim == 1 and (t.ndim == 0 or t.shape[-1] != 1):
        t = t.unsqueeze(-1)
    if t.shape[-1] != dim:
        raise ValueError(f"{name} must have last dimension {dim}, got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return t


def _finite(name: str, t: torch.Tensor, what: str, out: torch.Tensor) -> torch.Tensor:
    """``out`` if it is finite, else a ValueError: ``t`` is beyond where ``what`` is representable in float64."""
    if not bool(torch.isfinite(out).all()):
        rows = t.reshape(-1, t.shape[-1])
        finite = torch.isfinite(out.detach()).reshape(rows.shape[0], -1).all(-1)
        bad = rows[~finite]
        raise ValueError(f"{name} = {bad[0].tolist()} is too extreme: {what} overflows float64 there "
                         f"(keep {name} in a range where it is finite)")
    return out


class Family:
    """One exponential family: sufficient statistic φ, log-partition A, domain Ω, mean map,
    conjugate A* and entropy. Subclasses fill in the closed forms."""

    name: str = "family"
    dim: int = 1
    #: where Ω and the mean domain M lie, in words, for error messages
    omega: str = "R"
    mean_domain: str = "R"
    #: a point inside Ω (default: the origin)
    interior: tuple[float, ...] = ()

    # -- domains ---------------------------------------------------------------------------------
    def _in_omega(self, theta: torch.Tensor) -> torch.Tensor:
        return torch.ones(theta.shape[:-1], dtype=torch.bool)

    def _in_mean_domain(self, mu: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_theta(self, theta) -> torch.Tensor:
        """θ as a tensor, or a ValueError naming ``theta`` if it lies outside Ω."""
        t = _as_param("theta", theta, self.dim)
        if not bool(self._in_omega(t).all()):
            raise ValueError(f"theta must lie in Ω = {self.omega} for the {self.name} family, got {t.tolist()}")
        return t

    def check_mu(self, mu) -> torch.Tensor:
        """μ as a tensor, or a ValueError naming ``mu`` if it lies outside the interior of M."""
        t = _as_param("mu", mu, self.dim)
        if not bool(self._in_mean_domain(t).all()):
            raise ValueError(f"mu must lie in the mean domain M° = {self.mean_domain} of the {self.name} family, "
                             f"got {t.tolist()}")
        return t

    # -- the family ------------------------------------------------------------------------------
    #: the support of X, in words, and a test of it (for φ's argument)
    support: str = "R"

    def _in_support(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(x, dtype=torch.bool)

    def _check_x(self, x) -> torch.Tensor:
        x = _as_tensor("x", x)
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"x must be finite, got {x.tolist() if x.numel() <= 8 else 'NaN or infinity'}")
        if not bool(self._in_support(x).all()):
            raise ValueError(f"x must lie in the support {self.support} of the {self.name} family, "
                             f"got {x.tolist() if x.numel() <= 8 else 'values outside it'}")
        return x

    def sufficient_statistic(self, x) -> torch.Tensor:
        r"""φ(x), shape (..., dim)."""
        return self._check_x(x).unsqueeze(-1)

    def log_partition(self, theta) -> torch.Tensor:
        r"""A(θ) = log ∫ h(x) exp⟨θ, φ(x)⟩ dx (differentiable, shape (...))."""
        t = self.check_theta(theta)
        return _finite("theta", t, "A(θ)", self._log_partition(t))

    def mean(self, theta) -> torch.Tensor:
        r"""μ = ∇A(θ) = E_θ[φ(X)], in closed form."""
        t = self.check_theta(theta)
        return _finite("theta", t, "μ = ∇A(θ)", self._mean(t))

    def theta_from_mean(self, mu) -> torch.Tensor:
        r"""θ(μ) = (∇A)^{-1}(μ) = ∇A*(μ), in closed form."""
        m = self.check_mu(mu)
        return _finite("mu", m, "θ(μ)", self._theta(m))

    def conjugate(self, mu) -> torch.Tensor:
        r"""A*(μ) = ⟨θ(μ), μ⟩ − A(θ(μ)), in closed form."""
        m = self.check_mu(mu)
        return _finite("mu", m, "A*(μ)", self._conjugate(m))

    def entropy(self, theta) -> torch.Tensor:
        r"""H(p_θ) = −E_θ[log p_θ(X)] (Shannon entropy), in closed form or by a convergent series."""
        t = self.check_theta(theta)
        return _finite("theta", t, "H(p_θ)", self._entropy(t))

    def expected_log_base(self, theta) -> torch.Tensor:
        r"""E_θ[log h(X)]; zero when h ≡ 1, so that A*(μ) = −H(p_θ) exactly."""
        t = self.check_theta(theta)
        return torch.zeros(t.shape[:-1], dtype=DTYPE)

    def distribution(self, theta) -> D.Distribution:
        """p_θ as a ``torch.distributions`` object (for sampling and independent checks)."""
        t = self.check_theta(theta)
        _finite("theta", t, "the distribution's parameters", self._mean(t))
        return self._distribution(t)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"



def _check_family(family) -> Family:
    if not isinstance(family, Family):
        raise TypeError(f"family must be an expfam.Family, got {type(family).__name__}")
    return family

