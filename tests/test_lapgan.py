"""Laplacian pyramids, the DCGAN and LAPGAN, their training on the seams, latent endpoints and the
interpolation widget of notebook 10."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import lapgan
from lecturekit.data import mnist_5k
from lecturekit.utils import make_generator


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
        lapgan.fit_dcgan(lapgan.DCGAN(latent_dim=4, channels=2), torch.rand(4, 1, 14, 14), num_steps=1)


def test_models_have_the_right_shapes(device):
    dc = lapgan.DCGAN(latent_dim=8, channels=4).to(device)
    assert dc.sample(6).shape == (6, 1, 28, 28)
    assert dc.discriminator(torch.rand(6, 1, 28, 28, device=device)).shape == (6,)
    lap = lapgan.LAPGAN(latent_dim=8, channels=4).to(device)
    coarse = lap.sample_coarse(3)
    assert coarse.shape == (3, 1, 14, 14) and lap.refine(coarse).shape == (3, 1, 28, 28)
    assert lap.residual_discriminator(torch.rand(4, 2, 28, 28, device=device)).shape == (4,)
    assert lap.coarse_discriminator(torch.rand(4, 1, 14, 14, device=device)).shape == (4,)
    with torch.no_grad():
        x = lap.sample(5)
    assert float(x.min()) >= 0 and float(x.max()) <= 1


def test_sampling_follows_the_generator_on_any_device(device):
    dc = lapgan.DCGAN(latent_dim=8, channels=4).to(device).eval()
    lap = lapgan.LAPGAN(latent_dim=8, channels=4).to(device).eval()
    for model in (dc, lap):
        with torch.no_grad():
            a = model.sample(4, generator=make_generator(3))
            b = model.sample(4, generator=make_generator(3))
            c = model.sample(4, generator=make_generator(4))
        assert a.device.type == device.type
        torch.testing.assert_close(a, b)
        assert not torch.equal(a, c)


def test_fit_dcgan_records_both_losses_and_leaves_the_global_rng_alone():
    x, _ = mnist_5k("test")
    model = lapgan.DCGAN(latent_dim=8, channels=4)
    state = torch.get_rng_state()
    history = lapgan.fit_dcgan(model, x[:128], num_steps=4, batch_size=32, generator=make_generator(0))
    assert torch.equal(torch.get_rng_state(), state)
    assert len(history.series["d_loss"]) == len(history.series["g_loss"]) == 4
    assert history.loss == history.series["g_loss"] and history.seconds > 0
    assert not model.training


def test_fit_dcgan_is_reproducible_from_its_generator():
    x, _ = mnist_5k("test")
    weights = []
    for _ in range(2):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = lapgan.DCGAN(latent_dim=8, channels=4)
        lapgan.fit_dcgan(model, x[:128], num_steps=3, batch_size=32, generator=make_generator(5))
        weights.append(model.generator.project[0].weight.detach().clone())
    torch.testing.assert_close(weights[0], weights[1])


def test_fit_lapgan_trains_both_levels():
    x, _ = mnist_5k("test")
    model = lapgan.LAPGAN(latent_dim=8, channels=4)
    before = [p.detach().clone() for p in (model.coarse_generator.project[0].weight, model.residual_generator.up.weight)]
    history = lapgan.fit_lapgan(model, x[:128], num_steps=3, num_fine_steps=2, batch_size=32,
                                generator=make_generator(0))
    assert len(history.series["coarse_g_loss"]) == 3 and len(history.series["fine_d_loss"]) == 2
    assert all(v == v for v in history.series["fine_d_loss"])
    assert set(history.info) == {"coarse_seconds", "fine_seconds"}
    after = (model.coarse_generator.project[0].weight, model.residual_generator.up.weight)
    assert all(not torch.equal(a, b) for a, b in zip(before, after))


def test_training_arguments_are_checked():
    x, _ = mnist_5k("test")
    with pytest.raises(ValueError, match="lr"):
        lapgan.fit_dcgan(lapgan.DCGAN(latent_dim=4, channels=2), x[:64], num_steps=1, lr=0.0)
    with pytest.raises(ValueError, match="num_steps"):
        lapgan.fit_lapgan(lapgan.LAPGAN(latent_dim=4, channels=2), x[:64], num_steps=0)
    with pytest.raises(ValueError, match="channels"):
        lapgan.DCGAN(channels=0)
    with pytest.raises(ValueError, match="coarse"):
        lapgan.LAPGAN(latent_dim=4, channels=2).refine(torch.rand(2, 1, 28, 28))


def test_slerp_endpoints_and_norm():
    z0, z1 = torch.randn(4, 32), torch.randn(4, 32)
    assert torch.allclose(lapgan.interpolate_latents(z0, z1, 0.0), z0, atol=1e-5)
    assert torch.allclose(lapgan.interpolate_latents(z0, z1, 1.0), z1, atol=1e-5)
    mid = lapgan.interpolate_latents(z0, z0 * 2, 0.5)  # parallel codes: norm interpolates
    assert torch.isfinite(mid).all()


def _bucket_classifier(x):
    """A stand-in classifier: the label is the image's mean ink, cut into ten bins (confident)."""
    ink = x.flatten(1).mean(1)
    edges = torch.quantile(ink, torch.linspace(0, 1, 11, dtype=ink.dtype)[1:-1])
    label = torch.bucketize(ink, edges)
    return torch.nn.functional.one_hot(label, 10).to(x.dtype) * 0.9 + 0.01


