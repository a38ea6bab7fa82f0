import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import ssvae, vae
from lecturekit.claims import ClaimError, check
from lecturekit.utils import make_generator


def tiny_m2(x_dim=3, num_classes=3, latent_dim=1, likelihood="bernoulli", seed=0):
    torch.manual_seed(seed)
    model = ssvae.M2(x_dim=x_dim, num_classes=num_classes, latent_dim=latent_dim, hidden_dim=8,
                     likelihood=likelihood).double()
    with torch.no_grad():  # a model far from trained: sizeable gaps, confident decoder
        for p in model.parameters():
            p.mul_(2.0)
    return model.requires_grad_(False)


# --------------------------------------------------------------------------- the two bounds


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_unlabelled_bound_is_the_q_weighted_labelled_bounds_plus_entropy(likelihood, device):
    model = tiny_m2(x_dim=5, num_classes=4, latent_dim=2, likelihood=likelihood).to(device)
    x = torch.rand(7, 5, dtype=torch.float64, device=device)
    if likelihood == "bernoulli":
        x = (x > 0.5).double()
    eps = torch.randn(3, 7, 2, dtype=torch.float64, device=device)
    u = ssvae.unlabelled_bound(model, x, eps=eps)
    # explicit enumeration: one labelled bound per class, q(y|x) and its entropy from the logits
    probs = torch.softmax(model.classifier(x), dim=-1)
    entropy = -(probs * probs.log()).sum(-1)
    explicit = entropy.clone()
    for k in range(4):
        y = torch.full((7,), k, dtype=torch.long, device=device)
        explicit = explicit + probs[:, k] * ssvae.labelled_bound(model, x, y, eps=eps)
    torch.testing.assert_close(u, explicit, rtol=0, atol=1e-10)
    _, bound_y, qy = ssvae.unlabelled_bound(model, x, eps=eps, return_parts=True)
    assert bound_y.shape == (7, 4) and torch.allclose(qy.sum(-1), torch.ones(7, dtype=torch.float64, device=device))


def _brute_force(model, x):
    """log p(x, y) for every y by quadrature over the 1-D z, and the posterior on the grid."""
    z = torch.linspace(-12, 12, 3001, dtype=torch.float64)[:, None]
    dz = float(z[1] - z[0])
    log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z[:, 0])
    out = []
    for k in range(model.num_classes):
        yo = F.one_hot(torch.tensor(k), model.num_classes).double().expand(len(z), -1)
        log_joint = model.log_px(x.expand(len(z), -1), yo, z) + log_pz  # (G,)
        out.append(torch.logsumexp(log_joint, 0) + math.log(dz) + model.log_py[k])
    return torch.stack(out)


def test_sum_of_brute_force_p_over_all_binary_x_and_y_is_one():
    model = tiny_m2()
    xs = torch.cartesian_prod(*[torch.tensor([0.0, 1.0], dtype=torch.float64)] * 3)
    total = sum(_brute_force(model, x[None]).exp().sum() for x in xs)
    assert float(total) == pytest.approx(1.0, abs=1e-6)  # quadrature over relu kinks


@pytest.mark.parametrize("seed", [0, 1])
def test_both_bounds_are_below_brute_force_log_p_and_the_gap_is_the_kl(seed):
    model = tiny_m2(seed=seed)
    xs = torch.cartesian_prod(*[torch.tensor([0.0, 1.0], dtype=torch.float64)] * 3)
    s = 8000
    g = torch.Generator().manual_seed(seed)
    for x in xs:
        x = x[None]
        log_pxy = _brute_force(model, x)  # (K,)
        log_px = torch.logsumexp(log_pxy, 0)
        eps = torch.randn(s, 1, 1, generator=g, dtype=torch.float64)
        u, bound_y, _ = ssvae.unlabelled_bound(model, x, eps=eps, return_parts=True)
        worst = 0.0
        # the Monte Carlo error of each bound, from the spread of log p(x|y,z) over the samples
        for k in range(3):
            y = torch.tensor([k])
            lb = ssvae.labelled_bound(model, x, y, eps=eps)
            assert float(lb) == pytest.approx(float(bound_y[0, k]), abs=1e-12)
            q = model.q_z(x, F.one_hot(y, 3).double())
            z = q.loc + q.scale * eps
            stderr = float(model.log_px(x, F.one_hot(y, 3).double(), z).std()) / math.sqrt(s)
            assert float(lb) < float(log_pxy[k]) + 4 * stderr
            # log p(x, y) - L(x, y) = KL(q(z|x,y) || p(z|x,y)), the KL by quadrature
            grid = torch.linspace(-12, 12, 3001, dtype=torch.float64)
            yo = F.one_hot(y, 3).double().expand(len(grid), -1)
            log_post = (model.log_px(x.expand(len(grid), -1), yo, grid[:, None])
                        + torch.distributions.Normal(0.0, 1.0).log_prob(grid) + model.log_py[k] - log_pxy[k])
            log_q = q.log_prob(grid[:, None])[:, 0]
            kl = float((log_q.exp() * (log_q - log_post)).sum() * (grid[1] - grid[0]))
            assert float(log_pxy[k] - lb) == pytest.approx(kl, abs=4 * stderr + 1e-6)
            worst = max(worst, stderr)
        assert float(u) < float(log_px) + 4 * worst


