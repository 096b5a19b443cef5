"""The definitions of lessons/lesson06_captioning.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import collections
import hashlib
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, data, pretrained
from course_utils.atomic import atomic_target
from course_utils.bleu import reference_streams
from lessons.saved.lesson05_translation import decode, next_token_log_probs
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, flag
from course_utils.progress import progress
from course_utils.runs import Run


LESSON = "lesson06_captioning"


SETTINGS_FILE = "captioning.json"  # vocabulary and model settings, saved next to the model


MAX_PHOTO_BYTES = 50_000_000  # a photo file bigger than this is not a photo


TOKEN_FILE = "Flickr8k.token.txt"


SPLIT_FILES = {
    "train": "Flickr_8k.trainImages.txt",
    "dev": "Flickr_8k.devImages.txt",
    "test": "Flickr_8k.testImages.txt",
}


PAD = ""  # id 0


UNK = "[unk]"  # id 1: a word seen too rarely in training


START = "[start]"


END = "[end]"


CAPTIONS = 5  # per photo


PRETRAINED_SIZE = 224  # the photo side the pretrained encoder reads


ENCODERS = ("scratch", "pretrained")  # a small CNN trained with the decoder (offline), or ImageNet features


@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(30, "training epochs", type=cli.positive_int)
    batch_size: int = flag(16, "batch size, in photos (five captions each)", type=cli.batch_size)
    encoder: str = flag("scratch", "a small CNN from scratch, or a network pretrained on ImageNet", choices=ENCODERS)
    inject: bool = flag(False, "the image initialises the RNN state (default: merge, added to its output each word)")
    attention: bool = flag(False, "soft attention over the feature grid")
    units: int = flag(256, "recurrent units", type=cli.layer_size)
    embed_dim: int = flag(128, "word vector size", type=cli.layer_size)
    image_size: int = flag(
        64,
        "side of the square photo the scratch CNN sees, 16 to 256",
        type=cli.int_between(16, 256, "the photos are cached at this size, so bigger ones would not fit in memory"),
    )
    min_count: int = flag(3, "keep words seen at least this often in training captions", type=cli.positive_int)
    max_words: int = flag(16, "words kept per caption", type=cli.int_between(1, 100, "no caption is that long"))
    max_photos: int = flag(0, "use at most this many training photos (0: all on disk)", type=cli.non_negative_int)
    dropout: float = flag(0.3, "dropout rate", type=cli.fraction)
    lr: float = flag(2e-3, "Adam learning rate", type=cli.learning_rate)
    patience: int = flag(3, "stop after this many epochs without a better validation loss", type=cli.positive_int)
    beam: int = flag(3, "beam width for the test BLEU", type=cli.beam_width)
    alpha: float = flag(0.0, "beam length normalisation", type=cli.length_penalty)
    max_minutes: float = flag(8.0, "stop training before this many minutes (0: no limit)", type=cli.non_negative_float)

    QUICK = {"epochs": 10, "units": 96, "embed_dim": 48, "image_size": 48, "max_photos": 250, "max_minutes": 0}

    def model_name(self) -> str:
        return (
            f"{self.encoder} CNN + {self.cell.upper()}({self.units}), image by "
            f"{'inject' if self.inject else 'merge'}{', attention' if self.attention else ''}"
        )


def normalise(caption: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", caption.lower()))


def find_inside(folder: Path, predicate) -> Path | None:
    """The first folder under ``folder`` (itself included) for which ``predicate`` holds."""
    for candidate in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        if "__MACOSX" not in candidate.parts and predicate(candidate):
            return candidate
    return None


def text_folder() -> Path:
    found = find_inside(data.extract("flickr8k_text"), lambda p: (p / TOKEN_FILE).is_file())
    if found is None:
        raise CourseError(f"{TOKEN_FILE} is not in {data.REGISTRY['flickr8k_text'].path}; is it the right zip?")
    return found


def image_folder() -> Path:
    found = find_inside(data.extract("flickr8k_images"), lambda p: any(p.glob("*.jpg")))
    if found is None:
        raise CourseError(f"no .jpg files in {data.REGISTRY['flickr8k_images'].path}; is it the right zip?")
    return found


def parse_captions(path: Path) -> dict[str, list[str]]:
    captions = collections.defaultdict(list)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, caption = line.partition("\t")
        name = key.rsplit("#", 1)[0]
        if name.endswith(".jpg") and normalise(caption):
            captions[name].append(normalise(caption))
    if len(captions) < 10:
        raise CourseError(f"{path} does not look like the Flickr8k captions (lines 'photo.jpg#0<TAB>caption')")
    return dict(captions)


@dataclass
class Flickr8k:
    captions: dict[str, list[str]]  # photo file name -> its normalised captions
    splits: dict[str, list[str]]  # "train" / "dev" / "test" -> photos on disk, in the split file's order
    image_dir: Path


def load_flickr8k(text_dir: Path | None = None, image_dir: Path | None = None) -> Flickr8k:
    """Captions and splits, keeping the photos whose image file exists; says how many it found."""
    text_dir = Path(text_dir) if text_dir else text_folder()
    image_dir = Path(image_dir) if image_dir else image_folder()
    captions = parse_captions(text_dir / TOKEN_FILE)
    on_disk = {p.name for p in image_dir.iterdir()} if image_dir.is_dir() else set()
    splits, report = {}, []
    for split, filename in SPLIT_FILES.items():
        path = text_dir / filename
        if not path.is_file():
            raise CourseError(f"{path} is missing: the Flickr8k text zip holds it")
        listed = [n for n in path.read_text().split() if n in captions]
        splits[split] = [n for n in listed if n in on_disk]
        report.append(f"{split} {len(splits[split]):,}/{len(listed):,}")
    found = sum(map(len, splits.values()))
    print(f"Flickr8k: found {found:,} of the split's photos in {image_dir} ({', '.join(report)})")
    for split, names in splits.items():
        if not names:
            url = data.REGISTRY["flickr8k_images"].url
            raise CourseError(f"none of the {split} photos of Flickr8k is in {image_dir}; download {url}")
    return Flickr8k(captions, splits, image_dir)


def limit(dataset: Flickr8k, max_photos: int) -> None:
    """Keep ``max_photos`` training photos and proportionally fewer dev and test photos."""
    if max_photos:
        for split, share in (("train", 1.0), ("dev", 0.2), ("test", 0.3)):
            dataset.splits[split] = dataset.splits[split][: max(4, int(max_photos * share))]


def read_image(path, size: int) -> np.ndarray:
    """One photo as a ``(size, size, 3)`` uint8 array, or a one-line CourseError."""
    path = Path(path)
    try:
        if not path.is_file():
            raise CourseError(f"{path}: no such file")
        if path.stat().st_size > MAX_PHOTO_BYTES:
            raise CourseError(f"{path} is over {MAX_PHOTO_BYTES // 1_000_000} MB: too big for a photo")
    except OSError as err:
        raise CourseError(f"{path}: {err.strerror or err}") from None
    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
        raise CourseError(f"{path} is not an image TensorFlow can read (JPEG, PNG, GIF or BMP)") from None
    image = tf.image.resize(image, (size, size), antialias=True)
    return np.clip(np.round(image.numpy()), 0, 255).astype("uint8")


def plot_photo(dataset: Flickr8k, name: str, small: int):
    """A photo, the same photo at ``small`` x ``small`` pixels, and its reference captions."""
    import matplotlib.pyplot as plt

    fig, (big_ax, small_ax) = plt.subplots(1, 2, figsize=(9, 6.2), gridspec_kw={"width_ratios": [3, 2]})
    big_ax.imshow(read_image(dataset.image_dir / name, 256))
    small_ax.imshow(read_image(dataset.image_dir / name, small), interpolation="nearest")
    big_ax.set_title(name, fontsize=10)
    small_ax.set_title(f"what the scratch CNN sees: {small}x{small}", fontsize=10)
    for ax in (big_ax, small_ax):
        ax.axis("off")
    references = "\n".join(textwrap.fill(f"{i + 1}. {c}", 95) for i, c in enumerate(dataset.captions[name]))
    fig.text(0.02, 0.02, references, fontsize=10, va="bottom")
    fig.suptitle("A training photo and its five reference captions")
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


def cached(kind: str, names: list[str], folder: Path, compute) -> np.ndarray:
    """``compute()`` once per (kind, photos, folder); later runs load the .npy from .cache/."""
    key = hashlib.sha256("\n".join([kind, str(folder.resolve()), *names]).encode()).hexdigest()[:16]
    path = data.cache_root() / "lesson06" / f"{kind}-{key}.npy"
    if path.is_file():
        try:
            return np.load(path)
        except (OSError, ValueError, EOFError):  # damaged (a disk that filled up): compute it again
            print(f"The cached {path.name} is damaged; computing it again")
    array = compute()
    with atomic_target(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array)
    return array


def read_images(names: list[str], folder: Path, size: int) -> np.ndarray:
    def compute():
        print(f"Decoding {len(names):,} photos at {size}x{size} (cached for next time)", flush=True)
        images = np.zeros((len(names), size, size, 3), dtype="uint8")
        for i, name in enumerate(progress(names, what="decoding", unit="photo")):
            images[i] = read_image(folder / name, size)
        return images

    return cached(f"images{size}", names, folder, compute)


def pretrained_features(network: keras.Model, images: np.ndarray, pool: bool, batch: int = 32) -> np.ndarray:
    """The network's 7x7 grid per photo (or its average, a 1x1 grid, with ``pool``), as float16."""
    outputs = []
    for i in progress(range(0, len(images), batch), what=f"{network.name} features", unit="batch"):
        grid = network.predict_on_batch(images[i : i + batch].astype("float32"))  # expects 0..255
        outputs.append((grid.mean(axis=(1, 2), keepdims=True) if pool else grid).astype("float16"))
    return np.concatenate(outputs)


