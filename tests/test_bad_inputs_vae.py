"""Bad inputs to lecturekit.vae (VAE, ELBO, IWAE), lecturekit.hvi (Hamiltonian VI) and the latent explorer widget."""

from __future__ import annotations

import torch

from lecturekit import hvi, vae
from lecturekit.widgets import vae as wvae
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, GENERATOR, HUGE_COUNT, INF, NAN,
                                      NONNEGATIVE_FLOAT, NONNEGATIVE_INT, ON_META, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS,
                                      SCALED_255, TENSOR, Table, bad, call, choice_bads, derived)

T = Table("vae", ["lecturekit.vae", "lecturekit.hvi", "lecturekit.widgets.vae"])
X = torch.rand(5, 1, 4, 4)
Y = torch.tensor([0, 1, 2, 3, 9])


def model(**kw):
    return vae.VAE(image_shape=(4, 4), hidden_dim=8, latent_dim=2, **kw)


#: images for a Bernoulli VAE on 4x4 images (float32): the usual tensor faults, 0-255 pixels, float64, wrong size
IMAGES = [AS_LIST, AS_NUMPY, NAN, INF, EMPTY, SCALED_255, DOUBLE, ON_META,
          derived(lambda t: t[..., :3], ValueError, "4x3"), derived(lambda t: t[:, 0], ValueError, "no-channel")]
MODEL_BAD = [bad(None, TypeError), bad(torch.nn.Linear(2, 2), TypeError, "linear"), bad("vae", TypeError)]
Z = torch.randn(5, 2)

T.add("vae.VAE", lambda: call(vae.VAE, image_shape=(4, 4), hidden_dim=8, latent_dim=2, likelihood="gaussian"),
      image_shape=[bad((4,)), bad("44", TypeError), bad((4, 0)), bad((4, 2.5), TypeError)], hidden_dim=POSITIVE_INT[:2],
      latent_dim=POSITIVE_INT[:2], likelihood=choice_bads(bad("Bernoulli"))[:3], min_std=POSITIVE_FLOAT[:2],
      init_std=POSITIVE_FLOAT[:2] + [bad(0.001, ValueError, "below-min_std")])
T.add("vae.VAE.check_images", lambda: call(model().check_images, X), x=IMAGES, name=[bad(3, TypeError)])
T.add("vae.VAE.flatten", lambda: call(model().flatten, X), x=IMAGES[:6])
T.add("vae.VAE.encode", lambda: call(model().encode, X), x=IMAGES)
T.add("vae.VAE.q", lambda: call(model().q, X), x=IMAGES[:6])
T.add("vae.VAE.prior", lambda: call(model().prior, dtype=torch.float64),
      device=[bad("gpu0"), bad(3, TypeError)], dtype=[bad(torch.int64, TypeError), bad("float", TypeError),
                                                      bad(float, TypeError)])
T.add("vae.VAE.p_x", lambda: call(model().p_x, Z), z=TENSOR[:4] + [DOUBLE, derived(lambda t: t[:, :1], ValueError, "dim-1")])
T.add("vae.VAE.log_px", lambda: call(model().log_px, X.reshape(5, 16), Z),
      x=[AS_LIST, NAN, SCALED_255, derived(lambda t: t[:, :8], ValueError, "8-pixels")],
      z=[NAN, DOUBLE, derived(lambda t: t[:3], ValueError, "rows"), derived(lambda t: t[:, :1], ValueError, "dim-1")])
T.add("vae.VAE.decode", lambda: call(model().decode, Z), z=TENSOR + [DOUBLE, EXTRA_AXIS])
T.add("vae.VAE.sample", lambda: call(model().sample, 3, generator=torch.Generator(), mean=False),
      n=POSITIVE_INT, generator=GENERATOR[:2], mean=[bad("yes", TypeError)])
T.add("vae.Encoding", lambda: call(vae.Encoding, torch.zeros(3, 2), torch.zeros(3, 2)),
      mu=TENSOR[:4], logvar=[NAN, derived(lambda t: t[:, :1], ValueError, "shape"),
                             derived(lambda t: t + 200, ValueError, "overflow"), AS_LIST])
