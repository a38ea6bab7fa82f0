import math

import pytest
import torch

from lecturekit import gan, gan_toys
from lecturekit.claims import ClaimError, check
from lecturekit.data import mode_centres, ring_of_gaussians
from lecturekit.utils import make_generator

# --------------------------------------------------------------------------- the 1-D game of Fig. 1


@pytest.mark.parametrize("loss", gan.LOSSES)
def test_1d_game_converges_to_the_data_and_d_to_one_half(loss):
    h = gan_toys.fit_1d(gan_toys.GAN1D(), k=2, loss=loss, num_steps=400, generator=make_generator(0))
    frames = h.info["frames"]
    assert frames["jsd"][0] > 0.5 and frames["jsd"][-1] < gan_toys.JSD_END_MAX
    assert abs(frames["mu"][-1] - 1.5) < gan_toys.MU_TOL and abs(frames["scale"][-1] - 0.5) < 0.1
    p_data, d = torch.tensor(frames["p_data"]), torch.tensor(frames["d"][-1])
    assert float((d[p_data > 0.1] - 0.5).abs().max()) < 0.1
    assert frames["step"] == list(range(0, 401, 10)) and len(h.series["d_loss"]) == 400


def test_the_1d_claims_fail_before_training():
    """Notebook 09 checks the final JSD and the mean of p_g; the untrained game (frame 0) fails both."""
    frames = gan_toys.fit_1d(gan_toys.GAN1D(), num_steps=1, snapshot_every=1, generator=make_generator(0)).info["frames"]
    with pytest.raises(ClaimError):
        check("final JSD", frames["jsd"][0], at_most=gan_toys.JSD_END_MAX)
    with pytest.raises(ClaimError):
        check("|mean of p_g - 1.5|", abs(frames["mu"][0] - 1.5), at_most=gan_toys.MU_TOL)


def test_cached_1d_trains_once_and_keys_on_the_training_settings(tmp_cache):
    _, h1 = gan_toys.cached_1d("t1d", train={"num_steps": 20, "snapshot_every": 10})
    torch.manual_seed(99)  # the cache seeds the training itself: the global RNG does not matter
    _, again = gan_toys.cached_1d("t1d", train={"num_steps": 20, "snapshot_every": 10})
    assert again.info["frames"] == h1.info["frames"] and len(list(tmp_cache.glob("t1d-*.pt"))) == 1
    _, h2 = gan_toys.cached_1d("t1d", train={"num_steps": 20, "snapshot_every": 10, "k": 2})
    assert h2.info["frames"]["mu"] != h1.info["frames"]["mu"] and len(list(tmp_cache.glob("t1d-*.pt"))) == 2


# --------------------------------------------------------------------------- the ring of eight Gaussians


def test_mode_coverage_counts_modes_and_quality():
    c = mode_centres("ring")
    cover = gan_toys.mode_coverage(ring_of_gaussians(2500, generator=make_generator(0)), c)
    assert cover["modes_captured"] == 8 and cover["hq_fraction"] > 0.97
    # all mass on two modes, plus 20% junk at the origin
    x = torch.cat([c[[0, 1]].repeat(1000, 1), torch.zeros(500, 2)])
    cover = gan_toys.mode_coverage(x, c)
    assert cover["modes_captured"] == 2 and cover["hq_fraction"] == pytest.approx(0.8)
    # a fifth of the fair share is the threshold: of 2,500 samples (fair share 312.5), 63 counts, 62 does not
    x = torch.cat([c[0].repeat(63, 1), c[1].repeat(62, 1), c[2].repeat(2375, 1)])
    assert gan_toys.mode_coverage(x, c)["counts"][:3] == [63, 62, 2375]
    assert gan_toys.mode_coverage(x, c)["modes_captured"] == 2
    # 3σ is the high-quality radius: 0.059 from a centre is in, 0.061 out
    x = c[[0, 0]] + torch.tensor([[0.059, 0.0], [0.061, 0.0]])
    assert gan_toys.mode_coverage(x, c)["counts"][0] == 1


