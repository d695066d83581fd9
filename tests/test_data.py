"""Tests for CIFAR loading and the `tf.data` pipelines."""

import copy
import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convnets_tf import data

# Read at import: the autouse fixture below clears the variable for each test.
SAMPLE = Path(
    os.environ.get(
        "CONVNETS_TF_DATA",
        Path(__file__).resolve().parents[2] / "shared/data/cifar10_sample.npz",
    )
)


def _arrays(n_train=6, n_test=4, label=1):
    """Small valid CIFAR-shaped arrays; `label` tells files apart."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8),
        "y_train": np.full(n_train, label, np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8),
        "y_test": np.full(n_test, label, np.uint8),
    }


def _write(path, label=1, **overrides):
    """Writes a valid .npz, with arrays replaced (or dropped when None)."""
    arrays = {**_arrays(label=label), **overrides}
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def _fail_download():
    # What keras.utils.get_file raises when offline.
    raise Exception("URL fetch failure: no network")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Keeps tests off the user's env var, the repo cache and the network."""
    monkeypatch.delenv("CONVNETS_TF_DATA", raising=False)
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "cache")
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", _fail_download)
    monkeypatch.setattr(keras.datasets.cifar100, "load_data", _fail_download)


# Loading order.


def test_source_beats_env_var_and_cache(monkeypatch, tmp_path):
    source = _write(tmp_path / "source.npz", label=1)
    monkeypatch.setenv("CONVNETS_TF_DATA", str(_write(tmp_path / "env.npz", label=2)))
    data.DATA_DIR.mkdir()
    _write(data.DATA_DIR / "cifar10.npz", label=3)

    (x_train, y_train), (x_test, y_test) = data.load_cifar(source=source)

    assert set(y_train) == set(y_test) == {1}
    np.testing.assert_array_equal(x_train, _arrays()["x_train"])
    assert x_train.dtype == np.uint8 and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (6,) and np.issubdtype(y_train.dtype, np.integer)


def test_env_var_beats_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVNETS_TF_DATA", str(_write(tmp_path / "env.npz", label=2)))
    data.DATA_DIR.mkdir()
    _write(data.DATA_DIR / "cifar10.npz", label=3)

    (_, y_train), _ = data.load_cifar()

    assert set(y_train) == {2}


@pytest.mark.parametrize("name, label", [("cifar10", 7), ("cifar100", 77)])
def test_cache_used_without_download(name, label):
    data.DATA_DIR.mkdir()
    _write(data.DATA_DIR / f"{name}.npz", label=label)

    loaded = data.load_cifar(name)

    (_, y_train), _ = loaded
    assert set(y_train) == {label}
    assert (loaded.name, loaded.num_classes) == (name, data.NUM_CLASSES[name])
    assert loaded.source == str(data.DATA_DIR / f"{name}.npz")


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_failed_download_explains_how_to_provide_data(name):
    with pytest.raises(RuntimeError) as info:
        data.load_cifar(name)

    message = str(info.value)
    assert "no network" in message
    assert "CONVNETS_TF_DATA" in message and "source=" in message
    assert "--data" in message  # what the command line offers
    assert f"{name}.npz" in message and str(data.DATA_DIR) in message
    assert "x_train" in message and "y_test" in message
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("name, label", [("cifar10", 4), ("cifar100", 42)])
def test_download_is_flattened_and_cached(monkeypatch, name, label):
    arrays = _arrays(label=label)
    # Keras returns labels of shape (N, 1).
    keras_style = (
        (arrays["x_train"], arrays["y_train"][:, None]),
        (arrays["x_test"], arrays["y_test"][:, None]),
    )
    module = getattr(keras.datasets, name)
    monkeypatch.setattr(module, "load_data", lambda: keras_style)

    (_, y_train), (_, y_test) = data.load_cifar(name)

    assert y_train.shape == (6,) and y_test.shape == (4,)
    assert [p.name for p in data.DATA_DIR.iterdir()] == [f"{name}.npz"]
    monkeypatch.setattr(module, "load_data", _fail_download)
    (x_train, y_train), _ = data.load_cifar(name)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert set(y_train) == {label}


def test_unwritable_cache_still_returns_download(monkeypatch, tmp_path):
    (tmp_path / "a_file").touch()
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "a_file" / "data")
    arrays = _arrays()
    download = (
        (arrays["x_train"], arrays["y_train"]),
        (arrays["x_test"], arrays["y_test"]),
    )
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: download)

    (x_train, _), _ = data.load_cifar()

    np.testing.assert_array_equal(x_train, arrays["x_train"])


# Loading errors.


def test_unknown_name():
    with pytest.raises(ValueError, match="cifar10.*cifar100"):
        data.load_cifar("mnist")


