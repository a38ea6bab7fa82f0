import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lecturekit import em
from lecturekit.utils import ConvergenceWarning

f64 = torch.float64


def _random_theta(g, k, d):
    a = torch.randn(k, d, d, generator=g, dtype=f64)
    return em.MixtureParams(
        torch.softmax(torch.randn(k, generator=g, dtype=f64), 0),
        3 * torch.randn(k, d, generator=g, dtype=f64),
        a @ a.mT + 0.5 * torch.eye(d, dtype=f64),
    )


def _data(seed, n=120, k=3, d=2):
    g = torch.Generator().manual_seed(seed)
    x, _ = em.sample_mixture(_random_theta(g, k, d), n, generator=g)
    return x, g


def test_log_joint_matches_scipy():
    from scipy.stats import multivariate_normal

    x, g = _data(0, n=20)
    theta = _random_theta(g, 3, 2)
    lj = em.log_joint(x, theta)
    for k in range(3):
        ref = np.log(theta.weights[k].item()) + multivariate_normal(theta.means[k].numpy(), theta.covariances[k].numpy()).logpdf(x.numpy())
        np.testing.assert_allclose(lj[:, k].numpy(), ref, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), d=st.integers(1, 3), n=st.integers(1, 40))
def test_log_p_equals_bound_plus_kl_for_any_q(seed, k, d, n):
    g = torch.Generator().manual_seed(seed)
    theta = _random_theta(g, k, d)
    x = 2 * torch.randn(n, d, generator=g, dtype=f64)
    q = torch.softmax(4 * torch.randn(n, k, generator=g, dtype=f64), 1)
    log_p = em.log_likelihood(x, theta)
    assert abs(float(log_p - (em.lower_bound(x, q, theta) + em.kl_posterior(x, q, theta)))) < 1e-8
    assert em.kl_posterior(x, q, theta) >= -1e-10
    # the bound is tight at the posterior
    post = em.e_step(x, theta)
    assert abs(float(log_p - em.lower_bound(x, post, theta))) < 1e-8


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4), d=st.integers(1, 2), n=st.integers(30, 80),
       init_seed=st.integers(0, 1000))
def test_em_never_decreases_the_log_likelihood(seed, k, d, n, init_seed):
    """Over 200 random data sets and initializations, log p never drops from one half-step to the next."""
    x, _ = _data(seed, n=n, k=3, d=d)
    gm = em.GaussianMixture(k, max_iter=30, tol=0.0, reg_covar=0.0, seed=init_seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 runs all 30 iterations
            gm.fit(x)
    except ValueError as err:
        # Without reg_covar a component can collapse onto one point, where the likelihood is
        # unbounded: such data sets fall outside the theorem and do not count as examples.
        assert "not positive definite" in str(err)
        assume(False)
    # Likewise when a component shrinks onto a line (a near-singular Σ): the likelihood then
    # heads to infinity and float64 rounding, not EM, decides the last digits.
    smallest = min(float(torch.linalg.eigvalsh(theta.covariances).min()) for theta, _ in gm.states_)
    assume(smallest > 1e-6)
    ll = np.array(gm.log_likelihoods_[1:])
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[:-1]).max())
    lb = np.array(gm.lower_bounds_[1:])
    assert np.all(np.diff(lb) >= -1e-9 * np.abs(lb[:-1]).max())  # L rises at every half-step too
    assert np.all(lb <= ll + 1e-9 * np.abs(ll).max())


def test_m_step_matches_weighted_formulas():
    x, g = _data(1, n=50)
    q = torch.softmax(torch.randn(50, 3, generator=g, dtype=f64), 1)
    theta = em.m_step(x, q, reg_covar=0.0)
    xn, qn = x.numpy(), q.numpy()
    for k in range(3):
        w = qn[:, k]
        mu = (w[:, None] * xn).sum(0) / w.sum()
        cov = np.cov(xn.T, aweights=w, bias=True)
        np.testing.assert_allclose(theta.means[k].numpy(), mu, rtol=1e-10)
        np.testing.assert_allclose(theta.covariances[k].numpy(), cov, rtol=1e-8)
    np.testing.assert_allclose(theta.weights.numpy(), qn.mean(0), rtol=1e-10)


def test_m_step_maximizes_the_bound_over_theta():
    x, g = _data(2, n=60)
    q = em.e_step(x, _random_theta(g, 3, 2))
    best = em.m_step(x, q, reg_covar=0.0)
    top = em.lower_bound(x, q, best)
    for _ in range(20):
        other = best.clone()
        other.means += 0.05 * torch.randn(3, 2, generator=g, dtype=f64)
        w = other.weights * torch.exp(0.05 * torch.randn(3, generator=g, dtype=f64))
        other.weights = w / w.sum()
        assert em.lower_bound(x, q, other) <= top


def test_matches_sklearn_from_the_same_start():
    from sklearn.mixture import GaussianMixture as SkGM

    x, g = _data(3, n=400)
    init = em.init_params(x, 3, generator=g)
    ours = em.GaussianMixture(3, max_iter=500, tol=1e-10).fit(x, init)
    sk = SkGM(3, max_iter=500, tol=1e-10, weights_init=init.weights.numpy(), means_init=init.means.numpy(),
              precisions_init=np.linalg.inv(init.covariances.numpy())).fit(x.numpy())
    assert abs(ours.score(x) - sk.score(x.numpy())) < 1e-6
    np.testing.assert_allclose(np.sort(ours.params_.weights.numpy()), np.sort(sk.weights_), atol=1e-5)


