import pytest
import torch

from lecturekit.nn import mlp


def test_mlp_shapes_and_activations():
    net = mlp([3, 8, 8, 2], activation="tanh", final_activation="softplus")
    y = net(torch.randn(5, 3))
    assert y.shape == (5, 2) and (y > 0).all()
    assert sum(isinstance(m, torch.nn.Tanh) for m in net) == 2


@pytest.mark.parametrize("sizes, match", [([3], "sizes"), ([3, 0], r"sizes\[1\]"), ([3, 2.5], r"sizes\[1\]")])
def test_mlp_bad_sizes(sizes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        mlp(sizes)


def test_mlp_bad_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp([2, 2], activation="swishy")
