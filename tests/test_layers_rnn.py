"""Recurrent layers against NumPy loops written here: SimpleRNN, LSTM, GRU, RNN(cell), Bidirectional,
TimeDistributed; masks, go_backwards, states, dropout, config, JAX vs NumPy, compile-once."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops

RTOL, ATOL = 1e-5, 1e-6


# ------------------------------------------------------------ NumPy reference
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _split(z, n):
    return np.split(z, n, axis=-1)


def ref_simple(x_t, states, w):
    kernel, recurrent_kernel, bias = w
    h = np.tanh(x_t @ kernel + states[0] @ recurrent_kernel + bias)
    return h, [h]


def ref_lstm(x_t, states, w):
    kernel, recurrent_kernel, bias = w
    h, c = states
    i, f, g, o = _split(x_t @ kernel + h @ recurrent_kernel + bias, 4)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return h, [h, c]


def ref_gru(x_t, states, w, reset_after=True):
    kernel, recurrent_kernel, bias = w
    h = states[0]
    units = recurrent_kernel.shape[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    x_z, x_r, x_h = _split(x_t @ kernel + input_bias, 3)
    if reset_after:
        r_z, r_r, r_h = _split(h @ recurrent_kernel + recurrent_bias, 3)
        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
        candidate = np.tanh(x_h + r * r_h)
    else:
        r_z, r_r = _split(h @ recurrent_kernel[:, : 2 * units], 2)
        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * units :])
    h = z * h + (1 - z) * candidate
    return h, [h]


def ref_rnn(step, x, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Outputs in the order of processing, the last output and the final states."""
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in steps:
        out, new = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            out = np.where(keep, out, 0.0 if zero_output_for_mask else states[0])
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        outputs.append(out)
        states = new
    return np.stack(outputs, axis=1), outputs[-1], states


KINDS = {
    "simple_rnn": (lambda **kw: layers.SimpleRNN(4, **kw), ref_simple, 1),
    "lstm": (lambda **kw: layers.LSTM(4, **kw), ref_lstm, 2),
    "gru": (lambda **kw: layers.GRU(4, **kw), ref_gru, 1),
    "gru_reset_before": (
        lambda **kw: layers.GRU(4, reset_after=False, **kw),
        lambda x, s, w: ref_gru(x, s, w, reset_after=False),
        1,
    ),
}


def _random_weights(layer, rng, scale=0.6):
    return [(rng.normal(size=w.shape) * scale).astype("float32") for w in layer.weights]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 1]], bool)


# ------------------------------------------------------------- correctness
def test_simple_rnn_by_hand(backend):
    layer = layers.SimpleRNN(1, return_sequences=True)
    layer.build((1, 3, 1))
    layer.set_weights([np.array([[0.5]]), np.array([[0.25]]), np.array([0.1])])
    out = _np(layer(np.array([[[1.0], [2.0], [3.0]]], "float32")))
    h1 = np.tanh(0.5 + 0.1)
    h2 = np.tanh(1.0 + 0.25 * h1 + 0.1)
    h3 = np.tanh(1.5 + 0.25 * h2 + 0.1)
    np.testing.assert_allclose(out[0, :, 0], [h1, h2, h3], rtol=RTOL)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_layer_matches_numpy_loop(backend, kind):
    make, step, n_states = KINDS[kind]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 3)).astype("float32")
    initial = [rng.normal(size=(3, 4)).astype("float32") for _ in range(n_states)]
    # Each flag takes both values, and go_backwards and zero outputs meet masks (the flags
    # are the RNN's, the same for every cell: the other cells check two combinations).
    combos = [(False, False, None, False), (True, True, MASK, False), (True, False, MASK, True),
              (False, True, MASK, True)]
    if kind != "lstm":
        combos = combos[:2]
    for return_sequences, go_backwards, mask, zero_output in combos:
        layer = make(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True,
                     zero_output_for_mask=zero_output)
        layer.build(x.shape)
        w = _random_weights(layer, rng)
        layer.set_weights(w)
        got = layer(x, initial_state=initial, mask=mask)
        seq, last, states = ref_rnn(lambda a, s, w=w: step(a, s, w), x, initial, mask, go_backwards, zero_output)
        assert len(got) == 1 + n_states
        np.testing.assert_allclose(_np(got[0]), seq if return_sequences else last, rtol=RTOL, atol=ATOL)
        for g, s in zip(got[1:], states):
            np.testing.assert_allclose(_np(g), s, rtol=RTOL, atol=ATOL)


