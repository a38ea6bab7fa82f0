"""Bad inputs to lecturekit.lapgan and lecturekit.gan_digits (notebook 10): pyramids, the DCGAN and LAPGAN,
their training, latent paths, the cached models and the checks of their samples."""

from __future__ import annotations

import math

import torch

from lecturekit import gan_digits, lapgan
from lecturekit.judge import DigitScores
from lecturekit.utils import make_generator
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, FEWER_AXES, GENERATOR, HUGE_COUNT,
                                      INF, INTEGER, NAN, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS, SCALED_255, TENSOR,
                                      Table, bad, call, choice_bads, derived)

T = Table("lapgan", ["lecturekit.lapgan", "lecturekit.gan_digits"])
G = make_generator(0)


def dcgan() -> lapgan.DCGAN:
    torch.manual_seed(0)
    return lapgan.DCGAN(latent_dim=4, channels=2, d_channels=2).eval()


def lap() -> lapgan.LAPGAN:
    torch.manual_seed(0)
    return lapgan.LAPGAN(latent_dim=4, channels=2, fine_channels=2).eval()


def scores(inception: float = 5.0, frechet: float = 10.0) -> DigitScores:
    return DigitScores(inception_score=inception, frechet_distance=frechet, class_counts=(10,) * 10, classes_hit=10,
                       labels=torch.arange(10))


REF = {"test digits": scores(9.0, 2.0), "uniform noise": scores(1.0, 100.0)}
ODD = derived(lambda t: t[..., :3, :3], ValueError, "odd-size")
MODEL = [bad(None, TypeError), bad("dcgan", TypeError), bad(torch.nn.Linear(2, 2), TypeError, "Linear")]
BETAS = [bad((0.5,)), bad(0.5), bad((1.0, 0.9)), bad(("a", 0.9))]

# -- pyramids
T.add("lapgan.downsample", lambda: call(lapgan.downsample, torch.rand(2, 1, 4, 4)), x=TENSOR + [FEWER_AXES, ODD, INTEGER])
T.add("lapgan.upsample", lambda: call(lapgan.upsample, torch.rand(2, 1, 4, 4)), x=TENSOR + [FEWER_AXES, INTEGER])
T.add("lapgan.laplacian_pyramid", lambda: call(lapgan.laplacian_pyramid, torch.rand(2, 1, 8, 8), levels=2),
      x=TENSOR + [FEWER_AXES, INTEGER], levels=POSITIVE_INT + [bad(4)])
T.add("lapgan.reconstruct", lambda: call(lapgan.reconstruct, lapgan.laplacian_pyramid(torch.rand(2, 1, 8, 8))),
      pyramid=[bad(None, TypeError), bad(torch.rand(2, 1, 8, 8), TypeError, "a-tensor"),
               derived(lambda p: p[:1], ValueError, "one-level"),
               derived(lambda p: [p[0], p[1], p[2][..., :1, :1]], ValueError, "wrong-size"),
               derived(lambda p: [p[0], p[1].double(), p[2]], TypeError, "mixed-dtype"),
               derived(lambda p: [p[0], p[1].tolist(), p[2]], TypeError, "a-list-inside"),
               derived(lambda p: [p[0] * math.nan, p[1], p[2]], ValueError, "nan")])

# -- models
T.add("lapgan.DCGAN", lambda: call(lapgan.DCGAN, latent_dim=4, channels=2, d_channels=2),
      latent_dim=POSITIVE_INT, channels=POSITIVE_INT[:2], d_channels=[bad(0), bad("2", TypeError)])
T.add("lapgan.DCGAN.sample_z", lambda: call(dcgan().sample_z, 3, generator=G), n=POSITIVE_INT, generator=GENERATOR)
T.add("lapgan.DCGAN.decode", lambda: call(dcgan().decode, torch.randn(3, 4)),
      z=TENSOR + [DOUBLE, EXTRA_AXIS, derived(lambda t: t[:, :3], ValueError, "wrong-width")])
T.add("lapgan.DCGAN.sample", lambda: call(dcgan().sample, 3, generator=G), n=POSITIVE_INT, generator=GENERATOR)
T.add("lapgan.LAPGAN", lambda: call(lapgan.LAPGAN, latent_dim=4, channels=2, fine_channels=2),
      latent_dim=POSITIVE_INT, channels=POSITIVE_INT[:2], fine_channels=[bad(0), bad("2", TypeError)])
