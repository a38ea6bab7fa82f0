"""Bad inputs to the seams: lecturekit.train (the loop), lecturekit.checkpoint (the cache) and lecturekit.claims."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lecturekit import checkpoint, claims, train
from tests.support.bad_inputs import (GENERATOR, HUGE_COUNT, NONNEGATIVE_INT, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS,
                                      Table, bad, call)

T = Table("train", ["lecturekit.train", "lecturekit.checkpoint", "lecturekit.claims"])
_TMP = tempfile.TemporaryDirectory(prefix="lk-bad-inputs-train-")
TMP = Path(_TMP.name)
NUM_STEPS = POSITIVE_INT + [HUGE_COUNT]
PATH = [bad(3, TypeError), bad(None, TypeError), bad("", ValueError, "empty-string")]
CONFIG = [bad([1, 2], TypeError), bad("lr=1", TypeError), bad({"f": print}, TypeError, "not-json")]
NAME = [bad("", ValueError, "empty-string"), bad("a/b", ValueError, "slash"), bad(3, TypeError), bad(None, TypeError),
        bad("..", ValueError, "dots")]


def problem():
    """A one-parameter model, its optimizer and a loss."""
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.ones(4, 1)
    return model, opt, (lambda xb: model(xb).pow(2).mean()), train.Batches(x, batch_size=2)


def fit_call(**over):
    model, opt, loss, batches = problem()
    kwargs = dict(model=model, progress=False)
    kwargs.update(over)
    return call(train.fit, loss, opt, batches, 3, **kwargs)


def run_steps_call():
    model, opt, loss, _ = problem()
    return call(train.run_steps, lambda i: model(torch.ones(1, 1)).sum(), 3, models=(model,), progress=False)


T.add("train.Batches", lambda: call(train.Batches, torch.zeros(6, 2), batch_size=4, drop_last=True),
      batch_size=POSITIVE_INT + [bad(8, ValueError, "larger-than-data")],
      shuffle=[bad("no", TypeError), bad(None, TypeError)], drop_last=[bad(1, TypeError)],
      generator=GENERATOR[:2])
T.case("train.Batches", "no-tensors", lambda: train.Batches(batch_size=2), ValueError, names="tensors")
T.case("train.Batches", "list", lambda: train.Batches([1, 2, 3], batch_size=2), TypeError, names="tensors")
T.case("train.Batches", "ragged", lambda: train.Batches(torch.zeros(4, 2), torch.zeros(3), batch_size=2), ValueError,
       names="tensors")
T.case("train.Batches", "empty", lambda: train.Batches(torch.zeros(0, 2), batch_size=2), ValueError, names="tensors")
T.case("train.Batches", "scalar", lambda: train.Batches(torch.tensor(1.0), batch_size=2), ValueError, names="tensors")
T.add("train.History", lambda: call(train.History, loss=[1.0, 0.5], seconds=1.0),
      loss=[bad("abc", TypeError), bad([1.0, "x"], TypeError), bad(3.0, TypeError)],
      seconds=[bad(-1.0), bad(float("nan")), bad(float("inf")), bad("1", TypeError)],
      series=[bad([1.0], TypeError)], info=[bad("x", TypeError)], evals=[bad(1, TypeError)])
T.add("train.History.from_dict", lambda: call(train.History.from_dict, {"loss": [1.0], "seconds": 0.5}),
      d=[bad(None, TypeError), bad([1.0], TypeError), bad("{}", TypeError), bad({"loss": 3}, TypeError, names="loss"),
         bad({"seconds": "x"}, TypeError, names="seconds"), bad({"losses": [1.0]}, ValueError),
         bad({"evals": [1, 2]}, TypeError, names="evals")])
T.add("train.fit", fit_call,
      loss_fn=[bad(3, TypeError), bad("loss", TypeError)],
      optimizer=[bad(None, TypeError), bad(torch.nn.Linear(1, 1), TypeError, "module")],
      batches=[bad(5, TypeError), bad(None, TypeError), bad("batches", TypeError)],
      num_steps=NUM_STEPS, clip_grad=POSITIVE_FLOAT, eval_every=NONNEGATIVE_INT[:2],
      model=[bad("model", TypeError)], scheduler=[bad(0.5, TypeError)], progress=PROGRESS,
      desc=[bad(3, TypeError)])
T.case("train.fit", "vector-loss", lambda: (lambda m, o, l, b: train.fit(lambda xb: m(xb).squeeze(1), o, b, 2,
                                                                         progress=False))(*problem()),
       TypeError, names="loss_fn")
T.case("train.fit", "detached-loss", lambda: (lambda m, o, l, b: train.fit(lambda xb: l(xb).detach(), o, b, 2,
                                                                           progress=False))(*problem()),
       ValueError, names="loss_fn")
T.add("train.run_steps", run_steps_call,
      step=[bad(None, TypeError), bad(3, TypeError)], num_steps=NUM_STEPS, check_every=POSITIVE_INT[:3],
      models=[bad("model", TypeError), bad((1,), TypeError, names="models")], eval_every=[bad(-1), bad(5)],
      eval_fn=[bad(3, TypeError)], desc=[bad(None, TypeError)], progress=PROGRESS)
T.case("train.run_steps", "step-returns-a-list", lambda: train.run_steps(lambda i: [1.0], 2, progress=False), TypeError,
       names="step")
T.case("train.run_steps", "step-returns-a-vector", lambda: train.run_steps(lambda i: torch.ones(3), 2, progress=False),
       TypeError, names="step")
T.add("train.check_num_steps", lambda: call(train.check_num_steps, "num_sweeps", 10),
      value=[bad(b.value, b.exc, names="num_sweeps") for b in NUM_STEPS])
T.add("train.progress_disabled", lambda: call(train.progress_disabled, None),
      progress=PROGRESS + [bad("false", TypeError), bad(0.0, TypeError), bad([], TypeError)])
T.case("train.evaluating", "string", lambda: train.evaluating("model"), TypeError, names="models")
T.case("train.evaluating", "tensor", lambda: train.evaluating(torch.zeros(2)), TypeError, names="models")
T.case("train.evaluating", "second", lambda: train.evaluating(torch.nn.Linear(1, 1), None), TypeError, names="models")
T.case("train.evaluating", "class", lambda: train.evaluating(torch.nn.Linear), TypeError, names="models")
T.case("train.evaluating", "list", lambda: train.evaluating([torch.nn.Linear(1, 1)]), TypeError, names="models")
T.add("train.evaluating", lambda: call(train.evaluating, torch.nn.Linear(1, 1)))
T.add("train.evaluate", lambda: call(train.evaluate, lambda: torch.ones(2), torch.nn.Linear(1, 1)),
      fn=[bad(None, TypeError), bad(3, TypeError), bad("fn", TypeError)])
T.case("train.evaluate", "model-string", lambda: train.evaluate(lambda: 1.0, "model"), TypeError, names="models")
T.case("train.evaluate", "model-none", lambda: train.evaluate(lambda: 1.0, None), TypeError, names="models")


# -- checkpoint -------------------------------------------------------------------------------------------------

def saved() -> Path:
    path = TMP / "ok.pt"
    if not path.exists():
        checkpoint.save(path, torch.nn.Linear(2, 1), {"in": 2})
    return path


def broken(kind: str) -> Path:
    """A checkpoint whose JSON lacks "config", is not JSON, or whose weights are not a state_dict."""
    path = TMP / f"{kind}.pt"
    checkpoint.save(path, torch.nn.Linear(2, 1), {"in": 2})
    meta = json.loads(path.with_suffix(".json").read_text())
    if kind == "no-config":
        del meta["config"]
        path.with_suffix(".json").write_text(json.dumps(meta))
    elif kind == "not-json":
        path.with_suffix(".json").write_text("{not json")
    elif kind == "foreign":
        torch.save([1, 2, 3], path)
    elif kind == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    return path


T.add("checkpoint.cache_dir", lambda: call(checkpoint.cache_dir, create=False),
      create=[bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError), bad("False", TypeError),
              bad(0.0, TypeError)])
T.add("checkpoint.find", lambda: call(checkpoint.find, "nothing-here-0123"), key=NAME)
T.add("checkpoint.save", lambda: call(checkpoint.save, TMP / "good.pt", torch.nn.Linear(2, 1), {"in": 2}, {"loss": [1.0]}),
      path=PATH, model=[bad(None, TypeError), bad({"w": torch.zeros(1)}, TypeError)], config=CONFIG,
      extras=[bad([1], TypeError)])
T.add("checkpoint.load", lambda: call(checkpoint.load, saved()),
      path=PATH + [bad(TMP / "absent.pt", checkpoint.CheckpointError, names=str(TMP / "absent.pt"))],
      map_location=[bad("gpu0"), bad(3, TypeError), bad("nope:1")])
for kind in ("no-config", "not-json", "foreign", "truncated"):
    T.case("checkpoint.load", kind, lambda kind=kind: checkpoint.load(broken(kind)), checkpoint.CheckpointError,
           names=str(TMP / kind))


def _fit(model, generator=None, num_steps=1):
    return train.History(loss=[0.0] * num_steps)


T.add("checkpoint.cached", lambda: call(checkpoint.cached, "lin", build=torch.nn.Linear, model={"in_features": 2, "out_features": 1},
                                        fit=_fit, train={"num_steps": 2, "seed": 0}, retrain=True),
      _run_good=False,  # trains into the user cache: test_checkpoint.py runs it with a private one
      name=NAME[:3], build=[bad(None, TypeError)], fit=[bad("fit", TypeError)], model=CONFIG[:2],
      train=CONFIG[:2] + [bad({"seed": -1}, ValueError, names="seed"), bad({"seed": "0"}, TypeError, names="seed")],
      data=[bad("mnist", TypeError)], device=[bad("gpu0"), bad(3, TypeError)], retrain=[bad("yes", TypeError)])
T.case("checkpoint.cached", "build-returns-a-tensor",
       lambda: checkpoint.cached("t", build=lambda: torch.zeros(1), model={}, fit=_fit, train={}), TypeError,
       names="build")
T.add("checkpoint.cache_key", lambda: call(checkpoint.cache_key, "vae", model={"latent_dim": 2}, train={"lr": 1e-3}),
      name=NAME[:3], model=CONFIG[:2], train=CONFIG[2:], data=[bad([1], TypeError)],
      code=[bad(print, TypeError), bad(("f",), TypeError)])

# -- claims ---------------------------------------------------------------------------------------------------------
T.add("claims.check", lambda: call(claims.check, "test ELBO", -90.0, at_least=-100.0, unit="nats"),
      claim=[bad("a: b"), bad(""), bad(3), bad("two\nlines")],
      value=[bad("abc", TypeError), bad(None, TypeError), bad(torch.ones(3), TypeError), bad(True, TypeError)],
      at_least=[bad(float("nan")), bad("1"), bad(None, ValueError, names="threshold")],
      at_most=[bad(float("inf")), bad(-200.0, ValueError, "below-at_least", names="at_least")],
      digits=[bad(-1), bad(2.5), bad(99)], unit=[bad(3, TypeError)], paper=[bad([1], TypeError)])
T.add("claims.check_true", lambda: call(claims.check_true, "chains mix", True, detail="3 of 3"),
      claim=[bad("a: b"), bad(""), bad(None)],
      condition=[bad(torch.ones(3, dtype=torch.bool), TypeError), bad(np.ones(2, dtype=bool), TypeError),
                 bad(None, TypeError), bad("no", TypeError)],
      detail=[bad(3, TypeError), bad(None, TypeError)])


def test_a_failed_claim_is_a_claim_error_not_an_argument_error(capsys):
    with pytest.raises(claims.ClaimError):
        claims.check("ELBO", float("nan"), at_least=-100.0)
    assert "✗ ELBO" in capsys.readouterr().out


T.install(globals())
