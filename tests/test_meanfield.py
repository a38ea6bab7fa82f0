"""Mean-field VI: unbiased gradient estimators, their variances, the 1 − ρ² shrinkage, BBVI."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import meanfield as M


def square(z):
    return (z**2).sum(-1)


def sin_sum(z):
    return torch.sin(z).sum(-1)


def sin_expectation(m, s):
    """E[sin Z] = sin(m) exp(−s²/2) for Z ~ N(m, s²)."""
    return (torch.sin(m) * torch.exp(-0.5 * s**2)).sum()


CASES = [(square, M.square_expectation), (sin_sum, sin_expectation)]


@pytest.mark.parametrize("estimator", M.ESTIMATORS)
@pytest.mark.parametrize("f, expectation", CASES, ids=["square", "sin"])
def test_estimators_are_unbiased(estimator, f, expectation):
    """The mean of 10^5 per-sample estimates lies within 3 standard errors of the exact gradient."""
    m = torch.tensor([0.3, -1.0], dtype=torch.float64)
    log_s = torch.tensor([0.0, math.log(0.5)], dtype=torch.float64)
    exact = M.exact_gradient(expectation, m, log_s)
    samples = M.gradient_samples(f, m, log_s, estimator=estimator, num_samples=100_000,
                                 generator=torch.Generator().manual_seed(1))
    for g, e in zip(samples, exact):
        se = g.std(0) / math.sqrt(g.shape[0])
        assert bool((abs(g.mean(0) - e) < 3 * se).all()), (estimator, g.mean(0), e, se)


def test_exact_gradient_of_square():
    g_m, g_ls = M.exact_gradient(M.square_expectation, torch.tensor([0.5]), torch.tensor([math.log(2.0)]))
    torch.testing.assert_close(g_m, torch.tensor([1.0], dtype=torch.float64))
    torch.testing.assert_close(g_ls, torch.tensor([8.0], dtype=torch.float64))  # ∂(s²)/∂log s = 2s²


@pytest.mark.parametrize("estimator, expected", [("score", 15.0), ("reparam", 4.0)])
def test_per_sample_variances_15_and_4(estimator, expected):
    """f(z) = z², z ~ N(0, 1), gradient in m: Var[z³] = E z⁶ = 15 and Var[2z] = 4, within 5%."""
    assert M.square_variance(estimator, 0.0, 1.0) == expected
    g_m, _ = M.gradient_samples(lambda z: z[..., 0] ** 2, torch.zeros(1), torch.zeros(1), estimator=estimator,
                                num_samples=400_000, generator=torch.Generator().manual_seed(2))
    assert abs(float(g_m.var()) / expected - 1) < 0.05


@settings(max_examples=6, deadline=None)
@given(st.floats(-1.5, 1.5), st.floats(0.5, 2.0))
def test_variance_closed_forms_at_other_parameters(m, s):
    for estimator in M.ESTIMATORS:
        g_m, _ = M.gradient_samples(lambda z: z[..., 0] ** 2, torch.tensor([m]), torch.tensor([math.log(s)]),
                                    estimator=estimator, num_samples=200_000, generator=torch.Generator().manual_seed(3))
        assert abs(float(g_m.var()) / M.square_variance(estimator, m, s) - 1) < 0.08, estimator


def test_control_variate_lowers_variance():
    sizes = [2, 10, 100]
    var = M.variance_vs_samples(square, torch.zeros(1), torch.zeros(1), sizes, num_replicates=2000,
                                generator=torch.Generator().manual_seed(4))
    assert bool((var["score_cv"] < var["score"]).all())
    assert bool((var["reparam"] < var["score_cv"]).all())
    # Var[ĝ_S] = per-sample variance / S
    assert abs(float(var["score"][-1]) * 100 / 15 - 1) < 0.15
    assert abs(float(var["reparam"][-1]) * 100 / 4 - 1) < 0.15


def test_replicates_center_on_exact_gradient():
    r = M.gradient_replicates(square, torch.tensor([0.5]), torch.zeros(1), estimator="score", num_samples=50,
                              num_replicates=4000, generator=torch.Generator().manual_seed(5))
    assert r.shape == (4000,)
    assert abs(float(r.mean()) - 1.0) < 3 * float(r.std()) / math.sqrt(4000)


@pytest.mark.parametrize("rho", [-0.95, -0.5, 0.0, 0.3, 0.8, 0.99])
def test_meanfield_variance_is_one_minus_rho_squared(rho):
    mean, cov = M.correlated_gaussian(rho)
    m, s, kls = M.cavi_gaussian(mean, cov, num_sweeps=2000)  # the means converge at rate ρ² per sweep
    torch.testing.assert_close(s**2, torch.full((2,), 1 - rho**2, dtype=torch.float64), atol=1e-4, rtol=0)
    torch.testing.assert_close(m, mean, atol=1e-4, rtol=0)
    assert all(b <= a + 1e-12 for a, b in zip(kls, kls[1:]))  # CAVI never raises the KL


def test_meanfield_optimum_by_gradient_matches_cavi():
    """Minimizing the closed-form KL(q‖p) over (m, log s) with L-BFGS also gives s² = 1 − ρ²."""
    rho = 0.7
    mean, cov = M.correlated_gaussian(rho)
    m = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
    log_s = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([m, log_s], max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-15,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = M.gaussian_kl(m, log_s.exp(), mean, cov)
        loss.backward()
        return loss

    opt.step(closure)
    torch.testing.assert_close(log_s.exp().detach() ** 2, torch.full((2,), 1 - rho**2, dtype=torch.float64),
                               atol=1e-4, rtol=0)


def test_monte_carlo_elbo_matches_closed_form():
    mean, cov = M.correlated_gaussian(0.6)
    q = M.FactorizedGaussian([0.2, -0.1], [0.7, 0.9])
    log_p = torch.distributions.MultivariateNormal(mean, cov).log_prob
    est = M.elbo(log_p, q, num_samples=200_000, generator=torch.Generator().manual_seed(6))
    exact = -M.gaussian_kl(q.m.detach(), q.s.detach(), mean, cov)  # log p(x) = 0 for a normalized target
    assert abs(float(est.detach() - exact)) < 5e-3
    torch.testing.assert_close(q.entropy(), q.distribution().entropy())


def test_surrogate_gradient_is_the_estimator():
    x, y = M.breast_cancer()
    log_p = M.logistic_log_joint(x[:50], y[:50])
    q = M.FactorizedGaussian(torch.zeros(31), torch.full((31,), 0.1))
    loss = M.surrogate_loss(log_p, q, estimator="score", num_samples=8, generator=torch.Generator().manual_seed(7))
    loss.backward()
    g_m, g_ls = M.gradient_samples(log_p, q.m, q.log_s, estimator="score", num_samples=8,
                                   generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(q.m.grad, -g_m.mean(0))
    torch.testing.assert_close(q.log_s.grad, -(g_ls.mean(0) + 1))  # ∂H/∂log s_i = 1


def test_bbvi_raises_the_elbo_on_breast_cancer():
    x, y = M.breast_cancer()
    assert x.shape == (569, 31) and x.dtype == torch.float64
    log_p = M.logistic_log_joint(x, y)
    results = {}
    for est in M.ESTIMATORS:
        q = M.FactorizedGaussian(torch.zeros(31), torch.full((31,), 0.1))
        M.fit_bbvi(log_p, q, estimator=est, num_steps=300, num_samples=10, lr=0.05, generator=torch.Generator().manual_seed(0))
        results[est] = float(M.elbo(log_p, q, num_samples=1000, generator=torch.Generator().manual_seed(1)).detach())
    start = float(M.elbo(log_p, M.FactorizedGaussian(torch.zeros(31), torch.full((31,), 0.1)), num_samples=1000).detach())
    assert all(v > start + 100 for v in results.values()), (start, results)
    assert results["reparam"] > results["score"]


def test_bad_inputs_name_the_argument():
    f = square
    with pytest.raises(ValueError, match="num_samples"):
        M.gradient_samples(f, torch.zeros(1), torch.zeros(1), num_samples=0)
    with pytest.raises(ValueError, match="num_samples"):
        M.gradient_samples(f, torch.zeros(1), torch.zeros(1), estimator="score_cv", num_samples=1)
    with pytest.raises(ValueError, match="estimator"):
        M.gradient_samples(f, torch.zeros(1), torch.zeros(1), estimator="vimco")
    with pytest.raises(ValueError, match="s must be positive"):
        M.FactorizedGaussian([0.0, 0.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="cov"):
        M.cavi_gaussian(torch.zeros(2), torch.tensor([[-1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="rho"):
        M.correlated_gaussian(1.0)
    with pytest.raises(ValueError, match="s"):
        M.square_variance("score", 0.0, -1.0)
    with pytest.raises(ValueError, match="num_samples"):
        M.elbo(square, M.FactorizedGaussian([0.0]), num_samples=0)


def test_the_notebook_bbvi_claim_fails_for_an_untrained_q():
    """Notebook 03 requires the reparametrized fit's ELBO in BBVI_ELBO_RANGE; the starting q misses it."""
    from lecturekit.claims import ClaimError, check

    x, y = M.breast_cancer()
    log_p = M.logistic_log_joint(x, y)
    q = M.FactorizedGaussian([0.0] * 31, [0.1] * 31)
    elbo = float(M.elbo(log_p, q, num_samples=2000, generator=torch.Generator().manual_seed(1)).detach())
    with pytest.raises(ClaimError):
        check("ELBO", elbo, at_least=M.BBVI_ELBO_RANGE[0], at_most=M.BBVI_ELBO_RANGE[1])
    assert elbo < -300
