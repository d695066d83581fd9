"""ShuffleNet V2 (Ma, Zhang, Zheng and Sun, "ShuffleNet V2: Practical
guidelines for efficient CNN architecture design", ECCV 2018,
arXiv:1807.11164).

The paper derives four guidelines from measured speed rather than FLOPs
(section 2): G1, equal input and output widths minimise memory access; G2,
grouped convolutions cost memory access; G3, fragmentation (many small
branches) hurts parallelism; G4, element-wise operations are not free. Its
unit (section 3, Figure 3c and 3d) follows them: a channel split sends half
the channels through untouched and the other half through 1x1 conv, 3x3
depthwise conv and 1x1 conv, all of equal width and no grouped 1x1
convolutions (G1, G2); the halves are concatenated, not added (G4), and a
channel shuffle mixes them for the next unit. The downsampling unit drops
the split: both branches read the whole input and the stride doubles the
width.

`shufflenet_v2_x0_5` ... `_x2_0` are Table 5's networks at 0.5x, 1x, 1.5x
and 2x, laid out as torchvision builds them (whose trainable counts they
equal): a 3x3/2 convolution to 24 channels and 3x3/2 max-pooling, stages
of 4, 8 and 4 units, a 1x1 convolution to 1024 (2048 at 2x) channels,
global average pooling and the classifier. Convolutions have no bias;
BatchNorm uses PyTorch's epsilon 1e-5. Depthwise convolutions are Keras'
`DepthwiseConv2D`, fast on CPU (GUIDE.md); the network has no other
grouped convolution. Strided layers pad symmetrically, as PyTorch does.

For 32x32 CIFAR images the ImageNet stem (a stride-2 convolution and a
stride-2 max-pooling, 4x before stage 2) leaves stage 4 a 1x1 map. Two
options change only the stem: `stem_stride=1` makes conv1 stride 1 and
`stem_pool=False` drops the max-pooling. With both, a 32x32 image reaches
stage 2 at 32x32 and stage 4 at 4x4 (total stride 8, the maps of the CIFAR
ResNets); the weights are the same as the ImageNet model's, so the counts
do not change. No CIFAR variant is registered: pass the options to `build`.
"""

import keras
from keras import layers

from convnets_tf.layers import channel_shuffle, classifier_top, conv_bn_act, symmetric_pad
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

BN_EPSILON = 1e-5
# Table 5: output channels of conv1, stages 2-4 and conv5 per width.
STAGE_WIDTHS = {
    0.5: (24, 48, 96, 192, 1024),
    1.0: (24, 116, 232, 464, 1024),
    1.5: (24, 176, 352, 704, 1024),
    2.0: (24, 244, 488, 976, 2048),
}
STAGE_REPEATS = (4, 8, 4)  # Table 5: units per stage (the first strides)
MIN_SIZE = 32  # total stride 32


@keras.saving.register_keras_serializable(package="convnets_tf")
class ChannelSplit(layers.Layer):
    """Channel split (Ma et al. 2018, section 3): the first `channels // 2`
    channels and the rest, as two tensors (PyTorch's `x.chunk(2, dim=1)`).
    No weights."""

    def call(self, inputs):
        half = inputs.shape[-1] // 2
        return inputs[..., :half], inputs[..., half:]

    def compute_output_shape(self, input_shape):
        half = input_shape[-1] // 2
        return (*input_shape[:-1], half), (*input_shape[:-1], input_shape[-1] - half)


def depthwise_bn(x, stride, name):
    """3x3 depthwise convolution (`{name}_conv`, no bias) and BatchNorm,
    with no activation after it (Figure 3c: only the 1x1 layers have
    ReLU)."""
    x, padding = symmetric_pad(x, 3, stride, name)
    x = layers.DepthwiseConv2D(3, strides=stride, padding=padding, use_bias=False,
                               name=f"{name}_conv")(x)
    return layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)