T.add("lapgan.LAPGAN.sample_z", lambda: call(lap().sample_z, 3, generator=G), n=POSITIVE_INT, generator=GENERATOR)
T.add("lapgan.LAPGAN.sample_coarse", lambda: call(lap().sample_coarse, 3, generator=G), n=POSITIVE_INT,
      generator=GENERATOR)
T.add("lapgan.LAPGAN.residual", lambda: call(lap().residual, torch.rand(3, 1, 28, 28), generator=G),
      low=TENSOR + [DOUBLE, derived(lambda t: t[..., :14, :14], ValueError, "14x14")], generator=GENERATOR[:1])
T.add("lapgan.LAPGAN.refine", lambda: call(lap().refine, torch.rand(3, 1, 14, 14), generator=G),
      coarse=TENSOR + [DOUBLE, derived(lambda t: torch.nn.functional.pad(t, (0, 14, 0, 14)), ValueError, "28x28")],
      generator=GENERATOR[:1])
T.add("lapgan.LAPGAN.sample", lambda: call(lap().sample, 3, generator=G), n=POSITIVE_INT, generator=GENERATOR)

# -- training (every check before the first step)
FIT = dict(num_steps=1, batch_size=4, generator=G, progress=False)
T.add("lapgan.fit_dcgan", lambda: call(lapgan.fit_dcgan, dcgan(), torch.rand(8, 1, 28, 28), **FIT),
      model=MODEL + [bad(lap(), TypeError, "LAPGAN")], images=TENSOR + [SCALED_255, DOUBLE],
      num_steps=POSITIVE_INT[:3] + [HUGE_COUNT], batch_size=POSITIVE_INT[:2], lr=POSITIVE_FLOAT[:3], betas=BETAS,
      loss=choice_bads()[:3], k=[bad(0)], generator=GENERATOR[:1], progress=PROGRESS)
T.add("lapgan.fit_lapgan", lambda: call(lapgan.fit_lapgan, lap(), torch.rand(8, 1, 28, 28), num_fine_steps=1, **FIT),
      model=MODEL + [bad(dcgan(), TypeError, "DCGAN")], images=TENSOR + [SCALED_255, DOUBLE],
      num_steps=POSITIVE_INT[:3] + [HUGE_COUNT], num_fine_steps=[bad(0), bad(2.5, TypeError), HUGE_COUNT],
      batch_size=POSITIVE_INT[:2], lr=POSITIVE_FLOAT[:2], betas=BETAS[:2], loss=choice_bads()[:2],
      generator=GENERATOR[:1], progress=PROGRESS)
T.add("lapgan.fit_digits", lambda: call(lapgan.fit_digits, dcgan(), num_steps=1, batch_size=4, progress=False),
      model=MODEL + [bad(torch.zeros(2), TypeError, "tensor")], num_steps=[bad(0), HUGE_COUNT],
      batch_size=[bad(0)])
T.case("lapgan.fit_digits", "unknown-option", lambda: lapgan.fit_digits(dcgan(), epochs=3), TypeError, names="epochs")
T.case("lapgan.fit_digits", "lapgan-option-on-dcgan", lambda: lapgan.fit_digits(dcgan(), num_fine_steps=3), TypeError,
       names="num_fine_steps")

# -- latent paths
T.add("lapgan.interpolate_latents", lambda: call(lapgan.interpolate_latents, torch.randn(3, 4), torch.randn(3, 4), 0.3),
      z0=TENSOR, z1=[AS_LIST, NAN, INF, derived(lambda t: t[:, :3], ValueError, "wrong-width"), INTEGER, DOUBLE],
      t=[bad(1.5), bad(-0.1), bad(math.nan), bad("0.5", TypeError), bad(None, TypeError)])


def _classify(images):
    return torch.softmax(50 * images.flatten(1)[:, :10], dim=-1)


T.add("lapgan.digit_endpoints", lambda: call(lapgan.digit_endpoints, dcgan(), _classify, 4, pool=16, generator=G),
      _check=lambda out: out[0].shape == (4, 4) and all(a != b for a, b in out[2]),
      model=MODEL + [bad(lap(), TypeError, "LAPGAN")],
      classify=[bad(None, TypeError), bad("judge", TypeError),
                bad(lambda x: torch.zeros(3), ValueError, "wrong-shape"),
                bad(lambda x: torch.ones(x.shape[0], 10), ValueError, "one-label")],
      num_images=POSITIVE_INT[:3], pool=[bad(0), bad(1), bad(2.5, TypeError)], generator=GENERATOR[:1])

