"""`print_summary`: the table `model.summary()` prints, laid out as Keras 3's."""

from __future__ import annotations

import math
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kerasish.backend import tree

# Box-drawing characters of the table (rich's HEAVY_HEAD box, which Keras uses):
# heavy lines around the header, light lines around the rows.
_HEAD_TOP = ("┏", "━", "┳", "┓")
_HEAD_ROW = ("┃", "┃", "┃")
_HEAD_BOTTOM = ("┡", "━", "╇", "┩")
_ROW = ("│", "│", "│")
_ROW_SEPARATOR = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")

_SEQUENTIAL_LINE_LENGTH = 88
_GRAPH_LINE_LENGTH = 108
_TRAINABLE_EXTRA_LENGTH = 12


# ---------------------------------------------------------------- sizes and counts
def count_params(weights: Iterable) -> int:
    """The number of scalars in `weights` (each variable counted once)."""
    unique = {id(w): w for w in weights}.values()
    return int(sum(math.prod(w.shape) for w in unique))


def _dtype_bits(dtype) -> int:
    name = str(getattr(dtype, "name", dtype))
    if name == "bool":
        return 1  # as Keras counts it
    digits = re.search(r"(\d+)$", name)
    if digits is None:
        raise ValueError(f"Cannot tell the size of dtype {name!r}. Received: dtype={dtype!r}")
    return int(digits.group(1))


def weight_memory_size(weights: Iterable) -> float:
    """The memory the weights take, in bytes (each variable counted once).

    Args:
        weights: variables with `shape` and `dtype` ("float32", "int64", ...).
    """
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _dtype_bits(w.dtype) for w in unique) / 8


