"""Exercise definitions, one module per notebook topic (``em.py`` for notebook 01, ...).

Each module calls :func:`lecturekit.homework.register` with an :class:`~lecturekit.homework.Exercise`
per exercise: its id ("1.1"), the reference solution as ``"module:function"``, and a function
that builds small seeded cases. Importing this package registers them all.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
