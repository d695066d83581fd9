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

The 7x7 depthwise convolution is keras.applications' `Conv2D(groups=channels)`
with the same kernel shape, built as `GroupedConv2D`, which computes it as a
depthwise convolution: Keras runs grouped convolutions on CPU through XLA,
orders of magnitude slower (GUIDE.md).
"""

import keras
import numpy as np
from keras import layers

from convnets_tf.layers import DropPath, GroupedConv2D, LayerScale, classifier, global_pool
from convnets_tf.models.common import check_arguments, make_model
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


def convnext_block(x, name, drop_path_rate=0.0, layer_scale_init_value=1e-6):
    """The ConvNeXt block (Figure 4 right, section 2.6): 7x7 depthwise
    convolution, LayerNorm, a 1x1 expansion to 4C with GELU and a 1x1
    projection back (Dense layers on the channel axis, as the authors and
    keras.applications implement them), layer scale, stochastic depth, and
    the residual addition. Names follow keras.applications'
    `{name}_depthwise_conv`, `{name}_layernorm`, `{name}_pointwise_conv_1`,
    `{name}_gelu`, `{name}_pointwise_conv_2`, `{name}_layer_scale`."""
    channels = x.shape[-1]
    y = GroupedConv2D(channels, 7, padding="same", groups=channels,
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
                               layer_scale_init_value)
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
