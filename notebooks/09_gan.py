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
# # 09 · GANs: the optimal discriminator, the JSD and the k-step game
#
# A generative adversarial network pits a generator $G$, which turns noise $z$ into samples, against a
# discriminator $D$, which tells data from samples. In this notebook you will follow the consistency
# argument of Goodfellow et al. (2014) step by step and check each step numerically in 1-D: the
# optimal discriminator $D^* = p_{data}/(p_{data}+p_g)$, the value $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}$,
# and its minimum at $p_g = p_{data}$. Then you will replay a 1-D training run (the four panels of the
# paper's Fig. 1), and train GANs on a ring of eight Gaussians: there the game can drop modes even though
# its optimum covers them all, and a discriminator that judges pairs of samples (PacGAN) repairs it.

# %% [markdown] slideshow={"slide_type": "slide"}
# **Notation.**
#
# | symbol | meaning | in code |
# |---|---|---|
# | $x$, $z$ | a data point; the generator's noise, $z \sim p_z = \mathcal{N}(0, I)$ | |
# | $G$ | the generator, $x = G(z)$; its parameters are $\beta$ on the slides ($p_g = p_\beta$) | `g_net` |
# | $D$ | the discriminator, $D(x) = \sigma(a(x))$, the probability that $x$ is data; $a$ its logit; its parameters are $\theta$ on the slides ($D = p_\theta(y{=}1 \mid x)$) | `d_net` |
# | $p_{data}$, $p_g$ | the densities of the data and of $G(z)$ | |
# | $D^*$ | the optimal discriminator for a fixed $G$ | `gan.optimal_discriminator` |
# | $V(D, G)$ | the value of the game, in nats | `gan.value` |
# | $\alpha$, $\bar\alpha$, $H$ | $\alpha = p_{data}/(p_{data}+p_g)$ at a point $x$, $\bar\alpha$ the Bernoulli($\alpha$) distribution, $H$ its entropy (nats) | |
# | JSD, KL | Jensen–Shannon and Kullback–Leibler divergences (nats) | `gan.jsd` |
# | $k$ | discriminator steps per generator step | `k=` |
# | $\sigma$ | on the ring: the standard deviation of each of the eight modes (0.02) | `gan_toys.RING` |
#
# In code, `generator=` always means a `torch.Generator` (the random numbers), never the network.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import lecturekit as lk
from lecturekit import gan, gan_toys, viz
from lecturekit.claims import check, check_true
from lecturekit.data import mode_centres
from lecturekit.widgets.gan import trajectory_frames, training_player

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
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
# We check this by training a discriminator (`gan.fit_discriminator`, the inner maximization run to
# convergence) against a *fixed* generator, $p_g = \mathcal{N}(-0.5, 0.75^2)$, with
# $p_{data} = \mathcal{N}(0.75, 0.5^2)$, and comparing it with `gan.optimal_discriminator` on a grid.

# %%
# NBVAL_CHECK_OUTPUT
p_data_1d, p_g_1d = (0.75, 0.5), (-0.5, 0.75)


def fit_d(d_net, *, generator, **train):
    data = gan.AffineGenerator(mu=p_data_1d[0], scale=p_data_1d[1])
    return gan.fit_discriminator(d_net, gan.AffineGenerator(mu=p_g_1d[0], scale=p_g_1d[1]),
                                 lambda n: data.sample(n, generator=generator), generator=generator,
                                 progress=False, **train)  # no bar in a checked cell


D, _ = lk.checkpoint.cached("gan-fixed-g-d", build=gan.MLPDiscriminator,
                            model={"data_dim": 1, "hidden_dim": 64, "num_layers": 2}, fit=fit_d,
                            train={"num_steps": 3000, "lr": 1e-2, "batch_size": 2048, "seed": 0},
                            data={"p_data": p_data_1d, "p_g": p_g_1d})
x = torch.linspace(-2, 2.5, 201)
p_data, p_g = gan.gaussian_density(x, *p_data_1d), gan.gaussian_density(x, *p_g_1d)
d_star = gan.optimal_discriminator(p_data, p_g)
with torch.no_grad():
    d_trained = torch.sigmoid(D(x[:, None]))
