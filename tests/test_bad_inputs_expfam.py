"""Bad inputs to lecturekit.expfam (exponential families, A and A*) and its widget; no overflow passes silently."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit import expfam
from lecturekit.widgets import expfam as wexp
from tests.support.bad_inputs import POSITIVE_FLOAT, POSITIVE_INT, Table, bad, call, choice_bads

T = Table("expfam", ["lecturekit.expfam", "lecturekit.widgets.expfam"])
NAN, INF = float("nan"), float("inf")
#: bad θ for the Bernoulli family (Ω = R): not numbers, not finite, wrong shape, empty
THETA = [bad("1.0", TypeError), bad(None, TypeError), bad(NAN), bad(INF), bad(torch.zeros(3, dtype=torch.complex64), TypeError, "complex"),
         bad(torch.zeros(0)),
         bad(torch.tensor([True]), TypeError)]
#: bad μ for the Bernoulli family (M° = (0, 1))
MU = [bad(0.0), bad(1.0), bad(1.5), bad(NAN), bad("0.5", TypeError), bad([0.2, 1.3], ValueError, "one-outside")]


def fam(name="bernoulli", **kw):
    return expfam.get_family(name, **kw)


T.add("expfam.Family.check_theta", lambda: call(fam().check_theta, 0.5), theta=THETA)
T.add("expfam.Family.check_mu", lambda: call(fam().check_mu, 0.5), mu=MU)
T.add("expfam.Family.sufficient_statistic", lambda: call(fam().sufficient_statistic, torch.tensor([0.0, 1.0])),
      x=[bad(0.5), bad(2.0), bad(NAN), bad("1", TypeError), bad(None, TypeError), bad([-1.0])])
T.add("expfam.Family.log_partition", lambda: call(fam().log_partition, [0.0, 2.0]), theta=THETA[:5])
T.case("expfam.Family.log_partition", "poisson-overflow", lambda: fam("poisson").log_partition(800.0), ValueError,
       names="theta")
T.case("expfam.Family.log_partition", "exponential-outside", lambda: fam("exponential").log_partition(0.5), ValueError,
       names="theta")
T.add("expfam.Family.mean", lambda: call(fam().mean, 1.0), theta=THETA[:5])
T.case("expfam.Family.mean", "exponential-overflow", lambda: fam("exponential").mean(-1e-320), ValueError, names="theta")
T.add("expfam.Family.theta_from_mean", lambda: call(fam().theta_from_mean, 0.3), mu=MU)
T.case("expfam.Family.theta_from_mean", "gaussian-outside", lambda: fam("gaussian").theta_from_mean([1.0, 0.5]),
       ValueError, names="mu")
T.add("expfam.Family.conjugate", lambda: call(fam().conjugate, 0.3), mu=MU)
T.add("expfam.Family.entropy", lambda: call(fam().entropy, 0.3), theta=THETA[:5])
T.case("expfam.Family.entropy", "poisson-overflow", lambda: fam("poisson").entropy(800.0), ValueError, names="theta")
T.case("expfam.Family.entropy", "gaussian-overflow", lambda: fam("gaussian").entropy([0.0, -1e-320]), ValueError,
       names="theta")
T.add("expfam.Family.expected_log_base", lambda: call(fam().expected_log_base, 0.3), theta=THETA[:5])
T.add("expfam.Family.distribution", lambda: call(fam().distribution, 0.3), theta=THETA[:5])
T.case("expfam.Family.distribution", "poisson-overflow", lambda: fam("poisson").distribution(800.0), ValueError,
       names="theta")
T.add("expfam.Categorical", lambda: call(expfam.Categorical, 4), k=POSITIVE_INT + [bad(1)])
T.add("expfam.Categorical.sufficient_statistic", lambda: call(fam("categorical").sufficient_statistic, [0, 2, 1]),
      x=[bad([3]), bad([-1]), bad([0.5]), bad([NAN]), bad("0", TypeError), bad(None, TypeError)])
T.add("expfam.Poisson.expected_log_base", lambda: call(fam("poisson").expected_log_base, [0.0, 3.0, 8.0]),
      theta=THETA[:5] + [bad(800.0, ValueError, "overflow")])
T.add("expfam.Gaussian.sufficient_statistic", lambda: call(fam("gaussian").sufficient_statistic, [0.5, -1.0]),
      x=[bad(NAN), bad(INF), bad("x", TypeError), bad(None, TypeError), bad({"x": 1}, TypeError)])
T.add("expfam.Gaussian.moments", lambda: call(expfam.Gaussian.moments, torch.tensor([0.0, -0.5], dtype=torch.float64)),
      theta=[bad(torch.tensor([0.0, 0.5])), bad(torch.tensor([1.0, 2.0, -1.0])), bad([NAN, -1.0]),
             bad("θ", TypeError), bad([0.0, 0.0])])
T.add("expfam.get_family", lambda: call(expfam.get_family, "categorical", k=3),
      name=choice_bads(bad("Bernoulli"), bad("normal")))
T.case("expfam.get_family", "option-of-another-family", lambda: expfam.get_family("poisson", k=3), TypeError, names="k")
T.case("expfam.get_family", "bad-k", lambda: expfam.get_family("categorical", k=1), ValueError, names="k")
T.add("expfam.mean_autograd", lambda: call(expfam.mean_autograd, fam(), 0.5),
      family=[bad("bernoulli", TypeError), bad(expfam.Bernoulli, TypeError, "class"), bad(None, TypeError)],
      theta=THETA[:3])
T.case("expfam.mean_autograd", "overflow", lambda: expfam.mean_autograd(fam("poisson"), 800.0), ValueError,
       names="theta")
T.add("expfam.conjugate", lambda: call(expfam.conjugate, fam(), 0.3),
      family=[bad("bernoulli", TypeError)], mu=MU[:4] + [bad(torch.full((2, 1), 0.3), ValueError, "two-points")],
      tol=POSITIVE_FLOAT[:3], max_iter=POSITIVE_INT[:3])
T.add("expfam.variational_log_partition", lambda: call(expfam.variational_log_partition, fam(), 0.5),
      family=[bad(0, TypeError)], theta=THETA[:4] + [bad(torch.zeros(2, 1), ValueError, "two-points")],
      conjugate_fn=[bad(3, TypeError), bad("A*", TypeError)], tol=POSITIVE_FLOAT[:2], max_iter=POSITIVE_INT[:2])

FAMILY = [bad("bernoulli"), bad("Normal"), bad(3), bad(None), bad(["Bernoulli"])]
T.add("widgets.expfam.ConjugateDuality", lambda: call(wexp.ConjugateDuality, "Poisson", num_points=41),
      family=FAMILY, num_points=[bad(1), bad(10**6), bad(40.5, TypeError), bad("41", TypeError)])
T.add("widgets.expfam.conjugate_duality", lambda: call(wexp.conjugate_duality, "Gaussian", num_points=41), family=FAMILY)
T.case("widgets.expfam.conjugate_duality", "num_points", lambda: wexp.conjugate_duality(num_points=0), ValueError,
       names="num_points")
T.add("widgets.expfam.ConjugateDuality.static", lambda: call(wexp.ConjugateDuality(num_points=41).static, "Exponential"),
      name=FAMILY)


@pytest.mark.parametrize("name, theta", [("bernoulli", 700.0), ("bernoulli", -700.0), ("poisson", 700.0),
                                         ("poisson", -700.0), ("exponential", -1e-300), ("exponential", -1e300),
                                         ("gaussian", [1e3, -1e-3]), ("categorical", [700.0, -700.0])])
def test_every_quantity_is_finite_or_an_error_at_extreme_parameters(name, theta):
    """No silent garbage: at an extreme but finite θ each quantity is finite, or raises naming theta."""
    family = fam(name)
    for method in (family.log_partition, family.mean, family.entropy, family.expected_log_base):
        try:
            out = method(theta)
        except ValueError as err:
            assert "theta" in str(err)
        else:
            assert bool(torch.isfinite(out).all()), f"{name}.{method.__name__}({theta}) = {out}"


T.install(globals())
