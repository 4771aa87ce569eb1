"""The Layer base class: state (variables), lazy build, calls (eager, symbolic, stateless)."""

from __future__ import annotations

import inspect
import itertools
import threading

import numpy as np

import kerasish.backend as kb
from kerasish import constraints, initializers, regularizers
from kerasish.backend import tree
from kerasish.backend.dtypes import is_float, standardize_dtype
from kerasish.ops.operation import Operation
from kerasish.ops.symbolic import KerasTensor, any_symbolic, compute_output_spec, in_shape_inference
from kerasish.random import SeedGenerator
from kerasish.variables import StatelessScope, Variable

_call_context = threading.local()
_inference_calls = itertools.count()  # the order layers are first called in (for plot_model)

# Keyword arguments a layer accepts in `__init__` to describe the input of a model's
# first layer (as Keras does), besides its own arguments.
_INPUT_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim")

# Attributes the framework keeps on every layer; never scanned for sublayers.
_UNTRACKED = frozenset(
    {
        "_inbound_nodes", "_outbound_nodes", "_variables", "_losses", "_build_shapes_dict", "_input_kwargs",
        "_functions", "trace_counts", "_auto_config",
    }
)


def _current_training():
    return getattr(_call_context, "training", None)


class Layer(Operation):
    """A callable holding state (variables) and computation (`call`).

    A layer's duties: `__init__` validates and stores its configuration; `build(input_shape)`
    creates its weights with `add_weight`, on the first call when the input shape is
    known; `call(inputs, ...)` computes with `kerasish.ops`; `compute_output_shape` and
    `get_config` describe it. Layers assigned as attributes (alone, or in lists and
    dicts) are tracked, and their weights are this layer's weights too.

    Calling a layer on KerasTensors builds it and records a node in the graph instead of
    computing. Calling it on tensors or arrays computes; NumPy arrays are converted and
    floating inputs cast to the layer's dtype.

    Args:
        trainable: whether the layer's weights are updated by training.
        dtype: the dtype of the weights and the computation (`floatx()` by default).
        name: a unique name; by default the snake-cased class name, numbered.
        activity_regularizer: a penalty on the layer's output, added to `losses`.
    """

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        input_kwargs = {k: kwargs.pop(k) for k in _INPUT_KWARGS if k in kwargs}
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        object.__setattr__(self, "_variables", [])
        super().__init__(name=name)
        self._input_kwargs = input_kwargs
        self._trainable = bool(trainable)
        self.built = False
        self.autocast = autocast
        self._dtype = standardize_dtype(dtype) if dtype is not None else None
        self._losses: list = []
        self._build_shapes_dict = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = False
        params = inspect.signature(self.call).parameters
        self._call_has_training_arg = "training" in params
        self._call_has_mask_arg = "mask" in params

    # ------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        if isinstance(value, Variable) and name not in _UNTRACKED:
            tracked = self.__dict__.get("_variables")
            if tracked is not None and not any(v is value for v in tracked):
                tracked.append(value)
        object.__setattr__(self, name, value)

    def _tracked(self, kind):
        found = []
        for name, attr in self.__dict__.items():
            if name in _UNTRACKED:
                continue
            if isinstance(attr, kind):
                found.append(attr)
            elif isinstance(attr, (list, tuple, dict)):
                found.extend(x for x in tree.flatten(attr) if isinstance(x, kind))
        return found

    @property
    def _layers(self) -> list[Layer]:
        """Direct sublayers, in the order they were assigned."""
        seen, layers = set(), []
        for layer in self._tracked(Layer):
            if layer is not self and id(layer) not in seen:
                seen.add(id(layer))
                layers.append(layer)
        return layers

    def _flatten_layers(self, include_self=True, recursive=True) -> list[Layer]:
        """This layer and every sublayer, depth first, each once (walks iteratively)."""
        result, seen = [], set()
        stack = [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer is not self or include_self:
                result.append(layer)
            if recursive or layer is self:
                stack.extend(reversed(layer._layers))
        return result

    # ----------------------------------------------------------------- dtype
    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._dtype or kb.floatx()

    @property
    def compute_dtype(self) -> str:
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype

    # ------------------------------------------------------------- variables
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        name=None,
    ) -> Variable:
        """Creates a variable owned by this layer.

        Args:
            shape: the weight's shape (`()` for a scalar).
            initializer: object, callable or string name; "glorot_uniform" for floats
                and "zeros" otherwise by default.
            dtype: defaults to the layer's dtype.
            trainable: whether training updates it.
            regularizer: a penalty on the weight, added to `losses`.
            constraint: a projection applied after each optimizer update.
            name: the weight's name ("kernel", "bias", ...).
        """
        shape = () if shape is None else tuple(shape)
        for d in shape:
            if d is None or int(d) < 0:
                raise ValueError(
                    f"Layer {self.name!r}: weight {name!r} needs a fully known, non-negative shape. "
                    f"Received: shape={shape}"
                )
        dtype = standardize_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if is_float(dtype) else "zeros"
        variable = Variable(
            initializers.get(initializer),
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name or "variable",
        )
        variable.path = f"{self.name}/{variable.name}"
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        self._variables.append(variable)
        return variable

    def _own_variables(self) -> list[Variable]:
        own = list(self._variables)
        for generator in self._tracked(SeedGenerator):
            if not any(v is generator.state for v in own):
                own.append(generator.state)
        return own

    def _collect(self, select) -> list[Variable]:
        found, seen = [], set()
        for layer in self._flatten_layers():
            for v in select(layer):
                if id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    @property
    def variables(self) -> list[Variable]:
        """Every variable, weights and other state (seed generators) alike."""
        return self._collect(lambda layer: layer._own_variables())

    @property
    def weights(self) -> list[Variable]:
        """The layer's weights: trainable ones of each layer first, as Keras orders them."""
        def own(layer):
            ws = [v for v in layer._variables]
            return [v for v in ws if v.trainable] + [v for v in ws if not v.trainable]

        return self._collect(own)

    def _frozen_layers(self):
        frozen, stack = [], [(self, self.trainable)]
        while stack:
            layer, trainable = stack.pop()
            if not trainable:
                frozen.append(layer)
            stack.extend((sub, trainable and sub.trainable) for sub in layer._layers)
        return frozen

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        frozen_ids = {id(v) for layer in self._frozen_layers() for v in layer.weights}
        return [v for v in self.weights if v.trainable and id(v) not in frozen_ids]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable_ids = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable_ids]

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        trainable_ids = {id(v) for v in self.trainable_weights}
        return [v for v in self.variables if id(v) not in trainable_ids]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def count_params(self) -> int:
        """The number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer {self.name!r}, but the layer isn't built. "
                "Build it first (call it on data or call `build(input_shape)`)."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Sets every weight from a list of arrays; checks them all before changing any."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"Layer {self.name!r} expected {len(params)} weights, but received {len(weights)} "
                f"input weights (provided weights: {[np.shape(w) for w in weights]})."
            )
        arrays = []
        for variable, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer {self.name!r} weight shape {variable.shape} is not compatible with provided "
                    f"weight shape {w.shape} (weight {variable.path!r})."
                )
            arrays.append(w)
        for variable, w in zip(params, arrays):
            variable.assign(w)

    # ---------------------------------------------------------------- losses
    @property
    def losses(self) -> list:
        """Activity-regularization and `add_loss` losses of the last call, and weight penalties."""
        collected = []
        for layer in self._flatten_layers():
            collected.extend(layer._losses)
            for v in layer._variables:
                reg = getattr(v, "regularizer", None)
                if reg is not None:
                    collected.append(reg(v.value))
        return collected

    def add_loss(self, loss) -> None:
        """Adds a scalar loss (e.g. a penalty computed in `call`) to the training objective."""
        self._losses.append(loss)

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []

    # ----------------------------------------------------------------- build
    def build(self, input_shape) -> None:
        """Creates the layer's weights for inputs of `input_shape` (override in subclasses)."""
        self.built = True

    def _maybe_build(self, args) -> None:
        if not args:
            return
        if self.built:
            if getattr(self, "_built_during_inference", False) and in_shape_inference():
                # Built while shapes were inferred with stand-in sizes: a size that differs on
                # the second run is unknown, and the build config says None there, as Keras.
                self._merge_build_shapes(tree.map_structure(_shape_of, args[0]))
            return
        first = args[0]
        shapes = tree.map_structure(_shape_of, first)
        self._build_shapes_dict = {"input_shape": shapes}
        self._built_during_inference = in_shape_inference()
        self.build(shapes)
        self.built = True

    def _merge_build_shapes(self, shapes) -> None:
        previous = (self._build_shapes_dict or {}).get("input_shape")
        if previous is None:
            return
        try:
            merged = _zip_shapes(
                lambda a, b: tuple(x if x == y else None for x, y in zip(a, b)) if len(a) == len(b) else a,
                previous, shapes,
            )
        except ValueError:
            return
        self._build_shapes_dict = {"input_shape": merged}
        self._built_during_inference = False

    def get_build_config(self) -> dict | None:
        return self._build_shapes_dict

    def build_from_config(self, config) -> None:
        if config and not self.built:
            shapes = config.get("input_shape")
            self._build_shapes_dict = {"input_shape": shapes}
            self.build(shapes)
            self.built = True

    def save_own_variables(self, store) -> None:
        """Writes this layer's own variables into `store` ("0", "1", ...: trainable ones first).

        Override (with `load_own_variables`) to save state differently, as in Keras.
        """
        from kerasish.saving.saving_lib import save_layer_variables

        save_layer_variables(self, store)

    def load_own_variables(self, store) -> None:
        """Assigns this layer's own variables from `store`; raises if their number or shapes differ."""
        from kerasish.saving.saving_lib import load_layer_variables

        load_layer_variables(self, store)

    # ------------------------------------------------------------------ call
    def __call__(self, *args, **kwargs):
        training = kwargs.pop("training", None)
        if training is None:
            training = _current_training()
        if self._call_has_training_arg:
            kwargs["training"] = training
        if "mask" in kwargs and not self._call_has_mask_arg:
            kwargs.pop("mask")

        if any_symbolic(args, kwargs):
            self._check_input_compatibility(args)
            self._maybe_build(args)
            return self.symbolic_call(*args, **kwargs)

        args = self._convert_inputs(args)
        self._check_input_compatibility(args)
        if not self.built or self.__dict__.get("_built_during_inference"):
            with _training_context(None):
                self._maybe_build(args)
        self._losses = []
        with _training_context(training):
            outputs = self.call(*args, **kwargs)
        if in_shape_inference():
            self._record_inferred_shapes(outputs)
        if self.activity_regularizer is not None:
            for out in tree.flatten(outputs):
                penalty = self.activity_regularizer(out)
                shape = kb.get().shape(out)
                if len(shape) > 0 and shape[0]:
                    # As Keras 3: divided by the batch size, so the penalty does not grow with it.
                    penalty = kb.get().divide(penalty, float(shape[0]))
                self.add_loss(penalty)
        return outputs

    def _record_inferred_shapes(self, outputs) -> None:
        """Remembers output shapes seen while a model's shapes are inferred (for `summary()`).

        Inference runs twice with different sizes for unknown dimensions; a dimension
        that differs between the runs is unknown (None).
        """
        shapes = tree.map_structure(_shape_of, outputs)
        previous = getattr(self, "_inferred_output_shapes", None)
        if previous is not None:
            def merge(a, b):
                return tuple(x if x == y else None for x, y in zip(a, b)) if len(a) == len(b) else b

            try:
                shapes = _zip_shapes(merge, previous, shapes)
            except ValueError:
                pass
        self._inferred_output_shapes = shapes
        if previous is None:
            self._inferred_call_index = next(_inference_calls)

    def _convert_inputs(self, args):
        b = kb.get()
        compute_dtype = self.compute_dtype

        def convert(x):
            if isinstance(x, Variable):
                x = x.value
            if isinstance(x, (np.ndarray, np.generic, list)) and not isinstance(x, str):
                arr = np.asarray(x)
                if arr.dtype.kind in "fiub":
                    if arr.dtype.kind == "f" and self.autocast:
                        return b.convert_to_tensor(arr, dtype=compute_dtype)
                    return b.convert_to_tensor(arr)
                return x
            if self.autocast and b.is_tensor(x) and is_float(b.dtype(x)) and b.dtype(x) != compute_dtype:
                return b.cast(x, compute_dtype)
            return x

        first = tree.map_structure(convert, args[0]) if args else None
        return (first, *args[1:]) if args else args

    def _check_input_compatibility(self, args) -> None:
        """Checks the first input against `input_spec`-like constraints (`min_ndim`)."""
        min_ndim = getattr(self, "_min_input_ndim", None)
        if min_ndim is None or not args:
            return
        for x in tree.flatten(args[0]):
            shape = _shape_of(x)
            if len(shape) < min_ndim:
                raise ValueError(
                    f"Input of layer {self.name!r} ({type(self).__name__}) is incompatible: expected "
                    f"min_ndim={min_ndim}, found ndim={len(shape)}. Full shape received: {shape}"
                )

    def call(self, *args, **kwargs):
        """The layer's computation (override in subclasses); the identity by default."""
        return args[0] if len(args) == 1 else args

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of this layer's output: the input's mask passed on if the layer
        supports masking, else None (no mask)."""
        return previous_mask if self.supports_masking else None

    def _call_with_mask(self, args, kwargs, mask):
        """Calls with `mask` (when `call` takes one); returns (outputs, output mask)."""
        if mask is not None and self._call_has_mask_arg and kwargs.get("mask") is None:
            kwargs = {**kwargs, "mask": mask}
        outputs = self(*args, **kwargs)
        if mask is None and not self._overrides_compute_mask():
            return outputs, None
        return outputs, self.compute_mask(args[0] if args else None, mask)

    def _overrides_compute_mask(self) -> bool:
        return type(self).compute_mask is not Layer.compute_mask

    def compute_output_shape(self, *args, **kwargs):
        """The output shape for inputs of these shapes, inferred by running `call` abstractly."""
        specs = map_shapes(lambda s: KerasTensor(s, self.compute_dtype), args)
        out = self.compute_output_spec(*specs, **kwargs)
        return tree.map_structure(lambda t: t.shape, out)

    def compute_output_spec(self, *args, **kwargs):
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = tree.map_structure(_shape_of, args[0])
            out_shape = self.compute_output_shape(shapes)
            return map_shapes(lambda s: KerasTensor(s, self.compute_dtype), out_shape)
        return compute_output_spec(self.call, *args, **kwargs)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """Calls the layer with these variable values; returns `(outputs, non_trainable_variables)`.

        Nothing is mutated: assignments inside the call (moving statistics, seed
        generators) come back as the new non-trainable values. With `return_losses`,
        returns `(outputs, non_trainable_variables, losses)`.
        """
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        if len(trainable_variables) != len(trainable) or len(non_trainable_variables) != len(non_trainable):
            raise ValueError(
                f"stateless_call on {self.name!r}: expected {len(trainable)} trainable and "
                f"{len(non_trainable)} non-trainable values. Received: {len(trainable_variables)} and "
                f"{len(non_trainable_variables)}"
            )
        mapping = list(zip(trainable, trainable_variables)) + list(zip(non_trainable, non_trainable_variables))
        with StatelessScope(state_mapping=mapping) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses if return_losses else None
        new_non_trainable = [
            scope.get_current_value(v) if scope.get_current_value(v) is not None else old
            for v, old in zip(non_trainable, non_trainable_variables)
        ]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        """The layer's configuration: enough to rebuild it with `from_config`.

        A subclass with constructor arguments overrides this; one that does not gets its
        constructor's arguments back automatically when they are plain config values.
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return self._with_auto_config(config, Layer)

    def _with_auto_config(self, config: dict, base: type) -> dict:
        if type(self).get_config is not base.get_config:
            return config  # a subclass's own get_config extends this base config
        auto = getattr(self, "_auto_config", None)
        if auto is None:
            init_params = [
                p for p in list(inspect.signature(type(self).__init__).parameters.values())[1:]
                if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
            ]
            if init_params:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has arguments in `__init__` ({[p.name for p in init_params]}) "
                    "that are not plain config values, so it must override `get_config()` to be serialized."
                )
            return config
        from kerasish.saving.serialization import serialize_keras_object

        extra = {k: serialize_keras_object(v) for k, v in auto.items() if k not in ("name", "trainable", "dtype")}
        return {**config, **extra}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        build_config = config.pop("build_config", None)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        params = inspect.signature(cls.__init__).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        # A custom class whose __init__ takes neither **kwargs nor the base arguments
        # still gets them: set after construction rather than refused.
        base = {k: config.pop(k) for k in ("name", "trainable", "dtype") if k in config and not takes_kwargs and k not in params}
        try:
            layer = cls(**config)
        except TypeError as e:
            raise TypeError(
                f"Could not rebuild {cls.__name__} from its config: {e}. The config must hold every "
                f"argument of its constructor (override `get_config()`). Config keys: {sorted(config)}"
            ) from e
        if "name" in base:
            layer.name = base["name"]
        if "trainable" in base:
            layer.trainable = base["trainable"]
        if build_config:
            layer.build_from_config(build_config)
        return layer

    # ------------------------------------------------------------- graph view
    def _single_node_tensor(self, which: str):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called on symbolic inputs, so it has no defined {which}."
            )
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer {self.name!r} has been called {len(self._inbound_nodes)} times, so its {which} "
                "is ambiguous; use the node's tensors instead."
            )
        node = self._inbound_nodes[0]
        tensors = node.input_tensors if which == "input" else node.output_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def input(self):
        return self._single_node_tensor("input")

    @property
    def output(self):
        return self._single_node_tensor("output")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class _training_context:
    """Makes `training` visible to layers called inside another layer's `call`."""

    def __init__(self, training):
        self.training = training

    def __enter__(self):
        self.previous = getattr(_call_context, "training", None)
        if self.training is not None:
            _call_context.training = self.training

    def __exit__(self, *exc):
        _call_context.training = self.previous


def _shape_of(x):
    if isinstance(x, KerasTensor):
        return x.shape
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))


def _zip_shapes(fn, a, b):
    """Applies `fn` to corresponding shapes of two structures of shapes."""
    if is_shape(a) and is_shape(b):
        return fn(tuple(a), tuple(b))
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _zip_shapes(fn, a[k], b[k]) for k in a}
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return type(a)(_zip_shapes(fn, x, y) for x, y in zip(a, b))
    raise ValueError("different structures")


def is_shape(x) -> bool:
    """Whether `x` is one shape (a tuple or list of ints and Nones), not a structure of shapes."""
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in x)


def map_shapes(fn, shapes):
    """Applies `fn` to each shape in a nested structure of shapes."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(map_shapes(fn, s) for s in shapes)
    return shapes
