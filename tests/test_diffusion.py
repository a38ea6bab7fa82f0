import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecturekit import data
from lecturekit import diffusion as D

F64 = torch.float64


def _diffusion(num_steps=10, *, parameterization="mean_cov", dim=2, **kw):
    return D.make_model(dim=dim, num_timesteps=num_steps, hidden_dim=8, num_layers=2, schedule="linear",
                        beta_start=0.01, beta_end=0.2, parameterization=parameterization, **kw)


# ------------------------------------------------------------------ schedules and bad inputs

@pytest.mark.parametrize("kind", ["linear", "sigmoid", "cosine"])
def test_schedules_are_float64_in_the_open_unit_interval(kind):
    b = D.beta_schedule(50, kind=kind, beta_start=1e-4, beta_end=0.05)
    assert b.dtype == F64 and b.shape == (50,)
    assert bool(((b > 0) & (b < 1)).all())
    if kind != "cosine":
        assert b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.05)
        assert bool((b.diff() >= 0).all())


def test_schedule_buffers_are_registered_and_indexed_by_t():
    dm = _diffusion(10)
    names = dict(dm.named_buffers())
    assert {"beta", "alpha_bar", "posterior_variance"} <= set(names)
    assert dm.beta.dtype == F64 and dm.beta.shape == (11,)
    assert dm.alpha_bar[0] == 1 and dm.beta[0] == 0
    assert torch.allclose(dm.alpha_bar[1:], torch.cumprod(1 - dm.beta[1:], 0))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="num_timesteps"):
        D.beta_schedule(0)
    with pytest.raises(ValueError, match="num_timesteps"):
        D.make_model(dim=2, num_timesteps=0)
    with pytest.raises(ValueError, match="beta_end"):
        D.beta_schedule(10, beta_end=1.5)
    with pytest.raises(ValueError, match="beta_start"):
        D.beta_schedule(10, beta_start=0.0)
    net = nn.Linear(2, 4)
    with pytest.raises(ValueError, match="betas"):
        D.GaussianDiffusion(net, betas=torch.tensor([]))
    with pytest.raises(ValueError, match="betas"):
        D.GaussianDiffusion(net, betas=torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="betas"):
        D.GaussianDiffusion(net, betas=torch.tensor([-0.1, 0.5]))
    with pytest.raises(ValueError, match="parameterization"):
        D.GaussianDiffusion(net, betas=torch.tensor([0.1]), parameterization="x0")
    dm = _diffusion(5)
    with pytest.raises(ValueError, match="t must lie"):
        dm.q_sample(torch.zeros(3, 2), 6)
    with pytest.raises(ValueError, match="t must lie"):
        dm.p_sample(torch.zeros(3, 2), 0)
    known = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="mask"):
        dm.p_sample_loop((4, 2), x_known=known, mask=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="x_known"):
        dm.p_sample_loop((4, 2), x_known=torch.zeros(4, 3), mask=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="together"):
        dm.p_sample_loop((4, 2), x_known=known)


# ------------------------------------------------------------------ the forward process

def test_closed_form_q_matches_running_the_chain():
    dm = _diffusion(20)
    n = 20000
    x0 = torch.tensor([1.5, -0.8], dtype=F64).expand(n, 2)
    chain = dm.q_trajectory(x0, generator=torch.Generator().manual_seed(1))
    assert chain.shape == (21, n, 2) and torch.equal(chain[0], x0)
    for t in (1, 7, 20):
        mean, var = dm.q_mean_variance(x0[:1], t)
        xs = chain[t]
        se_mean = (var[0] / n).sqrt()
        se_var = var[0] * math.sqrt(2 / (n - 1))
        assert bool(((xs.mean(0) - mean[0]).abs() < 3 * se_mean).all()), t
        assert bool(((xs.var(0) - var[0]).abs() < 3 * se_var).all()), t
        # and q_sample draws from the same closed form
        direct = dm.q_sample(x0, t, generator=torch.Generator().manual_seed(2))
        assert bool(((direct.mean(0) - mean[0]).abs() < 3 * se_mean).all())


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 12), st.floats(-2, 2), st.floats(-3, 3))
def test_q_posterior_is_bayes_rule(t, x0, xt):
    """q(x^(t-1) | x^(t), x^(0)) ∝ q(x^(t) | x^(t-1)) q(x^(t-1) | x^(0)): a product of Gaussians."""
    dm = _diffusion(12)
    x0_, xt_ = torch.tensor([[x0]], dtype=F64), torch.tensor([[xt]], dtype=F64)
    mean, var = dm.q_posterior(x0_, xt_, t)
    alpha, ab_prev = dm.alpha[t], dm.alpha_bar[t - 1]
    # as a function of y = x^(t-1): N(xt; sqrt(alpha) y, beta) N(y; sqrt(ab_prev) x0, 1 - ab_prev)
    precision = alpha / (1 - alpha) + 1 / (1 - ab_prev)
    expected_mean = (alpha.sqrt() * xt / (1 - alpha) + ab_prev.sqrt() * x0 / (1 - ab_prev)) / precision
    assert float(var) == pytest.approx(float(1 / precision), rel=1e-10)
    assert float(mean) == pytest.approx(float(expected_mean), rel=1e-9, abs=1e-12)