def test_the_unlabelled_gap_includes_the_kl_of_q_y_to_the_label_posterior():
    # U(x) = log p(x) - KL(q(y|x) || p(y|x)) - sum_y q(y|x) KL_z(y); with the z-gaps known by
    # quadrature this pins U without Monte Carlo slack on its structure.
    model = tiny_m2(seed=3)
    x = torch.tensor([[1.0, 0.0, 1.0]], dtype=torch.float64)
    eps = torch.randn(40000, 1, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    u, bound_y, qy = ssvae.unlabelled_bound(model, x, eps=eps, return_parts=True)
    log_pxy = _brute_force(model, x)
    log_px = torch.logsumexp(log_pxy, 0)
    post_y = (log_pxy - log_px).exp()
    kl_y = float((qy[0] * (qy[0].log() - post_y.log())).sum())
    z_gaps = log_pxy - bound_y[0]
    assert kl_y > 0
    assert float(u) == pytest.approx(float(log_px) - kl_y - float((qy[0] * z_gaps).sum()), abs=1e-9)
    assert float(u) < float(log_px)


def test_m2_loss_is_the_scaled_objective():
    model = tiny_m2(x_dim=4, num_classes=3, latent_dim=2, likelihood="gaussian")
    x_l, y_l, x_u = torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2]), torch.randn(5, 4, dtype=torch.float64)
    loss = ssvae.m2_loss(model, x_l, y_l, x_u, alpha=10.0, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    lab = ssvae.labelled_bound(model, x_l, y_l, generator=g).mean()
    unl = ssvae.unlabelled_bound(model, x_u, generator=g).mean()
    ce = -torch.log_softmax(model.classifier(x_l), -1)[torch.arange(6), y_l].mean()
    assert float(loss) == pytest.approx(float(-(lab + unl) + 10.0 * ce), rel=1e-12)


def test_bounds_accept_images_and_check_their_arguments():
    model = ssvae.M2(x_dim=16, num_classes=10, latent_dim=2, hidden_dim=8)
    x = torch.rand(4, 1, 4, 4)
    assert ssvae.labelled_bound(model, x, torch.tensor([0, 3, 9, 1])).shape == (4,)
    assert ssvae.unlabelled_bound(model, x, num_samples=3).shape == (4,)
    with pytest.raises(ValueError, match="y must hold class indices"):
        ssvae.labelled_bound(model, x, torch.tensor([0, 3, 10, 1]))
    with pytest.raises(ValueError, match="y must have one label per row"):
        ssvae.labelled_bound(model, x, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="eps must have shape"):
        ssvae.unlabelled_bound(model, x, eps=torch.zeros(1, 4, 3))
    with pytest.raises(ValueError, match="likelihood"):
        ssvae.M2(likelihood="poisson")
    with pytest.raises(ValueError, match="latent_dim"):
        ssvae.M2(latent_dim=0)


# --------------------------------------------------------------------------- label draws


def _labels(n_per_class=30, k=10):
    return torch.arange(k).repeat_interleave(n_per_class)[torch.randperm(n_per_class * k)]


@settings(max_examples=25, deadline=None)
@given(per_class=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_label_draws_are_stratified_and_seeded(per_class, seed):
    y = _labels()
    idx = ssvae.draw_labels(y, 10 * per_class, generator=make_generator(seed))
    assert len(set(idx.tolist())) == 10 * per_class
    assert torch.bincount(y[idx], minlength=10).tolist() == [per_class] * 10
    assert torch.equal(idx, ssvae.draw_labels(y, 10 * per_class, generator=make_generator(seed)))


def test_different_seeds_draw_different_labels():
    y = _labels()
    assert not torch.equal(ssvae.draw_labels(y, 50, generator=make_generator(0)),
                           ssvae.draw_labels(y, 50, generator=make_generator(1)))


def test_ssl_data_splits_validation_labelled_and_unlabelled():
    x = torch.rand(300, 1, 4, 4)
    y = _labels()
    d = ssvae.ssl_data(x, y, x[:20], y[:20], 20, num_validation=50, seed=4)
    assert d.x_l.shape == (20, 1, 4, 4) and d.x_u.shape == (230, 1, 4, 4) and d.x_val.shape == (50, 1, 4, 4)
    assert d.x_dim == 16
    assert torch.bincount(d.y_l, minlength=10).tolist() == [2] * 10
    assert torch.bincount(d.y_val, minlength=10).tolist() == [5] * 10
    assert d.config == {"name": "data", "num_labels": 20, "num_validation": 50, "seed": 4, "n": 300}
    # validation, labelled and unlabelled rows are disjoint and together are the training set;
    # the generative models see x_all, which leaves the validation digits out
    rows = torch.cat([d.x_l, d.x_u, d.x_val]).flatten(1)
    assert torch.equal(rows.sort(0).values, x.flatten(1).sort(0).values)
    assert len(d.x_all) == 250
    # the same seed draws the same split; another seed another one
    again = ssvae.ssl_data(x, y, x[:20], y[:20], 20, num_validation=50, seed=4)
    assert torch.equal(again.x_val, d.x_val) and torch.equal(again.x_l, d.x_l)
    other = ssvae.ssl_data(x, y, x[:20], y[:20], 20, num_validation=50, seed=5)
    assert not torch.equal(other.x_val, d.x_val)


def test_bad_label_arguments_name_the_argument():
    y = _labels(n_per_class=3)
    with pytest.raises(ValueError, match="num_labels must be at most the number of examples"):
        ssvae.draw_labels(y, 40)
    with pytest.raises(ValueError, match="num_labels must be a multiple of num_classes"):
        ssvae.draw_labels(y, 15)
    with pytest.raises(ValueError, match="y must hold class indices in 0..9"):
        ssvae.draw_labels(torch.tensor([0, 1, 12]), 10)
    with pytest.raises(ValueError, match="y must hold class indices"):
        ssvae.draw_labels(torch.tensor([-1, 1, 2]), 10)
    with pytest.raises(TypeError, match="y must hold integer class indices"):
        ssvae.draw_labels(torch.tensor([0.0, 1.0]), 10)
    no_sevens = y[y != 7]
    with pytest.raises(ValueError, match=r"y has fewer than 2 examples of class\(es\) \[7\]"):
        ssvae.draw_labels(no_sevens, 20)
    with pytest.raises(TypeError, match="num_labels"):
        ssvae.draw_labels(y, 10.0)
    model = ssvae.M2(x_dim=4, num_classes=3, latent_dim=2, hidden_dim=8)
    with pytest.raises(ValueError, match=r"y_l must hold at least one label of every class; class\(es\) \[2\]"):
        ssvae.fit_m2(model, torch.rand(4, 4), torch.tensor([0, 1, 0, 1]), torch.rand(8, 4), num_epochs=1)
    with pytest.raises(ValueError, match="y_l must hold class indices"):
        ssvae.fit_classifier(ssvae.Classifier(x_dim=4, num_classes=3, hidden_dim=8), torch.rand(3, 4),
                             torch.tensor([0, 1, 3]), num_steps=1)
    with pytest.raises(ValueError, match=r"y_l must have one label per row of x_l \(5\), got 3"):
        ssvae.fit_m2(model, torch.rand(5, 4), torch.tensor([0, 1, 2]), torch.rand(8, 4), num_epochs=1)


# --------------------------------------------------------------------------- training


def _blobs(n_per_class=60, k=3, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(k, d, generator=g)
    y = torch.arange(k).repeat_interleave(n_per_class)
    x = centres[y] + 0.5 * torch.randn(len(y), d, generator=g)
    return x[::2], y[::2], x[1::2], y[1::2]


def test_m2_learns_a_classifier_from_three_labels_per_class():
    d = ssvae.ssl_data(*_blobs(), 9, num_classes=3, num_validation=0, seed=0)
    model = ssvae.M2(x_dim=6, num_classes=3, latent_dim=2, hidden_dim=16, likelihood="gaussian")
    hist = ssvae.fit_m2(model, d.x_l, d.y_l, d.x_u, num_epochs=50, batch_size=27, labelled_batch_size=9,
                        generator=make_generator(0))
    assert len(hist.loss) == 150 and hist.info["alpha"] == pytest.approx(0.1 * 90 / 9)
    assert sum(hist.loss[-20:]) < sum(hist.loss[:20])
    assert ssvae.error_rate(model, d.x_test, d.y_test) < 0.1


def test_deeper_m2_keeps_the_bounds_and_the_classifier():
    model = _m2(depth=3).double()
    assert sum(isinstance(m, torch.nn.Linear) for m in model.dec_out) == 3
    assert sum(isinstance(m, torch.nn.Linear) for m in model.classifier) == 2  # as the NN baseline
    x = torch.rand(5, 16, dtype=torch.float64)
    eps = torch.randn(2, 5, 2, dtype=torch.float64)
    u, bound_y, q = ssvae.unlabelled_bound(model, x, eps=eps, return_parts=True)
    torch.testing.assert_close(u, (q * bound_y).sum(-1) - (q * q.log()).sum(-1))


def test_lr_decay_falls_linearly_to_zero(monkeypatch):
    seen = []
    step = torch.optim.Adam.step

    def record(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", record)
    d = ssvae.ssl_data(*_blobs(), 9, num_classes=3, num_validation=0, seed=0)
    model = ssvae.M2(x_dim=6, num_classes=3, latent_dim=2, hidden_dim=8, likelihood="gaussian")
    ssvae.fit_m2(model, d.x_l, d.y_l, d.x_u, num_epochs=2, batch_size=27, labelled_batch_size=9, lr=0.01,
                 lr_decay=True, generator=make_generator(0))
    assert seen == pytest.approx([0.01 * (1 - i / 6) for i in range(6)])
    seen.clear()
    ssvae.fit_m2(model, d.x_l, d.y_l, d.x_u, num_epochs=2, batch_size=27, labelled_batch_size=9, lr=0.01,
                 generator=make_generator(0))
    assert seen == [0.01] * 6


def test_error_rate_counts_mistakes():
    model = ssvae.Classifier(x_dim=2, num_classes=2, hidden_dim=4)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.net[2].bias.copy_(torch.tensor([1.0, 0.0]))  # always class 0
    assert ssvae.error_rate(model, torch.zeros(4, 2), torch.tensor([0, 1, 1, 0])) == 0.5
    assert ssvae.predict(model, torch.zeros(3, 2)).tolist() == [0, 0, 0]


def test_cached_method_trains_once_and_m1_features_are_latent_means(tmp_cache):
    x = torch.rand(120, 1, 28, 28)
    y = torch.arange(3).repeat_interleave(40)
    d = ssvae.ssl_data(x, y, x[:30], y[:30], 6, num_classes=3, num_validation=15)
    settings_ = {"model": {"latent_dim": 2, "hidden_dim": 8}, "train": {"num_epochs": 2, "seed": 0}}
    m1, hist = ssvae.cached_method("vae", d, **settings_)
    assert isinstance(m1, vae.VAE) and len(list(tmp_cache.glob("ssvae-vae-*.pt"))) == 1 and hist.loss
    again, hist2 = ssvae.cached_method("vae", d, **settings_)
    assert hist2.loss == hist.loss and torch.equal(again.encoder[0].weight, m1.encoder[0].weight)
    # another training setting is another model
    ssvae.cached_method("vae", d, model=settings_["model"], train={"num_epochs": 3, "seed": 0})
    assert len(list(tmp_cache.glob("ssvae-vae-*.pt"))) == 2
    f = ssvae.features(m1, d.x_test)
    torch.testing.assert_close(f, m1.q(d.x_test).mean)
    clf, h = ssvae.cached_method("nn", d.map(lambda t: ssvae.features(m1, t), "m1"),
                                 model={"num_classes": 3, "hidden_dim": 8}, train={"num_steps": 5})
    assert 0 <= h.info["test_error"] <= 1 and 0 <= h.info["val_error"] <= 1 and clf.net[0].in_features == 2


def test_cached_training_depends_on_its_configs_only(tmp_cache):
    """A cached M2 is the same whatever ran before it (cached seeds build and fit from train["seed"])."""
    x = torch.rand(90, 1, 4, 4)
    y = torch.arange(3).repeat_interleave(30)
    d = ssvae.ssl_data(x, y, x[:12], y[:12], 6, num_classes=3, num_validation=0)
    kw = {"model": {"num_classes": 3, "latent_dim": 2, "hidden_dim": 8, "input_noise": 0.3, "dropout": 0.5},
          "train": {"num_epochs": 2, "batch_size": 20, "seed": 3}}
    a, ha = ssvae.cached_method("m2", d, **kw, retrain=True)
    torch.rand(100)  # move torch's global RNG
    b, hb = ssvae.cached_method("m2", d, **kw, retrain=True)
    assert ha.loss == hb.loss and torch.equal(a.enc_x.weight, b.enc_x.weight)


def test_m2_generates_class_conditional_means():
    model = ssvae.M2(x_dim=16, num_classes=10, latent_dim=2, hidden_dim=8)
    with torch.no_grad():
        img = model.mean_x(torch.arange(10), torch.zeros(10, 2))
    assert img.shape == (10, 16) and float(img.min()) >= 0 and float(img.max()) <= 1


def test_classifier_regularization_acts_in_training_only():
    torch.manual_seed(0)
    nn_model = ssvae.Classifier(x_dim=20, hidden_dim=16, dropout=0.5, input_noise=0.5)
    m2 = ssvae.M2(x_dim=20, latent_dim=2, hidden_dim=16, dropout=0.5, input_noise=0.5)
    x = torch.rand(8, 20)
    for logits in (nn_model.logits, m2.logits):
        owner = nn_model if logits == nn_model.logits else m2
        owner.train()
        assert not torch.equal(logits(x), logits(x))  # noise and dropout: two draws differ
        owner.eval()
        torch.testing.assert_close(logits(x), logits(x))
    # without regularization the same network is deterministic in training mode too
    plain = ssvae.Classifier(x_dim=20, hidden_dim=16).train()
    torch.testing.assert_close(plain.logits(x), plain.logits(x))
    # the baseline and M2's q(y|x) are the same architecture
    assert [type(m) for m in nn_model.net] == [type(m) for m in m2.classifier]


@pytest.mark.parametrize("kwargs, needle", [({"dropout": 1.0}, "dropout must be in"), ({"dropout": -0.1}, "dropout"),
                                            ({"input_noise": -1.0}, "input_noise")])
def test_classifier_regularization_rejects_bad_values(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        ssvae.Classifier(x_dim=4, hidden_dim=4, **kwargs)


# --------------------------------------------------------------------------- the notebook's claims fail on untrained models


@pytest.fixture(scope="module")
def digits():
    from lecturekit import data

    x, y = data.mnist_5k("train")
    x_test, y_test = data.mnist_5k("test")
    return ssvae.ssl_data(x, y, x_test, y_test, 100, seed=0, name="mnist_5k")


def _untrained(cls, **kw):
    torch.manual_seed(1)
    return cls(**kw).eval()


def test_nn_error_claim_fails_for_an_untrained_baseline(digits):
    err = ssvae.error_rate(_untrained(ssvae.Classifier, hidden_dim=256), digits.x_test, digits.y_test)
    with pytest.raises(ClaimError):
        check("NN test error", err, at_least=ssvae.NN_ERROR_RANGE[0], at_most=ssvae.NN_ERROR_RANGE[1])


def test_m1_claims_fail_for_an_untrained_m1(digits):
    m1 = _untrained(vae.VAE, image_shape=(28, 28), latent_dim=32, hidden_dim=256)
    feats = digits.map(lambda x: ssvae.features(m1, x), "untrained")
    clf = _untrained(ssvae.Classifier, x_dim=32, hidden_dim=64)
    with pytest.raises(ClaimError):
        check("M1 test error", ssvae.error_rate(clf, feats.x_test, feats.y_test), at_most=ssvae.M1_ERROR_MAX)
    m1m2 = _untrained(ssvae.M2, x_dim=32, latent_dim=16, hidden_dim=128, likelihood="gaussian")
    with pytest.raises(ClaimError):  # against the best baseline the notebook admits
        check("M1+M2 / NN", ssvae.error_rate(m1m2, feats.x_test, feats.y_test) / ssvae.NN_ERROR_RANGE[1],
              at_most=ssvae.M1M2_OVER_NN_MAX)


def test_m2_claims_fail_for_an_untrained_m2(digits):
    m2 = _untrained(ssvae.M2, latent_dim=4, hidden_dim=256)
    with pytest.raises(ClaimError):
        check("M2 / NN", ssvae.error_rate(m2, digits.x_test, digits.y_test) / ssvae.NN_ERROR_RANGE[1],
              at_most=ssvae.M2_OVER_NN_MAX)
    with torch.no_grad():
        u = ssvae.unlabelled_bound(m2, digits.x_test[:100], generator=make_generator(0)).mean()
    with pytest.raises(ClaimError):
        check("mean U(x)", u, at_least=ssvae.UNLABELLED_BOUND_RANGE[0], at_most=ssvae.UNLABELLED_BOUND_RANGE[1])


def test_analogy_claim_fails_for_an_untrained_m2(digits):
    m2 = _untrained(ssvae.M2, latent_dim=4, hidden_dim=256)
    idx = ssvae.analogy_inputs(digits.y_test)
    grid = ssvae.analogy_grid(m2, digits.x_test[idx], digits.y_test[idx])
    acc, labels = ssvae.analogy_accuracy(grid)
    assert labels.shape == (len(idx), 10)
    with pytest.raises(ClaimError):
        check("analogy cells judged as their class", acc, at_least=ssvae.ANALOGY_ACCURACY_MIN)


def test_analogy_accuracy_reads_real_digits_as_their_class(digits):
    """The judge behind the analogy claim: a 'grid' of real test digits, one class per column, passes."""
    idx = torch.stack([torch.nonzero(digits.y_test == c).flatten()[:5] for c in range(10)], 1)  # (5, 10)
    acc, labels = ssvae.analogy_accuracy(digits.x_test[idx].flatten(2))
    assert acc >= 0.9 and labels.shape == (5, 10)


def test_analogy_inputs_are_the_first_test_digits_of_each_class():
    y = torch.tensor([3, 1, 0, 1, 2, 0, 3, 2, 2])
    assert ssvae.analogy_inputs(y, num_classes=4, per_class=2).tolist() == [2, 5, 1, 3, 4, 7, 0, 6]
    with pytest.raises(ValueError, match="per_class"):
        ssvae.analogy_inputs(y, num_classes=4, per_class=3)  # only two 3s


def test_the_identity_check_fails_without_the_entropy():
    """U = Σ q L + H to 1e-3 nats: a bound that forgets H misses it."""
    model = tiny_m2(x_dim=5, num_classes=4, latent_dim=2)
    x = (torch.rand(7, 5, dtype=torch.float64) > 0.5).double()
    eps = torch.randn(1, 7, 2, dtype=torch.float64)
    u, bound_y, q = ssvae.unlabelled_bound(model, x, eps=eps, return_parts=True)
    assert float((u - ((q * bound_y).sum(-1) - (q * q.log()).sum(-1))).abs().max()) < 1e-10
    with pytest.raises(ClaimError):
        check("max |U - by hand|", (u - (q * bound_y).sum(-1)).abs().max(), at_most=1e-3)


# --------------------------------------------------------------------------- bad input at every public entry point


def _m2(**kw):
    return ssvae.M2(**{"x_dim": 16, "num_classes": 4, "latent_dim": 2, "hidden_dim": 8, **kw})


def _clf():
    return ssvae.Classifier(x_dim=16, num_classes=4, hidden_dim=8)


_X = torch.rand(6, 16)
_Y = torch.tensor([0, 1, 2, 3, 0, 1])
_NAN = torch.full((6, 16), float("nan"))


def _split(**kw):
    x, y = torch.rand(40, 1, 4, 4), torch.arange(4).repeat(10)
    return ssvae.ssl_data(x, y, x[:8], y[:8], 8, num_classes=4, num_validation=0, **kw)


def _ssl(**kw):
    d = _split()
    fields = {"x_l": d.x_l, "y_l": d.y_l, "x_u": d.x_u, "x_val": d.x_val, "y_val": d.y_val, "x_test": d.x_test,
              "y_test": d.y_test, **kw}
    return ssvae.SSLData(**fields)


#: entry point -> [(case, call, exception, message naming the argument)]
BAD_INPUTS = {
    "check_labels": [
        ("2-D", lambda: ssvae.check_labels("y", torch.zeros(2, 2, dtype=torch.long), 3), ValueError, "y must be a non-empty 1-D"),
        ("empty", lambda: ssvae.check_labels("y", torch.zeros(0, dtype=torch.long), 3), ValueError, "y must be a non-empty"),
        ("float", lambda: ssvae.check_labels("y", torch.zeros(3), 3), TypeError, "y must hold integer"),
        ("bool", lambda: ssvae.check_labels("y", torch.ones(3, dtype=torch.bool), 3), TypeError, "y must hold integer"),
        ("too large", lambda: ssvae.check_labels("y_l", torch.tensor([0, 3]), 3), ValueError, "y_l must hold class indices in 0..2"),
        ("negative", lambda: ssvae.check_labels("y", torch.tensor([-1]), 3), ValueError, "y must hold class indices"),
    ],
    "classifier_net": [
        ("x_dim 0", lambda: ssvae.classifier_net(0, 4, 2), ValueError, "x_dim"),
        ("hidden_dim float", lambda: ssvae.classifier_net(4, 2.5, 2), TypeError, "hidden_dim"),
        ("num_classes 0", lambda: ssvae.classifier_net(4, 4, 0), ValueError, "num_classes"),
        ("dropout 1", lambda: ssvae.classifier_net(4, 4, 2, dropout=1.0), ValueError, "dropout must be in"),
        ("dropout nan", lambda: ssvae.classifier_net(4, 4, 2, dropout=float("nan")), ValueError, "dropout"),
        ("noise negative", lambda: ssvae.classifier_net(4, 4, 2, input_noise=-1.0), ValueError, "input_noise"),
    ],
    "Classifier": [
        ("x_dim 0", lambda: ssvae.Classifier(x_dim=0), ValueError, "x_dim"),
        ("num_classes -1", lambda: ssvae.Classifier(num_classes=-1), ValueError, "num_classes"),
        ("hidden_dim str", lambda: ssvae.Classifier(hidden_dim="8"), TypeError, "hidden_dim"),
        ("dropout -0.1", lambda: ssvae.Classifier(dropout=-0.1), ValueError, "dropout"),
        ("input_noise inf", lambda: ssvae.Classifier(input_noise=float("inf")), ValueError, "input_noise"),
    ],
    "M2": [
        ("likelihood", lambda: ssvae.M2(likelihood="poisson"), ValueError, "likelihood"),
        ("latent_dim 0", lambda: ssvae.M2(latent_dim=0), ValueError, "latent_dim"),
        ("x_dim float", lambda: ssvae.M2(x_dim=7.5), TypeError, "x_dim"),
        ("num_classes 0", lambda: ssvae.M2(num_classes=0), ValueError, "num_classes"),
        ("hidden_dim -4", lambda: ssvae.M2(hidden_dim=-4), ValueError, "hidden_dim"),
        ("dropout 2", lambda: ssvae.M2(dropout=2.0), ValueError, "dropout"),
        ("depth 0", lambda: ssvae.M2(depth=0), ValueError, "depth"),
    ],
    "labelled_bound": [
        ("label too large", lambda: ssvae.labelled_bound(_m2(), _X, _Y + 1), ValueError, "y must hold class indices"),
        ("labels too few", lambda: ssvae.labelled_bound(_m2(), _X, _Y[:2]), ValueError, "y must have one label per row"),
        ("x width", lambda: ssvae.labelled_bound(_m2(), torch.rand(6, 15), _Y), ValueError, "x must have 16 values"),
        ("x float64", lambda: ssvae.labelled_bound(_m2(), _X.double(), _Y), TypeError, "x is float64 but the model"),
        ("x nan", lambda: ssvae.labelled_bound(_m2(), _NAN, _Y), ValueError, "x must hold finite"),
        ("x 0-255", lambda: ssvae.labelled_bound(_m2(), 255 * _X, _Y), ValueError, "x must hold values in"),
        ("eps shape", lambda: ssvae.labelled_bound(_m2(), _X, _Y, eps=torch.zeros(1, 6, 3)), ValueError, "eps must have shape"),
        ("num_samples 0", lambda: ssvae.labelled_bound(_m2(), _X, _Y, num_samples=0), ValueError, "num_samples"),
        ("model", lambda: ssvae.labelled_bound(_clf(), _X, _Y), TypeError, "model must be a lecturekit.ssvae M2"),
    ],
    "unlabelled_bound": [
        ("model", lambda: ssvae.unlabelled_bound(torch.nn.Linear(2, 2), _X), TypeError, "model must be"),
        ("x list", lambda: ssvae.unlabelled_bound(_m2(), [[0.0] * 16]), TypeError, "x must be a torch.Tensor"),
        ("x 1-D", lambda: ssvae.unlabelled_bound(_m2(), torch.rand(16)), ValueError, "x must have shape"),
        ("x nan", lambda: ssvae.unlabelled_bound(_m2(), _NAN), ValueError, "x must hold finite"),
        ("eps nan", lambda: ssvae.unlabelled_bound(_m2(), _X, eps=torch.full((1, 6, 2), float("nan"))), ValueError, "eps must hold finite"),
        ("generator", lambda: ssvae.unlabelled_bound(_m2(), _X, generator=0), TypeError, "generator must be"),
    ],
    "m2_loss": [
        ("alpha negative", lambda: ssvae.m2_loss(_m2(), _X, _Y, _X, alpha=-1.0), ValueError, "alpha"),
        ("y_l length", lambda: ssvae.m2_loss(_m2(), _X, _Y[:3], _X, alpha=1.0), ValueError, "y_l must have one label per row"),
        ("x_u width", lambda: ssvae.m2_loss(_m2(), _X, _Y, torch.rand(4, 9), alpha=1.0), ValueError, "x_u must have 16 values"),
        ("x_u nan", lambda: ssvae.m2_loss(_m2(), _X, _Y, _NAN, alpha=1.0), ValueError, "x_u must hold finite"),
        ("y_l float", lambda: ssvae.m2_loss(_m2(), _X, _Y.float(), _X, alpha=1.0), TypeError, "y_l must hold integer"),
        ("generator", lambda: ssvae.m2_loss(_m2(), _X, _Y, _X, alpha=1.0, generator="g"), TypeError, "generator must be"),
    ],
    "predict": [
        ("model", lambda: ssvae.predict(torch.nn.Linear(16, 4), _X), TypeError, "model must be"),
        ("x width", lambda: ssvae.predict(_clf(), torch.rand(3, 5)), ValueError, "x must have 16 values"),
        ("x float64", lambda: ssvae.predict(_clf(), _X.double()), TypeError, "x is float64"),
        ("x nan", lambda: ssvae.predict(_clf(), _NAN), ValueError, "x must hold finite"),
        ("batch_size 0", lambda: ssvae.predict(_clf(), _X, batch_size=0), ValueError, "batch_size"),
        ("x empty", lambda: ssvae.predict(_clf(), torch.rand(0, 16)), ValueError, "x must not be empty"),
    ],
    "error_rate": [
        ("one label", lambda: ssvae.error_rate(_clf(), _X, torch.tensor([1])), ValueError, r"y must have one label per row of x \(6\), got 1"),
        ("labels too many", lambda: ssvae.error_rate(_clf(), _X, torch.arange(7) % 4), ValueError, "y must have one label per row"),
        ("label out of range", lambda: ssvae.error_rate(_clf(), _X, _Y + 4), ValueError, "y must hold class indices in 0..3"),
        ("float labels", lambda: ssvae.error_rate(_clf(), _X, _Y.float()), TypeError, "y must hold integer"),
        ("x width", lambda: ssvae.error_rate(_clf(), torch.rand(6, 3), _Y), ValueError, "x must have 16 values"),
        ("model", lambda: ssvae.error_rate("model", _X, _Y), TypeError, "model must be"),
    ],
    "style_of": [
        ("model", lambda: ssvae.style_of(_clf(), _X), TypeError, "model must be a lecturekit.ssvae M2"),
        ("y length", lambda: ssvae.style_of(_m2(), _X, _Y[:1]), ValueError, "y must have one label per row"),
        ("y range", lambda: ssvae.style_of(_m2(), _X, _Y + 9), ValueError, "y must hold class indices"),
        ("x nan", lambda: ssvae.style_of(_m2(), _NAN), ValueError, "x must hold finite"),
        ("x width", lambda: ssvae.style_of(_m2(), torch.rand(2, 3)), ValueError, "x must have 16 values"),
    ],
    "render_classes": [
        ("z shape", lambda: ssvae.render_classes(_m2(), torch.zeros(3)), ValueError, "z must have shape"),
        ("z 2-D", lambda: ssvae.render_classes(_m2(), torch.zeros(1, 2)), ValueError, "z must have shape"),
        ("z nan", lambda: ssvae.render_classes(_m2(), torch.full((2,), float("nan"))), ValueError, "z must hold finite"),
        ("z float64", lambda: ssvae.render_classes(_m2(), torch.zeros(2, dtype=torch.float64)), TypeError, "z is float64"),
        ("model", lambda: ssvae.render_classes(_clf(), torch.zeros(2)), TypeError, "model must be"),
    ],
    "style_plane": [
        ("model", lambda: ssvae.style_plane(_clf(), _X), TypeError, "model must be"),
        ("one digit", lambda: ssvae.style_plane(_m2(latent_dim=3), _X[:1]), ValueError, "at least 2 digits"),
        ("y length", lambda: ssvae.style_plane(_m2(), _X, _Y[:2]), ValueError, "y must have one label per row"),
        ("x nan", lambda: ssvae.style_plane(_m2(), _NAN), ValueError, "x must hold finite"),
        ("x width", lambda: ssvae.style_plane(_m2(), torch.rand(5, 4)), ValueError, "x must have 16 values"),
    ],
    "analogy_inputs": [
        ("per_class 0", lambda: ssvae.analogy_inputs(_Y, num_classes=4, per_class=0), ValueError, "per_class"),
        ("per_class too many", lambda: ssvae.analogy_inputs(_Y, num_classes=4, per_class=3), ValueError, "per_class must be at most"),
        ("y float", lambda: ssvae.analogy_inputs(_Y.float(), num_classes=4), TypeError, "y must hold integer"),
        ("y range", lambda: ssvae.analogy_inputs(_Y, num_classes=3), ValueError, "y must hold class indices"),
        ("num_classes 0", lambda: ssvae.analogy_inputs(_Y, num_classes=0), ValueError, "num_classes"),
    ],
    "analogy_grid": [
        ("model", lambda: ssvae.analogy_grid(_clf(), _X), TypeError, "model must be"),
        ("y length", lambda: ssvae.analogy_grid(_m2(), _X, _Y[:3]), ValueError, "y must have one label per row"),
        ("x nan", lambda: ssvae.analogy_grid(_m2(), _NAN), ValueError, "x must hold finite"),
        ("x 0-255", lambda: ssvae.analogy_grid(_m2(), 255 * _X), ValueError, "divide 0-255 pixels by 255"),
        ("x width", lambda: ssvae.analogy_grid(_m2(), torch.rand(2, 8)), ValueError, "x must have 16 values"),
    ],
    "analogy_accuracy": [
        ("2-D", lambda: ssvae.analogy_accuracy(torch.rand(10, 784)), ValueError, "grid must have 3 axes"),
        ("cell size", lambda: ssvae.analogy_accuracy(torch.rand(2, 10, 100)), ValueError, "grid must hold 28x28 images"),
        ("range", lambda: ssvae.analogy_accuracy(2 * torch.ones(2, 10, 784)), ValueError, "grid must hold values in"),
        ("nan", lambda: ssvae.analogy_accuracy(torch.full((2, 10, 784), float("nan"))), ValueError, "grid must hold finite"),
        ("list", lambda: ssvae.analogy_accuracy([[0.0]]), TypeError, "grid must be a torch.Tensor"),
    ],
    "draw_labels": [
        ("too many", lambda: ssvae.draw_labels(_Y, 40, num_classes=4), ValueError, "num_labels must be at most"),
        ("not a multiple", lambda: ssvae.draw_labels(_Y, 3, num_classes=4), ValueError, "num_labels must be a multiple"),
        ("float num_labels", lambda: ssvae.draw_labels(_Y, 4.0, num_classes=4), TypeError, "num_labels"),
        ("y range", lambda: ssvae.draw_labels(_Y, 4, num_classes=2), ValueError, "y must hold class indices"),
        ("short class", lambda: ssvae.draw_labels(torch.tensor([0, 0, 1, 1, 2, 3, 0, 1]), 8, num_classes=4), ValueError, r"y has fewer than 2 examples of class\(es\) \[2, 3\]"),
        ("generator", lambda: ssvae.draw_labels(_Y, 4, num_classes=4, generator=1), TypeError, "generator must be"),
    ],
    "SSLData": [
        ("y_l length", lambda: _ssl(y_l=torch.tensor([0])), ValueError, "y_l must have one label per row of x_l"),
        ("y_test float", lambda: _ssl(y_test=torch.zeros(8)), TypeError, "y_test must be a 1-D tensor of class"),
        ("x_u nan", lambda: _ssl(x_u=torch.full((3, 1, 4, 4), float("nan"))), ValueError, "x_u must hold finite"),
        ("x_test width", lambda: _ssl(x_test=torch.rand(8, 1, 5, 5)), ValueError, "same shape per row"),
        ("x_l array", lambda: _ssl(x_l=_X.numpy()), TypeError, "x_l must be a torch.Tensor"),
        ("config", lambda: _ssl(config=[1]), TypeError, "config must be a dict"),
    ],
    "ssl_data": [
        ("y length", lambda: ssvae.ssl_data(torch.rand(5, 4), _Y, _X, _Y, 4, num_classes=4, num_validation=0), ValueError, r"y must have one label per row of x \(5\)"),
        ("y_test length", lambda: ssvae.ssl_data(_X, _Y, _X, _Y[:2], 4, num_classes=4, num_validation=0), ValueError, "y_test must have one label per row"),
        ("num_validation -1", lambda: ssvae.ssl_data(_X, _Y, _X, _Y, 4, num_classes=4, num_validation=-1), ValueError, "num_validation"),
        ("seed -1", lambda: ssvae.ssl_data(_X, _Y, _X, _Y, 4, num_classes=4, num_validation=0, seed=-1), ValueError, "seed"),
        ("x nan", lambda: ssvae.ssl_data(_NAN, _Y, _X, _Y, 4, num_classes=4, num_validation=0), ValueError, "x must hold finite"),
        ("num_labels too many", lambda: ssvae.ssl_data(_X, _Y, _X, _Y, 8, num_classes=4, num_validation=0), ValueError, "num_labels must be at most"),
    ],
    "fit_classifier": [
        ("model", lambda: ssvae.fit_classifier(_m2(), _X, _Y), TypeError, "model must be a lecturekit.ssvae Classifier"),
        ("missing class", lambda: ssvae.fit_classifier(_clf(), _X[:3], _Y[:3]), ValueError, r"class\(es\) \[3\] have none"),
        ("lr 0", lambda: ssvae.fit_classifier(_clf(), _X, _Y, lr=0.0), ValueError, "lr"),
        ("num_steps 0", lambda: ssvae.fit_classifier(_clf(), _X, _Y, num_steps=0), ValueError, "num_steps"),
        ("batch_size 0", lambda: ssvae.fit_classifier(_clf(), _X, _Y, batch_size=0), ValueError, "batch_size"),
        ("x_l nan", lambda: ssvae.fit_classifier(_clf(), _NAN, _Y), ValueError, "x_l must hold finite"),
    ],
    "fit_m2": [
        ("num_epochs 0", lambda: ssvae.fit_m2(_m2(), _X, _Y, _X, num_epochs=0), ValueError, "num_epochs"),
        ("alpha -1", lambda: ssvae.fit_m2(_m2(), _X, _Y, _X, alpha=-1.0), ValueError, "alpha"),
        ("x_u 0-255", lambda: ssvae.fit_m2(_m2(), _X, _Y, 255 * _X), ValueError, "x_u must hold values in"),
        ("labelled_batch_size 0", lambda: ssvae.fit_m2(_m2(), _X, _Y, _X, labelled_batch_size=0), ValueError, "labelled_batch_size"),
        ("generator", lambda: ssvae.fit_m2(_m2(), _X, _Y, _X, generator=3), TypeError, "generator must be"),
        ("model", lambda: ssvae.fit_m2(_clf(), _X, _Y, _X), TypeError, "model must be a lecturekit.ssvae M2"),
    ],
    "features": [
        ("model", lambda: ssvae.features(_m2(), torch.rand(2, 1, 28, 28)), TypeError, "model must be a lecturekit.vae.VAE"),
        ("flat x", lambda: ssvae.features(vae.VAE(latent_dim=2, hidden_dim=4), torch.rand(2, 784)), ValueError, "x must have 4 axes"),
        ("x float64", lambda: ssvae.features(vae.VAE(latent_dim=2, hidden_dim=4), torch.rand(2, 1, 28, 28, dtype=torch.float64)), TypeError, "x is float64"),
        ("x nan", lambda: ssvae.features(vae.VAE(latent_dim=2, hidden_dim=4), torch.full((2, 1, 28, 28), float("nan"))), ValueError, "x must hold finite"),
        ("batch_size 0", lambda: ssvae.features(vae.VAE(latent_dim=2, hidden_dim=4), torch.rand(2, 1, 28, 28), batch_size=0), ValueError, "batch_size"),
    ],
    "cached_method": [
        ("kind", lambda: ssvae.cached_method("m3", _split(), model={}, train={}), ValueError, "kind must be one of"),
        ("data", lambda: ssvae.cached_method("nn", (_X, _Y), model={}, train={}), TypeError, "data must be an SSLData"),
        ("model list", lambda: ssvae.cached_method("nn", _split(), model=[], train={}), TypeError, "model must be a dict"),
        ("train None", lambda: ssvae.cached_method("nn", _split(), model={}, train=None), TypeError, "train must be a dict"),
        ("bad model arg", lambda: ssvae.cached_method("m2", _split(), model={"latent_dim": 0}, train={}), ValueError, "latent_dim"),
    ],
    "default_settings": [
        ("num_epochs 0", lambda: ssvae.default_settings(num_epochs=0), ValueError, "num_epochs"),
        ("alpha nan", lambda: ssvae.default_settings(alpha=float("nan")), ValueError, "alpha"),
        ("dropout 1", lambda: ssvae.default_settings(dropout=1.0), ValueError, "dropout must be in"),
        ("nn_input_noise -1", lambda: ssvae.default_settings(nn_input_noise=-1.0), ValueError, "nn_input_noise"),
        ("latent_dim 0", lambda: ssvae.default_settings(latent_dim=0), ValueError, "latent_dim"),
        ("seed -1", lambda: ssvae.default_settings(seed=-1), ValueError, "seed"),
        ("lr 0", lambda: ssvae.default_settings(lr=0.0), ValueError, "lr"),
        ("vae_epochs 0", lambda: ssvae.default_settings(vae_epochs=0), ValueError, "vae_epochs"),
    ],
    "run_methods": [
        ("data", lambda: ssvae.run_methods(None, ssvae.default_settings()), TypeError, "data must be an SSLData"),
        ("settings list", lambda: ssvae.run_methods(_split(), []), TypeError, "settings must be a dict"),
        ("missing method", lambda: ssvae.run_methods(_split(), {"nn": {}}), ValueError, "missing"),
        ("bad entry", lambda: ssvae.run_methods(_split(), {**ssvae.default_settings(), "m2": {"model": {}}}), ValueError, r"settings\['m2'\] must be a dict"),
        ("entry not a dict", lambda: ssvae.run_methods(_split(), {**ssvae.default_settings(), "vae": 3}), ValueError, r"settings\['vae'\]"),
    ],
}


@pytest.mark.parametrize("entry, case, call, exc, message",
                         [(entry, *row) for entry, rows in BAD_INPUTS.items() for row in rows],
                         ids=[f"{entry}-{row[0]}" for entry, rows in BAD_INPUTS.items() for row in rows])
def test_bad_input_raises_an_error_naming_the_argument(entry, case, call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_every_public_entry_point_has_five_bad_input_cases():
    public = sorted(name for name in ssvae.__all__ if callable(getattr(ssvae, name)))
    assert [name for name in public if len(BAD_INPUTS.get(name, [])) < 5] == []
