"""Reshaping layers (Reshape, Permute, RepeatVector, Cropping, ZeroPadding, UpSampling) and the
axis/grid ops added with them: values against NumPy, shapes, errors, gradients, jit, JAX vs NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test


def _np(x):
    return ops.convert_to_numpy(x)


def _input_grad(backend, layer, x, direction):
    """d/dx sum(layer(x) * direction), through the backend's autodiff."""

    def objective(value):
        return ops.sum(ops.multiply(layer(value), direction))

    _, grad = backend.jit(backend.value_and_grad(objective))(backend.convert_to_tensor(x))
    return np.asarray(backend.to_numpy(grad))


# --------------------------------------------------------------------- Reshape
def test_reshape_values_and_inferred_axis(backend):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(_np(layers.Reshape((4, 3))(x)), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(_np(layers.Reshape((-1, 2))(x)), x.reshape(2, 6, 2))
    np.testing.assert_array_equal(_np(layers.Reshape([12])(x)), x.reshape(2, 12))
    assert layers.Reshape((3, 4))(keras.Input(shape=(12,))).shape == (None, 3, 4)
    assert layers.Reshape((-1, 2, 2))(keras.Input(shape=(12,))).shape == (None, 3, 2, 2)
    # An unknown input axis leaves the inferred axis unknown.
    assert layers.Reshape((-1, 2))(keras.Input(shape=(None, 4))).shape == (None, None, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert layers.Reshape((2,)).built


def test_reshape_keeps_integer_dtype(backend):
    x = np.arange(6, dtype="int32").reshape(1, 6)
    out = layers.Reshape((2, 3))(x)
    assert ops.dtype(out) == "int32"
    assert layers.Reshape((2, 3))(keras.Input(shape=(6,), dtype="int32")).dtype == "int32"


def test_reshape_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match="more than one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="positive integer or -1. Received: target_shape=\\(0, 2\\)"):
        layers.Reshape((0, 2))
    with pytest.raises(ValueError, match="must be a tuple of integers"):
        layers.Reshape(5)
    layer = layers.Reshape((5,), name="reshape_bad")
    with pytest.raises(ValueError, match="'reshape_bad'.*total size of the tensor must be unchanged"):
        layer(np.ones((2, 6), "float32"))
    with pytest.raises(ValueError, match="cannot be divided"):
        layers.Reshape((-1, 4))(keras.Input(shape=(6,)))


# --------------------------------------------------------------------- Permute
def test_permute_values_and_shapes(backend):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(_np(layers.Permute((2, 1))(x)), x.transpose(0, 2, 1))
    y = np.arange(120, dtype="float32").reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(_np(layers.Permute((3, 1, 2))(y)), y.transpose(0, 3, 1, 2))
    assert layers.Permute((2, 1))(keras.Input(shape=(10, 64))).shape == (None, 64, 10)


def test_permute_errors(backend):
    with pytest.raises(ValueError, match="consecutive and start from 1.*Received: dims=\\(0, 1\\)"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="consecutive"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match="'permute_rank'.*expected ndim=3, found ndim=4"):
        layers.Permute((2, 1), name="permute_rank")(np.ones((1, 2, 3, 4), "float32"))


# ---------------------------------------------------------------- RepeatVector
def test_repeat_vector(backend):
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    expected = np.repeat(x[:, None, :], 3, axis=1)
    np.testing.assert_array_equal(_np(layers.RepeatVector(3)(x)), expected)
    assert layers.RepeatVector(3)(keras.Input(shape=(32,))).shape == (None, 3, 32)
    with pytest.raises(TypeError, match="integer value for `n`"):
        layers.RepeatVector(2.5)
    with pytest.raises(ValueError, match="positive integer. Received: n=0"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        layers.RepeatVector(2)(np.ones((1, 2, 3), "float32"))


# -------------------------------------------------------------------- Cropping
def test_cropping1d(backend):
    x = np.arange(12).reshape(2, 3, 2)
    assert _np(layers.Cropping1D(cropping=1)(x)).tolist() == [[[2, 3]], [[8, 9]]]
    y = np.arange(40, dtype="float32").reshape(2, 5, 4)
    np.testing.assert_array_equal(_np(layers.Cropping1D((2, 0))(y)), y[:, 2:, :])
    np.testing.assert_array_equal(_np(layers.Cropping1D((0, 3))(y)), y[:, :2, :])
    assert layers.Cropping1D((1, 2))(keras.Input(shape=(None, 4))).shape == (None, None, 4)
    with pytest.raises(ValueError, match="must together be smaller"):
        layers.Cropping1D((2, 3))(y)
    with pytest.raises(ValueError, match=">= 0. Received: cropping=\\(-1, 0\\)"):
        layers.Cropping1D((-1, 0))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cropping2d(backend, data_format):
    x = np.arange(2 * 6 * 7 * 3, dtype="float32").reshape(2, 6, 7, 3)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    layer = layers.Cropping2D(((1, 2), (3, 0)), data_format=data_format)
    expected = x[:, 1:4, 3:, :] if data_format == "channels_last" else x[:, :, 1:4, 3:]
    np.testing.assert_array_equal(_np(layer(x)), expected)
    assert layers.Cropping2D(1, data_format=data_format)(x).shape == (
        (2, 4, 5, 3) if data_format == "channels_last" else (2, 3, 4, 5)
    )
    assert layers.Cropping2D((1, 2)).cropping == ((1, 1), (2, 2))
    with pytest.raises(ValueError, match="must together be smaller"):
        layers.Cropping2D(((3, 3), (0, 0)), data_format=data_format)(x)


def test_cropping2d_bad_arguments(backend):
    with pytest.raises(ValueError, match="a tuple of 2 tuples of 2 ints. Received: cropping=\\(1, 2, 3\\)"):
        layers.Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="data_format"):
        layers.Cropping2D(1, data_format="channels_middle")
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.Cropping2D(1)(np.ones((1, 4, 4), "float32"))


# ----------------------------------------------------------------- ZeroPadding
def test_zero_padding1d(backend):
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    np.testing.assert_array_equal(_np(layers.ZeroPadding1D(2)(x)), np.pad(x, ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(_np(layers.ZeroPadding1D((0, 1))(x)), np.pad(x, ((0, 0), (0, 1), (0, 0))))
    cf = layers.ZeroPadding1D((1, 2), data_format="channels_first")
    np.testing.assert_array_equal(_np(cf(x)), np.pad(x, ((0, 0), (0, 0), (1, 2))))
    assert layers.ZeroPadding1D(1)(keras.Input(shape=(None, 3))).shape == (None, None, 3)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding2d(backend, data_format):
    x = np.arange(2 * 3 * 4 * 2, dtype="float32").reshape(2, 3, 4, 2)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    layer = layers.ZeroPadding2D(((1, 0), (2, 3)), data_format=data_format)
    pad = ((0, 0), (1, 0), (2, 3), (0, 0)) if data_format == "channels_last" else ((0, 0), (0, 0), (1, 0), (2, 3))
    np.testing.assert_array_equal(_np(layer(x)), np.pad(x, pad))
    assert layers.ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert layers.ZeroPadding2D(1)(keras.Input(shape=(3, 4, 2))).shape == (None, 5, 6, 2)


# ------------------------------------------------------------------ UpSampling
def test_upsampling1d(backend):
    x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    assert _np(layers.UpSampling1D(size=2)(x)).tolist() == [
        [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [3.0, 4.0, 5.0]]
    ]
    assert layers.UpSampling1D(3)(keras.Input(shape=(4, 2))).shape == (None, 12, 2)
    with pytest.raises(TypeError, match="integer value for `size`"):
        layers.UpSampling1D((2, 2))
    with pytest.raises(ValueError, match="positive integer"):
        layers.UpSampling1D(0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling2d_nearest(backend, data_format):
    x = np.arange(2 * 2 * 3 * 2, dtype="float32").reshape(2, 2, 3, 2)
    expected = x.repeat(2, axis=1).repeat(3, axis=2)
    if data_format == "channels_first":
        x, expected = x.transpose(0, 3, 1, 2), expected.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(_np(layers.UpSampling2D((2, 3), data_format=data_format)(x)), expected)


def _bilinear_reference(image, fy, fx):
    """Per-pixel half-pixel-center bilinear upsampling of a 2-D image, edges clamped."""
    h, w = image.shape
    out = np.zeros((h * fy, w * fx))
    for i in range(h * fy):
        for j in range(w * fx):
            sy = min(max((i + 0.5) / fy - 0.5, 0.0), h - 1)
            sx = min(max((j + 0.5) / fx - 0.5, 0.0), w - 1)
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            wy, wx = sy - y0, sx - x0
            out[i, j] = ((1 - wy) * (1 - wx) * image[y0, x0] + (1 - wy) * wx * image[y0, x1]
                         + wy * (1 - wx) * image[y1, x0] + wy * wx * image[y1, x1])
    return out


def test_upsampling2d_bilinear(backend, rng):
    # Keras 3.15 (JAX backend) gives these numbers for this input.
    x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    keras_values = [[0.0, 0.25, 0.75, 1.25, 1.75, 2.0], [0.75, 1.0, 1.5, 2.0, 2.5, 2.75],
                    [2.25, 2.5, 3.0, 3.5, 4.0, 4.25], [3.0, 3.25, 3.75, 4.25, 4.75, 5.0]]
    out = _np(layers.UpSampling2D((2, 2), interpolation="bilinear")(x))
    np.testing.assert_allclose(out[0, :, :, 0], keras_values, rtol=1e-6)
    images = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    out = _np(layers.UpSampling2D((3, 2), interpolation="BILINEAR")(images))
    for b in range(2):
        for c in range(2):
            np.testing.assert_allclose(out[b, :, :, c], _bilinear_reference(images[b, :, :, c], 3, 2), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="'nearest', 'bilinear'.*Received: interpolation='bicubic'"):
        layers.UpSampling2D(interpolation="bicubic")


# ------------------------------------------------------------------ gradients
def test_reshaping_gradients(backend, rng):
    if not backend.supports_gradient:
        pytest.skip("backend has no gradients")
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    d = rng.normal(size=(2, 2, 3)).astype("float32")
    np.testing.assert_allclose(_input_grad(backend, layers.Cropping1D((1, 2)), x, d),
                               np.pad(d, ((0, 0), (1, 2), (0, 0))), rtol=1e-6)
    d = rng.normal(size=(2, 8, 3)).astype("float32")
    np.testing.assert_allclose(_input_grad(backend, layers.ZeroPadding1D((1, 2)), x, d), d[:, 1:6, :], rtol=1e-6)
    d = rng.normal(size=(2, 10, 3)).astype("float32")
    np.testing.assert_allclose(_input_grad(backend, layers.UpSampling1D(2), x, d),
                               d.reshape(2, 5, 2, 3).sum(axis=2), rtol=1e-5, atol=1e-6)
    d = rng.normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(_input_grad(backend, layers.Permute((2, 1)), x, d), d.transpose(0, 2, 1), rtol=1e-6)
    # Bilinear: the gradient is the transpose of the interpolation, checked on a 1-D row.
    image = rng.normal(size=(1, 1, 4, 1)).astype("float32")
    d = rng.normal(size=(1, 1, 12, 1)).astype("float32")
    basis = np.stack([_bilinear_reference(np.eye(4)[k][None, :], 1, 3)[0] for k in range(4)])  # (4, 12)
    grad = _input_grad(backend, layers.UpSampling2D((1, 3), interpolation="bilinear"), image, d)
    np.testing.assert_allclose(grad[0, 0, :, 0], basis @ d[0, 0, :, 0], rtol=1e-5, atol=1e-6)


# ------------------------------------------- the standard checks, jit included
CASES = {
    "reshape": (layers.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2)),
    "permute": (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    "repeat_vector": (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    "cropping1d": (layers.Cropping1D, {"cropping": (1, 0)}, (2, 4, 3), (2, 3, 3)),
    "cropping2d": (layers.Cropping2D, {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 3), (2, 3, 3, 3)),
    "cropping2d_cf": (layers.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4, 5), (2, 3, 2, 3)),
    "zero_padding1d": (layers.ZeroPadding1D, {"padding": (2, 1)}, (2, 4, 3), (2, 7, 3)),
    "zero_padding2d": (layers.ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, (2, 3, 4, 2), (2, 6, 5, 2)),
    "zero_padding2d_cf": (layers.ZeroPadding2D, {"data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 5, 6)),
    "up_sampling1d": (layers.UpSampling1D, {"size": 3}, (2, 4, 3), (2, 12, 3)),
    "up_sampling2d": (layers.UpSampling2D, {"size": (2, 1)}, (2, 3, 4, 2), (2, 6, 4, 2)),
    "up_sampling2d_bilinear": (layers.UpSampling2D, {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 2), (2, 6, 8, 2)),
    "up_sampling2d_bilinear_cf": (layers.UpSampling2D, {"size": (3, 2), "interpolation": "bilinear",
                                                        "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 9, 8)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_layer_test(backend, case):
    cls, kwargs, input_shape, output_shape = CASES[case]
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0, supports_masking=False)


def test_jax_matches_numpy(rng):
    # One case per layer class (each distinct computation; the rest only change shapes).
    for case in ["cropping2d_cf", "permute", "repeat_vector", "reshape", "up_sampling1d",
                 "up_sampling2d_bilinear_cf", "zero_padding2d"]:
        cls, kwargs, input_shape, _ = CASES[case]
        x = rng.normal(size=input_shape).astype("float32")
        run_backend_consistency_test(lambda cls=cls, kwargs=kwargs: cls(**kwargs), x)


def test_in_a_functional_model_with_config_round_trip(backend, rng):
    inputs = keras.Input(shape=(4, 6, 2))
    x = layers.ZeroPadding2D(1)(inputs)
    x = layers.Cropping2D(((0, 2), (1, 1)))(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.Reshape((-1, 2))(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Cropping1D((0, 1))(x)
    outputs = layers.Dense(3)(layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (None, 3)
    data = rng.normal(size=(2, 4, 6, 2)).astype("float32")
    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_np(clone(data)), _np(model(data)), rtol=1e-6)


def test_flatten_still_importable_from_the_package():
    from kerasish.layers.reshaping import Flatten

    assert Flatten is layers.Flatten


# ------------------------------------------------------------ ops added here
def test_moveaxis_swapaxes(backend):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(_np(ops.moveaxis(x, 0, -1)), np.moveaxis(x, 0, -1))
    np.testing.assert_array_equal(_np(ops.moveaxis(x, [0, 1], [-1, -2])), np.moveaxis(x, [0, 1], [-1, -2]))
    np.testing.assert_array_equal(_np(ops.swapaxes(x, 0, 2)), np.swapaxes(x, 0, 2))
    assert ops.moveaxis(keras.Input(shape=(3, 4)), 1, 2).shape == (None, 4, 3)
    with pytest.raises(ValueError, match="out of bounds"):
        ops.swapaxes(x, 0, 3)
    with pytest.raises(ValueError, match="same number of elements"):
        ops.moveaxis(x, [0, 1], [2])


@pytest.mark.parametrize("args, kwargs", [
    ((0, 1, 5), {}), ((2.0, 3.0, 5), {"endpoint": False}), ((0, 10, 1), {}), ((1.0, 2.0, 0), {}),
    ((np.array([0.0, 1.0]), 5.0, 4), {}), ((np.array([0.0, 1.0]), np.array([1.0, 3.0]), 3), {"axis": 1}),
])
def test_linspace(backend, args, kwargs):
    np.testing.assert_allclose(_np(ops.linspace(*args, **kwargs)), np.linspace(*args, **kwargs), rtol=1e-6)


def test_linspace_retstep_and_dtype(backend):
    values, step = ops.linspace(0.0, 1.0, 5, retstep=True)
    np.testing.assert_allclose(float(_np(step)), 0.25)
    assert ops.dtype(ops.linspace(0, 4, 5, dtype="int32")) == "int32"
    assert ops.dtype(values) == "float32"


def test_meshgrid_ravel_stack(backend):
    a, b, c = np.arange(2.0), np.arange(3.0), np.arange(4.0)
    for indexing in ("xy", "ij"):
        for got, want in zip(ops.meshgrid(a, b, c, indexing=indexing), np.meshgrid(a, b, c, indexing=indexing)):
            np.testing.assert_array_equal(_np(got), want)
    with pytest.raises(ValueError, match="'xy' or 'ij'"):
        ops.meshgrid(a, b, indexing="yx")
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_np(ops.ravel(x)), x.ravel())
    np.testing.assert_array_equal(_np(ops.hstack([x, x])), np.hstack([x, x]))
    np.testing.assert_array_equal(_np(ops.vstack([x, x])), np.vstack([x, x]))
    np.testing.assert_array_equal(_np(ops.vstack([a, a])), np.vstack([a, a]))
    np.testing.assert_array_equal(_np(ops.hstack([a, c])), np.hstack([a, c]))


def test_new_ops_under_jit(backend):
    def fn(x):
        grid = ops.meshgrid(ops.linspace(0.0, 1.0, 3), ops.ravel(x))
        return ops.add(ops.swapaxes(grid[0], 0, 1), ops.moveaxis(grid[1], 0, 1))

    x = np.arange(4.0, dtype="float32")
    expected = np.meshgrid(np.linspace(0, 1, 3), x)
    np.testing.assert_allclose(_np(backend.jit(fn)(x)), expected[0].T + expected[1].T, rtol=1e-6)
