"""Preprocessing layers for structured data: hand-computed values on every backend, adapt,
config round trips, compiled use of the in-graph layers, host-side lookups."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops


def _np(x):
    return np.asarray(ops.convert_to_numpy(x)) if not isinstance(x, np.ndarray) else x


# ------------------------------------------------------------------ Normalization
def test_normalization_adapt_per_feature(backend):
    data = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]], "float32")
    layer = layers.Normalization(axis=-1)
    layer.adapt(data)
    assert [(w.name, w.trainable) for w in layer.weights] == [("mean", False), ("variance", False), ("count", False)]
    np.testing.assert_allclose(layer.adapt_mean.numpy(), [1.0, 8.0, 5.0])
    np.testing.assert_allclose(layer.adapt_variance.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(_np(layer(np.array([[0.0, 7.0, 4.0]], "float32"))), [[-1.0, -1.0, -1.0]])
    inverse = layers.Normalization(axis=-1, invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(_np(inverse(np.array([[1.0, 2.0, 3.0]], "float32"))), [[2.0, 10.0, 8.0]])


def test_normalization_axis_none_and_batches(backend, rng):
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32"))
    np.testing.assert_allclose(_np(layer(np.array([1.0, 2.0, 3.0], "float32"))), [-np.sqrt(2), -np.sqrt(0.5), 0.0],
                               rtol=1e-6)
    data = rng.normal(3.0, 2.0, size=(50, 4, 2)).astype("float32")
    whole = layers.Normalization(axis=(1, 2))
    whole.adapt(data)
    batched = layers.Normalization(axis=(1, 2))
    batched.adapt([data[:7], data[7:30], (data[30:], None)])  # uneven batches, an (x, y) one too
    np.testing.assert_allclose(whole.adapt_mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(whole.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    np.testing.assert_allclose(batched.adapt_mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(batched.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    out = _np(whole(data))
    np.testing.assert_allclose(out, (data - data.mean(0)) / data.std(0), rtol=1e-4, atol=1e-5)


def test_normalization_given_mean_and_variance(backend):
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(_np(layer(np.ones((3, 2), "float32"))), [[0.0, -1 / 3]] * 3, rtol=1e-6)
    assert layer.weights == []
    scalar = layers.Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(_np(scalar(np.array([[1.0], [2.0], [3.0]], "float32"))),
                               [[-np.sqrt(2)], [-np.sqrt(0.5)], [0.0]], rtol=1e-6)
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["variance"] == [4.0, 9.0] and config["axis"] == (-1,)
    clone = layers.deserialize(layers.serialize(layer))
    np.testing.assert_allclose(_np(clone(np.ones((1, 2), "float32"))), [[0.0, -1 / 3]], rtol=1e-6)


def test_normalization_errors(backend):
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(TypeError, match="None, an int or a tuple of ints. Received: axis='a'"):
        layers.Normalization(axis="a")
    layer = layers.Normalization(name="norm")
    layer.adapt(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="'norm'.*incompatible shape: \\(4, 2\\)"):
        layer.adapt(np.zeros((4, 2), "float32"))
    with pytest.raises(ValueError, match="'n2'.*axis` must be in \\[-ndim, ndim\\)"):
        layers.Normalization(axis=3, name="n2").adapt(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])


def test_normalization_in_a_compiled_model(backend, rng):
    x = rng.normal(10.0, 5.0, size=(32, 3)).astype("float32")
    y = (x[:, :1] - 10.0) / 5.0
    norm = layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((3,)), norm, layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    np.testing.assert_allclose(norm.adapt_mean.numpy(), x.mean(0), rtol=1e-5), "fit leaves the statistics alone"
    kernel, bias = model.layers[-1].get_weights()
    expected = (x - x.mean(0)) / x.std(0) @ kernel + bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


# -------------------------------------------------------------------- Rescaling
def test_rescaling(backend):
    x = np.array([[0, 127, 255]], "uint8")
    out = _np(layers.Rescaling(1 / 127.5, offset=-1.0)(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[-1.0, 127 / 127.5 - 1, 1.0]], rtol=1e-5, atol=1e-6)
    images = np.ones((1, 2, 2, 3), "float32")
    per_channel = _np(layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 0.5, 1.0])(images))
    np.testing.assert_allclose(per_channel[0, 0, 0], [1.0, 2.5, 4.0])
    layer = layers.Rescaling(np.array([0.5, 2.0]), name="r")
    assert layer.get_config()["scale"] == [0.5, 2.0]
    assert layers.Rescaling.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(TypeError, match="Rescaling must be a number.*Received: scale='x'"):
        layers.Rescaling("x")


# ------------------------------------------------------------- CategoryEncoding
def test_category_encoding_modes(backend):
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(_np(one_hot(np.array([3, 2, 0, 1]))), np.eye(4)[[3, 2, 0, 1]])
    np.testing.assert_array_equal(_np(one_hot(np.array([[3], [1]]))), np.eye(4)[[3, 1]])
    multi = layers.CategoryEncoding(num_tokens=4)
    np.testing.assert_array_equal(
        _np(multi(np.array([[0, 1], [0, 0], [1, 2], [3, 1]]))),
        [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]],
    )
    np.testing.assert_array_equal(_np(multi(np.array([2, 2, 0]))), [1, 0, 1, 0])
    count = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]], "float32")
    np.testing.assert_allclose(
        _np(count(np.array([[0, 1], [0, 0], [1, 2], [3, 1]]), count_weights=weights)),
        [[0.1, 0.2, 0, 0], [0.2, 0, 0, 0], [0, 0.2, 0.3, 0], [0, 0.2, 0, 0.4]], rtol=1e-6,
    )
    np.testing.assert_array_equal(_np(count(np.array([[1, 1, 3]]))), [[0, 2, 0, 1]])
    # Out-of-range ids encode to zeros (no check can run inside a compiled step).
    np.testing.assert_array_equal(_np(multi(np.array([[7, 1]]))), [[0, 1, 0, 0]])


def test_category_encoding_compiled_and_symbolic(backend):
    layer = layers.CategoryEncoding(num_tokens=3, output_mode="multi_hot")
    b = kb.get()
    out = b.jit(lambda ids: layer(ids))(b.convert_to_tensor(np.array([[0, 2], [1, 1]], "int32")))
    np.testing.assert_array_equal(_np(out), [[1, 0, 1], [0, 1, 0]])
    assert layer(keras.Input((5,), dtype="int32")).shape == (None, 3)
    assert layers.CategoryEncoding(3, output_mode="one_hot")(keras.Input((5,), dtype="int32")).shape == (None, 5, 3)


def test_category_encoding_errors_and_config(backend):
    with pytest.raises(ValueError, match="needs `num_tokens`"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="must be an integer >= 1. Received: num_tokens=0"):
        layers.CategoryEncoding(0)
    with pytest.raises(ValueError, match="Expected one of.*Received: output_mode='tf_idf'"):
        layers.CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`count_weights` is only used when `output_mode` is 'count'"):
        layers.CategoryEncoding(3)(np.array([[1]]), count_weights=np.ones((1, 1)))
    layer = layers.CategoryEncoding(5, output_mode="binary")
    assert layer.output_mode == "multi_hot"
    assert layers.deserialize(layers.serialize(layer)).get_config() == layer.get_config()


# --------------------------------------------------------------- Discretization
def test_discretization_given_boundaries(backend):
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], "float32")
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = _np(layer(x))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 2, 3, 1], [1, 3, 2, 1]])
    np.testing.assert_array_equal(out, np.digitize(x, [0.0, 1.0, 2.0]))
    count = _np(layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="count")(x))
    np.testing.assert_array_equal(count, [[1, 1, 1, 1], [0, 2, 1, 1]])
    one_hot = _np(layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot")(x))
    np.testing.assert_array_equal(one_hot, np.eye(4)[np.digitize(x, [0.0, 1.0, 2.0])])
    b = kb.get()
    compiled = b.jit(lambda v: layer(v))(b.convert_to_tensor(x))
    np.testing.assert_array_equal(_np(compiled), out)


def test_discretization_adapt_quantiles(backend, rng):
    layer = layers.Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(np.arange(100, dtype="float32"))
    # Cumulative weights k/100 for the value k-1: quartiles interpolate to 24, 49, 74.
    np.testing.assert_allclose(layer.bin_boundaries, [24.0, 49.0, 74.0], rtol=1e-5)
    np.testing.assert_array_equal(_np(layer(np.array([0.0, 30.0, 99.0], "float32"))), [0, 1, 3])
    batched = layers.Discretization(num_bins=4, epsilon=0.01)
    batched.adapt([np.arange(50, dtype="float32"), np.arange(50, 100, dtype="float32")])
    np.testing.assert_allclose(batched.bin_boundaries, layer.bin_boundaries, atol=1.0)
    config = layer.get_config()
    clone = layers.Discretization.from_config(config)
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 4


def test_discretization_errors(backend):
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        layers.Discretization()
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[1.0], num_bins=2)
    with pytest.raises(ValueError, match="sorted 1-D list"):
        layers.Discretization(bin_boundaries=[2.0, 1.0])
    with pytest.raises(ValueError, match="cannot be adapted"):
        layers.Discretization(bin_boundaries=[1.0], name="d").adapt(np.ones(3))
    with pytest.raises(ValueError, match="call `adapt\\(data\\)` before using the layer"):
        layers.Discretization(num_bins=3)(np.ones((2,), "float32"))


# ------------------------------------------------------------------ IntegerLookup
def test_integer_lookup_vocabulary_oov_and_mask(backend):
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    np.testing.assert_array_equal(_np(layer(np.array([[12, 1138, 42], [42, 1000, 36]]))), [[1, 3, 4], [4, 0, 2]])
    assert layer.get_vocabulary() == [-1, 12, 36, 1138, 42]
    assert layer.get_vocabulary(include_special_tokens=False) == [12, 36, 1138, 42]
    assert layer.vocabulary_size() == 5
    masked = layers.IntegerLookup(vocabulary=[12, 36], mask_token=0)
    np.testing.assert_array_equal(_np(masked(np.array([[12, 0, 7]]))), [[2, 0, 1]])
    assert masked.get_vocabulary() == [0, -1, 12, 36]
    two_oov = layers.IntegerLookup(vocabulary=[12, 36], num_oov_indices=2)
    # Two OOV indices: 1000 % 2 = 0 and 1001 % 2 = 1.
    np.testing.assert_array_equal(_np(two_oov(np.array([12, 1000, 1001, 36]))), [2, 0, 1, 3])
    strict = layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0, name="strict")
    with pytest.raises(ValueError, match="'strict'.*out-of-vocabulary values \\[7\\]"):
        strict(np.array([1, 7]))
    big = layers.IntegerLookup(vocabulary=[2**40, 5])
    np.testing.assert_array_equal(_np(big(np.array([2**40, 5, 2**40 + 1], "int64"))), [1, 2, 0])


def test_integer_lookup_adapt_order_and_max_tokens(backend):
    data = np.array([[7, 7, 7, 3], [3, 5, 9, 9]])
    layer = layers.IntegerLookup()
    layer.adapt(data)
    # By count (7: 3, 3: 2, 9: 2, 5: 1), ties larger first.
    assert layer.get_vocabulary() == [-1, 7, 9, 3, 5]
    capped = layers.IntegerLookup(max_tokens=3)
    capped.adapt(data)
    assert capped.get_vocabulary() == [-1, 7, 9]
    with pytest.raises(ValueError, match="after setting a static vocabulary"):
        layers.IntegerLookup(vocabulary=[1]).adapt(data)


def test_integer_lookup_encodings_and_invert(backend):
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30], output_mode="multi_hot", mask_token=0)
    np.testing.assert_array_equal(_np(layer(np.array([[10, 0, 99], [30, 30, 0]]))), [[1, 1, 0, 0], [0, 0, 0, 1]])
    count = layers.IntegerLookup(vocabulary=[10, 20, 30], output_mode="count")
    np.testing.assert_array_equal(_np(count(np.array([[30, 30, 5]]))), [[1, 0, 0, 2]])
    one_hot = layers.IntegerLookup(vocabulary=[10, 20], output_mode="one_hot")
    np.testing.assert_array_equal(_np(one_hot(np.array([20, 10, 3]))), np.eye(3)[[2, 1, 0]])
    padded = layers.IntegerLookup(vocabulary=[10, 20], output_mode="multi_hot", max_tokens=6, pad_to_max_tokens=True)
    assert _np(padded(np.array([[10]]))).shape == (1, 6)
    inverse = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    np.testing.assert_array_equal(_np(inverse(np.array([[1, 3, 4], [4, 0, 9]]))), [[12, 1138, 42], [42, -1, -1]])


def test_integer_lookup_config_round_trip_and_errors(backend):
    layer = layers.IntegerLookup(vocabulary=np.array([5, 6]), mask_token=0, num_oov_indices=2, name="il")
    config = layer.get_config()
    assert config["vocabulary"] == [5, 6] and config["mask_token"] == 0 and config["vocabulary_dtype"] == "int64"
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.get_vocabulary() == layer.get_vocabulary() and clone.get_config() == config
    with pytest.raises(ValueError, match="repeated terms.*\\[5\\]"):
        layers.IntegerLookup(vocabulary=[5, 5])
    with pytest.raises(ValueError, match="`output_mode` must be 'int' when `invert` is True"):
        layers.IntegerLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="greater than 1. Received: max_tokens=1"):
        layers.IntegerLookup(max_tokens=1)
    with pytest.raises(TypeError, match="'il2'.*expects integer inputs"):
        layers.IntegerLookup(vocabulary=[1], name="il2")(np.array([1.5, 2.0]))
    with pytest.raises(RuntimeError, match="set the vocabulary before calling the layer"):
        layers.IntegerLookup(output_mode="count")(np.array([[1]]))


def test_lookup_refuses_traced_values_with_guidance(backend):
    if not kb.get().supports_jit:
        pytest.skip("no compiled step on this backend: inputs are always concrete")
    layer = layers.IntegerLookup(vocabulary=[3, 4], name="ids")
    b = kb.get()
    with pytest.raises(TypeError, match="'ids'.*cannot be used inside a compiled step.*data pipeline"):
        b.jit(lambda v: layer(v))(b.convert_to_tensor(np.array([3, 4], "int32")))
    assert layer(keras.Input((2,), dtype="int32")).shape == (None, 2)


# ------------------------------------------------------------------- StringLookup
def test_string_lookup_vocabulary_and_adapt(backend):
    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(_np(layer([["a", "c", "d"], ["d", "z", "b"]])), [[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(_np(layer(np.array([b"b", b"d"]))), [2, 4])
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c", "d"]
    adapted = layers.StringLookup()
    adapted.adapt(["a", "b", "b", "c", "c", "c", "d"])
    assert adapted.get_vocabulary() == ["[UNK]", "c", "b", "d", "a"]
    masked = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    np.testing.assert_array_equal(_np(masked([["a", "", "q"]])), [[2, 0, 1]])
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b"]
    with_special = layers.StringLookup(vocabulary=["", "[UNK]", "x"], mask_token="")
    assert with_special.get_vocabulary() == ["", "[UNK]", "x"]


def test_string_lookup_oov_buckets_invert_and_tf_idf(backend):
    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=3)
    ids = _np(layer(["q", "r", "s", "t", "a", "q"]))
    assert set(ids[:4].tolist()) <= {0, 1, 2} and ids[4] == 3 and ids[0] == ids[5]
    inverse = layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)
    out = inverse(np.array([[1, 3, 0, 7]]))
    assert isinstance(out, np.ndarray) and out.tolist() == [["a", "c", "[UNK]", "[UNK]"]]
    tf_idf = layers.StringLookup(output_mode="tf_idf")
    tf_idf.adapt([["a", "b", "b"], ["b", "c", "c"]])
    assert tf_idf.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    idf = np.log(1 + 2 / (1 + np.array([2.0, 1.0, 1.0])))  # b, c, a
    np.testing.assert_allclose(_np(tf_idf([["b", "c", "c", "q"]])), [[idf.mean(), idf[0], 2 * idf[1], 0.0]],
                               rtol=1e-6)
    given = layers.StringLookup(vocabulary=["x", "y"], idf_weights=[0.5, 2.0], output_mode="tf_idf")
    np.testing.assert_allclose(_np(given(["y", "y", "x", "z"])), [1.25, 0.5, 4.0], rtol=1e-6)


def test_string_lookup_files_assets_and_config(backend, tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("cat\ndog\nbird\n", encoding="utf-8")
    from_file = layers.StringLookup(vocabulary=str(vocab_file))
    assert from_file.get_vocabulary() == ["[UNK]", "cat", "dog", "bird"]
    adapted = layers.StringLookup(mask_token="")
    adapted.adapt([["x", "y", "y"]])
    adapted.save_assets(str(tmp_path))
    restored = layers.StringLookup.from_config(adapted.get_config())
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == adapted.get_vocabulary() == ["", "[UNK]", "y", "x"]
    config = layers.StringLookup(vocabulary=["a", "b"], encoding="latin-1").get_config()
    assert config["vocabulary"] == ["a", "b"] and config["encoding"] == "latin-1" and "vocabulary_dtype" not in config
    assert layers.deserialize(layers.serialize(layers.StringLookup(**{k: config[k] for k in ("vocabulary",)})))
    with pytest.raises(TypeError, match="expects string inputs"):
        layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(ValueError, match="mask token '' at an unexpected place"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")


def test_lookup_in_the_data_pipeline_then_fit(backend):
    raw = np.array([["red"], ["green"], ["blue"], ["green"], ["red"], ["red"]])
    y = np.array([[1.0], [0.0], [0.0], [0.0], [1.0], [1.0]], "float32")
    lookup = layers.StringLookup()
    lookup.adapt(raw)
    ids = _np(lookup(raw))
    np.testing.assert_array_equal(ids[:, 0], [1, 2, 3, 2, 1, 1])
    model = keras.Sequential([keras.Input((1,), dtype="int32"), layers.CategoryEncoding(4, output_mode="one_hot"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    history = model.fit(ids, y, batch_size=6, epochs=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
