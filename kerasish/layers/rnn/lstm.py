"""LSTMCell and LSTM (Hochreiter & Schmidhuber, 1997), with Keras's gate order i, f, c, o."""

from __future__ import annotations

from kerasish import activations, ops
from kerasish.layers.rnn._cell_base import (
    CELL_PROPERTIES,
    RecurrentCell,
    cell_layer_config,
    check_layer_arguments,
    forward_to_cell,
    gate_projections,
)
from kerasish.layers.rnn.rnn import RNN


class LSTMCell(RecurrentCell):
    """The cell of `LSTM`: one time step of a long short-term memory.

    `kernel` is `(features, 4 * units)` and `recurrent_kernel` `(units, 4 * units)`, their
    column blocks being the input, forget, candidate and output gates (i, f, c, o);
    `bias` is `(4 * units,)` in the same order.

    Args:
        units: positive int, the size of the output and of each state.
        activation: activation of the candidate and of the output ("tanh").
        recurrent_activation: activation of the gates ("sigmoid").
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: start the forget gate's bias at 1 (the rest from
            `bias_initializer`), as Jozefowicz et al. (2015) recommend.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous output dropped while
            training. When it is not 0, each gate gets its own masks (Keras's
            "implementation 1").
        seed: an int for reproducible dropout.

    Call arguments:
        inputs: one time step, `(batch_size, features)`.
        states: `[h, c]`, the previous output and carry, each `(batch_size, units)`.
        training: whether dropout applies.

    Returns:
        `(h, [h, c])`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        # Keras computes the gates separately (implementation 1) when the recurrent
        # state is dropped out, with an independent mask per gate.
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape) -> None:
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            units, base = self.units, self.bias_initializer

            def bias_initializer(shape, dtype=None):
                ones = ops.ones((units,), dtype=dtype)
                return ops.concatenate([base((units,), dtype=dtype), ones, base((units * 2,), dtype=dtype)])

        self._build_weights(input_shape, gates=4, bias_shape=(self.units * 4,), bias_initializer=bias_initializer)

    def call(self, inputs, states, training=False):
        self._check_step_input(inputs)
        h_tm1, c_tm1 = states[0], states[1]
        x = gate_projections(self._input_dropout(inputs, training), self.kernel, 4)
        r = gate_projections(self._recurrent_input_dropout(h_tm1, training), self.recurrent_kernel, 4)
        z = [ops.add(xg, rg) for xg, rg in zip(x, r)]
        if self.bias is not None:
            z = [ops.add(zg, bg) for zg, bg in zip(z, ops.split(self.bias, 4, axis=0))]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = ops.add(ops.multiply(f, c_tm1), ops.multiply(i, self.activation(z[2])))
        o = self.recurrent_activation(z[3])
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._cell_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


@forward_to_cell(*CELL_PROPERTIES, "recurrent_activation", "unit_forget_bias")
class LSTM(RNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Args:
        units: positive int, the size of the output and of each state.
        activation: activation of the candidate and of the output ("tanh").
        recurrent_activation: activation of the gates ("sigmoid").
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: start the forget gate's bias at 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        activity_regularizer: a penalty on the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: projections after updates.
        dropout: fraction in [0, 1) of the inputs dropped while training.
        recurrent_dropout: fraction in [0, 1) of the previous output dropped while training.
        seed: an int for reproducible dropout.
        return_sequences, return_state, go_backwards, stateful, unroll: as for `RNN`.
        use_cudnn: accepted for compatibility ("auto", True or False); the loop is
            always the backend's `scan`.

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: `[h, c]`, each `(batch_size, units)`.
        mask: boolean `(batch_size, timesteps)`; False steps are skipped.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, features)`.

    Output shape:
        `(batch_size, timesteps, units)` with `return_sequences`, else `(batch_size, units)`;
        with `return_state`, followed by the final `h` and `c`, each `(batch_size, units)`.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> sequence, h, c = lstm(np.ones((32, 10, 8), "float32"))
    >>> tuple(sequence.shape), tuple(h.shape), tuple(c.shape)
    ((32, 10, 4), (32, 4), (32, 4))
    """

    _input_ndim = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        check_layer_arguments("LSTM", units, dropout, recurrent_dropout)
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="lstm_cell",
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = check_use_cudnn("LSTM", use_cudnn)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self) -> dict:
        return cell_layer_config(super().get_config(), self)


def check_use_cudnn(layer: str, use_cudnn):
    if use_cudnn not in ("auto", True, False):
        raise ValueError(
            f"{layer}: argument `use_cudnn` must be one of 'auto', True or False. Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn
