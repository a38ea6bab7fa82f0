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
# # 03 · Mean-field variational inference and score-function gradients
#
# When the posterior $p(z\mid x)$ is intractable we pick a tractable family $q(z\mid\beta)$ and
# maximize the evidence lower bound over $\beta$. In this notebook you will see what the
# factorized (mean-field) family gets right and wrong on a correlated Gaussian, why the gradient
# $\nabla_\beta \mathbb E_q[f(Z)]$ is the hard part, how the score-function (REINFORCE) estimator
# computes it without differentiating $f$, how large its variance is, what a control variate
# buys, and how the reparametrization gradient of the VAE notebook does better. We finish with
# black-box VI on Bayesian logistic regression on a real data set.
#
# **Notation** (as in the slides). $\beta$ are the variational parameters of $q(z\mid\beta)$; here
# $\beta = (m, \log s)$ for $q = \prod_i \mathcal N(z_i; m_i, s_i^2)$. $f(z) = \log p(x, z)$ is the
# function whose expectation we differentiate, $H$ the entropy, $\mathrm{KL}$ the Kullback–Leibler
# divergence, $S$ the number of Monte Carlo samples, $\rho$ a correlation, $\Lambda$ a precision matrix.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import lecturekit as lk
from lecturekit import meanfield
from lecturekit.checkpoint import cached
from lecturekit.claims import check
from lecturekit.widgets.meanfield import gradient_variance, meanfield_gaussian

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The mean-field family and its bound
#
# For any $q$, $\log p(x) = \mathrm{ELBO}(q) + \mathrm{KL}(q(z)\,\|\,p(z\mid x))$ with
#
# $$
# \mathrm{ELBO}(\beta) = \mathbb E_{q(z\mid\beta)}[\log p(x, z)] + H(q) .
# $$
#
# The mean-field family factorizes, $q(z\mid\beta) = \prod_i \mathcal N(z_i; m_i, s_i^2)$ with
# $\beta = (m, \log s)$. Its entropy is exact, $H(q) = \sum_i \log s_i + \frac D2\log(2\pi e)$.
# The ELBO is a lower bound for *every* $q$, by the identity above. What the factorization changes
# is how tight it can be: in the language of notebook 02, factorized distributions realize only an
# inner subset of the mean parameters $\mathcal M$, so maximizing over that subset gives a lower
# bound on the log-partition function $A(\theta)$ (here $\log p(x)$) that is in general strictly
# looser than the unrestricted maximum, which equals $A(\theta)$.
#
# Take a correlated Gaussian target $p = \mathcal N(0, \Sigma)$ with unit variances and correlation
# $\rho$, and precision $\Lambda = \Sigma^{-1}$. Coordinate ascent (CAVI) updates one factor at a time,
# $q_i = \mathcal N(m_i, 1/\Lambda_{ii})$; since $\Lambda_{ii} = 1/(1-\rho^2)$, the optimal factors have
# variance $1 - \rho^2$, smaller than the true marginal variance 1.

