"""Lesson 02: gates, and why they matter.

The LSTM and the GRU written step by step in NumPy, each checked against `keras.layers.LSTM`
and `keras.layers.GRU` with the same weights. Then the vanishing gradient measured rather than
asserted, a long-memory task (the adding problem) that a SimpleRNN, an LSTM and a GRU are
trained on with the same budget, the trained LSTM's gates at work, exploding gradients cured
by clipping, and stacked and bidirectional layers.

Run it:   make lesson02                       (or python -m lessons.lesson02_gates --help)
          make lesson02 ARGS="--length 100"   (a longer memory)
Predict:  python -m lessons.lesson02_gates predict "0.3:1,0.5:0,0.9:1"
Notebook: make notebooks, then open lessons/lesson02_gates.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, plots
from course_utils.layers import RECURRENT_LAYERS, recurrent_layer
from course_utils.lesson import LessonConfig, configure, flag, show, show_figure
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model

LESSON = "lesson02_gates"
keras.backend.backend()  # a notebook shows a cell's last value: the Keras backend, which must be "tensorflow"

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--length 100`, `--epochs 30`).
# `--quick` (or `COURSE_QUICK=1` in the environment, for a notebook) makes every part small
# enough to run in seconds: shorter sequences, fewer of them, fewer epochs. The lesson runs on
# Keras' TensorFlow backend only (its gradient measurements use TensorFlow's GradientTape; see
# "On JAX or PyTorch" in the README).


# %%
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


config = configure(Config, LESSON)
if config.length < 4:
    raise CourseError(f"--length {config.length} is too short: the adding problem needs at least 4 steps")
set_seed(config.seed)
run = Run.start(LESSON, config)
print(f"Lesson 02: gates{' (quick)' if config.quick else ''}. Outputs go to {display_path(run.path)}")
show(config)

# %% [markdown]
# ## 1. How Keras stores a gated layer's weights
# A gated cell is several small layers that read the same input x and the same previous
# state h. Keras stores all of them side by side: one `kernel` (features x gates*units) for
# the input, one `recurrent_kernel` (units x gates*units) for the state, one bias. It
# multiplies row vectors from the left (`x @ kernel`), so each block is the transpose of the
# W we write in the equations below. The order of the blocks is fixed by Keras: i, f, c(=g), o
# for the LSTM and z, r, h(=n) for the GRU. Here are the shapes for 8 input features and 16
# units:


# %%
KERAS_LSTM_ORDER = "ifgo"
KERAS_GRU_ORDER = "zrn"


def split_gates(matrix, order):
    """Split Keras' side-by-side gate blocks (last axis) into a dict of per-gate blocks."""
    blocks = np.split(np.asarray(matrix), len(order), axis=-1)
    return dict(zip(order, blocks))


