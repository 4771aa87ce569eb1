"""`run_layer_test` and `run_backend_consistency_test`: the checks every layer should pass."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.backend import tree
from kerasish.backend.dtypes import is_float, standardize_dtype
from kerasish.layers.layer import is_shape, map_shapes
from kerasish.ops.symbolic import KerasTensor
from kerasish.saving.serialization import CustomObjectScope


class LayerTestError(AssertionError):
    """A layer failed one of the checks of `run_layer_test` (the message names which)."""


def _fail(layer_cls, check: str, detail: str) -> None:
    raise LayerTestError(f"{layer_cls.__name__}: {check} check failed. {detail}")


def _json_round_trip(value, layer_cls):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        _fail(layer_cls, "config", f"get_config() must return JSON-serializable values: {e}. Config: {value!r}")


def _dtypes_like(shapes, input_dtype):
    """`input_dtype` (one dtype for every input, or the same structure as `shapes`) per shape."""
    if isinstance(input_dtype, str) or input_dtype is None:
        return map_shapes(lambda _: standardize_dtype(input_dtype or "float32"), shapes)
    return input_dtype


def _zip_shapes(fn, shapes, dtypes):
    if is_shape(shapes):
        return fn(tuple(shapes), dtypes)
    if isinstance(shapes, dict):
        return {k: _zip_shapes(fn, shapes[k], dtypes[k]) for k in shapes}
    return type(shapes)(_zip_shapes(fn, s, d) for s, d in zip(shapes, dtypes))


def make_input_data(input_shape, input_dtype="float32", seed: int = 0):
    """Deterministic host arrays for `input_shape` (a shape, or a list/dict of shapes).

    Values are uniform in [0, 3), cast to each dtype (so integer inputs are 0, 1 or 2),
    as Keras's layer tests draw them.
    """
    rng = np.random.default_rng(seed)
    dtypes = _dtypes_like(input_shape, input_dtype)
    return _zip_shapes(lambda s, d: (rng.random(s) * 3).astype(d), input_shape, dtypes)


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, KerasTensor) else tuple(ops.shape(x))


def _shapes_match(expected, actual) -> bool:
    if len(expected) != len(actual):
        return False
    return all(e is None or a is None or e == a for e, a in zip(expected, actual))


def _check_shapes(layer_cls, check, expected_structure, outputs):
    flat_out = tree.flatten(outputs)
    expected = [expected_structure] if is_shape(expected_structure) else _flatten_shapes(expected_structure)
    if len(expected) != len(flat_out) or not all(
        _shapes_match(tuple(e), _shape_of(o)) for e, o in zip(expected, flat_out)
    ):
        _fail(layer_cls, check, f"Expected output shape(s) {expected_structure}, received "
                                f"{[_shape_of(o) for o in flat_out]}.")


def _flatten_shapes(shapes) -> list:
    if is_shape(shapes):
        return [tuple(shapes)]
    values = [shapes[k] for k in sorted(shapes)] if isinstance(shapes, dict) else list(shapes)
    return [s for v in values for s in _flatten_shapes(v)]


def _to_numpy_tree(outputs):
    return [np.asarray(ops.convert_to_numpy(o)) for o in tree.flatten(outputs)]


def _assert_close(layer_cls, check, expected, actual, rtol, atol, what):
    expected_flat = [np.asarray(e) for e in (tree.flatten(expected) if isinstance(expected, (list, tuple, dict)) else [expected])]
    if len(expected_flat) != len(actual):
        _fail(layer_cls, check, f"{what}: expected {len(expected_flat)} output(s), received {len(actual)}.")
    for i, (e, a) in enumerate(zip(expected_flat, actual)):
        if e.shape != a.shape:
            _fail(layer_cls, check, f"{what}: output {i} has shape {a.shape}, expected {e.shape}.")
        if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(a.astype("float64") - e.astype("float64")))) if a.size else 0.0
            _fail(layer_cls, check, f"{what}: output {i} differs (largest absolute difference {worst:.3g}, "
                                    f"rtol={rtol}, atol={atol}).")


def _check_counts(layer, layer_cls, check, trainable, non_trainable, non_trainable_vars):
    if not layer.built:
        _fail(layer_cls, check, "The layer is not built.")
    for name, expected, actual in (
        ("trainable_weights", trainable, len(layer.trainable_weights)),
        ("non_trainable_weights", non_trainable, len(layer.non_trainable_weights)),
        ("non_trainable_variables", non_trainable_vars, len(layer.non_trainable_variables)),
    ):
        if expected is not None and expected != actual:
            _fail(layer_cls, check, f"Expected {expected} {name}, found {actual}.")


def run_layer_test(
    layer_cls: type,
    init_kwargs: dict | None,
    input_shape=None,
    input_dtype="float32",
    input_data=None,
    call_kwargs: dict | None = None,
    expected_output_shape=None,
    expected_output_dtype: str | None = None,
    expected_output=None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_non_trainable_variables: int | None = None,
    expected_num_losses: int | None = None,
    supports_masking: bool | None = None,
    expected_mask_shape: Sequence | None = None,
    custom_objects: dict | None = None,
    run_training_check: bool = True,
    run_jit_check: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Runs the standard checks on a layer class, on the active backend.

    Raises `LayerTestError` (an AssertionError) naming the first failed check. The
    checks, in order:

    1. config: `get_config()` is JSON-serializable; `from_config` of it gives a layer
       whose config is the same; `supports_masking` is as expected.
    2. build: `build(input_shape)` builds the layer with the expected weight counts.
    3. symbolic call: on KerasTensors (batch axis unknown) the output shapes are the
       expected ones and `compute_output_shape` agrees.
    4. eager call: on `input_data` (made from `input_shape` if not given) the output
       has the expected shape, dtype and value; its shapes and dtypes agree with the
       symbolic call; the weight and loss counts are as expected; the mask has the
       expected shape.
    5. round trip: a layer rebuilt from the config, given the same weights, gives the
       same output.
    6. jit: the layer's `stateless_call`, compiled with the backend's `jit`, gives the
       same output as the eager call.
    7. training: when the layer has trainable weights, one `fit` step of a tiny model
       around it ("sgd", mean squared error towards output + 1) runs, the loss is
       finite and at least one weight moves.

    Args:
        layer_cls: the layer class to test.
        init_kwargs: the constructor's arguments.
        input_shape: a shape with the batch axis (or a list/dict of shapes).
        input_dtype: the dtype of inputs made from `input_shape` (one for all, or
            the same structure as `input_shape`).
        input_data: the input (arrays; a list for several inputs), instead of
            `input_shape`.
        call_kwargs: extra keyword arguments of the call (e.g. `training`).
        expected_output_shape: the output shape(s); None entries match any size.
        expected_output_dtype: the dtype of the (every) output.
        expected_output: the expected value for `input_data`.
        expected_num_trainable_weights, expected_num_non_trainable_weights,
        expected_num_non_trainable_variables: counts once built.
        expected_num_losses: the number of `layer.losses` after the eager call.
        supports_masking: the expected value of `layer.supports_masking`.
        expected_mask_shape: the shape of `compute_mask(input_data)`.
        custom_objects: classes and functions `from_config` may need (in scope while
            layers are rebuilt from their configs).
        run_training_check: whether to run check 7.
        run_jit_check: whether to run check 6.
        rtol, atol: tolerances of the value comparisons.
    """
    if input_shape is not None and input_data is not None:
        raise ValueError("run_layer_test: pass `input_shape` or `input_data`, not both.")
    if expected_output is not None and input_data is None:
        raise ValueError("run_layer_test: `expected_output` needs `input_data`.")
    if expected_mask_shape is not None and supports_masking is not True:
        raise ValueError("run_layer_test: `expected_mask_shape` needs `supports_masking=True`.")
    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    if input_data is None and input_shape is not None:
        input_data = make_input_data(input_shape, input_dtype)
    has_input = input_data is not None
    if has_input and input_shape is None:
        input_shape = _shapes_of_data(input_data)

    # 1. config
    layer = layer_cls(**init_kwargs)
    if supports_masking is not None and bool(layer.supports_masking) != supports_masking:
        _fail(layer_cls, "masking", f"Expected supports_masking={supports_masking}, found {layer.supports_masking}.")
    config = _json_round_trip(layer.get_config(), layer_cls)
    try:
        with CustomObjectScope(custom_objects):
            revived = layer_cls.from_config(config)
    except Exception as e:
        _fail(layer_cls, "config", f"from_config(get_config()) raised {type(e).__name__}: {e}")
    revived_config = _json_round_trip(revived.get_config(), layer_cls)
    if revived_config != config:
        changed = sorted(k for k in set(config) | set(revived_config) if config.get(k) != revived_config.get(k))
        _fail(layer_cls, "config", f"The config changed through from_config; keys that differ: {changed}. "
                                   f"Before: {config}; after: {revived_config}")
    if not has_input:
        return

    counts = (expected_num_trainable_weights, expected_num_non_trainable_weights, expected_num_non_trainable_variables)

    # 2. build
    layer = layer_cls(**init_kwargs)
    try:
        layer.build(input_shape)
    except Exception as e:
        _fail(layer_cls, "build", f"build({input_shape}) raised {type(e).__name__}: {e}")
    layer.built = True
    _check_counts(layer, layer_cls, "build", *counts)

    # 3. symbolic call
    dtypes = _dtypes_of_data(input_data)
    symbolic_inputs = _zip_shapes(lambda s, d: KerasTensor((None, *s[1:]), d), input_shape, dtypes)
    layer = layer_cls(**init_kwargs)
    symbolic_outputs = layer(symbolic_inputs, **call_kwargs)
    _check_counts(layer, layer_cls, "symbolic call", *counts)
    if expected_output_shape is not None:
        _check_shapes(layer_cls, "symbolic call", expected_output_shape, symbolic_outputs)
    try:
        declared = layer.compute_output_shape(map_shapes(lambda s: (None, *s[1:]), input_shape))
    except NotImplementedError:
        declared = None
    if declared is not None:
        _check_shapes(layer_cls, "compute_output_shape", declared, symbolic_outputs)

    # 4. eager call
    layer = layer_cls(**init_kwargs)
    outputs = layer(input_data, **call_kwargs)
    _check_counts(layer, layer_cls, "eager call", *counts)
    flat_outputs = tree.flatten(outputs)
    if expected_output_shape is not None:
        _check_shapes(layer_cls, "eager call", expected_output_shape, outputs)
    flat_symbolic = tree.flatten(symbolic_outputs)
    if len(flat_symbolic) != len(flat_outputs):
        _fail(layer_cls, "eager call", f"The symbolic call gave {len(flat_symbolic)} outputs, the eager call {len(flat_outputs)}.")
    for i, (s, o) in enumerate(zip(flat_symbolic, flat_outputs)):
        if not _shapes_match(s.shape, _shape_of(o)):
            _fail(layer_cls, "eager call", f"Output {i} has shape {_shape_of(o)}, but the symbolic call said {s.shape}.")
        if standardize_dtype(ops.dtype(o)) != s.dtype:
            _fail(layer_cls, "eager call", f"Output {i} has dtype {ops.dtype(o)}, but the symbolic call said {s.dtype}.")
        if expected_output_dtype is not None and standardize_dtype(ops.dtype(o)) != standardize_dtype(expected_output_dtype):
            _fail(layer_cls, "eager call", f"Output {i} has dtype {ops.dtype(o)}, expected {expected_output_dtype}.")
    if declared is not None:
        concrete = layer.compute_output_shape(input_shape)
        _check_shapes(layer_cls, "compute_output_shape", concrete, outputs)
    eager_values = _to_numpy_tree(outputs)
    if expected_output is not None:
        _assert_close(layer_cls, "eager call", expected_output, eager_values, rtol, atol, "expected_output")
    if expected_num_losses is not None and len(layer.losses) != expected_num_losses:
        _fail(layer_cls, "eager call", f"Expected {expected_num_losses} losses, found {len(layer.losses)}.")
    if expected_mask_shape is not None:
        mask = layer.compute_mask(input_data, None)
        if mask is None or tuple(ops.shape(mask)) != tuple(expected_mask_shape):
            _fail(layer_cls, "mask", f"Expected a mask of shape {tuple(expected_mask_shape)}, "
                                     f"received {None if mask is None else tuple(ops.shape(mask))}.")

    # 5. config round trip on the same weights
    with CustomObjectScope(custom_objects):
        rebuilt = layer_cls.from_config(_json_round_trip(layer.get_config(), layer_cls))
    rebuilt(input_data, **call_kwargs)
    try:
        rebuilt.set_weights(layer.get_weights())
    except ValueError as e:
        _fail(layer_cls, "config round trip", f"The layer rebuilt from its config has other weights: {e}")
    _assert_close(layer_cls, "config round trip", eager_values, _to_numpy_tree(rebuilt(input_data, **call_kwargs)),
                  rtol, atol, "the layer rebuilt from get_config() with the same weights")

    # 6. jit
    if run_jit_check:
        _check_jit(layer, layer_cls, input_data, call_kwargs, eager_values, rtol, atol)

    # 7. one training step
    if run_training_check and layer.trainable_weights and all(is_float(ops.dtype(o)) for o in flat_outputs):
        _check_training(layer, layer_cls, input_data, call_kwargs, eager_values)