def test_weights_names_shapes_and_initial_values(backend):
    lstm = layers.LSTM(4)
    lstm.build((None, 5, 3))
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(lstm.weights[2].numpy(), [0] * 4 + [1] * 4 + [0] * 8)  # unit_forget_bias
    recurrent = lstm.weights[1].numpy()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal
    assert lstm.cell.name == "lstm_cell" and lstm.weights[0].path.startswith("lstm_cell/")
    assert lstm.count_params() == 3 * 16 + 4 * 16 + 16
    no_forget = layers.LSTM(4, unit_forget_bias=False, bias_initializer="ones")
    no_forget.build((None, 5, 3))
    np.testing.assert_array_equal(no_forget.weights[2].numpy(), np.ones(16))

    gru = layers.GRU(4)
    gru.build((None, 5, 3))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    gru_before = layers.GRU(4, reset_after=False, use_bias=False)
    gru_before.build((None, 5, 3))
    assert [w.name for w in gru_before.weights] == ["kernel", "recurrent_kernel"]
    simple = layers.SimpleRNN(4, name="rnn_x")
    simple.build((None, 5, 3))
    assert [w.shape for w in simple.weights] == [(3, 4), (4, 4), (4,)]
    assert simple.units == 4 and simple.activation is simple.cell.activation and simple.dropout == 0.0


def test_rnn_with_cell_equals_layer(backend):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 3)).astype("float32")
    rnn = layers.RNN(layers.GRUCell(4, reset_after=False), return_sequences=True)
    layer = layers.GRU(4, reset_after=False, return_sequences=True)
    rnn.build(x.shape)
    layer.build(x.shape)
    layer.set_weights(rnn.get_weights())
    np.testing.assert_allclose(_np(rnn(x)), _np(layer(x)), rtol=RTOL, atol=ATOL)


def test_cell_called_on_one_step(backend):
    cell = layers.LSTMCell(4)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 3)).astype("float32")
    states = [rng.normal(size=(3, 4)).astype("float32") for _ in range(2)]
    out, new = cell(x, states)
    ref_out, ref_new = ref_lstm(x, states, cell.get_weights())
    np.testing.assert_allclose(_np(out), ref_out, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(new[1]), ref_new[1], rtol=RTOL, atol=ATOL)
    assert [tuple(ops.shape(s)) for s in cell.get_initial_state(batch_size=3)] == [(3, 4), (3, 4)]


def test_stacked_cells(backend):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    rnn = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)], return_sequences=True, return_state=True)
    outputs = rnn(x, mask=MASK[:2])
    w = rnn.get_weights()
    assert len(w) == 6 and len(outputs) == 3

    def step(x_t, states):
        h1, new1 = ref_lstm(x_t, states[:2], w[:3])
        h2, new2 = ref_gru(h1, states[2:], w[3:])
        return h2, new1 + new2

    zeros = [np.zeros((2, 4), "float32")] * 2 + [np.zeros((2, 3), "float32")]

    # The masked output is the last cell's previous output (the last state, here).
    def run():
        states, seq = zeros, []
        for t in range(5):
            out, new = step(x[:, t], states)
            keep = MASK[:2, t][:, None]
            out = np.where(keep, out, states[2])
            states = [np.where(keep, n, s) for n, s in zip(new, states)]
            seq.append(out)
        return np.stack(seq, 1), states

    seq, states = run()
    np.testing.assert_allclose(_np(outputs[0]), seq, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(outputs[1][1]), states[1], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(outputs[2]), states[2], rtol=RTOL, atol=ATOL)
    assert rnn.compute_output_shape((2, 5, 3)) == ((2, 5, 3), [(2, 4), (2, 4)], (2, 3))


# ------------------------------------------------------------------- masks
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_sequence_equals_shorter_sequence(backend, kind):
    make, _, _ = KINDS[kind]
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 6, 3)).astype("float32")
    layer = make(return_state=True)
    layer.build(x.shape)
    padded = np.concatenate([x[:, :4], rng.normal(size=(1, 2, 3)).astype("float32")], axis=1)
    mask = np.array([[True] * 4 + [False] * 2])
    full = layer(padded, mask=mask)
    short = layer(x[:, :4])
    for a, b in zip(full, short):
        np.testing.assert_allclose(_np(a), _np(b), rtol=RTOL, atol=ATOL)
    # Numbers 0/1 work as a mask too; a list holding the mask as well.
    np.testing.assert_allclose(_np(layer(padded, mask=[mask.astype("int32")])[0]), _np(short[0]), rtol=RTOL, atol=ATOL)


