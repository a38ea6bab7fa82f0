"""Bad inputs to lecturekit.ssvae (M2, its bounds, the classifier, label and style; the split, the trainers and
the cache) and notebook 05's widgets (style explorer, analogies).

Nothing here trains a real model or touches the model cache: the trainers' good calls run a few steps on
tiny data, and the cached trainers' good calls are not run (their bad calls fail before anything is built).
"""

from __future__ import annotations

import torch

from lecturekit import ssvae, vae
from lecturekit.ssvae import methods as sm
from lecturekit.widgets import ssvae as wss
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, DOUBLE, EMPTY, EXTRA_AXIS, FEWER_AXES, GENERATOR, HUGE_COUNT,
                                      INF, NAN, NONNEGATIVE_INT, ON_META, POSITIVE_FLOAT, POSITIVE_INT, PROGRESS,
                                      SCALED_255, TENSOR, Table, bad, call, choice_bads, derived)

T = Table("ssvae", ["lecturekit.ssvae.model", "lecturekit.ssvae.methods", "lecturekit.ssvae", "lecturekit.widgets.ssvae"])
K, D, L = 4, 16, 2
X = torch.rand(8, D)
IMG = torch.rand(8, 1, 4, 4)
Y = torch.arange(K).repeat(2)
ONEHOT = torch.nn.functional.one_hot(Y, K).float()
_NAN = float("nan")


def m2(**kw):
    return ssvae.M2(**{"x_dim": D, "num_classes": K, "latent_dim": L, "hidden_dim": 8, **kw})


def clf(**kw):
    return ssvae.Classifier(**{"x_dim": D, "num_classes": K, "hidden_dim": 8, **kw})


def gen():
    return torch.Generator().manual_seed(0)


#: inputs of a Bernoulli model on 16 pixels: the tensor faults, 0-255 pixels, float64, wrong width, no rows axis
X_BAD = TENSOR + [SCALED_255, DOUBLE, ON_META, derived(lambda t: t[:, :3], ValueError, "3-pixels"),
                  derived(lambda t: t[0], ValueError, "one-row-1-D")]
#: labels for 8 rows of K = 4 classes: too few (the issue's example: one label for every row), out of range,
#: negative, float, 2-D, empty
Y_BAD = [derived(lambda t: t[:1], ValueError, "one-label"), derived(lambda t: t + K, ValueError, "label-K"),
         derived(lambda t: t - 1, ValueError, "negative"), derived(lambda t: t.float(), TypeError, "float"),
         EXTRA_AXIS, EMPTY, bad("0123", TypeError)]
M2_BAD = [bad(None, TypeError), bad(clf(), TypeError, "classifier"), bad("m2", TypeError),
          bad(torch.nn.Linear(2, 2), TypeError, "linear")]
ANY_BAD = [bad(None, TypeError), bad("model", TypeError), bad(torch.nn.Linear(2, 2), TypeError, "linear")]
Z = torch.randn(8, L)
Z_BAD = TENSOR[:4] + [DOUBLE, derived(lambda t: t[:, :1], ValueError, "dim-1"), ON_META]
ONEHOT_BAD = [AS_LIST, NAN, DOUBLE, derived(lambda t: t * 3, ValueError, "above-1"),
              derived(lambda t: t[:, :3], ValueError, "3-classes"), derived(lambda t: t[:3], ValueError, "3-rows")]

# -- labels, the classifier and M2 -----------------------------------------------------------------------------------
T.add("ssvae.model.check_labels", lambda: call(ssvae.check_labels, "y", Y, K),
      y=Y_BAD[1:] + [bad(None, TypeError), bad([[0, 1], [1, 0]]), bad(["a", "b"], TypeError), ON_META],
      num_classes=POSITIVE_INT, name=[bad(3, TypeError), bad("", TypeError), bad(None, TypeError)])
