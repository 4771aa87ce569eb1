"""plot_model and model_to_dot: a picture of a model's graph, with Graphviz or without.

The graph (boxes and arrows) is computed here from the model, once; it is drawn either
by Graphviz through pydot, when the `dot` program is installed, or by matplotlib with a
layered layout computed in Python, so that a picture never needs Graphviz.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import warnings
from dataclasses import dataclass, field

_warned_no_graphviz = False


@dataclass
class GraphNode:
    """One box: a layer (or op) and the text lines shown in it."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    cluster: str | None = None


@dataclass
class ModelGraph:
    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    clusters: dict[str, str]  # cluster key -> label


# ------------------------------------------------------------------ the graph
def _format_shape(shape) -> str:
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _shapes_of(tensors) -> str:
    shapes = [t.shape for t in tensors]
    return _format_shape(shapes[0] if len(shapes) == 1 else shapes)


def _layer_lines(op, node, show_shapes, show_dtype, show_layer_activations, show_trainable, inferred=None):
    from kerasish import activations
    from kerasish.layers.input_layer import InputLayer

    lines = []
    if show_layer_activations and getattr(op, "activation", None) is not None:
        lines.append(f"Activation: {activations.serialize(op.activation)}")
    if show_trainable and getattr(op, "weights", None):
        lines.append(f"Trainable: {'Y' if op.trainable else 'N'}")
    if show_dtype:
        lines.append(f"dtype: {getattr(op, 'dtype', '?')}")
    if show_shapes:
        if node is not None:
            if not isinstance(op, InputLayer):
                lines.append(f"Input shape: {_shapes_of(node.input_tensors)}")
            lines.append(f"Output shape: {_shapes_of(node.output_tensors)}")
        elif inferred is not None:
            in_shape, out_shape = inferred
            if in_shape is not None:
                lines.append(f"Input shape: {_format_shape(in_shape)}")
            lines.append(f"Output shape: {_format_shape(out_shape)}")
        else:
            lines.append("Output shape: ?")
    return lines


