"""Neural-network operations (`keras.ops.nn` names): activations and crossentropies.

Each is written once here from backend primitives; a backend may supply a fused
version through `Backend.overrides`.
"""

from __future__ import annotations

import math

import kerasish.backend as kb
from kerasish.backend import conv_utils
from kerasish.ops import numpy as knp
from kerasish.ops.dispatch import override, symbolic_aware, value


def _b():
    return kb.get()


# ----------------------------------------------------------------- activations
@symbolic_aware
def relu(x):
    """max(x, 0), with gradient 0 at 0."""
    b = _b()
    fast = override(b, "relu")
    x = value(x)
    if fast is not None:
        return fast(x)
    return b.where(b.greater(x, 0), x, b.zeros((), b.dtype(x)))


@symbolic_aware
def relu6(x):
    """min(max(x, 0), 6)."""
    return knp.minimum(relu(x), 6.0)


@symbolic_aware
def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _b().sigmoid(value(x))


@symbolic_aware
def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return knp.divide(relu6(knp.add(x, 3.0)), 6.0)


@symbolic_aware
def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    b = _b()
    fast = override(b, "softplus")
    x = value(x)
    if fast is not None:
        return fast(x)
    # maximum (not relu) so that the gradient at 0 is 0.5: a tie splits it evenly,
    # and the log1p term's gradient is 0 there (abs has gradient 0 at 0).
    return b.add(b.maximum(x, 0.0), b.log1p(b.exp(b.negative(b.abs(x)))))


@symbolic_aware
def softsign(x):
    """x / (|x| + 1)."""
    x = value(x)
    return knp.divide(x, knp.add(knp.abs(x), 1.0))


@symbolic_aware
def silu(x):
    """x * sigmoid(x)."""
    b = _b()
    fast = override(b, "silu")
    x = value(x)
    if fast is not None:
        return fast(x)
    return b.multiply(x, b.sigmoid(x))


swish = silu


@symbolic_aware
def log_sigmoid(x):
    """log(sigmoid(x)), computed stably as -softplus(-x)."""
    return knp.negative(softplus(knp.negative(x)))


@symbolic_aware
def leaky_relu(x, negative_slope=0.2):
    """`x` where x >= 0, else `negative_slope * x`."""
    b = _b()
    x = value(x)
    return b.where(b.greater_equal(x, 0), x, b.multiply(x, negative_slope))


