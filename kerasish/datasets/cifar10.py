"""CIFAR-10 small images: `load_data()` as `keras.datasets.cifar10.load_data`."""

from __future__ import annotations

import os

import numpy as np

from kerasish.backend import config as backend_config
from kerasish.datasets.safe_loading import load_pickle
from kerasish.utils.file_utils import get_file

#: Where Keras downloads the archive from (tests point this at a local server).
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
#: Keras's published SHA-256 of the archive.
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_TRAIN_BATCHES = 5


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, list]:
    """One CIFAR batch file: `(data of shape (n, 3, 32, 32), labels)`.

    The batch files are Python pickles; they are read with an unpickler that accepts
    nothing but plain data and NumPy arrays.
    """
    with open(fpath, "rb") as f:
        d = load_pickle(f, encoding="bytes")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"], dtype="uint8")
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10: 50,000 32x32 colour training images and 10,000 test images, in 10 classes.

    Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
    8 ship, 9 truck.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)` (channels first with
        `image_data_format() == "channels_first"`), and `uint8` labels of shape
        `(50000, 1)` and `(10000, 1)`.
    """
    dirname = "cifar-10-batches-py"
    path = get_file(fname=dirname, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    # The archive holds one folder of batch files.
    inner = os.path.join(path, dirname)
    if os.path.isdir(inner):
        path = inner
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, _TRAIN_BATCHES + 1)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.asarray(y_test, dtype="uint8").reshape(len(y_test), 1)
    if backend_config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