def build_graph(model, show_shapes=False, show_dtype=False, show_layer_names=True, expand_nested=False,
                show_layer_activations=False, show_trainable=False) -> ModelGraph:
    """The boxes and arrows of `model` (Sequential, Functional, or a built subclassed model)."""
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []
    clusters: dict[str, str] = {}
    expanded: dict[str, tuple] = {}

    def title(op):
        cls = type(op).__name__
        return f"{op.name} ({cls})" if show_layer_names else cls

    def add_graph(m, prefix: str, cluster: str | None):
        """Adds m's boxes; returns (entry keys per input, exit keys per output)."""
        from kerasish.models.functional import Functional
        from kerasish.models.sequential import Sequential

        if isinstance(m, Sequential):
            if not m.built or m._input_layer is None:
                raise ValueError(
                    f"Model {m.name!r} is not built yet, so it has no graph to draw. Build it first "
                    "(call it on data, `fit` it, or give it an `Input`)."
                )
            chain = [m._input_layer, *m.layers]
            keys = []
            for op in chain:
                node = next((n for n in op._inbound_nodes if (op, n) in m._graph_nodes), None)
                if node is None and op is m._input_layer:
                    node = op._inbound_nodes[0]
                keys.append(add_op(op, node, prefix, cluster))
            for (a_exit, _), (_, b_entry) in zip(keys[:-1], keys[1:]):
                for src in a_exit:
                    for dst in b_entry:
                        edges.append((src, dst))
            return keys[0][1], keys[-1][0]
        if isinstance(m, Functional):
            exits_of = {}
            entry_tensors = set()
            entries = []
            for node in m._nodes:
                op = node.operation
                if node.is_input and cluster is not None:
                    # Inside an expanded nested model, arrows go straight to the layers
                    # that read its inputs (no box for the inner InputLayer).
                    entry_tensors.update(id(t) for t in node.output_tensors)
                    continue
                entry, exit_ = add_op(op, node, prefix, cluster)
                for tensor in node.output_tensors:
                    exits_of[id(tensor)] = exit_
                if node.is_input or any(id(t) in entry_tensors for t in node.input_tensors):
                    entries.extend(k for k in entry if k not in entries)
                for tensor in node.input_tensors:
                    for src in exits_of.get(id(tensor), []):
                        for dst in entry:
                            if (src, dst) not in edges:
                                edges.append((src, dst))
            outs = [k for t in m._flat_outputs for k in exits_of.get(id(t), [])]
            return entries, outs
        # A subclassed model: its sublayers in the order they were first called.
        sublayers = [layer for layer in m._flatten_layers(include_self=False, recursive=False)]
        called = [layer for layer in sublayers if getattr(layer, "_inferred_output_shapes", None) is not None]
        if not m.built or not called:
            raise ValueError(
                f"Model {m.name!r} is a subclassed model that has not been built, so its layers' "
                "shapes and order are unknown. Call `model.build(input_shape)` or call it on data first."
            )
        called.sort(key=lambda layer: layer._inferred_call_index)
        keys = []
        previous_shape = None
        build = getattr(m, "_build_shapes_dict", None) or {}
        previous_shape = build.get("input_shape")
        for layer in called:
            shape = layer._inferred_output_shapes
            keys.append(add_op(layer, None, prefix, cluster, inferred=(previous_shape, shape)))
            previous_shape = shape
        for (a_exit, _), (_, b_entry) in zip(keys[:-1], keys[1:]):
            for src in a_exit:
                for dst in b_entry:
                    edges.append((src, dst))
        return keys[0][1], keys[-1][0]

    def add_op(op, node, prefix, cluster, inferred=None):
        """Adds one box per layer, however often it is called (or a nested model's
        boxes); returns (exit keys, entry keys)."""
        from kerasish.models.model import Model

        key = f"{prefix}{op.name}"
        if key in expanded:
            return expanded[key]
        if expand_nested and isinstance(op, Model) and not _is_input_layer(op):
            inner_cluster = key
            clusters[inner_cluster] = title(op)
            entries, exits = add_graph(op, prefix=f"{key}/", cluster=inner_cluster)
            expanded[key] = (exits, entries)
            return exits, entries
        existing = next((n for n in nodes if n.key == key), None)
        if existing is None:
            nodes.append(GraphNode(key, title(op), _layer_lines(op, node, inferred=inferred, **options), cluster))
        return [key], [key]

    add_graph(model, prefix="", cluster=None)
    return ModelGraph(nodes, edges, clusters)


def _is_input_layer(op) -> bool:
    from kerasish.layers.input_layer import InputLayer

    return isinstance(op, InputLayer)


# ------------------------------------------------------------------ to DOT
def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """The model's graph as a `pydot.Dot` (needs pydot; drawing it needs Graphviz)."""
    try:
        import pydot
    except ImportError as e:
        raise ImportError(
            "model_to_dot needs pydot: `pip install pydot` (or `pip install kerasish[plot]`). "
            "plot_model draws without it, through matplotlib."
        ) from e
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"`rankdir` must be 'TB' or 'LR'. Received: rankdir={rankdir!r}")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    graph = build_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                        show_layer_activations, show_trainable)
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    dot.set_node_defaults(shape="plaintext", fontname="Helvetica")
    containers = {None: dot}
    for key, label in graph.clusters.items():
        cluster = pydot.Cluster(re.sub(r"\W", "_", key), label=_dot_id(label), style="dashed")
        containers[key] = cluster
    for node in graph.nodes:
        containers[node.cluster].add_node(pydot.Node(_dot_id(node.key), label=_html_label(node)))
    for key, cluster in containers.items():
        if key is not None:
            # A model nested in a nested model is drawn inside its parent's cluster.
            parent_key = next((c for c in graph.clusters if key.startswith(c + "/")), None)
            (containers[parent_key] if parent_key else dot).add_subgraph(cluster)
    for src, dst in graph.edges:
        dot.add_edge(pydot.Edge(_dot_id(src), _dot_id(dst)))
    return dot


def _dot_id(key: str) -> str:
    return '"' + key.replace('"', "'") + '"'


