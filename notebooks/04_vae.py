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
# # 04 · Variational autoencoders
#
# EM needs the posterior $p(z\mid x,\theta)$; for a decoder that is a neural network it is out of
# reach. A variational autoencoder learns an *encoder* $q_\phi(z\mid x)$ alongside the decoder
# $p_\theta(x\mid z)$ and trains both on the evidence lower bound. In this notebook you will
# train VAEs on 4,000 MNIST digits, explore the learned 2-D manifold with a widget, compare latent
# sizes, tighten the bound with importance weighting (IWAE) and with Hamiltonian steps (HVI),
# and see where a Gaussian likelihood for images goes wrong.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import lecturekit as lk
from lecturekit import hvi, vae, viz
from lecturekit.checkpoint import cached
from lecturekit.data import mnist_5k
from lecturekit.widgets.vae import latent_explorer

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## The bound, once more
#
# For every image $x$ and any distribution $q(z)$, exactly as for EM,
#
# $$
# \log p(x\mid\theta) = \underbrace{\mathbb{E}_{q}\big[\log p(x\mid z,\theta)\big]
#   - \beta\,\mathrm{KL}\big(q(z)\,\|\,p(z)\big)}_{\mathcal{L}(\theta,\beta,x)\ \text{at}\ \beta=1}
#   + \mathrm{KL}\big(q(z)\,\|\,p(z\mid x,\theta)\big),
# $$
#
# so with $\beta = 1$, $\log p(X\mid\theta) = \sum_n \mathcal{L}(\theta, 1, x_n) + \mathrm{KL}$,
# and $\mathcal{L}$ is a lower bound. The first term of $\mathcal{L}$ is the *reconstruction*:
# how well a code drawn from $q$ explains the image; the second is the *regularizer*: how far $q$
# strays from the prior $p(z) = \mathcal{N}(0, I)$ (with $\beta > 1$ it is weighted more).
#
# **Neural networks for the variational and generative parameters.** Instead of one $q_n$ per
# image, an encoder network outputs $q_\phi(z\mid x) = \mathcal{N}(\mu(x), \mathrm{diag}\,\sigma^2(x))$,
# and a decoder network outputs the parameters of $p_\theta(x\mid z)$: Bernoulli pixel
# probabilities for binary images. `vae.VAE` holds both (one hidden layer of ReLUs each); its
# encoder's $\log\sigma^2$ is soft-clamped to $(-10, 10)$ so the variance stays positive and
# bounded.
#
# The regularizer between two Gaussians is analytic:
# $\mathrm{KL}(\mathcal{N}(\mu,\mathrm{diag}\,\sigma^2)\,\|\,\mathcal{N}(0,I)) = \tfrac12\sum_j(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)$.
# `vae.kl_to_prior` computes it; a Monte Carlo average of $\log q(z) - \log p(z)$ agrees:

# %%
# NBVAL_CHECK_OUTPUT
g = torch.Generator().manual_seed(0)
mu, logvar = torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(3, 2, generator=g, dtype=torch.float64)
q = torch.distributions.Independent(torch.distributions.Normal(mu, (0.5 * logvar).exp()), 1)
z = q.sample((200_000,))
mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)).mean(0)
print("analytic KL:", np.round(vae.kl_to_prior(mu, logvar).numpy(), 2), " Monte Carlo:", np.round(mc.numpy(), 2))

# %% [markdown]
# ## The reparametrization and the Monte Carlo estimator
#
# The reconstruction term is an expectation under $q_\phi$, which depends on the parameters we
# differentiate. Writing the draw as a deterministic function of parameter-free noise,
#
# $$
# Z = \mu(x) + \Sigma(x)^{1/2}\,\varepsilon, \qquad \varepsilon \sim \mathcal{N}(0, I),
# $$
#
# moves the parameters inside the expectation, and the $S$-sample estimator
#
# $$
# \hat{\mathcal{L}}(\theta,\phi,x) = \frac1S\sum_{s=1}^S \log p_\theta\big(x \mid \mu(x) + \Sigma(x)^{1/2}\varepsilon_s\big)
#   - \mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)
# $$
#
# is unbiased with gradients that flow into both networks (`vae.elbo`). We train on the 4,000
# training digits of `mnist_5k()`, binarized once by drawing each pixel from a Bernoulli with its
# grey level, with Adam through the shared training loop; every trained model below is cached,
# so a second run of this notebook takes seconds.

