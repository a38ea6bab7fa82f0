import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import gan
from lecturekit.claims import ClaimError, check
from lecturekit.utils import make_generator


def test_losses_match_the_probability_formulas():
    a_real, a_fake = torch.randn(50, dtype=torch.float64), torch.randn(50, dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(a_real), torch.sigmoid(a_fake)
    assert gan.d_loss(a_real, a_fake) == pytest.approx(float(-(d_real.log().mean() + (1 - d_fake).log().mean())))
    assert gan.g_loss(a_fake, loss="minimax") == pytest.approx(float((1 - d_fake).log().mean()))
    assert gan.g_loss(a_fake, loss="nonsaturating") == pytest.approx(float(-d_fake.log().mean()))


def test_losses_stay_finite_when_d_saturates_and_only_nonsaturating_keeps_a_gradient():
    a = torch.tensor([-60.0, 60.0], requires_grad=True)
    assert torch.isfinite(gan.d_loss(a, a))
    (g_mm,) = torch.autograd.grad(gan.g_loss(a[:1], loss="minimax"), a)
    (g_ns,) = torch.autograd.grad(gan.g_loss(a[:1], loss="nonsaturating"), a)
    assert abs(float(g_mm[0])) < 1e-20 and float(g_ns[0]) == pytest.approx(-1.0)


def test_gaussian_density_is_the_normal_density():
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    expected = torch.distributions.Normal(torch.tensor(0.7, dtype=torch.float64), 1.3).log_prob(x).exp()
    torch.testing.assert_close(gan.gaussian_density(x, 0.7, 1.3), expected)


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(0.3, 2), st.floats(-2, 2), st.floats(0.3, 2))
def test_value_at_d_star_is_minus_log4_plus_two_jsd(m1, s1, m2, s2):
    x = torch.linspace(-12, 12, 6001, dtype=torch.float64)
    p, q = gan.gaussian_density(x, m1, s1), gan.gaussian_density(x, m2, s2)
    v = gan.value(gan.optimal_discriminator(p, q), p, q, x)
    assert float(v) == pytest.approx(-math.log(4) + 2 * float(gan.jsd(p, q, x)), abs=1e-6)
    assert -1e-12 <= float(gan.jsd(p, q, x)) <= math.log(2) + 1e-9


@settings(max_examples=20, deadline=None)
@given(st.floats(-1, 1), st.floats(-0.3, 0.3).filter(lambda e: abs(e) > 1e-3))
def test_d_star_beats_perturbed_discriminators(shift, eps):
    x = torch.linspace(-10, 10, 4001, dtype=torch.float64)
    p, q = gan.gaussian_density(x, 0.0, 1.0), gan.gaussian_density(x, shift, 1.5)
    d = gan.optimal_discriminator(p, q)
    perturbed = (d + eps * torch.exp(-x**2)).clamp(1e-9, 1 - 1e-9)
    assert gan.value(d, p, q, x) > gan.value(perturbed, p, q, x)


def test_jsd_is_zero_for_equal_and_log2_for_disjoint_densities():
    x = torch.linspace(-30, 30, 12001, dtype=torch.float64)
    p = gan.gaussian_density(x, 0.0, 1.0)
    assert float(gan.jsd(p, p, x)) == pytest.approx(0.0, abs=1e-12)
    assert float(gan.jsd(p, gan.gaussian_density(x, 20.0, 1.0), x)) == pytest.approx(math.log(2), abs=1e-6)
    assert float(gan.optimal_discriminator(torch.zeros(1), torch.zeros(1))) == 0.5


# --------------------------------------------------------------------------- the claims of notebook 09, steps 1-2

P_DATA, P_G = (0.75, 0.5), (-0.5, 0.75)  # notebook 09, step 1


def _gap_to_d_star(d_net):
    """Notebook 09's claim: max |D - D*| on the grid [-2, 2.5]."""
    x = torch.linspace(-2, 2.5, 201)
    d_star = gan.optimal_discriminator(gan.gaussian_density(x, *P_DATA), gan.gaussian_density(x, *P_G))
    with torch.no_grad():
        return float((torch.sigmoid(d_net(x[:, None])) - d_star).abs().max())


def _identity_gap(d):
    """Notebook 09's claim: |V(D, G) - (-log 4 + 2 JSD)| on the grid [-8, 8]."""
    xs = torch.linspace(-8, 8, 4001, dtype=torch.float64)
    pd, pg = gan.gaussian_density(xs, *P_DATA), gan.gaussian_density(xs, *P_G)
    return abs(float(gan.value(d(xs, pd, pg), pd, pg, xs)) - (-math.log(4) + 2 * float(gan.jsd(pd, pg, xs))))


