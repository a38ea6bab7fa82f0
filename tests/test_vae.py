import math

import numpy as np
import pytest
import scipy.io
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lecturekit as lk
from lecturekit import vae
from lecturekit.claims import ClaimError, check
from lecturekit.train import History
from lecturekit.frey import FREY_FILE, frey_faces


def small(**kw):
    kw.setdefault("image_shape", (4, 3))
    kw.setdefault("hidden_dim", 8)
    kw.setdefault("latent_dim", 2)
    return vae.VAE(**kw).double()


def images(n, shape=(4, 3), *, binary=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, *shape, generator=g, dtype=torch.float64)
    return (x > 0.5).double() if binary else x


def linear_gaussian(seed=0):
    """A VAE whose decoder is linear-Gaussian: p(x) = N(b, W Wᵀ + σ² I) in closed form."""
    torch.manual_seed(seed)
    m = small(image_shape=(2, 2), likelihood="gaussian", latent_dim=2)
    m.decoder = torch.nn.Linear(2, 4).double()
    with torch.no_grad():
        m.raw_std.fill_(-0.5)
    return m


def log_px_exact(m, x):
    w, b, s = m.decoder.weight, m.decoder.bias, m.std
    cov = w @ w.T + s**2 * torch.eye(4, dtype=torch.float64)
    return torch.distributions.MultivariateNormal(b, cov).log_prob(x.reshape(len(x), 4))


@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3), st.lists(st.floats(-3, 2), min_size=3, max_size=3))
@settings(max_examples=15, deadline=None)
def test_analytic_kl_matches_monte_carlo_and_torch(mu, logvar):
    mu, logvar = torch.tensor(mu, dtype=torch.float64), torch.tensor(logvar, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(3, dtype=torch.float64), 1.0)
    kl = vae.kl_to_prior(mu, logvar)
    assert float(kl) == pytest.approx(float(torch.distributions.kl_divergence(q, p).sum()), abs=1e-10)
    z = q.sample((100_000,))
    diffs = (q.log_prob(z) - p.log_prob(z)).sum(-1)
    assert abs(float(diffs.mean() - kl)) < 5 * float(diffs.std()) / math.sqrt(len(diffs)) + 1e-9


def test_elbo_is_log_px_minus_posterior_kl_on_linear_gaussian():
    """log p(x) = ELBO + KL(q ‖ posterior) ≥ ELBO, with the posterior in closed form."""
    m = linear_gaussian()
    x = images(5, (2, 2), binary=False)
    lp = log_px_exact(m, x)
    with torch.no_grad():
        est = vae.elbo(m, x, num_samples=100_000)
        mu, logvar = m.encode(x)  # q unpacks as (μ, log σ²)
        w, b, s2 = m.decoder.weight, m.decoder.bias, m.std**2
        prec = torch.eye(2, dtype=torch.float64) + w.T @ w / s2
        cov = torch.linalg.inv(prec)
        post_mean = (cov @ w.T @ (x.reshape(5, 4) - b).T / s2).T
        q = torch.distributions.MultivariateNormal(mu, torch.diag_embed(logvar.exp()))
        post = torch.distributions.MultivariateNormal(post_mean, cov)
        kl = torch.distributions.kl_divergence(q, post)
    assert torch.allclose(est + kl, lp, atol=0.05)
    assert (est < lp).all()


def test_iwae_k1_expectation_is_elbo_and_bounds_ordered_below_log_px():
    m = linear_gaussian()
    x = images(4, (2, 2), binary=False)
    lp = log_px_exact(m, x)
    with torch.no_grad():
        reps = x.repeat(4000, 1, 1, 1)
        g = torch.Generator().manual_seed(0)
        l1 = vae.iwae_bound(m, reps, 1, generator=g).reshape(4000, 4)
        elbo = vae.elbo(m, x, num_samples=200_000, generator=g)
        assert torch.allclose(l1.mean(0), elbo, atol=5 * float(l1.std(0).max()) / math.sqrt(4000))
        means = [vae.iwae_bound(m, reps, k, generator=g).reshape(4000, 4).mean(0) for k in (1, 5, 50)]
    assert (means[0] < means[1]).all() and (means[1] < means[2]).all()
    assert (means[2] < lp + 1e-3).all()


