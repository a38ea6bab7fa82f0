"""The one training loop, used by every model in lecturekit.

:func:`run_steps` is the loop's machinery: a ``tqdm.auto`` progress bar (silenced by
``TQDM_DISABLE=1``, as the test suite sets), a NaN check that names the step, timing, clean Ctrl-C,
and one :class:`History` record. :func:`fit` plugs the usual step into it (draw a batch, compute the
loss, take an optimizer step); a GAN plugs in its alternating step (:func:`lecturekit.gan.fit_gan`).
Every trainer in lecturekit is called ``fit_*``, takes ``num_steps`` (optimizer steps) or
``num_epochs`` (passes), a ``generator`` for its random draws, and returns a :class:`History`.
Evaluation runs in eval mode under ``no_grad``.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from .utils import check_bool, check_generator, check_nonnegative_int, check_positive_float, check_positive_int, randperm

__all__ = ["Batches", "History", "fit", "run_steps", "check_num_steps", "progress_disabled", "evaluating", "evaluate"]


class Batches:
    """Minibatches of in-memory tensors that share their first dimension.

    Iterating gives one epoch, reshuffled each time with ``generator``; :func:`fit` cycles through
    epochs. Indexing stays on the tensors' device, so no copy leaves the GPU.

    >>> b = Batches(torch.arange(10), batch_size=4, shuffle=False)
    >>> [t.tolist() for (t,) in b]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, generator: torch.Generator | None = None):
        if not tensors:
            raise ValueError("Batches needs at least one tensor (tensors is empty)")
        for i, t in enumerate(tensors):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"tensors[{i}] must be a torch.Tensor, got {type(t).__name__}")
            if t.ndim == 0 or t.shape[0] == 0:
                raise ValueError(f"tensors[{i}] must hold at least one example along its first axis, "
                                 f"got shape {tuple(t.shape)}")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"tensors must share their first dimension, got {[t.shape[0] for t in tensors]}")
        if len({t.device.type for t in tensors}) > 1:
            raise ValueError(f"tensors must be on one device, got {[str(t.device) for t in tensors]}")
        self.tensors = tensors
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.shuffle, self.drop_last = check_bool("shuffle", shuffle), check_bool("drop_last", drop_last)
        self.generator = check_generator(generator)
        if drop_last and n < batch_size:
            raise ValueError(f"batch_size must be at most the number of examples ({n}) with drop_last, got {batch_size}")

    def __len__(self) -> int:
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = self.tensors[0].shape[0]
        device = self.tensors[0].device
        order = randperm(n, generator=self.generator, device=device) if self.shuffle else None
        for b in range(len(self)):
            if order is None:
                sl = slice(b * self.batch_size, (b + 1) * self.batch_size)
                yield tuple(t[sl] for t in self.tensors)
            else:
                idx = order[b * self.batch_size : (b + 1) * self.batch_size]
                yield tuple(t[idx] for t in self.tensors)


