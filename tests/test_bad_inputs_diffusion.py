"""Bad inputs to lecturekit.diffusion (schedules, the forward and reverse chains, training, metrics) and its widget."""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturekit import diffusion as D
from lecturekit.widgets import diffusion as wd
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, GENERATOR, HUGE_COUNT, INF, NAN,
                                      ON_META, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS, TENSOR, Table, bad, call,
                                      choice_bads, derived)

T = Table("diffusion", ["lecturekit.diffusion", "lecturekit.widgets.diffusion"])
X = torch.randn(6, 2)


def model(**kw):
    return D.make_model(dim=2, num_timesteps=4, hidden_dim=8, num_layers=2, **kw)


@functools.cache
def traj():
    return wd.trajectories(model(), X, grid_size=3)


#: data for a 2-D float32 model: the tensor faults, float64, the wrong width, no batch axis
DATA = [AS_LIST, AS_NUMPY, NAN, INF, EMPTY, DOUBLE, ON_META, derived(lambda t: t[:, :1], ValueError, "1-D-points"),
        derived(lambda t: t[0], ValueError, "no-batch-axis")]
STEP = [bad(5), bad(-1), bad(1.5, TypeError), bad("2", TypeError), bad(True, TypeError),
        bad(torch.tensor([1.0]), TypeError, "float-tensor"), bad(torch.ones(2, 2, dtype=torch.long), ValueError, "2-D")]
STEP1 = [bad(0)] + STEP  # steps 1..T
DIFF_BAD = [bad(None, TypeError), bad(torch.nn.Linear(2, 2), TypeError, "linear")]

T.add("diffusion.beta_schedule", lambda: call(D.beta_schedule, 5, kind="sigmoid", beta_start=1e-3, beta_end=0.2),
      num_timesteps=POSITIVE_INT[:3], kind=choice_bads()[:3], beta_start=[bad(0.0), bad(1.0), bad("1e-3")],
      beta_end=[bad(float("nan")), bad(-0.1)], center=[bad(0.0), bad(1.5), bad("0.5", TypeError)])
T.add("diffusion.DenoisingMLP", lambda: call(D.DenoisingMLP, 2, num_timesteps=4, hidden_dim=8, out_dim=4),
      dim=POSITIVE_INT[:3], num_timesteps=POSITIVE_INT[:2], hidden_dim=[bad(0)], num_layers=[bad(0)],
      out_dim=[bad(0), bad(-1)], residual=[bad("yes", TypeError), bad(1, TypeError)])
T.add("diffusion.DenoisingMLP.forward", lambda: call(D.DenoisingMLP(2, num_timesteps=4, hidden_dim=8).forward, X,
                                                      torch.tensor([0, 1, 2, 3, 4, 4])),
      x=DATA[:7], t=[bad(torch.tensor([0, 1, 2, 3, 4, 5])), bad(torch.ones(6), TypeError), bad(torch.tensor([1, 2])), bad("t", TypeError)])
T.add("diffusion.GaussianDiffusion", lambda: call(D.GaussianDiffusion, torch.nn.Identity(), betas=torch.full((3,), 0.1)),
      model=[bad(lambda x, t: x, TypeError, "function"), bad(None, TypeError)],
      betas=[bad(torch.tensor([])), bad(torch.tensor([0.1, 1.0])), bad(torch.tensor([-0.1, 0.5])), bad([0.1], TypeError),
             bad(torch.tensor([float("nan")]))],
      parameterization=[bad("x0")], variance=[bad("learned")], clip_x0=[bad(0.0), bad(float("inf"))])
#: data for the forward process q, which takes float32 and float64 alike (its schedule is cast to the data's dtype)
Q_DATA = DATA[:5] + [ON_META, derived(lambda t: t.long(), TypeError, "int")]
for name, args in (("q_step", (X, 2)), ("q_mean_variance", (X, 2)), ("q_sample", (X, 2)), ("p_mean_variance", (X, 2)),
                   ("drift", (X, 2)), ("p_sample", (X, 2))):
    first = "x_prev" if name == "q_step" else "x0" if name.startswith("q_") else "xt"
    T.add(f"diffusion.GaussianDiffusion.{name}", lambda name=name, args=args: call(getattr(model(), name), *args),
          **{first: Q_DATA if name.startswith("q_") else DATA,
             "t": STEP1 if name not in ("q_mean_variance", "q_sample") else STEP})