# %%
gaps = []
for rho in [0.0, 0.5, 0.8, 0.95]:
    m, s, kls = meanfield.cavi_gaussian(*meanfield.correlated_gaussian(rho), num_sweeps=1000)
    gaps.append(abs(float(s[0] ** 2) - (1 - rho**2)))
    print(f"ρ = {rho:.2f}:  Var_q = {float(s[0] ** 2):.4f}  1 − ρ² = {1 - rho**2:.4f}  KL(q‖p) = {kls[-1]:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("largest |Var_q − (1 − ρ²)| after CAVI", max(gaps), at_most=1e-4, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Widget: the variance underestimate
#
# The left panel shows the $1\sigma$ and $2\sigma$ contours of $p$ (solid) and of the optimal
# factorized $q$ (dashed); the right panel their marginals of $z_1$.
#
# * Move **ρ** away from 0: $p$ stretches along the diagonal while $q$ stays axis-aligned and
#   *shrinks*, with variance $1-\rho^2$. Minimizing $\mathrm{KL}(q\,\|\,p)$ punishes $q$ for putting
#   mass where $p$ has little, so $q$ hides inside $p$.
# * At $\rho = 0$ the two coincide: mean field is exact for independent coordinates.

# %%
# NBVAL_IGNORE_OUTPUT
mf_app = meanfield_gaussian(0.8)
mf_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The problem term: $\nabla_\beta\, \mathbb E_q[f(Z)]$
#
# To maximize the ELBO by gradient ascent for a general model we need
# $\nabla_\beta \mathbb E_{q(z\mid\beta)}[f(Z)]$ with $f(z) = \log p(x, z)$. We cannot push the
# gradient inside the expectation, because the distribution we average over depends on $\beta$.
# The *score-function identity* (the log-derivative trick) fixes this:
#
# $$
# \nabla_\beta \mathbb E_q[f(Z)] = \int f(z)\, \nabla_\beta q(z\mid\beta)\, dz
# = \int f(z)\, q(z\mid\beta)\, \nabla_\beta \log q(z\mid\beta)\, dz
# = \mathbb E_q\big[f(Z)\, \nabla_\beta \log q(Z\mid\beta)\big],
# $$
#
# an expectation again, so Monte Carlo applies: with $z_s \sim q$,
# $\hat g_S = \frac1S\sum_s f(z_s)\nabla_\beta\log q(z_s\mid\beta)$ is unbiased. It needs only
# *evaluations* of $f$, no derivatives: black-box VI (Paisley, Blei & Jordan 2012; Ranganath et
# al. 2014). For the Gaussian, $\nabla_m \log q = (z-m)/s^2$ and $\nabla_{\log s}\log q = (z-m)^2/s^2 - 1$.
#
# Check with $f(z) = z_1^2 + z_2^2$, whose expectation $\sum_i m_i^2 + s_i^2$ gives the exact
# gradient. Each estimator's mean over $10^5$ samples should be within 3 standard errors:

# %%
square = lambda z: (z**2).sum(-1)
m, log_s = torch.tensor([0.3, -1.0], dtype=torch.float64), torch.tensor([0.0, -0.7], dtype=torch.float64)
exact_m, exact_ls = meanfield.exact_gradient(meanfield.square_expectation, m, log_s)
print("exact ∇_m:", np.round(exact_m.numpy(), 3), " exact ∇_log s:", np.round(exact_ls.numpy(), 3))
z_scores = {}
for est in meanfield.ESTIMATORS:
    g_m, g_ls = meanfield.gradient_samples(square, m, log_s, estimator=est, num_samples=100_000,
                                           generator=lk.utils.make_generator(1))
    z_scores[est] = max(float(((g.mean(0) - e).abs() / (g.std(0) / 100_000**0.5)).max())
                        for g, e in [(g_m, exact_m), (g_ls, exact_ls)])
    print(f"{est:9s} mean ∇_m {np.round(g_m.mean(0).numpy(), 3)}  mean ∇_log s {np.round(g_ls.mean(0).numpy(), 3)}")

# %%
# NBVAL_CHECK_OUTPUT
for est in meanfield.ESTIMATORS:
    check(f"{est} estimator, largest |mean − exact| in standard errors", z_scores[est], at_most=3.0, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Its variance
#
# Unbiased is not enough: the estimator's variance sets how small the step size must be. Take
# $f(z) = z^2$, $q = \mathcal N(m, 1)$ at $m = 0$, and the gradient in $m$ (exactly $2m = 0$).
# The score-function sample is $f(z)(z - m) = z^3$, with variance $\mathbb E[z^6] = 15$.
#
# **Control variate.** Since $\mathbb E_q[\nabla_\beta\log q] = 0$, subtracting a baseline $b$
# keeps the estimator unbiased: $\mathbb E_q[(f(Z) - b)\nabla_\beta \log q]$. The best constant is
# $b^* = \mathbb E[f g^2]/\mathbb E[g^2]$ per coordinate ($g$ the score), here $b^* = 3$, leaving
# variance $\mathbb E[(z^2-3)^2 z^2] = 6$. `"score_cv"` estimates $b^*$ from the *other* samples
# (leave-one-out), so it stays independent of each sample and the estimator stays unbiased.
#
# **Reparametrization.** Writing $Z = m + s\varepsilon$ with $\varepsilon\sim\mathcal N(0, 1)$ moves
# $\beta$ inside $f$: $\nabla_m \mathbb E[f(m + s\varepsilon)] = \mathbb E[f'(m + s\varepsilon)]$,
# here $2z$, with variance 4. It needs $\nabla f$, which models written in PyTorch have for free.

# %%
one_d = lambda z: z[..., 0] ** 2
rel_err = {}
for est in meanfield.ESTIMATORS:
    g_m, _ = meanfield.gradient_samples(one_d, torch.zeros(1), torch.zeros(1), estimator=est, num_samples=400_000,
                                        generator=lk.utils.make_generator(2))
    closed = meanfield.square_variance(est)
    rel_err[est] = abs(float(g_m.var()) / closed - 1)
    print(f"{est:9s} per-sample variance {float(g_m.var()):5.1f}  closed form {closed:4.1f}")

# %%
# NBVAL_CHECK_OUTPUT
for est in meanfield.ESTIMATORS:
    check(f"{est} estimator, relative error of the variance against the closed form", rel_err[est], at_most=0.05)

# %% [markdown] slideshow={"slide_type": "slide"}
# The variance of the $S$-sample average falls like $1/S$ for every estimator; the constant is
# what differs. Points are empirical variances over 500 replicates, lines the closed forms over $S$:

# %%
sizes = [2, 5, 10, 20, 50, 100, 200, 500, 1000]
var = meanfield.variance_vs_samples(one_d, torch.zeros(1), torch.zeros(1), sizes, num_replicates=500,
                                    generator=lk.utils.make_generator(3))
fig, ax = plt.subplots(figsize=(5, 3.4))
for est, c, label in [("score", lk.viz.COLORS[1], "score function"), ("score_cv", lk.viz.COLORS[2], "score + baseline"),
                      ("reparam", lk.viz.COLORS[0], "reparametrization")]:
    ax.loglog(sizes, var[est], "o", color=c, label=label)
    ax.loglog(sizes, [meanfield.square_variance(est) / n for n in sizes], "-", color=c, lw=1)
ax.set_xlabel("number of samples S")
ax.set_ylabel("Var[ĝ_S]")
ax.set_title("f(z) = z², q = N(0, 1), gradient in m", fontsize=9)
ax.legend(frameon=False, fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: three parallel lines of slope −1. The score function needs about
# $15/4 \approx 4$ times as many samples as the reparametrization for the same variance; the
# baseline closes part of the gap (at small $S$ the leave-one-out baseline is itself noisy, so the
# green points sit above their line).
#
# ## Widget: the spread of the estimates
#
# The left panel is a histogram of 300 independent $S$-sample estimates, drawn as
# $\sqrt S(\hat g_S - \nabla)$ so that one axis fits every $S$; the right panel marks the current
# $S$ on the variance lines.
#
# * Move **S**: the histograms keep their width on the left (so the spread of $\hat g_S$ itself
#   shrinks like $1/\sqrt S$, as the right panel shows); at small $S$ the score function is
#   skewed and heavy-tailed, the reparametrized estimate is not.
# * Tick **control variate**: the score-function histogram (now green) narrows towards the blue one.

# %%
# NBVAL_IGNORE_OUTPUT
gv_app = gradient_variance()
gv_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Black-box VI on Bayesian logistic regression
#
# The breast-cancer data of scikit-learn: 569 tumours, 30 standardized features plus a bias, and
# labels $y_n\in\{0, 1\}$. The model is $w\sim\mathcal N(0, I)$, $y_n\mid w \sim \mathrm{Bernoulli}(\sigma(x_n^\top w))$,
# so $f(w) = \log p(y, w\mid x)$ has no conjugate posterior. We fit the 31-dimensional mean-field
# $q(w\mid\beta)$ with Adam, the same learning rate 0.05, $S = 10$ samples and the same 1,500 steps
# for each estimator; only the gradient of $\mathbb E_q[\log p]$ differs (the entropy gradient is
# exact). A fourth run gives the plain score function a learning rate ten times smaller, to tell
# its variance apart from a bias.

# %%
x, y = meanfield.breast_cancer()
log_p = meanfield.logistic_log_joint(x, y)
init = {"m": [0.0] * 31, "s": [0.1] * 31}


def fit_and_score(q, *, generator, **train):
    history = meanfield.fit_bbvi(log_p, q, generator=generator, **train)
    history.info["final_elbo"] = float(meanfield.elbo(log_p, q, num_samples=2000, generator=lk.utils.make_generator(1)).detach())
    return history


settings = {"score": ("score", 0.05), "score_cv": ("score_cv", 0.05), "reparam": ("reparam", 0.05),
            "score, lr 0.005": ("score", 0.005)}
runs = {name: cached("bbvi-breast-cancer", build=meanfield.FactorizedGaussian, model=init, fit=fit_and_score,
                     train={"estimator": est, "num_steps": 1500, "num_samples": 10, "lr": lr, "seed": 0},
                     data={"name": "breast_cancer", "standardized": True})
        for name, (est, lr) in settings.items()}
final = {name: h.info["final_elbo"] for name, (_, h) in runs.items()}
for name, value in final.items():
    print(f"{name:16s} final ELBO (2,000 samples) {value:8.1f} nats")

# %%
labels = {"score": "score function", "score_cv": "score + baseline", "reparam": "reparametrization",
          "score, lr 0.005": "score function, lr 10× smaller"}
colors = {"score": lk.viz.COLORS[1], "score_cv": lk.viz.COLORS[2], "reparam": lk.viz.COLORS[0],
          "score, lr 0.005": lk.viz.COLORS[4]}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for name, (_, h) in runs.items():
    trace = -np.convolve(h.loss, np.ones(25) / 25, mode="valid")
    steps = np.arange(len(trace)) + 25
    style = "--" if "lr" in name else "-"
    axes[0].plot(steps, trace, style, color=colors[name], label=labels[name])
    axes[1].plot(steps * h.seconds / len(h.loss), trace, style, color=colors[name], label=labels[name])
axes[0].set_xlabel("step")
axes[1].set_xlabel("seconds (this machine, at training time)")
axes[0].set_ylabel("ELBO (running mean of 25 steps)")
axes[0].set_ylim(-400, -50)
axes[0].legend(frameon=False, fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: with the same 1,500 steps and learning rate 0.05 the reparametrization (blue)
# climbs fastest and steadiest, to about −68 nats, and the baseline (green) follows closely, to
# about −71. The plain score function (orange) climbs to about −120 within 500 steps; then its
# noise swamps the signal, Adam's steps turn into a random walk, and the ELBO drifts down below
# −400. With a learning rate ten times smaller (dashed) the same estimator climbs steadily and is
# still rising at about −126 after 1,500 steps: its gradient is unbiased, and its variance is what
# forces the small steps. The right panel draws the same traces against the wall time of each
# training run (it depends on the machine and on what else ran at the time).

# %%
# NBVAL_CHECK_OUTPUT
check("final ELBO, reparametrization", final["reparam"], at_least=meanfield.BBVI_ELBO_RANGE[0],
      at_most=meanfield.BBVI_ELBO_RANGE[1], unit="nats", digits=1)
check("ELBO gained by the baseline over the plain score function", final["score_cv"] - final["score"], at_least=20.0,
      unit="nats", digits=1)
check("ELBO gained by the reparametrization over the baseline", final["reparam"] - final["score_cv"], at_least=0.0,
      unit="nats", digits=1)
q = runs["reparam"][0]
accuracy = float((((x @ q.m.detach()) > 0).double() == y).double().mean())
_ = check("training accuracy of the posterior mean", 100 * accuracy, at_least=95.0, unit="%", digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Mean-field VI maximizes $\mathrm{ELBO} = \mathbb E_q[\log p(x, z)] + H(q)$ over factorized $q$;
#   minimizing $\mathrm{KL}(q\,\|\,p)$ makes $q$ too narrow, with variance $1-\rho^2$ on a correlated Gaussian.
# * The score-function identity $\nabla_\beta \mathbb E_q f = \mathbb E_q[f\,\nabla_\beta\log q]$ gives an
#   unbiased gradient from evaluations of $f$ alone, at the price of high variance (15 against 4 per
#   sample for $f = z^2$); a baseline lowers it without bias.
# * The reparametrization $z = m + s\varepsilon$ uses $\nabla f$ and has much lower variance; it is
#   the gradient the VAE of notebook 04 trains with.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each function in the cell under the exercise, between the solution markers, then run the
# check cell: it compares your function with the reference on a few seeded inputs and prints one
# verdict line.
#
# All three exercises estimate $\nabla_\beta \mathbb E_q[f(Z)]$ for $q = \mathcal N(m, \mathrm{diag}\, s^2)$,
# $\beta = (m, \log s)$, from the same inputs: `f` maps samples (S, D) to values (S,), `m` and
# `log_s` have shape (D,), and `eps` (S, D) holds standard normal draws, so that the samples are
# $z_s = m + s \odot \varepsilon_s$. Return the pair `(g_m, g_log_s)` of $S$-sample averages, each (D,).
#
# > **Exercise 3.1 (score function).** Return
# > $\frac1S\sum_s f(z_s)\,\nabla_\beta \log q(z_s\mid\beta)$ with
# > $\nabla_m \log q = (z-m)/s^2$ and $\nabla_{\log s}\log q = (z-m)^2/s^2 - 1$. Evaluate $f$ only.

# %%
def score_gradient(f, m, log_s, eps):
    ### BEGIN SOLUTION
    s = log_s.exp()
    z = m + s * eps
    fz = f(z)[:, None]  # (S, 1)
    return (fz * (z - m) / s**2).mean(0), (fz * ((z - m) ** 2 / s**2 - 1)).mean(0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("3.1", score_gradient)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 3.2 (reparametrization).** Return $\frac1S\sum_s \nabla_\beta f(m + s\odot\varepsilon_s)$:
# > by the chain rule, $\nabla_m = \nabla_z f$ and $\nabla_{\log s} = \nabla_z f \odot s \odot \varepsilon$.
# > Get $\nabla_z f$ from `torch.autograd.grad` (summing `f` over samples gives every per-sample
# > gradient at once).

# %%
def reparam_gradient(f, m, log_s, eps):
    ### BEGIN SOLUTION
    s = log_s.exp()
    z = (m + s * eps).requires_grad_(True)
    (grad_z,) = torch.autograd.grad(f(z).sum(), z)
    return grad_z.mean(0), (grad_z * s * eps).mean(0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("3.2", reparam_gradient)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 3.3 (leave-one-out baseline).** As Exercise 3.1, but subtract from each $f(z_s)$ the
# > baseline $b_s = \sum_{j\ne s} f(z_j)\, g_j^2 \big/ \sum_{j\ne s} g_j^2$, computed separately for
# > each coordinate and for each of the two scores $g$ ($\nabla_m\log q$ and $\nabla_{\log s}\log q$):
# > return $\frac1S\sum_s (f(z_s) - b_s)\, g_s$. Compute the sums over $j \ne s$ as the full sum
# > minus the $s$-th term, without a loop over samples.

# %%
def score_cv_gradient(f, m, log_s, eps):
    ### BEGIN SOLUTION
    s = log_s.exp()
    z = m + s * eps
    fz = f(z)[:, None]
    out = []
    for g in ((z - m) / s**2, (z - m) ** 2 / s**2 - 1):
        g2 = g**2
        b = ((fz * g2).sum(0) - fz * g2) / (g2.sum(0) - g2)  # (S, D), leave-one-out
        out.append(((fz - b) * g).mean(0))
    return tuple(out)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("3.3", score_cv_gradient)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Going further
#
# * Derive the optimal mean-field $q$ for a 2-D Gaussian target with unequal variances
#   $\sigma_1^2, \sigma_2^2$ and correlation $\rho$, and check it with `meanfield.cavi_gaussian`.
# * Show that $\mathbb E_q[\nabla_\beta \log q(Z\mid\beta)] = 0$ and use it to prove that any
#   baseline $b$ independent of $Z$ leaves the score-function estimator unbiased. Why would using
#   the same sample $z_s$ in $b_s$ and in the estimate introduce a bias?
# * Re-run the BBVI comparison with $S = 1$ and $S = 100$ samples per step. How do the gaps
#   between the three traces change, and how does the time per step change?
#
# ## References
#
# * Paisley, Blei & Jordan (2012). Variational Bayesian inference with stochastic search. *ICML*.
# * Ranganath, Gerrish & Blei (2014). Black box variational inference. *AISTATS*.
# * Williams (1992). Simple statistical gradient-following algorithms for connectionist reinforcement learning.
# * Kingma & Welling (2014). Auto-encoding variational Bayes. *ICLR*.
# * Blei, Kucukelbir & McAuliffe (2017). Variational inference: a review for statisticians. *JASA*.
# * Bishop (2006). *Pattern Recognition and Machine Learning*, §10.1.
