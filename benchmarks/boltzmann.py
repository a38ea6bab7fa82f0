"""RBM training by CD-1, CD-10 and persistent CD on binarized mnist_5k: time per epoch and test
log-likelihood from annealed importance sampling, all in one run with the same seed and settings.

    python benchmarks/boltzmann.py [--epochs 10] [--hidden 100]
    -> one line per method: {"method", "epochs", "test_loglik_nats", "s_per_epoch", ...}

The AIS runs use more chains and intermediate distributions than the notebook (200 x 5000); the
extra keys give the ±3 s.e. range of log Z and the train log-likelihood.
"""

from __future__ import annotations

import argparse
import json

import torch

from lecturekit import ais, boltzmann, data

METHODS = {"cd1": ("cd", 1), "cd10": ("cd", 10), "pcd": ("pcd", 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--chains", type=int, default=200)
    parser.add_argument("--betas", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    x, _ = data.mnist_5k("train", binarize=True)
    x_test, _ = data.mnist_5k("test", binarize=True)
    x, x_test = x.flatten(1), x_test.flatten(1)
    base = ais.base_rate_bias(x)
    # warm-up (thread pool, allocator, first autograd call) so the first method is not charged for it
    boltzmann.train_rbm(boltzmann.RBM(784, args.hidden), x, num_epochs=1, progress=False)
    for name, (method, k) in METHODS.items():
        torch.manual_seed(args.seed)
        rbm = boltzmann.RBM(784, args.hidden)
        g = torch.Generator().manual_seed(args.seed)
        out = boltzmann.train_rbm(rbm, x, method=method, k=k, num_epochs=args.epochs, generator=g, progress=False)
        est = ais.ais_log_partition(rbm, base, num_chains=args.chains, num_betas=args.betas,
                                    generator=torch.Generator().manual_seed(args.seed + 1))
        print(json.dumps({
            "method": name, "epochs": args.epochs,
            "test_loglik_nats": round(ais.log_likelihood(rbm, x_test, est.log_z), 2),
            "s_per_epoch": round(out["seconds"] / args.epochs, 3),
            "train_loglik_nats": round(ais.log_likelihood(rbm, x, est.log_z), 2),
            "log_z": round(est.log_z, 2), "log_z_low": round(est.log_z_low, 2), "log_z_high": round(est.log_z_high, 2),
            "num_hidden": args.hidden, "ais_chains": args.chains, "ais_betas": args.betas, "seed": args.seed,
        }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