for cell, options in [("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]:
    layer = recurrent_layer(cell, 16, **options)
    layer.build((None, None, 8))
    weights = ", ".join(f"{w.name} {tuple(w.shape)}" for w in layer.weights)
    variant = ", ".join(f"{k}={v}" for k, v in options.items())
    print(f"{cell.upper():4s} {variant:17s} {weights}")
gates = split_gates(layer.get_weights()[0], KERAS_GRU_ORDER)
print("The last GRU's kernel cut into its gates:", ", ".join(f"{k} {v.shape}" for k, v in gates.items()))

# %% [markdown]
# ## 2. The LSTM, one step at a time
# The vanilla RNN of lesson 01 overwrites its whole state at every step. The LSTM keeps a
# second state, the cell c, that is changed only by *gated* addition:
#
#     i = sigmoid(W_i x + U_i h + b_i)      input gate: how much new content to write
#     f = sigmoid(W_f x + U_f h + b_f)      forget gate: how much of the old cell to keep
#     g = tanh(W_g x + U_g h + b_g)         the candidate content
#     o = sigmoid(W_o x + U_o h + b_o)      output gate: how much of the cell to show
#     c = f * c + i * g                     (elementwise)
#     h = o * tanh(c)
#
# When f is close to 1 and i close to 0, c passes through a step unchanged, and so does the
# gradient that flows back along it: that is the whole trick. Here it is in NumPy, run on a
# one-unit LSTM whose weights are all zero, so each gate is just its bias: the cell starts at
# 1 and the input gate is shut (bias -10); what is left of the cell after 50 steps with the
# forget gate half open (bias 0), then almost fully open (bias 10)?


# %%
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


for forget_bias in (0.0, 10.0):
    lstm = LSTM(*biases_only("ifgo", i=-10.0, f=forget_bias))
    lstm.c = np.ones(1)
    for _ in range(50):
        lstm.step(np.zeros(1))
    print(f"forget gate {lstm.gates['f'][0]:.5f}: the cell after 50 steps {lstm.c[0]:.3g}")

# %% [markdown]
# Now a real check. Keras stores the gates side by side (section 1); `lstm_from_keras` cuts a
# Keras LSTM's weights into our per-gate W, U and b. `random_keras_layer` fills every weight of
# a Keras layer, biases too, with random numbers, so that every term is tested, and `run_both`
# runs the Keras layer on a whole batch and our NumPy cell on one sequence at a time. We copy a
# random Keras LSTM's weights into our NumPy LSTM, and run both on the same toy batch.


# %%
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


rng = np.random.default_rng(config.seed)
toy_batch = rng.normal(size=(4, 30, 8)).astype("float32")  # 4 sequences, 30 steps, 8 features
keras_lstm = random_keras_layer("lstm", 16, 8, rng)
numpy_lstm = lstm_from_keras(keras_lstm.get_weights())
expected, got = run_both(keras_lstm, numpy_lstm, toy_batch)
print(f"toy batch {toy_batch.shape} -> Keras LSTM {expected.shape}, NumPy LSTM {got.shape}")
print(
    "NumPy LSTM at the last step: "
    + ", ".join(f"{k} {v.shape}" for k, v in numpy_lstm.gates.items())
    + f", c {numpy_lstm.c.shape}, h {numpy_lstm.h.shape}"
)
print(f"max |NumPy - Keras| over every step of every sequence: {np.max(np.abs(got - expected)):.1e}")

# %% [markdown]
# ## 3. The GRU
# The GRU merges the cell into h and uses two gates: an update gate z that blends old and
# new state, and a reset gate r that decides how much of the old state the candidate sees.
#
#     z = sigmoid(W_z x + U_z h + b_z)
#     r = sigmoid(W_r x + U_r h + b_r)
#     n = tanh(W_n x + U_n (r * h) + b_n)        reset before the matrix  (reset_after=False)
#     n = tanh(W_n x + r * (U_n h + b_rn) + b_n) reset after the matrix   (reset_after=True, Keras' default)
#     h = z * h + (1 - z) * n
#
# Keras puts z where the original paper puts (1 - z); only the naming differs. An update gate
# near 1 keeps the state as it is: the same one-unit experiment as for the LSTM, with the state
# starting at 1.


# %%
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


for update_bias in (0.0, 10.0):
    gru = GRU(*biases_only("zrn", z=update_bias), reset_after=False)
    gru.h = np.ones(1)
    for _ in range(50):
        gru.step(np.zeros(1))
    print(f"update gate {gru.gates['z'][0]:.5f}: the state after 50 steps {gru.h[0]:.3g}")

# %% [markdown]
# The `reset_after=True` form is the one cuDNN implements, and it carries a second bias vector:
# that is the bias of shape (2, 48) in section 1. We check both variants against Keras, then
# run Keras' default weights through the wrong variant's equations.


# %%
def gru_from_keras(weights, reset_after=True, order=KERAS_GRU_ORDER):
    kernel, recurrent, bias = weights
    W = {k: v.T for k, v in split_gates(kernel, order).items()}
    U = {k: v.T for k, v in split_gates(recurrent, order).items()}
    if reset_after:  # bias has shape (2, 3*units): row 0 for the input side, row 1 inside the reset
        return GRU(W, U, split_gates(bias[0], order), split_gates(bias[1], order), reset_after=True)
    return GRU(W, U, split_gates(bias, order), reset_after=False)


keras_grus = {}
for reset_after in (True, False):
    keras_gru = keras_grus[reset_after] = random_keras_layer("gru", 16, 8, rng, reset_after=reset_after)
    numpy_gru = gru_from_keras(keras_gru.get_weights(), reset_after=reset_after)
    expected, got = run_both(keras_gru, numpy_gru, toy_batch)
    print(
        f"reset_after={reset_after!s:5s}: toy batch {toy_batch.shape} -> Keras GRU {expected.shape}, "
        f"NumPy GRU {got.shape}; max |NumPy - Keras| {np.max(np.abs(got - expected)):.1e}"
    )
kernel, recurrent, bias = keras_grus[True].get_weights()
expected, got = run_both(keras_grus[True], gru_from_keras([kernel, recurrent, bias[0]], reset_after=False), toy_batch)
print(
    f"Keras' default GRU weights run through the reset-before equations instead: max difference "
    f"{np.max(np.abs(got - expected)):.2f}. The variant matters."
)

# %% [markdown]
# ## 4. The check, and a check of the check
# An equality is only convincing if a plausible mistake breaks it. Reading the gate blocks in
# another order gives a model that runs without complaint and computes nonsense; the table
# shows that the comparison catches it. (The tests repeat this for several orders and seeds.)


# %%
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


diffs = {
    "lstm": max(compare_with_keras("lstm", seed=s) for s in range(2)),
    "gru_reset_after": max(compare_with_keras("gru", reset_after=True, seed=s) for s in range(2)),
    "gru_reset_before": max(compare_with_keras("gru", reset_after=False, seed=s) for s in range(2)),
}
wrong_order = compare_with_keras("lstm", order="ifog")
wrong_orders = {
    "lstm": ("ifog", wrong_order),
    "gru_reset_after": ("rzn", compare_with_keras("gru", reset_after=True, order="rzn")),
    "gru_reset_before": ("rzn", compare_with_keras("gru", reset_after=False, order="rzn")),
}
table = [
    "| layer | largest difference, NumPy vs Keras | gates read in the order | largest difference then |",
    "|---|---|---|---|",
]
for name, diff in diffs.items():
    order, wrong_diff = wrong_orders[name]
    table.append(f"| {name} | {diff:.1e} | {order} | {wrong_diff:.2f} |")
show("\n".join(table))

# %% [markdown]
# ## 5. The long-range task: the adding problem
# Every step brings two numbers: a random value in [0, 1] and a marker (0 or 1). Exactly two
# steps are marked, one in each half of the sequence, and the target is the sum of the two
# marked values. To answer, the network must hold the first marked value across dozens of
# steps of noise. The same random generator also draws 16 sequences of length `grad_length`
# on which sections 6 and 10 measure gradients.


# %%
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


rng = np.random.default_rng(config.seed)
probe_inputs = adding_problem(16, config.grad_length, rng)[0]
train_data = adding_problem(config.train_size, config.length, rng)
val_data = adding_problem(max(500, config.train_size // 5), config.length, rng)
print(
    f"Training: x {train_data[0].shape}, y {train_data[1].shape}; validation: x {val_data[0].shape}; "
    f"gradient probe: x {probe_inputs.shape}"
)
example, target = val_data[0][0], val_data[1][0]
marked = np.flatnonzero(example[:, 1])
print(f"\nOne validation sequence, as value:marker for its first 12 of {len(example)} steps:")
print("  " + ", ".join(f"{v:.2f}:{m:.0f}" for v, m in example[:12]))
print(
    f"  marked steps {marked[0] + 1} and {marked[1] + 1}: {example[marked[0], 0]:.2f} + "
    f"{example[marked[1], 0]:.2f} = {target:.2f}, the target"
)

# %% [markdown]
# Always answering the mean (1.0) gives an MSE of 1/6: a model stuck there has learned nothing.
# We count an answer as correct when it is within `TOLERANCE` of the truth.


# %%
TOLERANCE = 0.04


def constant_baseline(y_train, y_val):
    guess = float(np.mean(y_train))
    return {
        "guess": guess,
        "val_mse": float(np.mean((y_val - guess) ** 2)),
        "val_accuracy": float(np.mean(np.abs(y_val - guess) < TOLERANCE)),
    }


baseline = constant_baseline(train_data[1], val_data[1])
print(
    f"Always answering {baseline['guess']:.2f} (the training mean): validation MSE {baseline['val_mse']:.3f}, "
    f"accuracy {baseline['val_accuracy']:.3f} (within {TOLERANCE})"
)

# %% [markdown]
# ## 6. Measuring vanishing gradients
# How much does the state at step t still matter at the end? We unroll each Keras cell by
# hand under a GradientTape and compute the Jacobian d h_T / d s_t of the last output with
# respect to the whole state s_t (for the LSTM, s = [h, c]), then its Frobenius norm,
# averaged over the probe batch. Here it is for a freshly initialised SimpleRNN:


# %%
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


fresh = fresh_layers(config.units, 2, config.seed)
rnn_norms = state_gradient_norms(fresh["rnn"], probe_inputs)
print(f"{len(rnn_norms)} norms, one per distance T - t; a fresh SimpleRNN's at distances 1 to 5, then the last:")
print(", ".join(f"{norm:.1e}" for norm in [*rnn_norms[:5], rnn_norms[-1]]))

# %% [markdown]
# Now all three cells as Keras initialises them, against the distance T - t on a log axis: a
# straight line falling means the gradient shrinks by a constant factor per step: it vanishes
# exponentially, and whatever happened far back cannot be learned from. Look at how fast each
# curve falls. The GRU's update gate starts near one half (sigmoid of a small number), so each
# step keeps only about half of the old state. Gates do not remember by default; what they
# give is a way to *learn* to remember (section 10 measures again after training).


# %%
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


at_init = gradient_profiles(fresh, probe_inputs)
print(f"||d h_T / d state_t|| at initialisation, T = {config.grad_length}, {config.units} units:")
show(gradient_table(at_init))
show_figure(plot_gradients(at_init), run, "gradient_at_init.png")
log_profiles(run, "gradient_norm_at_init", at_init)

# %% [markdown]
# ## 7. One model per cell
# The same small model for each cell: the recurrent layer reads the whole sequence and one
# Dense unit turns its last state into the answer. Adam with gradient clipping (section 12
# shows why), mean squared error, and the fraction of answers within `TOLERANCE` as accuracy.
# Before training, the model's answers are meaningless:


# %%
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


set_seed(config.seed)
untrained = build_memory_model("lstm", config.units, config.learning_rate)
untrained.summary()
answers = keras.ops.convert_to_numpy(untrained(val_data[0][:4]))
print("Untrained LSTM's answers for four validation sequences:", ", ".join(f"{a:.3f}" for a in answers))
print("                               the true sums:", ", ".join(f"{y:.3f}" for y in val_data[1][:4]))

# %% [markdown]
# ## 8. Training each cell with the same budget
# SimpleRNN, LSTM and GRU get the same units, data, epochs, seed (so the same batch order)
# and optimiser. One line per epoch: loss (MSE) and accuracy on the training sequences, then
# on the validation sequences. Compare `val_loss` with the baseline printed in section 5: a
# model that has not found the marked values stays near it; one that has drops far below it.
# `run.fit` gives each cell its own TensorBoard folder (`logs/<cell>`) and its own backup, so
# an interrupted run (`--run-dir` with the run's folder) keeps the cells already trained and
# continues the one it was training after its last finished epoch. The data reaches `fit` as
# a tf.data pipeline of batches:


# %%
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


x_batch, y_batch = next(iter(batches(train_data, config.batch_size)))
print(f"{len(train_data[1]):,} training sequences in batches of x {tuple(x_batch.shape)}, y {tuple(y_batch.shape)}")

# %% [markdown]
# ### The SimpleRNN

# %%
models, histories, results = {}, {}, {}
models["rnn"], histories["rnn"], results["rnn"] = train_memory_model("rnn", config, run, train_data, val_data)

# %% [markdown]
# ### The LSTM

# %%
models["lstm"], histories["lstm"], results["lstm"] = train_memory_model("lstm", config, run, train_data, val_data)

# %% [markdown]
# ### The GRU

# %%
models["gru"], histories["gru"], results["gru"] = train_memory_model("gru", config, run, train_data, val_data)

# %% [markdown]
# ## 9. The results side by side
# The column "MSE / baseline" is the validation MSE as a fraction of always answering the
# mean: near 1 means nothing learned. With the default settings (length 60, 12 epochs) the
# gated cells are expected to solve the task and the SimpleRNN not to; `make bench` measures
# it (the quick configuration trains too briefly to show it reliably). Then ask for a longer
# memory, `--length 100`, and more epochs for a cell that stays on the plateau (`--epochs 30`).
# The better of the LSTM and GRU is saved as `model.keras`, for `predict`.


# %%
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


show(results_table(results, baseline))
best = min(("lstm", "gru"), key=lambda c: results[c]["val_mse"])
model_path = run.save_model(models[best])
for cell, model in models.items():
    run.save_model(model, f"model_{cell}.keras")
print(
    f"Saved the {best.upper()} (the lower validation MSE of the two gated cells) as {model_path.name}, "
    "and each model as model_<cell>.keras"
)

# %% [markdown]
# Epoch by epoch, against the line of always answering the mean:


# %%
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


show_figure(plot_memory_task(histories, baseline, config.length), run, "memory_task.png")

# %% [markdown]
# ## 10. The gradients again, after training
# The same measurement on the same probe sequences, now with the trained weights (right panel).
# A forget gate near 1 (LSTM) or an update gate near 1 (GRU) makes a step almost the
# identity, and the gradient then survives many steps: a cell that learned to carry the first
# marked value to the end must have a curve that falls slowly. The SimpleRNN has no such
# switch: to hold a value it would need a recurrent matrix close to an isometry, and squashing
# by tanh at every step keeps shrinking the gradient. Compare the curves with the table above.

# %%
trained = gradient_profiles({cell: model.get_layer(cell) for cell, model in models.items()}, probe_inputs)
print(f"||d h_T / d state_t|| after training, T = {config.grad_length}:")
show(gradient_table(trained))
show_figure(plot_gradients(at_init, trained), run, "gradient_vs_distance.png")
log_profiles(run, "gradient_norm_trained", trained)

# %% [markdown]
# ## 11. The gates at work
# Run the trained LSTM's weights through our NumPy LSTM on one validation sequence and record
# the gates of the three units whose cell state moves most. Look for the input gate opening at
# the marked steps and the forget gate staying near 1 in between, so the marked value is
# carried to the end. How clearly that shows depends on how well the LSTM learned the task.


# %%
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


sample = val_data[0][0]
trace = lstm_gate_trace(models["lstm"], sample)
moving = np.argsort(np.ptp(trace["c"], axis=0))[::-1][:3]
is_marked = sample[:, 1] > 0.5
print(
    f"Units {', '.join(map(str, moving))}: input gate {trace['i'][is_marked][:, moving].mean():.2f} on average "
    f"at the marked steps, {trace['i'][~is_marked][:, moving].mean():.2f} elsewhere; "
    f"forget gate {trace['f'][:, moving].mean():.2f} on average"
)

# %% [markdown]
# Step by step, with the two marked steps in red:


# %%
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


show_figure(plot_lstm_gates(trace, sample, moving), run, "lstm_gates.png")

# %% [markdown]
# ## 12. Exploding gradients, and clipping
# The opposite failure. Take a ReLU RNN whose recurrent matrix starts as the identity (the
# "IRNN" of Le, Jaitly & Hinton, 2015): its state simply adds up the inputs, so on long
# sequences the first outputs and the first gradients are large. Here is what it answers,
# untrained, on four adding-problem sequences of length `clip_length`, whose true sums are
# about 1:


# %%
def exploding_model(units, seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, 2))
    state = keras.layers.SimpleRNN(units, activation="relu", recurrent_initializer="identity")(inputs)
    return keras.Model(inputs, keras.ops.squeeze(keras.layers.Dense(1)(state), -1))


clip_rng = np.random.default_rng(config.seed + 1)
cx, cy = adding_problem(2000, config.clip_length, clip_rng)
first_answers = keras.ops.convert_to_numpy(exploding_model(config.units, config.seed)(cx[:4]))
print("Untrained ReLU RNN's answers:", ", ".join(f"{a:.3g}" for a in first_answers))
print("           the true sums:", ", ".join(f"{y:.3g}" for y in cy[:4]))

# %% [markdown]
# One plain SGD step on an error that size pushes the recurrent weights above 1, and many
# steps then multiply the state towards inf. Clipping rescales the gradient whenever its norm
# exceeds a threshold, keeping its direction, so no single step can be huge. Below, the same
# model, data and learning rate, trained with and without clipping; the table shows the first
# steps.


# %%
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


settings = dict(units=config.units, steps=config.clip_steps, batch_size=32, learning_rate=0.01, seed=config.seed)
unclipped = train_with_clipping(cx, cy, None, **settings)
clipped = train_with_clipping(cx, cy, config.clipnorm, **settings)
show(first_steps_table(unclipped, clipped, config.clipnorm))

# %% [markdown]
# The whole of both runs, on log axes; a dotted line marks the step from which a loss was NaN
# or inf:


# %%
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


show_figure(plot_clipping(unclipped, clipped, config.clipnorm), run, "clipping.png")

# %% [markdown]
# In numbers. (Clipping cures exploding gradients, not vanishing ones: it keeps training
# stable, it does not make this RNN remember.)


# %%
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


clipping = clipping_summary(unclipped, clipped, config)
bad_step = clipping["unclipped_first_bad_step"]
print(
    f"Without clipping (length {config.clip_length}, {config.clip_steps} SGD steps) the largest gradient norm was "
    f"{clipping['unclipped_max_grad_norm']:.1e}; "
    + (f"the loss became NaN/inf at step {bad_step}" if bad_step else f"diverged: {clipping['unclipped_diverged']}")
    + f". With clipnorm={config.clipnorm} the loss went from {clipping['start_loss']:.3g} to "
    f"{clipped['loss'][-20:].mean():.3g} (mean of the last 20 steps); always answering the mean: 1/6 = 0.167"
)

# %% [markdown]
# ## 13. Deeper and both ways: stacked and bidirectional layers
# A recurrent layer with `return_sequences=True` outputs its state at every step, so another
# recurrent layer can read it: a stacked (deep) RNN. `Bidirectional` runs one copy of a
# layer forwards and one backwards over the sequence and concatenates their states, so each
# step sees both its past and its future (only possible when the whole sequence is known).
# A Keras GRU (`reset_after=True`) has 3 gates x (input weights + recurrent weights + 2 biases)
# parameters. By that formula, the layers we build next should have: `gru_1` reads the 2
# features, `gru_2` reads `gru_1`'s states, and `bi_gru` is two GRUs that read the 2 features.


# %%
def gru_parameters(features, units):
    """Keras GRU parameter count (reset_after=True): 3 gates x (input + recurrent weights + 2 biases)."""
    return 3 * (features * units + units * units + 2 * units)


formula = {"gru_1": gru_parameters(2, config.units), "gru_2": gru_parameters(config.units, config.units)}
formula["bi_gru"] = 2 * formula["gru_1"]  # two GRUs, each reading the 2 features
print(", ".join(f"{name}: {count:,} parameters" for name, count in formula.items()))

# %% [markdown]
# Keras' own counts, and the shape of what each layer outputs, for one sequence; the last
# column is the formula's count.


# %%
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


stacked_report = stacked_and_bidirectional(config.units, config.length)
rows = [
    f"| model | layer | output shape, for 1 sequence of {config.length} steps | parameters | formula |",
    "|---|---|---|---|---|",
]
for name, model_layers in stacked_report.items():
    for r in model_layers:
        shape, count = tuple(r["output_shape"]), r["parameters"]
        rows.append(f"| {name} | {r['layer']} | {shape} | {count:,} | {formula[r['layer']]:,} |")
show("\n".join(rows))

# %% [markdown]
# ## 14. The record of this run
# `metrics.json` holds every number above and the whole configuration; TensorBoard has each
# cell's training curves and both gradient measurements.

# %%
for step, (cell, r) in enumerate(results.items()):
    run.log_scalar(f"memory_task/val_accuracy_{cell}", r["val_accuracy"], step)
task = dict(task="adding problem", length=config.length, train_size=config.train_size, val_size=len(val_data[1]))
task.update(units=config.units, tolerance=TOLERANCE, baseline=baseline, results=results)
gradients = {"at_init": at_init, "trained": trained}
metrics = {f"gradient_norm_{k}": {c: at_distances(v) for c, v in p.items()} for k, p in gradients.items()}
scores = {**results, "baseline": baseline}
metrics |= {f"{c}_{k}": r[k] for c, r in scores.items() for k in ("val_accuracy", "val_mse")}
metrics |= dict(numpy_vs_keras_max_abs_diff=diffs, wrong_gate_order_max_abs_diff=wrong_order, memory_task=task)
metrics |= dict(gradient_sequence_length=config.grad_length, clipping=clipping, stacked_bidirectional=stacked_report)
path = run.write_metrics(metrics | dict(best_model=best, model_path=model_path), config)
run.finish()
print(f"Wrote {display_path(path)}: " + ", ".join(f"{k} {metrics[k]:.3f}" for k in metrics if k.endswith("accuracy")))

# %% [markdown]
# ## 15. Using the model
# The saved model reads a sequence of any length: here it answers two short sequences of our
# own and a validation sequence. From the command line, give `predict` value:marker pairs (a
# bare value means marker 0) with exactly two steps marked:
# `python -m lessons.lesson02_gates predict "0.3:1,0.5:0,0.9:1"`.

# %%
reloaded = load_model(model_path, LESSON)
for x in [np.array([[0.3, 1], [0.5, 0], [0.9, 1]]), np.array([[0.1, 1], [0.2, 1]]), val_data[0][1]]:
    answer = float(keras.ops.convert_to_numpy(reloaded(x[None].astype("float32")))[0])
    values = ", ".join(f"{v:.2f}" for v in x[x[:, 1] > 0.5, 0])
    truth = x[:, 0] @ x[:, 1]
    print(f"{len(x)} steps, marked values {values}: the model answers {answer:.3f}, the true sum is {truth:.3f}")
print("\nNext: the exercises for this lesson: make check EX=ex02   (stuck? make hint EX=ex02a)")
