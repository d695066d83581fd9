"""Network In Network (Lin, Chen and Yan, "Network In Network", ICLR 2014).

Each layer of the network is an mlpconv layer: a convolution followed by 1x1
convolutions, a small multilayer perceptron slid over the image (section
3.1). The last mlpconv layer makes one feature map per class, and global
average pooling turns each map into that class's score, so there is no
fully connected classifier (section 3.2).

`nin_cifar` is the paper's CIFAR-10 network (section 4.2) and `nin` the
ImageNet network of the authors' Caffe model zoo, layer for layer as in
their Caffe definitions (gists mavenlin/e56253735ef32c3c296d and
mavenlin/d802a5849de39225bcc6); the paper gives no ImageNet model. Layer
names follow those definitions: `convN` for each mlpconv layer's first
convolution, `cccp1`, `cccp2`, ... for the 1x1 ones ("cascaded cross
channel parametric pooling").
"""

import keras
from keras import layers

from convnets_tf.layers import conv_relu, global_pool
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

# One row per mlpconv layer: the filters of its convolution and of the 1x1
# convolutions after it, the convolution's kernel size and stride, and the
# pooling that follows it ("max", "avg", or None before the global average
# pooling). The last layer's final 1x1 convolution, the one with a map per
# class, belongs to the top and is added by the builder.
CONFIGS = {
    "imagenet": (
        ((96, 96, 96), 11, 4, "max"),
        ((256, 256, 256), 5, 1, "max"),
        ((384, 384, 384), 3, 1, "max"),
        ((1024, 1024), 3, 1, None),
    ),
    "cifar": (
        ((192, 160, 96), 5, 1, "max"),
        ((192, 192, 192), 5, 1, "avg"),
        ((192, 192), 3, 1, None),
    ),
}
# The mlpconv layers whose pooled outputs go through dropout: "dropout is
# applied on the outputs of all but the last mlpconv layers" on CIFAR-10
# (section 4.1); only before the last one in the ImageNet definition.
DROPOUT_AFTER = {"imagenet": (3,), "cifar": (1, 2)}
# The smallest input each configuration takes: the poolings must leave at
# least one pixel (see the notebook for the arithmetic).
MIN_SIZES = {"imagenet": 39, "cifar": 2}


def mlpconv(x, filters, kernel_size, index, strides=1):
    """An mlpconv layer (section 3.1, Figure 2): a `kernel_size`
    convolution, then one 1x1 convolution per further entry of `filters`,
    each with ReLU.

    The 1x1 convolutions are the micro-network's hidden and output layers:
    at every position they mix the channels of the convolution below, which
    the paper calls cross channel parametric pooling. A strided convolution
    is unpadded, as in Caffe; the others keep the size ('same').

    The paper sets the initial weights by hand (section 4.1). Keras' default,
    Glorot uniform, halves the signal's variance at every ReLU: through the
    nine layers of `nin_cifar` the class scores start near 0.01, the softmax
    is uniform and SGD barely moves. He initialisation (He et al. 2015),
    made for ReLU networks, keeps the variance.
    """
    x = conv_relu(
        x, filters[0], kernel_size, f"conv{index}", strides=strides,
        padding="valid" if strides > 1 else "same", kernel_initializer="he_normal",
    )
    for j, width in enumerate(filters[1:]):
        x = conv_relu(x, width, 1, f"cccp{2 * index - 1 + j}",
                      kernel_initializer="he_normal")
    return x


def caffe_pool(x, kind, name):
    """3x3 pooling with stride 2 and Caffe's output size.

    Caffe counts pooling windows rounding up, keeping a last window that
    overhangs the bottom and right edge by a pixel and is clipped there: an
    n x n map gives ceil((n - 3) / 2) + 1 = floor(n / 2) outputs per side,
    where Keras' 'valid' gives floor((n - 3) / 2) + 1. For max-pooling a row
    and a column of zeros at the bottom and right give Keras the same
    windows, and because the inputs come out of a ReLU a zero never exceeds
    the real maximum: the outputs are Caffe's on every input size. Average
    pooling uses 'same' padding, which on even sizes (the paper's 16x16
    CIFAR map) also pads only the bottom and right and, like Caffe, divides
    by the number of pixels inside the map; on odd sizes it gives one more
    window than Caffe.
    """
    if kind == "avg":
        return layers.AveragePooling2D(3, strides=2, padding="same", name=name)(x)
    x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_pad")(x)
    return layers.MaxPooling2D(3, strides=2, name=name)(x)


def nin(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="nin",
    config="imagenet",
    dropout=0.5,
):
    """Network In Network.

    Args:
        config: "imagenet" (four mlpconv layers, 96-256-384-1024 maps) or
            "cifar" (the paper's three mlpconv layers, 192-160-96,
            192-192-192, 192-192-10).
        dropout: the rate after the pooled outputs of the mlpconv layers
            listed in `DROPOUT_AFTER`.

    The top is the last 1x1 convolution, with `num_classes` filters and a
    ReLU as in the Caffe definitions, global average pooling, which turns
    each class map into a score, and `classifier_activation`. There is no
    dense layer, so `include_top=False` leaves out only that convolution
    and the model ends with the last mlpconv layer's hidden maps (1024 or
    192), which `pooling` reduces as in keras.applications. The average
    pooling and the activation compute in float32, so the output is float32
    under mixed precision.
    """
    check_option(name, "config", config, CONFIGS)
    check_arguments(name, input_shape, MIN_SIZES[config], pooling, weights)
    stages = CONFIGS[config]

    inputs = keras.Input(input_shape)
    x = inputs
    for index, (filters, kernel_size, strides, pool) in enumerate(stages, start=1):
        if index == len(stages) and include_top:
            filters = (*filters, num_classes)
        x = mlpconv(x, filters, kernel_size, index, strides=strides)
        if pool is not None:
            x = caffe_pool(x, pool, name=f"pool{index}")
        if index in DROPOUT_AFTER[config]:
            x = layers.Dropout(dropout, name=f"drop{index}")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(dtype="float32", name="global_pool")(x)
        x = layers.Activation(
            classifier_activation, dtype="float32", name="predictions"
        )(x)
    else:
        x = global_pool(x, pooling)
    return make_model(inputs, x, name, weights)


register_model("nin", nin)
register_model(
    "nin_cifar", nin, config="cifar", input_shape=(32, 32, 3), num_classes=10
)