# %%
x_train, y_train = mnist_5k("train", binarize="sample")
x_test, y_test = mnist_5k("test", binarize="sample")
x_train, x_test = x_train.to(device), x_test.to(device)


def trained_vae(latent_dim, *, epochs=20, objective="elbo", hidden_dim=256, k=5):
    """A VAE of this notebook, from the cache or trained (test ELBO saved beside it)."""
    def train(model):
        stats = vae.train_vae(model, x_train, epochs=epochs, objective=objective, k=k,
                              generator=torch.Generator().manual_seed(0))
        stats["test_elbo"] = vae.mean_bound(model, x_test, num_samples=10, generator=torch.Generator().manual_seed(1))
        return stats

    config = {"latent_dim": latent_dim, "hidden_dim": hidden_dim}
    name = f"nb04-{objective}-z{latent_dim}-e{epochs}"
    lk.seed(latent_dim)  # the same model whichever others are already cached
    return cached(name, config, vae.VAE, train, device=device)


model2, stats2 = trained_vae(2, epochs=30)
fig, ax = plt.subplots(figsize=(5, 2.6))
ax.plot(np.arange(1, 31), stats2["epoch_loss"], "-o", ms=3, color=viz.COLORS[0])
ax.set_xlabel("epoch")
ax.set_ylabel(r"$-\hat{\mathcal{L}}$ per image (nats)")
ax.set_title("784-256-2 VAE: training loss")
plt.show()

# %% [markdown]
# The loss falls fast in the first epochs and then slowly; with a 2-D code the bound stays far
# from what a larger code achieves (see the table below).
#
# ## The learned manifold
#
# With two latent dimensions we can look at the whole generative model at once. As in Kingma &
# Welling (2014, Fig. 4), take a grid of equally probable points under the prior, through the
# inverse Gaussian CDF $z = \Phi^{-1}(u)$ for $u$ on an even grid in $[0.05, 0.95]^2$, and decode
# each point to its mean image $\mathbb{E}[x\mid z]$.

# %%
grid = vae.latent_grid(20).to(device)
with torch.no_grad():
    manifold = model2.decode(grid)
fig, ax = plt.subplots(figsize=(6, 6))
viz.image_grid(ax, manifold, nrow=20, title=r"decoded $\Phi^{-1}$ grid: $z_1$ left→right, $z_2$ bottom→top")
plt.show()

# %% [markdown]
# Neighbouring codes decode to similar digits, and moving across the square morphs one class into
# another: the decoder has organized the digits on a smooth 2-D sheet.
#
# ## Widget: the latent explorer
#
# The scatter shows where the encoder puts the 1,000 test digits ($\mu(x)$, coloured by class);
# the cross marks the point $z = (z_1, z_2)$ of the sliders, and the image on the right is its
# decoding, upscaled without blurring.
#
# * Move **z₁** and **z₂**: the decoded digit changes smoothly inside a class cluster and morphs
#   where two clusters meet. Far outside the clusters, where the prior has little mass, the
#   decodings become implausible.
# * Type a **test digit** index: the sliders jump to that digit's encoding, and the decoded image
#   is its reconstruction, shown beside the original.

# %%
# NBVAL_IGNORE_OUTPUT
app = latent_explorer(model2, x_test, y_test)
app

# %% [markdown]
# ## How big should the code be?
#
# We train the same architecture with $\dim z = 2, 5, 10, 20$ and, as in Kingma & Welling
# (2014, Fig. 5), decode 36 draws $z \sim p(z)$ from each.

