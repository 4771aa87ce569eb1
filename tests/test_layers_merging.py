"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
functional forms: values against NumPy, broadcasting, masks as Keras merges them, errors,
gradients, jit, JAX vs NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops
from kerasish.testing import run_backend_consistency_test, run_layer_test


def _np(x):
    return ops.convert_to_numpy(x)


@pytest.fixture
def three(rng):
    return [rng.normal(size=(2, 3, 4)).astype("float32") for _ in range(3)]


ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: xs[0] + xs[1] + xs[2]),
    "Multiply": (layers.Multiply, layers.multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    "Average": (layers.Average, layers.average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    "Maximum": (layers.Maximum, layers.maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    "Minimum": (layers.Minimum, layers.minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_values(backend, three, name):
    cls, fn, reference = ELEMENTWISE[name]
    expected = reference([x.astype("float64") for x in three])
    np.testing.assert_allclose(_np(cls()(three)), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(fn(three)), expected, rtol=1e-6, atol=1e-6)
    symbolic = fn([keras.Input(shape=(3, 4)) for _ in range(3)])
    assert symbolic.shape == (None, 3, 4)


def test_subtract(backend, three):
    np.testing.assert_allclose(_np(layers.Subtract()(three[:2])), three[0] - three[1], rtol=1e-6)
    np.testing.assert_allclose(_np(layers.subtract(three[:2])), three[0] - three[1], rtol=1e-6)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()(three)


def test_broadcasting_and_rank_expansion(backend, rng):
    a = rng.normal(size=(2, 4, 3)).astype("float32")
    b = rng.normal(size=(2, 3)).astype("float32")
    c = rng.normal(size=(2, 1, 3)).astype("float32")
    # A lower-rank input gets size-1 axes after its batch axis, as in Keras.
    np.testing.assert_allclose(_np(layers.Add()([a, b])), a + b[:, None, :], rtol=1e-6)
    np.testing.assert_allclose(_np(layers.Multiply()([a, c])), a * c, rtol=1e-6)
    assert layers.Add().compute_output_shape([(2, 4, 3), (2, 3)]) == (2, 4, 3)
    assert layers.Add()([keras.Input(shape=(4, 3)), keras.Input(shape=(1, 3))]).shape == (None, 4, 3)
    assert layers.Maximum().compute_output_shape([(None, None, 3), (None, 5, 1)]) == (None, 5, 3)


def test_elementwise_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match="'add_bad'.*incompatible shapes: \\(3,\\) and \\(4,\\)"):
        layers.Add(name="add_bad")([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Multiply()([np.ones((2, 3), "float32"), np.ones((3, 3), "float32")])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Average()([keras.Input(shape=(3,)), keras.Input(shape=(5,))])


def test_output_dtypes_follow_the_inputs(backend):
    ints = [np.array([[1, 2]], "int32"), np.array([[3, 4]], "int32")]
    assert ops.dtype(layers.Add()(ints)) == "int32"
    assert layers.Add()([keras.Input((2,), dtype="int32"), keras.Input((2,), dtype="int32")]).dtype == "int32"
    assert ops.dtype(layers.Average()(ints)) == "float32"
    assert layers.Average()([keras.Input((2,), dtype="int32"), keras.Input((2,), dtype="int32")]).dtype == "float32"
    np.testing.assert_allclose(_np(layers.Average()(ints)), [[2.0, 3.0]])


# ------------------------------------------------------------------ Concatenate
def test_concatenate(backend, rng):
    x = np.arange(20).reshape(2, 2, 5)
    y = np.arange(20, 30).reshape(2, 1, 5)
    np.testing.assert_array_equal(_np(layers.Concatenate(axis=1)([x, y])), np.concatenate([x, y], axis=1))
    a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(_np(layers.concatenate([a, b])), np.concatenate([a, b], axis=-1))
    assert layers.concatenate([keras.Input((3,)), keras.Input((4,))]).shape == (None, 7)
    assert layers.Concatenate(axis=1)([keras.Input((None, 2)), keras.Input((3, 2))]).shape == (None, None, 2)
    assert layers.Concatenate(axis=-2).compute_output_shape([(None, 2, 5), (None, 1, 5)]) == (None, 3, 5)


def test_concatenate_errors(backend):
    with pytest.raises(ValueError, match="'cat'.*matching shapes except for the concatenation axis"):
        layers.Concatenate(name="cat")([np.ones((2, 3, 5), "float32"), np.ones((2, 4, 5), "float32")])
    with pytest.raises(ValueError, match="matching shapes"):
        layers.Concatenate()([keras.Input((3, 5)), keras.Input((5,))])
    with pytest.raises(TypeError, match="must be an integer"):
        layers.Concatenate(axis="last")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Concatenate()(np.ones((2, 3), "float32"))


# --------------------------------------------------------------------------- Dot
def test_dot_axes_forms(backend, rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    y = rng.normal(size=(2, 4, 5)).astype("float32")
    # axes=(1, 2): contract x's axis 1 with y's axis 2 per sample.
    expected = np.einsum("bij,bki->bjk", x, y)
    np.testing.assert_allclose(_np(layers.Dot(axes=(1, 2))([x, y])), expected, rtol=1e-5, atol=1e-6)
    assert layers.Dot(axes=(1, 2))([keras.Input((5, 3)), keras.Input((4, 5))]).shape == (None, 3, 4)
    a, b = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    out = _np(layers.Dot(axes=1)([a, b]))
    np.testing.assert_allclose(out, (a * b).sum(axis=1, keepdims=True), rtol=1e-5)
    assert out.shape == (3, 1)
    np.testing.assert_allclose(_np(layers.dot([a, b], axes=-1)), out, rtol=1e-6)
    c = rng.normal(size=(3, 2, 4)).astype("float32")
    np.testing.assert_allclose(_np(layers.Dot(axes=-1)([c, a])), np.einsum("bij,bj->bi", c, a), rtol=1e-5)
    assert layers.Dot(axes=-1).compute_output_shape([(None, 2, 4), (None, 4)]) == (None, 2)


def test_dot_normalize_is_cosine_similarity(backend):
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], "float32")
    y = np.array([[1.0, 2.0, 3.0], [3.0, 0.0, 4.0]], "float32")
    # Keras 3 gives [[0], [0.73333335]]: a zero vector has similarity 0 (the norm is capped).
    out = _np(layers.Dot(axes=1, normalize=True)([x, y]))
    np.testing.assert_allclose(out, [[0.0], [11.0 / 15.0]], rtol=1e-6, atol=1e-7)


def test_dot_errors(backend):
    with pytest.raises(TypeError, match="should be a list or an int"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="should be integers"):
        layers.Dot(axes=(1, 1.5))
    with pytest.raises(ValueError, match="'dot_sizes'.*axis values 3 \\(at axis 1\\) != 4 \\(at axis 1\\)"):
        layers.Dot(axes=1, name="dot_sizes")([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="axis 0 \\(the batch axis\\)"):
        layers.Dot(axes=0)([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        layers.Dot(axes=1)([keras.Input((3,))] * 3)
    with pytest.raises(ValueError, match="rank >= 2"):
        layers.Dot(axes=-1)([np.ones((3,), "float32"), np.ones((3,), "float32")])


# ------------------------------------------------------------------------ masks
# Keras 3.15 (JAX backend) gives these outputs for the model below; the numbers were
# taken from it. Embedding rows: e1 = [[0, 1], [2, 3], ...], e2 = 3 - e1; index 0 is masked.
TOKENS_1 = np.array([[1, 2, 0], [3, 0, 0]])
TOKENS_2 = np.array([[1, 0, 0], [2, 2, 2]])
KERAS_MASKED = {
    "Add": [[[3.0, 3.0], [7.0, 7.0], [3.0, 3.0]], [[5.0, 5.0], [-1.0, -1.0], [-1.0, -1.0]]],
    "Multiply": [[[2.0, 0.0], [4.0, 5.0], [0.0, 0.0]], [[-6.0, -14.0], [-1.0, -2.0], [-1.0, -2.0]]],
    "Maximum": [[[2.0, 3.0], [4.0, 5.0], [0.0, 1.0]], [[6.0, 7.0], [-1.0, -2.0], [-1.0, -2.0]]],
    "Minimum": [[[1.0, 0.0], [4.0, 5.0], [0.0, 1.0]], [[-1.0, -2.0], [-1.0, -2.0], [-1.0, -2.0]]],
    "Average": [[[1.5, 1.5], [3.5, 3.5], [1.5, 1.5]], [[2.5, 2.5], [-0.5, -0.5], [-0.5, -0.5]]],
    "Subtract": [[[1.0, 3.0], [1.0, 3.0], [-3.0, -1.0]], [[7.0, 9.0], [1.0, 3.0], [1.0, 3.0]]],
}


def _masked_embeddings():
    table = np.arange(10.0).reshape(5, 2)
    e1 = layers.Embedding(5, 2, mask_zero=True, embeddings_initializer=keras.initializers.Constant(table))
    e2 = layers.Embedding(5, 2, mask_zero=True, embeddings_initializer=keras.initializers.Constant(3.0 - table))
    return e1, e2


@pytest.mark.parametrize("name", sorted(KERAS_MASKED))
def test_masked_merge_in_functional_model_matches_keras(backend, name):
    e1, e2 = _masked_embeddings()
    i1, i2 = keras.Input((3,), dtype="int32"), keras.Input((3,), dtype="int32")
    merged = getattr(layers, name)()([e1(i1), e2(i2)])
    model = keras.Model([i1, i2], merged)
    np.testing.assert_allclose(_np(model([TOKENS_1, TOKENS_2])), KERAS_MASKED[name], rtol=1e-6)
    # The output mask is the OR of the input masks.
    mask = getattr(layers, name)().compute_mask(
        [e1(TOKENS_1), e2(TOKENS_2)], [e1.compute_mask(TOKENS_1), e2.compute_mask(TOKENS_2)]
    )
    assert _np(mask).tolist() == [[True, True, False], [True, True, True]]


def test_masked_merge_independent_reference(backend, rng):
    """Maximum and Multiply with masks, against a NumPy statement of the rule."""
    a, b = rng.normal(size=(2, 4, 3)).astype("float32"), rng.normal(size=(2, 4, 3)).astype("float32")
    ma = np.array([[1, 1, 0, 0], [1, 0, 1, 0]], bool)
    mb = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], bool)
    wa, wb = ma[..., None], mb[..., None]
    # A masked value does not take part; where both are masked the first input's value stays.
    expected_max = np.where(wa & wb, np.maximum(a, b), np.where(wa, a, np.where(wb, b, a)))
    np.testing.assert_allclose(_np(layers.Maximum()([a, b], mask=[ma, mb])), expected_max, rtol=1e-6)
    # A masked value counts as 1; where both are masked the product is 0.
    expected_mul = np.where(wa | wb, np.where(wa, a, 1.0) * np.where(wb, b, 1.0), 0.0)
    np.testing.assert_allclose(_np(layers.Multiply()([a, b], mask=[ma, mb])), expected_mul, rtol=1e-6)
    # Only one input masked: the masked places of that input count as 1, no zeroing.
    expected_one = np.where(wa, a, 1.0) * b
    np.testing.assert_allclose(_np(layers.Multiply()([a, b], mask=[ma, None])), expected_one, rtol=1e-6)
    assert layers.Multiply().compute_mask([a, b], [ma, None]) is None


def test_concatenate_mask(backend):
    e1, e2 = _masked_embeddings()
    x1, x2 = e1(TOKENS_1), e2(TOKENS_2)
    along_time = layers.Concatenate(axis=1).compute_mask([x1, x2], [e1.compute_mask(TOKENS_1), None])
    assert _np(along_time).tolist() == [[True, True, False, True, True, True], [True, False, False, True, True, True]]
    along_features = layers.Concatenate().compute_mask([x1, x2], [e1.compute_mask(TOKENS_1), e2.compute_mask(TOKENS_2)])
    assert _np(along_features).tolist() == [[True, True, False], [True, True, True]]
    assert layers.Concatenate().compute_mask([x1, x2], [None, None]) is None
    assert layers.Dot(axes=-1).compute_mask([x1, x2], [e1.compute_mask(TOKENS_1), None]) is None
    with pytest.raises(ValueError, match="same length"):
        layers.Add().compute_mask([x1, x2], [None])


# -------------------------------------------------------------------- gradients
def test_gradients_against_closed_forms(backend, rng):
    if not backend.supports_gradient:
        pytest.skip("backend has no gradients")
    a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    d = rng.normal(size=(2, 3)).astype("float32")

    def grads(layer, direction):
        def objective(inputs):
            return ops.sum(ops.multiply(layer(list(inputs)), direction))

        _, g = backend.jit(backend.value_and_grad(objective))([backend.convert_to_tensor(a), backend.convert_to_tensor(b)])
        return [np.asarray(backend.to_numpy(t)) for t in g]

    ga, gb = grads(layers.Multiply(), d)
    np.testing.assert_allclose(ga, d * b, rtol=1e-6)
    np.testing.assert_allclose(gb, d * a, rtol=1e-6)
    ga, gb = grads(layers.Subtract(), d)
    np.testing.assert_allclose(gb, -d, rtol=1e-6)
    ga, gb = grads(layers.Maximum(), d)
    np.testing.assert_allclose(ga, np.where(a > b, d, 0.0), rtol=1e-6)
    ga, gb = grads(layers.Dot(axes=1), d[:, :1])
    np.testing.assert_allclose(ga, d[:, :1] * b, rtol=1e-6)
    ga, gb = grads(layers.Concatenate(axis=0), rng.normal(size=(4, 3)).astype("float32"))
    assert ga.shape == a.shape and gb.shape == b.shape


# ------------------------------------------- the standard checks, jit included
CASES = {
    "add": (layers.Add, {}, [(2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    "add_broadcast": (layers.Add, {}, [(2, 3, 4), (2, 4)], (2, 3, 4)),
    "subtract": (layers.Subtract, {}, [(2, 5), (2, 5)], (2, 5)),
    "multiply": (layers.Multiply, {}, [(2, 5), (2, 5), (2, 1)], (2, 5)),
    "average": (layers.Average, {}, [(2, 5), (2, 5)], (2, 5)),
    "maximum": (layers.Maximum, {}, [(2, 5), (2, 5)], (2, 5)),
    "minimum": (layers.Minimum, {}, [(2, 5), (2, 5)], (2, 5)),
    "concatenate": (layers.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    "dot": (layers.Dot, {"axes": (1, 2)}, [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
    "dot_normalize": (layers.Dot, {"axes": -1, "normalize": True}, [(2, 3), (2, 3)], (2, 1)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_layer_test(backend, case):
    cls, kwargs, input_shape, output_shape = CASES[case]
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_jax_matches_numpy(rng):
    for case in ["add_broadcast", "average", "concatenate", "dot", "dot_normalize", "maximum", "minimum",
                 "multiply", "subtract"]:
        cls, kwargs, input_shape, _ = CASES[case]
        xs = [rng.normal(size=s).astype("float32") for s in input_shape]
        run_backend_consistency_test(lambda cls=cls, kwargs=kwargs: cls(**kwargs), xs)


def test_merges_in_a_trained_functional_model(backend, rng):
    i1, i2 = keras.Input((4,)), keras.Input((4,))
    h1, h2 = layers.Dense(3)(i1), layers.Dense(3)(i2)
    merged = layers.concatenate([layers.add([h1, h2]), layers.multiply([h1, h2]), layers.dot([h1, h2], axes=1)])
    out = layers.Dense(1)(merged)
    model = keras.Model([i1, i2], out)
    assert model.output_shape == (None, 1)
    x = [rng.normal(size=(16, 4)).astype("float32") for _ in range(2)]
    y = rng.normal(size=(16, 1)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_np(clone(x)), _np(model(x)), rtol=1e-5, atol=1e-6)


class _MaskedSum(keras.Layer):
    """Sums over time, skipping masked steps (consumes the merged mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = ops.multiply(inputs, ops.expand_dims(ops.cast(mask, ops.dtype(inputs)), -1))
        return ops.sum(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@pytest.mark.parametrize("name", ["Maximum", "Multiply", "Concatenate"])
def test_masked_merges_in_compiled_predict_and_fit(backend, name):
    e1, e2 = _masked_embeddings()
    i1, i2 = keras.Input((3,), dtype="int32"), keras.Input((3,), dtype="int32")
    merged = getattr(layers, name)()([e1(i1), e2(i2)])
    model = keras.Model([i1, i2], layers.Dense(1, kernel_initializer="ones")(_MaskedSum()(merged)))
    eager = _np(model([TOKENS_1, TOKENS_2]))
    # predict runs the compiled step (jit where the backend compiles): masks included.
    np.testing.assert_allclose(model.predict([TOKENS_1, TOKENS_2], verbose=0), eager, rtol=1e-5)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4), loss="mse")
    history = model.fit([TOKENS_1, TOKENS_2], np.zeros((2, 1), "float32"), epochs=2, batch_size=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
