r"""Deep Boltzmann models: the deep belief net (a directed layer under an RBM) and the two-layer DBM.

References:
    Hinton, Osindero & Teh (2006). A fast learning algorithm for deep belief nets.
    Salakhutdinov & Hinton (2009). Deep Boltzmann machines.
"""

from __future__ import annotations

import torch
from torch import nn

from ..train import check_num_steps, progress_disabled
from ..utils import bernoulli, check_bool, check_generator, check_positive_float, check_positive_int
from .rbm import RBM, GibbsChain, _check_chain_memory, _check_model, _same_rows, _start_state, _units, sweeps

__all__ = ["DBN", "DBM"]


def _hidden_dims(hidden_dims, count: int) -> tuple[int, ...]:
    if isinstance(hidden_dims, (str, bytes)) or not isinstance(hidden_dims, (list, tuple)):
        raise TypeError(f"hidden_dims must be a list of {count} layer size(s), got {hidden_dims!r}")
    if len(hidden_dims) != count:
        raise ValueError(f"hidden_dims must hold {count} size{'s' if count > 1 else ''}, got {list(hidden_dims)!r}")
    return tuple(check_positive_int(f"hidden_dims[{i}]", h) for i, h in enumerate(hidden_dims))


class DBN(nn.Module):
    """A deep belief net of two RBMs: a directed sigmoid layer p(x | z1) under an RBM p(z1, z2).

    References:
        Hinton, Osindero & Teh (2006). A fast learning algorithm for deep belief nets.
    """

    def __init__(self, num_visible: int = 784, hidden_dims: tuple[int, int] = (100, 50)):
        super().__init__()
        h1, h2 = _hidden_dims(hidden_dims, 2)
        self.rbm1 = RBM(num_visible, h1)
        self.rbm2 = RBM(h1, h2)

    @torch.no_grad()
    def sample(self, num_samples: int = 16, *, num_sweeps: int = 1000, x0: torch.Tensor | None = None,
               generator: torch.Generator | None = None, keep_chain: bool = False, progress: bool | None = None):
        r"""Ancestral sampling: Gibbs in the top RBM gives :math:`z_1`, then :math:`p(x\mid z_1)`.

        The top chain starts from uniform noise, or with ``x0`` (binary images) from
        :math:`z_1 \sim p(z_1\mid x_0)`, the hidden states of those images. Returns mean images
        (N, D), or with ``keep_chain`` a :class:`GibbsChain` of the images
        :math:`p(x=1\mid z_1^{(t)})` below every sweep of the top chain.
        """
        num_sweeps = check_num_steps("num_sweeps", num_sweeps)
        check_generator(generator)
        keep_chain = check_bool("keep_chain", keep_chain)
        progress_disabled(progress)
        z0 = None
        if x0 is not None:
            x0 = _start_state(self.rbm1.W, x0, num_samples, self.rbm1.num_visible, generator)
            z0 = bernoulli(self.rbm1._p_z(x0), generator=generator)
        else:
            check_positive_int("num_samples", num_samples)
        _check_chain_memory(num_sweeps, num_samples if x0 is None else x0.shape[0], self.rbm1.num_visible, keep_chain)
        top = self.rbm2.sample(num_samples, num_sweeps=num_sweeps, x0=z0, generator=generator,
                               keep_chain=True, progress=progress)
        frames = top.frames.clone()
        frames[1:] = bernoulli(frames[1:], generator=generator)  # z1 as binary states, as the chain holds them
        images = self.rbm1._p_x(frames if keep_chain else frames[-1])
        return GibbsChain(images) if keep_chain else images


