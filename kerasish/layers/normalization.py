"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, RMSNormalization."""

from __future__ import annotations

import warnings
from typing import Any

from kerasish import constraints, initializers, ops, regularizers
from kerasish.backend.dtypes import result_dtype
from kerasish.layers.layer import Layer


def _check_float(name: str, value: Any, layer: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Argument `{name}` of {layer} must be a number. Received: {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"Argument `{name}` of {layer} must be >= {minimum}. Received: {name}={value!r}")
    return float(value)


def _check_axis_in_range(layer: Layer, axes, input_shape) -> None:
    ndim = len(input_shape)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"Layer {layer.name!r} ({type(layer).__name__}): axis {a} is out of bounds for an input of "
                f"rank {ndim}. Received: axis={layer.axis}, input_shape={tuple(input_shape)}"
            )


def _check_built_shape(layer: Layer, inputs, built_ndim: int, axes_sizes: dict) -> None:
    """Raises if `inputs` differ from the shape the layer was built for (rank and normalized axes)."""
    shape = tuple(ops.shape(inputs))
    if len(shape) != built_ndim:
        raise ValueError(
            f"Input of layer {layer.name!r} ({type(layer).__name__}) is incompatible: expected ndim={built_ndim}, "
            f"found ndim={len(shape)}. Full shape received: {shape}"
        )
    for axis, size in axes_sizes.items():
        if shape[axis] is not None and shape[axis] != size:
            raise ValueError(
                f"Input of layer {layer.name!r} ({type(layer).__name__}) is incompatible: expected axis {axis} "
                f"to have size {size}, found {shape[axis]}. Full shape received: {shape}"
            )


