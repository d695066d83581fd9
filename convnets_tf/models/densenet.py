"""DenseNet (Huang, Liu, van der Maaten and Weinberger, "Densely connected
convolutional networks", CVPR 2017, arXiv:1608.06993).

Each layer of a dense block reads the concatenation of all the feature maps
before it in the block and adds `growth_rate` (k) maps of its own (section
3, "Dense connectivity", Eqn. 2). Transition layers between blocks
(BN-ReLU-1x1 conv-2x2 average pooling) halve the resolution and, in
DenseNet-C/BC, compress the channels by the factor theta (section 3,
"Compression"). The bottleneck (DenseNet-B) puts a 1x1 convolution to 4k
maps before each 3x3 convolution.

- `densenet`: the ImageNet networks of Table 1 (all DenseNet-BC, k = 32,
  theta = 0.5). `densenet121`, `densenet169` and `densenet201` are
  keras.applications' DenseNet121/169/201: the same layer names and the
  same weights in the same order, so their weight files load with
  `weights=`. `densenet264` is Table 1's fourth column, blocks (6, 12, 64,
  48): 33,337,704 trainable parameters (33,736,232 with the BatchNorm
  statistics), the "about 33.3M" usually quoted for it; the paper prints no
  count, and tests/test_densenet.py derives this one from Table 1 by hand.
  (The 22M that also circulates matches no Table 1 column: DenseNet-201 has
  20.0M trainable.)
- `densenet_cifar`: the three-block CIFAR networks of section 4.2 and
  Table 2: a 3x3 convolution to 16 maps (2k for BC), three dense blocks of
  equal depth on 32x32, 16x16 and 8x8 maps, transitions between them,
  BN-ReLU, global average pooling and the classifier. `densenet40_k12` is
  DenseNet (L = 40, k = 12; 1.0M in Table 2), `densenet_bc100_k12`
  DenseNet-BC (L = 100, k = 12; 0.8M). The convolutions have no biases, as
  in keras.applications (BatchNorm's beta follows each of them); the counts
  are in tests/test_models.py.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

# keras.applications' DenseNets use this epsilon (their weights need it).
BN_EPSILON = 1.001e-5

# Table 1: layers per dense block (bottleneck layers count as one "layer" of
# the block; each is two convolutions).
IMAGENET_BLOCKS = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
    264: (6, 12, 64, 48),
}

IMAGENET_MIN_SIZE = 32  # keras.applications' limit: total stride 32
CIFAR_MIN_SIZE = 4  # two 2x2 average poolings


def conv_block(x, growth_rate, name, bottleneck=True, dropout=0.0):
    """One layer of a dense block (section 3, "Composite function" and
    "Bottleneck layers"): BN-ReLU-3x3 conv to `growth_rate` maps, preceded in
    DenseNet-B by BN-ReLU-1x1 conv to 4 * `growth_rate` maps; its output is
    concatenated to its input (Eqn. 2).

    `dropout` follows each convolution, as the paper does on CIFAR without
    data augmentation (section 4.2). Layer names are keras.applications'
    (`{name}_0_bn`, `{name}_1_conv`, ..., `{name}_concat`).
    """
    y = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    if bottleneck:
        y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
        if dropout:
            y = layers.Dropout(dropout, name=f"{name}_1_drop")(y)
        y = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_1_bn")(y)
        y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                      name=f"{name}_2_conv")(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_2_drop")(y)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def dense_block(x, blocks, name, growth_rate=32, bottleneck=True, dropout=0.0):
    """`blocks` densely connected layers (Figure 1): the block's output has
    its input's channels plus `blocks * growth_rate`."""
    for i in range(blocks):
        x = conv_block(x, growth_rate, name=f"{name}_block{i + 1}",
                       bottleneck=bottleneck, dropout=dropout)
    return x


def transition_block(x, compression, name, dropout=0.0):
    """Transition layer (section 3, "Pooling layers" and "Compression"):
    BN-ReLU, a 1x1 convolution to floor(theta * m) maps (theta =
    `compression`; 1 in DenseNet and DenseNet-B, 0.5 in DenseNet-C/BC), and
    2x2 average pooling with stride 2."""
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[-1] * compression), 1, use_bias=False,
                      name=f"{name}_conv")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_drop")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _check_growth(name, growth_rate, compression):
    if growth_rate < 1:
        raise ValueError(f"{name}: growth_rate must be a positive integer; "
                         f"got {growth_rate}.")
    if not 0 < compression <= 1:
        raise ValueError(f"{name}: compression (theta) must be in (0, 1]; "
                         f"got {compression}.")


