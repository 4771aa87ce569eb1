"""model.summary() / print_summary: Keras 3's table, byte sizes, options, graph models.

The expected tables were printed by Keras 3 (with the same models and names).
"""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish.utils import print_summary, summary_utils


@pytest.fixture(autouse=True)
def terminal_80_columns(monkeypatch):
    # Keras's default width is min(88, terminal columns - 4); fix the terminal at 80.
    monkeypatch.setenv("COLUMNS", "80")


def _capture(model, **kwargs) -> str:
    calls = []
    model.summary(print_fn=lambda *args, **kw: calls.append((args, kw)), **kwargs)
    assert len(calls) == 1 and calls[0][1] == {}  # one call, with the whole text
    return calls[0][0][0]


def _mlp(input_dim=32, name=None):
    keras.utils.clear_session()
    return keras.Sequential(
        [keras.Input(shape=(input_dim,)), keras.layers.Dense(64), keras.layers.Dense(10)], name=name
    )


MLP_64 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 4,810 (18.79 KB)
 Trainable params: 4,810 (18.79 KB)
 Non-trainable params: 0 (0.00 B)
"""

MLP_32 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         2,112 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,762 (10.79 KB)
 Trainable params: 2,762 (10.79 KB)
 Non-trainable params: 0 (0.00 B)
"""


def test_sequential_summary_matches_keras(backend):
    assert _capture(_mlp(64)) == MLP_64
    assert _capture(_mlp(32)) == MLP_32


def test_summary_prints_to_stdout(capsys):
    assert _mlp(32).summary() is None
    assert capsys.readouterr().out == MLP_32
    print_summary(_mlp(32))
    assert capsys.readouterr().out == MLP_32


def test_line_length_narrow_tables_wrap_cells():
    model = _mlp(32)
    expected = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ dense (Dense)            │ (None, 64)        │     2,112 │
├──────────────────────────┼───────────────────┼───────────┤
│ dense_1 (Dense)          │ (None, 10)        │       650 │
└──────────────────────────┴───────────────────┴───────────┘
 Total params: 2,762 (10.79 KB)
 Trainable params: 2,762 (10.79 KB)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(model, line_length=60) == expected
    expected = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━┳━━━┓
┃               ┃ Output    ┃ Par… ┃   ┃
┃ Layer (type)  ┃ Shape     ┃    # ┃ … ┃
┡━━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━╇━━━┩
│ dense (Dense) │ (None,    │ 2,1… │ Y │
│               │ 64)       │      │   │
├───────────────┼───────────┼──────┼───┤
│ dense_1       │ (None,    │  650 │ Y │
│ (Dense)       │ 10)       │      │   │
└───────────────┴───────────┴──────┴───┘
 Total params: 2,762 (10.79 KB)
 Trainable params: 2,762 (10.79 KB)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(model, line_length=40, show_trainable=True) == expected


def test_wide_lines_are_not_cut(capsys):
    _mlp(32).summary(line_length=120)
    lines = capsys.readouterr().out.splitlines()
    assert [len(line) for line in lines[1:8]] == [120] * 7


def test_show_trainable_and_frozen_layers():
    model = _mlp(32)
    model.layers[0].trainable = False
    expected = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ dense (Dense)               │ (None, 64)            │      2,112 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dense_1 (Dense)             │ (None, 10)            │        650 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 2,762 (10.79 KB)
 Trainable params: 650 (2.54 KB)
 Non-trainable params: 2,112 (8.25 KB)
