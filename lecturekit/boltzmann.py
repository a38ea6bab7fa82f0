r"""Boltzmann machines: the binary RBM (CD-k and persistent CD), a deep belief net, a two-layer DBM.

An RBM is an exponential family over binary visibles :math:`x \in \{0,1\}^D` and hiddens
:math:`z \in \{0,1\}^H`:

.. math::
    p(x, z) = \exp\big(x^\top W z + b^\top x + c^\top z - A(\theta)\big) = e^{-E(x,z)}/Z(\theta),
    \qquad E(x, z) = -x^\top W z - b^\top x - c^\top z,

with the partition function :math:`Z = \sum_{x,z} e^{-E(x,z)}` and the log-partition function
:math:`A = \log Z` (the :math:`A` of notebook 02). The hiddens sum out in closed form,
:math:`p(x) = e^{-F(x)}/Z` with the free energy
:math:`F(x) = -b^\top x - \sum_j \mathrm{softplus}(c_j + x^\top W_{:j})`. The log-likelihood
gradient is :math:`-\nabla F(x_{\text{data}}) + \mathbb{E}_{p}[\nabla F(x)]`; the second term needs
samples from the model, which CD-k takes from k Gibbs sweeps started at the data and PCD from
chains that persist across updates. :math:`\log Z` lives in :mod:`lecturekit.ais` (exact
enumeration and annealed importance sampling).

Every sampler takes ``generator=None`` and draws through :func:`lecturekit.utils.bernoulli`, so a
CPU generator also drives chains on a GPU; chain lengths are ``num_sweeps`` (one sweep updates
every layer once) and show a progress bar.

References:
    Hinton (2002). Training products of experts by minimizing contrastive divergence.
    Tieleman (2008). Training restricted Boltzmann machines using approximations to the
    likelihood gradient.
    Hinton, Osindero & Teh (2006). A fast learning algorithm for deep belief nets.
    Salakhutdinov & Hinton (2009). Deep Boltzmann machines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .train import Batches, History, check_num_steps, fit, progress_disabled
from .utils import (bernoulli, check_bool, check_choice, check_float, check_generator, check_positive_float,
                    check_positive_int, check_tensor, randint)

__all__ = ["RBM", "DBN", "DBM", "GibbsChain", "check_binary", "cd_loss", "fit_rbm", "fit_dbn", "fit_dbm",
           "build", "sweeps"]


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


def cd_loss(model_free_energy, x: torch.Tensor, x_neg: torch.Tensor) -> torch.Tensor:
    r"""The surrogate :math:`\overline{F(x)} - \overline{F(\tilde x)}` whose gradient is minus the
    CD estimate of :math:`\nabla \log p(x)`; :math:`\tilde x` is treated as a constant."""
    if not callable(model_free_energy):
        raise TypeError(f"model_free_energy must be a function such as rbm.free_energy, got "
                        f"{type(model_free_energy).__name__}")
    for name, t in (("x", x), ("x_neg", x_neg)):
        check_tensor(name, t, ndim=2, low=0.0, high=1.0, hint="units hold binary states or probabilities in [0, 1]")
    if x.shape[1] != x_neg.shape[1]:
        raise ValueError(f"x_neg must have the columns of x ({x.shape[1]}), got {x_neg.shape[1]}")
    f_pos, f_neg = model_free_energy(x), model_free_energy(x_neg.detach())
    for name, f, t in (("x", f_pos, x), ("x_neg", f_neg, x_neg)):
        if not isinstance(f, torch.Tensor) or f.shape != t.shape[:1]:
            raise TypeError(f"model_free_energy must return one free energy per row of {name}, got "
                            f"{tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__}")
    return f_pos.mean() - f_neg.mean()


def fit_rbm(rbm: RBM, x: torch.Tensor, *, method: str = "cd", k: int = 1, num_epochs: int = 10,
            batch_size: int = 100, lr: float = 0.05, momentum: float = 0.5, weight_decay: float = 1e-4,
            num_chains: int | None = None, init_bias: bool = True, lr_decay: bool = True,
            generator: torch.Generator | None = None, progress: bool | None = None) -> History:
    r"""Train an RBM on binary data by CD-k (``method="cd"``) or persistent CD (``method="pcd"``).

    Each update follows :math:`-\nabla_\theta[\overline{F(x)} - \overline{F(\tilde x)}]`, where
    :math:`\tilde x` comes from k Gibbs sweeps started at the batch (CD-k, Hinton 2002) or at the
    chains left by the previous update (PCD, Tieleman 2008).

    Args:
        rbm: the model, trained in place.
        x: binary data (N, D) or images (N, 1, H, W).
        method: ``"cd"`` or ``"pcd"``.
        k: Gibbs sweeps per update.
        num_epochs, batch_size, lr, momentum, weight_decay: SGD settings.
        lr_decay: decay the learning rate linearly to zero over training (as Tieleman 2008 did;
            it lets the persistent chains settle near the end).
        num_chains: persistent chains for PCD (default: ``batch_size``).
        init_bias: set the visible biases from the data marginals first.
        generator: a seeded generator for the shuffling and the Gibbs sampling.

    Returns:
        A :class:`~lecturekit.train.History` with the surrogate loss of every update.
    """
    _check_model("rbm", rbm, RBM)
    x = check_binary("x", x).to(rbm.W.device, rbm.W.dtype)
    check_choice("method", method, ("cd", "pcd"))
    k = check_positive_int("k", k)
    num_epochs = check_num_steps("num_epochs", num_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    lr, momentum, weight_decay = _check_sgd(lr, momentum, weight_decay)
    if num_chains is not None:
        check_positive_int("num_chains", num_chains)
    init_bias, lr_decay = check_bool("init_bias", init_bias), check_bool("lr_decay", lr_decay)
    progress_disabled(progress)
    check_generator(generator)
    if x.shape[1] != rbm.num_visible:
        raise ValueError(f"x must have {rbm.num_visible} columns (num_visible), got {x.shape[1]}")
    if init_bias:
        rbm.init_visible_bias(x)
    chains = None
    if method == "pcd":
        n = check_positive_int("num_chains", num_chains or batch_size)
        chains = x[randint(x.shape[0], n, generator=generator, device=x.device)].clone()

    def loss_fn(batch):
        nonlocal chains
        with torch.no_grad():
            x_neg = batch if chains is None else chains
            for _ in range(k):
                x_neg, _, _ = rbm._gibbs(x_neg, generator)
            if chains is not None:
                chains = x_neg
        return rbm._free_energy(batch).mean() - rbm._free_energy(x_neg).mean()  # cd_loss, checks done

    batches = Batches(x, batch_size=batch_size, generator=generator)
    opt = torch.optim.SGD(rbm.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    num_steps = num_epochs * len(batches)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / num_steps) if lr_decay else None
    return fit(loss_fn, opt, batches, num_steps, model=rbm, scheduler=scheduler, desc=f"{method}-{k}",
               progress=progress)


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


def fit_dbn(dbn: DBN, x: torch.Tensor, *, num_epochs: int = 5, top_epochs: int | None = None,
            generator: torch.Generator | None = None, **kwargs) -> History:
    """Greedy layer-wise training: an RBM on x, then an RBM on samples of p(z1 | x).

    ``kwargs`` go to :func:`fit_rbm` for both layers (method, k, lr, ...); the top RBM trains for
    ``top_epochs`` (default ``num_epochs``): on 100 binary features its epochs are cheap. Returns a
    :class:`~lecturekit.train.History` with both layers' losses in turn (``series``: ``loss1``, ``loss2``).
    """
    _check_model("dbn", dbn, DBN)
    x = check_binary("x", x).to(dbn.rbm1.W.device, dbn.rbm1.W.dtype)
    check_generator(generator)
    check_num_steps("num_epochs", num_epochs)
    top_epochs = num_epochs if top_epochs is None else check_num_steps("top_epochs", top_epochs)
    allowed = {"method", "k", "batch_size", "lr", "momentum", "weight_decay", "num_chains", "init_bias", "lr_decay",
               "progress"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise TypeError(f"{unknown[0]} is not an option of fit_rbm (options: {', '.join(sorted(allowed))})")
    first = fit_rbm(dbn.rbm1, x, num_epochs=num_epochs, generator=generator, **kwargs)
    with torch.no_grad():
        z1 = bernoulli(dbn.rbm1._p_z(x), generator=generator)
    second = fit_rbm(dbn.rbm2, z1, num_epochs=top_epochs, generator=generator, **kwargs)
    return History(loss=first.loss + second.loss, seconds=first.seconds + second.seconds,
                   series={"loss1": first.loss, "loss2": second.loss})


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


def fit_dbm(dbm: DBM, x: torch.Tensor, *, num_epochs: int = 5, batch_size: int = 100, lr: float = 0.01,
            momentum: float = 0.5, weight_decay: float = 1e-4, num_chains: int = 100, k: int = 1,
            mean_field_sweeps: int = 10, lr_decay: bool = False, generator: torch.Generator | None = None,
            progress: bool | None = None) -> History:
    r"""Stochastic approximation of Salakhutdinov & Hinton (2009): mean field for the data term,
    persistent Gibbs chains for the model term.

    The surrogate loss is :math:`\overline{E(x, \mu_1, \mu_2)} - \overline{E(\tilde x, \tilde z_1, \tilde z_2)}`;
    since E is linear in each parameter, its gradient is the difference of the two expected statistics.
    The ``num_chains`` persistent chains start at random training digits and take ``k`` sweeps per update.
    """
    _check_model("dbm", dbm, DBM)
    x = check_binary("x", x).to(dbm.b.device, dbm.b.dtype)
    if x.shape[1] != dbm.num_visible:
        raise ValueError(f"x must have {dbm.num_visible} columns (num_visible), got {x.shape[1]}")
    num_epochs = check_num_steps("num_epochs", num_epochs)
    k = check_positive_int("k", k)
    mean_field_sweeps = check_positive_int("mean_field_sweeps", mean_field_sweeps)
    n = check_positive_int("num_chains", num_chains)
    lr, momentum, weight_decay = _check_sgd(lr, momentum, weight_decay)
    lr_decay = check_bool("lr_decay", lr_decay)
    progress_disabled(progress)
    check_generator(generator)
    with torch.no_grad():
        start = x[randint(x.shape[0], n, generator=generator, device=x.device)].clone()
        state = {"x": start, "z2": bernoulli(dbm._mean_field(start)[1], generator=generator)}

    def loss_fn(batch):
        with torch.no_grad():
            mu1, mu2 = dbm._mean_field(batch, mean_field_sweeps)
            for _ in range(k):
                state["x"], z1, state["z2"], _ = dbm._gibbs(state["x"], state["z2"], generator)
        return dbm._energy(batch, mu1, mu2).mean() - dbm._energy(state["x"], z1, state["z2"]).mean()

    batches = Batches(x, batch_size=check_positive_int("batch_size", batch_size), generator=generator)
    opt = torch.optim.SGD(dbm.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    num_steps = num_epochs * len(batches)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / num_steps) if lr_decay else None
    return fit(loss_fn, opt, batches, num_steps, model=dbm, scheduler=scheduler, desc="dbm", progress=progress)


def build(*, kind: str = "rbm", num_visible: int = 784, hidden_dims=(100,)) -> nn.Module:
    """An untrained RBM, DBN or DBM from a JSON config, for :func:`lecturekit.checkpoint.cached`."""
    check_choice("kind", kind, ("rbm", "dbn", "dbm"))
    if kind == "rbm":
        (h,) = _hidden_dims(hidden_dims, 1)
        return RBM(num_visible, h)
    return (DBN if kind == "dbn" else DBM)(num_visible, _hidden_dims(hidden_dims, 2))


# Notebook 06's settings and its claims' thresholds, shared with benchmarks/boltzmann.py and the tests.
RBM10_TRAIN = {"method": "cd", "k": 1, "num_epochs": 10, "lr": 0.5}  #: the 784-10 RBM whose log Z is enumerated
RBM_TRAIN = {"num_epochs": 10, "lr": 0.05}  #: the three 784-100 RBMs, with each method of RBM_METHODS
RBM_METHODS = {"CD-1": {"method": "cd", "k": 1}, "CD-10": {"method": "cd", "k": 10}, "PCD": {"method": "pcd", "k": 1}}
DEEP_HIDDEN = [100, 50]  #: the DBN's and the DBM's hidden layers
DBN_TRAIN = {"method": "pcd", "num_epochs": 10, "top_epochs": 30}
DBM_TRAIN = {"num_epochs": 20, "lr": 0.05, "k": 5, "num_chains": 200, "lr_decay": True}  #: from the DBN's weights
SAMPLE_SWEEPS = 1000  #: Gibbs sweeps behind every sample figure
MIN_TEST_LOGLIK = {"CD-1": -162.0, "CD-10": -153.0, "PCD": -156.0}  #: nats on the test digits (base rate: -207)
MIN_PCD_GAIN = 1.0  #: nats by which PCD beats CD-1 at equal epochs
MIN_CLASSES = 8  #: digit classes (≥ 2% each) among 100 DBN or DBM samples, by lecturekit.judge
