import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import lapgan
from lecturekit.data import mnist_5k


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4))
def test_pyramid_reconstructs_exactly(levels, n):
    size = 8 * 2**levels // 2
    x = torch.rand(n, 1, size, 2 * size)
    pyramid = lapgan.laplacian_pyramid(x, levels=levels)
    assert len(pyramid) == levels + 1
    assert pyramid[-1].shape[-2:] == (size // 2**levels, 2 * size // 2**levels)
    assert float((lapgan.reconstruct(pyramid) - x).abs().max()) < 1e-6


def test_pyramid_of_digits_is_exact_and_residuals_are_detail():
    x, _ = mnist_5k("test")
    h0, h1, g2 = lapgan.laplacian_pyramid(x[:50], levels=2)
    assert g2.shape == (50, 1, 7, 7)
    assert float((lapgan.reconstruct([h0, h1, g2]) - x[:50]).abs().max()) < 1e-6
    assert float(g2.mean()) == pytest.approx(float(x[:50].mean()), abs=1e-6)  # box averages keep the mean
    assert float(h0.abs().mean()) < float(x[:50].abs().mean())


def test_pyramid_rejects_wrong_sizes_naming_the_argument():
    with pytest.raises(ValueError, match="x must hold images whose height and width are divisible"):
        lapgan.laplacian_pyramid(torch.rand(2, 1, 27, 28))
    with pytest.raises(ValueError, match="x must have shape"):
        lapgan.laplacian_pyramid(torch.rand(2, 28, 28))
    with pytest.raises(ValueError, match="levels"):
        lapgan.laplacian_pyramid(torch.rand(2, 1, 28, 28), levels=0)
    with pytest.raises(ValueError, match="images must hold 28x28"):
        lapgan.train_dcgan(lapgan.DCGAN(), torch.rand(4, 1, 14, 14))


def test_models_have_the_right_shapes():
    dc = lapgan.DCGAN(latent_dim=8, channels=4)
    assert dc.sample(5).shape == (5, 1, 28, 28)
    assert dc.discriminator(torch.rand(5, 1, 28, 28)).shape == (5,)
    lap = lapgan.LAPGAN(latent_dim=8, channels=4)
    coarse = lap.sample_coarse(3)
    assert coarse.shape == (3, 1, 14, 14) and lap.refine(coarse).shape == (3, 1, 28, 28)
    assert lap.residual_discriminator(torch.rand(3, 2, 28, 28)).shape == (3,)


def test_tiny_training_runs_and_records_losses():
    x, _ = mnist_5k("test")
    dc = lapgan.DCGAN(latent_dim=8, channels=4)
    hist = lapgan.train_dcgan(dc, x[:128], epochs=1, batch_size=32)
    assert hist["steps"] == 4 and len(hist["d_loss"]) == 4
    lap = lapgan.LAPGAN(latent_dim=8, channels=4)
    hist = lapgan.train_lapgan(lap, x[:128], epochs=1, batch_size=32)
    assert len(hist["fine_g_loss"]) == 4 and all(v == v for v in hist["fine_d_loss"])
    with pytest.raises(ValueError, match="lr"):
        lapgan.train_dcgan(dc, x[:64], lr=0.0)


def test_slerp_endpoints_and_norm():
    z0, z1 = torch.randn(4, 32), torch.randn(4, 32)
    assert torch.allclose(lapgan.interpolate_latents(z0, z1, 0.0), z0, atol=1e-5)
    assert torch.allclose(lapgan.interpolate_latents(z0, z1, 1.0), z1, atol=1e-5)
    mid = lapgan.interpolate_latents(z0, z0 * 2, 0.5)  # parallel codes: norm interpolates
    assert torch.isfinite(mid).all()