"""
    assert _capture(model, show_trainable=True) == expected


def test_layer_range():
    model = _mlp(32)
    text = _capture(model, layer_range=("dense_1", "dense_1"))
    assert "│ dense_1 (Dense)" in text and "│ dense (Dense)" not in text
    assert " Total params: 2,762 (10.79 KB)" in text  # totals are the whole model's
    assert summary_utils.get_layer_index_bound_by_layer_name(
        model.layers, ("dense_1", "dense$")
    ) == [0, 2]
    with pytest.raises(ValueError, match="do not match"):
        model.summary(layer_range=("nope", "dense"))
    with pytest.raises(ValueError, match="length 2"):
        model.summary(layer_range=("dense",))


def test_unbuilt_model():
    keras.utils.clear_session()
    model = keras.Sequential(
        [
            keras.layers.Dense(64, name="a_really_long_layer_name_that_wraps_around"),
            keras.layers.Dense(10, name="x"),
        ],
        name="unbuilt",
    )
    expected = """\
Model: "unbuilt"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ a_really_long_layer_name_that_… │ ?                      │   0 (unbuilt) │
│ (Dense)                         │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ x (Dense)                       │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(model) == expected


def test_subclassed_model_shapes_come_from_build():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.a = keras.layers.Dense(3, name="a")
            self.b = keras.layers.Dense(1, name="b")

        def call(self, x):
            return self.b(self.a(x))

    model = Sub()
    assert "│ a (Dense)                │ ?                 │         0 │" in _capture(
        model, line_length=60
    )
    model(np.ones((2, 5), "float32"))
    text = _capture(model, line_length=60)
    assert "│ a (Dense)                │ (2, 3)            │        18 │" in text
    assert "│ b (Dense)                │ (2, 1)            │         4 │" in text


def test_nested_models_and_expand_nested():
    keras.utils.clear_session()
    inner = keras.Sequential(
        [
            keras.Input(shape=(8,)),
            keras.layers.Dense(4, name="in1"),
            keras.layers.Dense(2, name="in2"),
        ],
        name="inner",
    )
    outer = keras.Sequential(
        [keras.Input(shape=(8,)), inner, keras.layers.Dense(1, name="head")], name="outer"
    )
    expected = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ inner (Sequential)              │ (None, 2)              │            46 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ in1 (Dense)                │ (None, 4)              │            36 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ in2 (Dense)                │ (None, 2)              │            10 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 1)              │             3 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 49 (196.00 B)
 Trainable params: 49 (196.00 B)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(outer, expand_nested=True) == expected
    assert "in1" not in _capture(outer)


