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
# # 08 · Diffusion and non-equilibrium thermodynamics
#
# Sohl-Dickstein et al. (2015) build a generative model by *destroying* structure: a Markov chain
# adds a little Gaussian noise at each of $T$ steps until the data distribution has become a
# Gaussian, and a second chain, learned, runs the process backwards. In this notebook you will
# check the closed form of the forward chain, see why each reverse step can be Gaussian, train the
# reverse chain on the swiss roll by maximizing a lower bound on the log-likelihood, reproduce the
# paper's Figure 1, drive both processes with a time slider, and fill in the missing half of
# MNIST digits by conditional sampling.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import lecturekit as lk
from lecturekit import diffusion as D
from lecturekit import viz
from lecturekit.checkpoint import cached
from lecturekit.widgets.diffusion import draw_figure1, time_slider, trajectories

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## The forward trajectory: many small Gaussian steps
#
# Start from a data point $x^{(0)} \sim q(x^{(0)})$ and apply the Markov kernel
#
# $$
# q(x^{(t)} \mid x^{(t-1)}) = \mathcal{N}\big(x^{(t)};\ \sqrt{1-\beta_t}\, x^{(t-1)},\ \beta_t I\big),
# \qquad t = 1, \dots, T,
# $$
#
# with a small $\beta_t \in (0, 1)$ (the *schedule*, `beta_schedule`). Each step shrinks the point
# towards the origin and adds a little noise: an infinitesimal flow towards the tractable
# stationary distribution $\pi = \mathcal{N}(0, I)$. Since a composition of linear-Gaussian steps is
# linear-Gaussian, the $t$-step marginal has a closed form (`q_sample`):
#
# $$
# q(x^{(t)} \mid x^{(0)}) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\, x^{(0)},\ (1-\bar\alpha_t) I\big),
# \qquad \bar\alpha_t = \prod_{s \le t} (1-\beta_s),
# $$
#
# so for $\bar\alpha_T \approx 0$ the end of the chain forgets the data. We check the closed form
# against 20,000 runs of the chain from one point, at three times:

# %%
# NBVAL_CHECK_OUTPUT
model0 = D.make_model(**D.SWISS_ROLL)
x0 = torch.tensor([1.0, -0.5]).expand(20_000, 2)
chain = model0.q_trajectory(x0, generator=torch.Generator().manual_seed(0))
for t in (1, 20, 40):
    mean, var = model0.q_mean_variance(x0[:1], t)
    z = (chain[t].mean(0) - mean[0]) / (var[0] / 20_000).sqrt()
    print(f"t = {t:2d}: closed-form mean {mean[0, 0]:+.3f}, chain mean within 3 standard errors: {bool(z.abs().max() < 3)}")
print(f"alpha_bar_T = {float(model0.alpha_bar[-1]):.4f}")

# %% [markdown]
# ## The generative model runs the chain backwards
#
# The model starts at the stationary distribution and applies learned reverse kernels:
#
# $$
# p(x^{(T)}) = \mathcal{N}(0, I), \qquad
# p(x^{(t-1)} \mid x^{(t)}) = \mathcal{N}\big(\mu(x^{(t)}, t),\ \Sigma(x^{(t)}, t)\big),
# \qquad p(x^{(0)}) = \int p(x^{(0:T)})\, dx^{(1:T)} .
# $$
#
# **Why Gaussian?** For continuous diffusion (Feller 1949) the time reversal of a diffusion is a
# diffusion of the same functional form: as $\beta_t \to 0$, the true reverse kernel
# $q(x^{(t-1)} \mid x^{(t)}) \propto q(x^{(t)} \mid x^{(t-1)})\, q(x^{(t-1)})$ sees $q(x^{(t-1)})$ only
# over a neighbourhood of width $\sqrt{\beta_t}$, where its log is linear, so the product is
# Gaussian with covariance close to $\beta_t I$. Only the mean $\mu$ and the covariance $\Sigma$ have
# to be learned, and they are functions of $(x^{(t)}, t)$. Following the paper's code, a network
# outputs $(c_\mu, c_\beta)$ and
#
# $$
# \mu = \sqrt{1-\beta_t}\, x^{(t)} + \sqrt{\beta_t}\, c_\mu, \qquad
# \Sigma = \sigma\big(c_\beta/\sqrt{T} + \operatorname{logit}\beta_t\big)\, I .
# $$
#
# When the data are themselves Gaussian, $\mathcal{N}(m, s^2)$, the reverse kernel is exactly
# Gaussian for any step size, $\mathcal{N}(a_t x^{(t)} + b_t, v_t)$ (`gaussian_reverse_kernels`), and
# we can see its variance approach the forward $\beta_t$ as the steps get smaller:

