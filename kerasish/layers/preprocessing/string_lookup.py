"""StringLookup: string tokens to integer indices or encodings (host-side, for the data pipeline)."""

from __future__ import annotations

import numpy as np

from kerasish.layers.preprocessing.index_lookup import IndexLookup, stable_hash_bucket


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary, or to encodings.

    The vocabulary is given (`vocabulary`) or learned with `adapt(data)`: its tokens
    by decreasing frequency, ties broken by the later string first. In "int" mode the
    indices are: the mask token (if any) at 0, then `num_oov_indices` indices for
    out-of-vocabulary strings, then the vocabulary. The other modes encode those
    indices as `CategoryEncoding` does ("tf_idf" weighs counts by inverse document
    frequencies); the mask is dropped. With `invert=True` indices map back to strings
    (a NumPy array of str).

    Strings cannot enter a compiled step on any backend: the layer runs on the host
    with NumPy and belongs in the data pipeline (`ids = lookup(raw_strings)`, then
    `fit(ids, ...)`), as Keras says of it on its JAX backend.

    With `num_oov_indices > 1`, out-of-vocabulary strings are spread over the OOV
    indices by a stable hash (BLAKE2b); Keras uses FarmHash64, so the bucket a given
    string lands in differs from Keras's (the other indices agree).

    Args:
        max_tokens: the largest vocabulary size (mask and OOV indices included) that
            `adapt` may learn; None for no limit.
        num_oov_indices: indices reserved for out-of-vocabulary strings; 0 makes an
            out-of-vocabulary input an error.
        mask_token: a string that marks padding (often ""); None for none.
        oov_token: the string `invert=True` returns for OOV indices.
        vocabulary: a list or 1-D array of unique strings, or a text file's path.
        idf_weights: the IDF weight of each vocabulary token, with "tf_idf".
        invert: map indices to strings.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: encode to `max_tokens` entries whatever the vocabulary's size.
        sparse: must be False.
        encoding: how bytes inputs are decoded.
        salt: must be None.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> layer = keras.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> np.asarray(layer([["a", "c", "d"], ["d", "z", "b"]])).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt=None,
        **kwargs,
    ):
        for arg, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not isinstance(token, str):
                raise TypeError(f"StringLookup: `{arg}` must be a string or None. Received: {arg}={token!r}")
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token, oov_token=oov_token,
            vocabulary_dtype="string", vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
            output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, salt=salt, name=name,
            **kwargs,
        )

    def _empty_tokens(self) -> np.ndarray:
        return np.zeros((0,), dtype=str)

    def _to_tokens(self, data, what: str) -> np.ndarray:
        data = np.asarray(data)
        if data.dtype.kind == "U":
            return data
        if data.dtype.kind == "S":
            return np.char.decode(data, self.encoding)
        if data.dtype.kind == "O":
            flat = []
            for v in data.ravel():
                if isinstance(v, bytes):
                    v = v.decode(self.encoding)
                elif not isinstance(v, str):
                    break
                flat.append(v)
            else:
                return np.asarray(flat, dtype=str).reshape(data.shape)
        raise TypeError(
            f"Layer {self.name!r} (StringLookup) expects string {what}. Received an array of dtype {data.dtype}"
            + (f" with values like {data.ravel()[:3].tolist()}" if data.size else "")
        )

    def _parse_line(self, line: str) -> str:
        return line

    def _hash_buckets(self, tokens: np.ndarray) -> np.ndarray:
        flat = [stable_hash_bucket(t, self.num_oov_indices) for t in tokens.ravel().tolist()]
        return np.asarray(flat, dtype="int64").reshape(tokens.shape)

    def _invert(self, indices: np.ndarray) -> np.ndarray:
        return self._invert_tokens(indices).astype(str)

    def _to_host(self, data):
        if isinstance(data, (str, bytes)):
            return np.asarray(data)
        return super()._to_host(data)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}
