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
# # 01 · EM and the variational bound
#
# A latent-variable model explains each observation $x_n$ through a hidden $z_n$. Its
# log-likelihood $\log p(X\mid\theta)=\sum_n \log \sum_{z_n} p(x_n, z_n\mid\theta)$ has a sum
# inside the log, which is what makes it hard. In this notebook you will see the lower bound
# $\mathcal{L}(q,\theta)$ that EM climbs, check the identity
# $\log p = \mathcal{L} + \mathrm{KL}$ numerically, watch the E-step close the gap and the M-step
# raise the bound, and move a slider to see the bound touch the log-likelihood.
#
# **Notation.** $x$ data, $z$ hidden component labels, $\theta = (\pi, \mu, \Sigma)$ the model
# parameters, $q(Z)$ any distribution over the hidden variables, $\mathcal{L}(q, \theta)$ the
# lower bound, $H(q)$ its entropy, $\mathrm{KL}$ the Kullback–Leibler divergence. Logs are natural
# (nats).

# %%
import matplotlib.pyplot as plt
import torch

import lecturekit as lk
from lecturekit import em, viz
from lecturekit.claims import check
from lecturekit.widgets.em import bound_touches

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A mixture of Gaussians
#
# Our model has $K = 3$ components: $z_n \sim \mathrm{Categorical}(\pi)$ and
# $x_n \mid z_n = k \sim \mathcal{N}(\mu_k, \Sigma_k)$, so that
# $p(x_n, z_n = k \mid \theta) = \pi_k\, \mathcal{N}(x_n\mid\mu_k,\Sigma_k)$ with
# $\theta = (\pi, \mu, \Sigma)$. We draw 300 points from a known mixture and forget the labels.

# %%
true_theta = em.MixtureParams(
    weights=torch.tensor([0.35, 0.40, 0.25], dtype=torch.float64),
    means=torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, 4.0]], dtype=torch.float64),
    covariances=torch.tensor([[[0.8, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 0.9]], [[1.0, 0.0], [0.0, 0.3]]],
                             dtype=torch.float64),
)
x, z = em.sample_mixture(true_theta, 300, generator=lk.utils.make_generator(0))
fig, ax = plt.subplots(figsize=(4, 3.4))
for k in range(3):
    ax.scatter(*x[z == k].T, s=6, color=viz.COLORS[k], label=f"z = {k}")
