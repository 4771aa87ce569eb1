"""Sequential: a plain stack of layers, each with one input and one output."""

from __future__ import annotations

from kerasish.layers.input_layer import InputLayer
from kerasish.layers.layer import Layer
from kerasish.models.model import Model
from kerasish.ops.symbolic import KerasTensor
from kerasish.saving import serialization


class Sequential(Model):
    """A model that applies its layers one after the other.

    >>> import kerasish as keras
    >>> model = keras.Sequential([
    ...     keras.Input(shape=(16,)),
    ...     keras.layers.Dense(8, activation="relu"),
    ...     keras.layers.Dense(1),
    ... ])
    >>> model.output_shape
    (None, 1)

    When the input shape is known (an `Input` first, or `input_shape=` on the first
    layer) every layer is built at once and the model is a graph of symbolic calls;
    otherwise the model builds on its first call, `fit` or `build(input_shape)`.

    Args:
        layers: layers (and optionally an `Input` first) to add in order.
        trainable: whether the model's weights are trained.
        name: the model's name.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._graph_nodes: list = []
        self._output_tensor = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    # ------------------------------------------------------------- the stack
    def add(self, layer, rebuild: bool = True) -> None:
        """Adds a layer (or an `Input`) on top of the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            source = layer._keras_history[0]
            if isinstance(source, InputLayer):
                layer = source
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `kerasish.layers.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(
                    f"Sequential model {self.name!r} has already been configured to use an input; an "
                    "InputLayer can only be the first layer of a Sequential model."
                )
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._stack):
                raise ValueError(
                    "All layers added to a Sequential model should have unique names. Name "
                    f"{layer.name!r} is already the name of a layer in this model."
                )
            if not self._stack and self._input_layer is None:
                if layer._input_kwargs:
                    self._input_layer = _input_layer_from_kwargs(layer)
                elif _known_single_input(layer) is not None:
                    # A model with a known input first (as Keras): the stack starts from it.
                    source = _known_single_input(layer)
                    self._input_layer = InputLayer(batch_shape=source.shape, dtype=source.dtype)
            self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the top layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input layer (as Keras lists them)."""
        return list(self._stack)

    # --------------------------------------------------------------- building
    def _forget_graph(self) -> None:
        for layer, node in self._graph_nodes:
            if node in layer._inbound_nodes:
                layer._inbound_nodes.remove(node)
        self._graph_nodes = []
        self._output_tensor = None

    def _maybe_rebuild(self) -> None:
        self._forget_graph()
        self.built = False
        if self._input_layer is None or not self._stack:
            return
        x = self._input_layer._output_tensor
        for layer in self._stack:
            before = len(layer._inbound_nodes)
            x = layer(x)
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    "All layers in a Sequential model should have a single output tensor. For multi-output "
                    f"layers, use the functional API. Layer {layer.name!r} returned {x!r}"
                )
            self._graph_nodes.extend((layer, node) for node in layer._inbound_nodes[before:])
        self._output_tensor = x
        self._build_shapes_dict = {"input_shape": self._input_layer.batch_shape}
        self.built = True

    def build(self, input_shape=None) -> None:
        """Builds every layer for inputs of `input_shape` (the batch axis may be None)."""
        if self.built and self._input_layer is not None:
            return
        if input_shape is None:
            raise ValueError(f"You must provide an `input_shape` argument to build Sequential model {self.name!r}.")
        input_shape = tuple(input_shape)
        self._input_layer = InputLayer(batch_shape=(None, *input_shape[1:]))
        self._maybe_rebuild()

    # ------------------------------------------------------------------ call
    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x, mask = layer._call_with_mask((x,), {"training": training}, mask)
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer.compute_output_spec(x)
        return x

    # ------------------------------------------------------------ graph view
    @property
    def inputs(self) -> list[KerasTensor]:
        if self._input_layer is None:
            raise AttributeError(f"Sequential model {self.name!r} has no defined inputs yet (it is not built).")
        return [self._input_layer._output_tensor]

    @property
    def outputs(self) -> list[KerasTensor]:
        if self._output_tensor is None:
            raise AttributeError(f"Sequential model {self.name!r} has no defined outputs yet (it is not built).")
        return [self._output_tensor]

    @property
    def input_shape(self) -> tuple:
        return self.inputs[0].shape

    @property
    def output_shape(self) -> tuple:
        return self.outputs[0].shape

    @property
    def input_dtype(self) -> str:
        return self._input_layer.dtype if self._input_layer is not None else self.compute_dtype

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        layer_configs = []
        if self._input_layer is not None:
            layer_configs.append(serialization.serialize_keras_object(self._input_layer))
        for layer in self._stack:
            config = serialization.serialize_keras_object(layer)
            build_config = layer.get_build_config()
            if build_config:
                config["build_config"] = build_config
            layer_configs.append(config)
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": layer_configs}
        if self._build_shapes_dict is not None and self._input_layer is None:
            config["build_input_shape"] = self._build_shapes_dict["input_shape"]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasish import layers as layers_module

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            layer = layers_module.deserialize(layer_config, custom_objects=custom_objects)
            build_config = layer_config.get("build_config") if isinstance(layer_config, dict) else None
            model.add(layer, rebuild=False)
            if build_config and not layer.built and model._input_layer is None:
                layer.build_from_config(build_config)
        model._maybe_rebuild()
        if not model.built and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model


def _known_single_input(layer: Layer):
    """The single symbolic input of a built Functional or Sequential model, else None."""
    try:
        inputs = layer.inputs
    except AttributeError:
        return None
    return inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else None


def _input_layer_from_kwargs(layer: Layer) -> InputLayer:
    """An InputLayer from `input_shape=`/`batch_input_shape=`/`input_dim=` given to a first layer."""
    kwargs = layer._input_kwargs
    batch_size = kwargs.get("batch_size")
    if "batch_input_shape" in kwargs:
        return InputLayer(batch_shape=tuple(kwargs["batch_input_shape"]))
    if "input_shape" in kwargs:
        shape = kwargs["input_shape"]
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return InputLayer(shape=shape, batch_size=batch_size)
    if "input_dim" in kwargs:
        return InputLayer(shape=(int(kwargs["input_dim"]),), batch_size=batch_size)
    raise ValueError(f"Layer {layer.name!r} has no input shape argument.")
