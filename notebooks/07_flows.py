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
# # 07 · Normalizing flows
#
# A generative model can define a density without writing it down: push a simple base density
# through a map $\Phi$ and call $p$ whatever comes out. A normalizing flow makes $\Phi$ an
# invertible, differentiable chain of maps and keeps track of how each one stretches volume, so the
# density of the result can still be evaluated. In this notebook you will check the
# change-of-variables formula against autograd, reproduce Figure 3 of Rezende & Mohamed (2015)
# (planar flows with K = 2, 8, 32 and NICE against the energies U1 to U4), watch a trained flow split
# a Gaussian into two branches layer by layer (and move one planar layer yourself), fit a coupling
# flow to two moons by maximum likelihood, and push one base density through that flow and through a
# GAN generator trained on the same points: the two ways to train $\Phi$.

# %% [markdown] slideshow={"slide_type": "slide"}
# **Notation.**
#
# | symbol | meaning | in code |
# |---|---|---|
# | $z_0 \sim q_0$ | the base density, a diagonal Gaussian $\mathcal N(\mu, \mathrm{diag}\,\sigma^2)$ | `flow.base` |
# | $\Phi_k$, $K$ | the $k$-th invertible map and the number of maps (the flow length) | `flow.transform`, `num_layers` |
# | $z_k$, $q_k$ | the point after $k$ maps and its density; $q_K$ is the flow's density | `flow.log_prob`, `upto=k` |
# | log_det | $\log\lvert\det\nabla\Phi(z)\rvert$, the log volume change of a map at $z$ | `log_det` |
# | $w, u, b$; $\hat u$ | a planar layer's parameters; $\hat u$ the corrected $u$ with $w^\top\hat u \ge -1$ | `PlanarFlow.u_hat` |
# | $U$, $p = e^{-U}/Z$ | a target energy (U1 to U4) and its density; $\log Z$ its log-normalizer | `data.energy`, `flows.log_partition` |
# | $\tau$ | the inverse temperature of the annealed loss $\mathbb E_q[\log q + \tau U]$, raised to 1 | `flows.anneal_schedule` |
# | KL | $\mathrm{KL}(q_K\,\Vert\,p)$ in nats | `flows.kl` |
# | $h \sim p_h$, $G$ | in the transport section: the base sample and a GAN's generator $x = G(h)$ | `gan.GAN` |
#
# $\beta$ is not used here: in these notes it names the variational parameters (03 to 05) and, as
# $\beta_t$, the diffusion rate of notebook 08. Rezende & Mohamed call the temperature $\beta_t$.

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import data, flows, gan
from lecturekit.checkpoint import cached
from lecturekit.claims import check
from lecturekit.utils import make_generator
from lecturekit.widgets.flows import density_warp

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measure transport
#
# The lecture's starting point: a model $p(x)$ can be defined *implicitly* by a base density $p_h$
# and a map $\Phi$,
#
# $$
# \int f(x)\,p(x)\,dx = \int f\big(\Phi(h)\big)\,p_h(h)\,dh \qquad \text{for every measurable } f ,
# $$
#
# that is, $x = \Phi(h)$ with $h \sim p_h$ (Tabak & Vanden-Eijnden 2010 fit such transports to
# data). Sampling is always easy: draw $h$, apply $\Phi$. Two ways to *train* $\Phi$ follow:
# a **normalizing flow** restricts $\Phi$ to diffeomorphisms, so that $p(x)$ has a formula and we
# can maximize the likelihood (or minimize a KL); a **GAN** lets $\Phi = G$ be any network and trains
# it with a discriminator, from samples alone. The last section of this notebook puts the two side by
# side.
#
# ## Change of variables
#
# Let $\Phi:\mathbb{R}^d\to\mathbb{R}^d$ be a diffeomorphism (smooth, invertible, with a smooth
# inverse) and $z \sim q(z)$. Taking $f$ above as an indicator, $z' = \Phi(z)$ has density
#
# $$
# \tilde q(z') = q(z)\,\big|\det \nabla\Phi(z)\big|^{-1}, \qquad z = \Phi^{-1}(z').
# $$
#
# Every transform in `lecturekit.flows` returns `(z', log_det)` with
# `log_det` $= \log|\det\nabla\Phi(z)|$. A **planar** layer is
# $\Phi(z) = z + \hat u\,\tanh(w^\top z + b)$; its Jacobian is $I + \hat u\,\psi(z)^\top$ with
# $\psi(z) = (1-\tanh^2(w^\top z+b))\,w$, a rank-one update, so by the matrix determinant lemma
# $\log|\det\nabla\Phi| = \log|1 + \psi(z)^\top \hat u|$: $O(d)$ instead of $O(d^3)$.
# It is invertible when $w^\top\hat u \ge -1$; we guarantee it for every parameter value with
# $\hat u = u + \big(m(w^\top u) - w^\top u\big)\,w/\|w\|^2$, $m(x) = -1 + \mathrm{softplus}(x)$.
# Let us check the formula against the determinant of the autograd Jacobian, in float64, on a layer
# whose raw $w^\top u = -5.5$ would fold the plane:

