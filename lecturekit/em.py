r"""EM for a Gaussian mixture, and the variational lower bound it climbs.

For a latent-variable model p(x, z | θ) and any distribution q(Z),

.. math::
    \log p(X \mid θ) = \mathcal{L}(q, θ) + \mathrm{KL}(q \,\|\, p(Z \mid X, θ)),
    \qquad \mathcal{L}(q, θ) = \mathbb{E}_q[\log p(X, Z \mid θ)] + H(q).

The E-step sets q to the posterior p(Z | X, θ_old), closing the gap (KL = 0); the M-step
maximizes L(q, θ) over θ with q held fixed. Each half-step can only raise L, so the
log-likelihood never decreases (Dempster, Laird & Rubin 1977; Neal & Hinton 1998).

Here z_n ∈ {1..K} picks a component: p(x_n, z_n = k | θ) = π_k N(x_n | μ_k, Σ_k), and q is an
(N, K) matrix of responsibilities whose rows sum to one.

References:
    Dempster, Laird & Rubin (1977). Maximum likelihood from incomplete data via the EM algorithm.
    Neal & Hinton (1998). A view of the EM algorithm that justifies incremental, sparse, and other
    variants.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import torch

from .utils import (
    ConvergenceWarning,
    as_tensor_2d,
    check_int,
    check_nonnegative_float,
    check_nonnegative_int,
    check_positive_int,
    check_tensor,
    make_generator,
    rand,
    randn,
    randperm,
)

__all__ = [
    "MixtureParams",
    "log_joint",
    "log_likelihood",
    "e_step",
    "m_step",
    "lower_bound",
    "kl_posterior",
    "entropy",
    "init_params",
    "sample_mixture",
    "bound_curves",
    "GaussianMixture",
]


@dataclass
class MixtureParams:
    """θ = (π, μ, Σ): ``weights`` (K,), ``means`` (K, D) and ``covariances`` (K, D, D)."""

    weights: torch.Tensor
    means: torch.Tensor
    covariances: torch.Tensor

    def __post_init__(self):
        for name in ("weights", "means", "covariances"):
            t = getattr(self, name)
            check_tensor(name, t)
            if not t.is_floating_point():
                raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
        if self.means.ndim != 2:
            raise ValueError(f"means must have shape (K, D), got {tuple(self.means.shape)}")
        k, d = self.means.shape
        if self.weights.shape != (k,) or self.covariances.shape != (k, d, d):
            raise ValueError(
                "MixtureParams expects weights (K,), means (K, D), covariances (K, D, D); got "
                f"{tuple(self.weights.shape)}, {tuple(self.means.shape)}, {tuple(self.covariances.shape)}"
            )
        dtypes = {t.dtype for t in (self.weights, self.means, self.covariances)}
        if len(dtypes) > 1:
            raise TypeError(f"weights, means and covariances must share one dtype, got "
                            f"{self.weights.dtype}, {self.means.dtype}, {self.covariances.dtype}")
        w = self.weights.detach()
        if bool((w < 0).any()) or abs(float(w.sum()) - 1) > 1e-4:
            raise ValueError(f"weights must be non-negative and sum to 1, got {w.tolist()}")
        cov = self.covariances.detach()
        if not torch.allclose(cov, cov.mT, rtol=1e-5, atol=1e-8):
            raise ValueError("covariances must be symmetric matrices (Σ_k = Σ_kᵀ)")

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    def to(self, *args, **kwargs) -> "MixtureParams":
        """The same parameters moved or cast, with the arguments of ``torch.Tensor.to`` (a device or a dtype)."""
        try:
            moved = [t.to(*args, **kwargs) for t in (self.weights, self.means, self.covariances)]
        except (RuntimeError, TypeError, ValueError) as err:
            raise TypeError(f"to takes a device or a dtype as torch.Tensor.to does, got {args} {kwargs or ''}: "
                            f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        if not moved[0].is_floating_point():
            raise TypeError(f"to must keep the parameters floating-point, got dtype {moved[0].dtype}")
        return MixtureParams(*moved)

    def clone(self) -> "MixtureParams":
        return MixtureParams(self.weights.clone(), self.means.clone(), self.covariances.clone())


def _precision_cholesky(covariances: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """P_k with P_k P_kᵀ = Σ_k⁻¹, and log det P_k (= −½ log det Σ_k)."""
    chol, info = torch.linalg.cholesky_ex(covariances)
    if bool((info > 0).any()):
        bad = int(torch.nonzero(info)[0])
        raise ValueError(
            f"covariance of component {bad} is not positive definite; increase reg_covar "
            "or use fewer components"
        )
    eye = torch.eye(covariances.shape[-1], dtype=covariances.dtype, device=covariances.device)
    prec_chol = torch.linalg.solve_triangular(chol, eye.expand_as(chol), upper=False).mT
    log_det = -torch.diagonal(chol, dim1=-2, dim2=-1).log().sum(-1)
    return prec_chol, log_det


def _check_x(x, theta: MixtureParams) -> torch.Tensor:
    """x must be a finite (N, D) tensor with θ's dimension D and dtype."""
    if not isinstance(theta, MixtureParams):
        raise TypeError(f"theta must be a MixtureParams, got {type(theta).__name__}")
    d = theta.means.shape[-1]
    return check_tensor("x", x, shape=(None, d), dtype=theta.means.dtype)