ax.set_title("300 draws; EM sees only the points")
ax.legend(frameon=False, fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Jensen's inequality and the bound
#
# For any distribution $q(Z)$ over the hidden variables, multiply and divide by $q$ inside the
# sum and use the concavity of $\log$ (Jensen's inequality):
#
# $$
# \log p(X\mid\theta) = \log \sum_Z q(Z)\,\frac{p(X, Z\mid\theta)}{q(Z)}
# \;\ge\; \sum_Z q(Z) \log \frac{p(X, Z\mid\theta)}{q(Z)}
# = \underbrace{\mathbb{E}_q[\log p(X, Z\mid\theta)] + H(q)}_{\mathcal{L}(q,\theta)} .
# $$
#
# The gap is exactly a KL divergence to the posterior:
#
# $$
# \log p(X\mid\theta) = \mathcal{L}(q,\theta) + \mathrm{KL}\big(q(Z)\,\|\,p(Z\mid X,\theta)\big).
# $$
#
# `em.lower_bound` computes $\mathcal{L}$ and `em.kl_posterior` the KL, each from its own
# formula. For a random $q$ and random $\theta$ their sum should equal `em.log_likelihood`
# to rounding error:

# %%
g = lk.utils.make_generator(1)
theta = em.init_params(x, 3, generator=g)
q = torch.softmax(3 * lk.utils.randn((300, 3), generator=g, dtype=torch.float64), dim=1)
log_p = em.log_likelihood(x, theta)
L, kl = em.lower_bound(x, q, theta), em.kl_posterior(x, q, theta)
print(f"log p = {log_p:.4f},  L = {L:.4f},  KL = {kl:.4f}")

# %%
# NBVAL_CHECK_OUTPUT
check("|log p − (L + KL)|, random q and θ", abs(float(log_p - (L + kl))), at_most=1e-8, unit="nats", digits=1)
_ = check("KL(q ‖ posterior), random q", float(kl), at_least=0.0, unit="nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## EM: coordinate ascent on $\mathcal{L}$
#
# * **E-step**: with $\theta_{\text{old}}$ fixed, the best $q$ makes the KL zero:
#   $q(z_n = k) = p(z_n = k \mid x_n, \theta_{\text{old}})$, the *responsibilities*.
#   The bound now touches $\log p(X\mid\theta_{\text{old}})$.
# * **M-step**: with $q$ fixed, maximize $\mathcal{L}(q, \theta)$ over $\theta$; the entropy does
#   not depend on $\theta$, so this maximizes $\mathbb{E}_q[\log p(X, Z\mid\theta)]$. With
#   $q = p(Z\mid X, \theta_{\text{old}})$ this expectation is the slides'
#   $Q(\theta, \theta_{\text{old}})$. For the mixture the maximizer is in closed form:
#   $N_k = \sum_n q_{nk}$, $\pi_k = N_k/N$, $\mu_k = \frac{1}{N_k}\sum_n q_{nk} x_n$,
#   $\Sigma_k = \frac{1}{N_k}\sum_n q_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top$.
#
# Each half-step can only raise $\mathcal{L}$, and after each E-step $\mathcal{L} = \log p$, so
# the log-likelihood never decreases. `GaussianMixture` records all three quantities at every
# half-step.

# %%
init = em.init_params(x, 3, generator=lk.utils.make_generator(3))
gmm = em.GaussianMixture(n_components=3, max_iter=200, tol=1e-10).fit(x, init)
print(f"converged after {gmm.n_iter_} iterations: {gmm.converged_}")
print(" step   log p(X|θ)    L(q,θ)       KL")
for h in gmm.history_[1:17]:
    print(f"  {h['step']}{h['iteration']:<3} {h['log_likelihood']:11.3f} {h['lower_bound']:11.3f} {max(h['kl'], 0.0):9.3f}")

# %%
# NBVAL_CHECK_OUTPUT
ll = gmm.log_likelihoods_
check("largest drop of log p between EM iterations", max(a - b for a, b in zip(ll, ll[1:])), at_most=1e-9,
      unit="nats", digits=1)
_ = check("KL gap right after each E-step (largest)", max(abs(h["kl"]) for h in gmm.history_ if h["step"] == "E"),
      at_most=1e-8, unit="nats", digits=1)

# %%
fig, (ax, ax_gap) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [2, 1]})
viz.em_trace(ax, [h for h in gmm.history_ if 2 <= h["iteration"] <= 10])
ax.set_title("E-steps close the gap (KL = 0); M-steps raise the bound")
viz.em_gap(ax_gap, [h for h in gmm.history_ if h["iteration"] <= 10])
ax_gap.set_title("the gap after each M-step")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: the table above shows the first M-step jumping from −1431 to −1161 nats,
# so the left panel starts at iteration 2, where the half-steps are a few nats apart. There the
# solid log-likelihood and the dashed bound meet at every E-step, and after every M-step the
# bound lies below the log-likelihood by the gap of the right panel. That gap (log scale) is
# 10.8 nats after the first M-step and shrinks to 0.7 nats at M4 while EM crawls along a plateau,
# gaining one or two nats per iteration. From M6 to M10 the log-likelihood climbs another 45 nats
# as the mixture escapes the plateau, and the gap grows back to 8 nats at M8 before it shrinks
# again. Monotone does not mean fast: EM can crawl for several iterations before such a rise.
#
# ## Widget: the bound touches
#
# The left panel shows the data coloured by $q$ (a mix of the three component colours) and the
# $2\sigma$ ellipse of each component. The right panel varies a single parameter, the first
# coordinate $v$ of the mean $\mu_0$, holding the rest of $\theta$ and the distribution $q$ fixed,
# and draws $\log p(X\mid\theta(v))$ (solid) and $\mathcal{L}(q,\theta(v))$ (dashed).
#
# * Move **μ[0,0]**: the bound stays below the log-likelihood everywhere, and after an E-step it
#   touches at the current value $\theta_{\text{old}}$ (the gap in the title is 0).
# * Move **EM step** forward: after an M-step the dashed curve peaks at the new value while the
#   solid curve sits above it by the KL; the next E-step lifts the bound to touch again.
# * The checkbox **reset μ to θ at each step** moves the μ[0,0] slider to the current θ whenever
#   the EM step changes; untick it to keep your own value while stepping.
#
# The right panel's vertical axis is relative: nats below the peak of $\log p$ on the plotted
# range, so the curves keep their place when the step changes.

