import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import gan
from lecturekit.data import mode_centres, ring_of_gaussians


def test_losses_match_the_probability_formulas():
    a_real, a_fake = torch.randn(50, dtype=torch.float64), torch.randn(50, dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(a_real), torch.sigmoid(a_fake)
    assert gan.d_loss(a_real, a_fake) == pytest.approx(float(-(d_real.log().mean() + (1 - d_fake).log().mean())))
    assert gan.g_loss(a_fake, loss="minimax") == pytest.approx(float((1 - d_fake).log().mean()))
    assert gan.g_loss(a_fake, loss="nonsaturating") == pytest.approx(float(-d_fake.log().mean()))


def test_losses_stay_finite_when_d_saturates_and_only_nonsaturating_keeps_a_gradient():
    a = torch.tensor([-60.0, 60.0], requires_grad=True)
    assert torch.isfinite(gan.d_loss(a, a))
    (g_mm,) = torch.autograd.grad(gan.g_loss(a[:1], loss="minimax"), a)
    (g_ns,) = torch.autograd.grad(gan.g_loss(a[:1], loss="nonsaturating"), a)
    assert abs(float(g_mm[0])) < 1e-20 and float(g_ns[0]) == pytest.approx(-1.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(0.3, 2), st.floats(-2, 2), st.floats(0.3, 2))
def test_value_at_d_star_is_minus_log4_plus_two_jsd(m1, s1, m2, s2):
    x = torch.linspace(-12, 12, 6001, dtype=torch.float64)
    p, q = gan.gaussian_density(x, m1, s1), gan.gaussian_density(x, m2, s2)
    v = gan.value(gan.optimal_discriminator(p, q), p, q, x)
    assert float(v) == pytest.approx(-math.log(4) + 2 * float(gan.jsd(p, q, x)), abs=1e-6)
    assert -1e-12 <= float(gan.jsd(p, q, x)) <= math.log(2) + 1e-9


@settings(max_examples=20, deadline=None)
@given(st.floats(-1, 1), st.floats(-0.3, 0.3).filter(lambda e: abs(e) > 1e-3))
def test_d_star_beats_perturbed_discriminators(shift, eps):
    x = torch.linspace(-10, 10, 4001, dtype=torch.float64)
    p, q = gan.gaussian_density(x, 0.0, 1.0), gan.gaussian_density(x, shift, 1.5)
    d = gan.optimal_discriminator(p, q)
    perturbed = (d + eps * torch.exp(-x**2)).clamp(1e-9, 1 - 1e-9)
    assert gan.value(d, p, q, x) > gan.value(perturbed, p, q, x)


def test_jsd_is_zero_for_equal_and_log2_for_disjoint_densities():
    x = torch.linspace(-30, 30, 12001, dtype=torch.float64)
    p = gan.gaussian_density(x, 0.0, 1.0)
    assert float(gan.jsd(p, p, x)) == pytest.approx(0.0, abs=1e-12)
    assert float(gan.jsd(p, gan.gaussian_density(x, 20.0, 1.0), x)) == pytest.approx(math.log(2), abs=1e-6)
    assert float(gan.optimal_discriminator(torch.zeros(1), torch.zeros(1))) == 0.5


def test_trained_discriminator_matches_d_star():
    g = torch.Generator().manual_seed(0)
    d = gan.MLPDiscriminator(data_dim=1, hidden_dim=64, num_layers=2)
    gan.train_discriminator(d, lambda n: 0.75 + 0.5 * torch.randn(n, 1, generator=g),
                            lambda n: -0.5 + 0.75 * torch.randn(n, 1, generator=g), 3000, lr=1e-2, batch_size=2048)
    x = torch.linspace(-2, 2.5, 201)
    d_star = gan.optimal_discriminator(gan.gaussian_density(x, 0.75, 0.5), gan.gaussian_density(x, -0.5, 0.75))
    with torch.no_grad():
        assert float((torch.sigmoid(d(x[:, None])) - d_star).abs().max()) < 0.02


@pytest.mark.parametrize("loss", gan.LOSSES)
def test_1d_game_converges_to_the_data_and_d_to_one_half(loss):
    _, frames = gan.trajectory_1d(k=2, loss=loss, num_steps=400)
    assert frames["jsd"][0] > 0.5 and frames["jsd"][-1] < 0.01
    assert abs(frames["mu"][-1] - 1.5) < 0.1 and abs(frames["scale"][-1] - 0.5) < 0.1
    p_data, d = torch.tensor(frames["p_data"]), torch.tensor(frames["d"][-1])
    assert float((d[p_data > 0.1] - 0.5).abs().max()) < 0.1


def test_train_gan_takes_k_discriminator_steps_per_generator_step():
    calls = []

    def sample_data(n):
        calls.append(n)
        return torch.randn(n, 2)

    model = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1)
    hist = gan.train_gan(model.generator, model.discriminator, sample_data, 4, k=3, batch_size=16)
    assert len(calls) == 12 and len(hist.d_loss) == len(hist.g_loss) == 4


def test_packed_discriminator_judges_groups():
    d = gan.MLPDiscriminator(data_dim=2, hidden_dim=8, num_layers=1, pack=4)
    x = torch.randn(32, 2)
    assert d(x).shape == (8,)
    # a group is one row: permuting samples inside groups changes logits, moving groups moves them
    torch.testing.assert_close(d(x.reshape(8, 4, 2).flip(0).reshape(32, 2)), d(x).flip(0))
    with pytest.raises(ValueError, match="multiple of pack=4, got 30"):
        d(torch.randn(30, 2))


def test_ring_gan_packs_pairs_by_default_and_checks_the_batch():
    model = gan.GAN(hidden_dim=8, num_layers=1)
    assert model.discriminator.pack == 2
    with pytest.raises(ValueError, match="batch_size must be a multiple"):
        gan.train_ring(model, num_steps=1, batch_size=33)


def test_mode_coverage_counts_modes_and_quality():
    c = mode_centres("ring")
    g = torch.Generator().manual_seed(0)
    cover = gan.mode_coverage(ring_of_gaussians(2500, generator=g), c)
    assert cover["modes_captured"] == 8 and cover["hq_fraction"] > 0.97
    # all mass on two modes, plus 20% junk at the origin
    x = torch.cat([c[[0, 1]].repeat(1000, 1), torch.zeros(500, 2)])
    cover = gan.mode_coverage(x, c)
    assert cover["modes_captured"] == 2 and cover["hq_fraction"] == pytest.approx(0.8)
    # a fifth of the fair share is the threshold
    # of 2,500 samples (fair share 312.5): 63 counts as a mode, 62 does not
    x = torch.cat([c[0].repeat(63, 1), c[1].repeat(62, 1), c[2].repeat(2375, 1)])
    assert gan.mode_coverage(x, c)["counts"][:3] == [63, 62, 2375]
    assert gan.mode_coverage(x, c)["modes_captured"] == 2


def test_bad_arguments_name_the_argument():
    model = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1)
    args = (model.generator, model.discriminator, lambda n: torch.randn(n, 2), 2)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        gan.train_gan(*args, k=0)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        gan.train_gan(*args, lr=-1e-3)
    with pytest.raises(ValueError, match="lr"):
        gan.train_gan(*args, lr=0.0)
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.train_gan(*args, loss="wasserstein")
    with pytest.raises(ValueError, match="samples must have shape"):
        gan.mode_coverage(torch.zeros(5, 3), mode_centres("ring"))
