"""Full-scale training recipes and ``lecturekit train``: a checkpoint written by the command line is
the one the notebooks load; the device argument moves model and data; bad arguments are one line."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
import torch

from lecturekit import checkpoint, recipes
from lecturekit.vae import VAE


def run_cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "lecturekit", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "TQDM_DISABLE": "1", **(env or {})})


def test_train_command_writes_the_checkpoint_the_notebook_loads(tmp_cache):
    out = run_cli("train", "vae", "--data", "mnist5k", "--epochs", "1", "--limit", "400", "--device", "cpu",
                  env={"LECTUREKIT_CACHE": str(tmp_cache)})
    assert out.returncode == 0, out.stderr
    path = recipes.trained_path("vae", "mnist5k")
    assert path.exists() and str(path) in out.stdout and "test_elbo" in out.stdout
    found = recipes.load_trained("vae")
    assert found is not None
    model, extras = found
    assert isinstance(model, VAE) and model.latent_dim == 20 and not model.training
    state, config, saved = checkpoint.load(path)
    assert config == recipes.RECIPES["vae"].config and saved == extras
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])
    assert extras["epochs"] == 1 and extras["train_images"] == 400 and extras["device"] == "cpu"
    # a bound on binarized test digits: finite, negative, and IWAE-50 above the ELBO
    assert math.isfinite(extras["test_elbo"]) and extras["test_elbo"] < 0
    assert extras["test_iwae50"] > extras["test_elbo"]
    doctor = run_cli("doctor", env={"LECTUREKIT_CACHE": str(tmp_cache)})
    assert "full-size models: vae (mnist5k, 1 epochs on cpu)" in doctor.stdout
    line = recipes.describe(extras)
    assert "400 digits (mnist5k)" in line and "for 1 epochs on cpu" in line and "test ELBO" in line


def test_load_trained_is_none_without_a_checkpoint_and_prefers_full_mnist(tmp_cache, fake_mnist):
    assert recipes.load_trained("vae") is None
    torch.manual_seed(0)
    recipes.fit_recipe("vae", num_epochs=1, data="mnist5k", limit=100, progress=False)
    recipes.fit_recipe("vae", num_epochs=1, data="mnist", root=tmp_cache / "mnist", download=True, progress=False)
    _, extras = recipes.load_trained("vae")
    assert extras["data"] == "mnist" and extras["train_images"] == 12  # the generated IDX files
    assert recipes.load_trained("vae", data="mnist5k")[1]["train_images"] == 100
    assert recipes.load_trained("vae-2d") is None


def test_a_checkpoint_that_no_longer_fits_the_code_is_ignored(tmp_cache):
    path = recipes.trained_path("vae", "mnist5k")
    checkpoint.save(path, VAE(latent_dim=3, hidden_dim=400), recipes.RECIPES["vae"].config, {})
    assert recipes.load_trained("vae") is None


def test_the_key_follows_the_model_code_and_data(tmp_cache):
    assert recipes.trained_path("vae", "mnist") != recipes.trained_path("vae", "mnist5k")
    assert recipes.trained_path("vae", "mnist") != recipes.trained_path("vae-2d", "mnist")
    assert recipes.trained_path("vae", "mnist").parent == tmp_cache / "trained"


def test_dcgan_recipe_trains_and_reloads(tmp_cache):
    model, extras, _ = recipes.fit_recipe("dcgan", num_epochs=1, data="mnist5k", limit=128, progress=False)
    assert extras["steps"] == 2 and math.isfinite(extras["final_d_loss"])
    again, _ = recipes.load_trained("dcgan")
    z = torch.randn(4, 32)
    with torch.no_grad():
        torch.testing.assert_close(again.decode(z), model.decode(z))


def test_train_moves_model_and_data_to_the_device(tmp_cache, device):
    model, extras, _ = recipes.fit_recipe("vae", num_epochs=1, data="mnist5k", limit=200, device=device, progress=False)
    assert all(p.device.type == device.type for p in model.parameters())
    assert extras["device"].startswith(device.type)
    # the checkpoint itself is device-free: it loads on the CPU
    assert next(recipes.load_trained("vae")[0].parameters()).device.type == "cpu"


@pytest.mark.parametrize("args, needle", [
    (["train"], "MODEL is required"),
    (["train", "vea"], "invalid choice"),
    (["train", "vae", "--epochs", "0"], "--epochs must be positive"),
    (["train", "vae", "--epochs", "two"], "invalid int"),
    (["train", "vae", "--limit", "-5", "--data", "mnist5k"], "--limit must be positive"),
    (["train", "vae", "--data", "cifar"], "invalid choice"),
    (["train", "vae", "--device", "tpu"], "--device tpu"),
    (["train", "vae"], "add --download"),
])
def test_train_bad_arguments_give_one_line(args, needle, tmp_path):
    out = run_cli(*args, env={"LECTUREKIT_CACHE": str(tmp_path / "c"), "LECTUREKIT_DATA": str(tmp_path / "d")})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], out.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_train_on_cuda_without_cuda_says_so(tmp_path):
    out = run_cli("train", "vae", "--data", "mnist5k", "--device", "cuda", env={"LECTUREKIT_CACHE": str(tmp_path)})
    assert out.returncode == 2 and "CUDA is not available" in out.stderr and "Traceback" not in out.stderr


def test_train_list_names_every_recipe():
    out = run_cli("train", "--list")
    assert out.returncode == 0 and all(name in out.stdout for name in recipes.RECIPES)
