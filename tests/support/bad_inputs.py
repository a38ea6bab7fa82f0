"""Tables of bad inputs, one per topic, and the runner that turns them into tests.

A topic's test file (``tests/test_bad_inputs_<topic>.py``) builds one :class:`Table` over the
modules it owns, adds a row per public entry point, and calls :meth:`Table.install`::

    T = Table("em", ["lecturekit.em", "lecturekit.widgets.em"])
    T.add("em.e_step", lambda: call(em.e_step, X, THETA),
          x=TENSOR + [EXTRA_AXIS, DOUBLE], theta=[bad("theta", TypeError)])
    T.install(globals())

A row is a *good* call (a function returning :func:`call`) and, per argument, bad values that
replace that one argument. Every case must raise the expected exception type, from lecturekit's
own code (not from deep inside torch or NumPy), with a message that names the argument as a word.
The good call itself must run and return finite numbers (a control: the bad case fails for the
reason it claims, and "no silent garbage" for one in-range input).

The coverage test reads each module's ``__all__`` at run time: every public function, every class
that takes arguments, and every public method with arguments (widget hook methods that only the
:class:`~lecturekit.widgets.FigureApp` machinery calls are left out) needs at least
:data:`MIN_CASES` cases, so a new public name without a row fails the suite. Rows whose name no
longer exists fail too.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import lecturekit

#: Every public entry point needs at least this many bad-input cases.
MIN_CASES = 5
_PACKAGE = Path(lecturekit.__file__).resolve().parent
_NAN, _INF = float("nan"), float("inf")


# ------------------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Call:
    """A function and the arguments of one good call to it."""

    fn: Callable
    args: tuple
    kwargs: dict


def call(fn: Callable, *args, **kwargs) -> Call:
    """The good call ``fn(*args, **kwargs)``; a row's bad cases replace one argument at a time."""
    return Call(fn, args, kwargs)


@dataclass(frozen=True)
class Bad:
    """One bad value for an argument, the exception it must raise, and why it is bad.

    ``value`` is used as is, or (``derive=True``) computed from the good value of the argument.
    ``names`` is the word the message must contain (default: the argument's name).
    """

    value: Any
    exc: type[BaseException] | tuple[type[BaseException], ...] = ValueError
    why: str = ""
    names: str | None = None
    derive: bool = False


def bad(value: Any, exc=ValueError, why: str | None = None, names: str | None = None) -> Bad:
    """A bad value used as is."""
    return Bad(value, exc, why or _label(value), names)


def derived(fn: Callable[[Any], Any], exc=ValueError, why: str = "derived", names: str | None = None) -> Bad:
    """A bad value computed from the good one (``fn(good)``), e.g. the good tensor with a NaN in it."""
    return Bad(fn, exc, why, names, derive=True)


def _label(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        text = repr(value)
        return text if len(text) <= 12 else text[:10] + "..."
    if isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)}-{str(value.dtype).replace('torch.', '')}"
    return type(value).__name__


# ------------------------------------------------------------------------------------- batteries

def _with(value: float):
    def put(t):
        t = t.detach().clone()
        t.view(-1)[0] = value
        return t
    return put


def _numpy(t):
    return t.detach().cpu().numpy()


#: The argument is not a tensor at all, or a tensor with NaN/inf, or empty.
AS_LIST = derived(lambda t: t.tolist(), TypeError, "list")
AS_NUMPY = derived(_numpy, TypeError, "ndarray")
NAN = derived(_with(_NAN), ValueError, "nan")
INF = derived(_with(_INF), ValueError, "inf")
EMPTY = derived(lambda t: t[:0], ValueError, "empty")
EXTRA_AXIS = derived(lambda t: t.unsqueeze(0), ValueError, "extra-axis")
FEWER_AXES = derived(lambda t: t.reshape(-1) if t.ndim > 1 else t.reshape(()), ValueError, "fewer-axes")
DOUBLE = derived(lambda t: t.double(), TypeError, "float64")
FLOAT = derived(lambda t: t.float(), TypeError, "float32")
INTEGER = derived(lambda t: t.round().long(), TypeError, "int64")
ON_META = derived(lambda t: t.to("meta"), ValueError, "meta-device")
SCALED_255 = derived(lambda t: t * 255, ValueError, "0-255-pixels")
NEGATIVE = derived(lambda t: -t - 1, ValueError, "negative")
#: The usual five for a tensor argument.
TENSOR = [AS_LIST, AS_NUMPY, NAN, INF, EMPTY]

