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
# # 05 · Semi-supervised learning with deep generative models
#
# With 100 labelled digits and a few thousand unlabelled ones, a classifier trained on the labels
# alone overfits. Kingma, Rezende, Mohamed & Welling (2014) let the unlabelled digits in through a
# generative model in which the label $y$ is a latent variable when it is hidden and an observed
# one when it is given. In this notebook you will train the four methods of their Table 1 (a
# supervised MLP, M1, M2 and M1+M2) on real MNIST digits with 100 labels, compare the test errors
# with the paper's, and then use M2 to separate a digit's label from its handwriting style.
#
# **Notation** (as in the slides). $x$ an image, $y \in \{0, \dots, 9\}$ its label, $z$ the latent
# code (M2: the *style*), $\theta$ the generative parameters of $p_\theta(x\mid y, z)$, $\beta$ the
# variational parameters of the inference networks $q_\beta(z\mid x, y)$ and $q_\beta(y\mid x)$
# (the slides' $\beta$; other texts write $\phi$). $\mathcal{L}(x, y)$ and $\mathcal{U}(x)$ are the
# labelled and unlabelled lower bounds, $\mathcal{H}$ an entropy, $\mathrm{KL}$ the Kullback–Leibler
# divergence, $\alpha$ the weight of the classification term, $N_l$ and $N_u$ the numbers of
# labelled and unlabelled digits. Logs are natural (nats).

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import data, ssvae, viz
from lecturekit.claims import check
from lecturekit.widgets.ssvae import analogies, style_explorer

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown]
# ## Data: 100 labels, 500 for validation, 3,400 hidden
#
# `data.mnist_5k()` holds 4,000 training and 1,000 test digits (grey levels in $[0, 1]$).
# `ssvae.ssl_data` first sets 500 training digits aside as a **validation set** (50 per class): they
# never enter training, and settings are compared by the error on them, not on the test digits. It
# then keeps the labels of 100 of the remaining digits, 10 per class, and hides the labels of the
# other 3,400. All draws are stratified and seeded. The test digits are used only to measure the error.
#
# What was chosen on the validation digits, never on the test digits: the baseline's input noise and
# dropout (a grid over three label draws, `benchmarks/ssvae.py --select nn`), M2's learning rate, width
# and depth (single runs compared by their validation error), and M2's weight $\alpha$ with its input
# noise and dropout (`benchmarks/ssvae.py --select m2`: each setting on three label draws, varied one at
# a time; mean validation error 13.4% for the earlier $\alpha = 10$, 13.3% for the paper's 3.5, **12.7%
# for 30**, 12.9% for 100, tried because 30 was the grid's edge; input noise 0.3 or 0.7 and no dropout
# did not beat 0.5 with dropout 0.5).
# The differences are about one validation digit in a hundred, near the noise of 500 validation
# digits, but the rule was fixed before the runs: the lowest mean validation error wins.
#
# (A validation set five times larger than the labelled set is a luxury a real 100-label problem does
# not have: with 10 validation labels per class the choice below would be much noisier. The paper
# used 10,000 validation digits too.)

# %%
# NBVAL_CHECK_OUTPUT
x, y = data.mnist_5k("train")
x_test, y_test = data.mnist_5k("test")
split = ssvae.ssl_data(x.to(device), y.to(device), x_test.to(device), y_test.to(device), 100, num_validation=500,
                       seed=0, name="mnist_5k")
print(f"labelled {len(split.y_l)}, unlabelled {len(split.x_u)}, validation {len(split.y_val)}, test {len(split.y_test)}")
print("labels per class:", torch.bincount(split.y_l.cpu(), minlength=10).tolist())

# %%
fig, ax = plt.subplots(figsize=(9, 1.2))
order = split.y_l.cpu().argsort()
viz.image_grid(ax, split.x_l.cpu()[order], nrow=50)
ax.set_title("the 100 labelled digits, sorted by class: all the supervision there is")
plt.show()