# %%
models = {2: model2}
test_elbo = {2: stats2["test_elbo"]}
for d in (5, 10, 20):
    models[d], stats = trained_vae(d)
    test_elbo[d] = stats["test_elbo"]
fig, axes = plt.subplots(1, 4, figsize=(11, 3))
for ax, (d, m) in zip(axes, models.items()):
    with torch.no_grad():
        viz.image_grid(ax, m.sample(36, generator=torch.Generator().manual_seed(0)), nrow=6,
                       title=f"dim z = {d}")
plt.show()

# %%
print("dim z   test ELBO (nats per image)")
for d, v in test_elbo.items():
    print(f"{d:5d}   {v:8.1f}")

# %%
# NBVAL_CHECK_OUTPUT
elbos = list(test_elbo.values())
print("test ELBO rises from dim z = 2 to 10:", elbos[0] < elbos[1] < elbos[2])
print("dim z = 20 within 3 nats of the best:", elbos[3] > max(elbos) - 3)
print("dim z = 2 within [-180, -155], dim z = 20 within [-140, -120]:", -180 < elbos[0] < -155 and -140 < elbos[3] < -120)

# %% [markdown]
# More latent dimensions give a better bound and sharper, more varied samples; the 2-D model pays
# for its readable map with blurrier digits. (With only 4,000 training digits the larger models
# also start to overfit: their training bound is better than the test bound.)
#
# **At full size.** The paper's 20-D model (784-400-20) sees 60,000 digits for many more epochs.
# On a GPU, `lecturekit train vae --download` trains it on the full MNIST (fetched once, SHA-256
# checked) and saves it in the model cache; offline, `lecturekit train vae --data mnist5k` trains it
# on the 4,000 digits here. This cell picks up whichever exists (its bound is on that data's test set).

# %%
# NBVAL_IGNORE_OUTPUT
full = lk.recipes.load_trained("vae", device=device)
if full is None:
    print("No full-size VAE in the cache yet: run `lecturekit train vae --download` (GPU recommended).")
else:
    big, info = full
    print(lk.recipes.describe(info))
    fig, ax = plt.subplots(figsize=(3.2, 3.2))
    with torch.no_grad():
        viz.image_grid(ax, big.sample(36, generator=torch.Generator().manual_seed(0)), nrow=6,
                       title="full-size 784-400-20 VAE")
    plt.show()

# %% [markdown]
# ## Importance weighting: IWAE
#
# Drawing $k$ codes and averaging the importance weights *inside* the log gives a tighter bound
# (Burda et al., 2016):
#
# $$
# \mathcal{L}_k(x) = \mathbb{E}\Big[\log \frac1k \sum_{i=1}^k \frac{p_\theta(x, z_i)}{q_\phi(z_i\mid x)}\Big],
# \qquad z_i \sim q_\phi(z\mid x), \qquad
# \mathcal{L}_1 \le \mathcal{L}_k \le \mathcal{L}_{k+1} \le \log p(x\mid\theta).
# $$
#
# `vae.iwae_bound` computes it with a `logsumexp`. On the $\dim z = 20$ model, evaluated on the
# test set:

# %%
bounds = {k: vae.mean_bound(models[20], x_test, k=k, batch_size=200, generator=torch.Generator().manual_seed(2))
          for k in (1, 5, 50)}
print("  ".join(f"L_{k} = {v:.1f}" for k, v in bounds.items()), " (nats per test image)")

# %%
# NBVAL_CHECK_OUTPUT
print("L_1 <= L_5 <= L_50:", bounds[1] <= bounds[5] <= bounds[50])
print("L_50 - L_1 within [2, 10] nats:", 2 < bounds[50] - bounds[1] < 10)

