"""Normalizing flows: planar, radial, NICE and affine coupling, fitted by reverse KL or likelihood.

A flow pushes a base density q_0 through diffeomorphisms Φ_1..Φ_K. Every transform here maps
``z -> (z', log_det)`` with log_det = log |det ∇Φ(z)|, so that the cascade gives

    log q_K(z_K) = log q_0(z_0) − Σ_k log |det ∇Φ_k(z_{k−1})|.

``inverse(y) -> (z, log_det)`` returns the preimage and the same forward log_det at it (planar
layers invert by bisection on a scalar, radial layers in closed form, couplings exactly).

:class:`PlanarFlow` stores its K layers as stacked tensors (one ``tanh`` and one update per layer,
every û and log-det computed for all layers at once) and can hold ``num_flows`` independent flows
side by side, so that several targets train in one loop.

References:
    Rezende & Mohamed (2015), Variational inference with normalizing flows.
    Dinh, Krueger & Bengio (2015), NICE: non-linear independent components estimation.
    Dinh, Sohl-Dickstein & Bengio (2017), Density estimation using Real NVP.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from . import data
from .nn import mlp
from .train import Batches, evaluating, fit
from .utils import as_tensor_2d, check_choice, check_positive_float, check_positive_int

__all__ = ["one_thread", "DiagonalGaussian", "PlanarFlow", "RadialFlow", "AdditiveCoupling", "AffineCoupling", "Scaling",
           "Compose", "NICE", "RealNVP", "Flow", "select", "planar_flow", "nice_flow", "realnvp_flow",
           "log_partition", "beta_schedule", "reverse_kl_loss", "fit_reverse_kl", "kl", "fit_max_likelihood",
           "log_likelihood", "grid", "density_grid", "target_density_grid"]


@contextlib.contextmanager
def one_thread():
    """Fits run on (N, 2) batches, far below torch's parallel grain: a second CPU thread only adds
    synchronisation, which stalls badly on a busy machine. Restores the thread count after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _check_z(z: torch.Tensor, dim: int, name: str = "z") -> torch.Tensor:
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(z).__name__}")
    if z.ndim < 1 or z.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (..., {dim}), got {tuple(z.shape)}")
    return z


def _check_upto(upto: int | None, num_layers: int) -> int:
    if upto is None:
        return num_layers
    if not isinstance(upto, int) or not 0 <= upto <= num_layers:
        raise ValueError(f"upto must be an integer in 0..{num_layers}, got {upto!r}")
    return upto


class DiagonalGaussian(nn.Module):
    """q_0(z) = N(z | μ, diag(σ²)) with learnable μ and log σ (``num_flows`` copies side by side)."""

    def __init__(self, dim: int = 2, *, num_flows: int | None = None, learnable: bool = True):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        shape = (dim,) if num_flows is None else (check_positive_int("num_flows", num_flows), dim)
        self.num_flows = num_flows
        mean, log_scale = torch.zeros(shape), torch.zeros(shape)
        if learnable:
            self.mean, self.log_scale = nn.Parameter(mean), nn.Parameter(log_scale)
        else:
            self.register_buffer("mean", mean)
            self.register_buffer("log_scale", log_scale)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log N(z | μ, σ²), summed over the last dimension; z is (N, D) or (num_flows, N, D)."""
        _check_z(z, self.dim)
        mean, log_scale = self.mean.unsqueeze(-2), self.log_scale.unsqueeze(-2)
        eps = (z - mean) * torch.exp(-log_scale)
        return -0.5 * (eps * eps).sum(-1) - log_scale.sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)

    def rsample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = μ + σ ε with ε ~ N(0, I), differentiable in μ and σ; shape (n, D) or (num_flows, n, D)."""
        shape = (*self.mean.shape[:-1], n, self.dim)
        eps = torch.randn(shape, generator=generator, dtype=self.mean.dtype).to(self.mean.device)
        return self.mean.unsqueeze(-2) + torch.exp(self.log_scale).unsqueeze(-2) * eps


