import os
import pickle

import pytest
import torch
from torch import nn

from lecturekit import checkpoint


def build(hidden_dim: int = 4) -> nn.Module:
    return nn.Sequential(nn.Linear(2, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))


def test_save_load_round_trip(tmp_path):
    model = build()
    checkpoint.save(tmp_path / "m", model, {"hidden_dim": 4}, {"loss": [3.0, 2.0]})
    state, config, extras = checkpoint.load(tmp_path / "m.pt")
    assert config == {"hidden_dim": 4} and extras == {"loss": [3.0, 2.0]}
    other = build(**config)
    other.load_state_dict(state)
    x = torch.randn(5, 2)
    assert torch.equal(other(x), model(x))


def test_cached_trains_once_then_loads(tmp_cache):
    calls = []

    def train(model):
        calls.append(1)
        with torch.no_grad():
            model[0].weight.fill_(0.5)
        return {"final_loss": 0.25}

    m1, e1 = checkpoint.cached("toy", {"hidden_dim": 4}, build, train)
    m2, e2 = checkpoint.cached("toy", {"hidden_dim": 4}, build, train)
    assert len(calls) == 1 and e1 == e2 == {"final_loss": 0.25}
    assert torch.equal(m2[0].weight, torch.full((4, 2), 0.5)) and not m2.training
    checkpoint.cached("toy", {"hidden_dim": 5}, build, train)  # a new config retrains
    assert len(calls) == 2
    assert len(list(tmp_cache.glob("toy-*.pt"))) == 2


def test_cache_key_changes_with_code(monkeypatch):
    k1 = checkpoint.cache_key("toy", {"a": 1}, build)
    monkeypatch.setattr(checkpoint, "_source_hash", lambda fn: "other source")
    assert checkpoint.cache_key("toy", {"a": 1}, build) != k1


class _Evil:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_carrying_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "PWNED"
    good = checkpoint.save(tmp_path / "evil", build(), {})
    with open(good, "wb") as f:
        pickle.dump({"weight": _Evil(str(marker))}, f)
    with pytest.raises(checkpoint.CheckpointError, match=str(good)):
        checkpoint.load(good)
    assert not marker.exists()
    # torch.save-format files with code in them are refused as well
    torch.save({"weight": _Evil(str(marker))}, good)
    with pytest.raises(checkpoint.CheckpointError, match="not a valid checkpoint"):
        checkpoint.load(good)
    assert not marker.exists()


def test_truncated_and_missing_files_are_refused(tmp_path):
    path = checkpoint.save(tmp_path / "m", build(), {})
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(checkpoint.CheckpointError, match=str(path)):
        checkpoint.load(path)
    with pytest.raises(checkpoint.CheckpointError, match="no checkpoint"):
        checkpoint.load(tmp_path / "absent.pt")
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(checkpoint.CheckpointError, match="config"):
        checkpoint.load(path)


def test_a_corrupt_cache_entry_is_retrained_with_a_warning(tmp_cache):
    model, _ = checkpoint.cached("toy", {"hidden_dim": 3}, build, lambda m: {"n": 1})
    (path,) = tmp_cache.glob("toy-*.pt")
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="ignoring the cached model"):
        _, extras = checkpoint.cached("toy", {"hidden_dim": 3}, build, lambda m: {"n": 2})
    assert extras == {"n": 2}
    checkpoint.load(path)  # rewritten, valid again


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="model must be"):
        checkpoint.save(tmp_path / "x", "not a model", {})
    with pytest.raises(TypeError, match="JSON-serializable"):
        checkpoint.save(tmp_path / "x", build(), {"f": object()})
    with pytest.raises(TypeError, match="config must be a dict"):
        checkpoint.cached("toy", [1], build, lambda m: None)


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_CACHE", str(tmp_path / "c"))
    assert checkpoint.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
    monkeypatch.delenv("LECTUREKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert checkpoint.cache_dir() == tmp_path / "xdg" / "lecturekit"


def test_loading_a_cached_model_is_fast(tmp_cache):
    import time

    big = lambda: nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 784))  # noqa: E731
    checkpoint.cached("big", {}, big, lambda m: None)
    start = time.perf_counter()
    checkpoint.cached("big", {}, big, lambda m: pytest.fail("retrained"))
    assert time.perf_counter() - start < 1.0
