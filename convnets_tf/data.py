"""CIFAR-10/100 loading and fast `tf.data` input pipelines.

`load_cifar` finds the data locally when it can (explicit file, the
`CONVNETS_TF_DATA` environment variable, the repository's `data/` cache)
and only then downloads it, so training works offline once a copy exists.

`make_dataset` builds training and evaluation pipelines that gather and
augment whole batches at once instead of mapping over single images, which
is several times faster on CPU hosts.
"""

import numbers
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from convnets_tf.files import atomic_path

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


class CifarData(tuple):
    """`(x_train, y_train), (x_test, y_test)` with where they came from.

    Unpacks like the plain tuple; `name` is "cifar10" or "cifar100",
    `source` the file read or "keras.datasets".
    """

    def __new__(cls, train, test, name, source):
        data = super().__new__(cls, (train, test))
        data.name, data.source = name, str(source)
        return data

    def __getnewargs__(self):
        # So that copy and pickle rebuild it through __new__.
        return (*self, self.name, self.source)

    @property
    def num_classes(self):
        return NUM_CLASSES[self.name]

    def take(self, train_images=None, test_images=None):
        """The first `train_images` and `test_images` of each split (None:
        all of it), with the same name and source."""
        (x_train, y_train), (x_test, y_test) = self
        return CifarData(
            (x_train[:train_images], y_train[:train_images]),
            (x_test[:test_images], y_test[:test_images]),
            self.name, self.source,
        )


def load_cifar(name="cifar10", source=None):
    """Loads CIFAR-10 or CIFAR-100 as uint8 NHWC images and 1-D int64 labels.

    The data comes from the first of: `source` (path to an .npz file), the
    `CONVNETS_TF_DATA` environment variable (same), `DATA_DIR / f"{name}.npz"`,
    or a download through `keras.datasets`, which is then cached in `DATA_DIR`.

    Returns:
        A `CifarData`: `(x_train, y_train), (x_test, y_test)` that also
        says which data set it is and where it came from.
    """
    if name not in NUM_CLASSES:
        raise ValueError(
            f"Unknown dataset {name!r}; expected 'cifar10' or 'cifar100'."
        )
    if source is not None:
        path = _existing(source, "the `source` argument")
    elif os.environ.get(_ENV_VAR):
        path = _existing(os.environ[_ENV_VAR], f"the {_ENV_VAR} variable")
    elif (DATA_DIR / f"{name}.npz").exists():
        path = DATA_DIR / f"{name}.npz"
    else:
        return CifarData(*_download(name, DATA_DIR / f"{name}.npz"), name, "keras.datasets")
    train, test = check_arrays(path, *_read_npz(path), NUM_CLASSES[name])
    # CIFAR-100's training set has all 100 classes; labels that stop below 10
    # mean a CIFAR-10 file, which would train a 100-class model on 10.
    if name == "cifar100" and train[1].max() < 10:
        raise ValueError(
            f"{path}: every label is below 10, so this looks like CIFAR-10, not "
            "CIFAR-100. Use --dataset cifar10 (load_cifar('cifar10')) or a CIFAR-100 file."
        )
    return CifarData(train, test, name, path)


def _existing(path, origin):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} (from {origin}) does not exist.")
    if path.is_dir():
        raise ValueError(f"{path} (from {origin}) is a directory; expected {_EXPECTED}.")
    return path


def _read_npz(path):
    """The four arrays of an .npz file, or a ValueError saying what is wrong."""
    with open(path, "rb") as f:
        start = f.read(6)
    # Checked here because numpy takes anything else for a pickle and answers
    # with advice about `allow_pickle`, which is the wrong advice.
    if start == b"\x93NUMPY":
        raise ValueError(f"{path}: holds a single .npy array; expected {_EXPECTED}.")
    if not start.startswith(b"PK"):
        what = "is empty" if not start else "is not an .npz (zip) archive"
        raise ValueError(f"{path} {what}; expected {_EXPECTED}.")
    # A damaged archive can fail in the zip, zlib or .npy header parsing
    # layers, each with its own exception type, so any failure to read is
    # reported as a bad file.
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: not a readable .npz file ({err}).") from err
    with data:
        missing = [key for key in _KEYS if key not in data.files]
        if missing:
            raise ValueError(f"{path}: missing {missing}; expected {_EXPECTED}.")
        try:
            return [data[key] for key in _KEYS]
        except Exception as err:
            raise ValueError(f"{path}: corrupt .npz file ({err}).") from err


