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
# # 09 · GANs: the optimal discriminator, the JSD and the k-step game
#
# A generative adversarial network pits a generator $G$, which turns noise $z$ into samples, against a
# discriminator $D$, which tells data from samples. In this notebook you will follow the consistency
# argument of Goodfellow et al. (2014) step by step and check each step numerically in 1-D: the
# optimal discriminator $D^* = p_{data}/(p_{data}+p_g)$, the value $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}$,
# and its minimum at $p_g = p_{data}$. Then you will replay a 1-D training run (the four panels of the
# paper's Fig. 1) and train GANs on a ring of eight Gaussians, where mode collapse shows up.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import lecturekit as lk
from lecturekit import gan, viz
from lecturekit.data import mode_centres, ring_of_gaussians
from lecturekit.widgets.gan import trajectory_frames, training_player

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## The minimax game
#
# $G$ maps $z \sim p_z$ to $x = G(z)$, which has some density $p_g$. $D(x) \in (0, 1)$ is the
# probability that $x$ came from the data. The two play
#
# $$
# \min_G \max_D \; V(D, G) = \mathbb{E}_{x\sim p_{data}}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]
# = \int p_{data}(x)\log D(x) + p_g(x)\log(1-D(x))\,dx .
# $$
#
# In code, $D$ returns a logit $a(x)$ with $D = \sigma(a)$, and `gan.d_loss` $= -V$ is written with
# softplus: $\log D = -\mathrm{softplus}(-a)$, $\log(1-D) = -\mathrm{softplus}(a)$, which stays accurate
# when $D$ saturates.
#
# ## Step 1: for fixed $G$, the optimal $D$
#
# For a fixed $G$ the integrand can be maximized point by point. At a point $x$ write
# $\alpha = p_{data}(x)$ and $\gamma = p_g(x)$; the function $y \mapsto \alpha\log y + \gamma\log(1-y)$ has
# derivative $\alpha/y - \gamma/(1-y)$, zero at $y = \alpha/(\alpha+\gamma)$, and is concave, so
#
# $$
# D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)} .
# $$
#
# We check this by training a discriminator (`gan.train_discriminator`, the inner maximization run to
# convergence) against a *fixed* generator, $p_g = \mathcal{N}(-0.5, 0.75^2)$, with
# $p_{data} = \mathcal{N}(0.75, 0.5^2)$, and comparing it with `gan.optimal_discriminator` on a grid.

# %%
# NBVAL_CHECK_OUTPUT
g = torch.Generator().manual_seed(0)
p_data_1d, p_g_1d = (0.75, 0.5), (-0.5, 0.75)
D, _ = lk.checkpoint.cached(
    "gan-fixed-g-d", {"data_dim": 1, "hidden_dim": 64, "num_layers": 2}, gan.MLPDiscriminator,
    lambda d: gan.train_discriminator(d, lambda n: p_data_1d[0] + p_data_1d[1] * torch.randn(n, 1, generator=g),
                                      lambda n: p_g_1d[0] + p_g_1d[1] * torch.randn(n, 1, generator=g),
                                      3000, lr=1e-2, batch_size=2048).to_dict())
x = torch.linspace(-2, 2.5, 201)
p_data, p_g = gan.gaussian_density(x, *p_data_1d), gan.gaussian_density(x, *p_g_1d)
d_star = gan.optimal_discriminator(p_data, p_g)
with torch.no_grad():
    d_trained = torch.sigmoid(D(x[:, None]))
print("trained D within 0.02 of D* on the grid:", float((d_trained - d_star).abs().max()) < 0.02)

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.fill_between(x, p_data, color="k", alpha=0.12, lw=0)
ax.plot(x, p_data, "k:", label=r"$p_{data}$")
ax.plot(x, p_g, color=viz.COLORS[2], label=r"$p_g$ (fixed)")
ax.plot(x, d_star, color=viz.COLORS[3], lw=3, alpha=0.5, label=r"$D^* = p_{data}/(p_{data}+p_g)$")
ax.plot(x, d_trained, "--", color=viz.COLORS[0], label="trained $D$")
ax.legend(fontsize=8, frameon=False)
ax.set_xlabel("x")
plt.show()