def test_exact_reverse_kernels_match_the_chain():
    """For Gaussian data, regressing x^(t-1) on x^(t) along chain samples gives (a_t, b_t, v_t)."""
    dm = _diffusion(10)
    m, s = 0.7, 0.4
    x0 = m + s * torch.randn(40000, 1, dtype=F64)
    chain = dm.q_trajectory(x0)
    a, b, v = D.gaussian_reverse_kernels(dm, mean=m, std=s)
    for t in (1, 5, 10):
        x, y = chain[t, :, 0], chain[t - 1, :, 0]
        slope = ((x - x.mean()) * (y - y.mean())).mean() / x.var()
        resid = y - (y.mean() + slope * (x - x.mean()))
        assert float(slope) == pytest.approx(float(a[t]), abs=0.02)
        assert float(y.mean() - slope * x.mean()) == pytest.approx(float(b[t]), abs=0.02)
        assert float(resid.var()) == pytest.approx(float(v[t]), rel=0.05)


# ------------------------------------------------------------------ the bound on a 1-D Gaussian

class LinearGaussianReverse(nn.Module):
    """Reverse kernels p(x^(t-1) | x^(t)) = N(a_t x + b_t, v_t), written in the paper's (c_μ, c_β) form."""

    def __init__(self, betas, a, b, v):
        super().__init__()
        self.num_steps = len(betas)
        beta = torch.cat([torch.zeros(1, dtype=F64), betas])
        for name, val in dict(beta=beta, a=a, b=b, v=v).items():
            self.register_buffer(name, val)

    def forward(self, x, t):
        beta, a, b, v = (getattr(self, k)[t][:, None] for k in ("beta", "a", "b", "v"))
        c_mu = ((a - (1 - beta).sqrt()) * x + b) / beta.sqrt()
        logit = lambda p: torch.log(p) - torch.log1p(-p)  # noqa: E731
        c_beta = math.sqrt(self.num_steps) * (logit(v) - logit(beta))
        return torch.cat([c_mu, c_beta], dim=1)


def _log_p_linear_gaussian(a, b, v, x0):
    """log p(x^(0)) of the model x^(T) ~ N(0, 1), x^(t-1) = a_t x^(t) + b_t + sqrt(v_t) ε."""
    mean, var = torch.tensor(0.0, dtype=F64), torch.tensor(1.0, dtype=F64)
    for t in range(len(a) - 1, 0, -1):
        mean, var = a[t] * mean + b[t], a[t] ** 2 * var + v[t]
    return torch.distributions.Normal(mean, var.sqrt()).log_prob(x0)


@pytest.fixture(scope="module")
def gaussian_case():
    betas = D.beta_schedule(30, beta_start=0.01, beta_end=0.4)
    m, s = 0.5, 0.3
    x0 = m + s * torch.randn(3000, 1, dtype=F64, generator=torch.Generator().manual_seed(5))
    return betas, m, s, x0


