"""Widgets for notebook 03: the mean-field variance underestimate and gradient-estimator variance.

* :func:`meanfield_gaussian`: a slider on the correlation ρ of a 2-D Gaussian p shows p's contours
  and the optimal factorized q = argmin KL(q‖p), whose variances shrink to 1 − ρ².
* :func:`gradient_variance`: a slider on the number of samples S and a control-variate toggle show
  the histogram of S-sample estimates of ∂/∂m E[Z²] around the exact gradient, and where S sits on
  the variance-against-S lines of the three estimators.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from .. import meanfield
from ..utils import check_float, check_int, check_nonnegative_int, make_generator
from ..viz import COLORS, gaussian_ellipse
from ._base import FigureApp

__all__ = ["MeanFieldGaussian", "meanfield_gaussian", "GradientVariance", "gradient_variance"]


def _set_ellipse(ell, mean, cov, n_std):
    vals, vecs = np.linalg.eigh(cov)
    ell.set_center(mean)
    ell.width, ell.height = 2 * n_std * np.sqrt(np.maximum(vals[::-1], 0))
    ell.angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))


class MeanFieldGaussian(FigureApp):
    figsize = (8.5, 3.8)
    frame_cache_mb = 4.0  # 39 values of ρ

    def __init__(self, rho: float = 0.8):
        rho = check_float("rho", rho, low=-0.95, high=0.95)  # the slider's range: it would clamp silently
        slider = widgets.FloatSlider(value=rho, min=-0.95, max=0.95, step=0.05, description="ρ",
                                     readout_format=".2f")
        super().__init__({"rho": slider})

    def setup(self, fig):
        self.ax, self.ax_marg = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        eye = np.eye(2)
        self.p_ell = [gaussian_ellipse(self.ax, np.zeros(2), eye, n_std=k, color=COLORS[0], lw=1.8) for k in (1, 2)]
        self.q_ell = [gaussian_ellipse(self.ax, np.zeros(2), eye, n_std=k, color=COLORS[3], lw=1.8, ls="--")
                      for k in (1, 2)]
        self.ax.set_xlim(-3.2, 3.2)
        self.ax.set_ylim(-3.2, 3.2)
        self.ax.set_aspect("equal")
        self.ax.plot([], [], color=COLORS[0], label="p (1σ, 2σ)")
        self.ax.plot([], [], "--", color=COLORS[3], label="mean-field q")
        self.ax.legend(loc="upper left", fontsize=8, frameon=False)
        self.ax.set_xlabel("z₁")
        self.ax.set_ylabel("z₂")
        self.grid = np.linspace(-3.5, 3.5, 301)
        (self.p_marg,) = self.ax_marg.plot(self.grid, self.grid * 0, color=COLORS[0], lw=2, label="p(z₁)")
        (self.q_marg,) = self.ax_marg.plot(self.grid, self.grid * 0, "--", color=COLORS[3], lw=2, label="q(z₁)")
        self.ax_marg.set_ylim(0, 1.35)
        self.ax_marg.set_xlim(self.grid[0], self.grid[-1])
        self.ax_marg.set_xlabel("z₁")
        self.ax_marg.legend(loc="upper right", fontsize=8, frameon=False)
        self.title = self.title_text(self.ax_marg, fontsize=9)  # drawn with PIL: 0.3 ms, not 3
        self.animated(*self.p_ell, *self.q_ell, self.q_marg)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)

    def compute(self, rho: float) -> dict:
        mean, cov = meanfield.correlated_gaussian(float(rho))
        m, s, kls = meanfield.cavi_gaussian(mean, cov, m0=mean, num_sweeps=1, progress=False)
        return {"rho": rho, "cov": cov.numpy(), "m": m.numpy(), "var": (s**2).numpy(), "kl": kls[-1]}

    def draw(self, r: dict) -> bool:
        for k, ell in zip((1, 2), self.p_ell):
            _set_ellipse(ell, np.zeros(2), r["cov"], k)
        for k, ell in zip((1, 2), self.q_ell):
            _set_ellipse(ell, r["m"], np.diag(r["var"]), k)
        v = r["var"][0]
        self.q_marg.set_ydata(np.exp(-0.5 * (self.grid - r["m"][0]) ** 2 / v) / np.sqrt(2 * np.pi * v))
        self.p_marg.set_ydata(np.exp(-0.5 * self.grid**2) / np.sqrt(2 * np.pi))
        self.title.set_text(f"marginal variance: p 1.00, q = 1 − ρ² = {v:.2f}")
        return False

    def readout(self, r: dict) -> str:
        return (f"ρ = {r['rho']:.2f}<br>Var<sub>q</sub>(z<sub>i</sub>) = 1/Λ<sub>ii</sub> = {r['var'][0]:.4f}"
                f"<br>1 − ρ² = {1 - r['rho'] ** 2:.4f}<br>KL(q‖p) = {r['kl']:.3f} nats")


def meanfield_gaussian(rho: float = 0.8) -> MeanFieldGaussian:
    """Build the mean-field-on-a-correlated-Gaussian app."""
    return MeanFieldGaussian(rho)


def _square(z):
    return (z**2).sum(-1)


class GradientVariance(FigureApp):
    figsize = (9.0, 3.8)
    frame_cache_mb = 4.0  # 9 sizes, with and without the baseline
    SIZES = (2, 3, 5, 10, 20, 50, 100, 200, 500)

    def __init__(self, *, m: float = 0.0, num_replicates: int = 300, seed: int = 0):
        m = check_float("m", m, low=-10.0, high=10.0)
        num_replicates = check_int("num_replicates", num_replicates, low=2, high=100_000)
        seed = check_nonnegative_int("seed", seed)
        self.m = torch.tensor([m], dtype=torch.float64)
        self.log_s = torch.zeros(1, dtype=torch.float64)
        self.num_replicates, self.seed = num_replicates, seed
        self.exact = float(meanfield.exact_gradient(meanfield.square_expectation, self.m, self.log_s)[0][0])
        self.var_curves = {k: v.numpy() for k, v in meanfield.variance_vs_samples(
            _square, self.m, self.log_s, self.SIZES, num_replicates=num_replicates,
            generator=make_generator(seed + 1)).items()}
        size = widgets.SelectionSlider(options=list(self.SIZES), value=10, description="S")
        cv = widgets.Checkbox(value=False, description="control variate (baseline)", indent=False)
        super().__init__({"num_samples": size, "control_variate": cv})

    def setup(self, fig):
        self.ax, self.ax_var = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        # estimates are drawn as √S (ĝ_S − ∇): the spread of ĝ_S is σ/√S, so one fixed axis holds every S
        self.half_width = 4 * np.sqrt(meanfield.square_variance("score", float(self.m[0])))
        self.edges = np.linspace(-self.half_width, self.half_width, 49)
        zero = np.zeros(48)
        edges = self.edges
        self.h_sf = self.ax.stairs(zero, edges, fill=True, alpha=0.55, color=COLORS[1], label="score function (± baseline)")
        self.h_rp = self.ax.stairs(zero, edges, fill=True, alpha=0.55, color=COLORS[0], label="reparametrization")
        self.ax.axvline(0.0, color="k", lw=1.2, label="exact gradient")
        self.ax.set_xlim(edges[0], edges[-1])
        self.ax.set_ylim(0, 0.45)
        self._cache: dict = {}
        self.ax.set_xlabel("√S × (estimate − exact gradient) of ∂/∂m E[Z²]")
        self.ax.set_ylabel("density")
        self.ax.legend(loc="upper left", fontsize=8, frameon=False)
        sizes = np.array(self.SIZES, dtype=float)
        names = {"score": "score", "score_cv": "score + baseline", "reparam": "reparam"}
        for k, c in (("score", COLORS[1]), ("score_cv", COLORS[2]), ("reparam", COLORS[0])):
            self.ax_var.loglog(sizes, self.var_curves[k], "o", color=c, ms=4, label=names[k])
            self.ax_var.loglog(sizes, meanfield.square_variance(k, float(self.m[0])) / sizes, "-", color=c, lw=1)
        self.ax_var.set_xlabel("S")
        self.ax_var.set_ylabel("Var[ĝ_S]  (lines: closed form / S)")
        self.ax_var.legend(loc="lower left", fontsize=8, frameon=False)
        (self.marker,) = self.ax_var.plot([], [], "s", ms=11, mfc="none", mec="k", mew=1.5)
        self.title = self.title_text(self.ax, fontsize=9)
        self.animated(self.h_sf, self.h_rp, self.marker)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.3)

    def compute(self, num_samples: int, control_variate: bool) -> dict:
        est = "score_cv" if control_variate else "score"
        if (num_samples, est) not in self._cache:  # the same slider value always redraws the same picture
            self._cache[num_samples, est] = self._replicates(num_samples, est)
        return self._cache[num_samples, est]

    def _replicates(self, num_samples: int, est: str) -> dict:
        g = make_generator(self.seed)
        sf = meanfield.gradient_replicates(_square, self.m, self.log_s, estimator=est, num_samples=num_samples,
                                           num_replicates=self.num_replicates, generator=g)
        rp = meanfield.gradient_replicates(_square, self.m, self.log_s, estimator="reparam", num_samples=num_samples,
                                           num_replicates=self.num_replicates, generator=g)
        return {"estimator": est, "num_samples": num_samples, "score": sf.numpy(), "reparam": rp.numpy(),
                "var_score": float(sf.var()), "var_reparam": float(rp.var())}

    def draw(self, r: dict) -> bool:
        scale = np.sqrt(r["num_samples"])
        clip = lambda v: np.clip(scale * (v - self.exact), self.edges[0], self.edges[-1])
        self.h_sf.set_data(np.histogram(clip(r["score"]), self.edges, density=True)[0])
        self.h_rp.set_data(np.histogram(clip(r["reparam"]), self.edges, density=True)[0])
        self.h_sf.set_color(COLORS[2] if r["estimator"] == "score_cv" else COLORS[1])
        self.marker.set_data([r["num_samples"]] * 2, [r["var_score"], r["var_reparam"]])
        name = "score + baseline (red)" if r["estimator"] == "score_cv" else "score function (orange)"
        self.title.set_text(f"{self.num_replicates} estimates at S = {r['num_samples']}: {name} vs reparam (blue)")
        return False

    def readout(self, r: dict) -> str:
        name = "score + baseline" if r["estimator"] == "score_cv" else "score function"
        return (f"exact gradient: {self.exact:.3f}<br>"
                f"{name}: mean {r['score'].mean():.3f}, var {r['var_score']:.4f} "
                f"(closed form {meanfield.square_variance(r['estimator'], float(self.m[0])) / r['num_samples']:.4f})<br>"
                f"reparametrization: mean {r['reparam'].mean():.3f}, var {r['var_reparam']:.4f} "
                f"(closed form {meanfield.square_variance('reparam', float(self.m[0])) / r['num_samples']:.4f})")


def gradient_variance(**kwargs) -> GradientVariance:
    """Build the gradient-variance app (f(z) = z², q = N(m, 1), gradient in m)."""
    return GradientVariance(**kwargs)
