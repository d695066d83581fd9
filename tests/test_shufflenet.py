"""ShuffleNet V2: torchvision's counts, Table 5's shapes, the unit.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.models import shufflenet

# torchvision's shufflenet_v2_x0_5 ... x2_0 (no BatchNorm statistics).
TORCHVISION = {
    "shufflenet_v2_x0_5": 1_366_792,
    "shufflenet_v2_x1_0": 2_278_604,
    "shufflenet_v2_x1_5": 3_503_624,
    "shufflenet_v2_x2_0": 7_393_996,
}


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("name", TORCHVISION)
def test_counts_equal_torchvision(name):
    model = convnets_tf.build(name, input_shape=(32, 32, 3))
    assert trainable_count(model) == TORCHVISION[name]
    # No grouped convolution hides in it: only depthwise ones.
    assert not [layer.name for layer in model.layers
                if isinstance(layer, keras.layers.Conv2D) and layer.groups > 1]


def test_table5_output_sizes():
    model = convnets_tf.build("shufflenet_v2_x1_0", include_top=False)
    shapes = {name: model.get_layer(name).output.shape[1:] for name in (
        "conv1_relu", "pool1", "stage2_block4_shuffle", "stage3_block8_shuffle",
        "stage4_block4_shuffle", "conv5_relu")}
    assert shapes == {
        "conv1_relu": (112, 112, 24), "pool1": (56, 56, 24),
        "stage2_block4_shuffle": (28, 28, 116), "stage3_block8_shuffle": (14, 14, 232),
        "stage4_block4_shuffle": (7, 7, 464), "conv5_relu": (7, 7, 1024),
    }


def test_unit_passes_half_the_channels_through_and_shuffles():
    inputs = keras.Input((6, 6, 16))
    unit = keras.Model(inputs, shufflenet.shuffle_unit(inputs, 16, "unit"))
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 16)).astype("float32")
    y = np.asarray(unit(x))
    # Channel split keeps channels 0-7 as they are; the shuffle with two
    # groups interleaves them with the branch's output: y[2j] = x[j].
    np.testing.assert_array_equal(y[..., 0::2], x[..., :8])
    assert not np.allclose(y[..., 1::2], x[..., 8:])
    # The downsampling unit: no split, both branches strided, width doubled.
    inputs = keras.Input((6, 6, 16))
    down = keras.Model(inputs, shufflenet.shuffle_unit(inputs, 32, "down", stride=2))
    assert down.output_shape == (None, 3, 3, 32)
    with pytest.raises(ValueError, match="keeps its width"):
        shufflenet.shuffle_unit(keras.Input((6, 6, 16)), 32, "bad")
    with pytest.raises(ValueError, match="width_multiplier must be one of"):
        shufflenet.shufflenet_v2(width_multiplier=0.75)


@pytest.mark.parametrize("stride, pool, stage4, min_size", [
    (2, True, 1, 32), (1, True, 2, 16), (2, False, 2, 16), (1, False, 4, 8)])
def test_cifar_stem_options(stride, pool, stage4, min_size):
    # Only the stem changes: the same weights, fewer early strides.
    model = shufflenet.shufflenet_v2(input_shape=(32, 32, 3), num_classes=10,
                                     width_multiplier=0.5, stem_stride=stride, stem_pool=pool)
    assert model.get_layer("stage4_block4_shuffle").output.shape[1:3] == (stage4, stage4)
    assert model.get_layer("conv1_conv").strides == (stride, stride)
    assert any(layer.name == "pool1" for layer in model.layers) == pool
    assert trainable_count(model) == TORCHVISION["shufflenet_v2_x0_5"] - 1024 * 990 - 990
    with pytest.raises(ValueError, match=f"minimum is {min_size}x{min_size}"):
        shufflenet.shufflenet_v2(input_shape=(min_size - 1, min_size - 1, 3),
                                 stem_stride=stride, stem_pool=pool)
    with pytest.raises(ValueError, match="stem_stride must be one of 1, 2"):
        shufflenet.shufflenet_v2(stem_stride=4)
