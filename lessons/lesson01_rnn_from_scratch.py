"""Lesson 01: a recurrent neural network from scratch.

What you will see:
1. The vanilla RNN written in a dozen lines of NumPy,
       h_t = tanh(W_hh h_{t-1} + W_xh x_t + b),   y_t = W_hy h_t + c,
   with a zero initial state and the same weights at every step, and proof that it
   computes exactly what `keras.layers.SimpleRNN` computes when given the same weights.
2. Backpropagation through time (BPTT) by hand, checked against finite differences.
3. The classic four-letter example: feed "hell", learn to predict "ello", and watch the
   output confidences per character sharpen (hello_confidences.png).
4. The same code trained on 32,033 real first names, generating new ones, next to the
   same model built in Keras and a counting (bigram) baseline it must beat.

Run it:  make lesson01   (or python -m lessons.lesson01_rnn_from_scratch --help)
Predict: python -m lessons.lesson01_rnn_from_scratch predict em jo
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots
from course_utils.repro import set_seed
from course_utils.runs import Run, load_model, newest_model

LESSON = "lesson01_rnn_from_scratch"

# %% [markdown]
# ## 1. One step of an RNN
# The hidden state h is the network's memory. Each step mixes the new input x_t with the
# previous state through two weight matrices and squashes the sum with tanh. The *same*
# W_xh, W_hh and b are used at every step: that weight sharing is what lets one small
# network read a sequence of any length.


# %%
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


# %% [markdown]
# ## 2. Backpropagation through time
# To train, unroll the network over the sequence and apply the chain rule backwards from
# the last step to the first. The gradient for W_hh collects a contribution from every
# step, because the same matrix was used at every step. The version below handles a
# batch of padded sequences at once: `mask` is 1 for real characters and 0 for padding.


# %%
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


def gradient_check(seed=0, vocab=5, hidden=7, steps=6, batch=3, eps=1e-5):
    """Largest relative error between analytic and finite-difference gradients (float64)."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab, hidden, rng)
    inputs = rng.integers(0, vocab, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    mask = np.ones((steps, batch))
    mask[-2:, 0] = 0  # one padded sequence, so the mask is checked too
    _, grads, _ = loss_and_grads(params, inputs, targets, mask)
    worst = 0.0
    for name, value in params.items():
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
            worst = max(worst, abs(numeric - analytic) / denom)
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


# %% [markdown]
# ## 3. "hello": four characters, four steps
# The vocabulary is {h, e, l, o}. We feed the one-hot vectors of "h", "e", "l", "l" and
# ask for "e", "l", "l", "o". Note that "l" is followed once by "l" and once by "o": only
# the hidden state, which remembers what came before, can tell the two apart.


# %%
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
    return {"vocab": vocab, "losses": losses, "before": before, "after": after,
            "predicted": predicted, "iterations": iteration}


def plot_hello(result):
    """The four-step diagram: output confidence for every character at every step."""
    fig, axes = plots.plt.subplots(1, 2, figsize=(10, 3.6))
    targets = [result["vocab"].index(c) for c in "ello"]
    steps = [f"in '{c}'\nwant '{t}'" for c, t in zip("hell", "ello")]
    for ax, key, title in [(axes[0], "before", "Before training"), (axes[1], "after", "After training")]:
        plots.heatmap(result[key], row_labels=result["vocab"], col_labels=steps, title=title,
                      ylabel="output character", highlight=[(t, j) for j, t in enumerate(targets)], ax=ax)
    fig.suptitle("Output confidence (softmax) per step; red boxes mark the correct next character")
    fig.tight_layout()
    return fig


# %% [markdown]
# ## 4. Real data: 32,033 first names
# Each name becomes a sequence framed by a boundary token ".": the model reads ".emma" and
# must predict "emma.". A counting bigram model (how often does each letter follow each
# letter?) is the baseline: a recurrent model should beat it, because it remembers more
# than one letter back.


# %%
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
    nll = [-np.log(probs[a, b]) for name in dev for a, b in zip([0] + [index[c] for c in name],
                                                                  [index[c] for c in name] + [0])]
    return float(np.mean(nll))


def train_numpy_names(train, dev, vocab, *, hidden, epochs, batch_size, seed, run):
    rng = np.random.default_rng(seed)
    params = init_params(len(vocab), hidden, rng, dtype="float32")
    optimiser = Adam(params, lr=0.01)
    dev_arrays = encode_names(dev, vocab)
    history = {"loss": [], "val_loss": []}
    for epoch in range(epochs):
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


# %% [markdown]
# ## 5. The same model in Keras
# `SimpleRNN` is our `RNN` class; `Dense` is W_hy. The characters go in one-hot, padding is
# an all-zero vector that `Masking` hides from the RNN and from the loss.


# %%
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
    for x, y, w in dataset:
        logits = model(x, training=False)
        nll = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        total += float(keras.ops.sum(nll * w))
        count += float(keras.ops.sum(w))
    return total / count


def complete(model, vocab, prefix, max_len=20):
    """Greedy completion of a name prefix, and the top next-character probabilities."""
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in prefix if c not in index or c == BOUNDARY})
    if unknown:
        raise CourseError(f"{prefix!r} has characters the model never saw: {''.join(unknown)!r} (use a-z)")
    seq = [0] + [index[c] for c in prefix]
    first = None
    for _ in range(max_len):
        x = np.eye(len(vocab), dtype="float32")[seq][None]
        probs = softmax(keras.ops.convert_to_numpy(model(x))[0, -1].astype("float64"))
        if first is None:
            first = probs
        nxt = int(np.argmax(probs))
        if nxt == 0:
            break
        seq.append(nxt)
    return "".join(vocab[i] for i in seq[1:]), first