def test_mask_propagates_through_models(backend):
    rng = np.random.default_rng(6)
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], "int32")
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(inputs)
    sequence = layers.LSTM(4, return_sequences=True)(embedded)
    last = layers.GRU(4)(sequence)
    model = keras.Model(inputs, last)
    for v in model.weights:
        v.assign(rng.normal(size=v.shape).astype("float32") * 0.5)
    emb, lstm, gru = model.layers[1:]
    expected_first = gru(lstm(emb(tokens[:1, :3])))
    got = _np(model(tokens))
    np.testing.assert_allclose(got[:1], _np(expected_first), rtol=RTOL, atol=ATOL)
    assert lstm.compute_mask(None, np.ones((2, 5), bool)).shape == (2, 5)
    assert gru.compute_mask(None, np.ones((2, 5), bool)) is None
    assert layers.LSTM(2, return_state=True).compute_mask(None, None) == [None, None, None]


def test_bad_masks_and_states_are_refused(backend):
    layer = layers.LSTM(2)
    x = np.zeros((2, 3, 4), "float32")
    with pytest.raises(ValueError, match=r"`mask` must have shape \(batch_size, timesteps\) = \(2, 3\). Received: mask.shape=\(2, 4\)"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"expects 2 initial state tensor\(s\).*Received: 1 tensor"):
        layer(x, initial_state=[np.zeros((2, 2), "float32")])
    with pytest.raises(ValueError, match=r"\(batch_size, state_size\) = \(2, 2\). Received: shape=\(2, 3\)"):
        layer(x, initial_state=[np.zeros((2, 3), "float32")] * 2)
    with pytest.raises(ValueError, match=r"'lstm\w*' \(LSTM\) is incompatible: expected ndim=3"):
        layers.LSTM(2)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="min_ndim=3"):
        layers.RNN(layers.GRUCell(2))(np.zeros((2, 3), "float32"))


def test_bad_arguments_are_refused(backend):
    with pytest.raises(ValueError, match="LSTM: argument `units` must be a positive integer. Received: units=-1"):
        layers.LSTM(-1)
    with pytest.raises(ValueError, match="LSTMCell: argument `units` must be a positive integer. Received: units=0"):
        layers.LSTMCell(0)
    with pytest.raises(ValueError, match=r"GRU: argument `dropout` must be a float in \[0, 1\). Received: dropout=1.5"):
        layers.GRU(2, dropout=1.5)
    with pytest.raises(TypeError, match="argument `recurrent_dropout` must be a float"):
        layers.SimpleRNNCell(2, recurrent_dropout="x")
    with pytest.raises(TypeError, match="argument `return_sequences` must be a boolean"):
        layers.SimpleRNN(2, return_sequences="yes")
    with pytest.raises(ValueError, match="should have a `call` method"):
        layers.RNN(object())
    with pytest.raises(ValueError, match="`use_cudnn` must be one of"):
        layers.LSTM(2, use_cudnn="maybe")
    with pytest.raises(ValueError, match="Invalid merge mode|invalid merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="with a `Layer` instance"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="same value for `return_sequences`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="with a `Layer` instance"):
        layers.TimeDistributed(lambda x: x)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="batch size must be known"):
        layers.LSTM(2, stateful=True)(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="cannot unroll an RNN whose time dimension is undefined"):
        layers.GRU(2, unroll=True)(keras.Input((None, 4)))


