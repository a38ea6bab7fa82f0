"""Interactive figures for the notebooks: one builder module per lecture topic.

Each builder returns an app object with ``.ui`` (the container a notebook displays),
``.controls`` (name -> control), ``.result`` (what the last redraw computed) and ``.update()``.
Builders never call ``display()``; a test sets ``app.controls["x"].value = 3`` and asserts on
``app.result``, no browser needed.
"""

from ._base import FigureApp

__all__ = ["FigureApp"]
