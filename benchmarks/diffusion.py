"""The swiss-roll diffusion model of notebook 08 over seeds: the bound, sample quality and speed.

For each seed, trains ``diffusion.SWISS_ROLL`` (T = 40, the paper's mean-and-covariance form) on
10,000 points of the noisy roll, then scores the bound on 2,000 held-out points (its gain over an
isotropic Gaussian in bits: the paper's Table 1 gives 2.35) and compares 2,000 samples with the
held-out points by the energy distance, next to a Gaussian fitted to the training data. With
``--noise`` it reruns at other noise levels of the roll (how the gain depends on the data).

    python benchmarks/diffusion.py [--seeds 5] [--noise 0.0 0.02 0.03 0.04] [--threads 2]

One JSON line per (noise, seed), keys ``noise``, ``seed``, ``steps``, ``s_per_1000_steps``,
``sample_s``, ``bound_bits``, ``gain_over_isotropic_gaussian_bits``, ``energy_distance_model``,
``energy_distance_gaussian``, ``ratio``, ``num_timesteps``; then one summary line per noise with
the median and the worst gain and ratio over the seeds, and how many seeds meet the notebook's
checks (``D.GAIN_BITS_BAND``, ``D.ENERGY_RATIO_MAX``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from lecturekit import data
from lecturekit import diffusion as D
from lecturekit.utils import make_generator, randn, seeded


def run(seed: int, noise: float) -> dict:
    x_train = data.swiss_roll(10_000, noise=noise, generator=make_generator(0))
    x_test = data.swiss_roll(2_000, noise=noise, generator=make_generator(1))
    train = D.SWISS_ROLL["train"]
    with seeded(seed):
        model = D.make_model(**D.SWISS_ROLL["model"])
        start = time.perf_counter()
        D.fit_diffusion(model, x_train, num_steps=train["num_steps"], batch_size=train["batch_size"], lr=train["lr"],
                        generator=make_generator(seed), progress=False)
    train_s = time.perf_counter() - start
    model.eval()
    g = make_generator(seed + 100)
    start = time.perf_counter()
    samples = model.p_sample_loop((2_000, 2), generator=g)
    sample_s = time.perf_counter() - start
    with torch.no_grad():
        bound = model.lower_bound(x_test, generator=g).mean()
    null = D.isotropic_gaussian_log_likelihood(x_train, x_test).mean()
    chol = torch.linalg.cholesky(torch.cov(x_train.T))
    gauss = x_train.mean(0) + randn((2_000, 2), generator=g) @ chol.T
    ed_model, ed_gauss = D.energy_distance(samples, x_test), D.energy_distance(gauss, x_test)
    return {"noise": noise, "seed": seed, "steps": train["num_steps"],
            "s_per_1000_steps": round(1000 * train_s / train["num_steps"], 3), "sample_s": round(sample_s, 4),
            "bound_bits": round(float(D.bits(bound)), 3),
            "gain_over_isotropic_gaussian_bits": round(float(D.bits(bound - null)), 3),
            "energy_distance_model": round(ed_model, 5), "energy_distance_gaussian": round(ed_gauss, 5),
            "ratio": round(ed_model / ed_gauss, 4), "num_timesteps": D.SWISS_ROLL["model"]["num_timesteps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--noise", type=float, nargs="+", default=[D.SWISS_ROLL["data"]["noise"]])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lo, hi = D.GAIN_BITS_BAND
    for noise in args.noise:
        rows = []
        for seed in range(args.seeds):
            rows.append(run(seed, noise))
            print(json.dumps(rows[-1]), flush=True)
        gains = [r["gain_over_isotropic_gaussian_bits"] for r in rows]
        ratios = [r["ratio"] for r in rows]
        print(json.dumps({"summary": "swiss roll", "noise": noise, "seeds": len(rows),
                          "gain_bits_median": statistics.median(gains), "gain_bits_worst": min(gains),
                          "ratio_median": statistics.median(ratios), "ratio_worst": max(ratios),
                          "seeds_meeting_checks": sum(lo <= g <= hi and r <= D.ENERGY_RATIO_MAX
                                                      for g, r in zip(gains, ratios)),
                          "threads": args.threads}), flush=True)


if __name__ == "__main__":
    main()
