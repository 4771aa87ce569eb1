"""Merging layers: combine a list of tensors (Add, Subtract, ..., Concatenate, Dot) and their masks."""

from __future__ import annotations

import kerasish.backend as kb
from kerasish import ops
from kerasish.backend.dtypes import is_float, result_dtype
from kerasish.layers.layer import Layer
from kerasish.ops.symbolic import KerasTensor


def _is_shape_list(input_shape) -> bool:
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and all(
        isinstance(s, (list, tuple)) for s in input_shape
    )


def _broadcast_shapes(layer: str, shape1, shape2):
    """The broadcast of two shapes (without batch axes), aligned on the right; None is unknown."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            # An unknown size against 1 stays unknown; against k > 1 it must be 1 or k.
            known = j if i is None else i
            out.append(None if known in (None, 1) else known)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(
                f"{layer}: inputs have incompatible shapes: {tuple(shape1)} and {tuple(shape2)} (batch axis "
                "left out) do not broadcast."
            )
    return tuple(out)


def _mask_like(mask, x):
    """`mask` (usually one axis short of `x`, as a timestep mask is) broadcast to `x`'s shape."""
    if ops.ndim(mask) < ops.ndim(x):
        mask = ops.expand_dims(mask, -1)
    return ops.broadcast_to(mask, ops.shape(x))


