"""GoogLeNet, Inception v1 (Szegedy et al., "Going deeper with
convolutions", CVPR 2015).

`googlenet` is the network of the paper's Table 1 and Figure 3, without
batch normalisation (which came later, with Inception v2): a stem with local
response normalisation, nine inception modules, global average pooling,
dropout 0.4 and one linear layer. `aux_logits=True` adds the two auxiliary
classifiers of section 5, used only for training; the model then has three
outputs, main first, and the auxiliary losses are weighted by
`AUX_LOSS_WEIGHT`:

    train_cifar(lambda: build("googlenet", aux_logits=True, ...), ...,
                loss_weights=AUX_LOSS_WEIGHTS)
"""

import keras
from keras import layers

from convnets_tf.layers import (
    LocalResponseNormalization,
    classifier,
    classifier_top,
    conv_relu,
)
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

# Table 1, one row per module: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5,
# pool proj. The output depth is #1x1 + #3x3 + #5x5 + pool proj.
INCEPTION_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}

# Section 5: "during training, their loss gets added to the total loss of
# the network with a discount weight (the losses of the auxiliary
# classifiers were weighted by 0.3)".
AUX_LOSS_WEIGHT = 0.3
# The auxiliary classifiers sit on the outputs of inception (4a) and (4d).
AUX_OUTPUTS = {"aux1_predictions": "4a", "aux2_predictions": "4d"}
AUX_LOSS_WEIGHTS = {output: AUX_LOSS_WEIGHT for output in AUX_OUTPUTS}

# The main path downsamples by 32 with 'same' padding, so any input gives a
# map; 32x32 is where the last stage sees one position, the convention
# keras.applications uses for its other stride-32 networks. The auxiliary
# heads' 5x5 pooling needs a 5x5 map at stride 16: ceil(n / 16) >= 5.
MIN_SIZE = 32
MIN_SIZE_AUX = 65

