import pytest
import torch
from torch import nn

from lecturekit.train import Batches, evaluating, fit


def test_batches_cover_every_example_once_per_epoch():
    x = torch.arange(10)
    b = Batches(x, x * 2, batch_size=3, generator=torch.Generator().manual_seed(0))
    seen = torch.cat([xb for xb, _ in b])
    assert sorted(seen.tolist()) == list(range(10)) and len(b) == 4
    assert all(torch.equal(yb, xb * 2) for xb, yb in b)
    assert len(Batches(x, batch_size=3, drop_last=True)) == 3


def test_batches_bad_inputs():
    with pytest.raises(ValueError, match="first dimension"):
        Batches(torch.zeros(3), torch.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        Batches(torch.zeros(3), batch_size=0)
    with pytest.raises(TypeError, match=r"tensors\[0\]"):
        Batches([1, 2, 3], batch_size=2)


def _regression():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    return x, y


def test_fit_fits_linear_regression_and_records_every_step():
    x, y = _regression()
    model = nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    hist = fit(lambda xb, yb: ((model(xb).squeeze(1) - yb) ** 2).mean(), opt,
               Batches(x, y, batch_size=32), 400, model=model,
               eval_fn=lambda: float(((model(x).squeeze(1) - y) ** 2).mean()), eval_every=100)
    assert len(hist.loss) == 400
    assert hist.loss[-1] < 1e-3 < hist.loss[0]
    assert [s for s, _ in hist.evals] == [100, 200, 300, 400]
    assert hist.evals[-1][1] < 1e-3


def test_fit_accepts_a_sampler_function():
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    hist = fit(lambda z: ((w - z) ** 2).mean(), opt, lambda: torch.full((4,), 2.0), 100)
    assert abs(w.item() - 2.0) < 1e-3 and len(hist.loss) == 100


def test_eval_fn_runs_in_eval_mode_without_grad_and_restores_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    seen = []

    def probe():
        seen.append((model.training, torch.is_grad_enabled()))
        return 0

    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    fit(lambda: model(torch.ones(1, 2)).sum(), opt, lambda: (), 3, model=model, eval_fn=probe)
    assert seen == [(False, False)]
    assert model.training
    model.train(False)
    with evaluating(model):
        pass
    assert not model.training


def test_fit_reports_the_step_where_the_loss_became_nan():
    w = torch.ones(1, requires_grad=True)
    calls = {"n": 0}

    def loss():
        calls["n"] += 1
        return w.sum() * (float("nan") if calls["n"] == 7 else 1.0)

    with pytest.raises(FloatingPointError, match="at step 7"):
        fit(loss, torch.optim.SGD([w], lr=0.0), lambda: (), 60)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"num_steps": 0}, ValueError, "num_steps"),
    ({"num_steps": 1.5}, TypeError, "num_steps"),
    ({"optimizer": "adam"}, TypeError, "optimizer"),
    ({"loss_fn": 3}, TypeError, "loss_fn"),
    ({"eval_every": 5}, ValueError, "eval_every"),
    ({"eval_every": -1, "eval_fn": lambda: 0}, ValueError, "eval_every"),
])
def test_fit_bad_inputs(kwargs, exc, match):
    w = torch.ones(1, requires_grad=True)
    args = {"loss_fn": lambda: w.sum(), "optimizer": torch.optim.SGD([w], lr=0.1), "batches": lambda: (), "num_steps": 3}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        fit(**args)


def test_fit_empty_batches():
    w = torch.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="batches yielded no batch"):
        fit(lambda *b: w.sum(), torch.optim.SGD([w], lr=0.1), [], 3)


def test_progress_bar_follows_tqdm_disable(monkeypatch, capsys):
    w = torch.ones(1, requires_grad=True)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    fit(lambda: w.sum(), torch.optim.SGD([w], lr=0.0), lambda: (), 5)
    assert "it/s" not in capsys.readouterr().err
    monkeypatch.delenv("TQDM_DISABLE")
    fit(lambda: w.sum(), torch.optim.SGD([w], lr=0.0), lambda: (), 5, progress=True, desc="visible")
    assert "visible" in capsys.readouterr().err
