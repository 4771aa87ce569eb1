"""The generic recurrent layer: a cell applied along the time axis inside one `ops.scan`."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import numpy as np

from kerasish import ops
from kerasish.backend import tree
from kerasish.layers.layer import Layer
from kerasish.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from kerasish.layers.rnn.stacked_rnn_cells import StackedRNNCells, check_cell
from kerasish.ops.symbolic import in_shape_inference
from kerasish.variables import StatelessScope, Variable, in_stateless_scope

_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")


class RNN(Layer):
    """Base class for recurrent layers: runs a cell over every time step of a sequence.

    The loop over time is one `ops.scan`, so a compiling backend compiles the cell once
    whatever the sequence length. A cell is an object with `call(inputs_t, states)`
    returning `(output_t, new_states)` and a `state_size` (an int, or a list of ints,
    one per state); optionally `output_size` and `get_initial_state(batch_size)`. A list
    of cells is stacked (`StackedRNNCells`).

    Args:
        cell: an RNN cell instance, or a list of them.
        return_sequences: whether to return the output at every step (else the last one).
        return_state: whether to return the final states after the output.
        go_backwards: process the sequence from its end; the returned sequence is then
            in the order of processing (reversed), as in Keras.
        stateful: keep the final states of a batch as the initial states of the next
            batch (in non-trainable variables; the batch size must be fixed). Reset
            them with `reset_state()`.
        unroll: accepted for compatibility. The loop is always one `scan` (JAX compiles
            a loop, never an unrolled graph); as in Keras, the number of time steps must
            be known.
        zero_output_for_mask: masked steps output zeros instead of the previous output
            (only the returned sequence and last output; states always carry over).

    Call arguments:
        sequences: a tensor of shape `(batch_size, timesteps, features)`.
        initial_state: a tensor or list of tensors, one per state of the cell, each of
            shape `(batch_size, state_size)`. Zeros (or the kept states, when
            `stateful`) by default.
        mask: a boolean tensor of shape `(batch_size, timesteps)`; a False step leaves
            the states unchanged and outputs the previous output (or zeros).
        training: whether dropout applies (cells with `dropout`/`recurrent_dropout`).

    Input shape:
        `(batch_size, timesteps, features)`.

    Output shape:
        `(batch_size, timesteps, output_size)` with `return_sequences`, else
        `(batch_size, output_size)`; with `return_state`, a tuple of the output and
        then the final states, each `(batch_size, state_size)`.
    """

    #: The exact rank of the input, where a subclass requires one (None: at least 3).
    _input_ndim: int | None = None

    def __init__(
        self,
        cell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(type(self).__name__, cell)
        if kwargs.pop("time_major", False):
            raise ValueError(f"{type(self).__name__}: `time_major=True` is not supported; inputs are batch-major.")
        super().__init__(**kwargs)
        # The constructor's arguments hold layers; kept there they would be tracked as sublayers.
        self._auto_config = None
        values = dict(zip(_FLAGS, (return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask)))
        for name, value in values.items():
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{type(self).__name__}: argument `{name}` must be a boolean. Received: {name}={value!r}")
            setattr(self, name, bool(value))
        self.cell = cell
        self.supports_masking = True
        self.states = None
        if self._input_ndim is None:
            self._min_input_ndim = 3
        state_size = cell.state_size
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # ---------------------------------------------------------------- shapes
    def _check_sequences_shape(self, shape) -> tuple:
        if not isinstance(shape, (tuple, list)) or not all(d is None or isinstance(d, (int, np.integer)) for d in shape):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects one tensor of shape "
                f"(batch_size, timesteps, features). Received input shapes: {shape!r}"
            )
        shape = tuple(shape)
        ndim_ok = len(shape) == self._input_ndim if self._input_ndim else len(shape) >= 3
        if not ndim_ok:
            expected = f"ndim={self._input_ndim}" if self._input_ndim else "min_ndim=3"
            raise ValueError(
                f"Input of layer {self.name!r} ({type(self).__name__}) is incompatible: expected {expected} "
                f"(batch_size, timesteps, features), found ndim={len(shape)}. Full shape received: {shape}"
            )
        return shape

    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = tree.flatten(self.state_size)[0]
        if not isinstance(size, (int, np.integer)):
            raise ValueError(
                f"Layer {self.name!r}: the cell's `output_size` must be an integer. Received: output_size={size!r}"
            )
        return int(size)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self._check_sequences_shape(sequences_shape)
        batch_size = shape[0]
        output_size = self._output_size()
        output_shape = (batch_size, shape[1], output_size) if self.return_sequences else (batch_size, output_size)
        if not self.return_state:
            return output_shape
        state_shapes = [tree.map_structure(lambda s: (batch_size, s), size) for size in self.state_size]
        return (output_shape, *state_shapes)

    def compute_mask(self, inputs, mask=None):
        # One mask per time step, shared by all inputs: the first one stands for all.
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # ----------------------------------------------------------------- build
    def build(self, sequences_shape, initial_state_shape=None) -> None:
        shape = self._check_sequences_shape(sequences_shape)
        if self.unroll and shape[1] is None:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): cannot unroll an RNN whose time dimension is "
                f"undefined; give `Input` a `shape` with the number of time steps. Received: sequences.shape={shape}"
            )
        step_input_shape = (shape[0], *shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_input_shape)
            self.cell.built = True
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if shape[0] is None:
                    raise ValueError(
                        f"Layer {self.name!r} ({type(self).__name__}): with `stateful=True` the batch size must "
                        "be known (pass `batch_size=` to `Input`, or build with a full shape). "
                        f"Found dynamic batch size: sequences.shape={shape}"
                    )
                self._create_state_variables(int(shape[0]))
        self.built = True

    def _create_state_variables(self, batch_size: int) -> None:
        def variable(size):
            v = Variable("zeros", shape=(batch_size, size), dtype=self.variable_dtype, trainable=False, name="rnn_state")
            v.path = f"{self.name}/rnn_state"
            return v

        # A list attribute: the states are variables of the layer (threaded through
        # compiled steps as non-trainable state), but not weights, as in Keras.
        self.states = [tree.map_structure(variable, size) for size in self.state_size]

    def _own_variables(self) -> list[Variable]:
        own = super()._own_variables()
        return own + [v for v in tree.flatten(self.states) if isinstance(v, Variable)] if self.states else own

    # ----------------------------------------------------------------- state
    def get_initial_state(self, batch_size: int) -> list:
        """The states the loop starts from when none are given: the cell's, or zeros."""
        get_fn = getattr(self.cell, "get_initial_state", None)
        if get_fn is None:
            return [ops.zeros((batch_size, d), dtype=_compute_dtype(self.cell, self)) for d in self.state_size]
        state = get_fn(batch_size=batch_size)
        return list(state) if tree.is_nested(state) else [state]

    def reset_state(self, states=None) -> None:
        """Sets the kept states of a stateful layer to zeros, or to `states` (arrays)."""
        if self.states is None:
            return
        flat = tree.flatten(self.states)
        if states is None:
            for v in flat:
                v.assign(np.zeros(v.shape, v.dtype))
            return
        values = tree.flatten(states) if tree.is_nested(states) else [states]
        if len(values) != len(flat):
            raise ValueError(
                f"Layer {self.name!r} keeps {len(flat)} state(s); `reset_state` received {len(values)} value(s)."
            )
        arrays = [np.asarray(ops.convert_to_numpy(x)) for x in values]
        for v, a in zip(flat, arrays):
            if tuple(a.shape) != tuple(v.shape):
                raise ValueError(
                    f"Layer {self.name!r}: state {v.path!r} has shape {v.shape}; `reset_state` received a value "
                    f"of shape {tuple(a.shape)}"
                )
        for v, a in zip(flat, arrays):
            v.assign(a)

    def reset_states(self, states=None) -> None:
        """Alias of `reset_state` (Keras 2's name)."""
        self.reset_state(states)

    def _standardize_initial_state(self, initial_state, batch_size: int):
        flat = tree.flatten(initial_state) if tree.is_nested(initial_state) else [initial_state]
        sizes = tree.flatten(self.state_size)
        if len(flat) != len(sizes):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects {len(sizes)} initial state tensor(s), one "
                f"per state of its cell (sizes {sizes}). Received: {len(flat)} tensor(s)"
            )
        dtype = _compute_dtype(self.cell, self)
        converted = []
        for x, size in zip(flat, sizes):
            x = ops.convert_to_tensor(x)
            if ops.dtype(x) != dtype:
                x = ops.cast(x, dtype)
            if tuple(ops.shape(x)) != (batch_size, size):
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}): each initial state must have shape "
                    f"(batch_size, state_size) = {(batch_size, size)}. Received: shape={tuple(ops.shape(x))}"
                )
            converted.append(x)
        return tree.pack_sequence_as(self.state_size, converted)

    def _standardize_mask(self, mask, shape):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
            if mask is None:
                return None
        mask = ops.convert_to_tensor(mask)
        if tuple(ops.shape(mask)) != tuple(shape[:2]):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): `mask` must have shape (batch_size, timesteps) = "
                f"{tuple(shape[:2])}. Received: mask.shape={tuple(ops.shape(mask))}"
            )
        return mask if ops.dtype(mask) == "bool" else ops.cast(mask, "bool")

    # ------------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        shape = self._check_sequences_shape(tuple(ops.shape(sequences)))
        batch_size = shape[0]
        if initial_state is None:
            kept_batch_size = tree.flatten(self.states)[0].shape[0] if self.stateful else None
            if self.stateful and kept_batch_size != batch_size and not in_shape_inference():
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}) is stateful and was built for batches of "
                    f"{kept_batch_size}. Received a batch of {batch_size}."
                )
            if self.stateful and kept_batch_size == batch_size:
                initial_state = [tree.map_structure(lambda v: v.value, s) for s in self.states]
            else:
                # Not stateful, or only inferring shapes with a stand-in batch size.
                initial_state = self.get_initial_state(batch_size)
        initial_state = self._standardize_initial_state(initial_state, batch_size)
        if mask is not None:
            mask = self._standardize_mask(mask, shape)

        if training:
            # Drawn here, outside the loop, so that the loop itself is pure: each call
            # draws once and every step reuses the same masks (as Keras does).
            _config_dropout_masks(self.cell, ops.get_item(sequences, (slice(None), 0)), initial_state)
        try:
            last_output, outputs, states = self.inner_loop(sequences, initial_state, mask, training)
        finally:
            _reset_dropout_masks(self.cell)

        last_output = ops.cast(last_output, self.compute_dtype)
        outputs = ops.cast(outputs, self.compute_dtype)
        states = tree.map_structure(lambda s: ops.cast(s, self.compute_dtype), states)
        if self.stateful and not in_shape_inference():
            for variable, value in zip(tree.flatten(self.states), tree.flatten(states)):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """Runs the cell over time; returns `(last_output, outputs, final_states)`.

        `outputs` is `(batch_size, timesteps, output_size)`, in the order of processing.
        """
        step = self._step_function(training)
        zero_output_for_mask = self.zero_output_for_mask
        stacked = isinstance(self.cell, StackedRNNCells)
        ndim = len(ops.shape(sequences))
        xs = ops.transpose(sequences, (1, 0, *range(2, ndim)))
        if mask is not None:
            xs = (xs, ops.transpose(mask, (1, 0)))

        def body(states, x):
            x_t, mask_t = x if mask is not None else (x, None)
            output, new_states = step(x_t, states)
            new_states = self._match_states(states, new_states)
            if mask_t is not None:
                if zero_output_for_mask:
                    previous = ops.zeros_like(output)
                else:
                    # The previous output is the first state (of the last cell, when stacked).
                    previous = tree.flatten(states[-1] if stacked else states)[0]
                output = ops.where(_expand_mask(mask_t, output), output, previous)
                new_states = tree.map_structure(
                    lambda s, ns: ops.where(_expand_mask(mask_t, ns), ns, s), states, new_states
                )
            return new_states, output

        # A cell must not change variables inside the loop (a traced value would leak
        # out of it): assignments there go to a scope that is thrown away.
        scope = contextlib.nullcontext() if in_stateless_scope() else StatelessScope()
        with scope:
            final_states, outputs = ops.scan(body, initial_state, xs, reverse=self.go_backwards)
        if self.go_backwards:
            outputs = ops.flip(outputs, axis=0)
        last_output = ops.get_item(outputs, -1)
        outputs = ops.transpose(outputs, (1, 0, *range(2, len(ops.shape(outputs)))))
        return last_output, outputs, final_states

    def _step_function(self, training):
        cell = self.cell
        if isinstance(cell, Layer):
            return lambda x, states: cell(x, states, training=training)
        fn = cell if callable(cell) else cell.call
        takes_training = "training" in inspect.signature(cell.call).parameters
        if takes_training:
            return lambda x, states: fn(x, states, training=training)
        return fn

    def _match_states(self, states, new_states):
        """The cell's new states in the structure, shapes and dtypes of the loop's states."""
        flat_new = tree.flatten(new_states) if tree.is_nested(new_states) else [new_states]
        flat_old = tree.flatten(states)
        if len(flat_new) != len(flat_old):
            raise ValueError(
                f"Layer {self.name!r}: the cell returned {len(flat_new)} state(s), but its `state_size` "
                f"declares {len(flat_old)}."
            )
        matched = []
        for old, new in zip(flat_old, flat_new):
            if tuple(ops.shape(new)) != tuple(ops.shape(old)):
                raise ValueError(
                    f"Layer {self.name!r}: the cell returned a state of shape {tuple(ops.shape(new))}, but the "
                    f"state has shape {tuple(ops.shape(old))} (from `state_size`)."
                )
            matched.append(new if ops.dtype(new) == ops.dtype(old) else ops.cast(new, ops.dtype(old)))
        return tree.pack_sequence_as(states, matched)

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        config = {name: getattr(self, name) for name in _FLAGS}
        config["cell"] = serialize_keras_object(self.cell)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from kerasish import layers as layers_module

        config = dict(config)
        if "cell" in config:  # SimpleRNN, LSTM and GRU build their own cell from their arguments
            config["cell"] = layers_module.deserialize(config["cell"], custom_objects=custom_objects)
        return super().from_config(config)


def _compute_dtype(cell, layer) -> str:
    return getattr(cell, "compute_dtype", None) or layer.compute_dtype


def _expand_mask(mask_t, like):
    """The (batch,) mask of one step, shaped to broadcast against `like` (batch, ...)."""
    rank = len(ops.shape(like))
    return ops.reshape(mask_t, (ops.shape(mask_t)[0],) + (1,) * (rank - 1))


def _config_dropout_masks(cell: Any, step_input, states) -> None:
    if isinstance(cell, DropoutRNNCell):
        cell.get_dropout_mask(step_input)
        cell.get_recurrent_dropout_mask(tree.flatten(states)[0])
    if isinstance(cell, StackedRNNCells):
        batch_size = ops.shape(step_input)[0]
        for c, s in zip(cell.cells, states):
            _config_dropout_masks(c, step_input, s if tree.is_nested(s) else [s])
            # The next cell's step input has the shape of this cell's output.
            step_input = ops.zeros((batch_size, cell.cell_output_size(c)), dtype=ops.dtype(step_input))


def _reset_dropout_masks(cell: Any) -> None:
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    if isinstance(cell, StackedRNNCells):
        for c in cell.cells:
            _reset_dropout_masks(c)
