"""Inception-v4 (Szegedy, Ioffe, Vanhoucke and Alemi, "Inception-v4,
Inception-ResNet and the impact of residual connections on learning",
AAAI 2017).

`inception_v4` is the paper's pure Inception network (Figure 9): the stem of
Figure 3, 4 x Inception-A (Figure 4), Reduction-A (Figure 7, Table 1), 7 x
Inception-B (Figure 5), Reduction-B (Figure 8) and 3 x Inception-C (Figure
6). The unit, `conv_chain`, the stem's first layers and `reduction_a` are
shared with the Inception-ResNets (`inception_resnet.py`) through
`inception_common.py`.

Every convolution is conv-BN-ReLU with BatchNorm's scale (gamma) left out
and epsilon 1e-3, as in the authors' released TF-slim code and in
keras.applications' InceptionResNetV2: a ReLU follows every BatchNorm, so a
positive gamma could be folded into the next convolution. Layer names follow
TF-slim's scopes (conv2d_1a ... mixed_7d). Where the figures and TF-slim
order a 1xn and an nx1 convolution differently, TF-slim's order is used (the
order timm's port of the released weights has); parameter counts are the
same either way.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.models.inception_common import (
    MIN_SIZE,
    conv_bn,
    conv_chain,
    pool_branch,
    reduction_a,
    stem_base,
)
from convnets_tf.registry import register_model


def stem(x):
    """The stem of Inception-v4 and Inception-ResNet-v2 (Figure 3):
    299x299x3 -> 35x35x384.

    Each grid reduction runs a stride-2 convolution and a stride-2 pooling
    side by side and concatenates them, so the grid shrinks without first
    squeezing the representation (Inception-v3's "efficient grid size
    reduction").
    """
    x = stem_base(x)
    x = layers.Concatenate(name="mixed_3a")([
        layers.MaxPooling2D(3, strides=2, name="mixed_3a_pool")(x),
        conv_bn(x, 96, 3, "mixed_3a_b1_0", strides=2, padding="valid"),
    ])
    x = layers.Concatenate(name="mixed_4a")([
        conv_chain(x, [(64, 1), (96, 3, 1, "valid")], "mixed_4a_b0"),
        conv_chain(
            x, [(64, 1), (64, (1, 7)), (64, (7, 1)), (96, 3, 1, "valid")],
            "mixed_4a_b1",
        ),
    ])
    return layers.Concatenate(name="mixed_5a")([
        conv_bn(x, 192, 3, "mixed_5a_b0_0", strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, name="mixed_5a_pool")(x),
    ])


def inception_a(x, name):
    """Inception-A (Figure 4), the 35x35 block: 384 -> 384 channels; the 5x5
    of GoogLeNet is two 3x3s."""
    return layers.Concatenate(name=name)([
        conv_bn(x, 96, 1, f"{name}_b0_0"),
        conv_chain(x, [(64, 1), (96, 3)], f"{name}_b1"),
        conv_chain(x, [(64, 1), (96, 3), (96, 3)], f"{name}_b2"),
        pool_branch(x, 96, f"{name}_b3"),
    ])


def inception_b(x, name):
    """Inception-B (Figure 5), the 17x17 block: 1024 -> 1024 channels; 7x7
    receptive fields from 1x7 and 7x1 convolutions (factorisation into
    asymmetric convolutions, Inception-v3)."""
    return layers.Concatenate(name=name)([
        conv_bn(x, 384, 1, f"{name}_b0_0"),
        conv_chain(x, [(192, 1), (224, (1, 7)), (256, (7, 1))], f"{name}_b1"),
        conv_chain(
            x,
            [(192, 1), (192, (7, 1)), (224, (1, 7)), (224, (7, 1)), (256, (1, 7))],
            f"{name}_b2",
        ),
        pool_branch(x, 128, f"{name}_b3"),
    ])


def inception_c(x, name):
    """Inception-C (Figure 6), the 8x8 block: 1536 -> 1536 channels. Two
    branches end in a 1x3 and a 3x1 convolution side by side rather than in
    sequence: at the coarsest grid the paper widens the filter banks to
    keep high-dimensional representations (Inception-v3, section 2)."""
    b1 = conv_bn(x, 384, 1, f"{name}_b1_0")
    b1 = layers.Concatenate(name=f"{name}_b1")([
        conv_bn(b1, 256, (1, 3), f"{name}_b1_1a"),
        conv_bn(b1, 256, (3, 1), f"{name}_b1_1b"),
    ])
    b2 = conv_chain(x, [(384, 1), (448, (3, 1)), (512, (1, 3))], f"{name}_b2")
    b2 = layers.Concatenate(name=f"{name}_b2")([
        conv_bn(b2, 256, (1, 3), f"{name}_b2_3a"),
        conv_bn(b2, 256, (3, 1), f"{name}_b2_3b"),
    ])
    return layers.Concatenate(name=name)([
        conv_bn(x, 256, 1, f"{name}_b0_0"), b1, b2, pool_branch(x, 256, f"{name}_b3"),
    ])


def reduction_b(x, name="mixed_7a"):
    """Reduction-B of Inception-v4 (Figure 8), 17x17x1024 -> 8x8x1536."""
    return layers.Concatenate(name=name)([
        conv_chain(x, [(192, 1), (192, 3, 2, "valid")], f"{name}_b0"),
        conv_chain(
            x, [(256, 1), (256, (1, 7)), (320, (7, 1)), (320, 3, 2, "valid")],
            f"{name}_b1",
        ),
        layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x),
    ])


def inception_v4(
    input_shape=(299, 299, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="inception_v4",
    dropout=0.2,
):
    """Inception-v4 (Figure 9).

    Args:
        dropout: rate before the classifier (the paper keeps 0.8).

    The other arguments are those of keras.applications. Input must be at
    least 75x75 (the paper's is 299x299). keras.applications has no
    Inception-v4; the parameter count matches timm's `inception_v4` (a port
    of the authors' TF-slim release) less timm's BatchNorm gammas.
    """
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    inputs = keras.Input(input_shape)
    x = stem(inputs)
    for i in range(4):
        x = inception_a(x, f"mixed_5{'bcde'[i]}")
    x = reduction_a(x, k=192, l=224, m=256, n=384)  # Table 1
    for i in range(7):
        x = inception_b(x, f"mixed_6{'bcdefgh'[i]}")
    x = reduction_b(x)
    for i in range(3):
        x = inception_c(x, f"mixed_7{'bcd'[i]}")
    # Average pooling, dropout (keep probability 0.8, Figure 9) and softmax.
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                       dropout=dropout)
    return make_model(inputs, x, name, weights)


register_model("inception_v4", inception_v4)
