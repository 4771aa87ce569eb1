"""EinsumDense (hand-picked kernels against np.einsum, Keras's weight shapes, fans, errors) and
Lambda (arguments, masks, output shapes, saving by name, the refusal to save a lambda)."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test


def _np(x):
    return ops.convert_to_numpy(x)


# ------------------------------------------------------------------ EinsumDense
def test_einsum_dense_hand_picked(backend, rng):
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", activation="relu")
    x = rng.normal(size=(2, 4, 5)).astype("float32")
    layer(x)
    kernel = rng.normal(size=(5, 2, 3)).astype("float32")
    bias = rng.normal(size=(2, 3)).astype("float32")
    layer.set_weights([kernel, bias])
    expected = np.maximum(np.einsum("abc,cde->abde", x, kernel) + bias, 0.0)
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-5, atol=1e-6)
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]


def test_einsum_dense_is_dense(backend, rng):
    x = rng.normal(size=(3, 4)).astype("float32")
    einsum = layers.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")
    dense = layers.Dense(2)
    einsum(x), dense(x)
    einsum.set_weights(dense.get_weights())
    np.testing.assert_allclose(_np(einsum(x)), _np(dense(x)), rtol=1e-6)


# Kernel, bias and output shapes Keras 3.15 gives for these equations on inputs of
# shape (None, 32, 128) (Keras leaves a shared axis given as None unknown in the
# output; kerasish takes the input's size, which the kernel and bias do not depend on).
KERAS_SHAPES = [
    ("abc,cd->abd", (None, 64), "d", (128, 64), (64,), (None, 32, 64)),
    ("...x,xy->...y", 64, "y", (128, 64), (64,), (None, 32, 64)),
    ("ab...,bc->ac...", (64,), "c", (32, 64), (64, 1), (None, 64, 128)),
    ("abc,cde->abde", (None, 4, 8), "de", (128, 4, 8), (4, 8), (None, 32, 4, 8)),
    ("abc,cde->abde", (None, 4, 8), "e", (128, 4, 8), (8,), (None, 32, 4, 8)),
    ("abc,cde->abde", (None, 4, 8), "d", (128, 4, 8), (4, 1), (None, 32, 4, 8)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, kernel_shape, bias_shape, out_shape", KERAS_SHAPES)
def test_einsum_dense_shapes_match_keras(backend, equation, output_shape, bias_axes, kernel_shape, bias_shape, out_shape):
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes)
    assert layer(keras.Input(shape=(32, 128))).shape == out_shape
    assert tuple(layer.kernel.shape) == kernel_shape
    assert tuple(layer.bias.shape) == bias_shape
    assert layer.compute_output_shape((None, 32, 128)) == out_shape
    x = np.ones((2, 32, 128), "float32")
    assert tuple(ops.shape(layer(x))) == (2, *out_shape[1:])


def test_einsum_dense_ellipsis_values(backend, rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    layer = layers.EinsumDense("...x,xy->...y", output_shape=6)
    out = _np(layer(x))
    np.testing.assert_allclose(out, x @ layer.get_weights()[0], rtol=1e-5, atol=1e-6)
    right = layers.EinsumDense("ab...,bc->ac...", output_shape=(2,), bias_axes="c")
    y = rng.normal(size=(2, 3, 4)).astype("float32")
    right(y)
    kernel, bias = rng.normal(size=(3, 2)).astype("float32"), np.array([[1.0], [-1.0]], "float32")
    right.set_weights([kernel, bias])
    np.testing.assert_allclose(_np(right(y)), np.einsum("ab...,bc->ac...", y, kernel) + bias, rtol=1e-5, atol=1e-6)


def test_einsum_dense_fans_from_the_equation(backend):
    # Keras counts a variance-scaling initializer's fans over the einsum's axes: for
    # "abc,cde->abde" fan_in = 128 and fan_out = 4 * 8, so Glorot's limit is sqrt(6 / 160).
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), kernel_initializer="glorot_uniform")
    layer.build((None, 32, 128))
    values = layer.get_weights()[0]
    limit = np.sqrt(6.0 / (128 + 32))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.95 * limit  # 4096 draws reach close to the limit
    # The layer's own config keeps the initializer as given (no axes: older Keras reads it).
    assert layer.get_config()["kernel_initializer"]["config"] == {"seed": None}
    # Keras 3.15 writes the axes into initializer configs; they are read and honoured.
    explicit = keras.initializers.GlorotUniform.from_config({"seed": 3, "input_axes": [0], "output_axes": [1, 2]})
    assert explicit.get_config() == {"seed": 3, "input_axes": [0], "output_axes": [1, 2]}
    assert np.abs(_np(explicit((128, 4, 8)))).max() <= limit
    # Other initializers see the kernel's own shape.
    const = layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), kernel_initializer="ones")
    const.build((None, 32, 128))
    np.testing.assert_array_equal(const.get_weights()[0], np.ones((128, 4, 8)))


def test_einsum_dense_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match="'ed'.*invalid einsum equation 'ab->b'"):
        layers.EinsumDense("ab->b", output_shape=3, name="ed")(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="must give 2 dimension\\(s\\)"):
        layers.EinsumDense("abc,cd->abd", output_shape=64)(keras.Input(shape=(32, 128)))
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'"):
        layers.EinsumDense("abc,cd->abd", output_shape=(31, 64))(keras.Input(shape=(32, 128)))
    with pytest.raises(ValueError, match="bias dimension 'z' was requested"):
        layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="z")(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match="needs inputs of rank 2"):
        layers.EinsumDense("ab,bc->ac", output_shape=4)(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="kernel dimension 'b'.*unknown size"):
        layers.EinsumDense("abc,bd->acd", output_shape=(None, 4))(keras.Input(shape=(None, 3)))
    with pytest.raises(ValueError, match="every entry of `output_shape`"):
        layers.EinsumDense("ab,bc->ac", output_shape=(0,))
    with pytest.raises(TypeError, match="`equation` must be a string"):
        layers.EinsumDense(3, output_shape=2)
    layer = layers.EinsumDense("...b,bc->...c", output_shape=4)
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        layer(np.ones((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="implies a kernel of shape \\(5, 4\\)"):
        layer(np.ones((2, 5), "float32"))


def test_einsum_dense_config(backend):
    layer = layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d", activation="tanh",
                               kernel_regularizer="l2")
    config = layer.get_config()
    assert config["output_shape"] == (None, 8) and config["equation"] == "abc,cd->abd"
    assert config["bias_axes"] == "d" and config["activation"] == "tanh"
    clone = layers.EinsumDense.from_config(json.loads(json.dumps(config)))
    assert clone.partial_output_shape == (None, 8) and clone.equation == "abc,cd->abd"
    with pytest.raises(ValueError, match="LoRA and quantization are not supported"):
        layers.EinsumDense("ab,bc->ac", output_shape=2, lora_rank=4)


def test_einsum_dense_gradients(backend, rng):
    if not backend.supports_gradient:
        pytest.skip("backend has no gradients")
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="e")
    x = rng.normal(size=(2, 4, 5)).astype("float32")
    layer(x)
    d = rng.normal(size=(2, 4, 2, 3)).astype("float32")

    def objective(params):
        weights, inputs = params
        out, _ = layer.stateless_call(weights, [], inputs)
        return ops.sum(ops.multiply(out, d))

    weights = [v.value for v in layer.trainable_variables]
    _, (g_weights, g_x) = backend.jit(backend.value_and_grad(objective))((weights, backend.convert_to_tensor(x)))
    kernel = layer.get_weights()[0]
    np.testing.assert_allclose(_np(g_weights[0]), np.einsum("abc,abde->cde", x, d), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(g_weights[1]), d.sum(axis=(0, 1, 2)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(g_x), np.einsum("abde,cde->abc", d, kernel), rtol=1e-4, atol=1e-5)


EINSUM_CASES = {
    "dense": ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, (2, 4), (2, 3)),
    "heads": ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"}, (2, 5, 4), (2, 5, 2, 3)),
    "left_ellipsis": ({"equation": "...x,xy->...y", "output_shape": 3, "activation": "tanh"}, (2, 3, 4, 5), (2, 3, 4, 3)),
    "right_ellipsis": ({"equation": "ab...,bc->ac...", "output_shape": (3,), "bias_axes": "c"}, (2, 4, 5), (2, 3, 5)),
}


@pytest.mark.parametrize("case", sorted(EINSUM_CASES))
def test_einsum_dense_run_layer_test(backend, case):
    kwargs, input_shape, output_shape = EINSUM_CASES[case]
    run_layer_test(layers.EinsumDense, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=2 if "bias_axes" in kwargs else 1, supports_masking=False)


def test_einsum_dense_jax_matches_numpy(rng):
    for kwargs, input_shape, _ in EINSUM_CASES.values():
        x = rng.normal(size=input_shape).astype("float32")
        run_backend_consistency_test(lambda kwargs=kwargs: layers.EinsumDense(**kwargs), x)


# ----------------------------------------------------------------------- Lambda
@keras.saving.register_keras_serializable(package="LambdaTests")
def scaled_square(x, factor=1.0):
    return ops.multiply(ops.square(x), factor)


@keras.saving.register_keras_serializable(package="LambdaTests")
def pair_shape(input_shape):
    return (input_shape[0], 2, input_shape[1])


@keras.saving.register_keras_serializable(package="LambdaTests")
def stacked_pair(x):
    return ops.stack([x, ops.negative(x)], axis=1)


def test_lambda_values_and_arguments(backend):
    x = np.array([[1.0, -2.0, 3.0]], "float32")
    np.testing.assert_allclose(_np(layers.Lambda(lambda t: t ** 2)(x)), x ** 2)
    np.testing.assert_allclose(_np(layers.Lambda(scaled_square, arguments={"factor": 0.5})(x)), 0.5 * x ** 2)
    assert layers.Lambda(lambda t: ops.concatenate([t, t], axis=1))(keras.Input((3,))).shape == (None, 6)


def test_lambda_training_and_mask_arguments(backend):
    def fn(x, training=None, mask=None):
        scale = 2.0 if training else 1.0
        return ops.multiply(x, scale) if mask is None else ops.multiply(x, ops.cast(ops.expand_dims(mask, -1), "float32"))

    layer = layers.Lambda(fn)
    x = np.ones((1, 2, 3), "float32")
    np.testing.assert_allclose(_np(layer(x)), x)
    np.testing.assert_allclose(_np(layer(x, training=True)), 2 * x)
    mask = np.array([[True, False]])
    np.testing.assert_allclose(_np(layer(x, mask=mask)), x * mask[..., None])


def test_lambda_output_shape_forms(backend):
    fixed = layers.Lambda(lambda t: ops.reshape(t, (-1, 2, 3)), output_shape=(2, 3))
    assert fixed.compute_output_shape((None, 6)) == (None, 2, 3)
    assert fixed(keras.Input((6,))).shape == (None, 2, 3)
    computed = layers.Lambda(lambda t: ops.stack([t, t], axis=1), output_shape=pair_shape)
    assert computed(keras.Input((4,))).shape == (None, 2, 4)
    inferred = layers.Lambda(lambda t: ops.sum(t, axis=-1))
    assert inferred.compute_output_shape((None, 5, 4)) == (None, 5)
    multi = layers.Lambda(lambda ts: [ts[0] + ts[1], ts[0] * 2])
    assert [t.shape for t in multi([keras.Input((3,)), keras.Input((3,))])] == [(None, 3), (None, 3)]


def test_lambda_masks(backend):
    x = np.array([[[1.0], [0.0]]], "float32")
    passthrough = layers.Lambda(lambda t: t * 2, mask=lambda inputs, mask: mask)
    assert passthrough.supports_masking
    assert _np(passthrough.compute_mask(x, np.array([[True, False]]))).tolist() == [[True, False]]
    constant = layers.Lambda(lambda t: t, mask=np.array([[False, True]]))
    assert _np(constant.compute_mask(x, None)).tolist() == [[False, True]]
    assert layers.Lambda(lambda t: t).compute_mask(x, np.array([[True, True]])) is None
    assert not layers.Lambda(lambda t: t).supports_masking


def test_lambda_saves_named_functions_by_name(backend):
    x = np.array([[1.0, 2.0]], "float32")
    for layer in (
        layers.Lambda(ops.square),
        layers.Lambda(scaled_square, arguments={"factor": np.array([2.0, 3.0], "float32")}),
        layers.Lambda(scaled_square, output_shape=(2,), mask=np.array([[True]])),
        layers.Lambda(scaled_square, output_shape=pair_shape),
    ):
        config = json.loads(json.dumps(layers.serialize(layer)))
        clone = layers.deserialize(config)
        assert clone.function is layer.function
        np.testing.assert_allclose(_np(clone(x)), _np(layer(x)), rtol=1e-6)
    assert layers.Lambda(scaled_square).get_config()["function"]["config"] == "LambdaTests>scaled_square"


def unregistered_cube(x):
    return ops.multiply(ops.square(x), x)


def test_lambda_finds_an_unregistered_function_through_custom_objects(backend):
    layer = layers.Lambda(unregistered_cube)
    config = json.loads(json.dumps(layers.serialize(layer)))
    with pytest.raises(ValueError, match="could not find the function 'unregistered_cube'.*custom_objects"):
        layers.deserialize(config)
    with keras.saving.custom_object_scope({"unregistered_cube": unregistered_cube}):
        clone = layers.deserialize(config)
    assert clone.function is unregistered_cube
    assert layers.Lambda.from_config(layer.get_config(), custom_objects={"unregistered_cube": unregistered_cube})


def test_lambda_refuses_to_save_or_load_bytecode(backend):
    with pytest.raises(ValueError, match="Python lambda or a local function.*does not serialize bytecode"):
        layers.Lambda(lambda t: t).get_config()

    def local(t):
        return t

    with pytest.raises(ValueError, match="local function"):
        layers.Lambda(local).get_config()
    with pytest.raises(ValueError, match="`output_shape`"):
        layers.Lambda(ops.square, output_shape=lambda s: s).get_config()
    with pytest.raises(ValueError, match="neither a named function nor an object with `get_config\\(\\)`"):
        layers.Lambda(functools.partial(scaled_square, factor=2.0)).get_config()
    keras_lambda_config = {"function": {"class_name": "__lambda__", "config": {"code": "4wEA...", "defaults": None,
                                                                              "closure": None}}}
    with pytest.raises(ValueError, match="refused in safe mode"):
        layers.Lambda.from_config(keras_lambda_config)
    with keras.saving.serialization.SafeModeScope(False), pytest.raises(ValueError, match="Could not decode"):
        layers.Lambda.from_config(keras_lambda_config)
    with pytest.raises(ValueError, match="could not find the function 'nowhere'"):
        layers.Lambda.from_config({"function": {"module": "os", "class_name": "function", "config": "nowhere"}})
    # A module outside kerasish is never imported from a config.
    with pytest.raises(ValueError, match="could not find the function 'getcwd'"):
        layers.Lambda.from_config({"function": {"module": "os", "class_name": "function", "config": "getcwd"}})
    found = layers.Lambda.from_config({"function": {"module": "builtins", "class_name": "function", "config": "relu"}})
    assert found.function is ops.relu


def test_lambda_bad_arguments(backend):
    with pytest.raises(TypeError, match="`function` must be callable"):
        layers.Lambda(3)
    with pytest.raises(TypeError, match="`arguments` must be a dict"):
        layers.Lambda(ops.square, arguments=[1])
    with pytest.raises(TypeError, match="`output_shape` must be None, a tuple"):
        layers.Lambda(ops.square, output_shape=5)


def test_lambda_run_layer_test(backend):
    run_layer_test(layers.Lambda, {"function": scaled_square, "arguments": {"factor": 3.0}}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=0, supports_masking=False)
    run_layer_test(layers.Lambda, {"function": stacked_pair, "output_shape": pair_shape}, input_shape=(2, 3),
                   expected_output_shape=(2, 2, 3))
    x = np.array([[1.0, -1.0]], "float32")
    run_layer_test(layers.Lambda, {"function": ops.square}, input_data=x, expected_output=x ** 2)


def test_lambda_in_a_functional_model(backend, rng):
    inputs = keras.Input((4,))
    hidden = layers.Dense(3)(inputs)
    outputs = layers.Lambda(scaled_square, arguments={"factor": 2.0})(hidden)
    model = keras.Model(inputs, outputs)
    x = rng.normal(size=(5, 4)).astype("float32")
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(_np(model(x)), 2.0 * (x @ kernel + bias) ** 2, rtol=1e-5, atol=1e-6)
    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_np(clone(x)), _np(model(x)), rtol=1e-6)
