"""Bad inputs to lecturekit.checks, whose validators are entry points themselves: a bad argument to
a validator (a name that is not a str, a ``shape`` spec that is not one, a ``dtype`` that is not a
``torch.dtype``, an empty list of choices) raises naming that argument, and a bad *value* raises
naming the argument the validator was told about."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np
import torch

from lecturekit import checks
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, BOOL, DOUBLE, EMPTY, EXTRA_AXIS, FEWER_AXES, INF, INTEGER, NAN,
                                      NONNEGATIVE_FLOAT, NONNEGATIVE_INT, ON_META, POSITIVE_FLOAT, POSITIVE_INT,
                                      PROBABILITY, Table, bad, call, choice_bads)

T = Table("checks", ["lecturekit.checks"])
NAN_ = math.nan
#: The validators' first argument, the name of the argument they check.
NAME_BAD = [bad(3, TypeError), bad(None, TypeError), bad(b"lr", TypeError, "bytes"), bad(""), bad("  ", ValueError, "blank")]
#: A flag of a validator.
FLAG_BAD = [bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError)]


def named(bads, who: str):
    """The same bad values, whose message must name ``who`` (the name given to the validator)."""
    return [dataclasses.replace(b, names=who) for b in bads]


T.add("checks.check_positive_int", lambda: call(checks.check_positive_int, "num_steps", 3), _check=lambda out: out == 3,
      name=NAME_BAD, value=named(POSITIVE_INT, "num_steps"))
T.add("checks.check_nonnegative_int", lambda: call(checks.check_nonnegative_int, "seed", 0), _check=lambda out: out == 0,
      name=NAME_BAD, value=named(NONNEGATIVE_INT, "seed"))
T.add("checks.check_int", lambda: call(checks.check_int, "component", 2, low=0, high=4), _check=lambda out: out == 2,
      name=NAME_BAD[:2], value=named([bad(5), bad(-1), bad(2.0, TypeError), bad("2", TypeError), bad(True, TypeError)],
                                     "component"),
      low=[bad(0.5, TypeError), bad("0", TypeError), bad(5, ValueError, "above-high")],
      high=[bad(math.inf, TypeError), bad(-1, ValueError, "below-low"), bad(True, TypeError)])
T.add("checks.check_positive_float", lambda: call(checks.check_positive_float, "lr", 0.1), _check=lambda out: out == 0.1,
      name=NAME_BAD, value=named(POSITIVE_FLOAT, "lr"), allow_zero=FLAG_BAD)
T.add("checks.check_nonnegative_float", lambda: call(checks.check_nonnegative_float, "tol", 0.0),
      _check=lambda out: out == 0.0, name=NAME_BAD, value=named(NONNEGATIVE_FLOAT, "tol"))
T.add("checks.check_float", lambda: call(checks.check_float, "rho", 0.5, low=-1.0, high=1.0, open_low=True, open_high=True),
      _check=lambda out: out == 0.5, name=NAME_BAD[:3],
      value=named([bad(1.0, ValueError, "open-end"), bad(NAN_), bad("0.5", TypeError), bad(2.0), bad(None, TypeError)], "rho"),
      low=[bad(NAN_), bad("-1", TypeError), bad(2.0, ValueError, "above-high")], high=[bad(NAN_), bad(-2.0, names="low")],
      open_low=FLAG_BAD[:2], open_high=FLAG_BAD[:2])
T.add("checks.check_probability", lambda: call(checks.check_probability, "p", 0.3), _check=lambda out: out == 0.3,
      name=NAME_BAD, value=named(PROBABILITY, "p") + [bad(0.0, names="p")], open_interval=FLAG_BAD)
T.add("checks.check_choice", lambda: call(checks.check_choice, "kind", "ring", ("ring", "grid")),
      _check=lambda out: out == "ring", name=NAME_BAD, value=named(choice_bads(), "kind"),
      choices=[bad("ring", TypeError, "one-string"), bad(None, TypeError), bad(()), bad(3, TypeError), bad([], ValueError, "empty-list")])
T.add("checks.check_bool", lambda: call(checks.check_bool, "progress", True), _check=lambda out: out is True,
      name=NAME_BAD, value=named(BOOL + [bad(None, TypeError), bad("True", TypeError), bad(1.0, TypeError)], "progress"),
      allow_none=FLAG_BAD)
T.add("checks.check_device", lambda: call(checks.check_device, "out_device", "cpu"),
      _check=lambda out: out == torch.device("cpu"), name=NAME_BAD,
      device=named([bad("gpu0"), bad(""), bad(3, TypeError), bad(None, TypeError), bad(["cpu"], TypeError)], "out_device"))
T.add("checks.check_path", lambda: call(checks.check_path, "root_dir", "/tmp"), _check=lambda out: str(out) == "/tmp",
      name=NAME_BAD, value=named([bad(3, TypeError), bad(None, TypeError), bad(b"/tmp", TypeError), bad(""),
                                  bad("   ", ValueError, "blank")], "root_dir"),
      kind=[bad("folder"), bad("FILE", ValueError, "upper-case"), bad(3, ValueError, "int")],
      suffixes=[bad(".ipynb", TypeError, "a-str"), bad(("ipynb",), TypeError, "no-dot"), bad((3,), TypeError)])
#: One file and one missing path for check_path's kinds: each kind rejects the wrong kind of path.
PATHS = Path(tempfile.mkdtemp(prefix="lk-bad-checks-"))
(PATHS / "a.txt").write_text("a file")
for kind, path, exc, why in (("file", PATHS / "missing.txt", FileNotFoundError, "file-missing"),
                             ("file", PATHS, IsADirectoryError, "file-is-folder"),
                             ("dir", PATHS / "missing", FileNotFoundError, "dir-missing"),
                             ("dir", PATHS / "a.txt", NotADirectoryError, "dir-is-file"),
                             ("new_file", PATHS, IsADirectoryError, "new-file-is-folder"),
                             ("new_file", PATHS / "a.txt" / "b.txt", NotADirectoryError, "new-file-under-file"),
                             ("new_dir", PATHS / "a.txt", NotADirectoryError, "new-dir-is-file"),
                             ("new_dir", PATHS / "a.txt" / "sub", NotADirectoryError, "new-dir-under-file"),
                             (None, PATHS / "a.txt", ValueError, "suffix")):
    T.case("checks.check_path", why, lambda kind=kind, path=path, why=why: checks.check_path(
        "out_dir", path, kind=kind, suffixes=(".ipynb",) if why == "suffix" else ()), exc, names="out_dir")
T.add("checks.check_dtype", lambda: call(checks.check_dtype, "out_dtype", torch.float32, floating=True),
      _check=lambda out: out is torch.float32, name=NAME_BAD,
      dtype=named([bad("float32", TypeError), bad(np.float32, TypeError), bad(None, TypeError), bad(float, TypeError),
                   bad(torch.int64, TypeError)], "out_dtype"), floating=FLAG_BAD)

X2 = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], dtype=torch.float64)
T.add("checks.as_tensor_2d", lambda: call(checks.as_tensor_2d, "x", X2, dtype=torch.float32),
      _check=lambda out: out.dtype == torch.float32 and torch.equal(out, X2.float()), name=NAME_BAD,
      x=[NAN, INF, EMPTY, EXTRA_AXIS, FEWER_AXES, bad("x", TypeError), bad(torch.ones(3, 2, dtype=torch.bool), TypeError)],
      dtype=[bad("float32", TypeError), bad(torch.int64, TypeError), bad(np.float64, TypeError), bad(float, TypeError),
             bad(torch.bool, TypeError)])
T.add("checks.as_float_tensor", lambda: call(checks.as_float_tensor, "y", [1.0, 2.0], ndim=1),
      _check=lambda out: out.dtype == torch.float64 and out.tolist() == [1.0, 2.0], name=NAME_BAD,
      value=named([bad("1", TypeError), bad(None, TypeError), bad([NAN_]), bad([]), bad(torch.ones(2).to("meta")),
                   bad([[1.0]], ValueError, "two-axes")], "y"),
      dtype=[bad(torch.int64, TypeError), bad("float", TypeError), bad(None, TypeError)],
      ndim=[bad(-1), bad(1.5, TypeError), bad("1", TypeError)], finite=FLAG_BAD[:2], nonempty=FLAG_BAD[2:])
IMAGES = torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
T.add("checks.check_images", lambda: call(checks.check_images, "images", IMAGES, size=(4, 4)),
      _check=lambda out: out is IMAGES, name=NAME_BAD,
      x=named([AS_NUMPY, NAN, EMPTY, FEWER_AXES, INTEGER, ON_META], "images"),
      size=[bad((4,), ValueError, "one-entry"), bad("44", TypeError), bad((4.0, 4.0), TypeError), bad((0, 4), ValueError),
            bad(4, TypeError), bad((5, 5), ValueError, "other-size", names="images")])
LINEAR = torch.nn.Linear(2, 2)
T.add("checks.model_dtype", lambda: call(checks.model_dtype, LINEAR), _check=lambda out: out == torch.float32,
      model=[bad(None, TypeError), bad("model", TypeError), bad(torch.ones(2), TypeError, "tensor"),
             bad(torch.nn.Linear, TypeError, "class"), bad([LINEAR], TypeError, "list")])
T.add("checks.model_device", lambda: call(checks.model_device, LINEAR), _check=lambda out: out == torch.device("cpu"),
      model=[bad(None, TypeError), bad("model", TypeError), bad(torch.ones(2), TypeError, "tensor"),
             bad(torch.nn.Linear, TypeError, "class"), bad({"m": LINEAR}, TypeError, "dict")])

XT = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -2.0]])
T.add("checks.check_tensor", lambda: call(checks.check_tensor, "x", XT, ndim=2, shape=(None, 3), dtype=torch.float32,
                                          low=-10.0, high=10.0, device="cpu"),
      _check=lambda out: out is XT, name=NAME_BAD,
      x=[AS_LIST, AS_NUMPY, NAN, INF, EMPTY, DOUBLE, EXTRA_AXIS, bad(XT * 100, ValueError, "out-of-range"),
         bad(XT[:, :2], ValueError, "two-columns")],
      ndim=[bad(-1), bad(2.0, TypeError), bad("2", TypeError), bad(3, ValueError, "disagrees-with-shape")],
      shape=[bad("N3", TypeError), bad((None, 3.0), TypeError), bad((None, -1)), bad(3, TypeError),
             bad((None, 4), ValueError, "other-size", names="x")],
      dtype=[bad("float32", TypeError), bad(np.float32, TypeError), bad(float, TypeError),
             bad(torch.float64, TypeError, "other-dtype", names="x")],
      model=[bad("model", TypeError), bad(torch.nn.Linear, TypeError, "class")],
      finite=FLAG_BAD[:2], nonempty=FLAG_BAD[2:],
      low=[bad(NAN_), bad("0", TypeError), bad(20.0, ValueError, "above-high")], high=[bad(NAN_), bad(-20.0, names="low")],
      hint=[bad(3, TypeError), bad(None, TypeError)],
      device=[bad("gpu0"), bad(["cpu"], TypeError), bad("meta", ValueError, "other-device", names="x")])

T.install(globals())


def test_good_calls_behave_as_before():
    """The validators' own checks change nothing for good input: defaults, torch.Size shapes, open bounds,
    a dict of choices, integer devices left to torch."""
    assert checks.check_tensor("x", XT, shape=XT.shape) is XT
    assert checks.check_tensor("x", XT, shape=[2, None], low=-2, high=2) is XT
    assert checks.check_choice("mode", "a", {"a": 1, "b": 2}) == "a"
    assert checks.check_choice("flag", False, (True, False)) is False
    assert checks.check_float("t", 0.0, low=0.0, high=1.0) == 0.0
    assert checks.check_float("t", 5.0, low=0.0) == 5.0
    assert checks.check_int("k", 0, low=0, high=0) == 0
    assert checks.check_bool("b", np.bool_(True)) is True
    assert checks.check_images("x", IMAGES) is IMAGES
    assert checks.as_float_tensor("v", 3).shape == ()