T.add("vae.kl_to_prior", lambda: call(vae.kl_to_prior, torch.zeros(3, 2), torch.zeros(3, 2)),
      mu=TENSOR, logvar=[INF, derived(lambda t: t + 1000, ValueError, "overflow"), derived(lambda t: t[0], ValueError, "shape"),
                         derived(lambda t: t.long(), TypeError, "int")])
T.add("vae.elbo", lambda: call(vae.elbo, model(), X, num_samples=2, generator=torch.Generator()),
      model=MODEL_BAD, x=IMAGES, num_samples=POSITIVE_INT[:3], kl_weight=NONNEGATIVE_FLOAT[:3], generator=GENERATOR[:1])
T.add("vae.iwae_bound", lambda: call(vae.iwae_bound, model(), X, 3, generator=torch.Generator()),
      model=MODEL_BAD[:2], x=IMAGES[:6], k=POSITIVE_INT[:3], generator=GENERATOR[:1])
T.add("vae.mean_bound", lambda: call(vae.mean_bound, model(), X, k=2, batch_size=2, generator=torch.Generator()),
      model=MODEL_BAD[:1], x=IMAGES[:5], k=POSITIVE_INT[:2], num_samples=[bad(0)], batch_size=POSITIVE_INT[:2],
      generator=GENERATOR[:1])
T.add("vae.active_units", lambda: call(vae.active_units, model(), X, threshold=0.01),
      model=MODEL_BAD[:2], x=IMAGES[:5], threshold=POSITIVE_FLOAT[:3])
T.add("vae.fit_vae", lambda: call(vae.fit_vae, model(), X, num_epochs=1, batch_size=2, objective="iwae", k=2,
                                  progress=False, generator=torch.Generator()),
      model=MODEL_BAD[:2], x=IMAGES[:6], num_epochs=POSITIVE_INT[:2] + [HUGE_COUNT], batch_size=POSITIVE_INT[:2],
      lr=POSITIVE_FLOAT[:3], objective=choice_bads()[:2], k=[bad(0)], kl_weight=[bad(-1.0)],
      generator=GENERATOR[:1], desc=[bad(3, TypeError)], progress=PROGRESS[:1])
T.add("vae.latent_grid", lambda: call(vae.latent_grid, 4, lo=0.1, hi=0.9),
      n=POSITIVE_INT[:3] + [bad(10**6)], lo=[bad(0.0), bad(float("nan")), bad("0.1", TypeError),
                                            bad(0.95, ValueError, "above-hi")],
      hi=[bad(1.0), bad(None, TypeError)], dtype=[bad(torch.int64, TypeError)])
T.add("vae.shift_images", lambda: call(vae.shift_images, X, 2),
      x=TENSOR + [derived(lambda t: t.expand(5, 3, 4, 4), ValueError, "rgb"), derived(lambda t: t[0], ValueError, "3-D")],
      tau=[bad(1.5, TypeError), bad("2", TypeError), bad(True, TypeError), bad(None, TypeError)])
T.add("vae.shift_nll", lambda: call(vae.shift_nll, model(), X, [0, 1]),
      model=MODEL_BAD[:2], x=IMAGES[:4], taus=[bad([], TypeError), bad(2, TypeError), bad([0.5], TypeError), bad("01", TypeError)],
      )
T.add("vae.shift_bound", lambda: call(vae.shift_bound, model(), X, [0, -1], k=2, generator=torch.Generator()),
      model=MODEL_BAD[:1], x=IMAGES[:3], taus=[bad([], TypeError), bad([True], TypeError)], k=POSITIVE_INT[:2],
      generator=GENERATOR[:1])

# -- hvi -----------------------------------------------------------------------------------------------------------
ZH = torch.randn(4, 2)


def hmodel(**kw):
    return hvi.HamiltonianVI(num_leapfrog=2, hidden_dim=4, **kw)


