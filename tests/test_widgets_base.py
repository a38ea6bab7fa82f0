"""The shared widget layer: one redraw per kernel-side change, latest value wins for slow redraws
driven by the front end, and exactly one traceback in the app's own error area."""

from __future__ import annotations

import asyncio
import time

import ipywidgets as widgets

from lecturekit.widgets._base import FigureApp


class SlowApp(FigureApp):
    """Draws the slider's value as a bar; each compute takes ``delay`` seconds."""

    figsize = (2.0, 1.5)

    def __init__(self, delay: float):
        self.delay, self.computed = delay, []
        super().__init__({"v": widgets.IntSlider(0, 0, 100)})

    def setup(self, fig):
        ax = fig.add_subplot(1, 1, 1)
        ax.set_xlim(0, 100)
        self.bar = self.animated(ax.barh([0], [0])[0])

    def compute(self, v):
        if v < 0:
            raise ValueError("negative")
        time.sleep(self.delay)
        self.computed.append(v)
        return v

    def draw(self, v):
        self.bar.set_width(v)


def test_kernel_side_changes_redraw_at_once_even_when_slow():
    app = SlowApp(0.05)
    for v in (1, 2, 3):
        app.controls["v"].value = v
        assert app.result == v
    assert app.computed == [0, 1, 2, 3] and app.redraws == 4


def test_front_end_changes_to_a_slow_app_coalesce_to_the_latest_value():
    app = SlowApp(0.05)
    slider = app.controls["v"]

    async def burst():
        for v in range(1, 21):  # what the comm handler does with each front-end message
            slider.set_state({"value": v})
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    assert app.result == 20 and app.computed[-1] == 20
    assert len(app.computed) <= 8, app.computed  # 21 without coalescing
    assert app.frame.value.count('&quot;v&quot;: 20') == 1  # the stamp names the latest value


def test_front_end_changes_to_a_fast_app_are_each_drawn():
    app = SlowApp(0.0)
    app.slow_ms = 1e6  # "fast" means under slow_ms; a loaded machine can take 30 ms over a first full draw
    slider = app.controls["v"]

    async def burst():
        for v in range(1, 6):
            slider.set_state({"value": v})
            await asyncio.sleep(0)

    asyncio.run(burst())
    assert app.computed == [0, 1, 2, 3, 4, 5]


def test_an_error_shows_one_traceback_and_the_next_good_value_clears_it():
    app = SlowApp(0.0)
    app.controls["v"].min = -5
    app.controls["v"].value = -1
    assert isinstance(app.error, ValueError) and len(app.errors.outputs) == 1
    assert app.errors.outputs[0]["text"].count("Traceback") == 1
    app.controls["v"].value = 4
    assert app.error is None and app.errors.outputs == () and app.result == 4
