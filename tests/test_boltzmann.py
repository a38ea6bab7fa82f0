"""RBM, DBN and DBM: energies, free energies and conditionals against brute-force enumeration
(float64), Gibbs sampling against the exact distribution, training that raises the exact
log-likelihood, and errors that name the argument."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import ais, boltzmann as bm
from lecturekit.claims import ClaimError, check
from lecturekit.utils import bernoulli, make_generator


def all_states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def tiny_rbm(d=4, h=3, scale=1.0, seed=0) -> bm.RBM:
    g = make_generator(seed)
    rbm = bm.RBM(d, h).double()
    with torch.no_grad():
        rbm.W.copy_(scale * torch.randn(d, h, generator=g, dtype=torch.float64))
        rbm.b.copy_(scale * torch.randn(d, generator=g, dtype=torch.float64))
        rbm.c.copy_(scale * torch.randn(h, generator=g, dtype=torch.float64))
    return rbm


def joint_log_table(rbm: bm.RBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-E(x, z) for every (x, z) pair: a (2^D, 2^H) table."""
    xs, zs = all_states(rbm.num_visible), all_states(rbm.num_hidden)
    xx = xs.repeat_interleave(len(zs), 0)
    zz = zs.repeat(len(xs), 1)
    return -rbm.energy(xx, zz).reshape(len(xs), len(zs)).detach(), xs, zs


def test_energy_matches_the_definition():
    rbm = tiny_rbm()
    x, z = torch.tensor([[1.0, 0, 1, 1]], dtype=torch.float64), torch.tensor([[0.0, 1, 1]], dtype=torch.float64)
    by_hand = -(x @ rbm.W @ z.T).item() - (x @ rbm.b).item() - (z @ rbm.c).item()
    assert rbm.energy(x, z).item() == pytest.approx(by_hand, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(1, 5), h=st.integers(1, 4), scale=st.floats(0.1, 3.0), seed=st.integers(0, 1000))
def test_free_energy_and_conditionals_match_enumeration(d, h, scale, seed):
    rbm = tiny_rbm(d, h, scale, seed)
    table, xs, zs = joint_log_table(rbm)
    # F(x) = -log sum_z exp(-E(x, z))
    torch.testing.assert_close(rbm.free_energy(xs).detach(), -torch.logsumexp(table, 1), rtol=0, atol=1e-10)
    # p(z_j = 1 | x) = sum over z with z_j = 1 of p(z | x)
    p_z = torch.softmax(table, 1)
    torch.testing.assert_close(rbm.p_z_given_x(xs).detach(), p_z @ zs, rtol=0, atol=1e-10)
    p_x = torch.softmax(table, 0)  # columns: p(x | z)
    torch.testing.assert_close(rbm.p_x_given_z(zs).detach(), p_x.T @ xs, rtol=0, atol=1e-10)
    # log Z by enumeration of either layer equals the brute-force double sum
    assert float(ais.log_partition_exact(rbm)) == pytest.approx(float(torch.logsumexp(table.flatten(), 0)), abs=1e-10)


def test_gibbs_sampling_reaches_the_exact_distribution():
    rbm = tiny_rbm(3, 2, scale=1.0, seed=3)
    table, xs, _ = joint_log_table(rbm)
    p_exact = torch.softmax(torch.logsumexp(table, 1), 0)
    g = make_generator(0)
    x = rbm.sample(20000, num_sweeps=30, generator=g)  # mean images; draw the last binary state
    x = bernoulli(x, generator=g)
    codes = (x * torch.tensor([4.0, 2.0, 1.0], dtype=x.dtype)).sum(1).long()
    p_emp = torch.bincount(codes, minlength=8).double() / len(codes)
    assert 0.5 * (p_emp - p_exact).abs().sum() < 0.02