class DBM(nn.Module):
    r"""A two-layer deep Boltzmann machine,
    :math:`E(x, z_1, z_2) = -x^\top W_1 z_1 - z_1^\top W_2 z_2 - b^\top x - c_1^\top z_1 - c_2^\top z_2`.

    Unlike the DBN every layer is undirected, so :math:`z_1` listens to both x and :math:`z_2`,
    and the posterior :math:`p(z_1, z_2\mid x)` is approximated by mean field.

    References:
        Salakhutdinov & Hinton (2009). Deep Boltzmann machines.
    """

    def __init__(self, num_visible: int = 784, hidden_dims: tuple[int, int] = (100, 50), *, init_std: float = 0.01):
        super().__init__()
        h1, h2 = _hidden_dims(hidden_dims, 2)
        self.num_visible = check_positive_int("num_visible", num_visible)
        init_std = check_positive_float("init_std", init_std)
        self.W1 = nn.Parameter(init_std * torch.randn(num_visible, h1))
        self.W2 = nn.Parameter(init_std * torch.randn(h1, h2))
        self.b = nn.Parameter(torch.zeros(num_visible))
        self.c1 = nn.Parameter(torch.zeros(h1))
        self.c2 = nn.Parameter(torch.zeros(h2))

    def _x(self, x):
        return _units("x", x, self.num_visible, self)

    def _z1(self, z1):
        return _units("z1", z1, self.c1.numel(), self)

    def _z2(self, z2):
        return _units("z2", z2, self.c2.numel(), self)

    def energy(self, x, z1, z2) -> torch.Tensor:
        r""":math:`E(x, z_1, z_2)`, one value per row (z may be mean-field probabilities)."""
        x, z1, z2 = self._x(x), self._z1(z1), self._z2(z2)
        _same_rows(x=x, z1=z1, z2=z2)
        return self._energy(x, z1, z2)

    def _energy(self, x, z1, z2):
        return (-((x @ self.W1) * z1).sum(-1) - ((z1 @ self.W2) * z2).sum(-1)
                - x @ self.b - z1 @ self.c1 - z2 @ self.c2)

    def p_z1(self, x, z2) -> torch.Tensor:
        r""":math:`p(z_{1j}=1\mid x, z_2) = \sigma(c_{1j} + (xW_1)_j + (W_2 z_2)_j)`."""
        x, z2 = self._x(x), self._z2(z2)
        _same_rows(x=x, z2=z2)
        return self._p_z1(x, z2)

    def _p_z1(self, x, z2):
        return torch.sigmoid(x @ self.W1 + z2 @ self.W2.T + self.c1)

    def p_x(self, z1) -> torch.Tensor:
        r""":math:`p(x_i=1\mid z_1) = \sigma(b_i + (W_1 z_1)_i)`."""
        return self._p_x(self._z1(z1))

    def _p_x(self, z1):
        return torch.sigmoid(z1 @ self.W1.T + self.b)

    def p_z2(self, z1) -> torch.Tensor:
        r""":math:`p(z_{2k}=1\mid z_1) = \sigma(c_{2k} + (z_1 W_2)_k)`."""
        return self._p_z2(self._z1(z1))

    def _p_z2(self, z1):
        return torch.sigmoid(z1 @ self.W2 + self.c2)

    def mean_field(self, x: torch.Tensor, *, num_sweeps: int = 10):
        r"""Fixed point of :math:`\mu_1 = \sigma(c_1 + xW_1 + W_2\mu_2)`, :math:`\mu_2 = \sigma(c_2 + \mu_1 W_2)`:
        the factorized :math:`q(z_1)q(z_2)` closest to :math:`p(z_1,z_2\mid x)` in KL(q‖p).
        ``num_sweeps`` updates of both layers."""
        return self._mean_field(self._x(x), check_num_steps("num_sweeps", num_sweeps))

    def _mean_field(self, x, num_sweeps: int = 10):
        # start from a bottom-up pass with doubled input, as if z2 already agreed with z1
        mu1 = torch.sigmoid(2 * (x @ self.W1) + self.c1)
        mu2 = self._p_z2(mu1)
        for _ in range(num_sweeps):
            mu1 = self._p_z1(x, mu2)
            mu2 = self._p_z2(mu1)
        return mu1, mu2

    def gibbs_step(self, x, z2, generator: torch.Generator | None = None):
        """One sweep of the two-block Gibbs sampler: z1 | (x, z2), then (x, z2) | z1.

        Returns ``(x, z1, z2, px)`` with ``px`` the mean image p(x=1 | z1).
        """
        x, z2 = self._x(x), self._z2(z2)
        _same_rows(x=x, z2=z2)
        check_generator(generator)
        return self._gibbs(x, z2, generator)

    def _gibbs(self, x, z2, generator):
        z1 = bernoulli(self._p_z1(x, z2), generator=generator)
        px = self._p_x(z1)
        return bernoulli(px, generator=generator), z1, bernoulli(self._p_z2(z1), generator=generator), px

    @torch.no_grad()
    def sample(self, num_samples: int = 16, *, num_sweeps: int = 1000, x0: torch.Tensor | None = None,
               generator: torch.Generator | None = None, keep_chain: bool = False, progress: bool | None = None):
        r"""Gibbs sampling from uniform noise, or from binary images ``x0`` with :math:`z_2` drawn
        from their mean-field posterior; mean images (N, D) or a :class:`GibbsChain` of them."""
        num_sweeps = check_num_steps("num_sweeps", num_sweeps)
        check_generator(generator)
        keep_chain = check_bool("keep_chain", keep_chain)
        chain = sweeps(num_sweeps, desc="DBM Gibbs", progress=progress)
        x = _start_state(self.b, x0, num_samples, self.num_visible, generator)
        _check_chain_memory(num_sweeps, x.shape[0], self.num_visible, keep_chain)
        p2 = self._mean_field(x)[1] if x0 is not None else torch.full((len(x), len(self.c2)), 0.5).to(self.b)
        z2 = bernoulli(p2, generator=generator)
        frames = [x]
        for _ in chain:
            x, _, z2, px = self._gibbs(x, z2, generator)
            if keep_chain:
                frames.append(px)
        return GibbsChain(torch.stack(frames)) if keep_chain else px

    @torch.no_grad()
    def init_from_dbn(self, dbn: DBN) -> DBM:
        """Start from a greedily trained DBN's weights (a cheap stand-in for the paper's pretraining)."""
        _check_model("dbn", dbn, DBN)
        if dbn.rbm1.W.shape != self.W1.shape or dbn.rbm2.W.shape != self.W2.shape:
            raise ValueError(f"dbn must have this DBM's layer sizes: W1 {tuple(self.W1.shape)} and W2 "
                             f"{tuple(self.W2.shape)}, got {tuple(dbn.rbm1.W.shape)} and {tuple(dbn.rbm2.W.shape)}")
        self.W1.copy_(dbn.rbm1.W)
        self.W2.copy_(dbn.rbm2.W)
        self.b.copy_(dbn.rbm1.b)
        self.c1.copy_(dbn.rbm1.c)
        self.c2.copy_(dbn.rbm2.c)
        return self