@symbolic_aware
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` where x > 0, else `alpha * (exp(x) - 1)`."""
    b = _b()
    x = value(x)
    # expm1 of the negative part only: the unused branch must stay finite so that
    # its zero gradient is not 0 * inf.
    negative_part = b.multiply(b.expm1(b.minimum(x, 0.0)), alpha)
    return b.where(b.greater(x, 0), x, negative_part)


@symbolic_aware
def selu(x):
    """Scaled exponential linear unit: `scale * elu(x, alpha)` with the self-normalizing constants."""
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return knp.multiply(elu(x, alpha), scale)


@symbolic_aware
def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation when `approximate`."""
    b = _b()
    fast = override(b, "gelu")
    x = value(x)
    if fast is not None:
        return fast(x, approximate)
    if approximate:
        inner = b.multiply(
            math.sqrt(2.0 / math.pi), b.add(x, b.multiply(0.044715, b.multiply(x, b.multiply(x, x))))
        )
        return b.multiply(b.multiply(0.5, x), b.add(1.0, b.tanh(inner)))
    return b.multiply(b.multiply(0.5, x), b.add(1.0, b.erf(b.divide(x, math.sqrt(2.0)))))


@symbolic_aware
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum for stability."""
    b = _b()
    fast = override(b, "softmax")
    x = value(x)
    if fast is not None:
        return fast(x, axis)
    shifted = b.subtract(x, b.stop_gradient(b.max(x, axis=axis, keepdims=True)))
    e = b.exp(shifted)
    return b.divide(e, b.sum(e, axis=axis, keepdims=True))


@symbolic_aware
def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    b = _b()
    fast = override(b, "log_softmax")
    x = value(x)
    if fast is not None:
        return fast(x, axis)
    shifted = b.subtract(x, b.stop_gradient(b.max(x, axis=axis, keepdims=True)))
    return b.subtract(shifted, b.log(b.sum(b.exp(shifted), axis=axis, keepdims=True)))


@symbolic_aware
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along `axis`, computed stably."""
    b = _b()
    fast = override(b, "logsumexp")
    x = value(x)
    if fast is not None:
        return fast(x, axis, keepdims)
    m = b.stop_gradient(b.max(x, axis=axis, keepdims=True))
    m = b.where(b.isfinite(m), m, b.zeros((), b.dtype(m)))
    out = b.add(b.log(b.sum(b.exp(b.subtract(x, m)), axis=axis, keepdims=True)), m)
    if keepdims:
        return out
    return knp.squeeze(out, axis=axis) if axis is not None else b.reshape(out, ())


@symbolic_aware
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """A one-hot encoding of integer `x` with a new axis of size `num_classes`."""
    b = _b()
    out = b.one_hot(value(x), int(num_classes), kb.standardize_dtype(dtype))
    if axis not in (-1, len(b.shape(out)) - 1):
        n = len(b.shape(out))
        axis = axis % n
        perm = list(range(n - 1))
        perm.insert(axis, n - 1)
        out = b.transpose(out, perm)
    return out


# -------------------------------------------------------------- crossentropies
def _check_same_rank(target, output, name):
    ts, os_ = knp.shape(target), knp.shape(output)
    if len(ts) != len(os_):
        raise ValueError(
            f"`{name}`: `target` and `output` must have the same rank. "
            f"Received: target.shape={ts}, output.shape={os_}"
        )
    for t, o in zip(ts, os_):
        if t is not None and o is not None and t != o:
            raise ValueError(
                f"`{name}`: `target` and `output` must have the same shape. "
                f"Received: target.shape={ts}, output.shape={os_}"
            )


@symbolic_aware
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (no reduction)."""
    b = _b()
    target, output = knp.convert_to_tensor(target), value(output)
    _check_same_rank(target, output, "binary_crossentropy")
    target = b.cast(target, b.dtype(output))
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|)): finite for any logit. maximum, not
        # relu, so that at x = 0 the gradient is sigmoid(0) - z = 0.5 - z (a tie
        # splits the gradient evenly; relu's would be 0).
        return b.add(
            b.subtract(b.maximum(output, 0.0), b.multiply(output, target)),
            b.log1p(b.exp(b.negative(b.abs(output)))),
        )
    eps = kb.epsilon()
    output = knp.clip(output, eps, 1.0 - eps)
    bce = b.multiply(target, b.log(output))
    bce = b.add(bce, b.multiply(b.subtract(1.0, target), b.log(b.subtract(1.0, output))))
    return b.negative(bce)


@symbolic_aware
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot (or soft) `target` and `output`, reduced over `axis`."""
    b = _b()
    target, output = knp.convert_to_tensor(target), value(output)
    _check_same_rank(target, output, "categorical_crossentropy")
    target = b.cast(target, b.dtype(output))
    if from_logits:
        log_prob = log_softmax(output, axis=axis)
    else:
        output = b.divide(output, b.sum(output, axis=axis, keepdims=True))
        eps = kb.epsilon()
        log_prob = b.log(knp.clip(output, eps, 1.0 - eps))
    return b.negative(b.sum(b.multiply(target, log_prob), axis=axis))


@symbolic_aware
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between integer class `target` and `output`, reduced over `axis`."""
    b = _b()
    target, output = knp.convert_to_tensor(target), value(output)
    t_shape, o_shape = b.shape(target), b.shape(output)
    if len(t_shape) == len(o_shape) and t_shape[-1] == 1:
        target = knp.squeeze(target, axis=-1)
        t_shape = b.shape(target)
    if len(t_shape) != len(o_shape) - 1:
        raise ValueError(
            "`sparse_categorical_crossentropy`: `target` must have one axis fewer than `output` "
            f"(integer class ids). Received: target.shape={t_shape}, output.shape={o_shape}"
        )
    if from_logits:
        log_prob = log_softmax(output, axis=axis)
    else:
        output = b.divide(output, b.sum(output, axis=axis, keepdims=True))
        eps = kb.epsilon()
        log_prob = b.log(knp.clip(output, eps, 1.0 - eps))
    if not kb.dtypes.is_int(b.dtype(target)):
        target = b.cast(target, "int32")
    labels = one_hot(target, o_shape[axis], axis=axis, dtype=b.dtype(output))
    return b.negative(b.sum(b.multiply(labels, log_prob), axis=axis))


# ----------------------------------------------------------------------- top-k
def _check_top_k(k, size, name):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`{name}`: `k` must be a positive integer. Received: k={k!r}")
    if size is not None and k > size:
        raise ValueError(
            f"`{name}`: `k` must be at most the size of the last axis ({size}). Received: k={k}"
        )


@symbolic_aware
def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The `k` largest values along the last axis, and their indices.

    Args:
        x: a tensor of rank >= 1.
        k: how many values to keep, in [1, x.shape[-1]].
        sorted: kept for Keras compatibility; the values always come sorted from
            the largest down (ties: lower index first).

    Returns:
        `(values, indices)`, each of shape `x.shape[:-1] + (k,)`; indices are int32.

    Example:

    >>> from kerasish import ops
    >>> values, indices = ops.top_k(ops.convert_to_tensor([5, 2, 7, 1, 9, 3]), k=3)
    >>> ops.convert_to_numpy(values).tolist(), ops.convert_to_numpy(indices).tolist()
    ([9, 7, 5], [4, 2, 0])
    """
    b = _b()
    x = knp.convert_to_tensor(x)
    shape = b.shape(x)
    if not shape:
        raise ValueError(f"`top_k` needs a tensor of rank >= 1. Received: x.shape={shape}")
    _check_top_k(k, shape[-1], "top_k")
    return b.top_k(x, k)


@symbolic_aware
def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row.

    A class ranks `1 + (number of strictly larger predictions)`, so ties count in
    the target's favour; a NaN prediction for the target is never in the top k
    (as Keras's JAX backend decides).

    Args:
        targets: integer class ids, shape `(batch,)`.
        predictions: scores, shape `(batch, num_classes)`.
        k: how many top predictions count.

    Returns:
        A boolean tensor shaped like `targets`.
    """
    b = _b()
    predictions = knp.convert_to_tensor(predictions)
    targets = knp.convert_to_tensor(targets)
    if len(b.shape(predictions)) != len(b.shape(targets)) + 1:
        raise ValueError(
            "`in_top_k`: `predictions` must have one axis more than `targets` (class scores). "
            f"Received: targets.shape={b.shape(targets)}, predictions.shape={b.shape(predictions)}"
        )
    _check_top_k(k, None, "in_top_k")
    if not kb.dtypes.is_int(b.dtype(targets)):
        targets = b.cast(targets, "int32")
    at_target = b.take_along_axis(predictions, knp.expand_dims(targets, -1), axis=-1)
    at_target = b.where(b.isnan(at_target), -math.inf, at_target)
    larger = b.sum(b.cast(b.greater(predictions, at_target), "int32"), axis=-1)
    return b.less(larger, k)


# ------------------------------------------------- normalization (moments, batch norm)
def _normalize_axes(axes, ndim, name):
    if isinstance(axes, int):
        axes = (axes,)
    try:
        axes = tuple(int(a) for a in axes)
    except TypeError:
        raise TypeError(f"`{name}`: `axes` must be an int or a list/tuple of ints. Received: axes={axes!r}") from None
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"`{name}`: axis {a} is out of bounds for an input of rank {ndim}. Received: axes={axes}"
            )
    return tuple(sorted(a % ndim for a in axes))


@symbolic_aware
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of `x` over `axes`, as `(mean, variance)`.

    The variance is the population variance (divides by N), computed in two passes
    (the mean first), which is accurate where E[x^2] - E[x]^2 would cancel.
    Half-precision inputs are reduced in float32 and the results cast back.

    Args:
        x: a tensor.
        axes: an int or a list/tuple of ints, the axes to reduce.
        keepdims: keep the reduced axes with size 1.
        synchronized: accepted for Keras compatibility. kerasish distributes a batch
            by sharding one compiled computation, so a reduction over the batch axis
            already sees the whole global batch; there is nothing more to synchronize.

    Returns:
        A tuple `(mean, variance)`.
    """
    b = _b()
    x = value(x)
    axes = _normalize_axes(axes, len(b.shape(x)), "moments")
    original_dtype = b.dtype(x)
    if original_dtype in ("float16", "bfloat16"):
        x = b.cast(x, "float32")
    elif not kb.dtypes.is_float(original_dtype):
        x = b.cast(x, kb.floatx())
    mean = knp.mean(x, axis=axes, keepdims=True)
    variance = knp.mean(knp.square(b.subtract(x, mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean = knp.squeeze(mean, axis=axes)
        variance = knp.squeeze(variance, axis=axes)
    if original_dtype in ("float16", "bfloat16"):
        mean, variance = b.cast(mean, original_dtype), b.cast(variance, original_dtype)
    return mean, variance


@symbolic_aware
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Normalizes `x` along `axis` with given statistics: `(x - mean) / sqrt(variance + epsilon) * scale + offset`.

    Args:
        x: a tensor.
        mean, variance: 1-D tensors of size `x.shape[axis]`.
        axis: the feature axis of `x` that the statistics describe.
        offset: an optional 1-D tensor added after scaling (beta).
        scale: an optional 1-D tensor multiplied in (gamma).
        epsilon: added to the variance so that nothing divides by zero.

    Returns:
        A tensor of the shape of `x`.
    """
    b = _b()
    x, mean, variance = value(x), value(mean), value(variance)
    ndim = len(b.shape(x))
    axis = _normalize_axes(axis, ndim, "batch_normalization")[0]
    size = b.shape(x)[axis]
    broadcast = [1] * ndim
    broadcast[axis] = size

    def reshape(v, name):
        v = value(v)
        if tuple(b.shape(v)) != (size,):
            raise ValueError(
                f"`batch_normalization`: `{name}` must have shape ({size},), the size of axis {axis} of `x`. "
                f"Received: {name}.shape={tuple(b.shape(v))}, x.shape={tuple(b.shape(x))}"
            )
        return b.reshape(v, tuple(broadcast))

    # Folded into one multiply and one add per element: x * inv + (offset - mean * inv).
    inv = b.divide(1.0, b.sqrt(b.add(reshape(variance, "variance"), epsilon)))
    if scale is not None:
        inv = b.multiply(inv, reshape(scale, "scale"))
    shift = b.negative(b.multiply(reshape(mean, "mean"), inv))
    if offset is not None:
        shift = b.add(shift, reshape(offset, "offset"))
    return b.add(b.multiply(x, inv), shift)


# ------------------------------------------------------- convolution and pooling
# The backend works channels-last; channels_first inputs are transposed here, on the
# way in and out. Arguments are checked here so that every backend sees tuples.
def _conv_data_format(data_format, name):
    if data_format is None:
        return kb.image_data_format()
    normalized = str(data_format).lower()
    if normalized not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`{name}`: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return normalized


def _conv_padding(padding, name):
    normalized = padding.lower() if isinstance(padding, str) else padding
    if normalized not in ("valid", "same"):
        raise ValueError(f"`{name}`: `padding` must be 'valid' or 'same'. Received: padding={padding!r}")
    return normalized


def _spatial_tuple(value_, n, arg, name, allow_none=False):
    """`value_` (an int or `n` ints) as a tuple of `n` positive ints (None entries if allowed)."""
    message = f"`{name}`: `{arg}` must be a positive integer or a tuple of {n} positive integers"
    if isinstance(value_, int) and not isinstance(value_, bool):
        values = (value_,) * n
    else:
        try:
            values = tuple(value_)
        except TypeError:
            raise ValueError(f"{message}. Received: {arg}={value_!r}") from None
    ok = len(values) == n and all(
        (v is None and allow_none)
        or (isinstance(v, int) and not isinstance(v, bool) and (v > 0 or (allow_none and v == 0)))
        for v in values
    )
    if not ok:
        raise ValueError(f"{message}. Received: {arg}={value_!r}")
    return tuple(values)


def _spatial_rank(x, name, arg="inputs"):
    shape = knp.shape(x)
    if len(shape) not in (3, 4, 5):
        raise ValueError(
            f"`{name}`: `{arg}` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes, channels). "
            f"Received: {arg}.shape={tuple(shape)}"
        )
    return len(shape) - 2


def _channels_last(x, data_format):
    if data_format == "channels_last":
        return x
    n = len(_b().shape(x))
    return _b().transpose(x, (0, *range(2, n), 1))


def _restore_format(x, data_format):
    if data_format == "channels_last":
        return x
    n = len(_b().shape(x))
    return _b().transpose(x, (0, n - 1, *range(1, n - 1)))


def _check_output_size(x_shape, window, strides, padding, dilation, name):
    for size, w, s, d in zip(x_shape[1:-1], window, strides, dilation):
        if conv_utils.conv_output_length(size, w, s, padding, d) <= 0:
            raise ValueError(
                f"`{name}`: the window does not fit in the input, so the output would be empty. "
                f"Received: input spatial shape={tuple(x_shape[1:-1])}, window={tuple(window)}, "
                f"strides={tuple(strides)}, dilation_rate={tuple(dilation)}, padding={padding!r}"
            )


def _conv_channels_last(x, kernel, strides, padding, dilation_rate, name):
    """`x` (channels-last) convolved with `kernel`; the group count read from the shapes."""
    b = _b()
    x_shape, k_shape = b.shape(x), b.shape(kernel)
    n = len(x_shape) - 2
    if len(k_shape) != n + 2:
        raise ValueError(
            f"`{name}`: `kernel` must have rank {n + 2} (window, in_channels, out_channels) for an "
            f"input of rank {n + 2}. Received: kernel.shape={tuple(k_shape)}"
        )
    channels, in_per_group, filters = x_shape[-1], k_shape[-2], k_shape[-1]
    if in_per_group <= 0 or channels % in_per_group:
        raise ValueError(
            f"`{name}`: the input's channels ({channels}) must be a multiple of the kernel's input "
            f"channels ({in_per_group}); the ratio is the number of groups. Received: "
            f"kernel.shape={tuple(k_shape)}"
        )
    groups = channels // in_per_group
    if filters % groups:
        raise ValueError(
            f"`{name}`: the kernel's output channels ({filters}) must be divisible by the number "
            f"of groups ({groups}). Received: kernel.shape={tuple(k_shape)}"
        )
    _check_output_size(x_shape, k_shape[:n], strides, padding, dilation_rate, name)
    return b.conv(x, kernel, strides, padding, dilation_rate, groups)


@symbolic_aware
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """General N-D convolution (a cross-correlation), for 1-D, 2-D and 3-D inputs.

    Args:
        inputs: `(batch, *spatial, channels)`, or `(batch, channels, *spatial)` with
            `data_format="channels_first"`.
        kernel: `(*window, channels // groups, filters)`; when the kernel has fewer
            input channels than `inputs`, the channels are split into that many groups.
        strides: int or one int per spatial axis.
        padding: "valid" (none) or "same" (output size `ceil(size / stride)`).
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
        dilation_rate: int or one int per spatial axis.

    Returns:
        A tensor of rank `inputs.ndim` with `filters` channels.

    Example:

    >>> x = knp.ones((1, 4, 1))
    >>> knp.convert_to_numpy(conv(x, knp.ones((2, 1, 1)))).ravel().tolist()
    [2.0, 2.0, 2.0]
    """
    x, kernel = knp.convert_to_tensor(inputs), knp.convert_to_tensor(kernel)
    n = _spatial_rank(x, "conv")
    data_format = _conv_data_format(data_format, "conv")
    padding = _conv_padding(padding, "conv")
    strides = _spatial_tuple(strides, n, "strides", "conv")
    dilation_rate = _spatial_tuple(dilation_rate, n, "dilation_rate", "conv")
    x = _channels_last(x, data_format)
    out = _conv_channels_last(x, kernel, strides, padding, dilation_rate, "conv")
    return _restore_format(out, data_format)


@symbolic_aware
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise N-D convolution: each input channel convolved with its own filters.

    Args:
        inputs: as for `conv`.
        kernel: `(*window, channels, depth_multiplier)`.
        strides, padding, data_format, dilation_rate: as for `conv`.

    Returns:
        A tensor with `channels * depth_multiplier` channels; output channel
        `c * depth_multiplier + m` is input channel `c` through filter `m`.
    """
    b = _b()
    x, kernel = knp.convert_to_tensor(inputs), knp.convert_to_tensor(kernel)
    n = _spatial_rank(x, "depthwise_conv")
    data_format = _conv_data_format(data_format, "depthwise_conv")
    padding = _conv_padding(padding, "depthwise_conv")
    strides = _spatial_tuple(strides, n, "strides", "depthwise_conv")
    dilation_rate = _spatial_tuple(dilation_rate, n, "dilation_rate", "depthwise_conv")
    x = _channels_last(x, data_format)
    channels, k_shape = b.shape(x)[-1], b.shape(kernel)
    if len(k_shape) != n + 2 or k_shape[-2] != channels:
        raise ValueError(
            f"`depthwise_conv`: `kernel` must have shape (*window, {channels}, depth_multiplier) "
            f"for an input with {channels} channels. Received: kernel.shape={tuple(k_shape)}"
        )
    # One group per input channel, each with depth_multiplier filters.
    grouped = b.reshape(kernel, (*k_shape[:n], 1, channels * k_shape[-1]))
    out = _conv_channels_last(x, grouped, strides, padding, dilation_rate, "depthwise_conv")
    return _restore_format(out, data_format)


@symbolic_aware
def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
):
    """A depthwise convolution followed by a pointwise (window 1) convolution.

    Args:
        inputs: as for `conv`.
        depthwise_kernel: `(*window, channels, depth_multiplier)`.
        pointwise_kernel: `(1, ..., 1, channels * depth_multiplier, filters)`.
        strides, padding, data_format, dilation_rate: of the depthwise step.

    Returns:
        A tensor with `filters` channels.
    """
    data_format = _conv_data_format(data_format, "separable_conv")
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format)