# %% [markdown]
# ## The supervised baseline
#
# The baseline ("NN" in the paper) is an MLP $784 \to 256 \to 10$ trained by cross-entropy on the
# 100 labelled digits alone (with a little weight decay). A hundred examples are memorized at once, so
# it is regularized: Gaussian noise of standard deviation 1.0 is added to its input during training
# (the validation digits preferred this to any smaller noise, to 1.5, and to adding dropout). It is
# the same network that M2 will use as its classifier $q_\beta(y\mid x)$, there with input noise 0.5
# and dropout 0.5. `ssvae.default_settings` holds every method's size and training budget, and
# `ssvae.cached_method` trains a model once (seeded from its settings) and reloads it from the cache
# afterwards; the test and validation errors come back in `history.info`.

# %%
settings = ssvae.default_settings()
nn_model, nn_history = ssvae.cached_method("nn", split, **settings["nn"])
print(f"NN: test error {100 * nn_history['test_error']:.1f}%, validation error {100 * nn_history['val_error']:.1f}%")

# %% [markdown]
# ## M1: a VAE's latent means as features
#
# M1 trains the VAE of notebook 04, `vae.VAE`, on all 3,500 training digits, labels unused:
# $p(z) = \mathcal{N}(0, I)$, $p_\theta(x\mid z)$ Bernoulli with logits from an MLP,
# $q_\beta(z\mid x)=\mathcal{N}(\mu_\beta(x), \operatorname{diag}\sigma^2_\beta(x))$, trained by
# maximizing $\mathbb{E}_{q}[\log p_\theta(x\mid z)] - \mathrm{KL}(q_\beta(z\mid x)\,\|\,p(z))$. The
# latent means $\mu_\beta(x)$ (32 numbers per digit, `ssvae.features`) are then the inputs of a small
# classifier trained on the 100 labelled digits (the paper uses a transductive SVM here).
#
# The pixels here are grey levels, not 0/1. The "Bernoulli log-likelihood" of a grey level is a
# cross-entropy, not the log of a probability, so the number printed below is a training loss, not a
# bound on $\log p(x)$ in nats; it is not comparable with the ELBO of notebook 04, which modelled
# binarized digits.

# %%
out = ssvae.run_methods(split, settings)
m1_vae, m1_history = out["vae"]
print(f"M1 VAE: final training loss {sum(m1_history.loss[-35:]) / 35:.0f} per digit "
      "(Bernoulli cross-entropy on grey levels + KL; not a bound on log p(x))")
print(f"M1 + classifier: test error {100 * out['m1'][1]['test_error']:.1f}%")

