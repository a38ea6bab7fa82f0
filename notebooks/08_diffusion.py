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
# # 08 · Diffusion and non-equilibrium thermodynamics
#
# Sohl-Dickstein et al. (2015) build a generative model by *destroying* structure: a Markov chain
# adds a little Gaussian noise at each of $T$ steps until the data distribution has become a
# Gaussian, and a second chain, learned, runs the process backwards. In this notebook you will
# check the closed form of the forward chain, see why each reverse step can be Gaussian, train the
# reverse chain on the swiss roll by maximizing a lower bound on the log-likelihood, reproduce the
# paper's Figure 1, drive both processes with a time slider, and fill in the missing lower third of
# MNIST digits by conditional sampling, judged by a digit classifier.
#
# **Notation** (as in the slides). $x^{(t)}$ the state at time $t$ ($t = 0$ data, $t = T$ noise);
# $\beta_t$ (always with its subscript) the diffusion rate of the forward kernel $T_\pi(\cdot\mid\cdot;\beta_t)$;
# $\alpha_t = 1-\beta_t$, $\bar\alpha_t = \prod_{s\le t}\alpha_s$; $q$ the forward (noising) process,
# $p$ the learned reverse process with mean $\mu$ and covariance $\Sigma$; $\pi = \mathcal N(0, I)$ its
# stationary distribution; $K$ the lower bound on $\log p(x^{(0)})$; bits $=$ nats$/\ln 2$.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import lecturekit as lk
from lecturekit import diffusion as D
from lecturekit import viz
from lecturekit.checkpoint import cached
from lecturekit.claims import check
from lecturekit.widgets.diffusion import draw_figure1, time_slider, trajectories

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
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
model0 = D.make_model(**D.SWISS_ROLL["model"])
x0 = torch.tensor([1.0, -0.5]).expand(20_000, 2)
chain = model0.q_trajectory(x0, generator=lk.utils.make_generator(0))
z_max = 0.0
for t in (1, 20, 40):
    mean, var = model0.q_mean_variance(x0[:1], t)
    z = (chain[t].mean(0) - mean[0]) / (var[0] / 20_000).sqrt()
    z_max = max(z_max, float(z.abs().max()))
    print(f"t = {t:2d}: closed-form mean {mean[0, 0]:+.3f}, chain mean {float(chain[t].mean(0)[0]):+.3f}")
