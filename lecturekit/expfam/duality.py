r"""Conjugate duality computed numerically, to check the closed forms against.

μ = ∇A(θ) by automatic differentiation, A*(μ) = sup_θ ⟨θ, μ⟩ − A(θ) and
A(θ) = sup_μ ⟨θ, μ⟩ − A*(μ), each by damped Newton steps that stay in the domain.

References:
    Wainwright & Jordan (2008), Theorem 3.4.
    Boyd & Vandenberghe (2004), Convex Optimization, §9.5.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..utils import check_positive_float, check_positive_int
from .base import DTYPE, Family, _check_family, _finite

__all__ = ["mean_autograd", "conjugate", "variational_log_partition"]


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
