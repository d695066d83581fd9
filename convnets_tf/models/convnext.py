"""ConvNeXt (Liu, Mao, Wu, Feichtenhofer, Darrell and Xie, "A ConvNet for
the 2020s", CVPR 2022, arXiv:2201.03545).

A ResNet "modernised" step by step towards a Swin Transformer (section 2,
Figure 2): stage ratio 1:1:3:1 (3:3:9:3 blocks), a patchify stem (4x4
convolution, stride 4), depthwise convolutions with the widths of Swin
(96-192-384-768 for T), an inverted bottleneck (expansion 4), a 7x7 kernel
moved up before the bottleneck, GELU, a single activation and a single
LayerNorm per block, and separate downsampling layers (LayerNorm and a 2x2
convolution with stride 2). Training adds stochastic depth and layer scale
initialised at 1e-6 (section 2.1 and Appendix A.1).

`convnext_tiny` ... `convnext_xlarge` (Table 9's configurations: C = (96,
192, 384, 768), B = (3, 3, 9, 3) for T; (96, ...), (3, 3, 27, 3) for S;
(128, ...) B; (192, ...) L; (256, ...) XL) are keras.applications'
ConvNeXtTiny ... ConvNeXtXLarge: the same layers under the same names,
including the built-in ImageNet normalisation (`include_preprocessing`),
the stem and downsampling layers as nested `Sequential` models, and the
weights in the same order, so their ImageNet files load with `weights=`.
Their stochastic depth rates are the paper's (Appendix A.1, Table 5: 0.1,
0.4, 0.5 and 0.5 for T/S/B/L trained on ImageNet-1K, 0.2 for XL, which
the paper trains on ImageNet-22K only); keras.applications leaves it at 0.
It acts only in training, so outputs still agree.

`convnext_tiny_patch2` is ConvNeXt-T for 32x32 images: the patchify stem
cuts 2x2 patches (stride 2) instead of 4x4, so the four stages see 16x16,
8x8, 4x4 and 2x2 maps instead of 8x8 down to 1x1; everything else is
ConvNeXt-T's (a stem with a quarter of the weights; 27,824,362
parameters with its default 10-class head).

`roadmap(step)` builds each step of section 2's roadmap from ResNet-50 to
ConvNeXt-T (Figure 2, Table 10; `ROADMAP` lists the steps with the paper's
GFLOPs) from the package's blocks: `resnet.bottleneck_block` for ResNet-50
up to the wide depthwise ResNeXt, `roadmap_block` for the inverted
bottlenecks of the middle steps, and `convnext` itself for the last. The
steps are not registered: they exist to be counted and, scaled down,
trained (notebook 21).

The 7x7 depthwise convolution is keras.applications' `Conv2D(groups=channels)`
with the same kernel shape, built as `GroupedConv2D`, which computes it as a
depthwise convolution: Keras runs grouped convolutions on CPU through XLA,
orders of magnitude slower (GUIDE.md).
"""

from fractions import Fraction

import keras
import numpy as np
from keras import layers

from convnets_tf.layers import (
    DropPath,
    GroupedConv2D,
    LayerScale,
    classifier,
    classifier_top,
    conv_bn_act,
    global_pool,
    symmetric_pad,
)
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.models.resnet import (
    BN_EPSILON,
    bottleneck_block,
    imagenet_stem,
    shortcut_kind,
)
from convnets_tf.registry import register_model

# Liu et al. (2022), section 3 and Table 9: blocks per stage and widths.
CONFIGS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
# Appendix A.1, Table 5: stochastic depth rates (ImageNet-1K training for
# T/S/B/L; XL is only trained on ImageNet-22K, at 0.2).
DROP_PATH_RATES = {"tiny": 0.1, "small": 0.4, "base": 0.5, "large": 0.5, "xlarge": 0.2}
LN_EPSILON = 1e-6  # keras.applications and the authors' code
# keras.applications' PreStem: ImageNet mean and standard deviation of
# pixels in [0, 255].
IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
IMAGENET_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)


