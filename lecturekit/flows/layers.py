"""Flow layers: planar and radial maps, their composition, and :class:`Flow` (base density + transform).

Every transform maps ``z -> (z', log_det)`` with log_det = log |det ∇Φ(z)|, so that a cascade gives

    log q_K(z_K) = log q_0(z_0) − Σ_k log |det ∇Φ_k(z_{k−1})|,

and ``inverse(y) -> (z, log_det)`` returns the preimage and the same forward log_det at it (planar
layers invert by bisection on a scalar, radial layers in closed form; the coupling layers of
:mod:`lecturekit.flows.coupling` exactly).

:class:`PlanarFlow` stores its K layers as stacked tensors (one fused multiply-add, one ``tanh`` and
one update per layer, every û and log-det computed for all layers at once) and can hold
``num_flows`` independent flows side by side, so that several targets train in one loop.

References:
    Rezende & Mohamed (2015), Variational inference with normalizing flows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..utils import check_bool, check_positive_float, check_positive_int, randn

__all__ = ["DiagonalGaussian", "PlanarFlow", "RadialFlow", "Compose", "Flow", "select", "planar_flow"]


def _check_z(z: torch.Tensor, dim: int, name: str = "z") -> torch.Tensor:
    """z must be a finite floating tensor of shape (..., dim); NaN would only surface steps later."""
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(z).__name__}")
    if z.ndim < 1 or z.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (..., {dim}), got {tuple(z.shape)}")
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {z.dtype}")
    if not bool(torch.isfinite(z).all()):
        raise ValueError(f"{name} must hold finite values, but it contains NaN or infinity")
    return z


def _check_dtype(z: torch.Tensor, param: torch.Tensor, name: str) -> None:
    if z.dtype != param.dtype:
        have, want = str(z.dtype).replace("torch.", ""), str(param.dtype).replace("torch.", "")
        fix = "call flow.double() or {0}.float()" if param.dtype == torch.float32 else "call {0}.to(" + want + ")"
        raise TypeError(f"{name} is {have} but the flow is {want}; {fix.format(name)}")


def _check_upto(upto: int | None, num_layers: int) -> int:
    if upto is None:
        return num_layers
    if isinstance(upto, bool) or not isinstance(upto, int) or not 0 <= upto <= num_layers:
        raise ValueError(f"upto must be an integer in 0..{num_layers}, got {upto!r}")
    return upto


class DiagonalGaussian(nn.Module):
    """q_0(z) = N(z | μ, diag(σ²)) with learnable μ and log σ (``num_flows`` copies side by side).

    :meth:`log_prob` is the closed form of :meth:`distribution`'s (a test checks them against each
    other); it avoids building a distribution object at every training step.
    """

    def __init__(self, dim: int = 2, *, num_flows: int | None = None, learnable: bool = True):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        shape = (dim,) if num_flows is None else (check_positive_int("num_flows", num_flows), dim)
        self.num_flows = num_flows
        mean, log_scale = torch.zeros(shape), torch.zeros(shape)
        if check_bool("learnable", learnable):
            self.mean, self.log_scale = nn.Parameter(mean), nn.Parameter(log_scale)
        else:
            self.register_buffer("mean", mean)
            self.register_buffer("log_scale", log_scale)

    def distribution(self) -> torch.distributions.Independent:
        """q_0 as a ``torch.distributions`` object (batch shape (num_flows,) for a bank)."""
        return torch.distributions.Independent(torch.distributions.Normal(self.mean, self.log_scale.exp()), 1)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log N(z | μ, σ²), summed over the last dimension; z is (N, D) or (num_flows, N, D)."""
        _check_z(z, self.dim)
        _check_dtype(z, self.mean, "z")
        mean, log_scale = self.mean.unsqueeze(-2), self.log_scale.unsqueeze(-2)
        eps = (z - mean) * torch.exp(-log_scale)
        return -0.5 * (eps * eps).sum(-1) - log_scale.sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)

    def rsample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = μ + σ ε with ε ~ N(0, I), differentiable in μ and σ; shape (n, D) or (num_flows, n, D)."""
        shape = (*self.mean.shape[:-1], check_positive_int("n", n), self.dim)
        eps = randn(shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return torch.addcmul(self.mean.unsqueeze(-2), torch.exp(self.log_scale).unsqueeze(-2), eps)


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
        init_scale = check_positive_float("init_scale", init_scale)
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
        _check_dtype(z, self.w, "z")
        upto = _check_upto(upto, self.num_layers)
        if upto == 0:
            return z, z.new_zeros(z.shape[:-1])
        shape = z.shape
        u_hat, wu_hat = self.u_hat()
        # Per layer: a = zᵀw + b in one fused matmul-add, h = tanh(a), and z += h ûᵀ as a rank-one
        # matmul-add (its backward is two small matmuls, with no broadcast to reduce). The per-layer
        # slices are views taken once, outside the loop. Profiled: at K = 32 a training step takes
        # half the time of the textbook loop (benchmarks/flows.py).
        ws = self.w.unsqueeze(-1).unbind(-3)  # K x (D, 1), or K x (M, D, 1) for a bank
        us = u_hat.unsqueeze(-2).unbind(-3)  # K x (1, D), or K x (M, 1, D)
        if self.num_flows is None:
            z = z.reshape(-1, self.dim)  # any leading axes become one batch axis
            affine, bs = torch.addmm, self.b.unsqueeze(-1).unbind(0)  # K x (1,)
        else:
            if z.ndim != 3 or z.shape[0] != self.num_flows:
                raise ValueError(f"z must have shape ({self.num_flows}, N, {self.dim}) for a bank of "
                                 f"{self.num_flows} flows, got {tuple(shape)}")
            affine, bs = torch.baddbmm, self.b[:, :, None, None].unbind(1)  # K x (M, 1, 1)
        hs = []
        for k in range(upto):
            h = torch.tanh(affine(bs[k], z, ws[k]))  # (N, 1) or (M, N, 1)
            z = affine(z, h, us[k])
            hs.append(h)
        h = torch.cat(hs, -1)  # (..., N, upto): every log-det at once
        log_det = torch.log1p((1 - h * h) * wu_hat[..., :upto].unsqueeze(-2)).sum(-1)
        return z.reshape(shape), log_det.reshape(shape[:-1])

    @torch.no_grad()
    def inverse(self, y: torch.Tensor, *, upto: int | None = None,
                num_iters: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Invert layers upto..1. With α = wᵀz, wᵀy = α + wᵀû tanh(α + b) is increasing in α and
        |α − wᵀy| ≤ |wᵀû|, so bisection on that bracket finds α; then z = y − û tanh(α + b).

        Returns (z_0, Σ log_det at the preimages)."""
        _check_z(y, self.dim, "y")
        _check_dtype(y, self.w, "y")
        upto = _check_upto(upto, self.num_layers)
        if num_iters is not None:
            num_iters = check_positive_int("num_iters", num_iters)
        if num_iters is None:
            # the bracket halves each step: 24 steps leave 2|wᵀû|/2²⁴, below float32's resolution here
            num_iters = 60 if y.dtype == torch.float64 else 24
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
        init_scale = check_positive_float("init_scale", init_scale)
        self.centre = nn.Parameter(init_scale * torch.randn(num_layers, dim))
        self.alpha_raw = nn.Parameter(torch.zeros(num_layers))
        self.beta_raw = nn.Parameter(init_scale * torch.randn(num_layers))

    def __len__(self) -> int:
        return self.num_layers

    def alpha_beta(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(α, β) with α > 0 and β ≥ −α."""
        alpha = F.softplus(self.alpha_raw)
        return alpha, F.softplus(self.beta_raw) - alpha

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply layers 1..upto (default all): returns (z_K, Σ_k log_det_k)."""
        _check_z(z, self.dim)
        _check_dtype(z, self.centre, "z")
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
        _check_dtype(y, self.centre, "y")
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


class Compose(nn.Module):
    """Φ_K ∘ … ∘ Φ_1: returns z_K and Σ_k log |det ∇Φ_k(z_{k−1})|."""

    def __init__(self, *transforms: nn.Module):
        super().__init__()
        if not transforms:
            raise ValueError("transforms must hold at least one transform")
        for i, t in enumerate(transforms):
            if not isinstance(t, nn.Module) or not hasattr(t, "inverse") or not hasattr(t, "dim"):
                raise TypeError(f"transforms[{i}] must be a flow layer (with dim and inverse), got {type(t).__name__}")
        self.transforms = nn.ModuleList(transforms)
        self.dim = transforms[0].dim
        for i, t in enumerate(transforms):
            if t.dim != self.dim:
                raise ValueError(f"transforms[{i}] has dim {t.dim}, expected {self.dim}")

    def __len__(self) -> int:
        return len(self.transforms)

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply transforms 1..upto (default all): returns (z_K, Σ_k log_det_k)."""
        _check_z(z, self.dim)
        upto = _check_upto(upto, len(self))
        log_det = z.new_zeros(z.shape[:-1])
        for t in self.transforms[:upto]:
            z, ld = t(z)
            log_det = log_det + ld
        return z, log_det

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Invert transforms upto..1: returns (z_0, Σ_k log_det_k at the preimages)."""
        _check_z(y, self.dim, "y")
        upto = _check_upto(upto, len(self))
        log_det = y.new_zeros(y.shape[:-1])
        for t in reversed(self.transforms[:upto]):
            y, ld = t.inverse(y)
            log_det = log_det + ld
        return y, log_det


class Flow(nn.Module):
    """q_K: a base density q_0 pushed through ``transform``.

    ``log q_K(Φ(z_0)) = log q_0(z_0) − log_det``; :meth:`log_prob` inverts the transform first.
    """

    def __init__(self, transform: nn.Module, base: DiagonalGaussian | None = None):
        super().__init__()
        if not isinstance(transform, nn.Module) or not hasattr(transform, "inverse") or not hasattr(transform, "dim"):
            raise TypeError(f"transform must be a flow layer (PlanarFlow, Compose, ...), got {type(transform).__name__}")
        if base is not None and not isinstance(base, DiagonalGaussian):
            raise TypeError(f"base must be a DiagonalGaussian or None, got {type(base).__name__}")
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
        _check_z(z0, self.dim, "z0")
        _check_dtype(z0, self.base.mean, "z0")
        return self.transform(z0, upto=upto)

    def push_forward(self, z0: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Transport given base points: z_K = Φ(z_0) and its density by the change of variables,
        log q_K(z_K) = log q_0(z_0) − log |det ∇Φ(z_0)| (no inverse needed)."""
        _check_z(z0, self.dim, "z0")
        _check_dtype(z0, self.base.mean, "z0")
        z, log_det = self.transform(z0, upto=upto)
        return z, self.base.log_prob(z0) - log_det

    def rsample_and_log_prob(self, n: int, *, generator: torch.Generator | None = None,
                             upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """z_K = Φ(z_0), z_0 ~ q_0 (reparametrized), and log q_K(z_K) = log q_0(z_0) − log_det."""
        return self.push_forward(self.base.rsample(n, generator=generator), upto=upto)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws z_K ~ q_K (no gradient): (n, D), or (num_flows, n, D) for a bank."""
        return self.rsample_and_log_prob(check_positive_int("n", n), generator=generator)[0]

    def log_prob(self, x: torch.Tensor, *, upto: int | None = None) -> torch.Tensor:
        """log q_k(x) = log q_0(Φ⁻¹(x)) − Σ log_det at the preimages (k = ``upto``, default K)."""
        _check_z(x, self.dim, "x")
        _check_dtype(x, self.base.mean, "x")
        if self.num_flows is not None and (x.ndim != 3 or x.shape[0] != self.num_flows):
            raise ValueError(f"x must have shape ({self.num_flows}, N, {self.dim}) for a bank of "
                             f"{self.num_flows} flows, got {tuple(x.shape)}")
        # Planar layers invert by bisection, without gradient; couplings invert exactly and
        # differentiably, so maximum likelihood trains through this.
        z0, log_det = self.transform.inverse(x, upto=upto)
        return self.base.log_prob(z0) - log_det


def select(flow: Flow, index: int) -> Flow:
    """Flow ``index`` of a bank of planar flows (``num_flows`` set), as a single flow (copied)."""
    if not isinstance(flow, Flow) or flow.num_flows is None or not isinstance(flow.transform, PlanarFlow):
        raise ValueError("flow must be a bank of planar flows (built with num_flows)")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < flow.num_flows:
        raise ValueError(f"index must be in 0..{flow.num_flows - 1}, got {index!r}")
    single = planar_flow(dim=flow.dim, num_layers=len(flow)).to(flow.base.mean.dtype)
    single.load_state_dict({k: v[index] for k, v in flow.state_dict().items()})
    return single.to(flow.base.mean.device)


def planar_flow(*, dim: int = 2, num_layers: int = 8, num_flows: int | None = None) -> Flow:
    """A learnable diagonal Gaussian pushed through K = ``num_layers`` planar layers."""
    return Flow(PlanarFlow(dim, num_layers, num_flows=num_flows))