# %% [markdown]
# M1 + classifier does far worse than the paper's M1 + TSVM (11.8%), and here no better than the
# baseline (see the table below). Three differences add up:
# our VAE sees 3,500 digits instead of 50,000, so its 32 features separate the classes less cleanly;
# a small MLP trained on 100 points of 32 features overfits where a transductive SVM also uses the
# unlabelled points to place its margin; and the paper tuned M1 on a large validation set. M1's
# features are unsupervised: nothing makes them separate digits rather than stroke width or slant.
#
# `run_methods` trained (or loaded) all four methods; we walk through the other two now.
#
# ## M2: the label as a latent variable
#
# M2 generates a digit from a class and a style:
#
# $$ p(y) = \mathrm{Cat}(y \mid \tfrac{1}{10}), \qquad p(z) = \mathcal{N}(z\mid 0, I), \qquad
# p_\theta(x\mid y, z) = \mathrm{Bernoulli}(x \mid f_\theta(y, z)). $$
#
# Its inference networks are $q_\beta(z\mid x, y) = \mathcal{N}(\mu_\beta(x, y), \operatorname{diag}
# \sigma^2_\beta(x, y))$ and $q_\beta(y\mid x) = \mathrm{Cat}(y\mid \pi_\beta(x))$ (`m2.q_z` and `m2.q_y`
# return these as `torch.distributions` objects).
#
# **Label observed.** For a labelled pair only $z$ is hidden, and Jensen's inequality gives
#
# $$ \log p(x, y) \ge \mathcal{L}(x, y) = \mathbb{E}_{q_\beta(z\mid x,y)}\big[\log p_\theta(x\mid y,z)
# + \log p(y) + \log p(z) - \log q_\beta(z\mid x,y)\big]. $$
#
# **Label hidden.** For an unlabelled digit $y$ is hidden too; with $q(y, z\mid x) =
# q_\beta(y\mid x)\, q_\beta(z\mid x, y)$ the bound splits into a sum over the ten classes:
#
# $$ \log p(x) \ge \mathcal{U}(x) = \sum_y q_\beta(y\mid x)\, \mathcal{L}(x, y) +
# \mathcal{H}\big(q_\beta(y\mid x)\big). $$
#
# `ssvae.labelled_bound` and `ssvae.unlabelled_bound` compute them (one reparameterized sample of
# $z$, the KL to $p(z)$ in closed form by `torch.distributions.kl_divergence`). On grey-level pixels
# they are bounds in the same loose sense as M1's loss above: cross-entropies, not log-probabilities.
# The second enumerates $y$; here it agrees with the sum written out by hand on ten test digits,
# reusing the same noise for both:

# %%
# NBVAL_CHECK_OUTPUT
m2, m2_history = out["m2"]
xs = split.x_test[:10]
eps = lk.utils.randn((1, 10, m2.latent_dim), generator=lk.utils.make_generator(0), device=device)
with torch.no_grad():
    u = ssvae.unlabelled_bound(m2, xs, eps=eps)
    q = m2.q_y(xs)
    by_hand = q.entropy() + sum(q.probs[:, k] * ssvae.labelled_bound(m2, xs, torch.full((10,), k, device=device), eps=eps)
                                for k in range(10))
check("max |U(x) - Σ_y q(y|x) L(x,y) - H(q(y|x))|", (u - by_hand).abs().max(), at_most=1e-3, unit="nats", digits=6)
_ = check("mean U(x) of the ten digits", u.mean(), at_least=ssvae.UNLABELLED_BOUND_RANGE[0],
      at_most=ssvae.UNLABELLED_BOUND_RANGE[1], unit="nats", digits=0)

# %% [markdown]
# (An untrained M2 gives about $-550$ here, $784 \log 2$ plus a little: every pixel a coin flip.)
#
# ## The role of $q(y\mid x)$
#
# In $\mathcal{U}(x)$ the classifier $q_\beta(y\mid x)$ decides how much each class's bound counts:
# maximizing $\mathcal{U}$ pushes $q_\beta(y\mid x)$ toward the classes under which the generative
# model explains $x$ best, that is toward the posterior $p(y\mid x)$. This is how unlabelled digits
# train the classifier. But in $\mathcal{L}(x, y)$ the classifier does not appear at all, so the
# labels alone would never teach it. The paper therefore adds a classification term,
#
# $$ \mathcal{J}^\alpha = \sum_{(x,y)\in l} -\mathcal{L}(x, y) + \sum_{x \in u} -\mathcal{U}(x)
# + \alpha \sum_{(x,y)\in l}\big[-\log q_\beta(y\mid x)\big], $$
#
# with $\alpha = 0.1\,N$. `ssvae.m2_loss` divides each of the three sums by its minibatch size, so that
# one step sees a class-balanced batch of labelled digits and a batch of unlabelled ones. This
# **re-weights** the objective, it does not only rescale it: the paper's labelled and unlabelled bounds
# weigh $N_l : N_u$ (here $100 : 3{,}400$), ours weigh $1 : 1$, so each labelled digit counts 34 times
# more in the generative part than in the paper. The classification term keeps its paper weight
# relative to the labelled bounds when $\alpha = 0.1\,N$ per labelled digit, $0.1 \times 3{,}500 / 100
# = 3.5$ here. We use $\alpha = 30$, chosen on the validation digits (see above): with 100 labels
# against 3,400 unlabelled digits, a heavier classification term helps $q(y\mid x)$ more than the
# paper's weighting does. At test time M2 classifies with $\arg\max_y q_\beta(y\mid x)$.

