"""Exponential families: mean map, conjugate duality, entropy, variational representation (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from lecturekit import expfam as E

FAMILIES = [E.Bernoulli(), E.Categorical(3), E.Categorical(4), E.Poisson(), E.Exponential(), E.Gaussian()]
IDS = [repr(f) for f in FAMILIES]
coord = st.floats(-2.5, 2.5, allow_nan=False)
negative = st.floats(-3.0, -0.2, allow_nan=False)


def theta_strategy(family):
    """θ inside Ω, away from the edges where the series / integrals lose accuracy."""
    if isinstance(family, E.Exponential):
        return st.tuples(negative)
    if isinstance(family, E.Gaussian):
        return st.tuples(coord, negative)
    return st.tuples(*[coord] * family.dim)


def exact_mean_of_phi(family, theta):
    """E_θ[φ(X)] by enumeration (discrete) or quadrature (continuous), from the torch density."""
    dist = family.distribution(theta)
    if isinstance(family, (E.Bernoulli, E.Categorical, E.Poisson)):
        support = {E.Bernoulli: torch.arange(2), E.Poisson: torch.arange(200)}.get(type(family))
        if support is None:
            support = torch.arange(family.k)
        p = dist.log_prob(support.to(torch.float64) if not isinstance(family, E.Categorical) else support).exp()
        return (p.unsqueeze(-1) * family.sufficient_statistic(support)).sum(0)
    lo, hi = (0.0, np.inf) if isinstance(family, E.Exponential) else (-np.inf, np.inf)
    out = []
    for j in range(family.dim):
        def integrand(x, j=j):
            xt = torch.tensor(x, dtype=torch.float64)
            return float(family.sufficient_statistic(xt)[j] * dist.log_prob(xt).exp())
        out.append(integrate.quad(integrand, lo, hi, epsabs=1e-12, epsrel=1e-12)[0])
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_mean_map_is_mean_of_phi(family):
    @settings(max_examples=15, deadline=None)
    @given(theta_strategy(family))
    def check(theta):
        theta = torch.tensor(theta, dtype=torch.float64)
        expected = exact_mean_of_phi(family, theta)
        torch.testing.assert_close(family.mean(theta), expected, atol=1e-7, rtol=1e-7)
        torch.testing.assert_close(E.mean_autograd(family, theta), expected, atol=1e-7, rtol=1e-7)

    check()


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_conjugate_duality(family):
    """A**(θ) = A(θ), A*(μ) = −H − E log h at matched μ = ∇A(θ), the numeric conjugate equals the
    closed form, θ(μ(θ)) = θ, and the Fenchel–Young equality A(θ) + A*(μ) = ⟨θ, μ⟩."""
    @settings(max_examples=15, deadline=None)
    @given(theta_strategy(family))
    def check(theta):
        theta = torch.tensor(theta, dtype=torch.float64)
        mu = family.mean(theta)
        a, a_star = family.log_partition(theta), family.conjugate(mu)
        torch.testing.assert_close(family.theta_from_mean(mu), theta, atol=1e-9, rtol=1e-9)
        assert abs(float(a + a_star - theta @ mu)) < 1e-9
        neg_h = -family.entropy(theta) - family.expected_log_base(theta)
        assert abs(float(a_star - neg_h)) < 1e-6
        assert abs(float(E.conjugate(family, mu) - a_star)) < 1e-6
        value, mu_star = E.variational_log_partition(family, theta)
        assert abs(float(value - a)) < 1e-6
        torch.testing.assert_close(mu_star, mu, atol=1e-6, rtol=1e-6)
        # A** = A with the *numeric* conjugate at the maximizer: the full Legendre round trip
        assert abs(float(theta @ mu_star - E.conjugate(family, mu_star) - a)) < 1e-6

    check()


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_entropy_matches_torch_or_enumeration(family):
    theta = E._default_theta(family) + 0.3
    if isinstance(family, E.Exponential):
        theta = torch.tensor([-0.7], dtype=torch.float64)
    dist = family.distribution(theta)
    if isinstance(family, E.Poisson):
        x = torch.arange(200, dtype=torch.float64)
        p = dist.log_prob(x).exp()
        expected = -(p * dist.log_prob(x)).sum()
        torch.testing.assert_close(family.expected_log_base(theta), -(p * torch.lgamma(x + 1)).sum())
    else:
        expected = dist.entropy()
    torch.testing.assert_close(family.entropy(theta), expected, atol=1e-10, rtol=1e-10)


def test_entropy_equals_minus_conjugate_where_base_is_uniform():
    for family, theta in [(E.Bernoulli(), [0.4]), (E.Exponential(), [-2.0]), (E.Gaussian(), [1.0, -0.3])]:
        theta = torch.tensor(theta, dtype=torch.float64)
        assert abs(float(family.conjugate(family.mean(theta)) + family.entropy(theta))) < 1e-12


def test_gaussian_closed_forms():
    g = E.Gaussian()
    theta = torch.tensor([1.5 / 2.0, -1 / (2 * 2.0)], dtype=torch.float64)  # m = 1.5, σ² = 2
    torch.testing.assert_close(g.mean(theta), torch.tensor([1.5, 1.5**2 + 2.0], dtype=torch.float64))
    assert math.isclose(float(g.entropy(theta)), 0.5 * math.log(2 * math.pi * math.e * 2.0), rel_tol=1e-12)


def test_batched_parameters():
    f = E.Gaussian()
    theta = torch.tensor([[0.0, -0.5], [1.0, -1.0], [2.0, -0.25]], dtype=torch.float64)
    assert f.log_partition(theta).shape == (3,)
    assert f.mean(theta).shape == (3, 2)
    assert E.Bernoulli().log_partition(torch.linspace(-1, 1, 5).unsqueeze(-1)).shape == (5,)


@pytest.mark.parametrize("family, theta", [(E.Exponential(), 0.5), (E.Exponential(), [0.0]),
                                          (E.Gaussian(), [0.0, 1.0]), (E.Bernoulli(), float("nan"))])
def test_theta_outside_omega_is_an_error(family, theta):
    with pytest.raises(ValueError, match="theta"):
        family.log_partition(theta)
    with pytest.raises(ValueError, match="theta"):
        E.variational_log_partition(family, theta)


@pytest.mark.parametrize("family, mu", [(E.Bernoulli(), 1.0), (E.Bernoulli(), -0.1), (E.Poisson(), 0.0),
                                       (E.Exponential(), -1.0), (E.Gaussian(), [1.0, 0.5]),
                                       (E.Categorical(3), [0.6, 0.5])])
def test_mu_outside_mean_domain_is_an_error(family, mu):
    with pytest.raises(ValueError, match="mu"):
        family.conjugate(mu)
    with pytest.raises(ValueError, match="mu"):
        E.conjugate(family, mu)


def test_bad_arguments():
    with pytest.raises(ValueError, match="theta"):
        E.Gaussian().mean([1.0, -1.0, 2.0])
    with pytest.raises(ValueError, match="k"):
        E.Categorical(1)
    with pytest.raises(ValueError, match="name"):
        E.get_family("beta")
    with pytest.raises(TypeError, match="family"):
        E.conjugate("gaussian", [0.0, 1.0])
    assert isinstance(E.get_family("categorical", k=4), E.Categorical)


def test_math_core_does_not_import_widgets():
    import subprocess
    import sys

    code = "import sys, lecturekit.expfam, lecturekit.meanfield; print('ipywidgets' in sys.modules or 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("rate", [0.01, 1.0, 40.0, 150.0, 1000.0, 1e5, 1e7])
def test_poisson_entropy_is_right_at_every_rate(rate):
    """The series over a window around the rate (and the asymptotic expansion beyond 1e5) keep
    H(Poisson(λ)) right where a fixed 0..400 series returned 0 (λ = 1000: H ≈ 4.87 nats)."""
    fam = E.Poisson()
    theta = torch.tensor([math.log(rate)], dtype=torch.float64)
    h = float(fam.entropy(theta))
    if rate >= 40:
        # Gaussian limit ½ log(2πeλ) − 1/(12λ) − ...: agree to the next term
        assert h == pytest.approx(0.5 * math.log(2 * math.pi * math.e * rate) - 1 / (12 * rate), abs=2 / rate**2)
    else:
        k = torch.arange(0, 200, dtype=torch.float64)
        log_p = k * math.log(rate) - rate - torch.lgamma(k + 1)
        assert h == pytest.approx(float(-(log_p.exp() * log_p).sum()), rel=1e-10)
    a_star = float(fam.conjugate(fam.mean(theta)))
    assert abs(a_star + h + float(fam.expected_log_base(theta))) < 1e-6


def test_the_notebook_claims_fail_on_a_broken_family():
    """Notebook 02 checks A*(μ) + H + E log h = 0 to 1e-6; forgetting the base measure fails it."""
    from lecturekit.claims import ClaimError, check

    fam = E.Poisson()
    theta = torch.tensor([0.4], dtype=torch.float64)
    residual = abs(float(fam.conjugate(fam.mean(theta)) + fam.entropy(theta)))  # E log h left out
    with pytest.raises(ClaimError):
        check("A* + H + E log h", residual, at_most=1e-6)
    wrong_mean = E.Poisson().mean(theta) * 1.05  # a mean map off by 5%
    with pytest.raises(ClaimError):
        check("mean map", float((wrong_mean - E.mean_autograd(fam, theta)).abs().max()), at_most=1e-12)
