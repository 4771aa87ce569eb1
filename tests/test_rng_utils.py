"""set_random_seed: every default seed in kerasish repeats after it."""

from __future__ import annotations

import random

import numpy as np
import pytest

import kerasish as keras


def test_default_seeds_repeat():
    keras.utils.set_random_seed(1337)
    first = [keras.random.make_default_seed() for _ in range(3)], random.random(), np.random.rand()
    keras.utils.set_random_seed(1337)
    again = [keras.random.make_default_seed() for _ in range(3)], random.random(), np.random.rand()
    assert first == again
    keras.utils.set_random_seed(1338)
    assert keras.random.make_default_seed() != first[0][0]


def test_initial_weights_repeat(backend):
    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4)])
        weights.append(model.get_weights()[0])
    np.testing.assert_array_equal(weights[0], weights[1])


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        keras.utils.set_random_seed(seed)


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_must_be_in_range(seed):
    with pytest.raises(ValueError, match=r"\[0, 2\*\*32 - 1\]"):
        keras.utils.set_random_seed(seed)


def test_numpy_integer_seed_is_accepted():
    keras.utils.set_random_seed(np.int64(5))
    a = keras.random.make_default_seed()
    keras.utils.set_random_seed(5)
    assert keras.random.make_default_seed() == a
