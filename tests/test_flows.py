import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import data, flows, gan
from lecturekit.claims import ClaimError, check
from lecturekit.train import History
from lecturekit.utils import make_generator


SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**31 - 1)
scales = st.floats(0.05, 3.0)


def _randomized(transform, seed, scale):
    g = make_generator(seed)
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


def test_density_grid_extent_lines_up_with_imshow():
    """A grid over extent (x0, x1, y0, y1) puts row i at y and column j at x, as imshow(origin="lower",
    extent=...) draws it, so a density panel lines up with scatter panels of the same limits."""
    ticks, points = flows.grid(extent=(-1.0, 3.0, -2.0, 0.0), num=4)
    assert torch.allclose(ticks, torch.tensor([-0.5, 0.5, 1.5, 2.5]))
    cells = points.reshape(4, 4, 2)
    assert torch.allclose(cells[0, :, 0], ticks) and torch.allclose(cells[:, 0, 1], torch.tensor([-1.75, -1.25, -0.75, -0.25]))
    p = flows.target_density_grid("U1", extent=(-1.0, 3.0, -2.0, 0.0), num=4)
    assert torch.allclose(p[1, 2], torch.exp(-data.energy("U1", torch.tensor([[1.5, -1.25]], dtype=torch.float64))
                                             - flows.log_partition("U1")).float()[0])


def test_log_partition_matches_a_finer_grid_and_a_closed_form():
    assert flows.log_partition("U2") == pytest.approx(flows.log_partition("U2", num=1500), abs=1e-6)
    # U2 without its envelope integrates in y to sqrt(2π)·0.4 per unit of x; the envelope only trims
    # the tails, so log Z lies below log(20 · sqrt(2π) · 0.4).
    assert flows.log_partition("U2") < math.log(20 * math.sqrt(2 * math.pi) * 0.4)


def test_kl_estimate_is_positive_and_matches_its_definition():
    flow = flows.planar_flow(num_layers=2)
    value = flows.kl(flow, "U2", num_samples=20_000, generator=make_generator(0))
    assert value > 0
    # E_q[log q + U] + log Z by hand, from independent samples
    with torch.no_grad():
        z, log_q = flow.rsample_and_log_prob(100_000, generator=make_generator(1))
    by_hand = float((log_q + data.energy("U2", z)).mean()) + flows.log_partition("U2")
    assert value == pytest.approx(by_hand, abs=0.05)


def test_reverse_kl_fit_lowers_kl_and_returns_a_history():
    bank = flows.planar_flow(num_layers=4, num_flows=2)
    before = flows.kl(bank, ["U1", "U2"], num_samples=5000, generator=make_generator(0))
    history = flows.fit_reverse_kl(bank, ["U1", "U2"], num_steps=300, batch_size=128, generator=make_generator(1))
    after = flows.kl(bank, ["U1", "U2"], num_samples=5000, generator=make_generator(0))
    assert isinstance(history, History) and len(history.loss) == 300 and history.info["target"] == ["U1", "U2"]
    assert all(a < b - 0.5 for a, b in zip(after, before)), (before, after)
    assert all(a > -0.05 for a in after)


def test_restarts_keep_the_best_copy_of_each_flow():
    bank = flows.planar_flow(num_layers=2, num_flows=2)
    history = flows.fit_reverse_kl(bank, ["U1", "U3"], num_steps=60, batch_size=64, num_restarts=3,
                                   select_samples=2000, generator=make_generator(0))
    scores, chosen = history.info["restart_kl"], history.info["chosen"]
    assert len(scores) == 2 and all(len(s) == 3 for s in scores)
    assert chosen == [min(range(3), key=s.__getitem__) for s in scores]
    # the flow now holds the chosen copies: its KL is that copy's (up to Monte Carlo error)
    after = flows.kl(bank, ["U1", "U3"], num_samples=20_000, generator=make_generator(9))
    assert after == pytest.approx([min(s) for s in scores], abs=0.1)