cross = float(x[(d_star - 0.5).abs().argmin()])
print(f"D* crosses 1/2 at x = {cross:.2f}, peaks at {float(d_star.max()):.2f} (x = {float(x[d_star.argmax()]):.2f}), "
      f"and is {float(d_star[-1]):.2f} at the right edge x = {float(x[-1]):.1f}")
d_gap = check("max |D - D*| on the grid", (d_trained - d_star).abs().max(), at_most=gan.D_STAR_TOL, digits=3)

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

# %% [markdown] slideshow={"slide_type": "slide"}
# The trained discriminator (dashed blue) lies on top of the closed form (thick orange): it crosses
# $1/2$ where the two densities cross ($x \approx 0.14$), climbs to 0.95 over the data (at $x \approx 1.76$), and bends
# down again at the right edge (0.91 at $x = 2.5$), where the tail of the wider $p_g$ (standard deviation 0.75 against 0.5)
# catches up with the data's.
#
# ## Step 2: the value at $D^*$ is a Jensen–Shannon divergence
#
# Substitute $D^*$. With $\alpha = p_{data}(x)/(p_{data}(x)+p_g(x))$ the integrand becomes
# $(p_{data}+p_g)\,[\alpha\log\alpha + (1-\alpha)\log(1-\alpha)] = -(p_{data}+p_g)\,H(\bar\alpha)$, with
# $H(\bar\alpha)$ the entropy of the coin $\bar\alpha$ = Bernoulli($\alpha$) ("is $x$ data?"). Adding and
# subtracting $\log 2$ inside each log,
#
# $$
# V(D^*_G, G) = \int p_{data}\log\frac{p_{data}}{p_{data}+p_g} + p_g\log\frac{p_g}{p_{data}+p_g}\,dx
# = -\log 4 + \mathrm{KL}\Big(p_{data}\,\Big\|\,\tfrac{p_{data}+p_g}{2}\Big) + \mathrm{KL}\Big(p_g\,\Big\|\,\tfrac{p_{data}+p_g}{2}\Big)
# = -\log 4 + 2\,\mathrm{JSD}(p_{data}\,\|\,p_g).
# $$
#
# **The slide's form of the same fact.** The slides write Steps 1 and 2 in one line: for any $D$,
# with $\gamma = D(x)$,
# $\alpha\log\gamma + (1-\alpha)\log(1-\gamma) = -H(\bar\alpha) - \mathrm{KL}(\bar\alpha\,\|\,\bar\gamma) \le -H(\bar\alpha)$
# ($\bar\gamma$ the coin Bernoulli($\gamma$)). The KL term vanishes exactly at $\gamma = \alpha$, which is
# $D = D^*$ (Step 1), and what is left, $-H(\bar\alpha)$ weighted by $p_{data}+p_g$, is the integrand above.
#
# `gan.value` integrates $V$ on a grid and `gan.jsd` integrates the JSD from its own definition:

# %%
# NBVAL_CHECK_OUTPUT
xs = torch.linspace(-8, 8, 4001, dtype=torch.float64)
pd, pg = gan.gaussian_density(xs, *p_data_1d), gan.gaussian_density(xs, *p_g_1d)
v_star = float(gan.value(gan.optimal_discriminator(pd, pg), pd, pg, xs))
js = float(gan.jsd(pd, pg, xs))
with torch.no_grad():
    v_trained = float(gan.value(torch.sigmoid(D(xs[:, None].float())).double(), pd, pg, xs))
print(f"V(D*, G) = {v_star:.2f} nats, JSD = {js:.2f} nats, -log 4 + 2 JSD = {-math.log(4) + 2 * js:.2f} nats")
check("|V(D*, G) - (-log 4 + 2 JSD)|", abs(v_star - (-math.log(4) + 2 * js)), at_most=gan.IDENTITY_TOL,
      unit="nats", paper="0, an identity", digits=3)