def test_bound_is_tight_for_the_exact_reverse_model(gaussian_case):
    betas, m, s, x0 = gaussian_case
    shell = D.GaussianDiffusion(nn.Identity(), betas=betas)
    a, b, v = D.gaussian_reverse_kernels(shell, mean=m, std=s)
    dm = D.GaussianDiffusion(LinearGaussianReverse(betas, a, b, v), betas=betas)
    bound = dm.lower_bound(x0, generator=torch.Generator().manual_seed(0))
    true_ll = torch.distributions.Normal(m, s).log_prob(x0[:, 0])
    model_ll = _log_p_linear_gaussian(a, b, v, x0[:, 0])
    assert torch.allclose(model_ll, true_ll, atol=2e-3)  # p(x^(T)) = N(0, 1) is q(x^(T)) to ~1e-3
    diff = bound - model_ll
    se = diff.std() / math.sqrt(len(diff))
    assert float(diff.mean()) < 3 * float(se)
    assert abs(float(bound.mean() - true_ll.mean())) < 3 * float(se) + 2e-3


def test_bound_is_below_the_log_likelihood_of_a_wrong_model(gaussian_case):
    betas, m, s, x0 = gaussian_case
    shell = D.GaussianDiffusion(nn.Identity(), betas=betas)
    a, b, v = D.gaussian_reverse_kernels(shell, mean=m, std=s)
    a2, b2, v2 = a * 0.97, b + 0.02, v * 1.4  # a wrong, still linear-Gaussian, reverse model
    dm = D.GaussianDiffusion(LinearGaussianReverse(betas, a2, b2, v2), betas=betas)
    bound = dm.lower_bound(x0, generator=torch.Generator().manual_seed(0))
    model_ll = _log_p_linear_gaussian(a2, b2, v2, x0[:, 0])
    diff = bound - model_ll
    se = float(diff.std()) / math.sqrt(len(diff))
    assert float(diff.mean()) + 3 * se < 0


def test_p_losses_average_to_the_negative_bound(gaussian_case):
    """T · E_t[term_t] + KL(q(x^(T)|x^(0)) || p(x^(T))) = -K in expectation over t."""
    betas, m, s, x0 = gaussian_case
    dm = _diffusion(30, dim=1)
    x = x0[:500].float()
    t = torch.arange(1, 31).repeat_interleave(500)
    with torch.no_grad():
        losses = torch.stack([dm.p_losses(x, t=torch.full((500,), k)) for k in range(1, 31)])
    mean_T, var_T = dm.q_mean_variance(x, 30)
    prior = 0.5 * (var_T + mean_T**2 - 1 - var_T.log()).mean()
    with torch.no_grad():
        bound = dm.lower_bound(x).mean()
    assert float(losses.mean() + prior) == pytest.approx(float(-bound), rel=0.05)
    assert t.shape == (15000,)


# ------------------------------------------------------------------ the reverse process

@pytest.mark.parametrize("parameterization", ["mean_cov", "eps"])
def test_untrained_reverse_process_gives_finite_samples(parameterization, device):
    dm = _diffusion(15, parameterization=parameterization).to(device)
    g = torch.Generator(device=device).manual_seed(0)
    traj = dm.p_sample_loop((64, 2), generator=g, return_trajectory=True)
    assert traj.shape == (16, 64, 2) and traj.device.type == device.type
    assert bool(torch.isfinite(traj).all())
    again = dm.p_sample_loop((64, 2), generator=torch.Generator(device=device).manual_seed(0))
    assert torch.equal(again, traj[0])
    assert bool(torch.isfinite(dm.lower_bound(traj[0])).all())


def test_untrained_eps_model_loss_is_the_noise_energy():
    dm = _diffusion(10, parameterization="eps", dim=3)
    loss = dm.p_losses(torch.randn(4000, 3))
    assert float(loss) == pytest.approx(3.0, rel=0.05)  # ε̂ = 0 at initialisation: E||ε||² = D


def test_inpainting_clamps_the_known_coordinates():
    dm = _diffusion(10, dim=4)
    known = torch.randn(1, 4)
    mask = torch.tensor([True, False, True, False])
    out = dm.p_sample_loop((50, 4), x_known=known, mask=mask, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[:, mask], known.expand(50, 4)[:, mask])
    assert out[:, ~mask].std(0).min() > 0.05  # the unknown ones vary across samples
    traj = dm.p_sample_loop((50, 4), x_known=known, mask=mask, return_trajectory=True)
    # at intermediate steps the known coordinates follow q(x^(t) | x^(0) = known)
    assert not torch.equal(traj[5][:, mask], known.expand(50, 4)[:, mask])


