"""Fashion-MNIST: `load_data()` as `keras.datasets.fashion_mnist.load_data`."""

from __future__ import annotations

import gzip
import os

import numpy as np

from kerasish.utils.file_utils import get_file

#: Where Keras downloads the files from (tests point this at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Keras's published SHA-256 of each file.
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
_FILES = list(FILE_HASHES)


def _read_idx(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST: 60,000 28x28 grayscale images of 10 kinds of clothing, and 10,000 for test.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(60000, 28, 28)`
        and `(10000, 28, 28)`, and `uint8` labels of shape `(60000,)` and `(10000,)`.

    License: the copyright for Fashion-MNIST is held by Zalando SE; it is licensed under
    the MIT license.
    """
    dirname = os.path.join("datasets", "fashion-mnist")
    paths = [
        get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=dirname, file_hash=FILE_HASHES[name])
        for name in _FILES
    ]
    # IDX files: an 8-byte header for labels, 16 bytes for images, then uint8 data.
    y_train = _read_idx(paths[0], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], 8)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
