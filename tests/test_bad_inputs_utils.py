"""Bad inputs to lecturekit.utils and lecturekit.nn: seeding, random draws, devices and the argument checks."""

from __future__ import annotations

import numpy as np
import torch

from lecturekit import nn as lk_nn
from lecturekit import utils
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, BOOL, EMPTY, EXTRA_AXIS, FINITE_FLOAT, GENERATOR, INF, NAN,
                                      NONNEGATIVE_FLOAT, NONNEGATIVE_INT, POSITIVE_FLOAT, POSITIVE_INT, PROBABILITY,
                                      TENSOR, Table, bad, call, derived)

T = Table("utils", ["lecturekit.utils", "lecturekit.nn"])
G = utils.make_generator(0)
DEVICE = [bad("gpu0"), bad("nope:1"), bad(3, TypeError), bad(["cpu"], TypeError), bad(1.5, TypeError)]
SHAPE = [bad(-1), bad((2, -3)), bad("3", TypeError), bad((2.5,), TypeError), bad(None, TypeError)]
FLOAT_DTYPE = [bad(torch.int64, TypeError), bad(torch.bool, TypeError), bad("float32", TypeError),
               bad(np.float32, TypeError), bad(float, TypeError)]
SEED = [bad(-1), bad(1.5, TypeError), bad("0", TypeError), bad(None, TypeError), bad(True, TypeError)]
MODEL = [bad(None, TypeError), bad("model", TypeError), bad(torch.zeros(2), TypeError),
         bad(lambda x: x, TypeError, "function"), bad(torch.nn.Linear, TypeError, "class")]

T.add("utils.seed", lambda: call(utils.seed, 0), s=SEED)
T.add("utils.seeded", lambda: call(utils.seeded, 0), s=[
    bad(-1, names="seed"), bad(1.5, TypeError, names="seed"), bad("0", TypeError, names="seed"),
    bad(None, TypeError, names="seed"), bad(True, TypeError, names="seed")])
T.add("utils.make_generator", lambda: call(utils.make_generator, 0),
      s=[bad(-1, names="seed"), bad(2.5, TypeError, names="seed"), bad("1", TypeError, names="seed")],
      device=[bad("gpu0"), bad(3, TypeError)])
T.add("utils.check_generator", lambda: call(utils.check_generator, G), generator=GENERATOR + [
    bad(torch.zeros(1), TypeError), bad(True, TypeError)])
for name in ("randn", "rand"):
    T.add(f"utils.{name}", lambda name=name: call(getattr(utils, name), (2, 3), generator=G),
          shape=SHAPE[:3], generator=GENERATOR[:1], device=DEVICE[:2], dtype=FLOAT_DTYPE[:2])
T.add("utils.randint", lambda: call(utils.randint, 5, (2, 3), generator=G),
      high=[bad(0), bad(-2), bad(2.5, TypeError)], shape=SHAPE[:2], generator=GENERATOR[:1], device=DEVICE[:1])
T.add("utils.randperm", lambda: call(utils.randperm, 5, generator=G),
      n=[bad(-1), bad(2.5, TypeError), bad("5", TypeError)], generator=GENERATOR[:2], device=DEVICE[:1])
T.add("utils.bernoulli", lambda: call(utils.bernoulli, torch.full((3, 2), 0.3), generator=G),
      p=[AS_LIST, AS_NUMPY, NAN, derived(lambda t: t + 1, ValueError, "above-1"),
         derived(lambda t: t - 1, ValueError, "below-0"), derived(lambda t: t.bool(), TypeError, "bool")],
      generator=GENERATOR[:1])
T.add("utils.get_device", lambda: call(utils.get_device, "cpu"),
      name=[bad("gpu"), bad("tpu:0"), bad("cuda:99"), bad(3, TypeError), bad(["cpu"], TypeError)])
T.add("utils.check_positive_int", lambda: call(utils.check_positive_int, "n", 3),
      value=[bad(v.value, v.exc, names="n") for v in POSITIVE_INT] + [bad(None, TypeError, names="n")])
T.add("utils.check_nonnegative_int", lambda: call(utils.check_nonnegative_int, "n", 0),
      value=[bad(v.value, v.exc, names="n") for v in NONNEGATIVE_INT])
T.add("utils.check_int", lambda: call(utils.check_int, "k", 1, low=0, high=3),
      value=[bad(-1, names="k"), bad(4, names="k"), bad(1.0, TypeError, names="k"), bad("1", TypeError, names="k"),
             bad(False, TypeError, names="k")])
T.add("utils.check_positive_float", lambda: call(utils.check_positive_float, "lr", 0.1),
      value=[bad(v.value, v.exc, names="lr") for v in POSITIVE_FLOAT])
T.add("utils.check_nonnegative_float", lambda: call(utils.check_nonnegative_float, "tol", 0.0),
      value=[bad(v.value, v.exc, names="tol") for v in NONNEGATIVE_FLOAT])
T.add("utils.check_float", lambda: call(utils.check_float, "rho", 0.5, low=-1, high=1, open_low=True, open_high=True),
      value=[bad(1.0, names="rho"), bad(-1.0, names="rho"), bad(2.0, names="rho")]
      + [bad(v.value, v.exc, names="rho") for v in FINITE_FLOAT])
