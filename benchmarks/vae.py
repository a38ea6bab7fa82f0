"""The 784-400-20 Bernoulli VAE on mnist_5k, and notebook 04's claims, over several seeds.

Part 1 (the keys this benchmark always had): Adam 1e-3, batch 128, 30 epochs over the 4,000
stratified training digits of ``mnist_5k()``, stochastically binarized once with a fixed seed
(``mnist_5k(binarize="sample")``, Salakhutdinov & Murray 2008; ``--binarize threshold`` keeps
pixels > 1/2 instead, an easier data set worth about 12 nats less). The test bounds are nats per
image on the 1,000 test digits, binarized the same way; they are now measured for every seed of
``--seeds`` and the old keys hold the median, with ``*_worst`` beside them. Throughput is compared
with a plain PyTorch implementation of the same network (the classic ``fc1/fc21/fc22/fc3/fc4``
example loop, its own optimizer steps, no lecturekit code) trained in the same process on the
same tensors; both are timed in alternation and the best of ``--repeats`` rounds is kept, in wall
time (``images_per_s``) and in process CPU time (``*_cpu_images_per_s``, steadier on a shared machine).

Part 2 (``--notebook``, on by default): every trained number notebook 04 checks, retrained with the
notebook's settings for each seed: the test ELBOs of dim z = 2 and 20, the train − test gap, the
digit judge's scores of 1,000 samples, L_50 and the IWAE gain, the active units of the 80-epoch
dim z = 50 VAE and IWAE, the shift cost of the Gaussian decoder, and the share of the HVI gap that
T = 4 closes. One JSON line per seed, then one line with the median and worst value of each and
the number of seeds on which each claim holds.

    OMP_NUM_THREADS=1 nice python benchmarks/vae.py --seeds 5 -> {"seed": 0, ...} ... then
        {"epochs", "images_per_s", "test_loss_nats", "test_iwae50_loss_nats", "plain_images_per_s",
         "speed_ratio", ..., "seeds", "test_loss_nats_worst", ...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import lecturekit as lk
from lecturekit import hvi, vae
from lecturekit.data import mnist_5k
from lecturekit.utils import make_generator, seeded

#: notebook 04's training settings (keep in step with the notebook's TRAIN and AU_TRAIN).
NB_TRAIN = {"num_epochs": 20, "batch_size": 128, "lr": 3e-3}
NB_AU_EPOCHS = 80
NB_HVI_STEPS = 1000
NB_HVI_LR = 5e-3


class PlainVAE(nn.Module):
    """The textbook PyTorch VAE (pytorch/examples), same sizes as ``vae.VAE(hidden_dim=400, latent_dim=20)``."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def plain_epochs(model, opt, x, epochs, generator):
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=generator)
        for i in range(0, x.shape[0], 128):
            xb = x[order[i : i + 128]].view(-1, 784)
            logits, mu, logvar = model(xb)
            bce = F.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (bce + kld) / xb.shape[0]
            opt.zero_grad()
            loss.backward()
            opt.step()


def trained(seed: int, x, **kw) -> vae.VAE:
    """A VAE built and trained under ``seed`` (as checkpoint.cached does it)."""
    train = {k: kw.pop(k) for k in ("num_epochs", "batch_size", "lr", "objective", "k") if k in kw}
    with seeded(seed):
        model = vae.VAE(**kw)
        vae.fit_vae(model, x, generator=make_generator(seed), progress=False, **train)
    return model.eval()


def full_size(seed, x_train, x_test, epochs) -> dict:
    model = trained(seed, x_train, hidden_dim=400, latent_dim=20, num_epochs=epochs, batch_size=128, lr=1e-3)
    g = make_generator(1)
    return {"test_loss_nats": -vae.mean_bound(model, x_test, num_samples=100, generator=g),
            "test_iwae50_loss_nats": -vae.mean_bound(model, x_test, k=50, batch_size=100, generator=g),
            "train_loss_nats": -vae.mean_bound(model, x_train, num_samples=10, generator=g)}