# %% [markdown]
# The trained discriminator (dashed) lies on top of the closed form: it crosses $1/2$ where the two
# densities cross, and tends to 1 where only data live.
#
# ## Step 2: the value at $D^*$ is a Jensen–Shannon divergence
#
# Substitute $D^*$. With $\bar\alpha = \alpha/(\alpha+\gamma)$ the integrand becomes
# $(\alpha+\gamma)\,[\bar\alpha\log\bar\alpha + (1-\bar\alpha)\log(1-\bar\alpha)] = -(\alpha+\gamma)\,H(\bar\alpha)$,
# with $H$ the binary entropy. Adding and subtracting $\log 2$ inside each log,
#
# $$
# V(D^*_G, G) = \int p_{data}\log\frac{p_{data}}{p_{data}+p_g} + p_g\log\frac{p_g}{p_{data}+p_g}\,dx
# = -\log 4 + \mathrm{KL}\Big(p_{data}\,\Big\|\,\tfrac{p_{data}+p_g}{2}\Big) + \mathrm{KL}\Big(p_g\,\Big\|\,\tfrac{p_{data}+p_g}{2}\Big)
# = -\log 4 + 2\,\mathrm{JSD}(p_{data}\,\|\,p_g).
# $$
#
# `gan.value` integrates $V$ on a grid and `gan.jsd` integrates the JSD from its own definition:

# %%
# NBVAL_CHECK_OUTPUT
xs = torch.linspace(-8, 8, 4001, dtype=torch.float64)
pd, pg = gan.gaussian_density(xs, *p_data_1d), gan.gaussian_density(xs, *p_g_1d)
v_star = gan.value(gan.optimal_discriminator(pd, pg), pd, pg, xs)
rhs = -math.log(4) + 2 * gan.jsd(pd, pg, xs)
with torch.no_grad():
    v_trained = gan.value(torch.sigmoid(D(xs[:, None].float())).double(), pd, pg, xs)
print(f"V(D*, G) = {v_star:.3f},  -log 4 + 2 JSD = {rhs:.3f},  agree within 0.01: {abs(v_star - rhs) < 0.01}")
print(f"trained D: V = {v_trained:.2f} <= V(D*, G): {v_trained <= v_star + 1e-6}")

# %% [markdown]
# ## Step 3: the global minimum is $p_g = p_{data}$
#
# Pointwise, $-H(\bar\alpha)$ is convex and smallest at $\bar\alpha = 1/2$, where it equals $-\log 2$; so
# $V(D^*_G, G) \ge -\int(\alpha+\gamma)\log 2\,dx = -\log 4$, with equality exactly when $\bar\alpha = 1/2$
# everywhere, that is $p_g = p_{data}$. Equivalently $\mathrm{JSD} \ge 0$ with equality only for equal
# distributions. At that point $D^* \equiv 1/2$: the discriminator cannot tell the two apart.

# %%
a = np.linspace(1e-4, 1 - 1e-4, 400)
fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
axes[0].plot(a, a * np.log(a) + (1 - a) * np.log(1 - a), color=viz.COLORS[0])
axes[0].plot([0.5], [-np.log(2)], "o", color="k")
axes[0].set_xlabel(r"$\bar\alpha$"), axes[0].set_title(r"$-H(\bar\alpha)$, minimum $-\log 2$ at $\bar\alpha = 1/2$", fontsize=9)
shifts = np.linspace(-3, 3, 61)
vals = [float(gan.value(gan.optimal_discriminator(pd, q), pd, q, xs)) for q in
        (gan.gaussian_density(xs, p_data_1d[0] + s, p_data_1d[1]) for s in shifts)]
