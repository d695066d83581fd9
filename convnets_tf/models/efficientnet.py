"""EfficientNet B0-B7 and EfficientNetV2.

- Tan and Le, "EfficientNet: Rethinking model scaling for convolutional
  neural networks", ICML 2019 (arXiv:1905.11946): `efficientnet`
  (`efficientnet_b0` ... `efficientnet_b7`).
- Tan and Le, "EfficientNetV2: Smaller models and faster training", ICML
  2021 (arXiv:2104.00298): `efficientnet_v2` (`efficientnet_v2_b0` ...
  `_b3`, `_s`, `_m`, `_l`).

Both create the weights of their keras.applications twins (EfficientNetB0
... B7, EfficientNetV2B0 ... L) in the same order under the same layer
names, so `set_weights` and keras' weight files work; that is why the
BatchNorm momenta, the padding layers and keras' variance-scaling
initialisers are kept. Keras' input preprocessing is part of the model, as
in keras: the models take pixels in [0, 255]. The blocks are
`convnets_tf.models.mbconv.inverted_residual` (MBConv, shared with
MobileNetV2/V3) and `fused_mbconv`; stochastic depth is `layers.DropPath`,
which computes what keras' `Dropout(rate, noise_shape=(None, 1, 1, 1))`
computes and, like it, has no weights.

Differences from keras.applications, none of which touches a weight: the
classifier computes in float32; the SE squeeze keeps its 1x1 spatial
dimensions instead of keras' `se_reshape` layer (`layers.squeeze_excite`);
the stochastic depth layers are `DropPath` rather than `Dropout`.
"""

import math

import keras
from keras import layers

from convnets_tf.layers import classifier_top, make_divisible
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.models.mbconv import (
    EFFICIENTNET_NAMES,
    EFFICIENTNET_V2_NAMES,
    correct_pad,
    fused_mbconv,
    inverted_residual,
)
from convnets_tf.models.mobilenet import _check_early_strides
from convnets_tf.registry import register_model

# keras.applications' (and the TF reference's) initialisers: He-style
# fan-out for convolutions, a uniform fan-out for the classifier.
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

# Tan and Le (2019), Table 1, EfficientNet-B0's stages 2-8: (kernel,
# repeats, input channels, output channels, expansion, first stride), all
# with SE at a quarter of the block's input width.
B0_STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
# (width, depth, resolution, dropout) of B0-B7: the compound scaling of
# section 3.3, Eq. 3 (depth alpha^phi, width beta^phi, resolution gamma^phi
# with alpha = 1.2, beta = 1.1, gamma = 1.15), as rounded in the released
# models (keras.applications, the authors' efficientnet_builder.py).
EFFICIENTNET_SCALING = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}
# Every strided layer pads to TensorFlow's 'same': the networks build at any
# input size down to 1x1 (below 32 the last stages see one position).
MIN_SIZE = 1
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)

