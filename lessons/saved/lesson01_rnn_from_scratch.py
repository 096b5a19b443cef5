"""The definitions of lessons/lesson01_rnn_from_scratch.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
from dataclasses import dataclass
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, data, plots
from course_utils.inputs import shorten
from course_utils.lesson import LessonConfig, flag


LESSON = "lesson01_rnn_from_scratch"


@dataclass
class Config(LessonConfig):
    epochs: int = flag(8, "training epochs", type=cli.positive_int)
    batch_size: int = flag(64, "batch size", type=cli.batch_size)
    hidden: int = flag(64, "hidden units", type=cli.layer_size)

    QUICK = {"epochs": 3}


class RNN:
    """A vanilla RNN over one sequence, with an optional output layer y = W_hy h + b_y."""

    def __init__(self, W_xh, W_hh, b_h, W_hy=None, b_y=None):
        self.W_xh, self.W_hh, self.b_h = W_xh, W_hh, b_h
        self.W_hy, self.b_y = W_hy, b_y
        self.reset()

    def reset(self):
        self.h = np.zeros(self.W_hh.shape[0], dtype=self.W_hh.dtype)  # zero initial state

    def step(self, x):
        """Advance one time step with input vector ``x``; returns the output (or h)."""
        self.h = np.tanh(self.W_hh @ self.h + self.W_xh @ x + self.b_h)
        if self.W_hy is None:
            return self.h
        return self.W_hy @ self.h + self.b_y

    def forward(self, xs):
        """Unroll over a whole sequence (time, features); returns every step's output."""
        self.reset()
        return np.stack([self.step(x) for x in xs])


def compare_with_keras(units=16, features=8, steps=25, batch=4, seed=0):
    """Run our NumPy RNN and keras.layers.SimpleRNN with identical weights; return max |diff|."""
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(batch, steps, features)).astype("float32")
    layer = keras.layers.SimpleRNN(units, return_sequences=True)
    layer.build((None, steps, features))
    # Keras multiplies row vectors from the left (x @ kernel), so its matrices are our transposes.
    W_xh = rng.normal(scale=0.4, size=(units, features)).astype("float32")
    W_hh = rng.normal(scale=0.4, size=(units, units)).astype("float32")
    b_h = rng.normal(scale=0.1, size=units).astype("float32")
    layer.set_weights([W_xh.T, W_hh.T, b_h])
    expected = keras.ops.convert_to_numpy(layer(xs))
    ours = np.stack([RNN(W_xh, W_hh, b_h).forward(x) for x in xs])
    return float(np.max(np.abs(ours - expected)))


