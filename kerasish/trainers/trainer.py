"""compile/fit/evaluate/predict for every backend, built on one pure `train_step(state, data)`.

The state tuple `(trainable, non_trainable, optimizer, metrics)` and the `(logs, state)`
order are those of Keras 3's JAX trainer, so a `train_step` written for Keras on JAX
works unchanged here on every backend. On a backend that compiles, the step is
`jit`-compiled once per input shape with the state's buffers donated; several steps
can be fused into one compiled call with `scan` (`steps_per_execution`). Between
steps the state lives in plain arrays and is written back to the variables only when
someone may look (callbacks, the end of an epoch, the end of `fit`).
"""

from __future__ import annotations

import contextlib
import itertools
import warnings

import numpy as np

import kerasish.backend as kb
from kerasish.backend import tree
from kerasish.distribution import distribution_lib
from kerasish.trainers import data_adapter


class Trainer:
    """The training half of `Model`."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self.steps_per_execution = 1
        self.stop_training = False
        #: Set by a callback's `on_train_begin` (BackupAndRestore) to move the start of
        #: the `fit` under way, as Keras's `model._initial_epoch`; `fit` clears it.
        self._initial_epoch = None
        self.history = None
        self._run_eagerly = False
        self._jit_compile = None
        self._losses_override: list | None = None
        self._functions: dict = {}
        #: How many times each step function's Python body has run (on a compiling
        #: backend: how many times it was traced). Tests read it.
        self.trace_counts = {"train": 0, "test": 0, "predict": 0}

    # --------------------------------------------------------------- compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configures the model for training.

        Args:
            optimizer: an optimizer instance or name ("rmsprop", "adam", "sgd", ...).
            loss: a loss instance, function or name.
            loss_weights: a scalar weight for the loss.
            metrics: metrics to report (instances, functions or names such as "accuracy").
            weighted_metrics: metrics that take `sample_weight` into account.
            run_eagerly: run the step as plain Python (no compilation), to debug `call`.
            steps_per_execution: steps fused into one compiled call.
            jit_compile: "auto" (compile where the backend can), True or False.
        """
        from kerasish import optimizers as optimizers_module
        from kerasish.metrics import Mean
        from kerasish.trainers.compile_utils import CompileLoss, CompileMetrics

        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics)
        self._loss_tracker = Mean(name="loss")
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                f"`steps_per_execution` must be a positive integer. Received: steps_per_execution={steps_per_execution!r}"
            )
        self.steps_per_execution = steps_per_execution
        backend = kb.get()
        if jit_compile == "auto":
            jit_compile = backend.supports_jit
        if jit_compile and not backend.supports_jit:
            warnings.warn(
                f"jit_compile=True was requested but the {backend.name!r} backend does not compile; "
                "the step runs as Python.",
                stacklevel=2,
            )
            jit_compile = False
        self._jit_compile = bool(jit_compile)
        self._run_eagerly = bool(run_eagerly)
        self._functions = {}
        self.compiled = True

    @property
    def run_eagerly(self) -> bool:
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)
        self._functions = {}

    @property
    def jit_compile(self) -> bool:
        """Whether the steps are compiled: not when running eagerly, nor when a layer cannot
        be compiled (a host-side lookup layer, `supports_jit = False`)."""
        requested = self._jit_compile
        if requested is None:  # not compiled yet (predict): "auto", as Keras
            requested = kb.get().supports_jit
        if not requested or self._run_eagerly:
            return False
        return all(getattr(layer, "supports_jit", True) for layer in self._flatten_layers())

    @property
    def metrics(self) -> list:
        """The loss tracker and the compiled metrics (each a Metric)."""
        found = []
        if self._loss_tracker is not None:
            found.append(self._loss_tracker)
        if self._compile_loss is not None:
            found.extend(self._compile_loss.trackers)
        if self._compile_metrics is not None:
            found.append(self._compile_metrics)
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def _assert_compiled(self) -> None:
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model for training or evaluation.")

    # ------------------------------------------------------ loss computation
    @property
    def losses(self) -> list:
        if self._losses_override is not None:
            return self._losses_override
        return super().losses

    @contextlib.contextmanager
    def _override_losses(self, losses):
        previous = self._losses_override
        self._losses_override = list(losses)
        try:
            yield
        finally:
            self._losses_override = previous

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns every metric's current result.

        Stateful, as in Keras: inside a pure step, call it within the metrics' stateless
        scope (or use `metric.stateless_update_state`, as the built-in steps do).
        """
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """`{name: value}` of every metric's current result (the loss tracker's included)."""
        results = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the model's own losses (regularization, `add_loss`)."""
        total = None
        if self._compile_loss is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else kb.get().add(total, extra)
        if total is None:
            raise ValueError(
                "No loss to compute: pass a `loss` to `compile()` or add losses with `add_loss()` in the model."
            )
        return total

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y,
                                 sample_weight=None, training=False):
        """Pure: `(loss, (y_pred, non_trainable_variables))` for these variable values."""
        y_pred, non_trainable_variables, losses = self.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True, training=training
        )
        with self._override_losses(losses):
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return loss, (y_pred, non_trainable_variables)

    def _update_metrics(self, metrics_variables, loss, y, y_pred, sample_weight):
        """Pure metric update; returns `(logs, new metrics_variables)`."""
        new_variables, logs, offset = [], {}, 0
        batch_size = tree.flatten(y_pred)[0].shape[0] if tree.flatten(y_pred) else None
        trackers = self._compile_loss.trackers if self._compile_loss is not None else []
        if trackers:
            # Recomputed here, outside the gradient: under jit the duplicate work is merged.
            per_output = [v for v in self._compile_loss.per_output(y, y_pred, sample_weight) if v is not None]
            tracked = dict(zip(map(id, trackers), per_output))
        for metric in self.metrics:
            n = len(metric.variables)
            current = metrics_variables[offset : offset + n]
            offset += n
            if metric is self._loss_tracker:
                current = metric.stateless_update_state(current, loss, sample_weight=batch_size)
            elif id(metric) in (tracked if trackers else {}):
                current = metric.stateless_update_state(current, tracked[id(metric)], sample_weight=batch_size)
            else:
                current = metric.stateless_update_state(current, y, y_pred, sample_weight=sample_weight)
            result = metric.stateless_result(current)
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
            new_variables.extend(current)
        return logs, new_variables

    # ------------------------------------------------------- the pure steps
    def train_step(self, state, data):
        """One training step: `(logs, new_state)` from `state` and a batch. Pure."""
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        grad_fn = kb.get().value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y, sample_weight, training=True
        )
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        logs, metrics_variables = self._update_metrics(metrics_variables, loss, y, y_pred, sample_weight)
        return logs, (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)

    def test_step(self, state, data):
        """One evaluation step: `(logs, new_state)`; state is (trainable, non_trainable, metrics)."""
        trainable_variables, non_trainable_variables, metrics_variables = state
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        loss, (y_pred, non_trainable_variables) = self.compute_loss_and_updates(
            trainable_variables, non_trainable_variables, x, y, sample_weight, training=False
        )
        logs, metrics_variables = self._update_metrics(metrics_variables, loss, y, y_pred, sample_weight)
        return logs, (trainable_variables, non_trainable_variables, metrics_variables)

    def predict_step(self, state, data):
        """One prediction step: `(outputs, non_trainable_variables)`."""
        trainable_variables, non_trainable_variables = state
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable_variables, non_trainable_variables, x, training=False)

    # ------------------------------------------------- compiled step makers
    def _counted(self, kind, fn):
        def step(state, data):
            self.trace_counts[kind] += 1
            return fn(state, data)

        return step

    def _make_function(self, kind: str, multi_step: bool):
        key = (kind, multi_step)
        if key in self._functions:
            return self._functions[key]
        backend = kb.get()
        step = self._counted(kind, {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind])
        if multi_step:
            single = step

            def step(state, stacked):
                def body(carry, batch):
                    out, new_state = single(carry, batch)
                    return new_state, out

                if kind == "predict":
                    raise ValueError("predict does not fuse steps")
                final_state, outs = backend.scan(body, state, stacked)
                last = tree.map_structure(lambda v: v[-1], outs)
                return last, final_state

        if self.jit_compile:
            # The state is donated (its buffers reused for the new state) except in
            # predict, whose state is the model's weights and is not replaced.
            step = self._keep_layouts(step, kind)
            fn = backend.jit(step, donate_argnums=(0,) if kind != "predict" else ())
        else:
            fn = step
        self._functions[key] = fn
        return fn

    # ----------------------------------------------------------------- state
    def _state_variables(self, kind: str):
        if kind == "train":
            return (self.trainable_variables, self.non_trainable_variables, self.optimizer.variables, self.metrics_variables)
        if kind == "test":
            return (self.trainable_variables, self.non_trainable_variables, self.metrics_variables)
        return (self.trainable_variables, self.non_trainable_variables)

    @staticmethod
    def _read_state(variable_groups):
        return tuple([v.value for v in group] for group in variable_groups)

    @staticmethod
    def _write_state(variable_groups, state) -> None:
        for group, values in zip(variable_groups, state):
            for v, value in zip(group, values):
                v._direct_assign(value)

    # ------------------------------------------------------------- building
    def _ensure_built(self, x_batch, y_batch=None) -> None:
        """Builds the model, its losses and metrics and the optimizer before anything is traced."""
        x_batch = data_adapter.align_inputs(x_batch, getattr(self, "_inputs_struct", None))
        if not self.built:
            shapes = tree.map_structure(lambda a: (None, *np.shape(a)[1:]), x_batch)
            self.build(shapes)
        if self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)
        needs_loss = self._compile_loss is not None and not self._compile_loss.built
        needs_metrics = self._compile_metrics is not None and not self._compile_metrics.built
        if (needs_loss or needs_metrics) and y_batch is not None:
            from kerasish.ops.symbolic import KerasTensor, compute_output_spec

            x_spec = tree.map_structure(lambda a: KerasTensor((None, *np.shape(a)[1:]), _dtype_of(a)), x_batch)
            y_pred_spec = compute_output_spec(lambda x: self(x, training=False), x_spec)
            names = self.output_names_for(y_pred_spec)
            if needs_loss:
                self._compile_loss.build(y_batch, y_pred_spec, names)
                data_adapter.check_target_shapes(y_batch, y_pred_spec, names, self._compile_loss.loss_fns)
            if needs_metrics:
                loss_fns = self._compile_loss.loss_fns if self._compile_loss is not None else None
                self._compile_metrics.build(y_batch, y_pred_spec, names, loss_fns)
                # Metrics whose state takes its shape from the data (F1Score, R2Score, ...)
                # create it here, on symbolic data, before any step is traced (as Keras does).
                y_spec = tree.map_structure(lambda a: KerasTensor((None, *np.shape(a)[1:]), _dtype_of(a)), y_batch)
                compute_output_spec(lambda t, p: self._compile_metrics.update_state(t, p), y_spec, y_pred_spec)

    def output_names_for(self, y_pred) -> list[str]:
        """Names of the model's outputs, in flattened order, as Keras names them."""
        structure = getattr(self, "_outputs_struct", None)
        if structure is None:
            structure = y_pred
        if isinstance(structure, dict):
            return sorted(structure)
        flat = tree.flatten(structure)
        names = []
        for i, t in enumerate(flat):
            history = getattr(t, "_keras_history", None)
            names.append(history[0].name if history is not None else f"output_{i + 1}")
        if len(flat) == 1 and getattr(flat[0], "_keras_history", None) is None:
            return [self.layers[-1].name if getattr(self, "layers", None) else "output_1"]
        return names

    def _keep_layouts(self, step, kind: str):
        """The step with each new state value kept in its variable's layout (variables made
        under a distribution), as Keras's JAX trainer does with jit's out_shardings: every
        step then gets the layouts it was compiled for and never compiles again."""
        groups = self._state_variables(kind)
        if kind == "predict":
            groups = groups[1:]  # predict gives back only the non-trainable values
        if all(v._layout is None for group in groups for v in group):
            return step

        def step_in_layouts(state, data):
            out, new_state = step(state, data)
            if kind == "predict":
                return out, distribution_lib.keep_layouts(new_state, groups[0])
            return out, tuple(distribution_lib.keep_layouts(v, g) for v, g in zip(new_state, groups))

        return step_in_layouts

    def _to_backend(self, batch, batch_axis: int = 0):
        backend = kb.get()
        floatx = self.compute_dtype
        current = distribution_lib.distribution()

        def convert(a):
            if a is None:
                return None
            a = np.asarray(a)
            dtype = floatx if a.dtype.kind == "f" else None
            if current is not None:
                # Split along the batch (axis 1 for fused steps) as the distribution says.
                return current._distribute_data(a, dtype, batch_axis)
            return backend.convert_to_tensor(a, dtype=dtype)

        inputs_struct = getattr(self, "_inputs_struct", None)
        if isinstance(inputs_struct, (list, tuple)):
            # `{input_name: array}` for a Functional model whose inputs are a list.
            if isinstance(batch, dict):
                batch = data_adapter.pack_x_y_sample_weight(data_adapter.align_inputs(batch, inputs_struct))
            elif isinstance(batch, tuple) and isinstance(batch[0], dict):
                batch = (data_adapter.align_inputs(batch[0], inputs_struct), *batch[1:])
        return tree.map_structure(convert, batch)

    # ------------------------------------------------------------------- fit
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains the model for a number of epochs; returns a `History`.

        Args:
            x: the inputs: a NumPy array or tensor, a list of them (several inputs), or
                a dict by input name; or a `kerasish.utils.PyDataset`, or a Python
                generator or iterable, yielding `(x, y)` / `(x, y, sample_weight)` batches.
            y: the targets, with array `x` only (a generator or PyDataset yields them).
            batch_size: samples per step, for array `x` (32 by default).
            epochs: the epoch to end at (training runs from `initial_epoch`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto" is 1).
            callbacks: `kerasish.callbacks.Callback` instances. Their `on_test_*` hooks
                are called by the validation runs.
            validation_split: fraction of array data (taken from the end, before
                shuffling) held out for validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight)` arrays,
                or a PyDataset, generator or iterable of batches.
            shuffle: reshuffle the training samples (arrays) or the batch order (a
                finite PyDataset) every epoch; generators keep their own order.
            class_weight: `{class index: weight}`, to weight the loss per class.
            sample_weight: per-sample weights for the loss, for array `x`.
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: steps per epoch (default: one pass through the data; a
                generator then runs until exhausted).
            validation_steps: steps of each validation run (default: all the data).
            validation_batch_size: batch size for array validation data (default
                `batch_size`).
            validation_freq: validate every this many epochs, or after the epochs
                listed (1-based), e.g. `[1, 5, 10]`.
        """
        self._assert_compiled()
        if x is None:
            raise ValueError("`fit` needs training data: received x=None.")
        _check_validation_freq(validation_freq)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_adapter.train_validation_split(
                (x, y, sample_weight), validation_split
            )
        adapter = data_adapter.get_data_adapter(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch, shuffle=shuffle,
            class_weight=class_weight,
        )
        val_adapter = None
        try:
            if validation_data is not None:
                val_x, val_y, val_sw = data_adapter.unpack_x_y_sample_weight(validation_data)
                # Made once and reused by every validation run, as Keras caches its eval iterator.
                val_adapter = data_adapter.get_data_adapter(
                    val_x, val_y, val_sw, batch_size=validation_batch_size or batch_size,
                    steps_per_epoch=validation_steps, shuffle=False,
                )
            fx, fy, _ = data_adapter.unpack_x_y_sample_weight(adapter.first_batch())
            self._ensure_built(fx, fy)
            return self._fit_epochs(
                adapter, val_adapter, epochs, initial_epoch, verbose, callbacks, validation_freq
            )
        finally:
            adapter.close()
            if val_adapter is not None:
                val_adapter.close()

    def _fit_epochs(self, adapter, val_adapter, epochs, initial_epoch, verbose, callbacks, validation_freq):
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = self._callback_list(callbacks, verbose, epochs, adapter.num_batches)
        self.stop_training = False
        variables = self._state_variables("train")
        train_fn = self._make_function("train", multi_step=False)
        multi_fn = self._make_function("train", multi_step=True) if self.steps_per_execution > 1 else None

        callback_list.on_train_begin()
        restored_epoch, self._initial_epoch = getattr(self, "_initial_epoch", None), None
        if restored_epoch is not None:
            initial_epoch = restored_epoch
        logs = {}
        for epoch in range(initial_epoch, epochs):
            if not adapter.has_more_epochs():
                break
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            adapter.on_epoch_begin()
            state = self._read_state(variables)
            try:
                state, step_logs = self._run_epoch(
                    adapter, train_fn, multi_fn, state, callback_list, "train"
                )
            finally:
                self._write_state(variables, state)
                adapter.on_epoch_end()
            logs = _logs_to_floats(step_logs)
            if val_adapter is not None and _should_eval(epoch, validation_freq):
                # The same callbacks see validation's on_test_* hooks, as in Keras.
                val_logs = self.evaluate(
                    verbose=0, callbacks=callback_list, return_dict=True, _adapter=val_adapter
                )
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            # With use_ema, the trained variables take their moving averages here.
            self.optimizer.finalize_variable_values(self.trainable_variables)
        callback_list.on_train_end(logs)
        return self.history

    def _run_epoch(self, adapter, step_fn, multi_fn, state, callback_list, kind):
        """Runs one pass of steps; returns the final state and the last step's logs."""
        if self._can_batch_on_device(adapter):
            return self._run_epoch_on_device(adapter, step_fn, state, callback_list, kind)
        n = self.steps_per_execution if multi_fn is not None else 1
        step_logs = {}
        step = 0
        batches = adapter.epoch()
        try:
            while True:
                group = list(itertools.islice(batches, n))
                if not group:
                    break
                if n > 1 and len(group) == n and data_adapter.same_shapes(group):
                    stacked = tree.map_structure(lambda *arrays: np.stack(arrays), *group)
                    calls = [(multi_fn, stacked, n)]
                else:
                    calls = [(step_fn, batch, 1) for batch in group]
                for fn, data, done in calls:
                    step_logs, state = self._step_with_hooks(
                        lambda st, fn=fn, data=data, done=done: fn(
                            st, self._to_backend(data, batch_axis=1 if done > 1 else 0)
                        ),
                        state, step, done, callback_list, kind,
                    )
                    step += done
                    if self.stop_training and kind == "train":
                        return state, step_logs
        finally:
            batches.close()
        return state, step_logs

    def _step_with_hooks(self, call, state, first, done, callback_list, kind):
        """Runs `call(state)` (batches `first` .. `first + done - 1`) between the batch hooks.

        The logs leave the device only when a callback wants every batch, or when the
        progress bar is about to redraw.
        """
        if callback_list.needs_batch_logs_for(kind):
            (callback_list.on_train_batch_begin if kind == "train" else callback_list.on_test_batch_begin)(first)
            step_logs, state = call(state)
            # A callback reads the model per batch: give it current weights and logs.
            self._write_state(self._state_variables(kind), state)
            end = callback_list.on_train_batch_end if kind == "train" else callback_list.on_test_batch_end
            end(first + done - 1, _logs_to_floats(step_logs))
            return step_logs, state
        step_logs, state = call(state)
        last = first + done - 1
        if callback_list.wants_progress(last):
            callback_list.on_progress(last, lambda logs=step_logs: _logs_to_floats(logs))
        return step_logs, state

    # ------------------------------------------- in-memory data on the device
    #: In-memory data up to this many bytes is moved to the device once and batched there.
    device_data_limit_bytes = 1 << 30

    def _can_batch_on_device(self, adapter) -> bool:
        if not isinstance(adapter, data_adapter.ArrayDataAdapter) or not self.jit_compile:
            return False
        if _distribution_active():
            return False
        leaves = [a for a in tree.flatten((adapter.x, adapter.y, adapter.sample_weight)) if a is not None]
        if any(a.dtype.kind not in "biuf" for a in leaves):
            return False
        return sum(a.nbytes for a in leaves) <= self.device_data_limit_bytes

    def _device_data(self, adapter):
        """The adapter's arrays on the device, converted once (cached on the adapter)."""
        cached = getattr(adapter, "_kerasish_device_data", None)
        if cached is None or cached[0] is not kb.get():
            data = self._to_backend((adapter.x, adapter.y, adapter.sample_weight))
            cached = (kb.get(), data)
            adapter._kerasish_device_data = cached
        return cached[1]

    def _indexed_function(self, kind: str, n_steps: int, batch_size: int):
        """A compiled step (or `n_steps` fused steps) that slices its batch from the epoch's
        data on the device: one call per step, with no host-to-device copy of the batch."""
        key = (kind, "indexed", n_steps, batch_size)
        if key in self._functions:
            return self._functions[key]
        backend = kb.get()
        step = self._counted(kind, {"train": self.train_step, "test": self.test_step}[kind])
        def at(data, start):
            idx = backend.add(backend.arange(0, batch_size, 1, "int32"), start)
            return tree.map_structure(lambda a: None if a is None else backend.take(a, idx, axis=0), data)

        if n_steps == 1:
            def fn(state, data, start):
                return step(state, _without_nones(at(data, start)))
        else:
            def fn(state, data, start):
                def body(carry, j):
                    out, new_state = step(carry, _without_nones(at(data, backend.add(start, backend.multiply(j, batch_size)))))
                    return new_state, out

                final_state, outs = backend.scan(body, state, backend.arange(0, n_steps, 1, "int32"))
                return tree.map_structure(lambda v: v[-1], outs), final_state

        compiled = backend.jit(fn, donate_argnums=(0,))
        self._functions[key] = compiled
        return compiled

    def _run_epoch_on_device(self, adapter, step_fn, state, callback_list, kind):
        backend = kb.get()
        batches = adapter.batch_indices()
        order = np.concatenate(batches)
        data = self._device_data(adapter)
        if len(order) != adapter.num_samples or not np.array_equal(order, np.arange(adapter.num_samples)):
            # One gather per epoch puts the samples in this epoch's order.
            gather = self._functions.get(("gather",))
            if gather is None:
                gather = self._functions[("gather",)] = backend.jit(
                    lambda d, i: tree.map_structure(lambda a: None if a is None else backend.take(a, i, axis=0), d)
                )
            data = gather(data, backend.convert_to_tensor(order.astype("int32")))
        size = adapter.batch_size
        n = self.steps_per_execution
        starts = np.concatenate([[0], np.cumsum([len(b) for b in batches])])
        step_logs, k = {}, 0
        while k < len(batches):
            if n > 1 and k + n <= len(batches) and all(len(b) == size for b in batches[k : k + n]):
                done = n
                call = lambda st, k=k: self._indexed_function(kind, n, size)(st, data, int(starts[k]))  # noqa: E731
            elif len(batches[k]) == size:
                done = 1
                call = lambda st, k=k: self._indexed_function(kind, 1, size)(st, data, int(starts[k]))  # noqa: E731
            else:
                # A smaller batch (the last of a pass) goes the ordinary way.
                done = 1
                call = lambda st, k=k: step_fn(st, self._to_backend(adapter.get_batch(batches[k])))  # noqa: E731
            step_logs, state = self._step_with_hooks(call, state, k, done, callback_list, kind)
            k += done
            if self.stop_training and kind == "train":
                break
        return state, step_logs

    # -------------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, _adapter=None):
        """Returns the loss and metrics of the model on the data.

        Args:
            x, y: as for `fit`: arrays (or lists/dicts of them) with `y`, or a
                `PyDataset`, generator or iterable of `(x, y[, sample_weight])` batches.
            batch_size: samples per batch, for array data (32 by default).
            verbose: 0 silent, 1 progress bar, 2 one line.
            sample_weight: per-sample weights, for array data.
            steps: batches to evaluate (default: all of the data).
            callbacks: `Callback` instances, or a `CallbackList` used as is.
            return_dict: return `{name: value}` rather than a list.

        Returns:
            A scalar loss (no metrics), a list `[loss, *metrics]`, or a dict when
            `return_dict=True`.
        """
        self._assert_compiled()
        internal = _adapter is not None
        if internal:
            adapter = _adapter
        else:
            if x is None:
                raise ValueError("`evaluate` needs data: received x=None.")
            adapter = data_adapter.get_data_adapter(
                x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps, shuffle=False
            )
        try:
            if not internal:
                fx, fy, _ = data_adapter.unpack_x_y_sample_weight(adapter.first_batch())
                self._ensure_built(fx, fy)
            verbose = 1 if verbose == "auto" else int(verbose)
            if isinstance(callbacks, _callback_list_class()):
                callback_list = callbacks
            else:
                callback_list = self._callback_list(
                    callbacks, verbose, 1, adapter.num_batches, mode="test", add_history=False
                )
            variables = self._state_variables("test")
            test_fn = self._make_function("test", multi_step=False)
            multi_fn = self._make_function("test", multi_step=True) if self.steps_per_execution > 1 else None
            self.reset_metrics()
            callback_list.on_test_begin()
            adapter.on_epoch_begin()
            state = self._read_state(variables)
            try:
                state, step_logs = self._run_epoch(adapter, test_fn, multi_fn, state, callback_list, "test")
            finally:
                self._write_state(variables, state)
                adapter.on_epoch_end()
        finally:
            if not internal:
                adapter.close()
        if not step_logs:
            what = "`validation_data`" if internal else "The data given to `evaluate`"
            raise ValueError(
                f"{what} yielded no batches (a generator that was already exhausted?). Use a "
                "`PyDataset` or a re-iterable object, or a generator that repeats with `steps`."
            )
        logs = _logs_to_floats(step_logs)
        callback_list.on_test_end(logs)
        return self._format_logs(logs, return_dict)

    # --------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, as NumPy arrays, computed batch by batch.

        Args:
            x: arrays (or lists/dicts of them), or a `PyDataset`, generator or iterable
                of batches (targets in the batches are ignored).
            batch_size: samples per batch, for array data (32 by default).
            verbose: 0 silent, 1 progress bar, 2 one line.
            steps: batches to predict (default: all of the data).
            callbacks: `Callback` instances.
        """
        if x is None:
            raise ValueError("`predict` needs data: received x=None.")
        distribution_lib.check_predict()
        adapter = data_adapter.get_data_adapter(x, batch_size=batch_size, steps_per_epoch=steps, shuffle=False)
        try:
            self._ensure_built(data_adapter.unpack_x_y_sample_weight(adapter.first_batch())[0])
            verbose = 1 if verbose == "auto" else int(verbose)
            callback_list = self._callback_list(
                callbacks, verbose, 1, adapter.num_batches, mode="predict", add_history=False
            )
            variables = self._state_variables("predict")
            predict_fn = self._make_function("predict", multi_step=False)
            backend = kb.get()
            state = self._read_state(variables)
            outputs = []
            needs_batch_logs = callback_list.needs_batch_logs_for("predict")
            callback_list.on_predict_begin()
            adapter.on_epoch_begin()
            batches = adapter.epoch()
            full_size = None
            pending = None  # (device outputs, real size) of the previous batch

            def to_host(item):
                out, size = item
                return tree.map_structure(lambda t: np.asarray(backend.to_numpy(t))[:size], out)

            try:
                for step, batch in enumerate(batches):
                    if needs_batch_logs:
                        callback_list.on_predict_batch_begin(step)
                    size = _batch_size(batch)
                    if full_size is None:
                        full_size = size
                    if self.jit_compile and size < full_size:
                        # A last, smaller batch is padded to the full size: one compiled
                        # function serves every batch instead of compiling again for it.
                        batch = _pad_batch(batch, full_size)
                    batch_out, non_trainable = predict_fn(state, self._to_backend(batch))
                    state = (state[0], non_trainable)
                    # Bring the previous batch to the host while this one computes.
                    if pending is not None:
                        outputs.append(to_host(pending))
                    pending = (batch_out, size)
                    if needs_batch_logs:
                        callback_list.on_predict_batch_end(step, {"outputs": batch_out})
                    elif callback_list.wants_progress(step):
                        callback_list.on_progress(step, dict)
                if pending is not None:
                    outputs.append(to_host(pending))
                # As Keras: state the model changed while predicting (a stateful RNN's
                # states) is kept.
                self._write_state(variables[1:], state[1:])
            finally:
                batches.close()
                adapter.on_epoch_end()
        finally:
            adapter.close()
        if not outputs:
            raise ValueError(
                "The data given to `predict` yielded no batches (a generator that was already exhausted?)."
            )
        callback_list.on_predict_end()
        return tree.map_structure(lambda *parts: np.concatenate(parts, axis=0), *outputs)

    # ------------------------------------------------------------ one batch
    def _one_batch(self, kind, x, y=None, sample_weight=None, class_weight=None):
        adapter = data_adapter.ArrayDataAdapter(x, y, sample_weight, batch_size=None, class_weight=class_weight)
        batch = adapter.get_batch(np.arange(adapter.num_samples))
        bx, by, _ = data_adapter.unpack_x_y_sample_weight(batch)
        self._ensure_built(bx, by)
        variables = self._state_variables(kind)
        state = self._read_state(variables)
        fn = self._make_function(kind, multi_step=False)
        if kind == "predict":
            out, non_trainable = fn(state, self._to_backend(batch))
            self._write_state(variables[1:], [non_trainable])
            return out
        try:
            out, state = fn(state, self._to_backend(batch))
        finally:
            # The state was donated: write back whatever is current, even after an error.
            self._write_state(variables, state)
        return out

    def _format_logs(self, logs, return_dict):
        logs = _logs_to_floats(logs)
        if return_dict:
            return logs
        ordered = [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]
        return ordered[0] if len(ordered) == 1 else ordered

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one training step on one batch; returns the loss and metrics (running values)."""
        self._assert_compiled()
        return self._format_logs(self._one_batch("train", x, y, sample_weight, class_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch; returns the loss and metrics (running values)."""
        self._assert_compiled()
        return self._format_logs(self._one_batch("test", x, y, sample_weight), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy arrays."""
        out = self._one_batch("predict", x)
        backend = kb.get()
        return tree.map_structure(lambda t: np.asarray(backend.to_numpy(t)), out)

    # ------------------------------------------------------------- callbacks
    def _callback_list(self, callbacks, verbose, epochs, steps, mode="train", add_history=True):
        from kerasish.callbacks import CallbackList

        return CallbackList(
            callbacks,
            add_history=add_history and mode == "train",
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )


def _callback_list_class():
    from kerasish.callbacks import CallbackList

    return CallbackList


def _check_validation_freq(validation_freq) -> None:
    if isinstance(validation_freq, bool) or not (
        (isinstance(validation_freq, int) and validation_freq >= 1)
        or (isinstance(validation_freq, (list, tuple, set)) and all(isinstance(e, int) for e in validation_freq))
    ):
        raise ValueError(
            "Expected `validation_freq` to be a positive integer or a list of epochs (1-based). "
            f"Received: validation_freq={validation_freq!r} of type {type(validation_freq).__name__}"
        )


def _should_eval(epoch: int, validation_freq) -> bool:
    """Whether to validate after `epoch` (0-based): every `validation_freq` epochs, or
    after the epochs listed (1-based), as Keras's `validation_freq` says."""
    epoch += 1
    if isinstance(validation_freq, int):
        return epoch % validation_freq == 0
    return epoch in validation_freq


def _without_nones(batch):
    """(x, y, None) -> (x, y): the batch as the steps unpack it."""
    x, y, sample_weight = batch
    return data_adapter.pack_x_y_sample_weight(x, y, sample_weight)


def _distribution_active() -> bool:
    try:
        from kerasish import distribution
    except ImportError:
        return False
    current = getattr(distribution, "distribution", None)
    return callable(current) and current() is not None


def _batch_size(batch) -> int:
    leaves = tree.flatten(batch)
    return int(np.shape(leaves[0])[0]) if leaves else 0


def _pad_batch(batch, size: int):
    """The batch with its first sample repeated at the end up to `size` samples."""
    def pad(a):
        a = np.asarray(a)
        extra = size - a.shape[0]
        return np.concatenate([a, np.repeat(a[:1], extra, axis=0)]) if extra > 0 else a

    return tree.map_structure(lambda a: None if a is None else pad(a), batch)


def _dtype_of(a) -> str:
    a = np.asarray(a)
    return kb.floatx() if a.dtype.kind == "f" else kb.standardize_dtype(a.dtype)


def _logs_to_floats(logs) -> dict:
    """Device scalars to Python floats (this waits for the device)."""
    backend = kb.get()
    out = {}
    for k in sorted(logs):
        v = logs[k]
        out[k] = float(np.asarray(backend.to_numpy(v))) if v is not None else None
    return out
