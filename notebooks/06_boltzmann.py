# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · Boltzmann machines and deep belief nets
#
# The models so far were directed: sample $z$, then $x$ given $z$. Boltzmann machines are
# *undirected*: one energy scores every joint configuration of binary visibles $x$ and hiddens
# $z$, and the price is a normalizer, the partition function $Z(\theta)$, that sums over
# exponentially many states. In this notebook you will check the restricted Boltzmann machine
# (RBM) against brute-force enumeration, see why $\log Z$ makes learning hard, train RBMs on
# binarized digits by contrastive divergence (CD-1, CD-10) and persistent CD, measure their test
# log-likelihood in nats with annealed importance sampling (AIS), stack two RBMs into a deep belief
# net (DBN), train a deep Boltzmann machine (DBM), and watch Gibbs chains turn into digits.
#
# **Notation.** $x\in\{0,1\}^D$ the visible units (pixels), $z\in\{0,1\}^H$ the hidden units
# ($z_1, z_2$ the two hidden layers of the DBN and DBM), $\theta = (W, b, c)$ the parameters,
# $E(x, z)$ the energy, $Z(\theta) = \sum_{x,z} e^{-E(x,z)}$ the **partition function** and
# $A(\theta) = \log Z(\theta)$ the log-partition function of notebook 02 (so $\nabla A = \mu$, the
# mean of the sufficient statistic $\phi(x, z)$). $F(x)$ the free energy, $\sigma$ the logistic
# sigmoid, $\tilde x$ samples from the model (the "negative" samples of CD), $k$ Gibbs sweeps per
# update. AIS: inverse temperatures $0 = \tau_0 < \tau_1 < \dots < \tau_K = 1$, a base-rate model
# $p_0$ with partition function $Z_0$, importance weights $w$. DBM mean field: $\mu_1, \mu_2$.
# Logs are natural (nats).

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import ais, data, judge, viz
from lecturekit import boltzmann as bm
from lecturekit.checkpoint import cached
from lecturekit.claims import check
from lecturekit.utils import make_generator
from lecturekit.widgets.boltzmann import gibbs_chain

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The RBM is an exponential family
#
# With $x\in\{0,1\}^D$ and $z\in\{0,1\}^H$,
#
# $$
# p(x, z) = \exp\big(\langle W, x z^\top\rangle + \langle b, x\rangle + \langle c, z\rangle - A(\theta)\big)
# = \frac{e^{-E(x,z)}}{Z(\theta)},
# \qquad E(x,z) = -x^\top W z - b^\top x - c^\top z,
# $$
#
# an exponential family with sufficient statistics $\phi(x, z) = (x z^\top, x, z)$, natural parameters
# $\theta = (W, b, c)$ and log-partition function $A(\theta) = \log Z(\theta)$. There are no
# visible–visible or hidden–hidden edges, so each layer is independent given the other,
# $p(z_j = 1\mid x) = \sigma(c_j + (xW)_j)$ and $p(x_i = 1\mid z) = \sigma(b_i + (Wz)_i)$, and the
# hiddens sum out in closed form: $p(x) = e^{-F(x)}/Z$ with the free energy
# $F(x) = -b^\top x - \sum_j \mathrm{softplus}(c_j + (xW)_j)$.
#
# On a tiny RBM ($D = 5$, $H = 4$) we can enumerate all $2^9$ joint states and check these
# formulas against brute force, in float64:

# %%
# NBVAL_CHECK_OUTPUT
g = make_generator(0)
tiny = bm.RBM(5, 4).double()
with torch.no_grad():
    for p in tiny.parameters():
        p.copy_(lk.utils.randn(p.shape, generator=g, dtype=torch.float64))
