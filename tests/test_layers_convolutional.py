"""Convolution layers and ops: hand-computed cases, a naive NumPy reference, both backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test


# ------------------------------------------------------------------ references
def _same_pads(size, kernel, stride, dilation):
    """TF's "same", written out here independently of kerasish.backend.conv_utils."""
    extent = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def reference_conv(x, kernel, strides, padding, dilation, groups=1):
    """A loop over output positions and kernel offsets (channels-last, float64)."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    n = x.ndim - 2
    window = kernel.shape[:n]
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], window[i], strides[i], dilation[i]) for i in range(n)]
    else:
        pads = [(0, 0)] * n
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_sizes = [
        (xp.shape[1 + i] - (window[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(n)
    ]
    in_g, out_g = kernel.shape[-2], kernel.shape[-1] // groups
    out = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for pos in np.ndindex(*out_sizes):
        for off in np.ndindex(*window):
            idx = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))
            patch = xp[(slice(None), *idx)]
            for g in range(groups):
                cols = slice(g * out_g, (g + 1) * out_g)
                out[(slice(None), *pos, cols)] += (
                    patch[:, g * in_g : (g + 1) * in_g] @ kernel[off][:, cols]
                )
    return out


def _to_first(a):
    return np.moveaxis(a, -1, 1)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


CONV_CLASSES = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}


# --------------------------------------------------------------- hand-computed
def test_conv1d_by_hand(backend):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    kernel = np.array([1.0, 0.0, -1.0], "float32").reshape(3, 1, 1)

    def run(**kwargs):
        layer = layers.Conv1D(1, 3, bias_initializer="ones", **kwargs)
        layer.build(x.shape)
        layer.set_weights([kernel, np.array([0.5], "float32")])
        return _np(layer(x)).ravel().tolist()

    assert run() == [-1.5, -1.5, -1.5]
    # same, stride 2: ceil(5 / 2) = 3 outputs, one zero on each side
    assert run(padding="same", strides=2) == [-1.5, -1.5, 4.5]
    # dilation 2: one window spanning 5 steps, taps on x[0], x[2], x[4]
    assert run(dilation_rate=2) == [1.0 - 5.0 + 0.5]
    # causal: two zeros on the left, output[t] sees x[t-2..t]
    assert run(padding="causal") == [-0.5, -1.5, -1.5, -1.5, -1.5]


def test_conv2d_by_hand_with_channels(backend):
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    layer = layers.Conv2D(2, (2, 2), use_bias=False)
    layer.build(x.shape)
    kernel = np.zeros((2, 2, 1, 2), "float32")
    kernel[:, :, 0, 0] = [[1, 0], [0, 0]]  # picks the top-left element
    kernel[:, :, 0, 1] = 1  # sums the window
    layer.set_weights([kernel])
    out = _np(layer(x))
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 1], [3, 4]])
    np.testing.assert_array_equal(out[0, :, :, 1], [[8, 12], [20, 24]])


# ----------------------------------------------------------- against the loop
CONV_CASES = [
    # rank, spatial, kernel, strides, padding, dilation, groups, channels, filters, format
    (1, (9,), (3,), (1,), "valid", (1,), 1, 3, 4, "channels_last"),
    (1, (10,), (4,), (3,), "same", (1,), 1, 2, 3, "channels_first"),
    (1, (11,), (3,), (1,), "same", (3,), 2, 4, 6, "channels_last"),
    (2, (7, 8), (3, 2), (1, 1), "valid", (1, 1), 1, 3, 4, "channels_last"),
    (2, (7, 8), (3, 3), (2, 3), "same", (1, 1), 1, 2, 3, "channels_last"),
    (2, (7, 8), (3, 3), (2, 3), "same", (1, 1), 1, 2, 3, "channels_first"),
    (2, (8, 6), (2, 4), (2, 1), "same", (1, 1), 1, 2, 2, "channels_last"),
    (2, (9, 9), (3, 3), (1, 1), "same", (2, 3), 1, 2, 3, "channels_last"),
    (2, (6, 7), (3, 3), (1, 1), "valid", (2, 2), 2, 4, 4, "channels_first"),
    (2, (6, 6), (1, 1), (2, 2), "valid", (1, 1), 3, 3, 6, "channels_last"),
    (3, (4, 5, 6), (2, 3, 2), (1, 2, 2), "same", (1, 1, 1), 1, 2, 3, "channels_last"),
    (3, (5, 5, 5), (2, 2, 2), (1, 1, 1), "valid", (2, 1, 2), 1, 2, 2, "channels_first"),
]


@pytest.mark.parametrize(
    "case", CONV_CASES, ids=lambda c: f"{c[0]}d-{c[4]}-s{c[3]}-d{c[5]}-g{c[6]}-{c[9][9:]}"
)
def test_conv_layers_match_the_loop(backend, case, rng):
    rank, spatial, window, strides, padding, dilation, groups, channels, filters, data_format = case
    x = rng.normal(size=(2, *spatial, channels)).astype("float32")
    kernel = rng.normal(size=(*window, channels // groups, filters)).astype("float32")
    bias = rng.normal(size=(filters,)).astype("float32")
    layer = CONV_CLASSES[rank](
        filters, window, strides=strides, padding=padding, dilation_rate=dilation,
        groups=groups, data_format=data_format,
    )
    x_in = x if data_format == "channels_last" else _to_first(x)
    layer.build(x_in.shape)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("kernel", kernel.shape), ("bias", bias.shape)
    ]
    layer.set_weights([kernel, bias])
    out = _np(layer(x_in))
    expected = reference_conv(x, kernel, strides, padding, dilation, groups) + bias
    if data_format == "channels_first":
        expected = _to_first(expected)
    assert out.shape == expected.shape == layer.compute_output_shape(x_in.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_conv_op_is_jit_compatible(backend, rng):
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 4)).astype("float32")

    def fn(x):
        return ops.conv(x, kernel, strides=2, padding="same")

    np.testing.assert_allclose(_np(backend.jit(fn)(x)), _np(fn(x)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        _np(fn(x)), reference_conv(x, kernel, (2, 2), "same", (1, 1)), rtol=1e-4, atol=1e-4
    )


# ------------------------------------------------------- depthwise, separable
def reference_depthwise(x, kernel, strides, padding, dilation):
    channels, mult = kernel.shape[-2:]
    grouped = np.zeros((*kernel.shape[:-2], 1, channels * mult))
    for c in range(channels):
        grouped[..., 0, c * mult : (c + 1) * mult] = kernel[..., c, :]
    return reference_conv(x, grouped, strides, padding, dilation, groups=channels)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_conv2d(backend, rng, data_format):
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    layer = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, data_format=data_format)
    x_in = x if data_format == "channels_last" else _to_first(x)
    layer.build(x_in.shape)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("kernel", (3, 3, 3, 2)), ("bias", (6,))]
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    bias = rng.normal(size=(6,)).astype("float32")
    layer.set_weights([kernel, bias])
    expected = reference_depthwise(x, kernel, (2, 2), "same", (1, 1)) + bias
    # channel c * multiplier + m is input channel c through filter m: check one by hand
    single = reference_conv(x[..., 1:2], kernel[:, :, 1:2, 1:2], (2, 2), "same", (1, 1))
    np.testing.assert_allclose(expected[..., 3] - bias[3], single[..., 0], rtol=1e-10)
    if data_format == "channels_first":
        expected = _to_first(expected)
    np.testing.assert_allclose(_np(layer(x_in)), expected, rtol=1e-4, atol=1e-4)


def test_separable_conv2d(backend, rng):
    x = rng.normal(size=(2, 8, 7, 3)).astype("float32")
    layer = layers.SeparableConv2D(4, (3, 2), padding="same", depth_multiplier=2, dilation_rate=2)
    layer.build(x.shape)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("depthwise_kernel", (3, 2, 3, 2)), ("pointwise_kernel", (1, 1, 6, 4)), ("bias", (4,))
    ]
    dw = rng.normal(size=(3, 2, 3, 2)).astype("float32")
    pw = rng.normal(size=(1, 1, 6, 4)).astype("float32")
    bias = rng.normal(size=(4,)).astype("float32")
    layer.set_weights([dw, pw, bias])
    expected = reference_depthwise(x, dw, (1, 1), "same", (2, 2)) @ pw[0, 0] + bias
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-4, atol=1e-4)
    assert layer.count_params() == 3 * 2 * 3 * 2 + 6 * 4 + 4


def test_separable_and_depthwise_conv1d(backend, rng):
    x = rng.normal(size=(2, 9, 2)).astype("float32")
    dw_layer = layers.DepthwiseConv1D(3, depth_multiplier=3)
    sep_layer = layers.SeparableConv1D(5, 3, strides=2)
    assert dw_layer(x).shape == (2, 7, 6)
    assert sep_layer(x).shape == (2, 4, 5)
    kernel, bias = dw_layer.get_weights()
    np.testing.assert_allclose(
        _np(dw_layer(x)), reference_depthwise(x, kernel, (1,), "valid", (1,)) + bias, rtol=1e-4, atol=1e-5
    )


# -------------------------------------------------------------- conv transpose
def test_conv1d_transpose_by_hand(backend):
    x = np.array([1.0, 2.0], "float32").reshape(1, 2, 1)
    kernel = np.array([1.0, 10.0, 100.0], "float32").reshape(3, 1, 1)

    def run(**kwargs):
        layer = layers.Conv1DTranspose(1, 3, strides=2, use_bias=False, **kwargs)
        layer.build(x.shape)
        layer.set_weights([kernel])
        return _np(layer(x)).ravel().tolist()

    # each input spreads the kernel, 2 steps apart; overlaps add up
    assert run() == [1.0, 10.0, 102.0, 20.0, 200.0]
    assert run(output_padding=1) == [1.0, 10.0, 102.0, 20.0, 200.0, 0.0]
    assert run(padding="same") == [1.0, 10.0, 102.0, 20.0]


TRANSPOSE_CASES = [
    # spatial, kernel, strides, padding, dilation
    ((3, 4), (3, 3), (2, 2), "valid", (1, 1)),
    ((3, 4), (3, 2), (2, 3), "same", (1, 1)),
    ((4, 3), (4, 4), (2, 2), "same", (1, 1)),
    ((3, 3), (2, 5), (3, 2), "same", (1, 1)),
    ((5, 4), (3, 3), (1, 1), "valid", (2, 1)),
    ((5, 4), (3, 2), (1, 1), "same", (2, 2)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_conv2d_transpose_is_the_gradient_of_conv(backend, case, rng):
    spatial, window, strides, padding, dilation = case
    x = rng.normal(size=(2, *spatial, 3)).astype("float32")
    layer = layers.Conv2DTranspose(4, window, strides=strides, padding=padding, dilation_rate=dilation, use_bias=False)
    out = _np(layer(x))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (*window, 4, 3)
    # The transpose of z -> conv(z, kernel) (kernel read as (*window, in=4, out=3)) at x.
    z = np.zeros(out.shape, "float32")

    def inner(z):
        y = ops.conv(z, kernel, strides=strides, padding=padding, dilation_rate=dilation)
        return ops.sum(ops.multiply(y, x))

    _, grad = backend.value_and_grad(inner)(backend.convert_to_tensor(z))
    assert layer.compute_output_shape(x.shape) == out.shape
    np.testing.assert_allclose(out, _np(grad), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_transpose_output_padding_sizes(backend, padding):
    x = np.ones((1, 5, 5, 2), "float32")
    for kernel, stride, output_padding in [(3, 2, 1), (3, 3, 2), (4, 2, 0), (2, 3, 1)]:
        layer = layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding, output_padding=output_padding)
        extra = kernel if padding == "valid" else kernel % 2
        size = (5 - 1) * stride + extra + output_padding
        assert layer(x).shape == (1, size, size, 1) == layer.compute_output_shape(x.shape)


@pytest.mark.parametrize("rank", [1, 3])
def test_conv1d_and_3d_transpose_shapes_and_channels_first(backend, rank, rng):
    cls = {1: layers.Conv1DTranspose, 3: layers.Conv3DTranspose}[rank]
    x = rng.normal(size=(2, *(3,) * rank, 2)).astype("float32")
    last = cls(3, 2, strides=2, padding="same")
    out = _np(last(x))
    assert out.shape == (2, *(6,) * rank, 3)
    first = cls(3, 2, strides=2, padding="same", data_format="channels_first")
    first.build(_to_first(x).shape)
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(_np(first(_to_first(x))), _to_first(out), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ across backends
CONSISTENCY_CASES = {
    "conv1d_causal": (lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"), (2, 9, 3)),
    "conv2d_same_strided": (lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (2, 7, 8, 3)),
    "conv2d_groups_first": (lambda: layers.Conv2D(4, 2, groups=2, data_format="channels_first"), (2, 4, 6, 5)),
    "conv3d": (lambda: layers.Conv3D(2, 2, padding="same", activation="relu"), (1, 4, 3, 5, 2)),
    "conv2d_transpose": (lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1), (2, 3, 4, 2)),
    "depthwise2d": (lambda: layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2), (2, 5, 5, 3)),
    "separable2d": (lambda: layers.SeparableConv2D(4, 3, strides=2, padding="same"), (2, 6, 6, 3)),
}


@pytest.mark.skipif(len(kb.available_backends()) < 2, reason="needs two backends")
@pytest.mark.parametrize("case", sorted(CONSISTENCY_CASES))
def test_jax_and_numpy_agree_on_outputs_and_gradients(case, rng):
    make_layer, shape = CONSISTENCY_CASES[case]
    x = rng.normal(size=shape).astype("float32")
    run_backend_consistency_test(make_layer, x, rtol=1e-4, atol=1e-4)


# -------------------------------------------------- the standard layer checks
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape, num_weights",
    [
        (layers.Conv2D, {"filters": 3, "kernel_size": 2, "padding": "same", "kernel_regularizer": "l2"}, (2, 4, 5, 2), (2, 4, 5, 3), 2),
        (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 3, 3, 2), (2, 7, 7, 2), 2),
        (layers.DepthwiseConv2D, {"kernel_size": 2, "use_bias": False}, (2, 4, 4, 3), (2, 3, 3, 3), 1),
        (layers.SeparableConv2D, {"filters": 2, "kernel_size": 2, "activation": "tanh"}, (2, 4, 4, 3), (2, 3, 3, 2), 3),
        (layers.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal"}, (2, 5, 3), (2, 5, 2), 2),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_run_layer_test(backend, cls, kwargs, input_shape, output_shape, num_weights):
    run_layer_test(
        cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
        expected_num_trainable_weights=num_weights, expected_num_non_trainable_weights=0,
        expected_num_losses=1 if "kernel_regularizer" in kwargs else 0,
        rtol=1e-4, atol=1e-5,
    )


def test_config_round_trip_and_serialization(backend):
    layer = layers.Conv2D(
        8, (3, 2), strides=(2, 1), padding="SAME", dilation_rate=1, groups=2, activation="relu",
        use_bias=False, kernel_initializer="he_normal", kernel_regularizer="l2", name="c",
    )
    config = layer.get_config()
    assert config["kernel_size"] == (3, 2) and config["strides"] == (2, 1) and config["padding"] == "same"
    assert config["groups"] == 2 and config["data_format"] == "channels_last"
    clone = layers.Conv2D.from_config(config)
    assert clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is layers.Conv2D and again.get_config() == config
    sep = layers.SeparableConv2D(4, 3, depth_multiplier=2, pointwise_initializer="zeros")
    sep_config = sep.get_config()
    assert "groups" not in sep_config and sep_config["depth_multiplier"] == 2
    assert layers.SeparableConv2D.from_config(sep_config).get_config() == sep_config
    dw_config = layers.DepthwiseConv2D(3, depth_multiplier=2, depthwise_regularizer="l1").get_config()
    assert "filters" not in dw_config and dw_config["depthwise_regularizer"] is not None
    assert layers.DepthwiseConv2D.from_config(dw_config).get_config() == dw_config
    tr_config = layers.Conv2DTranspose(4, 3, strides=2, output_padding=1).get_config()
    assert tr_config["output_padding"] == (1, 1) and "groups" not in tr_config
    assert layers.Conv2DTranspose.from_config(tr_config).get_config() == tr_config


def test_symbolic_shapes_with_unknown_sizes(backend):
    inputs = keras.Input(shape=(None, None, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    assert x.shape == (None, None, None, 4)
    x = layers.Conv2DTranspose(2, 3, strides=2)(x)
    assert x.shape == (None, None, None, 2)
    fixed = keras.Input(shape=(9, 10, 3))
    assert layers.Conv2D(4, 3, strides=2, padding="same")(fixed).shape == (None, 5, 5, 4)
    assert layers.Conv2D(4, 3, strides=2)(fixed).shape == (None, 4, 4, 4)
    assert layers.SeparableConv2D(5, 3, data_format="channels_first")(keras.Input((3, 6, 7))).shape == (None, 5, 4, 5)
    assert layers.DepthwiseConv2D(3, depth_multiplier=2)(fixed).shape == (None, 7, 8, 6)
    assert ops.conv(fixed, np.ones((3, 3, 3, 2), "float32"), padding="same").shape == (None, 9, 10, 2)


def test_regularizers_and_constraints(backend):
    layer = layers.Conv2D(
        2, 2, kernel_regularizer=keras.regularizers.L2(0.5), bias_regularizer="l1",
        kernel_constraint="non_neg", bias_initializer="ones",
    )
    x = np.ones((1, 3, 3, 1), "float32")
    layer(x)
    kernel = layer.get_weights()[0]
    penalties = [float(_np(p)) for p in layer.losses]
    assert penalties == pytest.approx([0.5 * float(np.sum(kernel**2)), 0.01 * 2.0], rel=1e-5)
    assert layer.kernel.constraint is not None
    projected = _np(layer.kernel.constraint(ops.convert_to_tensor(-np.ones((2, 2, 1, 2), "float32"))))
    assert (projected == 0).all()


# ------------------------------------------------------------------- training
def _small_cnn():
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(4, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )


def _bright_side_data():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 2, size=64)
    x[y == 1, :, 4:] += 1.0  # class 1 is brighter on the right
    return x, y


@pytest.mark.skipif(len(kb.available_backends()) < 2, reason="needs two backends")
def test_small_cnn_trains_the_same_on_both_backends():
    x, y = _bright_side_data()
    histories, weights = {}, None
    keras.utils.set_random_seed(0)  # the starting weights decide whether 4 epochs suffice
    for name in ("numpy", "jax"):
        with kb.use_backend(name):
            keras.utils.clear_session()
            model = _small_cnn()
            if weights is None:
                weights = model.get_weights()
            model.set_weights(weights)
            model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
            histories[name] = history.history
    for name, h in histories.items():
        assert h["loss"][-1] < h["loss"][0], name
    np.testing.assert_allclose(histories["jax"]["loss"], histories["numpy"]["loss"], rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.Conv2D(-3, 3), r"positive integer. Received: filters=-3"),
        (lambda: layers.Conv2D(4, 0), r"kernel_size.*Received: kernel_size=0"),
        (lambda: layers.Conv2D(4, (3, 3, 3)), r"tuple of 2 integers.*Received: kernel_size=\(3, 3, 3\)"),
        (lambda: layers.Conv2D(4, 3, padding="full"), r"padding.*Received: padding='full'"),
        (lambda: layers.Conv2D(4, 3, padding="causal"), r"Received: padding='causal'"),
        (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
        (lambda: layers.Conv2D(5, 3, groups=2), r"divisible by `groups`. Received: filters=5, groups=2"),
        (lambda: layers.Conv2D(4, 3, data_format="nhwc"), r"data_format.*Received: data_format='nhwc'"),
        (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), r"smaller than its stride"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"Received: depth_multiplier=0"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs(backend):
    with pytest.raises(ValueError, match=r"Conv2D.*expected ndim=4, found ndim=3"):
        layers.Conv2D(2, 2)(np.ones((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"input channels \(3\) must be divisible by `groups`"):
        layers.Conv2D(4, 2, groups=2)(np.ones((1, 4, 4, 3), "float32"))
    layer = layers.Conv2D(2, 2)
    layer(np.ones((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r"built for 3 input channels, found 5"):
        layer(np.ones((1, 4, 4, 5), "float32"))
    with pytest.raises(ValueError, match=r"output would be empty"):
        layers.Conv2D(2, 5)(np.ones((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"output would be empty"):
        ops.conv(np.ones((1, 4, 1), "float32"), np.ones((5, 1, 1), "float32"))
    with pytest.raises(ValueError, match=r"must have rank 3, 4 or 5"):
        ops.conv(np.ones((4, 1), "float32"), np.ones((2, 1, 1), "float32"))
    with pytest.raises(ValueError, match=r"multiple of the kernel's input channels"):
        ops.conv(np.ones((1, 4, 3), "float32"), np.ones((2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"Received: strides=0"):
        ops.conv(np.ones((1, 4, 1), "float32"), np.ones((2, 1, 1), "float32"), strides=0)
