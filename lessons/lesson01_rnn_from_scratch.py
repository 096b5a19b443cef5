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

Run it:   make lesson01   (or python -m lessons.lesson01_rnn_from_scratch --help)
Predict:  python -m lessons.lesson01_rnn_from_scratch predict em jo
Notebook: make notebooks, then open lessons/lesson01_rnn_from_scratch.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots
from course_utils.atomic import write_atomic
from course_utils.inputs import shorten
from course_utils.lesson import LessonConfig, configure, flag, show, show_figure
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model

LESSON = "lesson01_rnn_from_scratch"
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--hidden 128`, `--epochs 4`).
# `--quick` (or `COURSE_QUICK=1` in the environment, for a notebook) trains on a small real
# slice of the names for three epochs, in seconds.


# %%
@dataclass
class Config(LessonConfig):
    epochs: int = flag(8, "training epochs", type=cli.positive_int)
    batch_size: int = flag(64, "batch size", type=cli.batch_size)
    hidden: int = flag(64, "hidden units", type=cli.layer_size)

    QUICK = {"epochs": 3}


config = configure(Config, LESSON)
set_seed(config.seed)
run = Run.start(LESSON, config)
print(f"Lesson 01: an RNN from scratch{' (quick)' if config.quick else ''}. Outputs go to {display_path(run.path)}")
show(config)

# %% [markdown]
# ## 1. One step of an RNN
# The hidden state h is the network's memory. Each step mixes the new input x_t with the
# previous state through two weight matrices and squashes the sum with tanh. The *same*
# W_xh, W_hh and b are used at every step: that weight sharing is what lets one small
# network read a sequence of any length. We try it at once on a toy batch: 4 sequences of
# 5 steps, each step a vector of 2 features, read by an RNN with 3 hidden units.


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


toy_rng = np.random.default_rng(config.seed)
toy_rnn = RNN(W_xh=toy_rng.normal(scale=0.5, size=(3, 2)), W_hh=toy_rng.normal(scale=0.5, size=(3, 3)), b_h=np.zeros(3))
toy_batch = toy_rng.normal(size=(4, 5, 2))  # (batch, time, features)
print(f"W_xh {toy_rnn.W_xh.shape}, W_hh {toy_rnn.W_hh.shape}, b {toy_rnn.b_h.shape}")
print(f"h_0 = {toy_rnn.h}  (the zero initial state)")
print(f"one step:  x_1 {toy_batch[0, 0].shape} -> h_1 {toy_rnn.step(toy_batch[0, 0]).shape} = {toy_rnn.h.round(3)}")
toy_states = np.stack([toy_rnn.forward(sequence) for sequence in toy_batch])
print(f"the batch: {toy_batch.shape} (batch, time, features) -> states {toy_states.shape} (batch, time, units)")
print("the first sequence's five states, one row per step:")
print(toy_states[0].round(3))

# %% [markdown]
# `keras.layers.SimpleRNN` is the same equation. Keras multiplies row vectors from the left
# (`x @ kernel`), so its matrices are the transposes of ours. Copy our weights into a
# SimpleRNN and both must give the same states for the same inputs, up to float32 rounding
# (about 1e-7):


# %%
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


keras_rnn = keras.layers.SimpleRNN(16)
keras_rnn.build((None, None, 8))
print("keras.layers.SimpleRNN(16) reading 8 features holds:")
for weight, ours in zip(keras_rnn.weights, ["W_xh.T", "W_hh.T", "b"]):
    print(f"  {weight.name:<17} {str(tuple(weight.shape)):<9} our {ours}")
numpy_vs_keras = compare_with_keras(seed=config.seed)
print(
    f"NumPy RNN vs keras.layers.SimpleRNN, same weights, 4 sequences of 25 steps: "
    f"max |difference| = {numpy_vs_keras:.2e}"
)

# %% [markdown]
# ## 2. Backpropagation through time
# To train, unroll the network over the sequence and apply the chain rule backwards from
# the last step to the first. The gradient for W_hh collects a contribution from every
# step, because the same matrix was used at every step. The version below reads characters
# as integer ids (W_xh times a one-hot vector is just a column of W_xh), puts a softmax output
# layer on every step, and handles a batch of padded sequences at once: arrays are
# (time, batch), and `mask` is 1 for real characters and 0 for padding, which the loss skips.
#
# First the pieces around it: random starting weights, the softmax that turns a step's output
# scores into probabilities, and a toy problem to run everything on (5 character ids, 7 hidden
# units, 3 sequences of 6 steps, the first padded after 4).


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


def toy_problem(seed, vocab=5, hidden=7, steps=6, batch=3):
    """Random float64 parameters and a random batch of id sequences; the first sequence ends two steps early."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab, hidden, rng)
    inputs = rng.integers(0, vocab, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    mask = np.ones((steps, batch))
    mask[-2:, 0] = 0  # one padded sequence, so the mask is checked too
    return params, inputs, targets, mask


toy_params, toy_inputs, toy_targets, toy_mask = toy_problem(config.seed)
print(f"inputs, targets and mask: {toy_inputs.shape} (time, batch); the mask, one column per sequence:")
print(toy_mask.astype(int))
print("softmax([1, 2, 3]) =", softmax(np.array([1.0, 2.0, 3.0])).round(3))

# %% [markdown]
# The forward pass keeps every hidden state and every softmax output; the backward pass walks
# the steps in reverse, adding each step's share to the gradients. `dh_next` carries the
# gradient that flows into a hidden state from the steps after it.


# %%
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


toy_loss, toy_grads, toy_probs = loss_and_grads(toy_params, toy_inputs, toy_targets, toy_mask)
print(f"softmax outputs: {len(toy_probs)} steps of {toy_probs[0].shape} (batch, vocabulary)")
print(f"loss {toy_loss:.3f} nats per real character (a uniform guess over 5 ids scores ln 5 = {np.log(5):.3f})")
rows = [
    f"| {k} | {v.shape} | {toy_grads[k].shape} | {np.linalg.norm(toy_grads[k]):.4f} |" for k, v in toy_params.items()
]
show("| parameter | shape | gradient shape | gradient norm |\n|---|---|---|---|\n" + "\n".join(rows))

# %% [markdown]
# Are those gradients right? Nudge one weight up and down by eps, recompute the loss, and
# the slope (loss(w + eps) - loss(w - eps)) / (2 eps) must match the analytic gradient. The
# check below does it for every one of the toy problem's weights, in float64, and reports the
# worst relative error per parameter. A mistake in BPTT (a missing transpose, the tanh
# derivative forgotten, the mask ignored) shows up as an error near 1, not near 1e-8.


# %%
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


gradient_errors = gradient_check(seed=config.seed)
show(
    "| parameter | weights checked | max relative error |\n|---|---|---|\n"
    + "\n".join(f"| {name} | {toy_params[name].size} | {error:.2e} |" for name, error in gradient_errors.items())
)
print(f"BPTT gradients vs finite differences: max relative error = {max(gradient_errors.values()):.2e}")

# %% [markdown]
# ## 3. "hello": four characters, four steps
# The vocabulary is {h, e, l, o}. We feed the one-hot vectors of "h", "e", "l", "l" and
# ask for "e", "l", "l", "o". Note that "l" is followed once by "l" and once by "o": only
# the hidden state, which remembers what came before, can tell the two apart.
#
# The gradients drive Adam, written here in NumPy too: a running mean of each weight's
# gradient (momentum) divided by the root of a running mean of its square (a step size per
# weight). Gradients are first clipped to a global norm of 5: an RNN's gradients can explode
# (lesson 02 shows why).


# %%
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


demo = {"w": np.ones(3)}
Adam(demo, lr=0.01).update(demo, {"w": np.array([100.0, 0.1, -0.001])})
print(f"One Adam step (lr 0.01) on gradients [100, 0.1, -0.001] moves the weights by {(demo['w'] - 1).round(4)}")

# %% [markdown]
# Adam's first step moves every weight by about lr, whatever the size of its gradient. Training
# on "hello" repeats forward, backward and update until the four predictions are right and the
# loss is below 0.05, keeping the softmax outputs before and after for the picture below.


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
    return dict(vocab=vocab, losses=losses, before=before, after=after, predicted=predicted, iterations=iteration)


hello = train_hello(config.seed)
hello_before = "".join(hello["vocab"][i] for i in hello["before"].argmax(axis=0))
print(
    f"Untrained: 'hell' -> '{hello_before}' (loss {hello['losses'][0]:.3f}, a uniform guess scores ln 4 = "
    f"{np.log(4):.3f})"
)
print(
    f"Trained:   'hell' -> '{hello['predicted']}' after {hello['iterations']} iterations "
    f"(loss {hello['losses'][-1]:.3f})"
)

# %% [markdown]
# Each column below is one step: the softmax over the four characters, before and after
# training. The red boxes mark the character that should come next; the two "l" columns get
# different answers because the hidden state differs.


# %%
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


hello_png = show_figure(plot_hello(hello), run, "hello_confidences.png")

# %% [markdown]
# ## 4. Real data: 32,033 first names
# Each name becomes a sequence framed by a boundary token ".": the model reads ".emma" and
# must predict "emma.". Nine names in ten are for training, the rest (the dev names) measure
# how well the model predicts names it has never seen. The quick configuration takes 3,000
# names.


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


train_names, dev_names, vocab = load_names(config.quick)
name_lengths = np.array([len(name) for name in train_names])
print(f"Names: {len(train_names):,} train, {len(dev_names):,} dev; {len(vocab)} characters: {''.join(vocab)}")
print(f"Length in characters: median {int(np.median(name_lengths))}, longest {name_lengths.max()}")
print("The first ten training names:", ", ".join(train_names[:10]))

# %% [markdown]
# A batch of names becomes three (time, batch) arrays, padded to the longest name: the ids
# read, the ids to predict (the same sequence one step ahead) and the mask. Id 0 is the
# boundary "." and also fills the padding; the mask tells the two apart.


# %%
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


example_names = train_names[:3]
example_inputs, example_targets, example_mask = encode_names(example_names, vocab)
print(f"{example_names} -> inputs, targets, mask of shape {example_inputs.shape} (time, batch)")
for j, name in enumerate(example_names):
    real = example_mask[:, j] > 0
    print(
        f"  {name!r}: reads {''.join(vocab[i] for i in example_inputs[real, j])!r}, "
        f"predicts {''.join(vocab[i] for i in example_targets[real, j])!r}"
    )
print("inputs (one column per name):")
print(example_inputs)
print("mask:")
print(example_mask.astype(int))

# %% [markdown]
# The baseline: count how often each character follows each character in the training names
# (a bigram model, with add-one smoothing) and predict with those frequencies. It remembers
# exactly one character back. A recurrent model should beat it, because its state can carry
# more than one letter. Both are measured in nats per character on the dev names, where a
# uniform guess scores ln(number of characters).


# %%
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


uniform_loss = float(np.log(len(vocab)))
baseline = bigram_loss(train_names, dev_names, vocab)
print(f"Dev loss of a uniform guess: {uniform_loss:.3f}; of bigram counts: {baseline:.3f} nats per character")

# %% [markdown]
# ## 5. Training the NumPy RNN on names
# Sampling makes a name: start from ".", draw the next character from the softmax, feed it
# back in, and stop at the next ".". Here is what the untrained network (the very weights
# training starts from) invents, and its dev loss:


# %%
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


untrained_params = init_params(len(vocab), config.hidden, np.random.default_rng(config.seed), dtype="float32")
untrained_loss = loss_and_grads(untrained_params, *encode_names(dev_names, vocab))[0]
print(f"Untrained NumPy RNN: dev loss {untrained_loss:.3f} nats per character")
print("Its samples:", ", ".join(sample_numpy(untrained_params, vocab, np.random.default_rng(config.seed))))

# %% [markdown]
# Training is the loop every framework runs for you: shuffle, cut into batches, forward and
# backward through time (`loss_and_grads`), one Adam step per batch, and the dev loss after
# each epoch. The same epoch's numbers go to TensorBoard (`numpy_rnn/loss`, `numpy_rnn/val_loss`).
# `run.epochs` counts the epochs like `range(epochs)` and saves the weights, the optimiser, the
# random generator and the history after each one, so an interrupted run resumes there.


# %%
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


started = time.time()
params, numpy_history = train_numpy_names(
    train_names,
    dev_names,
    vocab,
    hidden=config.hidden,
    epochs=config.epochs,
    batch_size=config.batch_size,
    seed=config.seed,
    run=run,
)
numpy_seconds = time.time() - started
print(f"Trained NumPy RNN: dev loss {numpy_history['val_loss'][-1]:.3f} (bigram counts {baseline:.3f})")

# %% [markdown]
# What the trained network invents, drawn with the same random seed as the untrained samples
# above. A star marks a name that is not in the training names: the model has learned how names
# are spelled, not only a list of them.

# %%
numpy_samples = sample_numpy(params, vocab, np.random.default_rng(config.seed))
run.log_text("numpy_rnn/samples", "\n\n".join(numpy_samples), step=config.epochs)
known_names = set(train_names)
print(
    "Its samples (same random seed as above; * = not a training name):",
    ", ".join(name + ("" if name in known_names else "*") for name in numpy_samples),
)

# %% [markdown]
# ## 6. The same model in Keras
# `SimpleRNN` is our `RNN` class; `Dense` is W_hy. The characters go in one-hot, padding is
# an all-zero vector that `Masking` hides from the RNN, and the mask comes along as a third
# element of each batch (a sample weight per character), so padding adds nothing to the loss.
# Keras arrays are batch-major: (batch, time, features).


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


train_ds = one_hot_dataset(train_names, vocab, config.batch_size, shuffle_seed=config.seed)
dev_ds = one_hot_dataset(dev_names, vocab, 512)
batch_x, batch_y, batch_w = next(iter(train_ds))
print(
    f"One training batch: one-hot characters {tuple(batch_x.shape)}, targets {tuple(batch_y.shape)}, "
    f"mask {tuple(batch_w.shape)}"
)
batch_lengths = keras.ops.convert_to_numpy(batch_w).sum(axis=1).astype(int)
print(
    f"Real characters per name in it (the mask's row sums): {batch_lengths[:10].tolist()} ...; "
    f"padded to {batch_x.shape[1]}"
)
model = build_keras_model(len(vocab), config.hidden)
model.summary()

# %% [markdown]
# The untrained Keras model's dev loss, and its greedy completions (always the most likely
# next character) of the letters a to j:


# %%
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


print(
    f"Untrained Keras model: dev loss {keras_dev_loss(model, dev_ds):.3f}; greedy names from a..j: "
    + ", ".join(complete(model, vocab, c)[0] for c in "abcdefghij")
)

# %% [markdown]
# `model.fit` runs the loop we wrote by hand in section 5; `run.fit` calls it with the run's
# callbacks: TensorBoard logs, and a backup after every epoch, so an interrupted run resumes
# from its last finished epoch (`--run-dir` with the run's folder). One line per epoch: the
# training loss, then the dev loss.

# %%
history = run.fit(model, train_ds, validation_data=dev_ds, epochs=config.epochs)
keras_seconds = history.seconds
keras_loss = keras_dev_loss(model, dev_ds)
keras_samples = [complete(model, vocab, c)[0] for c in "abcdefghij"]
run.log_text("keras_rnn/greedy_names", "\n\n".join(keras_samples), step=config.epochs)
print(f"Trained Keras model: dev loss {keras_loss:.3f}; greedy names from a..j: {', '.join(keras_samples)}")

# %% [markdown]
# ## 7. Evaluation
# All three models on the same dev names, in nats per character (lower is better). The two
# RNNs are the same model trained by different code, so they should land close together, and
# both below the bigram counts. Left: the "hello" loss per iteration; right: the dev loss of
# both RNNs per epoch against the bigram line.


# %%
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


show(
    "| model | dev loss (nats per character) | training seconds |\n|---|---|---|\n"
    f"| uniform guess | {uniform_loss:.3f} | |\n"
    f"| bigram counts | {baseline:.3f} | |\n"
    f"| NumPy RNN, {config.hidden} units | {numpy_history['val_loss'][-1]:.3f} | {numpy_seconds:.1f} |\n"
    f"| Keras SimpleRNN, {config.hidden} units | {keras_loss:.3f} | {keras_seconds:.1f} |"
)
curves_png = show_figure(plot_losses(hello["losses"], numpy_history, history.history, baseline), run, "loss_curves.png")

# %% [markdown]
# ## 8. Saving
# The Keras model is saved with the character list beside it (`vocab.txt`), which `predict`
# needs to turn letters into ids. `metrics.json` records the results and the whole
# configuration above.

# %%
model_file = run.save_model(model)
write_atomic(run.file("vocab.txt"), "".join(vocab) + "\n")
checks = dict(numpy_vs_keras_max_abs_diff=numpy_vs_keras, gradient_check_max_rel_error=max(gradient_errors.values()))
hello_results = dict(hello_prediction=hello["predicted"], hello_iterations=hello["iterations"])
dev_losses = dict(bigram_dev_loss=baseline, numpy_dev_loss=numpy_history["val_loss"][-1], keras_dev_loss=keras_loss)
seconds = dict(numpy_train_seconds=numpy_seconds, keras_train_seconds=keras_seconds)
samples = dict(numpy_samples=numpy_samples, keras_greedy_names=keras_samples, model_path=model_file)
results = {**checks, **hello_results, "hello_final_loss": hello["losses"][-1], **dev_losses, **seconds, **samples}
run.write_metrics(results, config, train_names=len(train_names), dev_names=len(dev_names))
run.finish()

# %% [markdown]
# ## 9. Using the model
# The reloaded model completes the beginning of a name greedily and shows its three most
# likely next characters. The command line does the same with the newest run's model (or
# `--model PATH`) and its `vocab.txt`, without training:
# `python -m lessons.lesson01_rnn_from_scratch predict em jo`


# %%
def print_completions(model, vocab, prefixes):
    for prefix in prefixes:
        name, probs = complete(model, vocab, prefix.strip().lower())
        top = np.argsort(probs)[::-1][:3]
        nxt = ", ".join(f"{'(end)' if i == 0 else vocab[i]} {probs[i]:.2f}" for i in top)
        print(f"{prefix} -> {name}    next character: {nxt}")


print_completions(load_model(model_file, LESSON), vocab, ["em", "jo", "al", "mar"])
print("\nNext: the exercises for this lesson: make check EX=ex01   (stuck? make hint EX=ex01a)")
