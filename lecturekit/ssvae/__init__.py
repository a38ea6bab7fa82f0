"""Semi-supervised learning with deep generative models (Kingma, Rezende, Mohamed & Welling, 2014).

* **M1**: a VAE (:class:`lecturekit.vae.VAE`) trained on every digit; its latent means
  E_q(z|x)[z] are the features of a classifier trained on the labelled subset (:func:`features`).
* **M2**: p(x | y, z) p(y) p(z) with q(z | x, y) and q(y | x) (:class:`M2`). A labelled pair has
  the bound :func:`labelled_bound`; an unlabelled x has :func:`unlabelled_bound`, which enumerates
  the K classes; :func:`m2_loss` adds the classification term weighted by alpha.
* **M1+M2**: M2 with a Gaussian likelihood, trained on M1's latent means.
* **NN**: the same MLP as q(y | x), trained on the labelled subset alone (:class:`Classifier`).

Two modules, by what a reader looks for: :mod:`lecturekit.ssvae.model` (the models, the bounds,
label and style) and :mod:`lecturekit.ssvae.methods` (the split, the trainers, the cache and the
thresholds that notebook 05 checks). Everything is importable from here.

References:
    Kingma, Rezende, Mohamed & Welling (2014). Semi-supervised learning with deep generative models.
    NeurIPS. arXiv:1406.5298.
"""

from __future__ import annotations

from . import methods, model
from .methods import *  # noqa: F403
from .methods import (ANALOGY_ACCURACY_MIN, M1_ERROR_MAX, M1M2_OVER_NN_MAX, M2_OVER_NN_MAX, NN_ERROR_RANGE,
                      UNLABELLED_BOUND_RANGE)
from .model import *  # noqa: F403
from .model import _bound  # noqa: F401  (named by the homework grader's list of answers for Exercise 5.1)

__all__ = [*model.__all__, *methods.__all__, "NN_ERROR_RANGE", "M1_ERROR_MAX", "M2_OVER_NN_MAX",
           "M1M2_OVER_NN_MAX", "ANALOGY_ACCURACY_MIN", "UNLABELLED_BOUND_RANGE"]