# %% [markdown]
# Training on $\mathcal{L}_k$ instead of $\mathcal{L}_1$ (the IWAE) changes what the model
# learns: the encoder no longer has to cover the posterior with one Gaussian. Burda et al. count
# *active units*, latent dimensions whose posterior mean moves with the input,
# $A_u = \mathrm{Cov}_x\big(\mathbb{E}_{q(u\mid x)}[u]\big) > 10^{-2}$; units that the KL term pushed back to the prior
# are inactive. With $\dim z = 20$ all units of both models stay active on these digits, so, as
# Burda et al. do, we give the code more room, $\dim z = 50$, and train a VAE and an IWAE with
# $k = 5$ for the same 20 epochs.

# %%
vae50, _ = trained_vae(50)
iwae_model, _ = trained_vae(50, objective="iwae", k=5)
au_vae, act_vae = vae.active_units(vae50, x_test)
au_iwae, act_iwae = vae.active_units(iwae_model, x_test)
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.semilogy(np.sort(act_vae.cpu().numpy())[::-1], "o-", ms=4, label=f"VAE ({au_vae} active)", color=viz.COLORS[0])
ax.semilogy(np.sort(act_iwae.cpu().numpy())[::-1], "s-", ms=4, label=f"IWAE k=5 ({au_iwae} active)", color=viz.COLORS[1])
ax.axhline(1e-2, color="0.5", ls="--", lw=1)
ax.set_xlabel("latent unit (sorted)")
ax.set_ylabel(r"$A_u$")
ax.legend(frameon=False)
plt.show()
l50 = {name: vae.mean_bound(m, x_test, k=50, batch_size=200, generator=torch.Generator().manual_seed(2))
       for name, m in (("VAE", vae50), ("IWAE", iwae_model))}
print(f"active units of 50: VAE {au_vae}, IWAE {au_iwae};  weakest A_u: VAE {float(act_vae.min()):.2f}, "
      f"IWAE {float(act_iwae.min()):.2f};  test L_50: VAE {l50['VAE']:.1f}, IWAE {l50['IWAE']:.1f}")

# %% [markdown]
# Units below the dashed line would carry no information about the image. After 20 epochs on
# 4,000 digits no unit has collapsed yet in either model (Burda et al. train for thousands of
# passes over 60,000 digits, and the VAE's units die slowly). The trend is only faintly visible
# this early: the IWAE's curve is flatter, with more activity in its weaker half of the units,
# and it reaches a slightly better $\mathcal{L}_{50}$. Exercise 4.2 asks you to train longer.
#
# ## MCMC inside VI: Hamiltonian variational inference
#
# A Gaussian $q$ cannot follow a curved posterior. Salimans, Kingma & Welling (2015) follow
# $q_0(z_0)$ with $T$ Hamiltonian steps: draw a momentum $v_t \sim q_t(v)$, take a leapfrog step of
# learned size (it preserves volume, so no Jacobian appears), and score the final momentum
# $v'_t$ with a learned *reverse model* $r_t(v'_t\mid z_t)$. The auxiliary bound
#
# $$
# \mathcal{L}_T = \mathbb{E}\Big[\log \tilde p(z_T) + \sum_{t=1}^T \log r_t(v'_t\mid z_t)
#   - \log q_0(z_0) - \sum_{t=1}^T \log q_t(v_t)\Big] \le \log Z
# $$
#
# is an ELBO on an extended space; $T = 0$ is plain Gaussian VI. On a 2-D banana-shaped
# posterior $\tilde p$ with known $\log Z$ (`hvi.banana`), we fit $T = 0$, then start $T = 1$
# and $T = 4$ from its $q_0$ (`hvi.HamiltonianVI`).

# %%
def trained_hvi(num_steps, start=None):
    def train(model):
        if start is not None:
            model.mu.data.copy_(start.mu.data)
            model.log_std.data.copy_(start.log_std.data)
        return hvi.train_hvi(model, num_iters=1000)

    lk.seed(num_steps)
    return cached(f"nb04-hvi-T{num_steps}", {"num_steps": num_steps}, hvi.HamiltonianVI, train)[0]


hvi_models = {0: trained_hvi(0)}
for T in (1, 4):
    hvi_models[T] = trained_hvi(T, start=hvi_models[0])