def convnext_block(x, name, drop_path_rate=0.0, layer_scale_init_value=1e-6, kernel_size=7):
    """The ConvNeXt block (Figure 4 right, section 2.6): 7x7 depthwise
    convolution, LayerNorm, a 1x1 expansion to 4C with GELU and a 1x1
    projection back (Dense layers on the channel axis, as the authors and
    keras.applications implement them), layer scale, stochastic depth, and
    the residual addition. Names follow keras.applications'
    `{name}_depthwise_conv`, `{name}_layernorm`, `{name}_pointwise_conv_1`,
    `{name}_gelu`, `{name}_pointwise_conv_2`, `{name}_layer_scale`.
    `kernel_size` is the depthwise kernel (7; section 2.5 tries 3 to 11)."""
    channels = x.shape[-1]
    y = GroupedConv2D(channels, kernel_size, padding="same", groups=channels,
                      name=f"{name}_depthwise_conv")(x)
    y = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}_layernorm")(y)
    y = layers.Dense(4 * channels, name=f"{name}_pointwise_conv_1")(y)
    y = layers.Activation("gelu", name=f"{name}_gelu")(y)
    y = layers.Dense(channels, name=f"{name}_pointwise_conv_2")(y)
    if layer_scale_init_value is not None:
        y = LayerScale(layer_scale_init_value, channels, name=f"{name}_layer_scale")(y)
    if drop_path_rate:
        y = DropPath(drop_path_rate, name=f"{name}_stochastic_depth")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def downsampling_layer(filters, index, name, patch_size=4):
    """The stem (`index` 0: a `patch_size` x `patch_size` convolution with
    the same stride, then LayerNorm; section 2.2 "Changing stem to
    Patchify") or a downsampling layer (LayerNorm, then a 2x2 convolution
    with stride 2; section 2.6 "Separate downsampling layers"), as the
    nested `Sequential` models of keras.applications."""
    if index == 0:
        return keras.Sequential([
            layers.Conv2D(filters, patch_size, strides=patch_size, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}_stem_layernorm"),
        ], name=f"{name}_stem")
    i = index - 1
    return keras.Sequential([
        layers.LayerNormalization(epsilon=LN_EPSILON,
                                  name=f"{name}_downsampling_layernorm_{i}"),
        layers.Conv2D(filters, 2, strides=2, name=f"{name}_downsampling_conv_{i}"),
    ], name=f"{name}_downsampling_block_{i}")


def convnext(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="convnext",
    depths=CONFIGS["tiny"][0],
    widths=CONFIGS["tiny"][1],
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    patch_size=4,
    include_preprocessing=True,
    kernel_size=7,
):
    """ConvNeXt (Liu et al. 2022, Figure 2 and Table 9).

    Args:
        depths: blocks per stage (3, 3, 9, 3 for T; 3, 3, 27, 3 otherwise).
        widths: channels per stage, C (96, 192, 384, 768 for T/S).
        drop_path_rate: stochastic depth, rising linearly from 0 in the first
            block to this rate in the last (Huang et al. 2016; Appendix A.1).
        layer_scale_init_value: layer scale's initial value (1e-6); None
            leaves layer scale out.
        patch_size: the patchify stem's kernel and stride (4 in the paper;
            2 suits 32x32 images).
        include_preprocessing: start with keras.applications' fixed
            normalisation by the ImageNet mean and standard deviation, so
            that the model takes pixels in [0, 255], as keras' ConvNeXt.

    Inputs must be at least 8 * `patch_size` pixels on a side (32 for the
    paper's stem): the three downsampling layers need 2x2 maps.
    """
    if len(depths) != 4 or len(widths) != 4:
        raise ValueError(f"{name}: depths and widths must have four stages; got "
                         f"{depths} and {widths}.")
    if not 0 <= drop_path_rate < 1:
        raise ValueError(f"{name}: drop_path_rate must be in [0, 1); got {drop_path_rate}.")
    if patch_size < 1:
        raise ValueError(f"{name}: patch_size must be a positive integer; got {patch_size}.")
    check_arguments(name, input_shape, 8 * patch_size, pooling, weights)

    inputs = keras.Input(input_shape)
    x = inputs
    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(
            mean=list(IMAGENET_MEAN), variance=[s**2 for s in IMAGENET_STD],
            name=f"{name}_prestem_normalization",
        )(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    block = 0
    for stage, (depth, width) in enumerate(zip(depths, widths)):
        x = downsampling_layer(width, stage, name, patch_size)(x)
        for j in range(depth):
            x = convnext_block(x, f"{name}_stage_{stage}_block_{j}", rates[block],
                               layer_scale_init_value, kernel_size)
            block += 1
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}_head_layernorm")(x)
        x = classifier(x, num_classes, classifier_activation, name=f"{name}_head_dense")
    else:
        # keras.applications normalises the features, pooled or not.
        x = global_pool(x, pooling)
        x = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}_head_layernorm")(x)
    return make_model(inputs, x, name, weights)