# %%
fig, ax = plt.subplots(figsize=(6.5, 2.8))
loss = torch.tensor(m2_history.loss)
ax.plot(loss, lw=0.4, color=viz.COLORS[0], alpha=0.4, label="every step")
smooth = loss.unfold(0, 34, 34).mean(1)  # one point per pass over the unlabelled digits
ax.plot(34 * torch.arange(len(smooth)) + 17, smooth, color=viz.COLORS[0], lw=1.5, label="mean per epoch")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel(r"$-\bar{\mathcal{L}} - \bar{\mathcal{U}} + \alpha\,$CE")
ax.set_title(f"M2 training: {len(loss)} steps of 100 unlabelled + 100 labelled digits (log scale)")
ax.legend(frameon=False)
plt.show()

# %% [markdown]
# Reading the figure (log scale, every step from the first): the objective falls from about 1,100 to
# below 300 within the first 200 steps (six passes over the unlabelled digits) while the decoder learns
# to draw digits, then slowly, from about 240 at step 500 to about 190 at step 5,100, while
# $q(y\mid x)$ and the decoder's use of $y$ sharpen each other. The curve still falls at the end:
# longer training would help a little, at a cost this notebook's budget does not allow.
#
# ## M1+M2: M2 on M1's features
#
# The paper's best model stacks the two: M2 models M1's latent means instead of pixels, with a
# Gaussian $p_\theta(z_1\mid y, z_2)$ (a learned variance per dimension). In the paper the features
# are smoother than pixels, so the class clusters are easier for M2 to find; here they come from a VAE
# trained on 3,500 digits, and the table shows how much of that survives.
#
# ## Table 1, 100 labels

# %%
rows = [("NN", "nn", 25.81), ("M1 + classifier", "m1", 11.82), ("M2", "m2", 11.97), ("M1+M2", "m1m2", 3.33)]
print(f"{'method':18s} {'validation':>11s} {'test':>7s} {'paper (test, 50,000 unlabelled)':>33s}")
for label, key, paper in rows:
    h = out[key][1]
    print(f"{label:18s} {100 * h['val_error']:10.1f}% {100 * h['test_error']:6.1f}% {paper:32.2f}%")
print("(paper: Kingma et al. 2014, Table 1, 100 labels; its M1 row uses a TSVM)")

# %% [markdown]
# The claims this notebook rests on, on this split (an untrained model of each kind fails each of them;
# `tests/test_ssvae.py` checks that):

# %%
# NBVAL_CHECK_OUTPUT
err = {key: out[key][1]["test_error"] for _, key, _ in rows}
check("NN test error", 100 * err["nn"], at_least=100 * ssvae.NN_ERROR_RANGE[0], at_most=100 * ssvae.NN_ERROR_RANGE[1],
      unit="%", paper=25.81, digits=1)
check("M1 + classifier test error", 100 * err["m1"], at_most=100 * ssvae.M1_ERROR_MAX, unit="%",
      paper="11.82 with a TSVM", digits=1)
check("M2 error / NN error", err["m2"] / err["nn"], at_most=ssvae.M2_OVER_NN_MAX, paper=0.46)
_ = check("M1+M2 error / NN error", err["m1m2"] / err["nn"], at_most=ssvae.M1M2_OVER_NN_MAX, paper=0.13)