g1, g2, log_p = hvi.log_density_grid("banana")
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
hvi_bounds = {}
for ax, (T, m) in zip(axes, hvi_models.items()):
    with torch.no_grad():
        z_T, log_w = m(20_000, generator=torch.Generator().manual_seed(3))
    hvi_bounds[T] = float(log_w.mean())
    ax.contour(g1, g2, log_p.exp(), levels=float(log_p.exp().max()) * np.array([0.02, 0.2, 0.5, 0.8]),
               colors="k", linewidths=0.8)
    ax.scatter(*z_T[:1500].T, s=2, alpha=0.4, color=viz.COLORS[T % 3])
    ax.set_title(f"T = {T}: $\\mathcal{{L}}_T$ = {hvi_bounds[T]:.2f}  (log Z = {m.log_z:.2f})", fontsize=9)
    ax.set_xlim(-3, 3)
    ax.set_ylim(-2.5, 5)
plt.show()

# %%
print("  ".join(f"L_{T} = {v:.2f}" for T, v in hvi_bounds.items()), f" log Z = {hvi.TARGETS['banana'][1]:.2f}")

# %%
# NBVAL_CHECK_OUTPUT
log_z = hvi.TARGETS["banana"][1]
print("bound rises with T and stays below log Z:", hvi_bounds[0] < hvi_bounds[1] < hvi_bounds[4] < log_z + 0.01)
print("T = 4 closes at least half the gap of T = 0:", log_z - hvi_bounds[4] < 0.5 * (log_z - hvi_bounds[0]))

# %% [markdown]
# Contours are the target, dots are draws $z_T$. The Gaussian ($T = 0$) sits in the middle of
# the banana and misses its arms; one learned Hamiltonian step already bends the draws along the
# curve, and four steps fill it, closing most of the gap to $\log Z$.
#
# ## The limits of Gaussian likelihoods
#
# For grey-level images a Gaussian decoder $p_\theta(x\mid z) = \mathcal{N}(x;\, m_\theta(z), \sigma^2 I)$
# is the usual first choice. Its log-likelihood is a squared pixel distance,
# $-\log p(x\mid z) = \|x - m_\theta(z)\|^2 / 2\sigma^2 + \text{const}$, and pixel distance is a
# poor measure of how different two images look. Shift a digit by $\tau$ pixels and score the
# shifted image with the code of the original:

# %%
xg_train, _ = mnist_5k("train")
xg_test, _ = mnist_5k("test")


def train_gauss(model):
    return vae.train_vae(model, xg_train.to(device), epochs=20, generator=torch.Generator().manual_seed(0))


lk.seed(0)
gauss, _ = cached("nb04-gaussian-z10", {"latent_dim": 10, "hidden_dim": 256, "likelihood": "gaussian"},
                  vae.VAE, train_gauss, device=device)
taus = list(range(-4, 5))
digit = xg_test[:8].to(device)
nll = vae.shift_nll(gauss, digit, taus).cpu()
fig, axes = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [1.2, 1]})
axes[0].plot(taus, nll.mean(1), "-o", color=viz.COLORS[3])
axes[0].set_xlabel(r"shift $\tau$ (pixels)")
axes[0].set_ylabel(r"$-\log p(x_\tau\mid z=\mu(x))$ (nats)")
axes[0].set_title(f"Gaussian decoder, σ = {gauss.std.item():.3f}", fontsize=9)
viz.image_grid(axes[1], torch.cat([vae.shift_images(digit[:1], t) for t in (0, 1, 2, 3)]).cpu(), nrow=4,
               title="τ = 0, 1, 2, 3")
plt.show()

# %% [markdown]
# A shift of one or two pixels, hardly visible, costs hundreds of nats: the likelihood treats
# the shifted stroke as wrong ink in one place and missing ink in another.
#
# The same model shows *regression to the mean*: the best Gaussian mean for an uncertain code is
# the average of the images it could be, a blurred digit. A sample adds independent pixel noise
# of size σ, which no real digit has.

