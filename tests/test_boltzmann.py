"""RBM, DBN and DBM: energies, free energies and conditionals against brute-force enumeration
(float64), Gibbs sampling against the exact distribution, training that raises the exact
log-likelihood, and errors that name the argument."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import ais, boltzmann as bm


def all_states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def tiny_rbm(d=4, h=3, scale=1.0, seed=0) -> bm.RBM:
    g = torch.Generator().manual_seed(seed)
    rbm = bm.RBM(d, h).double()
    with torch.no_grad():
        rbm.W.copy_(scale * torch.randn(d, h, generator=g, dtype=torch.float64))
        rbm.b.copy_(scale * torch.randn(d, generator=g, dtype=torch.float64))
        rbm.c.copy_(scale * torch.randn(h, generator=g, dtype=torch.float64))
    return rbm


def joint_log_table(rbm: bm.RBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-E(x, z) for every (x, z) pair: a (2^D, 2^H) table."""
    xs, zs = all_states(rbm.num_visible), all_states(rbm.num_hidden)
    xx = xs.repeat_interleave(len(zs), 0)
    zz = zs.repeat(len(xs), 1)
    return -rbm.energy(xx, zz).reshape(len(xs), len(zs)).detach(), xs, zs


def test_energy_matches_the_definition():
    rbm = tiny_rbm()
    x, z = torch.tensor([[1.0, 0, 1, 1]], dtype=torch.float64), torch.tensor([[0.0, 1, 1]], dtype=torch.float64)
    by_hand = -(x @ rbm.W @ z.T).item() - (x @ rbm.b).item() - (z @ rbm.c).item()
    assert rbm.energy(x, z).item() == pytest.approx(by_hand, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(1, 5), h=st.integers(1, 4), scale=st.floats(0.1, 3.0), seed=st.integers(0, 1000))
def test_free_energy_and_conditionals_match_enumeration(d, h, scale, seed):
    rbm = tiny_rbm(d, h, scale, seed)
    table, xs, zs = joint_log_table(rbm)
    # F(x) = -log sum_z exp(-E(x, z))
    torch.testing.assert_close(rbm.free_energy(xs).detach(), -torch.logsumexp(table, 1), rtol=0, atol=1e-10)
    # p(z_j = 1 | x) = sum over z with z_j = 1 of p(z | x)
    p_z = torch.softmax(table, 1)
    torch.testing.assert_close(rbm.p_z_given_x(xs).detach(), p_z @ zs, rtol=0, atol=1e-10)
    p_x = torch.softmax(table, 0)  # columns: p(x | z)
    torch.testing.assert_close(rbm.p_x_given_z(zs).detach(), p_x.T @ xs, rtol=0, atol=1e-10)
    # log A by enumeration of either layer equals the brute-force double sum
    assert float(ais.log_partition_exact(rbm)) == pytest.approx(float(torch.logsumexp(table.flatten(), 0)), abs=1e-10)


def test_gibbs_sampling_reaches_the_exact_distribution():
    rbm = tiny_rbm(3, 2, scale=1.0, seed=3)
    table, xs, _ = joint_log_table(rbm)
    p_exact = torch.softmax(torch.logsumexp(table, 1), 0)
    g = torch.Generator().manual_seed(0)
    x = rbm.sample(20000, num_steps=30, generator=g)  # mean images; draw the last binary state
    x = bm.bernoulli(x, g)
    codes = (x * torch.tensor([4.0, 2.0, 1.0], dtype=x.dtype)).sum(1).long()
    p_emp = torch.bincount(codes, minlength=8).double() / len(codes)
    assert 0.5 * (p_emp - p_exact).abs().sum() < 0.02


def test_keep_chain_returns_every_sweep():
    rbm = tiny_rbm(4, 3)
    chain = rbm.sample(5, num_steps=7, keep_chain=True, generator=torch.Generator().manual_seed(0))
    assert chain.frames.shape == (8, 5, 4) and chain.num_steps == 7
    assert set(chain.frames[0].unique().tolist()) <= {0.0, 1.0}  # the start is binary noise
    assert ((chain.frames[1:] > 0) & (chain.frames[1:] < 1)).all()  # later frames are p(x = 1 | z)


def bars(n=400, seed=0) -> torch.Tensor:
    """Binary 3x3 images of one horizontal or vertical bar, with 5% flipped pixels."""
    g = torch.Generator().manual_seed(seed)
    protos = []
    for i in range(3):
        img = torch.zeros(3, 3)
        img[i] = 1
        protos += [img.flatten(), img.T.flatten()]
    x = torch.stack(protos)[torch.randint(6, (n,), generator=g)]
    flip = torch.rand(x.shape, generator=g) < 0.05
    return torch.where(flip, 1 - x, x)


@pytest.mark.parametrize("method,k", [("cd", 1), ("cd", 5), ("pcd", 1)])
def test_training_raises_the_exact_log_likelihood(method, k):
    x = bars()
    rbm = bm.RBM(9, 6)
    before = ais.log_likelihood(rbm, x)
    out = bm.train_rbm(rbm, x, method=method, k=k, num_epochs=20, batch_size=20, lr=1.0,
                       generator=torch.Generator().manual_seed(0), progress=False)
    after = ais.log_likelihood(rbm, x)
    assert len(out["loss"]) == 20 * 20
    # uniform over 9 bits is -6.24 nats; the bars need far fewer
    assert before < -5.5 and after > before + 1.5