def test_the_ring_claims_fail_on_an_untrained_gan():
    """Notebook 09 checks 8/8 modes and >= 90% high quality; an untrained GAN fails both."""
    model = gan.GAN()
    with torch.no_grad():
        cover = gan_toys.mode_coverage(model.sample(2500, generator=make_generator(0)), mode_centres("ring"))
    with pytest.raises(ClaimError):
        check("modes captured", cover["modes_captured"], at_least=gan_toys.MODES_MIN)
    with pytest.raises(ClaimError):
        check("high-quality share", cover["hq_fraction"], at_least=gan_toys.HQ_MIN)


def test_d_one_mode_is_d_star_on_a_generator_that_sits_on_one_mode():
    """D* = p_data / (p_data + p_g) at samples of p_g = N(c_0, std^2 I) (one of the eight modes) is 1/9."""
    c, std = mode_centres("ring").double(), gan_toys.RING["std"]
    x = c[0] + std * torch.randn(4000, 2, generator=make_generator(0), dtype=torch.float64)

    def normal(centre):
        return torch.exp(-((x - centre) ** 2).sum(1) / (2 * std**2)) / (2 * math.pi * std**2)

    p_data = sum(normal(ci) for ci in c) / len(c)
    d_star = p_data / (p_data + normal(c[0]))
    assert float(d_star.mean()) == pytest.approx(gan_toys.D_ONE_MODE, abs=1e-6)


def test_the_collapse_claims_fail_on_a_generator_that_covers_the_ring_and_on_an_untrained_gan():
    """Notebook 09 checks that the k = 5 minimax run holds at most COLLAPSED_MODES_MAX modes with mean
    D(G(z)) near 1/9; samples of the data themselves fail the first, an untrained GAN (D about 1/2) the second."""
    cover = gan_toys.mode_coverage(ring_of_gaussians(2500, generator=make_generator(0)), mode_centres("ring"))
    with pytest.raises(ClaimError):
        check("modes captured", cover["modes_captured"], at_most=gan_toys.COLLAPSED_MODES_MAX)
    torch.manual_seed(0)
    model = gan.GAN(pack=1)
    with torch.no_grad():
        d_fake = float(torch.sigmoid(model.d_net(model.sample(2500, generator=make_generator(0)))).mean())
    with pytest.raises(ClaimError):
        check("mean D(G(z))", d_fake, at_least=gan_toys.D_ONE_MODE - gan_toys.D_ONE_MODE_TOL,
              at_most=gan_toys.D_ONE_MODE + gan_toys.D_ONE_MODE_TOL)


def test_fit_ring_records_coverage_samples_and_snapshots_without_touching_the_global_rng():
    model = gan.GAN(hidden_dim=16, num_layers=2)
    state = torch.get_rng_state()
    h = gan_toys.fit_ring(model, num_steps=20, batch_size=64, snapshot_every=10, num_eval=200,
                          generator=make_generator(0))
    assert torch.equal(state, torch.get_rng_state())
    assert {"modes_captured", "hq_fraction", "counts", "samples", "d_fake", "snapshots"} <= set(h.info)
    assert len(h.info["samples"]) == 200 and [s for s, _ in h.info["snapshots"]] == [0, 10, 20]
    assert len(h.info["snapshots"][0][1]) == 500
    again = gan_toys.mode_coverage(torch.tensor(h.info["samples"]), mode_centres("ring"))
    assert again["counts"] == h.info["counts"]
    assert 0 <= h.info["d_fake"] <= 1