def check_arrays(origin, x_train, y_train, x_test, y_test, num_classes,
                 image_shape=(32, 32, 3)):
    """Checks shapes, dtypes and label range; flattens labels to (N,).

    Images must be uint8 pixels (0-255), which the pipeline normalises
    itself: float images would be normalised twice, and silently. A None in
    `image_shape` accepts any size on that axis. The training targets may
    also be soft: float class probabilities of shape `(N, num_classes)`,
    such as a teacher's (`convnets_tf.selftrain`); an all-zero row marks
    an image without a label, which adds nothing to a cross-entropy loss
    and which Meta Pseudo Labels' teacher labels (`selftrain.mixed_data`).

    Returns:
        `(x_train, y_train), (x_test, y_test)` with int64 labels (float32
        probabilities for soft training targets).
    """
    splits = []
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        x, y = np.asarray(x), np.asarray(y)
        soft = split == "train" and y.ndim == 2 and y.dtype.kind == "f" \
            and y.shape[1] == num_classes
        # Keras ships labels as (N, 1).
        y = y if soft else y.reshape(-1)
        shape_ok = x.ndim == 4 and all(
            want is None or have == want for have, want in zip(x.shape[1:], image_shape)
        )
        if x.dtype != np.uint8 or not shape_ok:
            expected = ", ".join("any" if n is None else str(n) for n in image_shape)
            hint = (" Convert float images in [0, 1] with "
                    "(x * 255).round().astype('uint8').") if x.dtype.kind == "f" else ""
            raise ValueError(
                f"{origin}: x_{split} is {x.dtype} {x.shape}; "
                f"expected uint8 pixels (N, {expected}).{hint}"
            )
        if len(x) == 0:
            raise ValueError(f"{origin}: x_{split} has no images.")
        if soft:
            sums = y.sum(axis=1)
            if len(y) != len(x) or np.any(y < 0) or not np.all(
                    np.isclose(sums, 1, atol=1e-3) | (sums == 0)):
                raise ValueError(
                    f"{origin}: y_train holds {len(y)} rows of soft targets for {len(x)} "
                    "images; expected one row of class probabilities (0 or more, summing "
                    "to 1, or all 0 for an unlabelled image) per image.")
            splits.append((x, y.astype(np.float32)))
            continue
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


def _download(name, cached):
    try:
        train, test = getattr(keras.datasets, name).load_data()
    except Exception as err:
        raise RuntimeError(
            f"Downloading {name} failed ({err}). To use a local copy, pass "
            f"--data /path/to/{name}.npz on the command line or "
            f"`source='/path/to/{name}.npz'` in Python, set "
            f"{_ENV_VAR}=/path/to/{name}.npz, or put {name}.npz into "
            f"{DATA_DIR}. The file must be {_EXPECTED}."
        ) from err
    arrays = check_arrays(f"keras.datasets.{name}", *train, *test, NUM_CLASSES[name])
    (x_train, y_train), (x_test, y_test) = arrays
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as partial:
            np.savez(partial, x_train=x_train, y_train=y_train, x_test=x_test,
                     y_test=y_test)
    except OSError:
        pass  # A read-only checkout still works; it just downloads again.
    return arrays


# `crop_padding`'s choices, as `tf.pad` modes.
CROP_PADDINGS = {"zeros": "CONSTANT", "reflect": "REFLECT"}


def check_crop_padding(crop_padding):
    if crop_padding not in CROP_PADDINGS:
        raise ValueError(f"crop_padding must be one of {', '.join(CROP_PADDINGS)} (the "
                         f"default is zeros; airbench reflects), got {crop_padding!r}.")