def _shapes_of_data(data):
    if isinstance(data, dict):
        return {k: _shapes_of_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_shapes_of_data(v) for v in data)
    return tuple(np.shape(data))


def _dtypes_of_data(data):
    if isinstance(data, dict):
        return {k: _dtypes_of_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_dtypes_of_data(v) for v in data)
    if isinstance(data, np.ndarray):
        return standardize_dtype(data.dtype)
    return standardize_dtype(ops.dtype(data))


def _check_jit(layer, layer_cls, input_data, call_kwargs, eager_values, rtol, atol):
    backend = kb.get()
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def forward(trainable, non_trainable, x):
        outputs, _ = layer.stateless_call(trainable, non_trainable, x, **call_kwargs)
        return outputs

    x = tree.map_structure(lambda a: backend.convert_to_tensor(a), input_data)
    try:
        compiled = backend.jit(forward)(trainable, non_trainable, x)
    except Exception as e:
        _fail(layer_cls, "jit", f"The compiled stateless call raised {type(e).__name__}: {e}")
    _assert_close(layer_cls, "jit", eager_values, _to_numpy_tree(compiled), rtol, atol,
                  "the jit-compiled stateless call")


def _check_training(layer, layer_cls, input_data, call_kwargs, eager_values):
    from kerasish.models.model import Model

    class _TinyModel(Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, inputs, training=None):
            return self.inner(inputs, training=training, **call_kwargs)

    model = _TinyModel(layer)
    model.compile(optimizer="sgd", loss="mse")
    before = [np.array(w) for w in layer.get_weights()]
    x = tree.map_structure(np.asarray, input_data) if isinstance(input_data, (list, tuple, dict)) else np.asarray(input_data)
    targets = [v + 1.0 for v in eager_values]
    y = targets[0] if len(targets) == 1 else targets
    batch = int(np.shape(tree.flatten(x)[0])[0])
    try:
        history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    except Exception as e:
        _fail(layer_cls, "training", f"One fit step of a model around the layer raised {type(e).__name__}: {e}")
    loss = history.history.get("loss", [float("nan")])[-1]
    if not np.isfinite(loss):
        _fail(layer_cls, "training", f"The loss after one fit step is not finite: {loss}.")
    after = layer.get_weights()
    if not any(not np.array_equal(b, a) for b, a in zip(before, after)):
        _fail(layer_cls, "training", "No trainable weight changed after one fit step (are the gradients zero?).")


