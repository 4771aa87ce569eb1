"""TensorBoard: event files for TensorBoard, written without TensorFlow (through tensorboardX)."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

import kerasish.backend as kb
from kerasish.callbacks.callback import Callback


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ImportError(
            "The TensorBoard callback writes TensorBoard's event files through the `tensorboardX` "
            "package, which is not installed: `pip install tensorboardX` (or `pip install "
            "kerasish[tensorboard]`). TensorFlow is not needed."
        ) from e
    return SummaryWriter


class TensorBoard(Callback):
    """Writes logs that TensorBoard shows: scalars, weight histograms, the model, a profile.

    Scalars go to `<log_dir>/train` and `<log_dir>/validation` as `epoch_<name>` per epoch
    (with the learning rate as `epoch_learning_rate`) and, with `update_freq="batch"` or an
    integer N, as `batch_<name>` every N steps — as Keras names them, so dashboards made for
    Keras work. Run `tensorboard --logdir <log_dir>` to look.

    Args:
        log_dir: the folder of the event files.
        histogram_freq: write histograms of every weight every this many epochs (0: never).
        write_graph: write the model's summary table and its graph (as DOT text) as text.
        write_images: write each 2-D-or-more weight as an image every `histogram_freq` epochs.
        write_steps_per_second: add `epoch_steps_per_second`.
        update_freq: "epoch", "batch", or an integer: write batch-level scalars every that
            many batches. Batch-level writing fetches logs from the device every batch.
        profile_batch: an int N (profile batch N) or a pair (start, stop) of 1-based training
            batches to record with the backend's profiler (the JAX profiler); 0 disables.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self._writer_class = _summary_writer_class()
        if embeddings_freq:
            raise ValueError(
                "TensorBoard(embeddings_freq=...) is not available in kerasish: the embedding "
                f"projector needs TensorFlow checkpoints. Received: embeddings_freq={embeddings_freq}"
            )
        del embeddings_metadata
        if update_freq != "epoch" and update_freq != "batch" and not (
            isinstance(update_freq, int) and update_freq > 0
        ):
            raise ValueError(f"`update_freq` must be 'epoch', 'batch' or a positive integer. Received: {update_freq!r}")
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"`histogram_freq` must be a non-negative integer. Received: {histogram_freq!r}")
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._profile_range = self._parse_profile_batch(profile_batch)
        self._writers: dict = {}
        self._global_train_batch = 0
        self._epoch_start = None
        self._profiling = False
        if self.update_freq == "epoch" and self._profile_range is None:
            # Nothing to do per batch: fall back to the base hooks so that training does
            # not fetch logs from the device every step on this callback's account.
            self.on_train_batch_begin = Callback.on_train_batch_begin.__get__(self)
            self.on_train_batch_end = Callback.on_train_batch_end.__get__(self)

    @staticmethod
    def _parse_profile_batch(profile_batch):
        if profile_batch in (0, None, (0, 0)):
            return None
        if isinstance(profile_batch, int) and profile_batch > 0:
            return profile_batch, profile_batch
        if isinstance(profile_batch, str):
            profile_batch = tuple(int(p) for p in profile_batch.split(","))
        if (isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2
                and all(isinstance(p, int) and p > 0 for p in profile_batch) and profile_batch[0] <= profile_batch[1]):
            return tuple(profile_batch)
        raise ValueError(
            "`profile_batch` must be a non-negative integer or a pair (start, stop) of positive integers "
            f"with start <= stop. Received: profile_batch={profile_batch!r}"
        )

    def _writer(self, name: str):
        if name not in self._writers:
            self._writers[name] = self._writer_class(logdir=os.path.join(self.log_dir, name))
        return self._writers[name]

    # ------------------------------------------------------------- training
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph:
            self._write_model()
        if self._profile_range is not None and not kb.get().supports_profiling:
            warnings.warn(
                f"TensorBoard(profile_batch=...): the {kb.backend()!r} backend has no profiler, so no "
                "profile is written. Profiling needs a backend with supports_profiling (JAX).",
                stacklevel=2,
            )
            self._profile_range = None

    def on_train_batch_begin(self, batch, logs=None):
        if self._profile_range is not None and self._global_train_batch + 1 == self._profile_range[0]:
            kb.get().start_trace(os.path.join(self.log_dir, "train"))
            self._profiling = True

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", float(value), step)
        if self._profiling and step >= self._profile_range[1]:
            kb.get().stop_trace()
            self._profiling = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_first_batch = self._global_train_batch

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        learning_rate = self._learning_rate()
        if learning_rate is not None:
            train.setdefault("learning_rate", learning_rate)
        if self.write_steps_per_second and self._epoch_start is not None:
            steps = (self.params or {}).get("steps") or 0
            elapsed = time.perf_counter() - self._epoch_start
            if steps and elapsed > 0:
                train["steps_per_second"] = steps / elapsed
        for name, values in (("train", train), ("validation", validation)):
            if not values:
                continue
            writer = self._writer(name)
            for key, value in values.items():
                writer.add_scalar(f"epoch_{key}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        if self._profiling:
            kb.get().stop_trace()
            self._profiling = False
        self._close()

    def on_test_end(self, logs=None):
        for writer in self._writers.values():
            writer.flush()

    # -------------------------------------------------------------- writers
    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        try:
            return float(np.asarray(optimizer.learning_rate))
        except (TypeError, ValueError, AttributeError):
            return None

    def _write_model(self):
        from kerasish.utils import summary_utils

        lines: list[str] = []
        summary_utils.print_summary(self.model, line_length=100, print_fn=lambda text, *a, **k: lines.append(text))
        writer = self._writer("train")
        # TensorBoard renders text as Markdown: indent four spaces to keep the table.
        writer.add_text("model/summary", "\n".join("    " + line for line in "".join(lines).splitlines()), 0)
        try:
            from kerasish.utils.model_visualization import model_to_dot

            dot = model_to_dot(self.model, show_shapes=True).to_string()
            writer.add_text("model/graph_dot", "\n".join("    " + line for line in dot.splitlines()), 0)
        except (ImportError, ValueError):
            pass  # pydot missing, or a model without a drawable graph: the summary is enough

    def _write_weights(self, epoch):
        writer = self._writer("train")
        for variable in self.model.weights:
            values = variable.numpy()
            tag = variable.path.replace(":", "_")
            writer.add_histogram(tag, values.astype("float64"), epoch)
            if self.write_images and values.ndim >= 2:
                image = values.reshape(values.shape[0], -1)
                span = float(image.max() - image.min()) or 1.0
                writer.add_image(f"{tag}/image", (image - image.min()) / span, epoch, dataformats="HW")

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
