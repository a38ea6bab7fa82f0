"""The digit judge: accurate on real digits, and its scores order real > blurred > noise."""

import pytest
import torch
import torch.nn.functional as F

from lecturekit import checkpoint, data, judge
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


def test_the_shipped_judge_is_the_one_the_current_code_would_train():
    """The judge ships in lecturekit/models/ so that a cold notebook does not train it for minutes.
    Its file name carries the cache key (configs, version, judge.py's source): when judge.py or its
    settings change, this fails until the shipped copy is replaced by a freshly trained one
    (``rm lecturekit/models/digit-judge-*``, run ``pytest tests/test_judge.py`` with an empty
    LECTUREKIT_CACHE, then copy the new ``digit-judge-KEY.pt/.json`` from that cache)."""
    key = checkpoint.cache_key("digit-judge", model=judge.JUDGE_CONFIG["model"], train=judge.JUDGE_CONFIG["train"],
                               data={"name": "mnist_5k", "split": "train"}, code=(judge.DigitJudge, judge.fit_judge))
    shipped = sorted(p.name for p in checkpoint.SHIPPED_DIR.glob("*"))
    assert shipped == [f"{key}.json", f"{key}.pt"], shipped
    state, config, extras = checkpoint.load(checkpoint.SHIPPED_DIR / f"{key}.pt")
    assert config["train"] == judge.JUDGE_CONFIG["train"]
    assert extras["info"]["test_accuracy"] >= 0.97


def test_a_cold_cache_finds_the_shipped_judge(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_CACHE", str(tmp_path / "empty"))
    monkeypatch.delenv("LECTUREKIT_SHARED_CACHE", raising=False)
    key = checkpoint.cache_key("digit-judge", model=judge.JUDGE_CONFIG["model"], train=judge.JUDGE_CONFIG["train"],
                               data={"name": "mnist_5k", "split": "train"}, code=(judge.DigitJudge, judge.fit_judge))
    assert checkpoint.find(key) == checkpoint.SHIPPED_DIR / f"{key}.pt"
    assert [e["kind"] for e in checkpoint.entries()] == ["shipped"]


@pytest.mark.slow
def test_the_judge_trains_from_scratch_to_97_percent(tmp_path, monkeypatch):
    """What the shipped copy claims, done again here: the judge's own recipe, trained cold."""
    monkeypatch.setenv("LECTUREKIT_CACHE", str(tmp_path))
    x, y = data.mnist_5k("train")
    x_test, y_test = data.mnist_5k("test")
    model, history = checkpoint.cached(
        "digit-judge-retrained", build=judge.DigitJudge, model=judge.JUDGE_CONFIG["model"],
        fit=lambda m, **train: judge.fit_judge(m, x, y, progress=False, **train), train=judge.JUDGE_CONFIG["train"])
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(-1) == y_test).double().mean())
    print(f"judge trained from scratch: {accuracy:.1%} of the 1,000 test digits (needs ≥ 97%)")
    assert accuracy >= 0.97 and history.loss[-1] < history.loss[0]