def run_backend_consistency_test(
    make_layer: Callable[[], Any],
    input_data,
    backends: Sequence[str] | None = None,
    reference: str = "numpy",
    call_kwargs: dict | None = None,
    check_gradients: bool = True,
    rtol: float = 2e-5,
    atol: float = 2e-6,
) -> None:
    """Checks that every backend computes what the `reference` backend computes.

    The layer is made (by `make_layer()`) and built under each backend with the
    reference's weights. Compared: the outputs and, with `check_gradients`, the
    gradients of `sum(output * direction)` (a fixed random direction) with respect to
    every trainable weight and every floating input.

    Args:
        make_layer: returns a new, unbuilt layer.
        input_data: the input (host arrays, or a list/dict of them).
        backends: the backends to compare (all registered ones by default).
        reference: the backend whose results are the reference.
        call_kwargs: extra keyword arguments of the call.
        check_gradients: whether to compare gradients too.
        rtol, atol: tolerances.
    """
    backends = list(backends or kb.available_backends())
    if reference not in backends:
        backends.insert(0, reference)
    results = {}
    weights = None
    for name in [reference] + [b for b in backends if b != reference]:
        with kb.use_backend(name):
            layer = make_layer()
            layer(input_data, **(call_kwargs or {}))
            if weights is None:
                weights = [np.array(w) for w in layer.get_weights()]
            else:
                layer.set_weights(weights)
            results[name] = _forward_and_gradients(layer, input_data, call_kwargs or {}, check_gradients)
    expected = results[reference]
    for name, got in results.items():
        if name == reference:
            continue
        for what, ref_values, values in zip(("outputs", "weight gradients", "input gradients"), expected, got):
            for i, (r, v) in enumerate(zip(ref_values, values)):
                if r.shape != v.shape or not np.allclose(v, r, rtol=rtol, atol=atol, equal_nan=True):
                    worst = float(np.max(np.abs(v - r))) if r.shape == v.shape and r.size else float("nan")
                    raise LayerTestError(
                        f"{type(layer).__name__}: backend {name!r} disagrees with {reference!r} on {what} [{i}] "
                        f"(largest absolute difference {worst:.3g}, rtol={rtol}, atol={atol})."
                    )