def test_missing_source(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError) as info:
        data.load_cifar(source=path)
    assert str(path) in str(info.value) and "source" in str(info.value)


def test_missing_env_var_file(monkeypatch, tmp_path):
    path = tmp_path / "nope.npz"
    monkeypatch.setenv("CONVNETS_TF_DATA", str(path))
    with pytest.raises(FileNotFoundError) as info:
        data.load_cifar()
    assert str(path) in str(info.value) and "CONVNETS_TF_DATA" in str(info.value)


def _corrupt(kind, path):
    if kind == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated zip":
        good = _write(path).read_bytes()
        path.write_bytes(good[: len(good) // 2])
    elif kind == "npy not npz":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif kind == "pickled labels":
        _write(path, y_train=np.array([1, "a"], dtype=object))
    elif kind == "directory":
        path.mkdir()


@pytest.mark.parametrize(
    "kind",
    [
        "random bytes",
        "empty",
        "truncated zip",
        "npy not npz",
        "pickled labels",
        "directory",
    ],
)
def test_corrupt_file(tmp_path, kind):
    path = tmp_path / "bad.npz"
    _corrupt(kind, path)
    with pytest.raises(ValueError) as info:
        data.load_cifar(source=path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("offset", [100, 150])
def test_damaged_compressed_file(tmp_path, offset):
    # Zero images compress to a short deflate stream, so flipping 40 bytes of
    # it breaks decompression (100) or garbles the .npy header inside (150).
    path = tmp_path / "bad.npz"
    zeros = np.zeros((200, 32, 32, 3), np.uint8)
    np.savez_compressed(path, **{**_arrays(), "x_train": zeros})
    raw = bytearray(path.read_bytes())
    raw[offset : offset + 40] = bytes(b ^ 0xFF for b in raw[offset : offset + 40])
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError) as info:
        data.load_cifar(source=path)
    assert str(path) in str(info.value)


def test_corrupt_cache_names_the_cache_file():
    data.DATA_DIR.mkdir()
    path = data.DATA_DIR / "cifar10.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="cifar10.npz"):
        data.load_cifar()


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"y_test": None}, "missing.*y_test"),
        ({"x_train": None}, "missing.*x_train"),
        ({"x_train": np.zeros((6, 28, 28, 3), np.uint8)}, "x_train"),
        ({"x_test": np.zeros((4, 32, 32), np.uint8)}, "x_test"),
        ({"x_test": np.zeros((4, 32, 32, 3), np.float32)}, "x_test"),
        ({"y_train": np.zeros(5, np.uint8)}, "y_train"),
        ({"y_train": np.zeros((6, 10), np.uint8)}, "y_train"),
        ({"y_train": np.zeros(6, np.float32)}, "y_train"),
        ({"y_test": np.array([0, 1, 10, 2])}, "y_test"),
        ({"y_train": np.array([0, 1, -1, 2, 3, 4])}, "y_train"),
    ],
)
def test_invalid_contents(tmp_path, overrides, problem):
    path = _write(tmp_path / "bad.npz", **overrides)
    with pytest.raises(ValueError) as info:
        data.load_cifar(source=path)
    assert str(path) in str(info.value)
    assert re.search(problem, str(info.value))


def test_label_range_depends_on_dataset(tmp_path):
    path = _write(tmp_path / "c100.npz", y_train=np.full(6, 99), y_test=np.full(4, 50))
    (_, y_train), _ = data.load_cifar("cifar100", source=path)
    assert set(y_train) == {99}
    with pytest.raises(ValueError, match="y_train"):
        data.load_cifar("cifar10", source=path)


