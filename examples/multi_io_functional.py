"""A Functional model with two inputs, two outputs and a shared layer.

Two points are drawn from three clusters. The same encoder (one shared Dense layer,
one set of weights) reads both; the model answers two questions at once: are the two
points from the same cluster (binary), and which cluster is the first one from (3 classes).

    python examples/multi_io_functional.py --backend numpy
"""

from __future__ import annotations

import argparse


def make_data(samples: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 2.0]], "float32")
    cluster_a = rng.integers(0, 3, size=samples)
    same = rng.integers(0, 2, size=samples)
    cluster_b = np.where(same == 1, cluster_a, (cluster_a + rng.integers(1, 3, size=samples)) % 3)
    noise = lambda: rng.normal(scale=0.6, size=(samples, 4)).astype("float32")  # noqa: E731
    inputs = {"point_a": centers[cluster_a] + noise(), "point_b": centers[cluster_b] + noise()}
    targets = {"same_cluster": same.astype("float32")[:, None], "cluster_of_a": cluster_a.astype("int32")}
    return inputs, targets


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    import kerasish as keras
    from kerasish import layers

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)

    point_a = keras.Input(shape=(4,), name="point_a")
    point_b = keras.Input(shape=(4,), name="point_b")
    encoder = layers.Dense(16, activation="relu", name="shared_encoder")  # one layer, used twice
    code_a, code_b = encoder(point_a), encoder(point_b)

    joined = layers.concatenate([code_a, code_b, layers.Subtract()([code_a, code_b])])
    hidden = layers.Dense(16, activation="relu")(joined)
    same_cluster = layers.Dense(1, activation="sigmoid", name="same_cluster")(hidden)
    cluster_of_a = layers.Dense(3, activation="softmax", name="cluster_of_a")(code_a)

    model = keras.Model(inputs=[point_a, point_b], outputs=[same_cluster, cluster_of_a], name="two_by_two")
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss={"same_cluster": "binary_crossentropy", "cluster_of_a": "sparse_categorical_crossentropy"},
        loss_weights={"same_cluster": 1.0, "cluster_of_a": 0.5},
        metrics={"same_cluster": ["accuracy"], "cluster_of_a": ["accuracy"]},
    )
    x_train, y_train = make_data(1000, seed=0)
    x_test, y_test = make_data(400, seed=1)
    print(f"Training on the {keras.backend.backend()} backend: {args.epochs} epochs")
    model.fit(x_train, y_train, batch_size=50, epochs=args.epochs, validation_split=0.1, verbose=args.verbose)

    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    for name, value in sorted(results.items()):
        print(f"test {name}: {value:.4f}")
    return results


if __name__ == "__main__":
    main()
