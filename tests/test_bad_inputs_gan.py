"""Bad inputs to lecturekit.gan (losses, players, trainers, 1-D theory), lecturekit.gan_toys (the 1-D
replay and the ring, their cached runs) and the widgets of notebooks 09 and 10 (lecturekit.widgets.gan).

The trainers' good calls are tiny (two steps on 4-unit networks); the cached runs and the frames
of the Fig. 1 player train into the model cache, so their good calls are not run here (tests/test_gan_toys.py
and tests/test_widgets_gan.py run them small in a private cache), and every bad case is rejected before
the cache is looked at, so nothing is written to the user's cache.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit import gan, gan_toys
from lecturekit.widgets import gan as wgan
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, GENERATOR,
                                      HUGE_COUNT, INF, INTEGER, NAN, NEGATIVE, NONNEGATIVE_INT, ON_META, POSITIVE_FLOAT,
                                      POSITIVE_INT, PROBABILITY, PROGRESS, TENSOR, Table, bad, call, choice_bads, derived)

T = Table("gan", ["lecturekit.gan", "lecturekit.gan_toys", "lecturekit.widgets.gan"])

LOGITS = torch.randn(6)
MODULE_BAD = [bad(None, TypeError), bad("net", TypeError), bad(torch.nn.Linear(1, 1), TypeError, "no-sample")]
SAMPLER_BAD = [bad(None, TypeError), bad(3, TypeError),
               bad(lambda n: torch.randn(n + 1, 1), ValueError, "wrong-rows", names="sample_data"),
               bad(lambda n: torch.randn(n, 1).double(), TypeError, "float64", names="sample_data"),
               bad(lambda n: torch.full((n, 1), float("nan")), ValueError, "nan", names="sample_data"),
               bad(lambda n: torch.randn(n, 3), ValueError, "wrong-width", names="sample_data")]


#: mu of the 1-D players: NaN and infinity are ValueErrors, a value of the wrong kind a TypeError
MU_BAD = [bad(float("nan")), bad(float("inf")), bad(-float("inf")), bad("1", TypeError),
          bad(None, TypeError)]


def g1(**kw):
    return gan.MLPGenerator(latent_dim=1, data_dim=1, hidden_dim=4, num_layers=1, **kw)


def d1(**kw):
    return gan.MLPDiscriminator(data_dim=1, hidden_dim=4, num_layers=1, **kw)


def data1(n):
    return torch.randn(n, 1)


def affine():
    return gan.AffineGenerator(mu=0.5, scale=1.0)


# -- losses on logits -------------------------------------------------------------------------------------------------
T.add("gan.d_loss", lambda: call(gan.d_loss, LOGITS, LOGITS.flip(0)),
      real_logits=TENSOR + [INTEGER, ON_META], fake_logits=[NAN, INF, AS_LIST, INTEGER, EMPTY])
T.add("gan.g_loss", lambda: call(gan.g_loss, LOGITS, loss="minimax"),
      fake_logits=TENSOR + [INTEGER], loss=choice_bads(bad("Minimax")))

# -- players ----------------------------------------------------------------------------------------------------------
Z = torch.randn(4, 2)
T.add("gan.MLPGenerator", lambda: call(gan.MLPGenerator, latent_dim=2, data_dim=2, hidden_dim=4, num_layers=1),
      latent_dim=POSITIVE_INT, data_dim=POSITIVE_INT[:2], hidden_dim=POSITIVE_INT[:3], num_layers=POSITIVE_INT[:2])
T.add("gan.MLPGenerator.forward", lambda: call(gan.MLPGenerator(latent_dim=2, hidden_dim=4, num_layers=1).forward, Z),
      z=[AS_LIST, AS_NUMPY, EMPTY, DOUBLE, EXTRA_AXIS, ON_META,
         derived(lambda t: t[:, :1], ValueError, "latent-1")])
T.add("gan.MLPGenerator.sample_z", lambda: call(g1().sample_z, 3, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR)
T.add("gan.MLPGenerator.sample", lambda: call(g1().sample, 3, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:2])
X2 = torch.randn(4, 2)
T.add("gan.MLPDiscriminator", lambda: call(gan.MLPDiscriminator, data_dim=2, hidden_dim=4, num_layers=1, pack=2),
      data_dim=POSITIVE_INT[:2], hidden_dim=POSITIVE_INT[:2], num_layers=POSITIVE_INT[:2], pack=POSITIVE_INT[:3],
      activation=choice_bads()[:3])
T.add("gan.MLPDiscriminator.forward",
      lambda: call(gan.MLPDiscriminator(data_dim=2, hidden_dim=4, num_layers=1, pack=2).forward, X2),
      x=[AS_LIST, AS_NUMPY, EMPTY, DOUBLE, EXTRA_AXIS, ON_META,
         derived(lambda t: t[:3], ValueError, "odd-rows-for-pack-2"), derived(lambda t: t[:, :1], ValueError, "width-1")])
T.add("gan.AffineGenerator", lambda: call(gan.AffineGenerator, mu=-1.0, scale=0.5),
      mu=MU_BAD + [bad(torch.tensor(1.0), TypeError, "tensor")], scale=POSITIVE_FLOAT)
Z1 = torch.randn(5, 1)
T.add("gan.AffineGenerator.forward", lambda: call(affine().forward, Z1),
      z=[AS_LIST, AS_NUMPY, EMPTY, DOUBLE, ON_META, derived(lambda t: t.expand(5, 3), ValueError, "3-columns")])
T.add("gan.AffineGenerator.sample_z", lambda: call(affine().sample_z, 4, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:2])
T.add("gan.AffineGenerator.sample", lambda: call(affine().sample, 4), n=POSITIVE_INT, generator=GENERATOR[:1])
GRID = torch.linspace(-3, 3, 31)
T.add("gan.AffineGenerator.density", lambda: call(affine().density, GRID), x=TENSOR)
T.add("gan.GAN", lambda: call(gan.GAN, latent_dim=2, data_dim=2, hidden_dim=4, num_layers=1, pack=2),
      latent_dim=POSITIVE_INT[:2], data_dim=POSITIVE_INT[:2], hidden_dim=POSITIVE_INT[:2], num_layers=[bad(0)],
      pack=[bad(0), bad(2.0, TypeError)])
T.add("gan.GAN.sample", lambda: call(gan.GAN(hidden_dim=4, num_layers=1).sample, 4, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:2])

# -- trainers: two steps on 4-unit networks ----------------------------------------------------------------------------
T.add("gan.fit_gan", lambda: call(gan.fit_gan, g1(), d1(), data1, num_steps=2, batch_size=4, progress=False,
                                  generator=torch.Generator()),
      g_net=MODULE_BAD, d_net=MODULE_BAD[:2], sample_data=SAMPLER_BAD, num_steps=POSITIVE_INT[:3] + [HUGE_COUNT],
      k=POSITIVE_INT[:2], loss=choice_bads()[:2], lr=POSITIVE_FLOAT[:3], d_lr=[bad(0.0), bad("1", TypeError)],
      betas=[bad((0.5,)), bad((0.5, 1.0)), bad("ab", (TypeError, ValueError)), bad((0.5, float("nan")))],
      batch_size=POSITIVE_INT[:3], decay_from=PROBABILITY[:4],
      snapshot_every=NONNEGATIVE_INT[:3] + [bad(2, ValueError, "without-snapshot")], snapshot=[bad(3, TypeError)],
      generator=GENERATOR[:2], g_params=[bad(3, TypeError), bad([], ValueError, "empty"), bad(["w"], TypeError, "strings")],
      r1=[bad(-1.0), bad(float("nan")), bad("0", TypeError)], desc=[bad(3, TypeError)], progress=PROGRESS)
T.add("gan.fit_discriminator", lambda: call(gan.fit_discriminator, d1(), g1(), data1, num_steps=2, batch_size=4,
                                            progress=False, generator=torch.Generator()),
      d_net=MODULE_BAD[:2], g_net=MODULE_BAD, sample_data=SAMPLER_BAD[:4], num_steps=POSITIVE_INT[:3] + [HUGE_COUNT],
      lr=POSITIVE_FLOAT[:3], batch_size=POSITIVE_INT[:3], generator=GENERATOR[:2], progress=PROGRESS)

# -- 1-D theory on a grid ----------------------------------------------------------------------------------------------
P_DATA = gan.gaussian_density(GRID, 1.0, 0.5)
P_G = gan.gaussian_density(GRID, -1.0, 0.7)
D = torch.sigmoid(torch.randn(31))
T.add("gan.gaussian_density", lambda: call(gan.gaussian_density, GRID, 0.0, 1.0),
      x=TENSOR + [ON_META], mu=MU_BAD[:4] + [bad(torch.tensor([float("nan")]), ValueError, "nan-tensor")],
      sigma=[bad(0.0), bad(-1.0), bad(float("nan")), bad(float("inf")), bad("1", TypeError),
             bad(torch.tensor([0.0, 1.0]))])
T.add("gan.optimal_discriminator", lambda: call(gan.optimal_discriminator, P_DATA, P_G),
      p_data=TENSOR + [NEGATIVE, INTEGER], p_g=[NAN, AS_LIST, derived(lambda t: t[:5], ValueError, "shape")])
T.add("gan.trapezoid", lambda: call(gan.trapezoid, P_DATA, GRID),
      f=TENSOR + [EXTRA_AXIS],
      x=[NAN, AS_LIST, derived(lambda t: t.flip(0), ValueError, "decreasing"),
         derived(lambda t: t[:10], ValueError, "short"), derived(lambda t: t[:1], ValueError, "one-point")])
T.add("gan.value", lambda: call(gan.value, D, P_DATA, P_G, GRID),
      d=TENSOR + [derived(lambda t: torch.logit(t) * 3, ValueError, "logits"), derived(lambda t: t[:5], ValueError, "shape")],
      p_data=[NAN, NEGATIVE, AS_NUMPY], p_g=[INF, derived(lambda t: t[:, None], ValueError, "column")],
      x=[NAN, derived(lambda t: t.flip(0), ValueError, "decreasing")])
T.add("gan.jsd", lambda: call(gan.jsd, P_DATA, P_G, GRID),
      p_data=TENSOR + [NEGATIVE], p_g=[NAN, derived(lambda t: t[:5], ValueError, "shape"), INTEGER],
      x=[AS_LIST, INF, derived(lambda t: t.flip(0), ValueError, "decreasing"), derived(lambda t: t[:5], ValueError, "short")])

# -- gan_toys: the 1-D replay -------------------------------------------------------------------------------------------
T.add("gan_toys.GAN1D", lambda: call(gan_toys.GAN1D, g_mu=-1.0, g_scale=0.5, hidden_dim=4, num_layers=1),
      g_mu=MU_BAD[:4], g_scale=POSITIVE_FLOAT[:3], hidden_dim=POSITIVE_INT[:2], num_layers=POSITIVE_INT[:2])
T.add("gan_toys.GAN1D.sample", lambda: call(gan_toys.GAN1D(hidden_dim=4, num_layers=1).sample, 4,
                                            generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:2])


def m1():
    return gan_toys.GAN1D(hidden_dim=4, num_layers=1)


T.add("gan_toys.fit_1d", lambda: call(gan_toys.fit_1d, m1(), num_steps=2, batch_size=4, snapshot_every=1,
                                      grid=torch.linspace(-3, 3, 11), progress=False, generator=torch.Generator()),
      model=[bad(None, TypeError), bad(gan.GAN(hidden_dim=4, num_layers=1), TypeError, "ring-gan")],
      num_steps=POSITIVE_INT[:3] + [HUGE_COUNT], k=[bad(0)], loss=choice_bads()[:2], lr=[bad(0.0)],
      d_lr=[bad(-1.0)], batch_size=[bad(0)], data_mu=MU_BAD[:3], data_sigma=POSITIVE_FLOAT[:3],
      snapshot_every=[bad(0), bad(1.5, TypeError)],
      grid=TENSOR + [EXTRA_AXIS, derived(lambda t: t.flip(0), ValueError, "decreasing"), INTEGER],
      generator=GENERATOR[:1], progress=PROGRESS[:1])
BAD_TRAIN_1D = [bad([], TypeError), bad({"data_mu": 0.0}, ValueError, "fixed-data"),
                bad({"num_step": 3}, TypeError, "unknown-key", names="num_step"),
                bad({"num_steps": 10**9}, UserWarning, "huge-count", names="num_steps"),
                bad({"num_steps": 0}, ValueError, "zero-steps", names="num_steps"),
                bad({"seed": -1}, ValueError, "negative-seed", names="seed"),
                bad({"lr": "fast"}, TypeError, "lr-string", names="lr"),
                bad({1: 2}, TypeError, "int-key"), bad({"loss": "wgan"}, ValueError, "unknown-loss", names="loss"),
                bad({"progress": "yes"}, TypeError, "progress-string", names="progress")]
T.add("gan_toys.cached_1d", lambda: call(gan_toys.cached_1d, "gan-1d-table", model={"hidden_dim": 4},
                                         train={"num_steps": 2, "snapshot_every": 1}),
      _run_good=False,  # trains into the model cache; tests/test_gan_toys.py runs cached_1d in a private one
      name=[bad(None, TypeError), bad("", ValueError), bad("a/b", ValueError), bad(3, TypeError)],
      model=[bad("x", TypeError), bad({"nope": 1}, TypeError, "unknown-key", names="nope"),
             bad({"hidden_dim": 0}, ValueError, "zero-width", names="hidden_dim"),
             bad({"g_scale": -1.0}, ValueError, "negative-scale", names="g_scale")],
      train=BAD_TRAIN_1D)

# -- gan_toys: the ring -------------------------------------------------------------------------------------------------
CENTRES = torch.tensor([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]])
SAMPLES = CENTRES.repeat(5, 1) + 0.01 * torch.randn(20, 2)
T.add("gan_toys.mode_coverage", lambda: call(gan_toys.mode_coverage, SAMPLES, CENTRES, std=0.02),
      _check=lambda out: out["modes_captured"] == 4,
      samples=TENSOR + [derived(lambda t: t[:, :1], ValueError, "width-1")],
      centres=[AS_LIST, NAN, EMPTY, derived(lambda t: t[0], ValueError, "1-D")],
      std=POSITIVE_FLOAT[:4], num_std=POSITIVE_FLOAT[:2], min_share=PROBABILITY[:3])


def ring_model():
    return gan.GAN(hidden_dim=4, num_layers=1)


T.add("gan_toys.fit_ring", lambda: call(gan_toys.fit_ring, ring_model(), num_steps=2, batch_size=4, num_eval=8,
                                        progress=False, generator=torch.Generator()),
      model=[bad(None, TypeError), bad(m1(), TypeError, "1-d-gan"), bad(gan.GAN(data_dim=3, hidden_dim=4, num_layers=1),
                                                                       ValueError, "3-d")],
      num_steps=POSITIVE_INT[:2] + [HUGE_COUNT], batch_size=POSITIVE_INT[:3] + [bad(5, ValueError, "odd-for-pack-2")],
      num_eval=POSITIVE_INT[:2] + [bad(7, ValueError, "odd-for-pack-2")], std=POSITIVE_FLOAT[:3],
      k=[bad(0)], loss=choice_bads()[:1], lr=[bad(-1.0)], d_lr=[bad(0.0)], decay_from=PROBABILITY[:2], r1=[bad(-1.0)],
      snapshot_every=[bad(-1)], generator=GENERATOR[:2], progress=PROGRESS[:1])
BAD_TRAIN_RING = [bad([], TypeError), bad({"std": 0.1}, ValueError, "fixed-data"),
                  bad({"epochs": 3}, TypeError, "unknown-key", names="epochs"),
                  bad({"num_steps": 10**9}, UserWarning, "huge-count", names="num_steps"),
                  bad({"num_steps": -5}, ValueError, "negative-steps", names="num_steps"),
                  bad({"seed": "0"}, TypeError, "string-seed", names="seed"),
                  bad({"decay_from": 1.5}, ValueError, "decay-above-1", names="decay_from"),
                  bad({"num_eval": 0}, ValueError, "no-eval", names="num_eval")]
T.add("gan_toys.cached_ring", lambda: call(gan_toys.cached_ring, "ring-table", model={"hidden_dim": 4},
                                           train={"num_steps": 2}),
      _run_good=False,  # trains into the model cache; tests/test_gan_toys.py runs cached_ring in a private one
      name=[bad(None, TypeError), bad("", ValueError), bad(".."), bad(["ring"], TypeError)],
      model=[bad(3, TypeError), bad({"hiden_dim": 4}, TypeError, "unknown-key", names="hiden_dim"),
             bad({"pack": 0}, ValueError, "zero-pack", names="pack"),
             bad({"data_dim": 3}, ValueError, "3-d", names="data_dim")],
      train=BAD_TRAIN_RING, device=[bad("gpu0"), bad(3, TypeError)])
GOOD_RUNS = {"ring-a": {"model": {"hidden_dim": 4}, "train": {"num_steps": 2}}}
T.add("gan_toys.cached_rings", lambda: call(gan_toys.cached_rings, GOOD_RUNS, workers=1),
      _run_good=False,  # trains into the model cache in worker processes; tests/test_gan_toys.py runs it privately
      runs=[bad(None, TypeError), bad({}, TypeError, "empty"), bad([("a", {})], TypeError, "list"),
            bad({"a": 3}, ValueError, "spec-int"), bad({"a": {"modle": {}}}, ValueError, "spec-key", names="modle"),
            bad({3: {}}, TypeError, "int-name"), bad({"": {}}, ValueError, "empty-name"),
            bad({"a": {"train": {"std": 0.1}}}, ValueError, "fixed-data", names="std"),
            bad({"a": {"train": {"num_steps": 10**9}}}, UserWarning, "huge-count", names="num_steps"),
            bad({"a": {"model": {"pack": -1}}}, ValueError, "negative-pack", names="pack")],
      workers=POSITIVE_INT)

# -- widgets: validated before any figure is built ---------------------------------------------------------------------
T.add("widgets.gan.trajectory_frames", lambda: call(wgan.trajectory_frames, (1,), ("minimax",), num_steps=2,
                                                    snapshot_every=1),
      _run_good=False,  # trains into the model cache; tests/test_widgets_gan.py runs it in a private one
      ks=[bad(3, TypeError), bad((), ValueError, "empty"), bad((1, 0), ValueError, "zero-after-a-good-k"),
          bad((1.5,), TypeError), bad(("1",), TypeError)],
      losses=[bad("minimax", TypeError, "bare-string"), bad(()), bad(("minimax", "wgan")), bad((None,))],
      model=[bad("m", TypeError), bad({"g_mu": float("nan")}, ValueError, "nan-mu", names="g_mu"),
             bad({"width": 3}, TypeError, "unknown-key", names="width")])
T.case("widgets.gan.trajectory_frames", "unknown-train-key", lambda: wgan.trajectory_frames(num_step=3), TypeError,
       names="num_step")
T.case("widgets.gan.trajectory_frames", "zero-steps", lambda: wgan.trajectory_frames(num_steps=0), ValueError,
       names="num_steps")
T.case("widgets.gan.trajectory_frames", "fixed-data", lambda: wgan.trajectory_frames(data_sigma=1.0), ValueError,
       names="data_sigma")


def fake_frames(ks=(1,), losses=("nonsaturating",), num_frames=3, num_x=11):
    x = np.linspace(-3, 3, num_x)
    p = np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)
    one = {"x": x, "p_data": p, "step": np.arange(num_frames) * 10, "p_g": np.tile(p, (num_frames, 1)),
           "d": np.full((num_frames, num_x), 0.5), "d_star": np.full((num_frames, num_x), 0.5),
           "jsd": np.zeros(num_frames), "mu": np.zeros(num_frames), "scale": np.ones(num_frames)}
    return {(k, loss): {key: v.copy() for key, v in one.items()} for k in ks for loss in losses}


def _broken(key, fn):
    def make(good):
        frames = {k: dict(v) for k, v in good.items()}
        first = next(iter(frames))
        frames[first][key] = fn(frames[first][key])
        return frames
    return make


FRAMES_BAD = [bad(None, TypeError), bad([1], TypeError), bad({}, ValueError, "empty"),
              bad({(1, "minimax"): {"x": 1}}, ValueError, "missing-keys"),
              bad(fake_frames(losses=("wgan",)), ValueError, "unknown-loss"),
              bad(fake_frames(ks=(0,)), ValueError, "k-0"),
              derived(_broken("p_g", lambda a: a[:, :5]), ValueError, "p_g-shape"),
              derived(_broken("jsd", lambda a: a * np.nan), ValueError, "jsd-nan"),
              derived(_broken("mu", lambda a: a[:1]), ValueError, "mu-short"),
              derived(_broken("x", lambda a: a[::-1].copy()), ValueError, "x-decreasing"),
              derived(_broken("d", lambda a: a + 1), ValueError, "d-above-1"),
              bad({**fake_frames(), **fake_frames(ks=(2,), num_frames=4)}, ValueError, "unequal-runs")]
T.add("widgets.gan.TrainingPlayer", lambda: call(wgan.TrainingPlayer, fake_frames(ks=(1, 2), losses=gan.LOSSES),
                                                 interval_ms=50),
      frames=FRAMES_BAD, interval_ms=POSITIVE_INT)
T.add("widgets.gan.training_player", lambda: call(wgan.training_player, fake_frames()),
      frames=FRAMES_BAD[1:6])
T.case("widgets.gan.training_player", "unknown-option-before-training",
       lambda: wgan.training_player(zoom=2), TypeError, names="zoom")
T.case("widgets.gan.training_player", "bad-interval-before-training",
       lambda: wgan.training_player(interval_ms=0), ValueError, names="interval_ms")


def fake_decode(z):
    return torch.sigmoid(z[:, :1, None, None].expand(z.shape[0], 1, 28, 28))


ZA, ZB = torch.randn(3, 2), torch.randn(3, 2)
T.add("widgets.gan.LatentInterpolation", lambda: call(wgan.LatentInterpolation, fake_decode, ZA, ZB, num_images=3,
                                                      pairs=[(1, 2), (3, 4), (5, 6)]),
      decode=[bad(None, TypeError), bad("decode", TypeError), bad(lambda z: z, ValueError, "returns-codes")],
      z0=TENSOR + [derived(lambda t: t[0], ValueError, "1-D")],
      z1=[NAN, DOUBLE, derived(lambda t: t[:2], ValueError, "rows"), AS_LIST],
      num_images=POSITIVE_INT[:3] + [bad(4, ValueError, "not-rows")],
      pairs=[bad(3, TypeError), bad([(1, 2)], ValueError, "short"), bad([1, 2, 3], TypeError, "not-pairs"),
             bad("abc", TypeError)])


class _TinyGenerator(torch.nn.Module):
    """What latent_interpolation needs of a model: decode(z) and sample_z(n, generator=)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 28 * 28)

    def decode(self, z):
        return torch.sigmoid(self.lin(z)).reshape(-1, 1, 28, 28)

    def sample_z(self, n, *, generator=None):
        return torch.randn(n, 2, generator=generator)