def visual_inputs(names, folder: Path, config, network=None) -> np.ndarray:
    """What the captioning model sees of each photo: pixels (scratch) or cached CNN features."""
    if config.encoder == "scratch":
        return read_images(names, folder, config.image_size)
    pool = not config.attention
    network = network or pretrained.imagenet_encoder()

    def compute():
        images = read_images(names, folder, PRETRAINED_SIZE)
        print(f"Computing {network.name} features of {len(names):,} photos (cached)", flush=True)
        return pretrained_features(network, images, pool)

    kind = f"{network.name}-{pretrained.imagenet_weights()}-{'pool' if pool else 'grid'}"
    return cached(kind, names, folder, compute)


class Vocab:
    def __init__(self, words: list[str]):
        self.words = [PAD, UNK, START, END, *words]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.start_id, self.end_id = self.index[START], self.index[END]

    @classmethod
    def fit(cls, captions, min_count: int) -> "Vocab":
        counts = collections.Counter(w for c in captions for w in c.split())
        return cls(sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w)))

    def encode(self, captions, max_words: int) -> np.ndarray:
        out = np.zeros((len(captions), max_words + 2), dtype="int32")
        for row, caption in enumerate(captions):
            ids = [self.index.get(w, 1) for w in caption.split()[:max_words]]
            out[row, : len(ids) + 2] = [self.start_id, *ids, self.end_id]
        return out

    def decode(self, ids) -> str:
        return " ".join(self.words[i] for i in ids if i > self.end_id or i == 1)