axes[1].plot(p_data_1d[0] + shifts, vals, color=viz.COLORS[1])
axes[1].axhline(-math.log(4), color="0.5", ls=":")
axes[1].set_xlabel(r"mean of $p_g$ (std as $p_{data}$)"), axes[1].set_title(r"$V(D^*, G)$, minimum $-\log 4$", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# Moving the mean of $p_g$ away from that of $p_{data}$ raises $V(D^*, G)$ from $-\log 4$ towards $0$
# (the JSD saturates at $\log 2$ once the supports barely overlap, which is why the minimax
# generator gets little signal early on).
#
# ## Step 4: alternate k steps of D with one step of G
#
# The argument assumes $D$ is optimal for each $G$, but the inner maximization over all functions
# $D$ is infeasible: we only have a network and minibatches, and running it to convergence inside
# every generator step would be too slow (and would overfit on finite data). Algorithm 1 of the paper
# instead takes $k$ gradient steps on $D$, then one on $G$ (`gan.train_gan(..., k=k)`), so $D$ stays
# near its optimum while $G$ changes slowly. Early in training $D$ rejects the samples confidently,
# $\log(1 - D(G(z)))$ saturates and its gradient vanishes; the **non-saturating** loss
# $-\log D(G(z))$ has the same fixed point and strong gradients there (`gan.g_loss(..., loss=)`).
#
# The replay below trains a 1-D generator $G(z) = \mu + s z$ against an MLP discriminator with
# $p_{data} = \mathcal{N}(1.5, 0.5^2)$, for $k \in \{1, 2, 5\}$ and both losses, and stores $p_g$, $D$ and
# $D^*$ every ten steps. Four frames of $k=1$, non-saturating, reproduce Fig. 1 of the paper:

# %%
frames = trajectory_frames(ks=(1, 2, 5))
f = frames[(1, "nonsaturating")]
fig, axes = plt.subplots(1, 4, figsize=(11, 2.4), sharey=True)
for ax, i, tag in zip(axes, [0, 4, 10, len(f["step"]) - 1], "abcd"):
    ax.fill_between(f["x"], f["p_data"], color="k", alpha=0.12, lw=0)
    ax.plot(f["x"], f["p_data"], "k:", f["x"], f["p_g"][i], "-", f["x"], f["d"][i], "--")
    ax.set_title(f"({tag}) step {f['step'][i]}", fontsize=9)
    ax.set_ylim(0, 1.05), ax.set_xlim(-3, 4)
axes[0].legend([r"$p_{data}$", r"$p_g$", r"$D$"], fontsize=7, frameon=False, loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# (a) $D$ separates the two densities; (b, c) $G$ follows the gradient of $D$ towards the data;
# (d) $p_g = p_{data}$ and $D$ is flat at $1/2$ where the mass is.

# %%
# NBVAL_CHECK_OUTPUT
for (k, loss), fr in frames.items():
    if k in (1, 5):
        print(f"k={k} {loss:>13}: final JSD < 0.01: {fr['jsd'][-1] < 0.01},  mean of p_g within 0.1 of 1.5: "
              f"{abs(fr['mu'][-1] - 1.5) < 0.1}")

# %% [markdown]
# ## Widget: replay the game
#
# The left panel shows $p_{data}$ (shaded), $p_g$ (green), the trained $D$ (dashed blue) and the
# optimal $D^*$ for the current $G$ (thin orange); the right panel shows $\mathrm{JSD}(p_{data}\|p_g)$
# over training. Press **play** (or drag **frame**): $p_g$ slides onto $p_{data}$ and $D$ flattens to
# $1/2$. Change **k**: with more discriminator steps $D$ hugs $D^*$ more closely at every frame.
# Toggle **G loss** to compare the minimax and non-saturating generators.

# %%
# NBVAL_IGNORE_OUTPUT
app = training_player(frames)
app

# %% [markdown]
# ## Eight Gaussians on a ring: mode coverage
#
# In 2-D the data are an equal mixture of eight Gaussians of standard deviation $0.02$ on a circle of
# radius 2. A sample is *high quality* when it lies within $3\sigma$ of its nearest centre, and a mode
# is *captured* when it holds at least a fifth of its fair share of 2,500 samples
# (`gan.mode_coverage`). We train four plain GANs (a 2-D latent, three hidden layers of 128 units,
# a discriminator that judges one sample at a time) for only 1,000 generator steps, $k \in \{1, 5\}$
# and both losses, and look at the same 500 latent codes over training.

# %%
runs = {}
for k in (1, 5):
    for loss in gan.LOSSES:
        runs[(k, loss)] = gan.cached_ring(f"gan-ring-nb-k{k}-{loss}", k=k, loss=loss, num_steps=1000,
                                          batch_size=256, snapshot_every=250, seed=0, pack=1)[1]

# %%
centres = mode_centres("ring").numpy()
fig, axes = plt.subplots(4, 5, figsize=(10.5, 8.6), sharex=True, sharey=True)
for row, ((k, loss), r) in zip(axes, runs.items()):
    for ax, (step, pts) in zip(row, r["snapshots"]):
        pts = np.asarray(pts)
        ax.scatter(centres[:, 0], centres[:, 1], s=40, c="0.85")
        ax.scatter(pts[:, 0], pts[:, 1], s=2, color=viz.COLORS[0])
        ax.set_xlim(-3, 3), ax.set_ylim(-3, 3), ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"k={k}, {loss[:7]}, step {step}", fontsize=8)
plt.tight_layout()
plt.show()

# %%
for (k, loss), r in runs.items():
    print(f"k={k} {loss:>13}: {r['modes_captured']}/8 modes, {100 * r['hq_fraction']:.0f}% high quality, "
          f"samples per mode {r['counts']}")

# %% [markdown]
# Reading the figure: the generator first puts a blob in the middle, then stretches it towards a few
# centres at a time. Runs that miss modes show mode collapse: whole modes hold no samples while others
# hold far more than their share. Short runs also leave many samples between centres (low quality).
#
# **Packing.** Nothing in $V(D, G)$ looks at more than one sample at a time, so a discriminator
# cannot see that two of G's samples are too often alike. PacGAN (Lin et al., 2018) lets D judge
# *pairs*: real pairs come from two different modes 7 times in 8, while pairs from a collapsed G
# rarely do, so D can penalize collapse. The package's default ring GAN (`gan.GAN()`, `pack=2`)
# does this at no cost per step, and `benchmarks/gan.py` trains it for 8,000 steps on three seeds:
# every seed captures all eight modes (see the README).
#
# ## Summary
#
# * For fixed $G$ the best discriminator is $D^* = p_{data}/(p_{data}+p_g)$, found point by point.
# * At $D^*$, $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_{data}\|p_g)$, minimized exactly at $p_g = p_{data}$,
#   where $D^* \equiv 1/2$.
# * In practice the inner maximization is replaced by $k$ discriminator steps per generator step, and
#   the non-saturating loss keeps the generator's gradient alive when $D$ wins early.
# * Nothing in the game rewards covering every mode: on the ring, GANs can drop modes.
#
# ## Exercises
#
# Write each function between the solution markers, then run the check cell: it compares
# your function with the reference on seeded inputs and prints one verdict line.
#
# > **Exercise 9.1 (the optimal discriminator).** Given the densities `p_data` and `p_g` on a grid `x`,
# > return $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, and $1/2$ where both densities vanish.

# %%
def optimal_discriminator(p_data, p_g, x):
    ### BEGIN SOLUTION
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(1e-300), torch.full_like(total, 0.5))
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("9.1", optimal_discriminator)

