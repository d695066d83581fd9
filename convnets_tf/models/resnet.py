"""The ResNet family: ResNet v1 and v2, CIFAR ResNets, Wide ResNet, ResNeXt.

- He, Zhang, Ren and Sun, "Deep residual learning for image recognition",
  CVPR 2016 (arXiv:1512.03385): `resnet` (ResNet-18 to 152) and
  `resnet_cifar` (ResNet-20 to 110, section 4.2).
- He, Zhang, Ren and Sun, "Identity mappings in deep residual networks",
  ECCV 2016 (arXiv:1603.05027): pre-activation, `resnet_v2` and
  `preact_resnet`.
- Zagoruyko and Komodakis, "Wide residual networks", BMVC 2016
  (arXiv:1605.07146): `wide_resnet`; Wide ResNet-50-2 is `resnet` with
  `bottleneck_width=128`.
- Xie, Girshick, Dollar, Tu and He, "Aggregated residual transformations for
  deep neural networks", CVPR 2017 (arXiv:1611.05431): ResNeXt-50/101 are
  `resnet` with `cardinality` and `bottleneck_width`; `resnext_cifar` is
  ResNeXt-29.

One mechanism, as in timm: a stem, stages of residual blocks, a head. The
variants differ in the block (basic or bottleneck, post- or pre-activation),
its width, its cardinality and its shortcut.

ResNet-50/101/152 (`resnet`) and ResNet-50/101/152 v2 (`resnet_v2`) create
the weights of keras.applications' ResNet50/101/152 and ResNet50V2/101V2/152V2
in the same order and under the same layer names, so their weight files
load; that is why they keep keras' conv biases and BatchNorm epsilon.
"""

import keras
from keras import layers

from convnets_tf.layers import bn_act, classifier_top, conv_bn_act, symmetric_pad
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

# keras.applications' ResNets (converted from the paper's Caffe models) use
# this epsilon; the whole family keeps it so that one block serves all.
BN_EPSILON = 1.001e-5

# He et al. (2015), Table 1: block and blocks per stage, conv2_x to conv5_x.
IMAGENET_DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# keras.applications' ResNetV2 has the bottleneck depths only.
V2_DEPTHS = {depth: IMAGENET_DEPTHS[depth][1] for depth in (50, 101, 152)}
# Pre-activation ResNet-18/34 for CIFAR: Table 1's stages at stride 1, 2, 2, 2
# after a 3x3 stem (the network of Liu's widely used pytorch-cifar).
PREACT_CIFAR_DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}

# He et al. (2015), sections 3.3 and 4.1: where the channels grow, A pads
# the identity with zeros (no parameters) and B projects; C projects in
# every block.
SHORTCUTS = ("A", "B", "C")

IMAGENET_MIN_SIZE = 32  # total stride 32: the last stage keeps one position
CIFAR_MIN_SIZE = 4  # total stride 4 of the three-stage CIFAR networks


def shortcut_branch(x, filters, stride, kind, name, use_bias=False):
    """The shortcut of a post-activation block (He et al. 2015, section 3.3).

    `kind` is "identity" (Eqn. 1: shapes match), "projection" (Eqn. 2: a
    strided 1x1 convolution and BatchNorm) or "zero_pad" (option A: every
    `stride`-th position, the new channels zero, no parameters).
    """
    if kind == "identity":
        return x
    if kind == "projection":
        return conv_bn_act(
            x, filters, 1, name=f"{name}_0", strides=stride, padding="valid",
            use_bias=use_bias, activation=None, bn_epsilon=BN_EPSILON,
        )
    # A 1x1 max-pooling with a stride keeps every stride-th pixel, like
    # x[:, ::2, ::2]; keras.ops.pad adds the zero channels and, unlike a
    # Lambda layer, saves and loads with the model.
    if stride > 1:
        x = layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, filters - x.shape[-1]]])


def shortcut_kind(x, filters, stride, option):
    """The shortcut a block gets under option A, B or C, or None (plain)."""
    if option is None:
        return None
    if option == "C":
        return "projection"
    if stride == 1 and x.shape[-1] == filters:
        return "identity"
    return "zero_pad" if option == "A" else "projection"


