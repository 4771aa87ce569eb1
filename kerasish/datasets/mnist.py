"""MNIST handwritten digits: `load_data()` as `keras.datasets.mnist.load_data`."""

from __future__ import annotations

import numpy as np

from kerasish.datasets.safe_loading import load_npz
from kerasish.utils.file_utils import get_file

#: Where Keras downloads the file from (tests point this at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Keras's published SHA-256 of `mnist.npz`.
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the MNIST dataset: 60,000 28x28 grayscale images of the 10 digits, and 10,000 for test.

    Args:
        path: the file's name in the cache (`~/.kerasish/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(60000, 28, 28)`
        and `(10000, 28, 28)` with values in 0-255, and `uint8` labels (0-9) of shape
        `(60000,)` and `(10000,)`.

    License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative
    work of the NIST datasets, available under the Creative Commons Attribution-Share
    Alike 3.0 license.
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}mnist.npz", file_hash=FILE_HASH)
    data = load_npz(path)
    return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