def notebook_claims(seed, x_train, x_test) -> dict:
    """The quantities notebook 04 checks, computed as the notebook computes them, for one seed."""
    from lecturekit.judge import digit_scores

    out = {}
    g = make_generator(1)
    for d in (2, 20):
        m = trained(seed, x_train, hidden_dim=256, latent_dim=d, **NB_TRAIN)
        out[f"test_elbo_z{d}"] = vae.mean_bound(m, x_test, num_samples=10, generator=make_generator(1))
        if d == 20:
            out["overfit_gap"] = vae.mean_bound(m, x_train, num_samples=10, generator=g) - out["test_elbo_z20"]
            with torch.no_grad():
                samples = m.sample(1000, generator=make_generator(0))
            s = digit_scores(samples)  # outside no_grad: the first call may train the judge
            out.update(inception_z20=s.inception_score, frechet_z20=s.frechet_distance, classes_z20=s.classes_hit)
            b = {k: vae.mean_bound(m, x_test[:200], k=k, batch_size=50, generator=make_generator(2)) for k in (1, 50)}
            out.update(test_l50_z20=b[50], iwae_gain=b[50] - b[1])
    au = {obj: vae.active_units(trained(seed, x_train, hidden_dim=128, latent_dim=50, objective=obj, k=5,
                                        **{**NB_TRAIN, "num_epochs": NB_AU_EPOCHS}), x_test)[0]
          for obj in ("elbo", "iwae")}
    out.update(active_vae=au["elbo"], active_iwae=au["iwae"], active_gain=au["iwae"] - au["elbo"])
    xg_train, xg_test = mnist_5k("train")[0], mnist_5k("test")[0]
    gauss = trained(seed, xg_train, hidden_dim=256, latent_dim=10, likelihood="gaussian", **NB_TRAIN)
    own = -vae.shift_bound(gauss, xg_test[:100], [0, 2], k=50, generator=make_generator(4))
    out["shift_cost"] = float((own[1] - own[0]).mean())
    models = {}
    for T in (0, 1, 4):
        with seeded(seed):  # as checkpoint.cached builds and fits notebook 04's models
            models[T] = hvi.HamiltonianVI(num_leapfrog=T)
            if T:
                with torch.no_grad():
                    models[T].mu.copy_(models[0].mu)
                    models[T].log_std.copy_(models[0].log_std)
            hvi.fit_hvi(models[T], num_steps=NB_HVI_STEPS, lr=NB_HVI_LR, generator=make_generator(seed), progress=False)
    with torch.no_grad():
        bounds = {T: float(m(20_000, generator=make_generator(3))[1].mean()) for T, m in models.items()}
    log_z = hvi.TARGETS["banana"][1]
    out.update({f"hvi_L{T}": b for T, b in bounds.items()})
    out["hvi_gap_closed"] = (bounds[4] - bounds[0]) / (log_z - bounds[0])
    out["hvi_rises"] = bounds[0] < bounds[1] < bounds[4] < log_z + 0.01
    return out


#: each claim: (key, "min" or "max", threshold) as notebook 04 checks it.
CLAIMS = [("test_elbo_z20", "min", vae.MIN_TEST_ELBO_Z20), ("test_elbo_z2", "min", vae.MIN_TEST_ELBO_Z2),
          ("overfit_gap", "min", vae.MIN_OVERFIT_GAP), ("inception_z20", "min", vae.MIN_INCEPTION_Z20),
          ("frechet_z20", "max", vae.MAX_FRECHET_Z20), ("classes_z20", "min", vae.MIN_CLASSES_Z20),
          ("test_l50_z20", "min", vae.MIN_TEST_L50_Z20), ("iwae_gain", "min", vae.MIN_IWAE_GAIN),
          ("active_vae", "max", vae.MAX_ACTIVE_VAE), ("active_iwae", "min", vae.MIN_ACTIVE_IWAE),
          ("active_gain", "min", vae.MIN_ACTIVE_GAIN), ("shift_cost", "min", vae.MIN_SHIFT_COST),
          ("hvi_gap_closed", "min", hvi.MIN_GAP_CLOSED)]


