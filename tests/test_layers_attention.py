"""Attention layers: MultiHeadAttention, Attention, AdditiveAttention against NumPy references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops


# ------------------------------------------------------------ NumPy references
def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_mha(query, value, key, weights, num_heads, key_dim, mask=None, use_bias=True):
    """Multi-head attention written head by head, in float64.

    `mask` is a boolean (B, T, S); a query row with every key masked gets zero weights.
    Returns (output, scores of shape (B, heads, T, S)).
    """
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = [np.asarray(w, "float64") for w in weights]
    else:
        wq, wk, wv, wo = [np.asarray(w, "float64") for w in weights]
        bq, bk, bv, bo = 0.0, 0.0, 0.0, 0.0
    q = np.tensordot(np.asarray(query, "float64"), wq, axes=([-1], [0])) + bq  # (B, T, N, H)
    k = np.tensordot(np.asarray(key, "float64"), wk, axes=([-1], [0])) + bk
    v = np.tensordot(np.asarray(value, "float64"), wv, axes=([-1], [0])) + bv
    batch, tq, ts = q.shape[0], q.shape[1], k.shape[1]
    heads = np.zeros((batch, tq, num_heads, v.shape[-1]))
    scores = np.zeros((batch, num_heads, tq, ts))
    for b in range(batch):
        for n in range(num_heads):
            logits = q[b, :, n] @ k[b, :, n].T / math.sqrt(key_dim)
            if mask is None:
                w = np_softmax(logits)
            else:
                logits = np.where(mask[b], logits, -np.inf)
                row_max = np.where(mask[b].any(-1, keepdims=True), logits.max(-1, keepdims=True), 0.0)
                e = np.where(mask[b], np.exp(logits - row_max), 0.0)
                total = e.sum(-1, keepdims=True)
                w = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
            scores[b, n] = w
            heads[b, :, n] = w @ v[b, :, n]
    output = np.tensordot(heads, wo, axes=([-2, -1], [0, 1])) + bo
    return output, scores


def np_attention(query, value, key=None, scores_fn=None, query_mask=None, value_mask=None, causal=False):
    """Keras's (Luong/Bahdanau) attention in float64: masked scores are lowered by 1e9."""
    query, value = np.asarray(query, "float64"), np.asarray(value, "float64")
    key = value if key is None else np.asarray(key, "float64")
    scores = scores_fn(query, key)
    tq, tv = scores.shape[-2:]
    keep = np.ones(scores.shape, bool)
    if value_mask is not None:
        keep &= value_mask[:, None, :]
    if causal:
        keep &= np.tril(np.ones((tq, tv), bool))[None]
    weights = np_softmax(np.where(keep, scores, scores - 1e9))
    output = weights @ value
    if query_mask is not None:
        output = np.where(query_mask[..., None], output, 0.0)
    return output, weights


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def random_weights(layer, rng, scale=0.5):
    return [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.weights]


QUERY_SHAPE, VALUE_SHAPE, KEY_SHAPE = (2, 4, 6), (2, 5, 3), (2, 5, 7)

