"""Bad inputs to lecturekit.boltzmann (RBM, DBN, DBM), lecturekit.ais (log Z) and the Gibbs chain widget."""

from __future__ import annotations

import torch

from lecturekit import ais
from lecturekit import boltzmann as bm
from lecturekit.widgets import boltzmann as wbm
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, GENERATOR, HUGE_COUNT, INF, NAN,
                                      NONNEGATIVE_FLOAT, ON_META, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS, TENSOR, Table,
                                      bad, call, choice_bads, derived)

T = Table("boltzmann", ["lecturekit.boltzmann", "lecturekit.ais", "lecturekit.widgets.boltzmann"])
G = torch.Generator().manual_seed(0)
X = torch.bernoulli(torch.full((8, 6), 0.5), generator=G)
Z = torch.bernoulli(torch.full((8, 3), 0.5), generator=G)
Z2 = torch.bernoulli(torch.full((8, 2), 0.5), generator=G)


def rbm():
    return bm.RBM(6, 3)


def dbn():
    return bm.DBN(6, (3, 2))


def dbm():
    return bm.DBM(6, (3, 2))


#: units of a layer: binary states or probabilities, the model's dtype and device, the right width
UNITS = [AS_LIST, AS_NUMPY, NAN, derived(lambda t: t * 3, ValueError, "above-1"), DOUBLE, ON_META,
         derived(lambda t: t[:, :-1], ValueError, "one-column-short"), EXTRA_AXIS]
BINARY = [AS_LIST, NAN, derived(lambda t: t * 0.5, ValueError, "probabilities"), EMPTY,
          derived(lambda t: t[:, :-1], ValueError, "one-column-short")]
RBM_BAD = [bad(None, TypeError), bad(torch.nn.Linear(6, 3), TypeError, "linear"), bad("rbm", TypeError)]
SWEEPS = POSITIVE_INT[:3] + [HUGE_COUNT]
HIDDEN_DIMS = [bad(5, TypeError), bad("35", TypeError), bad((3,)), bad((3, 0)), bad((3, 2.5), TypeError)]

T.add("boltzmann.check_binary", lambda: call(bm.check_binary, "x", X),
      x=[bad(X.tolist(), TypeError, names="x"), bad(X * 0.5, names="x", why="probabilities"),
         bad(X[:0], names="x", why="empty"), bad(torch.full((2, 6), float("nan")), names="x", why="nan"),
         bad(torch.ones(6), names="x", why="1-D"), bad(torch.ones(2, 6, device="meta"), names="x", why="meta")])
T.add("boltzmann.sweeps", lambda: call(bm.sweeps, 3, progress=False), num_sweeps=SWEEPS + [bad(0)],
      desc=[bad(3, TypeError)], progress=PROGRESS)
T.add("boltzmann.RBM", lambda: call(bm.RBM, 6, 3, init_std=0.1),
      num_visible=POSITIVE_INT[:3], num_hidden=POSITIVE_INT[:2], init_std=POSITIVE_FLOAT[:3])
T.add("boltzmann.RBM.energy", lambda: call(rbm().energy, X, Z), x=UNITS[:4], z=UNITS[4:] + [derived(lambda t: t[:3], ValueError, "rows")])
T.add("boltzmann.RBM.free_energy", lambda: call(rbm().free_energy, X), x=UNITS)
T.add("boltzmann.RBM.p_z_given_x", lambda: call(rbm().p_z_given_x, X), x=UNITS)
T.add("boltzmann.RBM.p_x_given_z", lambda: call(rbm().p_x_given_z, Z), z=UNITS)
T.add("boltzmann.RBM.gibbs_step", lambda: call(rbm().gibbs_step, X, generator=torch.Generator()), x=UNITS[:5],
      generator=GENERATOR[:2])
