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
# # 02 · Exponential families and conjugate duality
#
# Variational inference rests on one piece of convex analysis: the log-partition function
# $A(\theta)$ of an exponential family and its convex conjugate $A^*(\mu)$. In this notebook you
# will check numerically that $\nabla A(\theta)$ is the mean of the sufficient statistic, that
# $A^*$ is the negative entropy, and that $A(\theta)$ can be written as a maximization over mean
# parameters, the *variational representation* that mean-field methods approximate. A widget
# draws $A$ and $A^*$ side by side with their tangents.
#
# **Notation.** $\phi(x)$ the sufficient statistic, $h(x)$ the base measure, $\theta$ the canonical
# parameter, $A(\theta)$ the **log**-partition function (so $\nabla A = \mu$; notebook 06 writes
# the partition function itself as $Z = e^{A}$), $\mu$ the mean parameter, $A^*$ the convex
# conjugate, $H$ the entropy, $\Omega$ the domain of $A$ and $\mathcal M$ the set of realizable means.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import lecturekit as lk
from lecturekit import expfam
from lecturekit.claims import check
from lecturekit.widgets.expfam import conjugate_duality

lk.seed(0)
device = lk.get_device()
print("device:", device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The family
#
# An exponential family in canonical form has density
#
# $$
# p_\theta(x) = h(x)\,\exp\big(\langle\theta, \phi(x)\rangle - A(\theta)\big),
# \qquad A(\theta) = \log \int h(x)\, e^{\langle\theta, \phi(x)\rangle}\,dx ,
# $$
#
# with sufficient statistic $\phi$, base measure $h$, canonical parameter $\theta$ and domain
# $\Omega = \{\theta : A(\theta) < \infty\}$. `lecturekit.expfam` implements five families:
#
# | family | $\phi(x)$ | $A(\theta)$ | $\Omega$ |
# |---|---|---|---|
# | Bernoulli | $x$ | $\log(1+e^\theta)$ | $\mathbb{R}$ |
# | Categorical ($K$) | $(\mathbb 1[x=k])_{k=1}^{K-1}$ | $\log(1+\sum_k e^{\theta_k})$ | $\mathbb{R}^{K-1}$ |
# | Poisson ($h = 1/x!$) | $x$ | $e^\theta$ | $\mathbb{R}$ |
# | Exponential | $x$ | $-\log(-\theta)$ | $(-\infty, 0)$ |
# | Gaussian | $(x, x^2)$ | $-\frac{\theta_1^2}{4\theta_2} - \frac12\log(-2\theta_2) + \frac12\log 2\pi$ | $\mathbb{R}\times(-\infty,0)$ |
#
# A $\theta$ outside $\Omega$ is an error, not a silent NaN:

# %%
# NBVAL_CHECK_OUTPUT
families = [expfam.Bernoulli(), expfam.Categorical(3), expfam.Poisson(), expfam.Exponential(), expfam.Gaussian()]
for fam in families:
    print(f"{fam.name:15s} dim θ = {fam.dim},  Ω = {fam.omega}")
try:
    expfam.Exponential().log_partition(0.5)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The log-partition function generates the moments
#
# Differentiating under the integral,
#
# $$
# \nabla A(\theta) = \frac{\int \phi(x)\, h(x)\, e^{\langle\theta,\phi(x)\rangle}dx}{\int h(x)\, e^{\langle\theta,\phi(x)\rangle}dx}
# = \mathbb{E}_\theta[\phi(X)] =: \mu ,
# \qquad \nabla^2 A(\theta) = \mathrm{Cov}_\theta[\phi(X)] \succeq 0 ,
# $$
#
# so $A$ is convex and its gradient, the *mean map*, sends canonical parameters $\theta$ to mean
# parameters $\mu$. Each family has $\mu$ in closed form (`fam.mean`); `expfam.mean_autograd`
# differentiates `fam.log_partition` instead, and a Monte Carlo average of $\phi$ over $10^5$
# draws from $p_\theta$ is a third, independent estimate.

# %%
thetas = {"Bernoulli": [0.7], "Categorical(3)": [1.0, -0.5], "Poisson": [0.4], "Exponential": [-1.5], "Gaussian": [0.5, -0.8]}
auto_err, mc_err = [], []
for fam in families:
    theta = torch.tensor(thetas[fam.name], dtype=torch.float64)
    mu, mu_auto = fam.mean(theta), expfam.mean_autograd(fam, theta)
    torch.manual_seed(0)  # torch.distributions samples from the global RNG
    mc = fam.sufficient_statistic(fam.distribution(theta).sample((100_000,))).mean(0)
    auto_err.append(float((mu - mu_auto).abs().max()))
    mc_err.append(float(((mc - mu).abs() / mu.abs().clamp_min(1)).max()))
    print(f"{fam.name:15s} μ = {np.round(mu.numpy(), 3)}   Monte Carlo {np.round(mc.numpy(), 3)}")

# %%
# NBVAL_CHECK_OUTPUT
check("largest |closed-form μ − autograd ∇A|", max(auto_err), at_most=1e-12, digits=1)
_ = check("largest relative error of the Monte Carlo means (10⁵ draws)", max(mc_err), at_most=0.03, digits=3)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Conjugate duality
#
# The convex conjugate (Legendre–Fenchel transform) of $A$ is
#
# $$
# A^*(\mu) = \sup_{\theta\in\Omega}\; \langle\theta,\mu\rangle - A(\theta).
# $$
#
# The supremum is attained where $\mu = \nabla A(\theta)$: the conjugate is evaluated by
# inverting the mean map, $\theta(\mu) = (\nabla A)^{-1}(\mu)$, and then $\nabla A^*(\mu) = \theta$.
# For a minimal, regular family (all five here are) the two gradients are inverse maps between
# $\Omega$ and the interior of the set of realizable means $\mathcal M$. `fam.conjugate` is the closed form; `expfam.conjugate(fam, mu)` solves the
# supremum numerically by damped Newton steps on $\theta$, using only $A$.

# %%
print(f"{'family':15s} {'A*(μ) closed':>14s} {'A*(μ) numeric':>14s}")
gaps = []
for fam in families:
    mu = fam.mean(torch.tensor(thetas[fam.name], dtype=torch.float64))
    closed, numeric = float(fam.conjugate(mu)), float(expfam.conjugate(fam, mu))
    gaps.append(abs(closed - numeric))
    print(f"{fam.name:15s} {closed:14.6f} {numeric:14.6f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("largest |closed-form A*(μ) − Newton's sup|", max(gaps), at_most=1e-6, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# For the one-dimensional families the picture is the classical one: the tangent to $A$ at
# $\theta$ has slope $\mu$ and intercept $-A^*(\mu)$ (dashed), because
# $A(\theta) + A^*(\mu) = \theta\mu$ exactly at matched parameters (the Fenchel–Young equality).

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
# (family, θ range of A inside Ω, θ range of the tangent line (reaching θ = 0), θ₀)
panels = [(families[2], (-2, 2), (-2, 2), 0.5), (families[3], (-4, -0.25), (-4, 0.3), -1.0),
          (families[0], (-4, 4), (-4, 4), 1.0)]
for ax, (fam, (lo, hi), (tlo, thi), t0) in zip(axes, panels):
    th = torch.linspace(lo, hi, 200, dtype=torch.float64)
    ax.plot(th, fam.log_partition(th.unsqueeze(-1)), lw=2, label="A(θ)")
    t0 = torch.tensor([t0], dtype=torch.float64)
    mu0, a0, a_star = fam.mean(t0), fam.log_partition(t0), fam.conjugate(fam.mean(t0))
    tl = torch.linspace(tlo, thi, 2, dtype=torch.float64)
    ax.plot(tl, mu0 * tl - a_star, "--k", lw=1, label="tangent μθ − A*(μ)")
    ax.plot([float(t0)], [float(a0)], "o", color="C3", ms=6, label="touches at θ₀")
    ax.plot([0.0], [-float(a_star)], "s", color="C2", ms=6, label="at θ = 0: −A*(μ)")
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_title(f"{fam.name}: μ = {float(mu0):.2f}, A*(μ) = {float(a_star):.2f}", fontsize=10)
    ax.set_xlabel("θ")
axes[0].legend(frameon=False, fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: in each panel the dashed tangent touches $A$ at the red dot $\theta_0$ and
# stays below $A$ everywhere else; at $\theta = 0$ (the grey line) it passes through the green
# square at height $-A^*(\mu)$. For the Exponential, $\theta = 0$ lies outside $\Omega$, where $A$
# is not drawn, but the tangent line is still defined there and reads off the same value.
#
# ## $A^*$ is the negative entropy
#
# At $\mu = \nabla A(\theta)$, the supremum gives
# $A^*(\mu) = \langle\theta,\mu\rangle - A(\theta) = \mathbb E_\theta[\log p_\theta(X) - \log h(X)]$, that is
#
# $$
# A^*(\mu) = -H(p_{\theta(\mu)}) - \mathbb{E}_{\theta}[\log h(X)] ,
# $$
#
# the negative entropy relative to the base measure. For Bernoulli, Categorical, Exponential and
# our Gaussian ($h\equiv 1$, the $2\pi$ lives in $A$) it is exactly $-H$; for the Poisson,
# $h(x) = 1/x!$ and the extra term is $\mathbb E[\log X!]$. `fam.entropy` computes $H$ from the
# distribution alone (closed forms, and a convergent series for the Poisson):

# %%
print(f"{'family':15s} {'A*(μ)':>10s} {'-H(p_θ)':>10s} {'-E log h':>10s}")
residuals = []
for fam in families:
    theta = torch.tensor(thetas[fam.name], dtype=torch.float64)
    a_star, h, base = float(fam.conjugate(fam.mean(theta))), float(fam.entropy(theta)), float(fam.expected_log_base(theta))
    residuals.append(abs(a_star + h + base))
    print(f"{fam.name:15s} {a_star:10.5f} {-h:10.5f} {-base + 0.0:10.5f}")

# %%
# NBVAL_CHECK_OUTPUT
_ = check("largest |A*(μ) + H(p_θ) + E log h(X)|", max(residuals), at_most=1e-6, digits=1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The variational representation
#
# $A$ is convex and lower semicontinuous, so it equals its biconjugate, $A^{**} = A$:
#
# $$
# A(\theta) = \sup_{\mu\in\mathcal M}\; \langle\theta,\mu\rangle - A^*(\mu)
# = \sup_{\mu\in\mathcal M}\; \langle\theta,\mu\rangle + H(p_{\theta(\mu)}) + \mathbb E_{\theta(\mu)}[\log h(X)] ,
# $$
#
# which reads $\sup_\mu \langle\theta,\mu\rangle + H$ when $h \equiv 1$ (every family here but the
# Poisson), and the maximizer is $\mu = \nabla A(\theta)$. Computing the log-partition function, the hard
# part of inference, is an optimization over mean parameters. For graphical models both
# $\mathcal M$ and $A^*$ are intractable; *mean-field* methods replace $\mathcal M$ by the means of
# factorized distributions (an inner approximation, hence a lower bound on $A$): notebook 03.
# `expfam.variational_log_partition` performs the maximization numerically:

# %%
sup_gaps, argmax_gaps = [], []
for fam in families:
    theta = torch.tensor(thetas[fam.name], dtype=torch.float64)
    value, mu_star = expfam.variational_log_partition(fam, theta)
    a = float(fam.log_partition(theta))
    sup_gaps.append(abs(a - float(value)))
    argmax_gaps.append(float((mu_star - fam.mean(theta)).abs().max()))
    print(f"{fam.name:15s} A(θ) = {a:.6f}  sup_μ = {float(value):.6f}")

# %%
# NBVAL_CHECK_OUTPUT
check("largest |A(θ) − sup_μ ⟨θ,μ⟩ − A*(μ)|", max(sup_gaps), at_most=1e-6, digits=1)
_ = check("largest |argmax μ − ∇A(θ)|", max(argmax_gaps), at_most=1e-6, digits=1)

# %%
fam, theta = expfam.Bernoulli(), torch.tensor([0.7], dtype=torch.float64)
mus = torch.linspace(0.001, 0.999, 300, dtype=torch.float64).unsqueeze(-1)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(mus[:, 0], theta * mus[:, 0] - fam.conjugate(mus), lw=2, label="θμ − A*(μ) = θμ + H(μ)")
ax.axhline(float(fam.log_partition(theta)), color="k", ls="--", lw=1, label="A(θ)")
ax.axvline(float(fam.mean(theta)), color="0.5", lw=1, label="μ = σ(θ)")
ax.set_xlabel("μ")
ax.set_title("Bernoulli, θ = 0.7: the sup over μ is A(θ)", fontsize=9)
ax.legend(frameon=False, fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Reading the figure: the objective is concave in $\mu$, and its peak sits at $\mu = \sigma(\theta)$
# at height exactly $A(\theta)$.
#
# ## Widget: $A$ and $A^*$ side by side
#
# The left panel draws $A(\theta)$ with its tangent of slope $\mu = \nabla A(\theta)$; the right
# panel draws $A^*(\mu)$ at the matched $\mu$ with its tangent of slope $\theta$. The readout
# prints $A^*(\mu)$ next to $-H(p_\theta)$, computed independently.
#
# * Move **θ₁**: the two points move together; steep tangents on one side mean far-out points on
#   the other (the gradients are inverse maps). The readout's $A^*(\mu)$ and $-H$ agree to every
#   printed digit for the Bernoulli and the Exponential; for the Poisson ($h = 1/x!$) the readout
#   adds $-\mathbb E_\theta[\log h]$, and $A^*(\mu) = -H - \mathbb E_\theta[\log h]$ agrees instead.
# * Pick **family** = Gaussian or Categorical(3): both functions become contour plots over two
#   parameters. The arrow is the gradient ($\mu$ on the left, $\theta$ on the right) and the dashed
#   line the tangent to the level set (the arrow is shortened near an edge so that it stays in the
#   panel). Move **θ₂** towards its upper end: the variance grows, and $\mu$ moves away from the
#   boundary parabola $\mu_2 = \mu_1^2$ of $\mathcal M$.

# %%
# NBVAL_IGNORE_OUTPUT
app = conjugate_duality("Bernoulli")
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * $A(\theta)$ is convex and $\nabla A(\theta) = \mathbb E_\theta[\phi(X)] = \mu$: the mean map.
# * Its conjugate $A^*(\mu) = \sup_\theta \langle\theta,\mu\rangle - A(\theta)$ is the negative
#   entropy (relative to $h$), and $\nabla A^*$ inverts the mean map.
# * $A(\theta) = \sup_{\mu\in\mathcal M} \langle\theta,\mu\rangle - A^*(\mu)$: computing a
#   log-partition function is an optimization problem. Restricting $\mu$ to a tractable subset
#   gives a lower bound: the mean-field method of the next notebook.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each function in the cell under the exercise, between the solution markers, then run the
# check cell: it compares your function with the reference on a few seeded inputs and prints one
# verdict line.
#
# > **Exercise 2.1 (Bernoulli log-partition and mean map).** Given a vector `theta` (N,) of
# > canonical parameters, return the pair `(A, mu)`, each (N,): $A(\theta) = \log(1 + e^\theta)$
# > and $\mu = A'(\theta) = \sigma(\theta)$. The check includes $\theta = \pm 800$, where
# > `torch.exp` overflows: use `torch.nn.functional.softplus` and `torch.sigmoid`.

# %%
def bernoulli_log_partition_and_mean(theta):
    ### BEGIN SOLUTION
    return torch.nn.functional.softplus(theta), torch.sigmoid(theta)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("2.1", bernoulli_log_partition_and_mean)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 2.2 (the Categorical conjugate).** Given mean parameters `mu` (N, K−1) of the
# > Categorical($K$) family in minimal form (class 0 is the reference, $\mu_0 = 1 - \sum_k \mu_k$),
# > return $A^*(\mu) = \sum_{k=0}^{K-1} \mu_k \log \mu_k$, shape (N,): derive it as
# > $\langle\theta(\mu),\mu\rangle - A(\theta(\mu))$ with $\theta_k = \log(\mu_k/\mu_0)$, and see the
# > negative entropy appear. Some $\mu_k$ are tiny: `torch.xlogy` keeps $0\log 0 = 0$.

# %%
def categorical_conjugate(mu):
    ### BEGIN SOLUTION
    mu0 = 1 - mu.sum(-1)
    return torch.xlogy(mu, mu).sum(-1) + torch.xlogy(mu0, mu0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("2.2", categorical_conjugate)

# %% [markdown] slideshow={"slide_type": "slide"}
# > **Exercise 2.3 (the Legendre transform by Newton's method).** Given a one-dimensional family
# > `fam` with $\Omega = \mathbb R$ (the check uses Bernoulli and Poisson) and a mean `mu` of
# > shape (1,), return the scalar $A^*(\mu) = \sup_\theta \theta\mu - A(\theta)$ using only
# > `fam.log_partition`: start at $\theta = 0$ and take Newton steps
# > $\theta \leftarrow \theta - (A'(\theta) - \mu)/A''(\theta)$, with $A'$ and $A''$ from
# > `torch.autograd.grad` (`create_graph=True` for the second derivative). About 100 steps reach
# > float64 precision for every case, even the slow start of the Poisson at $\mu = 20$.

# %%
def conjugate_newton(fam, mu, num_steps=100):
    ### BEGIN SOLUTION
    theta = torch.zeros(1, dtype=torch.float64)
    for _ in range(num_steps):
        t = theta.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(fam.log_partition(t), t, create_graph=True)
        (hess,) = torch.autograd.grad(grad.sum(), t)
        theta = (theta - (grad.detach() - mu) / hess).detach()
    return theta @ mu - fam.log_partition(theta)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
lk.homework.check("2.3", conjugate_newton)

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Going further
#
# * Check numerically that $\nabla^2 A(\theta)$ (use `torch.autograd.functional.hessian` on
#   `fam.log_partition`) equals the covariance of $\phi(X)$ under $p_\theta$, estimated from
#   samples of `fam.distribution(theta)`.
# * Write the Poisson family with $h \equiv 1$ on $\{0, 1, 2, \dots\}$ instead (the geometric
#   distribution). What changes in $A$, in $\Omega$ and in the identity $A^* = -H$?
# * Why does the plain Newton iteration of Exercise 2.3 fail for the Exponential family, whose
#   $\Omega = (-\infty, 0)$ excludes the starting point? How does `expfam.conjugate` avoid it?
#
# ## References
#
# * Wainwright & Jordan (2008). Graphical models, exponential families, and variational
#   inference. *Foundations and Trends in Machine Learning* 1(1–2), §3.
# * Boyd & Vandenberghe (2004). *Convex Optimization*, §3.3 (conjugates) and §9.5 (Newton's method).
# * Rockafellar (1970). *Convex Analysis*, §12 and §26.