for _size, (_depths, _widths) in CONFIGS.items():
    register_model(f"convnext_{_size}", convnext, depths=_depths, widths=_widths,
                   drop_path_rate=DROP_PATH_RATES[_size])
register_model("convnext_tiny_patch2", convnext, input_shape=(32, 32, 3), num_classes=10,
               depths=CONFIGS["tiny"][0], widths=CONFIGS["tiny"][1],
               drop_path_rate=DROP_PATH_RATES["tiny"], patch_size=2)


# -- The roadmap: ResNet-50 to ConvNeXt-T, one step at a time (Figure 2) ----
#
# Each step is the previous network with one change (section 2). The steps
# are builders for the notebook and the tests, not registered models: they
# exist to be counted and compared, and a few to be trained small.

# (step, what changes, Table 10's GFLOPs: fvcore's count, in which one
# multiply-add is one FLOP). Table 10 is Figure 2's data to two decimals.
ROADMAP = (
    ("resnet50", "ResNet-50: stem 7x7/2 + max-pool, bottlenecks (3, 4, 6, 3)", 4.09),
    ("stage_ratio", "blocks per stage (3, 4, 6, 3) -> (3, 3, 9, 3)", 4.53),
    ("patchify_stem", "stem -> 4x4 convolution, stride 4", 4.42),
    ("depthwise_conv", "bottleneck's 3x3 -> depthwise 3x3", 2.35),
    ("increase_width", "widths 64 -> 96 (Swin-T's C)", 5.27),
    ("inverted_bottleneck", "1x1 96->384, d3x3, 1x1 384->96 (Figure 3b)", 4.64),
    ("move_up_depthwise", "depthwise first: d3x3, 1x1 up, 1x1 down (Figure 3c)", 4.07),
    ("kernel_7", "depthwise 3x3 -> 7x7", 4.15),
    ("gelu", "ReLU -> GELU", 4.15),
    ("fewer_activations", "one GELU per block, between the 1x1 layers", 4.15),
    ("fewer_norms", "one norm per block, after the depthwise convolution", 4.15),
    ("layer_norm", "BatchNorm -> LayerNorm", 4.46),
    ("separate_downsampling", "LN + 2x2/2 convolutions between stages: ConvNeXt-T", 4.49),
)
ROADMAP_STEPS = tuple(step for step, _, _ in ROADMAP)
# Section 2.5: the kernel sizes tried; 7 was kept (Table 10's GFLOPs).
ROADMAP_KERNEL_GFLOPS = {3: 4.07, 5: 4.10, 7: 4.15, 9: 4.21, 11: 4.29}
RESNET50_DEPTHS = (3, 4, 6, 3)


def roadmap_design(step):
    """The design choices in force at roadmap `step` (a name of
    `ROADMAP_STEPS` or its index), as a dict: each step keeps the previous
    ones (section 2)."""
    index = ROADMAP_STEPS.index(step) if step in ROADMAP_STEPS else step
    if not isinstance(index, int) or not 0 <= index < len(ROADMAP_STEPS):
        raise ValueError(f"roadmap: step must be one of {', '.join(ROADMAP_STEPS)} or "
                         f"0 to {len(ROADMAP_STEPS) - 1}; got {step!r}.")

    def since(name):
        return index >= ROADMAP_STEPS.index(name)

    return {
        "index": index,
        "step": ROADMAP_STEPS[index],
        "stage_ratio": since("stage_ratio"),
        "patchify": since("patchify_stem"),
        "depthwise": since("depthwise_conv"),
        "wide": since("increase_width"),
        "inverted": since("inverted_bottleneck"),
        "depthwise_first": since("move_up_depthwise"),
        "kernel_size": 7 if since("kernel_7") else 3,
        "activation": "gelu" if since("gelu") else "relu",
        "one_activation": since("fewer_activations"),
        "one_norm": since("fewer_norms"),
        "norm": "layer" if since("layer_norm") else "batch",
        "separate_downsampling": since("separate_downsampling"),
    }


