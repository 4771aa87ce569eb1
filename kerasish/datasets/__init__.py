"""Small public datasets (`keras.datasets` names), downloaded once, checked and cached.

Each module has `load_data()` with Keras's arguments and return values. Files come
from the URLs Keras uses, are checked against Keras's published SHA-256 hashes, and
are cached under `~/.kerasish/datasets` (or `$KERASISH_HOME/datasets`).
"""

from __future__ import annotations

from kerasish.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist

__all__ = ["boston_housing", "cifar10", "fashion_mnist", "imdb", "mnist"]
