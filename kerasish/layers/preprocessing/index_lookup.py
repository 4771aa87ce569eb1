"""The vocabulary lookup shared by IntegerLookup and StringLookup, run on the host with NumPy.

A lookup maps arbitrary tokens to indices through a table, and strings cannot enter a
compiled step on any backend; so, as Keras says of these layers on its JAX backend,
they belong in the data pipeline: `x = lookup(raw_x)` before `fit`. Called eagerly
on concrete arrays they work anywhere, including inside a model run with
`run_eagerly=True`; a value traced inside a compiled step is refused with an error
that says so.
"""

from __future__ import annotations

import collections
import hashlib

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.layers.preprocessing.category_encoding import encode_categorical_inputs, encoded_shape
from kerasish.ops.symbolic import KerasTensor

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Base of IntegerLookup and StringLookup (not exported, as in Keras).

    Index layout: in "int" mode with a mask token, index 0 is the mask; then come
    `num_oov_indices` out-of-vocabulary indices; then the vocabulary's tokens in
    order. In the encoded modes there is no mask index and masked inputs are dropped.
    """

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        cls = type(self).__name__
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 1):
            raise ValueError(f"{cls}: if set, `max_tokens` must be an integer greater than 1. Received: max_tokens={max_tokens!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls}: `pad_to_max_tokens=True` needs `max_tokens`. Received: max_tokens=None")
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(
                f"{cls}: `num_oov_indices` must be an integer >= 0. Received: num_oov_indices={num_oov_indices!r}"
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError(f"{cls}: `output_mode` must be one of {list(_MODES)}. Received: output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{cls}: `output_mode` must be 'int' when `invert` is True. Received: output_mode={output_mode!r}")
        if sparse:
            raise ValueError(f"{cls}: `sparse=True` is not supported (kerasish has no sparse tensors). Received: sparse=True")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. Received: output_mode={output_mode!r}"
            )
        if oov_method != "floormod":
            raise ValueError(
                f"{cls}: only oov_method='floormod' is supported (Keras's 'farmhash' needs FarmHash64). "
                f"Received: oov_method={oov_method!r}"
            )
        if salt is not None:
            raise ValueError(f"{cls}: `salt` is only used with oov_method='farmhash', which is not supported. Received: salt={salt!r}")
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        super().__init__(name=name, **kwargs)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = None
        # Host-side: it cannot run inside a compiled step (see the module docstring).
        self.supports_jit = False
        self._frozen_vocab_size = frozen_vocab_size
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = self._empty_tokens()
        self.idf_weights = None
        self._reset_counts()
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{cls}: with a `vocabulary` and output_mode='tf_idf', `idf_weights` must be given too.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # -------------------------------------------------------- token conversion
    # Subclasses say how raw inputs become a NumPy array of tokens of their kind.
    def _empty_tokens(self) -> np.ndarray:
        raise NotImplementedError

    def _to_tokens(self, data, what: str) -> np.ndarray:
        raise NotImplementedError

    def _to_host(self, data):
        """A NumPy array (or a string/number) from any input; refuses traced values."""
        if isinstance(data, KerasTensor):
            return data
        b = kb.get()
        if b.is_tensor(data) and not isinstance(data, np.ndarray):
            try:
                return np.asarray(b.to_numpy(data))
            except Exception:
                raise TypeError(
                    f"Layer {self.name!r} ({type(self).__name__}) runs on the host and cannot be used inside a "
                    "compiled step: the value it received is being traced. Apply it in the data pipeline "
                    "(`x = layer(raw_x)` before `fit`), or compile the model with `run_eagerly=True`."
                ) from None
        if isinstance(data, (list, tuple)):
            return np.asarray([self._to_host(d) for d in data]) if any(
                b.is_tensor(d) and not isinstance(d, np.ndarray) for d in data
            ) else np.asarray(data)
        return np.asarray(data)

    def _convert_inputs(self, args):
        # Inputs stay as they come (strings, int64 ids): they are looked up on the host.
        return args

    # ------------------------------------------------------------- indices
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary, in index order.

        Args:
            include_special_tokens: include the mask and OOV tokens, so that a term's
                position in the list is its index.
        """
        tokens = [self._python_token(t) for t in self._tokens]
        if not include_special_tokens:
            return tokens
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        return special + tokens

    @staticmethod
    def _python_token(token):
        return token.item() if isinstance(token, np.generic) else token

    # ---------------------------------------------------------- vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Sets the vocabulary (and, with "tf_idf", the IDF weights), replacing any other.

        Args:
            vocabulary: a list, tuple or 1-D array of unique tokens, optionally starting
                with the mask and OOV tokens in index order; or the path of a text file
                with one token per line.
            idf_weights: one weight per vocabulary token, for output_mode "tf_idf".
        """
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if output_mode is 'tf_idf'. Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{cls}: output_mode 'tf_idf' does not support loading a vocabulary from a file.")
            vocabulary = self._read_vocabulary_file(vocabulary)
        vocabulary = self._to_tokens(self._to_host(vocabulary), "vocabulary")
        if vocabulary.ndim != 1:
            raise ValueError(f"{cls}: the vocabulary must be 1-D. Received a vocabulary of shape {vocabulary.shape}")
        if vocabulary.size == 0:
            raise ValueError(f"{cls}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = len(vocabulary) >= token_start and list(vocabulary[:token_start]) == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise ValueError(
                f"{cls}: the vocabulary has repeated terms; make it unique. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens.tolist():
            raise ValueError(
                f"{cls}: found the mask token {self.mask_token!r} at an unexpected place in the vocabulary. The "
                "vocabulary does not need the mask and OOV tokens; either leave them out or put them first, in "
                f"exactly this order: {special}"
            )
        if self.invert and self.oov_token is not None and self.oov_token in tokens.tolist():
            raise ValueError(
                f"{cls}: found the OOV token {self.oov_token!r} at an unexpected place in the vocabulary. Either leave "
                f"the mask and OOV tokens out or put them first, in exactly this order: {special}"
            )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"{cls}: the vocabulary ({size} entries with the special tokens) is larger than "
                f"max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(self._to_host(idf_weights), dtype="float64")
            if idf_weights.ndim != 1 or len(idf_weights) != len(vocabulary):
                raise ValueError(
                    f"{cls}: `idf_weights` must be 1-D and as long as the vocabulary ({len(vocabulary)}). "
                    f"Received: idf_weights of shape {idf_weights.shape}"
                )
            # OOV (and mask) slots get the mean weight, unless the vocabulary brought its own.
            front = 0 if found_special else token_start
            self._set_idf(np.concatenate([np.full(front, idf_weights.mean()), idf_weights]))
        self._record_vocabulary_size()

    def _read_vocabulary_file(self, path: str) -> list:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ValueError(f"{type(self).__name__}: cannot read the vocabulary file {path!r}: {e}") from None
        while lines and lines[-1] == "":
            lines.pop()
        return [self._parse_line(line) for line in lines]

    def _parse_line(self, line: str):
        raise NotImplementedError

    def _set_tokens(self, tokens: np.ndarray) -> None:
        self._tokens = tokens
        order = np.argsort(tokens, kind="stable")
        self._sorted_tokens = tokens[order]
        self._sorted_indices = order.astype("int64") + self._token_start_index()

    def _set_idf(self, weights: np.ndarray) -> None:
        if self.pad_to_max_tokens:
            weights = np.concatenate([weights, np.zeros(self.max_tokens - len(weights))])
        self.idf_weights = weights.astype(kb.floatx())

    def _record_vocabulary_size(self) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if self._frozen_vocab_size is not None and self._called and self._frozen_vocab_size != self.vocabulary_size():
                raise RuntimeError(
                    f"{type(self).__name__}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False the "
                    f"vocabulary size cannot change after the layer is called. Old size: {self._frozen_vocab_size}, "
                    f"new size: {self.vocabulary_size()}"
                )
        self._frozen_vocab_size = self.vocabulary_size()

    _called = False

    # --------------------------------------------------------------- adapt
    def _reset_counts(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, steps: int | None = None) -> None:
        """Learns the vocabulary from `data`: its tokens by decreasing frequency.

        Ties are broken by the tokens' order (higher first); with `max_tokens`, only
        the most frequent are kept. With "tf_idf", document frequencies give the
        IDF weights (each row of `data` is a document).

        Args:
            data: an array or list of tokens, or an iterable of batches.
            steps: with an iterable, the number of batches to read at most.
        """
        self._reset_counts()
        if isinstance(data, (list, tuple, np.ndarray, str, bytes)) or kb.get().is_tensor(data):
            tokens = self._to_tokens(self._to_host(data), "adapt data")
            # A flat list of tokens: each token is its own document (for "tf_idf").
            self.update_state(tokens.reshape(-1, 1) if tokens.ndim <= 1 else tokens)
        elif hasattr(data, "__iter__"):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            raise TypeError(
                f"Layer {self.name!r} ({type(self).__name__}): `adapt` takes an array, a list or an iterable of "
                f"batches. Received: {type(data).__name__}"
            )
        self.finalize_state()

    def update_state(self, data) -> None:
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer {self.name!r} ({type(self).__name__}) after setting a static vocabulary via the "
                "`vocabulary` argument or `set_vocabulary()`."
            )
        tokens = self._to_tokens(self._to_host(data), "adapt data")
        if tokens.ndim < 2:
            tokens = tokens.reshape(1, -1)
        self._token_counts.update(tokens.reshape(-1).tolist())
        if self.output_mode == "tf_idf":
            for document in tokens.reshape(tokens.shape[0], -1):
                self._document_counts.update(set(document.tolist()))
            self._num_documents += tokens.shape[0]

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            return
        counts = {t: c for t, c in self._token_counts.items() if t != self.mask_token and t != self.oov_token}
        # Most frequent first; ties: the larger token first (Keras's order).
        ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            ranked = ranked[: self.max_tokens - self._token_start_index()]
        self._set_tokens(self._to_tokens(np.asarray(ranked) if ranked else self._empty_tokens(), "vocabulary"))
        if self.output_mode == "tf_idf":
            document_counts = np.array([self._document_counts[t] for t in ranked], dtype="float64")
            idf = np.log(1 + self._num_documents / (1 + document_counts))
            self._set_idf(np.concatenate([np.full(self._token_start_index(), idf.mean() if len(idf) else 0.0), idf]))
        self._reset_counts()
        self._record_vocabulary_size()

    def reset_state(self) -> None:
        self._reset_counts()

    # ---------------------------------------------------------------- call
    def compute_output_shape(self, input_shape):
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return encoded_shape(input_shape, "count" if self.output_mode == "tf_idf" else self.output_mode, depth)

    def compute_output_spec(self, inputs):
        if self.output_mode == "int":
            dtype = self.vocabulary_dtype if self.invert else "int64"
        else:
            dtype = kb.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"Layer {self.name!r} ({type(self).__name__}): with output_mode={self.output_mode!r} and "
                "pad_to_max_tokens=False, set the vocabulary before calling the layer: pass `vocabulary` or "
                "call `adapt(data)`."
            )
        self._called = True
        if self.invert:
            return self._invert(self._to_indices(self._to_host(inputs)))
        indices = self._lookup(self._to_tokens(self._to_host(inputs), "inputs"))
        if self.output_mode == "int":
            return ops.convert_to_tensor(indices)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = encode_categorical_inputs(indices, mode, depth, self.compute_dtype)
        if self.output_mode == "tf_idf":
            encoded = ops.multiply(encoded, ops.convert_to_tensor(self.idf_weights, dtype=self.compute_dtype))
        return encoded

    def _to_indices(self, data) -> np.ndarray:
        data = np.asarray(data)
        if data.dtype.kind in "iu" or (data.dtype.kind == "f" and np.all(data == np.floor(data))):
            return data.astype("int64")
        raise TypeError(
            f"Layer {self.name!r} ({type(self).__name__}) with invert=True expects integer indices. "
            f"Received an array of dtype {data.dtype}"
        )

    def _lookup(self, tokens: np.ndarray) -> np.ndarray:
        """Token array -> int64 index array, with mask and OOV handling."""
        if len(self._tokens):
            positions = np.clip(np.searchsorted(self._sorted_tokens, tokens), 0, len(self._sorted_tokens) - 1)
            found = self._sorted_tokens[positions] == tokens
            indices = np.where(found, self._sorted_indices[positions], -1)
        else:
            found = np.zeros(tokens.shape, bool)
            indices = np.full(tokens.shape, -1, dtype="int64")
        is_mask = (tokens == self.mask_token) if self.mask_token is not None else np.zeros(tokens.shape, bool)
        oov = ~found & ~is_mask
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}): with num_oov_indices=0 every input must be in the "
                    f"vocabulary; found out-of-vocabulary values {sorted(set(tokens[oov].tolist()))[:10]}. "
                    "Consider num_oov_indices=1."
                )
            indices = np.where(oov, self._oov_indices(tokens) + self._oov_start_index(), indices)
        # The mask maps to index 0 in "int" mode; in encoded modes it is dropped (no
        # index, so it encodes to zeros).
        return np.where(is_mask, 0 if self.output_mode == "int" else -1, indices).astype("int64")

    def _oov_indices(self, tokens: np.ndarray) -> np.ndarray:
        if self.num_oov_indices == 1:
            return np.zeros(tokens.shape, dtype="int64")
        return self._hash_buckets(tokens)

    def _hash_buckets(self, tokens: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _invert(self, indices: np.ndarray):
        raise NotImplementedError

    def _invert_tokens(self, indices: np.ndarray) -> np.ndarray:
        """Index array -> token array (OOV and unknown indices give `oov_token`)."""
        indices = indices.astype("int64")
        offsets = indices - self._token_start_index()
        valid = (offsets >= 0) & (offsets < len(self._tokens))
        if len(self._tokens):
            out = np.where(valid, self._tokens[np.clip(offsets, 0, len(self._tokens) - 1)], self.oov_token)
        else:
            out = np.full(indices.shape, self.oov_token)
        if self.mask_token is not None:
            out = np.where(indices == 0, self.mask_token, out)
        return out

    # -------------------------------------------------------- config, assets
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": _listify(self.input_idf_weights),
                "vocabulary": _listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return config

    def save_assets(self, dir_path: str) -> None:
        """Writes an adapted vocabulary to `dir_path/vocabulary.txt` (Keras's asset layout)."""
        if self.input_vocabulary is not None:
            return
        import os

        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        """Reads a vocabulary written by `save_assets`."""
        if self.input_vocabulary is not None:
            return
        import os

        tokens = self._read_vocabulary_file(os.path.join(dir_path, "vocabulary.txt"))
        idf = self.idf_weights[: len(tokens)] if self.output_mode == "tf_idf" else None
        self.set_vocabulary(tokens, idf_weights=idf)


def _listify(values):
    if values is None:
        return None
    if kb.get().is_tensor(values) and not isinstance(values, np.ndarray):
        values = kb.get().to_numpy(values)
    values = np.asarray(values)
    return values.tolist()


def stable_hash_bucket(text: str, num_buckets: int) -> int:
    """A bucket in `[0, num_buckets)` for `text`, the same in every process and run."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % num_buckets
