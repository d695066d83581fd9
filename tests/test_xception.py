"""Xception: keras.applications equivalence and the flows of Figure 5.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.models import xception

SHAPE = (71, 71, 3)  # the smallest input: cheap, and odd and even maps occur


def test_keras_applications_equivalence():
    theirs = keras.applications.Xception(weights=None, input_shape=SHAPE,
                                         classifier_activation=None)
    ours = convnets_tf.build("xception", input_shape=SHAPE, classifier_activation=None)
    assert theirs.count_params() == ours.count_params() == 22_910_480
    # keras leaves the four shortcut projections unnamed (conv2d,
    # batch_normalization, ...); every other weighted layer has its name.
    ours_named = [layer for layer in ours.layers if layer.weights]
    theirs_named = [layer for layer in theirs.layers if layer.weights]
    assert len(ours_named) == len(theirs_named)
    for a, b in zip(ours_named, theirs_named):
        assert [w.shape for w in a.weights] == [w.shape for w in b.weights]
        if "shortcut" in a.name:
            assert b.name.startswith(("conv2d", "batch_normalization"))
        else:
            assert a.name == b.name
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    logits = np.asarray(theirs(x))
    # Freshly initialised, Xception's logits are of order 1e-4: compare
    # them relative to their size, so that 1e-4 is not a vacuous tolerance.
    scale = np.abs(logits).max()
    assert scale > 1e-6
    np.testing.assert_allclose(np.asarray(ours(x)) / scale, logits / scale, atol=1e-4)


def test_figure5_flows():
    model = xception.xception(input_shape=(299, 299, 3), include_top=False)
    shapes = {name: model.get_layer(name).output.shape[1:] for name in (
        "block1_conv2_act", "block2_add", "block3_add", "block4_add", "block12_add",
        "block13_add", "block14_sepconv2_act")}
    assert shapes == {
        "block1_conv2_act": (147, 147, 64),
        "block2_add": (74, 74, 128),
        "block3_add": (37, 37, 256),
        "block4_add": (19, 19, 728),  # entry flow out
        "block12_add": (19, 19, 728),  # middle flow out, eight modules
        "block13_add": (10, 10, 1024),
        "block14_sepconv2_act": (10, 10, 2048),
    }
    # 36 convolutional layers (section 3): 2 stem + 34 separable.
    separable = [layer for layer in model.layers
                 if isinstance(layer, keras.layers.SeparableConv2D)]
    assert len(separable) == 34
    with pytest.raises(ValueError, match="middle_flow_modules"):
        xception.xception(middle_flow_modules=-1)


def xception_trainable(width=1.0, middle=8, stem_input=3, classes=1000):
    """Trainable parameters of Figure 5's network counted by hand: kernels
    (no biases), BatchNorm's gamma and beta, the classifier."""
    def w(f):
        return round(f * width)

    def sep(c_in, c_out):  # depthwise 3x3, pointwise 1x1, BatchNorm
        return 9 * c_in + c_in * c_out + 2 * c_out

    def down(c_in, f0, f1):  # projection shortcut + two separable convolutions
        return c_in * f1 + 2 * f1 + sep(c_in, f0) + sep(f0, f1)

    total = 9 * stem_input * w(32) + 2 * w(32) + 9 * w(32) * w(64) + 2 * w(64)
    total += down(w(64), w(128), w(128)) + down(w(128), w(256), w(256))
    total += down(w(256), w(728), w(728))
    total += middle * 3 * sep(w(728), w(728))
    total += down(w(728), w(728), w(1024)) + sep(w(1024), w(1536)) + sep(w(1536), w(2048))
    return total + (w(2048) + 1) * classes


def test_hand_count_matches_keras_and_the_cifar_variant():
    ours = convnets_tf.build("xception", input_shape=SHAPE)
    assert xception_trainable() == sum(int(np.prod(v.shape)) for v in ours.trainable_weights)
    assert xception_trainable() == 22_855_952  # keras.applications' trainable part
    cifar = convnets_tf.build("xception_cifar")
    assert sum(int(np.prod(v.shape)) for v in cifar.trainable_weights) == xception_trainable(
        width=0.25, middle=4, classes=10) == 933_332


def test_cifar_stem_keeps_32x32_until_the_first_module():
    model = convnets_tf.build("xception_cifar", include_top=False)
    shapes = {name: tuple(model.get_layer(name).output.shape[1:]) for name in (
        "block1_conv2_act", "block2_add", "block3_add", "block4_add", "block8_add",
        "block9_add", "block10_sepconv2_act")}
    assert shapes == {
        "block1_conv2_act": (32, 32, 16), "block2_add": (16, 16, 32),
        "block3_add": (8, 8, 64), "block4_add": (4, 4, 182), "block8_add": (4, 4, 182),
        "block9_add": (2, 2, 256), "block10_sepconv2_act": (2, 2, 512),
    }


def test_intermediate_activation_splits_the_separable_convolutions():
    separable = convnets_tf.build("xception_cifar")
    split = {act: convnets_tf.build("xception_cifar", intermediate_activation=act)
             for act in ("linear", "relu", "elu")}
    for model in split.values():
        assert model.count_params() == separable.count_params()
        assert not [layer for layer in model.layers
                    if isinstance(layer, keras.layers.SeparableConv2D)]
        assert len([layer for layer in model.layers
                    if isinstance(layer, keras.layers.DepthwiseConv2D)]) == 2 * 3 + 3 * 4 + 2 + 2
    # The same weights: a linear step between the two computes what the
    # SeparableConv2D computes; ReLU and ELU do not.
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    reference = np.asarray(separable(x, training=True))
    for act, model in split.items():
        model.set_weights(separable.get_weights())
        difference = np.abs(np.asarray(model(x, training=True)) - reference).max()
        assert (difference < 1e-5) == (act == "linear"), (act, difference)
    inter = split["elu"].get_layer("block5_sepconv2_intermediate")
    assert inter.activation is keras.activations.elu
    with pytest.raises(ValueError, match="intermediate_activation must be None"):
        convnets_tf.build("xception_cifar", intermediate_activation="no_such")
    with pytest.raises(ValueError, match="width must be positive"):
        convnets_tf.build("xception_cifar", width=0)