def test_text_file_named_npz_gets_no_pickle_advice(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("x_train,y_train\n1,2\n")
    with pytest.raises(ValueError) as info:
        data.load_cifar(source=path)
    message = str(info.value)
    assert f"{path} is not an .npz (zip) archive" in message
    assert "pickle" not in message


def test_cifar10_file_used_as_cifar100_is_refused(tmp_path):
    path = _write(tmp_path / "c10.npz", y_train=np.arange(6) % 10)
    with pytest.raises(ValueError, match="looks like CIFAR-10.*--dataset cifar10"):
        data.load_cifar("cifar100", source=path)


@pytest.mark.parametrize("split", ["train", "test"])
def test_empty_split_is_refused(tmp_path, split):
    path = _write(tmp_path / "empty.npz", **{
        f"x_{split}": np.zeros((0, 32, 32, 3), np.uint8), f"y_{split}": np.zeros(0, np.uint8)})
    with pytest.raises(ValueError, match=f"x_{split} has no images"):
        data.load_cifar(source=path)


def test_cifar_data_says_what_it_is_and_takes_subsets(monkeypatch, tmp_path):
    path = _write(tmp_path / "c100.npz", y_train=np.arange(6) + 90)
    loaded = data.load_cifar("cifar100", source=path)
    (x_train, y_train), (x_test, y_test) = loaded
    assert (loaded.name, loaded.num_classes, loaded.source) == ("cifar100", 100, str(path))

    subset = loaded.take(train_images=4)
    (x_sub, y_sub), (x_test_sub, _) = subset
    np.testing.assert_array_equal(x_sub, x_train[:4])
    np.testing.assert_array_equal(y_sub, y_train[:4])
    assert len(x_test_sub) == len(x_test)  # None: all of it
    assert (subset.name, subset.source) == ("cifar100", str(path))
    assert len(loaded.take(2, 1)[1][0]) == 1
    copied = copy.deepcopy(loaded)
    assert (copied.name, copied.source) == ("cifar100", str(path))
    np.testing.assert_array_equal(copied[0][1], y_train)

    arrays = _arrays()
    download = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: download)
    assert data.load_cifar().source == "keras.datasets"


def test_real_sample_matches_normalisation_constants():
    if not SAMPLE.is_file():
        pytest.skip(f"no CIFAR-10 sample at {SAMPLE}")
    (x_train, y_train), (x_test, y_test) = data.load_cifar(source=SAMPLE)
    assert x_train.shape[1:] == (32, 32, 3) and len(x_train) == len(y_train)
    assert len(x_test) == len(y_test) and set(np.unique(y_train)) == set(range(10))

    images = np.concatenate(
        [b for b, _ in data.make_dataset(x_test, y_test, 500, training=False)]
    )
    np.testing.assert_allclose(images.mean(axis=(0, 1, 2)), 0, atol=0.05)
    np.testing.assert_allclose(images.std(axis=(0, 1, 2)), 1, atol=0.05)


# Pipelines.


def _pixels(images):
    """Undoes the normalisation, back to exact uint8 pixel values."""
    pixels = np.asarray(images) * data.CIFAR_STD + data.CIFAR_MEAN
    np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-3)
    return np.round(pixels).astype(np.int64)


def _epoch(dataset):
    """One pass over `dataset` as `(images, labels)` NumPy arrays."""
    batches = list(dataset.as_numpy_iterator())
    images, labels = zip(*batches)
    return np.concatenate(images), np.concatenate(labels)


def test_training_keeps_labels_with_their_images():
    n = 200
    # Pixel value i + 1 identifies image i; 0 only ever comes from padding.
    ids = np.arange(1, n + 1, dtype=np.uint8)
    x = np.broadcast_to(ids[:, None, None, None], (n, 32, 32, 3))
    y = np.random.default_rng(0).integers(0, 10, n)
    dataset = data.make_dataset(x, y, batch_size=16, training=True, seed=0)

    for _ in range(2):
        images, labels = _epoch(dataset)
        pixels = _pixels(images)
        ids = pixels.max(axis=(1, 2, 3)) - 1
        for image, i in zip(pixels, ids):
            # A crop keeps at least a 28x28 part of the image, the rest is padding.
            assert set(np.unique(image)) <= {0, i + 1}
            assert (image[..., 0] == i + 1).sum() >= 28 * 28
        np.testing.assert_array_equal(labels, y[ids])
        assert len(set(ids)) == len(ids) == 192  # Each image at most once.


@pytest.mark.parametrize("size", [(32, 32), (24, 20)])
def test_training_crops_are_windows_of_padded_images(size):
    n, height, width = 24, *size
    rng = np.random.default_rng(1)
    # No zero pixels, so padding is never mistaken for image content.
    x = rng.integers(1, 256, (n, height, width, 3), dtype=np.uint8)
    dataset = data.make_dataset(x, np.arange(n), batch_size=8, training=True, seed=0)
    padded = np.pad(x, [(0, 0), (4, 4), (4, 4), (0, 0)])
    windows = sliding_window_view(padded, (height, width), axis=(1, 2))
    windows = np.moveaxis(windows, 3, -1)  # (n, 9, 9, height, width, 3)

    found = []
    for _ in range(3):
        for images, labels in dataset.as_numpy_iterator():
            assert images.shape == (8, height, width, 3)
            batch = []
            for image, i in zip(_pixels(images), labels):
                unflipped = np.stack([image, np.flip(image, axis=1)])
                equal = windows[i] == unflipped[:, None, None]
                # Rows of (flip, dy, dx) where the output is that window.
                matches = np.argwhere(equal.all(axis=(3, 4, 5)))
                assert len(matches), "output is not a window of the padded image"
                batch.append(tuple(matches[0]))
            # Offsets are drawn per image, not once per batch.
            assert len(set(batch)) > 1
            found += batch

    assert {flip for flip, _, _ in found} == {0, 1}
    # Every offset from 0 to 2 * 4 padding pixels occurs, on both axes.
    assert {dy for _, dy, _ in found} == {dx for _, _, dx in found} == set(range(9))
    # Drawn independently: more pairs than a shared offset could give.
    assert len({(dy, dx) for _, dy, dx in found}) > 9


