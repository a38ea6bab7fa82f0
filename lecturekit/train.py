"""The one training loop, used by every model in lecturekit.

``fit(loss_fn, optimizer, batches, num_steps)`` draws a batch, computes the loss, takes an
optimizer step, and records the loss, with a ``tqdm.auto`` progress bar (silenced by
``TQDM_DISABLE=1``, as the test suite sets). Evaluation runs in eval mode under ``no_grad``.
GANs add their alternating step on top of it in :mod:`lecturekit.gan`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from .utils import check_nonnegative_int, check_positive_int

__all__ = ["Batches", "History", "fit", "evaluating", "evaluate"]


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
            raise ValueError("Batches needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"tensors[{i}] must be a torch.Tensor, got {type(t).__name__}")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"tensors must share their first dimension, got {[t.shape[0] for t in tensors]}")
        self.tensors = tensors
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        if drop_last and n < batch_size:
            raise ValueError(f"batch_size must be at most the number of examples ({n}) with drop_last, got {batch_size}")

    def __len__(self) -> int:
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = self.tensors[0].shape[0]
        device = self.tensors[0].device
        order = torch.randperm(n, generator=self.generator).to(device) if self.shuffle else None
        for b in range(len(self)):
            if order is None:
                sl = slice(b * self.batch_size, (b + 1) * self.batch_size)
                yield tuple(t[sl] for t in self.tensors)
            else:
                idx = order[b * self.batch_size : (b + 1) * self.batch_size]
                yield tuple(t[idx] for t in self.tensors)


@dataclass
class History:
    """What :func:`fit` recorded: the loss at every step, evaluations, and the wall time."""

    loss: list[float] = field(default_factory=list)
    evals: list[tuple[int, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"loss": self.loss, "evals": self.evals, "seconds": self.seconds}


@contextlib.contextmanager
def evaluating(*models: nn.Module):
    """Eval mode and ``no_grad`` inside the block; each model's previous mode is restored after."""
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


def fit(loss_fn: Callable[..., torch.Tensor], optimizer: torch.optim.Optimizer, batches,
        num_steps: int, *, model: nn.Module | None = None, eval_fn: Callable[[], Any] | None = None,
        eval_every: int = 0, scheduler=None, clip_grad: float | None = None,
        desc: str = "training", progress: bool | None = None) -> History:
    """Minimize ``loss_fn`` for ``num_steps`` optimizer steps.

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
        clip_grad: clip the gradient norm of the optimizer's parameters to this value.
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
    num_steps = check_positive_int("num_steps", num_steps)
    eval_every = check_nonnegative_int("eval_every", eval_every)
    if eval_every and eval_fn is None:
        raise ValueError("eval_every needs an eval_fn to call")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    models = (model,) if model is not None else ()
    history = History()
    losses: list[torch.Tensor] = []
    start = time.perf_counter()
    if progress is None:  # tqdm ignores TQDM_DISABLE when disable= is passed, so read it here
        disable = os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    else:
        disable = not progress
    bar = tqdm(total=num_steps, desc=desc, disable=disable,
               leave=False, mininterval=0.25)
    stream = _cycle(batches)
    try:
        if model is not None:
            model.train()
        for step in range(1, num_steps + 1):
            optimizer.zero_grad(set_to_none=True)
            loss = _call(loss_fn, next(stream))
            loss.backward()
            if clip_grad is not None:
                torch.nn.utils.clip_grad_norm_(params, clip_grad)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.detach())
            # Checking finiteness syncs with the device, so do it every 50 steps, not every step.
            if step % 50 == 0 or step == num_steps:
                recent = torch.stack(losses[-50:])
                if not bool(torch.isfinite(recent).all()):
                    offset = int((~torch.isfinite(recent)).nonzero()[0])
                    raise FloatingPointError(
                        f"the loss became {float(recent[offset])} at step {step - len(recent) + 1 + offset}"
                    )
                bar.set_postfix(loss=f"{float(recent[-1]):.4g}", refresh=False)
            bar.update()
            if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == num_steps):
                history.evals.append((step, evaluate(eval_fn, *models)))
    finally:
        bar.close()
    history.loss = torch.stack(losses).tolist()
    history.seconds = time.perf_counter() - start
    return history
