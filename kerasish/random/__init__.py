"""Random draws from seeds and seed generators (`keras.random` names)."""

from __future__ import annotations

import random as _py_random

import numpy as np

import kerasish.backend as kb
from kerasish.backend.dtypes import standardize_dtype
from kerasish.ops.dispatch import value

__all__ = [
    "SeedGenerator",
    "categorical",
    "dropout",
    "make_default_seed",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


def make_default_seed() -> int:
    """A fresh seed from Python's `random` (which `set_random_seed` seeds)."""
    return _py_random.randint(1, int(1e9))


class SeedGenerator:
    """Produces a new seed on each `next()`, from state held in a variable.

    The state is a non-trainable variable, so inside a compiled step it is part of the
    state that goes in and comes out: Dropout draws a different mask each step and a
    whole `fit` repeats exactly from the same starting seed.

    Args:
        seed: an int; a fresh default seed when None.
        name: the name of the state variable's owner.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        from kerasish.variables import Variable

        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self._initial_seed = int(seed)
        self.name = name or "seed_generator"
        self.state = Variable(
            np.array([self._initial_seed % (2**32), 0], dtype="uint32"),
            dtype="uint32",
            trainable=False,
            name="seed_generator_state",
        )

    def next(self, ordered: bool = True):
        """The current seed; advances the state."""
        b = kb.get()
        current = self.state.value
        self.state.assign(b.add(current, np.array([0, 1], dtype="uint32")))
        return current

    def get_config(self) -> dict:
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def draw_seed(seed):
    """A uint32 key of shape (2,) from an int, a SeedGenerator, a key or None."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        seed = make_default_seed()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return kb.get().convert_to_tensor(np.array([int(seed) % (2**32), 0], dtype="uint32"))
    seed = value(seed)
    if tuple(kb.get().shape(seed)) == (2,):
        return seed
    raise ValueError(
        "Argument `seed` must be None, an integer, a SeedGenerator or a uint32 tensor of shape (2,). "
        f"Received: seed={seed!r}"
    )


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution of `mean` and `stddev`."""
    return kb.get().random_normal(tuple(shape), draw_seed(seed), mean, stddev, standardize_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws uniformly from `[minval, maxval)`."""
    return kb.get().random_uniform(tuple(shape), draw_seed(seed), minval, maxval, standardize_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution of `mean` and `stddev`, truncated at two standard deviations."""
    return kb.get().random_truncated_normal(
        tuple(shape), draw_seed(seed), mean, stddev, standardize_dtype(dtype)
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from `[minval, maxval)`."""
    return kb.get().random_randint(tuple(shape), draw_seed(seed), minval, maxval, standardize_dtype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws `num_samples` class indices per row of `logits` (unnormalized log-probabilities)."""
    return kb.get().random_categorical(value(logits), int(num_samples), draw_seed(seed), standardize_dtype(dtype))


def shuffle(x, axis=0, seed=None):
    """`x` with its slices along `axis` in a random order."""
    b = kb.get()
    x = value(x)
    perm = b.random_permutation(b.shape(x)[axis], draw_seed(seed))
    return b.take(x, perm, axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeros each element with probability `rate` and scales the rest by 1 / (1 - rate)."""
    b = kb.get()
    inputs = value(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"Argument `rate` must be in [0, 1). Received: rate={rate!r}")
    shape = tuple(b.shape(inputs))
    if noise_shape is not None:
        shape = tuple(s if n is None else n for s, n in zip(shape, noise_shape))
    keep_prob = 1.0 - rate
    keep = b.less(b.random_uniform(shape, draw_seed(seed), 0.0, 1.0, b.dtype(inputs)), keep_prob)
    return b.where(keep, b.divide(inputs, keep_prob), b.zeros((), b.dtype(inputs)))
