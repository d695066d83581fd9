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

Options for experiments, none of which changes the default network:

- `intermediate_activation`: a non-linearity between the depthwise and the
  pointwise step of every separable convolution, the comparison of section
  4.7 and Figure 10 (none, ReLU, ELU). The split convolution is then a
  `DepthwiseConv2D` (`{name}_depthwise`), the activation
  (`{name}_intermediate`) and a 1x1 `Conv2D` (`{name}_pointwise`): the same
  weights as a `SeparableConv2D`, so "linear" computes what None computes.
- `cifar_stem`: fewer early strides for 32x32 images. The stem's two 3x3
  convolutions keep the resolution (stride 1, 'same' padding) instead of
  taking 299 to 147, so the three entry-flow modules take 32x32 to 4x4 for
  the middle flow and the exit flow ends at 2x2.
- `width`: multiplies every layer's filters (32, 64, 128, 256, 728, 1024,
  1536, 2048 in Figure 5).

`xception_cifar` is the CIFAR network of notebook 12: `cifar_stem`, a
quarter of the width (728 -> 182 filters in the middle flow) and four
middle-flow modules instead of eight, 0.93M parameters.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

# keras.applications' limit (the paper's network trains at 299x299).
MIN_SIZE = 71
# With `cifar_stem` every layer pads to 'same': any size builds.
CIFAR_MIN_SIZE = 1
MIDDLE_FLOW_MODULES = 8


def separable_bn(x, filters, name, activation_name=None, intermediate_activation=None):
    """ReLU (when `activation_name` is given), a 3x3 depthwise separable
    convolution without bias (`{name}`) and BatchNorm (`{name}_bn`): the unit
    of every Xception module. keras.applications names the ReLU after the
    convolution that follows it, hence the separate name.

    `intermediate_activation` (None: none, as in the paper's network) goes
    between the depthwise and the pointwise step (section 4.7, Figure 10);
    given one, the convolution is built as its two steps,
    `{name}_depthwise`, `{name}_intermediate` and `{name}_pointwise`, with
    the same weights as the `SeparableConv2D`.
    """
    if activation_name:
        x = layers.Activation("relu", name=activation_name)(x)
    if intermediate_activation is None:
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    else:
        x = layers.DepthwiseConv2D(3, padding="same", use_bias=False,
                                   name=f"{name}_depthwise")(x)
        x = layers.Activation(intermediate_activation, name=f"{name}_intermediate")(x)
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def shortcut_projection(x, filters, name):
    """The strided 1x1 projection and BatchNorm of a downsampling module
    (Figure 5: "Conv 1x1, stride=2x2")."""
    x = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False,
                      name=f"{name}_shortcut_conv")(x)
    return layers.BatchNormalization(name=f"{name}_shortcut_bn")(x)


def downsampling_module(x, filters, name, first_relu=True, intermediate_activation=None):
    """An entry- or exit-flow module (Figure 5): [ReLU] SepConv, ReLU
    SepConv, 3x3/2 max-pooling, plus the projected shortcut.

    `filters` is a pair: the two separable convolutions' widths (728 then
    1024 in the exit flow). The first module of the entry flow reads the
    stem's ReLU output, so it starts without one (`first_relu=False`). The
    shortcut's weights are created first, as in keras.applications.
    """
    shortcut = shortcut_projection(x, filters[1], name)
    x = separable_bn(x, filters[0], f"{name}_sepconv1",
                     f"{name}_sepconv1_act" if first_relu else None, intermediate_activation)
    x = separable_bn(x, filters[1], f"{name}_sepconv2", f"{name}_sepconv2_act",
                     intermediate_activation)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    return layers.Add(name=f"{name}_add")([x, shortcut])


def middle_module(x, name, filters=728, intermediate_activation=None):
    """A middle-flow module (Figure 5): three ReLU-SepConv-BN units and an
    identity shortcut."""
    y = x
    for i in (1, 2, 3):
        y = separable_bn(y, filters, f"{name}_sepconv{i}", f"{name}_sepconv{i}_act",
                         intermediate_activation)
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
    intermediate_activation=None,
    cifar_stem=False,
    width=1.0,
):
    """Xception (Chollet 2017, Figure 5), as keras.applications builds it.

    Args:
        middle_flow_modules: repetitions of the middle flow's module (8 in
            Figure 5).
        intermediate_activation: None (the paper's choice), or an activation
            name ("relu", "elu", "linear", ...) put between the depthwise
            and pointwise step of every separable convolution (section 4.7,
            Figure 10).
        cifar_stem: fewer early strides: the stem's convolutions keep the
            input's size (stride 1, 'same' padding), for 32x32 images.
        width: multiplier of every layer's filters (1 in Figure 5).

    The stem's two 3x3 convolutions are unpadded ('valid'), so a 299x299
    image becomes 147x147 before the first module. Inputs must be at least
    71x71 (keras.applications' limit); with `cifar_stem`, any size.
    """
    if middle_flow_modules < 0:
        raise ValueError(f"{name}: middle_flow_modules must be >= 0; "
                         f"got {middle_flow_modules}.")
    if not width > 0:
        raise ValueError(f"{name}: width must be positive; got {width}.")
    if intermediate_activation is not None:
        try:
            keras.activations.get(intermediate_activation)
        except ValueError:
            raise ValueError(
                f"{name}: intermediate_activation must be None or a Keras activation "
                f"name such as 'linear', 'relu' or 'elu'; got {intermediate_activation!r}."
            ) from None
    check_arguments(name, input_shape, CIFAR_MIN_SIZE if cifar_stem else MIN_SIZE,
                    pooling, weights)

    def w(filters):
        return max(1, round(filters * width))

    act = intermediate_activation
    inputs = keras.Input(input_shape)
    # Entry flow.
    x = inputs
    for i, (filters, strides) in enumerate(((32, 2), (64, 1)), start=1):
        x = layers.Conv2D(w(filters), 3, strides=1 if cifar_stem else strides,
                          padding="same" if cifar_stem else "valid", use_bias=False,
                          name=f"block1_conv{i}")(x)
        x = layers.BatchNormalization(name=f"block1_conv{i}_bn")(x)
        x = layers.Activation("relu", name=f"block1_conv{i}_act")(x)
    x = downsampling_module(x, (w(128), w(128)), "block2", first_relu=False,
                            intermediate_activation=act)
    x = downsampling_module(x, (w(256), w(256)), "block3", intermediate_activation=act)
    x = downsampling_module(x, (w(728), w(728)), "block4", intermediate_activation=act)
    # Middle flow.
    for i in range(middle_flow_modules):
        x = middle_module(x, f"block{i + 5}", w(728), intermediate_activation=act)
    # Exit flow.
    block = middle_flow_modules + 5
    x = downsampling_module(x, (w(728), w(1024)), f"block{block}",
                            intermediate_activation=act)
    x = separable_bn(x, w(1536), f"block{block + 1}_sepconv1", intermediate_activation=act)
    x = layers.Activation("relu", name=f"block{block + 1}_sepconv1_act")(x)
    x = separable_bn(x, w(2048), f"block{block + 1}_sepconv2", intermediate_activation=act)
    x = layers.Activation("relu", name=f"block{block + 1}_sepconv2_act")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("xception", xception)
register_model("xception_cifar", xception, input_shape=(32, 32, 3), num_classes=10,
               cifar_stem=True, width=0.25, middle_flow_modules=4)
