import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from lecturekit import checkpoint
from lecturekit.train import History


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


def fit_toy(model, *, generator, value: float = 0.5, num_steps: int = 1, calls=None):
    """Sets the first layer's weight to ``value`` plus noise from both the generator and the global RNG."""
    if calls is not None:
        calls.append(num_steps)
    with torch.no_grad():
        noise = torch.randn(model[0].weight.shape, generator=generator) + torch.rand(model[0].weight.shape)
        model[0].weight.copy_(value + 0.01 * noise)
    return History(loss=[1.0] * num_steps, info={"final": value})


def _cached(calls, *, hidden_dim=4, data=None, **train):
    return checkpoint.cached("toy", build=build, model={"hidden_dim": hidden_dim},
                             fit=lambda m, **kw: fit_toy(m, calls=calls, **kw), train=train, data=data)


def test_cached_trains_once_then_loads_with_its_history(tmp_cache):
    calls = []
    m1, h1 = _cached(calls, num_steps=5)
    m2, h2 = _cached(calls, num_steps=5)
    assert calls == [5] and h1.to_dict() == h2.to_dict() and h2.info == {"final": 0.5} and len(h2.loss) == 5
    assert torch.equal(m1[0].weight, m2[0].weight) and not m2.training
    meta = json.loads(next(tmp_cache.glob("toy-*.json")).read_text())
    assert meta["config"]["model"] == {"hidden_dim": 4} and meta["config"]["train"] == {"num_steps": 5}


@pytest.mark.parametrize("change", ["train", "seed", "data", "model"])
def test_changing_any_config_retrains(tmp_cache, change):
    calls = []
    _cached(calls, num_steps=5, data={"split": "train"})
    again = {"train": dict(num_steps=50, data={"split": "train"}),
             "seed": dict(num_steps=5, seed=1, data={"split": "train"}),
             "data": dict(num_steps=5, data={"split": "train", "binarize": True}),
             "model": dict(num_steps=5, hidden_dim=5, data={"split": "train"})}[change]
    _cached(calls, **again)
    assert len(calls) == 2 and len(list(tmp_cache.glob("toy-*.pt"))) == 2


def test_a_cached_training_does_not_depend_on_the_global_rng(tmp_cache, monkeypatch):
    torch.manual_seed(123)
    m1, _ = _cached(None, num_steps=1)
    monkeypatch.setenv("LECTUREKIT_CACHE", str(tmp_cache.parent / "other"))
    torch.manual_seed(456)
    _ = torch.rand(1000)  # some other model trained first
    m2, _ = _cached(None, num_steps=1)
    assert torch.equal(m1[0].weight, m2[0].weight) and torch.equal(m1[2].weight, m2[2].weight)
    state = torch.random.get_rng_state()
    _cached(None, num_steps=2)  # a miss trains, a hit loads: neither moves the caller's RNG
    _cached(None, num_steps=2)
    assert torch.equal(state, torch.random.get_rng_state())


def test_the_seed_of_the_train_config_seeds_the_run(tmp_cache):
    m0, _ = _cached(None, num_steps=1, seed=0)
    m1, _ = _cached(None, num_steps=1, seed=1)
    assert not torch.equal(m0[0].weight, m1[0].weight) and not torch.equal(m0[2].weight, m1[2].weight)


def test_cache_key_changes_with_code(monkeypatch):
    k1 = checkpoint.cache_key("toy", model={"a": 1}, train={}, code=(build,))
    monkeypatch.setattr(checkpoint, "_source_hash", lambda *fns: "other source")
    assert checkpoint.cache_key("toy", model={"a": 1}, train={}, code=(build,)) != k1


def test_a_shared_cache_serves_hits_first(tmp_path, monkeypatch):
    shared, user = tmp_path / "shared", tmp_path / "user"
    monkeypatch.setenv("LECTUREKIT_CACHE", str(shared))
    calls = []
    _cached(calls, num_steps=3)
    monkeypatch.setenv("LECTUREKIT_SHARED_CACHE", os.pathsep.join([str(tmp_path / "absent"), str(shared)]))
    monkeypatch.setenv("LECTUREKIT_CACHE", str(user))
    _cached(calls, num_steps=3)
    assert calls == [3] and not list(user.glob("*.pt"))
    (entry,) = [e for e in checkpoint.entries() if e["kind"] != "shipped"]
    assert entry["kind"] == "shared" and entry["name"] == "toy"
    _cached(calls, num_steps=4)  # a miss trains into the user's cache
    assert calls == [3, 4] and len(list(user.glob("toy-*.pt"))) == 1
    assert sorted(e["kind"] for e in checkpoint.entries() if e["kind"] != "shipped") == ["shared", "user"]


def test_an_unwritable_cache_warns_instead_of_raising(tmp_cache, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoint.tempfile, "mkstemp", refuse)
    calls = []
    with pytest.warns(UserWarning, match="was not saved"):
        model, history = _cached(calls, num_steps=2)
    assert calls == [2] and history.info == {"final": 0.5} and not list(tmp_cache.glob("*.pt"))


_AS_STUDENT = """
import os, sys, torch
from torch import nn
from lecturekit import checkpoint
from lecturekit.train import History
calls = []
def build(hidden_dim=4):
    return nn.Sequential(nn.Linear(2, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))
def fit(model, *, generator, num_steps):
    calls.append(num_steps)
    return History(loss=[0.0] * num_steps)
for steps in (3, 4):
    checkpoint.cached("toy", build=build, model={"hidden_dim": 4}, fit=fit, train={"num_steps": steps})
shared = os.environ.get("LECTUREKIT_SHARED_CACHE")
try:
    open(os.path.join(shared, "probe"), "w") if shared else None
    writable = True
except PermissionError:
    writable = False
print(calls, writable, sorted(os.listdir(os.environ["LECTUREKIT_CACHE"]))[0].split("-")[0])
"""


