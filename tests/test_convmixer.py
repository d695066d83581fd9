"""ConvMixer: Table 1's counts by hand, the layer, the options.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_macs, receptive_field
from convnets_tf.models import convmixer


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def hand_count(h, d, p, k, classes):
    """Patch embedding (conv with bias, BN), d layers of depthwise conv with
    bias, BN, pointwise conv with bias, BN, and the classifier."""
    embedding = p * p * 3 * h + h + 2 * h
    layer = (k * k * h + h) + 2 * h + (h * h + h) + 2 * h
    return embedding + d * layer + (h + 1) * classes


@pytest.mark.parametrize("name, h, d, p, k, classes, paper", [
    ("convmixer_1536_20", 1536, 20, 7, 9, 1000, 51.6),
    ("convmixer_768_32", 768, 32, 7, 7, 1000, 21.1),
    ("convmixer_256_8", 256, 8, 2, 5, 10, 0.6),
])
def test_counts_follow_the_paper(name, h, d, p, k, classes, paper):
    model = convnets_tf.build(name, input_shape=(32, 32, 3))
    assert trainable_count(model) == hand_count(h, d, p, k, classes)
    assert round(trainable_count(model) / 1e6, 1) == paper  # Table 1 (millions)


def test_layer_keeps_resolution_and_width_and_options():
    model = convnets_tf.build("convmixer_256_8")
    assert model.get_layer("stem_bn").output.shape[1:] == (16, 16, 256)
    assert model.get_layer("layer8_pointwise_bn").output.shape[1:] == (16, 16, 256)
    assert model.get_layer("layer1_depthwise_conv").kernel_size == (5, 5)
    wide = convmixer.convmixer(input_shape=(32, 32, 3), width=64, depth=2, patch_size=4,
                               kernel_size=3)
    assert wide.get_layer("stem_bn").output.shape[1:] == (8, 8, 64)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        convmixer.convmixer(kernel_size=0)


def test_residual_around_the_depthwise_step_only():
    inputs = keras.Input((8, 8, 16))
    block = keras.Model(inputs, convmixer.convmixer_layer(inputs, 3, "l"))
    add = block.get_layer("l_add")
    # The addition reads the layer's input and the depthwise branch.
    sources = {t._keras_history.operation.name for t in add.input}
    assert sources == {block.layers[0].name, "l_depthwise_bn"}


def test_released_patch_14_model_and_mult_adds():
    """The third released ImageNet model, ConvMixer-1024/20 with patch 14 and
    kernel 9 (the authors' repository: 24.4M parameters), built from the
    options; mult-adds are the convolutions' weights times positions."""
    model = convmixer.convmixer(input_shape=(224, 224, 3), width=1024, depth=20,
                                patch_size=14, kernel_size=9)
    assert trainable_count(model) == hand_count(1024, 20, 14, 9, 1000)
    assert round(trainable_count(model) / 1e6, 1) == 24.4
    positions = (224 // 14) ** 2
    expected = positions * (14 * 14 * 3 * 1024 + 20 * (81 * 1024 + 1024 * 1024)) + 1024 * 1000
    assert count_macs(model) == expected


@pytest.mark.parametrize("k, p", [(3, 2), (5, 2), (9, 2), (5, 1), (5, 4)])
def test_receptive_field_grows_by_k_minus_1_times_p_per_layer(k, p):
    model = convmixer.convmixer(input_shape=(32, 32, 3), num_classes=10, width=8, depth=4,
                                patch_size=p, kernel_size=k)
    assert receptive_field(model) == p + 4 * (k - 1) * p


def test_input_smaller_than_a_patch_is_refused():
    with pytest.raises(ValueError):
        convmixer.convmixer(input_shape=(4, 4, 3), patch_size=7)
