"""Operations and the nodes that record their calls on symbolic tensors (the graph)."""

from __future__ import annotations

import inspect

from kerasish.backend import tree
from kerasish.ops.symbolic import KerasTensor, any_symbolic, compute_output_spec
from kerasish.utils import naming


class Node:
    """One call of an operation on symbolic tensors.

    Holds the call's arguments (with KerasTensors in place of inputs) and its
    outputs; each output's `_keras_history` points back here. Graph walks go from
    outputs to `parent_nodes`.
    """

    def __init__(self, operation: Operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = [
            x for x in tree.flatten((self.call_args, self.call_kwargs)) if isinstance(x, KerasTensor)
        ]
        self.output_tensors = [x for x in tree.flatten(outputs) if isinstance(x, KerasTensor)]
        node_index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for tensor_index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = (operation, node_index, tensor_index)
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                tensor._keras_history[0]._outbound_nodes.append(self)

    @property
    def parent_nodes(self) -> list[Node]:
        parents = []
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                op, node_index, _ = tensor._keras_history
                parent = op._inbound_nodes[node_index]
                if parent not in parents:
                    parents.append(parent)
        return parents

    @property
    def is_input(self) -> bool:
        return not self.input_tensors


def _is_plain_config_value(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain_config_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain_config_value(v) for k, v in value.items())
    return hasattr(value, "get_config") and not isinstance(value, type)


class Operation:
    """Something callable on tensors that, called on KerasTensors, records a Node.

    Layers are operations; so is each `kerasish.ops` function called symbolically.
    The constructor's arguments are remembered (`_auto_config`) when they are plain
    config values, so that a custom layer without its own `get_config` still
    round-trips, as in Keras.
    """

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        auto = None
        try:
            bound = inspect.signature(cls.__init__).bind(instance, *args, **kwargs)
        except TypeError:
            bound = None
        if bound is not None:
            auto = {}
            params = inspect.signature(cls.__init__).parameters
            for name, value in list(bound.arguments.items())[1:]:
                kind = params[name].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    auto.update(value)
                elif kind is inspect.Parameter.VAR_POSITIONAL:
                    if value:
                        auto = None
                        break
                else:
                    auto[name] = value
            if auto is not None and not all(_is_plain_config_value(v) for v in auto.values()):
                auto = None
        instance._auto_config = auto
        return instance

    def __init__(self, name: str | None = None):
        if name is None:
            name = naming.auto_name(type(self).__name__)
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Argument `name` must be a string without '/'. Received: name={name!r}"
            )
        self.name = name
        self._inbound_nodes: list[Node] = []
        self._outbound_nodes: list[Node] = []

    def __call__(self, *args, **kwargs):
        if any_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement `call`.")

    def compute_output_spec(self, *args, **kwargs):
        return compute_output_spec(self.call, *args, **kwargs)


class FunctionOperation(Operation):
    """A `kerasish.ops` function called on symbolic tensors.

    Each function gets its own subclass named as Keras names its operation classes
    (`ops.add` -> `Add`), so graphs and summaries read as they do in Keras.
    """

    _classes: dict[str, type] = {}

    def __new__(cls, fn, name: str):
        if cls is FunctionOperation:
            class_name = "".join(part.capitalize() for part in name.split("_"))
            sub = cls._classes.get(class_name)
            if sub is None:
                sub = cls._classes[class_name] = type(class_name, (FunctionOperation,), {})
            return super().__new__(sub)
        return super().__new__(cls)

    def __init__(self, fn, name: str):
        super().__init__(name=naming.auto_name(name))
        self.fn = fn

    def call(self, *args, **kwargs):
        return self.fn(*args, **kwargs)
