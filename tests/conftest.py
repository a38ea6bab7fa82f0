"""Shared test set-up: seeded, forked RNG per test, float64 where identities are checked, a
``--device`` option for one CUDA run, and a private model cache."""

from __future__ import annotations

import os

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