beaten = check_true("the trained D does not beat D*", v_trained <= v_star + 1e-6,
                    detail=f"V(D, G) = {v_trained:.2f} <= V(D*, G) = {v_star:.2f} nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 3: the global minimum is $p_g = p_{data}$
#
# Pointwise, $-H(\bar\alpha)$ is convex in $\alpha$ and smallest at $\alpha = 1/2$, where it equals
# $-\log 2$; so $V(D^*_G, G) \ge -\int(p_{data}+p_g)\log 2\,dx = -\log 4$, with equality exactly when
# $\alpha = 1/2$ everywhere, that is $p_g = p_{data}$ (the slide: "$\min -H(\bar\alpha)$ is attained when
# $\alpha = 1/2$"). Equivalently $\mathrm{JSD} \ge 0$ with equality only for equal distributions. At that
# point $D^* \equiv 1/2$: the discriminator cannot tell the two apart. **This is a statement about the
# objective: its unique minimizer covers every part of $p_{data}$.**

# %%
a = np.linspace(1e-4, 1 - 1e-4, 400)
fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
axes[0].plot(a, a * np.log(a) + (1 - a) * np.log(1 - a), color=viz.COLORS[0])
axes[0].plot([0.5], [-np.log(2)], "o", color="k")
axes[0].set_xlabel(r"$\alpha$")
axes[0].set_title(r"$-H(\bar\alpha)$, minimum $-\log 2$ at $\alpha = 1/2$", fontsize=9)
shifts = np.linspace(-3, 3, 61)
vals = [float(gan.value(gan.optimal_discriminator(pd, q), pd, q, xs)) for q in
        (gan.gaussian_density(xs, p_data_1d[0] + s, p_data_1d[1]) for s in shifts)]
axes[1].plot(p_data_1d[0] + shifts, vals, color=viz.COLORS[1])
axes[1].axhline(-math.log(4), color="0.5", ls=":")
axes[1].set_xlabel(r"mean of $p_g$ (std as $p_{data}$)")
axes[1].set_title(r"$V(D^*, G)$, minimum $-\log 4$ (dotted)", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# Moving the mean of $p_g$ away from that of $p_{data}$ (0.75) raises $V(D^*, G)$ from $-\log 4 \approx -1.39$
# towards $0$: the JSD saturates at $\log 2$ once the supports barely overlap, which is why the minimax
# generator gets little signal early on.
#
# ## Step 4: alternate k steps of D with one step of G
#
# The argument assumes $D$ is optimal for each $G$, but the inner maximization over all functions
# $D$ is infeasible (the slides' $\theta^*(\beta) = \arg\max_\theta F(\beta, \theta)$): we only have a
# network and minibatches, and running it to convergence inside every generator step would be too slow
# (and would overfit on finite data). Algorithm 1 of the paper instead takes $k$ gradient steps on $D$,
# then one on $G$ (`gan.fit_gan(..., k=k)`), so $D$ stays near its optimum while $G$ changes slowly.
#
# **Saturation.** Early in training $D$ rejects the samples confidently. The minimax generator
# minimizes $\log(1 - D(G(z))) = -\mathrm{softplus}(a)$, whose derivative in the logit is
# $-\sigma(a) = -D(G(z))$: when $D(G(z)) \to 0$ the generator's gradient vanishes with it. The
# **non-saturating** loss $-\log D(G(z)) = \mathrm{softplus}(-a)$ has derivative $-(1 - D(G(z))) \to -1$
# there, and the same fixed point (`gan.g_loss(..., loss=)`).
#
# The replay below trains a 1-D generator $G(z) = \mu + s z$ (started at $\mathcal{N}(-1.5, 0.5^2)$)
# against an MLP discriminator with $p_{data} = \mathcal{N}(1.5, 0.5^2)$, for $k \in \{1, 2, 5\}$ and both
# losses, and stores $p_g$, $D$ and $D^*$ every ten generator steps (`gan_toys.fit_1d`). Four frames of
# $k = 1$, non-saturating, replay the four panels of Fig. 1 of the paper, in its colours:
# data black dotted, $p_g$ green, $D$ blue dashed (and $D^*$, which the paper does not draw, thin orange).

# %%
frames = trajectory_frames(ks=(1, 2, 5))
f = frames[(1, "nonsaturating")]
panels = {"a": 0, "b": 2, "c": 10, "d": len(f["step"]) - 1}
top = 1.05 * max(1.0, max(f["p_g"][i].max() for i in panels.values()))
fig, axes = plt.subplots(1, 4, figsize=(11, 2.7), sharey=True)
for ax, (tag, i) in zip(axes, panels.items()):
    ax.fill_between(f["x"], f["p_data"], color="k", alpha=0.12, lw=0)
    data_line, = ax.plot(f["x"], f["p_data"], "k:", lw=1.5)
    g_line, = ax.plot(f["x"], f["p_g"][i], color=viz.COLORS[2], lw=2)
    d_line, = ax.plot(f["x"], f["d"][i], "--", color=viz.COLORS[0], lw=2)
    star_line, = ax.plot(f["x"], f["d_star"][i], color=viz.COLORS[3], lw=1, alpha=0.8)
    ax.axhline(0.5, color="0.7", lw=0.6)
    ax.set_title(f"({tag}) generator step {f['step'][i]}", fontsize=9)
    ax.set_ylim(0, top), ax.set_xlim(-3.5, 3.5), ax.set_xlabel("x", fontsize=8)
fig.legend([data_line, g_line, d_line, star_line],
           [r"$p_{data}$ (data)", r"$p_g$ (generator density)", r"$D(x)$ (discriminator)", r"$D^*(x)$"],
           loc="lower center", ncol=4, fontsize=8, frameon=False)
plt.tight_layout(rect=(0, 0.1, 1, 1))
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
for tag, i in panels.items():
    on_data = f["p_data"] > 0.05  # where the data have mass
    print(f"({tag}) step {f['step'][i]:>3}: G = N({f['mu'][i]:.2f}, {f['scale'][i]:.2f}^2), peak of p_g {f['p_g'][i].max():.2f}, "
          f"D from {f['d'][i].min():.2f} to {f['d'][i].max():.2f} on the grid, "
          f"max |D - D*| where the data are {np.abs(f['d'][i] - f['d_star'][i])[on_data].max():.2f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure. (a) At step 0, $p_g$ sits at $-1.5$, left of the data, and $D$ is an untrained
# network: nearly flat, between 0.31 and 0.47 on the grid, far from $D^*$ (orange), which already jumps from 0 to 1 between
# the two densities. (The paper's panel (a) starts instead from a pair near convergence.) (b) Twenty
# generator steps later $D$ lies on $D^*$: about 0 over $p_g$, about 1 over the data; $G$ has begun to
# slide right, to $-1$. (c) At step 100, $G$ has followed the slope of $D$ to $0.64$ and narrowed on the
# way to a standard deviation of 0.28 (its density peaks at 1.41, hence the taller axis). $D^*$ is now 1 in both tails, where the narrow
# $p_g$ has less mass than the data, but $D$ is near 0 on the left: it only learns where the samples
# are. (d) At step 400, $p_g$ lies on $p_{data}$ and $D \approx 1/2$ wherever the two have mass; far to
# the left, where neither has any, $D$ is arbitrary (it drifts towards 0) and costs nothing in $V$.

# %%
# NBVAL_CHECK_OUTPUT
for (k, loss), fr in frames.items():
    if k in (1, 5):
        check(f"k = {k} {loss}, JSD at step {fr['step'][-1]}", fr["jsd"][-1], at_most=gan_toys.JSD_END_MAX,
              unit="nats", paper="0 at p_g = p_data", digits=3)
        check(f"k = {k} {loss}, |mean of p_g - 1.5|", abs(fr["mu"][-1] - 1.5), at_most=gan_toys.MU_TOL)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Widget: replay the game
#
# The left panel shows $p_{data}$ (shaded, black dotted), $p_g$ (green), the trained $D$ (dashed blue)
# and the optimal $D^*$ for the current $G$ (thin orange), the colours of the figure above; the right
# panel shows $\mathrm{JSD}(p_{data}\|p_g)$ over training. Press **play** (or drag **frame**): $p_g$
# slides onto $p_{data}$ and $D$ flattens to $1/2$. Change **k**: with more discriminator steps $D$ hugs
# $D^*$ more closely at every frame. Toggle **G loss** to compare the minimax and non-saturating
# generators: in this 1-D game both reach the data (the checks above), because $p_g$ and $p_{data}$
# overlap enough that $D(G(z))$ never gets close to 0.

# %%
# NBVAL_IGNORE_OUTPUT
app = training_player(frames)
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Eight Gaussians on a ring: mode coverage
#
# In 2-D the data are an equal mixture of eight Gaussians of standard deviation $\sigma = 0.02$ on a
# circle of radius 2 (`gan_toys.RING`). We use the criterion of VEEGAN and PacGAN
# (`gan_toys.mode_coverage`): a sample is **high quality** when it lies within $3\sigma = 0.06$ of its
# nearest centre, and a mode is **captured** when it holds at least a fifth of its fair share of
# 2,500 samples, that is at least 63 high-quality samples. A circle of radius 0.06 is a hundredth of the
# plot's width, so the second figure below zooms on each centre and draws the circle.
#
# First, four plain GANs (a 2-D latent, three hidden layers of 128 units, a discriminator that judges one
# sample at a time) with $k \in \{1, 5\}$ and both losses, for only 1,000 generator steps at a constant
# learning rate; we follow the same 500 latent codes over training.

# %%
specs = {(k, loss): (f"gan-ring-plain-k{k}-{loss}",
                     {"model": {"pack": 1}, "train": {"k": k, "loss": loss, "num_steps": 1000, "batch_size": 256,
                                                      "snapshot_every": 250}})
         for k in (1, 5) for loss in gan.LOSSES}
# the PacGAN run of the next section, with the ring's default recipe: all five train on two cores at once
specs["PacGAN"] = ("gan-ring-pacgan", {"train": {"snapshot_every": 2000}})
trained = gan_toys.cached_rings(dict(specs.values()))
runs = {key: trained[name][1] for key, (name, _) in specs.items() if key != "PacGAN"}

# %% [markdown] slideshow={"slide_type": "slide"}
# Second, the fix. **Why can a GAN drop a mode at all**, when Step 3 proved that the game's unique
# optimum covers every mode? The optimal discriminator does see a dropped mode: $D^* = 1$ on the missing
# mode, and $D^* < 1/2$ on the modes that hold too many samples (with 6 of 8 modes covered,
# $p_g = \tfrac43 p_{data}$ there and $D^* = 3/7$). But $G$ only feels $\nabla_x D$ at its own samples,
# none of which lie near the missing mode, and a network $D$ after a few gradient steps is only near
# $D^*$. Mode dropping is a failure of the optimization and of finite networks, not of the objective.
#
# PacGAN (Lin et al., 2018) makes the imbalance easier for a finite $D$ to see: $D$ judges **pairs** of
# samples, so it compares $p_{data} \otimes p_{data}$ with $p_g \otimes p_g$, and the gap between two
# distributions grows when both are paired (Lin et al. show it in total variation). It costs nothing per
# step: `gan.GAN(pack=2)`, the package default, feeds $D$ half as many rows, each twice as wide. Below,
# the same networks train with the ring's recipe (`gan_toys.fit_ring`: $k = 1$, the non-saturating loss,
# 8,000 generator steps of Adam at learning rate $10^{-3}$, batch 256, the learning rate decayed to zero
# over the second half, which pulls the samples into the narrow modes). Over seeds 0–9 this recipe
# captured 8/8 modes with 93–98% high-quality samples on all ten; with a one-sample discriminator the
# same recipe kept 8/8 on only 2 of 5 seeds (2, 4 and 4 modes on the others). `benchmarks/gan.py`
# prints the per-seed table.

# %%
runs["PacGAN"] = trained["gan-ring-pacgan"][1]


def label(key):
    return "PacGAN (pairs), k = 1" if key == "PacGAN" else f"k = {key[0]}, {key[1]}"


# %%
centres = mode_centres("ring").numpy()
fig, axes = plt.subplots(len(runs), 5, figsize=(10.5, 2.2 * len(runs)), sharex=True, sharey=True)
for row, (key, r) in zip(axes, runs.items()):
    for ax, (step, pts) in zip(row, r.info["snapshots"]):
        pts = np.asarray(pts)
        ax.scatter(centres[:, 0], centres[:, 1], s=40, c="0.85")
        ax.scatter(pts[:, 0], pts[:, 1], s=2, color=viz.COLORS[0])
        ax.set_xlim(-3, 3), ax.set_ylim(-3, 3), ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"{label(key)}, step {step}", fontsize=8)
fig.suptitle("The same 500 latent codes through training (grey discs: the eight centres, drawn far wider "
             "than a mode)", fontsize=9)
plt.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(len(runs), 8, figsize=(11, 1.5 * len(runs)))
zoom, radius = 0.3, gan_toys.NUM_STD * gan_toys.RING["std"]
for row, (key, r) in zip(axes, runs.items()):
    pts = np.asarray(r.info["samples"])
    for j, (ax, c) in enumerate(zip(row, centres)):
        captured = r.info["counts"][j] >= 0.2 * len(pts) / len(centres)
        ax.set_facecolor("#e8f5e9" if captured else "#fdecea")
        ax.scatter(pts[:, 0], pts[:, 1], s=1, color=viz.COLORS[0], alpha=0.5)
        ax.add_patch(plt.Circle(c, radius, fill=False, color=viz.COLORS[3], lw=1.2))
        ax.set_xlim(c[0] - zoom, c[0] + zoom), ax.set_ylim(c[1] - zoom, c[1] + zoom)
        ax.set_xticks([]), ax.set_yticks([]), ax.set_aspect("equal")
        ax.set_title(f"{r.info['counts'][j]} in 3σ", fontsize=7)
    row[0].set_ylabel(label(key), fontsize=7)
fig.suptitle("The 2,500 evaluation samples around each centre (±0.3); red circle: 3σ = 0.06; "
             "green panel: captured (≥ 63 inside), red panel: not", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
for key, r in runs.items():
    print(f"{label(key):>21}: {r.info['modes_captured']}/8 modes, {100 * r.info['hq_fraction']:3.0f}% high quality, "
          f"mean D(G(z)) {r.info['d_fake']:.2f}, per mode {r.info['counts']}")
mm = runs[(5, "minimax")].info
check("k = 5 minimax, modes captured", mm["modes_captured"], at_most=gan_toys.COLLAPSED_MODES_MAX, digits=0)
check("k = 5 minimax, mean D(G(z))", mm["d_fake"], at_least=gan_toys.D_ONE_MODE - gan_toys.D_ONE_MODE_TOL,
      at_most=gan_toys.D_ONE_MODE + gan_toys.D_ONE_MODE_TOL, paper="D* = 1/9 ≈ 0.11 on a mode holding all of p_g")
pac = runs["PacGAN"].info
check("PacGAN, modes captured", pac["modes_captured"], at_least=gan_toys.MODES_MIN, paper="8 of 8 in the data",
      digits=0)
hq = check("PacGAN, high-quality share", 100 * pac["hq_fraction"], at_least=100 * gan_toys.HQ_MIN, unit="%", digits=0)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figures. In the first figure every run leaves the origin within 250 steps. Three of the
# four plain runs spread into a full ring by step 250 and then gather at the centres, but after only
# 1,000 steps at a constant learning rate many samples still lie on bridges between neighbouring
# centres, so only 60–80% of them are high quality. The zoom shows what the counts mean: $k = 1$
# non-saturating has at least 63 samples in every circle (8/8; its weakest mode holds 98), $k = 1$
# minimax loses two modes that a bridge only crosses (38 and 47 samples inside), and $k = 5$
# non-saturating loses two the same way (12 and 15). These short runs say little about the losses
# themselves; the recipe below trains eight times longer.
#
# **The $k = 5$ minimax run collapses.** By step 250 all 500 latent codes have moved together towards the
# lower right, and from step 500 on they lie on one line that ends in a single centre: 1,631 of the 2,500
# samples inside that mode's circle, none inside any other (1/8 modes). Its discriminator is not fooled:
# mean $D(G(z)) = 0.11$, close to $D^* = (1/8)/(1/8 + 1) = 1/9$ for a generator that puts all its mass on
# one of eight modes. This is the saturation of Step 4: the minimax generator's gradient in the logit is
# $-D(G(z)) \approx -0.11$ per sample (the non-saturating loss would give $-(1 - D) \approx -0.89$), and it is
# weakest exactly at the samples $D$ rejects most confidently, so five discriminator steps per generator
# step starve $G$ of the signal that would spread it. With the same $k = 5$ and the non-saturating loss
# the ring survives.
#
# **PacGAN** (bottom rows; $k = 1$, non-saturating, pairs, 8,000 steps with the decay) ends with eight
# tight clusters: 8/8 modes, 96% of the samples within $3\sigma$, between 241 and 374 per mode against a
# fair share of 312, and mean $D(G(z)) = 0.49$, close to the $1/2$ of the game's optimum. The same recipe
# with a one-sample discriminator is the fair comparison, and it is in the benchmark: 8/8 on 2 of 5 seeds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * For fixed $G$ the best discriminator is $D^* = p_{data}/(p_{data}+p_g)$, found point by point; a trained
#   network lands on it (Step 1). The slide's
#   $\alpha\log\gamma + (1-\alpha)\log(1-\gamma) = -H(\bar\alpha) - \mathrm{KL}(\bar\alpha\,\|\,\bar\gamma)$ says the same.
# * At $D^*$, $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_{data}\|p_g)$, minimized exactly at $p_g = p_{data}$, where
#   $D^* \equiv 1/2$. The objective's optimum covers every mode: a generator that drops one has a
#   positive JSD.
# * In practice the inner maximization is replaced by $k$ discriminator steps per generator step, and the
#   non-saturating loss keeps the generator's gradient alive when $D$ wins early. With the minimax loss and
#   $k = 5$ the ring GAN collapsed onto one of its eight modes, where $D(G(z)) \approx D^* = 1/9$ scales the
#   generator's gradient down: the saturation of Step 4.
# * Mode dropping on the ring is a failure of the optimization and of finite networks, not of the
#   objective. Judging pairs of samples (PacGAN) made the ring's recipe reach all eight modes on each of
#   seeds 0–9, where a one-sample discriminator lost modes on 3 of 5.
#
# ## Open questions
#
# The slides end with questions that the ring makes concrete:
#
# * **Optimization.** Alternating gradient steps are not guaranteed to converge to the equilibrium, and no
#   Lyapunov function (a quantity every step decreases) is known for the game. On the ring, the seed, and
#   even the rounding of another CPU, decides whether a plain GAN keeps all its modes.
# * **Statistics.** How powerful must $D$ be (its capacity, e.g. a VC dimension) for the estimator to be
#   consistent from finitely many samples, and what keeps $G$ from overfitting the training set when $D$
#   can memorize it?
# * **Extensions.** LAPGAN and DCGAN (notebook 10) scale the game to images; the slides also cite GRAN
#   (recurrent generation), video prediction and CNN reconstruction.
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

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
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
# > $D^*$ in the early frames? Then let $p_{data}$ be a mixture of two Gaussians (`fit_1d` trains against
# > one Gaussian only; copy its `sample_data` and `p_data` lines into your own loop to try it): can the
# > affine generator $G(z) = \mu + s z$, whose $p_g$ is always one Gaussian, reach $\mathrm{JSD} = 0$?
# > Where does the best $\mu$ sit when the two components are far apart?
#
# ## References
#
# * Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
# * Mescheder, Geiger & Nowozin (2018). Which training methods for GANs do actually converge? ICML.
# * Srivastava et al. (2017). VEEGAN: reducing mode collapse in GANs using implicit variational learning. NeurIPS.
# * Lin et al. (2018). PacGAN: the power of two samples in generative adversarial networks. NeurIPS.
