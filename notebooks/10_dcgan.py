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
# # 10 · Image GANs: Laplacian pyramids, LAPGAN and DCGAN
#
# Two early recipes made GANs produce recognizable images. LAPGAN (Denton et al., 2015) splits an image
# into a Laplacian pyramid and trains one conditional GAN per level, each adding the detail the coarser
# level lacks. DCGAN (Radford et al., 2016) trains a single convolutional generator with strided
# convolutions and batch normalization. In this notebook you will build a pyramid and check that it
# reconstructs digits exactly, train a small DCGAN and a two-level LAPGAN on 4,000 MNIST digits on the
# CPU, and move through the DCGAN's latent space with a slider.

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import lapgan, viz
from lecturekit.data import mnist_5k
from lecturekit.widgets.gan import latent_interpolation

lk.seed(0)
torch.set_num_threads(2)
device = lk.get_device()
print("device:", device)
x_train, y_train = mnist_5k("train")
print("training digits:", tuple(x_train.shape))

# %% [markdown]
# ## The Laplacian pyramid
#
# Let $d$ average each $2\times2$ block (`lapgan.downsample`) and $u$ upsample by 2 bilinearly
# (`lapgan.upsample`). Starting from $g_0 = x$, the pyramid keeps the coarse images
# $g_{k+1} = d(g_k)$ and the band-pass residuals
#
# $$
# h_k = g_k - u(g_{k+1}), \qquad k = 0, \dots, K-1,
# $$
#
# and stores $[h_0, \dots, h_{K-1}, g_K]$. Reconstruction runs the recursion backwards,
# $g_k = u(g_{k+1}) + h_k$, and is exact whatever $d$ and $u$ are, because each $h_k$ stores exactly what
# $u(g_{k+1})$ misses. For $28\times28$ digits two levels give $14\times14$ and $7\times7$ coarse images.

# %%
# NBVAL_CHECK_OUTPUT
pyramid = lapgan.laplacian_pyramid(x_train[:6], levels=2)
print("shapes:", [tuple(t.shape[-2:]) for t in pyramid])
error = float((lapgan.reconstruct(pyramid) - x_train[:6]).abs().max())
print("reconstruction exact to 1e-6:", error < 1e-6)

# %%
h0, h1, g2 = pyramid
g1 = lapgan.upsample(g2) + h1
rows = [("$g_0 = x$", x_train[:6], (0, 1)), ("$g_1 = d(g_0)$", g1, (0, 1)), ("$g_2 = d(g_1)$", g2, (0, 1)),
        ("$h_0 = g_0 - u(g_1)$", h0, (-0.5, 0.5)), ("$h_1 = g_1 - u(g_2)$", h1, (-0.5, 0.5))]
fig, axes = plt.subplots(len(rows), 6, figsize=(7, 6.2))
for ax_row, (name, imgs, (lo, hi)) in zip(axes, rows):
    for ax, img in zip(ax_row, imgs):
        ax.imshow(img[0], cmap="gray_r" if lo == 0 else "RdBu_r", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
    ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# The coarse images keep the digit's shape at lower resolution; the residuals (red positive, blue
# negative) hold the edges, and they are sparse: most of their pixels are near zero. A generator of
# $h_0$ only needs to sharpen edges that the coarse image already placed.
#
# ## DCGAN
#
# The DCGAN generator maps $z \sim \mathcal{N}(0, I_{32})$ through a linear projection to a $32\times7\times7$
# tensor, then two stride-2 transposed convolutions ($7 \to 14 \to 28$) with batch normalization and
# ReLU, and a sigmoid for pixel intensities in $[0, 1]$. The discriminator mirrors it with two stride-2
# convolutions and LeakyReLU. Both are trained with the non-saturating loss and Adam
# ($\mathrm{lr} = 2\cdot10^{-4}$, $\beta_1 = 0.5$), one discriminator step per generator step.

# %%
dcgan, dc_hist = lk.checkpoint.cached("dcgan-mnist5k", {"latent_dim": 32, "channels": 16}, lapgan.DCGAN,
                                      lambda m: lapgan.train_dcgan(m, x_train.to(device), epochs=5, seed=0),
                                      device=device)
print(f"{dc_hist['steps']} generator steps")

# %%
with torch.no_grad():
    dc_samples = dcgan.sample(64, generator=torch.Generator().manual_seed(0)).cpu()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.6]})
viz.image_grid(axes[0], dc_samples, nrow=8, title="DCGAN samples")
axes[1].plot(dc_hist["d_loss"], lw=0.8, label="d_loss")
axes[1].plot(dc_hist["g_loss"], lw=0.8, label="g_loss")
axes[1].set_xlabel("generator step"), axes[1].legend(frameon=False)
plt.tight_layout()
plt.show()

# %% [markdown]
# After a few epochs on 4,000 digits the samples are blurry but digit-like; the losses do not go to
# zero, as expected in a game where each player's loss is the other's gain.
#
# ## Widget: walking in latent space
#
# Each column starts at a latent code $z_0$ and ends at $z_1$, moving along the great circle
# $\mathrm{slerp}(z_0, z_1; t)$ (which keeps $\|z\|$ typical of a Gaussian). Drag **t** from 0 to 1:
# the digits should morph smoothly, with no jumps, if the generator has learned a smooth map.

# %%
# NBVAL_IGNORE_OUTPUT
app = latent_interpolation(dcgan, num_images=8)
app

