"""A training loop written by hand: stateless_call, value_and_grad, stateless_apply, jit.

The same pure step that `fit` uses, spelled out, so that every part can be changed.
It runs unchanged on the JAX backend (compiled) and on the NumPy backend (as Python).

    python examples/custom_training_loop.py --backend numpy
"""

from __future__ import annotations

import argparse


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)

    import numpy as np

    import kerasish as keras
    from kerasish import ops

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)
    backend = keras.backend.get()

    # A toy problem: which side of a circle a point lies on.
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(2048, 2)).astype("float32")
    y = (np.sum(x**2, axis=1) < 0.5).astype("int32")

    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(2),
    ])
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def compute_loss(trainable, non_trainable, xb, yb):
        logits, non_trainable = model.stateless_call(trainable, non_trainable, xb, training=True)
        return loss_fn(yb, logits), non_trainable

    def train_step(state, xb, yb):
        trainable, non_trainable, optimizer_vars = state
        (loss, non_trainable), grads = backend.value_and_grad(compute_loss, has_aux=True)(
            trainable, non_trainable, xb, yb
        )
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_vars)

    train_step = backend.jit(train_step, donate_argnums=(0,))
    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in optimizer.variables],
    )
    batch_size = 64
    for epoch in range(args.epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            loss, state = train_step(state, ops.convert_to_tensor(x[idx]), ops.convert_to_tensor(y[idx]))
        print(f"epoch {epoch + 1}: last batch loss {float(ops.convert_to_numpy(loss)):.4f}")

    # Write the final state back into the variables (the first state's buffers were
    # donated to the compiled step, so the variables must take the new values).
    groups = (model.trainable_variables, model.non_trainable_variables, optimizer.variables)
    for variables, values in zip(groups, state):
        for variable, value in zip(variables, values):
            variable.assign(value)
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))
    print(f"training accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