# -------------------------------------------------------------------- state
def test_stateful_keeps_state_across_calls_and_resets(backend):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    stateful = layers.GRU(4, stateful=True, return_sequences=True)
    stateful.build(x.shape)
    plain = layers.GRU(4, return_sequences=True)
    plain.build(x.shape)
    plain.set_weights(stateful.get_weights())
    assert len(stateful.weights) == 3 and len(stateful.non_trainable_variables) == 2  # state + seed
    first = _np(stateful(x[:, :3]))
    second = _np(stateful(x[:, 3:]))
    np.testing.assert_allclose(np.concatenate([first, second], 1), _np(plain(x)), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(stateful.states[0].numpy(), second[:, -1], rtol=RTOL, atol=ATOL)
    stateful.reset_states()
    np.testing.assert_array_equal(stateful.states[0].numpy(), np.zeros((2, 4)))
    np.testing.assert_allclose(_np(stateful(x[:, :3])), first, rtol=RTOL, atol=ATOL)
    stateful.reset_state([np.ones((2, 4), "float32")])
    np.testing.assert_allclose(_np(stateful(x[:, :3])), _np(plain(x[:, :3], initial_state=np.ones((2, 4), "float32"))),
                               rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match="built for batches of 2. Received a batch of 3"):
        stateful(np.zeros((3, 2, 3), "float32"))


def test_stateful_state_is_returned_by_stateless_call(backend):
    layer = layers.LSTM(2, stateful=True)
    x = np.ones((1, 3, 2), "float32")
    layer(x)
    layer.reset_state()
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    out, new_non_trainable = layer.stateless_call(trainable, non_trainable, x)
    assert np.all(layer.states[0].numpy() == 0)  # nothing mutated
    paths = [v.path for v in layer.non_trainable_variables]
    h_index = paths.index(layer.states[0].path)
    np.testing.assert_allclose(_np(new_non_trainable[h_index]), _np(out), rtol=RTOL)


def test_stateful_model_fits_and_keeps_its_state(backend):
    rng = np.random.default_rng(17)
    x = rng.normal(size=(8, 5, 3)).astype("float32")
    model = keras.Sequential([keras.Input((5, 3), batch_size=4), layers.GRU(4, stateful=True), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, -1, :1], batch_size=4, epochs=1, shuffle=False, verbose=0)
    gru = model.layers[0]
    assert np.abs(gru.states[0].numpy()).sum() > 0  # the last batch's final state, written back
    gru.reset_states()
    assert np.abs(gru.states[0].numpy()).sum() == 0


def test_initial_state_from_another_layer_in_a_functional_model(backend):
    rng = np.random.default_rng(8)
    encoder_in = keras.Input((5, 3))
    decoder_in = keras.Input((4, 2))
    _, h, c = layers.LSTM(6, return_state=True)(encoder_in)
    decoded = layers.LSTM(6, return_sequences=True)(decoder_in, initial_state=[h, c])
    out = layers.TimeDistributed(layers.Dense(2))(decoded)
    model = keras.Model([encoder_in, decoder_in], out)
    assert model.output_shape == (None, 4, 2)
    a = rng.normal(size=(2, 5, 3)).astype("float32")
    b = rng.normal(size=(2, 4, 2)).astype("float32")
    enc, dec, td = model.layers[2], model.layers[3], model.layers[4]
    _, h0, c0 = enc(a)
    expected = td(dec(b, initial_state=[h0, c0]))
    np.testing.assert_allclose(_np(model([a, b])), _np(expected), rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ dropout
def test_dropout_masks_are_fixed_across_steps(backend):
    # kernel = identity, no recurrence, linear: each output step is the input step times the mask.
    layer = layers.SimpleRNN(6, activation=None, dropout=0.5, return_sequences=True, seed=3)
    layer.build((4, 5, 6))
    layer.set_weights([np.eye(6), np.zeros((6, 6)), np.zeros(6)])
    x = np.ones((4, 5, 6), "float32")
    out = _np(layer(x, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < np.count_nonzero(out) < out.size
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], 5, axis=1))  # same mask at every step
    again = _np(layer(x, training=True))
    assert not np.array_equal(again, out)  # a new mask each call
    np.testing.assert_array_equal(_np(layer(x)), x)  # none at inference

    # recurrence = identity, no input: the state is multiplied by the same mask at each step.
    rec = layers.SimpleRNN(6, activation=None, recurrent_dropout=0.5, return_sequences=True, seed=4)
    rec.build((4, 3, 6))
    rec.set_weights([np.zeros((6, 6)), np.eye(6), np.zeros(6)])
    seq = _np(rec(np.zeros((4, 3, 6), "float32"), initial_state=np.ones((4, 6), "float32"), training=True))
    np.testing.assert_allclose(seq[:, 1], seq[:, 0] ** 2)
    np.testing.assert_allclose(seq[:, 2], seq[:, 0] ** 3)


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3, seed=1),
    lambda: layers.GRU(4, dropout=0.3, recurrent_dropout=0.3, reset_after=False, seed=1),
])
def test_gated_dropout_only_while_training(backend, make):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 5, 3)).astype("float32")
    layer = make()
    plain = layers.LSTM(4) if isinstance(layer, layers.LSTM) else layers.GRU(4, reset_after=layer.reset_after)
    layer.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    expected = _np(plain(x))
    np.testing.assert_allclose(_np(layer(x, training=False)), expected, rtol=RTOL, atol=ATOL)
    assert not np.allclose(_np(layer(x, training=True)), expected)
    assert getattr(layer.cell, "_dropout_mask", None) is None  # masks do not outlive the call
    if layer.recurrent_dropout:
        assert layer.cell.dropout_mask_count == (4 if isinstance(layer, layers.LSTM) else 3)


