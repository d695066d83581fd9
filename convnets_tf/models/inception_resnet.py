"""Inception-ResNet-v1 and -v2 (Szegedy, Ioffe, Vanhoucke and Alemi,
"Inception-v4, Inception-ResNet and the impact of residual connections on
learning", AAAI 2017).

Both networks follow Figure 15: a stem, Inception-ResNet-A blocks at 35x35,
Reduction-A, Inception-ResNet-B blocks at 17x17, Reduction-B and
Inception-ResNet-C blocks at 8x8. An Inception-ResNet block is an Inception
block whose concatenated branches pass through a linear 1x1 "filter
expansion" back to the input's width, are scaled down (section 3.3) and are
added to the input (section 3.2). v1 and v2 differ in their stems,
widths and depths, so one `inception_resnet_block` and one `CONFIGS` table
build both; `conv_chain`, `stem_base` and `reduction_a` come from
`inception_common.py`.

`inception_resnet_v1` is the paper's network: the stem of Figure 14, 5 x
A (Figure 10), Reduction-A with Table 1's k, l, m, n = 192, 192, 256, 384,
10 x B (Figure 11), Reduction-B (Figure 12), 5 x C (Figure 13).

`inception_resnet_v2` is keras.applications' InceptionResNetV2, weight for
weight, which is the authors' TF-slim release rather than the paper's
figures:

* the stem is Inception-v3's (to 35x35x192) followed by an Inception-A
  block of Inception-v3 ("mixed_5b", 320 channels), not Figure 3's stem
  (35x35x384);
* 10 x A, 20 x B and 10 x C blocks instead of Figure 15's 5, 10 and 5;
* the blocks' filter expansions match the input widths this gives (320,
  1088 and 2080 channels) where Figures 16, 17 and 19 say 384, 1154 and
  2048, which do not add up with Reduction-A and -B (Figures 7 and 18,
  k, l, m, n = 256, 256, 384, 384) in the paper either;
* a final 1x1 convolution to 1536 channels ("conv_7b") before the pooling.

Both networks take from that release the scales 0.17, 0.1 and 0.2 for the
A, B and C blocks (the paper: "between 0.1 and 0.3") and a last C block
that is neither scaled nor followed by a ReLU. keras.applications has no
dropout; here the paper's keep probability 0.8 is an option (a Dropout
layer has no weights, so keras.applications' weights still load).
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.models.inception_common import (
    MIN_SIZE,
    conv_bn,
    conv_chain,
    pool_branch,
    reduction_a,
    stem_base,
)
from convnets_tf.registry import register_model


def inception_resnet_block(x, branches, scale, name, activation="relu", shortcut=True):
    """An Inception-ResNet block (Figures 10-13 and 16-19).

    `branches` are `conv_chain` specs. Their concatenation goes through a
    linear 1x1 convolution with a bias and no BatchNorm (the paper puts
    BatchNorm on the traditional layers only, not on the summations, to
    save memory), is multiplied by `scale` and added to `x`: with very wide
    blocks, unscaled residuals made the network "die" early in training
    (section 3.3). `shortcut=False` leaves out the addition, which makes
    the same layers a plain Inception block (the control of notebook 07's
    experiment). Layer names follow keras.applications (`{name}_mixed`,
    `{name}_conv`, `{name}_ac`).
    """
    mixed = layers.Concatenate(name=f"{name}_mixed")([
        conv_chain(x, specs, f"{name}_b{i}") for i, specs in enumerate(branches)
    ])
    residual = layers.Conv2D(x.shape[-1], 1, use_bias=True, name=f"{name}_conv")(mixed)
    if scale != 1.0:
        residual = layers.Rescaling(scale, name=f"{name}_scale")(residual)
    x = layers.Add(name=f"{name}_add")([x, residual]) if shortcut else residual
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def reduction_b(x, widths, name="mixed_7a"):
    """Reduction-B of the Inception-ResNets (Figures 12 and 18), 17x17 ->
    8x8: three 1x1 (256) towers ending in stride-2 3x3 convolutions (384,
    `widths[0]`, and `widths[1]` then `widths[2]`) beside a max pooling."""
    return layers.Concatenate(name=name)([
        conv_chain(x, [(256, 1), (384, 3, 2, "valid")], f"{name}_b0"),
        conv_chain(x, [(256, 1), (widths[0], 3, 2, "valid")], f"{name}_b1"),
        conv_chain(
            x, [(256, 1), (widths[1], 3), (widths[2], 3, 2, "valid")], f"{name}_b2"
        ),
        layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x),
    ])


def stem_v1(x):
    """The stem of Inception-ResNet-v1 (Figure 14): 299x299x3 -> 35x35x256."""
    x = stem_base(x)
    x = layers.MaxPooling2D(3, strides=2, name="maxpool_3a")(x)
    x = conv_bn(x, 80, 1, "conv2d_3b")
    x = conv_bn(x, 192, 3, "conv2d_4a", padding="valid")
    return conv_bn(x, 256, 3, "conv2d_4b", strides=2, padding="valid")


def stem_v2(x):
    """keras.applications' stem of Inception-ResNet-v2: Inception-v3's stem
    and an Inception-v3 35x35 block, 299x299x3 -> 35x35x320."""
    x = stem_base(x)
    x = layers.MaxPooling2D(3, strides=2, name="maxpool_3a")(x)
    x = conv_bn(x, 80, 1, "conv2d_3b", padding="valid")
    x = conv_bn(x, 192, 3, "conv2d_4a", padding="valid")
    x = layers.MaxPooling2D(3, strides=2, name="maxpool_5a")(x)
    return layers.Concatenate(name="mixed_5b")([
        conv_bn(x, 96, 1, "mixed_5b_b0_0"),
        conv_chain(x, [(48, 1), (64, 5)], "mixed_5b_b1"),
        conv_chain(x, [(64, 1), (96, 3), (96, 3)], "mixed_5b_b2"),
        pool_branch(x, 64, "mixed_5b_b3"),
    ])


# Per version: stem, block counts (A, B, C), the branches of the A, B and C
# blocks, Reduction-A's k, l, m, n (Table 1), Reduction-B's widths and the
# final 1x1 convolution's width (None: none).
CONFIGS = {
    "v1": dict(
        stem=stem_v1,
        repeats=(5, 10, 5),
        block_a=[[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (32, 3), (32, 3)]],
        block_b=[[(128, 1)], [(128, 1), (128, (1, 7)), (128, (7, 1))]],
        block_c=[[(192, 1)], [(192, 1), (192, (1, 3)), (192, (3, 1))]],
        reduction_a=(192, 192, 256, 384),
        reduction_b=(256, 256, 256),
        top_conv=None,
    ),
    "v2": dict(
        stem=stem_v2,
        repeats=(10, 20, 10),
        block_a=[[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
        block_b=[[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
        block_c=[[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]],
        reduction_a=(256, 256, 384, 384),
        reduction_b=(288, 288, 320),
        top_conv=1536,
    ),
}


def inception_resnet(
    input_shape=(299, 299, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="inception_resnet_v2",
    version="v2",
    residual_scales=(0.17, 0.1, 0.2),
    dropout=0.2,
):
    """Inception-ResNet-v1 or -v2 (Figure 15).

    Args:
        version: "v1" or "v2" (see the module docstring).
        residual_scales: the factors the residuals of the A, B and C blocks
            are multiplied by before the addition (section 3.3); (1, 1, 1)
            turns the scaling off.
        dropout: rate before the classifier (the paper keeps 0.8).

    The other arguments are those of keras.applications. Input must be at
    least 75x75 (the paper's is 299x299).
    """
    check_option(name, "version", version, CONFIGS)
    if len(residual_scales) != 3 or not all(s > 0 for s in residual_scales):
        raise ValueError(
            f"{name}: residual_scales must be three positive factors (A, B "
            f"and C blocks), got {residual_scales!r}; the paper uses 0.1 to 0.3."
        )
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    config = CONFIGS[version]
    scale_a, scale_b, scale_c = residual_scales
    repeats_a, repeats_b, repeats_c = config["repeats"]

    inputs = keras.Input(input_shape)
    x = config["stem"](inputs)
    for i in range(1, repeats_a + 1):
        x = inception_resnet_block(x, config["block_a"], scale_a, f"block35_{i}")
    x = reduction_a(x, *config["reduction_a"])
    for i in range(1, repeats_b + 1):
        x = inception_resnet_block(x, config["block_b"], scale_b, f"block17_{i}")
    x = reduction_b(x, config["reduction_b"])
    for i in range(1, repeats_c):
        x = inception_resnet_block(x, config["block_c"], scale_c, f"block8_{i}")
    # The last block feeds the pooling (or conv_7b) directly: no scaling,
    # no ReLU, as in the authors' release.
    x = inception_resnet_block(
        x, config["block_c"], 1.0, f"block8_{repeats_c}", activation=None
    )
    if config["top_conv"]:
        x = conv_bn(x, config["top_conv"], 1, "conv_7b")
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                       dropout=dropout)
    return make_model(inputs, x, name, weights)


# The miniature's stem width. Each Reduction-A doubles it (k = l = m = n =
# half the input: n + m + the pooled input), so the stages have 64, 128, 256.
CIFAR_STEM_WIDTH = 64
# Two 'valid' 3x3/2 reductions leave a 1x1 map from 7x7.
CIFAR_MIN_SIZE = 7


def inception_resnet_cifar(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="inception_resnet_cifar",
    blocks_per_stage=2,
    shortcut=True,
):
    """A miniature Inception-ResNet for CIFAR, not a network of the paper:
    for experiments a CPU can afford (notebook 07).

    A 3x3 unit to 64 channels, then three stages of `blocks_per_stage`
    blocks with Inception-ResNet-v1's A branches (Figure 10: 1x1; 1x1-3x3;
    1x1-3x3-3x3) at a quarter of the stage's width (64, 128, 256 channels;
    the paper's A block has 32 of 256), joined by Reduction-A (Figure 7),
    global average pooling and the classifier. The residuals are not
    scaled: the paper needed scaling only beyond about 1,000 filters
    (section 3.3). `shortcut=False` removes every addition and leaves the
    same layers and weights as plain Inception blocks.
    """
    if blocks_per_stage < 1:
        raise ValueError(f"{name}: blocks_per_stage must be at least 1; got {blocks_per_stage}.")
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, CIFAR_STEM_WIDTH, 3, "stem")
    for stage in (1, 2, 3):
        if stage > 1:
            half = x.shape[-1] // 2
            x = reduction_a(x, half, half, half, half, name=f"reduction{stage}")
        b = x.shape[-1] // 4
        branches = [[(b, 1)], [(b, 1), (b, 3)], [(b, 1), (b, 3), (b, 3)]]
        for i in range(1, blocks_per_stage + 1):
            x = inception_resnet_block(x, branches, 1.0, f"stage{stage}_block{i}",
                                       shortcut=shortcut)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("inception_resnet_v1", inception_resnet, version="v1")
register_model("inception_resnet_v2", inception_resnet, version="v2")