def _html_label(node: GraphNode) -> str:
    rows = [f'<tr><td bgcolor="#c8e6fa"><b>{html.escape(node.title)}</b></td></tr>']
    rows += [f"<tr><td>{html.escape(line)}</td></tr>" for line in node.lines]
    return '<<table border="1" cellborder="0" cellspacing="0" cellpadding="4">' + "".join(rows) + "</table>>"


# ------------------------------------------------------------ plot_model
def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False,
               show_trainable=False, **kwargs):
    """Draws the model's graph to `to_file` (.png, .svg, .pdf, or .dot for the DOT text).

    Uses Graphviz when its `dot` program is installed, else draws the same graph with
    matplotlib and says so once in a warning. Input and output shapes are shown on
    every box with `show_shapes=True`.

    Returns:
        In a notebook, an IPython Image of the PNG; otherwise None.
    """
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"`rankdir` must be 'TB' or 'LR'. Received: rankdir={rankdir!r}")
    extension = os.path.splitext(str(to_file))[1].lower().lstrip(".") or "png"
    if extension not in ("png", "svg", "pdf", "dot", "jpg", "jpeg"):
        raise ValueError(f"plot_model writes .png, .svg, .pdf, .jpg or .dot files. Received: to_file={to_file!r}")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                   expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                   show_trainable=show_trainable)
    directory = os.path.dirname(os.path.abspath(str(to_file)))
    os.makedirs(directory, exist_ok=True)
    graphviz = shutil.which("dot") is not None
    pydot = _try_import("pydot")
    if extension == "dot" and pydot is not None:
        text = model_to_dot(model, rankdir=rankdir, dpi=dpi, **options).to_string()
        _atomic_write(to_file, text.encode("utf-8"))
    elif graphviz and pydot is not None:
        dot = model_to_dot(model, rankdir=rankdir, dpi=dpi, **options)
        _atomic_write(to_file, dot.create(prog="dot", format="jpeg" if extension == "jpg" else extension))
    else:
        global _warned_no_graphviz
        if not _warned_no_graphviz:
            _warned_no_graphviz = True
            warnings.warn(
                "plot_model: Graphviz's `dot` program (or pydot) was not found, so the model was drawn "
                "with matplotlib. Install Graphviz (e.g. `apt-get install graphviz`) and pydot for the "
                "classic look.",
                stacklevel=2,
            )
        graph = build_graph(model, **options)
        if extension == "dot":
            _atomic_write(to_file, _plain_dot(graph, rankdir).encode("utf-8"))
        else:
            draw_with_matplotlib(graph, to_file, rankdir=rankdir, dpi=dpi)
    return _maybe_ipython_image(to_file, extension)


