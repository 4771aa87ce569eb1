"""Progbar: Keras's line formats for verbose 1 and 2, redraw throttling, value formatting."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

from kerasish.utils import Progbar, progbar

BAR = "━" * 20
ANSI = re.compile(r"\x1b\[\d+m")


class FakeClock:
    def __init__(self, start=500.0):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "_clock", fake)
    return fake


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(progbar, "_dynamic_display_possible", lambda: True)


def _run(bar, clock, steps, values, first_step=0.5, step_time=0.012):
    for step in range(1, steps + 1):
        clock.now += first_step if step == 1 else step_time
        bar.update(step, values(step))


def test_verbose_1_non_terminal_prints_the_final_line_once(capsys, clock):
    bar = Progbar(32, stateful_metrics=["accuracy", "loss"])
    _run(bar, clock, 32, lambda s: [("accuracy", 0.912), ("loss", 0.30123)])
    # The first step (compilation) is left out of the time per step.
    assert (
        capsys.readouterr().out == f"32/32 {BAR} 1s 12ms/step - accuracy: 0.9120 - loss: 0.3012\n"
    )


def test_verbose_2_line(capsys, clock):
    bar = Progbar(32, verbose=2, stateful_metrics=["accuracy", "loss"])
    _run(bar, clock, 32, lambda s: [("accuracy", 0.912), ("loss", 0.30123)])
    assert capsys.readouterr().out == "32/32 - 1s - 12ms/step - accuracy: 0.9120 - loss: 0.3012\n"


def test_verbose_0_is_silent(capsys, clock):
    bar = Progbar(3, verbose=0)
    _run(bar, clock, 3, lambda s: [("loss", 1.0)])
    assert not bar.will_redraw(finalize=True)
    assert capsys.readouterr().out == ""


def test_terminal_redraws_in_place_with_colours(capsys, clock, terminal):
    bar = Progbar(4, interval=0.05)
    clock.now += 0.1
    bar.update(1, [("loss", 2.0)])
    clock.now += 0.1
    bar.update(2, [("loss", 1.0)])
    clock.now += 0.1
    bar.update(4, [("loss", 0.5)])
    out = capsys.readouterr().out
    frames = ANSI.sub("", out).split("\r")
    assert frames[0] == ""
    # Mid-bar frames show the ETA; the done part is green and the rest white.
    assert frames[1] == f"1/4 {BAR} 0s 100ms/step - loss: 2.0000"
    assert frames[2] == f"2/4 {BAR} 0s 100ms/step - loss: 1.5000"
    # The final values are shown as given; the time per step leaves out the first step;
    # a space erases the end of the longer frame before.
    assert frames[3] == f"4/4 {BAR} 0s 67ms/step - loss: 0.5000 \n"
    assert "\x1b[1m2/4\x1b[0m \x1b[32m" + "━" * 10 + "\x1b[0m\x1b[37m" + "━" * 10 + "\x1b[0m" in out


def test_shorter_frame_is_padded_to_erase_the_previous_one(capsys, clock, terminal):
    bar = Progbar(2, stateful_metrics=["loss"])
    clock.now += 1
    bar.update(1, [("loss", 123456.0)])
    clock.now += 1
    bar.update(2, [("loss", 1.0)])
    frames = ANSI.sub("", capsys.readouterr().out).split("\r")
    assert len(frames[2].rstrip("\n")) == len(frames[1])


def test_redraw_is_throttled_by_interval(capsys, clock, terminal):
    bar = Progbar(100, interval=0.05)
    draws = 0
    for step in range(1, 100):
        clock.now += 0.02
        if bar.will_redraw():
            draws += 1
            bar.update(step, [("loss", 1.0)])
            assert capsys.readouterr().out.startswith("\r")
        else:
            bar.update(step)
            assert capsys.readouterr().out == ""
    # A draw at the first step, then one every 3 steps of 20 ms (the interval is 50 ms).
    assert draws == 33
    assert bar.will_redraw(finalize=True)


def test_non_terminal_never_redraws_mid_bar(clock):
    bar = Progbar(10)
    clock.now += 100
    assert not bar.will_redraw()
    assert bar.will_redraw(finalize=True)
    assert not Progbar(10, verbose=2).will_redraw()


def test_values_are_averaged_over_steps_unless_stateful(capsys, clock):
    bar = Progbar(4, stateful_metrics=["acc"])
    bar.update(1, [("loss", 4.0), ("acc", 0.1)])
    bar.update(3, [("loss", 1.0), ("acc", 0.2)])  # stands for steps 2 and 3
    bar.update(4, [("loss", 7.0), ("acc", 0.3)], finalize=False)
    bar.update(4, finalize=True)
    out = capsys.readouterr().out
    assert out.endswith(" - loss: 3.2500 - acc: 0.3000\n")  # (4 + 2*1 + 7) / 4


def test_stateless_metrics_average_only_those(capsys, clock):
    bar = Progbar(2, stateless_metrics=["loss"])
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.update(2, [("loss", 3.0), ("acc", 0.75)], finalize=False)
    bar.update(2, finalize=True)
    assert capsys.readouterr().out.endswith(" - loss: 2.0000 - acc: 0.7500\n")


def test_final_values_are_shown_as_given(capsys, clock):
    bar = Progbar(2)
    bar.update(1, [("loss", 100.0)])
    bar.update(2, [("loss", 0.5)])  # finalizes: the epoch's value, not an average
    assert capsys.readouterr().out.endswith(" - loss: 0.5000\n")


def test_add_advances_from_the_last_step(capsys, clock):
    bar = Progbar(6, verbose=2)
    bar.add(2)
    bar.add(3)
    assert capsys.readouterr().out == ""
    bar.add(1, [("loss", 1.0)])
    assert capsys.readouterr().out.startswith("6/6 - ")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.30123, "0.3012"),
        (12.0, "12.0000"),
        (-2.5, "-2.5000"),
        (0.0005, "5.0000e-04"),
        (0.0, "0.0000e+00"),
        (-0.0002, "-2.0000e-04"),
        (np.float32(0.25), "0.2500"),
        ("n/a", "n/a"),
    ],
)
def test_format_value(value, text):
    assert progbar.format_value(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, " 0s/step"), (2.4, " 2s/step"), (0.012, " 12ms/step"), (0.0005, " 500us/step")],
)
def test_format_time(seconds, text):
    assert progbar.format_time(seconds, "step") == text


def test_eta_formats(capsys, clock, terminal):
    bar = Progbar(10000)
    clock.now += 2.0
    bar.update(1)
    line = ANSI.sub("", capsys.readouterr().out)
    assert " 5:33:18 2s/step" in line  # 9999 steps of 2 s to go
    bar = Progbar(100, unit_name="sample")
    clock.now += 1.5
    bar.update(1)
    assert " 2:28 2s/sample" in ANSI.sub("", capsys.readouterr().out)


def test_unknown_target(capsys, clock, terminal):
    bar = Progbar(None)
    bar.update(5, [("loss", 0.00001234)])
    bar.update(7, [("loss", -2.5)], finalize=True)
    frames = ANSI.sub("", capsys.readouterr().out).split("\r")
    assert frames[1] == "      5/Unknown 0s 0s/step - loss: 1.2340e-05"
    assert frames[2] == "      7/Unknown 0s 0s/step - loss: -2.5000   \n"


def test_writes_to_the_stdout_of_the_moment(clock, monkeypatch):
    bar = Progbar(1, verbose=2)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    bar.update(1)
    assert stream.getvalue() == "1/1 - 0s - 0s/step\n"


def test_argument_errors():
    with pytest.raises(ValueError, match="not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="Received: verbose=3"):
        Progbar(3, verbose=3)