# %% [markdown]
# ## LAPGAN with two levels
#
# LAPGAN generates coarse to fine. $G_0$ makes a $14\times14$ image $\tilde g_1$ from noise. $G_1$ is a
# *conditional* generator: given the upsampled coarse image $l = u(\tilde g_1)$ and fresh noise, it
# outputs a residual $\tilde h_0 = G_1(l, z_1)$, and the sample is $\tilde x = l + \tilde h_0$. Its
# discriminator $D_1$ sees the pair $(l, h)$, so it can check that the detail fits the coarse image. As
# in the paper, both levels train independently on the pyramids of real digits: $G_0$ against
# $g_1 = d(x)$, $G_1$ against $h_0 = x - u(d(x))$ with $l = u(d(x))$.

# %%
lap, lap_hist = lk.checkpoint.cached("lapgan-mnist5k", {"latent_dim": 32, "channels": 16}, lapgan.LAPGAN,
                                     lambda m: lapgan.train_lapgan(m, x_train.to(device), epochs=4, seed=0),
                                     device=device)
with torch.no_grad():
    g = torch.Generator().manual_seed(0)
    coarse = lap.sample_coarse(8, generator=g)
    fine = lap.refine(coarse, generator=g).clamp(0, 1).cpu()
    lap_samples = lap.sample(64, generator=torch.Generator().manual_seed(1)).clamp(0, 1).cpu()

# %%
fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
for j in range(8):
    for i, (img, name) in enumerate([(coarse[j], r"$\tilde g_1$"), (lapgan.upsample(coarse[j:j + 1])[0], r"$u(\tilde g_1)$"),
                                     (fine[j], r"$u(\tilde g_1) + \tilde h_0$")]):
        axes[i, j].imshow(img[0].cpu(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes[i, j].set_xticks([]), axes[i, j].set_yticks([])
        if j == 0:
            axes[i, j].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# Top to bottom: the coarse $14\times14$ sample, its blurry upsampling, and the result after $G_1$
# added its residual: sharper strokes on the same digit.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
viz.image_grid(axes[0], dc_samples, nrow=8, title="DCGAN")
viz.image_grid(axes[1], lap_samples, nrow=8, title="LAPGAN (14x14 -> 28x28)")
plt.tight_layout()
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print("samples in [0, 1] and 28x28:", tuple(dc_samples.shape[-2:]) == (28, 28) == tuple(lap_samples.shape[-2:]),
      bool(dc_samples.min() >= 0 and dc_samples.max() <= 1))
print("DCGAN samples are not all alike (pixel std across samples > 0.1):", float(dc_samples.std(0).mean()) > 0.1)

# %% [markdown]
# Both models train in seconds here and neither is close to the quality of the papers, but the
# comparison shows the idea: LAPGAN's samples are assembled coarse to fine, and each of its generators
# solves an easier problem than DCGAN's single one.
#
# ## Summary
#
# * The Laplacian pyramid $[h_0, \dots, h_{K-1}, g_K]$ reconstructs the image exactly by
#   $g_k = u(g_{k+1}) + h_k$.
# * LAPGAN generates the coarsest level, then one residual per level with a generator conditioned on the
#   upsampled image; each level is a separate, smaller GAN.
# * DCGAN makes a single convolutional GAN train stably with strided (transposed) convolutions, batch
#   normalization, LeakyReLU in $D$ and Adam with $\beta_1 = 0.5$.
# * Interpolating in latent space tests whether the generator's map is smooth.
#
# ## Exercises
#
# Write each function between the solution markers, then run the check cell: it compares
# your function with the reference on seeded inputs and prints one verdict line.
#
# > **Exercise 10.1 (reconstruction).** Given a pyramid `[h_0, ..., h_{K-1}, g_K]`, return $g_0$ by
# > $g_k = u(g_{k+1}) + h_k$, with `lapgan.upsample` as $u$.

# %%
def reconstruct(pyramid):
    ### BEGIN SOLUTION
    g = pyramid[-1]
    for h in reversed(pyramid[:-1]):
        g = lapgan.upsample(g) + h
    return g
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("10.1", reconstruct)

# %% [markdown]
# > **Exercise 10.2 (one level).** Given images `x` (N, 1, H, W), return the pair `(h, g1)` with
# > $g_1 = d(x)$ (`lapgan.downsample`) and the residual $h = x - u(g_1)$.

# %%
def pyramid_level(x):
    ### BEGIN SOLUTION
    g1 = lapgan.downsample(x)
    return x - lapgan.upsample(g1), g1
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("10.2", pyramid_level)

# %% [markdown]
# ### Going further
#
# > **Going further.** Replace bilinear upsampling by nearest-neighbour upsampling in the pyramid. Is the
# > reconstruction still exact? How do the residuals $h_k$ change?
#
# > **Going further.** Train the DCGAN without batch normalization (remove the `BatchNorm` layers). What
# > happens to the samples and the losses after a few epochs?
#
# > **Going further.** Compare linear and spherical interpolation of latent codes: plot $\|z\|$ along
# > both paths for `latent_dim = 32`. Why does the linear path pass through atypical codes?
#
# ## References
#
# * Burt & Adelson (1983). The Laplacian pyramid as a compact image code.
# * Denton, Chintala, Szlam & Fergus (2015). Deep generative image models using a Laplacian pyramid of
#   adversarial networks. NeurIPS.
# * Radford, Metz & Chintala (2016). Unsupervised representation learning with deep convolutional
#   generative adversarial networks. ICLR.
# * White (2016). Sampling generative networks (spherical interpolation).
