"""Boston housing prices: `load_data()` as `keras.datasets.boston_housing.load_data`."""

from __future__ import annotations

import numpy as np

from kerasish.datasets.safe_loading import load_npz
from kerasish.utils.file_utils import get_file

#: Where Keras downloads the file from (tests point this at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Keras's published SHA-256 of `boston_housing.npz`.
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston Housing dataset: 13 attributes of houses around Boston (1970s) and their prices.

    **Warning:** the dataset has an ethical problem: one of its variables assumes that
    racial self-segregation influences house prices. Use it, if at all, to illustrate
    ethical issues in data science.

    Args:
        path: the file's name in the cache (`~/.kerasish/datasets`).
        test_split: the fraction of the data kept for the test set, in [0, 1).
        seed: the seed of the shuffle made before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` of shape `(samples, 13)`, `y_*`
        of shape `(samples,)` (median values, in k$).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split!r}")
    path = get_file(path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=FILE_HASH)
    data = load_npz(path)
    x, y = data["x"], data["y"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))