# %%
with torch.no_grad():
    z = torch.randn(6, gauss.latent_dim, generator=torch.Generator().manual_seed(4)).to(device)
    means = gauss.decode(z)
    draws = means + gauss.std * torch.randn(means.shape, generator=torch.Generator().manual_seed(5)).to(device)
fig, axes = plt.subplots(1, 2, figsize=(9, 2.2))
viz.image_grid(axes[0], means.clamp(0, 1).cpu(), nrow=6, title=r"mean decodings $m_\theta(z)$")
viz.image_grid(axes[1], draws.clamp(0, 1).cpu(), nrow=6, title=r"samples $x \sim \mathcal{N}(m_\theta(z), \sigma^2 I)$")
plt.show()

# %% [markdown]
# ## Frey Face
#
# Kingma & Welling (2014, Fig. 4a) also show the 2-D manifold of the Frey Face data (1,965 faces,
# 28 × 20 pixels) with a Gaussian decoder. The file is not shipped with lecturekit. To draw it,
# download `frey_rawface.mat` from https://cs.nyu.edu/~roweis/data/frey_rawface.mat into the
# folder named by the environment variable `LECTUREKIT_DATA` (default `~/lecturekit_data`) and
# re-run this cell; `lecturekit.data.frey_faces(root)` reads it (pass `download=True,
# sha256="…"` to have it fetched and verified).

# %%
# NBVAL_IGNORE_OUTPUT
from lecturekit.data import data_root, frey_faces

try:
    faces = frey_faces(data_root())
except FileNotFoundError as err:
    print("Frey Face manifold skipped:", err)
else:
    def train_frey(model):
        return vae.train_vae(model, faces.to(device), epochs=100, batch_size=100, generator=torch.Generator().manual_seed(0))

    lk.seed(0)
    frey, _ = cached("nb04-frey-z2", {"latent_dim": 2, "hidden_dim": 200, "likelihood": "gaussian",
                                      "image_shape": [28, 20]}, vae.VAE, train_frey, device=device)
    with torch.no_grad():
        fig, ax = plt.subplots(figsize=(5, 7))
        viz.image_grid(ax, frey.decode(vae.latent_grid(12).to(device)).clamp(0, 1), nrow=12, cmap="gray",
                       title="Frey Face manifold")
        plt.show()

# %% [markdown]
# ## Summary
#
# * $\log p(x\mid\theta) = \mathcal{L}(\theta,\beta{=}1,x) + \mathrm{KL}(q\,\|\,\text{posterior})$: a VAE
#   maximizes the bound with an encoder that amortizes $q$ over all images.
# * The reparametrization $Z = \mu(x) + \Sigma(x)^{1/2}\varepsilon$ makes the Monte Carlo estimate
#   of the reconstruction term differentiable; the KL to the prior is analytic.
# * A 2-D code gives a map of the data you can walk through; larger codes give better bounds and
#   sharper samples.
# * Tighter bounds: importance weighting ($\mathcal{L}_1 \le \mathcal{L}_5 \le \mathcal{L}_{50}$) and
#   Hamiltonian steps inside $q$ ($\mathcal{L}_T$ rises with $T$).
# * A Gaussian pixel likelihood is a squared distance: tiny shifts cost hundreds of nats, and
#   the optimal mean is a blur.
#
# ## Exercises
#
# Write each function in the cell under the exercise, between the solution markers, then run the
# check cell: it compares your function with the reference on a few seeded inputs and prints one
# verdict line.
#
# > **Exercise 4.1 (the KL to the prior).** Write `kl_to_prior(mu, logvar)`: return
# > $\mathrm{KL}(\mathcal{N}(\mu, \mathrm{diag}\,\sigma^2)\,\|\,\mathcal{N}(0, I))$ for
# > $\log\sigma^2$ = `logvar`, summed over the last axis (inputs (..., D), output (...)).

# %%
def kl_to_prior(mu, logvar):
    ### BEGIN SOLUTION
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("4.1", kl_to_prior)

