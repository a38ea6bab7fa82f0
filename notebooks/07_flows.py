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
# # 07 · Normalizing flows
#
# A normalizing flow builds a rich density by pushing a simple one through a chain of invertible,
# differentiable maps and keeping track of how each map stretches volume. In this notebook you will
# check the change-of-variables formula against autograd, watch a trained flow warp a Gaussian
# layer by layer (and move the parameters of a single planar layer yourself), reproduce Figure 3 of
# Rezende & Mohamed (2015), planar flows with K = 2, 8, 32 and NICE against the energies U1 to U4,
# and fit a coupling flow to the two-moons data by maximum likelihood.

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import data, flows
from lecturekit.checkpoint import cached
from lecturekit.widgets.flows import density_warp

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## Change of variables
#
# Let $\Phi:\mathbb{R}^d\to\mathbb{R}^d$ be a diffeomorphism (smooth, invertible, with a smooth
# inverse) and $z \sim q(z)$. Then $z' = \Phi(z)$ has density
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
# Let us check the formula against the determinant of the autograd Jacobian, in float64:

# %%
# NBVAL_CHECK_OUTPUT
layer = flows.PlanarFlow(2, 1).double()
with torch.no_grad():
    layer.w.copy_(torch.tensor([[3.0, 1.0]])); layer.u.copy_(torch.tensor([[-2.0, 0.5]]))
z = torch.randn(5, 2, dtype=torch.float64)
_, log_det = layer(z)
jac = torch.stack([torch.autograd.functional.jacobian(lambda v: layer(v[None])[0][0], zi) for zi in z])
print("w·û =", round(float(layer.u_hat()[1].detach()), 3), "(≥ −1, although w·u = −5.5)")
print("log_det = log|det ∇Φ| (autograd) to 1e-6:", bool((log_det - torch.linalg.slogdet(jac)[1]).abs().max() < 1e-6))
print("inverse round-trips to 1e-6:", bool((layer.inverse(layer(z)[0])[0] - z).abs().max() < 1e-6))

# %% [markdown]
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
# where $\log Z$ does not depend on the flow. Following the paper, training anneals
# $\beta_t = \min(1, 0.01 + t/T_\beta)$ in front of $U$, so that early on $q$ spreads out over
# every mode. To *report* the KL we compute $\log Z$ once per target by quadrature on a
# 1000 x 1000 grid over $[-10,10]^2$ (`flows.log_partition`) and average over 20,000 samples.

# %%
targets = list(data.ENERGIES)
print({t: round(flows.log_partition(t), 3) for t in targets})

# %% [markdown]
# ## Rezende & Mohamed (2015), Figure 3
#
# We fit planar flows of length K = 2, 8 and 32 and a NICE flow (four additive couplings and a
# final scaling) to each of U1 to U4 (U2 to U4 carry the soft envelope of `lecturekit.data`, so
# that $Z$ is finite). The four planar flows of one length train side by side as one bank
# (`num_flows=4`), 1,500 Adam steps of 256 samples each; the paper used 500,000. Every fit is
# cached, so a re-run loads it.

# %%
# NBVAL_IGNORE_OUTPUT
STEPS = 1500
planar = {k: cached(f"flows-fig3-planar-K{k}", {"num_layers": k, "num_flows": 4}, flows.planar_flow,
                    lambda m: flows.fit_reverse_kl(m, targets, num_steps=STEPS,
                                                   generator=torch.Generator().manual_seed(0)))[0]
          for k in (2, 8, 32)}
nice = {t: cached(f"flows-fig3-nice-{t}", {"num_coupling": 4, "hidden_dim": 32}, flows.nice_flow,
                  lambda m: flows.fit_reverse_kl(m, t, num_steps=STEPS, generator=torch.Generator().manual_seed(0)))[0]
        for t in targets}