def caption_tokens(dataset: Flickr8k, names: list[str], vocab: Vocab, max_words: int) -> np.ndarray:
    """(photos, CAPTIONS, max_words + 2) token ids; a photo with fewer captions gets all-padding rows."""
    out = np.zeros((len(names), CAPTIONS, max_words + 2), dtype="int32")
    for row, name in enumerate(names):
        captions = dataset.captions[name][:CAPTIONS]
        out[row, : len(captions)] = vocab.encode(captions, max_words)
    return out


class CaptionBatches(keras.utils.PyDataset):
    """Batches of photos, each with its five captions: the CNN looks at a photo once per batch,
    not once per caption. A new order every epoch when a seed is given."""

    def __init__(self, visual, tokens, batch_size: int, seed: int | None):
        super().__init__()
        self.visual, self.tokens, self.batch_size = visual, tokens, batch_size
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.order = np.arange(len(tokens))
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.tokens) / self.batch_size)

    def __getitem__(self, i):
        rows = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        tokens = self.tokens[rows]  # (photos, captions, words)
        return {"image": self.visual[rows].astype("float32"), "words": tokens[:, :, :-1]}, tokens[:, :, 1:]

    def on_epoch_end(self):
        if self.rng is not None:
            self.rng.shuffle(self.order)