def _try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def _atomic_write(path, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _plain_dot(graph: ModelGraph, rankdir: str) -> str:
    """DOT text without pydot (the same boxes and arrows)."""
    lines = [f"digraph G {{\n  rankdir={rankdir};\n  node [shape=box, fontname=Helvetica];"]
    for node in graph.nodes:
        label = "\\n".join([node.title, *node.lines]).replace('"', "'")
        lines.append(f'  {_dot_id(node.key)} [label="{label}"];')
    for src, dst in graph.edges:
        lines.append(f"  {_dot_id(src)} -> {_dot_id(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _maybe_ipython_image(path, extension):
    if extension != "png":
        return None
    try:
        from IPython import get_ipython
        from IPython.display import Image
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    return Image(filename=str(path))


# ---------------------------------------------------- the matplotlib drawing
def layered_layout(graph: ModelGraph) -> dict[str, tuple[int, int]]:
    """(rank, position within rank) per box: rank = longest path from an entry box."""
    parents: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for src, dst in graph.edges:
        parents[dst].append(src)
    rank: dict[str, int] = {}
    remaining = [n.key for n in graph.nodes]
    while remaining:
        progressed = False
        for key in list(remaining):
            if all(p in rank for p in parents[key]):
                rank[key] = 1 + max((rank[p] for p in parents[key]), default=-1)
                remaining.remove(key)
                progressed = True
        if not progressed:  # a cycle cannot happen in a model graph; place the rest anyway
            for key in remaining:
                rank[key] = 0
            break
    order: dict[int, list[str]] = {}
    for node in graph.nodes:
        order.setdefault(rank[node.key], []).append(node.key)
    positions = {}
    for r, keys in order.items():
        # Order each rank by the mean position of its parents, to reduce crossings.
        if r > 0:
            keys.sort(key=lambda k: sum(positions[p][1] for p in parents[k]) / max(1, len(parents[k])))
        for i, key in enumerate(keys):
            positions[key] = (r, i)
    return positions


def draw_with_matplotlib(graph: ModelGraph, to_file, rankdir="TB", dpi=200) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    positions = layered_layout(graph)
    n_ranks = 1 + max((r for r, _ in positions.values()), default=0)
    widths: dict[int, int] = {}
    for r, i in positions.values():
        widths[r] = max(widths.get(r, 0), i + 1)
    max_width = max(widths.values(), default=1)
    box_w = max(2.6, 0.095 * max((len(line) for n in graph.nodes for line in [n.title, *n.lines]), default=10))
    box_h = 0.42 + 0.3 * max((len(n.lines) for n in graph.nodes), default=0)
    gap_x, gap_y = box_w * 0.25, 0.6
    centers = {}
    for key, (r, i) in positions.items():
        offset = (max_width - widths[r]) * (box_w + gap_x) / 2
        along = offset + i * (box_w + gap_x) + box_w / 2
        across = r * (box_h + gap_y) + box_h / 2
        centers[key] = (along, -across) if rankdir == "TB" else (across, -along)
    if rankdir == "TB":
        fig_w = max_width * (box_w + gap_x) + 0.4
        fig_h = n_ranks * (box_h + gap_y) + 0.4
    else:
        fig_w = n_ranks * (box_w + gap_x) + 0.4
        fig_h = max_width * (box_h + gap_y) + 0.4
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_axis_off()
    by_key = {n.key: n for n in graph.nodes}
    # Nested models are told apart by colour (a layered layout cannot keep a nested
    # model's boxes inside one rectangle without overlapping others).
    palette = ["#fdebd0", "#e8f8f5", "#f4ecf7", "#fef9e7", "#ebf5fb"]
    cluster_colour = {c: palette[i % len(palette)] for i, c in enumerate(graph.clusters)}
    for i, (cluster, label) in enumerate(graph.clusters.items()):
        ax.text(0.0, 1.0 - 0.04 * i, f"■ inside {label}", transform=ax.transAxes, fontsize=7,
                color="#444444", va="top", bbox=dict(facecolor=cluster_colour[cluster], edgecolor="none"))
    for src, dst in graph.edges:
        (x1, y1), (x2, y2) = centers[src], centers[dst]
        if rankdir == "TB":
            start, end = (x1, y1 - box_h / 2), (x2, y2 + box_h / 2)
        else:
            start, end = (x1 + box_w / 2, y1), (x2 - box_w / 2, y2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#333333", lw=0.9))
    for key, (x, y) in centers.items():
        node = by_key[key]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.02", lw=1, edgecolor="#1f5f8b",
                                    facecolor=cluster_colour.get(node.cluster, "#eaf4fc")))
        ax.text(x, y + box_h / 2 - 0.2, node.title, ha="center", va="center", fontsize=8, fontweight="bold")
        for j, line in enumerate(node.lines):
            ax.text(x, y + box_h / 2 - 0.48 - 0.3 * j, line, ha="center", va="center", fontsize=7)
    xs = [c[0] for c in centers.values()] or [0]
    ys = [c[1] for c in centers.values()] or [0]
    ax.set_xlim(min(xs) - box_w / 2 - 0.2, max(xs) + box_w / 2 + 0.2)
    ax.set_ylim(min(ys) - box_h / 2 - 0.2, max(ys) + box_h / 2 + 0.4)
    ax.set_aspect("equal")
    extension = os.path.splitext(str(to_file))[1].lower().lstrip(".") or "png"
    tmp = f"{to_file}.tmp-{os.getpid()}.{extension}"
    fig.savefig(tmp, dpi=min(dpi, 200), bbox_inches="tight", format="jpeg" if extension == "jpg" else extension)
    plt.close(fig)
    os.replace(tmp, to_file)


__all__ = ["build_graph", "model_to_dot", "plot_model"]
