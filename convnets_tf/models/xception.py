"""Xception (Chollet, "Xception: Deep learning with depthwise separable
convolutions", CVPR 2017, arXiv:1610.02357).

The hypothesis (section 2): cross-channel and spatial correlations can be
mapped entirely separately, so every Inception module becomes a depthwise
separable convolution, a 3x3 depthwise convolution followed by a 1x1
pointwise one (`SeparableConv2D`), with no non-linearity between the two
(section 4.7, Figure 10). The network (Figure 5) is 36 such convolutional
layers in 14 modules, all but the first and last with linear residual
connections:

- entry flow: two 3x3 convolutions (32 and 64 filters, the first strided),
  then three modules of two separable convolutions and 3x3/2 max-pooling
  (128, 256, 728 filters), each with a strided 1x1 projection shortcut;
- middle flow: eight modules of three ReLU-separable convolutions (728
  filters) with identity shortcuts;
- exit flow: a module to 1024 filters with a projection shortcut, then two
  separable convolutions (1536, 2048) with ReLU, global average pooling and
  the classifier (the paper's optional fully connected layers are left out,
  as in keras.applications and the reported ImageNet model).

`xception` is keras.applications' Xception: the same layers, the same
weights in the same order, so its ImageNet file loads with `weights=`.
Keras leaves the shortcut projections unnamed; here they are
`block{n}_shortcut_conv` and `block{n}_shortcut_bn`. Batch normalisation
follows every convolution (section 3), with Keras' default epsilon 1e-3.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

# keras.applications' limit (the paper's network trains at 299x299).
MIN_SIZE = 71
MIDDLE_FLOW_MODULES = 8


def separable_bn(x, filters, name, activation_name=None):
    """ReLU (when `activation_name` is given), a 3x3 depthwise separable
    convolution without bias (`{name}`) and BatchNorm (`{name}_bn`): the unit
    of every Xception module. keras.applications names the ReLU after the
    convolution that follows it, hence the separate name."""
    if activation_name:
        x = layers.Activation("relu", name=activation_name)(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def shortcut_projection(x, filters, name):
    """The strided 1x1 projection and BatchNorm of a downsampling module
    (Figure 5: "Conv 1x1, stride=2x2")."""
    x = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False,
                      name=f"{name}_shortcut_conv")(x)
    return layers.BatchNormalization(name=f"{name}_shortcut_bn")(x)


def downsampling_module(x, filters, name, first_relu=True):
    """An entry- or exit-flow module (Figure 5): [ReLU] SepConv, ReLU
    SepConv, 3x3/2 max-pooling, plus the projected shortcut.

    `filters` is a pair: the two separable convolutions' widths (728 then
    1024 in the exit flow). The first module of the entry flow reads the
    stem's ReLU output, so it starts without one (`first_relu=False`). The
    shortcut's weights are created first, as in keras.applications.
    """
    shortcut = shortcut_projection(x, filters[1], name)
    x = separable_bn(x, filters[0], f"{name}_sepconv1",
                     f"{name}_sepconv1_act" if first_relu else None)
    x = separable_bn(x, filters[1], f"{name}_sepconv2", f"{name}_sepconv2_act")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    return layers.Add(name=f"{name}_add")([x, shortcut])


def middle_module(x, name, filters=728):
    """A middle-flow module (Figure 5): three ReLU-SepConv-BN units and an
    identity shortcut."""
    y = x
    for i in (1, 2, 3):
        y = separable_bn(y, filters, f"{name}_sepconv{i}", f"{name}_sepconv{i}_act")
    return layers.Add(name=f"{name}_add")([y, x])


def xception(
    input_shape=(299, 299, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="xception",
    middle_flow_modules=MIDDLE_FLOW_MODULES,
):
    """Xception (Chollet 2017, Figure 5), as keras.applications builds it.

    Args:
        middle_flow_modules: repetitions of the middle flow's module (8 in
            Figure 5).

    The stem's two 3x3 convolutions are unpadded ('valid'), so a 299x299
    image becomes 147x147 before the first module. Inputs must be at least
    71x71 (keras.applications' limit).
    """
    if middle_flow_modules < 0:
        raise ValueError(f"{name}: middle_flow_modules must be >= 0; "
                         f"got {middle_flow_modules}.")
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    # Entry flow.
    x = inputs
    for i, (filters, strides) in enumerate(((32, 2), (64, 1)), start=1):
        x = layers.Conv2D(filters, 3, strides=strides, use_bias=False,
                          name=f"block1_conv{i}")(x)
        x = layers.BatchNormalization(name=f"block1_conv{i}_bn")(x)
        x = layers.Activation("relu", name=f"block1_conv{i}_act")(x)
    x = downsampling_module(x, (128, 128), "block2", first_relu=False)
    x = downsampling_module(x, (256, 256), "block3")
    x = downsampling_module(x, (728, 728), "block4")
    # Middle flow.
    for i in range(middle_flow_modules):
        x = middle_module(x, f"block{i + 5}")
    # Exit flow.
    block = middle_flow_modules + 5
    x = downsampling_module(x, (728, 1024), f"block{block}")
    x = separable_bn(x, 1536, f"block{block + 1}_sepconv1")
    x = layers.Activation("relu", name=f"block{block + 1}_sepconv1_act")(x)
    x = separable_bn(x, 2048, f"block{block + 1}_sepconv2")
    x = layers.Activation("relu", name=f"block{block + 1}_sepconv2_act")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("xception", xception)