POSITIVE_INT = [bad(0), bad(-3), bad(2.5, TypeError), bad("4", TypeError), bad(True, TypeError)]
NONNEGATIVE_INT = [bad(-1), bad(1.5, TypeError), bad("1", TypeError), bad(None, TypeError), bad(True, TypeError)]
POSITIVE_FLOAT = [bad(0.0), bad(-1.0), bad(_NAN), bad(_INF), bad("1", TypeError)]
NONNEGATIVE_FLOAT = [bad(-1.0), bad(_NAN), bad(_INF), bad("0", TypeError), bad(None, TypeError)]
PROBABILITY = [bad(-0.1), bad(1.5), bad(_NAN), bad("0.5", TypeError), bad(None, TypeError)]
FINITE_FLOAT = [bad(_NAN), bad(_INF), bad(-_INF), bad("1", TypeError), bad(None, TypeError)]
GENERATOR = [bad(0, TypeError), bad("seed", TypeError), bad(np.random.default_rng(0), TypeError)]
BOOL = [bad("yes", TypeError), bad(2, TypeError)]
PROGRESS = [bad("yes", TypeError), bad(2, TypeError)]
#: A run length that is absurd: warns before starting (the test turns the warning into an error).
HUGE_COUNT = bad(10**9, UserWarning, "huge-count")


def choice_bads(*extra: Bad) -> list[Bad]:
    """Bad values for an argument that takes one of a few strings."""
    return [bad("nope"), bad("", ValueError, "empty-string"), bad(3, (TypeError, ValueError)),
            bad(None, (TypeError, ValueError)), *extra]


# ------------------------------------------------------------------------------------- cases


def _names_it(message: str, name: str) -> bool:
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", message) is not None


def _raised_in_lecturekit(tb) -> str | None:
    """The file the exception was raised in, if it is not lecturekit's own code."""
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    filename = Path(last.tb_frame.f_code.co_filename).resolve()
    return None if _PACKAGE in filename.parents else f"{filename}:{last.tb_lineno}"


@dataclass
class Case:
    """One bad call: run it with :meth:`run`."""

    key: str
    id: str
    invoke: Callable[[], Any]
    exc: type[BaseException] | tuple[type[BaseException], ...]
    names: str

    def run(self) -> None:
        warns = self.exc if isinstance(self.exc, tuple) else (self.exc,)
        with warnings.catch_warnings():
            for w in warns:
                if isinstance(w, type) and issubclass(w, Warning):
                    warnings.simplefilter("error", w)
            with pytest.raises(self.exc) as info:
                self.invoke()
        message = str(info.value)
        assert _names_it(message, self.names), (
            f"{self.key}: the {type(info.value).__name__} does not name {self.names!r}: {message!r}")
        where = _raised_in_lecturekit(info.tb)
        assert where is None, (f"{self.key}: the {type(info.value).__name__} was raised outside lecturekit "
                               f"({where}), not by an argument check: {message!r}")
        assert "Traceback" not in message


@dataclass
class ExitCase(Case):
    """A command-line ``main(argv)`` given bad arguments: it must return (or exit with) ``code`` and
    print exactly one line on stderr that contains ``names``, and no traceback."""

    code: int = 2

    def run(self) -> None:
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = self.invoke()
            except SystemExit as exc:
                code = exc.code
        text = err.getvalue()
        assert code == self.code, f"{self.key}: exit code {code}, expected {self.code}; stderr: {text!r}"
        lines = [line for line in text.splitlines() if line.strip()]
        assert "Traceback" not in text and len(lines) == 1, f"{self.key}: expected one line on stderr, got {text!r}"
        assert self.names in lines[0], f"{self.key}: the error does not mention {self.names!r}: {lines[0]!r}"


