"""The definitions of lessons/lesson02_gates.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
from dataclasses import dataclass
import keras
import numpy as np
import tensorflow as tf
from course_utils import cli, plots
from course_utils.layers import RECURRENT_LAYERS, recurrent_layer
from course_utils.lesson import LessonConfig, flag
from course_utils.repro import set_seed


LESSON = "lesson02_gates"


STEPS = cli.int_between(1, 1000, "a thousand steps already show every effect, and more would not fit in memory")


@dataclass
class Config(LessonConfig):
    epochs: int = flag(12, "training epochs", type=cli.positive_int)
    batch_size: int = flag(64, "batch size", type=cli.batch_size)
    units: int = flag(32, "hidden units per cell", type=cli.layer_size)
    length: int = flag(60, "adding-problem sequence length", type=STEPS)
    train_size: int = flag(8000, "training sequences", type=cli.int_between(1, 50_000, "more would not fit in memory"))
    learning_rate: float = flag(1e-2, "Adam step size", type=cli.learning_rate)
    grad_length: int = flag(100, "sequence length for the gradient measurement", type=STEPS)
    clip_length: int = flag(100, "sequence length for the exploding-gradient demo", type=STEPS)
    clip_steps: int = flag(200, "SGD steps in the clipping demo", type=cli.positive_int)
    clipnorm: float = flag(1.0, "clipping threshold", type=cli.positive_float)

    QUICK = {"epochs": 4, "length": 20, "train_size": 3000, "grad_length": 30, "clip_steps": 60}
    BACKENDS = ("tensorflow",)  # sections 6, 10 and 12; the NumPy cells and `predict` work on every backend
    BACKEND_REASON = (
        "it measures gradients (sections 6, 10 and 12) with tf.GradientTape around Keras' cells, "
        "and Keras 3 has no backend-neutral gradient"
    )


KERAS_LSTM_ORDER = "ifgo"


KERAS_GRU_ORDER = "zrn"


def split_gates(matrix, order):
    """Split Keras' side-by-side gate blocks (last axis) into a dict of per-gate blocks."""
    blocks = np.split(np.asarray(matrix), len(order), axis=-1)
    return dict(zip(order, blocks))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class LSTM:
    """An LSTM over one sequence. ``W``, ``U``, ``b`` are dicts keyed by gate: i, f, g, o."""

    def __init__(self, W, U, b):
        self.W, self.U, self.b = W, U, b
        self.reset()

    def reset(self):
        units = self.U["i"].shape[0]
        self.h = np.zeros(units, dtype=self.U["i"].dtype)
        self.c = np.zeros_like(self.h)
        self.gates = {}

    def step(self, x):
        """Advance one time step with input vector ``x``; returns h (the gates are kept in .gates)."""
        pre = {k: self.W[k] @ x + self.U[k] @ self.h + self.b[k] for k in "ifgo"}
        i, f, o = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])
        g = np.tanh(pre["g"])
        self.c = f * self.c + i * g
        self.h = o * np.tanh(self.c)
        self.gates = {"i": i, "f": f, "g": g, "o": o}
        return self.h

    def forward(self, xs):
        self.reset()
        return np.stack([self.step(x) for x in xs])


def biases_only(order, **bias):
    """W, U and b of a one-unit cell with one input whose weights are zero: each gate is its bias (0 unless given)."""
    W = {k: np.zeros((1, 1)) for k in order}
    U = {k: np.zeros((1, 1)) for k in order}
    b = {k: np.full(1, bias.get(k, 0.0)) for k in order}
    return W, U, b


def lstm_from_keras(weights, order=KERAS_LSTM_ORDER):
    kernel, recurrent, bias = weights
    W = {k: v.T for k, v in split_gates(kernel, order).items()}
    U = {k: v.T for k, v in split_gates(recurrent, order).items()}
    return LSTM(W, U, split_gates(bias, order))


def random_keras_layer(cell, units, features, rng, **kwargs):
    """A built Keras layer whose weights are all random (biases too, so every term is tested)."""
    layer = recurrent_layer(cell, units, return_sequences=True, **kwargs)
    layer.build((None, None, features))
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def run_both(layer, ours, xs):
    """The Keras layer's outputs and our NumPy cell's (one sequence at a time) on the same batch."""
    expected = keras.ops.convert_to_numpy(layer(xs))
    got = np.stack([ours.forward(x) for x in xs])
    return expected, got


