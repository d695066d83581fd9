"""Inception v3 (Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, "Rethinking
the Inception architecture for computer vision", CVPR 2016).

`inception_v3` is the network as released by its authors (TF-slim) and
keras.applications.InceptionV3: the same weights in the same order, so
`ours.set_weights(keras_model.get_weights())` works and a keras.applications
weights file loads through `weights=`. The main outputs' layers carry
keras' names (`mixed0` ... `mixed10`, `avg_pool`, `predictions`).
`aux_logits=True` adds the auxiliary classifier of section 4 on the last
17x17 module; the model then returns `[predictions, aux_predictions]`.

The released network differs from the paper's Table 1 in the stem (a 1x1
convolution with 80 filters, then 3x3 with 192 and a max pooling, where the
table has two 3x3 convolutions) and in keeping one 5x5 branch in the 35x35
modules; keras, TF-slim and torchvision all build the released one.
"""

import keras
from keras import layers

from convnets_tf.layers import classifier, classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.models.inception_common import MIN_SIZE, conv_bn, pool_branch
from convnets_tf.registry import register_model

# The paper gives no weight for the auxiliary loss; the authors' training
# script (TF-slim's train_image_classifier.py) uses 0.4.
AUX_LOSS_WEIGHT = 0.4
AUX_LOSS_WEIGHTS = {"aux_predictions": AUX_LOSS_WEIGHT}

# The auxiliary head's 5x5 pooling needs a 5x5 map on the 17x17 grid,
# which takes a 107x107 input (without it, MIN_SIZE: 75x75).
MIN_SIZE_AUX = 107