def test_dbn_trains_two_layers_and_samples_images():
    x = bars(200)
    dbn = bm.DBN(9, (6, 4))
    out = bm.train_dbn(dbn, x, num_epochs=5, batch_size=20, generator=torch.Generator().manual_seed(0), progress=False)
    assert len(out["loss1"]) == len(out["loss2"]) == 50
    chain = dbn.sample(7, num_steps=10, keep_chain=True, generator=torch.Generator().manual_seed(1))
    assert chain.frames.shape == (11, 7, 9)
    assert ((chain.frames >= 0) & (chain.frames <= 1)).all()
    # ancestral samples of a trained DBN look like bars: mostly 3 pixels on
    imgs = dbn.sample(500, num_steps=50, generator=torch.Generator().manual_seed(2))
    assert 2.0 < float(imgs.sum(1).mean()) < 4.5


def tiny_dbm(seed=0) -> bm.DBM:
    g = torch.Generator().manual_seed(seed)
    dbm = bm.DBM(3, (2, 2)).double()
    with torch.no_grad():
        for p in dbm.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return dbm


def test_dbm_conditionals_match_enumeration():
    dbm = tiny_dbm()
    s3, s2 = all_states(3), all_states(2)
    grid = [(x, z1, z2) for x in s3 for z1 in s2 for z2 in s2]
    X, Z1, Z2 = (torch.stack(t) for t in zip(*grid))
    logp = -dbm.energy(X, Z1, Z2).detach().reshape(8, 4, 4)
    # p(z1 | x, z2) from the table, for x = state 5 and z2 = state 2
    cond = torch.softmax(logp[5, :, 2], 0)
    torch.testing.assert_close(dbm.p_z1(s3[5:6], s2[2:3]).detach()[0], cond @ s2, rtol=0, atol=1e-10)
    cond = torch.softmax(logp[:, 1, 3], 0)  # p(x | z1 = state 1): independent of z2
    torch.testing.assert_close(dbm.p_x(s2[1:2]).detach()[0], cond @ s3, rtol=0, atol=1e-10)
    cond = torch.softmax(logp[0, 3, :], 0)
    torch.testing.assert_close(dbm.p_z2(s2[3:4]).detach()[0], cond @ s2, rtol=0, atol=1e-10)


def test_dbm_mean_field_is_a_fixed_point():
    dbm = tiny_dbm(1)
    x = all_states(3)
    mu1, mu2 = dbm.mean_field(x, num_iters=200)
    torch.testing.assert_close(mu1, dbm.p_z1(x, mu2), rtol=0, atol=1e-8)
    torch.testing.assert_close(mu2, dbm.p_z2(mu1), rtol=0, atol=1e-8)


def test_dbm_training_moves_samples_towards_the_data():
    x = bars(300)
    dbm = bm.DBM(9, (8, 4))
    out = bm.train_dbm(dbm, x, num_epochs=20, batch_size=20, lr=0.05, num_chains=50,
                       generator=torch.Generator().manual_seed(0), progress=False)
    assert len(out["loss"]) == 20 * 15 and all(math.isfinite(v) for v in out["loss"])
    imgs = dbm.sample(500, num_steps=100, generator=torch.Generator().manual_seed(1))
    # bars have 3 of 9 pixels on; an untrained model sits near 4.5
    assert float(imgs.sum(1).mean()) < 4.0
    assert dbm.sample(3, num_steps=4, keep_chain=True).frames.shape == (5, 3, 9)


def test_dbm_starts_from_a_dbn():
    dbn = bm.DBN(9, (6, 4))
    dbm = bm.DBM(9, (6, 4)).init_from_dbn(dbn)
    torch.testing.assert_close(dbm.W1, dbn.rbm1.W)
    torch.testing.assert_close(dbm.W2, dbn.rbm2.W)


def test_bad_inputs_name_the_argument():
    rbm = bm.RBM(4, 3)
    with pytest.raises(ValueError, match="x must be binary"):
        bm.train_rbm(rbm, torch.full((5, 4), 0.5))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        bm.train_rbm(rbm, torch.ones(5, 4), k=0)
    with pytest.raises(ValueError, match="num_hidden must be a positive integer"):
        bm.RBM(4, 0)
    with pytest.raises(ValueError, match="hidden_dims"):
        bm.DBN(4, (3, 0))
    with pytest.raises(ValueError, match="hidden_dims"):
        bm.DBM(4, (3,))
    with pytest.raises(ValueError, match="method must be one of"):
        bm.train_rbm(rbm, torch.ones(5, 4), method="pcd10")
    with pytest.raises(ValueError, match="num_visible"):
        bm.train_rbm(rbm, torch.ones(5, 6))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        bm.train_dbm(bm.DBM(4, (2, 2)), [[0, 1, 0, 1]])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        bm.train_dbm(bm.DBM(4, (2, 2)), torch.ones(5, 4), k=0)
    with pytest.raises(ValueError, match="num_steps"):
        rbm.sample(2, num_steps=0)


def test_images_are_flattened():
    x = torch.ones(3, 1, 2, 2)
    assert bm.check_binary("x", x).shape == (3, 4)