@dataclass
class Spec:
    vocab_size: int
    visual_shape: tuple  # (rows, cols, channels) of the photo or of its feature grid
    encoder: str = "scratch"
    cell: str = "gru"
    units: int = 256
    embed_dim: int = 128
    image: str = "merge"  # "merge" or "inject"
    attention: bool = False
    dropout: float = 0.3

    @property
    def states(self) -> int:
        return 2 if self.cell == "lstm" else 1


def make_layers(spec: Spec) -> dict:
    layers = {}
    if spec.encoder == "scratch":
        names = (f"cnn_{i:02d}" for i in range(100))  # numbered, so a loaded model gives them back in order
        cnn = [
            keras.layers.Rescaling(1 / 255.0, name=next(names)),
            keras.layers.RandomFlip("horizontal", name=next(names)),
        ]
        # small on purpose (it runs once per photo per batch on a laptop CPU); batch normalisation
        # lets a CNN trained from scratch on a few hundred photos learn much faster
        for filters, size, stride in ((32, 5, 2), (64, 3, 1), (128, 3, 1)):
            if stride == 1:
                cnn.append(keras.layers.MaxPooling2D(name=next(names)))
            cnn += [
                keras.layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False, name=next(names)),
                keras.layers.BatchNormalization(name=next(names)),
                keras.layers.ReLU(name=next(names)),
            ]
        layers["cnn"] = cnn
    u = spec.units
    layers["image_vector"] = keras.layers.Dense(u, activation="tanh", name="image_vector")
    layers["image_dropout"] = keras.layers.Dropout(spec.dropout, name="image_dropout")
    if spec.image == "inject":
        for i in range(spec.states):
            layers[f"init_{i}"] = keras.layers.Dense(u, activation="tanh", name=f"init_{i}")
    if spec.attention:
        layers["grid_keys"] = keras.layers.Dense(u, name="grid_keys")
        layers["attention"] = keras.layers.Attention(use_scale=True, name="attention")
    layers["embedding"] = keras.layers.Embedding(spec.vocab_size, spec.embed_dim, mask_zero=True, name="embedding")
    layers["word_dropout"] = keras.layers.Dropout(spec.dropout, name="word_dropout")
    layers["decoder_rnn"] = recurrent_layer(spec.cell, u, return_sequences=True, return_state=True, name="decoder_rnn")
    layers["hidden"] = keras.layers.Dense(u, activation="tanh", name="hidden")
    layers["out_dropout"] = keras.layers.Dropout(spec.dropout, name="out_dropout")
    layers["logits"] = keras.layers.Dense(spec.vocab_size, name="logits")
    return layers


def encode_image(layers: dict, visual):
    """Photo (or feature grid) -> (one image vector, the grid's attention keys or None)."""
    x = visual
    for layer in layers.get("cnn", []):
        x = layer(x)
    grid = keras.layers.Reshape((-1, x.shape[-1]))(x)  # (batch, cells, channels)
    vector = layers["image_vector"](layers["image_dropout"](keras.layers.GlobalAveragePooling1D()(grid)))
    keys = layers["grid_keys"](grid) if "grid_keys" in layers else None
    return vector, keys


