"""Bad inputs to lecturekit.meanfield (mean-field VI, gradient estimators, CAVI, BBVI) and its widgets."""

from __future__ import annotations

import functools

import torch

from lecturekit import meanfield as mf
from lecturekit.widgets import meanfield as wmf
from tests.support.bad_inputs import (EMPTY, EXTRA_AXIS, FINITE_FLOAT, GENERATOR, HUGE_COUNT, INF, NAN,
                                      POSITIVE_FLOAT, POSITIVE_INT, PROGRESS, Table, bad, call, choice_bads, derived)

T = Table("meanfield", ["lecturekit.meanfield", "lecturekit.widgets.meanfield"])
f64 = torch.float64
M, LOG_S = torch.zeros(2, dtype=f64), torch.zeros(2, dtype=f64)
MEAN, COV = mf.correlated_gaussian(0.5)


def square(z):
    return (z**2).sum(-1)


def gaussian_log_p(z):
    return -0.5 * (z**2).sum(-1)


def q() -> mf.FactorizedGaussian:
    return mf.FactorizedGaussian(torch.zeros(2), torch.ones(2))


@functools.cache
def logistic():
    x = torch.randn(10, 3, dtype=f64, generator=torch.Generator().manual_seed(0))
    return x, (x[:, 0] > 0).to(f64)


#: bad functions of samples: not callable, a constant, a vector per sample, NaN
FN = [bad(3, TypeError), bad("f", TypeError), bad(lambda z: 1.0, TypeError, "returns-float"),
      bad(lambda z: z, TypeError, "returns-samples"), bad(lambda z: z.sum(-1) * float("nan"), ValueError, "returns-nan")]
VEC = [bad("0", TypeError), NAN, INF, EMPTY, EXTRA_AXIS, bad(None, TypeError)]
ESTIMATOR = choice_bads(bad("reinforce"))
Q_BAD = [bad("q", TypeError), bad(None, TypeError), bad(torch.distributions.Normal(0.0, 1.0), TypeError)]

T.add("meanfield.FactorizedGaussian", lambda: call(mf.FactorizedGaussian, [0.0, 1.0], [1.0, 2.0]),
      m=[bad("0", TypeError), bad([float("nan"), 0.0]), bad([[0.0, 1.0]]), bad([]), bad(None, TypeError)],
      s=[bad([0.0, 1.0]), bad([-1.0, 1.0]), bad([1.0]), bad([float("inf"), 1.0]), bad("1", TypeError)])
T.add("meanfield.FactorizedGaussian.rsample", lambda: call(q().rsample, 4, generator=torch.Generator()),
      num_samples=POSITIVE_INT, generator=GENERATOR[:2])
T.add("meanfield.elbo", lambda: call(mf.elbo, gaussian_log_p, q(), num_samples=8, generator=torch.Generator()),
      log_p=FN, q=Q_BAD, num_samples=POSITIVE_INT[:3], generator=GENERATOR[:1])
T.add("meanfield.gradient_samples",
      lambda: call(mf.gradient_samples, square, M, LOG_S, estimator="score_cv", num_samples=8, generator=torch.Generator()),
      f=FN, m=VEC[:4], log_s=[NAN, derived(lambda t: t[:1], ValueError, "shape"), bad([400.0, 0.0])],
      estimator=ESTIMATOR, num_samples=POSITIVE_INT[:3] + [bad(1, ValueError, "one-for-baseline")],
      generator=GENERATOR[:1])
T.add("meanfield.gradient_estimate", lambda: call(mf.gradient_estimate, square, M, LOG_S, num_samples=8),
      f=FN[:3], m=VEC[:3], log_s=[INF], estimator=[bad("nope")], num_samples=[bad(0)])
T.case("meanfield.gradient_estimate", "unknown-option", lambda: mf.gradient_estimate(square, M, LOG_S, samples=8),
       TypeError, names="samples")
T.add("meanfield.gradient_replicates", lambda: call(mf.gradient_replicates, square, M, LOG_S, estimator="reparam",
                                                    num_samples=4, num_replicates=5),
      f=FN, m=VEC[:2], estimator=ESTIMATOR[:2], num_samples=POSITIVE_INT[:2],
      num_replicates=POSITIVE_INT[:3] + [bad(10**9, ValueError, "too-many")])
T.add("meanfield.exact_gradient", lambda: call(mf.exact_gradient, mf.square_expectation, M, LOG_S),
      expectation=[bad(None, TypeError), bad(lambda m, s: 3.0, TypeError, "returns-float"),
                   bad(lambda m, s: m + s, TypeError, "returns-vector"),
                   bad(lambda m, s: (m * s).sum() * float("nan"), ValueError, "returns-nan")],
      m=VEC[:3], log_s=[NAN, bad([1.0])])
T.add("meanfield.square_expectation", lambda: call(mf.square_expectation, M, torch.ones(2, dtype=f64)),
      m=[bad("m", TypeError), NAN, INF, EMPTY], s=[bad(torch.ones(3)), bad(-torch.ones(2)), bad(None, TypeError), NAN])
T.add("meanfield.square_variance", lambda: call(mf.square_variance, "score", 0.5, 2.0),
      estimator=ESTIMATOR[:3], m=FINITE_FLOAT, s=POSITIVE_FLOAT)
