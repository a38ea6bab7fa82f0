"""Markov chain Monte Carlo inside variational inference: Hamiltonian variational inference.

Salimans, Kingma & Welling (2015) follow a Gaussian q₀(z₀) with T learned Hamiltonian steps.
Step t draws a momentum v_t ~ q_t(v) = N(0, diag m_t), moves (z, v) by one leapfrog step with a
learned step size ε_t (volume preserving: every half-step is a shear, so |det J| = 1), and
scores the final momentum v'_t with a learned reverse model r_t(v'_t | z_t). The auxiliary bound

    L_T = E[ log p̃(z_T) + Σ_t log r_t(v'_t | z_t) − log q₀(z₀) − Σ_t log q_t(v_t) ] ≤ log Z

(Salimans et al. 2015, eq. 11, with p̃ the unnormalized posterior and Z its normalizer) is the
ELBO of the joint over (z₀, v_{1..T}) and an auxiliary reverse model. At T = 0 it is the plain
Gaussian ELBO. With ε_t → 0 and r_t = q_t the extra terms cancel, so a trained T-step model,
started from the T = 0 optimum, can only do better.

References:
    Salimans, Kingma & Welling (2015). Markov chain Monte Carlo and variational inference:
    bridging the gap. ICML.
    Neal (2011). MCMC using Hamiltonian dynamics. Handbook of MCMC.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from torch.distributions import Normal

from .train import History, fit
from .utils import (check_bool, check_choice, check_float, check_generator, check_int, check_nonnegative_int,
                    check_positive_float, check_positive_int, check_tensor, randn)

__all__ = ["banana", "TARGETS", "HamiltonianVI", "fit_hvi", "log_density_grid"]

# The banana: z₁ ~ N(0, A²), z₂ | z₁ ~ N(B z₁² − C, S²): a shear of a Gaussian, so Z = 2π A S.
_A, _B, _C, _S = 1.0, 1.0, 1.0, 0.35

#: Notebook 04's claim: T = 4 learned leapfrog steps, started from the trained T = 0 Gaussian, close
#: at least this share of its gap log Z − L_0 (a T = 4 model that was not trained closes none).
MIN_GAP_CLOSED = 0.5


def banana(z: torch.Tensor) -> torch.Tensor:
    r"""log p̃(z) = −z₁² / (2A²) − (z₂ − B z₁² + C)² / (2S²), a curved 2-D posterior (A=1, B=1, C=1,
    S=0.35). Its normalizer is known: log Z = log(2π A S), because (z₁, z₂ − B z₁²) is a
    volume-preserving map to a Gaussian."""
    check_tensor("z", z)
    if z.shape[-1:] != (2,):
        raise ValueError(f"z must be a tensor of shape (..., 2), got {tuple(z.shape)}")
    if not z.is_floating_point():
        raise TypeError(f"z must be a floating-point tensor, got dtype {z.dtype}")
    z1, z2 = z[..., 0], z[..., 1]
    return -0.5 * (z1 / _A) ** 2 - 0.5 * ((z2 - _B * z1**2 + _C) / _S) ** 2


#: name -> (log p̃, log Z) of the toy posteriors.
TARGETS = {"banana": (banana, math.log(2 * math.pi * _A * _S))}


def _normal_log_prob(x, mean, log_std):
    """log N(x; mean, diag exp(log_std)²), summed over the last axis."""
    return Normal(mean, log_std.exp(), validate_args=False).log_prob(x).sum(-1)


class HamiltonianVI(nn.Module):
    """q₀ = N(μ, diag σ²) followed by ``num_leapfrog`` learned Hamiltonian steps, on a 2-D target.

    Args:
        target: the name of a toy posterior in :data:`TARGETS`.
        num_leapfrog: T, the number of Hamiltonian (leapfrog) steps (0: plain Gaussian VI).
        hidden_dim: width of each reverse model r_t(v | z) (an MLP with one tanh layer).
        step_size: the initial leapfrog step size ε_t.
    """

    def __init__(self, *, target: str = "banana", num_leapfrog: int = 1, hidden_dim: int = 32, step_size: float = 0.1):
        super().__init__()
        self.target = check_choice("target", target, tuple(TARGETS))
        self.num_leapfrog = num_leapfrog = check_nonnegative_int("num_leapfrog", num_leapfrog)
        check_positive_int("hidden_dim", hidden_dim)
        step_size = check_positive_float("step_size", step_size)
        self.log_target, self.log_z = TARGETS[target]
        d = 2
        self.mu = nn.Parameter(torch.zeros(d))
        self.log_std = nn.Parameter(torch.zeros(d))
        self.log_step = nn.Parameter(torch.full((num_leapfrog, d), math.log(step_size)))
        self.log_momentum_std = nn.Parameter(torch.zeros(num_leapfrog, d))
        self.reverse = nn.ModuleList()
        for _ in range(num_leapfrog):
            net = nn.Sequential(nn.Linear(d, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 2 * d))
            nn.init.zeros_(net[-1].weight)  # r_t starts equal to q_t = N(0, I)
            nn.init.zeros_(net[-1].bias)
            self.reverse.append(net)

    def grad_log_target(self, z: torch.Tensor) -> torch.Tensor:
        """∇_z log p̃(z), differentiable when z carries a graph (for training)."""
        self._check_z("z", z)
        create = torch.is_grad_enabled() and z.requires_grad
        with torch.enable_grad():
            zz = z if create else z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self.log_target(zz).sum(), zz, create_graph=create)
        return g

    def leapfrog(self, z: torch.Tensor, v: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One leapfrog step of H(z, v) = −log p̃(z) + ½ vᵀ M_t⁻¹ v with step ε_t (|det J| = 1)."""
        self._check_z("z", z)
        self._check_z("v", v)
        if v.shape != z.shape:
            raise ValueError(f"v must have the shape of z {tuple(z.shape)}, got {tuple(v.shape)}")
        if self.num_leapfrog == 0:
            raise ValueError("t has no leapfrog step to index: this model has num_leapfrog = 0")
        t = check_int("t", t, low=0, high=self.num_leapfrog - 1)
        return self._leapfrog(z, v, t)

    def _check_z(self, name: str, z) -> torch.Tensor:
        check_tensor(name, z, model=self)
        if z.shape[-1:] != (2,):
            raise ValueError(f"{name} must have shape (..., 2), got {tuple(z.shape)}")
        return z

    def _grad(self, z: torch.Tensor) -> torch.Tensor:
        create = torch.is_grad_enabled() and z.requires_grad
        with torch.enable_grad():
            zz = z if create else z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self.log_target(zz).sum(), zz, create_graph=create)
        return g

    def _leapfrog(self, z, v, t):
        eps = self.log_step[t].exp()
        mass = (2 * self.log_momentum_std[t]).exp()
        v = v + 0.5 * eps * self._grad(z)
        z = z + eps * v / mass
        v = v + 0.5 * eps * self._grad(z)
        return z, v

    def forward(self, n: int, *, generator: torch.Generator | None = None,
                return_path: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """n draws z_T and their log weights log p̃(z_T) + Σ log r_t − log q₀(z₀) − Σ log q_t (n,)."""
        n = check_positive_int("n", n)
        check_generator(generator)
        return_path = check_bool("return_path", return_path)
        dev, dt = self.mu.device, self.mu.dtype

        def noise():
            return randn((n, 2), generator=generator, device=dev, dtype=dt)

        eps0 = noise()
        z = self.mu + self.log_std.exp() * eps0
        log_w = -_normal_log_prob(z, self.mu, self.log_std)
        path = [z]
        for t in range(self.num_leapfrog):
            v = self.log_momentum_std[t].exp() * noise()
            log_w = log_w - _normal_log_prob(v, 0.0, self.log_momentum_std[t])
            z, v = self._leapfrog(z, v, t)
            mean, raw = self.reverse[t](z).chunk(2, dim=-1)
            log_std = self.log_momentum_std[t] + 5.0 * torch.tanh(raw / 5.0)  # bounded scale
            log_w = log_w + _normal_log_prob(v, mean, log_std)
            path.append(z)
        log_w = log_w + self.log_target(z)
        if return_path:
            return torch.stack(path), log_w
        return z, log_w

    def bound(self, n: int = 256, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """The Monte Carlo estimate of L_T from n draws (a scalar; ≤ log Z in expectation)."""
        return self(n, generator=generator)[1].mean()


def fit_hvi(model: HamiltonianVI, *, num_steps: int = 1000, batch_size: int = 256, lr: float = 5e-3,
            generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    """Maximize :meth:`HamiltonianVI.bound` with Adam for ``num_steps`` optimizer steps of
    ``batch_size`` draws each (through :func:`lecturekit.train.fit`); ``generator`` draws z₀ and
    the momenta. With ``lr=1e-2`` the bound of T = 1 or T = 4 ended below that of fewer steps on 2
    of 5 seeds; at the default 5e-3 it rose with T on all 5.

    Returns:
        A :class:`~lecturekit.train.History` with the loss (−bound estimate) of every step.
    """
    if not isinstance(model, HamiltonianVI):
        raise TypeError(f"model must be a HamiltonianVI, got {type(model).__name__}")
    batch_size = check_positive_int("batch_size", batch_size)
    check_generator(generator)
    opt = torch.optim.Adam(model.parameters(), lr=check_positive_float("lr", lr))
    return fit(lambda n: -model.bound(n, generator=generator), opt, lambda: batch_size, num_steps, model=model,
               desc=f"HVI T={model.num_leapfrog}", progress=progress)


def log_density_grid(target: str = "banana", *, lim: tuple[float, float, float, float] = (-3, 3, -2.5, 5),
                     num: int = 200) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z₁ grid, z₂ grid, log p(z) normalized) on a num × num grid, for contour plots."""
    check_choice("target", target, tuple(TARGETS))
    num = check_int("num", num, low=2, high=2000)
    if isinstance(lim, (str, bytes)) or not isinstance(lim, (list, tuple)) or len(lim) != 4:
        raise TypeError(f"lim must be (z1_min, z1_max, z2_min, z2_max), got {lim!r}")
    lim = tuple(check_float(f"lim[{i}]", v) for i, v in enumerate(lim))
    if not (lim[0] < lim[1] and lim[2] < lim[3]):
        raise ValueError(f"lim must satisfy z1_min < z1_max and z2_min < z2_max, got {lim}")
    log_p, log_z = TARGETS[target]
    g1 = torch.linspace(lim[0], lim[1], num)
    g2 = torch.linspace(lim[2], lim[3], num)
    zz = torch.stack(torch.meshgrid(g1, g2, indexing="xy"), dim=-1)
    return g1, g2, log_p(zz) - log_z
