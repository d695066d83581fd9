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
| `xception` | Xception | "tf" |
| `densenet121`, `densenet169`, `densenet201` | DenseNet121/169/201 | "torch": [0, 1], normalised |
| `mobilenet`, `mobilenet_v2` | MobileNet, MobileNetV2 (alpha 1.0, 224) | "tf" |
| `mobilenet_v3_small`, `mobilenet_v3_large` | MobileNetV3Small/Large | none: inside the model |
| `efficientnet_b0` ... `efficientnet_b7` | EfficientNetB0...B7 | none: inside the model |
| `efficientnet_v2_b0` ... `_b3`, `_s`, `_m`, `_l` | EfficientNetV2B0...L | none: inside |
| `convnext_tiny` ... `convnext_xlarge` | ConvNeXtTiny...XLarge | none: inside the model |

`preprocess_input(name)` returns keras' function for that model; apply it to
RGB images with values in [0, 255] (keras' function overwrites a float NumPy
array in place; for the models that preprocess inside, it returns its input).
As in keras.applications, a model with its top (1000 ImageNet classes) needs
the default input size (224x224; 299x299 for Inception and Xception; each
EfficientNet its own); without the top any size the model accepts works.
The weights fit each name's default variant options (MobileNets with
alpha 1.0, MobileNetV3 not minimalistic).

The table holds keras' URLs, file names and hashes, copied from
keras/src/applications/ (Keras 3.15; resnet_v2.py uses resnet.py's table).
"""

import os

import keras

_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def _files(url_dir, top_file, notop_file, top_hash, notop_hash, preprocess, size):
    return {
        "top": (top_file, url_dir + top_file, top_hash),
        "notop": (notop_file, url_dir + notop_file, notop_hash),
        "preprocess": preprocess,  # the keras.applications module that has it
        "size": size,  # default input size, needed with the top
    }


def _entry(directory, stem, top_hash, notop_hash, preprocess, size):
    """The naming most of keras' older files share."""
    return _files(
        f"{_KERAS_BASE}{directory}/", f"{stem}_weights_tf_dim_ordering_tf_kernels.h5",
        f"{stem}_weights_tf_dim_ordering_tf_kernels_notop.h5", top_hash, notop_hash,
        preprocess, size,
    )


def _named(url_dir, stem, top_hash, notop_hash, preprocess, size):
    """The naming of the files that keras' EfficientNet and ConvNeXt load."""
    return _files(url_dir, f"{stem}.h5", f"{stem}_notop.h5", top_hash, notop_hash,
                  preprocess, size)


def _mobilenet_v3(kind, top_hash, notop_hash):
    stem = f"weights_mobilenet_v3_{kind}_224_1.0_float"
    return _files(f"{_KERAS_BASE}mobilenet_v3/", f"{stem}.h5", f"{stem}_no_top_v2.h5",
                  top_hash, notop_hash, "mobilenet_v3", 224)


_EFFICIENTNET = "https://storage.googleapis.com/keras-applications/"
_EFFICIENTNET_V2 = f"{_KERAS_BASE}efficientnet_v2/"
_CONVNEXT = f"{_KERAS_BASE}convnext/"

# Registered name -> its keras.applications twin's files, (file name, URL,
# hash) with the top and without it; the keras.applications module whose
# `preprocess_input` the weights expect; the default input size. keras
# checks no hash for the MobileNet v1 and v2 files (None).
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
    "xception": _entry(
        "xception", "xception", "0a58e3b7378bc2990ea3b43d5981f1f6",
        "b0042744bf5b25fce3cb969f33bebb97", "xception", 299,
    ),
    "densenet121": _entry(
        "densenet", "densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
        "30ee3e1110167f948a6b9946edeeb738", "densenet", 224,
    ),
    "densenet169": _entry(
        "densenet", "densenet169", "d699b8f76981ab1b30698df4c175e90b",
        "b8c4d4c20dd625c148057b9ff1c1176b", "densenet", 224,
    ),
    "densenet201": _entry(
        "densenet", "densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
        "c13680b51ded0fb44dff2d8f86ac8bb1", "densenet", 224,
    ),
    "mobilenet": _files(
        f"{_KERAS_BASE}mobilenet/", "mobilenet_1_0_224_tf.h5",
        "mobilenet_1_0_224_tf_no_top.h5", None, None, "mobilenet", 224,
    ),
    "mobilenet_v2": _files(
        f"{_KERAS_BASE}mobilenet_v2/",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", None, None,
        "mobilenet_v2", 224,
    ),
    "mobilenet_v3_small": _mobilenet_v3(
        "small", "8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "mobilenet_v3_large": _mobilenet_v3(
        "large", "59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389",
    ),
    **{
        f"efficientnet_{variant}": _named(
            _EFFICIENTNET, f"efficientnet{variant}", top_hash, notop_hash, "efficientnet", size,
        )
        for variant, top_hash, notop_hash, size in (
            ("b0", "902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d", 224),
            ("b1", "1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432", 240),
            ("b2", "b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39", 260),
            ("b3", "ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226", 300),
            ("b4", "18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba", 380),
            ("b5", "ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f", 456),
            ("b6", "165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743", 528),
            ("b7", "8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a", 600),
        )
    },
    **{
        f"efficientnet_v2_{variant}": _named(
            _EFFICIENTNET_V2, f"efficientnetv2-{variant}", top_hash, notop_hash,
            "efficientnet_v2", size,
        )
        for variant, top_hash, notop_hash, size in (
            ("b0", "21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff", 224),
            ("b1", "069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37", 240),
            ("b2", "424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb", 260),
            ("b3", "1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856", 300),
            ("s", "e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070", 384),
            ("m", "a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342", 480),
            ("l", "27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615", 480),
        )
    },
    **{
        f"convnext_{size}": _named(_CONVNEXT, f"convnext_{size}", top_hash, notop_hash,
                                   "convnext", 224)
        for size, top_hash, notop_hash in (
            ("tiny", "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
             "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
            ("small", "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
             "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
            ("base", "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
             "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
            ("large", "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
             "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
            ("xlarge", "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
             "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
        )
    },
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
    # As in keras.applications, the classifier's last layer is "predictions",
    # except ConvNeXt's "<name>_head_dense".
    return any(layer.name == "predictions" or layer.name.endswith("_head_dense")
               for layer in model.layers)


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