# %%
g = lambda: torch.Generator().manual_seed(1)  # noqa: E731
kls = {f"planar K={k}": flows.kl(f, targets, generator=g()) for k, f in planar.items()}
kls["NICE"] = [flows.kl(nice[t], t, generator=g()) for t in targets]
print("KL(q‖p) in nats  " + "  ".join(f"{t:>6}" for t in targets))
for name, row in kls.items():
    print(f"{name:<17}" + "  ".join(f"{v:6.2f}" for v in row))

# %%
# NBVAL_CHECK_OUTPUT
print("K = 32 beats K = 2 on U1..U4:", [kls["planar K=32"][i] < kls["planar K=2"][i] for i in range(4)])
best = [min(kls[f"planar K={k}"][i] for k in (8, 32)) for i in range(4)]
print("best planar flow (K = 8 or 32) within 0.5 nats of p on every target:", all(v < 0.5 for v in best))

# %%
fig, axes = plt.subplots(4, 5, figsize=(10, 8))
panels = [("target p", None)] + [(f"planar K={k}", k) for k in (2, 8, 32)] + [("NICE", "nice")]
bank = {k: flows.density_grid(f, num=150) for k, f in planar.items()}  # (4, 150, 150) per K
for i, t in enumerate(targets):
    for j, (title, key) in enumerate(panels):
        q = (flows.target_density_grid(t, num=150) if key is None else
             flows.density_grid(nice[t], num=150) if key == "nice" else bank[key][i])
        axes[i, j].imshow(q, origin="lower", extent=(-4, 4, -4, 4), cmap="Blues")
        axes[i, j].set(xticks=[], yticks=[])
        axes[i, j].set_title(title if key is None else f"{title}: KL {kls[title][i]:.2f}", fontsize=8)
    axes[i, 0].set_ylabel(t)
fig.tight_layout()
plt.show()

# %% [markdown]
# Reading the figure: K = 2 planar layers bend the Gaussian once or twice and miss most of each
# target; longer flows follow the ring of U1 and the sine-shaped ridges of U2 to U4, and the KL in
# each title falls. With only 1,500 steps a long flow can still stall (look at U2, K = 32); the
# benchmark's 5,000 steps bring K = 32 to a few hundredths of a nat on U1, U2 and U4 and to about
# 0.13 on U3. Reverse KL is mode-seeking: where q cannot split in two (U1 with NICE, U3 with few
# layers) it covers one mode or branch and leaves the other.
#
# ## Widget: the density warp
#
# The left panel shows the planar flow with K = 32 trained on U3 one layer at a time: the density
# $q_k$ after the first $k$ layers, and the lines of a square grid around the mean of $q_0$
# pushed through the same $k$ layers.
#
# * Move **layer k** from 0 to 32: each planar layer folds the plane along one line
#   ($w_k^\top z + b_k = 0$) and shifts it along $\hat u_k$; watch the Gaussian split into the two
#   branches of U3.
# * The right panel is one planar layer applied to $\mathcal{N}(0, I)$. Move **w₁, w₂, u₁, u₂, b**:
#   the dashed line is $w^\top z + b = 0$, the green segment is $\hat u$. Make $w^\top u$ very
#   negative: the readout shows $w^\top\hat u$ stopping at $-1$, the grid lines pinching but never
#   crossing, and $\log|\det|$ going very negative (mass piled up) without becoming $-\infty$.

# %%
# NBVAL_IGNORE_OUTPUT
app = density_warp(flows.select(planar[32], targets.index("U3")))
app

# %% [markdown]
# ## Maximum likelihood: a coupling flow on two moons
#
# With data instead of an energy, we maximize $\frac1N\sum_n \log q_K(x_n)$, which needs the
# inverse: $\log q_K(x) = \log q_0(\Phi^{-1}(x)) - \sum_k \log|\det\nabla\Phi_k|$. Coupling
# layers make the inverse exact and cheap. NICE's **additive coupling** keeps one half $z_a$ of the
# coordinates and shifts the other, $y_b = z_b + m(z_a)$, with any network $m$; its Jacobian is
# triangular with unit diagonal, so $\log|\det| = 0$, and a final diagonal scaling
# $y = e^{s}\odot z$ contributes $\sum_i s_i$. The **affine coupling** of Real NVP also scales,
# $y_b = z_b\odot e^{s(z_a)} + t(z_a)$, with $\log|\det| = \sum s(z_a)$. We fit six affine
# couplings to 2,000 points and score 2,000 fresh ones.

