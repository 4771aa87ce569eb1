"""What `compile(loss=..., metrics=...)` turns into, for models with one or many outputs.

Outputs are taken in the order of the model's flattened output structure and named as
Keras names them: the keys of a dict output, else the names of the layers producing
the outputs. Logs follow Keras: `loss` is the weighted total; with several outputs,
`<output>_loss` per output and `<output>_<metric>` per metric.
"""

from __future__ import annotations

from kerasish import losses as losses_module
from kerasish import metrics as metrics_module
from kerasish import ops
from kerasish.backend import tree
from kerasish.metrics import Mean, Metric


def align_to_outputs(structure, output_names: list[str], what: str, allow_single: bool = True) -> list:
    """`structure` (one value, a list or a dict by output name) as one entry per output."""
    n = len(output_names)
    if isinstance(structure, dict):
        unknown = [k for k in structure if k not in output_names]
        if unknown:
            raise ValueError(
                f"`{what}` has keys {unknown} that are not outputs of the model. "
                f"Output names: {output_names}"
            )
        return [structure.get(name) for name in output_names]
    if isinstance(structure, (list, tuple)):
        if len(structure) != n:
            raise ValueError(
                f"`{what}` has {len(structure)} entries but the model has {n} output(s) {output_names}."
            )
        return list(structure)
    if not allow_single and n > 1 and structure is not None:
        raise ValueError(
            f"For a model with {n} outputs {output_names}, `{what}` must be a list with one entry per "
            f"output or a dict by output name. Received: {structure!r}"
        )
    return [structure] * n


def _resolve_loss(identifier):
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if callable(loss):
        return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def _loss_name(loss) -> str:
    if loss is None:
        return ""
    fn = getattr(loss, "fn", None)
    return getattr(fn, "__name__", "") or getattr(loss, "name", "") or ""


class CompileLoss:
    """The losses given to `compile`, one per output, weighted and summed."""

    def __init__(self, loss, loss_weights=None):
        self._loss = loss
        self._loss_weights = loss_weights
        self.built = False
        self.output_names: list[str] = []
        self._fns: list = []
        self._weights: list[float] = []
        self.trackers: list[Metric] = []

    def build(self, y_true, y_pred, output_names: list[str]) -> None:
        self.output_names = list(output_names)
        n = len(self.output_names)
        given = self._loss
        if isinstance(given, (list, tuple)) and len(given) == 1 and n == 1:
            given = given[0]
        self._fns = [_resolve_loss(g) for g in align_to_outputs(given, self.output_names, "loss")]
        weights = self._loss_weights
        if isinstance(weights, (list, tuple)) and len(weights) == 1 and n == 1:
            weights = weights[0]
        if weights is not None and not isinstance(weights, (int, float, list, tuple, dict)):
            raise ValueError(f"`loss_weights` must be a number, a list or a dict. Received: {weights!r}")
        aligned = align_to_outputs(weights, self.output_names, "loss_weights")
        self._weights = [1.0 if w is None else float(w) for w in aligned]
        if all(fn is None for fn in self._fns):
            raise ValueError(f"`loss` gives no loss for any output of the model {self.output_names}.")
        self.trackers = (
            [Mean(name=f"{name}_loss") for name, fn in zip(self.output_names, self._fns) if fn is not None]
            if n > 1
            else []
        )
        self.built = True

    @property
    def loss_fns(self) -> list:
        return self._fns

    def per_output(self, y_true, y_pred, sample_weight=None) -> list:
        """Each output's (unweighted) loss, None where an output has no loss."""
        if y_true is None:
            raise ValueError(
                "The model was compiled with a loss, but no target `y` was given. Pass `y` to fit/evaluate."
            )
        preds = tree.flatten(y_pred)
        trues = align_to_outputs(y_true, self.output_names, "y", allow_single=len(preds) == 1)
        weights = (
            align_to_outputs(sample_weight, self.output_names, "sample_weight")
            if isinstance(sample_weight, (list, tuple, dict))
            else [sample_weight] * len(preds)
        )
        values = []
        for name, fn, t, p, w in zip(self.output_names, self._fns, trues, preds, weights):
            if fn is None:
                values.append(None)
                continue
            if t is None:
                raise ValueError(f"No target was given for output {name!r}, which has a loss.")
            values.append(fn(t, p, sample_weight=w))
        return values

    def __call__(self, y_true, y_pred, sample_weight=None):
        total = None
        for value, weight in zip(self.per_output(y_true, y_pred, sample_weight), self._weights):
            if value is None:
                continue
            term = value if weight == 1.0 else ops.multiply(value, weight)
            total = term if total is None else ops.add(total, term)
        return total


