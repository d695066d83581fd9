"""Pretrained ImageNet weights: keras.applications' own files.

`build(name, weights="imagenet")` fetches the file that keras.applications'
twin of `name` loads, at the same URL and with the same hash, through
`keras.utils.get_file` (cache subdirectory "models" of the Keras cache), and
loads it. Our builders create the same weights in the same order as their
twins, so the files load unchanged.

| model | keras.applications twin | `preprocess_input` |
| --- | --- | --- |
| `vgg16`, `vgg19` | VGG16, VGG19 | "caffe": RGB to BGR, ImageNet means subtracted |
| `resnet50`, `resnet101`, `resnet152` | ResNet50/101/152 | "caffe" |
| `resnet50_v2`, `resnet101_v2`, `resnet152_v2` | ResNet50V2/101V2/152V2 | "tf": scaled to [-1, 1] |
| `inception_v3` | InceptionV3 | "tf" |
| `inception_resnet_v2` | InceptionResNetV2 | "tf" |

`preprocess_input(name)` returns keras' function for that model; apply it to
RGB images with values in [0, 255] (keras' function overwrites a float NumPy
array in place). As in keras.applications, a model with its
top (1000 ImageNet classes) needs the default input size (224x224, or 299x299
for the Inception models); without the top any size the model accepts works.

The table holds keras' URLs, file names and hashes, copied from
keras/src/applications/{vgg16,vgg19,resnet,inception_v3,
inception_resnet_v2}.py (Keras 3.15; resnet_v2.py uses resnet.py's table).
"""

import os

import keras

_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def _entry(directory, stem, top_hash, notop_hash, preprocess, size):
    top_file = f"{stem}_weights_tf_dim_ordering_tf_kernels.h5"
    notop_file = f"{stem}_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return {
        "top": (top_file, f"{_KERAS_BASE}{directory}/{top_file}", top_hash),
        "notop": (notop_file, f"{_KERAS_BASE}{directory}/{notop_file}", notop_hash),
        "preprocess": preprocess,  # the keras.applications module that has it
        "size": size,  # default input size, needed with the top
    }


# Registered name -> its keras.applications twin's files, (file name, URL,
# hash) with the top and without it; the keras.applications module whose
# `preprocess_input` the weights expect; the default input size. `_entry`
# spells the ten files' common naming; a model whose files are named
# otherwise (issues 6 and 7) gives the dictionary directly.
IMAGENET_WEIGHTS = {
    "vgg16": _entry(
        "vgg16", "vgg16", "64373286793e3c8b2b4e3219cbf3544b",
        "6d6bbae143d832006294945121d1f1fc", "vgg16", 224,
    ),
    "vgg19": _entry(
        "vgg19", "vgg19", "cbe5617147190e668d6c5d5026f83318",
        "253f8cb515780f3b799900260a226db6", "vgg19", 224,
    ),
    "resnet50": _entry(
        "resnet", "resnet50", "2cb95161c43110f7111970584f804107",
        "4d473c1dd8becc155b73f8504c6f6626", "resnet", 224,
    ),
    "resnet101": _entry(
        "resnet", "resnet101", "f1aeb4b969a6efcfb50fad2f0c20cfc5",
        "88cf7a10940856eca736dc7b7e228a21", "resnet", 224,
    ),
    "resnet152": _entry(
        "resnet", "resnet152", "100835be76be38e30d865e96f2aaae62",
        "ee4c566cf9a93f14d82f913c2dc6dd0c", "resnet", 224,
    ),
    "resnet50_v2": _entry(
        "resnet", "resnet50v2", "3ef43a0b657b3be2300d5770ece849e0",
        "fac2f116257151a9d068a22e544a4917", "resnet_v2", 224,
    ),
    "resnet101_v2": _entry(
        "resnet", "resnet101v2", "6343647c601c52e1368623803854d971",
        "c0ed64b8031c3730f411d2eb4eea35b5", "resnet_v2", 224,
    ),
    "resnet152_v2": _entry(
        "resnet", "resnet152v2", "a49b44d1979771252814e80f8ec446f9",
        "ed17cf2e0169df9d443503ef94b23b33", "resnet_v2", 224,
    ),
    "inception_v3": _entry(
        "inception_v3", "inception_v3", "9a0d58056eeedaa3f26cb7ebd46da564",
        "bcbd6486424b2319ff4ef7d526e38f63", "inception_v3", 299,
    ),
    "inception_resnet_v2": _entry(
        "inception_resnet_v2", "inception_resnet_v2",
        "e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4",
        "inception_resnet_v2", 299,
    ),
}