def test_dropout_inside_jit_draws_new_masks(backend):
    layer = layers.GRU(3, dropout=0.5, seed=2)
    x = np.ones((2, 4, 3), "float32")
    layer(x)
    step = backend.jit(lambda tv, ntv, x: layer.stateless_call(tv, ntv, x, training=True))
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    out1, non_trainable = step(trainable, non_trainable, x)
    out2, _ = step(trainable, non_trainable, x)
    assert not np.allclose(_np(out1), _np(out2))


# ----------------------------------------------------------- Bidirectional
def _merge(mode, y, y_rev):
    if mode == "concat":
        return np.concatenate([y, y_rev], -1)
    if mode == "sum":
        return y + y_rev
    if mode == "mul":
        return y * y_rev
    if mode == "ave":
        return (y + y_rev) / 2
    return [y, y_rev]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(backend, merge_mode):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 5, 3)).astype("float32")
    for return_sequences in (True, False) if merge_mode == "concat" else (True,):
        layer = layers.Bidirectional(layers.SimpleRNN(4, return_sequences=return_sequences, name="enc"),
                                     merge_mode=merge_mode)
        layer.build(x.shape)
        w = _random_weights(layer, rng)
        layer.set_weights(w)
        assert [lay.name for lay in (layer.forward_layer, layer.backward_layer)] == ["forward_enc", "backward_enc"]
        zeros = [np.zeros((3, 4), "float32")]
        # Returning sequences, masked steps output zeros in both directions.
        fwd_seq, fwd_last, _ = ref_rnn(lambda a, s, w=w: ref_simple(a, s, w[:3]), x, zeros, MASK, False, return_sequences)
        bwd_seq, bwd_last, _ = ref_rnn(lambda a, s, w=w: ref_simple(a, s, w[3:]), x, zeros, MASK, True, return_sequences)
        y, y_rev = (fwd_seq, bwd_seq[:, ::-1]) if return_sequences else (fwd_last, bwd_last)
        expected = _merge(merge_mode, y, y_rev)
        got = layer(x, mask=MASK)
        shape = layer.compute_output_shape((3, 5, 3))
        if merge_mode is None:
            assert isinstance(got, tuple) and len(got) == 2 and shape == ((3, 5, 4), (3, 5, 4))
            for g, e in zip(got, expected):
                np.testing.assert_allclose(_np(g), e, rtol=RTOL, atol=ATOL)
        else:
            np.testing.assert_allclose(_np(got), expected, rtol=RTOL, atol=ATOL)
            assert tuple(ops.shape(got)) == shape == expected.shape


def test_bidirectional_states_weights_and_config(backend):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = layers.Bidirectional(layers.GRU(2, return_state=True))
    init = [rng.normal(size=(2, 2)).astype("float32") for _ in range(2)]
    out, h_fwd, h_bwd = layer(x, initial_state=init)
    fwd, bwd = layer.forward_layer, layer.backward_layer
    np.testing.assert_allclose(_np(h_fwd), _np(fwd(x, initial_state=init[:1])[1]), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(h_bwd), _np(bwd(x, initial_state=init[1:])[1]), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(out), np.concatenate([_np(h_fwd), _np(h_bwd)], -1), rtol=RTOL, atol=ATOL)
    assert layer.compute_output_shape((None, 4, 3)) == ((None, 4), (None, 2), (None, 2))
    assert [w.shape for w in layer.weights] == [(3, 6), (2, 6), (2, 6)] * 2
    assert layer.weights[0] is fwd.cell.kernel and layer.weights[3] is bwd.cell.kernel
    assert bwd.go_backwards and not fwd.go_backwards
    config = layer.get_config()
    assert config["layer"]["class_name"] == "GRU" and config["layer"]["config"]["name"] == fwd.name
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = layers.Bidirectional.from_config(config)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone(x), layer(x)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=RTOL, atol=ATOL)
    assert clone.forward_layer.name == fwd.name
    with pytest.raises(AttributeError, match="must be stateful"):
        layer.reset_state()
    with pytest.raises(ValueError, match="even number"):
        layer(x, initial_state=init[:1])
    stateful = layers.Bidirectional(layers.LSTM(2, stateful=True))
    stateful(x)
    assert len(stateful.states) == 4
    stateful.reset_states()


