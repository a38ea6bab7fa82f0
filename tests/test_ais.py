"""Exact log-partition by enumeration and AIS: AIS agrees with the exact value within 0.1 nats on a
10-hidden-unit RBM over 784 pixels, and converges as the number of intermediate distributions grows."""

from __future__ import annotations

import math

import pytest
import torch

from lecturekit import ais, boltzmann as bm, data
from lecturekit.utils import make_generator, seeded


@pytest.fixture(scope="module")
def mnist_rbm():
    """A 784-10 RBM trained for 10 epochs on 2,000 binarized digits, and its data."""
    x, _ = data.mnist_5k("train", binarize=True)
    x = x.flatten(1)[:2000]
    with seeded(0):
        rbm = bm.RBM(784, 10)
    bm.fit_rbm(rbm, x, num_epochs=10, lr=0.5, generator=make_generator(0), progress=False)
    return rbm, x


def test_exact_log_partition_enumerates_the_smaller_layer():
    g = make_generator(0)
    rbm = bm.RBM(12, 5).double()
    with torch.no_grad():
        for p in rbm.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    wide = bm.RBM(5, 12).double()  # the same model with the layers swapped
    with torch.no_grad():
        wide.W.copy_(rbm.W.T)
        wide.b.copy_(rbm.c)
        wide.c.copy_(rbm.b)
    assert float(ais.log_partition_exact(rbm)) == pytest.approx(float(ais.log_partition_exact(wide)), abs=1e-10)
    # chunking does not change the sum
    chunked = float(ais.log_partition_exact(rbm, chunk_size=3))
    assert chunked == pytest.approx(float(ais.log_partition_exact(rbm)), abs=1e-10)


def test_exact_log_partition_of_an_empty_model_is_counting():
    rbm = bm.RBM(7, 3)
    with torch.no_grad():
        rbm.W.zero_()
    assert float(ais.log_partition_exact(rbm)) == pytest.approx(10 * math.log(2), abs=1e-5)


@pytest.fixture(scope="module")
def ais_runs(mnist_rbm):
    """Three seeded AIS runs of 100 chains at 10, 100 and 1,000 temperatures."""
    rbm, x = mnist_rbm
    base = ais.base_rate_bias(x)
    return {num: [ais.ais_log_partition(rbm, base, num_chains=100, num_temperatures=num, generator=make_generator(s))
                  for s in range(3)]
            for num in (10, 100, 1000)}


def test_ais_matches_exact_within_a_tenth_of_a_nat(mnist_rbm, ais_runs):
    rbm, _ = mnist_rbm
    exact = float(ais.log_partition_exact(rbm))
    for est in ais_runs[1000]:
        assert abs(est.log_z - exact) < 0.1
        assert est.log_z_low - 0.05 < exact < est.log_z_high + 0.05
        assert est.log_weights.shape == (100,)
    # the three runs pooled: 300 importance weights
    pooled = torch.cat([est.log_weights for est in ais_runs[1000]])
    assert abs(float(torch.logsumexp(pooled, 0)) - math.log(300) - exact) < 0.05


def test_ais_converges_as_the_number_of_temperatures_grows(mnist_rbm, ais_runs):
    rbm, _ = mnist_rbm
    exact = float(ais.log_partition_exact(rbm))
    # mean absolute error over three seeds
    errors = [sum(abs(est.log_z - exact) for est in ais_runs[k]) / 3 for k in (10, 100, 1000)]
    assert errors[0] > 3 * errors[1] > 9 * errors[2]
    assert errors[0] > 0.5 and errors[2] < 0.1


def test_ais_on_the_base_rate_model_is_exact():
    """With W = 0, c = 0 and b = b_A, every importance weight is the same: no variance."""
    x = (torch.rand(50, 6, generator=make_generator(0)) < 0.3).float()
    rbm = bm.RBM(6, 4)
    base = ais.base_rate_bias(x)
    with torch.no_grad():
        rbm.W.zero_()
        rbm.b.copy_(base)
    est = ais.ais_log_partition(rbm, base, num_chains=5, num_temperatures=20)
    assert est.log_z == pytest.approx(float(ais.log_partition_exact(rbm)), abs=1e-4)
    assert est.log_z_high - est.log_z_low < 1e-4


def test_log_likelihood_is_a_normalized_probability():
    rbm = bm.RBM(5, 3).double()
    with torch.no_grad():
        rbm.W.normal_()
    xs = torch.tensor([[float(b) for b in f"{i:05b}"] for i in range(32)], dtype=torch.float64)
    log_p = torch.tensor([ais.log_likelihood(rbm, xs[i : i + 1]) for i in range(32)], dtype=torch.float64)
    assert float(torch.logsumexp(log_p, 0)) == pytest.approx(0.0, abs=1e-10)