def _last_kernel(zero_init):
    """The last convolution's initialiser in a pre-activation branch."""
    return "zeros" if zero_init else "glorot_uniform"


def basic_block(x, filters, name, stride=1, shortcut="identity", use_bias=False,
                zero_init_last=False):
    """Two 3x3 convolutions and a shortcut (He et al. 2015, Figure 5 left):
    the block of ResNet-18/34 and of the CIFAR ResNets (section 4.2).

    `shortcut=None` leaves the shortcut out: the plain baseline of sections
    4.1 and 4.2.
    """
    y, padding = symmetric_pad(x, 3, stride, f"{name}_1")
    y = conv_bn_act(y, filters, 3, name=f"{name}_1", strides=stride,
                    padding=padding, use_bias=use_bias, bn_epsilon=BN_EPSILON)
    # zero_init_last: the branch starts at zero, the block as its shortcut.
    y = conv_bn_act(y, filters, 3, name=f"{name}_2", use_bias=use_bias,
                    activation=None, bn_epsilon=BN_EPSILON, zero_init=zero_init_last)
    if shortcut is not None:
        x = shortcut_branch(x, filters, stride, shortcut, name, use_bias)
        y = layers.Add(name=f"{name}_add")([x, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(x, filters, name, stride=1, shortcut="identity",
                     use_bias=True, cardinality=1, bottleneck_width=64,
                     stride_in_3x3=False, zero_init_last=False):
    """1x1 reduce, 3x3, 1x1 expand to 4 * `filters`, and a shortcut (He et
    al. 2015, Figure 5 right): the block of ResNet-50/101/152, ResNeXt and
    Wide ResNet-50-2.

    The 3x3 layer has `cardinality * (filters * bottleneck_width // 64)`
    channels in `cardinality` groups: 1 x 64d is ResNet's bottleneck, 32 x 4d
    ResNeXt's (Xie et al. 2017, Figure 3c and Table 1), 1 x 128d that of Wide
    ResNet-50-2. ResNet v1 strides in the first 1x1 layer, as the paper's
    released models and keras.applications do; ResNeXt strides in the 3x3
    layer (Xie et al., section 4), so that no input position is skipped.
    """
    width = cardinality * (filters * bottleneck_width // 64)
    stride_1x1, stride_3x3 = (1, stride) if stride_in_3x3 else (stride, 1)
    # keras.applications creates the shortcut's weights first; so do we.
    shortcut = shortcut_branch(x, 4 * filters, stride, shortcut, name, use_bias)
    y = conv_bn_act(x, width, 1, name=f"{name}_1", strides=stride_1x1,
                    padding="valid", use_bias=use_bias, bn_epsilon=BN_EPSILON)
    y, padding = symmetric_pad(y, 3, stride_3x3, f"{name}_2")
    y = conv_bn_act(y, width, 3, name=f"{name}_2", strides=stride_3x3,
                    padding=padding, groups=cardinality, use_bias=use_bias,
                    bn_epsilon=BN_EPSILON)
    y = conv_bn_act(y, 4 * filters, 1, name=f"{name}_3", use_bias=use_bias,
                    activation=None, bn_epsilon=BN_EPSILON, zero_init=zero_init_last)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def preact_bottleneck_block(x, filters, name, stride=1, conv_shortcut=False,
                            zero_init_last=False):
    """keras.applications' ResNetV2 block (He et al. 2016, Figure 1b and
    4e, "full pre-activation"): BN and ReLU come before each convolution, so
    the identity path from one block to the next has no ReLU on it.

    Like keras.applications, whose weights this block reproduces, the 1x1
    layers keep biases, the projection reads the pre-activated input, and a
    strided block subsamples its identity shortcut. `zero_init_last` starts
    the last convolution at zero, so that the block starts as its shortcut.
    """
    preact = bn_act(x, name=f"{name}_preact", epsilon=BN_EPSILON)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride,
                                 name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    else:
        shortcut = x
    y = conv_bn_act(preact, filters, 1, name=f"{name}_1", use_bias=False,
                    bn_epsilon=BN_EPSILON)
    y, padding = symmetric_pad(y, 3, stride, f"{name}_2", always=True)
    y = conv_bn_act(y, filters, 3, name=f"{name}_2", strides=stride,
                    padding=padding, use_bias=False, bn_epsilon=BN_EPSILON)
    y = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv",
                      kernel_initializer=_last_kernel(zero_init_last))(y)
    return layers.Add(name=f"{name}_out")([shortcut, y])


def preact_basic_block(x, filters, name, stride=1, dropout=0.0,
                       zero_init_last=False):
    """Two pre-activated 3x3 convolutions (He et al. 2016, Figure 4e) with
    optional dropout between them (Zagoruyko and Komodakis 2016, Figure 1d):
    the block of pre-activation ResNet-18 and Wide ResNet.

    Where the shape changes, a 1x1 projection of the pre-activated input
    is the shortcut, as in both papers' code. `zero_init_last` starts the
    second convolution at zero, so that the block starts as its shortcut.
    """
    preact = bn_act(x, name=f"{name}_preact", epsilon=BN_EPSILON)
    if stride == 1 and x.shape[-1] == filters:
        shortcut = x
    else:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_0_conv")(preact)
    y, padding = symmetric_pad(preact, 3, stride, f"{name}_1")
    y = conv_bn_act(y, filters, 3, name=f"{name}_1", strides=stride,
                    padding=padding, use_bias=False, bn_epsilon=BN_EPSILON)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_drop")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_initializer=_last_kernel(zero_init_last),
                      name=f"{name}_2_conv")(y)
    return layers.Add(name=f"{name}_out")([shortcut, y])


def imagenet_stem(x, use_bias, post_activation):
    """7x7/2 convolution and 3x3/2 max-pooling (Table 1, conv1 and the start
    of conv2_x); a pre-activation network leaves conv1 linear, because the
    first block normalises and activates its input itself."""
    x, padding = symmetric_pad(x, 7, 2, "conv1")
    if post_activation:
        x = conv_bn_act(x, 64, 7, name="conv1", strides=2, padding=padding,
                        use_bias=use_bias, bn_epsilon=BN_EPSILON)
    else:
        x = layers.Conv2D(64, 7, strides=2, padding=padding, use_bias=use_bias,
                          name="conv1_conv")(x)
    x, padding = symmetric_pad(x, 3, 2, "pool1")
    return layers.MaxPooling2D(3, strides=2, padding=padding, name="pool1_pool")(x)


def _post_activation_stages(x, block, expansion, stage_filters, stage_blocks,
                            strides, shortcut, first_stage=2, **block_kwargs):
    """Stacks the stages conv{first_stage}_x, ...; each stage's first block
    strides and changes the width, and gets the shortcut option's choice."""
    for stage, (filters, blocks, stride) in enumerate(
            zip(stage_filters, stage_blocks, strides), start=first_stage):
        for i in range(blocks):
            s = stride if i == 0 else 1
            kind = shortcut_kind(x, expansion * filters, s, shortcut)
            x = block(x, filters, name=f"conv{stage}_block{i + 1}", stride=s,
                      shortcut=kind, **block_kwargs)
    return x


def resnet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="resnet",
    depth=50,
    cardinality=1,
    bottleneck_width=64,
    use_bias=True,
    stride_in_3x3=False,
    zero_init_last=True,
):
    """ResNet v1 for ImageNet (He et al. 2015, Table 1), and its ResNeXt and
    Wide ResNet-50-2 relatives.

    Args:
        depth: 18 or 34 (basic blocks), 50, 101 or 152 (bottlenecks).
        cardinality: groups of the bottleneck's 3x3 layer (ResNeXt's C).
        bottleneck_width: channels per group of the 3x3 layer in conv2_x,
            doubling with every stage (ResNeXt's d): 64 for ResNet, 4 for
            ResNeXt 32x4d, 128 for Wide ResNet-50-2.
        use_bias: conv biases. keras.applications' ResNet50/101/152 have
            them (their weights need them); torchvision's ResNets, ResNeXts
            and Wide ResNets do not, since BatchNorm's beta replaces them.
        stride_in_3x3: stride in the bottleneck's 3x3 layer (ResNeXt,
            torchvision) rather than its first 1x1 (the paper's models,
            keras.applications).
        zero_init_last: start every residual branch at zero (its last
            BatchNorm scale, or its last convolution when pre-activated), so
            that each block starts as its shortcut (Goyal et al. 2017; timm's
            default); False keeps every initialiser at Keras' default, as
            keras.applications does.

    Shortcuts are projections where the shape changes, identities elsewhere
    (option B, section 3.3). Inputs must be at least 32x32.
    """
    check_option(name, "depth", depth, tuple(IMAGENET_DEPTHS))
    block_type, stage_blocks = IMAGENET_DEPTHS[depth]
    if block_type == "basic" and (cardinality, bottleneck_width) != (1, 64):
        raise ValueError(
            f"{name}: depth {depth} uses basic blocks, which have no "
            "cardinality or bottleneck width; use depth 50, 101 or 152."
        )
    check_arguments(name, input_shape, IMAGENET_MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    x = imagenet_stem(inputs, use_bias, post_activation=True)
    if block_type == "basic":
        block, expansion, block_kwargs = basic_block, 1, {}
    else:
        block, expansion = bottleneck_block, 4
        block_kwargs = dict(cardinality=cardinality, bottleneck_width=bottleneck_width,
                            stride_in_3x3=stride_in_3x3)
    x = _post_activation_stages(
        x, block, expansion, (64, 128, 256, 512), stage_blocks, (1, 2, 2, 2),
        shortcut="B", use_bias=use_bias, zero_init_last=zero_init_last,
        **block_kwargs,
    )
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def resnet_v2(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="resnet_v2",
    depth=50,
    zero_init_last=True,
):
    """Pre-activation ResNet for ImageNet (He et al. 2016), as
    keras.applications' ResNet50V2/101V2/152V2 build it.

    Args:
        depth: 50, 101 or 152.
        zero_init_last: start every residual branch at zero, as in
            `resnet`; False keeps Keras' default initialisers.

    As in keras.applications (and the TF-Slim models its weights come from),
    each stage strides in its last block instead of its first and conv5_x
    does not stride, so the resolutions between stages are those of v1; a
    final BN and ReLU (`post_bn`) activate the last block's sum, which no
    block did. Inputs must be at least 32x32.
    """
    check_option(name, "depth", depth, tuple(V2_DEPTHS))
    check_arguments(name, input_shape, IMAGENET_MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    x = imagenet_stem(inputs, use_bias=True, post_activation=False)
    for stage, (filters, blocks, stride) in enumerate(
            zip((64, 128, 256, 512), V2_DEPTHS[depth], (2, 2, 2, 1)), start=2):
        for i in range(blocks):
            x = preact_bottleneck_block(
                x, filters, name=f"conv{stage}_block{i + 1}",
                stride=stride if i == blocks - 1 else 1, conv_shortcut=i == 0,
                zero_init_last=zero_init_last,
            )
    x = bn_act(x, name="post", epsilon=BN_EPSILON)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def resnet_cifar(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="resnet_cifar",
    depth=20,
    shortcut="A",
    residual=True,
):
    """The CIFAR-10 ResNets of He et al. (2015), section 4.2.

    A 3x3 convolution with 16 filters, three stages of n basic blocks with
    16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps, global average
    pooling and the classifier: 6n + 2 weighted layers.

    Args:
        depth: 6n + 2 (20, 32, 44, 56, 110, 1202 in the paper).
        shortcut: "A" (the paper's choice on CIFAR: zero-padded identity,
            no parameters), "B" or "C" (projections, section 4.1).
        residual: False builds the plain network of the same depth, the
            paper's baseline (Figure 6 left); `shortcut` must then stay "A".

    Inputs must be at least 4x4.
    """
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"{name}: depth must be 6n + 2 with n >= 1 (20, 32, "
                         f"44, 56, 110, ...); got {depth}.")
    check_option(name, "shortcut", shortcut, SHORTCUTS)
    if not residual and shortcut != "A":
        raise ValueError(f"{name}: a plain network (residual=False) has no "
                         f"shortcuts; leave shortcut at 'A'.")
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    x = conv_bn_act(inputs, 16, 3, name="conv1", bn_epsilon=BN_EPSILON)
    n = (depth - 2) // 6
    x = _post_activation_stages(
        x, basic_block, 1, (16, 32, 64), (n, n, n), (1, 2, 2),
        shortcut=shortcut if residual else None,
    )
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def _preact_cifar(inputs, stem_filters, stage_filters, stage_blocks, strides,
                  zero_init_last, dropout=0.0):
    """Stem convolution, pre-activation stages, and the final BN and ReLU
    that He et al. (2016) add after the last addition."""
    x = layers.Conv2D(stem_filters, 3, padding="same", use_bias=False,
                      name="conv1_conv")(inputs)
    for stage, (filters, blocks, stride) in enumerate(
            zip(stage_filters, stage_blocks, strides), start=2):
        for i in range(blocks):
            x = preact_basic_block(x, filters, name=f"conv{stage}_block{i + 1}",
                                   stride=stride if i == 0 else 1, dropout=dropout,
                                   zero_init_last=zero_init_last)
    return bn_act(x, name="post", epsilon=BN_EPSILON)


def preact_resnet(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="preact_resnet",
    depth=18,
    zero_init_last=True,
):
    """Pre-activation ResNet-18/34 for CIFAR (He et al. 2016).

    Table 1's four stages of 64 to 512 filters on a 3x3, stride-1 stem, with
    full pre-activation basic blocks; the common CIFAR adaptation of the
    ImageNet network (Liu's pytorch-cifar), plus the paper's final BN-ReLU.

    Args:
        depth: 18 or 34.
        zero_init_last: start every residual branch at zero, as in
            `resnet`; False keeps Keras' default initialisers.

    Inputs must be at least 8x8 (total stride 8).
    """
    check_option(name, "depth", depth, tuple(PREACT_CIFAR_DEPTHS))
    check_arguments(name, input_shape, 8, pooling, weights)
    inputs = keras.Input(input_shape)
    x = _preact_cifar(inputs, 64, (64, 128, 256, 512), PREACT_CIFAR_DEPTHS[depth],
                      (1, 2, 2, 2), zero_init_last)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def wide_resnet(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="wide_resnet",
    depth=28,
    width=10,
    dropout=0.0,
    zero_init_last=True,
):
    """Wide ResNet WRN-depth-width for CIFAR (Zagoruyko and Komodakis 2016,
    Table 1).

    A 3x3 convolution with 16 filters, then three stages of (depth - 4) / 6
    pre-activation basic blocks with 16k, 32k and 64k filters (k = `width`)
    at strides 1, 2, 2, a final BN-ReLU, average pooling and the classifier.

    Args:
        depth: 6n + 4 (16, 22, 28, 40 in the paper).
        width: the widening factor k; k = 1 is the thin pre-activation ResNet.
        dropout: rate of the dropout between the two convolutions of each
            block (Figure 1d; 0.3 on CIFAR in the paper).
        zero_init_last: start every residual branch at zero, as in
            `resnet`; False keeps Keras' default initialisers.

    Inputs must be at least 4x4.
    """
    if depth < 10 or (depth - 4) % 6:
        raise ValueError(f"{name}: depth must be 6n + 4 with n >= 1 (10, 16, "
                         f"22, 28, 40, ...); got {depth}.")
    if width < 1:
        raise ValueError(f"{name}: width must be a positive integer; got {width}.")
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)
    n = (depth - 4) // 6
    inputs = keras.Input(input_shape)
    x = _preact_cifar(inputs, 16, (16 * width, 32 * width, 64 * width), (n, n, n),
                      (1, 2, 2), zero_init_last, dropout)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def resnext_cifar(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="resnext_cifar",
    depth=29,
    cardinality=8,
    bottleneck_width=64,
    base_channels=64,
    zero_init_last=True,
):
    """ResNeXt for CIFAR (Xie et al. 2017, section 5.3).

    A 3x3 convolution with 64 filters, three stages of (depth - 2) / 9
    bottleneck blocks with 256, 512 and 1024 output channels (strides 1, 2,
    2, in the 3x3 layer), average pooling and the classifier.

    Args:
        depth: 9n + 2 (29 in the paper).
        cardinality: groups of each 3x3 layer (8 or 16 in the paper).
        bottleneck_width: channels per group in the first stage, doubling
            with every stage (64 in the paper; 8x64d has 512, 1024 and 2048
            channels in its 3x3 layers).
        base_channels: the stem's channels, 64 in the paper. Every width
            scales with it: the stages output 4, 8 and 16 times as many, and
            a group has `bottleneck_width * base_channels / 64` channels in
            the first stage (32 gives a half-width miniature with the
            paper's equal-cost (C, d) pairs halved).
        zero_init_last: start every residual branch at zero, as in
            `resnet`; False keeps Keras' default initialisers.

    Projection shortcuts where the shape changes. Inputs must be at least 4x4.
    """
    if depth < 11 or (depth - 2) % 9:
        raise ValueError(f"{name}: depth must be 9n + 2 with n >= 1 (11, 20, "
                         f"29, ...); got {depth}.")
    if cardinality < 1 or bottleneck_width < 1 or base_channels < 1:
        raise ValueError(f"{name}: cardinality, bottleneck_width and base_channels "
                         f"must be positive; got {cardinality}, {bottleneck_width} "
                         f"and {base_channels}.")
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)
    n = (depth - 2) // 9
    inputs = keras.Input(input_shape)
    x = conv_bn_act(inputs, base_channels, 3, name="conv1", bn_epsilon=BN_EPSILON)
    x = _post_activation_stages(
        x, bottleneck_block, 4, (base_channels, 2 * base_channels, 4 * base_channels),
        (n, n, n), (1, 2, 2),
        shortcut="B", use_bias=False, cardinality=cardinality,
        bottleneck_width=bottleneck_width, stride_in_3x3=True,
        zero_init_last=zero_init_last,
    )
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