# %%
# NBVAL_CHECK_OUTPUT
layer = flows.PlanarFlow(2, 1).double()
with torch.no_grad():
    layer.w.copy_(torch.tensor([[3.0, 1.0]])); layer.u.copy_(torch.tensor([[-2.0, 0.5]]))
z = torch.randn(5, 2, dtype=torch.float64, generator=make_generator(0))
log_det = layer(z)[1].detach()
jac = torch.stack([torch.autograd.functional.jacobian(lambda v: layer(v[None])[0][0], zi) for zi in z])
print("raw w·u =", float((layer.w * layer.u).sum().detach()))
check("w·û after the correction", layer.u_hat()[1].detach(), at_least=-1.0, digits=3)
check("largest |log_det − log|det ∇Φ|| (autograd)", (log_det - torch.linalg.slogdet(jac)[1]).abs().max(),
      at_most=1e-6, digits=1)
error = check("largest round-trip error |Φ⁻¹(Φ(z)) − z|", (layer.inverse(layer(z)[0])[0] - z).abs().max(),
              at_most=1e-6, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cascade
#
# Composing $K$ maps, $z_K = \Phi_K\circ\cdots\circ\Phi_1(z_0)$ with $z_0\sim q_0$, the log-density
# of the result is a sum we can track along the way:
#
# $$
# \log q_K(z_K) = \log q_0(z_0) - \sum_{k=1}^{K} \log\big|\det\nabla\Phi_k(z_{k-1})\big| .
# $$
#
# `flows.Flow` holds $q_0$ (a diagonal Gaussian with learnable mean and log-scale) and the
# transform; `rsample_and_log_prob(n)` returns $z_K$ and $\log q_K(z_K)$ in one pass, which is all
# that variational inference needs. To fit an unnormalized target $p(z) = e^{-U(z)}/Z$ we minimize
#
# $$
# \mathrm{KL}(q_K\,\|\,p) = \mathbb{E}_{q_K}\big[\log q_K(z) + U(z)\big] + \log Z ,
# $$
#
# where $\log Z$ does not depend on the flow. Following the paper, training anneals an inverse
# temperature $\tau_t = \min(1, 0.01 + t/T_\tau)$ in front of $U$ (`flows.anneal_schedule`), so that
# early on $q$ spreads over every mode before the target sharpens. To *report* the KL we compute
# $\log Z$ once per target by quadrature on a 1000 x 1000 grid over $[-10,10]^2$
# (`flows.log_partition`) and average over 20,000 fresh samples.

# %%
targets = list(data.ENERGIES)
print("log Z:", {t: round(flows.log_partition(t), 3) for t in targets})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Rezende & Mohamed (2015), Figure 3
#
# We fit planar flows of length K = 2, 8 and 32 and a NICE flow (four additive couplings and a
# final scaling) to each of U1 to U4 (U2 to U4 carry the soft envelope of `lecturekit.data`, so
# that $Z$ is finite). The four planar flows of one length train side by side as one bank
# (`num_flows=4`). Reverse KL has local optima (a ridge covered twice, a branch left out), so each
# flow trains in three copies from different starting points and keeps the copy with the lowest
# KL on 5,000 fresh samples; the KLs below are measured on another 20,000. The paper ran 500,000
# steps; we run the settings printed below. Every fit is cached under all of its settings, so a
# re-run loads it, and a change of any setting retrains.

# %%
print("planar:", flows.FIG3_PLANAR_TRAIN)
print("NICE:  ", flows.FIG3_NICE_MODEL, flows.FIG3_NICE_TRAIN)
planar = {k: cached(f"flows-fig3-planar-K{k}", build=flows.planar_flow, model={"num_layers": k, "num_flows": 4},
                    fit=flows.fit_reverse_kl, train={**flows.FIG3_PLANAR_TRAIN, "target": targets, "seed": 0})[0]
          for k in flows.FIG3_KS}
nice = {t: cached(f"flows-fig3-nice-{t}", build=flows.nice_flow, model=flows.FIG3_NICE_MODEL,
                  fit=flows.fit_reverse_kl, train={**flows.FIG3_NICE_TRAIN, "target": t, "seed": 0})[0]
        for t in targets}

# %%
kls = {k: flows.kl(planar[k], targets, generator=make_generator(1)) for k in flows.FIG3_KS}
kl_nice = [flows.kl(nice[t], t, generator=make_generator(1)) for t in targets]
print("KL(q‖p) in nats   " + "  ".join(f"{t:>6}" for t in targets))
for k in flows.FIG3_KS:
    print(f"planar K = {k:<6}" + "  ".join(f"{v:6.3f}" for v in kls[k]))
print(f"{'NICE':<17}" + "  ".join(f"{v:6.3f}" for v in kl_nice))

# %% [markdown] slideshow={"slide_type": "slide"}
# The claims the figure rests on, checked: on every target a longer flow is closer to $p$, and the
# K = 32 flows come within the bounds of `flows.FIG3_MAX_KL_K32`. The paper shows its KLs only as
# a plot (Fig. 3d), falling with K; `benchmarks/flows.py` repeats this table on five seeds.

# %%
# NBVAL_CHECK_OUTPUT
flows.check_fig3(kls, targets)
nice_u1 = check("KL(NICE ‖ p) on U1", kl_nice[0], at_most=flows.NICE_U1_MAX_KL, unit="nats", paper="plotted (Fig. 3d)")

# %%
fig, axes = plt.subplots(4, 5, figsize=(10, 8.4))
panels = [("target p", None)] + [(f"planar K = {k}", k) for k in flows.FIG3_KS] + [("NICE", "nice")]
bank = {k: flows.density_grid(f, num=150) for k, f in planar.items()}  # (4, 150, 150) per K
for i, t in enumerate(targets):
    for j, (title, key) in enumerate(panels):
        q = (flows.target_density_grid(t, num=150) if key is None else
             flows.density_grid(nice[t], num=150) if key == "nice" else bank[key][i])
        value = None if key is None else kl_nice[i] if key == "nice" else kls[key][i]
        axes[i, j].imshow(q, origin="lower", extent=(-4, 4, -4, 4), cmap="Blues")
        axes[i, j].set(xticks=[], yticks=[])
        axes[i, j].set_title(title if value is None else f"{title}: KL {value:.2f}", fontsize=8)
    axes[i, 0].set_ylabel(t)
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: with K = 2 a planar flow bends the Gaussian only once or
# twice: it catches U1's two halves as thin slivers, U2's wave but not its right end, and neither
# U3's lower branch nor U4's second branch. With K = 8 the ring of U1 and the whole wave of U2 are
# there, but U3 and U4 still follow only the main wave (U3's right half only faintly). With K = 32 the flow also reaches U3's
# lower dip near $z_1 \approx 1$ and U4's branch falling to the lower right (both fainter than in
# $p$), and on every row the KL falls from K = 2 to 8 to 32, as in the paper's Fig. 3. The K = 32
# panel of U2 has a faint double fold at its left edge, which costs little (KL 0.05). Reverse KL
# is mode-seeking: where a flow is too short to reach a branch, it leaves it out rather than
# spreading mass over the gap.
#
# What NICE cannot do: its couplings have $|\det\nabla\Phi| = 1$ and only the final scaling (and
# $q_0$'s own scale) changes volume, uniformly. So $q_K$ takes exactly the values of a Gaussian,
# moved around: every set $\{q_K > c\}$ is the image of an ellipse of the base, hence **connected**
# and of the same area. NICE can bend and shear the Gaussian along a ring or a ridge, but it cannot
# make two separate peaks with a valley between them, nor make one region more peaked than the
# Gaussian is. In the figure, NICE on U1 covers both halves of the
# ring but joins them by a thin bridge over the top, where $p$ has almost no mass: that is the
# connected level set at work, and it costs 0.15 nats. On U2 NICE does as well as the K = 8 planar
# flow (one bent band is what a volume-preserving map does best); on U3 and U4 it follows the main
# wave and misses the second branch (U3) or barely starts it (U4).
#
# ## Widget: the density warp
#
# The left panel shows the planar flow with K = 32 trained on U3, one layer at a time: the density
# $q_k$ after the first $k$ layers, and the lines of a square grid around the mean of $q_0$ pushed
# through the same $k$ layers. First, the check that this flow really reaches both branches: the
# mass it puts on U3's lower branch where the two separate ($0.4 \le z_1 \le 1.6$, within 0.5 of
# the lower curve), against the target's.

# %%
# NBVAL_CHECK_OUTPUT
u3_flow = flows.select(planar[32], targets.index("U3"))
share = flows.u3_lower_branch_mass(u3_flow, generator=make_generator(2)) / flows.u3_lower_branch_mass("U3")
share = check("the U3 flow's mass on the lower branch, as a fraction of p's", share, at_least=flows.U3_MIN_BRANCH_SHARE)

# %% [markdown] slideshow={"slide_type": "slide"}
# * Move **layer k** from 0 to 32: each planar layer folds the plane along one line
#   ($w_k^\top z + b_k = 0$) and shifts it along $\hat u_k$. Watch the Gaussian tear into two lobes by k = 8, the lobes
#   stretch along the wave by k = 16, and at k = 32 the upper wave and U3's lower dip near
#   $z_1 \approx 1$ appear together (the dip fainter than in $p$, as the check above measured).
# * The right panel is one planar layer applied to $\mathcal{N}(0, I)$. Move **w₁, w₂, u₁, u₂, b**:
#   the dashed line is $w^\top z + b = 0$, the green segment is $\hat u$. Make $w^\top u$ very
#   negative: the readout shows $w^\top\hat u$ stopping at $-1$, the grid lines pinching but never
#   crossing, and $\log|\det|$ going very negative (mass piled up) without becoming $-\infty$.

# %%
# NBVAL_IGNORE_OUTPUT
app = density_warp(u3_flow)
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Maximum likelihood: a coupling flow on two moons
#
# With data instead of an energy, we maximize $\frac1N\sum_n \log q_K(x_n)$, which needs the
# inverse: $\log q_K(x) = \log q_0(\Phi^{-1}(x)) - \sum_k \log|\det\nabla\Phi_k|$. Coupling
# layers make the inverse exact and cheap. NICE's **additive coupling** keeps one half $z_a$ of the
# coordinates and shifts the other, $y_b = z_b + m(z_a)$, with any network $m$; its Jacobian is
# triangular with unit diagonal, so $\log|\det| = 0$, and a final diagonal scaling
# $y = e^{s}\odot z$ contributes $\sum_i s_i$. The **affine coupling** of Real NVP also scales,
# $y_b = z_b\odot e^{s(z_a)} + t(z_a)$, with $\log|\det| = \sum s(z_a)$. We fit six affine
# couplings, from $q_0 = \mathcal N(0, I)$, to 2,000 points and score 2,000 fresh ones.

# %%
MOONS = {"num_points": 2000, "data_seed": 0, "test_seed": 1}
x_train, x_test = flows.moons(2000, seed=MOONS["data_seed"]), flows.moons(2000, seed=MOONS["test_seed"])
moons, moons_history = cached("flows-realnvp-moons", build=flows.realnvp_flow, model={"num_coupling": 6, "hidden_dim": 64},
                              fit=flows.fit_moons_flow, train={**MOONS, "num_steps": 2000, "lr": 2e-3, "seed": 0})
gauss = torch.distributions.MultivariateNormal(x_train.mean(0), torch.cov(x_train.T))
test_ll, gauss_ll = flows.log_likelihood(moons, x_test), float(gauss.log_prob(x_test).mean())
print(f"test log-likelihood per point: Real NVP {test_ll:.2f} nats, full-covariance Gaussian {gauss_ll:.2f} nats")

# %%
# NBVAL_CHECK_OUTPUT
gain = check("Real NVP's gain over the Gaussian", test_ll - gauss_ll, at_least=flows.MOONS_MIN_GAIN,
             unit="nats per point", digits=1)

# %%
EXTENT = (-1.6, 2.6, -1.2, 1.7)  # one box for all three panels: the density's grid is this box
samples = moons.sample(2000, generator=make_generator(2))
fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.9), sharex=True, sharey=True)
axes[0].scatter(*x_test.T, s=2)
axes[1].scatter(*samples.T, s=2, color="C1")
axes[2].imshow(flows.density_grid(moons, extent=EXTENT, num=200), origin="lower", extent=EXTENT, cmap="Blues",
               aspect="auto")