def _check_q(q, n: int | None, k: int | None, dtype: torch.dtype | None = None) -> torch.Tensor:
    q = check_tensor("q", q, shape=(n, k), dtype=dtype)
    if not q.is_floating_point():
        raise TypeError(f"q must be a floating-point tensor of probabilities, got dtype {q.dtype}")
    if bool((q < 0).any()) or not torch.allclose(q.sum(-1), torch.ones(q.shape[0], dtype=q.dtype, device=q.device),
                                                 atol=1e-6):
        raise ValueError("q must hold probabilities: non-negative rows that sum to 1")
    return q


def _check_means(means, theta: MixtureParams) -> torch.Tensor | None:
    """A batch of replacement means (..., K, D) in θ's dtype, or None."""
    if means is None:
        return None
    means = check_tensor("means", means, dtype=theta.means.dtype)
    if means.shape[-2:] != theta.means.shape:
        raise ValueError(f"means must have shape (..., {theta.n_components}, {theta.means.shape[1]}), "
                         f"got {tuple(means.shape)}")
    return means


def log_joint(x: torch.Tensor, theta: MixtureParams, *, means: torch.Tensor | None = None) -> torch.Tensor:
    r"""log p(x_n, z_n = k | θ) = log π_k + log N(x_n | μ_k, Σ_k), shape (..., N, K).

    ``means`` may replace θ's means with a batch of shape (..., K, D), which evaluates many
    parameter settings at once (the widget's curves).
    """
    _check_x(x, theta)
    means = theta.means if means is None else _check_means(means, theta)
    prec_chol, log_det = _precision_cholesky(theta.covariances)
    # y_nk = P_kᵀ (x_n − μ_k): the whitened residual of point n under component k.
    y = torch.einsum("nd,kde->kne", x, prec_chol) - torch.einsum("...kd,kde->...ke", means, prec_chol)[..., None, :]
    maha = (y**2).sum(-1)  # (..., K, N)
    d = x.shape[1]
    log_gauss = -0.5 * (d * math.log(2 * math.pi) + maha) + log_det[:, None]
    return (log_gauss + theta.weights.log()[:, None]).transpose(-1, -2)


def log_likelihood(x: torch.Tensor, theta: MixtureParams) -> torch.Tensor:
    r"""log p(X | θ) = Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k)."""
    _check_x(x, theta)
    return torch.logsumexp(log_joint(x, theta), dim=-1).sum(-1)


def e_step(x: torch.Tensor, theta: MixtureParams) -> torch.Tensor:
    r"""q(z_n = k) = p(z_n = k | x_n, θ) = π_k N(x_n | μ_k, Σ_k) / Σ_j π_j N(x_n | μ_j, Σ_j).

    Returns the (N, K) responsibilities: the posterior, which makes the bound tight.
    """
    _check_x(x, theta)
    return torch.softmax(log_joint(x, theta), dim=-1)


def m_step(x: torch.Tensor, q: torch.Tensor, *, reg_covar: float = 1e-6) -> MixtureParams:
    r"""θ_new = argmax_θ L(q, θ):  N_k = Σ_n q_nk,  π_k = N_k / N,  μ_k = Σ_n q_nk x_n / N_k,
    Σ_k = Σ_n q_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k  (+ reg_covar·I, as scikit-learn does)."""
    x = check_tensor("x", x, ndim=2)
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    q = _check_q(q, x.shape[0], None, dtype=x.dtype)
    reg_covar = check_nonnegative_float("reg_covar", reg_covar)
    n, d = x.shape
    nk = q.sum(0) + 10 * torch.finfo(x.dtype).eps  # keeps an empty component finite
    means = (q.T @ x) / nk[:, None]
    diff = x[None, :, :] - means[:, None, :]  # (K, N, D)
    cov = torch.einsum("nk,knd,kne->kde", q, diff, diff) / nk[:, None, None]
    cov = cov + reg_covar * torch.eye(d, dtype=x.dtype, device=x.device)
    return MixtureParams(nk / n, means, cov)


