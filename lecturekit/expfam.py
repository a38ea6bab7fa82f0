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
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import distributions as D

from .utils import check_choice, check_positive_float, check_positive_int

__all__ = [
    "Family",
    "Bernoulli",
    "Categorical",
    "Poisson",
    "Exponential",
    "Gaussian",
    "FAMILIES",
    "get_family",
    "mean_autograd",
    "conjugate",
    "variational_log_partition",
]

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


class Bernoulli(Family):
    """φ(x) = x ∈ {0, 1}, A(θ) = log(1 + e^θ), μ = σ(θ), A*(μ) = μ log μ + (1−μ) log(1−μ)."""

    name, dim, omega, mean_domain = "Bernoulli", 1, "R", "(0, 1)"
    support = "{0, 1}"

    def _in_support(self, x):
        return (x == 0) | (x == 1)

    def _in_mean_domain(self, mu):
        return ((mu > 0) & (mu < 1)).all(-1)

    def _log_partition(self, t):
        return torch.nn.functional.softplus(t[..., 0])

    def _mean(self, t):
        return torch.sigmoid(t)

    def _theta(self, mu):
        return torch.log(mu) - torch.log1p(-mu)

    def _conjugate(self, mu):
        m = mu[..., 0]
        return torch.xlogy(m, m) + torch.xlogy(1 - m, 1 - m)

    def _entropy(self, t):
        p = torch.sigmoid(t[..., 0])
        return -(torch.xlogy(p, p) + torch.xlogy(1 - p, 1 - p))

    def _distribution(self, t):
        return D.Bernoulli(logits=t[..., 0])


class Categorical(Family):
    r"""K classes in minimal form: φ(x) = (1[x = 1], ..., 1[x = K−1]), class 0 is the reference.

    A(θ) = log(1 + Σ_k e^{θ_k}), μ_k = P(X = k), M° = {μ_k > 0, Σ_k μ_k < 1},
    A*(μ) = Σ_k μ_k log μ_k + μ_0 log μ_0 with μ_0 = 1 − Σ_k μ_k.
    """

    def __init__(self, k: int = 3):
        self.k = check_positive_int("k", k)
        if self.k < 2:
            raise ValueError(f"k must be at least 2 classes, got {k}")
        self.dim = self.k - 1
        self.name = f"Categorical({self.k})"
        self.omega = f"R^{self.dim}"
        self.mean_domain = "{μ_k > 0, Σ_k μ_k < 1}"
        self.support = f"{{0, ..., {self.k - 1}}}"

    def _in_mean_domain(self, mu):
        return (mu > 0).all(-1) & (mu.sum(-1) < 1)

    def _in_support(self, x):
        return (x == x.round()) & (x >= 0) & (x < self.k)

    def sufficient_statistic(self, x):
        r"""φ(x) = (1[x = 1], ..., 1[x = K−1]), shape (..., K − 1)."""
        x = self._check_x(x)
        return torch.nn.functional.one_hot(x.long(), self.k)[..., 1:].to(DTYPE)

    def _full_logits(self, t):
        return torch.cat([torch.zeros_like(t[..., :1]), t], dim=-1)

    def _log_partition(self, t):
        return torch.logsumexp(self._full_logits(t), dim=-1)

    def _mean(self, t):
        return torch.softmax(self._full_logits(t), dim=-1)[..., 1:]

    def _theta(self, mu):
        return torch.log(mu) - torch.log1p(-mu.sum(-1, keepdim=True))

    def _conjugate(self, mu):
        mu0 = 1 - mu.sum(-1)
        return torch.xlogy(mu, mu).sum(-1) + torch.xlogy(mu0, mu0)

    def _entropy(self, t):
        p = torch.softmax(self._full_logits(t), dim=-1)
        return -torch.xlogy(p, p).sum(-1)

    def _distribution(self, t):
        return D.Categorical(logits=self._full_logits(t))

    def __repr__(self) -> str:
        return f"Categorical(k={self.k})"