# The CIFAR miniature: Table 1's modules at half their filter numbers.
CIFAR_MODULES = {
    module: tuple(n // 2 for n in filters) for module, filters in INCEPTION_MODULES.items()
}
CIFAR_MIN_SIZE = 8
# Its control, `inception=False`: one 3x3 convolution per module, every
# convolution of a stage as wide as gives the stage the multiply-adds of its
# inception modules (w solves 9 * depth_in * w + 9 * (n - 1) * w**2 = the
# modules' weights, rounded), so the two networks cost the same per stage.
CIFAR_PLAIN_WIDTHS = {"3": 85, "4": 129, "5": 206}


def max_pool(x, name, strides=2):
    """3x3 max pooling, 'same' padding as in Figure 3: with stride 2 it
    halves the grid, 224 -> 112 -> 56 -> 28 -> 14 -> 7 (Table 1)."""
    return layers.MaxPooling2D(3, strides=strides, padding="same", name=name)(x)


def stem(x, width, first_kernel, first_strides):
    """The layers below the inception modules (Figure 3): a convolution,
    3x3 max pooling, LRN, a 1x1 and a 3x3 convolution (`width`, `width`
    and 3 x `width` filters) and LRN. The LRN parameters are the BVLC Caffe
    reproduction's (size 5, alpha 1e-4 divided by the size, beta 0.75, k
    1): the paper gives none."""
    x = conv_relu(x, width, first_kernel, strides=first_strides, name="conv1")
    x = max_pool(x, name="pool1")
    x = LocalResponseNormalization(bias=1.0, alpha=1e-4 / 5, name="lrn1")(x)
    x = conv_relu(x, width, 1, name="conv2_reduce")
    x = conv_relu(x, 3 * width, 3, name="conv2")
    return LocalResponseNormalization(bias=1.0, alpha=1e-4 / 5, name="lrn2")(x)


def inception_module(x, filters, name):
    """The inception module with dimension reductions (Figure 2b).

    Four parallel branches see the same input at different scales (1x1,
    3x3, 5x5 and 3x3 max pooling) and are concatenated along the channels.
    The 1x1 "reduce" convolutions before the 3x3 and 5x5 convolutions, and
    the "pool proj" 1x1 after the pooling, shrink the depth the expensive
    convolutions read, which keeps the module's cost from blowing up as
    modules are stacked (section 4). `filters` is a row of Table 1.
    """
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = filters
    branch1x1 = conv_relu(x, n1x1, 1, name=f"{name}_1x1")
    branch3x3 = conv_relu(x, n3x3_reduce, 1, name=f"{name}_3x3_reduce")
    branch3x3 = conv_relu(branch3x3, n3x3, 3, name=f"{name}_3x3")
    branch5x5 = conv_relu(x, n5x5_reduce, 1, name=f"{name}_5x5_reduce")
    branch5x5 = conv_relu(branch5x5, n5x5, 5, name=f"{name}_5x5")
    branch_pool = max_pool(x, strides=1, name=f"{name}_pool")
    branch_pool = conv_relu(branch_pool, pool_proj, 1, name=f"{name}_pool_proj")
    return layers.Concatenate(name=name)(
        [branch1x1, branch3x3, branch5x5, branch_pool]
    )


def auxiliary_classifier(x, num_classes, activation, name):
    """An auxiliary classifier on an intermediate module (section 5).

    5x5 average pooling with stride 3 (4x4x512 on (4a) at 224x224), a 1x1
    convolution with 128 filters and ReLU, a fully connected layer of 1024
    units with ReLU, dropout 0.7 and a linear layer with softmax. It adds
    gradient to the middle of the network and regularises it; it is
    discarded at inference time.
    """
    x = layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = conv_relu(x, 128, 1, name=f"{name}_conv")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(1024, activation="relu", name=f"{name}_fc")(x)
    x = layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return classifier(x, num_classes, activation, name=f"{name}_predictions")


def googlenet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="googlenet",
    aux_logits=False,
):
    """GoogLeNet (Table 1, Figure 3).

    Args:
        aux_logits: add the two auxiliary classifiers of section 5, on
            inception (4a) and (4d). The model then returns
            `[predictions, aux1_predictions, aux2_predictions]`; weight the
            auxiliary losses by `AUX_LOSS_WEIGHT` (`AUX_LOSS_WEIGHTS` is the
            `loss_weights` dictionary). Needs `include_top=True` and an
            input of at least 65x65.

    The other arguments are those of keras.applications. Input must be at
    least 32x32 (65x65 with `aux_logits`). The paper's "7x7 average
    pooling" is global average pooling here, so other input sizes work. LRN
    as in `stem`. Weights use Keras' default initialisers.
    """
    if aux_logits and not include_top:
        raise ValueError(
            f"{name}: aux_logits=True needs include_top=True; the auxiliary "
            "classifiers are classifiers."
        )
    check_arguments(
        name, input_shape, MIN_SIZE_AUX if aux_logits else MIN_SIZE, pooling,
        weights,
    )

    inputs = keras.Input(input_shape)
    # "All the convolutions, including those inside the Inception modules,
    # use rectified linear activation" (section 5): `conv_relu`, 'same'
    # padding, the (S) of Figure 3.
    x = stem(inputs, 64, 7, first_strides=2)
    x = max_pool(x, name="pool2")

    aux_inputs = {}
    for module, filters in INCEPTION_MODULES.items():
        # Table 1: a stride-2 max pooling closes stages 3 and 4.
        if module in ("4a", "5a"):
            x = max_pool(x, name=f"pool{int(module[0]) - 1}")
        x = inception_module(x, filters, name=f"inception_{module}")
        aux_inputs[module] = x

    # Average pooling, dropout 0.4 and the linear layer (Table 1, section 5).
    outputs = classifier_top(x, num_classes, include_top, pooling,
                             classifier_activation, dropout=0.4)
    if aux_logits:
        outputs = [outputs] + [
            auxiliary_classifier(
                aux_inputs[module], num_classes, classifier_activation,
                name=output.removesuffix("_predictions"),
            )
            for output, module in AUX_OUTPUTS.items()
        ]
    return make_model(inputs, outputs, name, weights)


def googlenet_cifar(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="googlenet_cifar",
    inception=True,
):
    """A miniature GoogLeNet for CIFAR, not a network of the paper: for
    experiments a CPU can afford (notebook 05).

    Table 1's layers at half their filter numbers, on grids of 16, 8 and 4
    instead of 28, 14 and 7: the stem with a 3x3 stride-1 first
    convolution and without its last pooling, the nine
    inception modules with a pooling between stages, global average
    pooling, dropout 0.4 and the classifier; no auxiliary classifiers.
    `inception=False` is the control: a plain stack with one 3x3
    convolution in place of each module, as many layers and as many
    multiply-adds per stage (`CIFAR_PLAIN_WIDTHS`), so narrower. Input
    must be at least 8x8, where the last stage sees one position.
    """
    check_arguments(name, input_shape, CIFAR_MIN_SIZE, pooling, weights)
    inputs = keras.Input(input_shape)
    x = stem(inputs, 32, 3, first_strides=1)   # no pool2: stage 3 at 16x16
    for module, filters in CIFAR_MODULES.items():
        if module in ("4a", "5a"):
            x = max_pool(x, name=f"pool{int(module[0]) - 1}")
        if inception:
            x = inception_module(x, filters, name=f"inception_{module}")
        else:
            x = conv_relu(x, CIFAR_PLAIN_WIDTHS[module[0]], 3, name=f"plain_{module}")
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                       dropout=0.4)
    return make_model(inputs, x, name, weights)


register_model("googlenet", googlenet)