def test_keep_chain_returns_every_sweep():
    rbm = tiny_rbm(4, 3)
    chain = rbm.sample(5, num_sweeps=7, keep_chain=True, generator=make_generator(0))
    assert chain.frames.shape == (8, 5, 4) and chain.num_sweeps == 7
    assert set(chain.frames[0].unique().tolist()) <= {0.0, 1.0}  # the start is binary noise
    assert ((chain.frames[1:] > 0) & (chain.frames[1:] < 1)).all()  # later frames are p(x = 1 | z)


def bars(n=400, seed=0) -> torch.Tensor:
    """Binary 3x3 images of one horizontal or vertical bar, with 5% flipped pixels."""
    g = make_generator(seed)
    protos = []
    for i in range(3):
        img = torch.zeros(3, 3)
        img[i] = 1
        protos += [img.flatten(), img.T.flatten()]
    x = torch.stack(protos)[torch.randint(6, (n,), generator=g)]
    flip = torch.rand(x.shape, generator=g) < 0.05
    return torch.where(flip, 1 - x, x)


@pytest.mark.parametrize("method,k", [("cd", 1), ("cd", 5), ("pcd", 1)])
def test_training_raises_the_exact_log_likelihood(method, k):
    x = bars()
    rbm = bm.RBM(9, 6)
    before = ais.log_likelihood(rbm, x)
    history = bm.fit_rbm(rbm, x, method=method, k=k, num_epochs=20, batch_size=20, lr=1.0,
                         generator=make_generator(0), progress=False)
    after = ais.log_likelihood(rbm, x)
    assert len(history.loss) == 20 * 20
    # uniform over 9 bits is -6.24 nats; the bars need far fewer
    assert before < -5.5 and after > before + 1.5


def test_dbn_trains_two_layers_and_samples_images():
    x = bars(200)
    dbn = bm.DBN(9, (6, 4))
    history = bm.fit_dbn(dbn, x, num_epochs=5, batch_size=20, generator=make_generator(0), progress=False)
    assert len(history.series["loss1"]) == len(history.series["loss2"]) == 50 and len(history.loss) == 100
    chain = dbn.sample(7, num_sweeps=10, keep_chain=True, generator=make_generator(1))
    assert chain.frames.shape == (11, 7, 9)
    assert ((chain.frames >= 0) & (chain.frames <= 1)).all()
    # ancestral samples of a trained DBN look like bars: mostly 3 pixels on
    imgs = dbn.sample(500, num_sweeps=50, generator=make_generator(2))
    assert 2.0 < float(imgs.sum(1).mean()) < 4.5


def tiny_dbm(seed=0) -> bm.DBM:
    g = make_generator(seed)
    dbm = bm.DBM(3, (2, 2)).double()
    with torch.no_grad():
        for p in dbm.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return dbm


def test_dbm_conditionals_match_enumeration():
    dbm = tiny_dbm()
    s3, s2 = all_states(3), all_states(2)
    grid = [(x, z1, z2) for x in s3 for z1 in s2 for z2 in s2]
    X, Z1, Z2 = (torch.stack(t) for t in zip(*grid))
    logp = -dbm.energy(X, Z1, Z2).detach().reshape(8, 4, 4)
    # p(z1 | x, z2) from the table, for x = state 5 and z2 = state 2
    cond = torch.softmax(logp[5, :, 2], 0)
    torch.testing.assert_close(dbm.p_z1(s3[5:6], s2[2:3]).detach()[0], cond @ s2, rtol=0, atol=1e-10)
    cond = torch.softmax(logp[:, 1, 3], 0)  # p(x | z1 = state 1): independent of z2
    torch.testing.assert_close(dbm.p_x(s2[1:2]).detach()[0], cond @ s3, rtol=0, atol=1e-10)
    cond = torch.softmax(logp[0, 3, :], 0)
    torch.testing.assert_close(dbm.p_z2(s2[3:4]).detach()[0], cond @ s2, rtol=0, atol=1e-10)


def test_dbm_mean_field_is_a_fixed_point():
    dbm = tiny_dbm(1)
    x = all_states(3)
    mu1, mu2 = dbm.mean_field(x, num_sweeps=200)
    torch.testing.assert_close(mu1, dbm.p_z1(x, mu2), rtol=0, atol=1e-8)
    torch.testing.assert_close(mu2, dbm.p_z2(mu1), rtol=0, atol=1e-8)