@symbolic_aware
def conv_transpose(
    inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1
):
    """Transposed N-D convolution (the input gradient of `conv`), sometimes called deconvolution.

    Args:
        inputs: `(batch, *spatial, in_channels)`, or channels first.
        kernel: `(*window, filters, in_channels)`, as Keras's `Conv2DTranspose` keeps it.
        strides: int or one int per spatial axis.
        padding: "valid" or "same"; the output size per axis is `(size - 1) * stride +
            max(window, stride)` ("valid") or `size * stride` ("same"), for a dilated
            window extent `window`.
        output_padding: None, an int, or one int per spatial axis: with a value, the
            size is `(size - 1) * stride + window + output_padding` ("valid") or
            `(size - 1) * stride + window % 2 + output_padding` ("same").
        data_format: "channels_last" or "channels_first".
        dilation_rate: int or one int per spatial axis.

    Returns:
        A tensor with `filters` channels.
    """
    b = _b()
    x, kernel = knp.convert_to_tensor(inputs), knp.convert_to_tensor(kernel)
    n = _spatial_rank(x, "conv_transpose")
    data_format = _conv_data_format(data_format, "conv_transpose")
    padding = _conv_padding(padding, "conv_transpose")
    strides = _spatial_tuple(strides, n, "strides", "conv_transpose")
    dilation_rate = _spatial_tuple(dilation_rate, n, "dilation_rate", "conv_transpose")
    if output_padding is None:
        output_padding = (None,) * n
    else:
        output_padding = _spatial_tuple(output_padding, n, "output_padding", "conv_transpose", allow_none=True)
    x = _channels_last(x, data_format)
    k_shape = b.shape(kernel)
    if len(k_shape) != n + 2 or k_shape[-1] != b.shape(x)[-1]:
        raise ValueError(
            f"`conv_transpose`: `kernel` must have shape (*window, filters, {b.shape(x)[-1]}) for an "
            f"input with {b.shape(x)[-1]} channels. Received: kernel.shape={tuple(k_shape)}"
        )
    for size, k, s, d, op in zip(b.shape(x)[1:-1], k_shape[:n], strides, dilation_rate, output_padding):
        if conv_utils.conv_transpose_output_length(size, k, s, padding, op, d) <= 0:
            raise ValueError(
                f"`conv_transpose`: the output would be empty. Received: input spatial shape="
                f"{tuple(b.shape(x)[1:-1])}, kernel.shape={tuple(k_shape)}, output_padding={output_padding}"
            )
    out = b.conv_transpose(x, kernel, strides, padding, output_padding, dilation_rate)
    return _restore_format(out, data_format)