# ResNet-18/34 without conv biases, as torchvision (their reference counts);
# ResNet-50/101/152 with them, as keras.applications (their weights).
register_model("resnet18", resnet, depth=18, use_bias=False)
register_model("resnet34", resnet, depth=34, use_bias=False)
register_model("resnet50", resnet, depth=50)
register_model("resnet101", resnet, depth=101)
register_model("resnet152", resnet, depth=152)
register_model("resnet50_v2", resnet_v2, depth=50)
register_model("resnet101_v2", resnet_v2, depth=101)
register_model("resnet152_v2", resnet_v2, depth=152)
register_model("resnet20", resnet_cifar, depth=20)
register_model("resnet32", resnet_cifar, depth=32)
register_model("resnet44", resnet_cifar, depth=44)
register_model("resnet56", resnet_cifar, depth=56)
register_model("resnet110", resnet_cifar, depth=110)
register_model("preact_resnet18", preact_resnet, depth=18)
register_model("wrn28_10", wide_resnet, depth=28, width=10, dropout=0.3)
register_model("wide_resnet50_2", resnet, depth=50, bottleneck_width=128,
               use_bias=False, stride_in_3x3=True)
register_model("resnext50_32x4d", resnet, depth=50, cardinality=32,
               bottleneck_width=4, use_bias=False, stride_in_3x3=True)
register_model("resnext101_32x8d", resnet, depth=101, cardinality=32,
               bottleneck_width=8, use_bias=False, stride_in_3x3=True)
register_model("resnext29_8x64d", resnext_cifar, depth=29, cardinality=8,
               bottleneck_width=64)