def test_dbm_training_moves_samples_towards_the_data():
    x = bars(300)
    dbm = bm.DBM(9, (8, 4))
    history = bm.fit_dbm(dbm, x, num_epochs=20, batch_size=20, lr=0.05, num_chains=50,
                         generator=make_generator(0), progress=False)
    assert len(history.loss) == 20 * 15 and all(math.isfinite(v) for v in history.loss)
    imgs = dbm.sample(500, num_sweeps=100, generator=make_generator(1))
    # bars have 3 of 9 pixels on; an untrained model sits near 4.5
    assert float(imgs.sum(1).mean()) < 4.0
    assert dbm.sample(3, num_sweeps=4, keep_chain=True).frames.shape == (5, 3, 9)


def test_dbm_starts_from_a_dbn():
    dbn = bm.DBN(9, (6, 4))
    dbm = bm.DBM(9, (6, 4)).init_from_dbn(dbn)
    torch.testing.assert_close(dbm.W1, dbn.rbm1.W)
    torch.testing.assert_close(dbm.W2, dbn.rbm2.W)


def test_bad_inputs_name_the_argument():
    rbm = bm.RBM(4, 3)
    with pytest.raises(ValueError, match="x must be binary"):
        bm.fit_rbm(rbm, torch.full((5, 4), 0.5))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        bm.fit_rbm(rbm, torch.ones(5, 4), k=0)
    with pytest.raises(ValueError, match="num_hidden must be a positive integer"):
        bm.RBM(4, 0)
    with pytest.raises(ValueError, match="hidden_dims"):
        bm.DBN(4, (3, 0))
    with pytest.raises(ValueError, match="hidden_dims"):
        bm.DBM(4, (3,))
    with pytest.raises(ValueError, match="method must be one of"):
        bm.fit_rbm(rbm, torch.ones(5, 4), method="pcd10")
    with pytest.raises(ValueError, match="num_visible"):
        bm.fit_rbm(rbm, torch.ones(5, 6))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        bm.fit_dbm(bm.DBM(4, (2, 2)), [[0, 1, 0, 1]])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        bm.fit_dbm(bm.DBM(4, (2, 2)), torch.ones(5, 4), k=0)
    with pytest.raises(ValueError, match="num_sweeps"):
        rbm.sample(2, num_sweeps=0)
    with pytest.raises(ValueError, match="num_sweeps"):
        bm.DBN(4, (3, 2)).sample(2, num_sweeps=-1)
    with pytest.raises(ValueError, match="num_sweeps"):
        bm.DBM(4, (3, 2)).mean_field(torch.ones(2, 4), num_sweeps=0)
    with pytest.raises(TypeError, match="generator"):
        rbm.sample(2, num_sweeps=3, generator=0)
    with pytest.raises(ValueError, match="x0 must have 4 columns"):
        rbm.sample(num_sweeps=3, x0=torch.ones(2, 5))
    with pytest.raises(ValueError, match="x0 must be binary"):
        bm.DBM(4, (3, 2)).sample(num_sweeps=3, x0=torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="x must have 4 columns"):
        bm.fit_dbm(bm.DBM(4, (2, 2)), torch.ones(5, 6))


def test_images_are_flattened():
    x = torch.ones(3, 1, 2, 2)
    assert bm.check_binary("x", x).shape == (3, 4)


def test_build_makes_each_kind_and_takes_model_arguments_only():
    assert isinstance(bm.build(kind="rbm", num_visible=9, hidden_dims=[4]), bm.RBM)
    assert isinstance(bm.build(kind="dbn", num_visible=9, hidden_dims=[4, 3]), bm.DBN)
    assert isinstance(bm.build(kind="dbm", num_visible=9, hidden_dims=[4, 3]), bm.DBM)
    with pytest.raises(TypeError):
        bm.build(kind="rbm", hidden_dims=[4], train={"num_epochs": 3})
    with pytest.raises(ValueError, match="kind must be one of"):
        bm.build(kind="vae")