for ax, title in zip(axes, ["test data", "samples from the flow", "flow density $q_K$"]):
    ax.set_title(title, fontsize=9)
axes[0].set(xlim=EXTENT[:2], ylim=EXTENT[2:])
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# The samples follow both moons, and the density is thin along each arc. A thin trail of samples
# crosses the gap from the upper moon's right end to the lower moon, and the density panel shows
# faint mass along it: a continuous, invertible map of one Gaussian cannot tear the plane apart, so
# it leaves a bridge (the same reason NICE bridged U1's ring).
#
# ## One base density, two transports: a flow and a GAN
#
# Back to the measure-transport picture. Real NVP above is one map $\Phi$ from $p_h = \mathcal N(0, I)$
# to two moons, trained by maximum likelihood. A GAN learns another map from the same $p_h$ (its
# latent is 2-D here) to the same 2,000 points, $G$, trained against a discriminator
# (`gan.GAN` with its default pair-judging discriminator, `gan.fit_gan`; notebook 09 derives it).
# Push the **same** sample $h$ through both, coloured by the angle of $h$ so you can follow where each
# map sends each part of the base. The flow also gives the density of what it produces, by the change
# of variables, $\log p(x) = \log p_h(h) - \log|\det\nabla\Phi(h)|$ at $x = \Phi(h)$; the GAN's $G$ is
# not invertible and has no Jacobian determinant to track, so its samples come with no density.