def test_digit_endpoints_pick_confident_codes_of_different_labels():
    model = lapgan.DCGAN(latent_dim=8, channels=4).eval()
    z0, z1, pairs = lapgan.digit_endpoints(model, _bucket_classifier, 6, pool=100, generator=make_generator(0))
    assert z0.shape == z1.shape == (6, 8) and len(pairs) == 6
    assert all(a != b for a, b in pairs)
    assert len({a for a, _ in pairs}) == 6  # each column starts from another label
    with torch.no_grad():
        pool = model.sample_z(100, generator=make_generator(0))
        labels = _bucket_classifier(model.decode(pool)).argmax(-1)
    for row, (a, b) in zip(range(6), pairs):  # the ends are codes of the pool, labelled as claimed
        i = int((pool - z0[row]).abs().sum(1).argmin())
        j = int((pool - z1[row]).abs().sum(1).argmin())
        assert labels[i] == a and labels[j] == b
    with pytest.raises(ValueError, match="one label"):
        lapgan.digit_endpoints(model, lambda x: torch.eye(10)[[0] * x.shape[0]], 3, pool=20)


def test_interpolation_widget_runs_between_classified_ends():
    from lecturekit.widgets.gan import latent_interpolation

    model = lapgan.DCGAN(latent_dim=8, channels=4).eval()
    app = latent_interpolation(model, num_images=4, classify=_bucket_classifier)
    assert app.error is None and len(app.pairs) == 4
    assert "→" in app.readout_html.value
    app.controls["t"].value = 1.0
    with torch.no_grad():
        torch.testing.assert_close(torch.as_tensor(app.result["images"]), model.decode(app.z1))
    with pytest.raises(TypeError, match="classify"):
        latent_interpolation(model, classify=3)
    with pytest.raises(ValueError, match="num_images"):
        latent_interpolation(model, num_images=0)


def test_digit_endpoints_check_the_classifier():
    model = lapgan.DCGAN(latent_dim=8, channels=4).eval()
    with pytest.raises(TypeError, match="classify"):
        lapgan.digit_endpoints(model, "judge", 3)
    with pytest.raises(ValueError, match="classify must return"):
        lapgan.digit_endpoints(model, lambda x: torch.zeros(3), 3, pool=16)
