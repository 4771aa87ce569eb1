"""The NumPy backend's tape: every VJP against central finite differences, and the walk's contract."""

from __future__ import annotations

import numpy as np
import pytest
from kerasish_numpy import NumpyBackend
from kerasish_numpy.autodiff import VJPS, Box, MissingGradientError, primitive, strip
from kerasish_numpy.autodiff import convolution as PC
from kerasish_numpy.autodiff import primitives as P

B = NumpyBackend()
_rng = np.random.default_rng(1234)


def normal(*shape):
    return _rng.normal(size=shape)


def positive(*shape):
    return _rng.uniform(0.5, 2.0, size=shape)


def check_grads(fn, *args, eps=1e-6, rtol=1e-6, atol=1e-7):
    """Compares <grad, v> with a central difference along a random direction v (float64).

    The function checked is sum(fn(*args) * w) for random weights w, so that every
    output element carries a different weight.
    """
    rng = np.random.default_rng(0)
    args = [np.asarray(a, dtype=np.float64) for a in args]
    weights = rng.normal(size=np.shape(strip(fn(*args))))

    def scalar(xs):
        return B.sum(B.multiply(fn(*xs), weights))

    value, grads = B.value_and_grad(scalar)(list(args))
    for a, g in zip(args, grads):
        assert g.shape == a.shape and g.dtype == a.dtype
    directions = [rng.normal(size=a.shape) for a in args]
    analytic = np.sum([np.sum(g * v) for g, v in zip(grads, directions)])
    plus = scalar([a + eps * v for a, v in zip(args, directions)])
    minus = scalar([a - eps * v for a, v in zip(args, directions)])
    numeric = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(value, scalar(args))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)


def _rnn(xs, h0, w, u, reverse=False):
    def step(h, x):
        h = B.tanh(B.add(B.matmul(x, w), B.matmul(h, u)))
        return h, B.multiply(h, 2.0)

    h, ys = B.scan(step, h0, xs, reverse=reverse)
    return B.add(ys, h)


def _nested_scan(xs, h0, c0):
    def step(carry, x):
        h = B.add(B.multiply(carry["h"], x[0]), carry["c"][0])
        c = B.sin(B.add(carry["c"][0], x[1]))
        return {"h": h, "c": [c]}, (h, {"c": c})

    carry, (hs, cs) = B.scan(step, {"h": h0, "c": [c0]}, (xs, B.cos(xs)))
    return B.concatenate([hs, cs["c"], B.reshape(carry["h"], (1, 3))], axis=0)


_x = normal(3, 4)
_idx = np.array([2, 0, 2, 1])
_mask = normal(3, 4) > 0
_kernel = normal(2, 3, 2, 3)

