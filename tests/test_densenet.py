"""DenseNet: keras.applications equivalence, Table 1 and Table 2 counts.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.models import densenet

# keras.applications' totals (GUIDE.md), trainable plus BatchNorm statistics.
KERAS_APPLICATIONS = [
    ("densenet121", keras.applications.DenseNet121, 8_062_504),
    ("densenet169", keras.applications.DenseNet169, 14_307_880),
    ("densenet201", keras.applications.DenseNet201, 20_242_984),
]
SHAPE = (64, 64, 3)


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def weighted_layer_names(model):
    return [layer.name for layer in model.layers if layer.weights]


@pytest.mark.parametrize("name, reference, total", KERAS_APPLICATIONS,
                         ids=[case[0] for case in KERAS_APPLICATIONS])
def test_keras_applications_equivalence(name, reference, total):
    theirs = reference(weights=None, input_shape=SHAPE, classifier_activation=None)
    ours = convnets_tf.build(name, input_shape=SHAPE, classifier_activation=None)
    assert theirs.count_params() == ours.count_params() == total
    assert weighted_layer_names(ours) == weighted_layer_names(theirs)
    # The hand count of Table 1 below holds for keras' networks too.
    depth = int(name.removeprefix("densenet"))
    assert trainable_count(ours) == table1_trainable(densenet.IMAGENET_BLOCKS[depth])
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    logits = np.asarray(theirs(x))
    assert np.abs(logits).max() > 0.1
    np.testing.assert_allclose(np.asarray(ours(x)), logits, atol=1e-4)


def test_weights_argument_loads_a_keras_applications_file(tmp_path):
    shape = (32, 32, 3)
    theirs = keras.applications.DenseNet121(weights=None, input_shape=shape,
                                            include_top=False, pooling="avg")
    theirs.save_weights(tmp_path / "densenet121.weights.h5")
    ours = convnets_tf.build("densenet121", input_shape=shape, include_top=False,
                             pooling="avg", weights=str(tmp_path / "densenet121.weights.h5"))
    x = np.random.default_rng(1).normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-4)


def table1_trainable(blocks, k=32, theta=0.5, classes=1000):
    """Trainable parameters of a Table 1 DenseNet-BC, counted by hand:
    conv weights, BatchNorm gamma and beta, and the classifier."""
    c = 2 * k
    total = 7 * 7 * 3 * c + 2 * c  # stem conv and BN
    for i, n in enumerate(blocks):
        for _ in range(n):
            # BN(c), 1x1 conv c -> 4k, BN(4k), 3x3 conv 4k -> k
            total += 2 * c + c * 4 * k + 2 * 4 * k + 9 * 4 * k * k
            c += k
        if i < len(blocks) - 1:
            total += 2 * c + c * int(c * theta)  # transition BN and 1x1 conv
            c = int(c * theta)
    return total + 2 * c + (c + 1) * classes


def test_densenet264_follows_table1():
    # The same count reproduces keras.applications' three networks (above).
    model = convnets_tf.build("densenet264", input_shape=(32, 32, 3))
    assert densenet.IMAGENET_BLOCKS[264] == (6, 12, 64, 48)
    assert trainable_count(model) == table1_trainable((6, 12, 64, 48)) == 33_337_704
    assert model.count_params() == 33_736_232
    assert model.get_layer("conv5_block48_concat").output.shape[-1] == 2688


def test_cifar_networks_follow_table2():
    # Table 2: DenseNet (L=40, k=12) 1.0M, DenseNet-BC (L=100, k=12) 0.8M.
    plain = convnets_tf.build("densenet40_k12")
    assert round(trainable_count(plain) / 1e6, 1) == 1.0
    bc = convnets_tf.build("densenet_bc100_k12")
    assert round(trainable_count(bc) / 1e6, 1) == 0.8
    # Three blocks of (L - 4) / 3 = 12 layers, no compression: 16 + 36 * 12.
    assert plain.get_layer("conv4_block12_concat").output.shape[1:] == (8, 8, 448)
    # BC: (L - 4) / 6 = 16 bottleneck layers per block, 2k = 24 stem maps.
    assert bc.get_layer("conv1_conv").output.shape[-1] == 24
    assert bc.get_layer("conv2_block16_1_conv").output.shape[-1] == 48
    assert bc.get_layer("pool2_conv").output.shape[-1] == (24 + 16 * 12) // 2


def test_options_are_checked():
    with pytest.raises(ValueError, match="depth must be one of 121, 169, 201, 264"):
        densenet.densenet(depth=100)
    with pytest.raises(ValueError, match="depth must be 6n \\+ 4"):
        densenet.densenet_cifar(depth=41)
    with pytest.raises(ValueError, match="compression"):
        densenet.densenet_cifar(compression=0)
