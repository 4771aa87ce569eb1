"""InputLayer and `Input`: where a graph starts."""

from __future__ import annotations

from kerasish.backend.dtypes import standardize_dtype
from kerasish.layers.layer import Layer
from kerasish.ops.operation import Node
from kerasish.ops.symbolic import KerasTensor


class InputLayer(Layer):
    """The layer behind `Input`: it owns the symbolic tensor a graph starts from.

    Args:
        shape: the shape of one sample (without the batch axis).
        batch_size: a fixed batch size, or None.
        dtype: the input's dtype (`floatx()` by default).
        batch_shape: the full shape, batch axis included (instead of `shape`).
        name: the layer's name ("input_layer", numbered, by default).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if sparse:
            raise ValueError(f"InputLayer {self.name!r}: sparse inputs are not supported. Received: sparse={sparse!r}")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    f"Argument `input_tensor` must be a KerasTensor. Received: input_tensor={input_tensor!r}"
                )
            batch_shape = input_tensor.shape
            dtype = dtype or input_tensor.dtype
        if shape is not None and batch_shape is not None:
            raise ValueError("Pass `shape` or `batch_shape` to InputLayer, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(f"InputLayer {self.name!r} needs a `shape` or a `batch_shape`.")
            if isinstance(shape, int):
                shape = (shape,)
            try:
                shape = tuple(shape)
            except TypeError:
                raise ValueError(f"Argument `shape` must be a tuple of integers. Received: shape={shape!r}") from None
            batch_shape = (batch_size, *shape)
        batch_shape = tuple(batch_shape)
        for d in batch_shape:
            if d is not None and (not isinstance(d, int) or isinstance(d, bool) or d < 0):
                raise ValueError(
                    f"Shape dimensions must be non-negative integers or None. Received: shape={batch_shape[1:]}"
                )
        self._batch_shape = batch_shape
        self._dtype = standardize_dtype(dtype)
        self.sparse = False
        self.optional = optional
        self.built = True
        tensor = KerasTensor(batch_shape, dtype=self._dtype, name=self.name)
        Node(self, outputs=tensor)
        self._output_tensor = tensor

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    def call(self):
        raise RuntimeError(f"InputLayer {self.name!r} is a graph's entry and is never called on data.")

    def get_config(self) -> dict:
        return {
            "batch_shape": list(self._batch_shape),
            "dtype": self._dtype,
            "sparse": False,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        config.pop("ragged", None)
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False) -> KerasTensor:  # noqa: N802 - Keras's name
    """A symbolic tensor to start a model from: `x = Input(shape=(784,))`.

    Returns:
        A KerasTensor of shape `(batch_size, *shape)`.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional, name=name)
    return layer._output_tensor
