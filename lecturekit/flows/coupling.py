"""Coupling layers: NICE's additive and Real NVP's affine couplings, NICE's scaling, and the flows
built from them.

A coupling keeps one part z_a of the coordinates (picked by a mask) and changes the other part with a
network of z_a only. Its Jacobian is triangular, so log_det is a sum over the changed coordinates
(zero for an additive coupling), and the inverse is exact: the network is evaluated, never inverted.

References:
    Dinh, Krueger & Bengio (2015), NICE: non-linear independent components estimation.
    Dinh, Sohl-Dickstein & Bengio (2017), Density estimation using Real NVP.
"""

from __future__ import annotations

import torch
from torch import nn

from ..nn import mlp
from ..utils import check_choice, check_positive_int
from .layers import _check_dtype, Compose, DiagonalGaussian, Flow, _check_z

__all__ = ["AdditiveCoupling", "AffineCoupling", "Scaling", "NICE", "RealNVP", "nice_flow", "realnvp_flow"]


def _mask(dim: int, parity: int) -> torch.Tensor:
    return ((torch.arange(dim) % 2) == parity).float()


class AdditiveCoupling(nn.Module):
    """NICE's additive coupling: y_a = z_a, y_b = z_b + m(z_a); log_det = 0.

    The mask picks a (alternate coordinates by ``parity``); m is an MLP whose last layer starts at
    zero, so the layer starts as the identity.

    References:
        Dinh, Krueger & Bengio (2015), §3.2.
    """

    out_dim = 1

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

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(y, log_det) for z (..., dim); ``upto`` is accepted for the interface of the other layers."""
        _check_z(z, self.dim)
        _check_dtype(z, self.mask, "z")
        shift = self.net(z * self.mask) * (1 - self.mask)
        return z + shift, z.new_zeros(z.shape[:-1])

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, log_det) with z the preimage of y (exact)."""
        _check_z(y, self.dim, "y")
        _check_dtype(y, self.mask, "y")
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
        """(y, log_det = Σ s) for z (..., dim)."""
        _check_z(z, self.dim)
        _check_dtype(z, self.mask, "z")
        s, t = self._s_t(z * self.mask)
        return z * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, log_det) with z the preimage of y (exact)."""
        _check_z(y, self.dim, "y")
        _check_dtype(y, self.mask, "y")
        s, t = self._s_t(y * self.mask)
        return (y - t) * torch.exp(-s), s.sum(-1)


class Scaling(nn.Module):
    """NICE's final diagonal scaling y = z ⊙ exp(s); log_det = Σ_i s_i (Dinh et al. 2015, §3.3)."""

    def __init__(self, dim: int = 2):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.s = nn.Parameter(torch.zeros(dim))

    def forward(self, z: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(z ⊙ exp(s), Σ s)."""
        _check_z(z, self.dim)
        _check_dtype(z, self.s, "z")
        return z * torch.exp(self.s), self.s.sum().expand(z.shape[:-1])

    def inverse(self, y: torch.Tensor, *, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(y ⊙ exp(−s), Σ s)."""
        _check_z(y, self.dim, "y")
        _check_dtype(y, self.s, "y")
        return y * torch.exp(-self.s), self.s.sum().expand(y.shape[:-1])


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



def nice_flow(*, dim: int = 2, num_coupling: int = 4, hidden_dim: int = 64, activation: str = "relu") -> Flow:
    """A learnable diagonal Gaussian pushed through :func:`NICE`."""
    return Flow(NICE(dim, num_coupling=num_coupling, hidden_dim=hidden_dim, activation=activation))


def realnvp_flow(*, dim: int = 2, num_coupling: int = 6, hidden_dim: int = 64, activation: str = "relu") -> Flow:
    """A standard Gaussian pushed through :func:`RealNVP` affine couplings."""
    return Flow(RealNVP(dim, num_coupling=num_coupling, hidden_dim=hidden_dim, activation=activation),
                DiagonalGaussian(dim, learnable=False))