T.add("ssvae.model.classifier_net", lambda: call(ssvae.classifier_net, D, 8, K, dropout=0.5, input_noise=0.5),
      x_dim=POSITIVE_INT, hidden_dim=POSITIVE_INT[:2], num_classes=POSITIVE_INT[:2],
      dropout=[bad(1.0), bad(-0.1), bad(_NAN), bad("0.5", TypeError)], input_noise=[bad(-1.0), bad(float("inf"))])
T.add("ssvae.model.Classifier", lambda: call(ssvae.Classifier, x_dim=D, num_classes=K, hidden_dim=8),
      x_dim=POSITIVE_INT, num_classes=POSITIVE_INT[:3], hidden_dim=POSITIVE_INT[:2],
      dropout=[bad(1.5), bad(None, TypeError)],
      input_noise=POSITIVE_FLOAT[1:3])
T.add("ssvae.model.Classifier.logits", lambda: call(clf().logits, X),
      x=TENSOR + [DOUBLE, ON_META, derived(lambda t: t[:, :3], ValueError, "3-columns"), FEWER_AXES])
T.add("ssvae.model.M2", lambda: call(ssvae.M2, x_dim=D, num_classes=K, latent_dim=L, hidden_dim=8, depth=2),
      x_dim=POSITIVE_INT, num_classes=POSITIVE_INT[:2], latent_dim=POSITIVE_INT[:3], hidden_dim=POSITIVE_INT[:2],
      likelihood=choice_bads(bad("Bernoulli")), dropout=[bad(1.0), bad(-1.0)], input_noise=[bad(_NAN)],
      depth=[bad(0), bad(1.5, TypeError)])
T.add("ssvae.model.M2.logits", lambda: call(m2().logits, X), x=X_BAD)
T.add("ssvae.model.M2.q_y", lambda: call(m2().q_y, X), x=X_BAD)
T.add("ssvae.model.M2.q_z", lambda: call(m2().q_z, X, ONEHOT), x=X_BAD[:7], y_onehot=ONEHOT_BAD + [EMPTY])
T.case("ssvae.model.M2.q_z", "enumerated-classes-of-3-rows",
       lambda: m2().q_z(X, torch.eye(K)[:, None, :].expand(K, 3, K)), ValueError, names="y_onehot")
T.add("ssvae.model.M2.decode", lambda: call(m2().decode, ONEHOT, Z), y_onehot=ONEHOT_BAD, z=Z_BAD)
T.add("ssvae.model.M2.p_x", lambda: call(m2().p_x, ONEHOT, Z), y_onehot=ONEHOT_BAD[:5], z=Z_BAD[:6])
T.add("ssvae.model.M2.log_px", lambda: call(m2().log_px, X, ONEHOT, Z.expand(3, 8, L)),
      x=X_BAD[:8], y_onehot=ONEHOT_BAD[:5], z=[NAN, DOUBLE, derived(lambda t: t[..., :3, :], ValueError, "3-rows"),
                                               derived(lambda t: t[..., :1], ValueError, "dim-1")])
T.case("ssvae.model.M2.log_px", "one-row-for-8", lambda: m2().log_px(X, ONEHOT[:1], Z[:1]), ValueError, names="z")
T.add("ssvae.model.M2.mean_x", lambda: call(m2().mean_x, Y, Z),
      y=Y_BAD[:4] + [EMPTY], z=Z_BAD + [derived(lambda t: t[0], ValueError, "1-D")])

# -- the bounds and the classifier's predictions ---------------------------------------------------------------------
EPS = torch.randn(3, 8, L)
T.add("ssvae.model.labelled_bound", lambda: call(ssvae.labelled_bound, m2(), X, Y, num_samples=2, generator=gen()),
      model=M2_BAD, x=X_BAD[:9], y=Y_BAD, num_samples=POSITIVE_INT, generator=GENERATOR,
      eps=[bad(torch.full((3, 8, L), _NAN)), bad(torch.randn(3, 5, L)), bad(torch.randn(8, L)), bad([0.0], TypeError)])