T.add("boltzmann.RBM.sample", lambda: call(rbm().sample, 4, num_sweeps=3, x0=X, generator=torch.Generator(),
                                           progress=False),
      num_samples=[bad(0), bad(2.5, TypeError)], num_sweeps=SWEEPS, x0=BINARY, generator=GENERATOR[:1],
      keep_chain=[bad("yes", TypeError)], progress=PROGRESS[:1])
T.case("boltzmann.RBM.sample", "chain-too-long-to-keep",
       lambda: bm.RBM(784, 3).sample(64, num_sweeps=5 * 10**6, keep_chain=True, progress=False), ValueError,
       names="keep_chain")
T.add("boltzmann.RBM.init_visible_bias", lambda: call(rbm().init_visible_bias, X, eps=1e-3), x=BINARY,
      eps=[bad(0.0), bad(0.6), bad(float("nan")), bad("0.1", TypeError)])
T.add("boltzmann.GibbsChain", lambda: call(bm.GibbsChain, torch.rand(3, 2, 6)),
      frames=[bad(torch.rand(2, 6)), bad(torch.full((3, 2, 6), 2.0)), bad(torch.full((3, 2, 6), float("nan"))),
              bad([[0.5]], TypeError), bad(torch.rand(0, 2, 6))])
T.add("boltzmann.cd_loss", lambda: call(bm.cd_loss, rbm().free_energy, X, X[:3]),
      model_free_energy=[bad(None, TypeError), bad(3, TypeError), bad(lambda x: x, TypeError, "returns-rows")],
      x=[AS_LIST, NAN, derived(lambda t: t * 2, ValueError, "above-1")],
      x_neg=[derived(lambda t: t[:, :2], ValueError, "columns"), EMPTY])
