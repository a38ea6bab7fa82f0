import re
from pathlib import Path

import pytest

from lecturekit.claims import ClaimError, check, check_true


def test_a_claim_that_holds_prints_value_threshold_and_paper(capsys):
    assert check("KL(U1, K = 32)", 0.0213, at_most=0.05, paper=0.02, unit="nats", digits=3) == pytest.approx(0.0213)
    assert capsys.readouterr().out == "✓ KL(U1, K = 32): 0.021 nats (needs ≤ 0.050; paper 0.020)\n"


@pytest.mark.parametrize("value, kw", [(0.9, {"at_most": 0.5}), (-140, {"at_least": -135}),
                                       (float("nan"), {"at_least": 0}), (3, {"at_least": 0, "at_most": 2})])
def test_a_claim_that_fails_raises_with_the_value(value, kw, capsys):
    with pytest.raises(ClaimError, match="✗"):
        check("x", value, **kw)
    assert capsys.readouterr().out.startswith("✗ x: ")


def test_check_true():
    assert check_true("8 of 8 modes", True)
    with pytest.raises(ClaimError, match="3 of 8"):
        check_true("8 of 8 modes", False, detail="3 of 8")


@pytest.mark.parametrize("kw, exc", [({"claim": "a: b", "value": 1, "at_least": 0}, ValueError),
                                     ({"claim": "a", "value": 1}, ValueError),
                                     ({"claim": "a", "value": "high", "at_least": 0}, TypeError),
                                     ({"claim": "a", "value": 1, "at_least": float("inf")}, ValueError),
                                     ({"claim": "", "value": 1, "at_least": 0}, ValueError)])
def test_bad_arguments(kw, exc):
    with pytest.raises(exc):
        check(**kw)


def test_the_nbval_sanitizer_hides_the_value_and_keeps_the_verdict():
    cfg = (Path(__file__).parent / "nbval_sanitize.cfg").read_text()
    block = cfg[cfg.index("[checked claims"):]
    pattern = re.search(r"regex: (.*)", block).group(1)
    a = re.sub(pattern, r"\1VALUE (", "✓ KL(U1, K = 32): 0.021 nats (needs ≤ 0.05)")
    b = re.sub(pattern, r"\1VALUE (", "✓ KL(U1, K = 32): 0.034 nats (needs ≤ 0.05)")
    c = re.sub(pattern, r"\1VALUE (", "✗ KL(U1, K = 32): 0.090 nats (needs ≤ 0.05)")
    assert a == b != c
