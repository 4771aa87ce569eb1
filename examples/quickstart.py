"""Quickstart: an MLP that learns to read handwritten digits (scikit-learn's 8x8 digits).

Run it with `make demo`, or `python examples/quickstart.py --backend numpy`.
"""

from __future__ import annotations

import argparse
import os


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--verbose", type=int, default=2)
    parser.add_argument("--out-dir", default=".", help="where model.png and history.png are written")
    parser.add_argument("--no-plots", action="store_true", help="skip writing the pictures")
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import kerasish as keras

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(42)

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")  # 8x8 pixels, values 0..16 -> 0..1
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)

    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digits_mlp",
    )
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training on the {keras.backend.backend()} backend: {len(x_train)} images, {args.epochs} epochs")
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1, verbose=args.verbose
    )

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predictions = np.argmax(model.predict(x_test[:10], verbose=0), axis=-1)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} held-out images")
    print(f"First predictions: {predictions.tolist()}  true: {y_test[:10].tolist()}")
    if not args.no_plots:
        os.makedirs(args.out_dir, exist_ok=True)
        model_png = os.path.join(args.out_dir, "model.png")
        history_png = os.path.join(args.out_dir, "history.png")
        keras.utils.plot_model(model, to_file=model_png, show_shapes=True, show_layer_activations=True)
        keras.utils.plot_history(history, to_file=history_png, title="digits MLP")
        print(f"Wrote the model's picture to {os.path.abspath(model_png)}")
        print(f"Wrote the training curves to {os.path.abspath(history_png)}")
    return accuracy


if __name__ == "__main__":
    main()
