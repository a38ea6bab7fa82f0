r"""The noise schedule β_1..β_T and the denoising network f(x^(t), t).

Schedules are built in float64 (length T, with t = 1..T); :class:`GaussianDiffusion` prepends
β_0 = 0 and casts them to the data's dtype when used.

References:
    Ho, Jain & Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS.
    Nichol & Dhariwal (2021). Improved denoising diffusion probabilistic models. ICML.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..utils import check_bool, check_choice, check_float, check_positive_int, check_tensor

__all__ = ["beta_schedule", "DenoisingMLP"]


def beta_schedule(num_timesteps: int, *, kind: str = "linear", beta_start: float = 1e-4,
                  beta_end: float = 0.02, center: float = 0.5) -> torch.Tensor:
    r"""The noise schedule $\beta_1, \dots, \beta_T$ in float64 (length ``num_timesteps`` = T).

    ``"linear"`` spaces β evenly (DDPM); ``"sigmoid"`` follows a logistic curve between the two
    ends, steepest at the fraction ``center`` of the chain (small steps near the data, as in
    Sohl-Dickstein's swiss roll; a later ``center`` keeps more structure at t = T/2); ``"cosine"`` makes
    $\bar\alpha_t = \cos^2\big(\tfrac{t/T + s}{1 + s}\tfrac{\pi}{2}\big)$ (Nichol & Dhariwal 2021)
    and ignores the two ends.
    """
    num_steps = check_positive_int("num_timesteps", num_timesteps)
    check_choice("kind", kind, ("linear", "sigmoid", "cosine"))
    for name, b in (("beta_start", beta_start), ("beta_end", beta_end)):
        if not isinstance(b, (int, float)) or isinstance(b, bool) or not 0 < b < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {b!r}")
    center = check_float("center", center, low=0.0, high=1.0, open_low=True, open_high=True)
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
    if kind == "sigmoid":
        s = torch.sigmoid(torch.linspace(-6, 6, num_steps, dtype=torch.float64) - 12 * (center - 0.5))
        return beta_start + (beta_end - beta_start) * (s - s[0]) / (s[-1] - s[0])
    t = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
    f = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return (1 - f[1:] / f[:-1]).clamp(max=0.999)


class DenoisingMLP(nn.Module):
    """f(x^(t), t): an MLP whose every hidden layer adds a learned embedding of the step t.

    With ``residual``, hidden layers add their input and a linear skip joins input and output (in
    high dimension the map from x^(t) to ε is close to linear at large t, which a plain MLP with a
    narrow hidden layer learns slowly).

    ``out_dim`` is ``dim`` for the noise-prediction form and ``2 * dim`` for the paper's
    (mean, covariance) form; the output layers start at zero, so an untrained model outputs 0.
    """

    def __init__(self, dim: int, *, num_timesteps: int, hidden_dim: int = 128, num_layers: int = 3,
                 out_dim: int | None = None, residual: bool = False):
        super().__init__()
        self.residual = check_bool("residual", residual)
        dim, num_steps = check_positive_int("dim", dim), check_positive_int("num_timesteps", num_timesteps)
        hidden_dim, num_layers = check_positive_int("hidden_dim", hidden_dim), check_positive_int("num_layers", num_layers)
        out_dim = check_positive_int("out_dim", dim if out_dim is None else out_dim)
        self.dim, self.num_timesteps = dim, num_steps
        self.inp = nn.Linear(dim, hidden_dim)
        self.layers = nn.ModuleList(nn.Linear(hidden_dim, hidden_dim) for _ in range(num_layers - 1))
        self.embeddings = nn.ModuleList(nn.Embedding(num_steps + 1, hidden_dim) for _ in range(num_layers))
        self.out = nn.Linear(hidden_dim, out_dim)
        self.skip = nn.Linear(dim, out_dim, bias=False)
        for layer in (self.out, self.skip):
            nn.init.zeros_(layer.weight)
        self.skip.requires_grad_(self.residual)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's output for points x (N, dim) at integer steps t (N,) in 0..T."""
        check_tensor("x", x, shape=(None, self.dim), model=self)
        t = _check_steps(t, x.shape[0], x.device, 0, self.num_timesteps)
        h = nn.functional.silu(self.inp(x) + self.embeddings[0](t))
        for layer, emb in zip(self.layers, self.embeddings[1:]):
            h = nn.functional.silu(layer(h) + emb(t)) + (h if self.residual else 0)
        return self.out(h) + self.skip(x) if self.residual else self.out(h)


def _check_steps(t, n: int, device, low: int, high: int) -> torch.Tensor:
    """Steps t: a Python int, or an integer tensor of shape () or (n,), every value in low..high."""
    if isinstance(t, bool) or not isinstance(t, (int, torch.Tensor)):
        raise TypeError(f"t must be an integer step or an integer tensor of steps, got {type(t).__name__}")
    if isinstance(t, torch.Tensor):
        if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
            raise TypeError(f"t must hold integer steps, got dtype {t.dtype}")
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != n):
            raise ValueError(f"t must be one step or {n} steps (one per example), got shape {tuple(t.shape)}")
    t = torch.as_tensor(t, device=device, dtype=torch.long)
    if t.ndim == 0:
        t = t.expand(n)
    if bool(((t < low) | (t > high)).any()):
        raise ValueError(f"t must lie in {low}..{high}, got values in [{int(t.min())}, {int(t.max())}]")
    return t