T.add("ssvae.model.unlabelled_bound", lambda: call(ssvae.unlabelled_bound, m2(), X, eps=EPS, return_parts=True),
      model=M2_BAD, x=X_BAD, eps=[bad(torch.full((3, 8, L), float("inf"))), bad(torch.randn(3, 8, 3)),
                                  bad(torch.randn(3, 8, L).numpy(), TypeError)],
      return_parts=[bad("yes", TypeError), bad(2, TypeError), bad(None, TypeError)])
T.case("ssvae.model.unlabelled_bound", "num_samples-0", lambda: ssvae.unlabelled_bound(m2(), X, num_samples=0),
       ValueError, names="num_samples")
T.case("ssvae.model.unlabelled_bound", "generator-int", lambda: ssvae.unlabelled_bound(m2(), X, generator=1),
       TypeError, names="generator")
T.add("ssvae.model.m2_loss", lambda: call(ssvae.m2_loss, m2(), X, Y, X, alpha=2.0, generator=gen()),
      model=M2_BAD, x_l=X_BAD[:7], y_l=Y_BAD[:5], x_u=X_BAD[:9], alpha=[bad(-1.0), bad(_NAN), bad("1", TypeError),
                                                                      bad(None, TypeError)],
      generator=GENERATOR[:2])
T.add("ssvae.model.predict", lambda: call(ssvae.predict, clf(), X, batch_size=3),
      model=ANY_BAD, x=[AS_LIST, AS_NUMPY, NAN, EMPTY, DOUBLE, derived(lambda t: t[:, :3], ValueError, "3-columns")],
      batch_size=POSITIVE_INT)
T.case("ssvae.model.predict", "m2-0-255", lambda: ssvae.predict(m2(), X * 255), ValueError, names="x")
T.add("ssvae.model.error_rate", lambda: call(ssvae.error_rate, m2(), X, Y), _check=lambda r: 0 <= r <= 1,
      model=ANY_BAD, x=X_BAD[:8], y=Y_BAD)

# -- label and style -------------------------------------------------------------------------------------------------
T.add("ssvae.model.style_of", lambda: call(ssvae.style_of, m2(), X, Y), _check=lambda z: z.shape == (8, L),
      model=M2_BAD, x=X_BAD, y=Y_BAD)
T.add("ssvae.model.render_classes", lambda: call(ssvae.render_classes, m2(), torch.zeros(L)),
      _check=lambda r: r.shape == (K, D), model=M2_BAD,
      z=TENSOR[:4] + [DOUBLE, derived(lambda t: t[:1], ValueError, "dim-1"), EXTRA_AXIS])
T.add("ssvae.model.style_plane", lambda: call(ssvae.style_plane, m2(latent_dim=3), X, Y),
      _check=lambda r: r[1].shape == (2, 3) and r[2].shape == (8, 2),
      model=M2_BAD[:3], x=X_BAD[:8], y=Y_BAD[:4])
T.case("ssvae.model.style_plane", "one-digit", lambda: ssvae.style_plane(m2(latent_dim=3), X[:1], Y[:1]), ValueError,
       names="x")
T.add("ssvae.model.analogy_inputs", lambda: call(ssvae.analogy_inputs, Y, num_classes=K, per_class=2),
      y=Y_BAD[1:] + [bad(None, TypeError)],
      num_classes=POSITIVE_INT[:3] + [bad(2, ValueError, "below-labels", names="y")],
      per_class=POSITIVE_INT + [bad(3, ValueError, "more-than-each-class")])
T.add("ssvae.model.analogy_grid", lambda: call(ssvae.analogy_grid, m2(), X, Y), _check=lambda g: g.shape == (8, K, D),
      model=M2_BAD, x=X_BAD, y=Y_BAD[:4])