#: One entry per differentiable primitive (keys of the VJP table) and per composite
#: worth checking on its own; each is a list of (function, float64 arguments).
CHECKS: dict[str, list] = {
    # elementwise: unary
    "negative": [(B.negative, [normal(3, 4)])],
    "exp": [(B.exp, [normal(3, 4)])],
    "log": [(B.log, [positive(3, 4)])],
    "log1p": [(B.log1p, [positive(3, 4)])],
    "expm1": [(B.expm1, [normal(3, 4)])],
    "sqrt": [(B.sqrt, [positive(3, 4)])],
    "tanh": [(B.tanh, [normal(3, 4)])],
    "sigmoid": [(B.sigmoid, [3 * normal(3, 4)])],
    "sin": [(B.sin, [normal(3, 4)])],
    "cos": [(B.cos, [normal(3, 4)])],
    "abs": [(B.abs, [normal(3, 4)])],
    "erf": [
        (B.erf, [np.linspace(-3, 3, 13) + 0.05])
    ],  # off the approximation's switch at |x| = 0.5
    # elementwise: binary, with broadcasting
    "add": [
        (B.add, [normal(3, 4), normal(3, 4)]),
        (B.add, [normal(3, 4), normal(4)]),
        (B.add, [normal(3, 1), normal(1, 4)]),
        (B.add, [normal(), normal(2, 3)]),
        (lambda x: B.add(x, 2.0), [normal(3)]),
    ],
    "subtract": [
        (B.subtract, [normal(2, 1, 3), normal(4, 1)]),
        (lambda y: B.subtract(1.0, y), [normal(3)]),
    ],
    "multiply": [
        (B.multiply, [normal(3, 4), normal(4)]),
        (B.multiply, [normal(3, 1), normal(1, 4)]),
    ],
    "divide": [(B.divide, [normal(3, 4), positive(3, 1)]), (B.divide, [normal(4), positive(3, 4)])],
    "power": [
        (B.power, [positive(3, 4), normal(4)]),
        (lambda x: B.power(x, 3), [normal(5)]),
        (lambda y: B.power(2.0, y), [normal(5)]),
    ],
    "maximum": [(B.maximum, [normal(3, 4), normal(4)]), (lambda x: B.maximum(x, 0.1), [normal(6)])],
    "minimum": [
        (B.minimum, [normal(3, 1), normal(1, 4)]),
        (lambda x: B.minimum(x, 0.1), [normal(6)]),
    ],
    "where": [
        (lambda x, y: B.where(_mask, x, y), [normal(3, 4), normal(4)]),
        (lambda x: B.where(_mask, x, 0.0), [normal(3, 1)]),
    ],
    # reductions
    "sum": [
        (lambda x: B.sum(x), [normal(2, 3, 4)]),
        (lambda x: B.sum(x, axis=1), [normal(2, 3, 4)]),
        (lambda x: B.sum(x, axis=(0, 2), keepdims=True), [normal(2, 3, 4)]),
        (lambda x: B.sum(x, axis=-1, keepdims=False), [normal(2, 3, 4)]),
    ],
    "max": [
        (lambda x: B.max(x), [normal(2, 3, 4)]),
        (lambda x: B.max(x, axis=1), [normal(2, 3, 4)]),
        (lambda x: B.max(x, axis=(0, 2), keepdims=True), [normal(2, 3, 4)]),
    ],
    "min": [
        (lambda x: B.min(x, axis=-1), [normal(2, 3, 4)]),
        (lambda x: B.min(x, axis=0, keepdims=True), [normal(2, 3, 4)]),
    ],
    "cumsum": [(lambda x, a=a: B.cumsum(x, axis=a), [normal(3, 4)]) for a in (0, 1, -1)],
    # shapes
    "reshape": [(lambda x: B.reshape(x, (4, -1)), [normal(2, 3, 2)])],
    "transpose": [
        (lambda x: B.transpose(x), [normal(2, 3, 4)]),
        (lambda x: B.transpose(x, (1, 2, 0)), [normal(2, 3, 4)]),
    ],
    "broadcast_to": [(lambda x: B.broadcast_to(x, (2, 3, 4)), [normal(3, 1)])],
    "concatenate": [
        (
            lambda a, b, c: B.concatenate([a, b, c], axis=1),
            [normal(2, 1), normal(2, 3), normal(2, 2)],
        ),
        (lambda a, b: B.concatenate([a, b], axis=-1), [normal(2, 2), normal(2, 3)]),
    ],
    "stack": [
        (lambda a, b: P.stack(1, a, b), [normal(2, 3), normal(2, 3)]),
        (
            lambda a, b: B.scan(lambda c, x: (c, B.multiply(x, c)), b, a)[1],
            [normal(4, 3), normal(3)],
        ),
    ],
    "getitem": [
        (lambda x: B.getitem(x, (slice(1, None), 0)), [normal(3, 4)]),
        (lambda x: B.getitem(x, (None, Ellipsis, slice(None, None, -2))), [normal(3, 4)]),
        (lambda x: B.getitem(x, -1), [normal(3, 4)]),
        (lambda x: B.getitem(x, _idx), [normal(3, 4)]),
        (lambda x: B.getitem(x, (slice(None), _idx)), [normal(3, 4)]),
        (lambda x: B.getitem(x, (_idx[:2], np.array([0, 3]))), [normal(3, 4)]),
    ],
    "index_add": [
        (lambda g: P.index_add(g, (3, 4), _idx), [normal(4, 4)]),
        (lambda g: P.index_add(g, (3, 4), (slice(1, None), 2)), [normal(2)]),
        # as it runs inside a gradient of a gradient
        (
            lambda x: B.getitem(
                B.value_and_grad(lambda y: B.sum(B.multiply(B.getitem(y, _idx), x)))(_x)[1], 2
            ),
            [normal(4, 4)],
        ),
    ],
    "take": [
        (lambda x: B.take(x, _idx), [normal(3, 4)]),
        (lambda x: B.take(x, np.array([[0, 1], [1, 1]]), axis=1), [normal(3, 4)]),
        (lambda x: B.take(x, _idx[:3], axis=-2), [normal(3, 4)]),
    ],
    "take_along_axis": [
        (
            lambda x: B.take_along_axis(x, np.array([[0, 0], [1, 3], [3, 3]]), axis=1),
            [normal(3, 4)],
        ),
        (lambda x: B.take_along_axis(x, np.array([[2, 0, 0, 1]]), axis=0), [normal(3, 4)]),
    ],
    # top_k: a composite (indices from a sort, values gathered with getitem)
    "top_k": [
        (lambda x: B.top_k(x, 2)[0], [normal(3, 5)]),
        (lambda x: B.top_k(x, 4)[0], [normal(2, 3, 4)]),
    ],
    # convolution and pooling: patch extraction and its adjoint, then the composites
    "extract_patches": [
        (lambda x: PC.extract_patches(x, (2, 3), (1, 2), (1, 1)), [normal(2, 5, 7, 3)]),
        (lambda x: PC.extract_patches(x, (3,), (2,), (2,)), [normal(2, 9, 2)]),
    ],
    "scatter_patches": [
        (lambda p: PC.scatter_patches(p, (2, 5, 7, 3), (1, 2), (1, 1)), [normal(2, 4, 3, 2, 3, 3)]),
        (lambda p: PC.scatter_patches(p, (1, 9, 2), (2,), (2,)), [normal(1, 3, 3, 2)]),
    ],
    "conv": [
        (lambda x, k: B.conv(x, k, (2, 1), "same", (1, 1)), [normal(2, 5, 4, 3), normal(3, 2, 3, 4)]),
        (lambda x, k: B.conv(x, k, (1,), "valid", (2,), 2), [normal(2, 7, 4), normal(2, 2, 6)]),
    ],
    "conv_transpose": [
        (
            lambda x, k: B.conv_transpose(x, k, (2, 3), "same", (None, 1), (1, 1)),
            [normal(2, 3, 4, 3), normal(3, 2, 2, 3)],
        ),
    ],
    "max_pool": [(lambda x: B.max_pool(x, (3, 2), (2, 1), "same"), [normal(2, 5, 4, 3)])],
    "avg_pool": [(lambda x: B.avg_pool(x, (3, 2), (2, 1), "same"), [normal(2, 5, 4, 3)])],
    "pad": [(lambda x: B.pad(x, [(1, 2), (0, 1)], constant_values=3.0), [normal(3, 4)])],
    "flip": [(lambda x: B.flip(x), [normal(3, 4)]), (lambda x: B.flip(x, axis=1), [normal(3, 4)])],
    "cast": [
        (lambda x: B.cast(B.multiply(B.cast(x, "float32"), 3.0), "float64"), [normal(3, 4)]),
    ],
    # linear algebra
    "matmul": [
        (B.matmul, [normal(3, 4), normal(4, 5)]),
        (B.matmul, [normal(2, 3, 4), normal(2, 4, 5)]),
        (B.matmul, [normal(2, 1, 3, 4), normal(5, 4, 2)]),
        (B.matmul, [normal(4), normal(4, 5)]),
        (B.matmul, [normal(2, 3, 4), normal(4)]),
        (B.matmul, [normal(4), normal(4)]),
    ],
    "einsum": [
        (lambda a, b: B.einsum("ij,jk->ik", a, b), [normal(3, 4), normal(4, 5)]),
        (lambda a, b: B.einsum("bij,bjk->bik", a, b), [normal(2, 3, 4), normal(2, 4, 5)]),
        (lambda a: B.einsum("ij->j", a), [normal(3, 4)]),
        (lambda a, b: B.einsum("i,j->ij", a, b), [normal(3), normal(4)]),
        (lambda a, b: B.einsum("ij,k->jk", a, b), [normal(3, 4), normal(2)]),
        (lambda a, b: B.einsum("...ij,jk->...ik", a, b), [normal(2, 3, 4), normal(4, 5)]),
        (
            lambda a, b, c: B.einsum("ij,jk,kl->il", a, b, c),
            [normal(2, 3), normal(3, 4), normal(4, 2)],
        ),
        (lambda a, b: B.einsum("ij,ij->i", a, b), [normal(1, 4), normal(3, 4)]),
        (lambda a, b: B.einsum("...ij,...jk->...ik", a, b), [normal(2, 1, 3, 4), normal(5, 4, 2)]),
    ],
    # control flow built from primitives
    "scan": [
        (_rnn, [normal(5, 2, 4), normal(2, 3), normal(4, 3), normal(3, 3)]),
        (
            lambda *a: _rnn(*a, reverse=True),
            [normal(5, 2, 4), normal(2, 3), normal(4, 3), normal(3, 3)],
        ),
        (_nested_scan, [normal(4, 3), normal(3), normal(3)]),
    ],
}