def test_bidirectional_with_weights_argument_and_custom_backward(backend):
    x = np.ones((1, 3, 2), "float32")
    ref = layers.Bidirectional(layers.SimpleRNN(2))
    ref(x)
    custom = layers.Bidirectional(
        layers.SimpleRNN(2), weights=ref.get_weights(),
        backward_layer=layers.SimpleRNN(2, go_backwards=True, name="mine"),
    )
    np.testing.assert_allclose(_np(custom(x)), _np(ref(x)), rtol=RTOL, atol=ATOL)
    assert custom.backward_layer.name == "mine"


# --------------------------------------------------------- TimeDistributed
def test_time_distributed_dense(backend):
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = layers.TimeDistributed(layers.Dense(5, activation="tanh"))
    out = _np(layer(x))
    kernel, bias = layer.layer.get_weights()
    np.testing.assert_allclose(out, np.tanh(x @ kernel + bias), rtol=RTOL, atol=ATOL)
    assert [w.shape for w in layer.weights] == [(3, 5), (5,)]
    assert layer.compute_output_shape((None, 4, 3)) == (None, 4, 5)
    images = rng.normal(size=(2, 3, 2, 2)).astype("float32")
    flat = layers.TimeDistributed(layers.Flatten())
    assert tuple(ops.shape(flat(images))) == (2, 3, 4)
    assert flat.compute_output_shape((None, 3, 2, 2)) == (None, 3, 4)
    clone = layers.TimeDistributed.from_config(layer.get_config())
    assert clone.get_config()["layer"]["class_name"] == "Dense"
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, layers.TimeDistributed(layers.Dense(2))(inputs))
    assert model.output_shape == (None, None, 2)
    assert tuple(ops.shape(model(x))) == (2, 4, 2)
    # A mask passes through unchanged (Dense supports masking).
    assert layer.compute_mask(x, MASK[:2, :4]) is not None


# ---------------------------------------------------------- shapes, config
def test_compute_output_shape_and_symbolic_calls(backend):
    inputs = keras.Input((7, 3))
    out, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape, c.shape) == ((None, 7, 4), (None, 4), (None, 4))
    assert layers.GRU(2).compute_output_shape((5, None, 3)) == (5, 2)
    assert layers.GRU(2, return_state=True).compute_output_shape((5, 7, 3)) == ((5, 2), (5, 2))
    assert layers.SimpleRNN(2, return_sequences=True).compute_output_shape((None, None, 3)) == (None, None, 2)
    model = keras.Sequential([keras.Input((None, 3)), layers.LSTM(4, return_sequences=True), layers.GRU(2)])
    assert tuple(ops.shape(model(np.zeros((2, 9, 3), "float32")))) == (2, 2)


KERAS_LSTM_CONFIG_KEYS = {
    "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
    "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "seed",
}


def test_config_round_trips(backend):
    x = np.random.default_rng(13).normal(size=(2, 3, 4)).astype("float32")
    lstm = layers.LSTM(3, dropout=0.25, seed=5, return_sequences=True, go_backwards=True, kernel_regularizer="l2")
    config = lstm.get_config()
    assert set(config) == KERAS_LSTM_CONFIG_KEYS
    assert config["activation"] == "tanh" and config["recurrent_initializer"]["class_name"] == "Orthogonal"
    for layer in [
        lstm,
        layers.GRU(2, reset_after=False, recurrent_activation="hard_sigmoid", stateful=True),
        layers.SimpleRNN(2, activation="relu", return_state=True),
        layers.RNN(layers.LSTMCell(3), return_sequences=True, unroll=True),
        layers.RNN([layers.SimpleRNNCell(2), layers.GRUCell(3)]),
    ]:
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        layer.build(x.shape)
        clone.build(x.shape)
        clone.set_weights(layer.get_weights())
        a, b = layer(x), clone(x)
        for u, v in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
            np.testing.assert_allclose(_np(u), _np(v), rtol=RTOL, atol=ATOL)
    rnn_config = layers.RNN(layers.GRUCell(3, reset_after=False)).get_config()
    assert rnn_config["cell"]["class_name"] == "GRUCell" and rnn_config["cell"]["module"] == "keras.layers"
    assert rnn_config["cell"]["config"]["reset_after"] is False
    restored = layers.deserialize(layers.serialize(layers.Bidirectional(layers.LSTM(2))))
    assert isinstance(restored.forward_layer, layers.LSTM)
    # Keras 2 configs carry `implementation` and `time_major=False`.
    legacy = {**layers.LSTM(2).get_config(), "implementation": 1, "time_major": False}
    assert layers.LSTM.from_config(legacy).units == 2


