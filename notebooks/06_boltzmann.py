# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Boltzmann machines and deep belief nets
#
# The models so far were directed: sample $z$, then $x$ given $z$. Boltzmann machines are
# *undirected*: one energy scores every joint configuration of binary visibles $x$ and hiddens
# $z$, and the price is a normalizer $A(\theta)$ that sums over exponentially many states. In
# this notebook you will check the restricted Boltzmann machine (RBM) against brute-force
# enumeration, see why $\log A$ makes learning hard, train RBMs on binarized digits by
# contrastive divergence (CD-1, CD-10) and persistent CD, measure their test log-likelihood in
# nats with annealed importance sampling (AIS), stack two RBMs into a deep belief net (DBN), train
# a deep Boltzmann machine (DBM), and watch Gibbs chains turn noise into digits.

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import ais, data, viz
from lecturekit import boltzmann as bm
from lecturekit.checkpoint import cached
from lecturekit.widgets.boltzmann import gibbs_chain

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## The RBM is an exponential family
#
# With $x\in\{0,1\}^D$ and $z\in\{0,1\}^H$,
#
# $$
# p(x, z) = \exp\big(\langle W, x z^\top\rangle + \langle b, x\rangle + \langle c, z\rangle - \log A(\theta)\big),
# \qquad E(x,z) = -x^\top W z - b^\top x - c^\top z,
# $$
#
# an exponential family with sufficient statistics $(x z^\top, x, z)$ and natural parameters
# $\theta = (W, b, c)$. There are no visible–visible or hidden–hidden edges, so each layer is
# independent given the other, $p(z_j = 1\mid x) = \sigma(c_j + (xW)_j)$ and
# $p(x_i = 1\mid z) = \sigma(b_i + (Wz)_i)$, and the hiddens sum out in closed form:
# $p(x) = e^{-F(x)}/A$ with the free energy
# $F(x) = -b^\top x - \sum_j \mathrm{softplus}(c_j + (xW)_j)$.
#
# On a tiny RBM ($D = 5$, $H = 4$) we can enumerate all $2^9$ joint states and check these
# formulas against brute force, in float64:

# %%
# NBVAL_CHECK_OUTPUT
tiny = bm.RBM(5, 4).double()
with torch.no_grad():
    [p.normal_() for p in tiny.parameters()]
xs = torch.tensor([[float(b) for b in f"{i:05b}"] for i in range(32)], dtype=torch.float64)
zs = torch.tensor([[float(b) for b in f"{i:04b}"] for i in range(16)], dtype=torch.float64)
neg_e = -tiny.energy(xs.repeat_interleave(16, 0), zs.repeat(32, 1)).reshape(32, 16).detach()
print("F(x) = -log sum_z exp(-E):", torch.allclose(tiny.free_energy(xs), -neg_e.logsumexp(1), atol=1e-10))
print("p(z|x) factorizes:", torch.allclose(tiny.p_z_given_x(xs), neg_e.softmax(1) @ zs, atol=1e-10))
print("log A exact = brute force:", torch.allclose(ais.log_partition_exact(tiny), neg_e.logsumexp((0, 1))))

# %% [markdown]
# ## Why the partition function makes learning hard
#
# For an exponential family, $\nabla_\theta \log A(\theta) = \mathbb{E}_{p_\theta}[\text{statistics}]$, so
# the log-likelihood gradient is the difference of two expectations:
#
# $$
# \frac{\partial}{\partial W}\,\frac1N\sum_n \log p(x_n)
# = \underbrace{\tfrac1N\textstyle\sum_n x_n\, \sigma(c + x_n W)^\top}_{\text{data: easy}}
# \;-\; \underbrace{\mathbb{E}_{p(x,z)}\big[x z^\top\big]}_{\text{model: needs samples}}.
# $$
#
# The first term needs only $p(z\mid x)$. The second needs samples from the model, and
# evaluating $\log p(x)$ needs $\log A = \log\sum_z \exp\big(c^\top z + \sum_i\mathrm{softplus}(b_i + (Wz)_i)\big)$,
# a sum of $2^H$ terms. With $H = 10$ that is 1,024 terms and `ais.log_partition_exact` enumerates
# them; with $H = 100$ it is $10^{30}$.
#
# **Annealed importance sampling** estimates it anyway. Start at a *base-rate* RBM $p_A$ with
# zero weights and visible biases set from the pixel marginals of the data; its
# $A_A = 2^H\prod_i (1+e^{b_{A,i}})$ is known. Move through
# $p_k^*(x) \propto e^{(1-\beta_k) b_A^\top x - \beta_k F(x)}$ (the target's parameters scaled by
# $\beta_k$), $0 = \beta_0 < \dots < \beta_K = 1$, one Gibbs sweep per step, multiplying the
# importance weight by $p_k^*(x)/p_{k-1}^*(x)$. The mean weight is an unbiased estimate of
# $A/A_A$. On a 784-10 RBM we can compare it with the exact value:

# %%
# NBVAL_CHECK_OUTPUT
x_train = data.mnist_5k("train", binarize=True)[0].flatten(1).to(device)
x_test = data.mnist_5k("test", binarize=True)[0].flatten(1).to(device)
base = ais.base_rate_bias(x_train)

def train_rbm(model, cfg):
    out = bm.train_rbm(model, x_train, **cfg["train"], generator=torch.Generator(device).manual_seed(0))
    est = ais.ais_log_partition(model, base, num_chains=100, num_betas=1000, generator=torch.Generator(device).manual_seed(1))
    return {**out, "log_z": est.log_z, "log_z_low": est.log_z_low, "log_z_high": est.log_z_high,
            "test_loglik": ais.log_likelihood(model, x_test, est.log_z)}

cfg10 = {"kind": "rbm", "hidden_dims": [10], "train": {"method": "cd", "k": 1, "num_epochs": 10, "lr": 0.5}}
rbm10, ex10 = cached("rbm-784-10", cfg10, bm.build, lambda m: train_rbm(m, cfg10), device=device)
exact = float(ais.log_partition_exact(rbm10))
est = ais.ais_log_partition(rbm10, base, num_chains=500, num_betas=1000, generator=torch.Generator(device).manual_seed(0))
print(f"exact log A = {exact:.1f},  AIS (500 chains, 1000 betas) = {est.log_z:.1f}")
print("AIS within 0.1 nats of exact:", abs(est.log_z - exact) < 0.1)

# %% [markdown]
# How many intermediate distributions are enough? With a handful, the estimate is noisy and
# biased low (the log of an unbiased estimate of $A$ is biased low, by Jensen); it settles as
# $K$ grows:

# %%
fig, ax = plt.subplots(figsize=(5.5, 3))
ks = [10, 30, 100, 300, 1000]
for s in range(3):
    est = [ais.ais_log_partition(rbm10, base, num_chains=100, num_betas=k, generator=torch.Generator(device).manual_seed(s)).log_z for k in ks]
    ax.plot(ks, est, "o-", color=viz.COLORS[s], ms=4, label=f"seed {s}")
ax.axhline(exact, color="k", lw=1, ls="--", label="exact (enumeration)")
ax.set_xscale("log"); ax.set_xlabel("number of intermediate distributions K"); ax.set_ylabel("log A estimate (nats)")
ax.legend(frameon=False, fontsize=8); ax.set_title("AIS on a 784-10 RBM")
plt.show()

# %% [markdown]
# Reading the figure: every seed lands on the dashed line once $K \gtrsim 300$; at $K = 10$ the
# seeds scatter by a nat or more.
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
# with its own AIS estimate of $\log A$.

# %%
rbms, extras = {}, {}
for name, (method, k) in {"CD-1": ("cd", 1), "CD-10": ("cd", 10), "PCD": ("pcd", 1)}.items():
    cfg = {"kind": "rbm", "hidden_dims": [100], "train": {"method": method, "k": k, "num_epochs": 10}}
    rbms[name], extras[name] = cached(f"rbm-784-100-{name}", cfg, bm.build, lambda m, cfg=cfg: train_rbm(m, cfg), device=device)

# %%
# NBVAL_IGNORE_OUTPUT
print("method   log A (AIS, ±3 s.e.)     test log p(x) (nats)   train time (s)")
for name, e in extras.items():
    print(f"{name:6s} {e['log_z']:8.1f}  [{e['log_z_low']:.1f}, {e['log_z_high']:.1f}]  {e['test_loglik']:14.1f} {e['seconds']:15.1f}")

# %%
# NBVAL_CHECK_OUTPUT
ll = {name: e["test_loglik"] for name, e in extras.items()}
print("all test log-likelihoods within [-170, -130] nats:", all(-170 < v < -130 for v in ll.values()))
print("PCD beats CD-1 at equal epochs:", ll["PCD"] > ll["CD-1"])

# %% [markdown]
# Reading the table: for reference, the base-rate model (independent pixels) scores about
# −207 nats on these test digits. All three RBMs are far better; PCD beats CD-1 at the same cost
# per update, and CD-10, ten times the sampling per update, is best in this short run. (Papers
# quote about −86 nats for 500 hidden units trained for hours on all of MNIST; ours has 100 hidden
# units, 4,000 digits and seconds of training.)
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

# %% [markdown]
# Reading the figure: the filters are local strokes and blobs (dark: positive weight), pieces that
# hidden units combine into digits.
#
# ### Samples
#
# 1,000 Gibbs sweeps from uniform noise, showing $p(x = 1\mid z)$ of the last sweep:

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, rbm) in zip(axes, rbms.items()):
    s = rbm.sample(25, num_steps=1000, generator=torch.Generator(device).manual_seed(0))
    viz.image_grid(ax, s.reshape(-1, 1, 28, 28), nrow=5, title=f"{name} samples")
plt.tight_layout(); plt.show()