def test_gradients_reach_encoder_and_decoder_through_rsample():
    m = small()
    x = images(6)
    q = m.q(x)
    z = q.rsample()
    loss = -(m.p_x(z).log_prob(x.reshape(6, -1)) + m.prior().log_prob(z) - q.log_prob(z)).mean()
    loss.backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    m.zero_grad()
    (-vae.elbo(m, x).mean()).backward()
    assert all(p.grad.abs().sum() > 0 for p in m.parameters())


def test_distributions_agree_with_fast_path():
    m = small()
    x = images(5)
    g = torch.Generator().manual_seed(3)
    z = torch.randn(5, 2, generator=g, dtype=torch.float64)
    xf = x.reshape(5, -1)
    assert torch.allclose(m.log_px(xf, z), m.p_x(z).log_prob(xf))
    mg = small(likelihood="gaussian")
    assert torch.allclose(mg.log_px(xf, z), mg.p_x(z).log_prob(xf))
    a = vae._neg_elbo_mean(m, xf, 1.0, torch.Generator().manual_seed(0))
    b = -vae.elbo(m, x, generator=torch.Generator().manual_seed(0)).mean()
    assert float(a.detach()) == pytest.approx(float(b.detach()), rel=1e-10)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_extreme_inputs_stay_finite(likelihood):
    m = small(likelihood=likelihood)
    x = torch.cat([torch.zeros(2, 1, 4, 3), torch.ones(2, 1, 4, 3)]).double()
    with torch.no_grad():
        m.encoder[-1].bias.fill_(1e6)  # huge log-variances (and means)
    logvar = m.encode(x).logvar
    assert float(logvar.detach().max()) <= vae.LOGVAR_BOUND
    for value in (vae.elbo(m, x, num_samples=3), vae.iwae_bound(m, x, 5)):
        assert torch.isfinite(value).all()
    with torch.no_grad():
        m.encoder[-1].bias.fill_(-1e6)
    loss = -vae.elbo(m, x).mean()
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in m.parameters())


def test_training_improves_the_bound_and_active_units():
    torch.manual_seed(0)
    x = images(200, (4, 3))
    m = vae.VAE(image_shape=(4, 3), hidden_dim=16, latent_dim=3)
    x = x.float()
    before = vae.mean_bound(m, x, num_samples=5)
    history = vae.fit_vae(m, x, num_epochs=15, batch_size=50, lr=1e-2, generator=torch.Generator().manual_seed(0),
                          progress=False)
    assert isinstance(history, History) and len(history.loss) == 15 * 4
    stats = history.info
    assert len(stats["epoch_loss"]) == 15 and stats["epoch_loss"][-1] < stats["epoch_loss"][0]
    assert stats["seconds"] == history.seconds > 0 and stats["images_per_s"] > 0
    assert vae.mean_bound(m, x, num_samples=5) > before
    iw = vae.fit_vae(m, x, num_epochs=1, objective="iwae", k=3, progress=False)
    assert math.isfinite(iw.info["epoch_loss"][0])
    count, activity = vae.active_units(m, x)
    mu = m.encode(x).mean.detach()
    assert torch.allclose(activity, mu.var(0, unbiased=False))
    assert count == int((activity > 1e-2).sum())


def test_sample_decode_and_grid():
    m = small()
    s = m.sample(7, generator=torch.Generator().manual_seed(0))
    assert s.shape == (7, 1, 4, 3) and ((s >= 0) & (s <= 1)).all()
    b = m.sample(7, generator=torch.Generator().manual_seed(0), mean=False)
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    grid = vae.latent_grid(5)
    assert grid.shape == (25, 2)
    assert float(grid[0, 0]) == pytest.approx(-1.6449, abs=1e-3) and float(grid[0, 1]) == pytest.approx(1.6449, abs=1e-3)
    assert (grid[1:5, 0] > grid[0:4, 0]).all() and (grid[5, 1] < grid[0, 1])