# Written by Keras 3.15 (`model.to_json()`): Masking -> MultiHeadAttention(2, 3), causal.
KERAS_MHA_MODEL_JSON = (
    "{\"module\": \"keras.src.models.functional\", \"class_name\": \"Functional\", \"config\": {\"name\": \"ke"
    "ras_model\", \"trainable\": true, \"layers\": [{\"module\": \"keras.layers\", \"class_name\": \"InputLay"
    "er\", \"config\": {\"batch_shape\": [null, 4, 6], \"dtype\": \"float32\", \"sparse\": false, \"ragged\": "
    "false, \"name\": \"q\", \"optional\": false}, \"registered_name\": null, \"name\": \"q\", \"inbound_nodes"
    "\": []}, {\"module\": \"keras.layers\", \"class_name\": \"Masking\", \"config\": {\"name\": \"masking\", \"t"
    "rainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\""
    ": \"float32\"}, \"registered_name\": null}, \"mask_value\": 0.0}, \"registered_name\": null, \"name\":"
    " \"masking\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape"
    "\": [null, 4, 6], \"dtype\": \"float32\", \"keras_history\": [\"q\", 0, 0]}}], \"kwargs\": {}}]}, {\"mod"
    "ule\": \"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 5, 3], \"d"
    "type\": \"float32\", \"sparse\": false, \"ragged\": false, \"name\": \"v\", \"optional\": false}, \"regist"
    "ered_name\": null, \"name\": \"v\", \"inbound_nodes\": []}, {\"module\": \"keras.layers\", \"class_name\""
    ": \"MultiHeadAttention\", \"config\": {\"name\": \"mha\", \"trainable\": true, \"dtype\": {\"module\": \"ke"
    "ras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, \"registered_name\": null}, "
    "\"num_heads\": 2, \"key_dim\": 3, \"value_dim\": 3, \"dropout\": 0.0, \"use_bias\": true, \"use_gate\": "
    "false, \"output_shape\": null, \"attention_axes\": [1], \"sliding_window\": null, \"kernel_initiali"
    "zer\": {\"module\": \"keras.initializers\", \"class_name\": \"GlorotUniform\", \"config\": {\"seed\": nul"
    "l, \"input_axes\": null, \"output_axes\": null}, \"registered_name\": null}, \"bias_initializer\": {"
    "\"module\": \"keras.initializers\", \"class_name\": \"Zeros\", \"config\": {}, \"registered_name\": null"
    "}, \"kernel_regularizer\": null, \"bias_regularizer\": null, \"activity_regularizer\": null, \"kern"
    "el_constraint\": null, \"bias_constraint\": null, \"seed\": null}, \"registered_name\": null, \"buil"
    "d_config\": {\"shapes_dict\": {\"query_shape\": [null, 4, 6], \"value_shape\": [null, 5, 3]}}, \"nam"
    "e\": \"mha\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\""
    ": [null, 4, 6], \"dtype\": \"float32\", \"keras_history\": [\"masking\", 0, 0]}}, {\"class_name\": \"__"
    "keras_tensor__\", \"config\": {\"shape\": [null, 5, 3], \"dtype\": \"float32\", \"keras_history\": [\"v\""
    ", 0, 0]}}], \"kwargs\": {\"use_causal_mask\": true}}]}], \"input_layers\": [[\"q\", 0, 0], [\"v\", 0, "
    "0]], \"output_layers\": [\"mha\", 0, 0]}, \"registered_name\": \"Functional\", \"build_config\": {\"inp"
    "ut_shape\": null}, \"compile_config\": {}}"
)


# ------------------------------------------------------- MultiHeadAttention
def test_mha_hand_picked_single_head(backend):
    # One head, identity projections, no bias: attention of each query row over the
    # value rows with weights softmax(q . k / sqrt(2)), worked out by hand below.
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=2, use_bias=False)
    query = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
    value = np.array([[[2.0, 0.0], [0.0, 2.0]]], "float32")
    layer(query, value)
    eye = np.eye(2, dtype="float32")
    layer.set_weights([eye[:, None, :], eye[:, None, :], eye[:, None, :], eye[None]])
    out, scores = layer(query, value, return_attention_scores=True)
    big = math.exp(2 / math.sqrt(2))  # the matching key's score is 2 / sqrt(2); the other 0
    w_match, w_other = big / (big + 1), 1 / (big + 1)
    expected_scores = np.array([[[[w_match, w_other], [w_other, w_match]]]])
    expected = np.array([[[2 * w_match, 2 * w_other], [2 * w_other, 2 * w_match]]])
    np.testing.assert_allclose(to_np(scores), expected_scores, rtol=1e-6)
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-6)