_CASES = [(name, i, case) for name, cases in CHECKS.items() for i, case in enumerate(cases)]


def test_every_vjp_in_the_table_has_a_gradient_check():
    missing = sorted(set(VJPS) - set(CHECKS))
    assert not missing, f"primitives with a VJP but no finite-difference check: {missing}"


@pytest.mark.parametrize("name, index, case", _CASES, ids=[f"{n}-{i}" for n, i, _ in _CASES])
def test_gradient_matches_finite_differences(name, index, case):
    fn, args = case
    if name == "cast":
        # float32 rounding inside: a larger step, a looser tolerance
        check_grads(fn, *args, eps=1e-2, rtol=1e-4, atol=1e-4)
    elif name == "erf":
        # the approximation's error (< 1e-7) wiggles: its derivative is close, not exact
        check_grads(fn, *args, rtol=1e-5)
    else:
        check_grads(fn, *args)


# -------------------------------------------------------------------- second order
def _grad(f):
    return lambda x: B.value_and_grad(lambda y: B.sum(f(y)))(x)[1]


@pytest.mark.parametrize(
    "f, x",
    [
        (lambda x: B.multiply(x, B.multiply(x, x)), normal(4)),
        (B.tanh, normal(3, 2)),
        (B.sigmoid, normal(5)),
        (B.erf, normal(5)),
        (lambda x: B.matmul(B.sin(x), B.transpose(x)), normal(3, 2)),
        (lambda x: B.max(B.exp(x), axis=0), normal(4, 3)),
        (lambda x: B.getitem(B.multiply(x, x), _idx), normal(3, 2)),
        (lambda x: B.einsum("ij,jk->ik", x, B.exp(B.transpose(x))), normal(2, 3)),
        # the conv's VJPs (scatter_patches, then extract_patches) recorded on an outer tape
        (
            lambda x: B.max_pool(B.tanh(B.conv(x, _kernel, (1, 2), "same", (1, 1))), (2, 2), (1, 1), "same"),
            normal(1, 4, 5, 2),
        ),
    ],
)
def test_gradient_of_gradient(f, x):
    check_grads(_grad(f), x)