def readable_memory_size(size: float) -> str:
    """A size in bytes as Keras shows it: `"18.79 KB"` (powers of 1024, two decimals)."""
    units = ["B", "KB", "MB", "GB", "TB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# ------------------------------------------------------------------- layer fields
def _format_shape(shape) -> str:
    return f"({', '.join(str(d) for d in shape)})"


def format_layer_shape(layer) -> str:
    """The layer's output shape as shown in the table: `"(None, 64)"`, or `"?"` if unknown.

    Taken from the layer's last call on symbolic tensors, else computed from the shape it
    was built for.
    """
    nodes = getattr(layer, "_inbound_nodes", None) or []
    build_shapes = getattr(layer, "_build_shapes_dict", None)
    inferred = getattr(layer, "_inferred_output_shapes", None)
    if not nodes and inferred is not None:
        # A sublayer of a subclassed model: the shapes seen when the model was built.
        from kerasish.layers.layer import map_shapes

        shapes = map_shapes(_format_shape, inferred)
    elif nodes:
        outputs = nodes[-1].outputs
        shapes = tree.map_structure(
            lambda t: _format_shape(t.shape) if hasattr(t, "shape") else str(t), outputs
        )
    elif build_shapes:
        from kerasish.layers.layer import map_shapes

        try:
            shapes = map_shapes(_format_shape, _output_shape_from_build(layer, build_shapes))
        except (NotImplementedError, ValueError, TypeError, AttributeError):
            return "?"
    else:
        return "?"
    flat = tree.flatten(shapes)
    if len(flat) == 1:
        return flat[0]
    return str(shapes).replace("'", "")


def _output_shape_from_build(layer, build_shapes: dict):
    shape = getattr(layer, "output_shape", None)
    if shape is not None:
        return shape
    return layer.compute_output_shape(*build_shapes.values())


def _param_field(layer) -> str:
    if not hasattr(layer, "built"):
        return "0"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _trainable_field(layer) -> str:
    if getattr(layer, "weights", None):
        return "Y" if layer.trainable else "N"
    return "-"


def _connections_field(layer, relevant_nodes: list) -> str:
    """Where the layer's inputs come from: `"dense[0][0], input_layer[0][0]"`."""
    relevant = {id(node) for node in relevant_nodes}
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in relevant:
            continue  # a call that belongs to another model
        for tensor in node.input_tensors:
            operation, node_index, tensor_index = tensor._keras_history
            parts.append(f"{operation.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


# ------------------------------------------------------------------ model analysis
def _graph_nodes(model) -> list | None:
    """The nodes of a graph (Functional) model, or None for other models."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None or getattr(model, "_operations", None) is None:
        return None
    return list(nodes)


def _is_sequential_like(nodes: list) -> bool:
    """Whether a graph is a plain chain: one node per depth, one input each, no sharing.

    Depth is counted from the outputs, as Keras does: a node's depth is one more than the
    deepest node that consumes it.
    """
    in_graph = {id(node) for node in nodes}
    depth = {id(node): 0 for node in nodes}
    for node in reversed(nodes):  # `nodes` lists producers before consumers
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                depth[id(parent)] = max(depth[id(parent)], depth[id(node)] + 1)
    per_depth: dict[int, int] = {}
    for node in nodes:
        per_depth[depth[id(node)]] = per_depth.get(depth[id(node)], 0) + 1
        if len(node.input_tensors) > 1:
            return False
    if any(count > 1 for count in per_depth.values()):
        return False
    operations = [node.operation for node in nodes]
    return len({id(op) for op in operations}) == len(operations)


def _summary_columns(sequential_like: bool, show_trainable: bool, positions) -> tuple:
    """The headers, alignments, default line length and relative positions of the columns."""
    if sequential_like:
        line_length = _SEQUENTIAL_LINE_LENGTH
        positions = positions or [0.45, 0.80, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
        alignments = ["left", "left", "right"]
    else:
        line_length = _GRAPH_LINE_LENGTH
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignments = ["left", "left", "right", "left"]
    positions = list(positions)
    if show_trainable:
        line_length += _TRAINABLE_EXTRA_LENGTH
        positions = [p * 0.90 for p in positions] + [1.0]
        headers.append("Trainable")
        alignments.append("center")
    return headers, alignments, line_length, positions


def summary_rows(
    layers: Sequence,
    sequential_like: bool = True,
    relevant_nodes: list | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
) -> list[list[str]]:
    """The table's rows (a list of cell texts per row) for these layers.

    Args:
        layers: the layers (or operations) to show, in order.
        sequential_like: False adds the "Connected to" cell (for graph models).
        relevant_nodes: the graph's nodes; calls of a layer elsewhere are not shown.
        expand_nested: also list the layers of nested models, indented.
        show_trainable: add the "Trainable" cell (Y, N or - for no weights).
    """
    rows: list[list[str]] = []
    stack = [(layer, 0) for layer in reversed(list(layers))]
    while stack:
        layer, level = stack.pop()
        prefix = "   " * level + "└ " if level else ""
        fields = [
            f"{prefix}{layer.name} ({type(layer).__name__})",
            format_layer_shape(layer),
            _param_field(layer),
        ]
        if not sequential_like:
            fields.append(_connections_field(layer, relevant_nodes or []))
        if show_trainable:
            fields.append(_trainable_field(layer))
        rows.append(fields)
        nested = getattr(layer, "layers", None) if expand_nested else None
        if nested:
            stack.extend((sub, level + 1) for sub in reversed(list(nested)))
    return rows


def get_layer_index_bound_by_layer_name(
    layers: Sequence, layer_range: Sequence[str] | None = None
) -> list[int]:
    """The `[start, stop)` indices of the layers between two names (or regexes), inclusive.

    The start is the first layer matching `layer_range[0]`, the end the last matching
    `layer_range[1]`; all layers when `layer_range` is None.
    """
    if layer_range is None:
        return [0, len(layers)]
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return [min(upper), max(lower) + 1]
    return [min(lower), max(upper) + 1]


# ------------------------------------------------------------------ table layout
def _column_widths(positions: Sequence[float], line_length: int) -> list[int]:
    """Column widths (cell padding included) for a table `line_length` wide.

    The positions split the line as Keras asks; like the rich table Keras renders with,
    the widths then shrink evenly to leave room for the borders and the padding.
    """
    if all(p <= 1 for p in positions):
        positions = [p * line_length for p in positions]
    widths, current = [], 0
    for position in positions:
        width = int(position) - current
        if width < 4:
            raise ValueError(
                "Insufficient console width to print summary. "
                f"Received: line_length={line_length}, positions={list(positions)}"
            )
        widths.append(width)
        current += width
    padded = [w + 2 for w in widths]
    available = line_length - (len(widths) + 1)
    excess = sum(padded) - available
    if excess > 0:
        padded = _reduce_evenly(excess, padded)
    return padded


def _reduce_evenly(excess: int, widths: list[int]) -> list[int]:
    """Takes `excess` off the widths in equal shares, rounding as rich's `ratio_reduce` does."""
    remaining, shares = excess, len(widths)
    result = []
    for width in widths:
        taken = min(width, round(remaining / shares))
        result.append(width - taken)
        remaining -= taken
        shares -= 1
    return result


def _wrap(text: str, width: int) -> list[str]:
    """Word-wraps `text` to `width`; a word too long for a line is cut with "…"."""
    if width <= 0:
        return [""]
    breaks, offset = [], 0
    for match in re.finditer(r"\s*\S+\s*", text):
        start, word = match.start(), match.group()
        word_length = len(word.rstrip())
        if width - offset >= word_length:
            offset += len(word)
        elif word_length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(text)]
    lines = [text[a:b].rstrip() for a, b in zip(bounds, bounds[1:])] or [""]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def _justify(line: str, width: int, alignment: str) -> str:
    if alignment == "right":
        return line.rjust(width)
    if alignment == "center":
        left = max(width - len(line), 0) // 2
        return (" " * left + line).ljust(width)
    return line.ljust(width)


def _render_row(
    cells: Sequence[str],
    widths: Sequence[int],
    alignments: Sequence[str],
    edges: tuple,
    vertical: str,
) -> list[str]:
    wrapped = [_wrap(cell, w - 2) for cell, w in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    for lines in wrapped:
        blank = [""] * (height - len(lines))
        lines[:] = blank + lines if vertical == "bottom" else lines + blank
    left, middle, right = edges
    out = []
    for i in range(height):
        parts = [
            " " + _justify(lines[i], w - 2, a) + " "
            for lines, w, a in zip(wrapped, widths, alignments)
        ]
        out.append(left + middle.join(parts) + right)
    return out


def _rule(widths: Sequence[int], chars: tuple) -> str:
    left, line, cross, right = chars
    return left + cross.join(line * w for w in widths) + right


def render_table(
    headers: Sequence[str],
    alignments: Sequence[str],
    widths: Sequence[int],
    rows: Sequence[Sequence[str]],
) -> list[str]:
    """The lines of the table: a heavy-ruled header, then the rows with light rules between.

    Args:
        headers: the column titles.
        alignments: "left", "right" or "center" per column.
        widths: the width of each column, one space of padding on each side included.
        rows: the cell texts of each row; long texts wrap within their cell.
    """
    lines = [_rule(widths, _HEAD_TOP)]
    lines += _render_row(headers, widths, alignments, _HEAD_ROW, vertical="bottom")
    lines.append(_rule(widths, _HEAD_BOTTOM))
    for i, row in enumerate(rows):
        if i:
            lines.append(_rule(widths, _ROW_SEPARATOR))
        lines += _render_row(row, widths, alignments, _ROW, vertical="top")
    lines.append(_rule(widths, _BOTTOM))
    return lines


# -------------------------------------------------------------------- the summary
def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    print_fn: Callable[[str], Any] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Sequence[str] | None = None,
) -> None:
    """Prints a summary of a model: its layers, their output shapes and parameter counts.

    The table looks as Keras 3's. Graph (Functional) models that are not a plain chain
    get a "Connected to" column.

    Args:
        model: the model.
        line_length: the width of the table; by default 88 (108 for graph models, plus
            12 with `show_trainable`), at most the terminal's width less 4.
        positions: where each column ends, as fractions of the line (or absolute
            character positions); by default `[0.45, 0.80, 1.0]`
            (`[0.3, 0.56, 0.74, 1.0]` for graph models).
        print_fn: called once with the whole summary text (lines joined with "\\n", a
            final "\\n" included) instead of printing it to stdout.
        expand_nested: also list the layers of nested models.
        show_trainable: add a "Trainable" column.
        layer_range: two layer names (or regexes), the first and last layers to show.
    """
    nodes = _graph_nodes(model)
    if nodes is None:
        # Sequential and subclassed models are shown as a list of layers.
        sequential_like, layers = True, list(model.layers)
    else:
        sequential_like, layers = _is_sequential_like(nodes), list(model._operations)

    headers, alignments, default_length, positions = _summary_columns(
        sequential_like, show_trainable, positions
    )
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length or default_length)

    start, stop = get_layer_index_bound_by_layer_name(layers, layer_range)
    rows = summary_rows(
        layers[start:stop],
        sequential_like,
        relevant_nodes=nodes,
        expand_nested=expand_nested,
        show_trainable=show_trainable,
    )

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = (
        list(optimizer.variables)
        if getattr(model, "compiled", False)
        and optimizer is not None
        and getattr(optimizer, "built", False)
        else None
    )
    sizes = [
        ("Trainable params", count_params(trainable), weight_memory_size(trainable)),
        ("Non-trainable params", count_params(non_trainable), weight_memory_size(non_trainable)),
    ]
    if optimizer_variables is not None:
        sizes.append(
            (
                "Optimizer params",
                count_params(optimizer_variables),
                weight_memory_size(optimizer_variables),
            )
        )
    total = ("Total params", sum(s[1] for s in sizes), sum(s[2] for s in sizes))

    lines = [f'Model: "{model.name}"']
    lines += render_table(headers, alignments, widths, rows)
    lines += [
        f" {label}: {count:,} ({readable_memory_size(size)})"
        for label, count, size in [total, *sizes]
    ]
    text = "\n".join(lines) + "\n"
    if print_fn is not None:
        print_fn(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