xs = torch.tensor([[float(b) for b in f"{i:05b}"] for i in range(32)], dtype=torch.float64)
zs = torch.tensor([[float(b) for b in f"{i:04b}"] for i in range(16)], dtype=torch.float64)
neg_e = -tiny.energy(xs.repeat_interleave(16, 0), zs.repeat(32, 1)).reshape(32, 16).detach()
with torch.no_grad():
    check("largest |F(x) + log Σ_z exp(−E(x, z))|", (tiny.free_energy(xs) + neg_e.logsumexp(1)).abs().max(),
          at_most=1e-10, digits=1)
    check("largest |σ(c + xW) − Σ_z z p(z | x)|", (tiny.p_z_given_x(xs) - neg_e.softmax(1) @ zs).abs().max(),
          at_most=1e-10, digits=1)
    check("|log Z by enumerating z − log Σ_{x,z} exp(−E)|",
          (ais.log_partition_exact(tiny) - neg_e.logsumexp((0, 1))).abs(), at_most=1e-10, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the partition function makes learning hard
#
# For an exponential family, $\nabla_\theta A(\theta) = \mathbb{E}_{p_\theta}[\phi(x, z)]$ (notebook
# 02's $\nabla A = \mu$), so the log-likelihood gradient is the difference of two expectations:
#
# $$
# \frac{\partial}{\partial W}\,\frac1N\sum_n \log p(x_n)
# = \underbrace{\tfrac1N\textstyle\sum_n x_n\, \sigma(c + x_n W)^\top}_{\text{data: easy}}
# \;-\; \underbrace{\mathbb{E}_{p(x,z)}\big[x z^\top\big]}_{\text{model: } \partial A/\partial W\text{, needs samples}}.
# $$
#
# The first term needs only $p(z\mid x)$. The second needs samples from the model, and
# evaluating $\log p(x) = -F(x) - \log Z$ needs
# $\log Z = \log\sum_z \exp\big(c^\top z + \sum_i\mathrm{softplus}(b_i + (Wz)_i)\big)$, a sum of $2^H$
# terms. With $H = 10$ that is 1,024 terms and `ais.log_partition_exact` enumerates them; with
# $H = 100$ it is $10^{30}$.
#
# **Annealed importance sampling** estimates it anyway. Start at a *base-rate* model $p_0$ with
# zero weights and visible biases $b_0$ set from the pixel marginals of the data; its
# $Z_0 = 2^H\prod_i (1+e^{b_{0,i}})$ is known. Move through the unnormalized marginals
#
# $$
# p_k^*(x) = e^{(1-\tau_k)\, b_0^\top x} \sum_z e^{-\tau_k E(x, z)}
# = \exp\Big((1-\tau_k)\, b_0^\top x + \tau_k\, b^\top x + \sum_j \mathrm{softplus}\big(\tau_k (c_j + (xW)_j)\big)\Big),
# $$
#
# at inverse temperatures $0 = \tau_0 < \tau_1 < \dots < \tau_K = 1$ (the target's parameters
# scaled by $\tau_k$): draw $x_0 \sim p_0$ exactly, and at each $k$ multiply the importance weight by
# $p_k^*(x_{k-1})/p_{k-1}^*(x_{k-1})$, then move $x_{k-1}\to x_k$ by one Gibbs sweep that leaves
# $p_k$ invariant. The mean weight is an unbiased estimate of $Z/Z_0$. On a 784-10 RBM we can
# compare it with the exact value:

# %%
x_train = data.mnist_5k("train", binarize=True)[0].flatten(1).to(device)
x_test = data.mnist_5k("test", binarize=True)[0].flatten(1).to(device)
DIGITS = {"name": "mnist_5k", "split": "train", "binarize": "threshold"}
base = ais.base_rate_bias(x_train)


def fit_and_score(model, *, generator, **train):
    """Train an RBM, then store its AIS log Z (100 chains, 1,000 temperatures) and test log-likelihood."""
    history = bm.fit_rbm(model, x_train, generator=generator, **train)
    est = ais.ais_log_partition(model, base, num_chains=100, num_temperatures=1000, generator=generator)
    history.info.update(log_z=est.log_z, log_z_low=est.log_z_low, log_z_high=est.log_z_high,
                        test_loglik=ais.log_likelihood(model, x_test, est.log_z))
    return history


rbm10, _ = cached("rbm-784-10", build=bm.build, model={"kind": "rbm", "hidden_dims": [10]}, fit=fit_and_score,
                  train={**bm.RBM10_TRAIN, "seed": 0}, data=DIGITS, device=device)
exact = float(ais.log_partition_exact(rbm10))
est = ais.ais_log_partition(rbm10, base, **ais.AIS_CHECK, generator=make_generator(0))
print(f"log Z: exact {exact:.3f}, AIS {est.log_z:.3f} (±3 s.e. [{est.log_z_low:.3f}, {est.log_z_high:.3f}])")

# %%
# NBVAL_CHECK_OUTPUT
ais_error = check("|AIS − exact| log Z, 784-10 RBM, 500 chains × 1,000 temperatures", abs(est.log_z - exact),
                  at_most=ais.AIS_MAX_ERROR, unit="nats", digits=3)

# %% [markdown] slideshow={"slide_type": "slide"}
# How many intermediate distributions are enough? With a handful, the estimate is noisy and
# biased low (the log of an unbiased estimate of $Z$ is biased low, by Jensen); it settles as
# $K$ grows:

# %%
fig, ax = plt.subplots(figsize=(5.5, 3))
ks = [10, 30, 100, 300, 1000]
for s in range(3):
    runs = [ais.ais_log_partition(rbm10, base, num_chains=100, num_temperatures=k, generator=make_generator(s)).log_z
            for k in ks]
    ax.plot(ks, runs, "o-", color=viz.COLORS[s], ms=4, label=f"seed {s}")
ax.axhline(exact, color="k", lw=1, ls="--", label="exact (enumeration)")
ax.set_xscale("log"); ax.set_xlabel("number of temperatures K + 1"); ax.set_ylabel("log Z estimate (nats)")
ax.legend(frameon=False, fontsize=8); ax.set_title("AIS on a 784-10 RBM")
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: with 10 temperatures every seed is 7 to 8 nats below the exact value (the
# Jensen bias of too few steps), at 30 still 1 to 2.5 nats below; from 100 temperatures on the seeds sit
# within about half a nat of the dashed line, and at 1,000 all three are on it. The notebook's AIS
# runs use 1,000 temperatures.
#
# ## Contrastive divergence and persistent CD
#
# Training replaces the model expectation by samples. Written with free energies, the gradient of
# the average log-likelihood is $-\overline{\nabla F(x)} + \mathbb{E}_p[\nabla F(\tilde x)]$, so we
# minimize the surrogate `cd_loss` $= \overline{F(x)} - \overline{F(\tilde x)}$ with $\tilde x$
# held fixed, where
#
# * **CD-k** (Hinton, 2002): $\tilde x$ is $k$ block-Gibbs sweeps started *at the data batch*.
#   Cheap and low-variance, but biased: short chains never visit the model's spurious modes far
#   from the data, so nothing pushes them down.
# * **PCD** (Tieleman, 2008): $\tilde x$ continues chains that *persist* across updates. With a
#   small learning rate the model changes slowly, the chains stay close to equilibrium, and the
#   gradient is nearly unbiased.
#
# We train three 784-100 RBMs for 10 epochs on the 4,000 binarized training digits (SGD with
# momentum, learning rate decayed linearly to zero), then measure each on the 1,000 test digits
# with its own AIS estimate of $\log Z$. The base-rate model $p_0$ (independent pixels) is the
# yardstick every model must beat.

# %%
rbms, scores = {}, {}
for name, method in bm.RBM_METHODS.items():
    rbms[name], history = cached(f"rbm-784-100-{name}", build=bm.build, model={"kind": "rbm", "hidden_dims": [100]},
                                 fit=fit_and_score, train={**method, **bm.RBM_TRAIN, "seed": 0}, data=DIGITS,
                                 device=device)
    scores[name] = history.info | {"seconds": history.seconds}
base_rate = ais.base_rate_log_likelihood(x_test, base)
PAPER = {"CD-1": "-125.53 (CD-1)", "CD-10": "-105.50 (CD-3), -86.34 (CD-25)", "PCD": None}
print(f"{'model':8s} {'log Z (AIS, ±3 s.e.)':>26s} {'test log p(x)':>14s} {'train (s)':>10s}   "
      "paper, 500 hidden units")
print(f"{'base rate':8s} {'':>26s} {base_rate:14.1f} {'':>10s}   –")
for name, e in scores.items():
    print(f"{name:8s} {e['log_z']:8.1f} [{e['log_z_low']:7.1f}, {e['log_z_high']:7.1f}] {e['test_loglik']:14.1f} "
          f"{e['seconds']:10.1f}   {PAPER[name] or '–'}")

# %%
# NBVAL_CHECK_OUTPUT
check("base-rate model (independent pixels) test log-likelihood", base_rate, at_least=ais.BASE_RATE_RANGE[0],
      at_most=ais.BASE_RATE_RANGE[1], unit="nats", digits=1)
for name, e in scores.items():
    check(f"{name} test log-likelihood", e["test_loglik"], at_least=bm.MIN_TEST_LOGLIK[name], unit="nats",
          paper=PAPER[name] and f"{PAPER[name]} with 500 hidden units on 60,000 digits", digits=1)
gain = check("PCD minus CD-1 at equal epochs", scores["PCD"]["test_loglik"] - scores["CD-1"]["test_loglik"],
             at_least=bm.MIN_PCD_GAIN, unit="nats", digits=1)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the table: every RBM beats the base-rate model (independent pixels, about
# −207 nats) by more than 50 nats. CD-10, with ten times the sampling per update, is best; PCD beats
# CD-1 at the same cost per update. `benchmarks/boltzmann.py` trains the three on 5 seeds: the order
# CD-10 > PCD > CD-1 holds on all 5 (medians −146.4, −148.5 and −155.9 nats; PCD's lead over CD-1
# is 3.5 to 8.3 nats), and the notebook's seed 0 is the one where PCD's lead is smallest. The
# papers' values are 30 to 60 nats higher because their RBMs had 500 hidden units, all 60,000
# digits and hours of training (CD-25 reaches −86.34); ours have 100 hidden units, 4,000 digits
# and seconds.
#
# ### What the hidden units learn
#
# Each column $W_{:j}$ is a 28×28 "filter": the pattern of pixels that switches hidden unit $j$ on.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, rbm) in zip(axes, rbms.items()):
    w = rbm.W.detach().T[:49].reshape(-1, 1, 28, 28)
    w = (w - w.amin((1, 2, 3), keepdim=True)) / (w.amax((1, 2, 3), keepdim=True) - w.amin((1, 2, 3), keepdim=True))
    viz.image_grid(ax, 1 - w, nrow=7, title=f"{name}: 49 of 100 filters")
plt.tight_layout(); plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: the filters are not local strokes. Most are *global*, digit-shaped
# templates: whole 0s, 2s, 3s, 6s and 8s in dark (positive) ink with a light surround, a few are
# slanted 1s. That is what a short run of 100 hidden units on 4,000 digits learns: each unit becomes
# a prototype of a group of training digits. Local stroke detectors appear with more hidden units,
# much longer training or a sparsity target (see Hinton's practical guide on sparsity). The three panels
# look alike because the three RBMs start from the same initial weights and see the digits in the same
# order; the methods differ in the negative phase, which moves the biases and the energy landscape
# more than the filter shapes.
#
# ### Samples
#
# 1,000 Gibbs sweeps from uniform noise, showing $p(x = 1\mid z)$ of the last sweep:

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, rbm) in zip(axes, rbms.items()):
    s = rbm.sample(25, num_sweeps=bm.SAMPLE_SWEEPS, generator=make_generator(0))
    viz.image_grid(ax, s.reshape(-1, 1, 28, 28), nrow=5, title=f"{name} samples")
plt.tight_layout(); plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: all 25 CD-1 chains end on the same 0: a spurious mode that CD-1's
# short chains from the data never visit, so training never pushed it down. CD-10's chains still
# end on 0 about half the time, with 1s, 3s, 6s, 7s and 8s in between; PCD's show mostly 0s and
# 1s, a few 7s and some blotchy 2/8 shapes. Neither the mixture nor the quality is that of the training digits, which
# is what test log-likelihoods 60 nats below the papers' look like.
#
# ## Deep belief nets: stacking RBMs
#
# Train an RBM on $x$, then a second RBM on samples of its hiddens $z_1 \sim p(z_1\mid x)$
# (Hinton, Osindero & Teh, 2006). The result is a hybrid model: an undirected RBM $p(z_1, z_2)$ on
# top and a directed sigmoid layer $p(x\mid z_1)$ below. Greedy stacking improves a variational
# lower bound on $\log p(x)$ if the second RBM models the aggregate posterior of $z_1$ better than
# the first RBM's own prior did. **Ancestral sampling**: Gibbs in the top RBM to get $z_1$, then one
# pass down through $p(x\mid z_1)$.
#
# Does the model know every digit? We run 100 chains, each from its own uniform noise, for 1,000
# sweeps, and let the digit judge of `lecturekit.judge` (a small CNN classifier of the training
# digits) label the 100 samples; a class counts when it holds at least 2% of them. For comparison we
# also start 100 chains at the hidden states $z_1 \sim p(z_1\mid x)$ of 100 random training digits:
# chains that mix well forget their start and give the same mix of classes from both.

# %%
dbn_spec = {"model": {"kind": "dbn", "hidden_dims": bm.DEEP_HIDDEN}, "train": {**bm.DBN_TRAIN, "seed": 0}}
dbn, _ = cached("dbn-784-100-50", build=bm.build, fit=lambda m, **train: bm.fit_dbn(m, x_train, **train),
                data=DIGITS, device=device, **dbn_spec)
starts = x_train[lk.utils.randperm(len(x_train), generator=make_generator(1))[:100]]


def judged_samples(model, title):
    """100 samples after 1,000 sweeps from noise (drawn and judged), and the judge's counts of 100
    more from the training digits `starts`."""
    samples = model.sample(100, num_sweeps=bm.SAMPLE_SWEEPS, generator=make_generator(0))
    from_digits = model.sample(100, num_sweeps=bm.SAMPLE_SWEEPS, x0=starts, generator=make_generator(1))
    sc, sc_digits = (judge.digit_scores(s.reshape(-1, 1, 28, 28)) for s in (samples, from_digits))
    fig, ax = plt.subplots(figsize=(5, 5))
    viz.image_grid(ax, samples.reshape(-1, 1, 28, 28), nrow=10, title=title)
    plt.show()
    print("judge's count of each digit 0-9, chains from noise:          ", sc.class_counts)
    print("judge's count of each digit 0-9, chains from training digits:", sc_digits.class_counts)
    return sc


dbn_scores = judged_samples(dbn, "DBN: 100 chains from noise, 1,000 sweeps")

# %%
# NBVAL_CHECK_OUTPUT
dbn_classes = check("DBN digit classes among 100 samples (≥ 2% each)", dbn_scores.classes_hit,
                    at_least=bm.MIN_CLASSES, digits=0)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: the DBN's samples are varied (every class; 3s and 6s most often, 4s
# least) but blurry, and several are 3/5/8 hybrids: $p(x\mid z_1)$ of a 100-unit first layer can
# only draw smooth blends of its templates. Chains started at training digits give a similar spread
# of classes (second line), so after 1,000 sweeps the top RBM's chains have forgotten where they
# started. That a *single* chain moves between classes cannot be seen in this grid of independent
# chains: the widget below shows it sweep by sweep.
#
# ## Deep Boltzmann machines
#
# A DBM keeps every layer undirected:
# $E(x, z_1, z_2) = -x^\top W_1 z_1 - z_1^\top W_2 z_2 - b^\top x - c_1^\top z_1 - c_2^\top z_2$,
# so $z_1$ listens to both $x$ and $z_2$ and the posterior $p(z_1, z_2\mid x)$ no longer factorizes.
# Salakhutdinov & Hinton (2009) train it with two approximations, one per term of the gradient:
#
# * **data term**: mean field, $q(z_1)q(z_2)$ with
#   $\mu_1 = \sigma(c_1 + xW_1 + W_2\mu_2)$ and $\mu_2 = \sigma(c_2 + \mu_1 W_2)$ iterated to a fixed
#   point (`DBM.mean_field`), which maximizes a lower bound on $\log p(x)$;
# * **model term**: persistent Gibbs chains, alternating $z_1$ given $(x, z_2)$ and $(x, z_2)$ given $z_1$.
#
# We start from the DBN's weights (a cheap stand-in for the paper's modified pretraining) and train
# a 784-100-50 DBM for 20 epochs: 200 persistent chains, 5 Gibbs sweeps per update, and the learning
# rate decayed linearly to zero. The decay matters: with a constant rate the persistent chains never
# settle and every chain ends in the same blurry mode (an earlier version of this notebook, trained
# for 10 epochs at a constant rate, showed 25 copies of one "8").

# %%
def fit_dbm(model, *, start, **train):
    """Copy the DBN's weights (``start`` names them, so the cache key changes with them), then train."""
    model.init_from_dbn(dbn)
    return bm.fit_dbm(model, x_train, **train)


dbm, _ = cached("dbm-784-100-50", build=bm.build, model={"kind": "dbm", "hidden_dims": bm.DEEP_HIDDEN}, fit=fit_dbm,
                train={**bm.DBM_TRAIN, "start": dbn_spec, "seed": 0}, data=DIGITS, device=device)
dbm_scores = judged_samples(dbm, "DBM: 100 chains from noise, 1,000 sweeps")

# %%
# NBVAL_CHECK_OUTPUT
dbm_classes = check("DBM digit classes among 100 samples (≥ 2% each)", dbm_scores.classes_hit,
                    at_least=bm.MIN_CLASSES, digits=0)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: the DBM's samples are sharper than the DBN's and cover every class,
# unevenly: 0s, 1s and 3s make up more than half, while 4s, 7s, 8s and 9s are rare (3 or 4 each).
# Chains started at training digits end on a 1 far more often (second line): the DBM's chains mix
# more slowly than the DBN's, and a chain that starts in the deep, narrow mode of the 1s can stay
# there for 1,000 sweeps. `benchmarks/boltzmann.py` repeats the DBN and DBM training on 5 seeds:
# both give at least 9 classes on every seed, from noise and from training digits (medians 10).
#
# ## Widget: Gibbs chains
#
# Sixteen chains start at sixteen training digits (the first 16 of the starts above); the image
# shows $p(x = 1\mid z)$ after each sweep.
#
# * At sweep 0 the RBM and the DBM show the training digits themselves, the DBN their reconstruction
#   through $p(x\mid z_1)$.
# * Move **Gibbs sweep** to the right: by sweep 5 about half of the PCD RBM's chains have already
#   changed digit (PCD trains a model whose chains mix fast); the DBN's and the DBM's still show
#   their starting digits at sweep 5, and by sweep 200 every model shows a new mix of classes.
# * Toggle **model** between RBM (the PCD one), DBN and DBM at sweep 200 and compare: the DBM's
#   digits are the sharpest.

# %%
# NBVAL_IGNORE_OUTPUT
app = gibbs_chain(rbms["PCD"], dbn, dbm, num_chains=16, num_sweeps=200, x0=starts)
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## See also
#
# * **Wake-sleep** (Hinton, Dayan, Frey & Neal, 1995): trains a directed generative model together with
#   a recognition network, alternating a "wake" phase (fit the generator to recognized data) and a
#   "sleep" phase (fit the recognizer to dreamed samples); it is the ancestor of the VAE's encoder-decoder pair, and
#   Hinton et al. (2006) used its "up-down" variant to fine-tune DBNs.
# * **Generative stochastic networks** (Bengio, Thibodeau-Laufer, Alain & Yosinski, 2014): learn the
#   transition operator of a Markov chain (a denoising autoencoder with noise) whose stationary
#   distribution is the data distribution, so sampling is running the learned chain, with no
#   partition function at all.
#
# ## Summary
#
# * An RBM is an exponential family with statistics $\phi = (xz^\top, x, z)$; its conditionals
#   factorize and its free energy is closed-form, but $\log Z = A(\theta)$ sums $2^{\min(D,H)}$ terms.
# * The gradient is data statistics minus model statistics ($\nabla A = \mathbb{E}[\phi]$); CD-k
#   estimates the second with short chains from the data, PCD with persistent chains, which gives
#   better likelihoods at equal cost.
# * AIS estimates $\log Z$ (and so test log-likelihoods in nats) by annealing from a base-rate model
#   through inverse temperatures $\tau_k$; it matches enumeration to within 0.1 nats when enough
#   temperatures are used.
# * DBNs stack RBMs greedily and sample ancestrally; DBMs keep all layers undirected and are trained
#   with mean field for the data term and persistent chains for the model term. Judged by a digit
#   classifier, both produce all digit classes from chains that have run long enough to forget
#   their start.
#
# ## Exercises
#
# Write each function between the solution markers, then run the check cell: it compares
# your function with the reference on seeded inputs and prints one verdict line.
#
# > **Exercise 6.1 (hidden conditionals).** Given binary `x` (N, D), weights `W` (D, H) and biases
# > `b` (D,), `c` (H,), return the (N, H) matrix $p(z_j = 1\mid x) = \sigma(c_j + (xW)_j)$.

# %%
def p_z_given_x(x, W, b, c):
    ### BEGIN SOLUTION
    return torch.sigmoid(x @ W + c)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("6.1", p_z_given_x)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 6.2 (free energy).** Sum out $z$ to get
# > $F(x) = -\log\sum_z e^{-E(x,z)} = -b^\top x - \sum_j \log(1 + e^{c_j + (xW)_j})$ and return it, one
# > value per row. Use `torch.nn.functional.softplus`: a hand-written `log(1 + exp(.))` overflows.

# %%
def free_energy(x, W, b, c):
    ### BEGIN SOLUTION
    return -x @ b - torch.nn.functional.softplus(x @ W + c).sum(-1)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("6.2", free_energy)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 6.3 (one CD-k update).** Differentiate the free energy: show that
# > $-\partial F(x)/\partial W = x\,\sigma(c + xW)^\top$, $-\partial F(x)/\partial b = x$ and
# > $-\partial F(x)/\partial c = \sigma(c + xW)$, so that the CD-k estimate of the gradient of the
# > average log-likelihood is the data statistics minus the statistics of the negative samples:
# > $\Delta W = \frac1N\sum_n x_n \sigma(c + x_nW)^\top - \frac1{\tilde N}\sum_m \tilde x_m \sigma(c + \tilde x_mW)^\top$,
# > and likewise $\Delta b$, $\Delta c$. Given a batch `x` (N, D), negative samples `x_neg`
# > (Ñ, D) (the state after k Gibbs sweeps; they may be fewer or more than N, as PCD's chains are),
# > `W`, `b` and `c`, return `(dW, db, dc)`: one SGD step is then `W += lr * dW`. Why does
# > `x_neg` enter through the hidden *probabilities* $\sigma(c + \tilde xW)$ rather than sampled
# > hiddens (both are unbiased; which has less variance)?

# %%
def cd_gradient(x, x_neg, W, b, c):
    ### BEGIN SOLUTION
    h, h_neg = torch.sigmoid(x @ W + c), torch.sigmoid(x_neg @ W + c)
    dW = x.T @ h / len(x) - x_neg.T @ h_neg / len(x_neg)
    return dW, x.mean(0) - x_neg.mean(0), h.mean(0) - h_neg.mean(0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("6.3", cd_gradient)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 6.4 (the AIS weight update).** Sum $z$ out of $e^{(1-\tau) b_0^\top x}\sum_z e^{-\tau E(x,z)}$
# > to derive $\log p^*_\tau(x)$ as written above, and return the increment of the log importance
# > weight at step $k$, $\log p^*_{\tau_k}(x) - \log p^*_{\tau_{k-1}}(x)$, for each row of `x`
# > (N, D), given the floats `tau_prev` $=\tau_{k-1}$ and `tau` $=\tau_k$, the RBM's `W`, `b`, `c`
# > and the base-rate biases `b0`. Then explain why $Z_0\,e^{\sum_k(\text{increments})}$ is an
# > unbiased estimate of $Z$, and why the log of an average of such estimates underestimates
# > $\log Z$ on average.

# %%
def ais_log_weight_step(x, tau_prev, tau, W, b, c, b0):
    ### BEGIN SOLUTION
    def log_p_star(t):
        return (1 - t) * (x @ b0) + t * (x @ b) + torch.nn.functional.softplus(t * (x @ W + c)).sum(-1)

    return log_p_star(tau) - log_p_star(tau_prev)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("6.4", ais_log_weight_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Going further
#
# > **Going further.** Use your `cd_gradient` in a plain loop (Gibbs sweeps from `RBM.gibbs_step`,
# > `W += lr * dW`, ...) to train a 784-100 RBM by CD-1 and check that its test log-likelihood
# > matches `bm.fit_rbm` with `momentum=0, weight_decay=0, lr_decay=False`.
#
# > **Going further.** Train 784-100 RBMs by CD-1 and PCD for 2, 5, 10 and 20 epochs and plot the AIS
# > test log-likelihood against epochs. Does the gap between them grow or shrink?
#
# > **Going further.** Replace the base-rate start of AIS by the uniform distribution (`base_bias=None`).
# > How many more temperatures does it need to reach the same accuracy on `rbm10`? Why?
#
# > **Going further.** Run `DBM.mean_field` on a test digit from a random start of $\mu_2$ and from the
# > bottom-up start used in the code. Do they reach the same fixed point?
#
# > **Going further.** Train the DBM with `lr_decay=False` and look at its samples from noise. What
# > do the persistent chains do, and why does decaying the learning rate help them settle?
#
# ## References
#
# * Smolensky (1986). Information processing in dynamical systems: foundations of harmony theory.
# * Hinton (2002). Training products of experts by minimizing contrastive divergence. *Neural Computation*.
# * Tieleman (2008). Training restricted Boltzmann machines using approximations to the likelihood gradient. *ICML*.
# * Neal (2001). Annealed importance sampling. *Statistics and Computing*.
# * Salakhutdinov & Murray (2008). On the quantitative analysis of deep belief networks. *ICML*.
# * Hinton, Osindero & Teh (2006). A fast learning algorithm for deep belief nets. *Neural Computation*.
# * Salakhutdinov & Hinton (2009). Deep Boltzmann machines. *AISTATS*.
# * Hinton, Dayan, Frey & Neal (1995). The "wake-sleep" algorithm for unsupervised neural networks. *Science*.
# * Bengio, Thibodeau-Laufer, Alain & Yosinski (2014). Deep generative stochastic networks trainable by
#   backprop. *ICML*.
# * Hinton (2010). A practical guide to training restricted Boltzmann machines. UTML TR 2010-003.
# * Salimans et al. (2016). Improved techniques for training GANs (the inception score behind `lecturekit.judge`).