def make_dataset(x, y, batch_size, training, seed=None, image_size=None,
                 num_classes=None, outputs=None, translate=4, randaugment=False,
                 crop_padding="zeros"):
    """Builds a batched `tf.data.Dataset` of normalised images and targets.

    Training pipelines reshuffle every epoch, apply random crops of the
    images padded by `translate` pixels (4) and horizontal flips, and
    drop the last partial batch so batch
    shapes are static (as XLA and TPUs want). Evaluation pipelines keep every
    example in order, unaugmented. One pass over the dataset is one epoch.
    `train_cifar` asks for exactly what its compiled model consumes, so the
    recipe never re-wraps the dataset.

    Args:
        x: uint8 images, shape `(N, H, W, C)`.
        y: integer labels, shape `(N,)`, or soft targets, float class
            probabilities of shape `(N, classes)`, used as they are.
        batch_size: examples per batch.
        training: whether to shuffle, augment and drop the remainder.
        seed: makes shuffling and augmentation reproducible.
        image_size: if given and not the images' size, batches are resized
            (bilinear, after the augmentation) to `image_size` x
            `image_size`, or to `(height, width)`, for models whose
            input is larger than CIFAR's 32x32.
        num_classes: if given, the labels become one-hot vectors of this
            length (label smoothing needs them).
        outputs: a multi-output model's output names; each output gets the
            same targets, as a dict.
        translate: the largest shift, in pixels of the stored images, of
            the random crops of training batches (the images are padded
            by this much on each side, see `crop_padding`); 0 for flips
            only. A progressive run (`train_cifar(..., image_sizes=...)`)
            grows it with the image size, as an augmentation magnitude.
        crop_padding: what fills the border of a shifted crop: "zeros"
            (black, as torchvision's `RandomCrop(padding=4)`) or "reflect"
            (the image mirrored at its edge, as airbench pads its crops).
        randaugment: training batches first go through Keras'
            `RandAugment` (Cubuk et al. 2020; 2 operations, factor 0.5), the
            input noise of Noisy Student (Xie et al. 2020, section 2).

    Returns:
        A dataset of `(float32 images, targets)` batches; targets are int32
        labels, or float32 one-hot vectors given `num_classes`, or the soft
        targets.
    """
    # Captured as NumPy arrays, they would become graph constants copied for
    # every batch: over 10x slower than sharing these tensors.
    if isinstance(translate, bool) or not isinstance(translate, numbers.Integral) \
            or translate < 0:
        raise ValueError(f"translate must be a whole number of pixels, 0 or more (the "
                         f"default is 4), got {translate!r}.")
    check_crop_padding(crop_padding)
    images = tf.convert_to_tensor(x)
    soft = np.ndim(y) == 2
    labels = tf.convert_to_tensor(np.asarray(y, np.float32 if soft else np.int32))
    height, width = x.shape[1:3]
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    # None: a model that takes any size gets the images as they are.
    resize = image_size is not None and tuple(image_size) not in (
        (height, width), (None, None))
    # Full-image constants turn the per-channel broadcast, which is about 5x
    # slower on CPU, into a cheap one over the batch axis.
    mean = tf.broadcast_to(CIFAR_MEAN, x.shape[1:])
    std = tf.broadcast_to(CIFAR_STD, x.shape[1:])

    def normalise(batch):
        batch = (tf.cast(batch, tf.float32) - mean) / std
        if resize:
            batch = tf.image.resize(batch, image_size)
        return batch

    def targets(indices):
        target = tf.gather(labels, indices)
        if num_classes is not None and not soft:
            target = tf.one_hot(target, num_classes)
        if outputs is not None and len(outputs) > 1:
            return {name: target for name in outputs}
        return target

    def eval_batch(indices):
        return normalise(tf.gather(images, indices)), targets(indices)

    # XLA fuses the padding, crops, flips and normalisation into one pass
    # over the batch, about twice as fast on CPU as running them op by op.
    @tf.function(jit_compile=True)
    def augment(batch, random_seed):
        n = tf.shape(batch)[0]
        padded = tf.pad(batch, [[0, 0], [translate, translate], [translate, translate],
                                [0, 0]], mode=CROP_PADDINGS[crop_padding])
        crop_seed, flip_seed = tf.unstack(tf.random.split(random_seed))
        offsets = tf.random.stateless_uniform(
            [n, 2], crop_seed, maxval=2 * translate + 1, dtype=tf.int32
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

    rand_augment = keras.layers.RandAugment(value_range=(0, 255), seed=seed) \
        if randaugment else None

    def train_batch(indices, random_seed):
        # Gathering from the full array is faster outside XLA.
        batch = tf.gather(images, indices)
        if rand_augment is not None:
            batch = rand_augment(tf.cast(batch, tf.float32), training=True)
        return augment(batch, random_seed), targets(indices)

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
