import math

import pytest
import torch

from lecturekit import hvi


def test_banana_normalizer_by_quadrature():
    g1, g2, log_p = hvi.log_density_grid("banana", lim=(-6, 6, -4, 30), num=1200)
    cell = float((g1[1] - g1[0]) * (g2[1] - g2[0]))
    assert float(log_p.exp().sum()) * cell == pytest.approx(1.0, abs=2e-3)


def test_leapfrog_preserves_volume():
    m = hvi.HamiltonianVI(num_leapfrog=1).double()
    with torch.no_grad():
        m.log_momentum_std.fill_(0.3)
        m.log_step.fill_(math.log(0.2))

    def flow(u):
        z, v = m.leapfrog(u[:2].unsqueeze(0), u[2:].unsqueeze(0), 0)
        return torch.cat([z[0], v[0]])

    for u in torch.randn(5, 4, dtype=torch.float64):
        jac = torch.autograd.functional.jacobian(flow, u)
        assert float(torch.linalg.det(jac)) == pytest.approx(1.0, abs=1e-10)


def test_zero_step_is_plain_gaussian_elbo():
    m = hvi.HamiltonianVI(num_leapfrog=0).double()
    g = torch.Generator().manual_seed(0)
    z, log_w = m(1000, generator=g)
    q = torch.distributions.Normal(m.mu, m.log_std.exp())
    assert torch.allclose(log_w, hvi.banana(z) - q.log_prob(z).sum(-1))


def test_untrained_steps_cancel_when_step_size_vanishes():
    """With ε → 0 and r_t = q_t, the auxiliary terms cancel: L_T = L_0 draw by draw."""
    m0 = hvi.HamiltonianVI(num_leapfrog=0).double()
    m4 = hvi.HamiltonianVI(num_leapfrog=4, step_size=1e-12).double()
    z0, w0 = m0(500, generator=torch.Generator().manual_seed(1))
    # same seed: z₀ is the generator's first draw in both, then T = 4 draws the momenta
    z4, w4 = m4(500, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(z4, z0, atol=1e-9)
    assert torch.allclose(w4, w0, atol=1e-9)


def test_hvi_bound_beats_gaussian_and_stays_below_log_z():
    torch.manual_seed(0)
    m0 = hvi.HamiltonianVI(num_leapfrog=0)
    h0 = hvi.fit_hvi(m0, num_steps=300, lr=3e-2, generator=torch.Generator().manual_seed(0), progress=False)
    assert len(h0.loss) == 300 and h0.seconds > 0
    m2 = hvi.HamiltonianVI(num_leapfrog=2)
    with torch.no_grad():
        m2.mu.copy_(m0.mu)
        m2.log_std.copy_(m0.log_std)
    hvi.fit_hvi(m2, num_steps=300, lr=1e-2, generator=torch.Generator().manual_seed(1), progress=False)
    with torch.no_grad():
        l0 = float(m0.bound(20000, generator=torch.Generator().manual_seed(5)))
        l2 = float(m2.bound(20000, generator=torch.Generator().manual_seed(5)))
    log_z = hvi.TARGETS["banana"][1]
    assert l0 < log_z and l2 < log_z + 0.02
    assert l2 >= l0 + 0.1


def test_gradients_reach_all_parameters():
    m = hvi.HamiltonianVI(num_leapfrog=2)
    (-m.bound(64)).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert m.mu.grad.abs().sum() > 0 and m.log_step.grad.abs().sum() > 0 and m.reverse[0][-1].weight.grad.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_leapfrog"):
        hvi.HamiltonianVI(num_leapfrog=-1)
    with pytest.raises(ValueError, match="num_steps"):
        hvi.fit_hvi(hvi.HamiltonianVI(), num_steps=0)
    with pytest.raises(ValueError, match="target"):
        hvi.HamiltonianVI(target="donut")
    with pytest.raises(ValueError, match="step_size"):
        hvi.HamiltonianVI(step_size=0.0)
    with pytest.raises(ValueError, match="z must"):
        hvi.banana(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="n must"):
        hvi.HamiltonianVI()(0)


def test_zero_step_log_weights_match_torch_distributions():
    """T = 0: log w = log p̃(z) − log q₀(z), with q₀ from torch.distributions."""
    m = hvi.HamiltonianVI(num_leapfrog=0).double()
    with torch.no_grad():
        m.mu.copy_(torch.tensor([0.3, -0.7]))
        m.log_std.copy_(torch.tensor([-0.2, 0.4]))
    z, log_w = m(200, generator=torch.Generator().manual_seed(2))
    q = torch.distributions.Independent(torch.distributions.Normal(m.mu, m.log_std.exp()), 1)
    assert torch.allclose(log_w, hvi.banana(z) - q.log_prob(z))
    # the same generator seed gives the same draws
    z2, _ = m(200, generator=torch.Generator().manual_seed(2))
    assert torch.equal(z, z2)


def test_gap_claim_fails_for_untrained_leapfrog_steps():
    """Notebook 04's claim: T = 4 closes at least MIN_GAP_CLOSED of the T = 0 gap. Four leapfrog
    steps that were not trained (started from the trained q₀) close almost none of it."""
    from lecturekit.claims import ClaimError, check

    m0 = hvi.HamiltonianVI(num_leapfrog=0)
    hvi.fit_hvi(m0, num_steps=300, lr=3e-2, generator=torch.Generator().manual_seed(0), progress=False)
    m4 = hvi.HamiltonianVI(num_leapfrog=4)  # the default initial step size
    with torch.no_grad():
        m4.mu.copy_(m0.mu)
        m4.log_std.copy_(m0.log_std)
        l0 = float(m0.bound(20000, generator=torch.Generator().manual_seed(3)))
        l4 = float(m4.bound(20000, generator=torch.Generator().manual_seed(3)))
    log_z = hvi.TARGETS["banana"][1]
    with pytest.raises(ClaimError):
        check("share of the T = 0 gap that T = 4 closes", (l4 - l0) / (log_z - l0), at_least=hvi.MIN_GAP_CLOSED)