def test_mha_weights_match_keras_layout(backend):
    # Constant kernels: only the layout matters here (and random draws of new shapes
    # would each compile under JAX).
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5, name="mha",
                                      kernel_initializer="ones")
    layer.build(QUERY_SHAPE, VALUE_SHAPE, KEY_SHAPE)
    # Keras's EinsumDense equations: "abc,cde->abde" for the three projections and
    # "abcd,cde->abe" for the output, biases over the new axes.
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("query/kernel", (6, 3, 2)), ("query/bias", (3, 2)),
        ("key/kernel", (7, 3, 2)), ("key/bias", (3, 2)),
        ("value/kernel", (3, 3, 4)), ("value/bias", (3, 4)),
        ("attention_output/kernel", (3, 4, 5)), ("attention_output/bias", (5,)),
    ]
    assert layer.get_build_config() == {
        "shapes_dict": {"query_shape": QUERY_SHAPE, "value_shape": VALUE_SHAPE, "key_shape": KEY_SHAPE}
    }
    # Each projection has its own copy of the initializer, as in Keras.
    assert layer.query_dense.kernel_initializer is not layer.key_dense.kernel_initializer
    assert layer.query_dense.equation == "abc,cde->abde"
    assert layer.output_dense.equation == "abcd,cde->abe"
    assert layer.count_params() == 36 + 6 + 42 + 6 + 36 + 12 + 60 + 5
    no_bias = layers.MultiHeadAttention(2, 3, use_bias=False)
    no_bias.build(QUERY_SHAPE, VALUE_SHAPE)
    assert [w.path for w in no_bias.weights] == [
        "query/kernel", "key/kernel", "value/kernel", "attention_output/kernel"
    ]


@pytest.mark.parametrize("with_key", [False, True])
def test_mha_matches_numpy(backend, rng, with_key):
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    key = rng.normal(size=KEY_SHAPE).astype("float32") if with_key else None
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value, key)
    weights = random_weights(layer, rng)
    layer.set_weights(weights)
    out, scores = layer(query, value, key, return_attention_scores=True)
    want_out, want_scores = np_mha(query, value, value if key is None else key, weights, 2, 3)
    assert to_np(out).shape == QUERY_SHAPE
    np.testing.assert_allclose(to_np(scores), want_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_np(out), want_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_np(layer(query, value, key)), want_out, rtol=1e-5, atol=1e-5)


def test_mha_masks_combine(backend, rng):
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    key = rng.normal(size=KEY_SHAPE).astype("float32")
    query_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
    key_mask = np.array([[1, 1, 1, 1, 1], [1, 0, 1, 1, 1]], bool)
    attention_mask = rng.random((2, 4, 5)) > 0.3
    attention_mask[:, :, 2] = True
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value, key)
    weights = random_weights(layer, rng)
    layer.set_weights(weights)

    def check(expected_mask, **masks):
        out, scores = layer(query, value, key, return_attention_scores=True, **masks)
        want_out, want_scores = np_mha(query, value, key, weights, 2, 3, mask=expected_mask)
        np.testing.assert_allclose(to_np(scores), want_scores, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_np(out), want_out, rtol=1e-5, atol=1e-5)
        return to_np(scores)

    # Query padding (B, T, 1), value and key padding (B, 1, S), the explicit mask and the
    # causal mask (1, T, S) are ANDed.
    causal = np.tril(np.ones((4, 5), bool))[None]
    full = query_mask[:, :, None] & value_mask[:, None] & key_mask[:, None] & attention_mask & causal
    scores = check(full, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                   attention_mask=attention_mask, use_causal_mask=True)
    np.testing.assert_array_equal(scores[0, :, 3], 0.0)  # a padded query row attends to nothing
    check(value_mask[:, None] & np.ones((2, 4, 5), bool), value_mask=value_mask)
    check(np.broadcast_to(causal, (2, 4, 5)), use_causal_mask=True)
    # A mask without the batch axis broadcasts; 0/1 integers count as booleans.
    check(np.broadcast_to(attention_mask[0], (2, 4, 5)), attention_mask=attention_mask[0].astype("int32"))


def test_mha_causal_ignores_the_future(backend, rng):
    x = rng.normal(size=QUERY_SHAPE).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = layer(x, x, return_attention_scores=True, use_causal_mask=True)
    np.testing.assert_array_equal(to_np(scores) * np.triu(np.ones((4, 4)), 1), 0.0)
    changed = x.copy()
    changed[:, 2:] += 10.0
    out_changed = layer(changed, changed, use_causal_mask=True)
    np.testing.assert_allclose(to_np(out_changed)[:, :2], to_np(out)[:, :2], rtol=1e-5, atol=1e-6)
    assert not np.allclose(to_np(out_changed)[:, 2:], to_np(out)[:, 2:])


