"""plot_model and model_to_dot for every model kind, with Graphviz and without it."""

from __future__ import annotations

import shutil
import struct

import pytest

import kerasish as keras
from kerasish import layers, ops
from kerasish.utils import model_visualization

HAS_DOT = shutil.which("dot") is not None


def _png_size(path):
    with open(path, "rb") as f:
        data = f.read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def _models():
    keras.utils.clear_session()
    seq = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="relu"), layers.Dense(2)], name="seq")
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(4,), name="b")
    shared = layers.Dense(3, name="shared")
    inner_in = keras.Input(shape=(3,))
    inner = keras.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    merged = ops.concatenate([shared(a), shared(b)], axis=-1)
    graph = keras.Model([a, b], [layers.Dense(1, name="out1")(merged), inner(shared(a))], name="graph")

    class Sub(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(5, name="first")
            self.second = layers.Dense(2, name="second")

        def call(self, x):
            return self.second(self.first(x))

    sub = Sub(name="sub")
    sub.build((None, 3))
    return {"sequential": seq, "functional": graph, "subclassed": sub}


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
@pytest.mark.parametrize("graphviz", [True, False])
def test_png_for_each_model_kind(tmp_path, monkeypatch, kind, graphviz):
    if graphviz and not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed")
    if not graphviz:
        monkeypatch.setenv("PATH", str(tmp_path))  # hides `dot`
        monkeypatch.setattr(model_visualization, "_warned_no_graphviz", False)
    model = _models()[kind]
    path = tmp_path / f"{kind}.png"
    if graphviz:
        keras.utils.plot_model(model, to_file=str(path), show_shapes=True, expand_nested=True)
    else:
        with pytest.warns(UserWarning, match="installing Graphviz|Install Graphviz"):
            keras.utils.plot_model(model, to_file=str(path), show_shapes=True, expand_nested=True)
    width, height = _png_size(path)
    assert 200 < width < 8000 and 150 < height < 8000


def test_warning_only_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(model_visualization, "_warned_no_graphviz", False)
    model = _models()["sequential"]
    with pytest.warns(UserWarning):
        keras.utils.plot_model(model, to_file=str(tmp_path / "a.png"))
    keras.utils.plot_model(model, to_file=str(tmp_path / "b.png"))  # would fail on a 2nd warning


@pytest.mark.parametrize("extension", ["svg", "pdf", "dot"])
def test_other_formats(tmp_path, monkeypatch, extension):
    model = _models()["functional"]
    path = tmp_path / f"m.{extension}"
    monkeypatch.setattr(model_visualization, "_warned_no_graphviz", True)
    keras.utils.plot_model(model, to_file=str(path), show_shapes=True)
    head = path.read_bytes()[:600]
    expected = {"svg": b"<svg", "pdf": b"%PDF", "dot": b"digraph"}[extension]
    assert expected in head


def test_dot_text_holds_layers_edges_and_shapes():
    pytest.importorskip("pydot")
    model = _models()["functional"]
    text = keras.utils.model_to_dot(model, show_shapes=True, show_layer_activations=True).to_string()
    for name in ("a", "b", "shared", "concatenate", "out1", "inner"):
        assert f'"{name}"' in text, name
    for src, dst in [("a", "shared"), ("b", "shared"), ("shared", "concatenate"), ("concatenate", "out1"),
                     ("shared", "inner")]:
        assert f'"{src}" -> "{dst}"' in text, (src, dst)
    assert "Input shape: (None, 3), (None, 3)" in text  # the concatenate's two inputs
    assert "Output shape: (None, 6)" in text
    nested = keras.utils.model_to_dot(model, expand_nested=True).to_string()
    assert "subgraph cluster_inner" in nested and '"inner/inner_dense"' in nested
    assert '"shared" -> "inner/inner_dense"' in nested


def test_graph_of_subclassed_model_follows_call_order():
    sub = _models()["subclassed"]
    graph = model_visualization.build_graph(sub, show_shapes=True)
    assert [n.title for n in graph.nodes] == ["first (Dense)", "second (Dense)"]
    assert graph.edges == [("first", "second")]
    assert "Output shape: (None, 2)" in graph.nodes[1].lines


def test_unbuilt_model_is_a_clear_error(tmp_path):
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        keras.utils.plot_model(model, to_file=str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match=r"\.png, \.svg"):
        keras.utils.plot_model(_models()["sequential"], to_file=str(tmp_path / "x.gif"))