# Tan and Le (2021), Table 4 (V2-S), and the authors' effnetv2_configs.py
# (M and L, V2-S scaled up as section 3.3 describes; B0-B3, which the paper
# does not list, from the authors' smaller base network), as keras:
# (block, kernel, repeats, input channels, output channels, expansion, SE
# ratio, first stride); "fused" is Fused-MBConv, "mbconv" MBConv with SE.
_V2_BASE = (
    ("fused", 3, 1, 32, 16, 1, 0, 1),
    ("fused", 3, 2, 16, 32, 4, 0, 2),
    ("fused", 3, 2, 32, 48, 4, 0, 2),
    ("mbconv", 3, 3, 48, 96, 4, 0.25, 2),
    ("mbconv", 3, 5, 96, 112, 6, 0.25, 1),
    ("mbconv", 3, 8, 112, 192, 6, 0.25, 2),
)
V2_STAGES = {
    "b": _V2_BASE,
    "s": (
        ("fused", 3, 2, 24, 24, 1, 0, 1),
        ("fused", 3, 4, 24, 48, 4, 0, 2),
        ("fused", 3, 4, 48, 64, 4, 0, 2),
        ("mbconv", 3, 6, 64, 128, 4, 0.25, 2),
        ("mbconv", 3, 9, 128, 160, 6, 0.25, 1),
        ("mbconv", 3, 15, 160, 256, 6, 0.25, 2),
    ),
    "m": (
        ("fused", 3, 3, 24, 24, 1, 0, 1),
        ("fused", 3, 5, 24, 48, 4, 0, 2),
        ("fused", 3, 5, 48, 80, 4, 0, 2),
        ("mbconv", 3, 7, 80, 160, 4, 0.25, 2),
        ("mbconv", 3, 14, 160, 176, 6, 0.25, 1),
        ("mbconv", 3, 18, 176, 304, 6, 0.25, 2),
        ("mbconv", 3, 5, 304, 512, 6, 0.25, 1),
    ),
    "l": (
        ("fused", 3, 4, 32, 32, 1, 0, 1),
        ("fused", 3, 7, 32, 64, 4, 0, 2),
        ("fused", 3, 7, 64, 96, 4, 0, 2),
        ("mbconv", 3, 10, 96, 192, 4, 0.25, 2),
        ("mbconv", 3, 19, 192, 224, 6, 0.25, 1),
        ("mbconv", 3, 25, 224, 384, 6, 0.25, 2),
        ("mbconv", 3, 7, 384, 640, 6, 0.25, 1),
    ),
}
# (stages, width, depth, resolution) of each variant, as keras.applications
# and the authors' code (dropout 0.2, drop path 0.2 for all).
EFFICIENTNET_V2_VARIANTS = {
    "b0": ("b", 1.0, 1.0, 224),
    "b1": ("b", 1.0, 1.1, 240),
    "b2": ("b", 1.1, 1.2, 260),
    "b3": ("b", 1.2, 1.4, 300),
    "s": ("s", 1.0, 1.0, 384),
    "m": ("m", 1.0, 1.0, 480),
    "l": ("l", 1.0, 1.0, 480),
}


