"""The NumPy backend's forward semantics: values against NumPy, dtypes, random draws, control flow."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kerasish_numpy import NumpyBackend

import kerasish.backend as kb
from kerasish.backend import TensorSpec
from kerasish.backend.base import Backend

B = NumpyBackend()
rng = np.random.default_rng(7)
X32 = rng.normal(size=(3, 4)).astype(np.float32)
Y32 = rng.normal(size=(4,)).astype(np.float32)
POS32 = rng.uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
SEED = np.array([1, 2], dtype=np.uint32)


def test_registered_through_the_entry_point_and_complete():
    assert "numpy" in kb.available_backends()
    with kb.use_backend("numpy") as b:
        assert isinstance(b, NumpyBackend) and b.name == "numpy"
    assert not NumpyBackend.__abstractmethods__
    assert B.supports_gradient and not B.supports_jit
    assert isinstance(B, Backend)


# ------------------------------------------------------------------ conversion
@pytest.mark.parametrize(
    "value, dtype",
    [
        (1.5, "float32"),
        (2, "int32"),
        (True, "bool"),
        ([1.0, 2.0], "float32"),
        ([1, 2], "int32"),
        ([[True], [False]], "bool"),
        (np.ones(2, np.float64), "float64"),
        (np.ones(2, np.int64), "int64"),
        (np.float16(1), "float16"),
    ],
)
def test_convert_to_tensor_dtypes(value, dtype):
    t = B.convert_to_tensor(value)
    assert B.is_tensor(t) and B.dtype(t) == dtype
    np.testing.assert_array_equal(B.to_numpy(t), np.asarray(value))


def test_convert_to_tensor_with_dtype_and_helpers():
    t = B.convert_to_tensor([1, 2, 3], dtype="float16")
    assert t.dtype == np.float16 and B.shape(t) == (3,)
    assert B.dtype(B.cast(t, "int8")) == "int8"
    assert B.shape(5.0) == () and B.dtype(5.0) == "float32"
    assert not B.is_tensor([1.0]) and type(B.to_numpy(np.float32(2))) is np.ndarray
    with pytest.raises(ValueError, match="bfloat16"):
        B.zeros((2,), "bfloat16")


def test_creation_dtypes():
    assert B.zeros((2, 3), "float32").dtype == np.float32
    assert B.ones([2], "int32").dtype == np.int32
    assert B.full((2,), 1.5, None).dtype == np.float32
    assert B.full((2,), 3, "int8").dtype == np.int8
    np.testing.assert_array_equal(B.arange(4), np.arange(4))
    assert B.arange(4).dtype == np.int32 and B.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(B.arange(2, 8, 3, dtype="float64"), [2.0, 5.0])
    np.testing.assert_array_equal(B.eye(2, 3), np.eye(2, 3))
    assert B.eye(3, dtype="int32").dtype == np.int32


# -------------------------------------------------------------- elementwise
UNARY = [
    ("negative", np.negative, X32),
    ("exp", np.exp, X32),
    ("log", np.log, POS32),
    ("log1p", np.log1p, POS32),
    ("expm1", np.expm1, X32),
    ("sqrt", np.sqrt, POS32),
    ("tanh", np.tanh, X32),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), X32),
    ("sin", np.sin, X32),
    ("cos", np.cos, X32),
    ("abs", np.abs, X32),
    ("sign", np.sign, X32),
    ("floor", np.floor, X32 * 3),
    ("ceil", np.ceil, X32 * 3),
    ("round", np.round, np.array([0.5, 1.5, 2.5, -0.5, 1.2], np.float32)),
]


@pytest.mark.parametrize("name, reference, x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy_and_keeps_float32(name, reference, x):
    out = getattr(B, name)(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(x), rtol=2e-6, atol=1e-7)


def test_unary_float_functions_of_integers_give_floatx():
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "sin", "erf"):
        assert getattr(B, name)(np.arange(1, 4, dtype=np.int32)).dtype == np.float32
    assert B.exp(1.0).dtype == np.float32
    assert B.floor(np.arange(3, dtype=np.int32)).dtype == np.int32


def test_predicates():
    x = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    np.testing.assert_array_equal(B.isnan(x), np.isnan(x))
    np.testing.assert_array_equal(B.isinf(x), np.isinf(x))
    np.testing.assert_array_equal(B.isfinite(x), np.isfinite(x))
    np.testing.assert_array_equal(B.logical_not(np.array([True, False])), [False, True])


def test_no_floating_point_warnings_as_in_jax():
    # pytest turns warnings into errors here: these would fail with plain NumPy.
    assert B.log(np.float32(0.0)) == -np.inf
    assert np.isnan(B.sqrt(np.float32(-1.0)))
    assert B.divide(np.float32(1.0), np.float32(0.0)) == np.inf
    np.testing.assert_array_equal(
        B.sigmoid(np.array([-1000.0, 0.0, 1000.0], np.float32)), [0.0, 0.5, 1.0]
    )
    assert B.exp(np.float32(1000.0)) == np.inf


BINARY = [
    ("add", np.add),
    ("subtract", np.subtract),
    ("multiply", np.multiply),
    ("divide", np.divide),
    ("maximum", np.maximum),
    ("minimum", np.minimum),
    ("floor_divide", np.floor_divide),
    ("mod", np.mod),
]


@pytest.mark.parametrize("name, reference", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcasts_and_keeps_float32(name, reference):
    y = np.where(np.abs(Y32) < 0.1, 0.5, Y32).astype(np.float32)
    out = getattr(B, name)(X32, y)
    assert out.shape == (3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, reference(X32, y), rtol=1e-6)
    assert getattr(B, name)(X32, 2.0).dtype == np.float32  # Python scalars are weak
    assert getattr(B, name)(3.0, X32).dtype == np.float32


def test_power():
    np.testing.assert_allclose(B.power(POS32, Y32), np.power(POS32, Y32), rtol=1e-6)
    assert B.power(POS32, 2).dtype == np.float32
    assert B.power(np.arange(3, dtype=np.int32), 2).dtype == np.int32


def test_promotion_rules():
    ints = np.arange(3, dtype=np.int32)
    assert B.divide(ints, ints + 1).dtype == np.float32  # true division into floatx
    assert B.divide(1, 2).dtype == np.float32 and float(B.divide(1, 2)) == 0.5
    assert B.add(ints, 2.5).dtype == np.float32
    assert B.add(ints, np.ones(3, np.float32)).dtype == np.float32
    assert B.add(ints, 2).dtype == np.int32
    assert B.add(np.array([True]), 1).dtype == np.int32
    assert B.add(np.ones(2, np.int8), 1).dtype == np.int8
    assert B.add(np.ones(2, np.float16), 1.0).dtype == np.float16
    assert B.add(np.ones(2, np.float32), np.ones(2, np.float64)).dtype == np.float64
    assert B.add(1.0, 2.0).dtype == np.float32 and B.add(1, 2).dtype == np.int32
    assert B.multiply(X32, np.float32(2)).dtype == np.float32


def test_comparisons_and_logic():
    for name, reference in [
        ("equal", np.equal),
        ("not_equal", np.not_equal),
        ("less", np.less),
        ("less_equal", np.less_equal),
        ("greater", np.greater),
        ("greater_equal", np.greater_equal),
    ]:
        out = getattr(B, name)(X32, Y32)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, reference(X32, Y32))
    a, b = np.array([True, True, False]), np.array([True, False, False])
    np.testing.assert_array_equal(B.logical_and(a, b), [True, False, False])
    np.testing.assert_array_equal(B.logical_or(a, b), [True, True, False])


def test_where():
    cond = X32 > 0
    np.testing.assert_array_equal(B.where(cond, X32, Y32), np.where(cond, X32, Y32))
    assert B.where(cond, X32, 0.0).dtype == np.float32
    assert B.where(cond, np.ones(4, np.int32), 0.5).dtype == np.float32


def test_erf_accuracy_against_math_erf():
    grid = np.linspace(-6.0, 6.0, 4001)
    reference = np.array([math.erf(v) for v in grid])
    assert np.max(np.abs(B.erf(grid) - reference)) < 1e-7
    out32 = B.erf(grid.astype(np.float32))
    assert out32.dtype == np.float32
    reference32 = np.array([math.erf(v) for v in grid.astype(np.float32).astype(np.float64)])
    assert np.max(np.abs(out32 - reference32)) < 1.5e-7
    tiny = np.array([1e-30, -1e-8, 1e-4])
    np.testing.assert_allclose(B.erf(tiny), [math.erf(v) for v in tiny], rtol=1e-9)
    np.testing.assert_array_equal(B.erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(B.erf(np.nan))


# --------------------------------------------------------------- reductions
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(axis, keepdims):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    for name, reference in [
        ("sum", np.sum),
        ("max", np.max),
        ("min", np.min),
        ("any", np.any),
        ("all", np.all),
    ]:
        arg = x > 0 if name in ("any", "all") else x
        out = getattr(B, name)(arg, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(out, reference(arg, axis=axis, keepdims=keepdims), rtol=1e-6)
        assert np.asarray(out).dtype == np.asarray(reference(arg)).dtype


def test_reduction_dtypes_follow_jax():
    assert B.sum(np.ones(3, np.int8)).dtype == np.int32
    assert B.sum(np.ones(3, bool)).dtype == np.int32
    assert B.sum(np.ones(3, np.int64)).dtype == np.int64
    assert B.sum(X32).dtype == np.float32
    assert B.cumsum(np.ones(3, np.int8)).dtype == np.int8
    assert B.cumsum(np.ones(3, bool)).dtype == np.int32
    for name in ("argmax", "argmin"):
        out = getattr(B, name)(X32, axis=1)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, getattr(np, name)(X32, axis=1))
    assert B.argmax(X32).dtype == np.int32 and int(B.argmax(X32)) == int(np.argmax(X32))
    assert B.argmax(X32, axis=0, keepdims=True).shape == (1, 4)


def test_cumsum():
    for axis in (0, 1, -1):
        np.testing.assert_allclose(B.cumsum(X32, axis=axis), np.cumsum(X32, axis=axis), rtol=1e-6)


# ------------------------------------------------------------------- shapes
def test_shape_operations_match_numpy():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(B.reshape(x, (4, -1)), x.reshape(4, -1))
    np.testing.assert_array_equal(B.transpose(x), x.T)
    np.testing.assert_array_equal(B.transpose(x, (1, 0, 2)), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(B.broadcast_to(Y32, (3, 4)), np.broadcast_to(Y32, (3, 4)))
    np.testing.assert_array_equal(
        B.concatenate([x, x[:, :1]], axis=1), np.concatenate([x, x[:, :1]], 1)
    )
    assert B.concatenate([np.ones(2, np.int32), np.ones(2, np.float32)]).dtype == np.float32
    np.testing.assert_array_equal(B.flip(x, axis=(0, 2)), np.flip(x, (0, 2)))
    np.testing.assert_array_equal(B.flip(x), np.flip(x))
    padded = B.pad(x, [(0, 1), (2, 0), (1, 1)], constant_values=-1)
    np.testing.assert_array_equal(padded, np.pad(x, [(0, 1), (2, 0), (1, 1)], constant_values=-1))
    assert padded.dtype == np.float32


@pytest.mark.parametrize(
    "key",
    [
        1,
        -1,
        (slice(None), 2),
        (Ellipsis, slice(None, None, -1)),
        (None, 0, slice(1, 3)),
        np.array([2, 0, 2]),
        (slice(None), np.array([[0, 1], [3, 3]])),
        (np.array([0, 1]), np.array([2, 3])),
    ],
)
def test_getitem_matches_numpy(key):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(B.getitem(x, key), x[key])


def test_take_and_take_along_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = np.array([[0, 2], [1, 1]])
    np.testing.assert_array_equal(B.take(x, idx), np.take(x, idx))
    for axis in (0, 1, 2, -1):
        i = idx % x.shape[axis]
        np.testing.assert_array_equal(B.take(x, i, axis=axis), np.take(x, i, axis=axis))
    along = rng.integers(0, 4, size=(2, 3, 5))
    np.testing.assert_array_equal(
        B.take_along_axis(x, along, axis=2), np.take_along_axis(x, along, axis=2)
    )
    along = rng.integers(0, 3, size=(2, 1, 4))
    np.testing.assert_array_equal(
        B.take_along_axis(x, along, axis=1), np.take_along_axis(x, along, axis=1)
    )


def test_matmul_and_einsum_match_numpy():
    a = rng.normal(size=(2, 1, 3, 4)).astype(np.float32)
    b = rng.normal(size=(5, 4, 2)).astype(np.float32)
    out = B.matmul(a, b)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-5)
    np.testing.assert_allclose(B.matmul(Y32, Y32), Y32 @ Y32, rtol=1e-6)
    np.testing.assert_allclose(B.matmul(X32, Y32), X32 @ Y32, rtol=1e-6)
    for subscripts, operands in [
        ("ij,jk->ik", (X32, X32.T)),
        ("bij,bjk->bik", (a[:, 0], b[:2])),
        ("ij->j", (X32,)),
        ("i,j->ij", (Y32, Y32)),
        ("...ij,jk->...ik", (a, X32.T)),
        ("ii->i", (np.eye(3, dtype=np.float32),)),
    ]:
        out = B.einsum(subscripts, *operands)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, np.einsum(subscripts, *operands), rtol=1e-5, atol=1e-6)


def test_one_hot():
    out = B.one_hot(np.array([0, 2, 3, -1]), 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert out.dtype == np.float32
    assert B.one_hot(np.array([[1]]), 2, dtype="int32").shape == (1, 1, 2)


def test_stop_gradient_is_identity_on_arrays():
    assert B.stop_gradient(X32) is X32


# -------------------------------------------------------------------- random
@pytest.mark.parametrize(
    "draw",
    [
        lambda seed: B.random_normal((50,), seed),
        lambda seed: B.random_uniform((50,), seed),
        lambda seed: B.random_truncated_normal((50,), seed),
        lambda seed: B.random_randint((50,), seed, 0, 1000),
        lambda seed: B.random_categorical(np.zeros((2, 10)), 25, seed),
        lambda seed: B.random_permutation(50, seed),
    ],
)
def test_random_is_deterministic_by_seed(draw):
    first, again = draw(SEED), draw(SEED.copy())
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, draw(np.array([1, 3], np.uint32)))
    assert not np.array_equal(first, draw(np.array([2, 2], np.uint32)))


def test_random_distributions_and_dtypes():
    normal = B.random_normal((20000,), SEED, mean=3.0, stddev=2.0)
    assert normal.dtype == np.float32
    assert abs(normal.mean() - 3.0) < 0.1 and abs(normal.std() - 2.0) < 0.1
    assert B.random_normal((2, 3), SEED, dtype="float64").dtype == np.float64
    assert B.random_normal((2,), SEED, dtype="float16").dtype == np.float16
    uniform = B.random_uniform((20000,), SEED, minval=-2.0, maxval=5.0)
    assert uniform.dtype == np.float32 and uniform.min() >= -2.0 and uniform.max() < 5.0
    assert abs(uniform.mean() - 1.5) < 0.1
    ints = B.random_randint((1000,), SEED, 3, 7)
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {3, 4, 5, 6}
    assert B.random_randint((3,), SEED, 0, 5, dtype="int64").dtype == np.int64
    perm = B.random_permutation(10, SEED)
    assert perm.dtype == np.int32 and sorted(perm.tolist()) == list(range(10))


def test_truncated_normal_stays_within_two_stddev():
    draw = B.random_truncated_normal((50000,), SEED, mean=1.0, stddev=0.5)
    assert draw.dtype == np.float32 and draw.shape == (50000,)
    assert np.all(np.abs(draw - 1.0) <= 2 * 0.5 + 1e-6)
    assert abs(draw.std() - 0.5 * 0.8796) < 0.01  # the std of a normal truncated at 2 sigma


def test_categorical_follows_the_logits():
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 1.0]]))
    logits[1, 2] = -np.inf
    samples = B.random_categorical(logits, 20000, SEED)
    assert samples.shape == (2, 20000) and samples.dtype == np.int32
    np.testing.assert_allclose(
        np.bincount(samples[0], minlength=3) / 20000, [0.1, 0.2, 0.7], atol=0.015
    )
    assert not np.any(samples[1] == 2)


# -------------------------------------------------------------- control flow
def test_scan_like_lax_scan():
    xs = np.arange(5, dtype=np.float32)
    carry, ys = B.scan(lambda c, x: (B.add(c, x), B.multiply(c, 2.0)), np.float32(0), xs)
    assert float(carry) == 10.0
    np.testing.assert_array_equal(ys, [0, 0, 2, 6, 12])  # y is the carry before the step
    carry, ys = B.scan(lambda c, x: (B.add(c, x), c), np.float32(0), xs, reverse=True)
    np.testing.assert_array_equal(ys, [10, 9, 7, 4, 0])
    carry, ys = B.scan(lambda c, x: (B.add(c, 1), {"c": c, "none": None}), 0, None, length=3)
    assert int(carry) == 3 and ys["none"] is None
    np.testing.assert_array_equal(ys["c"], [0, 1, 2])


def test_scan_nested_structures_and_empty_length():
    xs = {"a": np.ones((4, 2), np.float32), "b": (np.arange(4, dtype=np.float32),)}

    def step(carry, x):
        h, n = carry
        h = B.add(h, B.multiply(x["a"], x["b"][0]))
        return (h, B.add(n, 1)), [h, B.sum(h)]

    (h, n), (hs, totals) = B.scan(step, (np.zeros(2, np.float32), 0), xs)
    np.testing.assert_array_equal(h, [6.0, 6.0])
    assert int(n) == 4 and hs.shape == (4, 2) and totals.shape == (4,)
    np.testing.assert_array_equal(totals, [0, 2, 6, 12])
    carry, ys = B.scan(
        lambda c, x: (c, B.multiply(x, 2.0)), np.float32(1), np.zeros((0, 3), np.float32)
    )
    assert ys.shape == (0, 3) and ys.dtype == np.float32
    with pytest.raises(ValueError, match="length"):
        B.scan(lambda c, x: (c, x), 0, None)


def test_cond_and_fori_loop():
    assert B.cond(np.array(True), lambda: 1, lambda: 2) == 1
    assert B.cond(np.float32(0), lambda: 1, lambda: 2) == 2
    assert B.fori_loop(2, 5, lambda i, v: B.add(v, i), np.int32(0)) == 9
    assert B.fori_loop(0, 0, lambda i, v: v + 1, 7) == 7


def test_jit_calls_the_function():
    f = B.jit(lambda x, y: B.add(x, y), donate_argnums=(0,), static_argnums=(1,))
    np.testing.assert_array_equal(f(X32, 1.0), X32 + 1)


def test_compute_output_spec():
    def fn(x, rest):
        y = B.matmul(x, rest["w"])
        return {"y": y, "mask": B.greater(y, 0), "count": B.sum(rest["n"]), "name": rest["name"]}

    specs = (
        TensorSpec((5, 3), "float32"),
        {"w": TensorSpec((3, 2), "float32"), "n": TensorSpec((4,), "int8"), "name": "keep"},
    )
    out = B.compute_output_spec(fn, *specs)
    assert out == {
        "y": TensorSpec((5, 2), "float32"),
        "mask": TensorSpec((5, 2), "bool"),
        "count": TensorSpec((), "int32"),
        "name": "keep",
    }
    flag = B.compute_output_spec(lambda b: B.logical_not(b), TensorSpec((2,), "bool"))
    assert flag == TensorSpec((2,), "bool")


def test_devices():
    assert B.devices() == ["cpu:0"] and B.devices("cpu") == ["cpu:0"]
    assert B.devices("gpu") == []
