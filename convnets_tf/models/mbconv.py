"""The inverted residual block, once: MobileNetV2/V3's bottleneck and
EfficientNet's MBConv, and EfficientNetV2's Fused-MBConv.

- Sandler, Howard, Zhu, Zhmoginov and Chen, "MobileNetV2: Inverted
  residuals and linear bottlenecks", CVPR 2018 (arXiv:1801.04381), section
  3.3 and Table 1: a 1x1 convolution expands the narrow input t times, a
  3x3 depthwise convolution filters each channel, a 1x1 convolution
  projects back to a narrow output with no activation (the linear
  bottleneck, section 3.2), and the shortcut joins the narrow ends when
  stride and width allow.
- Howard et al., "Searching for MobileNetV3", ICCV 2019 (arXiv:1905.02244),
  section 5.3 and Figure 4: the same block with 3x3 or 5x5 depthwise
  kernels, ReLU or hard-swish, and squeeze-and-excitation after the
  depthwise step.
- Tan and Le, "EfficientNet: Rethinking model scaling for convolutional
  neural networks", ICML 2019 (arXiv:1905.11946), section 4: MBConv is the
  same block again, with swish, SE at a quarter of the block's input width,
  and stochastic depth ("drop connect") on the residual branch.
- Tan and Le, "EfficientNetV2: Smaller models and faster training", ICML
  2021 (arXiv:2104.00298), section 3.2 and Figure 2: Fused-MBConv replaces
  the expansion 1x1 and the depthwise 3x3 by one regular 3x3 convolution,
  faster on accelerators in the early, high-resolution stages.

The blocks are plain functions, tensor in and tensor out. `name` is the
prefix keras.applications uses, trailing separator included ("block_3_",
"expanded_conv_3_", "block2a_"), and the layer names inside differ between
its three implementations; `MOBILENET_V2_NAMES`, `MOBILENET_V3_NAMES`,
`EFFICIENTNET_NAMES` and `EFFICIENTNET_V2_NAMES` spell them, so each family
creates the same weights in the same order under keras' names and its
weight files load. A name of None leaves the (weight-free) layer to Keras'
automatic naming, as keras' MobileNetV3 does for its activations.

Squeeze-and-excitation is `convnets_tf.layers.squeeze_excite`. It computes
what keras' MobileNetV3 and EfficientNet SE blocks compute, with the same
two biased 1x1 convolutions in the same order, but names its layers
`{se}_squeeze`, `{se}_reduce`, `{se}_expand` and `{se}_excite`: exactly
keras' EfficientNet names with `se="se"`, while keras' MobileNetV3 calls
them `squeeze_excite_avg_pool`, `_conv`, `_conv_1` and `_mul`.
"""

from keras import layers

from convnets_tf.layers import DropPath, squeeze_excite

# Layer names inside the block, by role, as each keras.applications family
# spells them (None: an automatically named layer).
MOBILENET_V2_NAMES = {
    "expand": "expand", "expand_bn": "expand_BN", "expand_act": "expand_relu",
    "pad": "pad", "depthwise": "depthwise", "depthwise_bn": "depthwise_BN",
    "depthwise_act": "depthwise_relu", "se": "se", "project": "project",
    "project_bn": "project_BN", "drop": "drop", "add": "add",
}
MOBILENET_V3_NAMES = {
    "expand": "expand", "expand_bn": "expand_bn", "expand_act": None,
    "pad": "depthwise_pad", "depthwise": "depthwise", "depthwise_bn": "depthwise_bn",
    "depthwise_act": None, "se": "squeeze_excite", "project": "project",
    "project_bn": "project_bn", "drop": "drop", "add": "add",
}
EFFICIENTNET_NAMES = {
    "expand": "expand_conv", "expand_bn": "expand_bn", "expand_act": "expand_activation",
    "pad": "dwconv_pad", "depthwise": "dwconv", "depthwise_bn": "bn",
    "depthwise_act": "activation", "se": "se", "project": "project_conv",
    "project_bn": "project_bn", "drop": "drop", "add": "add",
}
# keras' EfficientNetV2 MBConv calls its depthwise layer "dwconv2" and pads
# with 'same' (no padding layer).
EFFICIENTNET_V2_NAMES = {**EFFICIENTNET_NAMES, "depthwise": "dwconv2"}