def test_a_bank_of_restarts_scores_each_flow_on_its_own_target():
    names = ["U1", "U2", "U3", "U4"] * 3  # the layout of a bank of three restarts
    z = torch.randn(12, 7, 2)
    expected = torch.stack([data.energy(n, z[i]) for i, n in enumerate(names)])
    assert torch.equal(flows.fitting._energy(names, z, True), expected)
    assert torch.equal(flows.fitting._energy(["U2", "U1", "U1"], z[:3], True),
                       torch.stack([data.energy("U2", z[0]), data.energy("U1", z[1]), data.energy("U1", z[2])]))


def test_restarts_need_a_planar_flow():
    with pytest.raises(ValueError, match="num_restarts"):
        flows.fit_reverse_kl(flows.nice_flow(hidden_dim=8), "U1", num_steps=1, num_restarts=2)


def test_anneal_schedule():
    assert flows.anneal_schedule(0, 1000) == pytest.approx(0.01)
    assert flows.anneal_schedule(250, 1000) == pytest.approx(0.51)
    assert flows.anneal_schedule(900, 1000) == 1.0
    assert flows.anneal_schedule(100, 1000, anneal_fraction=0.1, tau_start=0.5) == 1.0
    assert not hasattr(flows, "beta_schedule")  # β_t is diffusion's; the temperature here is τ


