"""StackedRNNCells: several cells run one after the other at each time step, as one cell."""

from __future__ import annotations

import numpy as np

from kerasish import ops
from kerasish.backend import tree
from kerasish.layers.layer import Layer


def check_cell(owner: str, cell) -> None:
    """Raises unless `cell` has a `call` method and a `state_size` of ints (or lists of ints)."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{owner}: argument `cell` should have a `call` method. Received: cell={cell!r}")
    state_size = getattr(cell, "state_size", None)
    if state_size is None:
        raise ValueError(
            f"{owner}: the RNN cell should have a `state_size` attribute (an integer, or a list of integers, "
            f"one per state). Received: cell={cell!r}"
        )
    sizes = tree.flatten(state_size) if isinstance(state_size, (list, tuple)) else [state_size]
    if not sizes or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0 for s in sizes):
        raise ValueError(
            f"{owner}: the cell's `state_size` must be a positive integer or a list of positive integers "
            f"(one per state). Received: state_size={state_size!r}"
        )


class StackedRNNCells(Layer):
    """Wraps a list of cells so that they behave as one: each step runs them in order,
    each taking the previous one's output as input.

    Args:
        cells: a list of RNN cells.

    Call arguments:
        inputs: one time step, `(batch_size, features)`.
        states: one entry per cell: that cell's state (or list of states).
        training: passed to the cells that take it.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        # The constructor's arguments hold layers; kept there they would be tracked as sublayers.
        self._auto_config = None
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells: argument `cells` must be a non-empty list of cells. Received: {cells!r}")
        for cell in cells:
            check_cell("StackedRNNCells", cell)
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return self.cell_output_size(self.cells[-1])

    @staticmethod
    def cell_output_size(cell) -> int:
        size = getattr(cell, "output_size", None)
        if size is None:
            size = tree.flatten(cell.state_size)[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
        return int(size)

    def get_initial_state(self, batch_size=None) -> list:
        states = []
        for cell in self.cells:
            get_fn = getattr(cell, "get_initial_state", None)
            if get_fn is not None:
                states.append(get_fn(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
                dtype = getattr(cell, "compute_dtype", None) or self.compute_dtype
                states.append([ops.zeros((batch_size, d), dtype=dtype) for d in sizes])
        return states

    def build(self, input_shape) -> None:
        input_shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], self.cell_output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            if isinstance(cell, Layer):
                inputs, cell_states = cell(inputs, cell_states, training=training)
            else:
                inputs, cell_states = cell.call(inputs, cell_states)
            if not was_list and tree.is_nested(cell_states) and len(cell_states) == 1:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, new_states

    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        return {**super().get_config(), "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from kerasish import layers as layers_module

        config = dict(config)
        config["cells"] = [layers_module.deserialize(c, custom_objects=custom_objects) for c in config["cells"]]
        return super().from_config(config)
