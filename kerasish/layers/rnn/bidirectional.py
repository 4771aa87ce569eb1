"""Bidirectional: one copy of a recurrent layer reads the sequence forwards, another backwards."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers.layer import Layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _renamed_copy(layer: Layer, prefix: str, go_backwards: bool | None = None) -> Layer:
    """A fresh layer from `layer`'s config (no weights carried over), named `prefix + name`."""
    config = layer.get_config()
    name = layer.name[len(prefix):] if layer.name.startswith(prefix) else layer.name
    config["name"] = prefix + name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges the outputs.

    The wrapped layer is copied twice from its config: `forward_layer` (named
    "forward_<name>") and `backward_layer` ("backward_<name>", with `go_backwards`
    flipped), so the wrapper's weights are the forward layer's, then the backward
    layer's, as in Keras. When returning sequences, masked steps output zeros in both
    directions, and the backward sequence is flipped back to the input's time order
    before merging.

    Args:
        layer: an `RNN` instance (such as `LSTM` or `GRU`), or any layer with
            `go_backwards`, `return_sequences`, `return_state` and `stateful` attributes
            and a config.
        merge_mode: how the two outputs combine: "concat" (default), "sum", "mul",
            "ave", or None for a list of both.
        weights: optional initial weights (forward layer's, then backward layer's),
            set when the layer is built.
        backward_layer: an optional layer for the backward direction; it must have the
            opposite `go_backwards` and the same `stateful`, `return_sequences` and
            `return_state` as `layer`.

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: a list of states: the first half goes to the forward layer,
            the second half to the backward layer.
        mask: boolean `(batch_size, timesteps)`.
        training: passed to both layers.

    Output shape:
        the wrapped layer's output shape, with the last axis doubled for "concat"; a list
        of both outputs for `merge_mode=None`; with `return_state`, followed by the
        forward states and then the backward states.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `Bidirectional` layer with a `Layer` instance. Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: `backward_layer` must be a `Layer` instance. Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: invalid merge mode. Expected one of 'sum', 'mul', 'ave', 'concat' or None. "
                f"Received: merge_mode={merge_mode!r}"
            )
        for attr in ("go_backwards", "return_sequences", "return_state", "stateful"):
            if not hasattr(layer, attr):
                raise ValueError(
                    f"Bidirectional wraps a recurrent layer, which has a `{attr}` attribute. "
                    f"Received: layer={layer!r}"
                )
        super().__init__(**kwargs)
        # The constructor's arguments hold layers; kept there they would be tracked as sublayers.
        self._auto_config = None
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            self.backward_layer = _renamed_copy(layer, "backward_", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):
            # Zeros at masked steps keep the two directions aligned when merged.
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights is not None else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _verify_layer_config(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == getattr(backward, "go_backwards", None):
            raise ValueError(
                "Bidirectional: the forward layer and the backward layer should have different `go_backwards` "
                f"values. Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={getattr(backward, 'go_backwards', None)}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr, None):
                raise ValueError(
                    f"Bidirectional: the forward layer and the backward layer are expected to have the same value "
                    f"for `{attr}`. Received: {getattr(forward, attr)} for the forward layer and "
                    f"{getattr(backward, attr, None)} for the backward layer"
                )

    def build(self, sequences_shape, initial_state_shape=None) -> None:
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(tuple(sequences_shape))
                sub.built = True
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def _num_states(self) -> int:
        state_size = getattr(self.forward_layer, "state_size", None)
        return len(state_size) if isinstance(state_size, (list, tuple)) else 1

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2 if output_shape[-1] is not None else None)
            outputs = (tuple(output_shape),)
        elif self.merge_mode is None:
            outputs = (tuple(output_shape), tuple(output_shape))
        else:
            outputs = (tuple(output_shape),)
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs[0] if len(outputs) == 1 else outputs

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2 or not states:
                raise ValueError(
                    f"Layer {self.name!r} (Bidirectional): `initial_state` must hold the forward states then the "
                    f"backward states (an even number of tensors). Received: {len(states)} tensor(s)"
                )
            half = len(states) // 2
            forward_kwargs["initial_state"] = states[:half]
            backward_kwargs["initial_state"] = states[half:]
        y = self.forward_layer(sequences, **forward_kwargs)
        y_rev = self.backward_layer(sequences, **backward_kwargs)

        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y = ops.cast(y, self.compute_dtype)
        y_rev = ops.cast(y_rev, self.compute_dtype)
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = ops.add(y, y_rev)
        elif self.merge_mode == "ave":
            output = ops.divide(ops.add(y, y_rev), 2.0)
        elif self.merge_mode == "mul":
            output = ops.multiply(y, y_rev)
        else:
            output = (y, y_rev)
        if self.return_state:
            return (output if isinstance(output, tuple) else (output,)) + states
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            return masks + [None] * (2 * self._num_states())
        return masks if self.merge_mode is None else output_mask

    @property
    def states(self):
        forward = getattr(self.forward_layer, "states", None)
        backward = getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_state(self) -> None:
        """Resets the kept states of both directions (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} (Bidirectional) must be stateful to reset its states.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:
        """Alias of `reset_state` (Keras 2's name)."""
        self.reset_state()

    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from kerasish import layers as layers_module

        config = dict(config)
        config["layer"] = layers_module.deserialize(config["layer"], custom_objects=custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = layers_module.deserialize(config["backward_layer"], custom_objects=custom_objects)
        return super().from_config(config)