IMAGENET_CLASSES = 1000


def imagenet_models():
    """The registered names with ImageNet weights."""
    return list(IMAGENET_WEIGHTS)


def _entry_for(name):
    if name not in IMAGENET_WEIGHTS:
        raise ValueError(
            f"{name}: no ImageNet weights; weights='imagenet' is available for "
            f"{', '.join(imagenet_models())} (built under those names); for "
            f"other models pass weights=None or the path to a weights file."
        )
    return IMAGENET_WEIGHTS[name]


def check_imagenet(name, input_shape):
    """Raises ValueError unless `name` has ImageNet weights for RGB input
    (checked before the model is built; the top is checked by
    `load_imagenet`)."""
    _entry_for(name)
    if input_shape[-1] != 3:
        raise ValueError(
            f"{name}: weights='imagenet' needs 3 input channels (RGB), got "
            f"input_shape {tuple(input_shape)}."
        )


def preprocess_input(name):
    """keras.applications' `preprocess_input` for the ImageNet weights of
    `name`, e.g. `keras.applications.vgg16.preprocess_input` ("caffe" mode)
    for "vgg16". Apply it to RGB images with values in [0, 255]. Like
    keras', it overwrites a float NumPy array in place: pass a copy to keep
    the images."""
    module = _entry_for(name)["preprocess"]
    return getattr(keras.applications, module).preprocess_input


def weights_file(name, include_top=True):
    """(file name, URL, hash) of keras.applications' ImageNet file."""
    return _entry_for(name)["top" if include_top else "notop"]


def cache_dir():
    """The Keras cache directory that `get_file` uses: `$KERAS_HOME` (read
    when called, so it can be changed at run time), else `~/.keras`; keras
    falls back to `/tmp/.keras` when that is not writable."""
    directory = os.path.expanduser(
        os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    )
    if not os.access(directory, os.W_OK):
        directory = os.path.join("/tmp", ".keras")
    return directory


def fetch(name, include_top=True):
    """The local path of `name`'s ImageNet file, downloaded and checked
    against keras' hash by `keras.utils.get_file` unless already cached."""
    file_name, url, file_hash = weights_file(name, include_top)
    directory = cache_dir()
    try:
        return keras.utils.get_file(
            file_name, url, cache_subdir="models", file_hash=file_hash,
            cache_dir=directory,
        )
    except Exception as error:  # get_file raises a bare Exception offline
        target = os.path.join(directory, "models", file_name)
        lines = str(error).splitlines() or [type(error).__name__]
        reason = lines[0].replace(f"URL fetch failure on {url}: ", "")
        raise OSError(
            f"{name}: the ImageNet weights are not in the Keras cache and "
            f"downloading {url} failed ({reason}). Download it yourself and "
            f"put it at {target} (md5 {file_hash}; KERAS_HOME moves the "
            f"cache), or pass weights='/path/to/{file_name}'."
        ) from error


def _has_top(model):
    # The ten models' only Dense layers are their classifier tops.
    return any(isinstance(layer, keras.layers.Dense) for layer in model.layers)


def load_imagenet(model, name):
    """Loads `name`'s ImageNet file into `model` (built by `name`'s builder),
    the file with the top or without it, as the model has one or not."""
    entry = _entry_for(name)
    include_top = _has_top(model)
    size = entry["size"]
    if include_top and (
        len(model.outputs) != 1
        or model.outputs[0].shape[-1] != IMAGENET_CLASSES
        or tuple(model.input_shape[1:]) != (size, size, 3)
    ):
        raise ValueError(
            f"{name}: weights='imagenet' with include_top=True needs "
            f"num_classes={IMAGENET_CLASSES}, input_shape=({size}, {size}, 3) "
            f"and one output; got {len(model.outputs)} output(s) of "
            f"{model.outputs[0].shape[-1]} classes at {model.input_shape[1:]}. "
            f"For other classes or sizes use include_top=False."
        )
    path = fetch(name, include_top)
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(
            f"{name}: keras.applications' ImageNet file does not fit this "
            f"model ({str(error).splitlines()[0]}); the ImageNet weights fit "
            f"only {name}'s default variant options."
        ) from error