def entropy(q: torch.Tensor) -> torch.Tensor:
    r"""H(q) = −Σ_n Σ_k q_nk log q_nk (with 0 log 0 = 0)."""
    q = _check_q(q, None, None)
    return -torch.special.xlogy(q, q).sum()


def lower_bound(x: torch.Tensor, q: torch.Tensor, theta: MixtureParams, *,
                means: torch.Tensor | None = None) -> torch.Tensor:
    r"""L(q, θ) = E_q[log p(X, Z | θ)] + H(q) = Σ_n Σ_k q_nk (log p(x_n, k | θ) − log q_nk)."""
    _check_q(q, _check_x(x, theta).shape[0], theta.n_components, dtype=theta.means.dtype)
    return (q * log_joint(x, theta, means=means)).sum((-1, -2)) + entropy(q)


def kl_posterior(x: torch.Tensor, q: torch.Tensor, theta: MixtureParams) -> torch.Tensor:
    r"""KL(q ‖ p(Z | X, θ)) = Σ_n Σ_k q_nk (log q_nk − log p(z_n = k | x_n, θ))."""
    _check_q(q, _check_x(x, theta).shape[0], theta.n_components, dtype=theta.means.dtype)
    log_post = torch.log_softmax(log_joint(x, theta), dim=-1)
    return (torch.special.xlogy(q, q) - q * log_post).sum()


def init_params(x: torch.Tensor, n_components: int, *, generator: torch.Generator | None = None) -> MixtureParams:
    """A simple start: means at K distinct data points, every Σ_k the data covariance, π uniform."""
    x = check_tensor("x", x, ndim=2)
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    n_components = check_positive_int("n_components", n_components)
    if x.shape[0] < max(2, n_components):
        raise ValueError(f"x must hold at least max(2, n_components) = {max(2, n_components)} points, "
                         f"got {x.shape[0]}")
    n, d = x.shape
    idx = randperm(n, generator=generator, device=x.device)[:n_components]
    cov = torch.atleast_2d(torch.cov(x.T)) + 1e-6 * torch.eye(d, dtype=x.dtype, device=x.device)
    return MixtureParams(
        torch.full((n_components,), 1.0 / n_components, dtype=x.dtype, device=x.device),
        x[idx].clone(),
        cov.expand(n_components, d, d).clone(),
    )


def sample_mixture(theta: MixtureParams, n: int, *, generator: torch.Generator | None = None):
    """n draws (x, z) from the mixture: z ~ Categorical(π), x | z ~ N(μ_z, Σ_z)."""
    if not isinstance(theta, MixtureParams):
        raise TypeError(f"theta must be a MixtureParams, got {type(theta).__name__}")
    n = check_positive_int("n", n)
    _precision_cholesky(theta.covariances)  # a clear error for a covariance that is not positive definite
    w = theta.weights
    # z by inverting the CDF of Categorical(π) at uniform draws
    u = rand(n, generator=generator, dtype=w.dtype, device=w.device)
    z = torch.searchsorted(w.cumsum(0) / w.sum(), u, right=True).clamp_max(w.numel() - 1)
    chol = torch.linalg.cholesky(theta.covariances)
    eps = randn((n, theta.means.shape[1]), generator=generator, dtype=theta.means.dtype, device=w.device)
    return theta.means[z] + torch.einsum("nde,ne->nd", chol[z], eps), z


