"""TimeDistributed: applies a layer to every time step of a sequence, with shared weights."""

from __future__ import annotations

from kerasish import ops
from kerasish.backend import tree
from kerasish.layers.layer import Layer


class TimeDistributed(Layer):
    """Applies `layer` to each slice `inputs[:, t]` along the time axis (axis 1).

    The batch and time axes are merged, the layer runs once on `(batch * timesteps,
    ...)`, and the axes are split again: one call, whatever the sequence length, and
    the same result as a call per step for any layer that treats samples
    independently (Dense, Conv2D, ...). The layer's weights are shared by all steps.

    Args:
        layer: a `Layer` instance.

    Call arguments:
        inputs: `(batch_size, timesteps, ...)`.
        training: passed to the layer.
        mask: boolean `(batch_size, timesteps, ...)`, passed (merged the same way) to a
            layer that takes a mask.

    Input shape:
        `(batch_size, timesteps, ...)`, at least 3-D.

    Output shape:
        `(batch_size, timesteps, ...)`: the layer's output shape for one step, with the
        time axis inserted after the batch axis.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `TimeDistributed` layer with a `Layer` instance. Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        # The constructor's arguments hold layers; kept there they would be tracked as sublayers.
        self._auto_config = None
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"Layer {self.name!r} (TimeDistributed) expects inputs of at least 3 dimensions "
                f"(batch_size, timesteps, ...). Received: input_shape={input_shape!r}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape) -> None:
        child_shape = self._child_input_shape(input_shape)
        if not self.layer.built:
            self.layer.build(child_shape)
            self.layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        child_output_shape = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        return (child_output_shape[0], input_shape[1], *child_output_shape[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(ops.shape(inputs))
        self._child_input_shape(shape)
        batch_size, timesteps = shape[0], shape[1]
        kwargs = {"training": training}
        if mask is not None:
            mask_shape = tuple(ops.shape(mask))
            if mask_shape[:2] != (batch_size, timesteps):
                raise ValueError(
                    f"Layer {self.name!r} (TimeDistributed): `mask` must have shape ({batch_size}, {timesteps}, ...). "
                    f"Received: mask.shape={mask_shape}"
                )
            kwargs["mask"] = ops.reshape(mask, (batch_size * timesteps, *mask_shape[2:]))
        outputs = self.layer(ops.reshape(inputs, (batch_size * timesteps, *shape[2:])), **kwargs)
        return tree.map_structure(
            lambda y: ops.reshape(y, (batch_size, timesteps, *tuple(ops.shape(y))[1:])), outputs
        )

    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from kerasish import layers as layers_module

        config = dict(config)
        config["layer"] = layers_module.deserialize(config["layer"], custom_objects=custom_objects)
        return super().from_config(config)