class Poisson(Family):
    r"""φ(x) = x ∈ {0, 1, ...}, h(x) = 1/x!, A(θ) = e^θ, μ = e^θ, A*(μ) = μ log μ − μ.

    The base measure is not uniform, so A*(μ) = −H(p_θ) − E_θ[log h(X)] = −H + E_θ[log X!]:
    A* is the negative entropy *relative to h*.
    """

    name, dim, omega, mean_domain = "Poisson", 1, "R", "(0, ∞)"
    support = "{0, 1, 2, ...}"
    _window = 14.0  # the series runs over rate ± 14 standard deviations (mass outside < 1e-40)
    _asymptotic_rate = 1e5  # above this rate, H uses its asymptotic expansion in 1/λ

    def _in_mean_domain(self, mu):
        return (mu > 0).all(-1)

    def _in_support(self, x):
        return (x == x.round()) & (x >= 0)

    def _log_partition(self, t):
        return torch.exp(t[..., 0])

    def _mean(self, t):
        return torch.exp(t)

    def _theta(self, mu):
        return torch.log(mu)

    def _conjugate(self, mu):
        m = mu[..., 0]
        return m * torch.log(m) - m

    def _pmf_terms(self, t):
        """x, p(x), log p(x) over a window of x around the rate that holds all but < 1e-40 of the
        mass: a fixed 0..400 range silently returned H = 0 at rate 1000."""
        rate = torch.exp(t)  # (..., 1)
        sd = rate.clamp(max=self._asymptotic_rate).sqrt()
        start = torch.floor((rate.clamp(max=self._asymptotic_rate) - self._window * sd - 10).clamp_min(0))
        width = int(float((2 * self._window * sd + 40).max())) + 1
        x = start + torch.arange(width, dtype=DTYPE)
        log_p = x * t - rate - torch.lgamma(x + 1)
        return x, torch.exp(log_p), log_p

    def _entropy(self, t):
        # H = ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) + ... for large λ; the series otherwise.
        rate = torch.exp(t[..., 0])
        big = rate > self._asymptotic_rate
        _, p, log_p = self._pmf_terms(t.clamp(max=math.log(self._asymptotic_rate)))
        series = -(p * log_p).sum(-1)
        lam = rate.clamp_min(1.0)
        asym = 0.5 * torch.log(2 * math.pi * math.e * lam) - 1 / (12 * lam) - 1 / (24 * lam**2) - 19 / (360 * lam**3)
        return torch.where(big, asym, series)

    def expected_log_base(self, theta):
        r"""E_θ[log h(X)] = −E_θ[log X!]: a series over the Poisson window, its asymptotic form at large rates."""
        t = self.check_theta(theta)
        _finite("theta", t, "the rate e^θ", torch.exp(t[..., 0]))
        rate = torch.exp(t[..., 0])
        x, p, _ = self._pmf_terms(t.clamp(max=math.log(self._asymptotic_rate)))
        series = -(p * torch.lgamma(x + 1)).sum(-1)
        # E log X! = A*(λ) + H for λ beyond the series window (A* = −H − E log h)
        asym = -(rate * torch.log(rate) - rate + self._entropy(t))
        return torch.where(rate > self._asymptotic_rate, asym, series)

    def _distribution(self, t):
        return D.Poisson(rate=torch.exp(t[..., 0]))


class Exponential(Family):
    r"""φ(x) = x ≥ 0, θ = −λ < 0, A(θ) = −log(−θ), μ = −1/θ, A*(μ) = −1 − log μ."""

    name, dim, omega, mean_domain = "Exponential", 1, "(−∞, 0)", "(0, ∞)"
    interior = (-1.0,)
    support = "[0, ∞)"

    def _in_support(self, x):
        return x >= 0

    def _in_omega(self, t):
        return (t < 0).all(-1)

    def _in_mean_domain(self, mu):
        return (mu > 0).all(-1)

    def _log_partition(self, t):
        return -torch.log(-t[..., 0])

    def _mean(self, t):
        return -1 / t

    def _theta(self, mu):
        return -1 / mu

    def _conjugate(self, mu):
        return -1 - torch.log(mu[..., 0])

    def _entropy(self, t):
        return 1 - torch.log(-t[..., 0])

    def _distribution(self, t):
        return D.Exponential(rate=-t[..., 0])


