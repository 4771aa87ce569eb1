"""IMDB movie-review sentiment: `load_data()` and `get_word_index()` as in `keras.datasets.imdb`."""

from __future__ import annotations

import json

import numpy as np

from kerasish.datasets.safe_loading import load_npz
from kerasish.utils.file_utils import get_file

#: Where Keras downloads the files from (tests point this at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Keras's published SHA-256 of `imdb.npz`.
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
#: Keras's published hash of `imdb_word_index.json` (an md5: Keras has no SHA-256 for it).
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def _remove_long_seq(maxlen: int, seq: list, label) -> tuple[list, list]:
    """The sequences shorter than `maxlen`, and their labels (Keras keeps `len < maxlen`)."""
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _object_array(sequences: list) -> np.ndarray:
    # Filled element by element: `np.array(lists, dtype=object)` would make a 2-D
    # array when every sequence happens to have the same length.
    out = np.empty(len(sequences), dtype=object)
    for i, s in enumerate(sequences):
        out[i] = s
    return out


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB dataset: 25,000 training and 25,000 test reviews, labelled by sentiment.

    Each review is a list of word indices; words are indexed by how often they occur
    in the dataset (3 is the third most frequent word, shifted by `index_from`), so
    the vocabulary can be cut by frequency. 0 stands for padding, not a word.

    Args:
        path: the file's name in the cache (`~/.kerasish/datasets`).
        num_words: keep only the `num_words` most frequent words; rarer words become
            `oov_char` (None keeps all).
        skip_top: also replace the `skip_top` most frequent words by `oov_char`.
        maxlen: drop sequences of `maxlen` words or more (None keeps all).
        seed: the seed of the shuffle of each split.
        start_char: the index marking the start of each sequence (None: no marker).
        oov_char: the index replacing words cut by `num_words` or `skip_top` (None: they
            are removed).
        index_from: the offset added to word indices.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of lists of
        word indices; `y_*` are arrays of labels, 0 (negative) or 1 (positive).

    Raises:
        ValueError: if `maxlen` leaves no sequence, or for unknown arguments.
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "imdb.npz", file_hash=FILE_HASH)
    data = load_npz(path)
    x_train, labels_train = data["x_train"], data["y_train"]
    x_test, labels_test = data["x_test"], data["y_test"]

    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]

    def shift(sequences):
        if start_char is not None:
            return [[start_char] + [w + index_from for w in x] for x in sequences]
        return [[w + index_from for w in x] for x in sequences]

    x_train, x_test = shift(x_train), shift(x_test)
    if maxlen:
        x_train, labels_train = _remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = _remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
            )

    xs = x_train + x_test
    labels = np.concatenate([np.asarray(labels_train), np.asarray(labels_test)])
    if not num_words:
        num_words = max(max(x) for x in xs)
    # 0 is padding, 1 the start marker, 2 out-of-vocabulary (with the default arguments).
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]

    split = len(x_train)
    return (_object_array(xs[:split]), labels[:split]), (_object_array(xs[split:]), labels[split:])


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The `{word: index}` dict of the IMDB dataset (add `index_from` to match `load_data`).

    Args:
        path: the file's name in the cache (`~/.kerasish/datasets`).
    """
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "imdb_word_index.json", file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