def _conv_norm_act(x, filters, kernel_size, name, norm, activation, strides=1,
                   groups=1):
    """A bias-free convolution, then `norm` ("batch": `conv_bn_act`, ResNet's
    epsilon; "layer": LayerNorm `{name}_ln`; None: nothing) and
    `activation` (None: linear). A stride pads symmetrically, as
    torchvision's ResNet, except a patchify convolution (kernel equal to
    stride), which cuts non-overlapping patches without padding."""
    if kernel_size == strides:
        padding = "valid"
    else:
        x, padding = symmetric_pad(x, kernel_size, strides, name)
    if norm == "batch":
        return conv_bn_act(x, filters, kernel_size, name=name, strides=strides,
                           padding=padding, groups=groups, activation=activation,
                           bn_epsilon=BN_EPSILON)
    conv = GroupedConv2D if groups > 1 else layers.Conv2D
    x = conv(filters, kernel_size, strides=strides, padding=padding, groups=groups,
             use_bias=norm is None, name=f"{name}_conv")(x)
    if norm == "layer":
        x = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}_ln")(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x


def roadmap_block(x, width, name, stride=1, kernel_size=3, depthwise_first=False,
                  activation="relu", one_activation=False, one_norm=False, norm="batch"):
    """The inverted-bottleneck blocks of the roadmap's middle steps, from
    Figure 3 (b) to Figure 4's ConvNeXt block with the downsampling still
    inside the block (sections 2.4 to 2.6):

    - (b) `depthwise_first=False`: 1x1 `width` -> 4 `width`, depthwise
      `kernel_size`, 1x1 back to `width`; (c) `depthwise_first=True`: the
      depthwise convolution first, on the block's input channels.
    - Every convolution normalised and activated, ResNet-style (the last
      one only normalised, the activation after the addition), until
      `one_activation` (only between the two 1x1 layers) and `one_norm`
      (only after the depthwise convolution). `norm` "batch" or "layer".
    - The first block of a stage strides in its depthwise convolution and
      projects its shortcut (1x1 convolution with `stride`, normalised), as
      ResNet's blocks do (section 2.6, "Separate downsampling layers").
    """
    expanded = 4 * width
    last_act = None if one_activation else activation

    def norm_if(first):  # the one norm left is the depthwise convolution's
        return norm if (first or not one_norm) else None

    if stride != 1 or x.shape[-1] != width:
        shortcut = _conv_norm_act(x, width, 1, f"{name}_0", norm, None, strides=stride)
    else:
        shortcut = x
    if depthwise_first:
        y = _conv_norm_act(x, x.shape[-1], kernel_size, f"{name}_1", norm, last_act,
                           strides=stride, groups=x.shape[-1])
        y = _conv_norm_act(y, expanded, 1, f"{name}_2", norm_if(False), activation)
    else:
        y = _conv_norm_act(x, expanded, 1, f"{name}_1", norm_if(False), activation)
        y = _conv_norm_act(y, expanded, kernel_size, f"{name}_2", norm_if(True), last_act,
                           strides=stride, groups=expanded)
    y = _conv_norm_act(y, width, 1, f"{name}_3", norm_if(False), None)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    if last_act is not None:
        y = layers.Activation(last_act, name=f"{name}_out")(y)
    return y


def _depthwise_bottleneck(x, filters, name, stride, shortcut):
    """ResNet's bottleneck with a depthwise 3x3 layer (section 2.3): one
    channel per group, so the cardinality is the width, `filters`, and the
    width per group 64 / `filters` of ResNet's 64-channel template (the
    Fraction keeps `bottleneck_block`'s integer arithmetic exact)."""
    return bottleneck_block(x, filters, name, stride=stride, shortcut=shortcut,
                            use_bias=False, cardinality=filters,
                            bottleneck_width=Fraction(64, filters), stride_in_3x3=True)


