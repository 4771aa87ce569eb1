"""Pooling layers and ops: hand-computed pools, a NumPy reference loop, gradients, both backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _to_first(a):
    return np.moveaxis(a, -1, 1)


def reference_pool(x, pool, strides, padding, mode):
    """A loop over output positions; "same" windows use only their real elements."""
    n = x.ndim - 2
    if padding == "same":
        outs = [math.ceil(x.shape[1 + i] / strides[i]) for i in range(n)]
        before = [
            max((outs[i] - 1) * strides[i] + pool[i] - x.shape[1 + i], 0) // 2 for i in range(n)
        ]
    else:
        outs = [(x.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(n)]
        before = [0] * n
    out = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        window = tuple(
            slice(max(p * s - b, 0), min(p * s - b + k, size))
            for p, s, b, k, size in zip(pos, strides, before, pool, x.shape[1:-1])
        )
        values = x[(slice(None), *window)].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *pos)] = values.max(1) if mode == "max" else values.mean(1)
    return out


POOL_CLASSES = {
    ("max", 1): layers.MaxPooling1D,
    ("max", 2): layers.MaxPooling2D,
    ("max", 3): layers.MaxPooling3D,
    ("average", 1): layers.AveragePooling1D,
    ("average", 2): layers.AveragePooling2D,
    ("average", 3): layers.AveragePooling3D,
}


# --------------------------------------------------------------- hand-computed
def test_max_pooling2d_by_hand(backend):
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    assert _np(layers.MaxPooling2D()(x))[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
    # 3x3 windows, stride 2, "same": 3 outputs per axis, one padding row/column each side
    y = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    out = _np(layers.MaxPooling2D(3, strides=2, padding="same")(y))[0, :, :, 0]
    assert out.tolist() == [[6, 8, 9], [16, 18, 19], [21, 23, 24]]


def test_average_pooling_same_divides_by_real_elements(backend):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    assert _np(layers.AveragePooling1D(2, padding="same")(x)).ravel().tolist() == [1.5, 3.5, 5.0]
    # windows of 3 with stride 2 over 4 steps, "same": 2 outputs, one padding step after
    assert _np(layers.AveragePooling1D(3, 2, padding="same")(x[:, :4])).ravel().tolist() == [2.0, 3.5]
    # 2-D, 3x3 with stride 1 "same": the corner window covers 4 real elements
    y = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    out = _np(layers.AveragePooling2D(3, strides=1, padding="same")(y))[0, :, :, 0]
    assert out[0, 0] == pytest.approx((0 + 1 + 3 + 4) / 4)
    assert out[1, 1] == pytest.approx(4.0)
    assert out[0, 1] == pytest.approx((0 + 1 + 2 + 3 + 4 + 5) / 6)


# ----------------------------------------------------------- against the loop
POOL_CASES = [
    # mode, spatial, pool, strides, padding, format
    ("max", (9,), (2,), (2,), "valid", "channels_last"),
    ("max", (10,), (3,), (2,), "same", "channels_first"),
    ("average", (9,), (4,), (3,), "same", "channels_last"),
    ("max", (7, 8), (2, 2), (2, 2), "valid", "channels_last"),
    ("max", (7, 8), (3, 2), (2, 1), "same", "channels_first"),
    ("average", (7, 8), (3, 3), (1, 1), "same", "channels_last"),
    ("average", (7, 8), (2, 3), (3, 2), "same", "channels_first"),
    ("average", (6, 5), (2, 2), (1, 2), "valid", "channels_last"),
    ("max", (4, 5, 6), (2, 2, 3), (2, 1, 2), "same", "channels_last"),
    ("average", (4, 5, 6), (2, 3, 2), (2, 2, 2), "same", "channels_first"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[0]}-{len(c[1])}d-{c[4]}-s{c[3]}-{c[5][9:]}")
def test_pools_match_the_loop(backend, case, rng):
    mode, spatial, pool, strides, padding, data_format = case
    x = rng.normal(size=(2, *spatial, 3)).astype("float32")
    layer = POOL_CLASSES[mode, len(spatial)](pool, strides=strides, padding=padding, data_format=data_format)
    x_in = x if data_format == "channels_last" else _to_first(x)
    out = _np(layer(x_in))
    expected = reference_pool(x, pool, strides, padding, mode)
    if data_format == "channels_first":
        expected = _to_first(expected)
    assert out.shape == expected.shape == layer.compute_output_shape(x_in.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_pool_ops_default_strides_and_jit(backend, rng):
    x = rng.normal(size=(2, 6, 7, 2)).astype("float32")

    def fn(x):
        return ops.max_pool(x, 2), ops.average_pool(x, (3, 2), padding="same")

    expected = (
        reference_pool(x, (2, 2), (2, 2), "valid", "max"),
        reference_pool(x, (3, 2), (3, 2), "same", "average"),
    )
    for got in (fn(x), backend.jit(fn)(x)):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(_np(g), e, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ gradients
def _grad(backend, fn, x):
    return _np(backend.value_and_grad(lambda v: ops.sum(fn(v)))(backend.convert_to_tensor(x))[1])


def test_max_pool_gradient_goes_to_the_first_maximum(backend):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 1.0]], "float32").reshape(1, 2, 4, 1)
    grad = _grad(backend, lambda v: ops.max_pool(v, 2), x)[0, :, :, 0]
    # left window: two 3s tie and the first in row-major order takes it all;
    # right window: the 3 at (0, 2) is its maximum
    np.testing.assert_array_equal(grad, [[0, 1, 1, 0], [0, 0, 0, 0]])
    # overlapping windows (stride 1) over equal values: each window's first element
    ones = np.ones((1, 3, 3, 1), "float32")
    grad = _grad(backend, lambda v: ops.max_pool(v, 2, strides=1), ones)[0, :, :, 0]
    np.testing.assert_array_equal(grad, [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    # distinct values: the maximum of each window gets the sum of its windows' gradients
    y = np.array([0.0, 5.0, 1.0, 2.0, 4.0], "float32").reshape(1, 5, 1)
    grad = _grad(backend, lambda v: ops.max_pool(v, 3, strides=1, padding="same"), y).ravel()
    np.testing.assert_array_equal(grad, [0, 3, 0, 0, 2])


def test_average_pool_gradient_counts_real_elements(backend):
    x = np.zeros((1, 3, 1), "float32")
    grad = _grad(backend, lambda v: ops.average_pool(v, 2, strides=1, padding="same"), x).ravel()
    # windows [x0, x1], [x1, x2], [x2] (one padding element, not counted)
    np.testing.assert_allclose(grad, [0.5, 1.0, 1.5], rtol=1e-6)


# ------------------------------------------------------------- global pooling
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(backend, rng, data_format, keepdims):
    cases = [
        (layers.GlobalAveragePooling1D, (2, 5, 3), np.mean),
        (layers.GlobalAveragePooling2D, (2, 4, 5, 3), np.mean),
        (layers.GlobalAveragePooling3D, (2, 2, 3, 4, 3), np.mean),
        (layers.GlobalMaxPooling1D, (2, 5, 3), np.max),
        (layers.GlobalMaxPooling2D, (2, 4, 5, 3), np.max),
        (layers.GlobalMaxPooling3D, (2, 2, 3, 4, 3), np.max),
    ]
    for cls, shape, reduce in cases:
        x = rng.normal(size=shape).astype("float32")
        spatial = tuple(range(1, len(shape) - 1))
        expected = reduce(x, axis=spatial, keepdims=keepdims)
        if data_format == "channels_first":
            x, expected = _to_first(x), (_to_first(expected) if keepdims else expected)
        layer = cls(data_format=data_format, keepdims=keepdims)
        out = _np(layer(x))
        assert out.shape == expected.shape == layer.compute_output_shape(x.shape)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_global_average_pooling1d_leaves_masked_steps_out(backend):
    x = np.array([[[1.0, 10.0], [2.0, 20.0], [0.0, 0.0]], [[4.0, 1.0], [0.0, 0.0], [0.0, 0.0]]], "float32")
    inputs = keras.Input((3, 2))
    pooled = layers.GlobalAveragePooling1D()(layers.Masking(0.0)(inputs))
    model = keras.Model(inputs, pooled)
    np.testing.assert_allclose(_np(model(x)), [[1.5, 15.0], [4.0, 1.0]], rtol=1e-6)
    mask = np.array([[True, False, True], [True, True, True]])
    out = _np(layers.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(out, [[0.5, 5.0], [4.0 / 3, 1.0 / 3]], rtol=1e-6)


def test_max_pools_keep_integer_dtypes(backend):
    x = np.arange(16, dtype="int32").reshape(1, 4, 4, 1)
    out = layers.MaxPooling2D()(x)
    assert ops.dtype(out) == "int32" and _np(out)[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
    assert layers.MaxPooling2D()(keras.Input((4, 4, 1), dtype="int32")).dtype == "int32"
    assert ops.dtype(layers.GlobalMaxPooling2D()(x)) == "int32"


# ------------------------------------------------------------ across backends
CONSISTENCY_CASES = {
    "max2d_same": (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (2, 7, 6, 3)),
    "max1d_overlap_first": (lambda: layers.MaxPooling1D(3, strides=1, data_format="channels_first"), (2, 3, 8)),
    "avg2d_same": (lambda: layers.AveragePooling2D((3, 2), strides=(2, 1), padding="same"), (2, 5, 6, 2)),
    "avg3d": (lambda: layers.AveragePooling3D(2, padding="same"), (1, 3, 4, 5, 2)),
    "global_avg2d": (lambda: layers.GlobalAveragePooling2D(keepdims=True), (2, 4, 5, 3)),
    "global_max1d": (lambda: layers.GlobalMaxPooling1D(), (2, 6, 3)),
}


@pytest.mark.skipif(len(kb.available_backends()) < 2, reason="needs two backends")
@pytest.mark.parametrize("case", sorted(CONSISTENCY_CASES))
def test_jax_and_numpy_agree_on_outputs_and_gradients(case, rng):
    make_layer, shape = CONSISTENCY_CASES[case]
    run_backend_consistency_test(make_layer, rng.normal(size=shape).astype("float32"), rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(len(kb.available_backends()) < 2, reason="needs two backends")
def test_backends_agree_on_tied_max_pool_gradients():
    x = np.array([[2.0, 2.0, 1.0], [2.0, 0.0, 2.0], [1.0, 2.0, 2.0]], "float32").reshape(1, 3, 3, 1)
    grads = {}
    for name in ("numpy", "jax"):
        with kb.use_backend(name) as b:
            grads[name] = _grad(b, lambda v: ops.max_pool(v, 2, strides=1, padding="same"), x)
    np.testing.assert_array_equal(grads["jax"], grads["numpy"])


# -------------------------------------------------- the standard layer checks
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (layers.MaxPooling2D, {"pool_size": 2, "padding": "same"}, (2, 5, 5, 3), (2, 3, 3, 3)),
        (layers.AveragePooling1D, {"pool_size": 3, "strides": 1}, (2, 5, 3), (2, 3, 3)),
        (layers.GlobalAveragePooling2D, {"keepdims": True}, (2, 4, 4, 3), (2, 1, 1, 3)),
        (layers.GlobalMaxPooling1D, {"data_format": "channels_first"}, (2, 4, 5), (2, 4)),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_run_layer_test(backend, cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )


def test_config_round_trip_and_aliases():
    layer = layers.MaxPooling2D((3, 2), padding="Same", data_format="channels_first", name="p")
    config = layer.get_config()
    assert config["pool_size"] == (3, 2) and config["strides"] == (3, 2) and config["padding"] == "same"
    assert layers.MaxPooling2D.from_config(config).get_config() == config
    again = layers.deserialize(layers.serialize(layers.AveragePooling1D(2, strides=1)))
    assert type(again) is layers.AveragePooling1D and again.strides == (1,)
    g = layers.GlobalMaxPooling2D(keepdims=True)
    assert layers.GlobalMaxPooling2D.from_config(g.get_config()).keepdims is True
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


def test_symbolic_shapes(backend):
    x = keras.Input((None, 7, 3))
    assert layers.MaxPooling2D(2, padding="same")(x).shape == (None, None, 4, 3)
    assert layers.AveragePooling2D(3, strides=2)(x).shape == (None, None, 3, 3)
    assert layers.GlobalMaxPooling2D()(x).shape == (None, 3)
    assert ops.max_pool(x, 2).shape == (None, None, 3, 3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.MaxPooling2D(0), r"pool_size.*Received: pool_size=0"),
        (lambda: layers.MaxPooling2D(2, strides=(1, 2, 3)), r"tuple of 2 integers.*Received: strides=\(1, 2, 3\)"),
        (lambda: layers.AveragePooling1D(2, padding="full"), r"Received: padding='full'"),
        (lambda: layers.GlobalAveragePooling2D(data_format="nchw"), r"Received: data_format='nchw'"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs(backend):
    with pytest.raises(ValueError, match=r"MaxPooling2D.*expected ndim=4, found ndim=3"):
        layers.MaxPooling2D()(np.ones((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D.*expected ndim=3, found ndim=4"):
        layers.GlobalAveragePooling1D()(np.ones((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"output would be empty"):
        layers.AveragePooling2D(5)(np.ones((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"Received: pool_size=\(2, 2\)"):
        ops.max_pool(np.ones((1, 4, 1), "float32"), (2, 2))
    with pytest.raises(TypeError, match=r"avg_pool needs a floating input"):
        ops.average_pool(np.ones((1, 4, 1), "int32"), 2)