# -- notebook 10's cached models and checks (gan_digits)
T.add("gan_digits.trained", lambda: call(gan_digits.trained, "dcgan", device="cpu"),
      _run_good=False,  # trains notebook 10's DCGAN into the user's cache; tests/test_gan_digits.py runs it small
      kind=choice_bads(bad("DCGAN")), device=[bad("gpu0"), bad(3, TypeError)],
      model=[bad([4], TypeError), bad("small", TypeError), bad({"width": 3}, TypeError, names="width")])
T.case("gan_digits.trained", "unknown-train-setting", lambda: gan_digits.trained("dcgan", epochs=3), TypeError,
       names="epochs")
T.case("gan_digits.trained", "lapgan-setting-on-dcgan", lambda: gan_digits.trained("dcgan", num_fine_steps=3),
       TypeError, names="num_fine_steps")
SCORES = [bad(None, TypeError), bad({"inception_score": 5.0}, TypeError, "dict"),
          bad(scores(frechet=0.0), ValueError, "zero-frechet")]
NAME = [bad("", TypeError, "empty"), bad(3, TypeError), bad(None, TypeError)]
REFERENCE = [bad(None, TypeError), bad({}, ValueError, "no-keys"), bad({"test digits": REF["test digits"]}, ValueError),
             bad({**REF, "uniform noise": 3}, TypeError, "not-scores"), bad([REF], TypeError)]
T.add("gan_digits.sample_claims", lambda: call(gan_digits.sample_claims, "DCGAN", scores(), REF),
      _check=lambda out: len(out) == 3, name=NAME, scores=SCORES[:2], reference=REFERENCE,
      prefix=[bad("coarse"), bad(3, (TypeError, ValueError))])
T.add("gan_digits.coarse_claims", lambda: call(gan_digits.coarse_claims, scores(), REF),
      low_scores=SCORES[:2], reference=REFERENCE[:3])
T.add("gan_digits.refinement_claims", lambda: call(gan_digits.refinement_claims, scores(), scores(6.0, 8.0)),
      low_scores=SCORES, scores=SCORES[:2])
T.case("gan_digits.refinement_claims", "zero-frechet-reference-is-a-divisor",
       lambda: gan_digits.refinement_claims(scores(frechet=0.0), scores()), ValueError, names="low_scores")
T.add("gan_digits.residual_discriminator_view",
      lambda: call(gan_digits.residual_discriminator_view, lap(), torch.rand(4, 1, 28, 28), generator=G),
      model=MODEL[:2] + [bad(dcgan(), TypeError, "DCGAN")],
      images=TENSOR + [DOUBLE, derived(lambda t: t[:1], ValueError, "one-image")], generator=GENERATOR[:1])
T.add("gan_digits.mismatch_claims", lambda: call(gan_digits.mismatch_claims, {"real": 0.6, "generated": 0.4,
                                                                              "mismatched": 0.05}),
      view=[bad(None, TypeError), bad([0.5], TypeError), bad({"real": 0.5}, ValueError, "no-mismatched"),
            bad({"real": math.nan, "mismatched": 0.1}, ValueError, "nan"),
            bad({"real": 0.0, "mismatched": 0.1}, ValueError, "zero-real"),
            bad({"real": "0.5", "mismatched": 0.1}, ValueError, "string")])
T.add("gan_digits.nearest_distances",
      lambda: call(gan_digits.nearest_distances, torch.rand(5, 1, 4, 4), torch.rand(7, 1, 4, 4)),
      _check=lambda out: out.shape == (5,) and bool((out >= 0).all()),
      images=TENSOR + [INTEGER], train=[AS_NUMPY, NAN, EMPTY, derived(lambda t: t[..., :3], ValueError, "other-size")])
T.add("gan_digits.copy_claims",
      lambda: call(gan_digits.copy_claims, "DCGAN", torch.rand(5, 1, 4, 4), torch.rand(7, 1, 4, 4),
                   torch.rand(6, 1, 4, 4)),
      name=NAME[:2], images=[AS_LIST, NAN], train=[EMPTY], test=[AS_NUMPY, NAN, EMPTY])

T.install(globals())
