"""Bad inputs to lecturekit.flows (layers, couplings, fitting, transport) and the density-warp widget."""

from __future__ import annotations

import functools

import torch

from lecturekit import flows
from lecturekit.widgets import flows as wf
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, GENERATOR, HUGE_COUNT, INF, NAN,
                                      NONNEGATIVE_INT, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS, Table, bad, call,
                                      choice_bads, derived)

T = Table("flows", ["lecturekit.flows", "lecturekit.widgets.flows"])
Z = torch.randn(5, 2)
#: points for a 2-D float32 layer: not a tensor, NaN, inf, float64, 3-D points, integers
POINTS = [AS_LIST, AS_NUMPY, NAN, INF, DOUBLE, derived(lambda t: torch.zeros(5, 3), ValueError, "3-D"),
          derived(lambda t: t.long(), TypeError, "int")]
UPTO = [bad(-1), bad(99), bad(1.5), bad("1"), bad(True)]
FLOW_BAD = [bad(None, TypeError), bad(torch.nn.Linear(2, 2), TypeError, "linear"), bad("flow", TypeError)]
TARGET = [bad("U5"), bad(["U1", "U2"]), bad(3, TypeError), bad("u1")]


def planar(**kw):
    return flows.planar_flow(dim=2, num_layers=2, **kw)


def nice():
    return flows.nice_flow(num_coupling=2, hidden_dim=4)


@functools.cache
def gan():
    from lecturekit.gan import GAN

    return GAN(hidden_dim=4, num_layers=2)


T.add("flows.DiagonalGaussian", lambda: call(flows.DiagonalGaussian, 2, num_flows=3, learnable=False),
      dim=POSITIVE_INT[:3], num_flows=[bad(0), bad(1.5, TypeError)], learnable=[bad("no", TypeError)])
T.add("flows.DiagonalGaussian.log_prob", lambda: call(flows.DiagonalGaussian(2).log_prob, Z), z=POINTS)
T.add("flows.DiagonalGaussian.rsample", lambda: call(flows.DiagonalGaussian(2).rsample, 4, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:2])
T.add("flows.PlanarFlow", lambda: call(flows.PlanarFlow, 2, 3, num_flows=2, init_scale=0.2),
      dim=POSITIVE_INT[:2], num_layers=POSITIVE_INT[:2], num_flows=[bad(0)], init_scale=POSITIVE_FLOAT[:3])
T.add("flows.PlanarFlow.forward", lambda: call(flows.PlanarFlow(2, 3).forward, Z, upto=2), z=POINTS, upto=UPTO)
T.add("flows.PlanarFlow.inverse", lambda: call(flows.PlanarFlow(2, 3).inverse, Z, num_iters=10), y=POINTS[:5],
      upto=UPTO[:2], num_iters=[bad(0), bad(2.5, TypeError)])
T.add("flows.RadialFlow", lambda: call(flows.RadialFlow, 2, 2, init_scale=0.3),
      dim=POSITIVE_INT[:2], num_layers=POSITIVE_INT[:2], init_scale=[bad(0.0), bad(float("nan"))])
T.add("flows.RadialFlow.forward", lambda: call(flows.RadialFlow(2, 2).forward, Z), z=POINTS, upto=UPTO[:2])
T.add("flows.RadialFlow.inverse", lambda: call(flows.RadialFlow(2, 2).inverse, Z), y=POINTS, upto=UPTO[:1])
for why, args, exc, name in (("none", (), ValueError, "transforms"),
                             ("linear", (torch.nn.Linear(2, 2),), TypeError, "transforms"),
                             ("string", ("planar",), TypeError, "transforms"),
                             ("dims", (flows.PlanarFlow(2, 1), flows.PlanarFlow(3, 1)), ValueError, "transforms"),
                             ("function", (lambda z: z,), TypeError, "transforms")):
    T.case("flows.Compose", why, lambda args=args: flows.Compose(*args), exc, names=name)
T.add("flows.Compose", lambda: call(flows.Compose, flows.PlanarFlow(2, 1), flows.RadialFlow(2, 1)))
T.add("flows.Compose.forward", lambda: call(flows.Compose(flows.PlanarFlow(2, 1), flows.RadialFlow(2, 1)).forward, Z),
      z=POINTS[:5], upto=UPTO[:2])