def initial_states(layers: dict, spec: Spec, vector):
    if spec.image == "inject":
        return [layers[f"init_{i}"](vector) for i in range(spec.states)]
    return None  # merge: the RNN starts from zeros


def decode_words(layers: dict, spec: Spec, words, states, vector, keys):
    """Previous words -> (next-word logits, the RNN's final states, attention weights or None)."""
    x = layers["word_dropout"](layers["embedding"](words))
    mask = layers["embedding"].compute_mask(words)  # given initial_state too, the RNN would not get it from Keras
    outputs, *new_states = layers["decoder_rnn"](x, initial_state=states, mask=mask)
    if spec.image == "merge":
        outputs = keras.layers.Add()([outputs, keras.layers.Reshape((1, spec.units))(vector)])
    weights = None
    if keys is not None:
        context, weights = layers["attention"]([outputs, keys], return_attention_scores=True)
        outputs = keras.layers.Concatenate()([outputs, context])
    hidden = layers["out_dropout"](layers["hidden"](outputs))
    return layers["logits"](hidden), new_states, weights


def times(n: int | None, k: int) -> int | None:
    return None if n is None else n * k


@keras.saving.register_keras_serializable(package="lesson06")
class PerCaption(keras.layers.Layer):
    """Copy each photo's tensor once per caption: (photos, ...) -> (photos * CAPTIONS, ...)."""

    def call(self, x):
        return keras.ops.repeat(x, CAPTIONS, axis=0)

    def compute_output_spec(self, x):
        return keras.KerasTensor((times(x.shape[0], CAPTIONS), *x.shape[1:]), dtype=x.dtype)


@keras.saving.register_keras_serializable(package="lesson06")
class FlattenCaptions(keras.layers.Layer):
    """(photos, CAPTIONS, words) -> (photos * CAPTIONS, words)."""

    def call(self, words):
        return keras.ops.reshape(words, (-1, keras.ops.shape(words)[2]))

    def compute_output_spec(self, words):
        return keras.KerasTensor((times(words.shape[0], CAPTIONS), words.shape[2]), dtype=words.dtype)


@keras.saving.register_keras_serializable(package="lesson06")
class GroupCaptions(keras.layers.Layer):
    """(photos * CAPTIONS, words, vocab) -> (photos, CAPTIONS, words, vocab)."""

    def call(self, logits):
        shape = keras.ops.shape(logits)
        return keras.ops.reshape(logits, (-1, CAPTIONS, shape[1], shape[2]))

    def compute_output_spec(self, logits):
        photos = None if logits.shape[0] is None else logits.shape[0] // CAPTIONS
        return keras.KerasTensor((photos, CAPTIONS, *logits.shape[1:]), dtype=logits.dtype)


def training_model(spec: Spec, layers: dict | None = None) -> keras.Model:
    """Photos and their five captions in, next-word logits for every caption out (teacher forcing)."""
    layers = layers or make_layers(spec)
    image = keras.Input(spec.visual_shape, name="image")
    words = keras.Input((CAPTIONS, None), dtype="int32", name="words")
    vector, keys = encode_image(layers, image)
    vector = PerCaption(name="vector_per_caption")(vector)
    keys = PerCaption(name="keys_per_caption")(keys) if keys is not None else None
    flat_words = FlattenCaptions(name="flat_words")(words)
    logits, _, _ = decode_words(layers, spec, flat_words, initial_states(layers, spec, vector), vector, keys)
    return keras.Model({"image": image, "words": words}, GroupCaptions(name="per_photo")(logits), name="captioner")


def layers_of(model: keras.Model) -> dict:
    """The named layers of a trained (or loaded) model, to build the step-by-step decoder."""
    found = {layer.name: layer for layer in model.layers}
    found["cnn"] = [found[n] for n in sorted(found) if n.startswith("cnn_")]
    return found