def test_training_raises_the_bound_on_the_swiss_roll():
    x = data.swiss_roll(2000, generator=torch.Generator().manual_seed(0))
    test = data.swiss_roll(500, generator=torch.Generator().manual_seed(1))
    dm = D.make_model(dim=2, num_timesteps=20, hidden_dim=32, num_layers=2)
    before = float(dm.lower_bound(test).mean())
    extras = D.fit_diffusion(dm, x, num_steps=300, batch_size=256, lr=3e-3, progress=False,
                             generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        after = float(dm.lower_bound(test).mean())
    assert after > before + 0.1
    assert len(extras.loss) == 300 and extras.seconds > 0


# ------------------------------------------------------------------ metrics

def test_energy_distance_against_brute_force():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 2, generator=g, dtype=F64), torch.randn(25, 2, generator=g, dtype=F64) + 0.5
    dist = lambda a, b: torch.linalg.norm(a - b)  # noqa: E731
    xy = sum(dist(a, b) for a in x for b in y) / (30 * 25)
    xx = sum(dist(x[i], x[j]) for i in range(30) for j in range(30) if i != j) / (30 * 29)
    yy = sum(dist(y[i], y[j]) for i in range(25) for j in range(25) if i != j) / (25 * 24)
    assert D.energy_distance(x, y) == pytest.approx(float(2 * xy - xx - yy), rel=1e-9)
    same = D.energy_distance(torch.randn(1000, 2, generator=g), torch.randn(1000, 2, generator=g))
    assert abs(same) < 0.01
    with pytest.raises(ValueError, match="x and y"):
        D.energy_distance(x, torch.zeros(5, 3))


def test_isotropic_gaussian_baseline_and_bits():
    x = torch.randn(500, 2, dtype=F64) * torch.tensor([1.0, 2.0], dtype=F64) + 1
    ll = D.isotropic_gaussian_log_likelihood(x, x[:10])
    var = ((x - x.mean(0)) ** 2).mean()
    ref = torch.distributions.Normal(x.mean(0), var.sqrt()).log_prob(x[:10]).sum(1)
    assert torch.allclose(ll, ref)
    assert D.bits(math.log(2)) == pytest.approx(1.0)


# ------------------------------------------------------------------ notebook 08's claims fail on untrained models

def test_the_bound_and_sample_claims_fail_for_an_untrained_swiss_roll_model():
    from lecturekit.claims import ClaimError, check

    g = torch.Generator().manual_seed(0)
    x_train = data.swiss_roll(2000, noise=0.03, generator=g)
    x_test = data.swiss_roll(500, noise=0.03, generator=g)
    untrained = D.make_model(**D.SWISS_ROLL["model"]).eval()
    with torch.no_grad():
        gain = float(D.bits(untrained.lower_bound(x_test, generator=g).mean()
                            - D.isotropic_gaussian_log_likelihood(x_train, x_test).mean()))
        samples = untrained.p_sample_loop((500, 2), generator=g)
    with pytest.raises(ClaimError):
        check("gain", gain, at_least=D.GAIN_BITS_BAND[0], at_most=D.GAIN_BITS_BAND[1])
    gauss = x_train.mean(0) + torch.randn(500, 2, generator=g) @ torch.linalg.cholesky(torch.cov(x_train.T)).T
    ratio = D.energy_distance(samples, x_test) / D.energy_distance(gauss, x_test)
    with pytest.raises(ClaimError):
        check("ratio", ratio, at_most=D.ENERGY_RATIO_MAX)


def test_the_inpainting_claim_fails_for_an_untrained_model(tmp_cache):
    from lecturekit.claims import ClaimError, check

    x, y = data.mnist_5k("test")
    untrained = D.make_model(**D.MNIST_14["model"]).eval()
    filled, judged, accuracy = D.judged_inpainting(untrained, x[:60], y[:60], generator=torch.Generator().manual_seed(0))
    assert filled.shape == (60, 196) and judged.shape == (60,)
    known = D.inpaint_mask()
    assert torch.equal(filled[:, known], (torch.nn.functional.avg_pool2d(x[:60], 2) * 2 - 1).flatten(1)[:, known])
    with pytest.raises(ClaimError):
        check("inpainting", accuracy, at_least=D.INPAINT_ACCURACY_MIN)


@pytest.mark.parametrize("rows", [0, 14, 2.5, "5"])
def test_inpaint_mask_refuses_bad_rows(rows):
    with pytest.raises(ValueError, match="hidden_rows"):
        D.inpaint_mask(rows)
