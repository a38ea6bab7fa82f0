"""Notebook 10's cached models and checks: each threshold of ``gan_digits.THRESHOLDS`` fails on an
untrained (or deliberately broken) model of the same kind, and can hold (real digits pass)."""

import pytest
import torch

from lecturekit import checkpoint, gan_digits, judge, lapgan
from lecturekit.claims import ClaimError, check
from lecturekit.data import mnist_5k
from lecturekit.utils import make_generator


def test_trained_keys_the_training_settings(tmp_cache):
    fast = {"num_steps": 2, "batch_size": 16}
    model, history = gan_digits.trained("dcgan", model={"latent_dim": 4, "channels": 2}, **fast)
    assert len(history.series["g_loss"]) == 2
    again, _ = gan_digits.trained("dcgan", model={"latent_dim": 4, "channels": 2}, **fast)
    torch.testing.assert_close(again.generator.project[0].weight, model.generator.project[0].weight)
    assert len([e for e in checkpoint.entries() if e["kind"] == "user"]) == 1  # the second call was a hit
    gan_digits.trained("dcgan", model={"latent_dim": 4, "channels": 2}, **{**fast, "num_steps": 3})
    assert len([e for e in checkpoint.entries() if e["kind"] == "user"]) == 2  # one more step is another model
    with pytest.raises(ValueError, match="kind"):
        gan_digits.trained("vae")


@pytest.fixture(scope="module")
def reference():
    return judge.reference_scores()


def _fails(claims):
    failed = []
    for claim in claims:
        with pytest.raises(ClaimError):
            check(**claim)
        failed.append(claim["claim"])
    return failed


def test_sample_claims_fail_on_an_untrained_dcgan(reference):
    model = lapgan.DCGAN(**gan_digits.DCGAN_CONFIG["model"]).eval()
    with torch.no_grad():
        scores = judge.digit_scores(model.sample(1000, generator=make_generator(0)))
    assert len(_fails(gan_digits.sample_claims("DCGAN", scores, reference))) == 3  # every threshold fails


def test_sample_claims_can_hold_real_digits_pass(reference):
    scores = judge.digit_scores(mnist_5k("train")[0][:1000])
    for claim in gan_digits.sample_claims("real digits", scores, reference):
        check(**claim)


def test_coarse_claims_fail_on_an_untrained_lapgan_and_hold_for_real_coarse_digits(reference):
    model = lapgan.LAPGAN(**gan_digits.LAPGAN_CONFIG["model"]).eval()
    with torch.no_grad():
        low = lapgan.upsample(model.sample_coarse(1000, generator=make_generator(0))).clamp(0, 1)
    assert len(_fails(gan_digits.coarse_claims(judge.digit_scores(low), reference))) == 3
    _, g1 = lapgan.laplacian_pyramid(mnist_5k("test")[0], levels=1)
    for claim in gan_digits.coarse_claims(judge.digit_scores(lapgan.upsample(g1).clamp(0, 1)), reference):
        check(**claim)


def test_refinement_claims_fail_without_a_trained_residual_level():
    """On real coarse digits: an untrained residual generator, and no residual at all, both fail."""
    _, g1 = lapgan.laplacian_pyramid(mnist_5k("test")[0], levels=1)
    low = lapgan.upsample(g1).clamp(0, 1)
    low_scores = judge.digit_scores(low)
    model = lapgan.LAPGAN(**gan_digits.LAPGAN_CONFIG["model"]).eval()
    with torch.no_grad():
        untrained = judge.digit_scores(model.refine(g1, generator=make_generator(0)))
    assert len(_fails(gan_digits.refinement_claims(low_scores, untrained))) == 2
    assert _fails(gan_digits.refinement_claims(low_scores, low_scores)[:1])  # h = 0: nothing gained
    real = judge.digit_scores(mnist_5k("test")[0])  # the true residuals pass both
    for claim in gan_digits.refinement_claims(low_scores, real):
        check(**claim)




def test_residual_discriminator_claim_fails_on_an_untrained_lapgan():
    x, _ = mnist_5k("test")
    model = lapgan.LAPGAN(**gan_digits.LAPGAN_CONFIG["model"])
    view = gan_digits.residual_discriminator_view(model, x[:500], generator=make_generator(0))
    assert set(view) == {"real", "generated", "mismatched"} and all(0 < v < 1 for v in view.values())
    assert _fails(gan_digits.mismatch_claims(view))


def test_copy_claim_fails_on_a_generator_that_replays_training_digits():
    x, _ = mnist_5k("train")
    test, _ = mnist_5k("test")
    copies = (x[:1000] + 0.02 * torch.rand(1000, 1, 28, 28, generator=make_generator(0))).clamp(0, 1)
    assert _fails(gan_digits.copy_claims("memorizer", copies, x, test))
    for claim in gan_digits.copy_claims("test digits", test, x, test):  # real new digits pass (ratio 1)
        check(**claim)
    d = gan_digits.nearest_distances(test[:5], x)
    assert d.shape == (5,) and torch.allclose(d[0], (x - test[0]).flatten(1).norm(dim=1).min())
