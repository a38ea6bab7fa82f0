"""The 784-400-20 Bernoulli VAE on mnist_5k: training throughput, test −ELBO and −L_50 after 30 epochs.

Adam 1e-3, batch 128, 30 epochs over the 4,000 stratified training digits of ``mnist_5k()``,
stochastically binarized once with a fixed seed (``mnist_5k(binarize="sample")``, Salakhutdinov &
Murray 2008; ``--binarize threshold`` keeps pixels > 1/2 instead, an easier data set worth about
12 nats less). The test bounds are nats per image on the
1,000 test digits, binarized the same way. Throughput is compared with a plain PyTorch
implementation of the same network (the classic ``fc1/fc21/fc22/fc3/fc4`` example loop, its
own optimizer steps, no lecturekit code) trained in the same process on the same tensors; both
are timed in alternation and the best of ``--repeats`` rounds is kept, in wall time
(``images_per_s``) and in process CPU time (``*_cpu_images_per_s``, steadier on a shared machine).

    python benchmarks/vae.py  ->  {"epochs", "images_per_s", "test_loss_nats", "test_iwae50_loss_nats",
                                   "plain_images_per_s", "speed_ratio", ...}
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn

import lecturekit as lk
from lecturekit import vae
from lecturekit.data import mnist_5k


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--binarize", default="sample", choices=["threshold", "sample"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="alternating timing rounds")
    parser.add_argument("--timing-epochs", type=int, default=2, help="epochs per timing round")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    x_train, _ = mnist_5k("train", binarize=args.binarize)
    x_test, _ = mnist_5k("test", binarize=args.binarize)

    # Quality: 30 epochs of lecturekit's VAE trained through lecturekit.train.fit.
    lk.seed(0)
    model = vae.VAE(hidden_dim=400, latent_dim=20)
    stats = vae.fit_vae(model, x_train, num_epochs=args.epochs, batch_size=128, lr=1e-3,
                        generator=lk.utils.make_generator(0), progress=False).info
    g = torch.Generator().manual_seed(1)
    test_elbo = vae.mean_bound(model, x_test, num_samples=100, generator=g)
    test_iwae = vae.mean_bound(model, x_test, k=50, batch_size=100, generator=g)
    train_elbo = vae.mean_bound(model, x_train, num_samples=10, generator=g)

    # Throughput: the same network both ways, alternating, best round of each.
    n_img = args.timing_epochs * x_train.shape[0]
    ours, plain, ours_cpu, plain_cpu = [], [], [], []
    for r in range(args.repeats):
        lk.seed(r)
        m = vae.VAE(hidden_dim=400, latent_dim=20)
        t, c = time.perf_counter(), time.process_time()
        vae.fit_vae(m, x_train, num_epochs=args.timing_epochs, generator=lk.utils.make_generator(r), progress=False)
        ours.append(n_img / (time.perf_counter() - t))
        ours_cpu.append(n_img / (time.process_time() - c))
        lk.seed(r)
        p = PlainVAE()
        opt = torch.optim.Adam(p.parameters(), lr=1e-3)
        t, c = time.perf_counter(), time.process_time()
        plain_epochs(p, opt, x_train, args.timing_epochs, torch.Generator().manual_seed(r))
        plain.append(n_img / (time.perf_counter() - t))
        plain_cpu.append(n_img / (time.process_time() - c))
    print(json.dumps({
        "epochs": args.epochs,
        "images_per_s": round(max(ours), 1),
        "test_loss_nats": round(-test_elbo, 2),
        "test_iwae50_loss_nats": round(-test_iwae, 2),
        "plain_images_per_s": round(max(plain), 1),
        "speed_ratio": round(max(ours) / max(plain), 3),
        "cpu_images_per_s": round(max(ours_cpu), 1),
        "plain_cpu_images_per_s": round(max(plain_cpu), 1),
        "cpu_speed_ratio": round(max(ours_cpu) / max(plain_cpu), 3),
        "train_loss_nats": round(-train_elbo, 2),
        "binarize": args.binarize,
        "threads": args.threads,
        "train_seconds": round(stats["seconds"], 1),
    }), flush=True)


if __name__ == "__main__":
    main()
