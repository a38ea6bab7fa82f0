"""Notebook 06's trained results over seeds: the CD-1 / CD-10 / PCD comparison (test log-likelihood
by AIS) and the diversity of DBN and DBM samples (judged), each with the notebook's settings.

    python benchmarks/boltzmann.py [--seeds 0 1 2 3 4] [--part rbm deep] [--chains 100] [--temperatures 1000]
    -> one JSON line per (part, model, seed), then one summary line per model with the median and
       the worst case over the seeds and on how many seeds the notebook's claim holds

Run it with ``OMP_NUM_THREADS=1 nice`` for a sweep; ``s_train`` is the training time of that seed.
RBM lines: ``test_loglik_nats`` (AIS with the notebook's 100 chains x 1,000 temperatures unless
given), ``log_z`` and its ±3 s.e. range, ``ais_error_nats`` for the 784-10 RBM against enumeration.
DBN / DBM lines: ``classes_hit``, ``inception_score`` and ``frechet_distance`` of 100 samples after
1,000 sweeps, from chains started at 100 random training digits (``start: data``, the notebook's
figure) and from uniform noise (``start: noise``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from lecturekit import ais, boltzmann as bm, data, judge
from lecturekit.utils import make_generator, randperm, seeded


def line(**kw):
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in kw.items()}), flush=True)


def summary(part: str, model: str, key: str, values: list[float], *, holds: list[bool], claim: str):
    line(part=part, model=model, summary=key, median=statistics.median(values), worst=min(values),
         seeds=len(values), claim=claim, holds_on=f"{sum(holds)} of {len(holds)}")


def rbm_part(seeds, x, x_test, base, args):
    results = {name: [] for name in bm.RBM_METHODS}
    errors = []
    for s in seeds:
        with seeded(s):
            small = bm.RBM(784, 10)
        bm.fit_rbm(small, x, **bm.RBM10_TRAIN, generator=make_generator(s), progress=False)
        est = ais.ais_log_partition(small, base, **ais.AIS_CHECK, generator=make_generator(s + 1))
        errors.append(abs(est.log_z - float(ais.log_partition_exact(small))))
        line(part="rbm", model="RBM 784-10", seed=s, ais_error_nats=errors[-1])
        for name, method in bm.RBM_METHODS.items():
            with seeded(s):
                rbm = bm.RBM(784, 100)
            h = bm.fit_rbm(rbm, x, **method, **bm.RBM_TRAIN, generator=make_generator(s), progress=False)
            est = ais.ais_log_partition(rbm, base, num_chains=args.chains, num_temperatures=args.temperatures,
                                        generator=make_generator(s + 1))
            ll = ais.log_likelihood(rbm, x_test, est.log_z)
            results[name].append(ll)
            line(part="rbm", model=name, seed=s, test_loglik_nats=ll, log_z=est.log_z, log_z_low=est.log_z_low,
                 log_z_high=est.log_z_high, s_train=h.seconds, s_per_epoch=h.seconds / bm.RBM_TRAIN["num_epochs"])
    summary("rbm", "RBM 784-10", "ais_error_nats", [-e for e in errors], holds=[e <= ais.AIS_MAX_ERROR for e in errors],
            claim=f"|AIS - exact| <= {ais.AIS_MAX_ERROR} (median/worst are minus the error)")
    for name, lls in results.items():
        summary("rbm", name, "test_loglik_nats", lls, holds=[v >= bm.MIN_TEST_LOGLIK[name] for v in lls],
                claim=f">= {bm.MIN_TEST_LOGLIK[name]}")
    gains = [p - c for p, c in zip(results["PCD"], results["CD-1"])]
    summary("rbm", "PCD - CD-1", "gain_nats", gains, holds=[g >= bm.MIN_PCD_GAIN for g in gains],
            claim=f">= {bm.MIN_PCD_GAIN}")


def deep_part(seeds, x, args):
    classes = {"DBN": {"data": [], "noise": []}, "DBM": {"data": [], "noise": []}}
    for s in seeds:
        with seeded(s):
            dbn = bm.DBN(784, tuple(bm.DEEP_HIDDEN))
        h_dbn = bm.fit_dbn(dbn, x, **bm.DBN_TRAIN, generator=make_generator(s), progress=False)
        with seeded(s):
            dbm = bm.DBM(784, tuple(bm.DEEP_HIDDEN))
        dbm.init_from_dbn(dbn)
        h_dbm = bm.fit_dbm(dbm, x, **bm.DBM_TRAIN, generator=make_generator(s), progress=False)
        starts = x[randperm(x.shape[0], generator=make_generator(s))[:100]]
        for name, model, h in (("DBN", dbn, h_dbn), ("DBM", dbm, h_dbm)):
            for start in ("data", "noise"):
                # the noise chains get their own generator: with shared random numbers the two sets of
                # chains couple (they coalesce once they forget their start) and would not be independent
                samples = model.sample(100, num_sweeps=bm.SAMPLE_SWEEPS, x0=starts if start == "data" else None,
                                       generator=make_generator(s if start == "data" else 1000 + s), progress=False)
                sc = judge.digit_scores(samples.reshape(-1, 1, 28, 28))
                classes[name][start].append(sc.classes_hit)
                line(part="deep", model=name, seed=s, start=start, classes_hit=sc.classes_hit,
                     inception_score=sc.inception_score, frechet_distance=sc.frechet_distance,
                     class_counts=list(sc.class_counts), s_train=h.seconds)
    for name, by_start in classes.items():
        for start, values in by_start.items():
            summary("deep", f"{name} ({start} start)", "classes_hit", values,
                    holds=[v >= bm.MIN_CLASSES for v in values], claim=f">= {bm.MIN_CLASSES} of 10 classes")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--part", nargs="+", choices=["rbm", "deep"], default=["rbm", "deep"])
    parser.add_argument("--chains", type=int, default=100)
    parser.add_argument("--temperatures", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    x, _ = data.mnist_5k("train", binarize=True)
    x_test, _ = data.mnist_5k("test", binarize=True)
    x, x_test = x.flatten(1), x_test.flatten(1)
    start = time.perf_counter()
    if "rbm" in args.part:
        rbm_part(args.seeds, x, x_test, ais.base_rate_bias(x), args)
    if "deep" in args.part:
        judge.load_judge()
        deep_part(args.seeds, x, args)
    line(threads=torch.get_num_threads(), seconds=time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