T.add("flows.Compose.inverse", lambda: call(flows.Compose(flows.PlanarFlow(2, 1), flows.RadialFlow(2, 1)).inverse, Z),
      y=POINTS[:5], upto=UPTO[:2])
T.add("flows.Flow", lambda: call(flows.Flow, flows.PlanarFlow(2, 1), flows.DiagonalGaussian(2)),
      transform=[bad(None, TypeError), bad(torch.nn.Linear(2, 2), TypeError), bad("planar", TypeError)],
      base=[bad(torch.distributions.Normal(0.0, 1.0), TypeError), bad(flows.DiagonalGaussian(3), ValueError, "dim-3")])
T.add("flows.Flow.forward", lambda: call(planar().forward, Z, upto=1), z0=POINTS, upto=UPTO[:2])
T.add("flows.Flow.push_forward", lambda: call(planar().push_forward, Z), z0=POINTS, upto=UPTO[:1])
T.add("flows.Flow.rsample_and_log_prob", lambda: call(planar().rsample_and_log_prob, 4, generator=torch.Generator()),
      n=POSITIVE_INT[:3], generator=GENERATOR[:1], upto=UPTO[:2])
T.add("flows.Flow.sample", lambda: call(planar().sample, 4, generator=torch.Generator()), n=POSITIVE_INT,
      generator=GENERATOR[:1])
T.add("flows.Flow.log_prob", lambda: call(planar().log_prob, Z), x=POINTS, upto=UPTO[:2])
T.case("flows.Flow.log_prob", "bank-shape", lambda: planar(num_flows=2).log_prob(Z), ValueError, names="x")
T.add("flows.select", lambda: call(flows.select, planar(num_flows=3), 1),
      flow=[bad(planar()), bad(nice()), bad(None)], index=[bad(3), bad(-1), bad(1.0), bad(True)])
T.add("flows.planar_flow", lambda: call(flows.planar_flow, dim=2, num_layers=2, num_flows=2),
      dim=POSITIVE_INT[:3], num_layers=POSITIVE_INT[:2], num_flows=[bad(0)])
T.add("flows.AdditiveCoupling", lambda: call(flows.AdditiveCoupling, 3, parity=1, hidden_dim=4, num_hidden=1),
      dim=[bad(1), bad(0), bad(2.5, TypeError)], parity=[bad(2), bad("0")], hidden_dim=[bad(0)], num_hidden=[bad(-1)],
      activation=[bad("gelu!")])
T.add("flows.AffineCoupling", lambda: call(flows.AffineCoupling, 2, hidden_dim=4),
      dim=[bad(1), bad("2", TypeError)], parity=[bad(-1)], hidden_dim=[bad(0)], activation=[bad("nope")])
for cls in ("AdditiveCoupling", "AffineCoupling", "Scaling"):
    make = (lambda cls=cls: getattr(flows, cls)(2) if cls == "Scaling" else getattr(flows, cls)(2, hidden_dim=4))
    T.add(f"flows.{cls}.forward", lambda make=make: call(make().forward, Z), z=POINTS)
    T.add(f"flows.{cls}.inverse", lambda make=make: call(make().inverse, Z), y=POINTS)
T.add("flows.Scaling", lambda: call(flows.Scaling, 2), dim=POSITIVE_INT)
NET = dict(num_coupling=POSITIVE_INT[:2], hidden_dim=[bad(0)], activation=[bad("nope")])
T.add("flows.NICE", lambda: call(flows.NICE, 2, num_coupling=2, hidden_dim=4), dim=[bad(1), bad(0)], **NET)
T.add("flows.RealNVP", lambda: call(flows.RealNVP, 2, num_coupling=2, hidden_dim=4), dim=[bad(1)], num_hidden=[bad(0)],
      **NET)
