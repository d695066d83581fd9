"""CIFAR-10/100 loading and fast `tf.data` input pipelines.

`load_cifar` finds the data locally when it can (explicit file, the
`CONVNETS_TF_DATA` environment variable, the repository's `data/` cache)
and only then downloads it, so training works offline once a copy exists.

`make_dataset` builds training and evaluation pipelines that gather and
augment whole batches at once instead of mapping over single images, which
is several times faster on CPU hosts.
"""

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Per-channel statistics of the CIFAR-10 training set, in 0..255 pixel units.
CIFAR_MEAN = (125.3, 123.0, 113.9)
CIFAR_STD = (63.0, 62.1, 66.7)

NUM_CLASSES = {"cifar10": 10, "cifar100": 100}
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_ENV_VAR = "CONVNETS_TF_DATA"
_EXPECTED = (
    "an .npz file with uint8 images `x_train`, `x_test` of shape "
    "(N, 32, 32, 3) and integer labels `y_train`, `y_test` of shape (N,)"
)


def load_cifar(name="cifar10", source=None):
    """Loads CIFAR-10 or CIFAR-100 as uint8 NHWC images and 1-D int64 labels.

    The data comes from the first of: `source` (path to an .npz file), the
    `CONVNETS_TF_DATA` environment variable (same), `DATA_DIR / f"{name}.npz"`,
    or a download through `keras.datasets`, which is then cached in `DATA_DIR`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    if name not in NUM_CLASSES:
        raise ValueError(
            f"Unknown dataset {name!r}; expected 'cifar10' or 'cifar100'."
        )
    num_classes = NUM_CLASSES[name]
    if source is not None:
        return _load_npz(_existing(source, "the `source` argument"), num_classes)
    if os.environ.get(_ENV_VAR):
        path = _existing(os.environ[_ENV_VAR], f"the {_ENV_VAR} variable")
        return _load_npz(path, num_classes)
    cached = DATA_DIR / f"{name}.npz"
    if cached.exists():
        return _load_npz(cached, num_classes)
    return _download(name, cached, num_classes)


def _existing(path, origin):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} (from {origin}) does not exist.")
    return path


def _load_npz(path, num_classes):
    # A damaged file can fail in the zip, zlib or .npy header parsing layers,
    # each with its own exception type, so any failure to read is reported
    # as a bad file.
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: not a readable .npz file ({err}).") from err
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: holds a single .npy array; expected {_EXPECTED}.")
    with data:
        missing = [key for key in _KEYS if key not in data.files]
        if missing:
            raise ValueError(f"{path}: missing {missing}; expected {_EXPECTED}.")
        try:
            arrays = [data[key] for key in _KEYS]
        except Exception as err:
            raise ValueError(f"{path}: corrupt .npz file ({err}).") from err
    return _validate(path, *arrays, num_classes)


def _validate(origin, x_train, y_train, x_test, y_test, num_classes):
    """Checks shapes, dtypes and label range; flattens labels to (N,)."""
    splits = []
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        # Keras ships labels as (N, 1).
        y = y.reshape(-1)
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (32, 32, 3):
            raise ValueError(
                f"{origin}: x_{split} is {x.dtype} {x.shape}; "
                "expected uint8 (N, 32, 32, 3)."
            )
        if not np.issubdtype(y.dtype, np.integer) or len(y) != len(x):
            raise ValueError(
                f"{origin}: y_{split} is {y.dtype} with {len(y)} labels; "
                f"expected {len(x)} integer labels, one per image."
            )
        if np.any((y < 0) | (y >= num_classes)):
            raise ValueError(
                f"{origin}: y_{split} has labels in [{y.min()}, {y.max()}]; "
                f"expected [0, {num_classes})."
            )
        splits.append((x, y.astype(np.int64)))
    return tuple(splits)


def _download(name, cached, num_classes):
    try:
        train, test = getattr(keras.datasets, name).load_data()
    except Exception as err:
        raise RuntimeError(
            f"Downloading {name} failed ({err}). To use a local copy, pass "
            f"`source='/path/to/{name}.npz'`, set "
            f"{_ENV_VAR}=/path/to/{name}.npz, or put {name}.npz into "
            f"{DATA_DIR}. The file must be {_EXPECTED}."
        ) from err
    arrays = _validate(f"keras.datasets.{name}", *train, *test, num_classes)
    (x_train, y_train), (x_test, y_test) = arrays
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so an interrupted save leaves no corrupt cache.
        partial = cached.with_suffix(".partial.npz")
        np.savez(
            partial, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
        )
        os.replace(partial, cached)
    except OSError:
        pass  # A read-only checkout still works; it just downloads again.
    return arrays


def make_dataset(x, y, batch_size, training, seed=None, image_size=None):
    """Builds a batched `tf.data.Dataset` of normalised images and labels.

    Training pipelines reshuffle every epoch, apply random 4-pixel-padded
    crops and horizontal flips, and drop the last partial batch so batch
    shapes are static (as XLA and TPUs want). Evaluation pipelines keep every
    example in order, unaugmented. One pass over the dataset is one epoch.

    Args:
        x: uint8 images, shape `(N, H, W, C)`.
        y: integer labels, shape `(N,)`.
        batch_size: examples per batch.
        training: whether to shuffle, augment and drop the remainder.
        seed: makes shuffling and augmentation reproducible.
        image_size: if given, batches are resized (bilinear, after the
            augmentation) to `image_size` x `image_size`, for models whose
            minimum input is larger than CIFAR's 32x32.

    Returns:
        A dataset of `(float32 images, int32 labels)` batches.
    """
    # Captured as NumPy arrays, they would become graph constants copied for
    # every batch: over 10x slower than sharing these tensors.
    images = tf.convert_to_tensor(x)
    labels = tf.convert_to_tensor(np.asarray(y, np.int32))
    height, width = x.shape[1:3]
    # Full-image constants turn the per-channel broadcast, which is about 5x
    # slower on CPU, into a cheap one over the batch axis.
    mean = tf.broadcast_to(CIFAR_MEAN, x.shape[1:])
    std = tf.broadcast_to(CIFAR_STD, x.shape[1:])

    def normalise(batch):
        batch = (tf.cast(batch, tf.float32) - mean) / std
        if image_size is not None:
            batch = tf.image.resize(batch, (image_size, image_size))
        return batch

    def eval_batch(indices):
        return normalise(tf.gather(images, indices)), tf.gather(labels, indices)

    # XLA fuses the padding, crops, flips and normalisation into one pass
    # over the batch, about twice as fast on CPU as running them op by op.
    @tf.function(jit_compile=True)
    def augment(batch, random_seed):
        n = tf.shape(batch)[0]
        padded = tf.pad(batch, [[0, 0], [4, 4], [4, 4], [0, 0]])
        crop_seed, flip_seed = tf.unstack(tf.random.split(random_seed))
        offsets = tf.random.stateless_uniform(
            [n, 2], crop_seed, maxval=9, dtype=tf.int32
        )
        flip = tf.random.stateless_uniform([n, 1], flip_seed) < 0.5
        rows = offsets[:, :1] + tf.range(height)
        # A flip is the crop's columns read right to left.
        cols = offsets[:, 1:] + tf.where(
            flip, tf.range(width - 1, -1, -1), tf.range(width)
        )
        batch = tf.gather(padded, rows, axis=1, batch_dims=1)
        batch = tf.gather(batch, cols, axis=2, batch_dims=1)
        return normalise(batch)

    def train_batch(indices, random_seed):
        # Gathering from the full array is faster outside XLA.
        batch = tf.gather(images, indices)
        return augment(batch, random_seed), tf.gather(labels, indices)

    indices = tf.data.Dataset.range(len(x))
    if training:
        indices = indices.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        indices = indices.batch(batch_size, drop_remainder=True)
        # One stateless seed pair per batch; rerandomised every epoch.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(indices, seeds.batch(2))
        dataset = dataset.map(train_batch, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = indices.batch(batch_size).map(
            eval_batch, num_parallel_calls=tf.data.AUTOTUNE
        )
    return dataset.prefetch(tf.data.AUTOTUNE)
