"""Unique automatic names ("dense", "dense_1", ...) as Keras gives them."""

from __future__ import annotations

import collections
import re
import threading

_lock = threading.Lock()
_counts: collections.Counter = collections.Counter()


def to_snake_case(name: str) -> str:
    """"MaxPooling2D" -> "max_pooling2d", as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name.lstrip("_")


def auto_name(prefix: str) -> str:
    """The next unused name for `prefix`: the prefix itself, then prefix_1, prefix_2, ..."""
    prefix = to_snake_case(prefix)
    with _lock:
        count = _counts[prefix]
        _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names() -> None:
    """Forgets every name handed out (part of `clear_session`)."""
    with _lock:
        _counts.clear()
