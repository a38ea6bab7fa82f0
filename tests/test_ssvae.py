import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import ssvae


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
    idx = ssvae.draw_labels(y, 10 * per_class, seed=seed)
    assert len(set(idx.tolist())) == 10 * per_class
    assert torch.bincount(y[idx], minlength=10).tolist() == [per_class] * 10
    assert torch.equal(idx, ssvae.draw_labels(y, 10 * per_class, seed=seed))


def test_different_seeds_draw_different_labels():
    y = _labels()
    assert not torch.equal(ssvae.draw_labels(y, 50, seed=0), ssvae.draw_labels(y, 50, seed=1))


def test_ssl_data_splits_labelled_and_unlabelled():
    x = torch.rand(300, 1, 4, 4)
    y = _labels()
    d = ssvae.ssl_data(x, y, x[:20], y[:20], 20, seed=4)
    assert d.x_l.shape == (20, 16) and d.x_u.shape == (280, 16) and d.x_dim == 16
    assert torch.bincount(d.y_l, minlength=10).tolist() == [2] * 10
    assert d.config == {"name": "data", "num_labels": 20, "seed": 4, "n": 300}
    # labelled and unlabelled rows are disjoint and together are the training set
    rows = torch.cat([d.x_l, d.x_u])
    assert torch.equal(rows.sort(0).values, x.flatten(1).sort(0).values)


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
        ssvae.fit_m2(model, torch.rand(4, 4), torch.tensor([0, 1, 0, 1]), torch.rand(8, 4), num_steps=1)
    with pytest.raises(ValueError, match="y_l must hold class indices"):
        ssvae.fit_classifier(ssvae.Classifier(x_dim=4, num_classes=3, hidden_dim=8), torch.rand(3, 4),
                             torch.tensor([0, 1, 3]), num_steps=1)
    with pytest.raises(ValueError, match="x_l and y_l must have the same length"):
        ssvae.fit_m2(model, torch.rand(5, 4), torch.tensor([0, 1, 2]), torch.rand(8, 4), num_steps=1)


# --------------------------------------------------------------------------- training


def _blobs(n_per_class=60, k=3, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(k, d, generator=g)
    y = torch.arange(k).repeat_interleave(n_per_class)
    x = centres[y] + 0.5 * torch.randn(len(y), d, generator=g)
    return x[::2], y[::2], x[1::2], y[1::2]


def test_m2_learns_a_classifier_from_three_labels_per_class():
    d = ssvae.ssl_data(*_blobs(), 9, num_classes=3, seed=0)
    model = ssvae.M2(x_dim=6, num_classes=3, latent_dim=2, hidden_dim=16, likelihood="gaussian")
    hist = ssvae.fit_m2(model, d.x_l, d.y_l, d.x_u, num_steps=150, batch_size=32, labelled_batch_size=9)
    assert sum(hist.loss[-20:]) < sum(hist.loss[:20])
    assert ssvae.error_rate(model, d.x_test, d.y_test) < 0.1


def test_error_rate_counts_mistakes():
    model = ssvae.Classifier(x_dim=2, num_classes=2, hidden_dim=4)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.net[2].bias.copy_(torch.tensor([1.0, 0.0]))  # always class 0
    assert ssvae.error_rate(model, torch.zeros(4, 2), torch.tensor([0, 1, 1, 0])) == 0.5
    assert ssvae.predict(model, torch.zeros(3, 2)).tolist() == [0, 0, 0]


def test_train_cached_trains_once_and_m1_features_are_latent_means(tmp_cache):
    x = torch.rand(120, 1, 4, 4)
    y = torch.arange(3).repeat_interleave(40)
    d = ssvae.ssl_data(x, y, x[:30], y[:30], 6, num_classes=3)
    settings_ = {"model": {"latent_dim": 2, "hidden_dim": 8}, "train": {"num_steps": 20}}
    vae, extras = ssvae.train_cached("vae", d, **settings_)
    assert len(list(tmp_cache.glob("ssvae-vae-*.pt"))) == 1 and extras["loss"]
    again, extras2 = ssvae.train_cached("vae", d, **settings_)
    assert extras2 == extras and torch.equal(again.encoder[0].weight, vae.encoder[0].weight)
    f = ssvae.features(vae, d.x_test)
    assert torch.allclose(f, vae.encode(d.x_test).loc)
    clf, ex = ssvae.train_cached("nn", d.map(lambda t: ssvae.features(vae, t), "m1"),
                                 model={"num_classes": 3, "hidden_dim": 8}, train={"num_steps": 5})
    assert 0 <= ex["test_error"] <= 1 and clf.net[0].in_features == 2


def test_m2_generates_class_conditional_means():
    model = ssvae.M2(x_dim=16, num_classes=10, latent_dim=2, hidden_dim=8)
    with torch.no_grad():
        img = model.mean_x(torch.arange(10), torch.zeros(10, 2))
    assert img.shape == (10, 16) and float(img.min()) >= 0 and float(img.max()) <= 1


def test_exercise_references_restate_the_package():
    """The 5.2 and 5.3 references (written on plain tensors for students) equal what
    ssvae.unlabelled_bound and ssvae.m2_loss compute on a real model."""
    from lecturekit.exercises import ssvae as ex

    torch.manual_seed(3)
    model = ssvae.M2(x_dim=12, num_classes=4, latent_dim=2, hidden_dim=8).double()
    x_l, y_l = torch.rand(6, 12, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 0, 1])
    x_u = torch.rand(9, 12, dtype=torch.float64)
    u, bound_y, probs = ssvae.unlabelled_bound(model, x_u, generator=torch.Generator().manual_seed(1),
                                               return_parts=True)
    torch.testing.assert_close(ex._unlabelled_bound(bound_y, probs.log()), u)
    loss = ssvae.m2_loss(model, x_l, y_l, x_u, alpha=2.5, generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)  # the same draws, in m2_loss's order
    bound_l = ssvae.labelled_bound(model, x_l, y_l, generator=g)
    bound_u = ssvae.unlabelled_bound(model, x_u, generator=g)
    torch.testing.assert_close(ex._m2_objective(bound_l, bound_u, model.logits(x_l), y_l, 2.5), loss)


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
