"""Functional models: a graph of layer calls from `Input`s to outputs."""

from __future__ import annotations

from kerasish.backend import tree
from kerasish.layers.input_layer import InputLayer
from kerasish.layers.layer import Layer
from kerasish.models.model import Model
from kerasish.ops.operation import FunctionOperation, Node
from kerasish.ops.symbolic import KerasTensor
from kerasish.saving import serialization


def _check_tensors(structure, what):
    flat = tree.flatten(structure)
    if not flat:
        raise ValueError(f"A Functional model needs at least one tensor in `{what}`.")
    for t in flat:
        if not isinstance(t, KerasTensor):
            raise ValueError(
                f"All `{what}` of a Functional model must be KerasTensors (from `kerasish.Input` and "
                f"layer calls). Received: {t!r} (of type {type(t).__name__})"
            )
    return flat


def _deserialize_operation(config):
    """A `kerasish.ops` function recorded in a Keras config ("keras.src.ops.numpy" Add, ...)."""
    module = config.get("module") or "" if isinstance(config, dict) else ""
    if not (module.startswith("keras.src.ops") or module.startswith("kerasish.ops") or module.startswith("keras.ops")):
        return None
    from kerasish import ops
    from kerasish.utils.naming import to_snake_case

    name = to_snake_case(config["class_name"])
    fn = getattr(ops, name, None)
    if fn is None:
        raise ValueError(
            f"The config holds the operation {config['class_name']!r} ({module}), which kerasish.ops does not have."
        )
    op = FunctionOperation(getattr(fn, "__wrapped__", fn), name)
    op.name = config.get("name") or config.get("config", {}).get("name") or op.name
    return op


def _producing_node(tensor: KerasTensor) -> Node:
    op, node_index, _ = tensor._keras_history
    return op._inbound_nodes[node_index]


