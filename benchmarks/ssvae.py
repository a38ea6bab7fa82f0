"""Semi-supervised MNIST (mnist_5k: 4,000 training digits, 1,000 test digits): test error of NN,
M1 + classifier, M2 and M1+M2 for several label counts, each over several stratified label draws.

One JSON line per label count, keys first as the issue names them:
``{"labels", "draws", "nn_error", "m1_error", "m2_error", "m1m2_error", "train_s", ...}`` with mean
test errors as fractions and ``train_s`` the mean training seconds per draw (all four methods); then
the spread (``*_std``), every draw's errors, whether M2 beat NN in every draw, and M2 / NN.

    python benchmarks/ssvae.py [--labels 100 600 1000] [--draws 3] [--epochs 50] [--latent-dim 4] [--threads 2]

Models are trained afresh (a private cache directory, deleted afterwards), so ``train_s`` is real.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 600, 1000])
    parser.add_argument("--draws", type=int, default=3, help="label draws (seeds 0..draws-1) per label count")
    parser.add_argument("--epochs", type=float, default=50.0, help="passes of M2 over the unlabelled digits")
    parser.add_argument("--latent-dim", type=int, default=4, help="M2's style size (the notebook's: 4)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.draws < 1 or args.epochs <= 0:
        parser.error("--draws and --epochs must be positive")

    os.environ.setdefault("TQDM_DISABLE", "1")
    tmp = tempfile.TemporaryDirectory(prefix="ssvae-bench-")
    os.environ["LECTUREKIT_CACHE"] = tmp.name
    import torch

    from lecturekit import data, ssvae

    torch.set_num_threads(args.threads)
    x, y = data.mnist_5k("train")
    x_test, y_test = data.mnist_5k("test")
    for labels in args.labels:
        errors = {m: [] for m in ssvae.METHODS}
        seconds = []
        for draw in range(args.draws):
            split = ssvae.ssl_data(x, y, x_test, y_test, labels, seed=draw, name="mnist_5k")
            settings = ssvae.default_settings(epochs=args.epochs, num_unlabelled=len(split.x_u),
                                              latent_dim=args.latent_dim)
            start = time.perf_counter()
            out = ssvae.run_methods(split, settings, retrain=True)
            seconds.append(time.perf_counter() - start)
            for m in ssvae.METHODS:
                errors[m].append(out[m][1]["test_error"])
            print(json.dumps({"progress": {"labels": labels, "draw": draw, "train_s": round(seconds[-1], 1),
                                           **{m: errors[m][-1] for m in ssvae.METHODS}}}), file=sys.stderr, flush=True)
        nn, m2 = np.array(errors["nn"]), np.array(errors["m2"])
        line = {"labels": labels, "draws": args.draws,
                **{f"{m}_error": round(float(np.mean(errors[m])), 4) for m in ssvae.METHODS},
                "train_s": round(float(np.mean(seconds)), 1),
                **{f"{m}_error_std": round(float(np.std(errors[m], ddof=1)), 4) if args.draws > 1 else 0.0
                   for m in ssvae.METHODS},
                "per_draw": errors, "m2_below_nn_every_draw": bool(np.all(m2 < nn)),
                "m2_over_nn": round(float(m2.mean() / nn.mean()), 3), "epochs": args.epochs, "latent_dim": args.latent_dim,
                "threads": args.threads}
        print(json.dumps(line), flush=True)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