@dataclass
class History:
    """What a training run recorded; every ``fit_*`` function in lecturekit returns one.

    Attributes:
        loss: the minimized loss at every step (a GAN records its generator's loss here).
        evals: ``(step, value)`` pairs from an ``eval_fn``.
        seconds: wall time of the run.
        series: other per-step records by name (a GAN's ``d_loss`` and ``g_loss``).
        info: results computed after training (a test bound, an error rate, modes captured).
    """

    loss: list[float] = field(default_factory=list)
    evals: list[tuple[int, Any]] = field(default_factory=list)
    seconds: float = 0.0
    series: dict[str, list[float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("loss", "evals"):
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{name} must be a list, got {type(value).__name__}")
            setattr(self, name, list(value))
        if any(not isinstance(v, Real) or isinstance(v, bool) for v in self.loss):
            raise TypeError("loss must be a list of numbers (one per step)")
        if not isinstance(self.seconds, Real) or isinstance(self.seconds, bool):
            raise TypeError(f"seconds must be a number, got {self.seconds!r}")
        if not self.seconds >= 0 or self.seconds == float("inf"):
            raise ValueError(f"seconds must be a finite number >= 0, got {self.seconds!r}")
        for name in ("series", "info"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(f"{name} must be a dict, got {type(getattr(self, name)).__name__}")

    def to_dict(self) -> dict:
        """A JSON-able dict (what the model cache stores beside the weights)."""
        return {"loss": list(self.loss), "evals": [list(e) for e in self.evals], "seconds": self.seconds,
                "series": {k: list(v) for k, v in self.series.items()}, "info": dict(self.info)}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """The inverse of :meth:`to_dict`."""
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict (what History.to_dict wrote), got {type(d).__name__}")
        unknown = set(d) - {"loss", "evals", "seconds", "series", "info"}
        if unknown:
            raise ValueError(f"d has keys a History does not have: {sorted(unknown)}")
        evals = d.get("evals", [])
        if not isinstance(evals, (list, tuple)) or not all(isinstance(e, (list, tuple)) and len(e) == 2 for e in evals):
            raise TypeError("d['evals'] must be a list of (step, value) pairs")
        return cls(loss=d.get("loss", []), evals=[tuple(e) for e in evals], seconds=d.get("seconds", 0.0),
                   series=d.get("series", {}), info=d.get("info", {}))

    def __getitem__(self, key: str):
        """``history["test_elbo"]``: a shortcut to :attr:`info`, then :attr:`series` (``"loss"``,
        ``"seconds"`` and ``"evals"`` give the attributes of those names)."""
        if key in ("loss", "seconds", "evals"):
            return getattr(self, key)
        if key in self.info:
            return self.info[key]
        if key in self.series:
            return self.series[key]
        raise KeyError(f"{key!r} is neither in history.info ({sorted(self.info)}) nor in history.series "
                       f"({sorted(self.series)})")


def _check_models(models) -> tuple[nn.Module, ...]:
    for i, m in enumerate(models):
        if not isinstance(m, nn.Module):
            raise TypeError(f"models[{i}] must be a torch.nn.Module, got {type(m).__name__}")
    return tuple(models)


def evaluating(*models: nn.Module) -> contextlib.AbstractContextManager[None]:
    """Eval mode and ``no_grad`` inside the block; each model's previous mode is restored after.

    A model that is not an ``nn.Module`` raises here, at the call."""
    return _evaluating(_check_models(models))


@contextlib.contextmanager
def _evaluating(models: tuple[nn.Module, ...]):
    modes = [m.training for m in models]
    try:
        for m in models:
            m.eval()
        with torch.no_grad():
            yield
    finally:
        for m, mode in zip(models, modes):
            m.train(mode)


def evaluate(fn: Callable[..., Any], *models: nn.Module) -> Any:
    """``fn()`` run in eval mode under ``no_grad`` (see :func:`evaluating`)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    with evaluating(*models):
        return fn()


def _call(loss_fn, batch):
    return loss_fn(*batch) if isinstance(batch, (tuple, list)) else loss_fn(batch)


def _cycle(batches) -> Iterator:
    if callable(batches) and not isinstance(batches, Iterable):
        while True:
            yield batches()
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise ValueError("batches yielded no batch")


#: Run lengths above this warn: at a few milliseconds a step they would run for hours.
MANY_STEPS = 10**7


def check_num_steps(name: str, value: Any) -> int:
    """A positive integer run length; warns when it is absurdly large (over :data:`MANY_STEPS`)."""
    value = check_positive_int(name, value)
    if value > MANY_STEPS:
        warnings.warn(f"{name}={value:,} is over {MANY_STEPS:,}: this will run for a very long time "
                      "(interrupt with Ctrl-C)", stacklevel=3)
    return value


def progress_disabled(progress: bool | None) -> bool:
    """Whether to hide progress bars: ``progress`` when given, else the ``TQDM_DISABLE`` variable."""
    check_bool("progress", progress, allow_none=True)
    if progress is None:  # tqdm ignores TQDM_DISABLE when disable= is passed, so read it here
        return os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    return not progress


def run_steps(step: Callable[[int], torch.Tensor | dict[str, torch.Tensor]], num_steps: int, *,
              desc: str = "training", progress: bool | None = None, models: tuple[nn.Module, ...] = (),
              eval_fn: Callable[[], Any] | None = None, eval_every: int = 0, check_every: int = 50) -> History:
    """The loop every trainer shares: call ``step(i)`` for i = 1..num_steps with a progress bar.

    ``step`` does one update and returns the loss (a scalar tensor) or a dict of named losses (the
    first is recorded as ``History.loss``, every one in ``History.series``). Every ``check_every``
    steps (and at the last) the recorded losses are checked for NaN and infinity, which raises
    naming the first bad step. Ctrl-C closes the progress bar and re-raises, so nothing half-trained
    is saved by the model cache.
    """
    if not callable(step):
        raise TypeError(f"step must be callable (step(i) does one update), got {type(step).__name__}")
    num_steps = check_num_steps("num_steps", num_steps)
    eval_every = check_nonnegative_int("eval_every", eval_every)
    check_every = check_positive_int("check_every", check_every)
    if not isinstance(desc, str):
        raise TypeError(f"desc must be a string (the progress bar's label), got {type(desc).__name__}")
    if isinstance(models, nn.Module):
        models = (models,)
    if not isinstance(models, (tuple, list)):
        raise TypeError(f"models must be a tuple of torch.nn.Module, got {type(models).__name__}")
    models = _check_models(models)
    if eval_fn is not None and not callable(eval_fn):
        raise TypeError(f"eval_fn must be callable or None, got {type(eval_fn).__name__}")
    if eval_every and eval_fn is None:
        raise ValueError("eval_every needs an eval_fn to call")
    disable = progress_disabled(progress)
    history = History()
    records: dict[str, list[torch.Tensor]] = {}
    start = time.perf_counter()
    bar = tqdm(total=num_steps, desc=desc, disable=disable, leave=False, mininterval=0.25)
    checked = 0
    try:
        for m in models:
            m.train()
        for i in range(1, num_steps + 1):
            out = step(i)
            named = out if isinstance(out, dict) else {"loss": out}
            if i == 1:
                _check_step_output(named)
            for name, value in named.items():
                records.setdefault(name, []).append(value.detach())
            if i % check_every == 0 or i == num_steps:
                # Checking finiteness syncs with the device, so do it every check_every steps.
                for name, values in records.items():
                    recent = torch.stack(values[checked:])
                    if not bool(torch.isfinite(recent).all()):
                        offset = int((~torch.isfinite(recent)).nonzero()[0])
                        raise FloatingPointError(
                            f"the {name.replace('_', ' ')} became {float(recent[offset])} at step {checked + 1 + offset}")
                checked = i
                bar.set_postfix({k: f"{float(v[-1]):.4g}" for k, v in records.items()}, refresh=False)
            bar.update()
            if eval_fn is not None and ((eval_every and i % eval_every == 0) or i == num_steps):
                history.evals.append((i, evaluate(eval_fn, *models)))
    finally:
        bar.close()
    lists = {name: torch.stack(values).tolist() for name, values in records.items()}
    history.loss = next(iter(lists.values()))
    if len(lists) > 1 or "loss" not in lists:
        history.series = lists
    history.seconds = time.perf_counter() - start
    return history


def _check_step_output(named: dict) -> None:
    """The first step's output: scalar tensors only (else the error would come from deep in autograd)."""
    if not named:
        raise ValueError("step must return a loss or a non-empty dict of losses, got an empty dict")
    for name, value in named.items():
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"step must return a scalar tensor (or a dict of them) for {name!r}, got {got}")


def fit(loss_fn: Callable[..., torch.Tensor], optimizer: torch.optim.Optimizer, batches,
        num_steps: int, *, model: nn.Module | None = None, eval_fn: Callable[[], Any] | None = None,
        eval_every: int = 0, scheduler=None, clip_grad: float | None = None,
        desc: str = "training", progress: bool | None = None) -> History:
    """Minimize ``loss_fn`` for ``num_steps`` optimizer steps (through :func:`run_steps`).

    Args:
        loss_fn: takes one batch (a tuple is unpacked into arguments) and returns a scalar loss.
        optimizer: any ``torch.optim`` optimizer over the parameters the loss depends on.
        batches: an iterable of batches, cycled through epochs (for example :class:`Batches`), or
            a function of no arguments that returns a fresh batch (a sampler).
        num_steps: the number of optimizer steps.
        model: when given, put in train mode for the steps and eval mode for ``eval_fn``.
        eval_fn: called under ``no_grad`` every ``eval_every`` steps and after the last step;
            whatever it returns is recorded in ``History.evals``.
        scheduler: an optional learning-rate scheduler, stepped after each optimizer step.
        clip_grad: clip the gradient norm of the optimizer's parameters to this positive value.
        desc: the progress bar's label.
        progress: show a progress bar (default: yes, unless ``TQDM_DISABLE`` is set).

    Returns:
        A :class:`History` with the loss of every step.

    Raises:
        FloatingPointError: the loss became NaN or infinite (the step is named).
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if clip_grad is not None:
        clip_grad = check_positive_float("clip_grad", clip_grad)
    if isinstance(batches, (str, bytes, dict)) or not (callable(batches) or isinstance(batches, Iterable)):
        raise TypeError(f"batches must be an iterable of batches (e.g. Batches) or a function that returns one, "
                        f"got {type(batches).__name__}")
    if model is not None and not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must be a learning-rate scheduler with a step() method, got {type(scheduler).__name__}")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    stream = _cycle(batches)

    def step(_):
        optimizer.zero_grad(set_to_none=True)
        loss = _call(loss_fn, next(stream))
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            got = f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise TypeError(f"loss_fn must return a scalar loss tensor, got {got}")
        if not loss.requires_grad:
            raise ValueError("loss_fn returned a loss that does not depend on the optimizer's parameters "
                             "(requires_grad is False): was it computed under no_grad or from detached tensors?")
        loss.backward()
        if clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(params, clip_grad)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return loss

    models = (model,) if model is not None else ()
    return run_steps(step, num_steps, desc=desc, progress=progress, models=models, eval_fn=eval_fn,
                     eval_every=eval_every)