# %% [markdown]
# Reading the table: on this split M2 errs on 13.7% of the test digits against the baseline's 21.3%,
# 0.64 times its error (the paper's M2: 0.46 times, with 50,000 unlabelled digits and far longer
# training). M1+M2, the paper's best model, is 0.74 times the baseline here (15.8%), worse than M2:
# its features come from a VAE trained on 3,500 digits, not 50,000. M1 + classifier (24.2%) is no
# better than the baseline (see the M1 section). The validation column ranks the methods as the test
# column does at the top (M2 12.4%, M1+M2 15.0%, against 21.4% for NN and M1), so the comparison does
# not rest on the test digits.
#
# That is one label draw. `benchmarks/ssvae.py --labels 100 --draws 5` trains all four methods on
# five draws of 100 labels (draw 0 is this notebook's, and it reproduced the table above to the
# digit); test error in %, median / worst over the five draws:
#
# | method | median | worst | per draw (0 … 4) |
# |---|---:|---:|---|
# | NN | 23.2 | 25.2 | 21.3, 25.2, 21.0, 23.2, 25.2 |
# | M1 + classifier | 24.5 | 28.0 | 24.2, 24.5, 22.7, 26.9, 28.0 |
# | M2 | 13.7 | 16.7 | 13.7, 10.1, 16.7, 12.7, 13.9 |
# | M1+M2 | 14.1 | 15.8 | 15.8, 14.1, 12.7, 12.8, 14.3 |
#
# M2's error is at most 0.75 times the baseline's on 4 of 5 draws (ratios 0.64, 0.40, 0.80, 0.55,
# 0.55: median 0.55, worst 0.80), and M1+M2's at most 0.8 times on 5 of 5 (median 0.57, worst 0.74).
# This notebook's draw is the median one for M2 and an unlucky one for M1+M2, which beats M2 on one
# of the five draws (draw 2) and ties it on another. (With the earlier $\alpha = 10$ the same draws gave
# M2 15.8% median and 17.2% worst: the validation digits' choice also lowered the test error.)
#
# ## Table 1 at 600 and 1,000 labels (measured elsewhere, not retrained here)
#
# Training the four methods again at 600 and 1,000 labels would take this notebook well past its
# five-minute budget, so these rows come from `benchmarks/ssvae.py --labels 600 1000 --draws 5`,
# which runs the same code with the same settings (`ssvae.default_settings`) on fresh label draws and
# a fresh cache (2 December 2026, one thread per run, about 2.5 to 3 minutes per draw for all four
# methods). Test error in %, median over the draws, worst in brackets:
#
# | labels | draws | NN, ours | NN, paper | M1 + classifier, ours | M1+TSVM, paper | M2, ours | M2, paper | M1+M2, ours | M1+M2, paper | M2 / NN, ours; paper | analogy cells judged right |
# |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
# | 600 | 5 | 13.5 (14.6) | 11.44 | 12.1 (14.0) | 5.72 | **5.4** (6.1) | 4.94 | 8.5 (9.2) | 2.59 | 0.42 (0.45); 0.43 | 94.0% (91.5%) |
# | 1,000 | 5 | 11.7 (12.6) | 10.7 | 11.8 (13.1) | 4.24 | **4.7** (5.6) | 3.60 | 8.0 (9.2) | 2.40 | 0.40 (0.46); 0.34 | 93.0% (89.0%) |
#
# M2 is at most 0.45 times the baseline's error on every 600-label draw (the paper: 0.43) and at most
# 0.46 times on every 1,000-label draw (the paper: 0.34). With the earlier $\alpha = 10$ the same
# draws gave M2 5.2% (5.8%) at 600 and 4.7% (5.6%) at 1,000 labels: the weight chosen with 100
# labels is a little worse at 600, and the same at 1,000.
# With more labels the baseline closes most of its gap to the paper, M2 comes within about a
# point of the paper's M2, and M1+M2 falls *behind* M2: its 32 features come from a VAE trained on
# 3,500 digits, and once 600 labels pin down the classes, pixels carry more than those features do.
#
# The paper's whole Table 1 (test error in %, 50,000 unlabelled digits; M1 is M1 + TSVM there):
#
# | labels | NN | CNN | TSVM | CAE | MTC | AtlasRBF | M1+TSVM | M2 | M1+M2 |
# |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
# | 100 | 25.81 | 22.98 | 16.81 | 13.47 | 12.03 | 8.10 | 11.82 | 11.97 | 3.33 |
# | 600 | 11.44 | 7.68 | 6.16 | 6.3 | 5.13 | – | 5.72 | 4.94 | 2.59 |
# | 1000 | 10.7 | 6.45 | 5.38 | 4.77 | 3.64 | 3.68 | 4.24 | 3.60 | 2.40 |
# | 3000 | 6.04 | 3.35 | 3.45 | 3.22 | 2.57 | – | 3.49 | 3.92 | 2.18 |
#
# The other baselines (a CNN, a transductive SVM, contractive auto-encoders, the manifold tangent
# classifier, AtlasRBF) are not reimplemented here; the 3,000-label row is not measured either
# (with 3,500 training digits, 3,000 labels leave almost nothing unlabelled).
#
# ## Label and style, disentangled
#
# Because $y$ carries the class, $z$ is free to carry everything else: slant, stroke width, size.
# `ssvae.style_of` infers a digit's style $\mathbb{E}_{q(z\mid x, y)}[z]$ (with its true label $y$)
# and `ssvae.analogy_grid` decodes each style as every class, $\mathbb{E}[x\mid y, z]$ for
# $y = 0, \dots, 9$ (the paper's Fig. 2). The inputs are not picked by hand: they are the first two
# test digits of each class in the (shuffled) test set, `ssvae.analogy_inputs`. The digit judge of
# `lecturekit.judge` (a CNN with 98.6% accuracy on the test digits) then reads every generated
# cell; a cell is right when it reads as the class of its column.

