"""airbench94 (Jordan 2024, "94% on CIFAR-10 in 3.29 seconds on a single
GPU", arXiv:2404.00498; code github.com/KellerJordan/cifar10-airbench,
`legacy/airbench94.py`), the network of the fastest public CIFAR-10
trainers, after Page's ResNet-9 (2018) and hlb-CIFAR10.

The network (the paper's section 3, the code's `make_net`):

- a frozen 2x2 convolution with 24 filters that whitens the image patches
  (`whitening_kernel`, computed from training images), then GELU;
- three blocks of widths 64, 256, 256, each a 3x3 convolution, 2x2 max
  pooling, BatchNorm, GELU, a second 3x3 convolution, BatchNorm, GELU. The
  convolutions have no bias and start as `PartialIdentity` (dirac); the
  BatchNorms have no scale (only the shift is learned), momentum 0.6 in
  Keras' convention (PyTorch's 0.4) and epsilon 1e-12;
- 3x3 max pooling (3x3 to 1x1), a bias-free dense layer, and logits
  multiplied by 1/9 before the softmax.

1,971,328 trainable parameters, 2,616 frozen (whitening kernel and bias,
BatchNorm statistics). airbench94 also trains the whitening layer's bias for
the first 3 epochs; here it stays at zero, one of the 24 + 1,971,328 weights
airbench trains.

Everything else of airbench (batch 1,024, Nesterov SGD, the triangular
learning-rate schedule, label smoothing 0.2, a larger learning rate for the
BatchNorm shifts, lookahead, alternating flips, translate-and-flip
test-time augmentation) belongs to the training recipe, not to the network.
"""

import keras
import numpy as np
from keras import layers

from convnets_tf.data import CIFAR_MEAN, CIFAR_STD
from convnets_tf.layers import PartialIdentity, global_pool, whitening_kernel
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

WHITENING_PATCH = 2


def conv_group(x, filters, batchnorm_momentum, name):
    """One airbench block: conv, 2x2 max pool, BN, GELU, conv, BN, GELU
    (`ConvGroup` in airbench94)."""
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                          kernel_initializer=PartialIdentity(), name=f"{name}_conv{i}")(x)
        if i == 1:
            x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
        x = layers.BatchNormalization(momentum=batchnorm_momentum, epsilon=1e-12,
                                      scale=False, name=f"{name}_bn{i}")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu{i}")(x)
    return x


def airbench(
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="airbench",
    widths=(64, 256, 256),
    batchnorm_momentum=0.6,
    logit_scale=1 / 9,
    whitening_images=None,
):
    """The airbench network (see the module docstring).

    Args:
        widths: the three blocks' channels (airbench94: 64, 256, 256).
        batchnorm_momentum: Keras' BatchNorm momentum, the weight of the old
            moving statistics (airbench94: 0.6).
        logit_scale: the factor on the logits (airbench94: 1/9).
        whitening_images: uint8 training images (N, H, W, 3), as
            `load_cifar` gives them, from which the frozen first layer's
            kernel is computed (airbench94 uses the first 5,000); None
            leaves it random, for a weights file or a shape check.

    The input must be at least 26 pixels on a side: three 2x2 poolings and
    the final 3x3 one after the 2x2 whitening convolution.
    """
    if len(widths) != 3 or min(widths) < 1:
        raise ValueError(f"{name}: widths must be three positive channel counts; got {widths}.")
    check_arguments(name, input_shape, 26, pooling, weights, fixed_size=include_top)
    inputs = keras.Input(input_shape)
    channels = input_shape[-1]
    whiten = layers.Conv2D(2 * WHITENING_PATCH**2 * channels, WHITENING_PATCH,
                           trainable=False, name="whiten")
    x = layers.Activation("gelu", name="whiten_gelu")(whiten(inputs))
    for i, width in enumerate(widths):
        x = conv_group(x, width, batchnorm_momentum, f"block{i + 1}")
    x = layers.MaxPooling2D(3, name="pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(num_classes, use_bias=False, name="logits")(x)
        x = layers.Rescaling(logit_scale, name="logit_scale")(x)
        # The float32 softmax of every model (`classifier`'s reason).
        x = layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    model = make_model(inputs, x, name, weights)
    if whitening_images is not None:
        images = (np.asarray(whitening_images, np.float32) - CIFAR_MEAN) / CIFAR_STD
        kernel = whitening_kernel(images, WHITENING_PATCH)
        whiten.set_weights([kernel, np.zeros(kernel.shape[-1], np.float32)])
    return model


register_model("airbench94", airbench)