def _resolve_metric(identifier, y_true, y_pred, loss):
    """A Metric for `identifier`; "accuracy"/"acc" becomes the binary, categorical or
    sparse variant from the shapes and the loss, as Keras decides."""
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        y_pred_shape = tuple(y_pred.shape)
        y_true_shape = tuple(getattr(y_true, "shape", ()))
        loss_name = _loss_name(loss)
        is_binary = (y_pred_shape and y_pred_shape[-1] == 1) or "binary" in loss_name
        is_sparse = "sparse" in loss_name or len(y_true_shape) < len(y_pred_shape) or (
            len(y_true_shape) == len(y_pred_shape) and y_true_shape and y_true_shape[-1] == 1
        )
        if is_binary:
            return metrics_module.BinaryAccuracy(name=identifier)
        if is_sparse:
            return metrics_module.SparseCategoricalAccuracy(name=identifier)
        return metrics_module.CategoricalAccuracy(name=identifier)
    metric = metrics_module.get(identifier)
    if isinstance(metric, type) and issubclass(metric, Metric):
        metric = metric()
    elif not isinstance(metric, Metric):
        if not callable(metric):
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
        metric = metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))
    if isinstance(identifier, str):
        metric.name = identifier  # logs use the name the user wrote ("mae", "acc")
    return metric


class CompileMetrics(Metric):
    """The metrics given to `compile`, as one Metric whose result is a dict of their results."""

    def __init__(self, metrics=None, weighted_metrics=None, name="compile_metrics"):
        super().__init__(name=name)
        for what, given in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if given is not None and not isinstance(given, (list, tuple, dict)):
                raise ValueError(
                    f"Expected `{what}` argument to be a list, tuple, or dict. Received: {what}={given!r}"
                )
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        # One list of metrics per output, for unweighted and weighted metrics.
        self._per_output: list[list[Metric]] = []
        self._per_output_weighted: list[list[Metric]] = []
        self.output_names: list[str] = []
        self.built = False

    def _build_set(self, given, y_trues, y_preds, loss_fns, what):
        n = len(self.output_names)
        if given is None:
            return [[] for _ in range(n)]
        if n == 1:
            per_output = [list(given.values())[0] if isinstance(given, dict) else given]
            if isinstance(given, dict) and list(given) != self.output_names:
                per_output = align_to_outputs(given, self.output_names, what)
        elif isinstance(given, dict) or (given and all(isinstance(g, (list, tuple)) or g is None for g in given)):
            per_output = align_to_outputs(given, self.output_names, what)
        else:
            raise ValueError(
                f"For a model with multiple outputs, when providing the `{what}` argument as a list, it "
                f"should have as many entries as the model has outputs ({n}: {self.output_names}), each a "
                f"list of metrics (or a dict by output name). Received: {what}={given!r}"
            )
        built = []
        for items, t, p, loss in zip(per_output, y_trues, y_preds, loss_fns):
            if items is None:
                built.append([])
                continue
            if not isinstance(items, (list, tuple)):
                items = [items]
            built.append([_resolve_metric(m, t, p, loss) for m in items])
        return built

    def build(self, y_true, y_pred, output_names: list[str], loss_fns=None) -> None:
        self.output_names = list(output_names)
        y_preds = tree.flatten(y_pred)
        y_trues = align_to_outputs(y_true, self.output_names, "y", allow_single=len(y_preds) == 1)
        loss_fns = loss_fns or [None] * len(y_preds)
        self._per_output = self._build_set(self._user_metrics, y_trues, y_preds, loss_fns, "metrics")
        self._per_output_weighted = self._build_set(
            self._user_weighted_metrics, y_trues, y_preds, loss_fns, "weighted_metrics"
        )
        multi = len(self.output_names) > 1
        for name, unweighted, weighted in zip(self.output_names, self._per_output, self._per_output_weighted):
            names = {m.name for m in unweighted}
            for metric in weighted:
                if metric.name in names:
                    metric.name = f"weighted_{metric.name}"
            if multi:
                for metric in unweighted + weighted:
                    metric.name = f"{name}_{metric.name}"
        self.built = True

    @property
    def _all(self) -> list[Metric]:
        return [m for group in self._per_output + self._per_output_weighted for m in group]

    @property
    def variables(self):
        return [v for m in self._all for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            return
        y_preds = tree.flatten(y_pred)
        y_trues = align_to_outputs(y_true, self.output_names, "y", allow_single=len(y_preds) == 1)
        weights = (
            align_to_outputs(sample_weight, self.output_names, "sample_weight")
            if isinstance(sample_weight, (list, tuple, dict))
            else [sample_weight] * len(y_preds)
        )
        for i, (t, p) in enumerate(zip(y_trues, y_preds)):
            for metric in self._per_output[i]:
                metric.update_state(t, p)
            for metric in self._per_output_weighted[i]:
                metric.update_state(t, p, sample_weight=weights[i])

    def result(self):
        return {m.name: m.result() for m in self._all}

    def reset_state(self):
        for metric in self._all:
            metric.reset_state()