# %%
# NBVAL_CHECK_OUTPUT
for T in (5, 40, 400):
    shell = D.GaussianDiffusion(torch.nn.Identity(), betas=D.beta_schedule(T, beta_start=2.0 / T, beta_end=2.0 / T))
    a, b, v = D.gaussian_reverse_kernels(shell, mean=0.5, std=0.2)
    ratio = v[1:] / shell.beta[1:]
    print(f"T = {T:3d}, beta = {2.0 / T:.3f}: v_t / beta_t in [{ratio.min():.2f}, {ratio.max():.2f}]")

# %% [markdown]
# ## The bound on the log-likelihood
#
# The model's likelihood is an integral over whole trajectories. Importance-weighting by the
# forward trajectory and using Jensen's inequality gives the bound $K \le \log p(x^{(0)})$
# (paper Eq. 14, with $q(x^{(t-1)} \mid x^{(t)}, x^{(0)})$ from `q_posterior`):
#
# $$
# \log p(x^{(0)}) \ \ge\ K = \mathbb{E}_q\Big[\log p(x^{(0)} \mid x^{(1)})
# - \sum_{t=2}^{T} \mathrm{KL}\big(q(x^{(t-1)} \mid x^{(t)}, x^{(0)})\,\|\,p(x^{(t-1)} \mid x^{(t)})\big)\Big]
# - \mathrm{KL}\big(q(x^{(T)} \mid x^{(0)})\,\|\,p(x^{(T)})\big) .
# $$
#
# Every KL is between two Gaussians, so it is closed form: training only needs a random $t$, a
# draw $x^{(t)} = \sqrt{\bar\alpha_t}x^{(0)} + \sqrt{1-\bar\alpha_t}\,\epsilon$ and one term
# (`p_losses`, scaled by $T$). The bound is tight exactly when $p(x^{(t-1)} \mid x^{(t)})$ equals the
# true reverse kernel. DDPM's simplified objective $\|\epsilon - \hat\epsilon(x^{(t)}, t)\|^2$ is
# the same bound with a fixed $\Sigma$ and re-weighted terms (`parameterization="eps"`, used for
# MNIST below).
#
# ## Training on the swiss roll
#
# $T = 40$ steps of a sigmoid schedule, a three-layer MLP with an embedding of $t$ in every layer,
# 5,000 Adam steps on 10,000 points (cached: a re-run loads the weights).

# %%
# NBVAL_IGNORE_OUTPUT
x_train = lk.data.swiss_roll(10_000, generator=torch.Generator().manual_seed(0))
x_test = lk.data.swiss_roll(2_000, generator=torch.Generator().manual_seed(1))
model, extras = cached("diffusion-swiss-roll", D.SWISS_ROLL, D.make_model,
                       lambda m: D.fit_model(m, x_train, **D.SWISS_ROLL), device=device)
fig, ax = plt.subplots(figsize=(5, 2.6))
ax.plot(range(0, 10 * len(extras["loss"]), 10), extras["loss"], lw=0.6)
ax.set(xlabel="step", ylabel="T · bound term (nats)", ylim=(-3, 6), title="training loss (a one-step estimate of −K)")
plt.show()

# %% [markdown]
# The paper's Table 1 reports the bound on held-out data as a gain over an isotropic Gaussian fitted
# to the data, in bits (2.35 bits for their swiss roll). Ours, on 2,000 held-out points:

# %%
with torch.no_grad():
    K = model.lower_bound(x_test.to(device), generator=torch.Generator(device=device).manual_seed(0)).mean().cpu()
null = D.isotropic_gaussian_log_likelihood(x_train, x_test).mean()
gain = float(D.bits(K - null))
print(f"bound K = {float(D.bits(K)):.2f} bits, isotropic Gaussian {float(D.bits(null)):.2f} bits, gain {gain:.2f} bits")

# %%
# NBVAL_CHECK_OUTPUT
print(f"gain K - L_null within [2.5, 5] bits: {2.5 <= gain <= 5}")

