"""IntegerLookup: integer tokens (ids from an open set) to contiguous indices or encodings."""

from __future__ import annotations

import numpy as np

from kerasish import ops
from kerasish.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integer tokens to contiguous indices through a vocabulary, or to encodings.

    The vocabulary is given (`vocabulary`) or learned with `adapt(data)`: its tokens
    by decreasing frequency, ties broken by the larger token first. In "int" mode the
    indices are: the mask token (if any) at 0, then `num_oov_indices` indices for
    out-of-vocabulary tokens (several are chosen by `token % num_oov_indices`), then
    the vocabulary. The other modes encode those indices as `CategoryEncoding` does
    ("tf_idf" weighs counts by inverse document frequencies); the mask is dropped.
    With `invert=True` indices map back to tokens.

    The lookup runs on the host with NumPy, before any compiled step: use the layer
    in the data pipeline (`x = lookup(raw_x)`, then `fit(x, ...)`), or inside a model
    compiled with `run_eagerly=True`. A value traced inside a compiled step gets an
    error that says so. Outputs are tensors of the active backend.

    Args:
        max_tokens: the largest vocabulary size (mask and OOV indices included) that
            `adapt` may learn; None for no limit.
        num_oov_indices: indices reserved for out-of-vocabulary tokens; 0 makes an
            out-of-vocabulary input an error.
        mask_token: an integer that marks padding; None for none.
        oov_token: the token `invert=True` returns for OOV indices.
        vocabulary: a list or 1-D array of unique integers, or a text file's path.
        vocabulary_dtype: "int64" (the only one, as in Keras).
        idf_weights: the IDF weight of each vocabulary token, with "tf_idf".
        invert: map indices to tokens.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: must be False.
        pad_to_max_tokens: encode to `max_tokens` entries whatever the vocabulary's size.
        oov_method: "floormod" (the only one here).
        salt: must be None.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> layer = keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> np.asarray(layer(np.array([[12, 1138, 42], [42, 1000, 36]]))).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary=None,
        vocabulary_dtype: str = "int64",
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt=None,
        name: str | None = None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                f"IntegerLookup supports only vocabulary_dtype='int64'. Received: vocabulary_dtype={vocabulary_dtype!r}"
            )
        for arg, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and (isinstance(token, bool) or not isinstance(token, (int, np.integer))):
                raise TypeError(f"IntegerLookup: `{arg}` must be an integer or None. Received: {arg}={token!r}")
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token), vocabulary_dtype="int64",
            vocabulary=vocabulary, idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name, **kwargs,
        )

    def _empty_tokens(self) -> np.ndarray:
        return np.zeros((0,), dtype="int64")

    def _to_tokens(self, data, what: str) -> np.ndarray:
        data = np.asarray(data)
        if data.dtype.kind in "iub":
            return data.astype("int64")
        if data.dtype.kind == "f" and np.all(np.isfinite(data)) and np.all(data == np.floor(data)):
            return data.astype("int64")
        if data.dtype.kind == "O" and data.size and all(isinstance(v, (int, np.integer)) for v in data.ravel()):
            return data.astype("int64")
        raise TypeError(
            f"Layer {self.name!r} (IntegerLookup) expects integer {what}. Received an array of dtype {data.dtype}"
            + (f" with values like {data.ravel()[:3].tolist()}" if data.size else "")
        )

    def _parse_line(self, line: str) -> int:
        return int(line)

    def _hash_buckets(self, tokens: np.ndarray) -> np.ndarray:
        return np.mod(tokens, self.num_oov_indices)

    def _invert(self, indices: np.ndarray):
        return ops.convert_to_tensor(self._invert_tokens(indices).astype("int64"))

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