T.add("diffusion.GaussianDiffusion.q_trajectory", lambda: call(model().q_trajectory, X, generator=torch.Generator()),
      x0=Q_DATA, generator=GENERATOR[:2])
T.case("diffusion.GaussianDiffusion.q_sample", "noise-shape", lambda: model().q_sample(X, 2, noise=torch.randn(3, 2)),
       ValueError, names="noise")
T.case("diffusion.GaussianDiffusion.q_sample", "noise-nan", lambda: model().q_sample(X, 2, noise=X * float("nan")),
       ValueError, names="noise")
T.add("diffusion.GaussianDiffusion.q_posterior", lambda: call(model().q_posterior, X, X + 1, 2),
      x0=DATA[:4], xt=[derived(lambda t: t[:3], ValueError, "rows"), NAN, INF], t=STEP1[:3])
T.add("diffusion.GaussianDiffusion.p_sample_loop", lambda: call(model().p_sample_loop, (4, 2), generator=torch.Generator(),
                                                                return_trajectory=True),
      shape=[bad((4,)), bad((4, 3)), bad((0, 2)), bad((4.5, 2), TypeError), bad("42", TypeError), bad(None, TypeError)],
      device=[bad("gpu0")], generator=GENERATOR[:1], return_trajectory=[bad("yes", TypeError)],
      x_known=[bad(torch.zeros(4, 2))])
T.case("diffusion.GaussianDiffusion.p_sample_loop", "mask-values",
       lambda: model().p_sample_loop((4, 2), x_known=torch.zeros(4, 2), mask=torch.full((4, 2), 0.5)), ValueError,
       names="mask")
T.case("diffusion.GaussianDiffusion.p_sample_loop", "x_known-nan",
       lambda: model().p_sample_loop((4, 2), x_known=torch.full((4, 2), float("nan")), mask=torch.ones(4, 2)),
       ValueError, names="x_known")
T.case("diffusion.GaussianDiffusion.p_sample_loop", "trajectory-too-big",
       lambda: model().p_sample_loop((10**8, 2), return_trajectory=True), ValueError, names="return_trajectory")
T.add("diffusion.GaussianDiffusion.p_losses", lambda: call(model().p_losses, X, t=torch.full((6,), 2), generator=torch.Generator()),
      x0=DATA, t=STEP1[:5], generator=GENERATOR[:1])
T.add("diffusion.GaussianDiffusion.forward", lambda: call(model().forward, X), x0=DATA)
T.add("diffusion.GaussianDiffusion.lower_bound", lambda: call(model().lower_bound, X, generator=torch.Generator()),
      x0=DATA, generator=GENERATOR[:1])
T.add("diffusion.make_model", lambda: call(D.make_model, dim=2, num_timesteps=3, hidden_dim=4, parameterization="eps"),
      dim=[bad(0), bad("2", TypeError)], num_timesteps=[bad(0)], schedule=choice_bads()[:2],
      parameterization=[bad("x0")], beta_end=[bad(1.5)], residual=[bad("no", TypeError)])