print(f"alpha_bar at T/2 = {float(model0.alpha_bar[20]):.3f}, at T = {float(model0.alpha_bar[-1]):.4f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("largest |chain mean − closed form| in standard errors", z_max, at_most=3.0, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### The stationary distribution and the PDE view
#
# The slides write the forward kernel as $T_\pi(x^{(t)}\mid x^{(t-1)};\beta_t)$ with a stationary
# distribution $\pi(x) = \int T_\pi(x\mid x')\,\pi(x')\,dx'$. For our kernel $\pi = \mathcal N(0, I)$: if
# $x' \sim \mathcal N(0, I)$ then $\sqrt{1-\beta}\,x' + \sqrt\beta\,\varepsilon \sim \mathcal N(0, (1-\beta) + \beta) =
# \mathcal N(0, I)$, whatever $\beta$. Any start is pulled towards $\pi$, one small step at a time.
#
# As $\beta_t \to 0$ the chain becomes a continuous *infinitesimal flow* of densities,
# $\partial q_t / \partial t = F(q_t)$ (the slides' view). With $\beta$ per unit time, one step is the
# Euler step of the Ornstein–Uhlenbeck diffusion $dx = -\tfrac{\beta}{2}x\,dt + \sqrt\beta\,dW$, and
# its density obeys the Fokker–Planck equation
#
# $$
# \frac{\partial q_t}{\partial t} = \frac{\beta}{2}\Big(\nabla\!\cdot(x\,q_t) + \Delta q_t\Big),
# $$
#
# a heat equation ($+\Delta$, which spreads mass; the slides' "$F = -\Delta$" has the sign flipped)
# plus a drift towards the origin; $\pi$ is its fixed point. The reverse process is again a
# diffusion (Feller, below), which is why it can be learned step by step. We check stationarity
# on 20,000 draws from $\pi$ pushed through every step of our chain:

# %%
x_pi = lk.utils.randn((20_000, 2), generator=lk.utils.make_generator(5))
chain_pi = model0.q_trajectory(x_pi, generator=lk.utils.make_generator(6))
drift_pi = max(float(chain_pi[t].mean(0).abs().max()) for t in range(41))
spread_pi = max(float((chain_pi[t].var(0) - 1).abs().max()) for t in range(41))
print(f"over t = 0..40: largest |mean| {drift_pi:.3f}, largest |variance − 1| {spread_pi:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("π = N(0, I) stationary, largest |variance − 1| along the chain", spread_pi, at_most=0.05, digits=3)

# %% [markdown] slideshow={"slide_type": "slide"}
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
ratios = {}
for T in (5, 40, 400):
    shell = D.GaussianDiffusion(torch.nn.Identity(), betas=D.beta_schedule(T, beta_start=2.0 / T, beta_end=2.0 / T))
    a, b, v = D.gaussian_reverse_kernels(shell, mean=0.5, std=0.2)
    ratios[T] = v[1:] / shell.beta[1:]
    print(f"T = {T:3d}, beta = {2.0 / T:.3f}: v_t / beta_t in [{ratios[T].min():.2f}, {ratios[T].max():.2f}]")

# %%
# NBVAL_CHECK_OUTPUT
dev = {T: float((r - 1).abs().max()) for T, r in ratios.items()}
check("T = 400, largest |v_t / β_t − 1|", dev[400], at_most=0.15, digits=3)
_ = check("how much smaller that deviation is at T = 400 than at T = 40", dev[40] / dev[400], at_least=4.0, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The bound on the log-likelihood
#
# The model's likelihood is an integral over whole trajectories. Importance-weighting by the
# forward trajectory, $p(x^{(0)}) = \mathbb E_{q(x^{(1:T)}\mid x^{(0)})}\big[p(x^{(0:T)})/q(x^{(1:T)}\mid x^{(0)})\big]$, is
# the same move as annealed importance sampling in notebook 06 (and Jarzynski's equality in
# physics, which the slides name): a sequence of small steps between a tractable distribution and the
# target, weighted by the ratio of forward and reverse path probabilities. Jensen's inequality on
# the log of that average gives the bound $K \le \log p(x^{(0)})$. Written with the forward
# posteriors $q(x^{(t-1)} \mid x^{(t)}, x^{(0)})$ (`q_posterior`) it reads (Ho et al. 2020, Eq. 5;
# Sohl-Dickstein et al.'s Eq. 14 is the same bound, written with entropy terms at both ends because
# their first reverse step is fixed):
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
# true reverse kernel. DDPM's simplified objective $\|\epsilon - \hat\epsilon(x^{(t)}, t)\|^2$
# fixes $\Sigma$ and drops the weight each term carries in the bound: its terms are the bound's
# terms re-weighted, so it is not the bound any more, but the same model class trains better on
# images with it (`parameterization="eps"`, used for MNIST below).
#
# ## Training on the swiss roll
#
# $T = 40$ steps of a sigmoid schedule that is steepest at $0.9\,T$ (so that half-way the roll is
# blurred but still visible), a three-layer MLP with an embedding of $t$ in every layer, 5,000 Adam
# steps on 10,000 points of the roll with Gaussian noise of standard deviation 0.03 (cached: a
# re-run loads the weights).

# %%
roll = D.SWISS_ROLL["data"]
x_train = lk.data.swiss_roll(roll["n"], noise=roll["noise"], generator=lk.utils.make_generator(roll["seed"]))
x_test = lk.data.swiss_roll(2_000, noise=roll["noise"], generator=lk.utils.make_generator(1))
model, history = cached("diffusion-swiss-roll", build=D.make_model, model=D.SWISS_ROLL["model"],
                        fit=lambda m, **kw: D.fit_diffusion(m, x_train, **kw), train=D.SWISS_ROLL["train"],
                        data=roll, device=device)
loss = torch.tensor(history.loss)
smooth = torch.nn.functional.avg_pool1d(loss[None, None], 100, stride=10)[0, 0]
fig, ax = plt.subplots(figsize=(5.5, 2.8))
ax.plot(loss, lw=0.3, color="0.75", label="each step")
ax.plot(torch.arange(len(smooth)) * 10 + 50, smooth, color=viz.COLORS[0], label="running mean of 100 steps")
ax.set(xlabel="step", ylabel="T · bound term (nats)", ylim=(-3, 6), title="training loss (a one-step estimate of −K)")
ax.legend(frameon=False, fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: a single step's loss (grey) is noisy, because each step draws one $t$ per
# example; its running mean (blue) falls from about 2 nats to below 1 within the first 2,000 steps
# and then flattens, while the learning rate decays to zero.
#
# The paper's Table 1 reports the bound on held-out data as a gain over an isotropic Gaussian fitted
# to the data, in bits (2.35 bits for their swiss roll). Ours, on 2,000 held-out points:

# %%
with torch.no_grad():
    K = model.lower_bound(x_test.to(device), generator=lk.utils.make_generator(0)).mean().cpu()
null = D.isotropic_gaussian_log_likelihood(x_train, x_test).mean()
gain = float(D.bits(K - null))
print(f"bound K = {float(D.bits(K)):.2f} bits, isotropic Gaussian {float(D.bits(null)):.2f} bits, gain {gain:.2f} bits")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("gain of the bound over an isotropic Gaussian", gain, at_least=D.GAIN_BITS_BAND[0], at_most=D.GAIN_BITS_BAND[1],
      unit="bits", paper=2.35)

# %% [markdown] slideshow={"slide_type": "slide"}
# The gain is a property of the data as much as of the model. A noise-free roll is a curve, whose
# density is unbounded: there a model that concentrates ever more tightly gains without limit (our
# earlier noise-free version reported 3.8 bits). With noise of standard deviation $\sigma$ the
# best possible gain is finite and falls as $\sigma$ grows: in `benchmarks/diffusion.py` the same
# model gains 3.5 bits at $\sigma = 0$, 2.8 at $\sigma = 0.02$ and 2.0 at $\sigma = 0.04$, and at our
# $\sigma = 0.03$ between 2.3 and 2.6 bits over five training seeds (median 2.5). The paper's 2.35
# bits sits inside that range; its roll's noise level is not stated in the text, so the comparison
# is one of order of magnitude, and the band checked above admits the paper's value.

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading it: in the top row the forward chain turns the roll into a blurred spiral at $t = T/2$
# (there $\bar\alpha = 0.975$, noise of standard deviation 0.16 against a roll of radius 1.4) and
# into an isotropic cloud at $t = T$. The middle row, the learned reverse chain started from
# $\mathcal N(0, I)$, passes through the same blurred spiral half-way and ends on the roll, a little
# thicker than the data. In the bottom row the drift arrows point towards the centre at $t = T$, are
# short at $t = T/2$, and at $t = 0$ point from every side onto the curve.
#
# How close are the samples to the data? The energy distance
# $D^2 = 2\,\mathbb{E}|X-Y| - \mathbb{E}|X-X'| - \mathbb{E}|Y-Y'|$ is zero only when two
# distributions agree; we compare 2,000 samples with the 2,000 held-out points, next to a Gaussian
# fitted to the training data:

# %%
samples = traj["reverse"][0]
gauss = x_train.mean(0) + lk.utils.randn((2_000, 2), generator=lk.utils.make_generator(3)) @ torch.linalg.cholesky(torch.cov(x_train.T)).T
ed_model, ed_gauss = D.energy_distance(torch.as_tensor(samples), x_test), D.energy_distance(gauss, x_test)
print(f"energy distance: diffusion {ed_model:.4f}, fitted Gaussian {ed_gauss:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("energy distance of the samples, as a share of the fitted Gaussian's", ed_model / ed_gauss,
      at_most=D.ENERGY_RATIO_MAX, digits=3)

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Inpainting: conditional sampling on MNIST
#
# Clamping is the simplest conditioning (the paper's §2.5 multiplies $p$ by a function of $x^{(0)}$;
# a delta on the known pixels is the extreme case): at every reverse step, the known pixels are
# replaced by a draw of $q(x^{(t-1)} \mid x^{(0)})$ from their true values, and only the unknown
# ones follow $p$; the last step returns the mean of $p(x^{(0)}\mid x^{(1)})$ (DDPM's sampler), whose
# noise would only add grain. The model is small on purpose: DDPM's noise prediction on the 4,000
# training digits of `mnist_5k`, downsampled to $14\times14$ and scaled to $[-1, 1]$, with $T = 100$.

# %%
x_img, _ = lk.data.mnist_5k("train")
x14 = (F.avg_pool2d(x_img, 2) * 2 - 1).flatten(1)
digits, history14 = cached("diffusion-mnist14", build=D.make_model, model=D.MNIST_14["model"],
                           fit=lambda m, **kw: D.fit_diffusion(m, x14, **kw), train=D.MNIST_14["train"],
                           data=D.MNIST_14["data"], device=device)
print(f"final training loss {sum(history14.loss[-100:]) / 100:.0f} (||ε − ε̂||² summed over 196 pixels)")

# %% [markdown] slideshow={"slide_type": "slide"}
# We hide the lower third (the bottom 5 of 14 rows) of eight test digits and draw four completions
# of each:

# %%
x_test_img, y_test = lk.data.mnist_5k("test")
mask = D.inpaint_mask(D.INPAINT_HIDDEN_ROWS).to(device)
known = (F.avg_pool2d(x_test_img[:8], 2) * 2 - 1).flatten(1).repeat_interleave(4, 0).to(device)
filled = digits.p_sample_loop(known.shape, x_known=known, mask=mask, generator=lk.utils.make_generator(0))
shown = torch.cat([known.view(8, 4, 196)[:, :1] * mask, filled.view(8, 4, 196)], 1)
fig, ax = plt.subplots(figsize=(4.5, 7))
viz.image_grid(ax, ((shown.reshape(-1, 1, 14, 14).cpu() + 1) / 2).clamp(0, 1), nrow=5)
ax.set_title("known part | four completions")
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading it: the first column is what the sampler sees (the hidden third in grey). The four
# completions close each digit in a plausible way: the 0s close their loops, the 1s and the 7
# continue their strokes and the 3 gets its lower bowl, with small differences between the four
# draws; the 4 of the third row gets a stem that is blotchy in two of its four completions. The filled-in rows still carry a light grey haze of residual noise around the
# strokes: the denoiser is a small MLP trained for 4,000 steps on 4,000 digits.
#
# Is a completion the right digit? The digit judge of `lecturekit.judge` (a small CNN, 99% on the
# test digits) labels each completion, upsampled to $28\times28$; on the test digits themselves,
# downsampled to $14\times14$ and back, it is right 97.5% of the time. One completion each for the
# first 100 test digits:

# %%
filled100, judged, accuracy = D.judged_inpainting(digits, x_test_img[:100], y_test[:100],
                                                  generator=lk.utils.make_generator(1))
_, _, accuracy_half = D.judged_inpainting(digits, x_test_img[:100], y_test[:100], hidden_rows=7,
                                          generator=lk.utils.make_generator(1))
print(f"lower third hidden: the judge reads the original digit in {accuracy:.0%} of 100 completions")
print(f"lower half hidden:  {accuracy_half:.0%}")

# %% [markdown] slideshow={"slide_type": "slide"}
# With the lower half hidden the rate drops to about two thirds. That is close to what any sampler
# can do: the upper half alone leaves many digits ambiguous (a 7 or a 9, a 4 or a 9). A classifier
# trained on upper halves alone gives the true class a probability of only about 0.8 on average,
# against 0.9 with nothing hidden, so we check the claim on the lower third, where the known part
# determines the digit.

# %%
# NBVAL_CHECK_OUTPUT
check("completions (lower third hidden) judged as the original digit", 100 * accuracy,
      at_least=100 * D.INPAINT_ACCURACY_MIN, unit="%", digits=0)
check("known pixels changed by the sampler (largest |change|)", float((filled[:, mask] - known[:, mask]).abs().max()),
      at_most=0.0, digits=1)
_ = check("spread of the four completions of a digit (std over hidden pixels)",
      float(filled[:, ~mask].view(8, 4, -1).std(1).mean()), at_least=0.05, digits=2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * The forward chain $q(x^{(t)} \mid x^{(t-1)}) = \mathcal{N}(\sqrt{1-\beta_t}x^{(t-1)}, \beta_t I)$
#   has the closed form $q(x^{(t)} \mid x^{(0)}) = \mathcal{N}(\sqrt{\bar\alpha_t}x^{(0)}, (1-\bar\alpha_t)I)$
#   and ends at $\mathcal{N}(0, I)$.
# * With small steps the reverse of each Gaussian step is Gaussian too, so the generative model only
#   learns a mean and a covariance per step.
# * The log-likelihood is bounded by a sum of closed-form KLs between Gaussians, one per step;
#   training samples one step at a time.
# * Conditioning is cheap: clamp what is known at every reverse step (inpainting); the judge checks
#   that the completions are the digits they started as.
# * The forward chain is a discretized diffusion with stationary distribution $\pi = \mathcal N(0, I)$;
#   the bound is an importance weight along a trajectory, as in annealed importance sampling.
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

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
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