FIT = dict(num_epochs=1, batch_size=4, progress=False)
T.add("boltzmann.fit_rbm", lambda: call(bm.fit_rbm, rbm(), X, method="pcd", num_chains=4, **FIT),
      rbm=RBM_BAD[:2], x=BINARY, method=choice_bads()[:2], k=POSITIVE_INT[:2], num_epochs=SWEEPS[:2] + [HUGE_COUNT],
      batch_size=POSITIVE_INT[:2], lr=POSITIVE_FLOAT[:3], momentum=[bad(1.0), bad(-0.1)],
      weight_decay=NONNEGATIVE_FLOAT[:2], num_chains=[bad(0)], init_bias=[bad("yes", TypeError)],
      lr_decay=[bad(1, TypeError)], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.add("boltzmann.DBN", lambda: call(bm.DBN, 6, (3, 2)), num_visible=POSITIVE_INT[:2], hidden_dims=HIDDEN_DIMS)
T.add("boltzmann.DBN.sample", lambda: call(dbn().sample, 4, num_sweeps=3, x0=X, generator=torch.Generator(),
                                           progress=False),
      num_samples=[bad(0), bad(-2)], num_sweeps=SWEEPS, x0=BINARY[:3], generator=GENERATOR[:1],
      keep_chain=[bad(None, TypeError)], progress=PROGRESS[:1])
T.add("boltzmann.fit_dbn", lambda: call(bm.fit_dbn, dbn(), X, num_epochs=1, batch_size=4, progress=False),
      dbn=[bad(rbm(), TypeError), bad(None, TypeError)], x=BINARY[:3], num_epochs=[bad(0), HUGE_COUNT],
      top_epochs=[bad(0), bad(1.5, TypeError)], generator=GENERATOR[:1], batch_size=[bad(0)], lr=[bad(-1.0)])
T.case("boltzmann.fit_dbn", "unknown-option", lambda: bm.fit_dbn(dbn(), X, num_epochs=1, epochs=2), TypeError,
       names="epochs")
T.add("boltzmann.DBM", lambda: call(bm.DBM, 6, (3, 2), init_std=0.1), num_visible=POSITIVE_INT[:2],
      hidden_dims=HIDDEN_DIMS, init_std=POSITIVE_FLOAT[:2])
T.add("boltzmann.DBM.energy", lambda: call(dbm().energy, X, Z, Z2), x=UNITS[:3], z1=UNITS[3:6],
      z2=UNITS[6:] + [derived(lambda t: t[:2], ValueError, "rows")])
T.add("boltzmann.DBM.p_z1", lambda: call(dbm().p_z1, X, Z2), x=UNITS[:4], z2=UNITS[4:])
T.add("boltzmann.DBM.p_x", lambda: call(dbm().p_x, Z), z1=UNITS)
T.add("boltzmann.DBM.p_z2", lambda: call(dbm().p_z2, Z), z1=UNITS)
T.add("boltzmann.DBM.mean_field", lambda: call(dbm().mean_field, X, num_sweeps=3), x=UNITS[:4], num_sweeps=SWEEPS)
T.add("boltzmann.DBM.gibbs_step", lambda: call(dbm().gibbs_step, X, Z2, generator=torch.Generator()), x=UNITS[:3],
      z2=UNITS[3:6], generator=GENERATOR[:1])
T.add("boltzmann.DBM.sample", lambda: call(dbm().sample, 4, num_sweeps=3, x0=X, generator=torch.Generator(),
                                           progress=False),
      num_samples=[bad(0)], num_sweeps=SWEEPS, x0=BINARY[:3], generator=GENERATOR[:1], keep_chain=[bad("no", TypeError)],
      progress=PROGRESS[:1])
T.add("boltzmann.DBM.init_from_dbn", lambda: call(dbm().init_from_dbn, dbn()),
      dbn=[bad(None, TypeError), bad(rbm(), TypeError), bad(bm.DBN(6, (4, 2))), bad(bm.DBN(5, (3, 2))),
           bad(dbm(), TypeError)])
T.add("boltzmann.fit_dbm", lambda: call(bm.fit_dbm, dbm(), X, num_chains=4, mean_field_sweeps=2, **FIT),
      dbm=[bad(dbn(), TypeError)], x=BINARY[:3], num_epochs=[bad(0), HUGE_COUNT], k=[bad(0)],
      mean_field_sweeps=[bad(0)], num_chains=[bad(-1)], lr=POSITIVE_FLOAT[:2], momentum=[bad(2.0)],
      lr_decay=[bad("no", TypeError)], generator=GENERATOR[:1], progress=PROGRESS[:1])
T.add("boltzmann.build", lambda: call(bm.build, kind="dbn", num_visible=6, hidden_dims=(3, 2)),
      kind=choice_bads(bad("RBM")), num_visible=[bad(0)], hidden_dims=HIDDEN_DIMS[:3])
T.case("boltzmann.build", "rbm-with-two-layers", lambda: bm.build(kind="rbm", num_visible=6, hidden_dims=(3, 2)),
       ValueError, names="hidden_dims")

# -- ais ---------------------------------------------------------------------------------------------------------
B0 = torch.zeros(6)
T.add("ais.log_partition_exact", lambda: call(ais.log_partition_exact, rbm(), chunk_size=4),
      rbm=RBM_BAD + [bad(bm.RBM(30, 25), ValueError, "too-big")], chunk_size=POSITIVE_INT[:3])
T.add("ais.base_rate_bias", lambda: call(ais.base_rate_bias, X, pseudocount=1.0), x=BINARY[:4],
      pseudocount=POSITIVE_FLOAT[:3])
T.add("ais.base_rate_log_likelihood", lambda: call(ais.base_rate_log_likelihood, X, B0), x=BINARY[:3],
      base_bias=TENSOR[:4] + [derived(lambda t: t[:3], ValueError, "short"), derived(lambda t: t.long(), TypeError, "int")])
T.add("ais.AISResult", lambda: call(ais.AISResult, -3.0, -3.5, -2.5, torch.zeros(4), 10),
      log_z=[bad(float("nan")), bad("x", TypeError)], log_z_low=[bad(0.0, ValueError, "above-log_z", names="log_z_low")],
      log_weights=[bad([0.0], TypeError), bad(torch.zeros(2, 2))], num_temperatures=[bad(1), bad(2.5, TypeError)])
T.add("ais.ais_log_partition", lambda: call(ais.ais_log_partition, rbm(), B0, num_chains=4, num_temperatures=5,
                                            generator=torch.Generator(), progress=False),
      rbm=RBM_BAD[:2], base_bias=TENSOR[:4] + [derived(lambda t: t[:2], ValueError, "short")],
      num_chains=POSITIVE_INT[:3], num_temperatures=[bad(1), bad(0), HUGE_COUNT], generator=GENERATOR[:1],
      progress=PROGRESS[:1])
T.add("ais.log_p_star", lambda: call(ais.log_p_star, X, 0.5, rbm(), B0),
      x=BINARY[:3], tau=[bad(1.5), bad(-0.1), bad(float("nan")), bad(torch.ones(2)), bad("0.5", TypeError)],
      rbm=RBM_BAD[:1], base_bias=[NAN, derived(lambda t: t[:2], ValueError, "short")])
T.add("ais.temperatures", lambda: call(ais.temperatures, 20, dtype=torch.float64),
      num=POSITIVE_INT[:3] + [bad(1)], dtype=[bad(torch.int64, TypeError), bad("float", TypeError)],
      device=[bad("gpu0")])
T.add("ais.log_likelihood", lambda: call(ais.log_likelihood, rbm(), X),
      rbm=RBM_BAD[:2], x=BINARY, log_z=[bad(float("nan")), bad("1", TypeError), bad(torch.ones(2))])

# -- the widget: every setting is checked before a single chain runs --------------------------------------------
T.add("widgets.boltzmann.GibbsChainApp", lambda: call(wbm.GibbsChainApp, {"RBM": bm.GibbsChain(torch.rand(3, 4, 6))},
                                                      image_shape=(2, 3), scale=2),
      chains=[bad({}, ValueError), bad([torch.rand(3, 4, 6)], TypeError), bad({"RBM": torch.rand(3, 4, 6)}, TypeError),
              bad({"A": bm.GibbsChain(torch.rand(3, 4, 6)), "B": bm.GibbsChain(torch.rand(4, 4, 6))})],
      image_shape=[bad((28, 28)), bad(6, TypeError), bad((2, 0))], nrow=[bad(0)], scale=[bad(0), bad(100)])
T.add("widgets.boltzmann.gibbs_chain", lambda: call(wbm.gibbs_chain, rbm(), dbn(), dbm(), num_chains=4, num_sweeps=2,
                                                    image_shape=(2, 3)),
      rbm=RBM_BAD[:2], dbn=[bad(rbm(), TypeError)], dbm=[bad(dbn(), TypeError)], num_chains=POSITIVE_INT[:2],
      num_sweeps=[bad(0), HUGE_COUNT], x0=[derived(lambda t: X[:2], ValueError, "too-few"), bad(X * 0.5),
                                           bad(X.tolist(), TypeError)],
      seed=[bad(-1), bad("0", TypeError)])
T.case("widgets.boltzmann.gibbs_chain", "image_shape", lambda: wbm.gibbs_chain(rbm(), num_chains=2, num_sweeps=2),
       ValueError, names="image_shape")
T.case("widgets.boltzmann.gibbs_chain", "unknown-option",
       lambda: wbm.gibbs_chain(rbm(), num_chains=2, num_sweeps=2, image_shape=(2, 3), colour="red"), TypeError,
       names="colour")
T.add("widgets.boltzmann.grid_png", lambda: call(wbm.grid_png, torch.rand(5, 7).numpy(), scale=2),
      grid=[bad(torch.rand(2, 3, 3)), bad(torch.full((3, 3), float("nan"))), bad("grid", TypeError),
            bad(torch.rand(0, 3))],
      scale=POSITIVE_INT[:3] + [bad(10**5)])

T.install(globals())