def test_shift_images_and_shift_nll():
    x = torch.zeros(1, 1, 3, 4, dtype=torch.float64)
    x[0, 0, 1, 1] = 1.0
    assert vae.shift_images(x, 2)[0, 0, 1, 3] == 1.0 and vae.shift_images(x, 2).sum() == 1
    assert vae.shift_images(x, -1)[0, 0, 1, 0] == 1.0
    assert vae.shift_images(x, 5).sum() == 0
    m = small(image_shape=(3, 4), likelihood="gaussian")
    nll = vae.shift_nll(m, x, [0, 1])
    with torch.no_grad():
        mu = m.encode(x).mean
        ref = -m.p_x(mu).log_prob(vae.shift_images(x, 1).reshape(1, -1))
    assert nll.shape == (2, 1) and float(nll[1, 0]) == pytest.approx(float(ref[0]))


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="latent_dim"):
        vae.VAE(latent_dim=0)
    with pytest.raises(TypeError, match="latent_dim"):
        vae.VAE(latent_dim=2.5)
    with pytest.raises(ValueError, match="likelihood"):
        vae.VAE(likelihood="poisson")
    m = small()
    with pytest.raises(ValueError, match="x must"):
        vae.elbo(m, torch.zeros(2, 1, 28, 28, dtype=torch.float64))
    with pytest.raises(ValueError, match="x must"):
        vae.iwae_bound(m, torch.zeros(2, 12, dtype=torch.float64), 5)
    with pytest.raises(ValueError, match="k must"):
        vae.iwae_bound(m, images(2), 0)
    with pytest.raises(ValueError, match="num_samples"):
        vae.elbo(m, images(2), num_samples=0)
    with pytest.raises(ValueError, match="z must"):
        m.decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="objective"):
        vae.fit_vae(m, images(2), objective="wake-sleep")
    with pytest.raises(ValueError, match="num_epochs"):
        vae.fit_vae(m, images(2), num_epochs=0)
    with pytest.raises(ValueError, match="kl_weight"):
        vae.elbo(m, images(2), kl_weight=-1.0)


def test_moves_to_device(device):
    m = small().to(device)
    x = images(3).to(device)
    assert vae.elbo(m, x).device.type == device.type
    assert vae.iwae_bound(m, x, 3, generator=torch.Generator().manual_seed(0)).device.type == device.type
    assert m.sample(2).device.type == device.type


# --------------------------------------------------------------------------- Frey Face


def write_frey(root, n=3, *, name="ff", dtype=np.uint8, rows=560):
    ff = (np.arange(rows * n) % 256).astype(dtype).reshape(rows, n, order="F")
    scipy.io.savemat(root / FREY_FILE, {name: ff})
    return ff


def test_frey_reads_a_generated_file(tmp_path):
    ff = write_frey(tmp_path, 4)
    x = frey_faces(tmp_path)
    assert x.shape == (4, 1, 28, 20) and x.dtype == torch.float32
    assert np.allclose(x[2, 0].numpy().ravel() * 255, ff[:, 2], atol=1e-3)  # one column, row-major 28 x 20


def test_frey_checksums(tmp_path):
    write_frey(tmp_path)
    from lecturekit.download import sha256_of

    good = sha256_of(tmp_path / FREY_FILE)
    assert frey_faces(tmp_path, sha256=good).shape[0] == 3
    with pytest.raises(ValueError, match="wrong SHA-256"):
        frey_faces(tmp_path, sha256="0" * 64)
    with pytest.raises(ValueError, match="sha256"):
        frey_faces(tmp_path, sha256="abc")


