"""Flatten and rebuild nested lists, tuples and dicts of leaves (a tiny pytree).

Dict keys are visited in sorted order, as `jax.tree_util` does, so that flat orders
agree between backends. `None` is an empty subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(tree: Any) -> list:
    """The leaves of `tree`, depth first."""
    leaves: list = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, dict):
            stack.extend(node[k] for k in reversed(sorted(node)))
        elif isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
        else:
            leaves.append(node)
    return leaves


def pack_sequence_as(structure: Any, flat: list) -> Any:
    """Rebuilds `structure` with its leaves replaced, in order, by the items of `flat`."""
    it = iter(flat)

    def build(node):
        if node is None:
            return None
        if isinstance(node, dict):
            built = {k: build(node[k]) for k in sorted(node)}
            return {k: built[k] for k in node}
        if isinstance(node, tuple) and hasattr(node, "_fields"):
            return type(node)(*[build(v) for v in node])
        if isinstance(node, (list, tuple)):
            return type(node)(build(v) for v in node)
        return next(it)

    result = build(structure)
    rest = list(it)
    if rest:
        raise ValueError(f"pack_sequence_as: {len(rest)} leaves left over for the structure {structure!r}")
    return result


def map_structure(fn: Callable, *trees: Any) -> Any:
    """Applies `fn` to corresponding leaves of trees of the same structure."""
    flats = [flatten(t) for t in trees]
    n = len(flats[0])
    for f in flats[1:]:
        if len(f) != n:
            raise ValueError(f"map_structure: trees have {n} and {len(f)} leaves")
    return pack_sequence_as(trees[0], [fn(*leaves) for leaves in zip(*flats)])
