"""VGG (Simonyan and Zisserman, "Very deep convolutional networks for
large-scale image recognition", ICLR 2015).

The paper's configurations (Table 1) are five blocks of 3x3 convolutions,
each block ending in 2x2 max-pooling, then three fully connected layers.
`vgg11`, `vgg13`, `vgg16` and `vgg19` are configurations A, B, D and E;
`config="A-LRN"` and `config="C"` give the other two, and `config="B-5x5"`
the shallow network that section 4.1 compares with B. With the defaults,
`vgg16` and `vgg19` are keras.applications' VGG16 and VGG19: the same layer
names and the same weights in the same order, so their ImageNet files load
with `weights=`.

`batch_norm=True` puts batch normalisation between each convolution and its
ReLU, as torchvision's `vgg*_bn` models do (the paper predates it).
`cifar_head=True` narrows the two 4096-unit layers to 512 units (see
`vgg`). `vgg16_cifar` is configuration D with both, for 32x32 images and 10
classes.
"""

import keras
from keras import layers

from convnets_tf.layers import (
    LocalResponseNormalization,
    classifier_top,
    conv_bn_act,
    conv_relu,
)
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

# Table 1: the kernel size of each convolution, block by block. All blocks
# share the widths below; configuration C's 1x1 convolutions add depth (a
# non-linearity) without changing the receptive field.
CONFIGS = {
    "A": ((3,), (3,), (3, 3), (3, 3), (3, 3)),
    "A-LRN": ((3,), (3,), (3, 3), (3, 3), (3, 3)),
    "B": ((3, 3), (3, 3), (3, 3), (3, 3), (3, 3)),
    # Section 4.1's shallow control: B with each pair of 3x3 convolutions
    # replaced by one 5x5, the same receptive field with fewer layers.
    "B-5x5": ((5,), (5,), (5,), (5,), (5,)),
    "C": ((3, 3), (3, 3), (3, 3, 1), (3, 3, 1), (3, 3, 1)),
    "D": ((3, 3), (3, 3), (3, 3, 3), (3, 3, 3), (3, 3, 3)),
    "E": ((3, 3), (3, 3), (3, 3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3)),
}
# "The width of conv. layers ... starting from 64 in the first layer and then
# increasing by a factor of 2 after each max-pooling layer, until it reaches
# 512" (section 2.2).
WIDTHS = (64, 128, 256, 512, 512)


def vgg_block(x, filters, kernel_sizes, name, batch_norm=False, lrn=False):
    """One stack of Table 1: stride-1 'same' convolutions with ReLU, then
    2x2 max-pooling with stride 2, which halves the resolution (section 2.1).

    Layers are named as in keras.applications (`block1_conv1`, ...,
    `block1_pool`). With `batch_norm`, each convolution keeps its bias and
    batch normalisation uses epsilon 1e-5, as in torchvision's `vgg*_bn`, so
    the counts and weights correspond to those models. `lrn` adds the
    A-LRN configuration's local response normalisation after the first
    convolution, with AlexNet's parameters (section 2.2).
    """
    for i, kernel_size in enumerate(kernel_sizes, start=1):
        conv_name = f"{name}_conv{i}"
        if batch_norm:
            x = conv_bn_act(
                x, filters, kernel_size, name=conv_name, use_bias=True,
                bn_epsilon=1e-5,
            )
        else:
            x = conv_relu(x, filters, kernel_size, name=conv_name)
        if lrn and i == 1:
            x = LocalResponseNormalization(name=f"{name}_lrn")(x)
    return layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)


def vgg(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="vgg16",
    config="D",
    batch_norm=False,
    cifar_head=False,
    dropout=0.5,
    widths=WIDTHS,
):
    """VGG.

    Args:
        config: a column of Table 1: "A", "A-LRN", "B", "C", "D" or "E";
            or "B-5x5", section 4.1's shallow version of B.
        batch_norm: a BatchNormalization layer between every convolution and
            its ReLU (not in the paper; torchvision's `vgg*_bn`).
        cifar_head: the fully connected layers fc1 and fc2 get 512 units
            instead of 4096. A 32x32 image leaves a 1x1x512 map after block5,
            so fc1 reads 512 values; 4096-unit layers would hold 18.9 million
            of a VGG-16's parameters, more than its 13 convolutions (14.7
            million), to classify 10 classes from 50,000 images. 512-512 is
            the head of the common CIFAR VGGs (Zagoruyko's cifar.torch,
            chengyangfu/pytorch-vgg-cifar10) and keeps the paper's structure
            of two hidden layers with dropout.
        dropout: rate after fc1 and fc2 (section 3.1: "dropout
            regularisation for the first two fully-connected layers").
        widths: the channels of the five blocks (the paper's 64, 128, 256,
            512, 512); narrower ones make the small networks that
            experiments on a CPU can afford.

    The other arguments are those of keras.applications. The input must be
    at least 32x32: the five poolings divide it by 32. Dropout layers hold
    no weights, so keras.applications' files (which have none) still load.
    """
    check_option(name, "config", config, CONFIGS)  # Table 1
    if len(widths) != len(WIDTHS) or min(widths) < 1:
        raise ValueError(f"{name}: widths must be five positive channel counts, one per "
                         f"block (the paper's {WIDTHS}); got {widths}.")
    check_arguments(name, input_shape, 32, pooling, weights, fixed_size=include_top)

    inputs = keras.Input(input_shape)
    x = inputs
    for block, (filters, kernel_sizes) in enumerate(
        zip(widths, CONFIGS[config]), start=1
    ):
        x = vgg_block(
            x, filters, kernel_sizes, name=f"block{block}",
            batch_norm=batch_norm, lrn=config == "A-LRN" and block == 1,
        )

    if include_top:
        units = 512 if cifar_head else 4096
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(units, activation="relu", name="fc1")(x)
        x = layers.Dropout(dropout, name="fc1_dropout")(x)
        x = layers.Dense(units, activation="relu", name="fc2")(x)
        x = layers.Dropout(dropout, name="fc2_dropout")(x)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


# A quarter of the paper's widths, capped at 128: the small VGGs that the
# notebooks' controlled experiments can afford to train on a CPU.
QUARTER_WIDTHS = (16, 32, 64, 128, 128)


def quarter_vgg(config="A", batch_norm=True, dropout=0.0, name="vgg_quarter"):
    """`vgg` for 32x32 CIFAR-10 images at `QUARTER_WIDTHS` with the 512-512
    CIFAR head: the network of the notebooks' experiments (04, 06, 23,
    24), about 0.9 million parameters in configuration A or B."""
    return vgg(input_shape=(32, 32, 3), num_classes=10, name=name, config=config,
               batch_norm=batch_norm, cifar_head=True, dropout=dropout,
               widths=QUARTER_WIDTHS)


register_model("vgg11", vgg, config="A")
register_model("vgg13", vgg, config="B")
register_model("vgg16", vgg, config="D")
register_model("vgg19", vgg, config="E")
register_model(
    "vgg16_cifar", vgg, config="D", batch_norm=True, cifar_head=True,
    input_shape=(32, 32, 3), num_classes=10,
)
