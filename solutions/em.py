"""References and held-out cases of notebook 01 (EM)."""

import torch

from lecturekit import em
from lecturekit.exercises.em import em_cases


def m_step_plain(x, q):
    return em.m_step(x, q, reg_covar=0.0)


REFERENCES = {"1.1": em.e_step, "1.2": em.lower_bound, "1.3": m_step_plain}

_SIZES = [(7, 2, 2), (33, 5, 1), (50, 3, 4)]


def _far_points():
    """Points far from every component: the responsibilities underflow without log space."""
    out = []
    for label, x, theta, q in em_cases([(12, 3, 2)], seed=1190):
        out.append(("far points (" + label + ")", 40 * x, theta, q))
    return out


HIDDEN = {
    "1.1": lambda: [(label, (x, theta)) for label, x, theta, _ in em_cases(_SIZES, seed=1100) + _far_points()],
    "1.2": lambda: [(label, (x, q, theta)) for label, x, theta, q in em_cases(_SIZES, seed=1120)]
    + [("one-hot q", (x, torch.nn.functional.one_hot(q.argmax(1), q.shape[1]).double(), theta))
       for _, x, theta, q in em_cases([(9, 3, 2)], seed=1130)],
    "1.3": lambda: [(label, (x, q)) for label, x, theta, q in em_cases(_SIZES, seed=1140)],
}