# %%
gan_moons, gan_history = cached("flows-moons-gan", build=gan.GAN, model={"latent_dim": 2, "hidden_dim": 128},
                                fit=flows.fit_moons_gan, train={"num_points": 2000, "data_seed": 0,
                                                                "num_steps": 3000, "lr": 1e-3, "seed": 0})
h = torch.randn(3000, 2, generator=make_generator(3))
with torch.no_grad():
    x_flow, log_p_flow = moons.push_forward(h)
    x_gan = gan_moons.g_net(h)
angle = torch.atan2(h[:, 1], h[:, 0])

# %%
fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.4))
for row, (x, name) in enumerate([(x_flow, "flow: $x = \\Phi(h)$"), (x_gan, "GAN: $x = G(h)$")]):
    axes[row, 0].scatter(*h.T, c=angle, cmap="hsv", s=2)
    axes[row, 0].set(xlim=(-3.2, 3.2), ylim=(-3.2, 3.2))
    axes[row, 0].set_title("base sample $h \\sim p_h = \\mathcal{N}(0, I)$", fontsize=9)
    axes[row, 1].scatter(*x.T, c=angle, cmap="hsv", s=2)
    axes[row, 1].set_title(name + " (colour: angle of $h$)", fontsize=9)
    for ax in axes[row, 1:]:
        ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:])
    axes[row, 0].set_ylabel(["flow (Real NVP)", "GAN"][row])
