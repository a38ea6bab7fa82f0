import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import data, flows



@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny tensors: a second thread only adds synchronisation (and stalls on a busy machine)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**31 - 1)
scales = st.floats(0.05, 3.0)


def _randomized(transform, seed, scale):
    g = torch.Generator().manual_seed(seed)
    transform = transform.double()
    with torch.no_grad():
        for p in transform.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=torch.float64))
    z = 2 * torch.randn(6, transform.dim, generator=g, dtype=torch.float64)
    return transform, z


def _autograd_log_det(transform, z):
    jac = torch.stack([torch.autograd.functional.jacobian(lambda v: transform(v[None])[0][0], zi) for zi in z])
    return torch.linalg.slogdet(jac)[1]


# One layer of each type (the Jacobian of a deep stack with large random weights is too
# ill-conditioned for slogdet to be a 1e-6 reference), and short stacks checked separately below.
LAYERS = {
    "planar": lambda d: flows.PlanarFlow(d, 1),
    "radial": lambda d: flows.RadialFlow(d, 1),
    "additive": lambda d: flows.AdditiveCoupling(d, parity=1, hidden_dim=8),
    "affine": lambda d: flows.AffineCoupling(d, parity=0, hidden_dim=8),
    "scaling": lambda d: flows.Scaling(d),
    "planar_stack": lambda d: flows.PlanarFlow(d, 3),
    "nice": lambda d: flows.NICE(d, num_coupling=3, hidden_dim=8),
    "realnvp": lambda d: flows.RealNVP(d, num_coupling=2, hidden_dim=8),
}
STACKS = ("planar_stack", "nice", "realnvp")