def test_history_alternates_and_e_steps_close_the_gap():
    x, _ = _data(4)
    gm = em.GaussianMixture(3, max_iter=500, tol=1e-8).fit(x)
    steps = [h["step"] for h in gm.history_]
    assert steps[0] == "init" and steps[1::2] == ["E"] * ((len(steps) - 1) // 2)
    for h in gm.history_:
        if h["step"] == "E":
            assert abs(h["kl"]) < 1e-8
    assert len(gm.states_) == len(gm.history_)
    assert torch.allclose(gm.predict_proba(x).sum(1), torch.ones(len(x), dtype=f64))


def test_bound_curves_lie_below_and_touch_after_e_step():
    x, g = _data(5)
    theta = _random_theta(g, 3, 2)
    q = em.e_step(x, theta)
    v0 = theta.means[1, 0].item()
    values = torch.linspace(v0 - 3, v0 + 3, 61, dtype=f64)
    values[30] = v0
    ll, lb = em.bound_curves(x, q, theta, values, component=1, coord=0)
    assert (ll >= lb - 1e-8).all()
    assert abs(float(ll[30] - lb[30])) < 1e-8
    assert abs(float(ll[30] - em.log_likelihood(x, theta))) < 1e-8
    assert float((ll - lb)[0]) > 1e-3  # a real gap away from θ_old


def test_convergence_warning():
    x, _ = _data(6)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        em.GaussianMixture(3, max_iter=2, tol=1e-12).fit(x)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n_components": 0}, ValueError, "n_components must be a positive integer"),
    ({"n_components": 2.5}, TypeError, "n_components"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"),
    ({"reg_covar": float("nan")}, ValueError, "reg_covar"),
])
def test_gaussian_mixture_bad_settings(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        em.GaussianMixture(**kwargs)


@pytest.mark.parametrize("x, init, exc, match", [
    (np.array([[0.0, np.nan], [1.0, 2.0]]), None, ValueError, "x must hold finite values"),
    (np.arange(10.0), None, ValueError, r"x must be a 2-D array"),
    (np.zeros((2, 2)), None, ValueError, "n_components must be at most the number of points"),
    ("data", None, TypeError, "x must be"),
    (np.random.default_rng(0).normal(size=(20, 2)), "theta", TypeError, "init must be a MixtureParams"),
    (np.random.default_rng(0).normal(size=(20, 3)),
     em.MixtureParams(torch.ones(3) / 3, torch.zeros(3, 2), torch.eye(2).expand(3, 2, 2)), ValueError, "init.means"),
])
def test_fit_bad_inputs(x, init, exc, match):
    with pytest.raises(exc, match=match):
        em.GaussianMixture(3).fit(x, init)


def test_mixture_params_shapes_are_checked():
    with pytest.raises(ValueError, match="MixtureParams expects"):
        em.MixtureParams(torch.ones(2), torch.zeros(3, 2), torch.eye(2).expand(3, 2, 2))


def test_singular_covariance_is_a_clear_error():
    theta = em.MixtureParams(torch.ones(1, dtype=f64), torch.zeros(1, 2, dtype=f64), torch.zeros(1, 2, 2, dtype=f64))
    with pytest.raises(ValueError, match="not positive definite"):
        em.log_likelihood(torch.zeros(3, 2, dtype=f64), theta)


def test_the_notebook_claims_fail_on_broken_computations():
    """Notebook 01's checked claims (|log p − (L + KL)| ≤ 1e-8, no drop of log p, agreement with
    scikit-learn to 1e-6) must fail when the computation behind them is wrong."""
    from lecturekit.claims import ClaimError, check

    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 2, generator=g, dtype=torch.float64)
    theta = em.init_params(x, 3, generator=g)
    q = torch.softmax(torch.randn(200, 3, generator=g, dtype=torch.float64), dim=1)
    broken_bound = em.lower_bound(x, q, theta) - em.entropy(q)  # forgot H(q)
    gap = abs(float(em.log_likelihood(x, theta) - (broken_bound + em.kl_posterior(x, q, theta))))
    with pytest.raises(ClaimError):
        check("identity", gap, at_most=1e-8)
    # an "M-step" that moves the means the wrong way lowers log p
    lls = [float(em.log_likelihood(x, theta))]
    for _ in range(3):
        theta = em.MixtureParams(theta.weights, theta.means + 0.5, theta.covariances)
        lls.append(float(em.log_likelihood(x, theta)))
    with pytest.raises(ClaimError):
        check("drop", max(a - b for a, b in zip(lls, lls[1:])), at_most=1e-9)
    # stopping EM after one iteration does not agree with a converged fit
    early = em.GaussianMixture(n_components=3, max_iter=1, tol=1e-10)
    with pytest.warns(Warning):
        early.fit(x, em.init_params(x, 3, generator=torch.Generator().manual_seed(3)))
    full = em.GaussianMixture(n_components=3, max_iter=1000, tol=1e-6).fit(x, em.init_params(x, 3, generator=torch.Generator().manual_seed(3)))
    with pytest.raises(ClaimError):
        check("agreement", abs(early.score(x) - full.score(x)), at_most=1e-6)
