"""Shared test set-up: seeded, forked RNG per test, float64 where identities are checked, a
``--device`` option for one CUDA run, and a private model cache."""

from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("TQDM_DISABLE", "1")
# The tests' models are tiny: one thread is faster than two and immune to oversubscription.
torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", help="device for the model tests (cpu or cuda)")


@pytest.fixture
def device(request) -> torch.device:
    name = request.config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("--device cuda given but CUDA is not available")
    return torch.device(name)


@pytest.fixture(autouse=True)
def _seeded_rng():
    """Every test starts from seed 0 and leaves the global RNG as it found it."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(0)
        yield


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A private, empty model cache."""
    path = tmp_path / "cache"
    monkeypatch.setenv("LECTUREKIT_CACHE", str(path))
    return path


def _idx_bytes(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


@pytest.fixture
def idx_bytes():
    """Encode a uint8 array in the IDX format of MNIST's files."""
    return _idx_bytes


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Small IDX files in MNIST's layout, with their checksums patched in."""
    from lecturekit import data

    rng = np.random.default_rng(0)
    src = tmp_path / "mirror"
    src.mkdir()
    files = {}
    for split, n in (("train", 12), ("test", 5)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        entries = []
        for (name, _), arr in zip(data.MNIST_FILES[split], (images, labels)):
            blob = gzip.compress(_idx_bytes(arr))
            (src / name).write_bytes(blob)
            entries.append((name, hashlib.sha256(blob).hexdigest()))
        files[split] = (tuple(entries), images, labels)
    monkeypatch.setattr(data, "MNIST_FILES", {k: v[0] for k, v in files.items()})
    monkeypatch.setattr(data, "MNIST_URL", src.as_uri() + "/")
    return src, files
