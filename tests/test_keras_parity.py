"""Against Keras 3 itself (a test-only dependency): every layer Keras has gives the same
outputs with the same weights (weight names and order included), every optimizer the
same trajectory from the same start, every loss the same value."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras_ref = pytest.importorskip("keras")

import kerasish as keras  # noqa: E402
from kerasish import ops  # noqa: E402

# Keras's own Variable.numpy() triggers this NumPy 2 deprecation; it is Keras's, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

RNG = np.random.default_rng(0)


def _f(*shape):
    return RNG.normal(size=shape).astype("float32")


def _wrap(cls_name, **inner):
    """Kwargs whose value is another layer (wrappers): built in each library."""
    return ("__layer__", cls_name, inner)


# name: (class name, constructor kwargs, inputs (one array or a list), call kwargs)
LAYER_CASES = {
    "dense": ("Dense", dict(units=3, activation="relu"), _f(2, 4), {}),
    "dense_3d": ("Dense", dict(units=2), _f(2, 3, 4), {}),
    "einsum_dense": ("EinsumDense", dict(equation="abc,cd->abd", output_shape=(None, 3), bias_axes="d"), _f(2, 5, 4), {}),
    "embedding": ("Embedding", dict(input_dim=10, output_dim=3), RNG.integers(0, 10, (2, 5)).astype("int32"), {}),
    "activation": ("Activation", dict(activation="gelu"), _f(2, 4), {}),
    "identity": ("Identity", {}, _f(2, 4), {}),
    "masking": ("Masking", dict(mask_value=0.0), np.array([[[1.0, 2.0], [0.0, 0.0]]], "float32"), {}),
    "dropout": ("Dropout", dict(rate=0.5), _f(2, 4), {}),
    "flatten": ("Flatten", {}, _f(2, 3, 4), {}),
    "reshape": ("Reshape", dict(target_shape=(6, 2)), _f(2, 3, 4), {}),
    "permute": ("Permute", dict(dims=(2, 1)), _f(2, 3, 4), {}),
    "repeat_vector": ("RepeatVector", dict(n=3), _f(2, 4), {}),
    "cropping1d": ("Cropping1D", dict(cropping=(1, 2)), _f(2, 6, 3), {}),
    "cropping2d": ("Cropping2D", dict(cropping=((1, 0), (0, 2))), _f(2, 5, 6, 3), {}),
    "zero_padding1d": ("ZeroPadding1D", dict(padding=2), _f(2, 4, 3), {}),
    "zero_padding2d": ("ZeroPadding2D", dict(padding=((1, 2), (0, 1))), _f(2, 4, 4, 3), {}),
    "up_sampling1d": ("UpSampling1D", dict(size=2), _f(2, 4, 3), {}),
    "up_sampling2d": ("UpSampling2D", dict(size=(2, 3)), _f(2, 3, 3, 2), {}),
    "up_sampling2d_bilinear": ("UpSampling2D", dict(size=2, interpolation="bilinear"), _f(2, 3, 3, 2), {}),
    "conv1d": ("Conv1D", dict(filters=3, kernel_size=3, strides=2, padding="same"), _f(2, 9, 2), {}),
    "conv1d_causal": ("Conv1D", dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2), _f(2, 8, 2), {}),
    "conv2d": ("Conv2D", dict(filters=3, kernel_size=3, activation="relu"), _f(2, 6, 6, 2), {}),
    "conv2d_groups": ("Conv2D", dict(filters=4, kernel_size=2, groups=2, padding="same"), _f(2, 5, 5, 4), {}),
    "conv2d_channels_first": ("Conv2D", dict(filters=3, kernel_size=3, data_format="channels_first"), _f(2, 2, 6, 6), {}),
    "conv3d": ("Conv3D", dict(filters=2, kernel_size=2), _f(1, 4, 4, 4, 2), {}),
    "conv1d_transpose": ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2), _f(2, 4, 3), {}),
    "conv2d_transpose": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), _f(2, 4, 4, 3), {}),
    "depthwise_conv2d": ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), _f(2, 5, 5, 3), {}),
    "separable_conv2d": ("SeparableConv2D", dict(filters=4, kernel_size=3, padding="same"), _f(2, 5, 5, 3), {}),
    "max_pooling1d": ("MaxPooling1D", dict(pool_size=2), _f(2, 6, 3), {}),
    "max_pooling2d": ("MaxPooling2D", dict(pool_size=2, strides=1, padding="same"), _f(2, 5, 5, 3), {}),
    "average_pooling1d": ("AveragePooling1D", dict(pool_size=3, padding="same"), _f(2, 7, 3), {}),
    "average_pooling2d": ("AveragePooling2D", dict(pool_size=2), _f(2, 6, 6, 3), {}),
    "global_average_pooling1d": ("GlobalAveragePooling1D", {}, _f(2, 6, 3), {}),
    "global_average_pooling2d": ("GlobalAveragePooling2D", dict(keepdims=True), _f(2, 4, 4, 3), {}),
    "global_max_pooling1d": ("GlobalMaxPooling1D", {}, _f(2, 6, 3), {}),
    "global_max_pooling2d": ("GlobalMaxPooling2D", {}, _f(2, 4, 4, 3), {}),
    "batch_normalization": ("BatchNormalization", {}, _f(4, 3), {}),
    "batch_normalization_training": ("BatchNormalization", dict(momentum=0.9), _f(4, 3), {"training": True}),
    "layer_normalization": ("LayerNormalization", {}, _f(2, 5), {}),
    "group_normalization": ("GroupNormalization", dict(groups=2), _f(2, 3, 4), {}),
    "spatial_dropout1d": ("SpatialDropout1D", dict(rate=0.3), _f(2, 4, 3), {}),
    "gaussian_noise": ("GaussianNoise", dict(stddev=0.1), _f(2, 4), {}),
    "activity_regularization": ("ActivityRegularization", dict(l1=0.1), _f(2, 4), {}),
    "simple_rnn": ("SimpleRNN", dict(units=3, return_sequences=True), _f(2, 5, 4), {}),
    "lstm": ("LSTM", dict(units=3), _f(2, 5, 4), {}),
    "lstm_backwards_state": ("LSTM", dict(units=2, go_backwards=True, return_state=True), _f(2, 4, 3), {}),
    "gru": ("GRU", dict(units=3, return_sequences=True), _f(2, 5, 4), {}),
    "gru_reset_before": ("GRU", dict(units=3, reset_after=False), _f(2, 5, 4), {}),
    "bidirectional": ("Bidirectional", dict(layer=_wrap("LSTM", units=2, return_sequences=True)), _f(2, 4, 3), {}),
    "time_distributed": ("TimeDistributed", dict(layer=_wrap("Dense", units=2)), _f(2, 4, 3), {}),
    "multi_head_attention": ("MultiHeadAttention", dict(num_heads=2, key_dim=3), [_f(2, 4, 5), _f(2, 6, 5)], {}),
    "attention": ("Attention", {}, [[_f(2, 4, 3), _f(2, 5, 3)]], {}),
    "attention_concat": ("Attention", dict(score_mode="concat", use_scale=True), [[_f(2, 4, 3), _f(2, 5, 3)]], {}),
    "additive_attention": ("AdditiveAttention", {}, [[_f(2, 4, 3), _f(2, 5, 3)]], {}),
    "add": ("Add", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "subtract": ("Subtract", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "multiply": ("Multiply", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "average": ("Average", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "maximum": ("Maximum", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "minimum": ("Minimum", {}, [[_f(2, 3), _f(2, 3)]], {}),
    "concatenate": ("Concatenate", dict(axis=-1), [[_f(2, 3), _f(2, 2)]], {}),
    "dot": ("Dot", dict(axes=1, normalize=True), [[_f(2, 3), _f(2, 3)]], {}),
    "rescaling": ("Rescaling", dict(scale=1 / 255.0, offset=-0.5), _f(2, 4), {}),
    "normalization": ("Normalization", dict(mean=[1.0, 2.0], variance=[4.0, 9.0]), _f(3, 2), {}),
    "category_encoding": ("CategoryEncoding", dict(num_tokens=5, output_mode="multi_hot"), np.array([[1, 3], [0, 4]], "int32"), {}),
    "discretization": ("Discretization", dict(bin_boundaries=[-1.0, 0.0, 1.0]), _f(2, 4), {}),
}


def _build_kwargs(library, kwargs):
    built = {}
    for key, value in kwargs.items():
        if isinstance(value, tuple) and len(value) == 3 and value[0] == "__layer__":
            value = getattr(library.layers, value[1])(**value[2])
        built[key] = value
    return built


def _call(layer, inputs, call_kwargs, to_tensor):
    args = [to_tensor(a) if not isinstance(a, list) else [to_tensor(v) for v in a] for a in
            (inputs if isinstance(inputs, list) else [inputs])]
    return layer(*args, **call_kwargs)


def _flat(out, to_numpy):
    out = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(to_numpy(o)) for o in out]


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_matches_keras(backend, case):
    class_name, kwargs, inputs, call_kwargs = LAYER_CASES[case]
    reference = getattr(keras_ref.layers, class_name)(**_build_kwargs(keras_ref, kwargs))
    ref_out = _flat(_call(reference, inputs, call_kwargs, keras_ref.ops.convert_to_tensor), keras_ref.ops.convert_to_numpy)
    layer = getattr(keras.layers, class_name)(**_build_kwargs(keras, kwargs))
    _call(layer, inputs, call_kwargs, ops.convert_to_tensor)  # builds
    ref_weights = reference.get_weights()
    assert [tuple(w.shape) for w in layer.get_weights()] == [tuple(w.shape) for w in ref_weights]
    assert [v.name for v in layer.weights] == [v.name for v in reference.weights]
    if case == "batch_normalization_training":
        # Compare from the same starting statistics (the reference already moved its own).
        layer = getattr(keras.layers, class_name)(**kwargs)
        reference = getattr(keras_ref.layers, class_name)(**kwargs)
        ref_out = _flat(_call(reference, inputs, call_kwargs, keras_ref.ops.convert_to_tensor), keras_ref.ops.convert_to_numpy)
        out = _flat(_call(layer, inputs, call_kwargs, ops.convert_to_tensor), ops.convert_to_numpy)
        for a, b in zip(layer.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:
        layer.set_weights(ref_weights)
        out = _flat(_call(layer, inputs, call_kwargs, ops.convert_to_tensor), ops.convert_to_numpy)
    assert len(out) == len(ref_out)
    for got, want in zip(out, ref_out):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


OPTIMIZER_CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(learning_rate=0.01)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    "adamw": ("AdamW", dict(learning_rate=0.01)),
    "adamax": ("Adamax", dict(learning_rate=0.01)),
    "nadam": ("Nadam", dict(learning_rate=0.01)),
    "rmsprop_centered": ("RMSprop", dict(learning_rate=0.01, centered=True, momentum=0.5)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0)),
    "adafactor": ("Adafactor", dict(learning_rate=0.01)),
    "lion": ("Lion", dict(learning_rate=0.01)),
    "ftrl": ("Ftrl", dict(learning_rate=0.1, l1_regularization_strength=0.01)),
    "adam_clipnorm_decay": ("Adam", dict(learning_rate=0.01, clipnorm=0.5, weight_decay=0.1)),
    "sgd_global_clipnorm": ("SGD", dict(learning_rate=0.1, momentum=0.5, global_clipnorm=0.3)),
}


@pytest.mark.parametrize("case", sorted(OPTIMIZER_CASES))
def test_optimizer_trajectory_matches_keras(backend, case):
    class_name, kwargs = OPTIMIZER_CASES[case]
    start = [_f(3, 2), _f(2)]
    grads = [[_f(3, 2), _f(2)] for _ in range(5)]
    ref_vars = [keras_ref.Variable(w) for w in start]
    reference = getattr(keras_ref.optimizers, class_name)(**kwargs)
    variables = [keras.Variable(w) for w in start]
    optimizer = getattr(keras.optimizers, class_name)(**kwargs)
    for g in grads:
        reference.apply_gradients(zip([keras_ref.ops.convert_to_tensor(v) for v in g], ref_vars))
        optimizer.apply_gradients(zip([ops.convert_to_tensor(v) for v in g], variables))
    for got, want in zip(variables, ref_vars):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)


LOSS_CASES = {
    "MeanSquaredError": ({}, "float"), "MeanAbsoluteError": ({}, "float"),
    "MeanAbsolutePercentageError": ({}, "positive"), "MeanSquaredLogarithmicError": ({}, "positive"),
    "Huber": (dict(delta=0.5), "float"), "LogCosh": ({}, "float"),
    "BinaryCrossentropy": (dict(from_logits=True, label_smoothing=0.1), "binary"),
    "BinaryFocalCrossentropy": (dict(from_logits=True, apply_class_balancing=True), "binary"),
    "CategoricalCrossentropy": (dict(label_smoothing=0.1), "onehot"),
    "CategoricalFocalCrossentropy": ({}, "onehot"),
    "SparseCategoricalCrossentropy": (dict(from_logits=True), "sparse"),
    "KLDivergence": ({}, "probs"), "Poisson": ({}, "positive"), "CosineSimilarity": ({}, "float"),
    "Hinge": ({}, "binary"), "SquaredHinge": ({}, "binary"), "CategoricalHinge": ({}, "onehot"),
}


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_loss_matches_keras(backend, name):
    kwargs, kind = LOSS_CASES[name]
    logits = _f(6, 4)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    if kind == "float":
        y_true, y_pred = _f(6, 4), logits
    elif kind == "positive":
        y_true, y_pred = np.abs(_f(6, 4)) + 0.1, np.abs(logits) + 0.1
    elif kind == "binary":
        y_true, y_pred = (RNG.random((6, 4)) > 0.5).astype("float32"), logits
    elif kind == "probs":
        y_true, y_pred = probs[::-1].copy(), probs
    elif kind == "onehot":
        y_true, y_pred = np.eye(4, dtype="float32")[RNG.integers(0, 4, 6)], probs
    else:
        y_true, y_pred = RNG.integers(0, 4, 6).astype("int32"), logits
    sample_weight = RNG.random(6).astype("float32")
    want = float(np.asarray(getattr(keras_ref.losses, name)(**kwargs)(y_true, y_pred, sample_weight=sample_weight)))
    got = float(ops.convert_to_numpy(getattr(keras.losses, name)(**kwargs)(y_true, y_pred, sample_weight=sample_weight)))
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)