# %%
idx = ssvae.analogy_inputs(split.y_test.cpu(), per_class=2)
grid = ssvae.analogy_grid(m2, split.x_test[idx], split.y_test[idx])
accuracy, judged = ssvae.analogy_accuracy(grid)
fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
for half, ax in zip((slice(0, 10), slice(10, 20)), axes):
    cells = torch.cat([split.x_test[idx[half]].flatten(1)[:, None], grid[half]], 1)  # input | 0 ... 9
    viz.image_grid(ax, cells.cpu().reshape(-1, 1, 28, 28), nrow=11)
    wrong = (judged[half] != torch.arange(10)).nonzero()
    for r, c in wrong.tolist():
        ax.add_patch(plt.Rectangle((29 * (c + 1) - 0.5, 29 * r - 0.5), 28, 28, fill=False, ec=viz.COLORS[3], lw=1.5))
    ax.set_title("input | its style as the classes 0 … 9", fontsize=10)
fig.suptitle("M2's analogies; a framed cell is one the digit judge reads as another class", fontsize=10)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
per_class = (judged == torch.arange(10)).double().mean(0)
print("judged correct per column (class 0 … 9):", " ".join(f"{v:.2f}" for v in per_class.tolist()))
_ = check("analogy cells judged as their column's class", accuracy, at_least=ssvae.ANALOGY_ACCURACY_MIN,
      paper="Fig. 2, not measured")

