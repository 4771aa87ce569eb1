"""EinsumDense: a dense layer whose product is any einsum equation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kerasish import activations, constraints, initializers, ops, regularizers
from kerasish.layers.layer import Layer

# The three forms Keras accepts: no ellipsis, leading ellipsis, trailing ellipsis.
_PLAIN = re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)")
_LEFT = re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)")
_RIGHT = re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.")


@dataclass(frozen=True)
class EinsumShapes:
    """What an equation and an input shape imply for the weights and the output."""

    kernel_shape: tuple
    bias_shape: tuple | None
    output_shape: tuple
    kernel_input_axes: tuple  # kernel axes contracted with the input (fan in)
    kernel_output_axes: tuple  # kernel axes that reach the output (fan out)


def analyze_einsum(layer: str, equation: str, bias_axes: str | None, input_shape: Sequence,
                   partial_output_shape: Sequence) -> EinsumShapes:
    """Kernel, bias and full output shapes for `equation` on inputs of `input_shape`.

    `partial_output_shape` leaves out the batch axis and the axes an ellipsis stands
    for, as the `output_shape` argument of `EinsumDense` does; a None in it takes the
    size of the input axis with the same label.
    """
    input_shape = tuple(input_shape)
    partial = list(partial_output_shape)
    compact = equation.replace(" ", "")
    side = None
    match = _PLAIN.fullmatch(compact)
    if match is None:
        match, side = _LEFT.fullmatch(compact), "left"
    if match is None:
        match, side = _RIGHT.fullmatch(compact), "right"
    if match is None:
        raise ValueError(
            f"{layer}: invalid einsum equation {equation!r}. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
        )
    input_spec, weight_spec, output_spec = match.groups()
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (side is None and elided != 0):
        expected = f"{len(input_spec)}" if side is None else f"at least {len(input_spec)}"
        raise ValueError(
            f"{layer}: the equation {equation!r} needs inputs of rank {expected}. "
            f"Received: input_shape={input_shape}"
        )

    if side == "left":
        expected_len = len(output_spec)
        full = list(input_shape[:elided]) + partial
        input_pos = {d: elided + i for i, d in enumerate(input_spec)}
        output_pos = {d: elided + i for i, d in enumerate(output_spec)}
    else:
        expected_len = len(output_spec) - 1
        full = [input_shape[0]] + partial + list(input_shape[len(input_spec):])
        input_pos = {d: i for i, d in enumerate(input_spec)}
        output_pos = {d: i for i, d in enumerate(output_spec)}
    if len(partial) != expected_len:
        raise ValueError(
            f"{layer}: `output_shape` must give {expected_len} dimension(s) for the output "
            f"'{output_spec}' of {equation!r} (without the batch axis"
            f"{' and the ellipsis' if side else ''}). Received: output_shape={tuple(partial)}"
        )

    for d in input_spec:
        if d not in output_pos:
            continue
        in_size, out_size = input_shape[input_pos[d]], full[output_pos[d]]
        if out_size is None:
            full[output_pos[d]] = in_size
        elif in_size is not None and in_size != out_size:
            raise ValueError(
                f"{layer}: input shape and output shape do not match at shared dimension '{d}': "
                f"the input has {in_size} and `output_shape` asks for {out_size}. "
                f"Received: input_shape={input_shape}, output_shape={tuple(partial)}"
            )
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(
                f"{layer}: dimension '{d}' of the output '{output_spec}' is in neither the input "
                f"'{input_spec}' nor the kernel '{weight_spec}' of {equation!r}."
            )

    kernel_shape, fan_in_axes, fan_out_axes = [], [], []
    for axis, d in enumerate(weight_spec):
        if d in output_pos:
            size = full[output_pos[d]]
            fan_out_axes.append(axis)
        elif d in input_pos:
            size = input_shape[input_pos[d]]
            fan_in_axes.append(axis)
        else:
            raise ValueError(
                f"{layer}: kernel dimension '{d}' of {equation!r} is in neither the input "
                f"'{input_spec}' nor the output '{output_spec}', so its size is unknown."
            )
        if size is None:
            raise ValueError(
                f"{layer}: kernel dimension '{d}' of {equation!r} takes its size from an axis of "
                f"unknown size. Give it in `output_shape` or in the input shape. "
                f"Received: input_shape={input_shape}, output_shape={tuple(partial)}"
            )
        kernel_shape.append(size)

    bias_shape = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in output_spec]
        if missing:
            raise ValueError(
                f"{layer}: bias dimension '{missing[0]}' was requested, but it is not part of the "
                f"output '{output_spec}' of {equation!r}. Received: bias_axes={bias_axes!r}"
            )
        # The bias broadcasts against the output from its first biased axis onwards.
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [full[output_pos[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if side == "right":
            bias_shape += [1] * elided
        if any(s is None for s in bias_shape):
            raise ValueError(
                f"{layer}: the bias axes {bias_axes!r} include an output axis of unknown size. "
                f"Received: input_shape={input_shape}, output_shape={tuple(partial)}"
            )
        bias_shape = tuple(bias_shape)
    return EinsumShapes(tuple(kernel_shape), bias_shape, tuple(full), tuple(fan_in_axes), tuple(fan_out_axes))


def _with_einsum_fans(initializer, fan_in_axes: tuple, fan_out_axes: tuple):
    """A copy of a variance-scaling `initializer` that counts fans over the einsum's axes.

    Its default reading takes a kernel of rank 3 or more for a convolution's; Keras 3.15
    gives it the kernel's input and output axes instead, keeping the seed so that the
    draw is the one the original initializer would make.
    """
    if initializer.input_axes is not None and initializer.output_axes is not None:
        return initializer
    config = {**initializer.get_config(), "seed": initializer.seed,
              "input_axes": list(fan_in_axes), "output_axes": list(fan_out_axes)}
    return type(initializer).from_config(config)


class EinsumDense(Layer):
    """A dense layer computed with `einsum`: `activation(einsum(equation, inputs, kernel) + bias)`.

    `EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c")` is `Dense(64)`; other
    equations project several axes at once (as attention layers do).

    >>> import kerasish as keras
    >>> layer = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(keras.Input(shape=(32, 128))).shape
    (None, 32, 64)
    >>> keras.layers.EinsumDense("...x,xy->...y", output_shape=64)(keras.Input(shape=(32, 128))).shape
    (None, 32, 64)

    Args:
        equation: an einsum equation `"ab,bc->ac"`, `"...ab,bc->...ac"` or
            `"ab...,bc->ac..."` (input, kernel -> output).
        output_shape: int or tuple, the output shape without the batch axis and the
            axes an ellipsis stands for. None for an axis shared with the input takes
            the input's size.
        activation: an activation (name or callable); None for linear.
        bias_axes: a string of output labels to add a bias over, or None for no bias.
        kernel_initializer, bias_initializer: initializers. A variance-scaling kernel
            initializer counts fans over the equation's input and output axes.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after updates.

    Input shape:
        Of the rank the equation's input names (any rank >= it with an ellipsis).

    Output shape:
        `(batch_size, *output_shape)`, with the ellipsis axes where the equation puts them.
    """

    def __init__(self, equation: str, output_shape, activation=None, bias_axes: str | None = None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise ValueError(
                "EinsumDense: LoRA and quantization are not supported by kerasish. Received: "
                f"lora_rank={lora_rank!r}, lora_alpha={lora_alpha!r}, quantization_config={quantization_config!r}"
            )
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense: argument `equation` must be a string. Received: equation={equation!r}")
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        try:
            output_shape = tuple(output_shape)
        except TypeError:
            raise ValueError(
                f"EinsumDense: argument `output_shape` must be an int or a tuple of ints and Nones. "
                f"Received: output_shape={output_shape!r}"
            ) from None
        if any(d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0) for d in output_shape):
            raise ValueError(
                "EinsumDense: every entry of `output_shape` must be a positive integer or None. "
                f"Received: output_shape={output_shape}"
            )
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise TypeError(f"EinsumDense: argument `bias_axes` must be a string or None. Received: bias_axes={bias_axes!r}")
        self.equation = equation
        self.partial_output_shape = output_shape
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._input_ndim = None

    def _analyze(self, input_shape) -> EinsumShapes:
        return analyze_einsum(f"EinsumDense layer {self.name!r}", self.equation, self.bias_axes,
                              input_shape, self.partial_output_shape)

    def build(self, input_shape):
        shapes = self._analyze(input_shape)
        self._input_ndim = len(input_shape)
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling):
            kernel_initializer = _with_einsum_fans(kernel_initializer, shapes.kernel_input_axes,
                                                   shapes.kernel_output_axes)
        self.kernel = self.add_weight(
            name="kernel", shape=shapes.kernel_shape, initializer=kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if shapes.bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=shapes.bias_shape, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def _check_input(self, input_shape) -> EinsumShapes:
        if self._input_ndim is not None and len(input_shape) != self._input_ndim:
            raise ValueError(
                f"Input of layer {self.name!r} (EinsumDense) is incompatible: expected ndim={self._input_ndim}, "
                f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}"
            )
        shapes = self._analyze(input_shape)
        if self.built and shapes.kernel_shape != tuple(self.kernel.shape):
            raise ValueError(
                f"Input of layer {self.name!r} (EinsumDense) is incompatible: it implies a kernel of shape "
                f"{shapes.kernel_shape}, but the layer was built with {tuple(self.kernel.shape)}. "
                f"Full shape received: {tuple(input_shape)}"
            )
        return shapes

    def compute_output_shape(self, input_shape):
        return self._check_input(input_shape).output_shape

    def call(self, inputs):
        self._check_input(ops.shape(inputs))
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
