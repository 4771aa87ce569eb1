"""kerasish.testing: run_layer_test passes good layers and fails deliberately broken ones, naming
the failed check; run_backend_consistency_test catches a backend that computes differently."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import ops
from kerasish.testing import (
    LayerTestError,
    make_input_data,
    run_backend_consistency_test,
    run_layer_test,
)


class Scale(keras.Layer):
    """A correct layer with one weight and one constructor argument: `inputs * w * factor`."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.built = True

    def call(self, inputs):
        return ops.multiply(ops.multiply(inputs, self.w), self.factor)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class ForgetsFactor(Scale):
    """Broken: get_config loses `factor`, so a layer rebuilt from it computes something else."""

    def get_config(self):
        config = super().get_config()
        del config["factor"]
        return config


class ForgetsRequiredArgument(keras.Layer):
    """Broken: get_config loses a required argument, so from_config cannot rebuild it."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return inputs

    def get_config(self):
        return super().get_config()


class WrongOutputShape(Scale):
    """Broken: compute_output_shape disagrees with what call returns."""

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


class WrongSymbolicDtype(keras.Layer):
    """Broken: says its output is float32 but returns integers."""

    def call(self, inputs):
        return ops.cast(inputs, "int32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Frozen(Scale):
    """Broken: its weight never receives a gradient."""

    def call(self, inputs):
        return ops.multiply(inputs, ops.stop_gradient(self.w))


class NotJittable(Scale):
    """Broken under compilation: reads a tensor's value as a Python number."""

    def call(self, inputs):
        if float(ops.convert_to_numpy(ops.max(inputs))) > 1e9:
            return inputs
        return super().call(inputs)


class Unserializable(Scale):
    """Broken: its config holds an object JSON cannot write."""

    def get_config(self):
        return {**super().get_config(), "factor": object()}


class BackendDependent(Scale):
    """Broken: computes something slightly different on one backend."""

    def call(self, inputs):
        out = super().call(inputs)
        return ops.add(out, 1e-3) if kb.backend() == "jax" else out


def test_a_correct_layer_passes(backend):
    run_layer_test(Scale, {"factor": 2.0}, input_shape=(3, 4), expected_output_shape=(3, 4),
                   expected_output_dtype="float32", expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=0, expected_num_non_trainable_variables=0,
                   expected_num_losses=0, supports_masking=False)
    x = np.array([[1.0, -2.0]], "float32")
    run_layer_test(Scale, {"factor": 3.0}, input_data=x, expected_output=3.0 * x)
    run_layer_test(keras.layers.Dense, {"units": 3}, input_shape=(2, 4), expected_output_shape=(2, 3),
                   expected_num_trainable_weights=2)


def unregistered_double(x):
    return ops.multiply(x, 2.0)


def test_custom_objects_reach_from_config(backend):
    with pytest.raises(LayerTestError, match="could not find the function 'unregistered_double'"):
        run_layer_test(keras.layers.Lambda, {"function": unregistered_double})
    run_layer_test(keras.layers.Lambda, {"function": unregistered_double}, input_shape=(2, 3),
                   custom_objects={"unregistered_double": unregistered_double})


def test_config_only_without_inputs(backend):
    run_layer_test(Scale, {"factor": 2.0})
    with pytest.raises(LayerTestError, match="ForgetsRequiredArgument: config check failed. from_config"):
        run_layer_test(ForgetsRequiredArgument, {"units": 3})


def test_fails_when_get_config_loses_an_argument(backend):
    with pytest.raises(LayerTestError, match="ForgetsFactor: config round trip check failed.*rebuilt from get_config"):
        run_layer_test(ForgetsFactor, {"factor": 2.0}, input_shape=(3, 4))


def test_fails_on_an_unserializable_config(backend):
    with pytest.raises(LayerTestError, match="config check failed. get_config\\(\\) must return JSON-serializable"):
        run_layer_test(Unserializable, {"factor": 2.0}, input_shape=(3, 4))


