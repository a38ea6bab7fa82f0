import numpy as np
import pytest
import torch

from lecturekit import flows
from lecturekit.widgets.flows import density_warp, warped_lines


@pytest.fixture(scope="module")
def flow():
    torch.manual_seed(0)
    f = flows.planar_flow(num_layers=3)
    with torch.no_grad():
        for p in f.transform.parameters():
            p.mul_(10)
    return f


def test_builds_at_the_last_layer_and_layer_zero_is_the_base(flow):
    app = density_warp(flow, num=40, coarse=30)
    assert app.error is None and app.image.value[:4] == b"\x89PNG"
    assert app.result["k"] == 3
    app.controls["k"].value = 0
    base = flows.density_grid(flow, num=40, upto=0).numpy()
    assert np.allclose(app.result["density"], base)
    gauss = torch.distributions.Normal(0.0, 1.0)
    ticks, _ = flows.grid(num=40)
    expected = (gauss.log_prob(ticks)[:, None] + gauss.log_prob(ticks)[None]).exp().numpy()
    assert np.allclose(base, expected, atol=1e-6)
    assert "k = 0" in app.readout_html.value


def test_the_warped_grid_follows_the_layers(flow):
    app = density_warp(flow, num=40, coarse=30)
    for k in (1, 2):
        app.controls["k"].value = k
        pts = warped_lines(flow.transform, centre=flow.base.mean.detach(), scale=torch.ones(2), upto=0)
        finite = ~np.isnan(pts[:, 0])
        moved = flow.transform(torch.as_tensor(pts[finite]), upto=k)[0].detach().numpy()
        assert np.allclose(app.result["lines"][finite], moved, atol=1e-5)


def test_planar_sliders_keep_w_u_hat_above_minus_one_and_report_log_det(flow):
    app = density_warp(flow, num=40, coarse=30)
    before = app.image.value
    for name, value in {"w1": 4.0, "w2": 0.0, "u1": -3.0, "u2": 0.0, "b": 0.5}.items():
        app.controls[name].value = value
    r = app.result
    assert app.error is None and r["wu"] == pytest.approx(-12.0) and r["wu_hat"] >= -1
    layer = flows.PlanarFlow(2, 1)
    with torch.no_grad():
        layer.w.copy_(torch.tensor([[4.0, 0.0]])); layer.u.copy_(torch.tensor([[-3.0, 0.0]])); layer.b.fill_(0.5)
    _, log_det = layer(flows.grid(bound=3.0, num=30)[1])
    assert r["log_det_min"] == pytest.approx(float(log_det.min().detach()), abs=1e-5)
    assert r["log_det_min"] < -1 and np.isfinite(r["log_det_min"])
    # q_1 still integrates to about one on the coarse grid over [-3, 3]^2
    assert r["q1"].sum() * (6 / 30) ** 2 == pytest.approx(1.0, abs=0.05)
    assert app.image.value != before and "wᵀû" in app.readout_html.value


def test_bad_arguments():
    with pytest.raises(TypeError, match="flow"):
        density_warp("not a flow")
    with pytest.raises(TypeError, match="flow"):
        density_warp(flows.planar_flow(num_layers=2, num_flows=2))
    with pytest.raises(ValueError, match="flow must be 2-D"):
        density_warp(flows.planar_flow(dim=3, num_layers=2))
    with pytest.raises(ValueError, match="bound"):
        density_warp(flows.planar_flow(num_layers=2), bound=-1.0)
    with pytest.raises(ValueError, match="num"):
        density_warp(flows.planar_flow(num_layers=2), num=0)


def test_a_float64_flow_is_drawn_from_a_copy():
    flow = flows.planar_flow(num_layers=2).double()
    app = density_warp(flow, num=20, coarse=10)
    assert app.error is None and flow.base.mean.dtype == torch.float64