T.add("widgets.gan.latent_interpolation", lambda: call(wgan.latent_interpolation, _TinyGenerator(), num_images=3, seed=1),
      model=[bad(None, TypeError), bad("dcgan", TypeError), bad(torch.nn.Linear(2, 2), TypeError, "linear")],
      num_images=POSITIVE_INT, seed=[bad(-1), bad("0", TypeError), bad(1.5, TypeError), bad(None, TypeError)],
      classify=[bad(3, TypeError), bad("judge", TypeError)])

T.install(globals())

CACHED_ROWS = ("gan_toys.cached_1d", "gan_toys.cached_ring", "gan_toys.cached_rings", "widgets.gan.trajectory_frames",
               "widgets.gan.training_player")


@pytest.mark.parametrize("case", [c for c in T.all_cases() if c.key in CACHED_ROWS], ids=lambda c: c.id)
def test_bad_cached_runs_are_rejected_before_the_cache_is_looked_at(case, monkeypatch):
    """Every bad config of a cached run raises before the model cache is read (or trained into)."""
    from lecturekit import checkpoint

    def looked(*args, **kwargs):
        raise AssertionError(f"{case.id}: the model cache was looked at before the bad input was rejected")

    monkeypatch.setattr(checkpoint, "cached", looked)
    monkeypatch.setattr(checkpoint, "find", looked)
    case.run()
