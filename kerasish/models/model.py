"""The Model class: a Layer that trains (compile/fit/evaluate/predict) and summarizes itself."""

from __future__ import annotations

from kerasish.layers.layer import Layer
from kerasish.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A layer with training and inference features.

    Subclass it, create layers in `__init__` and use them in `call(inputs, training=None)`:

    >>> import kerasish as keras
    >>> class MLP(keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = keras.layers.Dense(8, activation="relu")
    ...         self.out = keras.layers.Dense(2)
    ...     def call(self, inputs):
    ...         return self.out(self.hidden(inputs))

    Or build a graph from `Input`s: `keras.Model(inputs, outputs)` gives a Functional model.

    Args:
        name: the model's name.
        trainable: whether its weights are trained.
        dtype: the dtype of its weights.
    """

    def __new__(cls, *args, **kwargs):
        # `Model(inputs, outputs)` is the Functional API: hand over to Functional.
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from kerasish.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            # A subclass called as `CustomModel(inputs, outputs)` (Keras's guides do this to
            # override train_step): it becomes a Functional model with the subclass's methods.
            from kerasish.models.functional import Functional

            _make_functional_subclass(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        Trainer.__init__(self)
        Layer.__init__(self, **kwargs)

    @property
    def layers(self) -> list[Layer]:
        """The model's direct sublayers, in the order they were assigned."""
        return self._layers

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A sublayer by `name` or by `index` (the order of `layers`)."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        layers = self.layers
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has {len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints (or hands to `print_fn`) a table of the model's layers, shapes and parameters."""
        from kerasish.utils.summary_utils import print_summary

        return print_summary(
            self, line_length=line_length, positions=positions, print_fn=print_fn,
            expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range,
        )

    def build(self, input_shape=None):
        """Builds the model's layers for inputs of `input_shape` (batch axis included)."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: `build` needs an `input_shape`.")
        from kerasish.layers.layer import map_shapes
        from kerasish.ops.symbolic import KerasTensor, compute_output_spec

        specs = map_shapes(lambda s: KerasTensor(s, self.compute_dtype), input_shape)
        self._build_shapes_dict = {"input_shape": input_shape}
        self.built = True
        try:
            compute_output_spec(self.call, specs)
        except Exception:
            self.built = False
            raise

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config; a Functional config (layers and their graph) gives a Functional model."""
        if cls is Model and isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from kerasish.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    def to_json(self, **kwargs) -> str:
        """The model's architecture (no weights) as JSON; `model_from_json` rebuilds it."""
        import json

        from kerasish.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    # ------------------------------------------------------------- saving
    def save(self, filepath, overwrite: bool = True, zipped=None, **kwargs) -> None:
        """Saves the model to `.keras` (Keras 3's archive) or `.h5` (legacy); see `kerasish.saving.save_model`."""
        from kerasish.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite: bool = True, max_shard_size=None) -> None:
        """Saves the weights to `.weights.h5` (Keras 3's layout) or `.h5` (Keras 2's); see `kerasish.saving.save_weights`."""
        from kerasish.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch: bool = False, by_name: bool = False, **kwargs):
        """Loads weights from a file of either layout or a `.keras` archive, all or nothing.

        Returns a `kerasish.saving.LoadReport`; see `kerasish.saving.load_weights`.
        """
        from kerasish.saving import saving_api

        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name, **kwargs)

    def get_compile_config(self) -> dict | None:
        """The serialized `compile()` arguments (None if not compiled), as `.keras` files hold them."""
        from kerasish.saving import compile_config

        return compile_config.get_compile_config(self)

    def compile_from_config(self, config: dict) -> None:
        """Compiles the model from `get_compile_config()`'s output (and builds its optimizer)."""
        from kerasish.saving import compile_config

        compile_config.compile_from_config(self, config)

    def get_config(self) -> dict:
        """A subclassed model's config: its constructor's arguments when they are plain values."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        return self._with_auto_config(config, Model)


def _make_functional_subclass(cls, functional) -> None:
    """Puts Functional between `cls` and Model in its bases, as Keras does for subclasses
    of Model created with inputs and outputs."""
    if issubclass(cls, functional):
        return
    if cls is Model:
        raise TypeError("kerasish.Model(inputs, outputs) is handled by Model.__new__.")
    for base in cls.__bases__:
        if base is not Model and isinstance(base, type) and issubclass(base, Model):
            _make_functional_subclass(base, functional)
    cls.__bases__ = tuple(functional if base is Model else base for base in cls.__bases__)
