"""Sample quality of the project's digit generators, judged by ``lecturekit.judge``.

One JSON line per generator and seed: ``model``, ``seed``, ``inception_score``,
``frechet_distance``, ``classes_hit``, ``train_seconds`` (the training time recorded when the
model was trained, also on a cache hit), ``samples`` (the file holding the 1,000 images scored, a
float tensor N×1×28×28 in [0, 1], so that another judge can rescore them) and, for notebook 10's
models, ``claims``: which of notebook 10's checks (``gan_digits.THRESHOLDS``) hold. Then the two
reference lines ``test digits`` and ``uniform noise`` with the same keys, and with several seeds one
``summary`` line per model: the median and worst value of each score over the seeds and the number
of seeds on which all of the model's claims hold.

Generators:

- ``dcgan`` and ``lapgan``: notebook 10's models, from the same cached configs
  (``gan_digits.DCGAN_CONFIG``, ``gan_digits.LAPGAN_CONFIG``, ``gan_digits.trained``) and the same sampling
  seeds as the notebook, so seed 0 reproduces the notebook's numbers. For the LAPGAN the upsampled
  coarse images are scored too (``lapgan-coarse``).
- ``vae``: a 784-256-20 Bernoulli VAE (``vae.VAE``, ``vae.fit_vae``, 20 epochs, the settings of
  notebook 04's 20-D model) on the stochastically binarized training digits; its samples are the
  decoder means of z ~ N(0, I).

    OMP_NUM_THREADS=1 nice python benchmarks/sample_quality.py                   # seed 0: the notebook's models
    OMP_NUM_THREADS=1 nice python benchmarks/sample_quality.py --seeds 0 1 2 3 4  # the seed sweep

Images land in ``artifacts/samples/<model>.pt`` (seed 0) and ``artifacts/samples/<model>-seed<s>.pt``.
The first run trains every model (about five minutes per seed on two cores); later runs read the
model cache (``LECTUREKIT_CACHE``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lecturekit import checkpoint, gan_digits, judge, lapgan, vae  # noqa: E402
from lecturekit.data import mnist_5k  # noqa: E402
from lecturekit.utils import get_device, make_generator  # noqa: E402

MODELS = ("dcgan", "lapgan", "vae")
#: The VAE line's settings (notebook 04's 20-D model).
VAE_CONFIG = {"model": {"latent_dim": 20, "hidden_dim": 256},
              "train": {"num_epochs": 20, "batch_size": 128, "lr": 1e-3, "seed": 0}}


def _fit_vae(model, **train):
    x, _ = mnist_5k("train", binarize="sample")
    return vae.fit_vae(model, x.to(next(model.parameters()).device), **train)


def generate(name: str, seed: int, n: int, device) -> dict[str, tuple[torch.Tensor, float]]:
    """{line name: (images, train_seconds)} for one generator and seed (trained on a cache miss)."""
    if name in ("dcgan", "lapgan"):
        model, history = gan_digits.trained(name, device=device, seed=seed)
    elif name == "vae":
        model, history = checkpoint.cached(
            "vae-z20-samples", build=vae.VAE, model=VAE_CONFIG["model"], fit=_fit_vae,
            train={**VAE_CONFIG["train"], "seed": seed},
            data={"name": "mnist_5k", "split": "train", "binarize": "sample"}, device=device)
    else:
        raise ValueError(f"model must be one of {MODELS}, got {name!r}")
    with torch.no_grad():
        if name == "lapgan":  # the notebook's draws: coarse images, then their residuals
            g = make_generator(1)
            coarse = model.sample_coarse(n, generator=g)
            refined = model.refine(coarse, generator=g).cpu()
            return {"lapgan": (refined, history.seconds),
                    "lapgan-coarse": (lapgan.upsample(coarse).clamp(0, 1).cpu(), history.info["coarse_seconds"])}
        return {name: (model.sample(n, generator=make_generator(0)).cpu(), history.seconds)}


def claims_hold(name: str, scores, reference, low_scores=None) -> dict[str, bool]:
    """Which of notebook 10's checks hold (``gan_digits.THRESHOLDS``), by claim."""
    if name == "dcgan":
        specs = gan_digits.sample_claims("DCGAN", scores, reference)
    elif name == "lapgan":
        specs = gan_digits.refinement_claims(low_scores, scores)
    elif name == "lapgan-coarse":
        specs = gan_digits.coarse_claims(scores, reference)
    else:
        return {}
    out = {}
    for spec in specs:
        v = spec["value"]
        out[spec["claim"]] = bool((spec.get("at_least") is None or v >= spec["at_least"])
                                  and (spec.get("at_most") is None or v <= spec["at_most"]))
    return out


def line(model: str, scores, seconds: float, path: Path, **extra) -> dict:
    return {"model": model, **extra, "inception_score": round(scores.inception_score, 3),
            "frechet_distance": round(scores.frechet_distance, 2), "classes_hit": scores.classes_hit,
            "train_seconds": round(seconds, 1), "samples": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds (default: 0)")
    parser.add_argument("-n", type=int, default=1000, help="images judged per generator")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "samples")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: lecturekit.get_device())")
    args = parser.parse_args(argv)
    device = get_device(args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    reference = judge.reference_scores(args.n)
    lines = []

    def emit(record):
        lines.append(record)
        print(json.dumps(record, ensure_ascii=False), flush=True)

    for name in args.models:
        for seed in args.seeds:
            generated = generate(name, seed, args.n, device)
            scored = {key: judge.digit_scores(images) for key, (images, _) in generated.items()}
            for key, (images, seconds) in generated.items():
                path = args.out / (f"{key}.pt" if seed == 0 else f"{key}-seed{seed}.pt")
                torch.save(images.float().clamp(0, 1).contiguous(), path)
                held = claims_hold(key, scored[key], reference, scored.get("lapgan-coarse"))
                emit(line(key, scored[key], seconds, path, seed=seed,
                          **({"claims": held, "claims_hold": all(held.values())} if held else {})))
    x_test, _ = mnist_5k("test")
    noise = torch.rand((args.n, 1, 28, 28), generator=make_generator(0))
    for key, images in (("test digits", x_test[: args.n]), ("uniform noise", noise)):
        path = args.out / f"{key.replace(' ', '-')}.pt"
        torch.save(images.contiguous(), path)
        emit(line(key, reference[key], 0.0, path,
                  **({"note": "Fréchet distance of 1,000 training digits to the test digits"}
                     if key == "test digits" else {})))
    if len(args.seeds) > 1:
        for model in dict.fromkeys(r["model"] for r in lines if "seed" in r):
            rows = [r for r in lines if r["model"] == model and "seed" in r]
            summary = {"model": model, "summary": True, "seeds": [r["seed"] for r in rows]}
            for key, worst in (("inception_score", min), ("frechet_distance", max), ("classes_hit", min)):
                values = [r[key] for r in rows]
                summary[f"{key}_median"] = statistics.median(values)
                summary[f"{key}_worst"] = worst(values)
            summary["train_seconds_median"] = statistics.median(r["train_seconds"] for r in rows)
            if "claims_hold" in rows[0]:
                summary["claims_hold_on"] = f"{sum(r['claims_hold'] for r in rows)}/{len(rows)} seeds"
            emit(summary)
    return lines


if __name__ == "__main__":
    main()
