"""Bad inputs to lecturekit.recipes (full-scale training, what ``lecturekit train`` runs): every check runs before
any data is read or any model trained."""

from __future__ import annotations

import torch

from lecturekit import recipes
from lecturekit.vae import VAE
from tests.support.bad_inputs import HUGE_COUNT, NONNEGATIVE_INT, POSITIVE_INT, PROGRESS, Table, bad, call, choice_bads

T = Table("recipes", ["lecturekit.recipes"])
NAME = choice_bads(bad("VAE"), bad("dcgan2"))
DATA = [bad("mnist10"), bad("MNIST"), bad(5)]
EXTRAS = {"recipe": "vae", "data": "mnist5k", "epochs": 1, "device": "cpu", "train_images": 10, "wall_s": 1.5,
          "test_elbo": -100.0}


def _fit(model, x_train, x_test, *, epochs, seed, progress):
    return {}


T.add("recipes.Recipe", lambda: call(recipes.Recipe, "tiny", "a tiny VAE", VAE, {"latent_dim": 2}, 1, _fit),
      name=[bad("", TypeError), bad(3, TypeError)], summary=[bad(None, TypeError)], build=[bad("VAE", TypeError)],
      config=[bad([2], TypeError)], epochs=[bad(0), bad(1.5, TypeError)], fit=[bad(None, TypeError)])
T.add("recipes.load_data", lambda: call(recipes.load_data, "mnist5k"),
      name=DATA + [bad(None)], root=[bad(3, TypeError), bad("", ValueError, "empty-string")],
      download=[bad("yes", TypeError), bad(1, TypeError)])
T.add("recipes.fit_recipe", lambda: call(recipes.fit_recipe, "vae-2d", num_epochs=1, data="mnist5k", limit=10,
                                         progress=False),
      _run_good=False,  # trains and writes into the user's model cache; tests/test_recipes.py runs it with a private one
      name=NAME[:3], num_epochs=POSITIVE_INT[:3] + [HUGE_COUNT], data=DATA, device=[bad("gpu0"), bad(3, TypeError)],
      seed=NONNEGATIVE_INT[:3], limit=POSITIVE_INT[:3], root=[bad(3, TypeError)], download=[bad("no", TypeError)],
      progress=PROGRESS)
T.add("recipes.trained_path", lambda: call(recipes.trained_path, "dcgan", "mnist5k"), name=NAME, data=DATA)
T.add("recipes.load_trained", lambda: call(recipes.load_trained, "vae", data="mnist", device="cpu"),
      name=NAME[:3], data=DATA[:2], device=[bad("gpu0"), bad(3, TypeError), bad(["cpu"], TypeError)])
T.add("recipes.describe", lambda: call(recipes.describe, EXTRAS),
      extras=[bad(None, TypeError), bad("vae", TypeError), bad([EXTRAS], TypeError),
              bad({**EXTRAS, "train_images": "many"}, names="train_images"),
              bad({**EXTRAS, "test_elbo": float("nan")}, names="test_elbo"),
              bad({**EXTRAS, "wall_s": None}, names="wall_s")])

T.install(globals())