# %% [markdown]
# Exercises 4.2 and 4.3 take a small `vae.VAE` (4×4 images, float64, untrained), images `x`
# (N, 1, 4, 4) and standard normal draws `eps` (S, N, D), so the codes are
# $z_s = \mu(x) + \sigma(x) \odot \varepsilon_s$. Use `mu, logvar = model.encode(x)`,
# `model.log_px(model.flatten(x), z)` for $\log p_\theta(x\mid z)$ (z (S, N, D) gives (S, N)),
# and return one bound per image, shape (N,).
#
# > **Exercise 4.2 (the ELBO estimate).** Return
# > $\hat{\mathcal{L}}(x) = \frac1S\sum_s \log p_\theta(x\mid z_s) - \mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$,
# > what `vae.elbo` computes, with the KL from Exercise 4.1.

# %%
def elbo(model, x, eps):
    ### BEGIN SOLUTION
    mu, logvar = model.encode(x)
    z = mu + (0.5 * logvar).exp() * eps
    return model.log_px(model.flatten(x), z).mean(0) - kl_to_prior(mu, logvar)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("4.2", elbo)

# %% [markdown]
# > **Exercise 4.3 (the IWAE bound).** With $k = S$ draws, return
# > $\log \frac1k \sum_i w_i$ for $\log w_i = \log p_\theta(x\mid z_i) + \log p(z_i) - \log q_\phi(z_i\mid x)$,
# > computed with `torch.logsumexp` (the weights themselves under- or overflow). Write the two
# > Gaussian log densities yourself (the $2\pi$ terms cancel) or use `model.prior()` and
# > `model.q(x)`, distributions with `log_prob`. Why does $k = 1$ not give the same number as
# > Exercise 4.2?

# %%
def iwae_bound(model, x, eps):
    ### BEGIN SOLUTION
    mu, logvar = model.encode(x)
    z = mu + (0.5 * logvar).exp() * eps
    log_prior_over_q = (-0.5 * z**2 + 0.5 * eps**2 + 0.5 * logvar).sum(-1)  # (z − μ)/σ = ε
    log_w = model.log_px(model.flatten(x), z) + log_prior_over_q
    return torch.logsumexp(log_w, dim=0) - np.log(eps.shape[0])
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("4.3", iwae_bound)

# %% [markdown]
# ### Going further
#
# * **β.** Train the 2-D model with `beta=4` in `vae.elbo` (pass it through a loss of your own to
#   `lecturekit.train.fit`). How do the manifold and the test ELBO change? Why does the scatter of
#   encodings move closer to $\mathcal{N}(0, I)$?
# * **k and active units.** Estimate $\mathcal{L}_k$ for $k = 1, 2, 5, 20, 50, 200$ on ten test
#   digits with the $\dim z = 20$ model and plot it against $\log k$. Where does it level off, and
#   what does the level approximate? Then train the $\dim z = 50$ VAE and IWAE for 200 epochs
#   instead of 20 (`trained_vae(50, epochs=200)`) and count active units again.
# * **HVI.** Replace the learned reverse model by $r_t = q_t$ (no parameters). Is
#   $\mathcal{L}_T$ still a lower bound? Train $T = 4$ and compare with the learned $r_t$.
# * **Bernoulli vs Gaussian.** Score the shifted digits of the last section with the Bernoulli
#   model of dimension 10 instead. Is the likelihood any kinder to shifts?
#
# ## References
#
# * Kingma & Welling (2014). Auto-encoding variational Bayes. ICLR.
# * Rezende, Mohamed & Wierstra (2014). Stochastic backpropagation and approximate inference in deep generative models. ICML.
# * Burda, Grosse & Salakhutdinov (2016). Importance weighted autoencoders. ICLR.
# * Salimans, Kingma & Welling (2015). Markov chain Monte Carlo and variational inference: bridging the gap. ICML.
# * Salakhutdinov & Murray (2008). On the quantitative analysis of deep belief networks. ICML.
