"""GAN benchmark: the ring of eight Gaussians over five seeds, and lecturekit's GAN loop against a plain one.

One flat JSON line per seed (``"kind": "ring"``) with ``seed``, ``pack``, ``steps``, ``modes_captured``,
``hq_fraction``, ``ok`` (8 of 8 modes with at least 90% high-quality samples: the claim of notebook
09), ``d_fake`` and ``s_per_1000_steps`` (the seed's own training time), for the default recipe of
:func:`lecturekit.gan_toys.fit_ring` (a discriminator that judges pairs of samples, PacGAN); with
``--plain`` the same recipe with a one-sample discriminator (``pack`` 1) follows. Then one
``"kind": "ring_summary"`` line per pack with ``seeds``, ``seeds_ok``, the median and worst
``modes_captured`` and ``hq_fraction``, and one ``"kind": "timing"`` line: ``interleaved_s_per_1000_steps``
(lecturekit's :func:`~lecturekit.gan.fit_gan`) and ``plain_s_per_1000_steps`` (a textbook PyTorch GAN
loop with networks of the same size), timed alternately five times (medians) so that a load change
hits both alike, and their ``ratio``. A per-seed table for people goes to stderr.

Trajectories of a GAN are chaotic: a different CPU (or thread count) rounds differently and ends in
a different run, so the claim is the count over seeds, not one seed's result.

    OMP_NUM_THREADS=1 nice python benchmarks/gan.py [--seeds 0 1 2 3 4] [--threads 1] [--plain]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from lecturekit import gan, gan_toys
from lecturekit.data import ring_of_gaussians
from lecturekit.utils import make_generator, seeded


def plain_gan_seconds_per_1000(num_steps: int = 300, batch_size: int = 512) -> float:
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


def lecturekit_seconds_per_1000(num_steps: int = 300, batch_size: int = 512) -> float:
    """lecturekit.gan.fit_gan on networks of the same size (one-sample discriminator, no decay)."""
    model = gan.GAN(pack=1)
    start = time.perf_counter()
    gan.fit_gan(model.g_net, model.d_net, lambda n: ring_of_gaussians(n), num_steps=num_steps, lr=1e-3,
                batch_size=batch_size, progress=False)
    return 1000 * (time.perf_counter() - start) / num_steps


def interleaved_timing(repeats: int = 5, num_steps: int = 300) -> tuple[float, float]:
    """Medians over ``repeats`` alternating runs of both loops, so that load drifts hit both alike."""
    ours, plain = [], []
    for _ in range(repeats):
        ours.append(lecturekit_seconds_per_1000(num_steps))
        plain.append(plain_gan_seconds_per_1000(num_steps))
    return statistics.median(ours), statistics.median(plain)


def ring_run(seed: int, pack: int, steps: int | None) -> dict:
    """The default ring recipe for one seed, as cached_ring would train it (built and trained with
    torch's global RNG forked and seeded from the seed)."""
    train = {} if steps is None else {"num_steps": steps}
    with seeded(seed):
        model = gan.GAN(pack=pack)
        h = gan_toys.fit_ring(model, generator=make_generator(seed), progress=False, **train)
    info, n = h.info, len(h.loss)
    ok = info["modes_captured"] >= gan_toys.MODES_MIN and info["hq_fraction"] >= gan_toys.HQ_MIN
    return {"kind": "ring", "seed": seed, "pack": pack, "steps": n, "modes_captured": info["modes_captured"],
            "hq_fraction": round(info["hq_fraction"], 4), "ok": ok, "d_fake": round(info["d_fake"], 3),
            "s_per_1000_steps": round(1000 * h.seconds / n, 2), "threads": torch.get_num_threads()}


def summary(rows: list[dict]) -> dict:
    modes, hq = [r["modes_captured"] for r in rows], [r["hq_fraction"] for r in rows]
    return {"kind": "ring_summary", "pack": rows[0]["pack"], "steps": rows[0]["steps"], "seeds": len(rows),
            "seeds_ok": sum(r["ok"] for r in rows), "modes_median": statistics.median(modes),
            "modes_worst": min(modes), "hq_median": round(statistics.median(hq), 4), "hq_worst": round(min(hq), 4)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=None, help="generator steps (default: fit_ring's)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="also train the recipe with a one-sample discriminator")
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = []
    for pack in (2, 1) if args.plain else (2,):
        rows = []
        for seed in args.seeds:
            rows.append(ring_run(seed, pack, args.steps))
            print(json.dumps(rows[-1]), flush=True)
        print(json.dumps(summary(rows)), flush=True)
        table += rows
    if not args.skip_timing:
        ours, plain = interleaved_timing()
        print(json.dumps({"kind": "timing", "interleaved_s_per_1000_steps": round(ours, 2),
                          "plain_s_per_1000_steps": round(plain, 2), "ratio": round(ours / plain, 2),
                          "threads": torch.get_num_threads()}), flush=True)
    print(f"\n{'pack':>4} {'seed':>4} {'modes':>5} {'high quality':>12} {'8/8 and >= 90%':>15}", file=sys.stderr)
    for r in table:
        print(f"{r['pack']:>4} {r['seed']:>4} {r['modes_captured']:>3}/8 {100 * r['hq_fraction']:>11.1f}% "
              f"{'yes' if r['ok'] else 'no':>15}", file=sys.stderr)


if __name__ == "__main__":
    main()
