"""clone_model, and models from JSON: new models with the same architecture."""

from __future__ import annotations

import json

from kerasish.backend import tree
from kerasish.layers.input_layer import Input, InputLayer
from kerasish.layers.layer import Layer
from kerasish.ops.operation import FunctionOperation


def _default_clone(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with `model`'s architecture and freshly initialized weights.

    Args:
        model: a Sequential, Functional or subclassed model.
        input_tensors: KerasTensors to build the clone on (Functional/Sequential).
        clone_function: `layer -> new layer`, applied to every layer
            (default: rebuild from the layer's config).
        call_function: `(layer, *args, **kwargs) -> outputs`, to change how each cloned
            layer is called in the new graph.
        recursive: also clone the layers of nested models through `clone_function`.
    """
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential

    if kwargs:
        raise ValueError(f"Unexpected keyword arguments for clone_model: {sorted(kwargs)}")
    clone_function = clone_function or _default_clone

    def clone_layer(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, call_function=call_function, recursive=True)
        return clone_function(layer)

    if isinstance(model, Sequential):
        new = Sequential(name=model.name, trainable=model.trainable)
        if input_tensors is not None:
            new.add(Input(batch_shape=tree.flatten(input_tensors)[0].shape))
        elif model._input_layer is not None:
            new.add(Input(batch_shape=model._input_layer.batch_shape, dtype=model._input_layer.dtype))
        for layer in model.layers:
            new.add(clone_layer(layer), rebuild=False)
        new._maybe_rebuild()
        return new
    if isinstance(model, Functional):
        clones = {}
        if input_tensors is None:
            new_inputs = [
                Input(batch_shape=t.shape, dtype=t.dtype, name=t._keras_history[0].name) for t in model.inputs
            ]
        else:
            new_inputs = list(tree.flatten(input_tensors))

        def run(op, args, kwargs):
            if isinstance(op, FunctionOperation):
                return op.fn(*args, **kwargs)
            if isinstance(op, InputLayer):
                raise ValueError("InputLayer nodes are not replayed")
            if id(op) not in clones:
                clones[id(op)] = clone_layer(op)
            if call_function is not None:
                return call_function(clones[id(op)], *args, **kwargs)
            return clones[id(op)](*args, **kwargs)

        structure = model._inputs_struct
        packed = (
            dict(zip(structure, new_inputs)) if isinstance(structure, dict)
            else tree.pack_sequence_as(structure, new_inputs) if isinstance(structure, (list, tuple))
            else new_inputs[0]
        )
        outputs = model._run_graph(packed, run)
        return Functional(packed, outputs, name=model.name, trainable=model.trainable)
    if clone_function is not _default_clone or input_tensors is not None:
        raise ValueError(
            "clone_model of a subclassed model rebuilds it from its config; `clone_function` and "
            f"`input_tensors` apply to Sequential and Functional models only. Received a {type(model).__name__}."
        )
    return type(model).from_config(model.get_config())


def model_from_json(json_string: str, custom_objects=None):
    """A model (not yet trained) from the JSON that `model.to_json()` wrote."""
    from kerasish import layers

    try:
        config = json.loads(json_string)
    except ValueError as e:
        raise ValueError(f"model_from_json: the string is not valid JSON ({e}).") from e
    return layers.deserialize(config, custom_objects=custom_objects)
