"""GRUCell and GRU (Cho et al., 2014), with Keras's gate order z, r, h and both reset conventions."""

from __future__ import annotations

from kerasish import activations, ops
from kerasish.layers.rnn._cell_base import (
    CELL_PROPERTIES,
    RecurrentCell,
    cell_layer_config,
    check_layer_arguments,
    forward_to_cell,
    gate_projections,
    per_gate,
)
from kerasish.layers.rnn.lstm import check_use_cudnn
from kerasish.layers.rnn.rnn import RNN


class GRUCell(RecurrentCell):
    """The cell of `GRU`: one time step of a gated recurrent unit.

    `kernel` is `(features, 3 * units)` and `recurrent_kernel` `(units, 3 * units)`, their
    column blocks being the update gate, the reset gate and the candidate (z, r, h).
    With `reset_after=True` (the default, cuDNN's convention) the reset gate multiplies
    the recurrent projection of the candidate, and `bias` is `(2, 3 * units)`: row 0 for
    the inputs, row 1 for the state. With `reset_after=False` it multiplies the state
    before the projection, and `bias` is `(3 * units,)`. The new state is
    `z * h_prev + (1 - z) * candidate`.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation of the candidate ("tanh").
        recurrent_activation: activation of the gates ("sigmoid").
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous state dropped while
            training. When it is not 0, each gate gets its own masks.
        reset_after: where the reset gate applies (see above).
        seed: an int for reproducible dropout.

    Call arguments:
        inputs: one time step, `(batch_size, features)`.
        states: the previous state `(batch_size, units)`, or a list holding it.
        training: whether dropout applies.

    Returns:
        `(h, new_states)`, the new state as the output and in the form `states` came.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape) -> None:
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._build_weights(input_shape, gates=3, bias_shape=bias_shape)

    def call(self, inputs, states, training=False):
        self._check_step_input(inputs)
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        input_bias = recurrent_bias = None
        if self.bias is not None:
            if self.reset_after:
                input_bias, recurrent_bias = ops.get_item(self.bias, 0), ops.get_item(self.bias, 1)
            else:
                input_bias = self.bias

        x_z, x_r, x_h = gate_projections(self._input_dropout(inputs, training), self.kernel, 3)
        if input_bias is not None:
            b_z, b_r, b_h = ops.split(input_bias, 3, axis=0)
            x_z, x_r, x_h = ops.add(x_z, b_z), ops.add(x_r, b_r), ops.add(x_h, b_h)

        h_gates = self._recurrent_input_dropout(h_tm1, training)  # one tensor, or one per gate
        if self.reset_after:
            r_z, r_r, r_h = gate_projections(h_gates, self.recurrent_kernel, 3)
            if recurrent_bias is not None:
                rb_z, rb_r, rb_h = ops.split(recurrent_bias, 3, axis=0)
                r_z, r_r, r_h = ops.add(r_z, rb_z), ops.add(r_r, rb_r), ops.add(r_h, rb_h)
        else:
            # Only z and r project the state here; the candidate projects `r * state` below.
            k_zr = ops.get_item(self.recurrent_kernel, (slice(None), slice(0, 2 * self.units)))
            r_z, r_r = gate_projections(h_gates[:2] if isinstance(h_gates, list) else h_gates, k_zr, 2)
            h_h = per_gate(h_gates, 3)[2]

        z = self.recurrent_activation(ops.add(x_z, r_z))
        r = self.recurrent_activation(ops.add(x_r, r_r))
        if self.reset_after:
            recurrent_h = ops.multiply(r, r_h)
        else:
            k_h = ops.get_item(self.recurrent_kernel, (slice(None), slice(2 * self.units, None)))
            recurrent_h = ops.matmul(ops.multiply(r, h_h), k_h)
        hh = self.activation(ops.add(x_h, recurrent_h))
        h = ops.add(ops.multiply(z, h_tm1), ops.multiply(ops.subtract(1.0, z), hh))
        new_state = [h] if isinstance(states, (list, tuple)) else h
        return h, new_state

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._cell_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


@forward_to_cell(*CELL_PROPERTIES, "recurrent_activation", "reset_after")
class GRU(RNN):
    """Gated Recurrent Unit layer (Cho et al., 2014).

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation of the candidate ("tanh").
        recurrent_activation: activation of the gates ("sigmoid").
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        activity_regularizer: a penalty on the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous state dropped while training.
        seed: an int for reproducible dropout.
        return_sequences, return_state, go_backwards, stateful, unroll: as for `RNN`.
        reset_after: apply the reset gate after the recurrent projection (True, the
            default, with separate input and recurrent biases) or before it (False).
        use_cudnn: accepted for compatibility ("auto", True or False).

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: the initial state `(batch_size, units)` (or a list holding it).
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
    >>> gru = keras.layers.GRU(4, return_state=True)
    >>> output, state = gru(np.ones((32, 10, 8), "float32"))
    >>> tuple(output.shape), tuple(state.shape)
    ((32, 4), (32, 4))
    """

    _input_ndim = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 reset_after=True, use_cudnn="auto", **kwargs):
        check_layer_arguments("GRU", units, dropout, recurrent_dropout)
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            reset_after=reset_after, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="gru_cell",
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = check_use_cudnn("GRU", use_cudnn)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self) -> dict:
        return cell_layer_config(super().get_config(), self)
