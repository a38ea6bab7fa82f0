import random

import numpy as np
import pytest
import torch

import lecturekit as lk
from lecturekit import utils


def test_seed_reproduces_all_three_generators():
    lk.seed(5)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    lk.seed(5)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


def test_get_device_defaults_to_best_available(monkeypatch):
    monkeypatch.delenv("LECTUREKIT_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if utils._mps_available() else "cpu")
    assert lk.get_device().type == expected


def test_get_device_env_override(monkeypatch):
    monkeypatch.setenv("LECTUREKIT_DEVICE", "cpu")
    assert lk.get_device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", ""])
def test_get_device_unknown_env_names_variable(monkeypatch, name):
    monkeypatch.setenv("LECTUREKIT_DEVICE", name)
    if name == "":
        assert lk.get_device().type in ("cpu", "cuda", "mps")  # empty means unset
        return
    with pytest.raises(ValueError, match="LECTUREKIT_DEVICE"):
        lk.get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_get_device_unavailable_cuda_is_clear():
    with pytest.raises(ValueError, match="CUDA is not available"):
        lk.get_device("cuda")


def test_get_device_rejects_non_string():
    with pytest.raises(TypeError, match="name"):
        lk.get_device(5)


@pytest.mark.parametrize("value, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError), ("4", TypeError)])
def test_check_positive_int(value, exc):
    with pytest.raises(exc, match="latent_dim must be a positive integer"):
        utils.check_positive_int("latent_dim", value)


def test_check_positive_int_accepts_numpy_ints():
    assert utils.check_positive_int("n", np.int64(3)) == 3


@pytest.mark.parametrize("value", [0, 1, -0.1, float("nan")])
def test_check_probability(value):
    with pytest.raises(ValueError, match="beta must be a number in"):
        utils.check_probability("beta", value)


def test_as_tensor_2d_checks():
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        utils.as_tensor_2d("x", np.zeros(5))
    with pytest.raises(ValueError, match="x must hold finite values"):
        utils.as_tensor_2d("x", np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="x must be"):
        utils.as_tensor_2d("x", "abc")
    with pytest.raises(ValueError, match="at least one row"):
        utils.as_tensor_2d("x", np.zeros((0, 2)))
    t = utils.as_tensor_2d("x", [[1, 2], [3, 4]])
    assert t.dtype == torch.float64 and t.shape == (2, 2)


def test_check_images():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, H, W\)"):
        utils.check_images("x", torch.zeros(3, 28, 28))
    with pytest.raises(ValueError, match="28x28"):
        utils.check_images("x", torch.zeros(3, 1, 8, 8), size=(28, 28))
    with pytest.raises(TypeError, match="floating-point"):
        utils.check_images("x", torch.zeros(3, 1, 8, 8, dtype=torch.long))


def test_check_path_kinds_accept_the_right_paths(tmp_path):
    """Each kind passes the paths it is for (the bad-input table checks what each refuses)."""
    f = tmp_path / "01_em.ipynb"
    f.write_text("{}")
    assert utils.check_path("src", f, kind="file", suffixes=(".ipynb",)) == f
    assert utils.check_path("out", str(tmp_path), kind="dir") == tmp_path
    assert utils.check_path("out", tmp_path / "new" / "deeper", kind="new_dir") == tmp_path / "new" / "deeper"
    assert utils.check_path("out", tmp_path, kind="new_dir") == tmp_path  # an existing folder is fine
    assert utils.check_path("path", f, kind="new_file", suffixes=(".ipynb", ".py")) == f  # overwritten
    assert utils.check_path("path", tmp_path / "a" / "b.csv", kind="new_file") == tmp_path / "a" / "b.csv"
    assert not (tmp_path / "new").exists() and not (tmp_path / "a").exists()  # checks never create