def test_trained_discriminator_meets_the_d_star_claim_and_an_untrained_one_fails_it():
    g = make_generator(0)
    d = gan.MLPDiscriminator(data_dim=1, hidden_dim=64, num_layers=2)
    untrained = _gap_to_d_star(d)
    data = gan.AffineGenerator(mu=P_DATA[0], scale=P_DATA[1])
    hist = gan.fit_discriminator(d, gan.AffineGenerator(mu=P_G[0], scale=P_G[1]),
                                 lambda n: data.sample(n, generator=g), num_steps=1500, lr=1e-2, batch_size=2048,
                                 generator=g)
    assert len(hist.loss) == 1500 and hist.loss[-1] < hist.loss[0]
    check("max |D - D*| on the grid", _gap_to_d_star(d), at_most=gan.D_STAR_TOL)
    with pytest.raises(ClaimError):
        check("max |D - D*| on the grid", untrained, at_most=gan.D_STAR_TOL)


def test_fit_discriminator_leaves_the_generator_alone():
    g_net = gan.AffineGenerator(mu=0.0, scale=1.0)
    before = [p.detach().clone() for p in g_net.parameters()]
    gan.fit_discriminator(gan.MLPDiscriminator(data_dim=1, hidden_dim=8, num_layers=1), g_net,
                          lambda n: torch.randn(n, 1) + 1, num_steps=5, batch_size=16)
    assert all(torch.equal(a, b) for a, b in zip(before, g_net.parameters()))


def test_the_identity_claim_holds_at_d_star_and_fails_for_another_discriminator():
    check("|V(D*, G) - (-log 4 + 2 JSD)|", _identity_gap(lambda x, pd, pg: gan.optimal_discriminator(pd, pg)),
          at_most=gan.IDENTITY_TOL)
    untrained = gan.MLPDiscriminator(data_dim=1, hidden_dim=64, num_layers=2).double()
    with torch.no_grad():
        gap = _identity_gap(lambda x, pd, pg: torch.sigmoid(untrained(x[:, None])))
    with pytest.raises(ClaimError):
        check("|V(D, G) - (-log 4 + 2 JSD)|", gap, at_most=gan.IDENTITY_TOL)


# --------------------------------------------------------------------------- the k-step game


def test_fit_gan_takes_k_discriminator_steps_per_generator_step():
    calls = []

    def sample_data(n):
        calls.append(n)
        return torch.randn(n, 2)

    model = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1)
    hist = gan.fit_gan(model.g_net, model.d_net, sample_data, num_steps=4, k=3, batch_size=16,
                       snapshot_every=2, snapshot=lambda: 1.0)
    assert len(calls) == 12 and len(hist.series["d_loss"]) == len(hist.series["g_loss"]) == 4
    assert hist.loss == hist.series["g_loss"]
    assert [s for s, _ in hist.info["snapshots"]] == [0, 2, 4]


def test_fit_gan_with_a_generator_leaves_the_global_rng_alone_and_repeats():
    start = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1).state_dict()

    def run():
        model = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1)
        model.load_state_dict(start)
        g = make_generator(3)
        state = torch.get_rng_state()
        loss = gan.fit_gan(model.g_net, model.d_net, lambda n: torch.randn(n, 2, generator=g), num_steps=5,
                           batch_size=16, generator=g).loss
        assert torch.equal(state, torch.get_rng_state())
        return loss

    first = run()
    torch.manual_seed(123)
    assert run() == first


def test_r1_penalty_flattens_the_discriminator_at_the_data():
    def grad_norm(r1):
        torch.manual_seed(0)
        model = gan.GAN(latent_dim=2, hidden_dim=16, num_layers=2, pack=1)
        g = make_generator(0)
        gan.fit_gan(model.g_net, model.d_net, lambda n: 0.1 * torch.randn(n, 2, generator=g) + 1, num_steps=60,
                    lr=1e-2, batch_size=64, generator=g, r1=r1)
        x = (0.1 * torch.randn(256, 2, generator=make_generator(1)) + 1).requires_grad_(True)
        (grad,) = torch.autograd.grad(model.d_net(x).sum(), x)
        return float(grad.norm(dim=1).mean())

    assert grad_norm(10.0) < 0.5 * grad_norm(0.0)