def test_samplers_are_reproducible_with_a_cpu_generator_on_the_model_device(device):
    """One convention: a CPU generator drives chains wherever the model lives (CUDA included)."""
    x0 = bars(6)
    for model in (tiny_rbm(9, 4), bm.DBN(9, (4, 3)).double(), bm.DBM(9, (4, 3)).double()):
        model = model.to(device)
        a = model.sample(6, num_sweeps=5, x0=x0, generator=make_generator(3))
        b = model.sample(6, num_sweeps=5, x0=x0, generator=make_generator(3))
        c = model.sample(6, num_sweeps=5, x0=x0, generator=make_generator(4))
        assert a.device.type == device.type and a.shape == (6, 9)
        torch.testing.assert_close(a, b)
        assert not torch.equal(a, c)


def test_chains_can_start_at_the_hidden_states_of_given_images():
    x0 = bars(5, seed=1).double()
    rbm = tiny_rbm(9, 4)
    assert torch.equal(rbm.sample(num_sweeps=2, x0=x0, keep_chain=True).frames[0], x0)
    dbm = bm.DBM(9, (4, 3)).double()
    assert torch.equal(dbm.sample(num_sweeps=2, x0=x0, keep_chain=True).frames[0], x0)
    dbn = bm.DBN(9, (4, 3)).double()
    chain = dbn.sample(num_sweeps=2, x0=x0, keep_chain=True, generator=make_generator(0))
    assert chain.frames.shape == (3, 5, 9)  # the number of chains comes from x0


def test_training_is_reproducible_from_its_generator():
    x = bars(100)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        rbm = bm.RBM(9, 4)
        torch.manual_seed(123)  # the global RNG does not matter: the generator does
        bm.fit_rbm(rbm, x, method="pcd", num_epochs=2, batch_size=20, generator=make_generator(7), progress=False)
        runs.append(rbm.W.detach().clone())
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)


def test_cached_training_does_not_depend_on_what_ran_before(tmp_cache):
    """Cold (trained now) and warm (loaded) give the same model, whatever the global RNG held."""
    from lecturekit.checkpoint import cached

    x = bars(100)

    def fit(model, *, generator, **train):
        history = bm.fit_rbm(model, x, generator=generator, progress=False, **train)
        history.info["log_likelihood"] = ais.log_likelihood(model, x)
        return history

    spec = dict(build=bm.build, model={"kind": "rbm", "num_visible": 9, "hidden_dims": [4]}, fit=fit,
                train={"method": "pcd", "num_epochs": 2, "batch_size": 20, "seed": 0}, data={"name": "bars"})
    torch.manual_seed(1)
    cold, h_cold = cached("bars-rbm", **spec)
    torch.rand(1000)  # move the global RNG on
    warm, h_warm = cached("bars-rbm", **spec)
    other, _ = cached("bars-rbm", **{**spec, "train": {**spec["train"], "num_epochs": 3}})
    torch.testing.assert_close(cold.W, warm.W, rtol=0, atol=0)
    assert h_cold["log_likelihood"] == h_warm["log_likelihood"]
    assert not torch.equal(cold.W, other.W)  # a training setting is part of the key
    assert len(list(tmp_cache.glob("bars-rbm-*.pt"))) == 2


def test_long_chains_show_a_progress_bar_warn_when_absurd_and_stop_on_ctrl_c(monkeypatch, capsys):
    from tqdm.auto import tqdm

    rbm = tiny_rbm(4, 3)
    rbm.sample(2, num_sweeps=3, progress=True)
    assert "RBM Gibbs" in capsys.readouterr().err
    rbm.sample(2, num_sweeps=3)  # TQDM_DISABLE=1 in the tests: no bar
    assert capsys.readouterr().err == ""
    calls = []

    def interrupted(x, generator=None):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return bm.RBM._gibbs(rbm, x, generator)

    monkeypatch.setattr(rbm, "_gibbs", interrupted)  # the chain's sweep (gibbs_step without the argument checks)
    with pytest.warns(UserWarning, match="num_sweeps=1,000,000,000 is over"), pytest.raises(KeyboardInterrupt):
        rbm.sample(2, num_sweeps=10**9, progress=True)
    assert len(calls) == 3 and not getattr(tqdm, "_instances", set())  # stopped at once, bar closed