# %% [markdown]
# ## The paper's Figure 1
#
# Top row: the forward trajectory $q(x^{(t)})$ from held-out points at $t = 0, T/2, T$. Middle row:
# the learned reverse trajectory $p(x^{(t)})$, started from $\mathcal{N}(0, I)$ at $t = T$. Bottom row:
# the drift $\mu(x^{(t)}, t) - x^{(t)}$ of the reverse kernel on a grid, over the model's samples.

# %%
traj = trajectories(model, x_test, grid_size=15)
fig = plt.figure(figsize=(7.5, 7.5))
draw_figure1(fig, traj)
plt.show()

# %% [markdown]
# Reading it: the middle row is the top row run backwards; at $t = T$ the drift pulls every point
# toward the middle of the roll, at $t = T/2$ towards a blurred spiral, and at $t = 0$ the arrows are
# short and point onto the thin curve.
#
# How close are the samples to the data? The energy distance
# $D^2 = 2\,\mathbb{E}|X-Y| - \mathbb{E}|X-X'| - \mathbb{E}|Y-Y'|$ is zero only when two
# distributions agree; we compare 2,000 samples with the 2,000 held-out points, next to a Gaussian
# fitted to the training data:

# %%
samples = traj["reverse"][0]
gauss = x_train.mean(0) + torch.randn(2_000, 2, generator=torch.Generator().manual_seed(3)) @ torch.linalg.cholesky(torch.cov(x_train.T)).T
ed_model, ed_gauss = D.energy_distance(torch.as_tensor(samples), x_test), D.energy_distance(gauss, x_test)
print(f"energy distance: diffusion {ed_model:.4f}, fitted Gaussian {ed_gauss:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
print(f"diffusion at most a tenth of the Gaussian's: {ed_model <= 0.1 * ed_gauss}")

# %% [markdown]
# ## Widget: the two processes in time
#
# Left, the forward marginal $q(x^{(t)})$ (held-out points pushed through the chain); right, the
# model's marginal $p(x^{(t)})$ (ancestral samples) with arrows for the drift of the reverse kernel
# at the same $t$. Every frame was computed once; the slider only picks one.
#
# * Move **t** from left ($t = T$, noise) to right ($t = 0$, data): the two panels should look
#   alike at every $t$, which is what the bound asks of the reverse chain.
# * Press **▶**: the play control runs the reverse process, and the arrows show where each step is
#   about to move the points; watch them shrink as $t \to 0$.

# %%
# NBVAL_IGNORE_OUTPUT
app = time_slider(model, x_test[:1000], grid_size=15)
app

# %% [markdown]
# ## Inpainting: conditional sampling on MNIST
#
# Clamping is the simplest conditioning (the paper's §2.5 multiplies $p$ by a function of $x^{(0)}$;
# a delta on the known pixels is the extreme case): at every reverse step, the known pixels are
# replaced by a draw of $q(x^{(t-1)} \mid x^{(0)})$ from their true values, and only the unknown
# ones follow $p$. The model is small on purpose: DDPM's noise prediction on the 4,000 training
# digits of `mnist_5k`, downsampled to $14\times14$ and scaled to $[-1, 1]$, with $T = 100$.

# %%
# NBVAL_IGNORE_OUTPUT
x_img, _ = lk.data.mnist_5k("train")
x14 = (F.avg_pool2d(x_img, 2) * 2 - 1).flatten(1)
digits, extras14 = cached("diffusion-mnist14", D.MNIST_14, D.make_model,
                          lambda m: D.fit_model(m, x14, **D.MNIST_14), device=device)
print(f"final training loss {sum(extras14['loss'][-20:]) / 20:.0f} (||ε − ε̂||² summed over 196 pixels)")

# %% [markdown]
# We hide the lower half of six test digits and draw four completions of each:

# %%
x_test_img, _ = lk.data.mnist_5k("test")
known = (F.avg_pool2d(x_test_img[:6], 2) * 2 - 1).flatten(1).repeat_interleave(4, 0).to(device)
mask = torch.zeros(14, 14, dtype=torch.bool)
mask[:7] = True  # the upper half is known
filled = digits.p_sample_loop(known.shape, x_known=known, mask=mask.flatten(),
                              generator=torch.Generator(device=device).manual_seed(0))
shown = torch.cat([known.view(6, 4, 196)[:, :1] * mask.flatten().to(device), filled.view(6, 4, 196)], 1)
fig, ax = plt.subplots(figsize=(4.5, 5.5))
viz.image_grid(ax, ((shown.reshape(-1, 1, 14, 14).cpu() + 1) / 2).clamp(0, 1), nrow=5)
ax.set_title("known upper half | four completions")
plt.show()

# %% [markdown]
# Reading it: the first column shows what the sampler sees (the hidden half is grey); the other
# four are independent completions that stay consistent with the known strokes, and differ where
# the upper half leaves the digit ambiguous.
#
# The known pixels are reproduced exactly, and the completions differ from one another:

# %%
# NBVAL_CHECK_OUTPUT
m = mask.flatten().to(device)
print("known pixels kept exactly:", bool((filled[:, m] == known[:, m]).all()))
spread = filled[:, ~m].view(6, 4, -1).std(1).mean()
print("completions of one digit differ:", bool(spread > 0.05))

# %% [markdown]
# ## Summary
#
# * The forward chain $q(x^{(t)} \mid x^{(t-1)}) = \mathcal{N}(\sqrt{1-\beta_t}x^{(t-1)}, \beta_t I)$
#   has the closed form $q(x^{(t)} \mid x^{(0)}) = \mathcal{N}(\sqrt{\bar\alpha_t}x^{(0)}, (1-\bar\alpha_t)I)$
#   and ends at $\mathcal{N}(0, I)$.
# * With small steps the reverse of each Gaussian step is Gaussian too, so the generative model only
#   learns a mean and a covariance per step.
# * The log-likelihood is bounded by a sum of closed-form KLs between Gaussians, one per step;
#   training samples one step at a time.
# * Conditioning is cheap: clamp what is known at every reverse step (inpainting).
#
# ## Exercises
#
# Write each function between the solution markers, then run the check cell: it compares
# your function with the reference on seeded inputs and prints one verdict line.
#
# > **Exercise 8.1 (the forward marginal).** Given the schedule `betas` ($\beta_1..\beta_T$), data `x0`,
# > a step `t` in 1..T and standard normal `noise`, return the draw
# > $x^{(t)} = \sqrt{\bar\alpha_t}\,x^{(0)} + \sqrt{1-\bar\alpha_t}\,\varepsilon$ with
# > $\bar\alpha_t = \prod_{s \le t}(1-\beta_s)$.

# %%
def q_sample(betas, x0, t, noise):
    ### BEGIN SOLUTION
    alpha_bar = torch.cumprod(1 - betas, 0)[t - 1]
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("8.1", q_sample)

# %% [markdown]
# > **Exercise 8.2 (the forward posterior).** For $t \ge 2$ return `(mean, variance)` of
# > $q(x^{(t-1)} \mid x^{(t)}, x^{(0)}) = \mathcal N(\tilde\mu_t, \tilde\beta_t I)$ with
# > $\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x^{(0)} + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x^{(t)}$
# > and $\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$; the variance has the shape of `xt`.

# %%
def q_posterior(betas, x0, xt, t):
    ### BEGIN SOLUTION
    alpha_bar = torch.cumprod(1 - betas, 0)
    ab_t, ab_prev, beta_t = alpha_bar[t - 1], alpha_bar[t - 2], betas[t - 1]
    mean = (ab_prev.sqrt() * beta_t * x0 + (1 - beta_t).sqrt() * (1 - ab_prev) * xt) / (1 - ab_t)
    return mean, ((1 - ab_prev) / (1 - ab_t) * beta_t).expand_as(xt)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("8.2", q_posterior)

# %% [markdown]
# ### Going further
#
# > **Going further.** Show that $q(x^{(t)} \mid x^{(0)})$ has the closed form above by induction on
# > $t$, and derive $q(x^{(t-1)} \mid x^{(t)}, x^{(0)})$ (`q_posterior`) by completing the square.
#
# > **Going further.** Retrain the swiss-roll model with $T = 5$ and $T = 100$ (change
# > `num_steps` in a copy of `D.SWISS_ROLL`, and `beta_end` so that $\bar\alpha_T$ stays small). How
# > do the bound and the energy distance change? Relate your answer to the Gaussian assumption.
#
# > **Going further.** Replace the clamping sampler by one that conditions only on $x^{(0)}$ (keep
# > the known pixels at their clean value at every step). What goes wrong, and why does
# > clamping to a *noised* copy fix it?
#
# ## References
#
# * Sohl-Dickstein, Weiss, Maheswaranathan & Ganguli (2015). Deep unsupervised learning using
#   nonequilibrium thermodynamics. ICML.
# * Ho, Jain & Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS.
# * Feller (1949). On the theory of stochastic processes, with particular reference to applications.
# * Székely & Rizzo (2013). Energy statistics: a class of statistics based on distances.