# %%
# NBVAL_IGNORE_OUTPUT
app = bound_touches(x, gmm)
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same answer as scikit-learn
#
# `sklearn.mixture.GaussianMixture` implements the same algorithm. Started from the same
# parameters with the same tolerance and covariance regularization, both reach the same
# log-likelihood per point.

# %%
import numpy as np
from sklearn.mixture import GaussianMixture as SkGaussianMixture

sk = SkGaussianMixture(3, tol=1e-10, max_iter=200, weights_init=init.weights.numpy(),
                       means_init=init.means.numpy(), precisions_init=np.linalg.inv(init.covariances.numpy())).fit(x.numpy())
ours, theirs = gmm.score(x), sk.score(x.numpy())
print(f"lecturekit: {ours:.6f} nats per point;  scikit-learn: {theirs:.6f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("|lecturekit − scikit-learn| log-likelihood per point", abs(ours - theirs), at_most=1e-6, unit="nats", digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * $\log p(X\mid\theta) = \mathcal{L}(q,\theta) + \mathrm{KL}(q\,\|\,p(Z\mid X,\theta))$ for every $q$:
#   the bound is tight exactly at the posterior.
# * EM alternates an E-step ($q \leftarrow$ posterior, closing the gap) and an M-step
#   ($\theta \leftarrow \arg\max_\theta \mathcal{L}$), so the log-likelihood never decreases.
# * When the posterior is intractable, we restrict $q$ to a family and maximize $\mathcal{L}$
#   over it: variational inference, the subject of the next notebooks.
#
# ## Exercises
#
# Write each function in the cell under the exercise, between the solution markers, then run the
# check cell: it compares your function with the reference on a few seeded inputs and prints one
# verdict line.
#
# > **Exercise 1.1 (E-step).** Given `x` (N, D) and `theta` (a `MixtureParams` with `weights`,
# > `means`, `covariances`), return the (N, K) responsibilities
# > $q_{nk} = \pi_k \mathcal{N}(x_n\mid\mu_k,\Sigma_k) / \sum_j \pi_j \mathcal{N}(x_n\mid\mu_j,\Sigma_j)$.
# > Work in log space: `torch.distributions.MultivariateNormal(...).log_prob` and `torch.softmax`.

# %%
def e_step(x, theta):
    ### BEGIN SOLUTION
    gauss = torch.distributions.MultivariateNormal(theta.means, covariance_matrix=theta.covariances)
    log_joint = theta.weights.log() + gauss.log_prob(x[:, None, :])  # (N, K)
    return torch.softmax(log_joint, dim=1)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("1.1", e_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 1.2 (the bound).** Given `x`, responsibilities `q` (N, K) and `theta`, return the
# > scalar $\mathcal{L}(q,\theta) = \sum_{n,k} q_{nk}\big(\log \pi_k + \log\mathcal{N}(x_n\mid\mu_k,\Sigma_k) - \log q_{nk}\big)$.
# > Mind $0 \log 0 = 0$ (`torch.special.xlogy`).

# %%
def lower_bound(x, q, theta):
    ### BEGIN SOLUTION
    gauss = torch.distributions.MultivariateNormal(theta.means, covariance_matrix=theta.covariances)
    log_joint = theta.weights.log() + gauss.log_prob(x[:, None, :])
    return (q * log_joint).sum() - torch.special.xlogy(q, q).sum()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("1.2", lower_bound)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 1.3 (M-step).** Given `x` and `q`, return `em.MixtureParams(weights, means,
# > covariances)` from the closed-form updates above (no regularization of the covariances).
# > Then, as a thought experiment: why can the M-step never lower $\mathcal{L}(q,\theta)$?

# %%
def m_step(x, q):
    ### BEGIN SOLUTION
    nk = q.sum(0)
    means = q.T @ x / nk[:, None]
    diff = x[None] - means[:, None]  # (K, N, D)
    covariances = torch.einsum("nk,kni,knj->kij", q, diff, diff) / nk[:, None, None]
    return em.MixtureParams(nk / len(x), means, covariances)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("1.3", m_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# * Dempster, Laird & Rubin (1977). Maximum likelihood from incomplete data via the EM algorithm.
# * Neal & Hinton (1998). A view of the EM algorithm that justifies incremental, sparse, and other variants.
# * Bishop (2006). *Pattern Recognition and Machine Learning*, §9.2–9.4.