# %% [markdown]
# > **Exercise 9.2 (Jensen-Shannon divergence).** Return
# > $\mathrm{JSD}(p_{data}\,\|\,p_g) = \tfrac12\mathrm{KL}(p_{data}\,\|\,m) + \tfrac12\mathrm{KL}(p_g\,\|\,m)$,
# > $m = (p_{data} + p_g)/2$, integrating on the grid `x` with the trapezoidal rule (`torch.trapezoid`).

# %%
def jsd(p_data, p_g, x):
    ### BEGIN SOLUTION
    m = (p_data + p_g) / 2
    kl = lambda p: torch.trapezoid(torch.special.xlogy(p, p / m.clamp_min(1e-300)), x)  # noqa: E731
    return 0.5 * kl(p_data) + 0.5 * kl(p_g)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("9.2", jsd)

# %% [markdown]
# ### Going further
#
# > **Going further.** Show that for fixed $G$, $y \mapsto \alpha \log y + \gamma \log(1 - y)$ is concave on
# > $(0, 1)$ and reaches its maximum at $\alpha/(\alpha+\gamma)$. What happens where $\alpha = \gamma = 0$?
#
# > **Going further.** Compute the gradient with respect to the logit $a = \mathrm{logit}\,D(G(z))$ of the
# > minimax loss $\log(1-\sigma(a))$ and of the non-saturating loss $-\log\sigma(a)$. Which one vanishes
# > when $D(G(z)) \to 0$? Check it with `torch.autograd.grad` on `gan.g_loss`.
#
# > **Going further.** In the widget, compare $k = 1$ and $k = 5$ for the minimax loss. How far is $D$ from
# > $D^*$ in the early frames? Then replace $p_{data}$ by a mixture of two Gaussians in
# > `gan.trajectory_1d`: can an affine generator reach $\mathrm{JSD} = 0$?
#
# ## References
#
# * Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
# * Srivastava et al. (2017). VEEGAN: reducing mode collapse in GANs using implicit variational learning.
# * Lin et al. (2018). PacGAN: the power of two samples in generative adversarial networks.