class _SqrtOf:
    """An initializer giving the square root of another one's values (renorm's stddev)."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None):
        return ops.sqrt(self.initializer(shape, dtype=dtype))


class BatchNormalization(Layer):
    """Normalizes its inputs with batch statistics while training and moving statistics otherwise.

    While training (`fit`, or a call with `training=True`) the output is
    `gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`, the statistics taken over
    every axis but `axis` of the current batch, and the moving statistics move toward
    them: `moving_mean = moving_mean * momentum + mean(x) * (1 - momentum)` (the same
    for `moving_variance`). In inference (`evaluate`, `predict`, `training=False`) the
    moving statistics take the place of the batch's.

    The moving statistics are non-trainable weights updated with `assign`; inside the
    compiled train step the updates come out as the step's new non-trainable state.

    Setting `trainable = False` freezes the layer as Keras 3 does: its weights are not
    trained, its moving statistics are not updated, and it runs in inference mode even
    when called with `training=True` (so that fine-tuning a frozen model keeps the
    statistics it learned).

    Args:
        axis: the features axis (e.g. `1` after a channels-first convolution).
        momentum: momentum of the moving averages.
        epsilon: added to the variance so that nothing divides by zero.
        center: add the learned offset `beta`.
        scale: multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer: initializers of the two weights.
        moving_mean_initializer, moving_variance_initializer: initializers of the
            moving statistics.
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: projections after each update.
        renorm: use batch renormalization (Ioffe, 2017): while training, the batch
            statistics are corrected toward moving ones by factors `r` and `d`.
        renorm_clipping: a dict with optional keys "rmax", "rmin", "dmax" bounding
            the renormalization corrections.
        renorm_momentum: momentum of the moving statistics used by renormalization.
        synchronized: accepted for Keras compatibility; statistics are always those
            of the whole global batch (see `kerasish.ops.moments`).

    Call arguments:
        inputs: a tensor of any rank.
        training: normalize with the batch's statistics (and update the moving ones).
        mask: optional boolean tensor of the input's shape without its last axis;
            masked positions do not count in the batch statistics.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Argument `axis` of BatchNormalization must be an int. Received: axis={axis!r}")
        self.axis = int(axis)
        self.momentum = _check_float("momentum", momentum, "BatchNormalization")
        self.epsilon = _check_float("epsilon", epsilon, "BatchNormalization", minimum=0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = bool(synchronized)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = bool(renorm)
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(
                    "Received invalid keys for `renorm_clipping` argument of BatchNormalization: "
                    f"{sorted(unknown)}. Supported keys: ['dmax', 'rmax', 'rmin']. "
                    f"Received: renorm_clipping={renorm_clipping}"
                )
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    "`renorm_clipping`: rmax must be greater than or equal to rmin. "
                    f"Received: rmax={rmax}, rmin={rmin}"
                )
            if dmax is not None and dmax < 0:
                raise ValueError(f"`renorm_clipping`: dmax must be non-negative. Received: dmax={dmax}")
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = _check_float("renorm_momentum", renorm_momentum, "BatchNormalization")
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        _check_axis_in_range(self, (self.axis,), input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Layer {self.name!r} (BatchNormalization): axis {self.axis} of the input must have a known "
                f"size. Received: input_shape={input_shape}"
            )
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, trainable=True,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, trainable=True,
                autocast=False,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False,
            autocast=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            autocast=False,
        )
        if self.renorm:
            # Renormalization tracks a moving stddev (the paper's quantity) and derives
            # moving_variance from it.
            stddev_init = _SqrtOf(self.moving_variance_initializer)
            self.moving_stddev = self.add_weight(
                name="moving_stddev", shape=shape, initializer=stddev_init, trainable=False, autocast=False
            )
            self.renorm_mean = self.add_weight(
                name="renorm_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False,
                autocast=False,
            )
            self.renorm_stddev = self.add_weight(
                name="renorm_stddev", shape=shape, initializer=stddev_init, trainable=False, autocast=False
            )
        ndim = len(input_shape)
        self._built_ndim = ndim
        self._axis_index = self.axis % ndim
        self._reduction_axes = [a for a in range(ndim) if a != self._axis_index]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        _check_built_shape(self, inputs, self._built_ndim, {self._axis_index: self.moving_mean.shape[0]})
        if mask is not None and len(ops.shape(mask)) != len(ops.shape(inputs)) - 1:
            raise ValueError(
                f"Layer {self.name!r} (BatchNormalization): the mask must have one dimension less than the "
                f"inputs. Received: mask.shape={tuple(ops.shape(mask))}, inputs.shape={tuple(ops.shape(inputs))}"
            )
        # Statistics of half-precision inputs overflow easily: compute in float32 at least.
        dtype = result_dtype(ops.dtype(inputs), "float32")
        inputs = ops.cast(inputs, dtype)
        moving_mean = ops.cast(self.moving_mean, dtype)
        moving_variance = ops.cast(self.moving_variance, dtype)
        gamma = ops.cast(self.gamma, dtype) if self.scale else None
        beta = ops.cast(self.beta, dtype) if self.center else None

        if training and self.trainable:
            mean, variance = self._moments(inputs, mask)
            if self.renorm:
                r, d = self._renorm_corrections(mean, variance)
                gamma, beta = self._compose_renorm(r, d, gamma, beta, dtype)
                self._update_renorm_statistics(mean, variance)
            else:
                self.moving_mean.assign(
                    ops.add(ops.multiply(moving_mean, self.momentum), ops.multiply(mean, 1.0 - self.momentum))
                )
                self.moving_variance.assign(
                    ops.add(
                        ops.multiply(moving_variance, self.momentum), ops.multiply(variance, 1.0 - self.momentum)
                    )
                )
        else:
            mean, variance = moving_mean, moving_variance

        outputs = ops.batch_normalization(
            inputs, mean, variance, axis=self._axis_index, offset=beta, scale=gamma, epsilon=self.epsilon
        )
        return ops.cast(outputs, self.compute_dtype)

    def _moments(self, inputs, mask):
        if mask is None:
            return ops.moments(inputs, axes=self._reduction_axes, synchronized=self.synchronized)
        keep = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), ops.shape(inputs))
        weights = ops.cast(keep, ops.dtype(inputs))
        zero = ops.zeros((), ops.dtype(inputs))
        count = ops.add(ops.sum(weights, axis=self._reduction_axes, keepdims=True), 1e-7)
        mean = ops.divide(ops.sum(ops.where(keep, inputs, zero), axis=self._reduction_axes, keepdims=True), count)
        centered = ops.where(keep, ops.subtract(inputs, mean), zero)
        variance = ops.divide(ops.sum(ops.square(centered), axis=self._reduction_axes, keepdims=True), count)
        return (
            ops.squeeze(mean, axis=self._reduction_axes),
            ops.squeeze(variance, axis=self._reduction_axes),
        )

    # ---------------------------------------------------------- renormalization
    def _renorm_corrections(self, mean, variance):
        stddev = ops.sqrt(ops.add(variance, self.epsilon))
        renorm_mean = ops.cast(self.renorm_mean, ops.dtype(mean))
        # Early in training the moving stddev may be tiny: bound it away from zero.
        renorm_stddev = ops.maximum(ops.cast(self.renorm_stddev, ops.dtype(mean)), self.epsilon**0.5)
        r = ops.divide(stddev, renorm_stddev)
        d = ops.divide(ops.subtract(mean, renorm_mean), renorm_stddev)
        clipping = self.renorm_clipping or {}
        if clipping.get("rmin") is not None:
            r = ops.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = ops.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = ops.clip(d, -clipping["dmax"], clipping["dmax"])
        return r, d

    @staticmethod
    def _compose_renorm(r, d, gamma, beta, dtype):
        # (x_hat * r + d) * gamma + beta, with r and d treated as constants (as the paper says).
        r, d = ops.stop_gradient(r), ops.stop_gradient(d)
        if gamma is not None:
            new_gamma, new_beta = ops.multiply(r, gamma), ops.multiply(d, gamma)
        else:
            new_gamma, new_beta = ops.cast(r, dtype), ops.cast(d, dtype)
        if beta is not None:
            new_beta = ops.add(new_beta, beta)
        return new_gamma, new_beta

    def _update_renorm_statistics(self, mean, variance):
        stddev = ops.sqrt(ops.add(variance, self.epsilon))

        def moved(variable, new, momentum):
            old = ops.cast(variable, ops.dtype(new))
            return ops.add(ops.multiply(old, momentum), ops.multiply(new, 1.0 - momentum))

        self.renorm_mean.assign(moved(self.renorm_mean, mean, self.renorm_momentum))
        self.renorm_stddev.assign(moved(self.renorm_stddev, stddev, self.renorm_momentum))
        self.moving_mean.assign(moved(self.moving_mean, mean, self.momentum))
        new_stddev = moved(self.moving_stddev, stddev, self.momentum)
        self.moving_stddev.assign(new_stddev)
        # relu: rounding must not make the derived variance negative.
        self.moving_variance.assign(ops.relu(ops.subtract(ops.square(new_stddev), self.epsilon)))

    def compute_output_shape(self, input_shape):
        _check_axis_in_range(self, (self.axis,), input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _axes_argument(axis, layer: str):
    if isinstance(axis, (list, tuple)):
        if not axis or not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise TypeError(
                f"Argument `axis` of {layer} must be an int or a non-empty list/tuple of ints. Received: axis={axis!r}"
            )
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(f"Argument `axis` of {layer} must be an int or a list/tuple of ints. Received: axis={axis!r}")


class LayerNormalization(Layer):
    """Normalizes each example over `axis`: `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    Unlike BatchNormalization the statistics are those of each example alone, so
    training and inference compute the same thing and there is no moving state.

    Args:
        axis: the axis, or list of axes, to normalize over (and that `gamma` and
            `beta` span). Defaults to the last axis.
        epsilon: added to the variance so that nothing divides by zero.
        center: add the learned offset `beta`.
        scale: multiply by the learned scale `gamma`.
        rms_scaling: deprecated in Keras 3 and kept for compatibility: ignores
            `center` and `scale` and returns `x / sqrt(var(x) + epsilon) * gamma`
            (it divides by the standard deviation, not the root mean square; for true
            RMS normalization use `RMSNormalization`).
        beta_initializer, gamma_initializer: initializers of the two weights.
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: projections after each update.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        axis: int | list[int] | tuple[int, ...] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras 3). This argument scales the "
                "input by its variance, not its root mean square. For RMS normalization, use "
                "`kerasish.layers.RMSNormalization` instead.",
                UserWarning,
                stacklevel=2,
            )
        self.axis = _axes_argument(axis, "LayerNormalization")
        self.epsilon = _check_float("epsilon", epsilon, "LayerNormalization", minimum=0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axis_in_range(self, axes, input_shape)
        ndim = len(input_shape)
        # Keras keeps `axis` as a sorted list once built (its config says so too).
        self.axis = sorted(axes)
        self._axes = sorted(a % ndim for a in axes)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer {self.name!r} (LayerNormalization): the normalized axes {self.axis} must have known sizes. "
                f"Received: input_shape={input_shape}"
            )
        self._built_ndim = ndim
        self._param_dims = shape
        self.gamma = None
        self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, trainable=True,
                autocast=False,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, trainable=True,
                autocast=False,
            )
        self.built = True

    def call(self, inputs):
        shape = tuple(ops.shape(inputs))
        _check_built_shape(self, inputs, self._built_ndim, dict(zip(self._axes, self._param_dims)))
        dtype = result_dtype(ops.dtype(inputs), "float32")
        x = ops.cast(inputs, dtype)
        broadcast = [1] * len(shape)
        for a in self._axes:
            broadcast[a] = shape[a]

        def expand(weight):
            return None if weight is None else ops.reshape(ops.cast(weight, dtype), broadcast)

        gamma, beta = expand(self.gamma), expand(self.beta)
        if self.rms_scaling:
            inv = ops.divide(1.0, ops.sqrt(ops.add(ops.var(x, axis=self._axes, keepdims=True), self.epsilon)))
            outputs = ops.multiply(ops.multiply(x, inv), gamma)
        else:
            mean, variance = ops.moments(x, axes=self._axes, keepdims=True)
            inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
            if gamma is not None:
                inv = ops.multiply(inv, gamma)
            shift = ops.negative(ops.multiply(mean, inv))
            if beta is not None:
                shift = ops.add(shift, beta)
            outputs = ops.add(ops.multiply(x, inv), shift)
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axis_in_range(self, axes, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalizes each group of each example.

    The statistics are taken over every axis but the batch axis and the group, within
    each group of `channels / groups` channels. With `groups=1` it is close to
    LayerNormalization; with `groups=-1` (one group per channel) it is Instance
    Normalization. `gamma` and `beta` have one value per channel.

    Args:
        groups: the number of groups; must divide the number of channels. `-1`
            means one group per channel.
        axis: the channels axis.
        epsilon: added to the variance so that nothing divides by zero.
        center: add the learned offset `beta`.
        scale: multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer: initializers of the two weights.
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: projections after each update.

    Input shape:
        Arbitrary, with the batch axis first.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups < 1 and groups != -1):
            raise ValueError(
                f"Argument `groups` of GroupNormalization must be a positive integer or -1. Received: groups={groups!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Argument `axis` of GroupNormalization must be an int. Received: axis={axis!r}")
        self.groups = groups
        self.axis = axis
        self.epsilon = _check_float("epsilon", epsilon, "GroupNormalization", minimum=0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        _check_axis_in_range(self, (self.axis,), input_shape)
        ndim = len(input_shape)
        axis = self.axis % ndim
        if axis == 0:
            raise ValueError(
                f"Layer {self.name!r} (GroupNormalization): `axis` cannot be the batch axis. "
                f"Received: axis={self.axis}, input_shape={input_shape}"
            )
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Layer {self.name!r} (GroupNormalization): axis {self.axis} of the input must have a known size. "
                f"Received: input_shape={input_shape}"
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Layer {self.name!r} (GroupNormalization): the number of groups ({self.groups}) cannot be more "
                f"than the number of channels ({dim}). Received: input_shape={input_shape}"
            )
        if dim % self.groups:
            raise ValueError(
                f"Layer {self.name!r} (GroupNormalization): the number of channels ({dim}) must be a multiple of "
                f"the number of groups ({self.groups}). Received: input_shape={input_shape}"
            )
        self._built_ndim = ndim
        self._axis_index = axis
        self._channels = dim
        self.gamma = None
        self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=(dim,), initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=(dim,), initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )
        self.built = True

    def call(self, inputs):
        _check_built_shape(self, inputs, self._built_ndim, {self._axis_index: self._channels})
        shape = tuple(ops.shape(inputs))
        axis, groups = self._axis_index, self.groups
        # (..., C, ...) -> (..., groups, C // groups, ...): the group becomes its own axis.
        grouped_shape = [-1, *shape[1:axis], groups, self._channels // groups, *shape[axis + 1 :]]
        x = ops.reshape(inputs, grouped_shape)
        reduction = [a for a in range(1, len(grouped_shape)) if a != axis]
        mean, variance = ops.moments(x, axes=reduction, keepdims=True)
        broadcast = [1] * len(grouped_shape)
        broadcast[axis], broadcast[axis + 1] = groups, self._channels // groups
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(ops.cast(self.gamma, ops.dtype(x)), broadcast))
        shift = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            shift = ops.add(shift, ops.reshape(ops.cast(self.beta, ops.dtype(x)), broadcast))
        return ops.reshape(ops.add(ops.multiply(x, inv), shift), shape)

    def compute_output_shape(self, input_shape):
        _check_axis_in_range(self, (self.axis,), input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class RMSNormalization(Layer):
    """Root-mean-square normalization: `x / sqrt(mean(x**2) + epsilon) * scale` over `axis`.

    Args:
        axis: the axis, or list of axes, to normalize over (and that `scale` spans).
        epsilon: added to the mean square so that nothing divides by zero.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, axis: int | list[int] | tuple[int, ...] = -1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_argument(axis, "RMSNormalization")
        self.epsilon = _check_float("epsilon", epsilon, "RMSNormalization", minimum=0.0)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axis_in_range(self, axes, input_shape)
        self.axis = sorted(axes)
        ndim = len(input_shape)
        self._axes = sorted(a % ndim for a in axes)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer {self.name!r} (RMSNormalization): the normalized axes {self.axis} must have known sizes. "
                f"Received: input_shape={input_shape}"
            )
        self._built_ndim = ndim
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, inputs):
        _check_built_shape(self, inputs, self._built_ndim, dict(zip(self._axes, self.scale.shape)))
        shape = tuple(ops.shape(inputs))
        dtype = result_dtype(ops.dtype(inputs), "float32")
        x = ops.cast(inputs, dtype)
        broadcast = [1] * len(shape)
        for a in self._axes:
            broadcast[a] = shape[a]
        mean_square = ops.mean(ops.square(x), axis=self._axes, keepdims=True)
        outputs = ops.divide(x, ops.sqrt(ops.add(mean_square, self.epsilon)))
        outputs = ops.multiply(outputs, ops.reshape(ops.cast(self.scale, dtype), broadcast))
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axis_in_range(self, axes, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