def inception_a(x, pool_filters, name):
    """A 35x35 module (Figure 5): the 5x5 convolution of Inception v1
    factorised into two 3x3 convolutions (section 3.1), which see the same
    5x5 window with 18/25 of the cost. The released network keeps one 5x5
    branch (48 -> 64 filters) beside the factorised one."""
    branch1x1 = conv_bn(x, 64, 1, name=f"{name}_branch1x1")
    branch5x5 = conv_bn(x, 48, 1, name=f"{name}_branch5x5_1")
    branch5x5 = conv_bn(branch5x5, 64, 5, name=f"{name}_branch5x5_2")
    branch3x3dbl = conv_bn(x, 64, 1, name=f"{name}_branch3x3dbl_1")
    branch3x3dbl = conv_bn(branch3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_2")
    branch3x3dbl = conv_bn(branch3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_3")
    branch_pool = pool_branch(x, pool_filters, f"{name}_branch_pool", proj="proj")
    return layers.Concatenate(name=name)(
        [branch1x1, branch5x5, branch3x3dbl, branch_pool]
    )


def reduction_a(x, name):
    """35x35 -> 17x17 (Figure 10): stride-2 convolutions and a stride-2
    max pooling side by side, concatenated. Pooling first would make a
    representational bottleneck, convolving first would cost three times as
    much; in parallel, neither (section 5)."""
    branch3x3 = conv_bn(x, 384, 3, strides=2, padding="valid", name=f"{name}_branch3x3")
    branch3x3dbl = conv_bn(x, 64, 1, name=f"{name}_branch3x3dbl_1")
    branch3x3dbl = conv_bn(branch3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_2")
    branch3x3dbl = conv_bn(
        branch3x3dbl, 96, 3, strides=2, padding="valid",
        name=f"{name}_branch3x3dbl_3",
    )
    branch_pool = layers.MaxPooling2D(3, strides=2, name=f"{name}_branch_pool")(x)
    return layers.Concatenate(name=name)([branch3x3, branch3x3dbl, branch_pool])


def inception_b(x, filters_7x7, name):
    """A 17x17 module (Figure 6, n=7): each 7x7 convolution factorised into
    a 1x7 and a 7x1 one (section 3.2), 14/49 of the cost; the paper found
    this works well on medium grids (12 to 20). `filters_7x7` is the width
    inside the factorised branches (128, 160, 160, 192 in mixed4 to 7)."""
    branch1x1 = conv_bn(x, 192, 1, name=f"{name}_branch1x1")
    branch7x7 = conv_bn(x, filters_7x7, 1, name=f"{name}_branch7x7_1")
    branch7x7 = conv_bn(branch7x7, filters_7x7, (1, 7), name=f"{name}_branch7x7_2")
    branch7x7 = conv_bn(branch7x7, 192, (7, 1), name=f"{name}_branch7x7_3")
    branch7x7dbl = conv_bn(x, filters_7x7, 1, name=f"{name}_branch7x7dbl_1")
    for i, (kernel, filters) in enumerate(
        [((7, 1), filters_7x7), ((1, 7), filters_7x7), ((7, 1), filters_7x7),
         ((1, 7), 192)],
        start=2,
    ):
        branch7x7dbl = conv_bn(
            branch7x7dbl, filters, kernel, name=f"{name}_branch7x7dbl_{i}"
        )
    branch_pool = pool_branch(x, 192, f"{name}_branch_pool", proj="proj")
    return layers.Concatenate(name=name)(
        [branch1x1, branch7x7, branch7x7dbl, branch_pool]
    )


def reduction_b(x, name):
    """17x17 -> 8x8, the second efficient grid-size reduction (Figure 10's
    scheme, with a factorised 7x7 in one branch)."""
    branch3x3 = conv_bn(x, 192, 1, name=f"{name}_branch3x3_1")
    branch3x3 = conv_bn(
        branch3x3, 320, 3, strides=2, padding="valid", name=f"{name}_branch3x3_2"
    )
    branch7x7x3 = conv_bn(x, 192, 1, name=f"{name}_branch7x7x3_1")
    branch7x7x3 = conv_bn(branch7x7x3, 192, (1, 7), name=f"{name}_branch7x7x3_2")
    branch7x7x3 = conv_bn(branch7x7x3, 192, (7, 1), name=f"{name}_branch7x7x3_3")
    branch7x7x3 = conv_bn(
        branch7x7x3, 192, 3, strides=2, padding="valid",
        name=f"{name}_branch7x7x3_4",
    )
    branch_pool = layers.MaxPooling2D(3, strides=2, name=f"{name}_branch_pool")(x)
    return layers.Concatenate(name=name)([branch3x3, branch7x7x3, branch_pool])


def inception_c(x, name):
    """An 8x8 module (Figure 7): the 3x3 convolutions' outputs split into a
    1x3 and a 3x1 convolution side by side, which widens the module instead
    of deepening it. On the coarsest grid this promotes high-dimensional
    representations (principle 2 of section 2)."""
    branch1x1 = conv_bn(x, 320, 1, name=f"{name}_branch1x1")
    branch3x3 = conv_bn(x, 384, 1, name=f"{name}_branch3x3_1")
    branch3x3 = layers.Concatenate(name=f"{name}_branch3x3")([
        conv_bn(branch3x3, 384, (1, 3), name=f"{name}_branch3x3_2a"),
        conv_bn(branch3x3, 384, (3, 1), name=f"{name}_branch3x3_2b"),
    ])
    branch3x3dbl = conv_bn(x, 448, 1, name=f"{name}_branch3x3dbl_1")
    branch3x3dbl = conv_bn(branch3x3dbl, 384, 3, name=f"{name}_branch3x3dbl_2")
    branch3x3dbl = layers.Concatenate(name=f"{name}_branch3x3dbl")([
        conv_bn(branch3x3dbl, 384, (1, 3), name=f"{name}_branch3x3dbl_3a"),
        conv_bn(branch3x3dbl, 384, (3, 1), name=f"{name}_branch3x3dbl_3b"),
    ])
    branch_pool = pool_branch(x, 192, f"{name}_branch_pool", proj="proj")
    return layers.Concatenate(name=name)(
        [branch1x1, branch3x3, branch3x3dbl, branch_pool]
    )


def auxiliary_classifier(x, num_classes, activation, name="aux"):
    """The auxiliary classifier on the last 17x17 module (section 4,
    Figure 8), as in the authors' TF-slim code: 5x5 average pooling with
    stride 3, a 1x1 convolution with 128 filters, then a 768-filter
    convolution as large as the pooled map (5x5 at 299x299; the authors'
    code shrinks it for smaller inputs), which acts as a fully connected
    layer with batch normalisation, the paper's "BN-auxiliary" (Table 3),
    and the linear classifier. The paper found it helps as a regulariser,
    not by speeding up early training.
    """
    x = layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = conv_bn(x, 128, 1, name=f"{name}_conv1")
    kernel = (min(5, x.shape[1]), min(5, x.shape[2]))
    x = conv_bn(x, 768, kernel, padding="valid", name=f"{name}_conv2")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    return classifier(x, num_classes, activation, name=f"{name}_predictions")


def inception_v3(
    input_shape=(299, 299, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="inception_v3",
    aux_logits=False,
):
    """Inception v3 (Table 1 of the paper, as released).

    Args:
        aux_logits: add the auxiliary classifier (section 4) on `mixed7`,
            the last 17x17 module. The model then returns
            `[predictions, aux_predictions]`; the authors weight the
            auxiliary loss by `AUX_LOSS_WEIGHT` (`AUX_LOSS_WEIGHTS` is the
            `loss_weights` dictionary). Needs `include_top=True` and an
            input of at least 107x107.

    The other arguments are those of keras.applications. Input must be at
    least 75x75 (107x107 with `aux_logits`); the paper trains at 299x299.
    """
    if aux_logits and not include_top:
        raise ValueError(
            f"{name}: aux_logits=True needs include_top=True; the auxiliary "
            "classifier is a classifier."
        )
    check_arguments(
        name, input_shape, MIN_SIZE_AUX if aux_logits else MIN_SIZE, pooling,
        weights,
    )

    inputs = keras.Input(input_shape)
    # The stem: plain convolutions down to 35x35; inception modules on a
    # larger grid would cost much and gain little (section 2).
    x = conv_bn(inputs, 32, 3, strides=2, padding="valid", name="conv1")
    x = conv_bn(x, 32, 3, padding="valid", name="conv2")
    x = conv_bn(x, 64, 3, name="conv3")
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = conv_bn(x, 80, 1, padding="valid", name="conv4")
    x = conv_bn(x, 192, 3, padding="valid", name="conv5")
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)

    x = inception_a(x, 32, name="mixed0")
    x = inception_a(x, 64, name="mixed1")
    x = inception_a(x, 64, name="mixed2")
    x = reduction_a(x, name="mixed3")
    for i, filters_7x7 in enumerate((128, 160, 160, 192), start=4):
        x = inception_b(x, filters_7x7, name=f"mixed{i}")
    aux_input = x
    x = reduction_b(x, name="mixed8")
    x = inception_c(x, name="mixed9")
    x = inception_c(x, name="mixed10")

    outputs = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    if aux_logits:
        outputs = [
            outputs,
            auxiliary_classifier(aux_input, num_classes, classifier_activation),
        ]
    return make_model(inputs, outputs, name, weights)


register_model("inception_v3", inception_v3)