# %% [markdown]
# Reading the figure: CD-1 samples are often blotchy or stuck on a few shapes (the spurious modes
# it never pushed down); PCD's chains produce cleaner, more varied digits.
#
# ## Deep belief nets: stacking RBMs
#
# Train an RBM on $x$, then a second RBM on samples of its hiddens $z_1 \sim p(z_1\mid x)$
# (Hinton, Osindero & Teh, 2006). The result is a hybrid model: an undirected RBM $p(z_1, z_2)$ on
# top and a directed sigmoid layer $p(x\mid z_1)$ below. Greedy stacking improves a variational
# lower bound on $\log p(x)$ if the second RBM models the aggregate posterior of $z_1$ better than
# the first RBM's own prior did. **Ancestral sampling**: Gibbs in the top RBM to get $z_1$, then one
# pass down through $p(x\mid z_1)$.

# %%
dbn_cfg = {"kind": "dbn", "hidden_dims": [100, 50], "train": {"method": "pcd", "num_epochs": 10}}
dbn, _ = cached("dbn-784-100-50", dbn_cfg, bm.build,
                lambda m: bm.train_dbn(m, x_train, **dbn_cfg["train"], generator=torch.Generator(device).manual_seed(0)),
                device=device)
fig, ax = plt.subplots(figsize=(3.6, 3.6))
viz.image_grid(ax, dbn.sample(25, num_steps=1000, generator=torch.Generator(device).manual_seed(0)).reshape(-1, 1, 28, 28),
               nrow=5, title="DBN: ancestral samples")
plt.show()

# %% [markdown]
# Reading the figure: the top RBM only has to model 100 binary features, not 784 pixels, and the
# chain moves between digit classes through that smaller space.
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
# a 784-100-50 DBM for 10 epochs.

# %%
def train_dbm(model):
    model.init_from_dbn(dbn)
    return bm.train_dbm(model, x_train, num_epochs=10, generator=torch.Generator(device).manual_seed(0))

dbm, _ = cached("dbm-784-100-50", {"kind": "dbm", "hidden_dims": [100, 50], "train": {"num_epochs": 10, "from": "dbn-784-100-50"}},
                bm.build, train_dbm, device=device)
fig, ax = plt.subplots(figsize=(3.6, 3.6))
viz.image_grid(ax, dbm.sample(25, num_steps=1000, generator=torch.Generator(device).manual_seed(0)).reshape(-1, 1, 28, 28),
               nrow=5, title="DBM: Gibbs samples")
plt.show()

# %% [markdown]
# Reading the figure: the DBM's samples come from one undirected model whose top layer feeds back
# into the first; with this short CPU training they are still rougher than the paper's.
#
# ## Widget: Gibbs chains from noise to digits
#
# Sixteen chains start from the same uniform noise. The image shows $p(x = 1\mid z)$ after each
# sweep.
#
# * Move **Gibbs step** from 0 to the right: within a few sweeps the noise becomes stroke-like
#   blobs, then digits; later steps show each chain wandering between nearby shapes.
# * Toggle **model** between RBM (the PCD one), DBN and DBM: the DBN chain runs in the top RBM's
#   100-dimensional space and often changes class more readily than the pixel-level RBM chain.

# %%
# NBVAL_IGNORE_OUTPUT
app = gibbs_chain(rbms["PCD"], dbn, dbm, num_chains=16, num_steps=200)
app

# %% [markdown]
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
# * An RBM is an exponential family with statistics $(xz^\top, x, z)$; its conditionals factorize and
#   its free energy is closed-form, but $\log A$ sums $2^{\min(D,H)}$ terms.
# * The gradient is data statistics minus model statistics; CD-k estimates the second with short
#   chains from the data, PCD with persistent chains, which gives better likelihoods at equal cost.
# * AIS estimates $\log A$ (and so test log-likelihoods in nats) by annealing from a base-rate model;
#   it matches enumeration to within 0.1 nats when enough intermediate distributions are used.
# * DBNs stack RBMs greedily and sample ancestrally; DBMs keep all layers undirected and are trained
#   with mean field for the data term and persistent chains for the model term.
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

# %% [markdown]
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

# %% [markdown]
# ### Going further
#
# > **Going further.** Derive $p(z_j = 1\mid x) = \sigma(c_j + (xW)_j)$ from the energy, and the free
# > energy $F(x)$ by summing out $z$. Check your formula against `tiny.free_energy`.
#
# > **Going further.** Train 784-100 RBMs by CD-1 and PCD for 2, 5, 10 and 20 epochs and plot the AIS
# > test log-likelihood against epochs. Does the gap between them grow or shrink?
#
# > **Going further.** Replace the base-rate start of AIS by the uniform distribution (`base_bias=None`).
# > How many more intermediate distributions does it need to reach the same accuracy on `rbm10`? Why?
#
# > **Going further.** Run `DBM.mean_field` on a test digit from a random start of $\mu_2$ and from the
# > bottom-up start used in the code. Do they reach the same fixed point?
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
# * Bengio, Thibodeau-Laufer, Alain & Yosinski (2014). Deep generative stochastic networks trainable by backprop. *ICML*.
# * Hinton (2010). A practical guide to training restricted Boltzmann machines. UTML TR 2010-003.