@pytest.mark.parametrize("kind", list(LAYERS))
@SETTINGS
@given(seed=seeds, scale=scales, dim=st.sampled_from([2, 3]))
def test_log_det_matches_autograd_jacobian(kind, seed, scale, dim):
    transform, z = _randomized(LAYERS[kind](dim), seed, min(scale, 1.0) if kind in STACKS else scale)
    _, log_det = transform(z)
    assert torch.allclose(log_det, _autograd_log_det(transform, z), atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", list(LAYERS))
@SETTINGS
@given(seed=seeds, scale=scales)
def test_inverse_round_trips_with_the_same_log_det(kind, seed, scale):
    transform, z = _randomized(LAYERS[kind](2), seed, min(scale, 1.0) if kind in STACKS else scale)
    y, log_det = transform(z)
    z_back, log_det_back = transform.inverse(y)
    assert torch.allclose(z_back, z, atol=1e-6, rtol=0)
    assert torch.allclose(log_det_back, log_det, atol=1e-6, rtol=0)


@SETTINGS
@given(seed=seeds, scale=st.floats(1e-3, 1e3))
def test_planar_constraint_holds_for_every_parameter_value(seed, scale):
    layer, _ = _randomized(flows.PlanarFlow(2, 16), seed, scale)
    u_hat, wu_hat = layer.u_hat()
    assert (wu_hat >= -1).all()
    assert ((layer.w * u_hat).sum(-1) >= -1 - 1e-9 * (1 + u_hat.norm(dim=-1) * layer.w.norm(dim=-1))).all()
    assert torch.allclose((layer.w * u_hat).sum(-1), wu_hat, rtol=1e-8, atol=1e-8)


def test_planar_with_w_zero_is_a_translation():
    layer = flows.PlanarFlow(2, 1).double()
    with torch.no_grad():
        layer.w.zero_()
        layer.b.fill_(0.5)
    z = torch.randn(4, 2, dtype=torch.float64)
    y, log_det = layer(z)
    assert torch.isfinite(y).all() and torch.allclose(log_det, torch.zeros(4, dtype=torch.float64))


def test_planar_bank_equals_separate_flows():
    bank = flows.PlanarFlow(2, 4, num_flows=3).double()
    z = torch.randn(3, 7, 2, dtype=torch.float64)
    y, log_det = bank(z)
    for m in range(3):
        single = flows.PlanarFlow(2, 4).double()
        single.load_state_dict({"w": bank.w[m], "u": bank.u[m], "b": bank.b[m]})
        y_m, ld_m = single(z[m])
        assert torch.allclose(y_m, y[m]) and torch.allclose(ld_m, log_det[m])
    assert torch.allclose(bank.inverse(y)[0], z, atol=1e-8)


def test_select_takes_one_flow_out_of_a_bank():
    bank = flows.planar_flow(num_layers=3, num_flows=2)
    z = torch.randn(2, 5, 2)
    single = flows.select(bank, 1)
    assert torch.allclose(single(z[1])[0], bank(z)[0][1]) and single.num_flows is None
    with pytest.raises(ValueError, match="index"):
        flows.select(bank, 2)


def test_compose_sums_log_dets_and_upto_truncates():
    t = flows.Compose(flows.PlanarFlow(2, 2), flows.RadialFlow(2, 1), flows.Scaling(2)).double()
    z = torch.randn(5, 2, dtype=torch.float64)
    y, log_det = t(z)
    manual, total = z, 0
    for layer in t.transforms:
        manual, ld = layer(manual)
        total = total + ld
    assert torch.allclose(y, manual) and torch.allclose(log_det, total)
    y1, ld1 = t(z, upto=1)
    assert torch.allclose(y1, t.transforms[0](z)[0])
    assert torch.equal(t(z, upto=0)[0], z)


def test_flow_log_prob_is_the_change_of_variables():
    flow = flows.Flow(flows.RealNVP(2, num_coupling=2, hidden_dim=8)).double()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    z0 = torch.randn(6, 2, dtype=torch.float64)
    x, log_det = flow(z0)
    assert torch.allclose(flow.log_prob(x), flow.base.log_prob(z0) - log_det, atol=1e-8)


def test_density_grid_integrates_to_one():
    torch.manual_seed(1)
    flow = flows.planar_flow(num_layers=4).double()
    with torch.no_grad():
        for p in flow.transform.parameters():
            p.mul_(10)
    q = flows.density_grid(flow, bound=7.0, num=200)
    assert float(q.sum()) * (14 / 200) ** 2 == pytest.approx(1.0, abs=2e-3)


def test_log_partition_matches_a_finer_grid_and_a_closed_form():
    assert flows.log_partition("U2") == pytest.approx(flows.log_partition("U2", num=1500), abs=1e-6)
    # U2 without its envelope integrates in y to sqrt(2π)·0.4 per unit of x; the envelope only trims
    # the tails, so log Z lies below log(20 · sqrt(2π) · 0.4).
    assert flows.log_partition("U2") < math.log(20 * math.sqrt(2 * math.pi) * 0.4)


def test_kl_estimate_is_positive_and_matches_its_definition():
    flow = flows.planar_flow(num_layers=2)
    value = flows.kl(flow, "U2", num_samples=20_000, generator=torch.Generator().manual_seed(0))
    assert value > 0
    # E_q[log q + U] + log Z by hand, from independent samples
    with torch.no_grad():
        z, log_q = flow.rsample_and_log_prob(100_000, generator=torch.Generator().manual_seed(1))
    by_hand = float((log_q + data.energy("U2", z)).mean()) + flows.log_partition("U2")
    assert value == pytest.approx(by_hand, abs=0.05)


def test_reverse_kl_fit_lowers_kl_and_bank_matches_single_targets():
    torch.manual_seed(0)
    bank = flows.planar_flow(num_layers=4, num_flows=2)
    before = flows.kl(bank, ["U1", "U2"], num_samples=5000)
    flows.fit_reverse_kl(bank, ["U1", "U2"], num_steps=300, batch_size=128, progress=False)
    after = flows.kl(bank, ["U1", "U2"], num_samples=5000)
    assert all(a < b - 0.5 for a, b in zip(after, before)), (before, after)
    assert all(a > -0.05 for a in after)


def test_beta_schedule():
    assert flows.beta_schedule(0, 1000) == pytest.approx(0.01)
    assert flows.beta_schedule(250, 1000) == pytest.approx(0.51)
    assert flows.beta_schedule(900, 1000) == 1.0


def test_max_likelihood_on_two_moons_beats_a_gaussian():
    x = data.two_moons(1000, generator=torch.Generator().manual_seed(0))
    x_test = data.two_moons(1000, generator=torch.Generator().manual_seed(1))
    flow = flows.realnvp_flow(num_coupling=4, hidden_dim=16)
    before = flows.log_likelihood(flow, x_test)
    flows.fit_max_likelihood(flow, x, num_steps=300, lr=5e-3, progress=False)
    gaussian = torch.distributions.MultivariateNormal(x.mean(0), torch.cov(x.T))
    assert flows.log_likelihood(flow, x_test) > float(gaussian.log_prob(x_test).mean()) + 0.2 > before


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="num_layers"):
        flows.PlanarFlow(2, 0)
    with pytest.raises(ValueError, match="num_layers"):
        flows.planar_flow(num_layers=0)
    with pytest.raises(ValueError, match="num_coupling"):
        flows.NICE(2, num_coupling=0)
    with pytest.raises(ValueError, match="z must have shape"):
        flows.PlanarFlow(2, 2)(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="x must have shape"):
        flows.nice_flow().log_prob(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="target"):
        flows.fit_reverse_kl(flows.planar_flow(num_layers=2), "U9", num_steps=1)
    with pytest.raises(ValueError, match="target"):
        flows.kl(flows.planar_flow(num_layers=2, num_flows=2), ["U1"])
    with pytest.raises(ValueError, match="target"):
        flows.log_partition("banana")
    with pytest.raises(ValueError, match="upto"):
        flows.PlanarFlow(2, 2)(torch.zeros(1, 2), upto=3)
    with pytest.raises(ValueError, match="dim"):
        flows.AdditiveCoupling(1)
