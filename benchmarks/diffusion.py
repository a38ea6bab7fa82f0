"""The swiss-roll diffusion model of notebook 08: speed, the bound, and sample quality.

Trains ``diffusion.SWISS_ROLL`` (T = 40, the paper's mean-and-covariance form) on 10,000 points,
then draws 2,000 samples and compares them with 2,000 held-out points by the energy distance,
next to a Gaussian fitted to the training data (same held-out points).

    python benchmarks/diffusion.py  ->  {"steps", "s_per_1000_steps", "sample_s", "bound_bits",
                                         "energy_distance_model", "energy_distance_gaussian", ...}
"""

from __future__ import annotations

import json
import time

import torch

from lecturekit import data
from lecturekit import diffusion as D


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x_train = data.swiss_roll(10_000, generator=torch.Generator().manual_seed(0))
    x_test = data.swiss_roll(2_000, generator=torch.Generator().manual_seed(1))
    config = D.SWISS_ROLL
    model = D.make_model(**config)
    start = time.perf_counter()
    D.fit_model(model, x_train, **config, progress=False)
    train_s = time.perf_counter() - start
    model.eval()
    g = torch.Generator().manual_seed(2)
    start = time.perf_counter()
    samples = model.p_sample_loop((2_000, 2), generator=g)
    sample_s = time.perf_counter() - start
    with torch.no_grad():
        bound = model.lower_bound(x_test, generator=g).mean()
    null = D.isotropic_gaussian_log_likelihood(x_train, x_test).mean()
    gauss = torch.distributions.MultivariateNormal(x_train.mean(0), torch.cov(x_train.T)).sample((2_000,))
    ed_model, ed_gauss = D.energy_distance(samples, x_test), D.energy_distance(gauss, x_test)
    steps = config["train_steps"]
    print(json.dumps({
        "steps": steps,
        "s_per_1000_steps": round(1000 * train_s / steps, 3),
        "sample_s": round(sample_s, 4),
        "bound_bits": round(float(D.bits(bound)), 3),
        "energy_distance_model": round(ed_model, 5),
        "energy_distance_gaussian": round(ed_gauss, 5),
        "gain_over_isotropic_gaussian_bits": round(float(D.bits(bound - null)), 3),
        "ratio": round(ed_model / ed_gauss, 4),
        "num_steps_T": config["num_steps"],
    }), flush=True)


if __name__ == "__main__":
    main()