def inference_models(model: keras.Model, spec: Spec):
    """The model's layers as (encoder, one-word step model, attention-weights model or None)."""
    layers = layers_of(model)
    image = keras.Input(spec.visual_shape, name="image")
    vector, keys = encode_image(layers, image)
    states = initial_states(layers, spec, vector) or []
    encoder = keras.Model(image, [vector, *([keys] if keys is not None else []), *states])
    token = keras.Input((1,), dtype="int32", name="previous_word")
    state_in = [keras.Input((spec.units,), name=f"state_{i}") for i in range(spec.states)]
    vector_in = keras.Input((spec.units,), name="vector")
    keys_in = keras.Input((None, spec.units), name="keys") if spec.attention else None
    logits, new_states, _ = decode_words(layers, spec, token, state_in, vector_in, keys_in)
    step_in = [token, *state_in, vector_in, *([keys_in] if spec.attention else [])]
    step_model = keras.Model(step_in, [logits, *new_states])
    weights_model = None
    if spec.attention:
        words = keras.Input((None,), dtype="int32", name="words")
        _, _, weights = decode_words(layers, spec, words, initial_states(layers, spec, vector), vector, keys)
        weights_model = keras.Model([image, words], weights)
    return encoder, step_model, weights_model


class StepDecoder:
    def __init__(self, model: keras.Model, spec: Spec, vocab: Vocab, max_words: int = 20):
        self.spec, self.vocab, self.max_words = spec, vocab, max_words
        self.encoder, self.step_model, self.weights_model = inference_models(model, spec)

    def start(self, visual: np.ndarray) -> dict:
        outputs = self.encoder.predict_on_batch(np.asarray(visual, dtype="float32"))
        vector, *rest = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        keys = rest.pop(0) if self.spec.attention else None
        states = rest or [np.zeros((len(visual), self.spec.units), "float32")] * self.spec.states
        return {"rnn": list(states), "vector": vector, "keys": keys}

    def step(self, tokens, state):
        inputs = [tokens[:, None].astype("int32"), *state["rnn"], state["vector"]]
        if self.spec.attention:
            inputs.append(state["keys"])
        logits, *states = self.step_model.predict_on_batch(inputs)
        never = [0, 1, self.vocab.start_id]  # padding, [unk] and [start]
        log_probs = next_token_log_probs(logits[:, 0, :], banned=never)
        return log_probs, {**state, "rnn": states}


class Captioner(StepDecoder):
    def decoded(self, visual: np.ndarray, beam: int = 1, alpha: float = 0.0):
        """The search's result for a batch of photos: token ids and their log-probabilities."""
        return decode(
            self.step,
            self.start(visual),
            beam_size=beam,
            alpha=alpha,
            batch_size=len(visual),
            start_id=self.vocab.start_id,
            end_id=self.vocab.end_id,
            max_length=self.max_words + 1,
        )

    def caption_ids(self, visual: np.ndarray, beam: int = 1, alpha: float = 0.0) -> list[list[int]]:
        return self.decoded(visual, beam, alpha).tokens

    def write(self, visual: np.ndarray, beam: int = 1, alpha: float = 0.0, batch: int = 128):
        """(captions, each caption's total log-probability under the model) for every photo."""
        captions, log_probs = [], []
        what = f"captioning {len(visual):,} photos" + (f" (beam {beam})" if beam > 1 else " (greedy)")
        for i in progress(range(0, len(visual), batch), what=what, unit="batch"):
            result = self.decoded(visual[i : i + batch], beam, alpha)
            captions += [self.vocab.decode(t) for t in result.tokens]
            log_probs += result.log_probs
        return captions, np.array(log_probs)

    def captions(self, visual: np.ndarray, beam: int = 1, alpha: float = 0.0, batch: int = 128) -> list[str]:
        return self.write(visual, beam, alpha, batch)[0]

    def attention(self, visual: np.ndarray, beam: int = 1):
        """(words written, weights[word, grid cell]) for one photo."""
        written = self.caption_ids(visual[None], beam)[0] + [self.vocab.end_id]
        words_in = np.array([[self.vocab.start_id, *written[:-1]]], dtype="int32")
        weights = keras.ops.convert_to_numpy(self.weights_model([visual[None].astype("float32"), words_in]))[0]
        return [self.vocab.words[i] for i in written], weights