def test_fails_on_a_wrong_output_shape(backend):
    with pytest.raises(LayerTestError, match="WrongOutputShape: eager call check failed.*symbolic call said"):
        run_layer_test(WrongOutputShape, {}, input_shape=(3, 4))


def test_fails_on_a_wrong_symbolic_dtype(backend):
    with pytest.raises(LayerTestError, match="dtype int32, but the symbolic call said float32"):
        run_layer_test(WrongSymbolicDtype, {}, input_shape=(3, 4))


def test_fails_when_weights_do_not_train(backend):
    if not backend.supports_gradient:
        pytest.skip("backend has no gradients")
    with pytest.raises(LayerTestError, match="Frozen: training check failed. No trainable weight changed"):
        run_layer_test(Frozen, {}, input_shape=(3, 4))
    run_layer_test(Frozen, {}, input_shape=(3, 4), run_training_check=False)


def test_fails_when_the_call_cannot_be_compiled(backend):
    if not backend.supports_jit:
        pytest.skip("backend does not compile")
    with pytest.raises(LayerTestError, match="NotJittable: jit check failed"):
        run_layer_test(NotJittable, {}, input_shape=(3, 4), run_training_check=False)


def test_fails_on_wrong_expectations(backend):
    with pytest.raises(LayerTestError, match="build check failed. Expected 2 trainable_weights, found 1"):
        run_layer_test(Scale, {}, input_shape=(3, 4), expected_num_trainable_weights=2)
    with pytest.raises(LayerTestError, match="symbolic call check failed. Expected output shape"):
        run_layer_test(Scale, {}, input_shape=(3, 4), expected_output_shape=(3, 5))
    with pytest.raises(LayerTestError, match="expected_output: output 0 differs"):
        run_layer_test(Scale, {}, input_data=np.ones((1, 2), "float32"), expected_output=np.zeros((1, 2)))
    with pytest.raises(LayerTestError, match="masking check failed"):
        run_layer_test(Scale, {}, input_shape=(3, 4), supports_masking=True)
    with pytest.raises(LayerTestError, match="Expected 1 losses, found 0"):
        run_layer_test(Scale, {}, input_shape=(3, 4), expected_num_losses=1)
    with pytest.raises(LayerTestError, match="dtype float32, expected int32"):
        run_layer_test(Scale, {}, input_shape=(3, 4), expected_output_dtype="int32")


def test_bad_argument_combinations():
    with pytest.raises(ValueError, match="not both"):
        run_layer_test(Scale, {}, input_shape=(1, 2), input_data=np.ones((1, 2)))
    with pytest.raises(ValueError, match="needs `input_data`"):
        run_layer_test(Scale, {}, input_shape=(1, 2), expected_output=np.ones((1, 2)))
    with pytest.raises(ValueError, match="needs `supports_masking=True`"):
        run_layer_test(Scale, {}, input_shape=(1, 2), expected_mask_shape=(1,))


def test_layer_test_error_is_an_assertion_error():
    assert issubclass(LayerTestError, AssertionError)


def test_make_input_data():
    a = make_input_data((2, 3))
    np.testing.assert_array_equal(a, make_input_data((2, 3)))
    assert a.dtype == np.float32 and (a >= 0).all() and (a < 3).all()
    ints, floats = make_input_data([(2, 3), (2,)], ["int32", "float32"])
    assert ints.dtype == np.int32 and set(np.unique(ints)) <= {0, 1, 2} and floats.shape == (2,)
    assert {k: v.shape for k, v in make_input_data({"a": (1, 2), "b": (3,)}).items()} == {"a": (1, 2), "b": (3,)}


def test_backend_consistency(rng):
    x = rng.normal(size=(3, 4)).astype("float32")
    run_backend_consistency_test(lambda: Scale(factor=2.0), x)
    run_backend_consistency_test(lambda: keras.layers.Dense(3, activation="tanh"), x)
    if len(kb.available_backends()) > 1:
        with pytest.raises(LayerTestError, match="backend 'jax' disagrees with 'numpy' on outputs"):
            run_backend_consistency_test(lambda: BackendDependent(), x)
