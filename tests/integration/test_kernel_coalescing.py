"""Latest value wins through a real kernel: comm messages, as a browser sends them, set a slider of
a slow app faster than it can redraw; the kernel draws the latest value once the burst is in,
without working through a backlog of stale ones."""

from __future__ import annotations

import time

from jupyter_client.manager import start_new_kernel

SETUP = r'''
import time, ipywidgets as widgets
from lecturekit.widgets._base import FigureApp

class SlowApp(FigureApp):
    figsize = (2.0, 1.5)
    def __init__(self):
        self.computed = []
        super().__init__({"v": widgets.IntSlider(0, 0, 100)})
    def setup(self, fig):
        self.bar = self.animated(fig.add_subplot(1, 1, 1).barh([0], [0])[0])
    def compute(self, v):
        time.sleep(0.2)
        self.computed.append(v)
        return v
    def draw(self, v):
        self.bar.set_width(v)

app = SlowApp()
print(app.controls["v"].model_id)
'''


def _run(kc, code: str, timeout: float = 60) -> str:
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)


def test_a_burst_of_front_end_updates_is_drawn_once_with_the_latest_value():
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        model_id = _run(kc, SETUP).strip()
        start = time.perf_counter()
        for v in range(1, 21):  # 20 updates in 0.2 s against a 0.2 s redraw
            kc.shell_channel.send(kc.session.msg("comm_msg", {
                "comm_id": model_id, "data": {"method": "update", "state": {"value": v}, "buffer_paths": []}}))
            time.sleep(0.01)
        while _run(kc, "print(app.result)").strip() != "20":  # each check waits for the kernel
            assert time.perf_counter() - start < 10, "the latest value was never drawn"
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        computed = eval(_run(kc, "print(app.computed)"))
        result = _run(kc, "print(app.result, app.controls['v'].value)").split()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert computed[-1] == 20 and result == ["20", "20"]
    assert len(computed) <= 6, f"redrew {computed}: a backlog instead of the latest value"
    assert elapsed < 2.5, f"the burst took {elapsed:.1f} s to settle (21 redraws would take over 4 s)"
