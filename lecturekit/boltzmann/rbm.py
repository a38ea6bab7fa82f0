r"""The binary RBM: energy, free energy, conditionals, Gibbs sweeps and sampling.

p(x, z) = e^{-E(x,z)}/Z with E(x, z) = -xᵀWz - bᵀx - cᵀz; the hiddens sum out in closed form,
p(x) = e^{-F(x)}/Z. Also the checks shared by every Boltzmann machine (binary units, one row per
chain, memory of a kept chain) and :func:`sweeps`, the progress bar of every chain.

References:
    Hinton (2002). Training products of experts by minimizing contrastive divergence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..train import check_num_steps, progress_disabled
from ..utils import (bernoulli, check_bool, check_float, check_generator, check_positive_float, check_positive_int,
                     check_tensor)

__all__ = ["RBM", "GibbsChain", "check_binary", "sweeps"]


def check_binary(name: str, x) -> torch.Tensor:
    """``x`` as a float (N, D) tensor of 0s and 1s; images (N, 1, H, W) are flattened.

    Raises:
        TypeError: ``x`` is not a tensor.
        ValueError: ``x`` holds values other than 0 and 1, or has no rows.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of 0s and 1s, got {type(x).__name__}")
    check_tensor(name, x, nonempty=False)
    if x.ndim > 2:
        x = x.flatten(1)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, D) or (N, 1, H, W) with N >= 1, got {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.float()
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError(f"{name} must be binary (only 0s and 1s); binarize it first, e.g. mnist_5k(binarize=True)")
    return x


def sweeps(num_sweeps: int, *, desc: str = "Gibbs", progress: bool | None = None) -> Iterator[int]:
    """``range(num_sweeps)`` behind a ``tqdm.auto`` bar (hidden by ``progress=False`` or
    ``TQDM_DISABLE=1``); the bar closes when the loop ends or is interrupted (Ctrl-C re-raises).
    ``num_sweeps`` is checked here, at the call (over 10^7 warns)."""
    num_sweeps = check_num_steps("num_sweeps", num_sweeps)
    if not isinstance(desc, str):
        raise TypeError(f"desc must be a string (the progress bar's label), got {type(desc).__name__}")
    return _sweeps(num_sweeps, desc, progress_disabled(progress))


def _sweeps(num_sweeps: int, desc: str, disable: bool) -> Iterator[int]:
    bar = tqdm(total=num_sweeps, desc=desc, disable=disable, leave=False, mininterval=0.25)
    try:
        for i in range(num_sweeps):
            yield i
            bar.update()
    finally:
        bar.close()


def _units(name: str, t, dim: int, model: nn.Module) -> torch.Tensor:
    """Units of one layer: a (N, dim) tensor of binary states or probabilities, in the model's dtype and device."""
    t = check_tensor(name, t, ndim=2, model=model, low=0.0, high=1.0,
                     hint="units hold binary states or probabilities in [0, 1]")
    if t.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the layer's units), got {t.shape[1]}")
    return t


def _same_rows(**tensors: torch.Tensor) -> None:
    rows = {name: t.shape[0] for name, t in tensors.items()}
    if len(set(rows.values())) > 1:
        raise ValueError(f"{' and '.join(rows)} must have the same number of rows, got {rows}")


def _check_model(name: str, model, cls) -> nn.Module:
    if not isinstance(model, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, got {type(model).__name__}")
    return model


def _check_chain_memory(num_sweeps: int, num_chains: int, dim: int, keep_chain: bool) -> None:
    if keep_chain and (num_sweeps + 1) * num_chains * dim > 2 * 10**8:
        raise ValueError(f"keep_chain=True stores every sweep: num_sweeps={num_sweeps:,} x {num_chains} chains x {dim} "
                         "units is over 2e8 numbers; keep fewer sweeps, or keep_chain=False for the last one only")


def _check_sgd(lr, momentum, weight_decay) -> tuple[float, float, float]:
    return (check_positive_float("lr", lr), check_float("momentum", momentum, low=0.0, high=1.0, open_high=True),
            check_positive_float("weight_decay", weight_decay, allow_zero=True))


def _start_state(model_param: torch.Tensor, x0, num_samples: int, dim: int, generator) -> torch.Tensor:
    """Binary start states: ``x0`` checked and moved to the model, else uniform noise."""
    n = check_positive_int("num_samples", num_samples)  # checked even when x0 sets the number of chains
    if x0 is None:
        p = torch.full((n, dim), 0.5, dtype=model_param.dtype, device=model_param.device)
        return bernoulli(p, generator=generator)
    x0 = check_binary("x0", x0).to(model_param.device, model_param.dtype)
    if x0.shape[1] != dim:
        raise ValueError(f"x0 must have {dim} columns (the model's visible units), got {x0.shape[1]}")
    return x0


class RBM(nn.Module):
    r"""A binary restricted Boltzmann machine, :math:`E(x,z) = -x^\top W z - b^\top x - c^\top z`.

    Args:
        num_visible: D, the number of visible units.
        num_hidden: H, the number of hidden units.
        init_std: standard deviation of the initial weights (biases start at zero).

    >>> rbm = RBM(6, 3)
    >>> rbm.free_energy(torch.ones(2, 6)).shape
    torch.Size([2])
    """

    def __init__(self, num_visible: int = 784, num_hidden: int = 64, *, init_std: float = 0.01):
        super().__init__()
        self.num_visible = check_positive_int("num_visible", num_visible)
        self.num_hidden = check_positive_int("num_hidden", num_hidden)
        init_std = check_positive_float("init_std", init_std)
        self.W = nn.Parameter(init_std * torch.randn(num_visible, num_hidden))
        self.b = nn.Parameter(torch.zeros(num_visible))  # visible biases
        self.c = nn.Parameter(torch.zeros(num_hidden))  # hidden biases

    def energy(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        r""":math:`E(x, z) = -x^\top W z - b^\top x - c^\top z`, one value per row."""
        x, z = _units("x", x, self.num_visible, self), _units("z", z, self.num_hidden, self)
        _same_rows(x=x, z=z)
        return -((x @ self.W) * z).sum(-1) - x @ self.b - z @ self.c

    def free_energy(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`F(x) = -\log\sum_z e^{-E(x,z)} = -b^\top x - \sum_j \mathrm{softplus}(c_j + (xW)_j)`."""
        return self._free_energy(_units("x", x, self.num_visible, self))

    def _free_energy(self, x: torch.Tensor) -> torch.Tensor:
        return -x @ self.b - F.softplus(x @ self.W + self.c).sum(-1)

    def p_z_given_x(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`p(z_j = 1 \mid x) = \sigma(c_j + (xW)_j)`: the hiddens are independent given x."""
        return self._p_z(_units("x", x, self.num_visible, self))

    def _p_z(self, x):
        return torch.sigmoid(x @ self.W + self.c)

    def p_x_given_z(self, z: torch.Tensor) -> torch.Tensor:
        r""":math:`p(x_i = 1 \mid z) = \sigma(b_i + (W z)_i)`."""
        return self._p_x(_units("z", z, self.num_hidden, self))

    def _p_x(self, z):
        return torch.sigmoid(z @ self.W.T + self.b)

    def gibbs_step(self, x: torch.Tensor, generator: torch.Generator | None = None):
        r"""One block Gibbs sweep :math:`z \sim p(z\mid x)`, :math:`x' \sim p(x\mid z)`.

        Returns ``(x_new, z, px)`` where ``px`` = :math:`p(x'=1\mid z)` (the mean image, for display).
        """
        x = _units("x", x, self.num_visible, self)
        check_generator(generator)
        return self._gibbs(x, generator)

    def _gibbs(self, x, generator):
        z = bernoulli(self._p_z(x), generator=generator)
        px = self._p_x(z)
        return bernoulli(px, generator=generator), z, px

    @torch.no_grad()
    def sample(self, num_samples: int = 16, *, num_sweeps: int = 1000, x0: torch.Tensor | None = None,
               generator: torch.Generator | None = None, keep_chain: bool = False,
               progress: bool | None = None):
        """``num_sweeps`` block Gibbs sweeps from ``x0`` (binary, (N, D); default: uniform noise).

        Returns the mean images :math:`p(x=1\\mid z)` of the last sweep, shape (N, D), or with
        ``keep_chain`` a :class:`GibbsChain` holding every sweep. A bar shows the sweeps; Ctrl-C
        stops the chain (re-raised), and over 10^7 sweeps warns.
        """
        num_sweeps = check_num_steps("num_sweeps", num_sweeps)
        check_generator(generator)
        keep_chain = check_bool("keep_chain", keep_chain)
        chain = sweeps(num_sweeps, desc="RBM Gibbs", progress=progress)
        x = _start_state(self.W, x0, num_samples, self.num_visible, generator)
        _check_chain_memory(num_sweeps, x.shape[0], self.num_visible, keep_chain)
        frames = [x]
        for _ in chain:
            x, _, px = self._gibbs(x, generator)
            if keep_chain:
                frames.append(px)
        return GibbsChain(torch.stack(frames)) if keep_chain else px

    def init_visible_bias(self, x: torch.Tensor, *, eps: float = 1e-3) -> RBM:
        r"""Set :math:`b_i = \log\frac{\bar x_i}{1-\bar x_i}` from the data marginals (Hinton's guide)."""
        x = _units("x", check_binary("x", x).to(self.W.device, self.W.dtype), self.num_visible, self)
        eps = check_float("eps", eps, low=0.0, high=0.5, open_low=True, open_high=True)
        mean = x.mean(0).clamp(eps, 1 - eps)
        with torch.no_grad():
            self.b.copy_(torch.log(mean) - torch.log1p(-mean))
        return self


@dataclass
class GibbsChain:
    """Frames of Gibbs chains, shape (num_sweeps + 1, num_chains, D): frame 0 is the start."""

    frames: torch.Tensor

    def __post_init__(self):
        check_tensor("frames", self.frames, ndim=3, low=0.0, high=1.0,
                     hint="frames hold binary states or probabilities in [0, 1]")

    @property
    def num_sweeps(self) -> int:
        return self.frames.shape[0] - 1

