"""The MobileNets: v1, v2 and v3.

- Howard, Zhu, Chen, Kalenichenko, Wang, Weyand, Andreetto and Adam,
  "MobileNets: Efficient convolutional neural networks for mobile vision
  applications", 2017 (arXiv:1704.04861): `mobilenet`.
- Sandler, Howard, Zhu, Zhmoginov and Chen, "MobileNetV2: Inverted
  residuals and linear bottlenecks", CVPR 2018 (arXiv:1801.04381):
  `mobilenet_v2`.
- Howard, Sandler, Chu, Chen, Chen, Tan, Wang, Zhu, Pang, Vasudevan, Le and
  Adam, "Searching for MobileNetV3", ICCV 2019 (arXiv:1905.02244):
  `mobilenet_v3` (`mobilenet_v3_small`, `mobilenet_v3_large`).

Each creates the weights of its keras.applications twin (MobileNet,
MobileNetV2, MobileNetV3Small/Large) in the same order under the same layer
names, so `set_weights` and keras' weight files work; that is why the
BatchNorm momenta and epsilons, the explicit padding layers and the
convolutional heads are keras'. The inverted residual of v2 and v3 is
`convnets_tf.models.mbconv.inverted_residual`, shared with EfficientNet.

Differences from keras.applications, none of which touches a weight: the
classifier layers compute in float32 (the output is float32 under mixed
precision); MobileNetV3's squeeze-and-excitation layers are named by
`layers.squeeze_excite` (`..._squeeze_excite_reduce` and `_expand` for
keras' `..._squeeze_excite_conv` and `_conv_1`); pooled headless models
name their pooling layer `avg_pool` or `max_pool`.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top, global_pool, make_divisible
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.models.mbconv import (
    MOBILENET_V2_NAMES,
    MOBILENET_V3_NAMES,
    activation_layer,
    inverted_residual,
)
from convnets_tf.registry import register_model

# Howard et al. (2017), Table 1: (pointwise filters, stride) of the 13
# depthwise separable layers after the first full convolution.
V1_LAYERS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)
# Each strided depthwise layer pads one pixel at the bottom and right and is
# 'valid' (keras.applications, TF-slim): a map of m >= 2 becomes m // 2. The
# stem's 'same' stride 2 and four such layers need 31 pixels: 31 -> 16 -> 8
# -> 4 -> 2 -> 1.
V1_MIN_SIZE = 31


def _check_early_strides(name, early_strides):
    if (not isinstance(early_strides, (tuple, list)) or len(early_strides) != 2
            or any(s not in (1, 2) for s in early_strides)):
        raise ValueError(
            f"{name}: early_strides must be two strides of 1 or 2 (the stem's and the "
            f"first downsampling stage's; (2, 2) as in the paper, (1, 1) for 32x32 "
            f"CIFAR images); got {early_strides!r}."
        )
    return tuple(early_strides)


def v1_min_size(early_strides=(2, 2)):
    """The smallest input of `mobilenet` with these `early_strides`: each
    strided depthwise layer needs a map of at least 2 (m -> m // 2), and
    the stem is 'same' (n -> ceil(n / stride))."""
    strided_blocks = sum(stride > 1 for _, stride in V1_LAYERS) - (early_strides[1] == 1)
    size = 2 ** strided_blocks
    return 2 * size - 1 if early_strides[0] == 2 else size

# Sandler et al. (2018), Table 2: expansion t, output channels c, repeats n,
# first stride s of each bottleneck sequence.
V2_STAGES = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
# MobileNetV2, V3 and EfficientNet pad so that every strided layer equals
# TensorFlow's 'same': any map, down to 1x1, stays at least 1x1, so the
# networks build at any size (below 32 the last stages see one position).
MIN_SIZE = 1

# Howard et al. (2019), Tables 1 and 2: (kernel, expansion ratio, output
# channels, SE, activation, stride) of each bneck, expansion written as
# keras writes it (expanded width / input width, rounded to a multiple of 8
# in the block). "HS" is hard-swish; "RE" is ReLU. Kernel 5 and HS become 3
# and RE, and SE disappears, in the minimalistic models.
V3_SMALL = (
    (3, 1, 16, True, "RE", 2),
    (3, 72 / 16, 24, False, "RE", 2),
    (3, 88 / 24, 24, False, "RE", 1),
    (5, 4, 40, True, "HS", 2),
    (5, 6, 40, True, "HS", 1),
    (5, 6, 40, True, "HS", 1),
    (5, 3, 48, True, "HS", 1),
    (5, 3, 48, True, "HS", 1),
    (5, 6, 96, True, "HS", 2),
    (5, 6, 96, True, "HS", 1),
    (5, 6, 96, True, "HS", 1),
)
V3_LARGE = (
    (3, 1, 16, False, "RE", 1),
    (3, 4, 24, False, "RE", 2),
    (3, 3, 24, False, "RE", 1),
    (5, 3, 40, True, "RE", 2),
    (5, 3, 40, True, "RE", 1),
    (5, 3, 40, True, "RE", 1),
    (3, 6, 80, False, "HS", 2),
    (3, 2.5, 80, False, "HS", 1),
    (3, 2.3, 80, False, "HS", 1),
    (3, 2.3, 80, False, "HS", 1),
    (3, 6, 112, True, "HS", 1),
    (3, 6, 112, True, "HS", 1),
    (5, 6, 160, True, "HS", 2),
    (5, 6, 160, True, "HS", 1),
    (5, 6, 160, True, "HS", 1),
)
# Table 1 and 2's last two layers: the 1x1 conv to 6x the last bneck width
# (576 or 960), then, after pooling, a 1x1 conv (1024 or 1280) without BN.
V3_CONFIGS = {"small": (V3_SMALL, 1024), "large": (V3_LARGE, 1280)}


def _conv_top(x, num_classes, classifier_activation, dropout, name, dropout_name=None,
              flatten_name=None):
    """keras' MobileNet heads end in a 1x1 convolution on the pooled map, a
    reshape and the activation. Kept as a convolution so that keras'
    weights (kernel (1, 1, channels, classes)) load; computed in float32."""
    if dropout:
        x = layers.Dropout(dropout, name=dropout_name)(x)
    x = layers.Conv2D(num_classes, 1, padding="same", dtype="float32", name=name)(x)
    x = layers.Flatten(dtype="float32", name=flatten_name)(x)
    return layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)


def depthwise_separable_block(x, filters, name, stride=1, depth_multiplier=1):
    """A depthwise separable convolution (Howard et al. 2017, section 3.1,
    Figure 3 right): a 3x3 depthwise convolution (`depth_multiplier`
    filters per input channel), BatchNorm and ReLU6, then a 1x1 pointwise
    convolution to `filters`, BatchNorm and ReLU6. Layers `conv_dw_{name}`,
    `conv_pw_{name}` and their `_bn`, `_relu` (keras' names; `name` is the
    block number). A strided block pads one pixel at the bottom and right,
    `conv_pad_{name}`, and is 'valid', as keras.applications and TF-slim.
    """
    padding = "same"
    if stride > 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{name}")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(3, strides=stride, padding=padding,
                               depth_multiplier=depth_multiplier, use_bias=False,
                               name=f"conv_dw_{name}")(x)
    x = layers.BatchNormalization(name=f"conv_dw_{name}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{name}_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"conv_pw_{name}")(x)
    x = layers.BatchNormalization(name=f"conv_pw_{name}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{name}_relu")(x)


def mobilenet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="mobilenet",
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    early_strides=(2, 2),
):
    """MobileNet v1 (Howard et al. 2017, Table 1): a 3x3 stride-2
    convolution, 13 depthwise separable blocks, average pooling and the
    classifier; 4,253,864 parameters at the defaults, as keras'.

    Args:
        alpha: the width multiplier (section 3.3): every layer has
            `int(filters * alpha)` channels (Table 6: 1.0, 0.75, 0.5, 0.25).
        depth_multiplier: filters per input channel in each depthwise
            convolution (keras' argument; the "resolution multiplier" of
            section 3.4 is the input size, `input_shape`, instead).
        dropout: dropout before the classifier (keras' default 0.001).
        early_strides: the strides of the stem convolution `conv1` and of
            the first strided block (`conv_dw_2`, Table 1's "Conv dw / s2"
            on 112x112). The paper's (2, 2) reduces 32x32 CIFAR images to
            1x1 before the last block; (1, 1), the CIFAR variant, leaves
            4x4 (32, 32, 16, 8, 4) and costs as much as the ImageNet model
            at 128x128. No weight changes.

    The classifier is keras' 1x1 convolution `conv_preds` on the pooled
    map. Inputs must be at least 31x31 (`V1_MIN_SIZE`), 8x8 with
    `early_strides=(1, 1)` (`v1_min_size`).
    """
    early_strides = _check_early_strides(name, early_strides)
    check_arguments(name, input_shape, v1_min_size(early_strides), pooling, weights)
    if alpha <= 0:
        raise ValueError(f"{name}: alpha must be positive; got {alpha}.")
    if not (isinstance(depth_multiplier, int) and depth_multiplier >= 1):
        raise ValueError(
            f"{name}: depth_multiplier must be a positive integer; got {depth_multiplier!r}."
        )

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(int(32 * alpha), 3, strides=early_strides[0], padding="same",
                      use_bias=False, name="conv1")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(V1_LAYERS, start=1):
        if block_id == 2:
            stride = early_strides[1]
        x = depthwise_separable_block(x, int(filters * alpha), block_id, stride,
                                      depth_multiplier)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True, name="avg_pool")(x)
        x = _conv_top(x, num_classes, classifier_activation, dropout, "conv_preds",
                      dropout_name="dropout", flatten_name="reshape_2")
    else:
        x = global_pool(x, pooling)
    return make_model(inputs, x, name, weights)


def mobilenet_v2(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="mobilenet_v2",
    alpha=1.0,
    early_strides=(2, 2),
    bottleneck_activation=None,
):
    """MobileNetV2 (Sandler et al. 2018, Table 2): a 3x3 stride-2
    convolution to 32 channels, 17 inverted residual bottlenecks
    (`V2_STAGES`), a 1x1 convolution to 1280, pooling and the classifier;
    ReLU6 throughout except the linear projections; 3,538,984 parameters,
    as keras'.

    Args:
        alpha: the width multiplier (section 6.1; 0.35 to 1.4): bottleneck
            widths `make_divisible(c * alpha, 8)`; the last 1x1 layer keeps
            1280 channels unless `alpha` > 1 (section 6.1: "for multipliers
            less than one, we apply width multiplier to all layers except
            the very last convolutional layer").
        early_strides: the strides of the stem `Conv1` and of the first
            strided bottleneck (`block_1`, Table 2's 24-channel sequence).
            The paper's (2, 2) leaves a 1x1 map after the last stage for
            32x32 CIFAR images; (1, 1), the CIFAR variant, leaves 4x4 (32,
            32, 16, 8, 4) and costs about what the ImageNet model costs at
            128x128. No weight changes.
        bottleneck_activation: None, the paper's linear bottleneck
            (section 3.2); an activation such as "relu6" after each
            projection's BatchNorm, before the residual addition, is the
            non-linear bottleneck of the ablation in Figure 6a (layers
            `block_{i}_project_act`, no weights).

    Layer names are keras' (`Conv1`, `block_{i}_expand`, ...); inputs may
    be as small as 1x1 (`MIN_SIZE`).
    """
    early_strides = _check_early_strides(name, early_strides)
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    if alpha <= 0:
        raise ValueError(f"{name}: alpha must be positive; got {alpha}.")

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), 3, strides=early_strides[0],
                      padding="same", use_bias=False, name="Conv1")(inputs)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    block_id = 0
    for stage, (expansion, channels, repeats, first_stride) in enumerate(V2_STAGES):
        if stage == 1:
            first_stride = early_strides[1]
        for i in range(repeats):
            prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
            x = inverted_residual(
                x, make_divisible(int(channels * alpha), 8), prefix,
                expanded_filters=expansion * x.shape[-1], kernel_size=3,
                stride=first_stride if i == 0 else 1, activation="relu6",
                project_activation=bottleneck_activation,
                names=MOBILENET_V2_NAMES, bn_momentum=0.999,
            )
            block_id += 1
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def mobilenet_v3(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="mobilenet_v3",
    size="large",
    alpha=1.0,
    minimalistic=False,
    include_preprocessing=True,
    dropout=0.2,
    early_strides=(2, 2),
    activation=None,
):
    """MobileNetV3-Small and -Large (Howard et al. 2019, Tables 1 and 2):
    a 3x3 stride-2 convolution to 16 channels, the bnecks (`V3_SMALL`,
    `V3_LARGE`: inverted residuals with 3x3 or 5x5 depthwise kernels, SE
    with a hard-sigmoid gate, ReLU early and hard-swish late, section 5.2),
    a 1x1 convolution to six times the last width, pooling, a 1x1
    convolution (1024 or 1280) with hard-swish and no BatchNorm, dropout
    and the classifier; 2,554,968 (small) and 5,507,432 (large)
    parameters, as keras'.

    Args:
        size: "small" or "large".
        alpha: width multiplier of the bnecks, `make_divisible(c * alpha, 8)`,
            and so of the 1x1 layer after them; the stem keeps 16 channels,
            and the 1x1 layer after pooling (1024 or 1280) grows with
            `alpha` > 1 only, as in keras.
        minimalistic: keras' and the TF model zoo's variant without SE,
            hard-swish or 5x5 kernels (3x3 and ReLU everywhere).
        include_preprocessing: start with keras' `Rescaling(1/127.5,
            offset=-1)`, so the model takes pixels in [0, 255].
        dropout: before the classifier (keras' `dropout_rate`, 0.2).
        early_strides: the strides of the stem `conv` and of the first
            strided bneck (the first of Small, the second of Large). The
            paper's (2, 2) leaves 1x1 after the last stage for 32x32 CIFAR
            images; (1, 1), the CIFAR variant, leaves 4x4. No weight
            changes.
        activation: the activation wherever Tables 1 and 2 write HS, and
            in the stem and the last two 1x1 layers: by default
            "hard_swish" ("relu" when `minimalistic`); "swish" is the
            smooth original that hard-swish replaces (section 5.2), "relu"
            ReLU throughout. No weight changes.

    Layer names are keras' except the SE layers' (module docstring).
    Inputs may be as small as 1x1 (`MIN_SIZE`).
    """
    early_strides = _check_early_strides(name, early_strides)
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)
    check_option(name, "size", size, V3_CONFIGS)
    if alpha <= 0:
        raise ValueError(f"{name}: alpha must be positive; got {alpha}.")
    table, last_point = V3_CONFIGS[size]
    if activation is None:
        activation = "relu" if minimalistic else "hard_swish"
    check_option(name, "activation", activation, ("hard_swish", "swish", "relu"))
    hard_swish = activation

    inputs = keras.Input(input_shape)
    x = inputs
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=early_strides[0], padding="same", use_bias=False,
                      name="conv")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = activation_layer(x, hard_swish)
    first_strided = next(i for i, row in enumerate(table) if row[-1] > 1)
    for block_id, (kernel, expansion, channels, se, act, stride) in enumerate(table):
        if block_id == first_strided:
            stride = early_strides[1]
        if minimalistic:
            kernel, se, act = min(kernel, 3), False, "RE"
        x = inverted_residual(
            x, make_divisible(channels * alpha), f"expanded_conv_{block_id}_"
            if block_id else "expanded_conv_",
            expanded_filters=make_divisible(x.shape[-1] * expansion), kernel_size=kernel,
            stride=stride, activation="relu" if act == "RE" else hard_swish,
            se_ratio=0.25 if se else None, se_divisor=8, se_gate="hard_sigmoid",
            names=MOBILENET_V3_NAMES, bn_momentum=0.999,
        )
    last_conv = make_divisible(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point = make_divisible(last_point * alpha)
    x = layers.Conv2D(last_conv, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = activation_layer(x, hard_swish)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True, name="avg_pool")(x)
        x = layers.Conv2D(last_point, 1, padding="same", name="conv_2")(x)
        x = activation_layer(x, hard_swish)
        x = _conv_top(x, num_classes, classifier_activation, dropout, "logits")
    else:
        x = global_pool(x, pooling)
    return make_model(inputs, x, name, weights)


register_model("mobilenet", mobilenet)
register_model("mobilenet_v2", mobilenet_v2)
register_model("mobilenet_v3_small", mobilenet_v3, size="small")
register_model("mobilenet_v3_large", mobilenet_v3, size="large")
