"""ResNet family: keras.applications equivalence, shortcut options, blocks.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_params
from convnets_tf.models import resnet

# keras.applications' totals (GUIDE.md), trainable plus BatchNorm statistics.
KERAS_APPLICATIONS = [
    ("resnet50", keras.applications.ResNet50, 25_636_712),
    ("resnet101", keras.applications.ResNet101, 44_707_176),
    ("resnet152", keras.applications.ResNet152, 60_419_944),
    ("resnet50_v2", keras.applications.ResNet50V2, 25_613_800),
    ("resnet101_v2", keras.applications.ResNet101V2, 44_675_560),
    ("resnet152_v2", keras.applications.ResNet152V2, 60_380_648),
]
# 64x64: small enough to be quick, large enough that every strided layer
# sees an even-sized map, where 'same' and symmetric padding differ.
SHAPE = (64, 64, 3)


def weighted_layer_names(model):
    return [layer.name for layer in model.layers if layer.weights]


@pytest.mark.parametrize("name, reference, total", KERAS_APPLICATIONS,
                         ids=[case[0] for case in KERAS_APPLICATIONS])
def test_keras_applications_equivalence(name, reference, total):
    theirs = reference(weights=None, input_shape=SHAPE, classifier_activation=None)
    ours = convnets_tf.build(name, input_shape=SHAPE, classifier_activation=None)
    assert theirs.count_params() == ours.count_params() == total
    # Same names in the same order: keras.applications' weight files load.
    assert weighted_layer_names(ours) == weighted_layer_names(theirs)
    # Before the copy, each residual branch ends at zero (zero_init_last).
    last = ours.get_layer("conv2_block1_3_conv" if "v2" in name else "conv2_block1_3_bn")
    assert not np.any(last.weights[0])
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    logits = np.asarray(theirs(x))
    assert np.abs(logits).max() > 0.1  # the comparison is not of zeros
    np.testing.assert_allclose(np.asarray(ours(x)), logits, atol=1e-4)


def test_weights_argument_loads_a_keras_applications_file(tmp_path):
    shape = (32, 32, 3)
    theirs = keras.applications.ResNet50V2(weights=None, input_shape=shape,
                                           include_top=False)
    theirs.save_weights(tmp_path / "resnet50v2.weights.h5")
    ours = convnets_tf.build("resnet50_v2", input_shape=shape, include_top=False,
                             weights=str(tmp_path / "resnet50v2.weights.h5"))
    x = np.random.default_rng(1).normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-4)


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    inputs = keras.Input((8, 8, 16))
    outputs = resnet.shortcut_branch(inputs, 32, 2, "zero_pad", name="s")
    model = keras.Model(inputs, outputs)
    assert model.count_params() == 0
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 4, 4, 32)
    np.testing.assert_array_equal(y[..., :16], x[:, ::2, ::2, :])
    np.testing.assert_array_equal(y[..., 16:], 0.0)


def test_cifar_shortcut_options_and_plain_network():
    counts = {option: count_params(resnet.resnet_cifar(depth=20, shortcut=option)).trainable
              for option in resnet.SHORTCUTS}
    assert counts["A"] == 269_722
    # B: a 1x1 convolution and BatchNorm where 16 -> 32 and 32 -> 64 channels.
    projections_b = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert counts["B"] == counts["A"] + projections_b
    # C: also in the 7 blocks whose shape does not change (3 + 2 + 2).
    projections_c = 3 * (16 * 16 + 2 * 16) + 2 * (32 * 32 + 2 * 32) + 2 * (64 * 64 + 2 * 64)
    assert counts["C"] == counts["B"] + projections_c

    plain = resnet.resnet_cifar(depth=20, residual=False)
    assert count_params(plain).trainable == counts["A"]  # option A has no parameters
    assert not [layer for layer in plain.layers if isinstance(layer, keras.layers.Add)]
    convs = [layer for layer in plain.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) + 1 == 20  # 6n + 1 convolutions and the classifier


def test_invalid_options_raise_with_the_allowed_values():
    with pytest.raises(ValueError, match="shortcut must be one of A, B, C"):
        resnet.resnet_cifar(shortcut="D")
    with pytest.raises(ValueError, match="no shortcuts"):
        resnet.resnet_cifar(residual=False, shortcut="B")
    with pytest.raises(ValueError, match="6n \\+ 2"):
        resnet.resnet_cifar(depth=21)
    with pytest.raises(ValueError, match="depth must be one of 18, 34, 50, 101, 152"):
        resnet.resnet(depth=42)
    with pytest.raises(ValueError, match="depth must be one of 50, 101, 152"):
        resnet.resnet_v2(depth=18)
    with pytest.raises(ValueError, match="basic blocks"):
        resnet.resnet(depth=18, cardinality=32, bottleneck_width=4)
    with pytest.raises(ValueError, match="6n \\+ 4"):
        resnet.wide_resnet(depth=27)
    with pytest.raises(ValueError, match="9n \\+ 2"):
        resnet.resnext_cifar(depth=28)


def test_resnext_cifar_count_and_grouped_strided_3x3():
    # ResNeXt-29 32x4d for CIFAR-10 has 4,775,754 parameters in osmr's
    # imgclsmob (pytorchcv resnext_cifar.py), the same block definition.
    assert count_params(resnet.resnext_cifar(cardinality=32, bottleneck_width=4)).trainable \
        == 4_775_754
    model = resnet.resnext_cifar(depth=11, cardinality=4, bottleneck_width=8)
    grouped = model.get_layer("conv3_block1_2_conv")
    assert grouped.groups == 4
    assert tuple(grouped.kernel.shape) == (3, 3, 16, 64)  # 4 groups x 16 channels
    assert grouped.strides == (2, 2)  # ResNeXt strides in the 3x3 layer
    assert model.get_layer("conv3_block1_1_conv").strides == (1, 1)


def test_resnext_cifar_base_channels_scales_every_width():
    # Half width: 8 x 14d becomes 8 groups of 7 channels in the first stage,
    # and the stages output 128, 256 and 512 channels.
    model = resnet.resnext_cifar(depth=11, cardinality=8, bottleneck_width=14,
                                 base_channels=32)
    assert model.get_layer("conv1_conv").filters == 32
    assert tuple(model.get_layer("conv2_block1_2_conv").kernel.shape) == (3, 3, 7, 56)
    assert [model.get_layer(f"conv{i}_block1_out").output.shape[-1] for i in (2, 3, 4)] \
        == [128, 256, 512]
    with pytest.raises(ValueError, match="base_channels"):
        resnet.resnext_cifar(base_channels=0)


def test_wide_resnet_dropout_sits_between_the_convolutions():
    model = resnet.wide_resnet(depth=10, width=2, dropout=0.3)
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(dropouts) == 3  # one per block, n = 1 block per stage
    # Dropout changes no count: WRN-10-2 with and without it.
    assert count_params(model).trainable \
        == count_params(resnet.wide_resnet(depth=10, width=2)).trainable
    drop = model.get_layer("conv2_block1_drop")
    assert drop.input is model.get_layer("conv2_block1_1_relu").output
    assert model.get_layer("conv2_block1_2_conv").input is drop.output


def test_blocks_start_as_their_shortcuts():
    """By default every residual branch starts at zero. A pre-activation
    block then passes its input through unchanged, negative values included:
    no ReLU sits on its shortcut path (He et al. 2016, Eqn. 4)."""
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    pre = resnet.wide_resnet(input_shape=(8, 8, 3), depth=10, width=1)
    probe = keras.Model(pre.input, [pre.get_layer("conv1_conv").output,
                                    pre.get_layer("conv2_block1_out").output])
    stem, block = (np.asarray(t) for t in probe(x))
    assert stem.min() < 0
    np.testing.assert_array_equal(block, stem)

    post = resnet.resnext_cifar(depth=11, cardinality=2, bottleneck_width=4)
    assert not np.any(post.get_layer("conv2_block1_3_bn").gamma)
    # Keras' defaults on request; the paper's CIFAR ResNets always have them.
    keras_init = resnet.wide_resnet(input_shape=(8, 8, 3), depth=10, width=1,
                                    zero_init_last=False)
    assert np.all(np.asarray(keras_init.get_layer("conv2_block1_2_conv").kernel) != 0)
    gamma = resnet.resnet_cifar(depth=8).get_layer("conv2_block1_2_bn").gamma
    assert np.all(np.asarray(gamma) == 1)