def test_frey_missing_file_names_file_url_and_offline_alternative(tmp_path):
    with pytest.raises(FileNotFoundError, match="frey_rawface.mat") as err:
        frey_faces(tmp_path)
    assert "https://cs.nyu.edu/~roweis/data/frey_rawface.mat" in str(err.value) and "mnist_5k" in str(err.value)


def test_frey_download_refuses_without_a_known_checksum(tmp_path, monkeypatch):
    import lecturekit.frey as frey

    def no_network(*a, **k):
        raise AssertionError("must not touch the network")

    monkeypatch.setattr(frey, "fetch", no_network)
    with pytest.raises(ValueError, match="no SHA-256 is recorded"):
        frey_faces(tmp_path, download=True)
    assert not (tmp_path / FREY_FILE).exists()
    calls = []

    def fake_fetch(url, dest, sha):  # stands in for the verified, atomic download
        calls.append((url, sha))
        write_frey(dest.parent, 2)

    monkeypatch.setattr(frey, "fetch", fake_fetch)
    from lecturekit.download import sha256_of

    write_frey(tmp_path, 2)
    digest = sha256_of(tmp_path / FREY_FILE)
    (tmp_path / FREY_FILE).unlink()
    assert frey_faces(tmp_path, download=True, sha256=digest).shape == (2, 1, 28, 20)
    assert calls == [(frey.FREY_URL, digest)]


def test_frey_rejects_wrong_files(tmp_path):
    write_frey(tmp_path, name="faces")
    with pytest.raises(ValueError, match="no variable 'ff'"):
        frey_faces(tmp_path)
    write_frey(tmp_path, dtype=np.float64)
    with pytest.raises(ValueError, match="not the Frey Face file"):
        frey_faces(tmp_path)
    (tmp_path / FREY_FILE).write_bytes(b"not a mat file at all")
    with pytest.raises(ValueError, match="not a readable MATLAB file"):
        frey_faces(tmp_path)
    with pytest.raises(TypeError, match="download"):
        frey_faces(tmp_path, download="yes")


def test_gaussian_decoder_starts_at_init_std_and_rejects_bad_std():
    assert small(likelihood="gaussian", init_std=0.3).std.item() == pytest.approx(0.3)
    with pytest.raises(ValueError, match="init_std"):
        small(likelihood="gaussian", init_std=0.005)


# --------------------------------------------------------------------------- the encoder is a distribution


def test_encode_returns_q_as_a_distribution():
    m = small()
    x = images(4)
    q = m.encode(x)
    assert isinstance(q, torch.distributions.Independent) and q.event_shape == (2,) and q.batch_shape == (4,)
    mu, logvar = q  # unpacks as (μ, log σ²), as the exercises use it
    assert torch.equal(mu, q.mean) and torch.allclose(q.stddev, (0.5 * logvar).exp())
    z = q.rsample((3,))
    ref = torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(-1)
    assert torch.allclose(q.log_prob(z), ref)
    assert torch.equal(m.q(x).mean, q.mean)
    # the KL closed form is torch's kl_divergence between q and the prior
    assert torch.allclose(vae.kl_to_prior(mu, logvar), torch.distributions.kl_divergence(q, m.prior()))


