"""Five exponential families in closed form: Bernoulli, Categorical, Poisson, Exponential, Gaussian.

Each gives φ, A(θ), μ = ∇A(θ), θ(μ), A*(μ) and the entropy H(p_θ) in closed form (the Poisson
entropy by a series, switched to its asymptotic expansion at large rates so that it stays stable).

References:
    Wainwright & Jordan (2008), §3.2 (examples of exponential families).
"""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from ..utils import check_choice, check_positive_int
from .base import DTYPE, Family, _finite

__all__ = ["Bernoulli", "Categorical", "Poisson", "Exponential", "Gaussian", "FAMILIES", "get_family"]


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

