"""Dropout for recurrent cells: one mask per call of the RNN, reused at every time step."""

from __future__ import annotations

from kerasish import ops
from kerasish import random as krandom


def check_dropout_rate(layer: str, name: str, value) -> float:
    """`value` as a float in [0, 1), else an error naming `layer` and the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{layer}: argument `{name}` must be a float in [0, 1). Received: {name}={value!r}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{layer}: argument `{name}` must be a float in [0, 1). Received: {name}={value!r}")
    return float(value)


class DropoutRNNCell:
    """Mixin giving a cell dropout masks that stay fixed across the time steps of one call.

    A cell that mixes this in has `dropout`, `recurrent_dropout` (rates in [0, 1)) and a
    `seed_generator`; with `dropout_mask_count` set, each mask is a list of that many
    independent masks (one per gate). The `RNN` layer draws the masks before its loop
    and clears them after, so the loop itself draws nothing: under `jit` the seed
    generator advances outside the compiled loop, once per call.
    """

    def _create_dropout_mask(self, step_input, rate: float):
        count = getattr(self, "dropout_mask_count", None)
        ones = ops.ones_like(step_input)
        if count is None:
            return krandom.dropout(ones, rate, seed=self.seed_generator)
        return [krandom.dropout(ones, rate, seed=self.seed_generator) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        """The mask for the inputs (drawn on first use, then cached until reset)."""
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        """The mask for the previous state (drawn on first use, then cached until reset)."""
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self) -> None:
        """Forgets the cached input mask, so that the next call draws a new one."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """Forgets the cached recurrent mask, so that the next call draws a new one."""
        self._recurrent_dropout_mask = None