def test_mha_attention_axes_and_output_shape(backend, rng):
    # Attention over axes (1, 2) of (B, X, Y, E) is attention over the X*Y positions
    # of the flattened sequence, with the same weights.
    x = rng.normal(size=(2, 3, 2, 4)).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    out, scores = layer(x, x, return_attention_scores=True)
    assert layer.attention_axes == (1, 2)
    assert to_np(scores).shape == (2, 2, 3, 2, 3, 2)
    flat = x.reshape(2, 6, 4)
    want_out, want_scores = np_mha(flat, flat, flat, layer.get_weights(), 2, 3)
    np.testing.assert_allclose(to_np(out).reshape(2, 6, 4), want_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_np(scores).reshape(2, 2, 6, 6), want_scores, rtol=1e-5, atol=1e-6)

    # attention_axes=-2 on (B, X, Y, E): attention along Y, separately for each X.
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=-2, output_shape=(2, 3))
    out, scores = layer(x, x, return_attention_scores=True)
    assert layer.attention_axes == (2,)
    assert to_np(out).shape == (2, 3, 2, 2, 3)
    assert to_np(scores).shape == (2, 3, 2, 2, 2)
    assert layer.compute_output_shape((None, 3, 2, 4), (None, 3, 2, 4)) == (None, 3, 2, 2, 3)
    weights = layer.get_weights()
    for i in range(3):
        row = x[:, i]
        want_out, want_scores = np_mha(row, row, row, weights[:6] + [weights[6].reshape(2, 3, 6), weights[7].reshape(6)], 2, 3)
        np.testing.assert_allclose(to_np(out)[:, i].reshape(2, 2, 6), want_out, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(to_np(scores)[:, i], want_scores, rtol=1e-5, atol=1e-6)


def test_mha_dropout_only_while_training(backend, rng):
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=7)
    plain = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value)
    plain(query, value)
    plain.set_weights(layer.get_weights())
    expected = to_np(plain(query, value))
    np.testing.assert_allclose(to_np(layer(query, value)), expected, rtol=1e-6)
    np.testing.assert_allclose(to_np(layer(query, value, training=False)), expected, rtol=1e-6)
    first, scores = layer(query, value, training=True, return_attention_scores=True)
    second = layer(query, value, training=True)
    assert not np.allclose(to_np(first), expected)
    assert not np.allclose(to_np(first), to_np(second)), "each training call draws a new mask"
    # The returned scores are the weights before dropout, as in Keras.
    np.testing.assert_allclose(to_np(scores), to_np(plain(query, value, return_attention_scores=True)[1]), rtol=1e-6)


def test_mha_stateless_call_under_jit(backend, rng):
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.3, seed=1)
    layer(query, value)
    b = kb.get()
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)

    def step(tv, ntv, q, v, m):
        return layer.stateless_call(tv, ntv, q, v, value_mask=m, training=True, use_causal_mask=True)

    eager_out, eager_state = step(trainable, non_trainable, query, value, mask)
    jit_out, jit_state = b.jit(step)(trainable, non_trainable, query, value, mask)
    np.testing.assert_allclose(to_np(jit_out), to_np(eager_out), rtol=1e-5, atol=1e-6)
    for a, c, old in zip(jit_state, eager_state, non_trainable):
        np.testing.assert_array_equal(to_np(a), to_np(c))
        assert not np.array_equal(to_np(a), to_np(old)), "the dropout seed advances"
    # Without training the compiled call is deterministic and equals the eager layer.
    infer = b.jit(lambda tv, ntv, q, v: layer.stateless_call(tv, ntv, q, v)[0])
    np.testing.assert_allclose(to_np(infer(trainable, non_trainable, query, value)),
                               to_np(layer(query, value)), rtol=1e-5, atol=1e-6)


def _forward_and_grads(make_layer, as_call, tensors, weights, direction, **call_kwargs):
    """(weights, output, weight gradients, input gradients) of sum(output * direction), jitted."""
    keras.utils.clear_session()
    layer = make_layer()
    layer(*as_call(tensors), **call_kwargs)
    if weights is None:
        weights = [w + 0.3 for w in layer.get_weights()]
    layer.set_weights(weights)
    b = kb.get()
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def objective(params):
        tv, xs = params
        out, _ = layer.stateless_call(tv, non_trainable, *as_call(xs), **call_kwargs)
        return ops.sum(ops.multiply(out, direction)), out

    params = ([v.value for v in layer.trainable_variables], [b.convert_to_tensor(x) for x in tensors])
    (_, out), (g_weights, g_inputs) = b.jit(b.value_and_grad(objective, has_aux=True))(params)
    return weights, to_np(out), [to_np(g) for g in g_weights], [to_np(g) for g in g_inputs]