def test_iwae_log_weights_use_the_distributions():
    """L_k from the distributions' log_prob, by hand, equals iwae_bound with the same draws."""
    m = small(likelihood="gaussian")
    x = images(3, binary=False)
    q = m.encode(x)
    eps = torch.randn(7, 3, 2, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    z = q.mean + q.stddev * eps
    log_w = m.p_x(z).log_prob(x.reshape(3, -1)) + m.prior().log_prob(z) - q.log_prob(z)
    ref = torch.logsumexp(log_w, 0) - math.log(7)
    got = vae.iwae_bound(m, x, 7, generator=torch.Generator().manual_seed(9))
    assert torch.allclose(got, ref)


def test_kl_weight_scales_only_the_kl():
    m = small()
    x = images(5)
    a = vae.elbo(m, x, generator=torch.Generator().manual_seed(1))
    b = vae.elbo(m, x, kl_weight=3.0, generator=torch.Generator().manual_seed(1))
    mu, logvar = m.encode(x)
    assert torch.allclose(a - b, 2.0 * vae.kl_to_prior(mu, logvar))


# --------------------------------------------------------------------------- bad input at the entry points (#18)


def test_unscaled_pixels_are_refused_for_a_bernoulli_likelihood():
    m = vae.VAE(latent_dim=2, hidden_dim=8)
    x = torch.randint(0, 256, (3, 1, 28, 28)).float()
    for call in (lambda: vae.elbo(m, x), lambda: vae.iwae_bound(m, x, 3), lambda: vae.mean_bound(m, x),
                 lambda: vae.fit_vae(m, x, num_epochs=1), lambda: m.encode(x)):
        with pytest.raises(ValueError, match=r"x must hold values in \[0.0, 1.0\].*divide 0-255 pixels by 255"):
            call()
    # a Gaussian decoder models any real grey levels
    g = vae.VAE(latent_dim=2, hidden_dim=8, likelihood="gaussian")
    assert torch.isfinite(vae.elbo(g, x)).all()


def test_nan_inputs_are_refused():
    m = small()
    x = images(3)
    x[1, 0, 2, 1] = float("nan")
    for call in (lambda: vae.elbo(m, x), lambda: vae.iwae_bound(m, x), lambda: vae.fit_vae(m, x),
                 lambda: vae.mean_bound(m, x, k=3), lambda: vae.shift_bound(m, x, [0, 1])):
        with pytest.raises(ValueError, match="x must hold finite values"):
            call()
    with pytest.raises(ValueError, match="z must hold finite values"):
        m.decode(torch.full((2, 2), float("nan"), dtype=torch.float64))


def test_float64_input_to_a_float32_model_says_what_to_call():
    m = vae.VAE(image_shape=(4, 3), hidden_dim=8, latent_dim=2)
    with pytest.raises(TypeError, match=r"x is float64 but the model is float32; call model.double\(\) or x.float\(\)"):
        vae.elbo(m, images(2))
    with pytest.raises(TypeError, match="z is float64"):
        m.decode(torch.zeros(2, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must be a torch.Tensor.*torch.as_tensor"):
        vae.elbo(m, np.zeros((2, 1, 4, 3)))


def test_shift_bound_reencodes_the_shifted_image():
    m = small(likelihood="gaussian", image_shape=(3, 4))
    x = images(2, (3, 4), binary=False)
    got = vae.shift_bound(m, x, [0, 2], k=4, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    ref0 = vae.iwae_bound(m, x, 4, generator=g)
    ref2 = vae.iwae_bound(m, vae.shift_images(x, 2), 4, generator=g)
    assert got.shape == (2, 2) and torch.allclose(got[0], ref0) and torch.allclose(got[1], ref2)
    with pytest.raises(TypeError, match="taus"):
        vae.shift_bound(m, x, [0.5])


def test_cpu_generator_draws_the_same_on_any_device(device):
    m = small()
    x = images(3)
    ref = vae.elbo(m, x, generator=torch.Generator().manual_seed(4))
    got = vae.elbo(m.to(device), x.to(device), generator=torch.Generator().manual_seed(4))
    assert got.device.type == device.type
    assert torch.allclose(got.cpu(), ref, atol=1e-6)
    s = m.sample(3, generator=torch.Generator().manual_seed(0), mean=False)
    assert s.device.type == device.type


# --------------------------------------------------------------------------- notebook 04's claims fail on untrained models


@pytest.fixture(scope="module")
def digits():
    from lecturekit.data import mnist_5k

    return mnist_5k("train", binarize="sample")[0], mnist_5k("test", binarize="sample")[0]


def untrained(latent_dim, **kw):
    with lk.utils.seeded(0):
        return vae.VAE(hidden_dim=256, latent_dim=latent_dim, **kw).eval()


def test_untrained_vaes_miss_the_bound_claims(digits):
    x_train, x_test = digits
    g = lk.utils.make_generator(1)
    for d, threshold in ((20, vae.MIN_TEST_ELBO_Z20), (2, vae.MIN_TEST_ELBO_Z2)):
        test_elbo = vae.mean_bound(untrained(d), x_test, num_samples=10, generator=g)
        with pytest.raises(ClaimError):
            check(f"test ELBO of dim z = {d}", test_elbo, at_least=threshold)
    m = untrained(20)
    gap = vae.mean_bound(m, x_train, num_samples=10, generator=g) - vae.mean_bound(m, x_test, num_samples=10, generator=g)
    with pytest.raises(ClaimError):
        check("train ELBO minus test ELBO, dim z = 20", gap, at_least=vae.MIN_OVERFIT_GAP)
    l50 = vae.mean_bound(m, x_test[:200], k=50, generator=g)
    with pytest.raises(ClaimError):
        check("test L_50 of dim z = 20", l50, at_least=vae.MIN_TEST_L50_Z20)


def test_iwae_gain_claim_fails_without_importance_weighting(digits):
    """Averaging log w_i outside the log (no importance weighting) gains nothing over L_1."""
    _, x_test = digits
    m = untrained(20)
    x = x_test[:200]
    with torch.no_grad():
        q = m.encode(x)
        z = q.rsample((50,))
        log_w = m.log_px(x.reshape(200, -1), z) + m.prior().log_prob(z) - q.log_prob(z)
    broken_l50 = float(log_w.mean(0).mean())
    l1 = vae.mean_bound(m, x, k=1, generator=lk.utils.make_generator(2))
    with pytest.raises(ClaimError):
        check("L_50 - L_1", broken_l50 - l1, at_least=vae.MIN_IWAE_GAIN)


def test_untrained_vae_samples_fail_the_judge():
    from lecturekit.judge import digit_scores

    with torch.no_grad():
        samples = untrained(20).sample(1000, generator=lk.utils.make_generator(0))
    s = digit_scores(samples)  # outside no_grad: the first call may train the judge
    with pytest.raises(ClaimError):
        check("inception score", s.inception_score, at_least=vae.MIN_INCEPTION_Z20)
    with pytest.raises(ClaimError):
        check("Fréchet distance", s.frechet_distance, at_most=vae.MAX_FRECHET_Z20)
    with pytest.raises(ClaimError):
        check("classes hit", s.classes_hit, at_least=vae.MIN_CLASSES_Z20)


def test_active_unit_claims_fail_on_untrained_and_uncollapsed_models(digits):
    _, x_test = digits
    count, _ = vae.active_units(untrained(50), x_test)
    with pytest.raises(ClaimError):  # the same untrained encoder under either objective: no gain
        check("active units the IWAE keeps beyond the VAE", count - count, at_least=vae.MIN_ACTIVE_GAIN)
    with pytest.raises(ClaimError):
        check("active units of the IWAE", count, at_least=vae.MIN_ACTIVE_IWAE)
    # a broken VAE whose encoder means all move with the input (none pushed back to the prior)
    m = untrained(50)
    with torch.no_grad():
        m.encoder[-1].weight.mul_(30.0)
    count, _ = vae.active_units(m, x_test)
    with pytest.raises(ClaimError):
        check("active units of the VAE", count, at_most=vae.MAX_ACTIVE_VAE)


def test_shift_cost_claim_fails_on_an_untrained_gaussian_vae():
    from lecturekit.data import mnist_5k

    x = mnist_5k("test")[0][:100]
    own = -vae.shift_bound(untrained(10, likelihood="gaussian"), x, [0, 2], k=50, generator=lk.utils.make_generator(4))
    with pytest.raises(ClaimError):
        check("shift cost", float((own[1] - own[0]).mean()), at_least=vae.MIN_SHIFT_COST)