T.add("flows.nice_flow", lambda: call(flows.nice_flow, num_coupling=2, hidden_dim=4), dim=[bad(1), bad(0)], **NET)
T.add("flows.realnvp_flow", lambda: call(flows.realnvp_flow, num_coupling=2, hidden_dim=4), dim=[bad(1), bad(0)], **NET)
T.add("flows.log_partition", lambda: call(flows.log_partition, "U1", bound=5.0, num=50),
      target=TARGET[:1] + [bad(["U1"]), bad(None)], bound=POSITIVE_FLOAT[:3], num=[bad(1), bad(10**6), bad(2.5, TypeError)])
T.add("flows.anneal_schedule", lambda: call(flows.anneal_schedule, 3, 10, anneal_fraction=0.5, tau_start=0.01),
      step=NONNEGATIVE_INT[:3], num_steps=POSITIVE_INT[:2], anneal_fraction=POSITIVE_FLOAT[:2],
      tau_start=[bad(-0.1), bad(2.0), bad(float("nan"))])
T.add("flows.reverse_kl_loss", lambda: call(flows.reverse_kl_loss, planar(), "U1", 4, tau=0.5,
                                            generator=torch.Generator()),
      flow=FLOW_BAD, target=TARGET, n=POSITIVE_INT[:2], tau=[bad(-1.0), bad(float("inf")), bad("1", TypeError)],
      generator=GENERATOR[:1])
