"""SimpleRNNCell and SimpleRNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers.rnn._cell_base import (
    CELL_PROPERTIES,
    RecurrentCell,
    cell_layer_config,
    check_layer_arguments,
    forward_to_cell,
)
from kerasish.layers.rnn.rnn import RNN


class SimpleRNNCell(RecurrentCell):
    """The cell of `SimpleRNN`: one time step of a fully-connected recurrence.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation of the new state ("tanh"; None for linear).
        use_bias: whether to add a bias.
        kernel_initializer: initializer of `kernel` (input to state).
        recurrent_initializer: initializer of `recurrent_kernel` (state to state).
        bias_initializer: initializer of `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous state dropped while training.
        seed: an int for reproducible dropout.

    Call arguments:
        sequence: one time step, `(batch_size, features)`.
        states: the previous state `(batch_size, units)`, or a list holding it.
        training: whether dropout applies.

    Returns:
        `(output, new_states)`: the new state twice (the output, and as the state in the
        form it came: a list or a tensor).
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape) -> None:
        self._build_weights(input_shape, gates=1, bias_shape=(self.units,))

    def call(self, sequence, states, training=False):
        self._check_step_input(sequence)
        prev_output = states[0] if isinstance(states, (list, tuple)) else states
        sequence = self._input_dropout(sequence, training)
        h = ops.matmul(sequence, self.kernel)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        prev_output = self._recurrent_input_dropout(prev_output, training)
        output = self.activation(ops.add(h, ops.matmul(prev_output, self.recurrent_kernel)))
        new_state = [output] if isinstance(states, (list, tuple)) else output
        return output, new_state

    def get_config(self) -> dict:
        return {**super().get_config(), **self._cell_config()}


@forward_to_cell(*CELL_PROPERTIES)
class SimpleRNN(RNN):
    """Fully-connected RNN whose output is fed back as the next step's state.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation of the new state ("tanh"; None for linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of
            `kernel`, `recurrent_kernel` and `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        activity_regularizer: a penalty on the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous state dropped while training.
        return_sequences, return_state, go_backwards, stateful, unroll: as for `RNN`.
        seed: an int for reproducible dropout.

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: the initial state, `(batch_size, units)` (or a list holding it).
        mask: boolean `(batch_size, timesteps)`; False steps are skipped.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, features)`.

    Output shape:
        `(batch_size, timesteps, units)` with `return_sequences`, else `(batch_size, units)`;
        with `return_state`, followed by the final state `(batch_size, units)`.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> layer = keras.layers.SimpleRNN(4, return_sequences=True, return_state=True)
    >>> sequence, state = layer(np.ones((32, 10, 8), "float32"))
    >>> tuple(sequence.shape), tuple(state.shape)
    ((32, 10, 4), (32, 4))
    """

    _input_ndim = 3

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        check_layer_arguments("SimpleRNN", units, dropout, recurrent_dropout)
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="simple_rnn_cell",
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self) -> dict:
        return cell_layer_config(super().get_config(), self)