class SampleCaptions(keras.callbacks.Callback):
    """Greedy captions of a few validation photos after each epoch (printed and in TensorBoard)."""

    def __init__(self, captioner: Captioner, visual, names, references, run: Run):
        super().__init__()
        self.captioner, self.visual, self.names, self.references = captioner, visual, names, references
        self.run = run

    def on_epoch_end(self, epoch, logs=None):
        outputs = self.captioner.captions(self.visual)
        print("\n".join(f"  {n}: {o}" for n, o in zip(self.names, outputs)))
        rows = [f"| {n} | {o} | {r[0]} |" for n, o, r in zip(self.names, outputs, self.references)]
        self.run.log_text("captions/dev", "| photo | model | a reference |\n|---|---|---|\n" + "\n".join(rows), epoch)


def bleu_scores(hypotheses: list[str], references: list[list[str]]) -> dict[str, float]:
    from sacrebleu.metrics import BLEU

    streams = reference_streams(references)
    return {
        f"bleu{n}": BLEU(max_ngram_order=n, tokenize="none", smooth_method="none")
        .corpus_score(hypotheses, streams)
        .score
        / 100
        for n in range(1, 5)
    }


def most_frequent_caption(dataset: Flickr8k, split_file_names: list[str]) -> str:
    counts = collections.Counter(c for n in split_file_names for c in dataset.captions.get(n, []))
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def read_split_names(filename: str) -> list[str]:
    return (text_folder() / filename).read_text().split()


def bleu_table(table: dict) -> str:
    """The scores of each way of writing captions as a Markdown table."""
    rows = ["| captions by | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 |", "|---|---|---|---|---|"]
    for name, scores in table.items():
        rows.append(f"| {name} | " + " | ".join(f"{scores[f'bleu{n}']:.3f}" for n in range(1, 5)) + " |")
    return "\n".join(rows)


def plot_captions(dataset: Flickr8k, names: list[str], captions: list[str], how: str):
    import matplotlib.pyplot as plt

    cols = 4
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 5.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, name, caption in zip(axes.flat, names, captions):
        ax.imshow(read_image(dataset.image_dir / name, 192))
        ax.set_title(textwrap.fill(caption, 40), fontsize=10, loc="left", color="#1f4e9c")
        refs = "\n".join(textwrap.fill(f"- {r}", 48) for r in dataset.captions[name][:2])
        ax.text(0, -0.03, refs, transform=ax.transAxes, va="top", fontsize=8, color="#444444")
    fig.suptitle(f"Test photos: the model's caption ({how}, blue) above, two of the five references below")
    fig.tight_layout()
    return fig


def grid_shape(spec: Spec) -> tuple[int, int]:
    if spec.encoder == "scratch":
        return spec.visual_shape[0] // 8, spec.visual_shape[1] // 8  # a stride of 2, then two 2x2 poolings
    return spec.visual_shape[0], spec.visual_shape[1]


def plot_attention(captioner: Captioner, dataset: Flickr8k, names, visual, spec: Spec, photos: int = 2):
    import matplotlib.pyplot as plt

    grid_rows, grid_cols = grid_shape(spec)
    rows = []
    for i in range(min(photos, len(names))):
        words, weights = captioner.attention(visual[i])
        rows.append((read_image(dataset.image_dir / names[i], 192), words[:10], weights[:10]))
    cols = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.9 * cols, 2.3 * len(rows)), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for r, (image, words, weights) in enumerate(rows):
        for c, (word, w) in enumerate(zip(words, weights)):
            w = w.reshape(grid_rows, grid_cols, 1)
            w = tf.image.resize(w / w.max(), image.shape[:2], method="bilinear").numpy()
            axes[r, c].imshow((image * (0.2 + 0.8 * w)).astype("uint8"))  # attended regions stay bright
            axes[r, c].set_title(word, fontsize=10)
    fig.suptitle("Where the decoder looked while writing each word (bright = attended, dark = ignored)")
    fig.tight_layout()
    return fig
