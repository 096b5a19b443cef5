"""Check for ex06c: the learner's caption decoder, called on real Flickr8k captions vectorised as lesson 06 does
(its Vocab, min_count 3, [start] ... [end] and padding, teacher-forcing inputs) with seeded random image features.

It checks, in this order: the two inputs and their order; the output shape (batch, time, vocab_size); logits, not
probabilities; that the first word's logits depend on the image; the layers and their sizes (one Embedding, one GRU
reading word vectors only, a Dense from the features to the GRU's state and one to the vocabulary); then, with the
learner's own weights, that the model computes the core of lesson 06's inject decoder (`reference`): first at the
captions' words, then at the padded positions, where a masked GRU keeps its state. The tests check `reference`
against Keras layers wired by lesson 06's own decode_words."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import functools

import numpy as np

from exercises.checking import CheckFailed, Suspects, as_array, attempt, expect_close, shape_str

TITLE = "the caption decoder: the image as the GRU's initial state"
HINTS = (
    "Use the functional API. Two keras.Input first: the features, shape (feature_dim,), and the word ids, shape "
    '(None,) with dtype "int32". The image becomes the GRU\'s initial state: Dense(units, activation="tanh"). '
    "The words go through Embedding(vocab_size, embed_dim, mask_zero=True) and GRU(units, return_sequences=True), "
    "called with initial_state= and with the mask given explicitly (initial_state= stops Keras from passing it on), "
    "then Dense(vocab_size) without an activation. keras.Model([features, word_ids], logits).",
    "    features = keras.Input(shape=(feature_dim,))\n"
    '    word_ids = keras.Input(shape=(None,), dtype="int32")\n'
    "    state = keras.layers.Dense(units, activation=...)(features)\n"
    "    embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)\n"
    "    outputs = keras.layers.GRU(units, return_sequences=True)(\n"
    "        embedding(word_ids), initial_state=..., mask=embedding.compute_mask(word_ids))\n"
    "    logits = keras.layers.Dense(...)(outputs)          # no softmax\n"
    "    return keras.Model([features, word_ids], logits)",
)
LESSON = "lesson06_captioning"
FEATURES, EMBED, UNITS = 24, 6, 10  # all different, and different from the vocabulary size: a mix-up shows
MIN_COUNT = 3  # lesson 06's default vocabulary: words seen 3+ times in the training captions
ATOL, RTOL = 2e-5, 1e-4  # Keras computes in float32, the reference in float64
AXES = ("caption", "position", "word id")


class Weights:
    """The learner's layers' weights, by the role they play in the decoder."""

    def __init__(
        self, embeddings, image_kernel, image_bias, kernel, recurrent_kernel, bias, reset_after, out_kernel, out_bias
    ):
        self.embeddings, self.image_kernel, self.image_bias = embeddings, image_kernel, image_bias
        self.kernel, self.recurrent_kernel, self.bias, self.reset_after = kernel, recurrent_kernel, bias, reset_after
        self.out_kernel, self.out_bias = out_kernel, out_bias


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS = {"tanh": np.tanh, "linear": lambda x: x, "relu": lambda x: np.maximum(x, 0.0), "sigmoid": sigmoid}


def gru_step(w: Weights, x, h):
    """One step of keras.layers.GRU (gates z, r, candidate in that order; reset_after as the layer has it)."""
    units = h.shape[-1]
    bias = np.zeros((2, 3 * units)) if w.bias is None else np.asarray(w.bias, dtype=np.float64)
    input_bias, recurrent_bias = (bias[0], bias[1]) if w.reset_after else (bias.reshape(-1), np.zeros(3 * units))
    x_z, x_r, x_h = np.split(x @ w.kernel + input_bias, 3, axis=-1)
    rec_z, rec_r, _ = np.split(h @ w.recurrent_kernel + recurrent_bias, 3, axis=-1)
    z, r = sigmoid(x_z + rec_z), sigmoid(x_r + rec_r)
    if w.reset_after:
        rec_h = (h @ w.recurrent_kernel + recurrent_bias)[:, 2 * units :]
        candidate = np.tanh(x_h + r * rec_h)
    else:
        candidate = np.tanh(x_h + (r * h) @ w.recurrent_kernel[:, 2 * units :])
    return z * h + (1.0 - z) * candidate


def reference(w: Weights, features, word_ids, *, masked=True, image="inject", activation="tanh"):
    """Lesson 06's inject decoder in NumPy: next-word logits (batch, time, vocab) for [start] w1 ... wn.

    ``masked``: the GRU skips padding (id 0), keeping its state and repeating its last output there.
    ``image``: "inject" (the initial state), "merge" (added to the GRU's outputs, the state starting at zero).
    """
    features = np.asarray(features, dtype=np.float64)
    word_ids = np.asarray(word_ids)
    vector = ACTIVATIONS[activation](features @ w.image_kernel + w.image_bias)
    h = vector if image == "inject" else np.zeros_like(vector)
    words = w.embeddings[word_ids]
    outputs = []
    for t in range(word_ids.shape[1]):
        new = gru_step(w, words[:, t], h)
        h = np.where((word_ids[:, t] != 0)[:, None], new, h) if masked else new
        outputs.append(h)
    outputs = np.stack(outputs, axis=1)
    if image == "merge":
        outputs = outputs + vector[:, None, :]
    return outputs @ w.out_kernel + w.out_bias


@functools.lru_cache(maxsize=1)
def real_cases():
    """(vocab_size, [(description, features, word_ids)], other features for the first case): real captions as
    lesson 06 vectorises them, and seeded random image features."""
    from course_utils import data

    if not data.on_disk("flickr8k_text"):
        raise CheckFailed(
            "this check feeds your decoder real Flickr8k captions, which are not on this machine yet: "
            "run `make lesson06` first (it downloads them), or `make data`."
        )
    from course_utils import CourseError
    from course_utils.lesson import definitions

    lesson = definitions(LESSON)
    try:
        folder = lesson.text_folder()
        captions = lesson.parse_captions(folder / lesson.TOKEN_FILE)
        train = [n for n in (folder / lesson.SPLIT_FILES["train"]).read_text().split() if n in captions]
    except (CourseError, OSError) as err:
        raise CheckFailed(f"could not read the Flickr8k captions: {err}") from None
    vocab = lesson.Vocab.fit([c for name in train for c in captions[name]], MIN_COUNT)
    rng = np.random.default_rng(6)

    def photos(count):  # pooled CNN features are non-negative averages
        return rng.gamma(2.0, 0.25, size=(count, FEATURES)).astype("float32")

    def inputs(names, max_words):  # teacher forcing: the decoder reads all but the last column
        return vocab.encode([c for n in names for c in captions[n][:5]], max_words)[:, :-1]

    one = captions[train[6]][1]  # a caption with two [unk]
    cases = [
        (
            f"the five captions of each of two training photos ({train[0]}, {train[1]}), max_words 16, as a lesson 06 "
            "batch holds them: each photo's features repeated for its five captions",
            np.repeat(photos(2), 5, axis=0),
            inputs(train[:2], 16),
        ),
        (
            f"the five captions of {train[3]} cut to max_words 10 (some fill the row, some are padded)",
            np.repeat(photos(1), 5, axis=0),
            inputs(train[3:4], 10),
        ),
        (
            f'one caption alone, [start] and its {len(one.split())} words, no padding: "{one}"',
            photos(1),
            vocab.encode([one], len(one.split()))[:, :-1],
        ),
    ]
    other_photos = np.repeat(photos(2), 5, axis=0)  # the first batch's captions with two other photos
    return len(vocab.words), [(c, f, w.astype("int32")) for c, f, w in cases], other_photos


SANDBOX_PRELOAD = ("keras",)  # the learner's code builds Keras models: its process starts with keras imported
SANDBOX_PROBES = ("inspect_decoder",)  # run in the learner's process, where the model is (exercises/sandbox.py)


def inspect_decoder(learner, vocab_size, batches):
    """In the learner's process: build_decoder's model, described as data for the check to judge: its inputs'
    shapes, its logits on each batch ``(case, features, word_ids)`` (or the verdict calling it gave) and its
    weights by role (or the verdict on its layers)."""
    import keras

    keras.utils.set_random_seed(0)
    model = learner.call(
        "build_decoder",
        FEATURES,
        vocab_size,
        EMBED,
        UNITS,
        case=f"feature_dim={FEATURES}, vocab_size={vocab_size}, embed_dim={EMBED}, units={UNITS}",
    )
    if not isinstance(model, keras.Model):
        return {"not a model": type(model).__name__}
    try:
        inputs = [[None if s is None else int(s) for s in i.shape] for i in list(model.inputs)]
    except (AttributeError, TypeError, ValueError):  # a subclassed model does not say what it expects
        inputs = None
    logits = [verdict_or(lambda b=batch: logits_of(model, b[1], b[2], b[0])) for batch in batches]
    call = f"build_decoder({FEATURES}, {vocab_size}, {EMBED}, {UNITS})"
    weights = verdict_or(lambda: vars(decoder_weights(model, call, vocab_size)))  # Weights' arguments, by name
    return {"inputs": inputs, "logits": logits, "weights": weights}


def verdict_or(compute):
    """``compute()``, or the verdict it raised, as data."""
    try:
        return compute()
    except CheckFailed as failed:
        return {"failed": str(failed)}


def reported(value):
    """A value the learner's process reported, or the verdict it reported instead."""
    if isinstance(value, dict) and "failed" in value:
        raise CheckFailed(value["failed"])
    return value


def logits_of(model, features, word_ids, case):
    import keras

    doing = (
        f"calling your model as model([features, word_ids]) on {case} (features {shape_str(features.shape)} "
        f"float32, word ids {shape_str(word_ids.shape)} int32)"
    )
    out = attempt(doing, lambda: model([features.copy(), word_ids.copy()], training=False))
    if isinstance(out, (list, tuple, dict)):
        raise CheckFailed(
            f"case: {case}\nyour model returns {len(out)} outputs; it should return the logits alone "
            "(a GRU with return_state=True gives its state too: leave that out)."
        )
    return attempt(doing, lambda: keras.ops.convert_to_numpy(out))


def check_inputs(inputs, call):
    """Two inputs, image features first (functional models say what they expect; a subclassed model does not)."""
    if inputs is None:
        return
    if len(inputs) != 2:
        raise CheckFailed(
            f"{call} returned a model with {len(inputs)} input(s); it takes two, in this order: the "
            "image features and the word ids: keras.Model([features, word_ids], logits)."
        )
    shapes = [tuple(i) for i in inputs]
    if shapes[1] == (None, FEATURES) and len(shapes[0]) == 2 and shapes[0][1] != FEATURES:
        raise CheckFailed(
            f"{call} returned a model whose inputs are in the wrong order: first {shapes[0]} (the word "
            f"ids), then {shapes[1]} (the image features). The check calls model([features, word_ids]): "
            "keras.Model([features, word_ids], logits)."
        )


def check_shape(got, word_ids, vocab_size, case):
    batch, time = word_ids.shape
    want = (batch, time, vocab_size)
    if got.shape == want:
        return
    lines = [
        f"case: {case}",
        f"your model's output has shape {shape_str(got.shape)}; it should be {want}: "
        "(batch, time, vocab_size), the logits of the next word at every position.",
    ]
    if got.shape == (batch, vocab_size):
        lines.append(
            "There is no time axis: the GRU returns only its last output. It needs return_sequences=True, "
            "so that every word gets a prediction (teacher forcing)."
        )
    elif got.shape == (batch, time + 1, vocab_size):
        lines.append(
            "That is one position too many: did the image go in as an extra first word? It is the GRU's "
            "initial state instead (initial_state=...), so the output has one position per word read."
        )
    elif got.shape == (batch, time, UNITS):
        lines.append(f"{UNITS} is `units`: the Dense(vocab_size) layer after the GRU is missing.")
    raise CheckFailed("\n".join(lines))


def check_logits(got, case):
    if got.min() >= 0 and got.max() <= 1:
        sums = got.sum(axis=-1)
        what = (
            "each position's numbers add up to 1: a softmax"
            if np.allclose(sums, 1.0, atol=1e-4)
            else "they are all between 0 and 1: an activation"
        )
        raise CheckFailed(
            f"case: {case}\nyour model returns probabilities, not logits: {what}. Lesson 06's loss takes "
            "logits (SparseCategoricalCrossentropy(from_logits=True)) and decoding takes their "
            "log_softmax, so the last layer is Dense(vocab_size) with no activation."
        )


def check_image_used(first, other, case):
    if np.abs(first[:, 0] - other[:, 0]).max() > 1e-6:
        return
    later = np.abs(first - other).max() > 1e-6
    raise CheckFailed(
        f"case: {case}\nwith the features of two other photos, your model's logits for the first word (position 0, "
        "after [start]) do not change at all"
        + (", though later positions do" if later else ", nor anywhere else")
        + ": the first word does not depend on the image. Lesson 06 (--inject) makes the image the GRU's initial "
        'state: Dense(units, activation="tanh") of the features, given as GRU(...)(words, initial_state=state, ...).'
    )


def sublayers(layer, seen=None):
    """Every layer inside ``layer``: nested models, wrappers (TimeDistributed, Bidirectional), each once."""
    seen = set() if seen is None else seen
    inner = list(getattr(layer, "layers", None) or [])
    inner += [getattr(layer, n) for n in ("layer", "forward_layer", "backward_layer") if hasattr(layer, n)]
    for found in inner:
        if found is not None and id(found) not in seen and hasattr(found, "weights"):
            seen.add(id(found))
            yield found
            yield from sublayers(found, seen)


def array(variable):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def decoder_weights(model, call, vocab_size) -> Weights:
    """The learner's weights by role, or a verdict naming the layer that does not fit the docstring's decoder."""
    import keras

    layers = list(sublayers(model))
    names = ", ".join(f"{type(x).__name__}" for x in layers if x.weights) or "none"
    embeddings = [x for x in layers if isinstance(x, keras.layers.Embedding)]
    if len(embeddings) != 1:
        raise CheckFailed(
            f"{call} has {len(embeddings)} Embedding layers (its layers with weights: {names}); the "
            "decoder has one, Embedding(vocab_size, embed_dim, mask_zero=True), for the word ids."
        )
    embedding = embeddings[0]
    if embedding.input_dim != vocab_size:
        raise CheckFailed(
            f"{call}: the Embedding layer has input_dim={embedding.input_dim}; it should be vocab_size "
            f"({vocab_size}): one vector per word id, ids 0 to vocab_size - 1."
        )
    if embedding.output_dim != EMBED:
        raise CheckFailed(
            f"{call}: the Embedding layer makes word vectors of size {embedding.output_dim}; they should "
            f"be embed_dim ({EMBED})." + swapped(embedding.output_dim, UNITS, "units")
        )
    rnns = [x for x in layers if isinstance(x, keras.layers.RNN)]
    if not rnns:
        raise CheckFailed(
            f"{call} has no recurrent layer (its layers with weights: {names}): the words go through "
            "keras.layers.GRU(units, return_sequences=True)."
        )
    if len(rnns) > 1:
        raise CheckFailed(
            f"{call} has {len(rnns)} recurrent layers ({', '.join(type(x).__name__ for x in rnns)}); "
            "the decoder has one GRU."
        )
    rnn = rnns[0]
    cell = rnn.cell
    if not isinstance(cell, keras.layers.GRUCell):
        raise CheckFailed(
            f"{call} uses a {type(rnn).__name__} layer ({type(cell).__name__}); this decoder is a GRU "
            "(lesson 06's default cell): keras.layers.GRU(units, return_sequences=True). Its one state "
            "is what the image becomes."
        )
    if cell.units != UNITS:
        raise CheckFailed(
            f"{call}: the GRU has {cell.units} units; it should have units ({UNITS})."
            + swapped(cell.units, EMBED, "embed_dim")
        )
    reads = int(cell.kernel.shape[0])
    if reads != EMBED:
        joined = {EMBED + FEATURES: "the image features", EMBED + UNITS: "the image's state vector"}.get(reads)
        raise CheckFailed(
            f"{call}: the GRU reads vectors of size {reads} at each step; it should read the word vectors alone, "
            f"size embed_dim ({EMBED})."
            + (
                f" {reads} = embed_dim + the size of {joined}: you joined the image to every word. In this decoder "
                "the image goes in once, as the GRU's initial state (initial_state=...), not with the words."
                if joined
                else ""
            )
        )
    dense = [x for x in layers if isinstance(x, keras.layers.Dense)]
    shapes = {tuple(int(s) for s in x.kernel.shape): x for x in dense}
    image, out = shapes.get((FEATURES, UNITS)), shapes.get((UNITS, vocab_size))
    if image is None:
        from_features = [shape for shape in shapes if shape[0] == FEATURES]
        if from_features and from_features[0][1] == EMBED:
            why = (
                f" Yours maps them to {EMBED} numbers, the size of a word vector: is the image fed in as a word? "
                "It becomes the GRU's initial state instead, which has `units` numbers."
            )
        elif from_features:
            why = f" Yours maps them to {from_features[0][1]} numbers." + swapped(
                from_features[0][1], EMBED, "embed_dim"
            )
        else:
            why = ""
        raise CheckFailed(
            f"{call} has no Dense layer from the image features ({FEATURES} numbers) to the GRU's "
            f'state ({UNITS} units): Dense(units, activation="tanh") of the features is the GRU\'s '
            f"initial state.{why}"
        )
    if out is None:
        raise CheckFailed(
            f"{call} has no Dense layer from the GRU's outputs ({UNITS} units) to the vocabulary "
            f"({vocab_size} word ids): the last layer is Dense(vocab_size)."
        )
    cell_weights = {id(v) for v in cell.weights}
    known = {id(v) for layer in (embedding, image, out) for v in layer.weights} | cell_weights
    extra = [v for v in model.weights if id(v) not in known]
    if extra:
        listed = ", ".join(f"{v.path} {shape_str(v.shape)}" for v in extra[:4]) + (", ..." if len(extra) > 4 else "")
        raise CheckFailed(
            f"{call} has weights the decoder does not have: {listed}. The decoder is exactly: a Dense "
            "for the image, an Embedding, a GRU and a Dense to the vocabulary."
        )

    def bias(layer, size):
        return array(layer.bias) if getattr(layer, "bias", None) is not None else np.zeros(size)

    return Weights(
        array(embedding.embeddings),
        array(image.kernel),
        bias(image, UNITS),
        array(cell.kernel),
        array(cell.recurrent_kernel),
        None if cell.bias is None else array(cell.bias),
        bool(cell.reset_after),
        array(out.kernel),
        bias(out, vocab_size),
    )


def swapped(size, other, name):
    return f" That is `{name}`: are embed_dim and units swapped?" if size == other else " Use the arguments."


def check_values(got, weights, features, word_ids, case, suspects):
    """The logits at the captions' words, then at the padded positions, against the reference."""
    expected = reference(weights, features, word_ids)
    real = (word_ids != 0)[:, :, None]
    tanh = "the GRU's state lives in (-1, 1), so the lesson uses tanh"
    variants = {
        "when the image's Dense has no activation: the initial state is tanh(Dense(features))": {
            "activation": "linear"
        },
        f"with relu on the image's Dense: {tanh}": {"activation": "relu"},
        f"with sigmoid on the image's Dense: {tanh}": {"activation": "sigmoid"},
        "when the image is added to the GRU's outputs (merge, lesson 06's default), not its initial state": {
            "image": "merge"
        },
    }
    variants = {text: reference(weights, features, word_ids, **options) for text, options in variants.items()}
    at_words = np.where(real, got, expected)
    expect_close(
        at_words,
        expected,
        "the output at the captions' words (padding aside)",
        case=case,
        atol=ATOL,
        rtol=RTOL,
        axes=AXES,
        mistakes=suspects.named(at_words, expected, {d: np.where(real, v, expected) for d, v in variants.items()}),
    )
    wrong = ~np.isclose(got, expected, atol=ATOL, rtol=RTOL)
    if not wrong.any():
        return
    row, position = (int(i) for i in np.argwhere(wrong.any(axis=-1))[0])
    word = int(np.argmax(np.abs(got[row, position] - expected[row, position])))  # the clearest difference there
    last = int(np.flatnonzero(word_ids[row])[-1])
    unmasked = reference(weights, features, word_ids, masked=False)
    lines = [
        f"case: {case}",
        f"your logits are right at every real word, but not at the padded positions ({int(wrong.any(-1).sum())} of "
        f"{int((~real[..., 0]).sum())} padded positions differ). Caption {row} ends at position {last}; at its padded "
        f"position {position}, word id {word}: expected {expected[row, position, word]:.6g} (the same as at position "
        f"{last}: a masked GRU keeps its state over padding), got {got[row, position, word]:.6g}.",
    ]
    if np.allclose(got, unmasked, atol=ATOL, rtol=RTOL):
        lines.append(
            "This is exactly what you get when the GRU reads the padding as words: no mask reaches it. The Embedding "
            "needs mask_zero=True, and a GRU called with initial_state= must be given the mask too (Keras passes it "
            "on by itself only to a layer called with that one tensor): GRU(...)(words, initial_state=state, "
            "mask=embedding.compute_mask(word_ids))."
        )
    raise CheckFailed("\n".join(lines))


def check(learner):
    vocab_size, cases, other_photos = real_cases()
    call = f"build_decoder({FEATURES}, {vocab_size}, {EMBED}, {UNITS})"
    first_case, _, first_ids = cases[0]
    batches = [*cases, (first_case, other_photos, first_ids)]
    model = learner.probe(inspect_decoder, vocab_size, batches, case=f"{call}, then its model on {len(cases)} batches")
    if "not a model" in model:
        raise CheckFailed(f"build_decoder should return a keras.Model; it returned a {model['not a model']}")
    logits = [lambda i=i: as_array(reported(model["logits"][i]), "your model") for i in range(len(batches))]
    check_inputs(model["inputs"], call)
    case, features, word_ids = cases[0]
    first = logits[0]()
    check_shape(first, word_ids, vocab_size, case)
    check_logits(first, case)
    check_image_used(first, logits[-1](), case)
    weights = Weights(**reported(model["weights"]))
    suspects = Suspects(atol=ATOL, rtol=RTOL)
    for i, (case, features, word_ids) in enumerate(cases):
        got = first if i == 0 else logits[i]()
        check_shape(got, word_ids, vocab_size, case)
        check_values(got, weights, features, word_ids, case, suspects)
    return (
        f"build_decoder's model starts its GRU from tanh(Dense(image features)), reads the embedded words with "
        f"their padding mask and gives next-word logits at every position: with its own weights it computes "
        f"the core of lesson 06's inject decoder on {len(cases)} batches of real Flickr8k captions "
        f"({vocab_size:,} word ids)."
    )
