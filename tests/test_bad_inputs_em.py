"""Bad inputs to lecturekit.em (EM for a Gaussian mixture) and its widget."""

from __future__ import annotations

import functools

import numpy as np
import torch

from lecturekit import em
from lecturekit.widgets import em as wem
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, EMPTY, EXTRA_AXIS, FLOAT, GENERATOR, INF, INTEGER, NAN,
                                      NEGATIVE, NONNEGATIVE_FLOAT, NONNEGATIVE_INT, ON_META, POSITIVE_INT, TENSOR, Table,
                                      bad, call, derived)

T = Table("em", ["lecturekit.em", "lecturekit.widgets.em"])
f64 = torch.float64


def theta() -> em.MixtureParams:
    return em.MixtureParams(torch.tensor([0.5, 0.5], dtype=f64), torch.tensor([[-2.0, 0.0], [2.0, 0.0]], dtype=f64),
                            torch.eye(2, dtype=f64).expand(2, 2, 2).clone())


X = em.sample_mixture(theta(), 20, generator=torch.Generator().manual_seed(0))[0]
Q = torch.full((20, 2), 0.5, dtype=f64)


@functools.cache
def fitted() -> em.GaussianMixture:
    return em.GaussianMixture(2, max_iter=3).fit(X)


#: x for θ = (2 components in 2-D, float64)
X_BAD = TENSOR + [FLOAT, ON_META, derived(lambda t: torch.zeros(20, 3, dtype=f64), ValueError, "3-D")]
THETA_BAD = [bad("theta", TypeError), bad(None, TypeError), bad((torch.ones(2) / 2, torch.zeros(2, 2)), TypeError)]
Q_BAD = [AS_LIST, NAN, derived(lambda t: t * 2, ValueError, "rows-sum-to-2"), NEGATIVE,
         derived(lambda t: t[:, :1], ValueError, "one-column"), FLOAT]
W, M, C = theta().weights, theta().means, theta().covariances

T.add("em.MixtureParams", lambda: call(em.MixtureParams, W, M, C),
      weights=[AS_LIST, NAN, derived(lambda t: t * 2, ValueError, "sum-2"), derived(lambda t: t[:1], ValueError, "K-1")],
      means=[AS_NUMPY, INF, derived(lambda t: t[0], ValueError, "1-D"), FLOAT],
      covariances=[NAN, derived(lambda t: t + torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=f64), ValueError, "asymmetric"),
                   derived(lambda t: t[:, :1], ValueError, "shape"), INTEGER])
T.add("em.MixtureParams.to", lambda: call(theta().to, torch.float32))
for why, args in (("device-name", ("gpu0",)), ("dict", ({"a": 1},)), ("int-dtype", (torch.int64,)), ("string", ("float",)),
                  ("list", ([1],))):
    T.case("em.MixtureParams.to", why, lambda args=args: theta().to(*args), TypeError, names="to")
T.add("em.log_joint", lambda: call(em.log_joint, X, theta(), means=theta().means.expand(3, 2, 2)),
      x=X_BAD[:5], theta=THETA_BAD[:2], means=[NAN, derived(lambda t: t[..., :1], ValueError, "shape"), FLOAT])
T.add("em.log_likelihood", lambda: call(em.log_likelihood, X, theta()), x=X_BAD, theta=THETA_BAD)
T.add("em.e_step", lambda: call(em.e_step, X, theta()), x=X_BAD, theta=THETA_BAD)
T.add("em.m_step", lambda: call(em.m_step, X, Q, reg_covar=1e-6), x=TENSOR + [INTEGER], q=Q_BAD,
      reg_covar=NONNEGATIVE_FLOAT)
T.add("em.lower_bound", lambda: call(em.lower_bound, X, Q, theta()), x=X_BAD[:4], q=Q_BAD, theta=THETA_BAD[:2],
      means=[bad(torch.full((2, 2), float("nan"), dtype=f64))])
T.add("em.kl_posterior", lambda: call(em.kl_posterior, X, Q, theta()), x=X_BAD[:4], q=Q_BAD, theta=THETA_BAD[:2])
T.add("em.entropy", lambda: call(em.entropy, Q), q=Q_BAD[:4] + [EXTRA_AXIS, INTEGER])
T.add("em.init_params", lambda: call(em.init_params, X, 2, generator=torch.Generator()),
      x=TENSOR + [INTEGER, derived(lambda t: t[:1], ValueError, "one-point")],
      n_components=POSITIVE_INT + [bad(21, ValueError, "more-than-points")], generator=GENERATOR[:2])