def _pool(inputs, pool_size, strides, padding, data_format, name):
    x = knp.convert_to_tensor(inputs)
    n = _spatial_rank(x, name)
    data_format = _conv_data_format(data_format, name)
    padding = _conv_padding(padding, name)
    pool_size = _spatial_tuple(pool_size, n, "pool_size", name)
    strides = pool_size if strides is None else _spatial_tuple(strides, n, "strides", name)
    x = _channels_last(x, data_format)
    _check_output_size(_b().shape(x), pool_size, strides, padding, (1,) * n, name)
    return x, pool_size, strides, padding, data_format


@symbolic_aware
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum over each window, for 1-D, 2-D and 3-D inputs.

    Args:
        inputs: `(batch, *spatial, channels)`, or channels first.
        pool_size: int or one int per spatial axis.
        strides: int or one int per spatial axis; `pool_size` by default.
        padding: "valid" or "same" (padding never wins the maximum).
        data_format: "channels_last" or "channels_first".

    Returns:
        The pooled tensor. The gradient of a window goes to its first maximal element.
    """
    x, pool_size, strides, padding, data_format = _pool(inputs, pool_size, strides, padding, data_format, "max_pool")
    return _restore_format(_b().max_pool(x, pool_size, strides, padding), data_format)


@symbolic_aware
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean over each window, for 1-D, 2-D and 3-D inputs.

    With "same" padding a window at the border averages only its real elements (the
    padding is not counted), as Keras does.

    Args:
        inputs: `(batch, *spatial, channels)`, or channels first; floating.
        pool_size: int or one int per spatial axis.
        strides: int or one int per spatial axis; `pool_size` by default.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".

    Returns:
        The pooled tensor.
    """
    x, pool_size, strides, padding, data_format = _pool(
        inputs, pool_size, strides, padding, data_format, "average_pool"
    )
    return _restore_format(_b().avg_pool(x, pool_size, strides, padding), data_format)