# %% [markdown]
# Reading the figure: in most rows the column sets the class and the input sets the handwriting: the
# slanted 1s (rows 3 and 4 on the left) give slanted digits of every class, the heavy 0 (row 2) heavy
# ones. The judge reads 86% of the 200 generated cells as their column's class (the check asks for four
# in five; an untrained M2 gets about one in ten). Over the benchmark's five label draws of 100 labels
# the same measure is 86.5, 90.5, 90.0, 93.0 and 85.5% (median 90.0%, worst 85.5%), so read "between
# 85 and 93 cells in a hundred"; the 600- and 1,000-label models of the table above reach 94 and 93%
# (medians). The weight $\alpha = 30$, chosen for M2's error, costs a few analogy cells: with
# $\alpha = 10$ this draw gave 90%. The framed cells show where the style carries part of the class:
# the heavy 0's row (row 2 on the left) smears its 1 and 5, and its 7 reads as a 9; the looped 2
# (row 5 on the left) draws a 0 that is a blot and an 8 that is not one; the two 7s (rows 5 and 6 on the right), written with thin broken strokes,
# give faint dotted digits whose 0, 3, 8 and 9 the judge misreads. The 0 and 8 columns are the weakest
# (75% right each). Kingma et al.'s Fig. 2, with 50,000 unlabelled digits, is cleaner.
#
# ## Widget: handwriting styles
#
# The left panel places the styles of the test digits on a plane through style space (its two
# principal directions, in units of their spread, coloured by class: the classes overlap, because
# the class is in $y$, not in $z$). The right panel draws $\mathbb{E}[x\mid y, z]$ at the cross.
#
# * Pick a **class y** and move **style z₁** and **style z₂**: the digit stays the same class while
#   its slant and thickness change.
# * The row below shows the same $z$ as every class: the style is shared across classes.

# %%
# NBVAL_IGNORE_OUTPUT
style_explorer(m2, split.x_test, split.y_test).ui

# %% [markdown]
# ## Widget: analogies
#
# Pick a test digit with the **test digit** slider. M2 infers its class with $q(y\mid x)$ and its
# style $z$ with $q(z\mid x, y)$, then renders that style as every class. Look for digits with a
# strong slant or a heavy stroke: the whole row inherits it.

# %%
# NBVAL_IGNORE_OUTPUT
analogies(m2, split.x_test, split.y_test).ui

# %% [markdown]
# ## Summary
#
# * M2 treats the label as a latent variable: observed, it gives the bound $\mathcal{L}(x, y)$;
#   hidden, the bound $\mathcal{U}(x) = \sum_y q(y\mid x)\mathcal{L}(x, y) + \mathcal{H}(q(y\mid x))$,
#   computed by enumerating the classes.
# * $q(y\mid x)$ is both part of the inference network and the classifier; the $\alpha$-weighted
#   cross-entropy on the labelled digits is what ties its classes to the true labels.
# * With 100 labels on this split M2 errs on 13.7% of the test digits against the baseline's 21.3%
#   (0.64 times the baseline's error; the paper: 0.46), so 3,400 unlabelled digits remove about a third
#   of the baseline's errors. M1+M2 reaches 15.8% (0.74 times; the paper: 0.13) and M1 + a small
#   classifier 24.2%, worse than the baseline: unsupervised VAE features of 3,500 digits do not help
#   a classifier alone. Over five label draws M2 is at most 0.75 times the baseline on 4 of 5 (median
#   0.55, worst 0.80; median error 13.7% against M1+M2's 14.1%).
#   At 600 and 1,000 labels (five draws each, measured by `benchmarks/ssvae.py`) M2's error is 0.42
#   and 0.40 times the baseline's (worst 0.45 and 0.46; the paper: 0.43 and 0.34).
# * Since $y$ carries the class, $z$ carries the style: fixing $z$ and changing $y$ draws analogies.
#
# ## Exercises
#
# Write each function in the cell under the exercise, between the solution markers, then run the
# check cell: it compares your function with the reference on a few seeded inputs and prints one
# verdict line. Together the three exercises rebuild the M2 loss that trained `m2` above.
#
# > **Exercise 5.1 (the labelled bound).** Write `labelled_bound(model, x, y, eps)`, returning
# > $\mathcal{L}(x, y)$ (N,) for a small `ssvae.M2`, digits `x` (N, D) or (N, 1, 28, 28), labels `y`
# > (N,) and standard normal noise `eps` (S, N, latent_dim). Get $q(z\mid x, y)$ (a `Normal`) from
# > `model.q_z(x, y_onehot)`, draw $z_s = \mu + \sigma \odot \varepsilon_s$, average
# > `model.log_px(x, y_onehot, z)` over the $S$ draws, add $\log p(y)$ from `model.log_py` (K,), and
# > subtract the closed-form $\mathrm{KL}(\mathcal{N}(\mu, \sigma^2)\,\|\,\mathcal{N}(0, I)) =
# > \sum_j \big[\tfrac12(\mu_j^2 + \sigma_j^2 - 1) - \log\sigma_j\big]$.