def efficientnet(
    input_shape=None,
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="efficientnet",
    variant="b0",
    dropout=None,
    drop_connect_rate=0.2,
    width_coefficient=None,
    depth_coefficient=None,
    early_strides=(2, 2),
    include_preprocessing=True,
):
    """EfficientNet-B0 to B7 (Tan and Le 2019).

    B0 is Table 1: a 3x3 stride-2 stem to 32 channels, 16 MBConv blocks in
    seven stages (`B0_STAGES`: expansion 1 or 6, 3x3 or 5x5 depthwise, SE at
    0.25 of the block input, swish), a 1x1 convolution to 1280, pooling,
    dropout and the classifier. B1-B7 scale it (section 3.3, Eq. 3) by a
    width factor (channels `make_divisible(c * width, 8)`), a depth factor
    (each stage's repeats `ceil(n * depth)`) and a resolution
    (`EFFICIENTNET_SCALING`). Totals as keras': B0 5,330,571 ... B7
    66,658,687.

    Args:
        input_shape: default the variant's resolution (224 for B0 ... 600
            for B7); any size down to 1x1 builds.
        variant: "b0" ... "b7".
        dropout: before the classifier; default the variant's (0.2 to 0.5).
        drop_connect_rate: stochastic depth (`DropPath`) on each residual
            branch, growing linearly from 0 for the first block to
            `drop_connect_rate` times (blocks - 1) / blocks for the last, as
            keras and the authors' code do (0.2).
        width_coefficient, depth_coefficient: replace the variant's width
            and depth factors (`EFFICIENTNET_SCALING`), for scaling
            experiments such as section 3's: any positive numbers, with the
            same rounding (channels `make_divisible(c * width, 8)`, repeats
            `ceil(n * depth)`). The variant still sets the default input
            size and dropout.
        early_strides: the strides of the stem and of the first strided
            stage (block2a, Table 1's 112x112 -> 56x56). The paper's (2, 2)
            leave a 32x32 CIFAR image 1x1 after the last stage; (1, 2) or
            (2, 1) leave 2x2 and (1, 1) 4x4, at the cost of the ImageNet
            model at 64x64 or 128x128. No weight changes.
        include_preprocessing: keras' rescaling and normalisation layers
            (below); False leaves them out (and their 7 weights), for inputs
            that are normalised already, as `train_cifar`'s are.

    The model starts with keras' preprocessing: `Rescaling(1/255)` and a
    `Normalization` layer whose mean and variance (three of each, and a
    count: 7 of B0's 5,330,571) keras' ImageNet weight files set. With
    `weights="imagenet"` keras also divides by the square root of the
    standard deviations (`IMAGENET_STDDEV_RGB`), which corrects those
    files' variance (they store the standard deviation); so does this
    builder.
    """
    check_option(name, "variant", variant, EFFICIENTNET_SCALING)
    width, depth, resolution, default_dropout = EFFICIENTNET_SCALING[variant]
    for what, value in (("width_coefficient", width_coefficient),
                        ("depth_coefficient", depth_coefficient)):
        if value is not None and not (isinstance(value, (int, float)) and value > 0):
            raise ValueError(f"{name}: {what} must be a positive number; got {value!r}.")
    width = width if width_coefficient is None else width_coefficient
    depth = depth if depth_coefficient is None else depth_coefficient
    early_strides = _check_early_strides(name, early_strides)
    if weights == "imagenet" and not include_preprocessing:
        raise ValueError(f"{name}: weights='imagenet' needs include_preprocessing=True "
                         "(keras' weight files hold the normalisation's statistics).")
    input_shape = input_shape or (resolution, resolution, 3)
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    dropout = default_dropout if dropout is None else dropout

    def round_filters(filters):
        return make_divisible(filters * width, 8)

    def round_repeats(repeats):
        return int(math.ceil(depth * repeats))

    inputs = keras.Input(input_shape)
    x = inputs
    if include_preprocessing:
        x = layers.Rescaling(1.0 / 255.0)(x)
        # keras' layer is named automatically, "normalization" in a fresh
        # session; a fixed name keeps the weighted layers' names equal.
        x = layers.Normalization(axis=-1, name="normalization")(x)
        if weights == "imagenet":
            x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    if early_strides[0] == 2:
        x = layers.ZeroPadding2D(correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32), 3, strides=early_strides[0],
                      padding="valid" if early_strides[0] == 2 else "same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)

    total = sum(round_repeats(stage[1]) for stage in B0_STAGES)
    index = 0
    for stage, (kernel, repeats, _, filters_out, expansion, stride) in enumerate(B0_STAGES):
        if stage == 1:
            stride = early_strides[1]
        for j in range(round_repeats(repeats)):
            x = inverted_residual(
                x, round_filters(filters_out), f"block{stage + 1}{chr(j + 97)}_",
                expanded_filters=x.shape[-1] * expansion, kernel_size=kernel,
                stride=stride if j == 0 else 1, activation="swish",
                se_ratio=0.25, se_of_input=True, se_activation="swish",
                drop_rate=drop_connect_rate * index / total, names=EFFICIENTNET_NAMES,
                kernel_initializer=CONV_KERNEL_INITIALIZER,
            )
            index += 1
    x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation, dropout,
                       kernel_initializer=DENSE_KERNEL_INITIALIZER, dropout_name="top_dropout")
    return make_model(inputs, x, name, weights)