# ------------------------------------------------------- JAX against NumPy
@pytest.mark.skipif(not {"jax", "numpy"} <= set(kb.available_backends()), reason="needs both backends")
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_jax_matches_numpy_outputs_and_gradients(kind):
    make, _, _ = KINDS[kind]
    rng = np.random.default_rng(14)
    x = rng.normal(size=(3, 5, 2)).astype("float32")
    direction = rng.normal(size=(3, 5, 4)).astype("float32")
    results = {}
    weights = None
    for name in ("numpy", "jax"):
        with kb.use_backend(name) as b:
            layer = make(return_sequences=True, go_backwards=True)
            layer.build(x.shape)
            weights = weights or _random_weights(layer, rng)
            layer.set_weights(weights)
            non_trainable = [v.value for v in layer.non_trainable_variables]

            def objective(params, x, layer=layer, non_trainable=non_trainable):
                out, _ = layer.stateless_call(params, non_trainable, x, mask=MASK)
                return ops.sum(ops.multiply(out, direction)), out

            fn = b.value_and_grad(objective, has_aux=True)
            if b.supports_jit:
                fn = b.jit(fn)
            (value, out), grads = fn([v.value for v in layer.trainable_variables], b.convert_to_tensor(x))
            results[name] = (float(b.to_numpy(value)), np.asarray(b.to_numpy(out)), [np.asarray(b.to_numpy(g)) for g in grads])
    (v_np, o_np, g_np), (v_jx, o_jx, g_jx) = results["numpy"], results["jax"]
    assert v_jx == pytest.approx(v_np, rel=1e-4, abs=1e-4)
    np.testing.assert_allclose(o_jx, o_np, rtol=2e-5, atol=2e-6)
    for a, b in zip(g_jx, g_np):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------ compile once
class _CountingCell(layers.LSTMCell):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def call(self, inputs, states, training=False):
        self.calls += 1
        return super().call(inputs, states, training=training)


def test_rnn_over_100_steps_traces_the_cell_once(backend):
    cell = _CountingCell(3)
    layer = layers.RNN(cell)
    x = np.ones((2, 100, 2), "float32")
    layer(x)
    assert cell.calls == (1 if backend.supports_jit else 100)
    if backend.supports_jit:
        step = backend.jit(lambda tv, ntv, x: layer.stateless_call(tv, ntv, x)[0])
        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]
        step(trainable, non_trainable, x)
        step(trainable, non_trainable, x + 1)
        assert cell.calls == 2


def test_fit_an_lstm_over_100_steps_compiles_once(backend):
    if not backend.supports_jit:
        pytest.skip("the backend does not compile")
    rng = np.random.default_rng(15)
    x = rng.normal(size=(16, 100, 2)).astype("float32")
    y = x[:, -5:, 0].mean(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((100, 2)), layers.LSTM(4), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert model.trace_counts["train"] == 1


# ------------------------------------------------------------ training
def test_embedding_lstm_dense_model_trains(backend):
    rng = np.random.default_rng(16)
    n, length, vocab = 64, 6, 9
    tokens = rng.integers(1, vocab, size=(n, length))
    lengths = rng.integers(2, length + 1, size=n)
    tokens[np.arange(length)[None, :] >= lengths[:, None]] = 0  # post-padding
    # The label is whether the last real token is large: the model must skip the padding.
    labels = (tokens[np.arange(n), lengths - 1] >= 5).astype("float32")[:, None]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((length,), dtype="int32"),
        layers.Embedding(vocab, 8, mask_zero=True),
        layers.LSTM(8),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(tokens.astype("int32"), labels, batch_size=16, epochs=12, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.9