T.add("em.sample_mixture", lambda: call(em.sample_mixture, theta(), 5, generator=torch.Generator()),
      theta=THETA_BAD, n=POSITIVE_INT, generator=GENERATOR[:2])
T.case("em.sample_mixture", "singular-covariance",
       lambda: em.sample_mixture(em.MixtureParams(W, M, torch.zeros(2, 2, 2, dtype=f64)), 5), ValueError,
       names="covariance")
VALUES = torch.linspace(-1, 1, 5, dtype=f64)
T.add("em.bound_curves", lambda: call(em.bound_curves, X, Q, theta(), VALUES, component=1, coord=0),
      x=X_BAD[:2], q=Q_BAD[:2], theta=THETA_BAD[:1], values=[AS_LIST, NAN, EXTRA_AXIS],
      component=[bad(2), bad(-1), bad(0.5, TypeError)], coord=[bad(2), bad("0", TypeError)])
T.add("em.GaussianMixture", lambda: call(em.GaussianMixture, 2, max_iter=5),
      n_components=POSITIVE_INT, max_iter=POSITIVE_INT[:2], tol=NONNEGATIVE_FLOAT[:2],
      reg_covar=NONNEGATIVE_FLOAT[:2], seed=NONNEGATIVE_INT[:3])
T.add("em.GaussianMixture.fit", lambda: call(em.GaussianMixture(2, max_iter=3).fit, X),
      x=[bad("data", TypeError), bad(np.arange(10.0)), bad(np.array([[0.0, np.nan]] * 4)),
         bad(np.zeros((1, 2)), names="n_components"),
         bad(np.zeros((0, 2))), bad([[1, "a"]] * 3, TypeError)],
      init=[bad("theta", TypeError), bad(em.MixtureParams(torch.ones(3) / 3, torch.zeros(3, 2), torch.eye(2).expand(3, 2, 2)),
                                         ValueError, "three-components", names="init.means")])
T.add("em.GaussianMixture.score", lambda: call(fitted().score, X),
      x=[bad("data", TypeError), bad(np.zeros((3, 3))), bad(np.full((3, 2), np.inf)), bad(np.zeros(2)),
         bad(np.zeros((0, 2)))])
T.case("em.GaussianMixture.score", "not-fitted", lambda: em.GaussianMixture(2).score(X), ValueError, names="fit")
T.add("em.GaussianMixture.predict_proba", lambda: call(fitted().predict_proba, X),
      x=[bad(None, TypeError), bad(np.zeros((3, 1))), bad(np.full((3, 2), np.nan)), bad(torch.zeros(2, 2, 2)),
         bad(np.zeros((0, 2)))])
T.case("em.GaussianMixture.predict_proba", "not-fitted", lambda: em.GaussianMixture(2).predict_proba(X), ValueError,
       names="fit")

# -- the widget: validated before anything is built ---------------------------------------------------------------
MODEL_BAD = [bad("model", TypeError), bad(None, TypeError), bad(em.GaussianMixture(2), ValueError, "unfitted")]
WIDGET = dict(x=[bad("x", TypeError), bad(np.zeros((5, 3))), bad(np.full((5, 2), np.nan)), bad(np.zeros((0, 2)))],
              model=MODEL_BAD, component=[bad(2), bad(-1), bad(1.5, TypeError)], coord=[bad(2), bad(None, TypeError)],
              num_points=[bad(1), bad(10**7), bad(50.5, TypeError)], y_span=[bad(0.0), bad(float("nan"))])
T.add("widgets.em.BoundTouches", lambda: call(wem.BoundTouches, X, fitted(), num_points=21), **WIDGET)
T.add("widgets.em.bound_touches", lambda: call(wem.bound_touches, X, fitted(), num_points=21), x=WIDGET["x"],
      model=MODEL_BAD)
T.case("widgets.em.bound_touches", "component", lambda: wem.bound_touches(X, fitted(), component=5), ValueError,
       names="component")
T.case("widgets.em.bound_touches", "misspelt", lambda: wem.bound_touches(X, fitted(), componnet=1), TypeError,
       names="componnet")
T.add("widgets.em.BoundTouches.curves", lambda: call(wem.BoundTouches(X, fitted(), num_points=21).curves, 0),
      step=[bad(-1), bad(10**6), bad(0.5, TypeError), bad("0", TypeError), bad(None, TypeError)])

T.install(globals())