def _v2_round_filters(filters, width):
    """keras' and the authors' EfficientNetV2 rounding: to the nearest
    multiple of 8, at least 8, without `make_divisible`'s "never 10% below"
    correction (which would give V2-B3's 16 * 1.2 channels 24, not 16)."""
    filters *= width
    return int(max(8, int(filters + 4) // 8 * 8))


def efficientnet_v2(
    input_shape=None,
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="efficientnet_v2",
    variant="s",
    include_preprocessing=True,
    dropout=0.2,
    drop_connect_rate=0.2,
):
    """EfficientNetV2 (Tan and Le 2021): V2-S is Table 4, a 3x3 stride-2
    stem, Fused-MBConv stages early (section 3.2: faster on accelerators at
    high resolution), MBConv with SE late, a 1x1 convolution to 1280,
    pooling, dropout and the classifier. M and L are V2-S scaled up
    (section 3.3), B0-B3 the authors' smaller base network scaled as
    EfficientNet-B0-B3 (`EFFICIENTNET_V2_VARIANTS`; not in the paper);
    their stage tables are the authors' `effnetv2_configs.py`, as in keras.
    V2-S's total is 21,612,360, as keras'.

    Args:
        input_shape: default the variant's training resolution (224 for
            B0 ... 480 for M and L); any size down to 1x1 builds.
        variant: "b0", "b1", "b2", "b3", "s", "m" or "l".
        include_preprocessing: as keras: B0-B3 rescale to [0, 1] and
            normalise with ImageNet's mean and standard deviation; S, M and
            L rescale to [-1, 1) (pixels / 128 - 1).
        dropout: before the classifier (0.2).
        drop_connect_rate: stochastic depth (`DropPath`) on each residual
            branch, `drop_connect_rate` times the block's index over the
            number of blocks in the unscaled table, as keras computes it
            (so B1-B3's last blocks exceed 0.2 slightly).

    BatchNorm momentum is keras' 0.9 (V1: 0.99).
    """
    check_option(name, "variant", variant, EFFICIENTNET_V2_VARIANTS)
    table_name, width, depth, resolution = EFFICIENTNET_V2_VARIANTS[variant]
    input_shape = input_shape or (resolution, resolution, 3)
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    table = V2_STAGES[table_name]

    inputs = keras.Input(input_shape)
    x = inputs
    if include_preprocessing:
        if table_name == "b" and input_shape[-1] == 3:
            x = layers.Rescaling(1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229**2, 0.224**2, 0.225**2], axis=-1)(x)
        else:
            x = layers.Rescaling(1.0 / 128.0, offset=-1)(x)
    x = layers.Conv2D(_v2_round_filters(table[0][3], width), 3, strides=2, padding="same",
                      use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)

    total = sum(stage[2] for stage in table)
    index = 0
    for stage, (kind, kernel, repeats, _, filters_out, expansion, se_ratio, stride) in (
            enumerate(table)):
        for j in range(int(math.ceil(depth * repeats))):
            common = dict(
                kernel_size=kernel, stride=stride if j == 0 else 1, activation="swish",
                se_ratio=se_ratio or None, drop_rate=drop_connect_rate * index / total,
                bn_momentum=0.9, kernel_initializer=CONV_KERNEL_INITIALIZER,
            )
            prefix = f"block{stage + 1}{chr(j + 97)}_"
            filters = _v2_round_filters(filters_out, width)
            expanded = x.shape[-1] * expansion
            if kind == "fused":
                x = fused_mbconv(x, filters, prefix, expanded, **common)
            else:
                x = inverted_residual(
                    x, filters, prefix, expanded, se_of_input=True, se_activation="swish",
                    explicit_pad=False, names=EFFICIENTNET_V2_NAMES, **common,
                )
            index += 1
    x = layers.Conv2D(_v2_round_filters(1280, width), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation, dropout,
                       kernel_initializer=DENSE_KERNEL_INITIALIZER, dropout_name="top_dropout")
    return make_model(inputs, x, name, weights)


for _variant in EFFICIENTNET_SCALING:
    register_model(f"efficientnet_{_variant}", efficientnet, variant=_variant)
for _variant in EFFICIENTNET_V2_VARIANTS:
    register_model(f"efficientnet_v2_{_variant}", efficientnet_v2, variant=_variant)