def test_packed_discriminator_judges_groups():
    d = gan.MLPDiscriminator(data_dim=2, hidden_dim=8, num_layers=1, pack=4)
    x = torch.randn(32, 2)
    assert d(x).shape == (8,)
    # a group is one row: moving groups moves their logits
    torch.testing.assert_close(d(x.reshape(8, 4, 2).flip(0).reshape(32, 2)), d(x).flip(0))
    with pytest.raises(ValueError, match="multiple of pack=4, got 30"):
        d(torch.randn(30, 2))


def test_gan_holds_both_players_and_packs_pairs_by_default():
    model = gan.GAN(hidden_dim=8, num_layers=1)
    assert model.d_net.pack == 2 and isinstance(model.g_net, gan.MLPGenerator)
    assert model.sample(6, generator=make_generator(0)).shape == (6, 2)
    assert torch.equal(model.sample(6, generator=make_generator(0)), model.sample(6, generator=make_generator(0)))


# --------------------------------------------------------------------------- bad input names the argument

_G = gan.GAN(latent_dim=2, hidden_dim=8, num_layers=1)
_X = torch.linspace(-3, 3, 11)
_P = gan.gaussian_density(_X, 0.0, 1.0)
_DATA = lambda n: torch.randn(n, 2)  # noqa: E731


def _fit(**kw):
    args = {"g_net": _G.g_net, "d_net": _G.d_net, "sample_data": _DATA, "num_steps": 1, "batch_size": 4}
    args.update(kw)
    return gan.fit_gan(args.pop("g_net"), args.pop("d_net"), args.pop("sample_data"), **args)


def _fit_d(**kw):
    args = {"d_net": gan.MLPDiscriminator(data_dim=1, hidden_dim=4, num_layers=1),
            "g_net": gan.AffineGenerator(), "sample_data": lambda n: torch.randn(n, 1), "num_steps": 1}
    args.update(kw)
    return gan.fit_discriminator(args.pop("d_net"), args.pop("g_net"), args.pop("sample_data"), **args)