def test_base_rate_bias_is_the_logit_of_the_marginals():
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    b = ais.base_rate_bias(x, pseudocount=0.5)
    p = torch.tensor([3.5 / 5, 1.5 / 5])
    torch.testing.assert_close(b, torch.log(p / (1 - p)))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="rbm must have at most 20"):
        ais.log_partition_exact(bm.RBM(30, 25))
    rbm = bm.RBM(4, 3)
    with pytest.raises(ValueError, match="num_temperatures"):
        ais.ais_log_partition(rbm, num_temperatures=1)
    with pytest.raises(TypeError, match="generator"):
        ais.ais_log_partition(rbm, generator="seed 0")
    with pytest.raises(ValueError, match="base_bias must have shape"):
        ais.base_rate_log_likelihood(torch.ones(3, 4), torch.zeros(5))
    with pytest.raises(ValueError, match="x must have 3 columns"):
        ais.log_likelihood(bm.RBM(3, 2), torch.ones(2, 4))
    with pytest.raises(ValueError, match="num_chains"):
        ais.ais_log_partition(rbm, num_chains=0)
    with pytest.raises(ValueError, match="base_bias"):
        ais.ais_log_partition(rbm, torch.zeros(5))
    with pytest.raises(ValueError, match="x must be binary"):
        ais.base_rate_bias(torch.rand(4, 4))


def test_temperatures_run_from_zero_to_one_and_crowd_near_one():
    for num in (2, 5, 10, 1000):
        taus = ais.temperatures(num, dtype=torch.float64)
        assert taus.shape == (num,) and taus[0] == 0 and taus[-1] == 1
        assert (taus.diff() > 0).all()
    taus = ais.temperatures(1000, dtype=torch.float64)
    assert int((taus >= 0.9).sum()) >= 500  # half the steps where the distributions change fastest


def test_log_p_star_interpolates_the_base_rate_model_and_the_target():
    rbm = bm.RBM(6, 4).double()
    with torch.no_grad():
        for p in rbm.parameters():
            p.copy_(torch.randn(p.shape, generator=make_generator(2), dtype=torch.float64))
    x = (torch.rand(7, 6, generator=make_generator(3)) < 0.5).double()
    b0 = torch.randn(6, generator=make_generator(4), dtype=torch.float64)
    H = rbm.num_hidden
    torch.testing.assert_close(ais.log_p_star(x, 0.0, rbm, b0), x @ b0 + H * math.log(2))
    torch.testing.assert_close(ais.log_p_star(x, 1.0, rbm, b0), -rbm.free_energy(x).detach())


def test_base_rate_log_likelihood_is_an_rbm_without_weights():
    """Independent pixels = an RBM with W = 0 and c = 0, whose log Z is exact."""
    x, _ = data.mnist_5k("test", binarize=True)
    x = x.flatten(1)[:200]
    b0 = ais.base_rate_bias(x)
    rbm = bm.RBM(784, 3).double()
    with torch.no_grad():
        rbm.W.zero_()
        rbm.b.copy_(b0)
    x, b0 = x.double(), b0.double()
    assert ais.base_rate_log_likelihood(x, b0) == pytest.approx(ais.log_likelihood(rbm, x), abs=1e-8)


def test_ais_runs_on_the_model_device_with_a_cpu_generator(device):
    rbm = bm.RBM(8, 3).to(device)
    with torch.no_grad():
        rbm.W.normal_()
    a = ais.ais_log_partition(rbm, num_chains=20, num_temperatures=50, generator=make_generator(0))
    b = ais.ais_log_partition(rbm, num_chains=20, num_temperatures=50, generator=make_generator(0))
    assert a.log_z == b.log_z and a.log_weights.device.type == device.type
    assert a.log_z == pytest.approx(float(ais.log_partition_exact(rbm)), abs=0.5)


def test_an_absurd_number_of_temperatures_warns_and_ctrl_c_stops_it(monkeypatch):
    calls = []

    def interrupted(*args):
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(ais, "_log_p_star", interrupted)  # the annealing step (log_p_star without the checks)
    with pytest.warns(UserWarning, match="num_temperatures=100,000,000 is over"), pytest.raises(KeyboardInterrupt):
        ais.ais_log_partition(bm.RBM(4, 2), num_temperatures=10**8)
    assert calls == [1]


def test_the_ais_claim_fails_with_too_few_temperatures_and_the_base_rate_claim_with_uniform_pixels(mnist_rbm):
    from lecturekit.claims import ClaimError, check

    rbm, x = mnist_rbm
    exact = float(ais.log_partition_exact(rbm))
    base = ais.base_rate_bias(x)
    good = ais.ais_log_partition(rbm, base, num_chains=500, num_temperatures=1000, generator=make_generator(0))
    check("AIS error", abs(good.log_z - exact), at_most=ais.AIS_MAX_ERROR)
    broken = ais.ais_log_partition(rbm, None, num_chains=500, num_temperatures=10, generator=make_generator(0))
    with pytest.raises(ClaimError):  # a uniform start and ten temperatures: far off
        check("AIS error", abs(broken.log_z - exact), at_most=ais.AIS_MAX_ERROR)
    x_test, _ = data.mnist_5k("test", binarize=True)
    low, high = ais.BASE_RATE_RANGE
    x_train, _ = data.mnist_5k("train", binarize=True)
    check("base rate", ais.base_rate_log_likelihood(x_test, ais.base_rate_bias(x_train)), at_least=low, at_most=high)
    with pytest.raises(ClaimError):  # uniform pixels
        check("base rate", ais.base_rate_log_likelihood(x_test, torch.zeros(784)), at_least=low, at_most=high)
