"""weights="imagenet": keras.applications' files, fetched through the Keras
cache, loaded into our builders; tested offline with files written here."""

import hashlib
import importlib
import urllib.error

import h5py
import keras
import numpy as np
import pytest
from keras.src.applications import resnet as keras_resnet
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils

import convnets_tf
from convnets_tf import weights
from convnets_tf.models.vgg import vgg

A = keras.applications
TWINS = {
    "vgg16": A.VGG16, "vgg19": A.VGG19,
    "resnet50": A.ResNet50, "resnet101": A.ResNet101, "resnet152": A.ResNet152,
    "resnet50_v2": A.ResNet50V2, "resnet101_v2": A.ResNet101V2,
    "resnet152_v2": A.ResNet152V2,
    "inception_v3": A.InceptionV3, "inception_resnet_v2": A.InceptionResNetV2,
    "xception": A.Xception,
    "densenet121": A.DenseNet121, "densenet169": A.DenseNet169,
    "densenet201": A.DenseNet201,
    "mobilenet": A.MobileNet, "mobilenet_v2": A.MobileNetV2,
    "mobilenet_v3_small": A.MobileNetV3Small, "mobilenet_v3_large": A.MobileNetV3Large,
    **{f"efficientnet_b{i}": getattr(A, f"EfficientNetB{i}") for i in range(8)},
    **{f"efficientnet_v2_{v.lower()}": getattr(A, f"EfficientNetV2{v}")
       for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    **{f"convnext_{size.lower()}": getattr(A, f"ConvNeXt{size}")
       for size in ("Tiny", "Small", "Base", "Large", "XLarge")},
}
# keras.applications' preprocessing mode for each twin (its docstrings);
# "none": the model preprocesses inside, `preprocess_input` passes through.
MODES = {
    **dict.fromkeys(["vgg16", "vgg19", "resnet50", "resnet101", "resnet152"], "caffe"),
    **dict.fromkeys(["resnet50_v2", "resnet101_v2", "resnet152_v2", "inception_v3",
                     "inception_resnet_v2", "xception", "mobilenet", "mobilenet_v2"], "tf"),
    **dict.fromkeys(["densenet121", "densenet169", "densenet201"], "torch"),
    **{name: "none" for name in TWINS
       if name.startswith(("mobilenet_v3", "efficientnet", "convnext"))},
}
# Every model of the first ten with its top (the default input, which the
# top needs), and without it for one model of each family at a small input,
# one pooled; of the later families, whose largest models are too big for
# CI, one model of each kind of top or preprocessing (the table test
# covers every file name and hash).
CASES = [(name, True, None, None) for name in list(TWINS)[:10]] + [
    ("vgg19", False, 32, None),
    ("resnet50", False, 32, None),
    ("resnet50_v2", False, 32, "avg"),
    ("inception_v3", False, 75, None),
    ("inception_resnet_v2", False, 75, None),
    ("xception", False, 71, None),
    ("densenet121", True, None, None),
    ("mobilenet", True, None, None),  # a convolutional top
    ("mobilenet_v3_small", True, None, None),  # preprocessing inside
    ("efficientnet_b0", True, None, None),
    ("convnext_tiny", True, None, None),  # a top named <name>_head_dense
]


def test_the_table_is_keras_applications_own():
    """Same URLs and hashes as the installed keras.applications: each URL is
    one of the twin module's base paths followed by the file name, and each
    hash is a literal of that module (keras checks none for MobileNet v1
    and v2). File names are spelled as keras' loading code spells them."""
    assert weights.imagenet_models() == list(TWINS)
    for name, twin in TWINS.items():
        module = importlib.import_module(twin.__module__)
        if name.startswith("resnet"):  # resnet_v2.py loads resnet.py's files
            module = keras_resnet
        source = open(module.__file__).read()
        bases = [value for key, value in vars(module).items()
                 if key.isupper() and isinstance(value, str) and value.startswith("https://")]
        for file_name, url, file_hash in (weights.weights_file(name),
                                          weights.weights_file(name, False)):
            assert any(url == base + file_name or url == base for base in bases), url
            if file_hash is None:
                assert "file_hash" not in source
            else:
                assert f'"{file_hash}"' in source
        if name.startswith("resnet"):
            key = name.replace("_", "")
            hashes = tuple(weights.weights_file(name, top)[2] for top in (True, False))
            assert hashes == keras_resnet.WEIGHTS_HASHES[key]
    # The spellings keras builds from format strings, checked once each.
    assert weights.weights_file("mobilenet", False)[0] == "mobilenet_1_0_224_tf_no_top.h5"
    assert weights.weights_file("mobilenet_v3_large", False)[0] == (
        "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5")
    assert weights.weights_file("efficientnet_v2_s")[0] == "efficientnetv2-s.h5"
    assert weights.weights_file("efficientnet_b7", False)[0] == "efficientnetb7_notop.h5"
    assert weights.weights_file("convnext_xlarge")[0] == "convnext_xlarge.h5"


def randomise(model, seed):
    """Random values for every bias and BatchNorm variable (keras starts them
    at 0 or 1, which would not show a misplaced one); kernels keep their
    seeded random initialisation."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if variable.name in ("gamma", "moving_variance"):
            variable.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif variable.name in ("beta", "moving_mean", "bias"):
            variable.assign(rng.uniform(-0.1, 0.1, shape).astype("float32"))


def write_release_file(model, path):
    """Writes `model`'s weights as keras' release files are written: legacy
    HDF5, weights only (`layer_names` at the root, one group per layer).
    keras has no public writer for this layout, hence its legacy module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    md5 = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            md5.update(chunk)
    return md5.hexdigest()


@pytest.mark.parametrize(
    "name, include_top, size, pooling", CASES,
    ids=[f"{n}-{'top' if t else 'notop'}" for n, t, _, _ in CASES],
)
def test_imagenet_weights_reproduce_keras_applications(
    name, include_top, size, pooling, tmp_path, monkeypatch
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    size = size or weights.IMAGENET_WEIGHTS[name]["size"]
    shape = (size, size, 3)
    keras.utils.set_random_seed(0)
    twin = TWINS[name](weights=None, include_top=include_top, input_shape=shape,
                       pooling=pooling, classifier_activation=None)
    randomise(twin, seed=1)
    file_name, url, _ = weights.weights_file(name, include_top)
    path = tmp_path / "models" / file_name
    file_hash = write_release_file(twin, path)
    x = np.random.default_rng(2).uniform(-1, 1, (1, *shape)).astype("float32")
    expected = np.asarray(twin(x))
    del twin
    keras.backend.clear_session()  # one large model in memory at a time

    # get_file checks the cached file against keras' hash (and would try to
    # download the real file over a random one), so the test gives the table
    # the hash of the file it wrote; file name and URL stay keras'.
    monkeypatch.setitem(weights.IMAGENET_WEIGHTS[name],
                        "top" if include_top else "notop",
                        (file_name, url, file_hash))
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    ours = convnets_tf.build(name, weights="imagenet", include_top=include_top,
                             input_shape=shape, pooling=pooling,
                             classifier_activation=None)
    path.unlink()  # up to 0.55 GB (VGG-19); pytest keeps tmp_path to the end
    got = np.asarray(ours(x))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4 * max(1.0, np.abs(expected).max()))


def offline(url, *args, **kwargs):
    raise urllib.error.URLError("no network in this test")


def test_offline_without_the_file_says_how_to_provide_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    file_name, url, _ = weights.weights_file("vgg16", include_top=False)
    with pytest.raises(OSError) as error:
        convnets_tf.build("vgg16", weights="imagenet", include_top=False,
                          input_shape=(32, 32, 3))
    message = str(error.value)
    assert "\n" not in message
    assert url in message
    assert str(tmp_path / "models" / file_name) in message
    assert "weights='/path/to/" in message


def test_impossible_requests_say_what_is_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    for name in ("alexnet", "resnet18"):  # checked before anything is built
        with pytest.raises(ValueError, match="available for vgg16, vgg19, resnet50, "):
            convnets_tf.build(name, weights="imagenet")
    with pytest.raises(ValueError, match=r"num_classes=1000, input_shape=\(224, 224, 3\)"):
        convnets_tf.build("resnet50", weights="imagenet", num_classes=10)
    with pytest.raises(ValueError, match=r"input_shape=\(224, 224, 3\)"):
        convnets_tf.build("resnet50", weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="3 input channels"):
        convnets_tf.build("vgg16", weights="imagenet", include_top=False,
                          input_shape=(32, 32, 1))
    with pytest.raises(ValueError, match="one output"):
        convnets_tf.build("inception_v3", weights="imagenet", aux_logits=True)
    # The table knows the registered names, which builders get as `name`.
    with pytest.raises(ValueError, match="no ImageNet weights"):
        vgg(name="my_vgg", weights="imagenet")
    with pytest.raises(ValueError, match=r"'imagenet' \(for vgg16, vgg19, .*not a file"):
        convnets_tf.build("vgg16", weights=str(tmp_path / "missing.h5"))

    # A variant the file does not fit: VGG-19's layers under vgg16's name.
    file_name, url, _ = weights.weights_file("vgg16", include_top=False)
    keras.utils.set_random_seed(0)
    twin = keras.applications.VGG16(weights=None, include_top=False,
                                    input_shape=(32, 32, 3))
    file_hash = write_release_file(twin, tmp_path / "models" / file_name)
    monkeypatch.setitem(weights.IMAGENET_WEIGHTS["vgg16"], "notop",
                        (file_name, url, file_hash))
    with pytest.raises(ValueError, match="does not fit this model"):
        vgg(name="vgg16", config="E", include_top=False, input_shape=(32, 32, 3),
            weights="imagenet")


def test_preprocess_input_is_keras_applications_own():
    images = np.zeros((1, 2, 2, 3), "float32")
    for name, mode in MODES.items():
        function = weights.preprocess_input(name)
        twin_module = TWINS[name].__module__.rsplit(".", 1)[-1]
        assert function is getattr(keras.applications, twin_module).preprocess_input
        first = np.asarray(function(images.copy()))[0, 0, 0]
        if mode == "caffe":  # BGR, ImageNet means subtracted
            np.testing.assert_allclose(first, [-103.939, -116.779, -123.68], atol=1e-3)
        elif mode == "tf":  # scaled to [-1, 1]
            np.testing.assert_allclose(first, [-1.0, -1.0, -1.0])
        elif mode == "torch":  # [0, 1], ImageNet mean and std
            np.testing.assert_allclose(first, [-0.485 / 0.229, -0.456 / 0.224,
                                               -0.406 / 0.225], atol=1e-4)
        else:
            np.testing.assert_allclose(first, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="no ImageNet weights"):
        weights.preprocess_input("alexnet")