# %%
def labelled_bound(model, x, y, eps):
    ### BEGIN SOLUTION
    y_onehot = torch.nn.functional.one_hot(y, model.num_classes).to(eps.dtype)
    q = model.q_z(x, y_onehot)
    z = q.loc + q.scale * eps  # (S, N, latent_dim)
    kl = (0.5 * (q.loc**2 + q.scale**2 - 1) - q.scale.log()).sum(-1)
    return model.log_px(x, y_onehot, z).mean(0) + (y_onehot * model.log_py).sum(-1) - kl
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("5.1", labelled_bound)

# %% [markdown]
# > **Exercise 5.2 (the unlabelled bound).** Write `unlabelled_bound(bound_y, log_qy)`, returning
# > $\mathcal{U}(x) = \sum_y q(y\mid x)\,\mathcal{L}(x, y) + \mathcal{H}(q(y\mid x))$ (N,) from the
# > matrix `bound_y` (N, K) of $\mathcal{L}(x, y)$ for every class and the classifier's normalized
# > `log_qy` (N, K) $= \log q(y\mid x)$. (`ssvae.unlabelled_bound` fills the matrix by running
# > Exercise 5.1 once per class.)

# %%
def unlabelled_bound(bound_y, log_qy):
    ### BEGIN SOLUTION
    qy = log_qy.exp()
    return (qy * (bound_y - log_qy)).sum(-1)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("5.2", unlabelled_bound)

# %% [markdown]
# > **Exercise 5.3 (the M2 objective).** Write `m2_objective(bound_l, bound_u, logits_l, y_l, alpha)`,
# > the scalar loss that `ssvae.m2_loss` minimizes on one step: $\mathcal{J}^\alpha$ with each set's
# > sum replaced by its mean,
# > $-\frac{1}{|l|}\sum_l \mathcal{L}(x, y) - \frac{1}{|u|}\sum_u \mathcal{U}(x)
# > + \alpha\,\frac{1}{|l|}\sum_l\big[-\log q(y\mid x)\big]$, from the labelled bounds `bound_l`
# > ($N_l$,), the unlabelled bounds `bound_u` ($N_u$,), the classifier's unnormalized `logits_l`
# > ($N_l$, K) on the labelled digits, their labels `y_l` ($N_l$,) and the weight `alpha`.

# %%
def m2_objective(bound_l, bound_u, logits_l, y_l, alpha):
    ### BEGIN SOLUTION
    log_q = torch.log_softmax(logits_l, -1).gather(-1, y_l[:, None]).squeeze(-1)
    return -bound_l.mean() - bound_u.mean() - alpha * log_q.mean()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("5.3", m2_objective)

# %% [markdown]
# ### Going further
#
# * **Why α.** Retrain M2 with `alpha=0` in `settings["m2"]["train"]`. Which classes does
#   $q(y\mid x)$ confuse, and why does nothing force its class 3 to be the digit 3?
# * **More labels.** Run `benchmarks/ssvae.py --labels 600 --draws 1` and compare the gap between NN
#   and M2 with the one at 100 labels. Does the generative model matter less?
#
# ## References
#
# * Kingma, Rezende, Mohamed & Welling (2014). Semi-supervised learning with deep generative models. NeurIPS.
# * Kingma & Welling (2014). Auto-encoding variational Bayes. ICLR.
# * Siddharth et al. (2017). Learning disentangled representations with semi-supervised deep generative models. NeurIPS.