# %% [markdown]
# ## Putting it together


# %%
def train(args):
    set_seed(args.seed)
    if args.quick:
        args.epochs = min(args.epochs, 3)
    run = Run.start(LESSON, run_dir=args.run_dir)
    print(f"Lesson 01: an RNN from scratch. Outputs go to {run.path}\n")

    diff = compare_with_keras(seed=args.seed)
    print(f"1. NumPy RNN vs keras.layers.SimpleRNN, same weights: max |difference| = {diff:.2e}")

    grad_error = gradient_check(seed=args.seed)
    print(f"2. BPTT gradients vs finite differences: max relative error = {grad_error:.2e}")

    hello = train_hello(args.seed)
    print(f"3. 'hell' -> '{hello['predicted']}' after {hello['iterations']} iterations "
          f"(loss {hello['losses'][-1]:.3f})")
    run.save_figure(plot_hello(hello), "hello_confidences.png")

    train_names, dev_names, vocab = load_names(args.quick)
    baseline = bigram_loss(train_names, dev_names, vocab)
    print(f"4. Names: {len(train_names)} train / {len(dev_names)} dev, {len(vocab)} characters; "
          f"bigram baseline dev loss {baseline:.3f}")
    t0 = time.time()
    params, np_history = train_numpy_names(train_names, dev_names, vocab, hidden=args.hidden,
                                           epochs=args.epochs, batch_size=args.batch_size,
                                           seed=args.seed, run=run)
    numpy_seconds = time.time() - t0
    samples = sample_numpy(params, vocab, np.random.default_rng(args.seed))
    print("   NumPy RNN samples: " + ", ".join(samples))
    run.log_text("numpy_rnn/samples", "\n\n".join(samples), step=args.epochs)

    print("5. The same model in Keras:")
    model = build_keras_model(len(vocab), args.hidden)
    train_ds = one_hot_dataset(train_names, vocab, args.batch_size, shuffle_seed=args.seed)
    dev_ds = one_hot_dataset(dev_names, vocab, 512)
    t0 = time.time()
    history = model.fit(train_ds, validation_data=dev_ds, epochs=args.epochs,
                        callbacks=run.callbacks(), verbose=2)
    keras_seconds = time.time() - t0
    keras_loss = keras_dev_loss(model, dev_ds)
    model_path = run.save_model(model)
    (run.path / "vocab.txt").write_text("".join(vocab) + "\n")
    keras_samples = [complete(model, vocab, c)[0] for c in "abcdefghij"]
    print(f"   Keras dev loss {keras_loss:.3f}; greedy names from a..j: {', '.join(keras_samples)}")
    run.log_text("keras_rnn/greedy_names", "\n\n".join(keras_samples), step=args.epochs)

    run.save_figure(plot_losses(hello["losses"], np_history, history.history, baseline), "loss_curves.png")
    run.write_metrics(
        {
            "numpy_vs_keras_max_abs_diff": diff,
            "gradient_check_max_rel_error": grad_error,
            "hello_prediction": hello["predicted"],
            "hello_iterations": hello["iterations"],
            "hello_final_loss": hello["losses"][-1],
            "bigram_dev_loss": baseline,
            "numpy_dev_loss": np_history["val_loss"][-1],
            "keras_dev_loss": keras_loss,
            "numpy_train_seconds": numpy_seconds,
            "keras_train_seconds": keras_seconds,
            "numpy_samples": samples,
            "keras_greedy_names": keras_samples,
            "model_path": model_path,
        },
        epochs=args.epochs, seed=args.seed, quick=args.quick, hidden=args.hidden,
        train_names=len(train_names), dev_names=len(dev_names),
    )
    run.finish()
    print("\nNext: the exercises for this lesson: make check EX=ex01   (stuck? make hint EX=ex01a)")
    return run


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


def predict(args):
    path = args.model or newest_model(LESSON)
    model = load_model(path, LESSON)
    vocab_file = Path(path).parent / "vocab.txt"
    if not vocab_file.is_file():
        raise CourseError(f"{vocab_file} is missing; it is written next to the model by training")
    vocab = list(vocab_file.read_text().rstrip("\n"))
    if not args.inputs:
        raise CourseError("give one or more name beginnings, e.g.: predict em jo")
    for prefix in args.inputs:
        name, probs = complete(model, vocab, prefix.strip().lower())
        top = np.argsort(probs)[::-1][:3]
        nxt = ", ".join(f"{'(end)' if i == 0 else vocab[i]} {probs[i]:.2f}" for i in top)
        print(f"{prefix} -> {name}    next character: {nxt}")


def run(argv=None):
    parser = cli.train_parser(LESSON, __doc__.splitlines()[0], epochs=8, batch_size=64, cell=None)
    parser.add_argument("--hidden", type=cli.positive_int, default=64, help="hidden units (default 64)")
    return cli.run_cli(argv, train=train, parser=parser, predict=predict,
                       predict_args=cli.predict_parser(LESSON, "the beginning of a name, e.g. 'em'"))


if __name__ == "__main__":
    cli.main(run)
