"""Check for ex03a: the learner's Keras model, called on real padded batches, must ignore the padding."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import numpy as np

from exercises.checking import CheckFailed, as_array, attempt

TITLE = "a masked Embedding -> GRU -> Dense model (IMDB)"
HINTS = (
    "The Embedding layer can tell the layers after it which positions are padding: that is its "
    "mask_zero argument. The GRU then skips those steps. Build it with the functional API: an Input of "
    "shape (None,) and dtype int32, the three layers called one after another, then keras.Model(inputs, outputs).",
    '    inputs = keras.Input(shape=(None,), dtype="int32")\n'
    "    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=...)(inputs)\n"
    "    x = keras.layers.GRU(units)(x)          # only the last state: no return_sequences\n"
    "    outputs = keras.layers.Dense(1, activation=...)(x)\n"
    "    return keras.Model(inputs, outputs)",
)
VOCAB, EMBED, UNITS = 60, 6, 10  # all different: a swapped or ignored argument shows
LENGTHS = (3, 9, 12, 6)


def reviews(rng):
    seqs = [rng.integers(2, VOCAB, size=n) for n in LENGTHS]
    seqs[1][4] = VOCAB - 1  # the largest id must be accepted: Embedding(input_dim=vocab_size)
    return seqs


def pad(seqs, length):
    batch = np.zeros((len(seqs), length), dtype="int32")
    for row, seq in zip(batch, seqs):
        row[: len(seq)] = seq
    return batch


SANDBOX_PRELOAD = ("keras",)  # the learner's code builds Keras models: its process starts with keras imported
SANDBOX_PROBES = ("inspect_model",)  # run in the learner's process, where the model is (exercises/sandbox.py)


def batches(seqs):
    """The batches the model is called on: padded to 15 and to 40 steps, and reviews 0 and 2 alone."""
    return {
        "short": pad(seqs, 15),  # builds a Sequential model without an Input, too
        "long": pad(seqs, 40),
        **{f"alone {i}": seqs[i][None, :].astype("int32") for i in (0, 2)},
    }


def inspect_model(learner):
    """In the learner's process: build_model's model, described as data for the check to judge (its class, its
    outputs on every batch, or the verdict calling it gave, and its layers)."""
    import keras

    keras.utils.set_random_seed(0)
    model = learner.call(
        "build_model", VOCAB, EMBED, UNITS, case=f"vocab_size={VOCAB}, embed_dim={EMBED}, units={UNITS}"
    )
    if not isinstance(model, keras.Model):
        return {"not a model": type(model).__name__}
    outputs = {}
    for key, batch in batches(reviews(np.random.default_rng(7))).items():
        doing = f"calling your model on a padded batch of token ids (shape {batch.shape}, int32, ids 0 to {VOCAB - 1})"
        try:
            outputs[key] = keras.ops.convert_to_numpy(attempt(doing, lambda batch=batch: model(batch, training=False)))
        except CheckFailed as failed:
            outputs[key] = {"failed": str(failed)}
    return {"outputs": outputs, "layers": [facts(layer) for layer in sublayers(model)]}


def sublayers(layer):
    """Every layer inside ``layer`` (nested models, Bidirectional's two directions, wrapped layers)."""
    for inner in getattr(layer, "layers", []) or []:
        yield inner
        yield from sublayers(inner)
    for name in ("forward_layer", "backward_layer", "layer"):
        inner = getattr(layer, name, None)
        if inner is not None and hasattr(inner, "get_config"):
            yield inner
            yield from sublayers(inner)


def facts(layer) -> dict:
    """What the check needs to know of one layer."""
    import keras

    found = {"type": type(layer).__name__}
    if isinstance(layer, keras.layers.Embedding):
        found.update(embedding=True, input_dim=int(layer.input_dim), output_dim=int(layer.output_dim))
    if isinstance(layer, keras.layers.RNN):
        size = getattr(layer, "units", None) or getattr(getattr(layer, "cell", None), "units", None)
        found.update(rnn=True, units=size if isinstance(size, int) else None)
    return found


def predict(model: dict, key: str) -> np.ndarray:
    """The model's output on one batch, as the learner's process reported it (its verdict when calling failed)."""
    out = model["outputs"][key]
    if isinstance(out, dict) and "failed" in out:
        raise CheckFailed(out["failed"])
    return as_array(out, "your model")


def check_layers(layers):
    """The layers the docstring asks for, built with the arguments build_model was given."""
    called = f"build_model({VOCAB}, embed_dim={EMBED}, units={UNITS})"
    embeddings = [layer for layer in layers if layer.get("embedding")]
    if not embeddings:
        raise CheckFailed(
            f"{called} has no keras.layers.Embedding layer: the model starts with "
            "Embedding(vocab_size, embed_dim, mask_zero=True)."
        )
    embedding = embeddings[0]
    if embedding["input_dim"] != VOCAB:
        raise CheckFailed(
            f"{called}: the Embedding layer has input_dim={embedding['input_dim']}; it should be "
            f"vocab_size ({VOCAB}), one vector per token id."
        )
    if embedding["output_dim"] != EMBED:
        swapped = " That is `units`: are embed_dim and units swapped?" if embedding["output_dim"] == UNITS else ""
        raise CheckFailed(
            f"{called}: the Embedding layer makes vectors of size {embedding['output_dim']}; it should "
            f"be embed_dim ({EMBED}).{swapped} Use the arguments, not fixed numbers."
        )
    recurrent = [layer for layer in layers if layer.get("rnn")]
    if not recurrent:
        found = ", ".join(layer["type"] for layer in layers)
        raise CheckFailed(
            f"{called} has no recurrent layer (its layers: {found}). Read the review word by word "
            "with keras.layers.GRU(units) (SimpleRNN or LSTM work too)."
        )
    size = recurrent[0]["units"]
    if size != UNITS:
        swapped = " That is `embed_dim`: are embed_dim and units swapped?" if size == EMBED else ""
        raise CheckFailed(
            f"{called}: the {recurrent[0]['type']} layer has {size} units; it should have "
            f"units ({UNITS}).{swapped} Use the arguments, not fixed numbers."
        )


def check(learner):
    model = learner.probe(inspect_model, case=f"build_model({VOCAB}, {EMBED}, {UNITS}), then its model on 4 batches")
    if "not a model" in model:
        raise CheckFailed(f"build_model should return a keras.Model; it returned a {model['not a model']}")
    seqs = reviews(np.random.default_rng(7))
    short = predict(model, "short")
    if short.shape != (len(seqs), 1):
        extra = (
            " A time axis is still there: the GRU must return only its last state (no return_sequences)."
            if short.ndim == 3
            else ""
        )
        raise CheckFailed(
            f"on a batch of shape ({len(seqs)}, 15) the output should have shape ({len(seqs)}, 1), "
            f"one probability per review; got {short.shape}.{extra}"
        )
    if not np.isfinite(short).all() or short.min() < 0 or short.max() > 1:
        raise CheckFailed(
            f"the outputs should be probabilities in [0, 1], got values from {short.min():.4g} to "
            f'{short.max():.4g}: end with Dense(1, activation="sigmoid").'
        )
    if np.ptp(short) < 1e-7:
        raise CheckFailed(
            f"your model gives the same output, {short[0, 0]:.6f}, for 4 different reviews: "
            "does the output depend on the input?"
        )
    check_layers(model["layers"])
    long = predict(model, "long")
    for i, seq in enumerate(seqs):
        if not np.isclose(long[i, 0], short[i, 0], atol=1e-5):
            raise CheckFailed(
                f"the prediction for review {i} ({len(seq)} tokens) changed from {short[i, 0]:.6f} (padded to 15 "
                f"steps) to {long[i, 0]:.6f} (padded to 40 steps).\n"
                "Even a small change means the model reads the padding zeros as words.\n"
                "Mask them: the Embedding layer needs mask_zero=True (and the layers after it must keep the mask)."
            )
    for i in (0, 2):
        alone = predict(model, f"alone {i}")
        if not np.isclose(alone[0, 0], short[i, 0], atol=1e-5):
            raise CheckFailed(
                f"review {i} alone (no padding) gets {alone[0, 0]:.6f}, but {short[i, 0]:.6f} in a "
                "padded batch: the padding still changes the prediction."
            )
    return (
        "Embedding(vocab_size, embed_dim) -> a recurrent layer of `units` -> probabilities of shape (batch, 1) "
        "that depend on the words and do not change with padding (15 vs 40 steps, or none)."
    )
