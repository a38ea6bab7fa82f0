"""Small building blocks shared by the topic modules."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from .utils import check_positive_int

__all__ = ["mlp"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "softplus": nn.Softplus, "elu": nn.ELU,
                "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU}


def mlp(sizes: Sequence[int], *, activation: str = "relu", final_activation: str | None = None) -> nn.Sequential:
    """A multilayer perceptron ``sizes[0] -> ... -> sizes[-1]`` with ``activation`` between layers.

    >>> mlp([784, 400, 20])
    Sequential(
      (0): Linear(in_features=784, out_features=400, bias=True)
      (1): ReLU()
      (2): Linear(in_features=400, out_features=20, bias=True)
    )
    """
    if not isinstance(sizes, (list, tuple)):
        raise TypeError(f"sizes must be a list of layer sizes such as [784, 400, 20], got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {list(sizes)}")
    for i, s in enumerate(sizes):
        check_positive_int(f"sizes[{i}]", s)
    for name, act in (("activation", activation), ("final_activation", final_activation)):
        if act is not None and (not isinstance(act, str) or act not in _ACTIVATIONS):
            raise ValueError(f"{name} must be one of {sorted(_ACTIVATIONS)}, got {act!r}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    if final_activation is not None:
        layers.append(_ACTIVATIONS[final_activation]())
    return nn.Sequential(*layers)