def test_training_batches_are_static_and_drop_remainder():
    x = np.zeros((50, 32, 32, 3), np.uint8)
    dataset = data.make_dataset(x, np.arange(50) % 10, batch_size=16, training=True)

    images_spec, labels_spec = dataset.element_spec
    assert images_spec.shape == (16, 32, 32, 3) and labels_spec.shape == (16,)
    assert images_spec.dtype == "float32" and labels_spec.dtype == "int32"
    images, labels = _epoch(dataset)
    assert images.shape == (48, 32, 32, 3) and labels.shape == (48,)
    assert images.dtype == np.float32 and labels.dtype == np.int32


def test_evaluation_keeps_everything_in_order_unaugmented():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 100, 50)
    dataset = data.make_dataset(x, y, batch_size=16, training=False)

    batches = list(dataset.as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [16, 16, 16, 2]
    for _ in range(2):
        images, labels = _epoch(dataset)
        assert images.dtype == np.float32 and labels.dtype == np.int32
        np.testing.assert_array_equal(_pixels(images), x)
        np.testing.assert_array_equal(labels, y)


def test_epochs_differ_and_seed_reproduces():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    y = np.arange(64)

    def two_epochs(seed):
        dataset = data.make_dataset(x, y, batch_size=16, training=True, seed=seed)
        return [_epoch(dataset) for _ in range(2)]

    first = two_epochs(seed=0)
    (_, labels1), (_, labels2) = first
    assert not np.array_equal(labels1, labels2)

    for (images_a, labels_a), (images_b, labels_b) in zip(first, two_epochs(seed=0)):
        np.testing.assert_array_equal(labels_a, labels_b)
        np.testing.assert_array_equal(images_a, images_b)

    (_, other_labels), _ = two_epochs(seed=1)
    assert not np.array_equal(other_labels, labels1)


def test_augmentation_is_redrawn_each_epoch():
    # With identical images the order cannot matter, only the augmentation.
    image = np.random.default_rng(4).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    x = np.broadcast_to(image, (32, 32, 32, 3))
    dataset = data.make_dataset(x, np.zeros(32), batch_size=16, training=True, seed=0)

    (images1, _), (images2, _) = _epoch(dataset), _epoch(dataset)

    assert not np.array_equal(images1, images2)


@pytest.mark.parametrize("training", [True, False])
def test_image_size_resizes_batches(training):
    x = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), dtype=np.uint8)
    dataset = data.make_dataset(x, np.arange(32) % 10, batch_size=16,
                                training=training, seed=0, image_size=75)
    images, _ = next(iter(dataset))
    assert images.shape == (16, 75, 75, 3)
    # Bilinear resizing keeps the normalised statistics roughly in place.
    assert abs(float(np.mean(images))) < 0.5


def test_targets_are_what_the_compiled_model_consumes():
    x = np.zeros((32, 32, 32, 3), np.uint8)
    y = np.arange(32) % 10
    _, labels = next(iter(data.make_dataset(x, y, 16, training=False, num_classes=10)))
    np.testing.assert_array_equal(labels, np.eye(10)[y[:16]])

    dataset = data.make_dataset(x, y, 16, training=True, num_classes=10,
                                outputs=["predictions", "aux"])
    _, targets = next(iter(dataset))
    assert sorted(targets) == ["aux", "predictions"]
    assert targets["aux"].shape == targets["predictions"].shape == (16, 10)

    # One output: the targets themselves, as Keras wants for a one-output model.
    _, labels = next(iter(data.make_dataset(x, y, 16, training=True, outputs=["out"])))
    assert labels.shape == (16,) and labels.dtype == np.int32


@pytest.mark.parametrize("image_size, shape", [
    ((40, 48), (40, 48)), ((32, 32), (32, 32)), ((None, None), (32, 32))])
def test_image_size_takes_the_models_input_size(image_size, shape):
    x = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    dataset = data.make_dataset(x, np.arange(16) % 10, 16, training=False,
                                image_size=image_size)
    images, _ = next(iter(dataset))
    assert images.shape == (16, *shape, 3)
    if shape == (32, 32):
        np.testing.assert_array_equal(_pixels(images), x)  # untouched, not resized