def test_fits_run_on_one_thread_and_restore_the_thread_count():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        h = gan_toys.fit_ring(gan.GAN(hidden_dim=8, num_layers=1), num_steps=2, batch_size=8, num_eval=8)
        assert torch.get_num_threads() == 2 and len(h.loss) == 2
        gan_toys.fit_1d(gan_toys.GAN1D(), num_steps=2, snapshot_every=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_cached_ring_trains_once_and_retrains_when_a_setting_changes(tmp_cache):
    small = {"hidden_dim": 8, "num_layers": 1}
    train = {"num_steps": 10, "batch_size": 32, "num_eval": 100}
    m1, h1 = gan_toys.cached_ring("tring", model=small, train=train)
    torch.manual_seed(7)
    m2, h2 = gan_toys.cached_ring("tring", model=small, train=train)
    assert h2.info["samples"] == h1.info["samples"]
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    gan_toys.cached_ring("tring", model=small, train={**train, "lr": 5e-4})
    assert len(list(tmp_cache.glob("tring-*.pt"))) == 2


# --------------------------------------------------------------------------- bad input names the argument

_C = mode_centres("ring")


def test_cached_rings_trains_the_missing_runs_in_workers_and_gives_cached_rings_models(tmp_cache):
    small = {"hidden_dim": 8, "num_layers": 1}
    runs = {f"par{k}": {"model": small, "train": {"num_steps": 10 * k, "batch_size": 32, "num_eval": 100, "k": k}}
            for k in (1, 2)}
    out = gan_toys.cached_rings(runs, workers=2)
    assert len(list(tmp_cache.glob("par*.pt"))) == 2  # saved by the workers
    for name, spec in runs.items():
        model, history = gan_toys.cached_ring(name, **spec)
        assert out[name][1].info["samples"] == history.info["samples"]
        assert all(torch.equal(a, b) for a, b in zip(out[name][0].state_dict().values(), model.state_dict().values()))
    _, here = gan_toys.cached_ring("here2", **runs["par2"])  # another name: trained in this process
    assert here.info["samples"] == out["par2"][1].info["samples"] and len(here.loss) == 20

BAD_INPUTS = {
    "GAN1D": [
        (lambda: gan_toys.GAN1D(g_scale=0.0), ValueError, "scale must be a positive number"),
        (lambda: gan_toys.GAN1D(g_mu=math.inf), ValueError, "mu must be a finite number"),
        (lambda: gan_toys.GAN1D(hidden_dim=0), ValueError, "hidden_dim must be a positive integer"),
        (lambda: gan_toys.GAN1D(num_layers=-1), ValueError, "num_layers must be a positive integer"),
        (lambda: gan_toys.GAN1D(g_scale="1"), TypeError, "scale must be a positive number"),
        (lambda: gan_toys.GAN1D().sample(0), ValueError, "n must be a positive integer"),
    ],
    "fit_1d": [
        (lambda: gan_toys.fit_1d(gan.GAN()), TypeError, "model must be a lecturekit.gan_toys.GAN1D"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), data_sigma=0), ValueError, "data_sigma must be a positive"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), data_mu=math.nan), ValueError, "data_mu must be a finite"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), snapshot_every=0), ValueError, "snapshot_every must be a positive"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), k=0), ValueError, "k must be a positive integer"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), grid=torch.zeros(3, 2)), ValueError, "grid must have 1 axes"),
        (lambda: gan_toys.fit_1d(gan_toys.GAN1D(), generator="0"), TypeError, "generator must be a torch.Generator"),
    ],
    "cached_1d": [
        (lambda: gan_toys.cached_1d("x", train={"data_mu": 0.0}), ValueError, "train must not set data_mu"),
        (lambda: gan_toys.cached_1d("x", train={"generator": 1}), ValueError, "train must not set generator"),
        (lambda: gan_toys.cached_1d("x", train=[("k", 1)]), TypeError, "train must be a dict"),
        (lambda: gan_toys.cached_1d("a/b"), ValueError, "name must be a non-empty file name"),
        (lambda: gan_toys.cached_1d("x", model={"g_scale": -1.0}), ValueError, "scale must be a positive number"),
    ],
    "mode_coverage": [
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 3), _C), ValueError, r"samples must have shape \(N, 2\)"),
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 2).numpy(), _C), TypeError, "samples must be a torch.Tensor"),
        (lambda: gan_toys.mode_coverage(torch.full((5, 2), math.nan), _C), ValueError, "samples must hold finite"),
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 2), _C[0]), ValueError, "centres must have 2 axes"),
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 2), _C, std=0), ValueError, "std must be a positive number"),
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 2), _C, num_std=-3), ValueError, "num_std must be a positive"),
        (lambda: gan_toys.mode_coverage(torch.zeros(5, 2), _C, min_share=2), ValueError, "min_share must be a number in"),
        (lambda: gan_toys.mode_coverage(torch.zeros(0, 2), _C), ValueError, "samples must not be empty"),
    ],
    "fit_ring": [
        (lambda: gan_toys.fit_ring(gan_toys.GAN1D()), TypeError, "model must be a lecturekit.gan.GAN"),
        (lambda: gan_toys.fit_ring(gan.GAN(data_dim=3)), ValueError, "model must make 2-D samples"),
        (lambda: gan_toys.fit_ring(gan.GAN(), batch_size=33), ValueError, "batch_size must be a multiple of"),
        (lambda: gan_toys.fit_ring(gan.GAN(), num_eval=2501), ValueError, "num_eval must be a multiple of"),
        (lambda: gan_toys.fit_ring(gan.GAN(), std=0.0), ValueError, "std must be a positive number"),
        (lambda: gan_toys.fit_ring(gan.GAN(), num_steps=0), ValueError, "num_steps must be a positive integer"),
        (lambda: gan_toys.fit_ring(gan.GAN(), generator=3), TypeError, "generator must be a torch.Generator"),
    ],
    "cached_ring": [
        (lambda: gan_toys.cached_ring("x", train={"std": 0.1}), ValueError, "train must not set std"),
        (lambda: gan_toys.cached_ring("x", train="fast"), TypeError, "train must be a dict"),
        (lambda: gan_toys.cached_ring("", train={}), ValueError, "name must be a non-empty file name"),
        (lambda: gan_toys.cached_ring("x", model={"pack": 0}), ValueError, "pack must be a positive integer"),
        (lambda: gan_toys.cached_ring("x", model=[1]), TypeError, "model must be a dict"),
    ],
    "cached_rings": [
        (lambda: gan_toys.cached_rings({}), TypeError, "runs must be a non-empty dict"),
        (lambda: gan_toys.cached_rings([("x", {})]), TypeError, "runs must be a non-empty dict"),
        (lambda: gan_toys.cached_rings({"x": {"lr": 1e-3}}), ValueError, "must be a dict with the keys"),
        (lambda: gan_toys.cached_rings({"x": {"train": {"std": 0.1}}}), ValueError, "train must not set std"),
        (lambda: gan_toys.cached_rings({"x": {}}, workers=0), ValueError, "workers must be a positive integer"),
        (lambda: gan_toys.cached_rings({"": {}}), ValueError, "name must be a non-empty file name"),
    ],
}


@pytest.mark.parametrize("call, exc, match", [case for cases in BAD_INPUTS.values() for case in cases],
                         ids=[f"{name}-{i}" for name, cases in BAD_INPUTS.items() for i in range(len(cases))])
def test_bad_input_names_the_argument(call, exc, match, tmp_cache):
    with pytest.raises(exc, match=match):
        call()


def test_every_public_entry_point_has_five_bad_inputs():
    public = [name for name in gan_toys.__all__ if callable(getattr(gan_toys, name))]
    assert sorted(public) == sorted(BAD_INPUTS), "a public name of lecturekit.gan_toys has no row in BAD_INPUTS"
    assert all(len(cases) >= 5 for cases in BAD_INPUTS.values())
