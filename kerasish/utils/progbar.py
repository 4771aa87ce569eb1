"""Progbar: Keras's progress bar, `32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - loss: 0.3012`."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Sequence

# The clock the bar reads (a module attribute, so that tests can replace it).
_clock = time.time

_BAR_CHAR = "━"
_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _dynamic_display_possible() -> bool:
    """Whether the output can be redrawn in place (a terminal, a notebook, PyCharm's console)."""
    stdout = sys.stdout
    return (
        (hasattr(stdout, "isatty") and stdout.isatty())
        or "ipykernel" in sys.modules
        or "PYCHARM_HOSTED" in os.environ
    )


def format_value(value) -> str:
    """A metric as Keras prints it: 4 decimals, or scientific notation when tiny."""
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    if abs(value) > 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_time(time_per_unit: float, unit_name: str) -> str:
    """A duration per unit: `" 2s/step"`, `" 12ms/step"` or `" 85us/step"`."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progbar:
    """Displays a progress bar, as Keras's `keras.utils.Progbar`.

    With `verbose=1` the bar is redrawn in place (`\\r`) at most every `interval` seconds
    when the output is a terminal (or a notebook); elsewhere (a file, a pipe, a CI log)
    it is printed once, when finished, so that logs get one line per bar:

        32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - accuracy: 0.9120 - loss: 0.3012

    With `verbose=2` only the final line is printed, as
    `32/32 - 1s - 12ms/step - accuracy: 0.9120 - loss: 0.3012`. The bar writes to
    `sys.stdout` (looked up on each write); on a terminal it is coloured as Keras's.

    A caller whose values are costly to get (on the device) asks `will_redraw()` first
    and calls `update` only when it says yes (and once at the end, with `finalize=True`).

    Unless told otherwise, the values given to `update` are per-step values that the
    bar averages over the steps (weighted by the steps each covers). Names in
    `stateful_metrics` are shown as given; with `stateless_metrics`, only those names
    are averaged and everything else is shown as given.

    Args:
        target: the total number of steps, or None if unknown.
        width: the width of the bar, in characters.
        verbose: 0 (silent), 1 (progress bar) or 2 (one line when finished).
        interval: the least time between two redraws, in seconds.
        stateful_metrics: names whose values are shown as given (not averaged).
        stateless_metrics: names whose values are averaged; everything else is shown as
            given. Pass this or `stateful_metrics`, not both.
        unit_name: the name of a step in `12ms/step`.
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Pass either `stateful_metrics` (names shown as given; the rest averaged) or "
                "`stateless_metrics` (names averaged; the rest shown as given), not both. "
                f"Received: stateful_metrics={stateful_metrics!r}, stateless_metrics={stateless_metrics!r}"
            )
        if verbose not in (0, 1, 2):
            raise ValueError(f"Argument `verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics is not None else None
        self.stateless_metrics = set(stateless_metrics) if stateless_metrics is not None else None
        if self.stateful_metrics is None and self.stateless_metrics is None:
            self.stateful_metrics = set()

        self._dynamic_display = _dynamic_display_possible()
        self._seen_so_far = 0
        # name -> [weighted sum, weight]; a stateful value is stored as [value, 1].
        self._values: dict[str, list] = {}
        self._values_order: list[str] = []
        self._start = _clock()
        self._last_update = 0.0
        # (steps, time) at the first update: the time per step is measured from there,
        # which leaves out the first step (where compilation happens).
        self._first_update: tuple[int, float] | None = None
        self._prev_total_width = 0

    # ------------------------------------------------------------------ public
    def will_redraw(self, finalize: bool = False) -> bool:
        """Whether an `update` now would write anything.

        A caller that has to fetch the values from a device asks this first and skips the
        fetch (and the update) when the answer is no.

        Args:
            finalize: whether the update would be the last one.
        """
        if self.verbose == 1:
            if finalize:
                return True
            return self._dynamic_display and _clock() - self._last_update >= self.interval
        if self.verbose == 2:
            return finalize
        return False

    def update(
        self,
        current: int,
        values: Sequence[tuple[str, object]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Updates the bar to `current` steps done; redraws when `interval` has passed.

        Args:
            current: the number of steps done.
            values: `(name, value)` pairs for the latest step (see the class docstring
                for which are averaged).
            finalize: whether this is the last update; by default, whether
                `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or (), finalize)
        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if not finalize and not (
                self._dynamic_display and now - self._last_update >= self.interval
            ):
                return
            self._draw_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, time_per_unit) + "\n")
        self._last_update = now

    def add(self, n: int, values: Sequence[tuple[str, object]] | None = None) -> None:
        """Advances the bar by `n` steps (see `update`)."""
        self.update(self._seen_so_far + n, values)

    # --------------------------------------------------------------- internals
    def _is_averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, current: int, values, finalize: bool) -> None:
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if self._is_averaged(name) and not finalize:
                # Each value stands for the steps since the previous update.
                weight = max(current - self._seen_so_far, 1)
                if name in self._values:
                    self._values[name][0] += value * weight
                    self._values[name][1] += weight
                else:
                    self._values[name] = [value * weight, weight]
            else:
                # Final values (and stateful ones) are shown as given.
                self._values[name] = [value, 1]
        self._seen_so_far = current

    def _value_text(self, name: str) -> str:
        total, weight = self._values[name]
        try:
            return format_value(total / max(1, weight))
        except TypeError:
            return str(total)

    def _metrics_text(self) -> str:
        return "".join(f" - {name}: {self._value_text(name)}" for name in self._values_order)

    def _style(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self._dynamic_display else text

    def _count_text(self, current: int) -> str:
        digits = int(math.log10(self.target)) + 1
        return f"{current:>{digits}}/{self.target}"

    def _draw_bar(self, current: int, now: float, time_per_unit: float, finalize: bool) -> None:
        known = self.target is not None and self.target > 0
        if known:
            count = self._count_text(current)
            done = min(self.width, max(0, int(self.width * current / self.target)))
            plain_bar = f"{count} {_BAR_CHAR * self.width}"
            bar = self._style(count, _BOLD) + " "
            if done:
                bar += self._style(_BAR_CHAR * done, _GREEN)
            bar += self._style(_BAR_CHAR * (self.width - done), _WHITE)
        else:
            plain_bar = bar = f"{current:7d}/Unknown"
        if known and not finalize:
            when = _format_eta(time_per_unit * (self.target - current))
        else:
            when = f"{now - self._start:.0f}s"
        info = format_time(time_per_unit, self.unit_name) + self._metrics_text()
        visible_width = len(plain_bar) + 1 + len(when) + len(info)

        line = bar + " " + self._style(when, _BOLD) + info
        if self._prev_total_width > visible_width:
            line += " " * (self._prev_total_width - visible_width)
        if self._dynamic_display:
            line = "\r" + line
        if finalize:
            line += "\n"
        self._write(line)
        self._prev_total_width = visible_width

    def _summary_line(self, current: int, now: float, time_per_unit: float) -> str:
        count = self._count_text(current) if self.target else f"{current}"
        return (
            f"{count} - {now - self._start:.0f}s -"
            + format_time(time_per_unit, self.unit_name)
            + self._metrics_text()
        )

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step; leaves out the steps of the first update once there are more."""
        if not current:
            return 0.0
        if self._first_update is None:
            self._first_update = (current, now)
        first_steps, first_time = self._first_update
        if current > first_steps:
            return (now - first_time) / (current - first_steps)
        return (now - self._start) / current

    @staticmethod
    def _write(text: str) -> None:
        stream = sys.stdout
        stream.write(text)
        stream.flush()