def bound_curves(x: torch.Tensor, q: torch.Tensor, theta: MixtureParams, values: torch.Tensor, *,
                 component: int = 0, coord: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(X | θ(v)) and L(q, θ(v)) for θ(v) = θ with μ[component, coord] set to each v.

    Returns two tensors shaped like ``values``; the first is never below the second.
    """
    x = _check_x(x, theta)
    _check_q(q, x.shape[0], theta.n_components, dtype=theta.means.dtype)
    values = check_tensor("values", values, ndim=1)
    component = check_int("component", component, low=0, high=theta.n_components - 1)
    coord = check_int("coord", coord, low=0, high=theta.means.shape[1] - 1)
    means = theta.means.expand(len(values), *theta.means.shape).clone()
    means[:, component, coord] = values.to(means.dtype)
    lj = log_joint(x, theta, means=means)  # (G, N, K)
    loglik = torch.logsumexp(lj, dim=-1).sum(-1)
    bound = (q * lj).sum((-1, -2)) + entropy(q)
    return loglik, bound


@dataclass
class GaussianMixture:
    """Maximum likelihood for a K-component Gaussian mixture by EM, recording every half-step.

    ``fit`` returns self. ``history_`` holds one record per half-step (``"init"``, then ``"E"``
    and ``"M"`` alternately) with the log-likelihood, the bound L(q, θ) and the gap KL, so a
    reader can watch the E-step close the gap and the M-step raise the bound. ``states_`` holds the
    (θ, q) pair of each record.

    Args:
        n_components: K, a positive integer no larger than the number of points.
        max_iter: the most EM iterations (one E-step and one M-step each).
        tol: stop when the mean log-likelihood per point rises by less than this.
        reg_covar: added to each covariance's diagonal, as in scikit-learn.
        seed: seeds the initial means when no ``init`` is given to ``fit``.
    """

    n_components: int = 3
    max_iter: int = 100
    tol: float = 1e-6
    reg_covar: float = 1e-6
    seed: int = 0
    history_: list = field(default_factory=list, init=False, repr=False)
    states_: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self):
        check_positive_int("n_components", self.n_components)
        check_positive_int("max_iter", self.max_iter)
        check_nonnegative_float("tol", self.tol)
        check_nonnegative_float("reg_covar", self.reg_covar)
        check_nonnegative_int("seed", self.seed)

    def _fitted(self) -> MixtureParams:
        if not hasattr(self, "params_"):
            raise ValueError("this GaussianMixture is not fitted yet: call fit(x) first")
        return self.params_

    def _record(self, step, iteration, lj, q, theta) -> float:
        # One log_joint per record gives all three quantities: log p = Σ_n logsumexp_k lj,
        # L = Σ q (lj − log q), and KL = log p − L (the identity itself is tested separately).
        ll = float(torch.logsumexp(lj, dim=-1).sum())
        lb = float((q * lj).sum() + entropy(q))
        self.history_.append({"step": step, "iteration": iteration, "log_likelihood": ll,
                              "lower_bound": lb, "kl": ll - lb})
        self.states_.append((theta, q))
        return ll

    def fit(self, x, init: MixtureParams | None = None) -> "GaussianMixture":
        """Run EM on ``x`` (N, D) from ``init`` (or a seeded start) until ``tol`` or ``max_iter``."""
        x = as_tensor_2d("x", x, dtype=torch.float64)
        if self.n_components > x.shape[0]:
            raise ValueError(
                f"n_components must be at most the number of points ({x.shape[0]}), got {self.n_components}"
            )
        if init is None:
            theta = init_params(x, self.n_components, generator=make_generator(self.seed))
        else:
            if not isinstance(init, MixtureParams):
                raise TypeError(f"init must be a MixtureParams, got {type(init).__name__}")
            if init.means.shape != (self.n_components, x.shape[1]):
                raise ValueError(
                    f"init.means must have shape ({self.n_components}, {x.shape[1]}), got {tuple(init.means.shape)}"
                )
            theta = init.to(dtype=torch.float64, device=x.device)
        self.history_, self.states_ = [], []
        n = x.shape[0]
        q = torch.full((n, self.n_components), 1.0 / self.n_components, dtype=x.dtype, device=x.device)
        lj = log_joint(x, theta)
        prev = self._record("init", 0, lj, q, theta) / n
        self.converged_ = False
        for it in range(1, self.max_iter + 1):
            q = torch.softmax(lj, dim=-1)  # E-step, from the log_joint already computed for θ
            self._record("E", it, lj, q, theta)
            theta = m_step(x, q, reg_covar=self.reg_covar)
            lj = log_joint(x, theta)
            cur = self._record("M", it, lj, q, theta) / n
            change, prev = abs(cur - prev), cur
            if change < self.tol:
                self.converged_ = True
                break
        self.n_iter_ = it
        self.params_ = theta
        if not self.converged_:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (last change "
                f"{change:.2e} per point > tol={self.tol}); raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    @property
    def log_likelihoods_(self) -> list[float]:
        return [h["log_likelihood"] for h in self.history_]

    @property
    def lower_bounds_(self) -> list[float]:
        return [h["lower_bound"] for h in self.history_]

    def score(self, x) -> float:
        """Mean log-likelihood per point, (1/N) log p(X | θ), as scikit-learn's ``score``."""
        theta = self._fitted()
        x = as_tensor_2d("x", x, dtype=torch.float64)
        return float(log_likelihood(x, theta)) / x.shape[0]

    def predict_proba(self, x) -> torch.Tensor:
        """The responsibilities p(z = k | x, θ) under the fitted parameters."""
        theta = self._fitted()
        return e_step(as_tensor_2d("x", x, dtype=torch.float64), theta)