T.add("diffusion.fit_diffusion", lambda: call(D.fit_diffusion, model(), X, num_steps=2, batch_size=4, progress=False,
                                              generator=torch.Generator()),
      diffusion=DIFF_BAD, x=DATA[:6], num_steps=POSITIVE_INT[:2] + [HUGE_COUNT], batch_size=POSITIVE_INT[:2],
      lr=POSITIVE_FLOAT[:3], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.add("diffusion.gaussian_reverse_kernels", lambda: call(D.gaussian_reverse_kernels, model(), mean=0.5, std=0.3),
      diffusion=DIFF_BAD, mean=[bad(float("nan")), bad("0", TypeError)], std=POSITIVE_FLOAT[:4])
T.add("diffusion.isotropic_gaussian_log_likelihood", lambda: call(D.isotropic_gaussian_log_likelihood, X, X[:3]),
      x_train=TENSOR + [derived(lambda t: t[:1], ValueError, "one-point"), derived(lambda t: t * 0, ValueError, "zero-variance")],
      x=[NAN, derived(lambda t: t[:, :1], ValueError, "1-D"), derived(lambda t: t.long(), TypeError, "int")])
T.add("diffusion.energy_distance", lambda: call(D.energy_distance, X, X[:4] + 1),
      x=TENSOR + [derived(lambda t: t[:1], ValueError, "one-point")], y=[derived(lambda t: t[:, :1], ValueError, "1-D"), INF])
T.add("diffusion.bits", lambda: call(D.bits, torch.tensor([1.0, 2.0])),
      nats=[bad("1", TypeError), bad(float("nan")), bad(torch.tensor([float("inf")])), bad(None, TypeError),
            bad(torch.tensor([1, 2]), TypeError)])
T.add("diffusion.inpaint_mask", lambda: call(D.inpaint_mask, 2, size=4),
      hidden_rows=[bad(0), bad(4), bad(1.5), bad(True)], size=[bad(0), bad(1)])
T.add("diffusion.judged_inpainting", lambda: call(D.judged_inpainting, D.make_model(dim=196, num_timesteps=2, hidden_dim=4),
                                                  torch.rand(2, 1, 28, 28), torch.tensor([1, 7])),
      _run_good=False,  # the digit judge trains on first use
      diffusion=DIFF_BAD, images=[AS_LIST, NAN, derived(lambda t: t * 255, ValueError, "0-255"),
                                  derived(lambda t: t[..., :14, :14], ValueError, "14x14")],
      labels=[derived(lambda t: t[:1], ValueError, "short"), derived(lambda t: t + 10, ValueError, "label-17"),
              derived(lambda t: t.float(), ValueError, "float")],
      hidden_rows=[bad(0), bad(14)], generator=GENERATOR[:1])

# -- the widget ---------------------------------------------------------------------------------------------------------
T.add("widgets.diffusion.trajectories", lambda: call(wd.trajectories, model(), X, grid_size=3),
      diffusion=DIFF_BAD, x0=[AS_LIST, NAN, DOUBLE, derived(lambda t: torch.zeros(3, 3), ValueError, "3-D")],
      grid_size=[bad(1), bad(1000), bad(2.5, TypeError)], limit=POSITIVE_FLOAT[:3], seed=[bad(-1), bad("0", TypeError)])
T.add("widgets.diffusion.draw_figure1", lambda: call(wd.draw_figure1, Figure(figsize=(3, 3)), traj(), steps=[0, 4]),
      fig=[bad(None, TypeError), bad("fig", TypeError)],
      traj=[bad({}, TypeError), bad(None, TypeError), bad({"forward": 1, "reverse": 1, "grid": 1, "drift": 1}, ValueError)],
      steps=[bad([5]), bad([-1]), bad([1.5], TypeError), bad("04", TypeError), bad([], TypeError)], limit=[bad(0.0)])
T.add("widgets.diffusion.TimeSlider", lambda: call(wd.TimeSlider, traj(), limit=2.0),
      traj=[bad({}, TypeError), bad([1], TypeError), bad({**traj(), "forward": np.zeros((5, 6, 3))}, ValueError, "3-D"),
            bad({**traj(), "drift": np.full(traj()["drift"].shape, np.nan)}, ValueError, "nan")],
      limit=[bad(0.0), bad(float("nan"))], interval_ms=[bad(0), bad(10**6), bad(1.5, TypeError)])
T.add("widgets.diffusion.time_slider", lambda: call(wd.time_slider, model(), X, grid_size=3),
      diffusion=DIFF_BAD[:1], x0=[NAN, DOUBLE], grid_size=[bad(0)], limit=[bad(-1.0)], seed=[bad(1.5, TypeError)],
      interval_ms=[bad(5)])

T.install(globals())
