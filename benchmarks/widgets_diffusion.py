"""Widget cases for notebook 08 (see benchmarks/widgets.py).

The time slider precomputes every frame, so the redraw cost does not depend on training: an
untrained model of the notebook's size (T = 40, 1,000 points, a 15 x 15 arrow grid) is timed.
"""

from lecturekit import data
from lecturekit import diffusion as D
from lecturekit.utils import make_generator, seeded
from lecturekit.widgets.diffusion import time_slider

from widgets import WidgetCase  # benchmarks/ is on sys.path when widgets.py runs


def _build():
    with seeded(0):
        model = D.make_model(**D.SWISS_ROLL["model"])
    x0 = data.swiss_roll(1000, generator=make_generator(1))
    return time_slider(model, x0)


def _drive_slider(app, i):
    s = app.controls["t"]
    s.value = s.options[i % len(s.options)][1]


def _drive_play(app, i):
    app.play.value = i % (app.play.max + 1)


CASES = [
    WidgetCase("08_diffusion", "time_slider:t", _build, _drive_slider),
    WidgetCase("08_diffusion", "time_slider:play", _build, _drive_play),
]