dots = axes[0, 2].scatter(*x_flow.T, c=log_p_flow.clamp(min=-4), cmap="viridis", s=2)
fig.colorbar(dots, ax=axes[0, 2], label="log p(x), nats")
axes[0, 2].set_title("the same points, coloured by $\\log p_h(h) - \\log|\\det\\nabla\\Phi(h)|$", fontsize=9)
axes[1, 2].text(0.5, 0.5, "no density:\n$G$ has no inverse and no\nJacobian determinant to track,\nso $p(x)$ cannot be evaluated",
                ha="center", va="center", transform=axes[1, 2].transAxes, fontsize=9)
axes[1, 2].set(xticks=[], yticks=[], title="and $\\log p(x)$ for the GAN?")
axes[1, 2].title.set_fontsize(9)
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: each map keeps neighbouring points of $h$ together (the colours change
# smoothly), but the two arrange the base differently: the flow sends the left half of the disc (red
# to yellow) to the upper moon and the lower-right quarter (green) to the lower moon, while the GAN
# lays the colours along the moons in another order; nothing asks two transports of the same data to
# agree. Both leave a trail of points across the gap between the moons (dark blue for the flow,
# magenta for the GAN): a continuous map of a connected base cannot make two separate pieces. Only
# the flow can say how likely its points are: on the arcs $\log p(x)$ lies between about $-1$ and
# $0.5$ nats, in the gap mostly between $-2$ and $-4$, so the flow itself reports that its bridge
# is improbable. The GAN's samples carry
# no such number; judging them takes a discriminator (notebook 09) or a sample-based score.
#
# ## Summary
#
# * A model can be a transport: $x = \Phi(h)$ with $h \sim p_h$. Flows and GANs are two ways to
#   train $\Phi$: flows keep $\Phi$ invertible and get a density by the change of variables; GANs
#   drop invertibility and learn from samples with a discriminator.
# * A diffeomorphism $\Phi$ changes densities by $|\det\nabla\Phi|^{-1}$; a cascade adds up the
#   log-determinants: $\log q_K(z_K) = \log q_0(z_0) - \sum_k\log|\det\nabla\Phi_k|$.
# * Planar flows have an $O(d)$ log-determinant and are invertible when $w^\top\hat u\ge-1$, which
#   the reparametrization of $u$ enforces. More layers fit U1 to U4 better (Figure 3); NICE's
#   volume-preserving couplings can bend a Gaussian but not split it into separate peaks.
# * Reverse KL needs only samples and $\log q$, and is mode-seeking, with local optima that restarts
#   help with; maximum likelihood needs the inverse, which coupling layers (NICE, Real NVP) give exactly.
#
# ## Exercises
#
# Write each function between the solution markers, then run the check cell: it compares
# your function with the reference on seeded inputs and prints one verdict line.
#
# > **Exercise 7.1 (keeping the planar layer invertible).** Given `w` and `u` (D,), return
# > $\hat u = u + \big(m(w^\top u) - w^\top u\big)\, w / \|w\|^2$ with $m(x) = -1 + \mathrm{softplus}(x)$,
# > so that $w^\top \hat u > -1$ for every parameter value.

# %%
def u_hat(w, u):
    ### BEGIN SOLUTION
    wu = w @ u
    return u + (torch.nn.functional.softplus(wu) - 1 - wu) * w / (w @ w)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("7.1", u_hat)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 7.2 (a planar layer and its log-det).** Given `z` (N, D), `w`, `u` (D,) and a scalar `b`,
# > return `(z_new, log_det)` with $z' = z + \hat u \tanh(w^\top z + b)$ and
# > $\log|\det \partial z'/\partial z| = \log|1 + (1 - \tanh^2(w^\top z + b))\, w^\top \hat u|$ (use your `u_hat`).

# %%
def planar_layer(z, w, u, b):
    ### BEGIN SOLUTION
    uh = u_hat(w, u)
    h = torch.tanh(z @ w + b)
    return z + h[:, None] * uh, torch.log1p((1 - h**2) * (w @ uh))
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("7.2", planar_layer)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Going further
#
# > **Going further.** Fit a radial flow (`flows.Flow(flows.RadialFlow(2, 32))`) to U1 with
# > `flows.fit_reverse_kl` and compare its KL with the planar flow of the same length. Which
# > family suits a ring, and why?
#
# > **Going further.** Turn the annealing off (`tau_start=1.0`) and refit the planar K = 8
# > bank. On which targets does the final KL get worse, and what does $q$ look like there?
#
# > **Going further.** Replace the affine couplings of the two-moons model by NICE
# > (`flows.nice_flow()`) and compare the test log-likelihoods. What can an affine coupling do that
# > an additive one plus a single global scaling cannot?
#
# ## References
#
# * Tabak & Vanden-Eijnden (2010). Density estimation by dual ascent of the log-likelihood. Communications in Mathematical Sciences 8(1).
# * Rezende & Mohamed (2015). Variational inference with normalizing flows. ICML.
# * Dinh, Krueger & Bengio (2015). NICE: non-linear independent components estimation. ICLR workshop.
# * Dinh, Sohl-Dickstein & Bengio (2017). Density estimation using Real NVP. ICLR.
# * Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
# * Papamakarios et al. (2021). Normalizing flows for probabilistic modeling and inference. JMLR.
