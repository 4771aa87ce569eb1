"""`set_random_seed`: one call that makes every random draw in kerasish repeat."""

from __future__ import annotations

import random

import numpy as np

_MAX_SEED = 2**32 - 1


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy's global generator and thereby kerasish's default seeds.

    Every seed kerasish picks by itself (weight initializers, Dropout and other layers
    built without a `seed`, `kerasish.random` draws with `seed=None`) comes from Python's
    `random` through `kerasish.random.make_default_seed`, and host-side shuffling (the
    order of samples in `fit`) uses NumPy's global generator; so after this call a
    program repeats its random draws, on every backend.

    >>> import kerasish as keras
    >>> keras.utils.set_random_seed(1337)
    >>> first = keras.random.make_default_seed()
    >>> keras.utils.set_random_seed(1337)
    >>> keras.random.make_default_seed() == first
    True

    Args:
        seed: an integer in `[0, 2**32 - 1]`.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} (of type {type(seed).__name__})"
        )
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"Argument `seed` must be in [0, 2**32 - 1]. Received: seed={seed}")
    random.seed(seed)
    np.random.seed(seed)
