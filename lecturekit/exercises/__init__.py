"""Exercise definitions, one module per notebook topic (``em.py`` for notebook 01, ...).

Each module registers an :class:`~lecturekit.homework.Exercise` per exercise: its id ("1.1"), the
name of the function the student writes, a function that builds small seeded public cases, the
tolerance, and the package functions that compute the answer (switched off while grading).
Nothing here computes an answer: the references and the held-out cases are in the repository's
``solutions/`` folder, read only by :mod:`lecturekit.grading`.
"""

import importlib

TOPICS = ("em", "expfam", "meanfield", "vae", "ssvae", "boltzmann", "flows", "diffusion", "gan")

for _name in TOPICS:
    importlib.import_module(f"{__name__}.{_name}")