def _name(prefix, names, role):
    suffix = names[role]
    return None if suffix is None else f"{prefix}{suffix}"


def activation_layer(x, activation, name=None):
    """`activation` as a layer: "relu6" and "relu" as `layers.ReLU` (as
    keras' MobileNets write them), anything else as `layers.Activation`."""
    if activation == "relu6":
        return layers.ReLU(6.0, name=name)(x)
    if activation == "relu":
        return layers.ReLU(name=name)(x)
    return layers.Activation(activation, name=name)(x)


def correct_pad(x, kernel_size):
    """keras.applications' `correct_pad`: the zero padding that makes a
    'valid' strided convolution give TensorFlow's 'same' result, one more
    pixel at the bottom and right of an even-sized input. An input of any
    size (None) is padded as an even one, as keras.applications does."""
    half = kernel_size // 2
    top, left = (half - (1 - side % 2) if side is not None else half - 1
                 for side in x.shape[1:3])
    return ((top, half), (left, half))


def inverted_residual(
    x,
    filters,
    name,
    expanded_filters,
    kernel_size=3,
    stride=1,
    activation="relu6",
    se_ratio=None,
    se_divisor=None,
    se_of_input=False,
    se_activation="relu",
    se_gate="sigmoid",
    drop_rate=0.0,
    explicit_pad=True,
    project_activation=None,
    names=MOBILENET_V2_NAMES,
    bn_momentum=0.99,
    bn_epsilon=1e-3,
    kernel_initializer="glorot_uniform",
):
    """The inverted residual (MBConv) block: expand, depthwise, SE, project.

    1. A 1x1 convolution to `expanded_filters` channels, BatchNorm and
       `activation` (left out when `expanded_filters` equals the input
       width: expansion 1, MobileNetV2's first block, Table 2).
    2. A `kernel_size` depthwise convolution with `stride`, BatchNorm and
       `activation`. A strided one pads explicitly (`correct_pad`, a layer
       named `pad`) and is 'valid' when `explicit_pad`, as keras'
       MobileNetV2/V3 and EfficientNet do; 'same' otherwise (EfficientNetV2).
       Both give the same result.
    3. With `se_ratio`, squeeze-and-excitation (`layers.squeeze_excite`)
       reducing to `se_ratio` times the expanded width rounded by
       `se_divisor` (MobileNetV3, section 5.3), or, with `se_of_input`, to
       `se_ratio` times the block's input width, truncated (EfficientNet).
    4. A 1x1 projection to `filters` and BatchNorm, with no activation: the
       linear bottleneck (Sandler et al. 2018, section 3.2). A
       `project_activation` (e.g. "relu6") after it, before the addition,
       gives the non-linear bottleneck of the paper's ablation (Figure 6a;
       TF-slim's `project_activation_fn`); the layer is `{name}project_act`.
    5. If the stride is 1 and the widths match, the input is added back;
       with `drop_rate` > 0 the branch first goes through `DropPath` (the
       stochastic depth EfficientNet calls drop connect).

    `names` maps each role to the layer name keras.applications uses
    (module docstring); `bn_momentum`, `bn_epsilon` and `kernel_initializer`
    are the family's (EfficientNet's variance-scaling initialiser).
    """
    in_channels = x.shape[-1]
    inputs = x
    if expanded_filters != in_channels:
        x = layers.Conv2D(expanded_filters, 1, padding="same", use_bias=False,
                          kernel_initializer=kernel_initializer,
                          name=_name(name, names, "expand"))(x)
        x = layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                      name=_name(name, names, "expand_bn"))(x)
        x = activation_layer(x, activation, _name(name, names, "expand_act"))
    padding = "same"
    if stride > 1 and explicit_pad:
        x = layers.ZeroPadding2D(correct_pad(x, kernel_size),
                                 name=_name(name, names, "pad"))(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding=padding, use_bias=False,
                               depthwise_initializer=kernel_initializer,
                               name=_name(name, names, "depthwise"))(x)
    x = layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                  name=_name(name, names, "depthwise_bn"))(x)
    x = activation_layer(x, activation, _name(name, names, "depthwise_act"))
    if se_ratio:
        x = squeeze_excite(
            x, _name(name, names, "se"), ratio=se_ratio,
            channels_in=in_channels if se_of_input else None, divisor=se_divisor,
            activation=se_activation, gate=se_gate, kernel_initializer=kernel_initializer,
        )
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                      kernel_initializer=kernel_initializer,
                      name=_name(name, names, "project"))(x)
    x = layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                  name=_name(name, names, "project_bn"))(x)
    if project_activation is not None:
        x = activation_layer(x, project_activation, f"{name}project_act")
    return _residual(inputs, x, stride, drop_rate, name, names)