class Gaussian(Family):
    r"""Unknown mean and variance: φ(x) = (x, x²), θ = (m/σ², −1/(2σ²)), θ_2 < 0.

    A(θ) = −θ_1²/(4θ_2) − ½ log(−2θ_2) + ½ log 2π (the 2π is in A, so h ≡ 1);
    μ = (m, m² + σ²) with M° = {μ_2 > μ_1²}; A*(μ) = −½ log(2πe(μ_2 − μ_1²)) = −H.
    """

    name, dim, omega, mean_domain = "Gaussian", 2, "R × (−∞, 0)", "{μ_2 > μ_1²}"
    interior = (0.0, -0.5)

    def _in_omega(self, t):
        return t[..., 1] < 0

    def _in_mean_domain(self, mu):
        return mu[..., 1] > mu[..., 0] ** 2

    def sufficient_statistic(self, x):
        r"""φ(x) = (x, x²), shape (..., 2)."""
        x = self._check_x(x)
        return torch.stack([x, x**2], dim=-1)

    @staticmethod
    def moments(theta) -> tuple[torch.Tensor, torch.Tensor]:
        """(m, σ²) from θ = (m/σ², −1/(2σ²))."""
        if not isinstance(theta, torch.Tensor) or not theta.is_floating_point():
            theta = Gaussian().check_theta(theta)
        elif theta.shape[-1:] != (2,):
            raise ValueError(f"theta must have last dimension 2, got shape {tuple(theta.shape)}")
        elif not bool((theta[..., 1] < 0).all()):
            raise ValueError(f"theta must lie in Ω = R × (−∞, 0) for the Gaussian family, got {theta.tolist()}")
        var = -0.5 / theta[..., 1]
        return theta[..., 0] * var, var

    def _log_partition(self, t):
        return -t[..., 0] ** 2 / (4 * t[..., 1]) - 0.5 * torch.log(-2 * t[..., 1]) + 0.5 * math.log(2 * math.pi)

    def _mean(self, t):
        m, var = self.moments(t)
        return torch.stack([m, m**2 + var], dim=-1)

    def _theta(self, mu):
        var = mu[..., 1] - mu[..., 0] ** 2
        return torch.stack([mu[..., 0] / var, -0.5 / var], dim=-1)

    def _conjugate(self, mu):
        var = mu[..., 1] - mu[..., 0] ** 2
        return -0.5 * torch.log(2 * math.pi * math.e * var)

    def _entropy(self, t):
        _, var = self.moments(t)
        return 0.5 * torch.log(2 * math.pi * math.e * var)

    def _distribution(self, t):
        m, var = self.moments(t)
        return D.Normal(m, var.sqrt())


FAMILIES = ("bernoulli", "categorical", "poisson", "exponential", "gaussian")


def get_family(name: str, **kwargs) -> Family:
    """A family by name: ``"bernoulli"``, ``"categorical"`` (``k=3``), ``"poisson"``,
    ``"exponential"`` or ``"gaussian"``."""
    check_choice("name", name, FAMILIES)
    cls = {"bernoulli": Bernoulli, "categorical": Categorical, "poisson": Poisson,
           "exponential": Exponential, "gaussian": Gaussian}[name]
    allowed = {"k"} if name == "categorical" else set()
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise TypeError(f"{unknown[0]} is not an option of the {name} family (options: {sorted(allowed) or 'none'})")
    return cls(**kwargs)


def _check_family(family) -> Family:
    if not isinstance(family, Family):
        raise TypeError(f"family must be an expfam.Family, got {type(family).__name__}")
    return family


def mean_autograd(family: Family, theta) -> torch.Tensor:
    r"""μ = ∇A(θ) by automatic differentiation of ``family.log_partition``."""
    family = _check_family(family)
    family.mean(theta)  # a clear error where A(θ) or its gradient overflows
    t = family.check_theta(theta).detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(family.log_partition(t).sum(), t)
    return grad