def densenet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="densenet",
    depth=121,
    blocks=None,
    growth_rate=32,
    bottleneck=True,
    compression=0.5,
):
    """DenseNet-BC for ImageNet (Huang et al. 2017, Table 1 and section 4.3).

    A 7x7/2 convolution to 2k maps, 3x3/2 max-pooling, four dense blocks
    with transition layers between them, BN-ReLU, global average pooling and
    the classifier. With the defaults of `depth` 121, 169 or 201 this is
    keras.applications' DenseNet121/169/201 (whose stem has 64 maps, 2k for
    k = 32).

    Args:
        depth: 121, 169, 201 or 264 (Table 1's columns); ignored when
            `blocks` is given.
        blocks: layers per dense block, four numbers (overrides `depth`).
        growth_rate: k, the maps each layer adds (32 in Table 1). The stem
            has 2k maps.
        bottleneck: the 1x1 bottleneck layer to 4k maps before each 3x3
            convolution (DenseNet-B; every Table 1 network has it).
        compression: theta, the fraction of channels a transition layer
            keeps (0.5 in Table 1; 1 for no compression).

    Inputs must be at least 32x32.
    """
    if blocks is None:
        check_option(name, "depth", depth, IMAGENET_BLOCKS)
        blocks = IMAGENET_BLOCKS[depth]
    if len(blocks) != 4:
        raise ValueError(f"{name}: blocks must give four dense block depths; got {blocks}.")
    _check_growth(name, growth_rate, compression)
    check_arguments(name, input_shape, IMAGENET_MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(2 * growth_rate, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, n in enumerate(blocks, start=2):
        x = dense_block(x, n, name=f"conv{stage}", growth_rate=growth_rate,
                        bottleneck=bottleneck)
        if stage < 5:
            x = transition_block(x, compression, name=f"pool{stage}")
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def densenet_cifar(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="densenet_cifar",
    depth=100,
    growth_rate=12,
    bottleneck=True,
    compression=0.5,
    dropout=0.0,
):
    """DenseNet for CIFAR (Huang et al. 2017, section 4.2, Table 2).

    A 3x3 convolution to 16 maps (2k for DenseNet-BC), three dense blocks of
    n layers each on 32x32, 16x16 and 8x8 maps with a transition layer
    between blocks, then BN-ReLU, global average pooling and the
    classifier. Depth L counts the weighted layers: L = 3n + 4 without the
    bottleneck, 6n + 4 with it (each bottleneck layer has two convolutions).

    Args:
        depth: L (40, 100, 250 or 190 in Table 2).
        growth_rate: k (12, 24 or 40 in Table 2).
        bottleneck: DenseNet-B's 1x1 layers.
        compression: theta (0.5 for DenseNet-C/BC, 1 for none).
        dropout: rate after each convolution (0.2 in the paper for the
            runs without data augmentation, section 4.2).

    `densenet40_k12` is DenseNet (L = 40, k = 12: bottleneck=False,
    compression=1); `densenet_bc100_k12` DenseNet-BC (L = 100, k = 12).
    Inputs must be at least 4x4.
    """
    per_layer = 6 if bottleneck else 3
    if depth < per_layer + 4 or (depth - 4) % per_layer:
        raise ValueError(
            f"{name}: depth must be {per_layer}n + 4 with n >= 1 "
            f"({'with' if bottleneck else 'without'} the bottleneck); got {depth}.")
    _check_growth(name, growth_rate, compression)
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)
    n = (depth - 4) // per_layer
    # "the initial convolution layer comprises 16 convolutions ... For
    # DenseNet-BC ... twice the growth rate" (section 3, "Implementation
    # details").
    stem = 2 * growth_rate if bottleneck and compression < 1 else 16

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(stem, 3, padding="same", use_bias=False, name="conv1_conv")(inputs)
    for stage in (2, 3, 4):
        x = dense_block(x, n, name=f"conv{stage}", growth_rate=growth_rate,
                        bottleneck=bottleneck, dropout=dropout)
        if stage < 4:
            x = transition_block(x, compression, name=f"pool{stage}", dropout=dropout)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("densenet121", densenet, depth=121)
register_model("densenet169", densenet, depth=169)
register_model("densenet201", densenet, depth=201)
register_model("densenet264", densenet, depth=264)
register_model("densenet40_k12", densenet_cifar, depth=40, growth_rate=12,
               bottleneck=False, compression=1.0)
register_model("densenet_bc100_k12", densenet_cifar, depth=100, growth_rate=12,
               bottleneck=True, compression=0.5)