def roadmap(
    step,
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name=None,
    depths=None,
    widths=CONFIGS["tiny"][1],
    kernel_size=None,
    patch_size=4,
):
    """The network at one step of the roadmap from ResNet-50 to ConvNeXt-T
    (Liu et al. 2022, section 2, Figure 2, Table 10). Not registered.

    Steps (`ROADMAP_STEPS`), each adding its change to the previous ones:

    0. `resnet50`: torchvision's ResNet-50 (v1.5: stride in the 3x3 layer,
       no conv biases), the paper's baseline; the same network as
       `resnet(depth=50, use_bias=False, stride_in_3x3=True)`.
    1. `stage_ratio`: (3, 3, 9, 3) blocks, Swin-T's 1:1:3:1.
    2. `patchify_stem`: a `patch_size` x `patch_size` convolution with that
       stride (and BN, ReLU) replaces the 7x7/2 convolution and max-pooling.
    3. `depthwise_conv`: the bottleneck's 3x3 layer is depthwise.
    4. `increase_width`: bottleneck widths 64, ... -> `widths` (96, ...).
    5. `inverted_bottleneck` ... 11. `layer_norm`: `roadmap_block`, with a
       residual stream of `widths` channels.
    12. `separate_downsampling`: `convnext` itself (ConvNeXt-T with the
       default `widths` and depths), with layer scale.

    Steps 0-4 are `resnet.bottleneck_block`s (ResNet-50 and its
    depthwise ResNeXt), 5-11 `roadmap_block`s, 12 `convnext_block`s.

    Args:
        step: a name of `ROADMAP_STEPS` or its index.
        depths: blocks per stage; default (3, 4, 6, 3) at step 0 and
            (3, 3, 9, 3) after. Given, it holds at every step.
        widths: ConvNeXt's C per stage (Swin-T's 96, 192, 384, 768), used
            from `increase_width` on; the steps before use two thirds of
            them (ResNet-50's 64, 128, 256, 512 bottleneck widths).
        kernel_size: the depthwise kernel (default 3 before `kernel_7`, 7
            from it; section 2.5 tries 3 to 11).
        patch_size: the patchify stem's kernel and stride, from step 2 on
            (4; 2 or 1 suit 32x32 images).

    There is no ImageNet normalisation layer: the inputs are the normalised
    images the training pipeline gives (step 12 is built with
    `include_preprocessing=False`, which has no weights).
    """
    design = roadmap_design(step)
    name = name or f"roadmap_{design['step']}"
    if depths is None:
        depths = CONFIGS["tiny"][0] if design["stage_ratio"] else RESNET50_DEPTHS
    if len(depths) != 4 or len(widths) != 4:
        raise ValueError(f"{name}: depths and widths must have four stages; got "
                         f"{depths} and {widths}.")
    kernel_size = kernel_size or design["kernel_size"]
    if design["separate_downsampling"]:
        return convnext(input_shape, num_classes, include_top, pooling,
                        classifier_activation, weights, name, depths=depths, widths=widths,
                        kernel_size=kernel_size, patch_size=patch_size,
                        include_preprocessing=False)
    stem_stride = patch_size if design["patchify"] else 4
    check_arguments(name, input_shape, 8 * stem_stride, pooling, weights)

    inputs = keras.Input(input_shape)
    resnet_widths = [2 * w // 3 for w in widths]
    if not design["patchify"]:
        x = imagenet_stem(inputs, use_bias=False, post_activation=True)
    else:
        stem_width = widths[0] if design["wide"] else resnet_widths[0]
        stem_act = None if design["one_activation"] else design["activation"]
        x = _conv_norm_act(inputs, stem_width, patch_size, "stem", design["norm"], stem_act,
                           strides=patch_size)
    for stage, depth in enumerate(depths):
        for j in range(depth):
            block = f"stage{stage + 1}_block{j + 1}"
            stride = 2 if stage > 0 and j == 0 else 1
            if design["inverted"]:
                x = roadmap_block(
                    x, widths[stage], block, stride, kernel_size,
                    design["depthwise_first"], design["activation"],
                    design["one_activation"], design["one_norm"], design["norm"])
                continue
            filters = widths[stage] if design["wide"] else resnet_widths[stage]
            kind = shortcut_kind(x, 4 * filters, stride, "B")
            if design["depthwise"]:
                x = _depthwise_bottleneck(x, filters, block, stride, kind)
            else:
                x = bottleneck_block(x, filters, block, stride=stride, shortcut=kind,
                                     use_bias=False, stride_in_3x3=True)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)