# ------------------------------------------------------------ graph models
class Concatenate(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.concatenate(inputs, axis=-1)


def test_functional_branches_get_connected_to(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    inputs = keras.Input((32,), name="inp")
    x = keras.layers.Dense(4, name="d1")(inputs)
    y = keras.layers.Dense(3, name="d2")(inputs)
    model = keras.Model(inputs, [Concatenate(name="cat")([x, y]), x], name="branch")
    expected = """\
Model: "branch"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ inp (InputLayer)              │ (None, 32)                │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ d1 (Dense)                    │ (None, 4)                 │             132 │ inp[0][0]                  │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ d2 (Dense)                    │ (None, 3)                 │              99 │ inp[0][0]                  │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ cat (Concatenate)             │ (None, 7)                 │               0 │ d1[0][0], d2[0][0]         │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 231 (924.00 B)
 Trainable params: 231 (924.00 B)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(model) == expected


def test_functional_chain_and_shared_layer(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    inputs = keras.Input((32,), name="inp2")
    hidden = keras.layers.Dense(4, name="h1")(inputs)
    chain = keras.Model(inputs, keras.layers.Dense(2, name="h2")(hidden), name="chain")
    expected = """\
Model: "chain"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ inp2 (InputLayer)                    │ (None, 32)                  │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ h1 (Dense)                           │ (None, 4)                   │             132 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ h2 (Dense)                           │ (None, 2)                   │              10 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 142 (568.00 B)
 Trainable params: 142 (568.00 B)
 Non-trainable params: 0 (0.00 B)
"""
    assert _capture(chain) == expected
    shared = keras.layers.Dense(5, name="shared")
    a = keras.Input((5,), name="a")
    text = _capture(keras.Model(a, shared(shared(a)), name="sharedm"))
    assert (
        "│ shared (Dense)                │ (None, 5)                 │              30 │ a[0][0], shared[0][0]      │"
        in text
    )


# ------------------------------------------------------------ other models
class FakeVariable:
    def __init__(self, shape, dtype="float32"):
        self.shape = shape
        self.dtype = dtype


class FakeLayer:
    def __init__(self, name, weights, built=True, trainable=True):
        self.name = name
        self.weights = weights
        self.built = built
        self.trainable = trainable
        self._inbound_nodes = []
        self._build_shapes_dict = None

    def count_params(self):
        return sum(int(np.prod(w.shape)) for w in self.weights)


class FakeModel:
    """Just what print_summary reads from a model."""

    def __init__(self, name, layers):
        self.name = name
        self.layers = layers
        self.trainable_weights = [w for layer in layers if layer.trainable for w in layer.weights]
        self.non_trainable_weights = [
            w for layer in layers if not layer.trainable for w in layer.weights
        ]


def test_any_model_like_object():
    kernel = FakeVariable((3, 4))
    model = FakeModel(
        "fake",
        [
            FakeLayer("emb", [kernel, kernel, FakeVariable((4,), "float16")]),
            FakeLayer("mask", [FakeVariable((8,), "bool")], trainable=False),
            FakeLayer("later", [], built=False),
        ],
    )
    calls = []
    print_summary(model, line_length=60, show_trainable=True, print_fn=calls.append)
    # Shared variables count once; bool weights take one bit each, as Keras counts them.
    expected = """\
Model: "fake"
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━┓
┃ Layer (type)          ┃ Output Shape     ┃ Param # ┃ Tr… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━┩
│ emb (FakeLayer)       │ ?                │      28 │  Y  │
├───────────────────────┼──────────────────┼─────────┼─────┤
│ mask (FakeLayer)      │ ?                │       8 │  N  │
├───────────────────────┼──────────────────┼─────────┼─────┤
│ later (FakeLayer)     │ ?                │       0 │  -  │
│                       │                  │ (unbui… │     │
└───────────────────────┴──────────────────┴─────────┴─────┘
 Total params: 24 (57.00 B)
 Trainable params: 16 (56.00 B)
 Non-trainable params: 8 (1.00 B)
"""
    assert calls == [expected]


def test_optimizer_params_after_training(backend):
    model = _mlp(4)
    model.compile(optimizer="sgd", loss="mse")
    assert "Optimizer params" not in _capture(model)
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 10), "float32"), epochs=1, verbose=0)
    lines = _capture(model).splitlines()
    optimizer_count = sum(int(np.prod(v.shape)) for v in model.optimizer.variables)
    assert lines[-1].startswith(f" Optimizer params: {optimizer_count:,} (")
    assert lines[-4].startswith(f" Total params: {970 + optimizer_count:,} (")


# ------------------------------------------------------------ helpers
@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0.00 B"),
        (1023, "1023.00 B"),
        (1024, "1.00 KB"),
        (19240, "18.79 KB"),
        (6_020_000, "5.74 MB"),
        (3 * 1024**3, "3.00 GB"),
        (2 * 1024**6, "2048.00 PB"),
    ],
)
def test_readable_memory_size(size, text):
    assert summary_utils.readable_memory_size(size) == text


def test_weight_memory_size_and_count():
    kernel = FakeVariable((10, 10))
    weights = [kernel, kernel, FakeVariable((3,), "int64"), FakeVariable((2, 2), "bfloat16")]
    assert summary_utils.count_params(weights) == 107
    assert summary_utils.weight_memory_size(weights) == 400 + 24 + 8
    with pytest.raises(ValueError, match="Cannot tell the size of dtype 'string'"):
        summary_utils.weight_memory_size([FakeVariable((1,), "string")])


def test_too_narrow_raises():
    with pytest.raises(ValueError, match="Insufficient console width"):
        _mlp(32).summary(line_length=8)
