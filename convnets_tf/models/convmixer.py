"""ConvMixer (Trockman and Kolter, "Patches are all you need?", TMLR 2023,
arXiv:2201.09792).

The question (section 1): is the strength of vision transformers the
attention, or the patch representation? ConvMixer keeps only the latter. A
patch embedding (a p x p convolution with stride p to h channels), then d
identical layers that keep the resolution and width: a k x k depthwise
convolution with a residual connection mixes space, a pointwise
convolution mixes channels, each followed by GELU and BatchNorm (section
2, Figure 2 and its PyTorch listing). Global average pooling and a linear
classifier finish it. ConvMixer-h/d names the width and depth.

- `convmixer_1536_20`: h = 1536, d = 20, p = 7, k = 9 (Table 1:
  51.6M parameters; here 51,625,960 trainable).
- `convmixer_768_32`: h = 768, d = 32, p = 7, k = 7 (Table 1: 21.1M; here
  21,110,248).
- `convmixer_256_8`: the CIFAR-10 network of section 3 and the authors'
  CIFAR script, h = 256, d = 8, p = 2, k = 5, for 32x32 images and 10
  classes: 594,186 trainable parameters (595,722 with the BatchNorm
  statistics). keras-io's ConvMixer example uses the same h, d, p and k;
  the 0.8M sometimes quoted for it is not what these settings give
  (tests/test_convmixer.py counts them by hand).

Every convolution has a bias, as in the paper's PyTorch code; BatchNorm
uses PyTorch's epsilon 1e-5 and Keras' "gelu" is the exact GELU of
PyTorch's `nn.GELU`. The depthwise convolution is Keras' `DepthwiseConv2D`
(fast on CPU, GUIDE.md).
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

BN_EPSILON = 1e-5


def gelu_bn(x, name):
    """GELU then BatchNorm: the paper applies the activation before the
    normalisation, after every convolution."""
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    return layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)


def convmixer_layer(x, kernel_size, name):
    """One ConvMixer layer (section 2, Eqns. 2 and 3): x + BN(GELU(depthwise
    k x k conv(x))), then BN(GELU(pointwise conv(.)))."""
    y = layers.DepthwiseConv2D(kernel_size, padding="same", name=f"{name}_depthwise_conv")(x)
    y = gelu_bn(y, f"{name}_depthwise")
    x = layers.Add(name=f"{name}_add")([x, y])
    x = layers.Conv2D(x.shape[-1], 1, name=f"{name}_pointwise_conv")(x)
    return gelu_bn(x, f"{name}_pointwise")


def convmixer(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="convmixer",
    width=1536,
    depth=20,
    patch_size=7,
    kernel_size=9,
):
    """ConvMixer-`width`/`depth` (Trockman and Kolter, section 2 and
    Table 1).

    Args:
        width: h, the channels of the patch embedding and every layer.
        depth: d, the number of ConvMixer layers.
        patch_size: p, the patch embedding's kernel and stride.
        kernel_size: k, the depthwise convolution's kernel.

    Inputs must be at least `patch_size` pixels on a side (one patch).
    """
    for option, value in (("width", width), ("depth", depth), ("patch_size", patch_size),
                          ("kernel_size", kernel_size)):
        if value < 1:
            raise ValueError(f"{name}: {option} must be a positive integer; got {value}.")
    check_arguments(name, input_shape, patch_size, pooling, weights)

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(width, patch_size, strides=patch_size, name="stem_conv")(inputs)
    x = gelu_bn(x, "stem")
    for i in range(depth):
        x = convmixer_layer(x, kernel_size, f"layer{i + 1}")
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("convmixer_1536_20", convmixer, width=1536, depth=20, patch_size=7,
               kernel_size=9)
register_model("convmixer_768_32", convmixer, width=768, depth=32, patch_size=7,
               kernel_size=7)
register_model("convmixer_256_8", convmixer, input_shape=(32, 32, 3), num_classes=10,
               width=256, depth=8, patch_size=2, kernel_size=5)
