"""Blocks shared by the Inception networks: Inception v3 (`inception_v3.py`),
Inception-v4 (`inception_v4.py`) and Inception-ResNet-v1/v2
(`inception_resnet.py`).

Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, "Rethinking the Inception
architecture for computer vision", CVPR 2016; Szegedy, Ioffe, Vanhoucke and
Alemi, "Inception-v4, Inception-ResNet and the impact of residual
connections on learning", AAAI 2017.
"""

from keras import layers

from convnets_tf.layers import conv_bn_act

# The smallest input the stride-2 'valid' layers of the stems and reduction
# blocks reduce to a 1x1 map (the same for Inception v3 and all three
# networks of the Inception-v4 paper), as in keras.applications.
MIN_SIZE = 75


def conv_bn(x, filters, kernel_size, name, strides=1, padding="same"):
    """The Inception unit: convolution without bias, BatchNorm without scale
    (gamma) and epsilon 1e-3, ReLU; keras.applications' `conv2d_bn` and the
    authors' TF-slim code.

    Normalising every convolution comes from BN-Inception (Ioffe and
    Szegedy 2015), where Inception v3 starts (Table 3). A ReLU follows every
    BatchNorm, so a positive gamma would pass through it and the next
    convolution absorbs it. Convolutions marked "V" in the Inception-v4
    figures are 'valid', the others 'same' (section 3.1).
    """
    return conv_bn_act(
        x, filters, kernel_size, name, strides=strides, padding=padding,
        bn_scale=False,
    )


def conv_chain(x, specs, name):
    """One Inception branch: conv units in sequence.

    Each spec is `(filters, kernel_size)` or `(filters, kernel_size,
    strides, padding)`; unit j is named `{name}_{j}`.
    """
    for j, spec in enumerate(specs):
        filters, kernel_size, *rest = spec
        x = conv_bn(x, filters, kernel_size, f"{name}_{j}", *rest)
    return x


def pool_branch(x, filters, name, proj="0"):
    """The pooling branch of the non-reducing Inception modules (Inception
    v3, Figures 5-7; Inception-v4, Figures 4-6): 3x3 average pooling with
    stride 1 (`{name}_pool`), then a 1x1 projection (`{name}_{proj}`)."""
    x = layers.AveragePooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    return conv_bn(x, filters, 1, f"{name}_{proj}")


def stem_base(x):
    """The three 3x3 convolutions every stem of the Inception-v4 paper
    begins with (Figures 3 and 14): 299x299x3 -> 147x147x64."""
    x = conv_bn(x, 32, 3, "conv2d_1a", strides=2, padding="valid")
    x = conv_bn(x, 32, 3, "conv2d_2a", padding="valid")
    return conv_bn(x, 64, 3, "conv2d_2b")


def reduction_a(x, k, l, m, n, name="mixed_6a"):
    """Reduction-A of the Inception-v4 paper (Figure 7), 35x35 -> 17x17,
    shared by its three networks with Table 1's filter counts: a 3x3/2
    convolution with n filters, a 1x1 (k) - 3x3 (l) - 3x3/2 (m) tower and a
    3x3/2 max pooling, side by side, so the output has n + m + input
    channels."""
    return layers.Concatenate(name=name)([
        conv_bn(x, n, 3, f"{name}_b0_0", strides=2, padding="valid"),
        conv_chain(x, [(k, 1), (l, 3), (m, 3, 2, "valid")], f"{name}_b1"),
        layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x),
    ])