def test_second_derivative_values():
    x = np.array([1.0, 2.0, -3.0])
    second = _grad(_grad(lambda y: B.multiply(y, B.multiply(y, y))))(x)
    np.testing.assert_allclose(second, 6 * x)


def test_nested_accumulation_mixes_constants_and_outer_boxes():
    c1, c2 = np.full(3, 2.0), np.full(3, 5.0)

    def outer(x):
        def inner(y):
            # y's gradient gets x (a box of the outer trace) and two constants
            return B.add(
                B.sum(B.multiply(y, x)), B.add(B.sum(B.multiply(y, c1)), B.sum(B.multiply(y, c2)))
            )

        g = B.value_and_grad(inner)(np.ones(3))[1]  # 7 + x
        return B.sum(B.multiply(g, g))

    np.testing.assert_allclose(B.value_and_grad(outer)(np.arange(3.0))[1], 2 * (7 + np.arange(3.0)))


# ------------------------------------------------------------------------------ ties
def _value_grad(f, x):
    return B.value_and_grad(lambda y: B.sum(f(y)))(np.asarray(x, dtype=np.float32))[1]


def test_maximum_and_minimum_split_ties_evenly():
    np.testing.assert_array_equal(
        _value_grad(lambda x: B.maximum(x, 1.0), [1.0, 2.0, 0.0]), [0.5, 1.0, 0.0]
    )
    np.testing.assert_array_equal(
        _value_grad(lambda x: B.minimum(x, 1.0), [1.0, 2.0, 0.0]), [0.5, 0.0, 1.0]
    )
    grads = B.value_and_grad(lambda p: B.sum(B.maximum(p[0], p[1])))(
        [np.float32(2.0), np.float32(2.0)]
    )[1]
    assert [float(g) for g in grads] == [0.5, 0.5]


