"""Callbacks at work: TensorBoard logs, early stopping, a CSV log and checkpoints, in --out-dir.

Trains an MLP on scikit-learn's digits with
- `TensorBoard` (event files in OUT_DIR/logs; needs `tensorboardX`, not TensorFlow),
- `EarlyStopping` on the validation loss, restoring the best epoch's weights,
- `ReduceLROnPlateau` and `CSVLogger` (OUT_DIR/training.csv),
- `ModelCheckpoint`, keeping the best epoch's weights (OUT_DIR/best.weights.h5), and the
  whole model of the last epoch (OUT_DIR/last.keras),
then loads the checkpoint into a fresh model and checks that it predicts the same.

    python examples/callbacks_tensorboard_checkpoints.py --out-dir runs/digits
    tensorboard --logdir runs/digits/logs
"""

from __future__ import annotations

import argparse
import os


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--out-dir", default="callbacks_run", help="where logs and checkpoints are written")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import kerasish as keras
    from kerasish import layers

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)
    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint_path = os.path.join(args.out_dir, "best.weights.h5")

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)

    def make_model():
        return keras.Sequential([
            keras.Input(shape=(64,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ])

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True, verbose=1),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, verbose=1),
        keras.callbacks.CSVLogger(os.path.join(args.out_dir, "training.csv")),
        keras.callbacks.ModelCheckpoint(checkpoint_path, monitor="val_loss", save_best_only=True, save_weights_only=True),
        keras.callbacks.ModelCheckpoint(os.path.join(args.out_dir, "last.keras")),
    ]
    log_dir = os.path.join(args.out_dir, "logs")
    try:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1))
    except ImportError as error:  # tensorboardX is an optional dependency
        log_dir = None
        print(f"Not writing TensorBoard logs: {error}")

    model = make_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training on the {keras.backend.backend()} backend, at most {args.epochs} epochs")
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.2, callbacks=callbacks,
        verbose=args.verbose,
    )
    epochs_run = len(history.epoch)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    restored = make_model()
    restored.load_weights(checkpoint_path)
    same = bool(np.allclose(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0), atol=1e-6))
    print(f"Ran {epochs_run} of {args.epochs} epochs; test accuracy {accuracy:.4f}")
    print(f"Checkpoint {checkpoint_path}: {'the best epoch' if same else 'differs from the model'}")
    if log_dir:
        print(f"TensorBoard logs in {log_dir}: tensorboard --logdir {log_dir}")
    return {"epochs_run": epochs_run, "accuracy": accuracy, "checkpoint_matches": same, "log_dir": log_dir}


if __name__ == "__main__":
    main()