def _as_arguments(xs):
    return list(xs)


def _as_list(xs):
    return ([*xs],)


CONSISTENCY_CASES = {
    "mha_masked_causal": (
        lambda: layers.MultiHeadAttention(num_heads=2, key_dim=3), _as_arguments,
        [QUERY_SHAPE, VALUE_SHAPE], QUERY_SHAPE,
        {"query_mask": np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool),
         "value_mask": np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 0]], bool), "use_causal_mask": True},
    ),
    "attention_dot_scaled": (
        lambda: layers.Attention(use_scale=True), _as_list, [(2, 4, 3), (2, 5, 2), (2, 5, 3)], (2, 4, 2),
        {"mask": [None, np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 0]], bool)]},
    ),
    "attention_concat_causal": (
        lambda: layers.Attention(use_scale=True, score_mode="concat"), _as_list, [(2, 4, 3), (2, 5, 3)], (2, 4, 3),
        {"use_causal_mask": True},
    ),
    "additive": (lambda: layers.AdditiveAttention(), _as_list, [(2, 4, 3), (2, 5, 2), (2, 5, 3)], (2, 4, 2), {}),
}


@pytest.mark.parametrize("case", sorted(CONSISTENCY_CASES))
def test_jax_matches_numpy_outputs_and_gradients(rng, case):
    if not {"jax", "numpy"} <= set(kb.available_backends()):
        pytest.skip("needs both the jax and the numpy backends")
    make_layer, as_call, shapes, out_shape, call_kwargs = CONSISTENCY_CASES[case]
    tensors = [rng.normal(size=shape).astype("float32") for shape in shapes]
    direction = rng.normal(size=out_shape).astype("float32")
    with kb.use_backend("numpy"):
        weights, out_np, gw_np, gx_np = _forward_and_grads(make_layer, as_call, tensors, None, direction, **call_kwargs)
    with kb.use_backend("jax"):
        _, out_jx, gw_jx, gx_jx = _forward_and_grads(make_layer, as_call, tensors, weights, direction, **call_kwargs)
    np.testing.assert_allclose(out_jx, out_np, rtol=2e-5, atol=2e-6)
    assert len(gw_np) == len(weights) and len(gx_np) == len(tensors)
    for a, c in zip(gw_jx + gx_jx, gw_np + gx_np):
        assert np.abs(c).max() > 0
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5)


def test_mha_symbolic_shapes_and_config(backend):
    keras.utils.clear_session()
    query_in, value_in = keras.Input(shape=(4, 6)), keras.Input(shape=(5, 3))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=7, name="mha")
    out, scores = layer(query_in, value_in, return_attention_scores=True)
    assert out.shape == (None, 4, 7)
    assert scores.shape == (None, 2, 4, 5)
    assert layer(query=query_in, value=value_in).shape == (None, 4, 7)
    assert layer.compute_output_shape((None, 4, 6), (None, 5, 3)) == (None, 4, 7)
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": (None, 4, 6), "value_shape": (None, 5, 3)}}
    config = layer.get_config()
    assert config["attention_axes"] == (1,)
    assert config["output_shape"] == (7,)
    for name in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "kernel_initializer",
                 "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                 "kernel_constraint", "bias_constraint", "seed"):
        assert name in config
    clone = layers.MultiHeadAttention.from_config({**config, "build_config": layer.get_build_config()})
    assert clone.built
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in layer.weights]
    assert clone.get_config() == config
    # A newer Keras config also holds these two, with their defaults.
    layers.MultiHeadAttention.from_config({**config, "use_gate": False, "sliding_window": None})


