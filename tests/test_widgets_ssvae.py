import numpy as np
import pytest
import torch

from lecturekit import ssvae
from lecturekit.widgets.ssvae import analogies, style_explorer


@pytest.fixture(scope="module")
def model_and_digits():
    torch.manual_seed(0)
    model = ssvae.M2(x_dim=784, num_classes=10, latent_dim=3, hidden_dim=16).eval()
    x = torch.rand(60, 1, 28, 28)
    y = torch.arange(10).repeat(6)
    return model, x, y


def test_style_explorer_renders_the_chosen_class_at_the_chosen_style(model_and_digits):
    model, x, y = model_and_digits
    app = style_explorer(model, x, y)
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    before = app.image.value
    app.controls["z1"].value = 1.5
    app.controls["label"].value = 7
    r = app.result
    assert app.error is None and r["label"] == 7 and r["plane"] == (1.5, 0.0)
    centre, axes, _ = ssvae.style_plane(model, x, y)
    z = centre + 1.5 * axes[0]
    np.testing.assert_allclose(r["z"], z.detach().numpy(), atol=1e-6)
    expected = model.mean_x(torch.tensor([7]), z[None]).detach().numpy().reshape(28, 28)
    np.testing.assert_allclose(r["images"][7], expected, atol=1e-6)
    assert app.image.value != before and "class y = 7" in app.readout_html.value


def test_style_plane_spans_the_styles(model_and_digits):
    model, x, y = model_and_digits
    centre, axes, coords = ssvae.style_plane(model, x, y)
    z = ssvae.style_of(model, x, y)
    assert axes.shape == (2, 3) and coords.shape == (60, 2)
    # the coordinates have unit spread along each axis and reproduce the projection of z
    np.testing.assert_allclose(coords.std(0).detach().numpy(), [1.0, 1.0], atol=1e-5)
    resid = (z - centre) - coords @ axes
    assert float(resid.norm()) < float((z - centre).norm())


def test_analogies_keep_the_style_and_change_the_class(model_and_digits):
    model, x, y = model_and_digits
    app = analogies(model, x, y)
    app.controls["index"].value = 13
    r = app.result
    assert app.error is None and r["index"] == 13 and r["label"] == 3
    z = ssvae.style_of(model, x[13:14])[0]
    np.testing.assert_allclose(r["images"], ssvae.render_classes(model, z).detach().numpy().reshape(10, 28, 28),
                               atol=1e-6)
    np.testing.assert_allclose(r["input"], x[13, 0].numpy())
    assert r["predicted"] == int(model.logits(x[13:14]).argmax())
    assert "true label 3" in app.readout_html.value


def test_bad_arguments(model_and_digits):
    model, x, y = model_and_digits
    with pytest.raises(TypeError, match="model must be a trained lecturekit.ssvae.M2"):
        style_explorer(torch.nn.Linear(2, 2), x, y)
    with pytest.raises(ValueError, match="model must generate 28x28 images"):
        analogies(ssvae.M2(x_dim=32, likelihood="gaussian"), x)
    with pytest.raises(ValueError, match="y must hold class indices"):
        style_explorer(model, x, y + 5)
    with pytest.raises(ValueError, match="z must have shape"):
        ssvae.render_classes(model, torch.zeros(2))


@pytest.mark.parametrize("build, kwargs, exc, message", [
    (style_explorer, {"label": 10}, ValueError, "label must be a class index"),
    (style_explorer, {"span": 0.0}, ValueError, "span must be positive"),
    (analogies, {"index": 60}, ValueError, "index must be below the number of digits"),
    (analogies, {"index": -1}, ValueError, "index"),
])
def test_builders_validate_before_building(model_and_digits, build, kwargs, exc, message):
    model, x, y = model_and_digits
    with pytest.raises(exc, match=message):
        build(model, x, y, **kwargs)


def test_builders_check_the_digits(model_and_digits):
    model, x, y = model_and_digits
    with pytest.raises(ValueError, match=r"y must have one label per row of x \(60\), got 3"):
        style_explorer(model, x, y[:3])
    with pytest.raises(ValueError, match=r"y must have one label per row of x \(60\), got 3"):
        analogies(model, x, y[:3])
    with pytest.raises(ValueError, match="divide 0-255 pixels by 255"):
        analogies(model, 255 * x, y)
    with pytest.raises(TypeError, match="x is float64"):
        style_explorer(model, x.double(), y)
