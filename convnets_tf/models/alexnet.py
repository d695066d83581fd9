"""AlexNet (Krizhevsky, Sutskever and Hinton, "ImageNet classification with
deep convolutional neural networks", NeurIPS 2012).

`alexnet` is the paper's two-tower network as one graph: the two GPUs of
section 3.2 become `groups=2` on conv2, conv4 and conv5, the layers whose
kernels read only the maps on their own GPU, computed by `GroupedConv2D`
(Keras' grouped `Conv2D`, fast on CPU too). `two_tower=False` gives the
single-tower model. `alexnet_cifar` swaps the 11x11 stride-4 stem, which
would shrink a 32x32 image to nothing, for a 3x3 stride-1 one.
"""

import keras
from keras import layers

from convnets_tf.layers import LocalResponseNormalization, classifier_top, conv_relu
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model


def overlapping_pool(x, name):
    """3x3 max-pooling with stride 2 (section 3.4): overlapping windows
    lowered the paper's top-1 error by 0.4% against 2x2 stride 2."""
    return layers.MaxPooling2D(3, strides=2, name=name)(x)


def alexnet(
    input_shape=(227, 227, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="alexnet",
    two_tower=True,
    cifar_stem=False,
    dropout=0.5,
):
    """AlexNet.

    Args:
        two_tower: `groups=2` on conv2, conv4 and conv5 as in the paper's
            two-GPU model (60,965,224 parameters); False for one tower
            (62,378,344).
        cifar_stem: conv1 becomes 96 3x3 filters with stride 1, so that
            32x32 CIFAR images keep a 3x3 map after the three poolings.
        dropout: rate on the outputs of fc6 and fc7 (section 4.2).

    The other arguments are those of keras.applications. Input must be at
    least 67x67 with the ImageNet stem (the paper uses 227x227, the size at
    which its 224 plus the 11x11 stride-4 arithmetic works out) and 15x15
    with the CIFAR stem. Weights use Keras' default initialisers rather than
    the paper's N(0, 0.01) with unit biases, which stalls without its
    hand-tuned schedule.
    """
    check_arguments(name, input_shape, 15 if cifar_stem else 67, pooling, weights,
                    fixed_size=include_top)
    groups = 2 if two_tower else 1

    inputs = keras.Input(input_shape)
    # Every layer is a convolution with bias and ReLU (section 3.1). With
    # groups=2 each half of the filters reads one half of the input maps, as
    # each GPU's kernels read only the maps on their own GPU (section 3.2).
    if cifar_stem:
        x = conv_relu(inputs, 96, 3, name="conv1")
    else:
        x = conv_relu(inputs, 96, 11, strides=4, padding="valid", name="conv1")
    # LRN follows the ReLU of the first two layers (section 3.3).
    x = LocalResponseNormalization(name="lrn1")(x)
    x = overlapping_pool(x, name="pool1")
    x = conv_relu(x, 256, 5, groups=groups, name="conv2")
    x = LocalResponseNormalization(name="lrn2")(x)
    x = overlapping_pool(x, name="pool2")
    # conv3 is where the two GPUs talk to each other: it reads all maps.
    x = conv_relu(x, 384, 3, name="conv3")
    x = conv_relu(x, 384, 3, groups=groups, name="conv4")
    x = conv_relu(x, 256, 3, groups=groups, name="conv5")
    x = overlapping_pool(x, name="pool5")

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc6")(x)
        x = layers.Dropout(dropout, name="drop6")(x)
        x = layers.Dense(4096, activation="relu", name="fc7")(x)
        x = layers.Dropout(dropout, name="drop7")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                       name="fc8")
    return make_model(inputs, x, name, weights)


register_model("alexnet", alexnet)
register_model(
    "alexnet_cifar", alexnet, cifar_stem=True, input_shape=(32, 32, 3),
    num_classes=10,
)