def test_mha_functional_model_trains(backend):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    query = rng.normal(size=(48, 4, 3)).astype("float32")
    value = rng.normal(size=(48, 5, 3)).astype("float32")
    target = value.mean(axis=1).sum(-1, keepdims=True).astype("float32")
    query_in, value_in = keras.Input(shape=(4, 3), name="query"), keras.Input(shape=(5, 3), name="value")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, seed=3)(
        query_in, value_in, use_causal_mask=True
    )
    model = keras.Model([query_in, value_in], layers.Dense(1)(layers.Flatten()(attended)))
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    losses = model.fit([query, value], target, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.count_params() == (3 * 8 + 8) * 3 + (8 * 3 + 3) + (12 + 1)

    clone = keras.models.Functional.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(to_np(clone([query[:2], value[:2]])), to_np(model([query[:2], value[:2]])),
                               rtol=1e-5, atol=1e-6)


def test_mha_takes_masks_from_the_graph(backend, rng):
    keras.utils.clear_session()
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    query[0, 3] = 0.0
    value[0, 4] = 0.0
    value[1, 2:] = 0.0
    query_in, value_in = keras.Input(shape=QUERY_SHAPE[1:]), keras.Input(shape=VALUE_SHAPE[1:])
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = mha(layers.Masking()(query_in), layers.Masking()(value_in), return_attention_scores=True)
    model = keras.Model([query_in, value_in], [out, scores])
    got_out, got_scores = model([query, value])
    query_mask, value_mask = np.any(query != 0, -1), np.any(value != 0, -1)
    want_out, want_scores = mha(query, value, query_mask=query_mask, value_mask=value_mask,
                                return_attention_scores=True)
    np.testing.assert_allclose(to_np(got_out), to_np(want_out), rtol=1e-6)
    np.testing.assert_allclose(to_np(got_scores), to_np(want_scores), rtol=1e-6)
    np.testing.assert_array_equal(to_np(got_scores)[1, :, :, 2:], 0.0)
    assert mha.compute_mask(None, [query_mask, value_mask]) is query_mask


def test_mha_loads_a_keras_model_config(backend, rng):
    model = keras.models.model_from_json(KERAS_MHA_MODEL_JSON)
    mha = model.get_layer("mha")
    assert [(w.path, tuple(w.shape)) for w in mha.weights] == [
        ("query/kernel", (6, 2, 3)), ("query/bias", (2, 3)), ("key/kernel", (3, 2, 3)), ("key/bias", (2, 3)),
        ("value/kernel", (3, 2, 3)), ("value/bias", (2, 3)),
        ("attention_output/kernel", (2, 3, 6)), ("attention_output/bias", (6,)),
    ]
    weights = random_weights(mha, rng)
    model.set_weights(weights)
    query = rng.normal(size=QUERY_SHAPE).astype("float32")
    value = rng.normal(size=VALUE_SHAPE).astype("float32")
    query[1, 2] = 0.0
    # The Masking layer's mask reaches the query mask; the call's causal flag was saved.
    mask = np.any(query != 0, -1)[:, :, None] & np.tril(np.ones((4, 5), bool))[None]
    want, _ = np_mha(query, value, value, weights, 2, 3, mask=mask)
    np.testing.assert_allclose(to_np(model([query, value])), want, rtol=1e-5, atol=1e-5)


def test_mha_bad_arguments_and_inputs(backend):
    with pytest.raises(ValueError, match="`num_heads` must be a positive integer. Received: num_heads=0"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="`key_dim` must be a positive integer"):
        layers.MultiHeadAttention(num_heads=2, key_dim=None)
    with pytest.raises(ValueError, match="`dropout` must be a float in \\[0, 1\\]. Received: dropout=1.5"):
        layers.MultiHeadAttention(2, 2, dropout=1.5)
    with pytest.raises(ValueError, match="`attention_axes` must be an int, a list or a tuple"):
        layers.MultiHeadAttention(2, 2, attention_axes="1")
    with pytest.raises(ValueError, match="not supported by kerasish. Received: use_gate=True"):
        layers.MultiHeadAttention(2, 2, use_gate=True)
    x3 = np.zeros((2, 4, 6), "float32")
    with pytest.raises(ValueError, match="'mha'.*`query` must have rank 3 or more.*query.shape=\\(2, 6\\)"):
        layers.MultiHeadAttention(2, 2, name="mha")(np.zeros((2, 6), "float32"), x3)
    with pytest.raises(ValueError, match="`value` and `key`, except the last one, must be equal"):
        layers.MultiHeadAttention(2, 2)(x3, np.zeros((2, 5, 6), "float32"), np.zeros((2, 3, 6), "float32"))
    with pytest.raises(ValueError, match="must have the same rank"):
        layers.MultiHeadAttention(2, 2)(x3, np.zeros((2, 3, 4, 6), "float32"))
    with pytest.raises(ValueError, match="`attention_axes` must be distinct axes of the input"):
        layers.MultiHeadAttention(2, 2, attention_axes=2)(x3, x3)
    layer = layers.MultiHeadAttention(2, 2, name="built")
    layer(x3, x3)
    with pytest.raises(ValueError, match="'query' \\(EinsumDense\\) is incompatible"):
        layer(np.zeros((2, 4, 5), "float32"), x3)
    with pytest.raises(ValueError, match="'query' \\(EinsumDense\\) is incompatible"):
        layer(keras.Input(shape=(4, 5)), keras.Input(shape=(4, 6)))
    with pytest.raises(TypeError, match="MultiHeadAttention layer 'built' was called with invalid arguments"):
        layer(x3)


# --------------------------------------------------- Attention, AdditiveAttention
def dot_scores(scale=None):
    def fn(q, k):
        s = q @ np.swapaxes(k, -1, -2)
        return s if scale is None else s * scale

    return fn


def concat_scores(weight, scale=None):
    def fn(q, k):
        pairs = q[:, :, None] + k[:, None]
        return weight * np.tanh(pairs if scale is None else scale * pairs).sum(-1)

    return fn


def additive_scores(scale=None):
    def fn(q, k):
        t = np.tanh(q[:, :, None] + k[:, None])
        return (t if scale is None else scale * t).sum(-1)

    return fn


def _attention_inputs(rng):
    query = rng.normal(size=(2, 4, 3)).astype("float32")
    value = rng.normal(size=(2, 5, 2)).astype("float32")
    key = rng.normal(size=(2, 5, 3)).astype("float32")
    query_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 1, 0, 1], [1, 1, 1, 1, 0]], bool)
    return query, value, key, query_mask, value_mask