BAD_INPUTS = {
    "d_loss": [
        (lambda: gan.d_loss(np.zeros(3), torch.zeros(3)), TypeError, "real_logits must be a torch.Tensor"),
        (lambda: gan.d_loss(torch.zeros(3), [0.0]), TypeError, "fake_logits must be a torch.Tensor"),
        (lambda: gan.d_loss(torch.tensor([0.0, math.nan]), torch.zeros(3)), ValueError, "real_logits must hold finite"),
        (lambda: gan.d_loss(torch.zeros(0), torch.zeros(3)), ValueError, "real_logits must not be empty"),
        (lambda: gan.d_loss(torch.zeros(3, dtype=torch.int64), torch.zeros(3)), TypeError, "real_logits must be a floating"),
    ],
    "g_loss": [
        (lambda: gan.g_loss(torch.zeros(3), loss="wasserstein"), ValueError, "loss must be one of"),
        (lambda: gan.g_loss(None), TypeError, "fake_logits must be a torch.Tensor"),
        (lambda: gan.g_loss(torch.tensor([math.inf])), ValueError, "fake_logits must hold finite"),
        (lambda: gan.g_loss(torch.zeros(0)), ValueError, "fake_logits must not be empty"),
        (lambda: gan.g_loss(torch.ones(2, dtype=torch.bool)), TypeError, "fake_logits must be a floating"),
    ],
    "MLPGenerator": [
        (lambda: gan.MLPGenerator(latent_dim=0), ValueError, "latent_dim must be a positive integer"),
        (lambda: gan.MLPGenerator(data_dim=-1), ValueError, "data_dim must be a positive integer"),
        (lambda: gan.MLPGenerator(hidden_dim=2.5), TypeError, "hidden_dim must be a positive integer"),
        (lambda: gan.MLPGenerator(num_layers=0), ValueError, "num_layers must be a positive integer"),
        (lambda: gan.MLPGenerator(latent_dim=2).sample(0), ValueError, "n must be a positive integer"),
        (lambda: gan.MLPGenerator(latent_dim=2)(torch.zeros(4, 3)), ValueError, r"z must have shape \(N, 2\)"),
        (lambda: gan.MLPGenerator(latent_dim=2)(torch.zeros(4, 2, dtype=torch.float64)), TypeError,
         "z is float64 but the model is float32"),
        (lambda: gan.MLPGenerator(latent_dim=2).sample(3, generator=0), TypeError, "generator must be a torch.Generator"),
    ],
    "MLPDiscriminator": [
        (lambda: gan.MLPDiscriminator(pack=0), ValueError, "pack must be a positive integer"),
        (lambda: gan.MLPDiscriminator(data_dim=0), ValueError, "data_dim must be a positive integer"),
        (lambda: gan.MLPDiscriminator(hidden_dim=-4), ValueError, "hidden_dim must be a positive integer"),
        (lambda: gan.MLPDiscriminator(num_layers="2"), TypeError, "num_layers must be a positive integer"),
        (lambda: gan.MLPDiscriminator(activation="sigmoid"), ValueError, "activation must be one of"),
        (lambda: gan.MLPDiscriminator(data_dim=2)(torch.zeros(4, 3)), ValueError, r"x must have shape \(N, 2\)"),
        (lambda: gan.MLPDiscriminator(data_dim=2)(np.zeros((4, 2))), TypeError, "x must be a torch.Tensor"),
    ],
    "AffineGenerator": [
        (lambda: gan.AffineGenerator(scale=0), ValueError, "scale must be a positive number"),
        (lambda: gan.AffineGenerator(scale=-1.0), ValueError, "scale must be a positive number"),
        (lambda: gan.AffineGenerator(scale=math.inf), ValueError, "scale must be a positive number"),
        (lambda: gan.AffineGenerator(mu=math.nan), ValueError, "mu must be a finite number"),
        (lambda: gan.AffineGenerator(mu="0"), TypeError, "mu must be a finite number"),
        (lambda: gan.AffineGenerator().sample(-2), ValueError, "n must be a positive integer"),
    ],
    "GAN": [
        (lambda: gan.GAN(latent_dim=0), ValueError, "latent_dim must be a positive integer"),
        (lambda: gan.GAN(pack=0), ValueError, "pack must be a positive integer"),
        (lambda: gan.GAN(hidden_dim=-3), ValueError, "hidden_dim must be a positive integer"),
        (lambda: gan.GAN(num_layers=1.5), TypeError, "num_layers must be a positive integer"),
        (lambda: gan.GAN(data_dim=0), ValueError, "data_dim must be a positive integer"),
        (lambda: gan.GAN(hidden_dim=8, num_layers=1).sample(0), ValueError, "n must be a positive integer"),
    ],
    "fit_gan": [
        (lambda: _fit(k=0), ValueError, "k must be a positive integer"),
        (lambda: _fit(lr=-1e-3), ValueError, "lr must be a positive number"),
        (lambda: _fit(lr=0.0), ValueError, "lr must be a positive number"),
        (lambda: _fit(loss="wasserstein"), ValueError, "loss must be one of"),
        (lambda: _fit(num_steps=0), ValueError, "num_steps must be a positive integer"),
        (lambda: _fit(batch_size=0), ValueError, "batch_size must be a positive integer"),
        (lambda: _fit(d_lr=0), ValueError, "d_lr must be a positive number"),
        (lambda: _fit(decay_from=1.5), ValueError, "decay_from must be a number in"),
        (lambda: _fit(betas=(1.0, 0.9)), ValueError, "betas must be two numbers"),
        (lambda: _fit(snapshot_every=-1), ValueError, "snapshot_every must be a non-negative integer"),
        (lambda: _fit(snapshot_every=5), ValueError, "snapshot_every=5 needs a snapshot function"),
        (lambda: _fit(g_net=_G.d_net), TypeError, "g_net must have a sample"),
        (lambda: _fit(d_net="D"), TypeError, "d_net must be a torch.nn.Module"),
        (lambda: _fit(sample_data=torch.zeros(4, 2)), TypeError, "sample_data must be a function"),
        (lambda: _fit(sample_data=lambda n: torch.zeros(n + 1, 2)), ValueError, "sample_data.n. must return n samples"),
        (lambda: _fit(sample_data=lambda n: torch.zeros(n, 2, dtype=torch.float64)), TypeError,
         r"sample_data\(4\) is float64 but the model is float32"),
        (lambda: _fit(generator=0), TypeError, "generator must be a torch.Generator"),
        (lambda: _fit(r1=-1.0), ValueError, "r1 must be a non-negative number"),
    ],
    "fit_discriminator": [
        (lambda: _fit_d(d_net=None), TypeError, "d_net must be a torch.nn.Module"),
        (lambda: _fit_d(g_net=gan.MLPDiscriminator(data_dim=1)), TypeError, "g_net must have a sample"),
        (lambda: _fit_d(num_steps=0), ValueError, "num_steps must be a positive integer"),
        (lambda: _fit_d(lr=0), ValueError, "lr must be a positive number"),
        (lambda: _fit_d(batch_size=-1), ValueError, "batch_size must be a positive integer"),
        (lambda: _fit_d(sample_data=3), TypeError, "sample_data must be a function"),
        (lambda: _fit_d(generator=1), TypeError, "generator must be a torch.Generator"),
    ],
    "gaussian_density": [
        (lambda: gan.gaussian_density([0.0, 1.0], 0.0, 1.0), TypeError, "x must be a torch.Tensor"),
        (lambda: gan.gaussian_density(_X, 0.0, 0.0), ValueError, "sigma must be positive"),
        (lambda: gan.gaussian_density(_X, 0.0, -1.0), ValueError, "sigma must be positive"),
        (lambda: gan.gaussian_density(_X, "0", 1.0), TypeError, "mu must be a finite number"),
        (lambda: gan.gaussian_density(_X, math.nan, 1.0), ValueError, "mu must be a finite number"),
        (lambda: gan.gaussian_density(_X, 0.0, torch.tensor([1.0, 0.0])), ValueError, "sigma must be positive"),
    ],
    "optimal_discriminator": [
        (lambda: gan.optimal_discriminator(-_P, _P), ValueError, r"p_data must hold values in \[0.0, inf\]"),
        (lambda: gan.optimal_discriminator(_P, _P[:5]), ValueError, "p_g must have the shape of p_data"),
        (lambda: gan.optimal_discriminator(_P.numpy(), _P), TypeError, "p_data must be a torch.Tensor"),
        (lambda: gan.optimal_discriminator(_P, _P * math.nan), ValueError, "p_g must hold finite values"),
        (lambda: gan.optimal_discriminator(torch.zeros(0), torch.zeros(0)), ValueError, "p_data must not be empty"),
        (lambda: gan.optimal_discriminator(torch.ones(3, dtype=torch.int64), torch.ones(3)), TypeError,
         "p_data must be a floating-point"),
    ],
    "trapezoid": [
        (lambda: gan.trapezoid(_P[None], _X), ValueError, "f must have 1 axes"),
        (lambda: gan.trapezoid(_P, _X.flip(0)), ValueError, "x must be an increasing grid"),
        (lambda: gan.trapezoid(_P, _X[:5]), ValueError, "x must be the 1-D grid"),
        (lambda: gan.trapezoid(_P.tolist(), _X), TypeError, "f must be a torch.Tensor"),
        (lambda: gan.trapezoid(_P[:1], _X[:1]), ValueError, "x must be an increasing grid of at least two"),
    ],
    "value": [
        (lambda: gan.value(_P * 10, _P, _P, _X), ValueError, r"d must hold values in \[0.0, 1.0\].*not a logit"),
        (lambda: gan.value(torch.full((5,), 0.5), _P, _P, _X), ValueError, r"d must have shape \(11\)"),
        (lambda: gan.value(torch.full((11,), 0.5), _P, _P, _X.flip(0)), ValueError, "x must be an increasing grid"),
        (lambda: gan.value(torch.full((11,), 0.5), _P * math.nan, _P, _X), ValueError, "p_data must hold finite"),
        (lambda: gan.value(torch.full((11,), 0.5), _P, -_P, _X), ValueError, "p_g must hold values in"),
    ],
    "jsd": [
        (lambda: gan.jsd(_P, _P, _X[:3]), ValueError, "x must be the 1-D grid"),
        (lambda: gan.jsd(_P, -_P, _X), ValueError, "p_g must hold values in"),
        (lambda: gan.jsd(_P, _P[:3], _X), ValueError, "p_g must have the shape of p_data"),
        (lambda: gan.jsd(None, _P, _X), TypeError, "p_data must be a torch.Tensor"),
        (lambda: gan.jsd(_P, _P, torch.zeros(11)), ValueError, "x must be an increasing grid"),
    ],
}


@pytest.mark.parametrize("call, exc, match", [case for cases in BAD_INPUTS.values() for case in cases],
                         ids=[f"{name}-{i}" for name, cases in BAD_INPUTS.items() for i in range(len(cases))])
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_every_public_entry_point_has_five_bad_inputs():
    public = [name for name in gan.__all__ if callable(getattr(gan, name))]
    assert sorted(public) == sorted(BAD_INPUTS), "a public name of lecturekit.gan has no row in BAD_INPUTS"
    assert all(len(cases) >= 5 for cases in BAD_INPUTS.values())
