"""The two games of notebook 09: a 1-D replay of Fig. 1 of Goodfellow et al. (2014), and mode
coverage on the ring of eight Gaussians (the 2-D benchmark of VEEGAN and PacGAN).

- :class:`GAN1D`, :func:`fit_1d`, :func:`cached_1d`: an affine generator against an MLP
  discriminator on the line, with p_g, D and D* recorded on a grid while they play.
- :func:`mode_coverage`, :func:`fit_ring`, :func:`cached_ring`: the ring. The data are an equal
  mixture of eight Gaussians N(c_i, std² I) with centres c_i on a circle of radius 2
  (:func:`lecturekit.data.ring_of_gaussians`). A sample is *high quality* when it lies within three
  standard deviations of its nearest centre; a mode is *captured* when it holds at least a fifth of
  its fair share of high-quality samples (Srivastava et al., 2017).

The thresholds that notebook 09 checks are constants here (and in :mod:`lecturekit.gan`), shared
with the tests that show an untrained model failing them.

References:
    Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
    Srivastava et al. (2017). VEEGAN: reducing mode collapse in GANs using implicit variational
    learning. NeurIPS (the 2-D ring and its high-quality criterion).
    Lin et al. (2018). PacGAN: the power of two samples in generative adversarial networks. NeurIPS.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from .data import mode_centres, ring_of_gaussians
from .gan import (GAN, LOSSES, AffineGenerator, MLPDiscriminator, _check_real, _one_thread, fit_gan, gaussian_density, jsd,
                  optimal_discriminator)
from .train import History, check_num_steps
from .utils import (check_bool, check_choice, check_device, check_generator, check_nonnegative_int,
                    check_positive_float, check_positive_int, check_probability, check_tensor, model_dtype, randn)

__all__ = ["JSD_END_MAX", "MU_TOL", "GAN1D", "fit_1d", "cached_1d",
           "RING", "MODES_MIN", "HQ_MIN", "NUM_STD", "COLLAPSED_MODES_MAX", "D_ONE_MODE", "D_ONE_MODE_TOL", "mode_coverage", "fit_ring", "cached_ring",
           "cached_rings"]

#: The 1-D replay ends with JSD(p_data || p_g) at most this (nats) and the mean of p_g within MU_TOL.
JSD_END_MAX = 0.01
MU_TOL = 0.1
#: p_data of the 1-D replay (its identity in the model cache).
DATA_1D = {"name": "normal", "mu": 1.5, "sigma": 0.5}
#: fit_1d keywords that cached_1d sets itself (the data, and the generator seeded from train["seed"]).
FORBIDDEN_1D = ("data_mu", "data_sigma", "grid", "generator")


# --------------------------------------------------------------------------- the 1-D game of Fig. 1


class GAN1D(nn.Module):
    """The players of the 1-D game of Fig. 1: ``g_net`` an :class:`AffineGenerator` started at
    N(g_mu, g_scale²), ``d_net`` an MLP discriminator on the line."""

    def __init__(self, *, g_mu: float = -1.5, g_scale: float = 0.5, hidden_dim: int = 32, num_layers: int = 2):
        super().__init__()
        g_mu, g_scale = _check_real("g_mu", g_mu), check_positive_float("g_scale", g_scale)
        self.g_net = AffineGenerator(mu=g_mu, scale=g_scale)
        self.d_net = MLPDiscriminator(data_dim=1, hidden_dim=hidden_dim, num_layers=num_layers)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.g_net.sample(n, generator=generator)


def fit_1d(model: GAN1D, *, num_steps: int = 400, k: int = 1, loss: str = "nonsaturating", lr: float = 2e-2,
           d_lr: float = 2e-2, batch_size: int = 256, data_mu: float = 1.5, data_sigma: float = 0.5,
           snapshot_every: int = 10, grid: torch.Tensor | None = None, generator: torch.Generator | None = None,
           progress: bool | None = None) -> History:
    """Train a :class:`GAN1D` on p_data = N(data_mu, data_sigma²) with :func:`fit_gan` (one CPU thread) and record p_g,
    D and D* on a grid every ``snapshot_every`` steps (the frames of Goodfellow et al., 2014, Fig. 1).

    Returns:
        The :class:`~lecturekit.train.History`; ``info["frames"]`` is a JSON-able dict: ``x``,
        ``p_data``, and per snapshot ``step``, ``p_g``, ``d``, ``d_star``, ``jsd``, ``mu``, ``scale``.
    """
    if not isinstance(model, GAN1D):
        raise TypeError(f"model must be a lecturekit.gan_toys.GAN1D, got {type(model).__name__}")
    data_mu = _check_real("data_mu", data_mu)
    data_sigma = check_positive_float("data_sigma", data_sigma)
    snapshot_every = check_positive_int("snapshot_every", snapshot_every)
    g_net, d_net = model.g_net, model.d_net
    dtype = model_dtype(model)
    device = g_net.mu.device
    if grid is not None:
        check_tensor("grid", grid, ndim=1)
        if not grid.is_floating_point():
            raise TypeError(f"grid must be a floating-point tensor, got dtype {grid.dtype}")
        if grid.numel() < 2 or not bool((grid[1:] > grid[:-1]).all()):
            raise ValueError(f"grid must be an increasing 1-D grid of at least two points, got {grid.numel()} points "
                             "that are not increasing")
    x = torch.linspace(-4, 4, 161, dtype=dtype) if grid is None else grid
    x = x.to(device, dtype)
    p_data = gaussian_density(x, data_mu, data_sigma)

    def sample_data(n):
        return data_mu + data_sigma * randn((n, 1), generator=generator, device=device, dtype=dtype)

    def snap():
        p_g = g_net.density(x)
        return {"p_g": _rounded(p_g, 1e5), "d": _rounded(torch.sigmoid(d_net(x[:, None])), 1e5),
                "d_star": _rounded(optimal_discriminator(p_data, p_g), 1e5), "jsd": float(jsd(p_data, p_g, x)),
                "mu": float(g_net.mu), "scale": float(g_net.log_scale.exp())}

    with _one_thread():
        history = fit_gan(g_net, d_net, sample_data, num_steps=num_steps, k=k, loss=loss, lr=lr, d_lr=d_lr,
                          batch_size=batch_size, snapshot_every=snapshot_every, snapshot=snap, generator=generator,
                          desc=f"1-D GAN (k={k}, {loss})", progress=progress)
    snaps = history.info.pop("snapshots")
    history.info["frames"] = {"x": _rounded(x, 1e5), "p_data": _rounded(p_data, 1e5), "step": [s for s, _ in snaps],
                              **{key: [f[key] for _, f in snaps]
                                 for key in ("p_g", "d", "d_star", "jsd", "mu", "scale")}}
    return history


def cached_1d(name: str, *, model: dict | None = None, train: dict | None = None) -> tuple[GAN1D, History]:
    """:func:`fit_1d` on ``GAN1D(**model)`` with ``train`` (its keywords plus ``seed``) and p_data
    :data:`DATA_1D`, trained once and kept in the model cache (:func:`lecturekit.checkpoint.cached`)."""
    from .checkpoint import cached

    from .checkpoint import _check_name

    _check_name("name", name)
    model = _check_model(model, GAN1D)
    train = _check_train(train, forbidden=FORBIDDEN_1D, fit=fit_1d)
    return cached(name, build=GAN1D, model=model or {}, fit=_fit_1d_data, train=train, data=DATA_1D)


def _fit_1d_data(model: GAN1D, **train) -> History:
    return fit_1d(model, data_mu=DATA_1D["mu"], data_sigma=DATA_1D["sigma"], **train)


def _keywords(fn) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values() if p.kind == p.KEYWORD_ONLY]


def _check_keys(name: str, cfg, allowed: list[str], what: str) -> dict:
    """``cfg`` (``None`` or a dict with string keys drawn from ``allowed``) as a dict; raise naming
    ``name`` and the unknown key (the check runs before the model cache is looked at)."""
    if cfg is None:
        return {}
    if not isinstance(cfg, dict):
        raise TypeError(f"{name} must be a dict of {what}, got {type(cfg).__name__}")
    for key in cfg:
        if not isinstance(key, str):
            raise TypeError(f"{name} must have string keys (keyword names), got the key {key!r}")
    unknown = [key for key in cfg if key not in allowed]
    if unknown:
        raise TypeError(f"{name} has an unknown key {unknown[0]!r} ({what}: {', '.join(allowed)})")
    return dict(cfg)


def _check_model(model, build) -> dict:
    """``model`` for ``build`` (GAN1D or GAN): known keys and valid values, checked before the cache is looked at."""
    model = _check_keys("model", model, _keywords(build), f"keywords of {build.__name__}")
    for key, v in model.items():
        if key == "g_mu":
            _check_real(key, v)
        elif key == "g_scale":
            check_positive_float(key, v)
        else:  # every other keyword of GAN1D and GAN is a size
            check_positive_int(key, v)
    return model


def _check_train(train, forbidden, fit=None) -> dict:
    if train is not None and not isinstance(train, dict):
        raise TypeError(f"train must be a dict of training keywords, got {type(train).__name__}")
    for key in train or {}:
        if not isinstance(key, str):
            raise TypeError(f"train must have string keys (keyword names), got the key {key!r}")
    bad = sorted(set(train or {}) & set(forbidden))
    if bad:
        raise ValueError(f"train must not set {', '.join(bad)}: the data are fixed and the generator is "
                         "seeded from train['seed']")
    if fit is not None:
        _check_keys("train", train, [k for k in _keywords(fit) if k not in forbidden] + ["seed"],
                    f"keywords of {fit.__name__} and seed")
    train = {"seed": 0, **(train or {})}
    for key, value in train.items():  # the values too, before the cache is looked at (an absurd count warns now)
        if key in _TRAIN_CHECKS and not (value is None and key == "d_lr"):
            _TRAIN_CHECKS[key](key, value)
    return train


#: The checks of fit_1d's and fit_ring's keywords that cached_1d and cached_ring run before the cache lookup
#: (fit_gan checks them again, with the rest, before its first step).
_TRAIN_CHECKS = {
    "seed": check_nonnegative_int, "num_steps": check_num_steps, "k": check_positive_int,
    "loss": lambda name, v: check_choice(name, v, LOSSES), "lr": check_positive_float, "d_lr": check_positive_float,
    "batch_size": check_positive_int, "num_eval": check_positive_int, "snapshot_every": check_nonnegative_int,
    "decay_from": lambda name, v: check_probability(name, v, open_interval=False),
    "r1": lambda name, v: check_positive_float(name, v, allow_zero=True),
    "progress": lambda name, v: check_bool(name, v, allow_none=True),
}


# --------------------------------------------------------------------------- the ring of eight Gaussians


#: The data of the ring benchmark (its identity in the model cache).
RING = {"name": "ring", "num_modes": 8, "radius": 2.0, "std": 0.02}
#: A trained ring GAN captures every mode ...
MODES_MIN = 8
#: ... with at least this share of high-quality samples (within NUM_STD standard deviations of a centre).
HQ_MIN = 0.90
NUM_STD = 3.0
#: The k = 5 minimax run of notebook 09 collapses: it captures at most this many modes ...
COLLAPSED_MODES_MAX = 2
#: ... and its discriminator is near D* for a generator that holds all its mass on one of the eight
#: modes: D* = (1/8) / (1/8 + 1) = 1/9 there, so mean D(G(z)) lies within D_ONE_MODE_TOL of 1/9
#: (a generator that matches the data, or an untrained pair, gives about 1/2). The minimax
#: generator's gradient in the logit is then -D(G(z)) ≈ -1/9, the non-saturating one's -(1 - D) ≈ -8/9.
D_ONE_MODE = 1 / 9
D_ONE_MODE_TOL = 0.05


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, *, std: float = 0.02, num_std: float = NUM_STD,
                  min_share: float = 0.2) -> dict:
    """Modes captured and the share of high-quality samples on a mixture with equal weights.

    A sample is high quality when it lies within ``num_std`` standard deviations of its nearest
    centre; a mode is captured when it holds at least ``min_share`` of its fair share
    (n / num_modes) of high-quality samples (Srivastava et al., 2017).

    Returns:
        ``{"modes_captured", "hq_fraction", "counts"}`` (counts: high-quality samples per mode).
    """
    centres = check_tensor("centres", centres, ndim=2)
    samples = check_tensor("samples", samples, shape=(None, centres.shape[1]))
    check_positive_float("std", std)
    check_positive_float("num_std", num_std)
    check_probability("min_share", min_share, open_interval=False)
    dist = torch.cdist(samples.float(), centres.float().to(samples.device))
    nearest, which = dist.min(dim=1)
    hq = nearest <= num_std * std
    counts = torch.bincount(which[hq], minlength=centres.shape[0])
    fair = samples.shape[0] / centres.shape[0]
    return {"modes_captured": int((counts >= min_share * fair).sum()), "hq_fraction": float(hq.float().mean()),
            "counts": counts.tolist()}


def fit_ring(model: GAN, *, num_steps: int = 8000, k: int = 1, loss: str = "nonsaturating", lr: float = 1e-3,
             d_lr: float | None = None, batch_size: int = 256, decay_from: float = 0.5, r1: float = 0.0, std: float = 0.02,
             snapshot_every: int = 0, num_eval: int = 2500, generator: torch.Generator | None = None,
             progress: bool | None = None) -> History:
    """Train ``model`` on the ring of eight Gaussians (radius 2, ``std``) and score it with :func:`mode_coverage`.

    The defaults, with :class:`~lecturekit.gan.GAN`'s (a 2-D latent, three hidden layers of 128 units,
    a discriminator that judges pairs), are the recipe of notebook 09 and ``benchmarks/gan.py``: Adam
    (lr 1e-3, betas 0.5, 0.999) on both players, batch 256, 8,000 generator steps, the learning rate
    decayed linearly to zero over the second half, which pulls the samples into the narrow modes. It
    captured 8 of 8 modes with 93-98% high-quality samples on each of seeds 0 to 9 in our runs; with
    batch 512 it lost four modes on seed 2 of 5. A GAN's trajectory is chaotic (another CPU rounds
    differently and ends elsewhere), so a recipe is judged over seeds, never on one run.

    Returns:
        The :class:`~lecturekit.train.History` of :func:`~lecturekit.gan.fit_gan`, with in ``info``:
        ``modes_captured``, ``hq_fraction``, ``counts`` (of ``num_eval`` samples drawn after
        training), ``samples`` (those samples, as lists), ``d_fake`` (the mean D(G(z)) on them) and,
        with ``snapshot_every``, ``snapshots``: (step, 500 samples of fixed latent codes).
    """
    if not isinstance(model, GAN):
        raise TypeError(f"model must be a lecturekit.gan.GAN, got {type(model).__name__}")
    if model.g_net.data_dim != 2:
        raise ValueError(f"model must make 2-D samples for the ring, got data_dim={model.g_net.data_dim}")
    pack = model.d_net.pack
    if check_positive_int("batch_size", batch_size) % pack:
        raise ValueError(f"batch_size must be a multiple of the discriminator's pack={pack}, got {batch_size}")
    num_eval = check_positive_int("num_eval", num_eval)
    if num_eval % pack:
        raise ValueError(f"num_eval must be a multiple of the discriminator's pack={pack}, got {num_eval}")
    std = check_positive_float("std", std)
    check_generator(generator)
    device = next(model.parameters()).device

    def sample_data(n):
        return ring_of_gaussians(n, std=std, generator=generator).to(device)

    z_fixed = model.g_net.sample_z(500, generator=generator)
    with _one_thread():
        history = fit_gan(model.g_net, model.d_net, sample_data, num_steps=num_steps, k=k, loss=loss, lr=lr,
                          d_lr=d_lr, batch_size=batch_size, decay_from=decay_from, r1=r1,
                          snapshot_every=snapshot_every, snapshot=lambda: _rounded(model.g_net(z_fixed)),
                          generator=generator, desc=f"ring GAN (k={k}, {loss})", progress=progress)
    with torch.no_grad():
        x = model.sample(num_eval, generator=generator)
        d_fake = float(torch.sigmoid(model.d_net(x)).mean())
    samples = _rounded(x)  # stored with the model, and scored as stored, so a figure of them shows the counts
    history.info.update(mode_coverage(torch.tensor(samples), mode_centres("ring"), std=std), d_fake=d_fake,
                        samples=samples)
    return history


def _rounded(x: torch.Tensor, scale: float = 1e4) -> list:
    """A tensor as JSON-able lists, rounded to 1 / scale (ring samples: 1e-4, a 600th of a mode's 3σ radius)."""
    return (x.detach().cpu().double() * scale).round().div(scale).tolist()


def cached_ring(name: str, *, model: dict | None = None, train: dict | None = None,
                device: torch.device | str | None = None) -> tuple[GAN, History]:
    """:func:`fit_ring` on ``GAN(**model)`` with ``train`` (its keywords plus ``seed``), trained once
    and kept in the model cache (:func:`lecturekit.checkpoint.cached`) with :data:`RING` as the data."""
    from .checkpoint import _check_name, cached

    _check_name("name", name)
    model = _check_model(model, GAN)
    if model.get("data_dim", 2) != 2:
        raise ValueError(f"model must make 2-D samples for the ring, got data_dim={model['data_dim']!r}")
    train = _check_train(train, forbidden=("std", "generator"), fit=fit_ring)
    if device is not None:
        check_device("device", device)
    return cached(name, build=GAN, model=model or {}, fit=_fit_ring_data, train=train, data=RING, device=device)


def _fit_ring_data(model: GAN, **train) -> History:
    return fit_ring(model, std=RING["std"], **train)


def cached_rings(runs: dict, *, workers: int = 2) -> dict:
    """Several :func:`cached_ring` runs at once: ``{name: {"model": {...}, "train": {...}}}`` ->
    ``{name: (GAN, History)}``.

    The runs missing from the model cache train first, in parallel in up to ``workers`` fresh
    processes (a ring run uses one CPU thread, so two runs keep two cores busy), the longest first;
    then every run is loaded from the cache. The models are those that :func:`cached_ring` trains
    one by one: the cache seeds each run from its own configs, not from what ran before. A run that
    a worker could not save (a read-only cache) is trained here instead.
    """
    from .checkpoint import _check_name, cache_key, find

    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict {{name: {{'model': ..., 'train': ...}}}}, got {runs!r}")
    specs = {}
    for name, spec in runs.items():
        _check_name("runs' name", name)
        if not isinstance(spec, dict) or not set(spec) <= {"model", "train"}:
            raise ValueError(f"runs[{name!r}] must be a dict with the keys 'model' and/or 'train', got {spec!r}")
        model = _check_model(spec.get("model"), GAN)
        if model.get("data_dim", 2) != 2:
            raise ValueError(f"runs[{name!r}]['model'] must make 2-D samples for the ring, got "
                             f"data_dim={model['data_dim']!r}")
        specs[name] = (model, _check_train(spec.get("train"), forbidden=("std", "generator"), fit=fit_ring))
    workers = check_positive_int("workers", workers)
    missing = [name for name, (model, train) in specs.items()
               if find(cache_key(name, model=model, train=train, data=RING, code=(GAN, _fit_ring_data))) is None]
    if workers > 1 and len(missing) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        cost = {name: specs[name][1].get("num_steps", 8000) * specs[name][1].get("k", 1) for name in missing}
        with ProcessPoolExecutor(min(workers, len(missing)), mp_context=multiprocessing.get_context("spawn")) as pool:
            for job in [pool.submit(_train_ring, name, *specs[name]) for name in sorted(missing, key=cost.get,
                                                                                        reverse=True)]:
                job.result()
    return {name: cached_ring(name, model=model, train=train) for name, (model, train) in specs.items()}


def _train_ring(name: str, model: dict, train: dict) -> None:  # in a worker process: train and save
    cached_ring(name, model=model, train=train)