def summarize(rows: list[dict], keys, lower_is_worse=()) -> dict:
    out = {}
    for key in keys:
        values = [r[key] for r in rows]
        worse = min if key in lower_is_worse else max
        out[key] = round(statistics.median(values), 3)
        out[f"{key}_worst"] = round(worse(values), 3)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 for every trained number")
    parser.add_argument("--binarize", default="sample", choices=["threshold", "sample"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="alternating timing rounds")
    parser.add_argument("--timing-epochs", type=int, default=2, help="epochs per timing round")
    parser.add_argument("--no-notebook", dest="notebook", action="store_false", help="skip notebook 04's claims")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    x_train, _ = mnist_5k("train", binarize=args.binarize)
    x_test, _ = mnist_5k("test", binarize=args.binarize)

    rows, claim_rows = [], []
    start = time.perf_counter()
    for seed in range(args.seeds):
        t = time.process_time()
        row = {"seed": seed, **full_size(seed, x_train, x_test, args.epochs)}
        row["full_size_cpu_s"] = round(time.process_time() - t, 1)
        if args.notebook:
            t = time.process_time()
            claims = notebook_claims(seed, x_train, x_test)
            claim_rows.append(claims)
            row.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in claims.items()})
            row["notebook_cpu_s"] = round(time.process_time() - t, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    train_seconds = time.perf_counter() - start

    # Throughput: the same network both ways, alternating, best round of each.
    n_img = args.timing_epochs * x_train.shape[0]
    ours, plain, ours_cpu, plain_cpu = [], [], [], []
    for r in range(args.repeats):
        lk.seed(r)
        m = vae.VAE(hidden_dim=400, latent_dim=20)
        t, c = time.perf_counter(), time.process_time()
        vae.fit_vae(m, x_train, num_epochs=args.timing_epochs, generator=make_generator(r), progress=False)
        ours.append(n_img / (time.perf_counter() - t))
        ours_cpu.append(n_img / (time.process_time() - c))
        lk.seed(r)
        p = PlainVAE()
        opt = torch.optim.Adam(p.parameters(), lr=1e-3)
        t, c = time.perf_counter(), time.process_time()
        plain_epochs(p, opt, x_train, args.timing_epochs, torch.Generator().manual_seed(r))
        plain.append(n_img / (time.perf_counter() - t))
        plain_cpu.append(n_img / (time.process_time() - c))
    summary = {
        "epochs": args.epochs,
        "images_per_s": round(max(ours), 1),
        **summarize(rows, ("test_loss_nats", "test_iwae50_loss_nats", "train_loss_nats")),
        "plain_images_per_s": round(max(plain), 1),
        "speed_ratio": round(max(ours) / max(plain), 3),
        "cpu_images_per_s": round(max(ours_cpu), 1),
        "plain_cpu_images_per_s": round(max(plain_cpu), 1),
        "cpu_speed_ratio": round(max(ours_cpu) / max(plain_cpu), 3),
        "binarize": args.binarize,
        "threads": args.threads,
        "seeds": args.seeds,
        "train_seconds": round(train_seconds, 1),
    }
    if claim_rows:
        keys = [key for key, _, _ in CLAIMS]
        summary.update(summarize(claim_rows, keys, lower_is_worse=[k for k, kind, _ in CLAIMS if kind == "min"]))
        for key, kind, threshold in CLAIMS:
            held = sum((r[key] >= threshold) if kind == "min" else (r[key] <= threshold) for r in claim_rows)
            summary[f"{key}_holds"] = f"{held}/{len(claim_rows)}"
        summary["hvi_rises_holds"] = f"{sum(r['hvi_rises'] for r in claim_rows)}/{len(claim_rows)}"
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
