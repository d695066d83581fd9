"""Registry-wide checks: every registered model is tested the same way."""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.models import alexnet as alexnet_module

# Trainable parameters of each registered model at its default arguments,
# and the smallest input height and width it accepts. One block per family.
REFERENCE_TRAINABLE = {}
MIN_SIZE = {}

# lenet
REFERENCE_TRAINABLE.update({
    "lenet5": 60_850,  # paper, with a dense softmax output layer
    "lenet5_modern": 61_706,
})
MIN_SIZE.update({"lenet5": 32, "lenet5_modern": 32})

# alexnet
REFERENCE_TRAINABLE.update({
    "alexnet": 60_965_224,  # paper, two towers
    # The CIFAR stem has no published count: AlexNet less the 11x11 conv1
    # (a 3x3 one instead), fc6 reading a 3x3 map instead of 6x6, 10 classes.
    "alexnet_cifar": 60_965_224
    - (11 * 11 - 3 * 3) * 3 * 96
    - (6 * 6 - 3 * 3) * 256 * 4096
    - 990 * 4097,
})
MIN_SIZE.update({"alexnet": 67, "alexnet_cifar": 15})

# vgg
# (end vgg)

# nin
# (end nin)

# googlenet
# (end googlenet)

# inception_v3
# (end inception_v3)

# inception_v4
# (end inception_v4)

# inception_resnet
# (end inception_resnet)

# resnet
# (end resnet)

# bit
# (end bit)

MODELS = convnets_tf.list_models()


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def small_shape(name):
    """The cheapest input a model takes: its minimum size, 3 channels."""
    size = max(MIN_SIZE[name], 32)
    return (size, size, 3)


def test_registry_is_sorted_and_complete():
    assert MODELS == sorted(MODELS)
    assert set(MODELS) == set(REFERENCE_TRAINABLE) == set(MIN_SIZE)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean: alexnet"):
        convnets_tf.build("alexnt")


def test_builders_import_from_their_family_module():
    model = alexnet_module.alexnet(two_tower=False)
    assert trainable_count(model) == 62_378_344


@pytest.mark.parametrize("name", MODELS)
def test_parameter_count_and_default_output(name):
    model = convnets_tf.build(name)
    assert trainable_count(model) == REFERENCE_TRAINABLE[name]
    assert model.name == name
    out = model.predict(np.zeros((1, *model.input_shape[1:]), "float32"), verbose=0)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)  # softmax


@pytest.mark.parametrize("name", MODELS)
def test_input_size_limits(name):
    size = MIN_SIZE[name]
    model = convnets_tf.build(name, input_shape=(size, size, 3), num_classes=7)
    assert model.output_shape == (None, 7)
    with pytest.raises(ValueError, match=f"minimum is {size}x{size}"):
        convnets_tf.build(name, input_shape=(size - 1, size, 3))


@pytest.mark.parametrize("name", MODELS)
def test_cifar_input(name):
    if MIN_SIZE[name] > 32:
        with pytest.raises(ValueError, match="CIFAR variant"):
            convnets_tf.build(name, input_shape=(32, 32, 3), num_classes=10)
        return
    model = convnets_tf.build(name, input_shape=(32, 32, 3), num_classes=10)
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize("name", MODELS)
def test_mixed_float16_output_is_float32(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = convnets_tf.build(name, input_shape=small_shape(name), num_classes=10)
    assert model.layers[1].compute_dtype == "float16"
    out = model(np.random.rand(2, *small_shape(name)).astype("float32"))
    assert out.dtype == "float32"
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name", MODELS)
def test_training_step_lowers_loss(name):
    keras.utils.set_random_seed(0)
    model = convnets_tf.build(name, input_shape=small_shape(name), num_classes=10)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss="sparse_categorical_crossentropy")
    x = np.random.rand(16, *small_shape(name)).astype("float32")
    y = np.arange(16) % 10
    before = model.evaluate(x, y, verbose=0)
    for _ in range(3):
        model.train_on_batch(x, y)
    assert model.evaluate(x, y, verbose=0) < before


@pytest.mark.parametrize("name", MODELS)
def test_headless_pooling(name):
    shape = small_shape(name)
    features = convnets_tf.build(name, input_shape=shape, include_top=False)
    assert len(features.output_shape) == 4
    pooled = convnets_tf.build(name, input_shape=shape, include_top=False,
                               pooling="avg")
    assert pooled.output_shape == (None, features.output_shape[-1])
    with pytest.raises(ValueError, match="pooling must be one of"):
        convnets_tf.build(name, input_shape=shape, include_top=False,
                          pooling="mean")


@pytest.mark.parametrize("name", MODELS)
def test_save_load_and_weights_argument(name, tmp_path):
    shape = small_shape(name)
    model = convnets_tf.build(name, input_shape=shape, num_classes=10)
    x = np.random.rand(2, *shape).astype("float32")
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(reloaded(x), model(x), atol=1e-6)

    model.save_weights(tmp_path / "model.weights.h5")
    loaded = convnets_tf.build(name, input_shape=shape, num_classes=10,
                               weights=str(tmp_path / "model.weights.h5"))
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)
    with pytest.raises(ValueError, match="not a file"):
        convnets_tf.build(name, weights="imagenet")
