"""The digit judge: accurate on real digits, and its scores order real > blurred > noise."""

import pytest
import torch
import torch.nn.functional as F

from lecturekit import data, judge
from lecturekit.utils import make_generator, rand


@pytest.fixture(scope="module")
def scores():
    x_test, _ = data.mnist_5k("test")
    blurred = F.avg_pool2d(F.pad(x_test, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    noise = rand((1000, 1, 28, 28), generator=make_generator(1))
    from lecturekit.lapgan import DCGAN

    with torch.no_grad():
        untrained = DCGAN(latent_dim=32, channels=32).eval().sample(1000, generator=make_generator(2))
    return {"test": judge.digit_scores(x_test), "blurred": judge.digit_scores(blurred),
            "noise": judge.digit_scores(noise), "untrained": judge.digit_scores(untrained)}


def test_the_judge_classifies_the_test_digits():
    _, acc = judge.load_judge()
    assert acc >= judge.MIN_TEST_ACCURACY


def test_real_digits_score_at_the_top_and_noise_at_the_bottom(scores):
    assert scores["test"].inception_score > 8.5 and scores["test"].classes_hit == 10
    assert scores["test"].frechet_distance < 1e-6  # the reference set against itself
    for bad in ("noise", "untrained"):
        assert scores[bad].inception_score < 2.5, bad
        assert scores[bad].classes_hit <= 4, bad
        assert scores[bad].frechet_distance > 100, bad


def test_blurring_sits_between_digits_and_noise(scores):
    t, b, n = scores["test"], scores["blurred"], scores["noise"]
    assert t.inception_score > b.inception_score > n.inception_score
    assert t.frechet_distance < b.frechet_distance < n.frechet_distance


def test_reference_lines_use_held_out_real_digits():
    ref = judge.reference_scores(n=500)
    assert 0 < ref["test digits"].frechet_distance < 0.05 * ref["uniform noise"].frechet_distance


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    g = make_generator(0)
    a = torch.randn(20000, 3, generator=g, dtype=torch.float64)
    b = 2.0 * torch.randn(20000, 3, generator=g, dtype=torch.float64) + 1.0
    # N(0, I) vs N(1, 4I): |μ|² = 3, Tr(I + 4I − 2·2I) = 3
    assert judge.frechet_distance(a, b) == pytest.approx(6.0, rel=0.05)
    assert judge.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_inception_score_bounds():
    k = 10
    assert judge.inception_score(torch.eye(k)) == pytest.approx(k)
    assert judge.inception_score(torch.full((5, k), 1 / k)) == pytest.approx(1.0)
    assert judge.inception_score(torch.eye(k)[[3] * 8]) == pytest.approx(1.0)


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(5, 784), "shape"),
    (torch.full((4, 1, 28, 28), 255.0), r"\[0, 1\]"),
    (torch.full((4, 1, 28, 28), float("nan")), "finite"),
    (torch.zeros(1, 1, 28, 28), "at least 2"),
    (torch.zeros(4, 1, 14, 14), "28x28"),
])
def test_bad_images_are_refused(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        judge.digit_scores(bad)
