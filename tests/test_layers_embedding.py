"""Embedding: lookups with hand-picked tables, the padding mask through models, gradients
(repeated indices accumulate), config, errors, jit, JAX vs NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test

TABLE = np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0], [3.0, 0.25]], "float32")


def _np(x):
    return ops.convert_to_numpy(x)


def _layer(**kwargs):
    layer = layers.Embedding(4, 2, **kwargs)
    layer.build()
    layer.set_weights([TABLE])
    return layer


def test_lookup_hand_picked(backend):
    layer = _layer()
    idx = np.array([[1, 3, 0], [2, 2, 1]])
    np.testing.assert_array_equal(_np(layer(idx)), TABLE[idx])
    assert [w.path for w in layer.weights] == [f"{layer.name}/embeddings"]
    assert layer.count_params() == 8
    # Float and int64 indices are looked up too (floats are cast to int32, as Keras does).
    np.testing.assert_array_equal(_np(layer(idx.astype("float32"))), TABLE[idx])
    np.testing.assert_array_equal(_np(layer(idx.astype("int64"))), TABLE[idx])
    # Any input rank: each index becomes a vector.
    np.testing.assert_array_equal(_np(layer(np.array([3, 1]))), TABLE[[3, 1]])
    assert ops.dtype(layer(idx)) == "float32"


def test_symbolic_shapes(backend):
    layer = layers.Embedding(1000, 64)
    assert layer(keras.Input(shape=(10,), dtype="int32")).shape == (None, 10, 64)
    assert layer.compute_output_shape((None, 7)) == (None, 7, 64)
    model = keras.Sequential([keras.Input(shape=(10,), dtype="int32"), layers.Embedding(1000, 64)])
    assert model.output_shape == (None, 10, 64)


def test_mask_zero(backend):
    idx = np.array([[1, 3, 0], [0, 2, 0]])
    layer = _layer(mask_zero=True)
    assert layer.supports_masking
    assert _np(layer.compute_mask(idx)).tolist() == [[True, True, False], [False, True, False]]
    plain = _layer()
    assert not plain.supports_masking
    assert plain.compute_mask(idx) is None


class _MaskedMean(keras.Layer):
    """Averages over time, skipping masked steps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, ops.dtype(inputs)), -1)
        return ops.divide(ops.sum(ops.multiply(inputs, weights), axis=1), ops.sum(weights, axis=1))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def test_mask_reaches_later_layers(backend):
    idx = np.array([[1, 3, 0], [2, 0, 0]])
    expected = np.array([(TABLE[1] + TABLE[3]) / 2, TABLE[2]])
    seq = keras.Sequential([keras.Input(shape=(3,), dtype="int32"), _layer(mask_zero=True), _MaskedMean()])
    np.testing.assert_allclose(_np(seq(idx)), expected, rtol=1e-6)
    inputs = keras.Input(shape=(3,), dtype="int32")
    hidden = layers.Dense(2, kernel_initializer="identity", use_bias=False)(_layer(mask_zero=True)(inputs))
    functional = keras.Model(inputs, _MaskedMean()(hidden))
    np.testing.assert_allclose(_np(functional(idx)), expected, rtol=1e-6)
    # Without mask_zero the padding rows are averaged in.
    unmasked = keras.Sequential([keras.Input(shape=(3,), dtype="int32"), _layer(), _MaskedMean()])
    np.testing.assert_allclose(_np(unmasked(idx)), TABLE[idx].mean(axis=1), rtol=1e-6)


def test_gradient_accumulates_over_repeated_indices(backend, rng):
    if not backend.supports_gradient:
        pytest.skip("backend has no gradients")
    layer = _layer()
    idx = np.array([[1, 1, 3], [0, 1, 3]])
    direction = rng.normal(size=(2, 3, 2)).astype("float32")

    def objective(table):
        out, _ = layer.stateless_call([table], [], idx)
        return ops.sum(ops.multiply(out, direction))

    _, grad = backend.jit(backend.value_and_grad(objective))(backend.convert_to_tensor(TABLE))
    expected = np.zeros_like(TABLE)
    np.add.at(expected, idx.reshape(-1), direction.reshape(-1, 2))
    np.testing.assert_allclose(np.asarray(backend.to_numpy(grad)), expected, rtol=1e-6)


def test_default_initializer_and_config(backend):
    layer = layers.Embedding(50, 8, embeddings_regularizer="l2", mask_zero=True)
    layer.build()
    values = layer.get_weights()[0]
    # "uniform" is RandomUniform(-0.05, 0.05), as in Keras.
    assert values.shape == (50, 8) and np.abs(values).max() <= 0.05 and values.std() > 0.01
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["minval"] == -0.05
    assert {"input_dim": 50, "output_dim": 8, "mask_zero": True}.items() <= config.items()
    assert {"embeddings_regularizer", "embeddings_constraint", "activity_regularizer"} <= set(config)
    clone = layers.Embedding.from_config(config)
    assert (clone.input_dim, clone.output_dim, clone.mask_zero) == (50, 8, True)
    assert len(layer.losses) == 1  # the l2 penalty of the table


def test_weights_argument_and_deprecated_input_length(backend):
    layer = layers.Embedding(4, 2, weights=TABLE)
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], TABLE)
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        layers.Embedding(4, 2, input_length=3)


def test_bad_arguments(backend):
    with pytest.raises(ValueError, match="`input_dim` must be a positive integer. Received: input_dim=0"):
        layers.Embedding(0, 2)
    with pytest.raises(ValueError, match="`output_dim` must be a positive integer. Received: output_dim=2.5"):
        layers.Embedding(4, 2.5)
    with pytest.raises(ValueError, match="LoRA and quantization are not supported"):
        layers.Embedding(4, 2, lora_rank=2)
    with pytest.raises(ValueError, match="not compatible with provided weight shape \\(2, 4, 2\\)"):
        layers.Embedding(4, 2, weights=[TABLE, TABLE])


@pytest.mark.parametrize("mask_zero", [False, True])
def test_run_layer_test(backend, mask_zero):
    run_layer_test(
        layers.Embedding, {"input_dim": 5, "output_dim": 3, "mask_zero": mask_zero}, input_shape=(2, 4),
        input_dtype="int32", expected_output_shape=(2, 4, 3), expected_output_dtype="float32",
        expected_num_trainable_weights=1, expected_num_non_trainable_weights=0, supports_masking=mask_zero,
        expected_mask_shape=(2, 4) if mask_zero else None,
    )


def test_run_layer_test_expected_output(backend):
    idx = np.array([[3, 0, 2]], "int32")
    run_layer_test(layers.Embedding, {"input_dim": 4, "output_dim": 2, "weights": TABLE}, input_data=idx,
                   expected_output=TABLE[idx], run_training_check=False)


def test_jax_matches_numpy(rng):
    idx = rng.integers(0, 6, size=(3, 5)).astype("int32")
    run_backend_consistency_test(lambda: layers.Embedding(6, 4), idx)