def fused_mbconv(
    x,
    filters,
    name,
    expanded_filters,
    kernel_size=3,
    stride=1,
    activation="swish",
    se_ratio=None,
    drop_rate=0.0,
    bn_momentum=0.9,
    bn_epsilon=1e-3,
    kernel_initializer="glorot_uniform",
):
    """Fused-MBConv (Tan and Le 2021, section 3.2, Figure 2): one regular
    `kernel_size` convolution with `stride` does the expansion and the
    spatial filtering that MBConv splits into a 1x1 and a depthwise layer.

    With expansion (`expanded_filters` > input width): the fused
    convolution, BatchNorm and `activation`; optional SE (`se_ratio` of the
    block's input width); a linear 1x1 projection to `filters`. Without
    (expansion 1): a single `kernel_size` convolution to `filters`,
    BatchNorm and `activation`. Residual and stochastic depth as in
    `inverted_residual`. Layer names are keras' EfficientNetV2's
    (`expand_conv`, `expand_bn`, `expand_activation`, `se_*`,
    `project_conv`, `project_bn`, `project_activation`, `drop`, `add`).
    """
    in_channels = x.shape[-1]
    inputs = x
    expand = expanded_filters != in_channels
    if expand:
        x = layers.Conv2D(expanded_filters, kernel_size, strides=stride, padding="same",
                          use_bias=False, kernel_initializer=kernel_initializer,
                          name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                      name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if se_ratio:
        x = squeeze_excite(x, f"{name}se", ratio=se_ratio, channels_in=in_channels,
                           activation=activation, kernel_initializer=kernel_initializer)
    x = layers.Conv2D(filters, 1 if expand else kernel_size, strides=1 if expand else stride,
                      padding="same", use_bias=False, kernel_initializer=kernel_initializer,
                      name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                  name=f"{name}project_bn")(x)
    if not expand:
        x = layers.Activation(activation, name=f"{name}project_activation")(x)
    return _residual(inputs, x, stride, drop_rate, name, EFFICIENTNET_V2_NAMES)


def _residual(inputs, x, stride, drop_rate, name, names):
    """Adds the input back when shapes allow; stochastic depth on the branch.

    `DropPath` reproduces keras' `Dropout(rate, noise_shape=(None, 1, 1, 1))`:
    one draw per sample, survivors divided by 1 - rate, identity at
    inference; like it, it has no weights.
    """
    if stride != 1 or inputs.shape[-1] != x.shape[-1]:
        return x
    if drop_rate > 0:
        x = DropPath(drop_rate, name=_name(name, names, "drop"))(x)
    return layers.Add(name=_name(name, names, "add"))([x, inputs])