def test_max_and_min_split_ties_among_tied_elements():
    np.testing.assert_allclose(_value_grad(B.max, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    np.testing.assert_allclose(
        _value_grad(B.min, [1.0, 1.0, 1.0, 4.0]), [1 / 3, 1 / 3, 1 / 3, 0.0], rtol=1e-6
    )
    rows = _value_grad(lambda x: B.max(x, axis=1), [[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(rows, [[0.5, 0.5], [0.0, 1.0]])


def test_abs_has_zero_gradient_at_zero():
    np.testing.assert_array_equal(_value_grad(B.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


# ------------------------------------------------------------------- the walk
def test_a_100k_node_chain_backpropagates_without_recursion():
    def chain(x):
        for _ in range(100_000):
            x = x * 1.0000001
        return B.sum(x)

    value, grad = B.value_and_grad(chain)(np.ones(2, dtype=np.float64))
    np.testing.assert_allclose(grad, np.full(2, 1.0000001**100_000))
    np.testing.assert_allclose(value, 2 * 1.0000001**100_000)


def test_reused_values_accumulate():
    x = np.array([1.0, 2.0], dtype=np.float32)

    def f(y):
        z = B.multiply(y, y)  # y used twice here, z twice below
        return B.sum(B.add(z, B.multiply(z, y)))

    np.testing.assert_allclose(B.value_and_grad(f)(x)[1], 2 * x + 3 * x**2)


def test_has_aux_returns_value_aux_and_plain_arrays():
    def f(x):
        y = B.multiply(x, 3.0)
        return B.sum(y), {"y": y, "note": "kept"}

    (value, aux), grad = B.value_and_grad(f, has_aux=True)(np.ones(3, dtype=np.float32))
    assert float(value) == 9.0 and not isinstance(value, Box)
    assert type(aux["y"]) is np.ndarray and aux["note"] == "kept"
    np.testing.assert_array_equal(aux["y"], [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(grad, [3.0, 3.0, 3.0])


def test_nested_arguments_keep_structure_dtype_and_shape():
    params = {
        "dense": [np.ones((2, 3), np.float32), np.zeros(3, np.float32)],
        "scale": (np.float32(2.0),),
        "steps": np.arange(3, dtype=np.int32),
        "unused": np.ones(4, np.float64),
    }

    def loss(p, x):
        h = B.add(B.matmul(x, p["dense"][0]), p["dense"][1])
        return B.sum(B.multiply(B.multiply(h, p["scale"][0]), B.cast(p["steps"], "float32")))

    x = np.ones((5, 2), np.float32)
    value, grads = B.value_and_grad(loss)(params, x)
    assert value.dtype == np.float32
    assert (
        set(grads) == set(params)
        and isinstance(grads["dense"], list)
        and isinstance(grads["scale"], tuple)
    )
    for g, p in zip(
        [*grads["dense"], grads["scale"][0], grads["steps"], grads["unused"]],
        [*params["dense"], params["scale"][0], params["steps"], params["unused"]],
    ):
        assert np.shape(g) == np.shape(p) and np.asarray(g).dtype == np.asarray(p).dtype
    np.testing.assert_array_equal(grads["dense"][1], 5 * 2.0 * np.arange(3))
    np.testing.assert_array_equal(grads["steps"], np.zeros(3, np.int32))
    np.testing.assert_array_equal(grads["unused"], np.zeros(4))


def test_output_independent_of_input_gives_zero_gradient():
    value, grad = B.value_and_grad(lambda x: B.sum(np.ones(3)))(np.ones(2, np.float32))
    assert float(value) == 3.0
    np.testing.assert_array_equal(grad, np.zeros(2, np.float32))
    assert grad.dtype == np.float32


def test_stop_gradient_cuts_the_tape():
    x = np.array([1.0, 2.0])
    grad = B.value_and_grad(lambda y: B.sum(B.multiply(y, B.stop_gradient(y))))(x)[1]
    np.testing.assert_array_equal(grad, x)


def test_integer_and_comparison_results_are_constants():
    x = np.array([0.5, -1.5, 2.0])

    def f(y):
        mask = B.cast(B.greater(y, 0.0), "float32")
        return B.sum(B.add(B.multiply(y, mask), B.floor(y)))

    np.testing.assert_array_equal(B.value_and_grad(f)(x)[1], [1.0, 0.0, 1.0])


def test_missing_rule_names_primitive_and_argument():
    @primitive
    def dummy_primitive(first, second):
        return first * second

    dummy_primitive(np.ones(2), np.ones(2))  # outside a trace: just NumPy
    with pytest.raises(MissingGradientError, match=r"'dummy_primitive'.*argument 1 \('second'\)"):
        B.value_and_grad(lambda y: B.sum(dummy_primitive(np.ones(2), y)))(np.ones(2))
    assert "dummy_primitive" not in VJPS


def test_einsum_diagonal_is_rejected_when_differentiated():
    np.testing.assert_allclose(B.einsum("ii->i", np.eye(2)), [1.0, 1.0])
    with pytest.raises(ValueError, match="repeats"):
        B.value_and_grad(lambda y: B.sum(B.einsum("ii->i", y)))(np.eye(2))


def test_value_must_be_a_scalar():
    with pytest.raises(ValueError, match="scalar"):
        B.value_and_grad(lambda y: B.multiply(y, 2.0))(np.ones(2))


# ----------------------------------------------------------------- boxes as arrays
def test_box_behaves_like_an_array_and_records_operators():
    seen = {}

    def f(x):
        seen["shape"], seen["dtype"], seen["ndim"], seen["len"] = x.shape, x.dtype, x.ndim, len(x)
        y = (x * 2 + 1) / 3 - x**2 // 1 % 5
        y = np.float32(2) * y + np.ones((2, 3), np.float32) - abs(-x)
        y = y @ np.ones((3, 1), np.float32) + (np.ones((1, 2), np.float32) @ x)[0, :1]
        seen["cmp"] = [type(c) for c in (x < 1, x <= 1, x > 1, x >= 1, x == 1, x != 1)]
        return B.sum(y[:, 0] ** 2) + B.sum(x[None, ..., ::-1] * x.T.T[..., ::-1])

    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 10
    value, grad = B.value_and_grad(f)(x)
    assert (
        seen["shape"] == (2, 3)
        and seen["dtype"] == np.float32
        and seen["ndim"] == 2
        and seen["len"] == 2
    )
    assert seen["cmp"] == [np.ndarray] * 6
    assert grad.dtype == np.float32 and value.dtype == np.float32
    check_grads(lambda y: f(y), x.astype(np.float64), rtol=1e-5)


def test_box_refuses_implicit_numpy_conversion():
    def f(x):
        np.asarray(x)
        return B.sum(x)

    with pytest.raises(TypeError, match="to_numpy"):
        B.value_and_grad(f)(np.ones(2))
    values = []
    B.value_and_grad(lambda x: values.append(B.to_numpy(x)) or B.sum(x))(np.ones(2))
    assert type(values[0]) is np.ndarray


def test_float32_gradients_stay_float32():
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)

    def f(y):
        h = B.sigmoid(B.matmul(y, np.ones((3, 3), np.float32)))
        h = B.add(B.erf(h), B.divide(B.log1p(B.exp(y)), 3))
        return B.sum(B.sqrt(B.add(B.multiply(h, h), 1.0)))

    value, grad = B.value_and_grad(f)(x)
    assert value.dtype == np.float32 and grad.dtype == np.float32


def test_compute_output_spec_reads_boxes_without_recording():
    from kerasish.backend import TensorSpec

    def f(x):
        spec = B.compute_output_spec(lambda z: B.matmul(z, x), TensorSpec((4, 2), "float32"))
        assert spec == TensorSpec((4, 3), "float32")
        return B.sum(x)

    B.value_and_grad(f)(np.ones((2, 3), np.float32))


def test_compute_output_spec_can_differentiate_inside():
    from kerasish.backend import TensorSpec

    def f(x):
        def grads(z):
            return B.value_and_grad(lambda w: B.sum(B.multiply(w, x)))(z)[1]

        assert B.compute_output_spec(grads, TensorSpec((2, 3), "float32")) == TensorSpec(
            (2, 3), "float32"
        )
        return B.sum(x)

    B.value_and_grad(f)(np.ones((2, 3), np.float32))


def test_lists_of_boxes_convert_by_stacking_and_boxes_iterate():
    def f(x):
        rows = list(x)
        assert len(rows) == 2 and isinstance(rows[0], Box)
        return B.sum(
            B.multiply(B.convert_to_tensor([rows[1], rows[0], np.ones(4)]), np.arange(3.0)[:, None])
        )

    value, grad = B.value_and_grad(f)(np.ones((2, 4)))
    np.testing.assert_array_equal(grad, [[1.0] * 4, [0.0] * 4])
    with pytest.raises(TypeError):
        B.value_and_grad(lambda x: B.sum(list(x)[0]))(np.float64(1.0))


def test_python_number_leaves_get_default_dtypes():
    value, grads = B.value_and_grad(lambda p: B.multiply(p[0], B.cast(p[1], "float32")))((1.5, 3))
    assert float(value) == 4.5
    assert grads[0].dtype == np.float32 and float(grads[0]) == 3.0
    assert grads[1].dtype == np.int32 and int(grads[1]) == 0