T.add("meanfield.variance_vs_samples", lambda: call(mf.variance_vs_samples, square, M[:1], LOG_S[:1], [2, 4],
                                                    num_replicates=5, generator=torch.Generator()),
      f=FN[:2], m=VEC[:2], sizes=[bad(5, TypeError), bad("25", TypeError), bad([]), bad([1, 4]), bad([2, 0]),
                                 bad([2.5], TypeError)],
      num_replicates=POSITIVE_INT[:3] + [bad(1)], generator=GENERATOR[:1])
T.add("meanfield.correlated_gaussian", lambda: call(mf.correlated_gaussian, -0.3, scale=2.0),
      rho=[bad(1.0), bad(-1.0), bad(1.5), bad(float("nan")), bad("0.5", TypeError), bad(True, TypeError)],
      scale=POSITIVE_FLOAT[:4])
T.add("meanfield.gaussian_kl", lambda: call(mf.gaussian_kl, M, torch.ones(2, dtype=f64), MEAN, COV),
      m=VEC[:5], s=[bad(torch.zeros(2)), bad(-torch.ones(2)), bad([1.0])], mean=[bad([0.0]), bad("0", TypeError)],
      cov=[bad(torch.eye(3)), bad(-torch.eye(2)), bad(torch.tensor([[1.0, 0.5], [0.0, 1.0]])), bad("I", TypeError),
           bad(torch.full((2, 2), float("nan")))])
T.add("meanfield.cavi_gaussian", lambda: call(mf.cavi_gaussian, MEAN, COV, num_sweeps=3, progress=False),
      mean=VEC[:5], cov=[bad(torch.zeros(2, 2)), bad(torch.ones(3)), bad(None, TypeError)],
      m0=[bad([0.0]), bad([float("nan"), 0.0]), bad("m", TypeError)], num_sweeps=POSITIVE_INT + [HUGE_COUNT],
      progress=PROGRESS)
T.add("meanfield.logistic_log_joint", lambda: call(mf.logistic_log_joint, *logistic(), prior_std=2.0),
      x=[bad("x", TypeError), derived(lambda t: t[0], ValueError, "1-D"), NAN, derived(lambda t: t[:4], ValueError, "rows")],
      y=[derived(lambda t: t * 2, ValueError, "labels-0-2"), NAN, derived(lambda t: t[:, None], ValueError, "2-D"),
         bad(None, TypeError)],
      prior_std=POSITIVE_FLOAT[:4])
T.add("meanfield.surrogate_loss", lambda: call(mf.surrogate_loss, gaussian_log_p, q(), estimator="score_cv",
                                               num_samples=4, generator=torch.Generator()),
      log_p=FN, q=Q_BAD[:2], estimator=ESTIMATOR[:3], num_samples=POSITIVE_INT[:2] + [bad(1)], generator=GENERATOR[:1])
T.add("meanfield.fit_bbvi", lambda: call(mf.fit_bbvi, gaussian_log_p, q(), num_steps=3, num_samples=2, progress=False,
                                         generator=torch.Generator()),
      log_p=FN[:2], q=Q_BAD[:2], estimator=ESTIMATOR[:2], num_steps=POSITIVE_INT[:2] + [HUGE_COUNT],
      num_samples=POSITIVE_INT[:2], lr=POSITIVE_FLOAT[:3], generator=GENERATOR[:2], progress=PROGRESS[:1])
T.case("meanfield.fit_bbvi", "log_p-returns-nan", lambda: mf.fit_bbvi(lambda z: z.sum(-1) * float("nan"), q(),
                                                                      num_steps=2, progress=False), ValueError,
       names="log_p")

RHO = [bad(0.99), bad(-1.0), bad(float("nan")), bad("0.8", TypeError), bad(None, TypeError)]
T.add("widgets.meanfield.MeanFieldGaussian", lambda: call(wmf.MeanFieldGaussian, 0.5), rho=RHO)
T.add("widgets.meanfield.meanfield_gaussian", lambda: call(wmf.meanfield_gaussian, -0.5), rho=RHO)
T.add("widgets.meanfield.GradientVariance", lambda: call(wmf.GradientVariance, m=0.5, num_replicates=20),
      m=[bad(float("nan")), bad(100.0), bad("0", TypeError)], num_replicates=[bad(1), bad(10**7), bad(2.5, TypeError)],
      seed=[bad(-1), bad("0", TypeError)])
T.add("widgets.meanfield.gradient_variance", lambda: call(wmf.gradient_variance, num_replicates=20))
for why, kwargs, exc, name in (("m", {"m": float("inf")}, ValueError, "m"),
                               ("num_replicates", {"num_replicates": 0}, ValueError, "num_replicates"),
                               ("seed", {"seed": 1.5}, TypeError, "seed"),
                               ("unknown", {"samples": 10}, TypeError, "samples"),
                               ("positional", {"rho": 0.5}, TypeError, "rho")):
    T.case("widgets.meanfield.gradient_variance", why, lambda kwargs=kwargs: wmf.gradient_variance(**kwargs), exc,
           names=name)

T.install(globals())