T.add("flows.fit_reverse_kl", lambda: call(flows.fit_reverse_kl, planar(), "U2", num_steps=2, batch_size=4,
                                           progress=False, generator=torch.Generator()),
      flow=FLOW_BAD[:2], target=TARGET[:2], num_steps=POSITIVE_INT[:2] + [HUGE_COUNT], batch_size=[bad(0)],
      lr=POSITIVE_FLOAT[:2], lr_final=[bad(0.0)], anneal_fraction=[bad(-1.0)], tau_start=[bad(1.5)],
      num_restarts=[bad(0)], select_samples=[bad(0)], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.case("flows.fit_reverse_kl", "restarts-of-a-coupling-flow",
       lambda: flows.fit_reverse_kl(nice(), "U1", num_steps=1, num_restarts=2, progress=False), ValueError,
       names="num_restarts")
T.add("flows.kl", lambda: call(flows.kl, planar(), "U3", num_samples=50, generator=torch.Generator()),
      flow=FLOW_BAD, target=TARGET[:3], num_samples=POSITIVE_INT[:3], generator=GENERATOR[:1])
T.add("flows.grid", lambda: call(flows.grid, bound=2.0, num=5),
      bound=POSITIVE_FLOAT[:3], num=[bad(0), bad(10**6)], dtype=[bad(torch.int64, TypeError)],
      extent=[bad((0, 1, 0)), bad((1, 0, 0, 1)), bad((0, 1, 0, float("inf"))), bad(("a", 1, 0, 1), TypeError)])
T.add("flows.density_grid", lambda: call(flows.density_grid, planar(), bound=2.0, num=5),
      flow=FLOW_BAD, bound=[bad(0.0)], num=[bad(0)], extent=[bad((0, 0, 0, 1))], upto=UPTO[:2])
T.add("flows.target_density_grid", lambda: call(flows.target_density_grid, "U4", bound=2.0, num=5),
      target=TARGET[:1] + [bad(None), bad(["U4"])], bound=[bad(-1.0)], num=[bad(-5)], extent=[bad("full")])
T.add("flows.check_fig3", lambda: call(flows.check_fig3, {2: [3.0], 8: [1.0], 32: [0.01]}, targets=("U1",)),
      kls=[bad({}), bad([1, 2, 3]), bad({2: [1.0], 8: [1.0]}), bad(None)], targets=[bad(("U9",)), bad(3, TypeError)])
T.add("flows.u3_lower_branch_mass", lambda: call(flows.u3_lower_branch_mass, planar(), num_samples=20,
                                                 generator=torch.Generator()),
      q=[bad("U1"), bad(planar(num_flows=2)), bad(None, TypeError), bad(torch.nn.Linear(2, 2), TypeError)],
      num_samples=POSITIVE_INT[:2], generator=GENERATOR[:1])
T.add("flows.fit_max_likelihood", lambda: call(flows.fit_max_likelihood, nice(), Z, num_steps=2, batch_size=2,
                                               progress=False, generator=torch.Generator()),
      flow=FLOW_BAD[:2] + [bad(planar(), ValueError, "planar")], x=[bad("x", TypeError), derived(lambda t: torch.zeros(5, 3), ValueError, "3-D"), NAN, EMPTY],
      num_steps=[bad(0), HUGE_COUNT], batch_size=[bad(0)], lr=[bad(0.0)], generator=GENERATOR[:1])
T.add("flows.log_likelihood", lambda: call(flows.log_likelihood, nice(), Z),
      flow=FLOW_BAD, x=[bad("x", TypeError), NAN, EMPTY, derived(lambda t: torch.zeros(5, 3), ValueError, "3-D")])
T.add("flows.moons", lambda: call(flows.moons, 10, seed=3), num_points=POSITIVE_INT, seed=NONNEGATIVE_INT[:3])
T.add("flows.fit_moons_flow", lambda: call(flows.fit_moons_flow, nice(), num_points=8, num_steps=2, batch_size=4,
                                           progress=False),
      flow=FLOW_BAD[:1] + [bad(planar(), ValueError, "planar")], num_points=[bad(0)], data_seed=[bad(-1)],
      test_seed=[bad(-1), bad(0.5, TypeError)], num_steps=[bad(0)], lr=[bad(-1.0)])
T.add("flows.fit_moons_gan", lambda: call(flows.fit_moons_gan, gan(), num_points=8, num_steps=2, batch_size=4,
                                          progress=False),
      gan=[bad(None, TypeError), bad(nice(), TypeError)], num_points=[bad(0)], data_seed=[bad(-1)],
      num_steps=[bad(0), HUGE_COUNT], batch_size=[bad(0)], lr=[bad(0.0)], decay_from=[bad(1.5), bad(-0.1)],
      generator=GENERATOR[:1])

# -- the widget ------------------------------------------------------------------------------------------------------------
T.add("widgets.flows.warped_lines", lambda: call(wf.warped_lines, planar().transform, centre=[0.0, 0.0], scale=[1.0, 1.0],
                                                 upto=1, num_lines=3, num_points=5),
      _allow_nan=True,  # NaN rows separate the lines, so that one Line2D draws them all
      transform=[bad(None, TypeError), bad(lambda z: z, TypeError, "function"), bad(flows.PlanarFlow(3, 1), ValueError, "3-D")],
      centre=[bad([0.0]), bad([float("nan"), 0.0]), bad("c", TypeError)], scale=[bad([0.0, 1.0]), bad([1.0])],
      num_lines=[bad(1), bad(10**4)], num_points=[bad(0)], span=[bad(0.0), bad(float("inf"))], upto=[bad(5)])
T.add("widgets.flows.DensityWarp", lambda: call(wf.DensityWarp, planar(), bound=2.0, num=8, coarse=6),
      flow=[bad(None, TypeError), bad(planar(num_flows=2), TypeError, "bank"), bad(flows.planar_flow(dim=3), ValueError, "3-D")],
      bound=POSITIVE_FLOAT[:3], num=[bad(1), bad(10**5)], coarse=[bad(0), bad(10**4)])
T.add("widgets.flows.density_warp", lambda: call(wf.density_warp, nice(), num=8, coarse=6),
      flow=[bad("flow", TypeError), bad(torch.nn.Linear(2, 2), TypeError)])
for why, kwargs, exc, name in (("bound", {"bound": -1.0}, ValueError, "bound"), ("num", {"num": 0}, ValueError, "num"),
                               ("unknown", {"layers": 3}, TypeError, "layers")):
    T.case("widgets.flows.density_warp", why, lambda kwargs=kwargs: wf.density_warp(nice(), **kwargs), exc, names=name)
T.add("widgets.flows.DensityWarp.planar", lambda: call(wf.DensityWarp(planar(), num=8, coarse=6).planar, 1.0, 0.0, 0.5,
                                                       0.0, 0.0), _allow_nan=True,  # the warped lines' NaN separators
      w1=[bad(float("nan")), bad("1", TypeError)], w2=[bad(float("inf"))], u1=[bad(None, TypeError)], b=[bad(-float("inf"))])

T.install(globals())