def _newton_maximize(objective: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor,
                     feasible: Callable[[torch.Tensor], bool], *, tol: float, max_iter: int) -> torch.Tensor:
    """Maximize a smooth strictly concave function by damped Newton steps that stay feasible.

    Backtracking halves the step until it stays in the domain and raises the objective
    (Boyd & Vandenberghe 2004, §9.5); near the optimum full steps converge quadratically.
    """
    x = x0.clone()
    for _ in range(max_iter):
        xg = x.detach().requires_grad_(True)
        value = objective(xg)
        (grad,) = torch.autograd.grad(value, xg)
        if float(grad.abs().max()) < tol:
            break
        hess = torch.autograd.functional.hessian(objective, x.detach())
        hess = hess.reshape(x.numel(), x.numel())
        try:
            step = -torch.linalg.solve(hess, grad.reshape(-1)).reshape(x.shape)
        except RuntimeError:
            step = grad
        if float((step * grad).sum()) <= 0:  # not an ascent direction (round-off): fall back to the gradient
            step = grad
        t, value = 1.0, float(value.detach())
        while t > 1e-12:
            cand = x + t * step
            if feasible(cand) and float(objective(cand)) >= value - 1e-15 * (1 + abs(value)):
                break
            t *= 0.5
        x = (x + t * step).detach()
    return x


def conjugate(family: Family, mu, *, tol: float = 1e-12, max_iter: int = 200) -> torch.Tensor:
    r"""A*(μ) = sup_{θ ∈ Ω} ⟨θ, μ⟩ − A(θ), by convex optimization (damped Newton on θ).

    Works for any family that defines ``log_partition``; compare with ``family.conjugate``.

    Args:
        family: the exponential family.
        mu: one mean parameter, shape (dim,) (a float for one-dimensional families).

    References:
        Wainwright & Jordan (2008), Theorem 3.4.
    """
    family = _check_family(family)
    mu = family.check_mu(mu)
    tol, max_iter = _check_newton(tol, max_iter)
    if mu.ndim != 1:
        raise ValueError(f"mu must be a single point of shape ({family.dim},), got {tuple(mu.shape)}")
    start = family.theta_from_mean(family.mean(_default_theta(family)))  # a point inside Ω

    def objective(t):
        return (t * mu).sum() - family._log_partition(t)

    theta = _newton_maximize(objective, start, lambda t: bool(family._in_omega(t)), tol=tol, max_iter=max_iter)
    return objective(theta).detach()


def variational_log_partition(family: Family, theta, *, conjugate_fn: Callable | None = None,
                              tol: float = 1e-12, max_iter: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    r"""A(θ) = sup_{μ ∈ M} ⟨θ, μ⟩ − A*(μ), maximized numerically over μ; returns (value, μ*).

    The maximizer is μ* = ∇A(θ), the mean parameter matched to θ.

    Args:
        family: the exponential family.
        theta: one canonical parameter, shape (dim,).
        conjugate_fn: A* as a differentiable function of μ (default: the closed form).
    """
    family = _check_family(family)
    theta = family.check_theta(theta)
    tol, max_iter = _check_newton(tol, max_iter)
    if conjugate_fn is not None and not callable(conjugate_fn):
        raise TypeError(f"conjugate_fn must be a function of mu (A*), got {type(conjugate_fn).__name__}")
    if theta.ndim != 1:
        raise ValueError(f"theta must be a single point of shape ({family.dim},), got {tuple(theta.shape)}")
    a_star = conjugate_fn or family._conjugate
    start = family.mean(_default_theta(family))

    def objective(m):
        return (theta * m).sum() - a_star(m)

    mu = _newton_maximize(objective, start, lambda m: bool(family._in_mean_domain(m)), tol=tol, max_iter=max_iter)
    value = objective(mu)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError("conjugate_fn must return one number A*(mu) per point")
    return _finite("theta", theta, "the variational maximum", value.detach()), mu


def _check_newton(tol, max_iter) -> tuple[float, int]:
    return check_positive_float("tol", tol), check_positive_int("max_iter", max_iter)


def _default_theta(family: Family) -> torch.Tensor:
    """A fixed interior point of Ω, where the Newton iterations start."""
    return torch.tensor(family.interior, dtype=DTYPE) if family.interior else torch.zeros(family.dim, dtype=DTYPE)