# %%
x_train = data.two_moons(2000, generator=torch.Generator().manual_seed(0))
x_test = data.two_moons(2000, generator=torch.Generator().manual_seed(1))
moons, extras = cached("flows-realnvp-moons", {"num_coupling": 6, "hidden_dim": 64}, flows.realnvp_flow,
                       lambda m: {**flows.fit_max_likelihood(m, x_train, num_steps=2000,
                                                             generator=torch.Generator().manual_seed(0)),
                                  "test_loglik": flows.log_likelihood(m, x_test)})
gauss = torch.distributions.MultivariateNormal(x_train.mean(0), torch.cov(x_train.T))

# %%
# NBVAL_CHECK_OUTPUT
test_ll = flows.log_likelihood(moons, x_test)
print(f"test log-likelihood per point: Real NVP {test_ll:.1f} nats, full-covariance Gaussian "
      f"{float(gauss.log_prob(x_test).mean()):.1f} nats")
print("Real NVP beats the Gaussian by more than 1 nat per point:", test_ll > float(gauss.log_prob(x_test).mean()) + 1)

# %%
samples = moons.sample(2000, generator=torch.Generator().manual_seed(2))
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharex=True, sharey=True)
axes[0].scatter(*x_test.T, s=2)
axes[1].scatter(*samples.T, s=2, color="C1")
axes[2].imshow(flows.density_grid(moons, bound=2.5, num=150), origin="lower", extent=(-2.5, 2.5, -2.5, 2.5),
               cmap="Blues")
for ax, title in zip(axes, ["test data", "samples from the flow", "flow density $q_K$"]):
    ax.set_title(title, fontsize=9)
axes[0].set(xlim=(-1.7, 2.7), ylim=(-1.5, 1.8))
plt.show()

# %% [markdown]
# The samples follow both moons and the density is thin along each arc; the remaining mass in
# the gap between the arcs is the price of a continuous, invertible map from a single Gaussian.
#
# ## Summary
#
# * A diffeomorphism $\Phi$ changes densities by $|\det\nabla\Phi|^{-1}$; a cascade adds up the
#   log-determinants: $\log q_K(z_K) = \log q_0(z_0) - \sum_k\log|\det\nabla\Phi_k|$.
# * Planar flows have an $O(d)$ log-determinant and are invertible when $w^\top\hat u\ge-1$, which
#   the reparametrization of $u$ enforces. More layers fit U1 to U4 better (Figure 3).
# * Reverse KL needs only samples and $\log q$; maximum likelihood needs the inverse, which
#   coupling layers (NICE, Real NVP) give exactly.
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

# %% [markdown]
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

# %% [markdown]
# ### Going further
#
# > **Going further.** Fit a radial flow (`flows.Flow(flows.RadialFlow(2, 32))`) to U1 with
# > `flows.fit_reverse_kl` and compare its KL with the planar flow of the same length. Which
# > family suits a ring, and why?
#
# > **Going further.** Turn the annealing off (`anneal_fraction=1e-6`) and refit the planar K = 8
# > bank. On which targets does the final KL get worse, and what does $q$ look like there?
#
# > **Going further.** Replace the affine couplings of the two-moons model by NICE
# > (`flows.nice_flow()`) and compare the test log-likelihoods. What can an affine coupling do that
# > an additive one plus a single global scaling cannot?
#
# ## References
#
# * Rezende & Mohamed (2015). Variational inference with normalizing flows. ICML.
# * Dinh, Krueger & Bengio (2015). NICE: non-linear independent components estimation. ICLR workshop.
# * Dinh, Sohl-Dickstein & Bengio (2017). Density estimation using Real NVP. ICLR.
# * Papamakarios et al. (2021). Normalizing flows for probabilistic modeling and inference. JMLR.