def _run_as_student(script: str, env: dict, cwd: Path, shared: Path, monkeypatch) -> str:
    """Run ``script`` as the unprivileged user ``nobody`` when this test runs as root and nobody can
    start this Python; otherwise in this process, with every write into ``shared`` refused by a
    mocked permission error (root ignores file modes, and a venv under /root is closed to nobody)."""
    import builtins
    import contextlib
    import io
    import subprocess
    import sys

    if os.geteuid() == 0:
        try:
            out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                 cwd=str(cwd), user="nobody")
        except PermissionError:
            pass  # this interpreter lives where nobody cannot reach it: mock the refusal instead
        else:
            assert out.returncode == 0, out.stderr
            return out.stdout
    elif os.access(shared, os.W_OK):
        pytest.fail(f"{shared} should be read-only for this user")
    real_open, real_write = builtins.open, checkpoint._atomic_write

    def inside(path) -> bool:
        return Path(path).resolve().is_relative_to(shared.resolve())

    def guarded_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+") and inside(file):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    def guarded_write(path, write, mode):
        if inside(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_write(path, write, mode)

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(checkpoint, "_atomic_write", guarded_write)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(script, "<student>", "exec"), {"__name__": "__student__"})
    monkeypatch.setattr(builtins, "open", real_open)
    return buffer.getvalue()


def test_a_read_only_shared_cache_for_a_student(tmp_path, monkeypatch):
    """A student who cannot write the shared folder loads its hits and trains misses into their own cache."""
    import shutil
    import subprocess
    import sys
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="lk-shared-"))
    try:
        root.chmod(0o755)
        shared, user = root / "shared", root / "user"
        env = dict(os.environ, LECTUREKIT_CACHE=str(shared))
        env.pop("LECTUREKIT_SHARED_CACHE", None)
        subprocess.run([sys.executable, "-c", _AS_STUDENT.replace("for steps in (3, 4)", "for steps in (3,)")],
                       env=env, check=True, capture_output=True)
        user.mkdir()
        user.chmod(0o777)
        shared.chmod(0o555)
        env = {"LECTUREKIT_SHARED_CACHE": str(shared), "LECTUREKIT_CACHE": str(user), "HOME": str(user)}
        out = _run_as_student(_AS_STUDENT, dict(os.environ, **env), user, shared, monkeypatch)
        assert out.split() == ["[4]", "False", "toy"], out
        assert len(list(user.glob("toy-*.pt"))) == 1 and len(list(shared.glob("toy-*.pt"))) == 1
    finally:
        for d in [root, *root.rglob("*")]:
            if d.is_dir():
                d.chmod(0o755)
        shutil.rmtree(root)


def test_a_corrupt_cache_entry_is_retrained_with_a_warning(tmp_cache):
    _cached(None, num_steps=1)
    (path,) = tmp_cache.glob("toy-*.pt")
    path.write_bytes(b"garbage")
    calls = []
    with pytest.warns(UserWarning, match="ignoring the cached model"):
        _cached(calls, num_steps=1)
    assert calls == [1]
    checkpoint.load(path)  # rewritten, valid again


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="model must be"):
        checkpoint.save(tmp_path / "x", "not a model", {})
    with pytest.raises(TypeError, match="JSON-serializable"):
        checkpoint.save(tmp_path / "x", build(), {"f": object()})
    with pytest.raises(TypeError, match="model must be a dict"):
        checkpoint.cached("toy", build=build, model=[1], fit=fit_toy, train={})
    with pytest.raises(TypeError, match="train must be JSON-serializable"):
        checkpoint.cached("toy", build=build, model={}, fit=fit_toy, train={"f": object()})
    with pytest.raises(TypeError, match="fit must return a lecturekit.train.History"):
        checkpoint.cached("toy", build=build, model={}, fit=lambda m, generator: {"loss": 1}, train={"seed": 9})
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        checkpoint.cached("toy", build=build, model={}, fit=fit_toy, train={"seed": -1})
    with pytest.raises(ValueError, match="map_location must be a device"):
        checkpoint.load(tmp_path / "x.pt", map_location="gpu please")


def test_a_config_file_without_config_names_the_problem(tmp_path):
    path = checkpoint.save(tmp_path / "m", build(), {})
    path.with_suffix(".json").write_text(json.dumps({"format": "lecturekit-checkpoint/1"}))
    with pytest.raises(checkpoint.CheckpointError, match='no "config" entry'):
        checkpoint.load(path)


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_CACHE", str(tmp_path / "c"))
    assert checkpoint.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
    monkeypatch.delenv("LECTUREKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert checkpoint.cache_dir() == tmp_path / "xdg" / "lecturekit"


def test_loading_a_cached_model_is_fast(tmp_cache):
    import time

    big = lambda: nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 784))  # noqa: E731
    checkpoint.cached("big", build=big, model={}, fit=lambda m, generator: History(), train={})
    start = time.perf_counter()
    checkpoint.cached("big", build=big, model={}, fit=lambda m, generator: pytest.fail("retrained"), train={})
    assert time.perf_counter() - start < 1.0