class GRU:
    """A GRU over one sequence. ``b_rec`` (the bias inside the reset) is used when ``reset_after``."""

    def __init__(self, W, U, b, b_rec=None, reset_after=True):
        if reset_after and b_rec is None:
            raise ValueError("reset_after=True needs the recurrent bias b_rec")
        self.W, self.U, self.b, self.b_rec, self.reset_after = W, U, b, b_rec, reset_after
        self.reset()

    def reset(self):
        self.h = np.zeros(self.U["z"].shape[0], dtype=self.U["z"].dtype)
        self.gates = {}

    def step(self, x):
        h = self.h
        rec = {k: self.U[k] @ h + (self.b_rec[k] if self.reset_after else 0) for k in "zr"}
        z = sigmoid(self.W["z"] @ x + self.b["z"] + rec["z"])
        r = sigmoid(self.W["r"] @ x + self.b["r"] + rec["r"])
        if self.reset_after:
            n = np.tanh(self.W["n"] @ x + self.b["n"] + r * (self.U["n"] @ h + self.b_rec["n"]))
        else:
            n = np.tanh(self.W["n"] @ x + self.b["n"] + self.U["n"] @ (r * h))
        self.h = z * h + (1 - z) * n
        self.gates = {"z": z, "r": r, "n": n}
        return self.h

    def forward(self, xs):
        self.reset()
        return np.stack([self.step(x) for x in xs])


def gru_from_keras(weights, reset_after=True, order=KERAS_GRU_ORDER):
    kernel, recurrent, bias = weights
    W = {k: v.T for k, v in split_gates(kernel, order).items()}
    U = {k: v.T for k, v in split_gates(recurrent, order).items()}
    if reset_after:  # bias has shape (2, 3*units): row 0 for the input side, row 1 inside the reset
        return GRU(W, U, split_gates(bias[0], order), split_gates(bias[1], order), reset_after=True)
    return GRU(W, U, split_gates(bias, order), reset_after=False)


def compare_with_keras(cell, reset_after=True, order=None, units=16, features=8, steps=30, batch=4, seed=0):
    """Max |NumPy - Keras| over every output step, for the same weights and inputs."""
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(batch, steps, features)).astype("float32")
    kwargs = {"reset_after": reset_after} if cell == "gru" else {}
    layer = random_keras_layer(cell, units, features, rng, **kwargs)
    weights = layer.get_weights()
    if cell == "lstm":
        ours = lstm_from_keras(weights, order=order or KERAS_LSTM_ORDER)
    else:
        ours = gru_from_keras(weights, reset_after=reset_after, order=order or KERAS_GRU_ORDER)
    expected, got = run_both(layer, ours, xs)
    return float(np.max(np.abs(got - expected)))