def shuffle_unit(x, filters, name, stride=1):
    """ShuffleNet V2 unit (Figure 3c) or, with `stride` 2, its downsampling
    unit (Figure 3d); `filters` output channels.

    The basic unit splits the channels, keeps the first half as it is and
    sends the second through 1x1 conv-BN-ReLU, 3x3 depthwise conv-BN and
    1x1 conv-BN-ReLU (`{name}_branch2_*`), then concatenates the halves.
    The downsampling unit feeds the whole input to that branch (strided
    depthwise) and to a second one, 3x3/2 depthwise conv-BN and 1x1
    conv-BN-ReLU (`{name}_branch1_*`). Both end in a channel shuffle with 2
    groups (`{name}_shuffle`).
    """
    branch = filters // 2
    if stride == 1:
        if x.shape[-1] != filters:
            raise ValueError(f"{name}: a stride-1 unit keeps its width; got "
                             f"{x.shape[-1]} channels in, {filters} out.")
        left, right = ChannelSplit(name=f"{name}_split")(x)
    else:
        left = depthwise_bn(x, stride, f"{name}_branch1_dw")
        left = conv_bn_act(left, branch, 1, f"{name}_branch1_pw", bn_epsilon=BN_EPSILON)
        right = x
    right = conv_bn_act(right, branch, 1, f"{name}_branch2_pw1", bn_epsilon=BN_EPSILON)
    right = depthwise_bn(right, stride, f"{name}_branch2_dw")
    right = conv_bn_act(right, branch, 1, f"{name}_branch2_pw2", bn_epsilon=BN_EPSILON)
    x = layers.Concatenate(name=f"{name}_concat")([left, right])
    return channel_shuffle(x, 2, name)


def shufflenet_v2(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="shufflenet_v2",
    width_multiplier=1.0,
    stem_stride=2,
    stem_pool=True,
):
    """ShuffleNet V2 (Ma et al. 2018, Table 5).

    Args:
        width_multiplier: 0.5, 1.0, 1.5 or 2.0, Table 5's columns (the
            channels of each stage are tabulated, not computed).
        stem_stride: conv1's stride, 2 (Table 5) or 1 (for 32x32 inputs).
        stem_pool: whether the 3x3/2 max-pooling after conv1 is there
            (Table 5); False for 32x32 inputs. With `stem_stride=1` and
            `stem_pool=False` the total stride is 8 instead of 32.

    Inputs must be at least 32x32 with the ImageNet stem (total stride 32),
    and at least 32 divided by the stride each option removes.
    """
    check_option(name, "width_multiplier", width_multiplier, STAGE_WIDTHS)
    check_option(name, "stem_stride", stem_stride, (1, 2))
    check_option(name, "stem_pool", stem_pool, (True, False))
    min_size = MIN_SIZE // (2 // stem_stride) // (1 if stem_pool else 2)
    check_arguments(name, input_shape, min_size, pooling, weights)
    widths = STAGE_WIDTHS[width_multiplier]

    inputs = keras.Input(input_shape)
    x, padding = symmetric_pad(inputs, 3, stem_stride, "conv1")
    x = conv_bn_act(x, widths[0], 3, "conv1", strides=stem_stride, padding=padding,
                    bn_epsilon=BN_EPSILON)
    if stem_pool:
        x, padding = symmetric_pad(x, 3, 2, "pool1")
        x = layers.MaxPooling2D(3, strides=2, padding=padding, name="pool1")(x)
    for stage, (repeats, filters) in enumerate(zip(STAGE_REPEATS, widths[1:4]), start=2):
        for i in range(repeats):
            x = shuffle_unit(x, filters, f"stage{stage}_block{i + 1}",
                             stride=2 if i == 0 else 1)
    x = conv_bn_act(x, widths[4], 1, "conv5", bn_epsilon=BN_EPSILON)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


for _width in STAGE_WIDTHS:
    register_model(f"shufflenet_v2_x{_width:.1f}".replace(".", "_"), shufflenet_v2,
                   width_multiplier=_width)