class PlanarFlow(nn.Module):
    """K planar layers Φ_k(z) = z + û_k tanh(w_kᵀ z + b_k), log_det = log |1 + ψ_kᵀ û_k|.

    Here ψ_k = (1 − tanh²(w_kᵀz + b_k)) w_k, and û = u + (m(wᵀu) − wᵀu) w / ‖w‖² with
    m(x) = −1 + softplus(x), so that wᵀû = m(wᵀu) > −1 for every parameter value: each layer is
    invertible. With ``num_flows = M`` the parameters get a leading axis of M independent flows
    and inputs are (M, N, D).

    References:
        Rezende & Mohamed (2015), §4.1 and Appendix A.1.
    """

    def __init__(self, dim: int = 2, num_layers: int = 1, *, num_flows: int | None = None, init_scale: float = 0.1):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.num_flows = None if num_flows is None else check_positive_int("num_flows", num_flows)
        lead = () if num_flows is None else (num_flows,)
        self.w = nn.Parameter(init_scale * torch.randn(*lead, num_layers, dim))
        self.u = nn.Parameter(init_scale * torch.randn(*lead, num_layers, dim))
        self.b = nn.Parameter(torch.zeros(*lead, num_layers))

    def __len__(self) -> int:
        return self.num_layers

    def u_hat(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(û, wᵀû): û = u + (m(wᵀu) − wᵀu) w/‖w‖², m(x) = −1 + softplus(x), so wᵀû = m(wᵀu) > −1."""
        w, u = self.w, self.u
        wu = (w * u).sum(-1)
        m = F.softplus(wu) - 1
        norm_sq = (w * w).sum(-1)
        # w = 0 leaves u as it is (the layer is a translation); avoids 0/0.
        nonzero = norm_sq > 0
        scale = (m - wu) / torch.where(nonzero, norm_sq, torch.ones_like(norm_sq))
        return u + scale.unsqueeze(-1) * w, torch.where(nonzero, m, torch.zeros_like(m))

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply layers 1..upto (default all): returns (z_K, Σ_k log |1 + ψ_kᵀ û_k|)."""
        _check_z(z, self.dim)
        upto = _check_upto(upto, self.num_layers)
        u_hat, wu_hat = self.u_hat()
        ws, bs, us = self.w.unbind(-2), self.b.unbind(-1), u_hat.unbind(-2)
        hs = []
        for k in range(upto):
            a = (z @ ws[k].unsqueeze(-1)).squeeze(-1) + bs[k].unsqueeze(-1)
            h = torch.tanh(a)
            z = torch.addcmul(z, h.unsqueeze(-1), us[k].unsqueeze(-2))
            hs.append(h)
        if not hs:
            return z, z.new_zeros(z.shape[:-1])
        h = torch.stack(hs, -1)  # (..., N, upto): every log-det at once
        log_det = torch.log1p((1 - h * h) * wu_hat[..., :upto].unsqueeze(-2)).sum(-1)
        return z, log_det

    @torch.no_grad()
    def inverse(self, y: torch.Tensor, *, upto: int | None = None,
                num_iters: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Invert layers upto..1. With α = wᵀz, wᵀy = α + wᵀû tanh(α + b) is increasing in α and
        |α − wᵀy| ≤ |wᵀû|, so bisection on that bracket finds α; then z = y − û tanh(α + b).

        Returns (z_0, Σ log_det at the preimages)."""
        _check_z(y, self.dim, "y")
        upto = _check_upto(upto, self.num_layers)
        if num_iters is None:
            num_iters = 60 if y.dtype == torch.float64 else 34
        u_hat, wu_hat = self.u_hat()
        log_det = y.new_zeros(y.shape[:-1])
        for k in reversed(range(upto)):
            w, u, b, c = (self.w[..., k, :].unsqueeze(-2), u_hat[..., k, :].unsqueeze(-2),
                          self.b[..., k].unsqueeze(-1), wu_hat[..., k].unsqueeze(-1))
            target = (y * w).sum(-1)
            lo, hi = target - c.abs(), target + c.abs()
            for _ in range(num_iters):
                mid = 0.5 * (lo + hi)
                above = mid + c * torch.tanh(mid + b) > target
                hi, lo = torch.where(above, mid, hi), torch.where(above, lo, mid)
            h = torch.tanh(0.5 * (lo + hi) + b)
            y = y - h.unsqueeze(-1) * u
            log_det = log_det + torch.log1p((1 - h * h) * c)
        return y, log_det


class RadialFlow(nn.Module):
    """K radial layers Φ(z) = z + β h(α, r)(z − z_c), h = 1/(α + r), r = ‖z − z_c‖, with
    log_det = (D − 1) log(1 + βh) + log(1 + βh + β h′ r).

    α = softplus(α̃) > 0 and β = −α + softplus(β̃) ≥ −α keep every layer invertible.

    References:
        Rezende & Mohamed (2015), §4.1 and Appendix A.2.
    """

    def __init__(self, dim: int = 2, num_layers: int = 1, *, init_scale: float = 0.5):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.centre = nn.Parameter(init_scale * torch.randn(num_layers, dim))
        self.alpha_raw = nn.Parameter(torch.zeros(num_layers))
        self.beta_raw = nn.Parameter(init_scale * torch.randn(num_layers))

    def __len__(self) -> int:
        return self.num_layers

    def alpha_beta(self) -> tuple[torch.Tensor, torch.Tensor]:
        alpha = F.softplus(self.alpha_raw)
        return alpha, F.softplus(self.beta_raw) - alpha

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(z, self.dim)
        upto = _check_upto(upto, self.num_layers)
        alpha, beta = self.alpha_beta()
        log_det = z.new_zeros(z.shape[:-1])
        for k in range(upto):
            diff = z - self.centre[k]
            r = diff.norm(dim=-1)
            h = 1 / (alpha[k] + r)
            z = z + (beta[k] * h).unsqueeze(-1) * diff
            # 1 + βh + βh′r = 1 + βαh² since h′ = −h²
            log_det = log_det + (self.dim - 1) * torch.log1p(beta[k] * h) + torch.log1p(beta[k] * alpha[k] * h * h)
        return z, log_det

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """r_y = r (α + β + r)/(α + r) is a quadratic in r: r² + (α + β − r_y) r − α r_y = 0."""
        _check_z(y, self.dim, "y")
        upto = _check_upto(upto, self.num_layers)
        alpha, beta = self.alpha_beta()
        log_det = y.new_zeros(y.shape[:-1])
        for k in reversed(range(upto)):
            diff = y - self.centre[k]
            ry = diff.norm(dim=-1)
            p = alpha[k] + beta[k] - ry
            r = 0.5 * (torch.sqrt(p * p + 4 * alpha[k] * ry) - p)
            h = 1 / (alpha[k] + r)
            y = self.centre[k] + diff / (1 + beta[k] * h).unsqueeze(-1)
            log_det = log_det + (self.dim - 1) * torch.log1p(beta[k] * h) + torch.log1p(beta[k] * alpha[k] * h * h)
        return y, log_det


def _mask(dim: int, parity: int) -> torch.Tensor:
    return ((torch.arange(dim) % 2) == parity).float()


class AdditiveCoupling(nn.Module):
    """NICE's additive coupling: y_a = z_a, y_b = z_b + m(z_a); log_det = 0.

    The mask picks a (alternate coordinates by ``parity``); m is an MLP whose last layer starts at
    zero, so the layer starts as the identity.

    References:
        Dinh, Krueger & Bengio (2015), §3.2.
    """

    def __init__(self, dim: int = 2, *, parity: int = 0, hidden_dim: int = 64, num_hidden: int = 2,
                 activation: str = "relu"):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        if dim < 2:
            raise ValueError(f"dim must be at least 2 for a coupling layer, got {dim}")
        check_choice("parity", parity, (0, 1))
        hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        self.register_buffer("mask", _mask(dim, parity))
        self.net = mlp([dim] + [hidden_dim] * check_positive_int("num_hidden", num_hidden) + [self.out_dim * dim],
                       activation=activation)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    out_dim = 1

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(z, self.dim)
        shift = self.net(z * self.mask) * (1 - self.mask)
        return z + shift, z.new_zeros(z.shape[:-1])

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(y, self.dim, "y")
        return y - self.net(y * self.mask) * (1 - self.mask), y.new_zeros(y.shape[:-1])


class AffineCoupling(AdditiveCoupling):
    """Real NVP's affine coupling: y_a = z_a, y_b = z_b ⊙ exp(s(z_a)) + t(z_a); log_det = Σ s.

    s = c · tanh(s̃) with a learnable scale c keeps the log-scales bounded early in training.

    References:
        Dinh, Sohl-Dickstein & Bengio (2017), §3.3.
    """

    out_dim = 2

    def __init__(self, dim: int = 2, **kwargs):
        super().__init__(dim, **kwargs)
        self.scale = nn.Parameter(torch.ones(dim))

    def _s_t(self, z_a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s_raw, t = self.net(z_a).chunk(2, dim=-1)
        keep = 1 - self.mask
        return self.scale * torch.tanh(s_raw) * keep, t * keep

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(z, self.dim)
        s, t = self._s_t(z * self.mask)
        return z * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(y, self.dim, "y")
        s, t = self._s_t(y * self.mask)
        return (y - t) * torch.exp(-s), s.sum(-1)


class Scaling(nn.Module):
    """NICE's final diagonal scaling y = z ⊙ exp(s); log_det = Σ_i s_i (Dinh et al. 2015, §3.3)."""

    def __init__(self, dim: int = 2):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.s = nn.Parameter(torch.zeros(dim))

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(z, self.dim)
        return z * torch.exp(self.s), self.s.sum().expand(z.shape[:-1])

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_z(y, self.dim, "y")
        return y * torch.exp(-self.s), self.s.sum().expand(y.shape[:-1])


class Compose(nn.Module):
    """Φ_K ∘ … ∘ Φ_1: returns z_K and Σ_k log |det ∇Φ_k(z_{k−1})|."""

    def __init__(self, *transforms: nn.Module):
        super().__init__()
        if not transforms:
            raise ValueError("transforms must hold at least one transform")
        self.transforms = nn.ModuleList(transforms)
        self.dim = transforms[0].dim
        for i, t in enumerate(transforms):
            if t.dim != self.dim:
                raise ValueError(f"transforms[{i}] has dim {t.dim}, expected {self.dim}")

    def __len__(self) -> int:
        return len(self.transforms)

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        upto = _check_upto(upto, len(self))
        log_det = z.new_zeros(z.shape[:-1])
        for t in self.transforms[:upto]:
            z, ld = t(z)
            log_det = log_det + ld
        return z, log_det

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        upto = _check_upto(upto, len(self))
        log_det = y.new_zeros(y.shape[:-1])
        for t in reversed(self.transforms[:upto]):
            y, ld = t.inverse(y)
            log_det = log_det + ld
        return y, log_det


def NICE(dim: int = 2, *, num_coupling: int = 4, hidden_dim: int = 64, num_hidden: int = 2,
         activation: str = "relu") -> Compose:
    """NICE: ``num_coupling`` additive couplings with alternating masks, then a diagonal scaling."""
    num_coupling = check_positive_int("num_coupling", num_coupling)
    layers = [AdditiveCoupling(dim, parity=i % 2, hidden_dim=hidden_dim, num_hidden=num_hidden,
                               activation=activation) for i in range(num_coupling)]
    return Compose(*layers, Scaling(dim))


def RealNVP(dim: int = 2, *, num_coupling: int = 6, hidden_dim: int = 64, num_hidden: int = 2,
            activation: str = "relu") -> Compose:
    """``num_coupling`` affine couplings with alternating masks."""
    num_coupling = check_positive_int("num_coupling", num_coupling)
    return Compose(*[AffineCoupling(dim, parity=i % 2, hidden_dim=hidden_dim, num_hidden=num_hidden,
                                    activation=activation) for i in range(num_coupling)])


class Flow(nn.Module):
    """q_K: a base density q_0 pushed through ``transform``.

    ``log q_K(Φ(z_0)) = log q_0(z_0) − log_det``; :meth:`log_prob` inverts the transform first.
    """

    def __init__(self, transform: nn.Module, base: DiagonalGaussian | None = None):
        super().__init__()
        self.transform = transform
        self.dim = transform.dim
        self.base = base if base is not None else DiagonalGaussian(self.dim,
                                                                   num_flows=getattr(transform, "num_flows", None))
        if self.base.dim != self.dim:
            raise ValueError(f"base has dim {self.base.dim}, but the transform has dim {self.dim}")
        self.num_flows = self.base.num_flows

    def __len__(self) -> int:
        return len(self.transform)

    def forward(self, z0: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_k, Σ log_det) for z_0 pushed through the first ``upto`` layers."""
        return self.transform(z0, upto=upto)

    def rsample_and_log_prob(self, n: int, *, generator: torch.Generator | None = None,
                             upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """z_K = Φ(z_0), z_0 ~ q_0 (reparametrized), and log q_K(z_K) = log q_0(z_0) − log_det."""
        z0 = self.base.rsample(n, generator=generator)
        z, log_det = self.transform(z0, upto=upto)
        return z, self.base.log_prob(z0) - log_det

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.rsample_and_log_prob(check_positive_int("n", n), generator=generator)[0]

    def log_prob(self, x: torch.Tensor, *, upto: int | None = None) -> torch.Tensor:
        """log q_k(x) = log q_0(Φ⁻¹(x)) − Σ log_det at the preimages (k = ``upto``, default K)."""
        _check_z(x, self.dim, "x")
        # Planar layers invert by bisection, without gradient; couplings invert exactly and
        # differentiably, so maximum likelihood trains through this.
        z0, log_det = self.transform.inverse(x, upto=upto)
        return self.base.log_prob(z0) - log_det


def select(flow: Flow, index: int) -> Flow:
    """Flow ``index`` of a bank of planar flows (``num_flows`` set), as a single flow (copied)."""
    if flow.num_flows is None or not isinstance(flow.transform, PlanarFlow):
        raise ValueError("flow must be a bank of planar flows (built with num_flows)")
    if not isinstance(index, int) or not 0 <= index < flow.num_flows:
        raise ValueError(f"index must be in 0..{flow.num_flows - 1}, got {index!r}")
    single = planar_flow(dim=flow.dim, num_layers=len(flow))
    single.load_state_dict({k: v[index] for k, v in flow.state_dict().items()})
    return single.to(flow.base.mean.device)


def planar_flow(*, dim: int = 2, num_layers: int = 8, num_flows: int | None = None) -> Flow:
    """A learnable diagonal Gaussian pushed through K = ``num_layers`` planar layers."""
    return Flow(PlanarFlow(dim, num_layers, num_flows=num_flows))


def nice_flow(*, dim: int = 2, num_coupling: int = 4, hidden_dim: int = 64, activation: str = "relu") -> Flow:
    """A learnable diagonal Gaussian pushed through :func:`NICE`."""
    return Flow(NICE(dim, num_coupling=num_coupling, hidden_dim=hidden_dim, activation=activation))


def realnvp_flow(*, dim: int = 2, num_coupling: int = 6, hidden_dim: int = 64, activation: str = "relu") -> Flow:
    """A standard Gaussian pushed through :func:`RealNVP` affine couplings."""
    return Flow(RealNVP(dim, num_coupling=num_coupling, hidden_dim=hidden_dim, activation=activation),
                DiagonalGaussian(dim, learnable=False))


# --------------------------------------------------------------------------- reverse KL to U1..U4


def _check_targets(target, num_flows):
    names = [target] if isinstance(target, str) else list(target)
    for name in names:
        check_choice("target", name, tuple(data.ENERGIES))
    if num_flows is None and len(names) != 1:
        raise ValueError(f"target must be one name for a single flow, got {names}")
    if num_flows is not None and len(names) != num_flows:
        raise ValueError(f"target must list {num_flows} names, one per flow, got {names}")
    return names


def _energy(names: list[str], z: torch.Tensor, batched: bool) -> torch.Tensor:
    if not batched:
        return data.energy(names[0], z)
    return torch.stack([data.energy(name, z[i]) for i, name in enumerate(names)])


@functools.lru_cache(maxsize=None)
def log_partition(target: str, *, bound: float = 10.0, num: int = 1000) -> float:
    """log Z = log ∫ exp(−U(z)) dz by the midpoint rule on a num x num grid over [−bound, bound]²
    (float64; cached per target)."""
    check_choice("target", target, tuple(data.ENERGIES))
    h = 2 * bound / num
    ticks = -bound + h * (torch.arange(num, dtype=torch.float64) + 0.5)
    z = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)
    return float(torch.logsumexp(-data.energy(target, z), 0)) + 2 * math.log(h)


def beta_schedule(step: int, num_steps: int, *, anneal_fraction: float = 0.5) -> float:
    """β_t = min(1, 0.01 + t / T_β): Rezende & Mohamed's annealing with T_β = anneal_fraction · num_steps
    (the paper's T_β = 10⁴)."""
    return min(1.0, 0.01 + step / max(1.0, anneal_fraction * num_steps))


def reverse_kl_loss(flow: Flow, target, n: int, *, beta: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """E_q[log q_K(z_K) + β U(z_K)], a Monte Carlo estimate over n samples (summed over flows).

    At β = 1 it equals KL(q_K ‖ p) − log Z."""
    names = _check_targets(target, flow.num_flows)
    z, log_q = flow.rsample_and_log_prob(n, generator=generator)
    return (log_q + beta * _energy(names, z, flow.num_flows is not None)).mean(-1).sum()


def fit_reverse_kl(flow: Flow, target, *, num_steps: int = 2000, batch_size: int = 256, lr: float = 1e-2,
                   anneal_fraction: float = 0.5, generator: torch.Generator | None = None,
                   progress: bool | None = None) -> dict:
    """Minimize E_q[log q + β_t U] with Adam (cosine-decayed learning rate) and β_t annealed to 1.

    ``target`` is a name in U1..U4, or a list of names, one per flow of a ``num_flows`` bank.
    Returns ``{"loss": [...], "seconds": ...}``.
    """
    names = _check_targets(target, flow.num_flows)
    num_steps = check_positive_int("num_steps", num_steps)
    batch_size = check_positive_int("batch_size", batch_size)
    check_positive_float("lr", lr)
    check_positive_float("anneal_fraction", anneal_fraction)
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps, eta_min=lr / 20)
    steps = itertools.count()
    names_arg = names[0] if flow.num_flows is None else names

    def loss_fn(t):
        return reverse_kl_loss(flow, names_arg, batch_size, beta=beta_schedule(t, num_steps, anneal_fraction=anneal_fraction),
                               generator=generator)

    with one_thread():
        history = fit(loss_fn, optimizer, steps.__next__, num_steps, model=flow, scheduler=scheduler,
                      desc="reverse KL", progress=progress)
    return {"loss": history.loss, "seconds": history.seconds}


@torch.no_grad()
def kl(flow: Flow, target, *, num_samples: int = 20_000, generator: torch.Generator | None = None):
    """KL(q_K ‖ p) = E_q[log q_K(z) + U(z)] + log Z, with log Z from :func:`log_partition`.

    Returns a float, or a list of floats for a bank of flows."""
    names = _check_targets(target, flow.num_flows)
    num_samples = check_positive_int("num_samples", num_samples)
    with evaluating(flow):
        z, log_q = flow.rsample_and_log_prob(num_samples, generator=generator)
        per = (log_q + _energy(names, z, flow.num_flows is not None)).double().mean(-1)
    out = [float(v) + log_partition(name) for v, name in zip(per.reshape(-1), names)]
    return out[0] if flow.num_flows is None else out


# --------------------------------------------------------------------------- maximum likelihood


def fit_max_likelihood(flow: Flow, x, *, num_steps: int = 2000, batch_size: int = 256, lr: float = 2e-3,
                       generator: torch.Generator | None = None, progress: bool | None = None) -> dict:
    """Maximize (1/N) Σ_n log q_K(x_n) over minibatches (coupling flows, whose inverse is exact)."""
    if flow.num_flows is not None or isinstance(flow.transform, PlanarFlow):
        raise ValueError("flow must be a single coupling flow (NICE or RealNVP) for maximum likelihood")
    x = as_tensor_2d("x", x, dtype=flow.base.mean.dtype)
    _check_z(x, flow.dim, "x")
    optimizer = torch.optim.Adam(flow.parameters(), lr=check_positive_float("lr", lr))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, check_positive_int("num_steps", num_steps),
                                                           eta_min=lr / 20)
    batches = Batches(x, batch_size=batch_size, shuffle=True, drop_last=len(x) >= batch_size, generator=generator)
    with one_thread():
        history = fit(lambda xb: -flow.log_prob(xb).mean(), optimizer, batches, num_steps, model=flow,
                      scheduler=scheduler, desc="max likelihood", progress=progress)
    return {"loss": history.loss, "seconds": history.seconds}


@torch.no_grad()
def log_likelihood(flow: Flow, x) -> float:
    """(1/N) Σ_n log q_K(x_n) in nats per point."""
    x = as_tensor_2d("x", x, dtype=flow.base.mean.dtype)
    with evaluating(flow):
        return float(flow.log_prob(x).mean())


# --------------------------------------------------------------------------- densities on a grid


def grid(*, bound: float = 4.0, num: int = 200, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres ``ticks`` (num,) and points (num·num, 2) of a grid over [−bound, bound]², rows = y."""
    check_positive_float("bound", bound)
    num = check_positive_int("num", num)
    h = 2 * bound / num
    ticks = -bound + h * (torch.arange(num, dtype=dtype) + 0.5)
    return ticks, torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)


@torch.no_grad()
def density_grid(flow: Flow, *, bound: float = 4.0, num: int = 200, upto: int | None = None) -> torch.Tensor:
    """q_k(z) on a num x num grid over [−bound, bound]² (rows are y): shape (num, num), or
    (num_flows, num, num) for a bank."""
    ticks, points = grid(bound=bound, num=num, dtype=flow.base.mean.dtype)
    points = points.to(flow.base.mean.device)
    if flow.num_flows is not None:
        points = points.expand(flow.num_flows, -1, -1)
    with evaluating(flow):
        log_q = flow.log_prob(points, upto=upto)
    return log_q.exp().reshape(*log_q.shape[:-1], num, num)


def target_density_grid(target: str, *, bound: float = 4.0, num: int = 200) -> torch.Tensor:
    """p(z) = exp(−U(z) − log Z) on the same grid as :func:`density_grid`."""
    check_choice("target", target, tuple(data.ENERGIES))
    _, points = grid(bound=bound, num=num, dtype=torch.float64)
    return torch.exp(-data.energy(target, points) - log_partition(target)).reshape(num, num).float()
