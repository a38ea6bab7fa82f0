"""Bad inputs to lecturekit.homework: exercises, verdicts, the check students call, and the pieces the
grader shares (run_case, flatten, compare, fingerprint)."""

from __future__ import annotations

import math

import torch

from lecturekit import homework
from tests.support.bad_inputs import POSITIVE_INT, Table, bad, call

T = Table("homework", ["lecturekit.homework"])
T2 = torch.ones(2, dtype=torch.float64)


def existing() -> homework.Exercise:
    homework._load_all()
    return homework.EXERCISES["1.1"]


def not_attempted(*args):
    raise NotImplementedError


T.add("homework.Exercise", lambda: call(homework.Exercise, "1.9", "a title", "my_fn", lambda: [], atol=1e-6, rtol=1e-6,
                                        forbidden=()),
      id=[bad("1"), bad(1.2), bad("a.b"), bad("0.1")], title=[bad("", TypeError), bad(None, TypeError)],
      function=[bad("my fn"), bad(3)], cases=[bad([], TypeError)], atol=[bad(-1.0), bad(math.nan)],
      rtol=[bad("0", TypeError)], forbidden=[bad("lecturekit.em:e_step", TypeError), bad(("e_step",), TypeError)])
T.add("homework.Verdict", lambda: call(homework.Verdict, "1.1", True, "(4 of 4 cases)"),
      exercise=[bad(1.1, TypeError)], passed=[bad("yes", TypeError), bad(1, TypeError)],
      detail=[bad(None, TypeError), bad(3, TypeError)])
T.add("homework.register", lambda: call(homework.register, existing()),
      exercise=[bad(None, TypeError), bad("1.1", TypeError), bad({"id": "1.1"}, TypeError),
                bad(homework.Verdict("1.1", True, ""), TypeError, "Verdict"), bad(3, TypeError)])
T.add("homework.check", lambda: call(homework.check, "1.1", not_attempted),
      _check=lambda v: not v.passed and "not attempted" in v.detail,
      exercise=[bad("9.9"), bad(1.1, TypeError), bad(None, TypeError), bad(""), bad(["1.1"], TypeError)],
      fn=[bad(None, TypeError), bad("e_step", TypeError)])
T.add("homework.run_case", lambda: call(homework.run_case, lambda x: 2 * x, (T2,), 1),
      _check=lambda out: torch.equal(out["output"], 2 * T2),
      fn=[bad(None, TypeError), bad("f", TypeError)], args=[bad([T2], TypeError), bad(None, TypeError)],
      seed=[bad(-1), bad(1.5, TypeError), bad("0", TypeError)])
T.add("homework.compare", lambda: call(homework.compare, {"output": T2}, {"output": T2}, 1e-6, 1e-6),
      _check=lambda out: out is None,
      want=[bad(None, TypeError), bad({"output": 3.0}, TypeError, "number"), bad({1: T2}, TypeError, "int-key")],
      atol=[bad(-1.0), bad(math.nan)], rtol=[bad("0", TypeError), bad(None, TypeError)])
T.add("homework.flatten", lambda: call(homework.flatten, (T2, 3.0), "output"),
      _check=lambda out: sorted(out) == ["output[0]", "output[1]"],
      value=[bad("abc", TypeError, names="output"), bad(None, TypeError, names="output"),
             bad({"a": T2}, TypeError, "dict", names="output"), bad(True, TypeError, names="output")],
      prefix=[bad(3, TypeError), bad("", TypeError, "empty"), bad(None, TypeError)])
T.add("homework.fingerprint", lambda: call(homework.fingerprint, (T2, 3, "a", {"k": [1.0]})),
      _check=lambda out: isinstance(out, str) and len(out) == 16,
      value=[bad(object(), TypeError, "object"), bad({1, 2}, TypeError, "set"), bad(frozenset(), TypeError, "frozenset"),
             bad((x for x in []), TypeError, "generator"), bad([T2, object()], TypeError, "nested-object")])
T.add("homework.exercises_of", lambda: call(homework.exercises_of, 1), _check=lambda out: [e.id for e in out][:1] == ["1.1"],
      notebook=POSITIVE_INT)

T.install(globals())