def test_one_thread_restores_the_thread_count_even_on_error():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with flows.one_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), flows.one_thread():
            raise RuntimeError("boom")
        assert torch.get_num_threads() == 2
        flows.fit_reverse_kl(flows.planar_flow(num_layers=2), "U1", num_steps=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_diagonal_gaussian_log_prob_is_torch_distributions():
    base = flows.DiagonalGaussian(3, num_flows=2).double()
    with torch.no_grad():
        base.mean.normal_()
        base.log_scale.normal_()
    z = torch.randn(2, 5, 3, dtype=torch.float64)
    expected = base.distribution().log_prob(z.transpose(0, 1)).transpose(0, 1)
    assert torch.allclose(base.log_prob(z), expected, atol=1e-12)


def test_push_forward_density_matches_log_prob():
    flow = flows.realnvp_flow(num_coupling=2, hidden_dim=8).double()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    h = torch.randn(50, 2, dtype=torch.float64)
    x, log_q = flow.push_forward(h)
    assert torch.allclose(log_q, flow.log_prob(x), atol=1e-8)


def test_max_likelihood_on_two_moons_beats_a_gaussian():
    x = data.two_moons(1000, generator=make_generator(0))
    x_test = data.two_moons(1000, generator=make_generator(1))
    flow = flows.realnvp_flow(num_coupling=4, hidden_dim=16)
    before = flows.log_likelihood(flow, x_test)
    history = flows.fit_max_likelihood(flow, x, num_steps=300, lr=5e-3, generator=make_generator(2))
    assert isinstance(history, History) and len(history.loss) == 300
    gaussian = torch.distributions.MultivariateNormal(x.mean(0), torch.cov(x.T))
    assert flows.log_likelihood(flow, x_test) > float(gaussian.log_prob(x_test).mean()) + 0.2 > before


def test_moons_flow_records_its_test_likelihood():
    flow = flows.realnvp_flow(num_coupling=2, hidden_dim=8)
    history = flows.fit_moons_flow(flow, num_points=300, num_steps=20, generator=make_generator(0))
    assert history.info["test_loglik"] == pytest.approx(
        flows.log_likelihood(flow, flows.moons(300, seed=1)), abs=1e-9)
    assert torch.equal(flows.moons(5, seed=0), flows.moons(5, seed=0))


def test_moons_gan_trains_on_the_moons_and_returns_both_losses():
    model = gan.GAN(latent_dim=2, hidden_dim=16, num_layers=2)
    before = model.sample(500, generator=make_generator(1)).detach()
    history = flows.fit_moons_gan(model, num_points=500, num_steps=150, batch_size=64, lr=3e-3,
                                  generator=make_generator(0))
    assert len(history["d_loss"]) == len(history["g_loss"]) == 150
    after = model.sample(500, generator=make_generator(1)).detach()
    x = flows.moons(500, seed=0)
    # the samples move towards the data: the gap between means shrinks
    assert (after.mean(0) - x.mean(0)).norm() < (before.mean(0) - x.mean(0)).norm()
    with pytest.raises(TypeError, match="gan"):
        flows.fit_moons_gan(flows.realnvp_flow(), num_steps=1)


# --------------------------------------------------------------------------- the notebook's thresholds


TARGETS = list(data.ENERGIES)


def test_untrained_planar_flows_miss_every_k32_bound():
    bank = flows.planar_flow(num_layers=32, num_flows=4)
    kls = flows.kl(bank, TARGETS, num_samples=5000, generator=make_generator(0))
    for t, v in zip(TARGETS, kls):
        with pytest.raises(ClaimError):
            check(f"KL on {t} at K = 32", v, at_most=flows.FIG3_MAX_KL_K32[t])


def test_fig3_check_fails_when_a_longer_flow_is_worse():
    trained = flows.planar_flow(num_layers=2, num_flows=4)
    flows.fit_reverse_kl(trained, TARGETS, num_steps=300, batch_size=128, generator=make_generator(0))
    untrained = flows.planar_flow(num_layers=8, num_flows=4)
    kls = {2: flows.kl(trained, TARGETS, num_samples=5000, generator=make_generator(1)),
           8: flows.kl(untrained, TARGETS, num_samples=5000, generator=make_generator(1)),
           32: [0.0] * 4}
    with pytest.raises(ClaimError, match="decreases with K"):
        flows.check_fig3(kls)
    # and a K = 32 value over its bound fails even when the order holds
    good = {2: [3.0] * 4, 8: [2.0] * 4, 32: [1.0] * 4}
    with pytest.raises(ClaimError, match="K = 32"):
        flows.check_fig3(good)
    flows.check_fig3({2: [3.0] * 4, 8: [2.0] * 4, 32: [0.01] * 4})


def test_untrained_nice_misses_the_u1_bound():
    value = flows.kl(flows.nice_flow(hidden_dim=8), "U1", num_samples=5000, generator=make_generator(0))
    with pytest.raises(ClaimError):
        check("NICE on U1", value, at_most=flows.NICE_U1_MAX_KL)


def test_untrained_real_nvp_misses_the_moons_gain():
    x, x_test = flows.moons(1000, seed=0), flows.moons(1000, seed=1)
    gaussian = torch.distributions.MultivariateNormal(x.mean(0), torch.cov(x.T))
    gain = flows.log_likelihood(flows.realnvp_flow(), x_test) - float(gaussian.log_prob(x_test).mean())
    with pytest.raises(ClaimError):
        check("Real NVP over the Gaussian", gain, at_least=flows.MOONS_MIN_GAIN)


# --------------------------------------------------------------------------- bad input


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
    with pytest.raises(TypeError, match="flow"):
        flows.kl("not a flow", "U1")
    with pytest.raises(ValueError, match="extent"):
        flows.grid(extent=(1, 0, 0, 1))


@pytest.mark.parametrize("call", [
    lambda f, x: f.log_prob(x),
    lambda f, x: f(x),
    lambda f, x: f.transform.inverse(x),
    lambda f, x: f.push_forward(x),
], ids=["log_prob", "forward", "inverse", "push_forward"])
@pytest.mark.parametrize("make", [lambda: flows.planar_flow(num_layers=3), lambda: flows.nice_flow(hidden_dim=8),
                                  lambda: flows.realnvp_flow(num_coupling=2, hidden_dim=8)],
                         ids=["planar", "nice", "realnvp"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_input_raises_naming_the_argument(call, make, bad):
    x = torch.zeros(4, 2)
    x[2, 1] = bad
    with pytest.raises(ValueError, match="finite"):
        call(make(), x)


def test_wrong_dtype_says_what_to_call():
    with pytest.raises(TypeError, match=r"x is float64 but the flow is float32; call flow.double\(\) or x.float\(\)"):
        flows.planar_flow(num_layers=2).log_prob(torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="floating-point"):
        flows.planar_flow(num_layers=2).log_prob(torch.zeros(3, 2, dtype=torch.int64))


def test_a_bank_rejects_inputs_of_the_wrong_shape():
    bank = flows.planar_flow(num_layers=2, num_flows=3)
    with pytest.raises(ValueError, match=r"\(3, N, 2\)"):
        bank.log_prob(torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"\(3, N, 2\)"):
        bank(torch.zeros(2, 5, 2))


def _notebook_layer():
    layer = flows.PlanarFlow(2, 1).double()
    with torch.no_grad():
        layer.w.copy_(torch.tensor([[3.0, 1.0]]))
        layer.u.copy_(torch.tensor([[-2.0, 0.5]]))
    return layer, torch.randn(5, 2, dtype=torch.float64, generator=make_generator(0))


def test_notebook_change_of_variables_checks_fail_on_broken_layers():
    """The three checks of notebook 07's first cell hold for PlanarFlow and fail when the layer is
    broken: no û correction, a log-det that uses u instead of û, an inverse cut short."""
    layer, z = _notebook_layer()
    check("w·û", layer.u_hat()[1].detach(), at_least=-1.0)
    with pytest.raises(ClaimError):
        check("w·u without the correction", (layer.w * layer.u).sum().detach(), at_least=-1.0)
    jac = torch.stack([torch.autograd.functional.jacobian(lambda v: layer(v[None])[0][0], zi) for zi in z])
    exact = torch.linalg.slogdet(jac)[1]
    check("log_det error", (layer(z)[1] - exact).abs().max().detach(), at_most=1e-6)
    h = torch.tanh(z @ layer.w[0] + layer.b[0])
    broken = torch.log(torch.abs(1 + (1 - h**2) * (layer.w[0] @ layer.u[0])))  # u where û belongs
    with pytest.raises(ClaimError):
        check("log_det error with u for û", (broken - exact).abs().max().detach(), at_most=1e-6)
    check("round trip", (layer.inverse(layer(z)[0])[0] - z).abs().max(), at_most=1e-6)
    with pytest.raises(ClaimError):
        check("round trip, 3 bisection steps", (layer.inverse(layer(z)[0], num_iters=3)[0] - z).abs().max(),
              at_most=1e-6)


def test_untrained_flow_misses_the_u3_branch_share():
    share = (flows.u3_lower_branch_mass(flows.planar_flow(num_layers=32), generator=make_generator(0))
             / flows.u3_lower_branch_mass("U3"))
    with pytest.raises(ClaimError):
        check("lower-branch share", share, at_least=flows.U3_MIN_BRANCH_SHARE)
    # a flow that only shifts its Gaussian onto the upper branch (x ≈ 1, y ≈ 1) misses it too
    upper = flows.planar_flow(num_layers=2)
    with torch.no_grad():
        upper.base.mean.copy_(torch.tensor([1.0, 1.0]))
        upper.base.log_scale.fill_(-1.0)
    share = flows.u3_lower_branch_mass(upper, generator=make_generator(0)) / flows.u3_lower_branch_mass("U3")
    with pytest.raises(ClaimError):
        check("lower-branch share", share, at_least=flows.U3_MIN_BRANCH_SHARE)
    with pytest.raises(ValueError, match="single flow"):
        flows.u3_lower_branch_mass(flows.planar_flow(num_layers=2, num_flows=2))


def test_the_notebook_cache_keys_every_training_setting(tmp_cache):
    """Notebook 07's cached call: asking for more steps (or another seed) retrains; the same call hits."""
    from lecturekit.checkpoint import cached

    def call(**changes):
        train = {"target": "U1", "num_steps": 5, "batch_size": 16, "lr": 1e-2, "anneal_fraction": 0.5, "seed": 0,
                 **changes}
        return cached("flows-test", build=flows.planar_flow, model={"num_layers": 2}, fit=flows.fit_reverse_kl,
                      train=train)

    flow5, h5 = call()
    assert len(h5.loss) == 5
    assert len(call(num_steps=7)[1].loss) == 7
    again, h_again = call()
    assert h_again.loss == h5.loss and torch.equal(again.transform.w, flow5.transform.w)
    other, _ = call(seed=1)
    assert not torch.equal(other.transform.w, flow5.transform.w)