def _invoke(good: Callable[[], Call], arg: str, b: Bad) -> Any:
    c = good()
    args, kwargs = list(c.args), dict(c.kwargs)
    try:
        sig = inspect.signature(c.fn)
        params = sig.parameters
    except (TypeError, ValueError):
        params = {}
    p = params.get(arg)
    if p is not None and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
        bound = sig.bind(*args, **kwargs)
        current = bound.arguments.get(arg, p.default)
        bound.arguments[arg] = b.value(current) if b.derive else b.value
        return c.fn(*bound.args, **bound.kwargs)
    if b.derive:
        if arg not in kwargs:
            raise KeyError(f"{arg!r} is not an argument of the good call to {c.fn!r}")
        kwargs[arg] = b.value(kwargs[arg])
    else:
        kwargs[arg] = b.value
    return c.fn(*args, **kwargs)


def _finite(value: Any, where: str = "output", depth: int = 0) -> None:
    """Assert that every number in ``value`` (tensors, floats, containers) is finite."""
    if depth > 4:
        return
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and value.device.type != "meta":
            assert bool(torch.isfinite(value.detach()).all()), f"{where} holds NaN or infinity"
    elif isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.floating):
            assert np.isfinite(value).all(), f"{where} holds NaN or infinity"
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} is {value}"
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value[:64]):
            _finite(v, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for k, v in list(value.items())[:64]:
            _finite(v, f"{where}[{k!r}]", depth + 1)
    elif is_dataclass(value) and not isinstance(value, type):
        for k, v in vars(value).items():
            if not k.startswith("_"):
                _finite(v, f"{where}.{k}", depth + 1)


@dataclass
class Row:
    key: str
    good: Callable[[], Call] | None
    cases: list[Case] = field(default_factory=list)
    check: Callable[[Any], Any] | None = None
    run_good: bool = True
    allow_nan: bool = False


# ------------------------------------------------------------------------------------- entry points


def _num_params(fn, drop_first: bool) -> int:
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return 1
    if drop_first and ps and ps[0].name in ("self", "cls"):
        ps = ps[1:]
    return len(ps)


def _hook_names() -> set[str]:
    from lecturekit.widgets._base import FigureApp

    return {k for k in vars(FigureApp) if not k.startswith("_")}


def entry_points(module_name: str, siblings: tuple[str, ...] = ()) -> list[str]:
    """The public entry points of a module, read from its ``__all__`` now: functions and classes
    that take arguments, and public methods that take arguments, as ``"<module>.<name>"``.

    A name re-exported from one of ``siblings`` (modules of the same table) is left to that module.
    """
    mod = importlib.import_module(module_name)
    short = module_name.removeprefix("lecturekit.")
    hooks = _hook_names()
    from lecturekit.widgets._base import FigureApp

    keys = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        home = getattr(obj, "__module__", None)
        if home != module_name and home in siblings and name in getattr(importlib.import_module(home), "__all__", ()):
            continue  # re-exported: its row lives under the module that defines it
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue  # an error type: nothing to validate
            if _num_params(obj, False):
                keys.append(f"{short}.{name}")
            for attr, v in vars(obj).items():
                if attr.startswith("_") or isinstance(v, property):
                    continue
                if issubclass(obj, FigureApp) and attr in hooks:
                    continue  # called by the widget machinery with the controls' values, not by users
                fn = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
                if callable(fn) and _num_params(fn, not isinstance(v, staticmethod)):
                    keys.append(f"{short}.{name}.{attr}")
        elif callable(obj) and _num_params(obj, False):
            keys.append(f"{short}.{name}")
    return keys


class Table:
    """The bad inputs of one topic: rows per entry point, turned into tests by :meth:`install`."""

    def __init__(self, topic: str, modules: list[str], *, exempt: dict[str, str] | None = None):
        self.topic = topic
        self.modules = list(modules)
        self.exempt = dict(exempt or {})
        self.rows: dict[str, Row] = {}

    def _row(self, key: str, good=None, check=None, run_good=True, allow_nan=False) -> Row:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = Row(key, good, check=check, run_good=run_good, allow_nan=allow_nan)
        elif good is not None:
            row.good, row.check, row.run_good, row.allow_nan = good, check or row.check, run_good, allow_nan
        return row

    def add(self, key: str, good: Callable[[], Call], /, *, _check: Callable[[Any], Any] | None = None,
            _run_good: bool = True, _allow_nan: bool = False, **bads: list[Bad]) -> None:
        """A row: the good call, and per argument the bad values that replace it.

        ``_check(output)`` may check the good call's output further (return False to fail);
        ``_run_good=False`` skips running the good call (it trains or needs files elsewhere);
        ``_allow_nan=True`` for an output with NaN by design (line breaks in a polyline).
        """
        row = self._row(key, good, _check, _run_good, _allow_nan)
        for arg, values in bads.items():
            seen: dict[str, int] = {}
            for b in values:
                label = b.why or _label(b.value)
                seen[label] = seen.get(label, 0) + 1
                if seen[label] > 1:
                    label = f"{label}{seen[label]}"
                row.cases.append(Case(key, f"{key}:{arg}={label}",
                                      (lambda g=good, a=arg, b=b: _invoke(g, a, b)), b.exc, b.names or arg))

    def case(self, key: str, why: str, fn: Callable[[], Any], exc=ValueError, /, *, names: str) -> None:
        """A hand-written bad call (for ``*args``, files, state): ``fn()`` must raise ``exc`` naming ``names``."""
        self._row(key).cases.append(Case(key, f"{key}:{why}", fn, exc, names))

    def exit_case(self, key: str, main: Callable[[list[str]], int], argv: list[str], needle: str, code: int = 2) -> None:
        """A command line's ``main(argv)`` with bad arguments: exit ``code`` and one line on stderr with ``needle``."""
        why = " ".join(argv) or "no-arguments"
        self._row(key).cases.append(ExitCase(key, f"{key}:{why}", lambda: main(list(argv)), SystemExit, needle, code))

    # -- what install() turns into tests ------------------------------------------------------------
    def required(self) -> list[str]:
        return [k for m in self.modules for k in entry_points(m, tuple(self.modules))]

    def all_cases(self) -> list[Case]:
        return [c for row in self.rows.values() for c in row.cases]

    def install(self, namespace: dict) -> None:
        """Define the table's tests in a test module's namespace."""
        table = self
        cases = self.all_cases()
        goods = [r for r in self.rows.values() if r.good is not None and r.run_good]

        @pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
        def test_bad_input_raises_a_clear_error(case: Case):
            case.run()

        @pytest.mark.parametrize("row", goods, ids=[r.key for r in goods])
        def test_good_input_runs_and_is_finite(row: Row):
            c = row.good()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = c.fn(*c.args, **c.kwargs)
            if not row.allow_nan:
                _finite(out, row.key)
            if row.check is not None:
                assert row.check(out) is not False, f"{row.key}: the good output failed its check"

        def test_every_public_entry_point_has_enough_bad_inputs():
            required = table.required()
            counts = {k: len(r.cases) for k, r in table.rows.items()}
            short = [f"{k} ({counts.get(k, 0)} cases)" for k in required
                     if counts.get(k, 0) < MIN_CASES and k not in table.exempt]
            assert not short, (f"{table.topic}: public entry points with fewer than {MIN_CASES} bad-input "
                               f"cases in tests/test_bad_inputs_{table.topic}.py: {', '.join(short)}")
            stale = sorted(set(table.rows) - set(required))
            assert not stale, f"{table.topic}: rows for names that are no longer public: {', '.join(stale)}"
            unused = sorted(set(table.exempt) - set(required))
            assert not unused, f"{table.topic}: exemptions for names that are no longer public: {', '.join(unused)}"

        for fn in (test_bad_input_raises_a_clear_error, test_good_input_runs_and_is_finite,
                   test_every_public_entry_point_has_enough_bad_inputs):
            fn.__module__ = namespace.get("__name__", fn.__module__)
            namespace[fn.__name__] = fn
        namespace["TABLE"] = self