class Functional(Model):
    """A model defined by its input and output tensors: `Model(inputs, outputs)`.

    >>> import kerasish as keras
    >>> inputs = keras.Input(shape=(8,))
    >>> hidden = keras.layers.Dense(4, activation="relu")(inputs)
    >>> model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    >>> model.output_shape
    (None, 1)

    Inputs and outputs may be single tensors, lists or dicts. Layers may be shared
    (called at several places) and models may be used as layers.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_inputs = _check_tensors(inputs, "inputs")
        flat_outputs = _check_tensors(outputs, "outputs")
        for t in flat_inputs:
            if t._keras_history is None or not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(
                    "The inputs of a Functional model must come from `kerasish.Input`. Received an input "
                    f"produced by {t._keras_history[0].name if t._keras_history else 'nothing'!r}: {t!r}"
                )
        for t in flat_outputs:
            if t._keras_history is None:
                raise ValueError(f"Output {t!r} was not produced by a layer call.")
        self._flat_inputs = flat_inputs
        self._flat_outputs = flat_outputs
        self._nodes = self._order_nodes()
        self._operations = self._operations_by_depth()
        self._build_shapes_dict = {"input_shape": tree.map_structure(lambda t: t.shape, inputs)}
        self.built = True

    # ----------------------------------------------------------------- graph
    def _order_nodes(self) -> list[Node]:
        """The graph's nodes, each after the nodes it depends on (an iterative walk)."""
        input_ids = {id(t) for t in self._flat_inputs}
        ordered, done, on_path = [], set(), set()
        stack = [(_producing_node(t), False) for t in reversed(self._flat_outputs)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                on_path.discard(id(node))
                done.add(id(node))
                ordered.append(node)
                continue
            if node.is_input:
                tensor = node.output_tensors[0]
                if id(tensor) not in input_ids:
                    raise ValueError(
                        "Graph disconnected: cannot reach the input tensor "
                        f"{tensor!r} (of layer {node.operation.name!r}) from the model's inputs "
                        f"{[t.name for t in self._flat_inputs]}. Pass it in `inputs`."
                    )
                done.add(id(node))
                ordered.append(node)
                continue
            on_path.add(id(node))
            stack.append((node, True))
            for tensor in reversed(node.input_tensors):
                if tensor._keras_history is None:
                    raise ValueError(
                        f"Layer {node.operation.name!r} was called on {tensor!r}, which was not produced "
                        "by `Input` or a layer, so the graph cannot reach it."
                    )
                parent = _producing_node(tensor)
                if id(parent) not in done:
                    stack.append((parent, False))
        for t in self._flat_inputs:
            if id(_producing_node(t)) not in done:
                # An input nothing uses is allowed (Keras allows it), but keep its node.
                ordered.insert(0, _producing_node(t))
        return ordered

    def _operations_by_depth(self) -> list:
        """The graph's operations in Keras's order: by depth from the inputs, and within a
        depth in the order a walk from the outputs first meets them.

        Keras's saved files name layers by this order (`layers/dense_1`, `layer_names`),
        so it must match for files to move between the two.
        """
        input_ids = {id(t) for t in self._flat_inputs}
        finished, in_progress, decreasing_depth, first_seen = set(), set(), [], {}
        # An explicit stack that visits as Keras's recursive walk does: each output in turn,
        # each node's inputs in order, a node after its inputs.
        stack = [("visit", t) for t in reversed(self._flat_outputs)]
        while stack:
            action, item = stack.pop()
            if action == "done":
                in_progress.discard(id(item))
                finished.add(id(item))
                decreasing_depth.append(item)
                continue
            tensor = item
            if tensor._keras_history is None:
                continue
            node = _producing_node(tensor)
            if id(node) in finished or id(node) in in_progress:
                continue
            first_seen.setdefault(id(node.operation), len(first_seen))
            in_progress.add(id(node))
            stack.append(("done", node))
            if not node.is_input and id(tensor) not in input_ids:
                stack.extend(("visit", t) for t in reversed(node.input_tensors))
        node_depth, op_depth, ops = {}, {}, {}
        for node in reversed(decreasing_depth):
            depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.operation), 0))
            op_depth[id(node.operation)] = depth
            ops[id(node.operation)] = node.operation
            node_depth[id(node)] = depth
            for parent in node.parent_nodes:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
        for tensor in self._flat_inputs:
            op = tensor._keras_history[0]
            if id(op) not in op_depth:  # an input that no output depends on
                op_depth[id(op)] = 0
                first_seen[id(op)] = -1
                ops[id(op)] = op
        ordered = sorted(ops.values(), key=lambda op: (-op_depth[id(op)], first_seen[id(op)]))
        return ordered

    @property
    def layers(self) -> list[Layer]:
        """Every layer of the graph, InputLayers included, in Keras's order (by depth)."""
        return [op for op in self._operations if isinstance(op, Layer)]

    @property
    def _layers(self) -> list[Layer]:
        return self.layers

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._flat_inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # ------------------------------------------------------------------ run
    def _flatten_call_inputs(self, inputs):
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict):
                raise ValueError(
                    f"Model {self.name!r} expects a dict of inputs with keys {sorted(self._inputs_struct)}. "
                    f"Received: {type(inputs).__name__}"
                )
            missing = [k for k in self._inputs_struct if k not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: missing inputs {missing}. Received keys: {sorted(inputs)}")
            return tree.flatten({k: inputs[k] for k in self._inputs_struct})
        flat = tree.flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self._flat_inputs):
            raise ValueError(
                f"Model {self.name!r} expects {len(self._flat_inputs)} input(s), but it received "
                f"{len(flat)} input tensors."
            )
        return flat

    def _run_graph(self, inputs, run_node, masks=None):
        values = {}
        for tensor, value in zip(self._flat_inputs, self._flatten_call_inputs(inputs)):
            values[id(tensor)] = value
        for node in self._nodes:
            if node.is_input:
                continue

            def fill(x):
                return values[id(x)] if isinstance(x, KerasTensor) else x

            args = tree.map_structure(fill, node.call_args)
            kwargs = tree.map_structure(fill, node.call_kwargs)
            if masks is None:
                outputs = run_node(node.operation, args, kwargs)
            else:
                # Masks travel beside the values: each tensor's mask, from the layer
                # that produced it (Embedding(mask_zero=True), Masking, ...).
                in_masks = [masks.get(id(t)) for t in node.input_tensors]
                mask = None
                if any(m is not None for m in in_masks):
                    mask = in_masks[0] if len(in_masks) == 1 else in_masks
                outputs, out_mask = run_node(node.operation, args, kwargs, mask)
                flat_out = node.output_tensors
                out_masks = out_mask if isinstance(out_mask, (list, tuple)) and len(flat_out) > 1 else [out_mask] * len(flat_out)
                for tensor, m in zip(flat_out, out_masks):
                    if m is not None:
                        masks[id(tensor)] = m
            for tensor, value in zip(node.output_tensors, tree.flatten(outputs)):
                values[id(tensor)] = value
        return tree.pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self._flat_outputs])

    def call(self, inputs, training=None, mask=None):
        def run(op, args, kwargs, mask):
            if isinstance(op, Layer):
                if op._call_has_training_arg:
                    kwargs = {**kwargs, "training": training}
                return op._call_with_mask(args, kwargs, mask)
            return op(*args, **kwargs), None

        masks = {}
        if mask is not None:
            for tensor, m in zip(self._flat_inputs, tree.flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]):
                if m is not None:
                    masks[id(tensor)] = m
        return self._run_graph(inputs, run, masks)

    def compute_output_spec(self, inputs, training=None, mask=None):
        def run(op, args, kwargs):
            return op.compute_output_spec(*args, **kwargs)

        return self._run_graph(inputs, run)

    def build(self, input_shape=None):
        self.built = True

    # --------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Keras's Functional config: layers with their inbound nodes, input and output layers."""
        node_index_of = {}
        for op in self._operations:
            kept = [n for n in op._inbound_nodes if n in self._nodes]
            for i, node in enumerate(kept):
                node_index_of[id(node)] = i

        def history(tensor):
            op, node_index, tensor_index = tensor._keras_history
            node = op._inbound_nodes[node_index]
            return [op.name, node_index_of[id(node)], tensor_index]

        def serialize_arg(x):
            if isinstance(x, KerasTensor):
                return {"class_name": "__keras_tensor__", "config": {"shape": list(x.shape), "dtype": x.dtype, "keras_history": history(x)}}
            return serialization.serialize_keras_object(x)

        layer_configs = []
        for op in self._operations:
            if isinstance(op, FunctionOperation):
                # A `kerasish.ops` call in the graph, written as Keras writes its operations.
                module = op.fn.__module__.replace("kerasish.ops", "keras.src.ops")
                config = {"module": module, "class_name": type(op).__name__, "config": {"name": op.name},
                          "registered_name": None}
            else:
                config = serialization.serialize_keras_object(op)
            config["name"] = op.name
            nodes = []
            for node in op._inbound_nodes:
                if node not in self._nodes or node.is_input:
                    continue
                kwargs = {k: v for k, v in node.call_kwargs.items() if not (k == "training" and v is None)}
                nodes.append({
                    "args": [tree.map_structure(serialize_arg, a) for a in node.call_args],
                    "kwargs": {k: tree.map_structure(serialize_arg, v) for k, v in kwargs.items()},
                })
            config["inbound_nodes"] = nodes
            layer_configs.append(config)

        def struct(s):
            if isinstance(s, dict):
                return {k: history(v) for k, v in s.items()}
            if isinstance(s, (list, tuple)):
                return [history(v) for v in s]
            return history(s)

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": struct(self._inputs_struct),
            "output_layers": struct(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasish import layers as layers_module

        created: dict[str, Layer] = {}
        pending = []
        for layer_config in config["layers"]:
            name = layer_config.get("name") or layer_config.get("config", {}).get("name")
            layer = _deserialize_operation(layer_config) or layers_module.deserialize(
                layer_config, custom_objects=custom_objects
            )
            created[name] = layer
            pending.append((layer, list(layer_config.get("inbound_nodes", []))))
        outputs_of: dict[str, list] = {name: [] for name in created}
        for name, layer in created.items():
            if isinstance(layer, InputLayer):
                outputs_of[name].append(layer._output_tensor)

        def resolve(x):
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                layer_name, node_index, tensor_index = x["config"]["keras_history"]
                produced = outputs_of[layer_name]
                if node_index >= len(produced):
                    raise KeyError(layer_name)
                return tree.flatten(produced[node_index])[tensor_index]
            if isinstance(x, list) and len(x) == 3 and isinstance(x[0], str) and x[0] in outputs_of:
                layer_name, node_index, tensor_index = x  # Keras 2 style [name, node, tensor]
                produced = outputs_of[layer_name]
                if node_index >= len(produced):
                    raise KeyError(layer_name)
                return tree.flatten(produced[node_index])[tensor_index]
            if isinstance(x, dict):
                return {k: resolve(v) for k, v in x.items()}
            if isinstance(x, list):
                return [resolve(v) for v in x]
            return x

        # Replay calls in passes until every node is made (a node waits for its inputs).
        progress = True
        while progress and any(nodes for _, nodes in pending):
            progress = False
            for layer, nodes in pending:
                while nodes:
                    node = nodes[0]
                    try:
                        args = [resolve(a) for a in node.get("args", [])]
                        kwargs = {k: resolve(v) for k, v in node.get("kwargs", {}).items()}
                    except KeyError:
                        break
                    outputs_of[layer.name].append(layer(*args, **kwargs))
                    nodes.pop(0)
                    progress = True
        stuck = [layer.name for layer, nodes in pending if nodes]
        if stuck:
            raise ValueError(f"Could not rebuild the Functional graph: the calls of layers {stuck} never got their inputs.")

        def rebuild(spec):
            if isinstance(spec, dict):
                return {k: rebuild(v) for k, v in spec.items()}
            if isinstance(spec, list) and spec and isinstance(spec[0], list):
                return [rebuild(v) for v in spec]
            layer_name, node_index, tensor_index = spec
            return tree.flatten(outputs_of[layer_name][node_index])[tensor_index]

        inputs = rebuild(config["input_layers"])
        outputs = rebuild(config["output_layers"])
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