@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("score_mode", ["dot", "concat"])
def test_attention_matches_numpy(backend, rng, use_scale, score_mode):
    query, value, key, query_mask, value_mask = _attention_inputs(rng)
    layer = layers.Attention(use_scale=use_scale, score_mode=score_mode)
    layer([query, value, key])
    expected_names = (["scale"] if use_scale else []) + (["concat_score_weight"] if score_mode == "concat" else [])
    assert [w.name for w in layer.weights] == expected_names
    assert all(tuple(w.shape) == () for w in layer.weights)
    picked = {"scale": 0.7, "concat_score_weight": 1.3}
    layer.set_weights([np.float32(picked[n]) for n in expected_names])
    scale = 0.7 if use_scale else None
    scores_fn = dot_scores(scale) if score_mode == "dot" else concat_scores(1.3, scale)
    for kwargs, (q_mask, v_mask, causal) in [
        ({}, (None, None, False)),
        ({"mask": [query_mask, value_mask]}, (query_mask, value_mask, False)),
        ({"mask": [None, value_mask], "use_causal_mask": True}, (None, value_mask, True)),
    ]:
        out, weights = layer([query, value, key], return_attention_scores=True, **kwargs)
        want_out, want_weights = np_attention(query, value, key, scores_fn, q_mask, v_mask, causal)
        np.testing.assert_allclose(to_np(weights), want_weights, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_np(out), want_out, rtol=1e-5, atol=1e-6)
    # Without a key, the value is the key.
    square = rng.normal(size=(2, 5, 3)).astype("float32")
    want_out, _ = np_attention(query, square, None, scores_fn)
    np.testing.assert_allclose(to_np(layer([query, square])), want_out, rtol=1e-5, atol=1e-6)


def test_additive_attention_matches_numpy(backend, rng):
    query, value, key, query_mask, value_mask = _attention_inputs(rng)
    layer = layers.AdditiveAttention()
    layer([query, value, key])
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("scale", (3,))]
    scale = np.array([0.5, -1.0, 2.0], "float32")
    layer.set_weights([scale])
    out, weights = layer([query, value, key], mask=[query_mask, value_mask], return_attention_scores=True,
                         use_causal_mask=True)
    want_out, want_weights = np_attention(query, value, key, additive_scores(scale), query_mask, value_mask, True)
    np.testing.assert_allclose(to_np(weights), want_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_np(out), want_out, rtol=1e-5, atol=1e-6)

    unscaled = layers.AdditiveAttention(use_scale=False)
    want_out, _ = np_attention(query, value, key, additive_scores())
    np.testing.assert_allclose(to_np(unscaled([query, value, key])), want_out, rtol=1e-5, atol=1e-6)
    assert unscaled.weights == []
    assert "score_mode" not in layer.get_config()
    assert layers.AdditiveAttention.from_config(layer.get_config()).get_config() == layer.get_config()


