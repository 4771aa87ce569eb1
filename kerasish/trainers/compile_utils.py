"""What `compile(loss=..., metrics=...)` turns into: one loss callable and one metrics container."""

from __future__ import annotations

from kerasish import losses as losses_module
from kerasish import metrics as metrics_module
from kerasish import ops
from kerasish.backend import tree
from kerasish.metrics import Metric


def _single(structure, what):
    leaves = tree.flatten(structure)
    if len(leaves) != 1:
        raise ValueError(
            f"This model has one output, so `{what}` must be one value. Received {len(leaves)} values."
        )
    return leaves[0]


class CompileLoss:
    """The loss given to `compile`, resolved to a callable, times its weight."""

    def __init__(self, loss, loss_weights=None):
        if isinstance(loss, (list, tuple)):
            if len(loss) != 1:
                raise ValueError(
                    f"A list of {len(loss)} losses was given to `compile`, but the model has one output."
                )
            loss = loss[0]
        if isinstance(loss_weights, (list, tuple)):
            loss_weights = loss_weights[0] if len(loss_weights) == 1 else loss_weights
        if loss_weights is not None and not isinstance(loss_weights, (int, float)):
            raise ValueError(
                f"`loss_weights` must be a number for a model with one output. Received: loss_weights={loss_weights!r}"
            )
        self.loss_fn = _resolve_loss(loss)
        self.weight = 1.0 if loss_weights is None else float(loss_weights)
        self.built = False

    def build(self, y_true) -> None:
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if y_true is None:
            raise ValueError(
                "The model was compiled with a loss, but no target `y` was given. Pass `y` to fit/evaluate."
            )
        y_true = _single(y_true, "y") if isinstance(y_true, (list, tuple, dict)) else y_true
        y_pred = _single(y_pred, "y_pred") if isinstance(y_pred, (list, tuple, dict)) else y_pred
        loss = self.loss_fn(y_true, y_pred, sample_weight=sample_weight)
        return loss if self.weight == 1.0 else ops.multiply(loss, self.weight)


def _resolve_loss(identifier):
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if callable(loss):
        return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def _loss_name(loss) -> str:
    fn = getattr(loss, "fn", None)
    return getattr(fn, "__name__", "") or getattr(loss, "name", "") or ""


def _resolve_metric(identifier, y_true, y_pred, loss):
    """A Metric for `identifier`; "accuracy"/"acc" becomes the binary, categorical or
    sparse variant from the shapes and the loss, as Keras decides."""
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        y_pred_shape = tuple(y_pred.shape)
        y_true_shape = tuple(getattr(y_true, "shape", ()))
        loss_name = _loss_name(loss) if loss is not None else ""
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
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if callable(metric):
        return metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


class CompileMetrics(Metric):
    """The metrics given to `compile`, as one Metric whose result is a dict of their results."""

    def __init__(self, metrics=None, weighted_metrics=None, name="compile_metrics"):
        super().__init__(name=name)
        for what, given in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if given is not None and not isinstance(given, (list, tuple, dict)):
                raise ValueError(
                    f"Expected `{what}` argument to be a list, tuple, or dict. Received: {what}={given!r}"
                )
        self._user_metrics = list(metrics or [])
        self._user_weighted_metrics = list(weighted_metrics or [])
        self._metrics: list[Metric] = []
        self._weighted: list[Metric] = []
        self.built = False

    def build(self, y_true, y_pred, loss=None) -> None:
        y_true = _single(y_true, "y") if isinstance(y_true, (list, tuple, dict)) else y_true
        y_pred = _single(y_pred, "y_pred") if isinstance(y_pred, (list, tuple, dict)) else y_pred
        loss_fn = loss.loss_fn if loss is not None else None
        self._metrics = [_resolve_metric(m, y_true, y_pred, loss_fn) for m in self._user_metrics]
        self._weighted = [_resolve_metric(m, y_true, y_pred, loss_fn) for m in self._user_weighted_metrics]
        names = {m.name for m in self._metrics}
        for metric in self._weighted:
            if metric.name in names:
                metric.name = f"weighted_{metric.name}"
        self.built = True

    @property
    def variables(self):
        return [v for m in self._metrics + self._weighted for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            return
        y_true = _single(y_true, "y") if isinstance(y_true, (list, tuple, dict)) else y_true
        y_pred = _single(y_pred, "y_pred") if isinstance(y_pred, (list, tuple, dict)) else y_pred
        for metric in self._metrics:
            metric.update_state(y_true, y_pred)
        for metric in self._weighted:
            metric.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return {m.name: m.result() for m in self._metrics + self._weighted}

    def reset_state(self):
        for metric in self._metrics + self._weighted:
            metric.reset_state()
