"""GAN benchmark: the 8-Gaussian ring over 3 seeds, and the DCGAN's seconds per epoch.

One JSON line per seed with ``seed``, ``steps``, ``modes_captured``, ``hq_fraction``,
``s_per_1000_steps`` (the default :func:`lecturekit.gan.train_ring` settings, whose discriminator
judges pairs of samples; the seed's own training time) plus ``interleaved_s_per_1000_steps`` and
``plain_s_per_1000_steps``: lecturekit's loop and a plain PyTorch GAN loop with networks of the
same size and an unpacked discriminator, timed alternately five times (medians) so that a load
change hits both; then one line with ``dcgan_s_per_epoch``.

    python benchmarks/gan.py [--seeds 0 1 2] [--steps 8000] [--threads 2] [--skip-dcgan]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from lecturekit import gan, lapgan
from lecturekit.data import mnist_5k, ring_of_gaussians


def plain_gan_seconds_per_1000(num_steps: int = 1000, batch_size: int = 512) -> float:
    """A textbook GAN loop (no lecturekit code on the hot path) with the ring GAN's layer sizes."""
    def net(i, o, act):
        return torch.nn.Sequential(torch.nn.Linear(i, 128), act(), torch.nn.Linear(128, 128), act(),
                                   torch.nn.Linear(128, 128), act(), torch.nn.Linear(128, o))
    G, D = net(2, 2, torch.nn.ReLU), net(2, 1, torch.nn.LeakyReLU)
    og = torch.optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999))
    start = time.perf_counter()
    for _ in range(num_steps):
        real = ring_of_gaussians(batch_size)
        with torch.no_grad():
            fake = G(torch.randn(batch_size, 2))
        ld = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        od.zero_grad()
        ld.backward()
        od.step()
        lg = F.softplus(-D(G(torch.randn(batch_size, 2)))).mean()
        og.zero_grad()
        lg.backward()
        og.step()
    return 1000 * (time.perf_counter() - start) / num_steps


def lecturekit_seconds_per_1000(num_steps: int = 1000, batch_size: int = 512) -> float:
    """The default ring GAN's training loop (lecturekit.gan.train_gan, packed discriminator) alone."""
    model = gan.GAN()
    start = time.perf_counter()
    gan.train_gan(model.generator, model.discriminator, lambda n: ring_of_gaussians(n), num_steps,
                  lr=1e-3, batch_size=batch_size, decay_from=0.5)
    return 1000 * (time.perf_counter() - start) / num_steps


def interleaved_timing(repeats: int = 5, num_steps: int = 300) -> tuple[float, float]:
    """Medians over ``repeats`` alternating runs of both loops, so that load drifts hit both alike."""
    ours, plain = [], []
    for _ in range(repeats):
        ours.append(lecturekit_seconds_per_1000(num_steps))
        plain.append(plain_gan_seconds_per_1000(num_steps))
    return statistics.median(ours), statistics.median(plain)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-dcgan", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    ours, plain = interleaved_timing()
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = gan.GAN()
        r = gan.train_ring(model, seed=seed, num_steps=args.steps)
        print(json.dumps({"seed": seed, "steps": args.steps, "modes_captured": r["modes_captured"],
                          "hq_fraction": round(r["hq_fraction"], 4),
                          "s_per_1000_steps": round(1000 * r["seconds"] / args.steps, 2),
                          "interleaved_s_per_1000_steps": round(ours, 2),
                          "plain_s_per_1000_steps": round(plain, 2),
                          "counts": r["counts"]}), flush=True)
    if not args.skip_dcgan:
        x, _ = mnist_5k("train")
        hist = lapgan.train_dcgan(lapgan.DCGAN(), x, epochs=1)
        print(json.dumps({"dcgan_s_per_epoch": round(hist["seconds"], 2), "steps_per_epoch": hist["steps"],
                          "images": x.shape[0]}), flush=True)


if __name__ == "__main__":
    main()