def test_attention_dropout_only_while_training(backend, rng):
    query, value, key, _, _ = _attention_inputs(rng)
    layer = layers.Attention(dropout=0.5, seed=2)
    _, inference = layer([query, value, key], return_attention_scores=True)
    np.testing.assert_allclose(to_np(layer([query, value, key], training=False)),
                               np_attention(query, value, key, dot_scores())[0], rtol=1e-5, atol=1e-6)
    out, dropped = layer([query, value, key], return_attention_scores=True, training=True)
    dropped, inference = to_np(dropped), to_np(inference)
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    # Kept weights are scaled by 1 / (1 - rate), and the output uses the dropped weights.
    np.testing.assert_allclose(dropped[kept], 2 * inference[kept], rtol=1e-5)
    np.testing.assert_allclose(to_np(out), dropped @ value, rtol=1e-5, atol=1e-6)


def test_attention_layers_in_a_functional_model(backend, rng):
    query, value, key, _, _ = _attention_inputs(rng)
    query_in, value_in, key_in = keras.Input(shape=(4, 3)), keras.Input(shape=(5, 2)), keras.Input(shape=(5, 3))
    dot, dot_scores = layers.Attention(use_scale=True, score_mode="concat")(
        [query_in, value_in, key_in], return_attention_scores=True
    )
    assert dot.shape == (None, 4, 2) and dot_scores.shape == (None, 4, 5)
    additive = layers.AdditiveAttention(dropout=0.1, seed=4)([query_in, value_in, key_in])
    model = keras.Model([query_in, value_in, key_in], [dot, dot_scores, additive])
    model.set_weights(random_weights(model, rng))
    clone = keras.models.Functional.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    for got, want in zip(clone([query, value, key]), model([query, value, key])):
        np.testing.assert_allclose(to_np(got), to_np(want), rtol=1e-6)


def test_attention_takes_masks_from_the_graph(backend, rng):
    query, value, _, _, _ = _attention_inputs(rng)
    value = np.concatenate([value, np.zeros((2, 5, 1), "float32")], -1)
    query[0, 2] = 0.0
    value[1, 4] = 0.0
    query_in, value_in = keras.Input(shape=(4, 3)), keras.Input(shape=(5, 3))
    layer = layers.Attention()
    model = keras.Model([query_in, value_in], layer([layers.Masking()(query_in), layers.Masking()(value_in)]))
    want = layer([query, value], mask=[np.any(query != 0, -1), np.any(value != 0, -1)])
    np.testing.assert_allclose(to_np(model([query, value])), to_np(want), rtol=1e-6)
    assert layer.compute_mask([query, value], [None, None]) is None


def test_attention_bad_arguments_and_inputs(backend):
    x = np.zeros((2, 4, 3), "float32")
    with pytest.raises(ValueError, match="Expected one of \\{'dot', 'concat'\\}. Received: score_mode='add'"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="`dropout` must be a float in \\[0, 1\\). Received: dropout=1.0"):
        layers.AdditiveAttention(dropout=1.0)
    with pytest.raises(ValueError, match="'att'.*must be called on a list of inputs"):
        layers.Attention(name="att")(x)
    with pytest.raises(ValueError, match="accepts an inputs list of length 2 or 3.*Received length: 1"):
        layers.Attention()([x])
    with pytest.raises(ValueError, match="`mask` must be a list"):
        layers.Attention()([x, x], mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="`query` and `key` must have the same last dimension"):
        layers.Attention()([x, x, np.zeros((2, 4, 5), "float32")])
    with pytest.raises(ValueError, match="`value` and `key` must have the same number of steps"):
        layers.Attention()([x, x, np.zeros((2, 6, 3), "float32")])
    with pytest.raises(ValueError, match="'add'.*`query` must have rank 3 or more"):
        layers.AdditiveAttention(name="add")([np.zeros((4, 3), "float32"), x])