class Merge(Layer):
    """Base class of the elementwise merging layers: called on a list of tensors.

    Inputs broadcast against each other (after their batch axes); inputs of lower rank
    get size-1 axes after the batch axis. The output mask is the OR of the input masks
    when every input has one.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _layer_label(self) -> str:
        return f"{type(self).__name__} layer {self.name!r}"

    def _check_list(self, input_shape) -> None:
        if not _is_shape_list(input_shape):
            raise ValueError(
                f"{self._layer_label()}: a merge layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self._layer_label()}: cannot merge tensors with different batch sizes. "
                f"Received tensors with shapes {[tuple(s) for s in input_shape]}"
            )

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = _broadcast_shapes(self._layer_label(), out, tuple(shape[1:]))
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        batch = batch_sizes.pop() if batch_sizes else None
        return (batch, *out)

    def _output_dtype(self, dtypes) -> str:
        # What the eager call gives: floating inputs are first cast to the layer's dtype.
        return result_dtype(*[self.compute_dtype if self.autocast and is_float(d) else d for d in dtypes])

    def compute_output_spec(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            self.compute_output_shape(getattr(inputs, "shape", inputs))  # raises: not a list
        shape = self.compute_output_shape([x.shape for x in inputs])
        return KerasTensor(shape, self._output_dtype([x.dtype for x in inputs]))

    def _merge_function(self, inputs, masks):
        raise NotImplementedError(f"{type(self).__name__} must implement `_merge_function`.")

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{self._layer_label()}: a merge layer should be called on a list of inputs. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        self.compute_output_shape([ops.shape(x) for x in inputs])
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        if len({ops.ndim(x) for x in inputs}) > 1:
            # Lower-rank inputs get size-1 axes after the batch axis, so that they broadcast
            # against the others' trailing axes (masks no longer line up, so they are left out).
            top = max(ops.ndim(x) for x in inputs)
            inputs = [ops.reshape(x, (ops.shape(x)[0], *([1] * (top - ops.ndim(x))), *ops.shape(x)[1:]))
                      for x in inputs]
            masks = [None] * len(inputs)
        return self._merge_function(list(inputs), masks)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{self._layer_label()}: `mask` should be a list. Received: mask={mask!r}")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._layer_label()}: `inputs` should be a list. Received: inputs={inputs!r}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"{self._layer_label()}: the lists `inputs` and `mask` should have the same length. "
                f"Received: {len(inputs)} inputs and {len(mask)} masks"
            )
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask


def _merge_skipping_masked(op, inputs, masks):
    """Folds `op` over the inputs, each masked entry replaced by the other operand.

    Maximum and Minimum have no neutral element to put in masked places, so a masked
    value simply does not take part; where every input is masked the output keeps the
    first input's value (the output mask says that position is padding).
    """
    output, output_mask = None, None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = _mask_like(mask, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = ops.where(mask, x, output)
        if output_mask is not None:
            output = ops.where(output_mask, output, x)
        output_mask = ops.logical_or(output_mask, mask) if mask is not None and output_mask is not None else None
        output = op(output, x)
    return output


class Add(Merge):
    """Adds a list of inputs elementwise.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> keras.ops.convert_to_numpy(keras.layers.Add()([np.ones((1, 2)), np.full((1, 2), 2.0)])).tolist()
    [[3.0, 3.0]]

    Input shape:
        A list of tensors of broadcast-compatible shapes (the same batch size).

    Output shape:
        The broadcast shape.
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(Merge):
    """Subtracts two inputs: `inputs[0] - inputs[1]`.

    Input shape:
        A list of exactly 2 tensors of broadcast-compatible shapes.

    Output shape:
        The broadcast shape.
    """

    def compute_output_shape(self, input_shape):
        if _is_shape_list(input_shape) and len(input_shape) != 2:
            raise ValueError(
                f"{self._layer_label()}: a `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: {len(input_shape)} inputs with shapes {[tuple(s) for s in input_shape]}"
            )
        return super().compute_output_shape(input_shape)

    def _merge_function(self, inputs, masks):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Multiplies a list of inputs elementwise.

    Masked entries count as 1 in the product; where every input is masked, the
    output is 0.

    Input shape:
        A list of tensors of broadcast-compatible shapes.

    Output shape:
        The broadcast shape.
    """

    def _merge_function(self, inputs, masks):
        every_input_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _mask_like(mask, x)
                x = ops.where(mask, x, ops.ones((), ops.dtype(x)))
                if every_input_masked:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if every_input_masked:
            output = ops.where(output_mask, output, ops.zeros((), ops.dtype(output)))
        return output


class Average(Merge):
    """Averages a list of inputs elementwise.

    Input shape:
        A list of tensors of broadcast-compatible shapes.

    Output shape:
        The broadcast shape.
    """

    def _output_dtype(self, dtypes) -> str:
        dtype = super()._output_dtype(dtypes)
        return dtype if is_float(dtype) else kb.floatx()

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, len(inputs))


class Maximum(Merge):
    """The elementwise maximum of a list of inputs; masked entries do not take part.

    Input shape:
        A list of tensors of broadcast-compatible shapes.

    Output shape:
        The broadcast shape.
    """

    def _merge_function(self, inputs, masks):
        return _merge_skipping_masked(ops.maximum, inputs, masks)


class Minimum(Merge):
    """The elementwise minimum of a list of inputs; masked entries do not take part.

    Input shape:
        A list of tensors of broadcast-compatible shapes.

    Output shape:
        The broadcast shape.
    """

    def _merge_function(self, inputs, masks):
        return _merge_skipping_masked(ops.minimum, inputs, masks)


class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x, y = np.arange(20).reshape(2, 2, 5), np.arange(20, 30).reshape(2, 1, 5)
    >>> keras.layers.Concatenate(axis=1)([x, y]).shape
    (2, 3, 5)

    Args:
        axis: the axis to concatenate along (-1, the last, by default).

    Input shape:
        A list of tensors of the same rank, matching on every axis but `axis`.

    Output shape:
        The common shape, with the sizes along `axis` summed.
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate: argument `axis` must be an integer. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        if not _is_shape_list(input_shape):
            raise ValueError(
                f"{self._layer_label()}: a `Concatenate` layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        message = (
            f"{self._layer_label()}: a `Concatenate` layer requires inputs with matching shapes except for "
            f"the concatenation axis {self.axis}. Received: input_shape={shapes}"
        )
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(message)
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise ValueError(message)
        return tuple(out)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{self._layer_label()}: a `Concatenate` layer should be called on a list of inputs. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        self.compute_output_shape([ops.shape(x) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(
                f"{self._layer_label()}: `inputs` and `mask` should be lists of the same length. "
                f"Received: inputs={inputs!r}, mask={mask!r}"
            )
        if all(m is None for m in mask):
            return None
        # Each input's mask, at the input's rank: an unmasked input counts as all valid.
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(ops.ones(ops.shape(x), "bool"))
            else:
                masks.append(_mask_like(m, x))
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis: int):
    # Keras's `ops.normalize`: x * rsqrt(sum(x ** 2)), the scale capped at 1 / epsilon.
    inverse_norm = ops.divide(1.0, ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)))
    return ops.multiply(x, ops.minimum(inverse_norm, 1.0 / kb.epsilon()))


def batch_dot(x, y, axes):
    """Per-sample dot product of `x` and `y` over `axes = (axis of x, axis of y)`.

    The output has `x`'s axes (less the contracted one) followed by `y`'s (less its
    batch axis and contracted one); a result of rank 1 gets a trailing axis of size 1.
    """
    nx, ny = ops.ndim(x), ops.ndim(y)
    letters = "abcdefghijklmnopqrstuvwxyz"
    x_labels = list(letters[:nx])
    y_labels = ["a"] + list(letters[nx : nx + ny - 1])
    y_labels[axes[1]] = x_labels[axes[0]]
    out = [c for i, c in enumerate(x_labels) if i != axes[0]] + [c for i, c in enumerate(y_labels) if i not in (0, axes[1])]
    result = ops.einsum(f"{''.join(x_labels)},{''.join(y_labels)}->{''.join(out)}", x, y)
    if len(out) == 1:
        result = ops.expand_dims(result, -1)
    return result


class Dot(Merge):
    """Per-sample dot product of two inputs along `axes`.

    With `normalize=True` both inputs are L2-normalized along the dot axes first, so
    the output is the cosine similarity.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x, y = np.arange(10.0).reshape(1, 5, 2), np.arange(10.0, 20.0).reshape(1, 2, 5)
    >>> keras.layers.Dot(axes=(1, 2))([x, y]).shape
    (1, 2, 2)

    Args:
        axes: int, or tuple of 2 ints: the axis of the first and of the second input
            to contract (their sizes must match; axis 0, the batch axis, cannot be one).
        normalize: whether to L2-normalize the inputs along `axes` first.

    Input shape:
        A list of 2 tensors of rank >= 2 with the same batch size.

    Output shape:
        The first input's axes without the dot axis, then the second's without its
        batch and dot axes; `(batch_size, 1)` when that leaves only the batch axis.
    """

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) or isinstance(axes, bool):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot: invalid type for argument `axes`: it should be a list or an int. Received: axes={axes!r}")
            if len(axes) != 2:
                raise ValueError(f"Dot: invalid format for argument `axes`: it should contain two elements. Received: axes={axes!r}")
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise ValueError(f"Dot: invalid format for argument `axes`: list elements should be integers. Received: axes={axes!r}")
        self.axes = axes if isinstance(axes, int) else tuple(axes)
        self.normalize = bool(normalize)

    def _resolve_axes(self, shape1, shape2) -> tuple[int, int]:
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"{self._layer_label()}: a `Dot` layer needs inputs of rank >= 2 (a batch axis and one more). "
                f"Received shapes {tuple(shape1)} and {tuple(shape2)}"
            )
        wanted = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        resolved = []
        for axis, shape in zip(wanted, (shape1, shape2)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"{self._layer_label()}: axis {axis} is out of range for an input of shape {tuple(shape)}.")
            resolved.append(axis % len(shape))
        if 0 in resolved:
            raise ValueError(
                f"{self._layer_label()}: cannot take the dot product over axis 0 (the batch axis). "
                f"Received: axes={self.axes}"
            )
        return resolved[0], resolved[1]

    def _check(self, input_shape) -> tuple[int, int]:
        if not _is_shape_list(input_shape) or len(input_shape) != 2:
            raise ValueError(
                f"{self._layer_label()}: a `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        self._check_list(input_shape)
        shape1, shape2 = input_shape
        a1, a2 = self._resolve_axes(shape1, shape2)
        if shape1[a1] is not None and shape2[a2] is not None and shape1[a1] != shape2[a2]:
            raise ValueError(
                f"{self._layer_label()}: incompatible input shapes: axis values {shape1[a1]} (at axis {a1}) != "
                f"{shape2[a2]} (at axis {a2}). Full input shapes: {tuple(shape1)}, {tuple(shape2)}"
            )
        return a1, a2

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        a1, a2 = self._check(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        if shape1[0] is None:
            shape1[0] = shape2[0]
        out = [d for i, d in enumerate(shape1) if i != a1] + [d for i, d in enumerate(shape2) if i not in (0, a2)]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"{self._layer_label()}: a `Dot` layer should be called on exactly 2 inputs. "
                f"Received: {len(inputs) if isinstance(inputs, (list, tuple)) else 'a non-list'}"
            )
        x1, x2 = inputs
        a1, a2 = self._check([ops.shape(x1), ops.shape(x2)])
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        return batch_dot(x1, x2, (a1, a2))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([x1, x2])` is `Add()([x1, x2])`.

    Args:
        inputs: a list of tensors of broadcast-compatible shapes.
        **kwargs: layer keyword arguments (`name`, ...).
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `inputs[0] - inputs[1]`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: the elementwise product of the inputs."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`: the elementwise mean of the inputs."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: the elementwise maximum of the inputs."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: the elementwise minimum of the inputs."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of `Concatenate`: the inputs joined along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: the per-sample dot product of 2 inputs along `axes`.

    Args:
        inputs: a list of 2 tensors.
        axes: int or tuple of 2 ints (see `Dot`).
        **kwargs: `normalize` and layer keyword arguments.
    """
    return Dot(axes=axes, **kwargs)(inputs)