T.add("utils.check_probability", lambda: call(utils.check_probability, "p", 0.5),
      value=[bad(v.value, v.exc, names="p") for v in PROBABILITY] + [bad(0.0, names="p"), bad(1.0, names="p")])
T.add("utils.check_choice", lambda: call(utils.check_choice, "kind", "a", ("a", "b")),
      value=[bad("c", names="kind"), bad("", names="kind"), bad(None, names="kind"), bad(["a"], names="kind"),
             bad(np.array(["a", "b"]), names="kind"), bad(1, names="kind")])
T.add("utils.check_bool", lambda: call(utils.check_bool, "download", True),
      value=[bad("yes", TypeError, names="download"), bad(1, TypeError, names="download"),
             bad(None, TypeError, names="download"), bad("False", TypeError, names="download"),
             bad(np.array([True]), TypeError, names="download")])
T.add("utils.check_device", lambda: call(utils.check_device, "device", "cpu"),
      device=[bad("gpu0"), bad("nope:1"), bad(3, TypeError), bad(None, TypeError), bad(["cpu"], TypeError)])
T.add("utils.check_dtype", lambda: call(utils.check_dtype, "dtype", torch.float32, floating=True), dtype=FLOAT_DTYPE)
T.add("utils.check_path", lambda: call(utils.check_path, "root", "~/data"),
      value=[bad(3, TypeError, names="root"), bad(None, TypeError, names="root"), bad(b"/tmp", TypeError, names="root"),
             bad("", names="root"), bad("   ", names="root"), bad(["a"], TypeError, names="root")])
T.add("utils.as_tensor_2d", lambda: call(utils.as_tensor_2d, "x", np.ones((4, 2))),
      x=[bad("abc", TypeError, names="x"), bad(3, TypeError, names="x"), bad([[1.0, float("nan")]], names="x"),
         bad(np.ones(3), names="x", why="1-D"), bad(np.ones((0, 2)), names="x", why="no-rows"),
         bad([[1, "a"]], TypeError, names="x", why="strings"), bad(torch.ones(2, 2, dtype=torch.bool), TypeError, names="x")])
T.add("utils.as_float_tensor", lambda: call(utils.as_float_tensor, "mu", [0.5, 1.0], ndim=1),
      value=[bad("0.5", TypeError, names="mu"), bad(None, TypeError, names="mu"), bad(True, TypeError, names="mu"),
             bad([[0.5, 1.0]], names="mu", why="2-D"), bad([], names="mu"), bad([float("nan"), 1.0], names="mu"),
             bad(torch.zeros(2, dtype=torch.complex64), TypeError, names="mu"), bad({"a": 1}, TypeError, names="mu")])
T.add("utils.check_images", lambda: call(utils.check_images, "images", torch.rand(3, 1, 8, 8), size=(8, 8)),
      x=[bad(np.zeros((3, 1, 8, 8)), TypeError, names="images"), bad(torch.rand(3, 8, 8), names="images", why="no-channel"),
         bad(torch.rand(3, 3, 8, 8), names="images", why="rgb"), bad(torch.rand(3, 1, 7, 8), names="images", why="size"),
         bad(torch.zeros(3, 1, 8, 8, dtype=torch.uint8), TypeError, names="images"),
         bad(torch.full((3, 1, 8, 8), float("nan")), names="images", why="nan"),
         bad(torch.rand(0, 1, 8, 8), names="images", why="empty")])
T.add("utils.check_tensor", lambda: call(utils.check_tensor, "z", torch.zeros(4, 2), shape=(None, 2), low=-1, high=1),
      x=[bad([0.0, 1.0], TypeError, names="z"), bad(torch.zeros(4, 3), names="z", why="shape"),
         bad(torch.zeros(0, 2), names="z", why="empty"), bad(torch.full((4, 2), float("inf")), names="z", why="inf"),
         bad(torch.full((4, 2), 2.0), names="z", why="range"), bad(torch.zeros(4, 2, device="meta"), names="z", why="meta")])
T.case("utils.check_tensor", "float64-vs-model", lambda: utils.check_tensor("x", torch.zeros(2, 3, dtype=torch.float64),
                                                                          model=torch.nn.Linear(3, 1)), TypeError, names="x")
T.case("utils.check_tensor", "device-vs-model", lambda: utils.check_tensor("x", torch.zeros(2, 3, device="meta"),
                                                                         model=torch.nn.Linear(3, 1)), ValueError, names="x")
T.add("utils.model_dtype", lambda: call(utils.model_dtype, torch.nn.Linear(2, 2)), model=MODEL)
T.add("utils.model_device", lambda: call(utils.model_device, torch.nn.Linear(2, 2)), model=MODEL)

T.add("nn.mlp", lambda: call(lk_nn.mlp, [4, 8, 2], activation="tanh"),
      sizes=[bad([4]), bad([4, 0, 2]), bad([4, 2.5], TypeError), bad(5, TypeError), bad("48", TypeError),
             bad([4, -1])],
      activation=[bad("gelu!"), bad(3)], final_activation=[bad("nope")])

T.install(globals())
