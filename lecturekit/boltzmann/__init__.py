r"""Boltzmann machines: the binary RBM (CD-k and persistent CD), a deep belief net, a two-layer DBM.

An RBM is an exponential family over binary visibles :math:`x \in \{0,1\}^D` and hiddens
:math:`z \in \{0,1\}^H`:

.. math::
    p(x, z) = \exp\big(x^\top W z + b^\top x + c^\top z - A(\theta)\big) = e^{-E(x,z)}/Z(\theta),
    \qquad E(x, z) = -x^\top W z - b^\top x - c^\top z,

with the partition function :math:`Z = \sum_{x,z} e^{-E(x,z)}` and the log-partition function
:math:`A = \log Z` (the :math:`A` of notebook 02). The hiddens sum out in closed form,
:math:`p(x) = e^{-F(x)}/Z` with the free energy
:math:`F(x) = -b^\top x - \sum_j \mathrm{softplus}(c_j + x^\top W_{:j})`. The log-likelihood
gradient is :math:`-\nabla F(x_{\text{data}}) + \mathbb{E}_{p}[\nabla F(x)]`; the second term needs
samples from the model, which CD-k takes from k Gibbs sweeps started at the data and PCD from
chains that persist across updates. :math:`\log Z` lives in :mod:`lecturekit.ais` (exact
enumeration and annealed importance sampling).

Every sampler takes ``generator=None`` and draws through :func:`lecturekit.utils.bernoulli`, so a
CPU generator also drives chains on a GPU; chain lengths are ``num_sweeps`` (one sweep updates
every layer once) and show a progress bar.

References:
    Hinton (2002). Training products of experts by minimizing contrastive divergence.
    Tieleman (2008). Training restricted Boltzmann machines using approximations to the
    likelihood gradient.
    Hinton, Osindero & Teh (2006). A fast learning algorithm for deep belief nets.
    Salakhutdinov & Hinton (2009). Deep Boltzmann machines.

Three modules, by what a reader looks for:

* :mod:`lecturekit.boltzmann.rbm`: the :class:`RBM` (energy, free energy, conditionals, Gibbs
  sweeps, sampling), the recorded :class:`GibbsChain`, :func:`check_binary` and :func:`sweeps`.
* :mod:`lecturekit.boltzmann.deep`: the deep models, :class:`DBN` (greedy stack of RBMs) and
  :class:`DBM` (mean field and persistent chains).
* :mod:`lecturekit.boltzmann.fitting`: the CD surrogate :func:`cd_loss`, :func:`fit_rbm` (CD-k and
  PCD), :func:`fit_dbn`, :func:`fit_dbm`, the builder :func:`build`, and notebook 06's settings
  and thresholds (``RBM_TRAIN``, ``MIN_TEST_LOGLIK``, ...).

Every public name is re-exported here, so ``lk.boltzmann.RBM`` and ``lk.boltzmann.fit_rbm`` work.
"""

from __future__ import annotations

from . import deep, fitting, rbm
from .deep import *  # noqa: F403
from .fitting import *  # noqa: F403
from .fitting import (DBM_TRAIN, DBN_TRAIN, DEEP_HIDDEN, MIN_CLASSES, MIN_PCD_GAIN, MIN_TEST_LOGLIK, RBM10_TRAIN, RBM_METHODS,
                      RBM_TRAIN, SAMPLE_SWEEPS)
from .rbm import *  # noqa: F403

__all__ = ["RBM", "DBN", "DBM", "GibbsChain", "check_binary", "cd_loss", "fit_rbm", "fit_dbn", "fit_dbm",
           "build", "sweeps"]
