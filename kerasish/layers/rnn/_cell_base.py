"""What the built-in recurrent cells share: arguments, weights, dropout and config."""

from __future__ import annotations

from kerasish import activations, constraints, initializers, ops, regularizers
from kerasish import random as krandom
from kerasish.layers._validation import check_positive_int
from kerasish.layers.layer import Layer
from kerasish.layers.rnn.dropout_rnn_cell import DropoutRNNCell, check_dropout_rate


class RecurrentCell(Layer, DropoutRNNCell):
    """Base of SimpleRNNCell, LSTMCell and GRUCell (not public).

    Holds the arguments every built-in cell takes, creates `kernel`,
    `recurrent_kernel` and `bias` (in that order, as Keras names them) and applies
    the cached dropout masks. A seed generator is always created, as in Keras.
    """

    def __init__(self, units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                 kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                 recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs):
        cls_name = type(self).__name__
        check_positive_int(cls_name, "units", units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_dropout_rate(cls_name, "dropout", dropout)
        self.recurrent_dropout = check_dropout_rate(cls_name, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed)

    def _build_weights(self, input_shape, gates: int, bias_shape, bias_initializer=None) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): the last axis of the input must be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units * gates), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units * gates), name="recurrent_kernel", initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape, name="bias", initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def _check_step_input(self, inputs) -> None:
        shape = ops.shape(inputs)
        expected = self.kernel.shape[0]
        if len(shape) != 2 or shape[-1] != expected:
            raise ValueError(
                f"Input of layer {self.name!r} ({type(self).__name__}) is incompatible: expected one time "
                f"step of shape (batch, {expected}). Received: shape={tuple(shape)}"
            )

    def _input_dropout(self, inputs, training):
        """`inputs` times the input mask(s) while training: a list when there is one mask per gate."""
        if not (training and self.dropout > 0):
            return inputs
        return _apply_mask(inputs, self.get_dropout_mask(inputs))

    def _recurrent_input_dropout(self, h_tm1, training):
        if not (training and self.recurrent_dropout > 0):
            return h_tm1
        return _apply_mask(h_tm1, self.get_recurrent_dropout_mask(h_tm1))

    def get_initial_state(self, batch_size=None) -> list:
        """Zeros for each state: a list of `(batch_size, size)` tensors."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def _cell_config(self) -> dict:
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def check_layer_arguments(layer: str, units, dropout, recurrent_dropout) -> None:
    """The checks a cell makes, done by SimpleRNN/LSTM/GRU first so that errors name the layer."""
    check_positive_int(layer, "units", units)
    check_dropout_rate(layer, "dropout", dropout)
    check_dropout_rate(layer, "recurrent_dropout", recurrent_dropout)


def _apply_mask(x, mask):
    if isinstance(mask, list):
        return [ops.multiply(x, m) for m in mask]
    return ops.multiply(x, mask)


def gate_projections(x, kernel, gates: int) -> list:
    """`x @ kernel` split into `gates` blocks of columns.

    `x` may be a list with one (differently dropped-out) input per gate, in which case
    each gate's block of `kernel` multiplies its own input.
    """
    if isinstance(x, list):
        return [ops.matmul(xg, kg) for xg, kg in zip(x, ops.split(kernel, gates, axis=1))]
    return ops.split(ops.matmul(x, kernel), gates, axis=-1)


def per_gate(x, gates: int) -> list:
    """`x` as one entry per gate (it already is one when dropout made a list)."""
    return x if isinstance(x, list) else [x] * gates


def forward_to_cell(*names: str):
    """Class decorator: read-only properties that return the cell's attribute of the same name."""

    def decorate(cls):
        for name in names:
            setattr(cls, name, property(lambda self, _n=name: getattr(self.cell, _n), doc=f"The cell's `{name}`."))
        return cls

    return decorate


CELL_PROPERTIES = (
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)


def cell_layer_config(rnn_config: dict, layer) -> dict:
    """The config of SimpleRNN/LSTM/GRU: the RNN flags and the cell's arguments (no nested cell)."""
    config = {k: v for k, v in rnn_config.items() if k != "cell"}
    cell_config = {k: v for k, v in layer.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
    return {**config, **cell_config, "activity_regularizer": regularizers.serialize(layer.activity_regularizer)}