GRID = torch.rand(2, 10, 784)
T.add("ssvae.model.analogy_accuracy", lambda: call(ssvae.analogy_accuracy, GRID), _run_good=False,  # loads the judge
      grid=TENSOR + [SCALED_255, derived(lambda t: t[..., :100], ValueError, "10x10-cells"), FEWER_AXES,
                     derived(lambda t: t[:1, :1], ValueError, "one-cell"), derived(lambda t: t.long(), TypeError, "int")],
      image_shape=[bad((28,), TypeError), bad("28x28", TypeError), bad((28, 28.0), TypeError), bad((14, 56)),
                   bad(None, TypeError)])

# -- the split -------------------------------------------------------------------------------------------------------
YS = torch.arange(K).repeat(6)  # 24 labels, 6 per class
XS = torch.rand(24, D)
T.add("ssvae.methods.draw_labels", lambda: call(ssvae.draw_labels, YS, 8, num_classes=K, generator=gen()),
      _check=lambda i: len(i) == 8 and len(set(i.tolist())) == 8,
      y=[derived(lambda t: t + K, ValueError, "label-K"), derived(lambda t: t.float(), TypeError, "float"), EMPTY,
         EXTRA_AXIS, bad(None, TypeError),
         derived(lambda t: torch.cat([t[t != 3], t[t == 3][:1]]), ValueError, "one-of-class-3")],
      num_labels=POSITIVE_INT + [bad(25, ValueError, "more-than-examples"), bad(6, ValueError, "not-a-multiple")],
      num_classes=POSITIVE_INT[:3], generator=GENERATOR)


def split(**kw):
    parts = dict(x_l=XS[:8], y_l=YS[:8], x_u=XS[8:20], x_val=XS[20:24], y_val=YS[20:24], x_test=XS[:8], y_test=YS[:8],
                 config={"name": "toy"})
    parts.update(kw)
    return sm.SSLData(**parts)


T.add("ssvae.methods.SSLData", lambda: call(sm.SSLData, XS[:8], YS[:8], XS[8:20], XS[20:24], YS[20:24], XS[:8], YS[:8],
                                             {"name": "toy"}),
      x_l=TENSOR[:5],
      y_l=[AS_LIST, derived(lambda t: t[:3], ValueError, "short"), derived(lambda t: t.float(), TypeError, "float"),
                           derived(lambda t: t - 5, ValueError, "negative")],
      x_u=[NAN, EMPTY, derived(lambda t: t[:, :3], ValueError, "width-3", names="x_u")],
      x_val=[INF, AS_NUMPY], y_val=[derived(lambda t: t[:1], ValueError, "short")],
      x_test=[AS_LIST, derived(lambda t: t[:, :5], ValueError, "width-5", names="x_test")],
      y_test=[bad(None, TypeError), derived(lambda t: t.bool(), TypeError, "bool")],
      config=[bad([], TypeError), bad("toy", TypeError)])
T.add("ssvae.methods.SSLData.map", lambda: call(split().map, lambda t: t[:, :4] * 2, "half"),
      _check=lambda d: d.x_dim == 4 and d.config["features"] == "half",
      fn=[bad(None, TypeError), bad(3, TypeError), bad(lambda t: t.numpy(), TypeError, "to-numpy"),
          bad(lambda t: t[:1], ValueError, "one-row")],
      tag=[bad(3, TypeError), bad(None, TypeError), bad("", TypeError)])
T.add("ssvae.methods.ssl_data", lambda: call(ssvae.ssl_data, XS, YS, XS[:8], YS[:8], 8, num_validation=4, num_classes=K),
      _check=lambda d: (len(d.y_l), len(d.x_u), len(d.y_val)) == (8, 12, 4),
      x=TENSOR + [derived(lambda t: t[:, :5], ValueError, "width-5")],
      y=Y_BAD[1:6] + [derived(lambda t: t[:5], ValueError, "short")],
      x_test=[AS_LIST, NAN, EMPTY],
      y_test=[derived(lambda t: t[:3], ValueError, "short"), derived(lambda t: t.float(), TypeError, "float")],
      num_labels=POSITIVE_INT + [bad(6, ValueError, "not-a-multiple"), bad(100, ValueError, "more-than-examples")],
      num_validation=NONNEGATIVE_INT[:4] + [bad(7, ValueError, "not-a-multiple")], seed=NONNEGATIVE_INT[:4],
      num_classes=POSITIVE_INT[:3], name=[bad(3, TypeError), bad(None, TypeError)])

# -- the trainers (a few steps on tiny data) -------------------------------------------------------------------------
T.add("ssvae.methods.fit_classifier", lambda: call(ssvae.fit_classifier, clf(), X, Y, num_steps=2, batch_size=4,
                                                   generator=gen(), progress=False),
      model=[bad(m2(), TypeError, "m2"), bad(None, TypeError), bad("clf", TypeError)],
      x_l=[AS_LIST, NAN, EMPTY, DOUBLE, derived(lambda t: t[:, :3], ValueError, "3-columns")],
      y_l=Y_BAD[:6] + [derived(lambda t: t % 3, ValueError, "class-3-missing")],
      num_steps=POSITIVE_INT + [HUGE_COUNT], lr=POSITIVE_FLOAT, weight_decay=[bad(-1.0), bad(_NAN), bad("0", TypeError)],
      batch_size=POSITIVE_INT, generator=GENERATOR, progress=PROGRESS)
T.add("ssvae.methods.fit_m2", lambda: call(ssvae.fit_m2, m2(), X, Y, X, num_epochs=1, batch_size=4, labelled_batch_size=4,
                                           generator=gen(), progress=False),
      model=[bad(clf(), TypeError, "classifier"), bad(None, TypeError)],
      x_l=X_BAD[:7], y_l=Y_BAD[:6], x_u=X_BAD[:9], num_epochs=POSITIVE_INT, batch_size=POSITIVE_INT[:3],
      labelled_batch_size=POSITIVE_INT[:3], alpha=[bad(-1.0), bad(_NAN), bad("1", TypeError)], lr=POSITIVE_FLOAT,
      lr_decay=[bad("yes", TypeError), bad(None, TypeError)], generator=GENERATOR, progress=PROGRESS)
T.case("ssvae.methods.fit_m2", "huge-num_epochs",
       lambda: ssvae.fit_m2(m2(), X, Y, X, num_epochs=10**8, batch_size=4, progress=False), UserWarning,
       names="num_epochs")


def tiny_vae(**kw):
    return vae.VAE(image_shape=(4, 4), hidden_dim=8, latent_dim=2, **kw)


T.add("ssvae.methods.features", lambda: call(ssvae.features, tiny_vae(), IMG, batch_size=3),
      _check=lambda f: f.shape == (8, 2),
      model=[bad(m2(), TypeError, "m2"), bad(None, TypeError), bad("vae", TypeError)],
      x=TENSOR + [DOUBLE, ON_META, derived(lambda t: t.flatten(1), ValueError, "flat"),
                  derived(lambda t: t[..., :3], ValueError, "4x3")],
      batch_size=POSITIVE_INT)

# -- the cached trainers: every bad call fails before anything is built, trained or saved ----------------------------
T.add("ssvae.methods.cached_method", lambda: call(ssvae.cached_method, "nn", split(), model={"hidden_dim": 8},
                                                  train={"num_steps": 2}), _run_good=False,
      kind=choice_bads(bad("NN"), bad("m1")),
      data=[bad((X, Y), TypeError), bad(None, TypeError), bad({"x_l": X}, TypeError)],
      model=[bad([], TypeError), bad(None, TypeError), bad("hidden_dim=8", TypeError)],
      train=[bad(None, TypeError), bad([("num_steps", 2)], TypeError)],
      retrain=[bad("yes", TypeError), bad(2, TypeError), bad(None, TypeError)])
T.add("ssvae.methods.default_settings", lambda: call(ssvae.default_settings, num_epochs=2, seed=3),
      _check=lambda s: s["m2"]["train"]["num_epochs"] == 2 and s["nn"]["train"]["seed"] == 3,
      num_epochs=POSITIVE_INT, lr=POSITIVE_FLOAT[:3], latent_dim=POSITIVE_INT[:2], alpha=[bad(-1.0), bad(_NAN)],
      dropout=[bad(1.0), bad(-0.5), bad("0.5", TypeError)], nn_dropout=[bad(1.5)], input_noise=[bad(-1.0)],
      nn_input_noise=[bad(float("inf"))], vae_epochs=POSITIVE_INT[:2], m1m2_epochs=[bad(0)],
      hidden_dim=[bad(2.5, TypeError)],
      seed=NONNEGATIVE_INT[:3])
SETTINGS = ssvae.default_settings()
T.add("ssvae.methods.run_methods", lambda: call(ssvae.run_methods, split(), SETTINGS), _run_good=False,
      data=[bad((X, Y), TypeError), bad(None, TypeError)],
      settings=[bad(None, TypeError), bad([], TypeError), bad({}), bad({k: v for k, v in SETTINGS.items() if k != "m2"}),
                bad({**SETTINGS, "nn": {"model": {}}}), bad({**SETTINGS, "vae": None})],
      retrain=[bad("yes", TypeError), bad(1, TypeError)])

# -- the widgets: validated before any figure is built ---------------------------------------------------------------
W_MODEL = [bad(None, TypeError), bad(clf(), TypeError, "classifier"),
           bad(m2(likelihood="gaussian"), ValueError, "gaussian"),
           bad(ssvae.M2(x_dim=9, num_classes=K, latent_dim=L, hidden_dim=8), ValueError, "x_dim-9", names="image_shape")]
W_X = TENSOR + [SCALED_255, DOUBLE, derived(lambda t: t[..., :3], ValueError, "4x3"),
                derived(lambda t: t[0, 0, 0], ValueError, "1-D")]
W_Y = [derived(lambda t: t[:1], ValueError, "one-label"), derived(lambda t: t + K, ValueError, "label-K"),
       derived(lambda t: t.float(), TypeError, "float"), bad("y", TypeError)]
SHAPE_BAD = [bad((16,), TypeError), bad("4x4", TypeError), bad((4, 0)), bad((4, 2.0), TypeError), bad((3, 3))]
T.add("widgets.ssvae.StyleExplorer", lambda: call(wss.StyleExplorer, m2(), IMG, Y, image_shape=(4, 4), label=1, span=2.0),
      model=W_MODEL, x=W_X, y=W_Y, image_shape=SHAPE_BAD,
      label=[bad(K), bad(-1), bad(1.5, TypeError), bad("0", TypeError), bad(True, TypeError)],
      span=POSITIVE_FLOAT + [bad(1e6)])
T.add("widgets.ssvae.style_explorer", lambda: call(wss.style_explorer, m2(), IMG, Y, image_shape=(4, 4)),
      model=W_MODEL[:2], x=W_X[:3], y=W_Y[:2])
T.case("widgets.ssvae.style_explorer", "unknown-option",
       lambda: wss.style_explorer(m2(), IMG, Y, image_shape=(4, 4), zoom=2),
       TypeError, names="zoom")
T.add("widgets.ssvae.Analogies", lambda: call(wss.Analogies, m2(), IMG, Y, image_shape=(4, 4), index=3),
      model=W_MODEL, x=W_X, y=W_Y, image_shape=SHAPE_BAD,
      index=[bad(-1), bad(8, ValueError, "past-the-end"), bad(1.5, TypeError), bad("0", TypeError), bad(True, TypeError)])
T.add("widgets.ssvae.analogies", lambda: call(wss.analogies, m2(), IMG, Y, image_shape=(4, 4)),
      model=W_MODEL[:2], x=W_X[:3], y=W_Y[:2])
T.case("widgets.ssvae.analogies", "unknown-option", lambda: wss.analogies(m2(), IMG, image_shape=(4, 4), slider=2),
       TypeError, names="slider")

T.install(globals())