def _forward_and_gradients(layer, input_data, call_kwargs, check_gradients):
    backend = kb.get()
    x = tree.map_structure(lambda a: backend.convert_to_tensor(a), input_data)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    to_np = lambda t: np.asarray(backend.to_numpy(t), dtype="float64")  # noqa: E731

    def forward(trainable, x):
        return layer.stateless_call(trainable, non_trainable, x, **call_kwargs)[0]

    # Compiled where the backend compiles: one program is quicker than op-by-op dispatch.
    out_values = [to_np(o) for o in tree.flatten(backend.jit(forward)(trainable, x))]
    if not check_gradients or not backend.supports_gradient:
        return out_values, [], []
    rng = np.random.default_rng(1234)
    directions = [rng.normal(size=o.shape).astype("float32") for o in out_values]
    flat_x = tree.flatten(x)
    float_positions = [i for i, t in enumerate(flat_x) if is_float(backend.dtype(t))]

    def objective(params):
        weights, float_inputs = params
        leaves = list(flat_x)
        for i, value in zip(float_positions, float_inputs):
            leaves[i] = value
        inputs = tree.pack_sequence_as(x, leaves)
        outs, _ = layer.stateless_call(weights, non_trainable, inputs, **call_kwargs)
        total = 0.0
        for out, direction in zip(tree.flatten(outs), directions):
            if is_float(backend.dtype(out)):
                total = ops.add(total, ops.sum(ops.multiply(ops.cast(out, "float32"), direction)))
        return total

    _, (weight_grads, input_grads) = backend.jit(backend.value_and_grad(objective))(
        (trainable, [flat_x[i] for i in float_positions])
    )
    return out_values, [to_np(g) for g in weight_grads], [to_np(g) for g in input_grads]
