"""References and held-out cases of notebook 03 (mean-field VI)."""

from lecturekit import meanfield
from lecturekit.exercises.meanfield import gradient_cases


def _estimate(f, m, log_s, eps, estimator):
    g_m, g_ls = meanfield._per_sample(f, m, log_s, eps, estimator)
    return g_m.mean(0), g_ls.mean(0)


def score(f, m, log_s, eps):
    return _estimate(f, m, log_s, eps, "score")


def reparam(f, m, log_s, eps):
    return _estimate(f, m, log_s, eps, "reparam")


def score_cv(f, m, log_s, eps):
    return _estimate(f, m, log_s, eps, "score_cv")


REFERENCES = {"3.1": score, "3.2": reparam, "3.3": score_cv}

_SETTINGS = [("f = z⁴ − Σz", 2, 30), ("f = softplus(2z−1)·cos z₁", 3, 120), ("f = sin(3z) + z₁z_D", 5, 400)]
HIDDEN = {ex: (lambda: gradient_cases(_SETTINGS, seed=1300)) for ex in REFERENCES}