def init_params(vocab, hidden, rng, dtype="float64"):
    scale = 1.0 / np.sqrt(hidden)
    return {
        "W_xh": rng.normal(scale=0.5, size=(hidden, vocab)).astype(dtype),
        "W_hh": rng.normal(scale=scale, size=(hidden, hidden)).astype(dtype),
        "b_h": np.zeros(hidden, dtype),
        "W_hy": rng.normal(scale=scale, size=(vocab, hidden)).astype(dtype),
        "b_y": np.zeros(vocab, dtype),
    }


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def toy_problem(seed, vocab=5, hidden=7, steps=6, batch=3):
    """Random float64 parameters and a random batch of id sequences; the first sequence ends two steps early."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab, hidden, rng)
    inputs = rng.integers(0, vocab, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    mask = np.ones((steps, batch))
    mask[-2:, 0] = 0  # one padded sequence, so the mask is checked too
    return params, inputs, targets, mask


def loss_and_grads(params, inputs, targets, mask):
    """Mean cross-entropy per real character, and its gradient for every parameter.

    inputs, targets, mask: integer/float arrays of shape (time, batch).
    """
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    steps, batch = inputs.shape
    hidden = W_hh.shape[0]
    n_real = mask.sum()
    hs = np.zeros((steps + 1, batch, hidden), W_hh.dtype)  # hs[0] is the zero initial state
    probs = []
    loss = 0.0
    for t in range(steps):
        # W_xh @ one_hot(x) is just column x of W_xh, so we index instead of multiplying.
        hs[t + 1] = np.tanh(hs[t] @ W_hh.T + W_xh[:, inputs[t]].T + b_h)
        p = softmax(hs[t + 1] @ W_hy.T + b_y)
        probs.append(p)
        loss -= np.sum(mask[t] * np.log(p[np.arange(batch), targets[t]] + 1e-12))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros((batch, hidden), W_hh.dtype)
    for t in reversed(range(steps)):
        dy = probs[t].copy()
        dy[np.arange(batch), targets[t]] -= 1
        dy *= (mask[t] / n_real)[:, None]
        grads["W_hy"] += dy.T @ hs[t + 1]
        grads["b_y"] += dy.sum(axis=0)
        dh = dy @ W_hy + dh_next  # from this step's output and from the future
        da = dh * (1 - hs[t + 1] ** 2)  # through tanh
        grads["b_h"] += da.sum(axis=0)
        grads["W_hh"] += da.T @ hs[t]
        np.add.at(grads["W_xh"].T, inputs[t], da)
        dh_next = da @ W_hh
    return loss / n_real, grads, probs


def gradient_check(seed=0, eps=1e-5):
    """Largest relative error between analytic and finite-difference gradients, per parameter (float64)."""
    params, inputs, targets, mask = toy_problem(seed)
    _, grads, _ = loss_and_grads(params, inputs, targets, mask)
    worst = {}
    for name, value in params.items():
        worst[name] = 0.0
        for index in np.ndindex(value.shape):
            old = value[index]
            value[index] = old + eps
            plus = loss_and_grads(params, inputs, targets, mask)[0]
            value[index] = old - eps
            minus = loss_and_grads(params, inputs, targets, mask)[0]
            value[index] = old
            numeric = (plus - minus) / (2 * eps)
            analytic = grads[name][index]
            denom = max(abs(numeric) + abs(analytic), 1e-8)
            worst[name] = max(worst[name], abs(numeric - analytic) / denom)
    return worst


class Adam:
    """The Adam optimiser in NumPy, with gradient clipping by global norm."""

    def __init__(self, params, lr=0.01, clip=5.0):
        self.lr, self.clip, self.t = lr, clip, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def update(self, params, grads):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        scale = min(1.0, self.clip / (norm + 1e-12))
        self.t += 1
        for k in params:
            g = grads[k] * scale
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g**2
            m_hat = self.m[k] / (1 - 0.9**self.t)
            v_hat = self.v[k] / (1 - 0.999**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def train_hello(seed, max_iterations=2000):
    vocab = ["h", "e", "l", "o"]
    index = {c: i for i, c in enumerate(vocab)}
    inputs = np.array([[index[c]] for c in "hell"])
    targets = np.array([[index[c]] for c in "ello"])
    mask = np.ones(inputs.shape)
    rng = np.random.default_rng(seed)
    params = init_params(len(vocab), hidden=8, rng=rng)
    _, _, probs = loss_and_grads(params, inputs, targets, mask)
    before = np.stack([p[0] for p in probs], axis=1)
    optimiser = Adam(params, lr=0.05)
    losses = []
    for iteration in range(1, max_iterations + 1):  # noqa: B007  (reported after the loop)
        loss, grads, probs = loss_and_grads(params, inputs, targets, mask)
        losses.append(loss)
        predicted = "".join(vocab[int(np.argmax(p[0]))] for p in probs)
        if predicted == "ello" and loss < 0.05:
            break
        optimiser.update(params, grads)
    after = np.stack([p[0] for p in probs], axis=1)
    return dict(vocab=vocab, losses=losses, before=before, after=after, predicted=predicted, iterations=iteration)


def plot_hello(result):
    """The four-step diagram: output confidence for every character at every step."""
    fig, axes = plots.plt.subplots(1, 2, figsize=(10, 3.6))
    targets = [result["vocab"].index(c) for c in "ello"]
    steps = [f"in '{c}'\nwant '{t}'" for c, t in zip("hell", "ello")]
    for ax, key, title in [(axes[0], "before", "Before training"), (axes[1], "after", "After training")]:
        plots.heatmap(
            result[key],
            row_labels=result["vocab"],
            col_labels=steps,
            title=title,
            ylabel="output character",
            highlight=[(t, j) for j, t in enumerate(targets)],
            ax=ax,
        )
    fig.suptitle("Output confidence (softmax) per step; red boxes mark the correct next character")
    fig.tight_layout()
    return fig


BOUNDARY = "."


def load_names(quick):
    text = data.read_text("names")
    names = [line.strip().lower() for line in text.splitlines() if line.strip()]
    if len(names) < 100 or not all(n.isalpha() for n in names[:100]):
        raise CourseError("names.txt does not look like one first name a line; is it the right file?")
    rng = np.random.default_rng(42)
    names = [names[i] for i in rng.permutation(len(names))]
    if quick:
        names = names[:3000]
    split = int(0.9 * len(names))
    vocab = [BOUNDARY] + sorted(set("".join(names)))
    return names[:split], names[split:], vocab


def encode_names(names, vocab):
    """Time-major integer arrays (inputs, targets, mask) for a list of names, padded with 0."""
    index = {c: i for i, c in enumerate(vocab)}
    longest = max(len(n) for n in names) + 1
    inputs = np.zeros((longest, len(names)), dtype=np.int64)
    targets = np.zeros_like(inputs)
    mask = np.zeros(inputs.shape)
    for j, name in enumerate(names):
        seq = [0] + [index[c] for c in name] + [0]
        inputs[: len(seq) - 1, j] = seq[:-1]
        targets[: len(seq) - 1, j] = seq[1:]
        mask[: len(seq) - 1, j] = 1
    return inputs, targets, mask


def bigram_loss(train, dev, vocab):
    """Cross-entropy of a smoothed bigram count model on the dev names."""
    index = {c: i for i, c in enumerate(vocab)}
    counts = np.ones((len(vocab), len(vocab)))  # add-one smoothing
    for name in train:
        seq = [0] + [index[c] for c in name] + [0]
        for a, b in zip(seq, seq[1:]):
            counts[a, b] += 1
    probs = counts / counts.sum(axis=1, keepdims=True)
    nll = [
        -np.log(probs[a, b])
        for name in dev
        for a, b in zip([0] + [index[c] for c in name], [index[c] for c in name] + [0])
    ]
    return float(np.mean(nll))


def sample_numpy(params, vocab, rng, count=10, max_len=20):
    names = []
    for _ in range(count):
        rnn = RNN(params["W_xh"], params["W_hh"], params["b_h"], params["W_hy"], params["b_y"])
        x, name = 0, ""
        for _ in range(max_len):
            logits = rnn.step(np.eye(len(vocab), dtype=params["W_xh"].dtype)[x])
            x = int(rng.choice(len(vocab), p=softmax(logits.astype("float64"))))
            if x == 0:
                break
            name += vocab[x]
        names.append(name)
    return names


def train_numpy_names(train, dev, vocab, *, hidden, epochs, batch_size, seed, run):
    rng = np.random.default_rng(seed)
    params = init_params(len(vocab), hidden, rng, dtype="float32")
    optimiser = Adam(params, lr=0.01)
    dev_arrays = encode_names(dev, vocab)
    history = {"loss": [], "val_loss": []}
    for epoch in run.epochs("numpy_rnn", epochs, params=params, optimiser=optimiser, rng=rng, history=history):
        order = rng.permutation(len(train))
        total, count = 0.0, 0
        for start in range(0, len(train), batch_size):
            batch = [train[i] for i in order[start : start + batch_size]]
            inputs, targets, mask = encode_names(batch, vocab)
            loss, grads, _ = loss_and_grads(params, inputs, targets, mask)
            optimiser.update(params, grads)
            total += loss * mask.sum()
            count += mask.sum()
        val_loss = loss_and_grads(params, *dev_arrays)[0]
        history["loss"].append(total / count)
        history["val_loss"].append(float(val_loss))
        run.log_scalar("numpy_rnn/loss", total / count, epoch)
        run.log_scalar("numpy_rnn/val_loss", val_loss, epoch)
        print(f"  NumPy RNN epoch {epoch + 1}/{epochs}: train loss {total / count:.3f}, dev loss {val_loss:.3f}")
    return params, history


def one_hot_dataset(names, vocab, batch_size, shuffle_seed=None):
    inputs, targets, mask = encode_names(names, vocab)
    x = np.eye(len(vocab), dtype="float32")[inputs.T] * mask.T[..., None]  # padding -> zeros
    y = targets.T
    dataset = tf.data.Dataset.from_tensor_slices((x, y, mask.T.astype("float32")))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(names), seed=shuffle_seed)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_keras_model(vocab_size, hidden):
    inputs = keras.Input((None, vocab_size), name="one_hot_chars")
    masked = keras.layers.Masking(mask_value=0.0)(inputs)
    states = keras.layers.SimpleRNN(hidden, return_sequences=True, name="rnn")(masked)
    logits = keras.layers.Dense(vocab_size, name="W_hy")(states)
    model = keras.Model(inputs, logits, name="names_rnn")
    model.compile(
        optimizer=keras.optimizers.Adam(0.01, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[],
    )
    return model


def keras_dev_loss(model, dataset):
    """Mean cross-entropy per real character, computed the same way as for the NumPy model."""
    total, count = 0.0, 0.0
    for x, y, w in dataset.as_numpy_iterator():  # NumPy batches: the same on every Keras backend
        logits = model.predict_on_batch(x)
        nll = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        total += float(np.sum(nll * w))
        count += float(np.sum(w))
    return total / count


def complete(model, vocab, prefix, max_len=20):
    """Greedy completion of a name prefix, and the top next-character probabilities."""
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in prefix if c not in index or c == BOUNDARY})
    if unknown:
        raise CourseError(
            f"{shorten(prefix)} has characters the model never saw: {shorten(''.join(unknown))} (use a-z)"
        )
    seq = [0] + [index[c] for c in prefix]
    # Every step reads one input of the same width, the name so far and then padding (all-zero rows,
    # which Masking hides), so the compiled predict step is reused rather than compiled anew for each length.
    # The RNN reads left to right, so the output at the last real character ignores the padding.
    width = len(seq) + max_len
    first = None
    for _ in range(max_len):
        x = np.zeros((1, width, len(vocab)), dtype="float32")
        x[0, np.arange(len(seq)), seq] = 1.0
        probs = softmax(np.asarray(model.predict_on_batch(x))[0, len(seq) - 1].astype("float64"))
        if first is None:
            first = probs
        nxt = int(np.argmax(probs))
        if nxt == 0:
            break
        seq.append(nxt)
    return "".join(vocab[i] for i in seq[1:]), first


def plot_losses(hello_losses, np_history, keras_history, baseline):
    fig, axes = plots.plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].plot(np.arange(1, len(hello_losses) + 1), hello_losses, color="#1f77b4", linewidth=2)
    axes[0].set(title="'hello': BPTT in NumPy", xlabel="iteration", ylabel="cross-entropy (nats/char)")
    epochs = np.arange(1, len(np_history["loss"]) + 1)
    axes[1].plot(epochs, np_history["val_loss"], "o-", label="NumPy RNN (dev)", color="#d62728")
    axes[1].plot(epochs, keras_history["val_loss"], "s--", label="Keras SimpleRNN (dev)", color="#2ca02c")
    axes[1].axhline(baseline, color="black", linestyle=":", label="bigram counts (dev)")
    axes[1].set(title="Names: next-character loss", xlabel="epoch", ylabel="cross-entropy (nats/char)")
    axes[1].xaxis.get_major_locator().set_params(integer=True)
    axes[1].legend()
    fig.tight_layout()
    return fig


def print_completions(model, vocab, prefixes):
    for prefix in prefixes:
        name, probs = complete(model, vocab, prefix.strip().lower())
        top = np.argsort(probs)[::-1][:3]
        nxt = ", ".join(f"{'(end)' if i == 0 else vocab[i]} {probs[i]:.2f}" for i in top)
        print(f"{prefix} -> {name}    next character: {nxt}")
