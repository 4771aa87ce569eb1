"""Reusable checks for layers, written as plain functions so that any test runner can call them.

`run_layer_test(layer_cls, init_kwargs, input_shape=..., ...)` runs the standard checks
on one layer class under the active backend: config round trip, build, symbolic and
eager calls (shapes, dtypes, values, weight counts, masks), the same output from a
layer rebuilt from its config on the same weights, the jit-compiled stateless call,
and one `fit` step of a tiny model around the layer. It raises `LayerTestError` (an
`AssertionError`) that names the failed check, and needs no test framework:

    >>> import kerasish as keras
    >>> from kerasish.testing import run_layer_test
    >>> run_layer_test(keras.layers.Dense, {"units": 3}, input_shape=(2, 4),
    ...                expected_output_shape=(2, 3), expected_num_trainable_weights=2)

`run_backend_consistency_test(make_layer, input_data)` builds the layer under every
registered backend with the same weights and compares outputs and gradients with a
reference backend (NumPy by default). An outside backend, registered through the
`kerasish.backends` entry point, runs both in its own test suite:

    with kerasish.backend.use_backend("mybackend"):
        run_layer_test(keras.layers.Dense, {"units": 3}, input_shape=(2, 4))
    run_backend_consistency_test(lambda: keras.layers.Dense(3), x,
                                 backends=["numpy", "mybackend"])
"""

from kerasish.testing.layer_test import (
    LayerTestError,
    make_input_data,
    run_backend_consistency_test,
    run_layer_test,
)

__all__ = ["LayerTestError", "make_input_data", "run_backend_consistency_test", "run_layer_test"]
