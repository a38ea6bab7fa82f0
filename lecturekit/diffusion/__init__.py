"""Diffusion probabilistic models (Sohl-Dickstein et al. 2015; Ho et al. 2020).

A forward Markov chain q(x^(t) | x^(t-1)) = N(sqrt(1 - β_t) x^(t-1), β_t I) turns the data into
N(0, I) in T small steps. The generative model runs it backwards with Gaussian kernels
p(x^(t-1) | x^(t)) = N(μ(x^(t), t), Σ(x^(t), t)) whose mean and covariance are learned.

Time runs as in the paper: t = 0 is the data and t = T is noise; every schedule buffer is indexed
directly by t (``beta[0] = 0`` so ``alpha_bar[0] = 1``). Schedules are built in float64 and cast
to the data's dtype when used, so the same model computes in float32 or float64.

Names follow DDPM (``q_sample``, ``q_posterior``, ``p_sample``, ``p_sample_loop``, ``p_losses``).

References:
    Sohl-Dickstein, Weiss, Maheswaranathan & Ganguli (2015). Deep unsupervised learning using
    nonequilibrium thermodynamics. ICML.
    Ho, Jain & Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS.

Three modules, by what a reader looks for:

* :mod:`lecturekit.diffusion.schedule`: the noise schedule β_1..β_T (:func:`beta_schedule`) and
  the network that reads the step t (:class:`DenoisingMLP`).
* :mod:`lecturekit.diffusion.chain`: :class:`GaussianDiffusion`, the forward chain q and the
  reverse chain p (``q_sample``, ``q_posterior``, ``p_sample``, ``p_sample_loop`` with inpainting,
  ``p_losses``, the lower bound) and the exact reverse kernels of Gaussian data
  (:func:`gaussian_reverse_kernels`).
* :mod:`lecturekit.diffusion.fitting`: the recipes of notebook 08 (:data:`SWISS_ROLL`,
  :data:`MNIST_14`), :func:`make_model`, :func:`fit_diffusion`, the evaluation (the isotropic
  Gaussian baseline, :func:`bits`, :func:`energy_distance`, judged inpainting) and the thresholds
  the notebook checks.

Every public name is re-exported here, so ``lk.diffusion.GaussianDiffusion`` and
``lk.diffusion.fit_diffusion`` work.
"""

from __future__ import annotations

from . import chain, fitting, schedule
from .chain import *  # noqa: F403
from .fitting import *  # noqa: F403
from .schedule import *  # noqa: F403

__all__ = [*schedule.__all__, *chain.__all__, *fitting.__all__]