# ---- the notebook's checked claims: each threshold fails on an untrained or broken model ----


def test_the_enumeration_claims_fail_for_a_wrong_free_energy():
    rbm = tiny_rbm(5, 4, seed=0)
    table, xs, _ = joint_log_table(rbm)
    with torch.no_grad():
        check("free energy", (rbm.free_energy(xs) + table.logsumexp(1)).abs().max(), at_most=1e-10)
        forgets_b = -torch.nn.functional.softplus(xs @ rbm.W + rbm.c).sum(-1)
        with pytest.raises(ClaimError):
            check("free energy", (forgets_b + table.logsumexp(1)).abs().max(), at_most=1e-10)


@pytest.fixture(scope="module")
def digits():
    from lecturekit import data

    x, _ = data.mnist_5k("train", binarize=True)
    x_test, _ = data.mnist_5k("test", binarize=True)
    return x.flatten(1), x_test.flatten(1)


def test_an_untrained_rbm_fails_every_test_log_likelihood_claim(digits):
    x, x_test = digits
    base = ais.base_rate_bias(x)
    scores = []
    for seed in (1, 2):  # two untrained 784-100 RBMs, scored as the notebook scores its trained ones
        torch.manual_seed(seed)
        rbm = bm.build(kind="rbm", hidden_dims=[100])
        est = ais.ais_log_partition(rbm, base, num_chains=100, num_temperatures=1000, generator=make_generator(1))
        scores.append(ais.log_likelihood(rbm, x_test, est.log_z))
    assert all(v < -500 for v in scores)  # about 784 log(1/2)
    for name in bm.RBM_METHODS:
        with pytest.raises(ClaimError):
            check(f"{name} test log-likelihood", scores[0], at_least=bm.MIN_TEST_LOGLIK[name], unit="nats")
    # the base-rate model (visible biases only) sits below every threshold too
    base_rate = ais.base_rate_log_likelihood(x_test, base)
    assert all(base_rate < t for t in bm.MIN_TEST_LOGLIK.values())
    with pytest.raises(ClaimError):  # one untrained model does not beat another
        check("PCD minus CD-1", scores[1] - scores[0], at_least=bm.MIN_PCD_GAIN)


def _classes_of(model, starts):
    from lecturekit import judge

    samples = model.sample(100, num_sweeps=bm.SAMPLE_SWEEPS, x0=starts, generator=make_generator(0), progress=False)
    return judge.digit_scores(samples.reshape(-1, 1, 28, 28)).classes_hit


def test_untrained_or_collapsed_deep_models_fail_the_diversity_claim(digits):
    from lecturekit import judge

    x, x_test = digits
    starts = x[torch.randperm(len(x), generator=make_generator(1))[:100]]
    for kind in ("dbn", "dbm"):
        model = bm.build(kind=kind, hidden_dims=bm.DEEP_HIDDEN)
        hit = _classes_of(model, starts)
        with pytest.raises(ClaimError):
            check(f"untrained {kind} digit classes", hit, at_least=bm.MIN_CLASSES, digits=0)
    # the old failure: every chain in the same mode
    collapsed = judge.digit_scores(x_test[:1].repeat(100, 1).reshape(-1, 1, 28, 28)).classes_hit
    with pytest.raises(ClaimError):
        check("collapsed chains", collapsed, at_least=bm.MIN_CLASSES, digits=0)
    # and 100 real digits pass: the threshold is reachable
    assert judge.digit_scores(x_test[:100].reshape(-1, 1, 28, 28)).classes_hit >= bm.MIN_CLASSES
