"""Shared test set-up: seeded, forked RNG per test, float64 where identities are checked, a
``--device`` option for one CUDA run, and a private model cache."""

from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest
import torch

from tests.support.idx import idx_bytes as idx_bytes_

os.environ.setdefault("TQDM_DISABLE", "1")
# The tests' models are tiny: one thread is faster than two and immune to oversubscription.
torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", help="device for the model tests (cpu or cuda): it becomes "
                     "torch's default device in every test, so one run covers every model test")
    parser.addoption("--reverse", action="store_true", help="run the collected tests in reverse order "
                     "(proves that no test depends on another having run first)")


def pytest_collection_modifyitems(config, items):
    """Integration tests (servers, browsers) run last, after the notebooks have warmed the model
    cache. ``--reverse`` reverses the order of the test files and notebooks, and of the tests
    inside each test file, so the cache is warmed in reverse order (notebook 10 first); a
    notebook's cells keep their order (they share one kernel) and integration tests stay last."""
    def integration(item):
        return "/integration/" in str(item.path).replace("\\", "/")

    items.sort(key=integration)
    if not config.getoption("--reverse"):
        return
    groups: dict[tuple[bool, str], list] = {}
    for item in items:
        groups.setdefault((integration(item), str(item.path)), []).append(item)
    ordered = []
    keys = list(groups)
    units = [k for k in keys if not k[0]][::-1]
    integrations = [k for k in keys if k[0]][::-1]
    for key in units + integrations:
        group = groups[key]
        ordered.extend(group if key[1].endswith(".ipynb") else group[::-1])
    items[:] = ordered


@pytest.fixture
def device(request) -> torch.device:
    """The device given by ``--device`` (tests that build models explicitly on it ask for this)."""
    return _device(request.config)


def _device(config) -> torch.device:
    name = config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("--device cuda given but CUDA is not available")
    return torch.device(name)


@pytest.fixture(autouse=True)
def _default_device(request):
    """torch's default device is the one given by ``--device`` for the duration of each test."""
    dev = _device(request.config)
    if dev.type == "cpu":
        yield
        return
    previous = torch.get_default_device()
    torch.set_default_device(dev)
    try:
        yield
    finally:
        torch.set_default_device(previous)


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


@pytest.fixture
def idx_bytes():
    """Encode a uint8 array in the IDX format of MNIST's files."""
    return idx_bytes_


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
            blob = gzip.compress(idx_bytes_(arr))
            (src / name).write_bytes(blob)
            entries.append((name, hashlib.sha256(blob).hexdigest()))
        files[split] = (tuple(entries), images, labels)
    monkeypatch.setattr(data, "MNIST_FILES", {k: v[0] for k, v in files.items()})
    monkeypatch.setattr(data, "MNIST_URL", src.as_uri() + "/")
    return src, files