T.add("hvi.banana", lambda: call(hvi.banana, ZH),
      z=TENSOR + [derived(lambda t: torch.zeros(4, 3), ValueError, "3-D"), derived(lambda t: t.long(), TypeError, "int")])
T.add("hvi.HamiltonianVI", lambda: call(hvi.HamiltonianVI, num_leapfrog=1, hidden_dim=4, step_size=0.2),
      target=choice_bads(bad("Banana"))[:3], num_leapfrog=NONNEGATIVE_INT[:3], hidden_dim=POSITIVE_INT[:2],
      step_size=POSITIVE_FLOAT[:3])
T.add("hvi.HamiltonianVI.grad_log_target", lambda: call(hmodel().grad_log_target, ZH),
      z=TENSOR[:4] + [DOUBLE, derived(lambda t: t[:, :1], ValueError, "1-D-points")])
T.add("hvi.HamiltonianVI.leapfrog", lambda: call(hmodel().leapfrog, ZH, torch.randn(4, 2), 1),
      z=[AS_LIST, NAN], v=[INF, derived(lambda t: t[:2], ValueError, "rows"), DOUBLE],
      t=[bad(2), bad(-1), bad(0.5, TypeError), bad("0", TypeError)])
T.case("hvi.HamiltonianVI.leapfrog", "no-steps", lambda: hvi.HamiltonianVI(num_leapfrog=0).leapfrog(ZH, ZH, 0),
       ValueError, names="t")
T.add("hvi.HamiltonianVI.forward", lambda: call(hmodel().forward, 8, generator=torch.Generator(), return_path=True),
      n=POSITIVE_INT, generator=GENERATOR[:2], return_path=[bad("yes", TypeError)])
T.add("hvi.HamiltonianVI.bound", lambda: call(hmodel().bound, 8, generator=torch.Generator()),
      n=POSITIVE_INT, generator=GENERATOR[:1])
T.add("hvi.fit_hvi", lambda: call(hvi.fit_hvi, hmodel(), num_steps=2, batch_size=4, progress=False,
                                  generator=torch.Generator()),
      model=MODEL_BAD[:2], num_steps=POSITIVE_INT[:2] + [HUGE_COUNT], batch_size=POSITIVE_INT[:2],
      lr=POSITIVE_FLOAT[:3], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.add("hvi.log_density_grid", lambda: call(hvi.log_density_grid, "banana", lim=(-1, 1, -1, 1), num=10),
      target=choice_bads()[:2], lim=[bad((1, -1, 0, 1)), bad((0, 1, 0), TypeError), bad((0, 1, 0, float("inf"))),
                                     bad("0101", TypeError), bad((0, 1, "a", 2), TypeError)],
      num=[bad(1), bad(10**5), bad(2.5, TypeError)])

# -- the latent explorer: validated before any figure is built ---------------------------------------------------------
T.add("widgets.vae.LatentExplorer", lambda: call(wvae.LatentExplorer, model(), X, Y, scale=2),
      model=[bad(None), bad(vae.VAE(image_shape=(4, 4), hidden_dim=8, latent_dim=3), ValueError, "latent-3")],
      x=IMAGES[:6], y=[AS_LIST, derived(lambda t: t[:3], ValueError, "short"), derived(lambda t: t + 10, ValueError, "label-19"),
                       derived(lambda t: t.float(), ValueError, "float")],
      scale=[bad(0), bad(True, TypeError), bad(100)], limit=[bad(0.0), bad(float("nan"))],
      step=[bad(0.0), bad(50.0, ValueError, "above-limit")])
T.add("widgets.vae.latent_explorer", lambda: call(wvae.latent_explorer, model(), X, scale=2),
      model=[bad("vae")], x=IMAGES[:4], y=[bad(Y[:2])])
T.case("widgets.vae.latent_explorer", "unknown-option", lambda: wvae.latent_explorer(model(), X, zoom=2), TypeError,
       names="zoom")

T.install(globals())
