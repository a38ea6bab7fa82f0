import numpy as np
import pytest
import torch

from lecturekit import vae
from lecturekit.widgets.vae import latent_explorer


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = vae.VAE(image_shape=(6, 5), hidden_dim=8, latent_dim=2).eval()
    x = (torch.rand(40, 1, 6, 5) > 0.5).float()
    y = torch.arange(40) % 4
    return model, x, y


def test_builds_and_decodes_the_slider_point(setup):
    model, x, y = setup
    app = latent_explorer(model, x, y, scale=4, limit=3.0)
    assert app.controls["z1"].max == 3.0
    assert app.error is None and app.image.value[:4] == b"\x89PNG" and app.decoded.value[:4] == b"\x89PNG"
    app.controls["z1"].value = 1.0
    app.controls["z2"].value = -0.5
    with torch.no_grad():
        ref = model.decode(torch.tensor([[1.0, -0.5]]))[0, 0].numpy()
    assert app.error is None and app.result["z"] == (1.0, -0.5)
    assert np.allclose(app.result["image"], ref)
    assert "z = (1.00, -0.50)" in app.readout_html.value


def test_decoded_image_is_crisp_upscaled(setup):
    import io

    from PIL import Image

    model, x, y = setup
    app = latent_explorer(model, x, y, scale=4)
    img = np.asarray(Image.open(io.BytesIO(app.decoded.value)))
    assert img.shape == (24, 20)
    blocks = img.reshape(6, 4, 5, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every 4x4 block one grey level: no blur


def test_picking_an_index_moves_the_sliders_to_its_encoding(setup):
    model, x, y = setup
    app = latent_explorer(model, x, y, limit=50.0, step=1e-4)
    app.controls["index"].value = 7
    mu = model.encode(x[7:8]).mean[0].detach()
    assert app.controls["z1"].value == pytest.approx(float(mu[0]), abs=1e-4)
    assert app.controls["z2"].value == pytest.approx(float(mu[1]), abs=1e-4)
    assert app.error is None and app.result["nearest"] == 7 and app.result["nearest_label"] == 3


def test_works_without_labels_and_rejects_bad_inputs(setup):
    model, x, _ = setup
    assert latent_explorer(model, x).error is None
    with pytest.raises(ValueError, match="latent_dim 2"):
        latent_explorer(vae.VAE(image_shape=(6, 5), hidden_dim=8, latent_dim=3), x)
    with pytest.raises(ValueError, match="x must"):
        latent_explorer(model, torch.zeros(4, 1, 28, 28))
    with pytest.raises(ValueError, match="y must"):
        latent_explorer(model, x, torch.zeros(3))