def adding_problem(count, length, rng):
    """``count`` sequences of shape (length, 2): [value, marker]; targets are the marked sums."""
    values = rng.uniform(0.0, 1.0, size=(count, length))
    markers = np.zeros((count, length))
    rows = np.arange(count)
    markers[rows, rng.integers(0, length // 2, size=count)] = 1.0
    markers[rows, rng.integers(length // 2, length, size=count)] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1).astype("float32")
    return x, y


TOLERANCE = 0.04


def constant_baseline(y_train, y_val):
    guess = float(np.mean(y_train))
    return {
        "guess": guess,
        "val_mse": float(np.mean((y_val - guess) ** 2)),
        "val_accuracy": float(np.mean(np.abs(y_val - guess) < TOLERANCE)),
    }


def state_gradient_norms(layer, inputs):
    """||d h_T / d s_t||_F (batch mean) for t = T-1 ... 0; element k is distance k + 1.

    By the chain rule d h_T / d s_t = P J_{T-1} ... J_t, where J_t = d s_{t+1} / d s_t is the
    Jacobian of one step and P picks h out of the state. TensorFlow gives us each J_t.
    """
    cell = layer.cell
    sizes = list(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    batch, steps = inputs.shape[:2]

    @tf.function
    def step_with_jacobian(x_t, state):
        with tf.GradientTape() as tape:
            tape.watch(state)
            _, new = cell(x_t, tf.split(state, sizes, axis=1))
            new = tf.concat(list(new) if isinstance(new, (list, tuple)) else [new], axis=1)
        return new, tape.batch_jacobian(new, state)

    state = tf.zeros((batch, sum(sizes)))
    jacobians = []
    for t in range(steps):
        state, jacobian = step_with_jacobian(tf.constant(inputs[:, t]), state)
        jacobians.append(jacobian.numpy().astype("float64"))
    # h is the first part of the state (LSTM: [h, c]); start from d h_T / d s_T = [I 0].
    chain = np.broadcast_to(np.eye(sizes[0], sum(sizes)), (batch, sizes[0], sum(sizes)))
    norms = []
    for jacobian in reversed(jacobians):
        chain = chain @ jacobian
        norms.append(np.sqrt(np.sum(chain**2, axis=(1, 2))).mean())
    return np.array(norms)


def fresh_layers(units, features, seed):
    layers = {}
    for cell in RECURRENT_LAYERS:
        keras.utils.set_random_seed(seed)
        layer = recurrent_layer(cell, units)
        layer.build((None, None, features))
        layers[cell] = layer
    return layers


def gradient_profiles(layers, inputs):
    return {cell: state_gradient_norms(layer, inputs) for cell, layer in layers.items()}


def at_distances(norms, distances=(1, 10, 25, 50, 100)):
    return {str(d): float(norms[d - 1]) for d in distances if d <= len(norms)}


def gradient_table(profiles):
    distances = list(at_distances(next(iter(profiles.values()))))
    rows = ["| cell | " + " | ".join(f"distance {d}" for d in distances) + " |", "|---" * (len(distances) + 1) + "|"]
    for cell, norms in profiles.items():
        rows.append(f"| {cell.upper()} | " + " | ".join(f"{v:.1e}" for v in at_distances(norms).values()) + " |")
    return "\n".join(rows)


def log_profiles(run, tag, profiles):
    """Each cell's curve in TensorBoard (lesson/<tag>/<cell>), the distance as the step."""
    for cell, norms in profiles.items():
        for distance, norm in enumerate(norms, start=1):
            run.log_scalar(f"{tag}/{cell}", norm, distance)


def plot_gradients(at_init, trained=None):
    panels = [(at_init, "At initialisation")] + ([(trained, "After training on the adding problem")] if trained else [])
    fig, axes = plots.plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.9), sharey=True, squeeze=False)
    for ax, (profiles, title) in zip(axes[0], panels):
        for cell, norms in profiles.items():
            ax.plot(np.arange(1, len(norms) + 1), norms, color=plots.PALETTE[cell], linewidth=2, label=cell.upper())
        ax.set(yscale="log", title=title, xlabel="distance T - t (steps)")
        ax.legend()
    axes[0, 0].set_ylabel("||d h_T / d state_t||  (log)")
    fig.suptitle("How much the state t steps back still moves the last output")
    fig.tight_layout()
    return fig


@keras.saving.register_keras_serializable(package="lesson02")
class WithinTolerance(keras.metrics.MeanMetricWrapper):
    """Fraction of answers within ``tolerance`` of the target."""

    def __init__(self, tolerance=TOLERANCE, name="accuracy", **kwargs):
        kwargs.pop("fn", None)
        super().__init__(fn=within_tolerance, name=name, tolerance=tolerance, **kwargs)
        self.tolerance = tolerance

    def get_config(self):
        return {"tolerance": self.tolerance, "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="lesson02")
def within_tolerance(y_true, y_pred, tolerance=TOLERANCE):
    close = keras.ops.abs(keras.ops.reshape(y_true, (-1,)) - keras.ops.reshape(y_pred, (-1,))) < tolerance
    return keras.ops.cast(close, "float32")


def build_memory_model(cell, units, learning_rate):
    inputs = keras.Input((None, 2), name="value_and_marker")  # any length, so predict can take short inputs
    state = recurrent_layer(cell, units, name=cell)(inputs)
    output = keras.layers.Dense(1, name="sum")(state)
    model = keras.Model(inputs, keras.ops.squeeze(output, axis=-1), name=f"adding_{cell}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="mse",
        metrics=[WithinTolerance()],
    )
    return model


def batches(data, batch_size, seed=None):
    """(x, y) arrays as a tf.data pipeline of batches, shuffled anew every epoch when seeded."""
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if seed is not None:
        dataset = dataset.shuffle(len(data[1]), seed=seed)
    return dataset.batch(batch_size)


def train_memory_model(cell, config, run, train_data, val_data):
    """Train one cell on the adding problem; returns the model, its history and its validation results."""
    set_seed(config.seed)  # same initial randomness and batch order for each cell
    model = build_memory_model(cell, config.units, config.learning_rate)
    print(
        f"{cell.upper()}: {model.count_params():,} parameters, {len(train_data[1]):,} sequences, {config.epochs} epochs"
    )
    history = run.fit(
        model,
        batches(train_data, config.batch_size, seed=config.seed),
        validation_data=batches(val_data, 512),
        epochs=config.epochs,
        phase=cell,
    )
    seconds = history.seconds
    mse, accuracy = model.evaluate(*val_data, batch_size=512, verbose=0)
    print(f"{cell.upper()} after training: validation MSE {mse:.4f}, accuracy {accuracy:.3f}")
    result = {"val_mse": mse, "val_accuracy": accuracy, "train_seconds": seconds, "parameters": model.count_params()}
    return model, history.history, result


def results_table(results, baseline):
    rows = [
        "| model | parameters | val MSE | MSE / baseline | val accuracy | train time |",
        "|---|---|---|---|---|---|",
    ]
    rows.append(
        f"| always answer {baseline['guess']:.2f} | 0 | {baseline['val_mse']:.4f} | 1.00 "
        f"| {baseline['val_accuracy']:.3f} | - |"
    )
    for cell, r in results.items():
        rows.append(
            f"| {cell.upper()} | {r['parameters']:,} | {r['val_mse']:.4f} | "
            f"{r['val_mse'] / baseline['val_mse']:.2f} | {r['val_accuracy']:.3f} | {r['train_seconds']:.0f} s |"
        )
    return "\n".join(rows)


def plot_memory_task(histories, baseline, length):
    fig, axes = plots.plt.subplots(1, 2, figsize=(11, 3.8))
    for cell, history in histories.items():
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        color = plots.PALETTE[cell]
        axes[0].plot(epochs, history["val_loss"], "o-", color=color, label=cell.upper())
        axes[1].plot(epochs, history["val_accuracy"], "o-", color=color, label=cell.upper())
    axes[0].axhline(baseline["val_mse"], color="black", linestyle=":", label="always answer the mean")
    axes[1].axhline(baseline["val_accuracy"], color="black", linestyle=":", label="always answer the mean")
    axes[0].set(
        yscale="log",
        title=f"Adding problem, length {length}: validation MSE",
        xlabel="epoch",
        ylabel="mean squared error (log)",
    )
    axes[1].set(title=f"Validation accuracy (|error| < {TOLERANCE})", xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in axes:
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    fig.tight_layout()
    return fig


def lstm_gate_trace(model, x):
    lstm = lstm_from_keras(model.get_layer("lstm").get_weights())
    lstm.reset()
    trace = {"i": [], "f": [], "o": [], "c": []}
    for step in x:
        lstm.step(step)
        for k in "ifo":
            trace[k].append(lstm.gates[k])
        trace["c"].append(lstm.c.copy())
    return {k: np.stack(v) for k, v in trace.items()}


def plot_lstm_gates(trace, x, units_shown):
    steps = np.arange(1, len(x) + 1)
    marked = np.flatnonzero(x[:, 1] > 0.5) + 1
    fig, axes = plots.plt.subplots(4, 1, figsize=(10, 8), sharex=True)
    axes[0].bar(steps, x[:, 0], color=["#d62728" if m > 0.5 else "#bbbbbb" for m in x[:, 1]])
    axes[0].set(
        title=f"Input: values, the two marked ones in red (target {x[marked - 1, 0].sum():.2f})", ylabel="value"
    )
    for ax, key, label in [
        (axes[1], "i", "input gate i"),
        (axes[2], "f", "forget gate f"),
        (axes[3], "c", "cell state c"),
    ]:
        for u in units_shown:
            ax.plot(steps, trace[key][:, u], linewidth=1.5, label=f"unit {u}")
        for m in marked:
            ax.axvline(m, color="#d62728", linestyle=":", linewidth=1)
        ax.set_ylabel(label)
    axes[1].legend(ncol=len(units_shown), fontsize=8)
    axes[3].set_xlabel("time step")
    fig.suptitle("The trained LSTM's gates on one sequence (the units whose cell moves most)")
    fig.tight_layout()
    return fig


def exploding_model(units, seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, 2))
    state = keras.layers.SimpleRNN(units, activation="relu", recurrent_initializer="identity")(inputs)
    return keras.Model(inputs, keras.ops.squeeze(keras.layers.Dense(1)(state), -1))


def train_with_clipping(x, y, clipnorm, *, units, steps, batch_size, learning_rate, seed):
    """Plain SGD on the adding problem; records the (unclipped) gradient norm and loss per step."""
    model = exploding_model(units, seed)
    optimizer = keras.optimizers.SGD(learning_rate, clipnorm=clipnorm)
    loss_fn = keras.losses.MeanSquaredError()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, tf.linalg.global_norm(grads)

    losses, norms = [], []
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        rows = rng.integers(0, len(x), size=batch_size)
        loss, norm = train_step(x[rows], y[rows])
        losses.append(float(loss))
        norms.append(float(norm))
    return {"loss": np.array(losses), "grad_norm": np.array(norms)}


def first_steps_table(unclipped, clipped, clipnorm, count=5):
    rows = [
        f"| step | no clipping: gradient norm | loss | clipnorm={clipnorm}: gradient norm (before clipping) | loss |",
        "|---|---|---|---|---|",
    ]
    for s in range(min(count, len(clipped["loss"]))):
        rows.append(
            f"| {s + 1} | {unclipped['grad_norm'][s]:.3g} | {unclipped['loss'][s]:.3g} "
            f"| {clipped['grad_norm'][s]:.3g} | {clipped['loss'][s]:.3g} |"
        )
    return "\n".join(rows)


def first_bad_step(losses):
    """The first training step (1-based) whose loss is NaN or inf, else None."""
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) + 1 if bad.size else None


def plot_clipping(unclipped, clipped, clipnorm):
    fig, axes = plots.plt.subplots(1, 2, figsize=(11, 3.8))
    for result, label, color, style in [
        (clipped, f"clipnorm={clipnorm}", "#2ca02c", "-"),
        (unclipped, "no clipping", "#d62728", "o-"),
    ]:
        steps = np.arange(1, len(result["loss"]) + 1)
        axes[0].plot(steps, result["grad_norm"], style, color=color, label=label, markersize=5)
        axes[1].plot(steps, result["loss"], style, color=color, label=label, markersize=5)
        bad = first_bad_step(result["loss"])
        if bad:
            axes[1].axvline(bad, color=color, linestyle=":", label=f"{label}: loss NaN/inf from step {bad}")
    axes[0].set(yscale="log", title="Gradient norm before clipping", xlabel="training step", ylabel="norm (log)")
    axes[1].set(yscale="log", title="Training loss", xlabel="training step", ylabel="MSE (log)")
    for ax in axes:
        ax.legend()
    fig.suptitle("ReLU RNN, identity recurrent init, plain SGD: the same run with and without clipping")
    fig.tight_layout()
    return fig


def diverged(losses):
    """NaN/inf at any step, or worse at the end (last 10 steps) than at the start."""
    return bool(not np.all(np.isfinite(losses)) or np.mean(losses[-10:]) > losses[0])


def finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def clipping_summary(unclipped, clipped, config):
    return {
        "unclipped_diverged": diverged(unclipped["loss"]),
        "clipped_diverged": diverged(clipped["loss"]),
        "unclipped_max_grad_norm": float(np.nanmax(unclipped["grad_norm"])),
        "clipped_max_grad_norm": float(np.nanmax(clipped["grad_norm"])),
        "unclipped_first_bad_step": first_bad_step(unclipped["loss"]),
        "unclipped_final_loss": finite_or_none(unclipped["loss"][-1]),
        "clipped_final_loss": finite_or_none(clipped["loss"][-1]),
        "start_loss": float(clipped["loss"][0]),
        "clipnorm": config.clipnorm,
        "steps": config.clip_steps,
        "length": config.clip_length,
    }


def gru_parameters(features, units):
    """Keras GRU parameter count (reset_after=True): 3 gates x (input + recurrent weights + 2 biases)."""
    return 3 * (features * units + units * units + 2 * units)


def stacked_and_bidirectional(units, length, features=2):
    """Each layer's name, output shape (for one sequence) and parameter count, for both models."""
    x = np.zeros((1, length, features), dtype="float32")
    stacked = keras.Sequential(
        [
            keras.Input((length, features)),
            keras.layers.GRU(units, return_sequences=True, name="gru_1"),
            keras.layers.GRU(units, name="gru_2"),
        ],
        name="stacked",
    )
    bidirectional = keras.Sequential(
        [
            keras.Input((length, features)),
            keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name="bi_gru"),
        ],
        name="bidirectional",
    )
    report = {}
    for model in (stacked, bidirectional):
        h, report[model.name] = x, []
        for layer in model.layers:
            h = layer(h)
            shape = list(h.shape)
            report[model.name].append({"layer": layer.name, "output_shape": shape, "parameters": layer.count_params()})
    return report
