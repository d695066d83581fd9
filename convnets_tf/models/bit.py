"""BiT (Kolesnikov, Beyer, Zhai, Puigcerver, Yung, Gelly and Houlsby, "Big
Transfer (BiT): General visual representation learning", ECCV 2020).

BiT's networks are "a vanilla ResNet-v2 architecture, except that we replace
all Batch Normalization layers with Group Normalization and use Weight
Standardization in all convolutional layers" (section 3.3). The details the
paper leaves out follow the authors' code (github.com/google-research/
big_transfer, `bit_tf2/models.py` and `bit_pytorch/models.py`):

* root: a 7x7 stride-2 convolution after 3 pixels of zero padding, then 1
  pixel of zero padding and a 3x3 stride-2 max-pooling; no normalisation or
  activation in the root (the first unit normalises its input);
* units: pre-activation bottlenecks, GN+ReLU in front of each of the 1x1,
  3x3 and 1x1 convolutions; the stride sits on the 3x3 convolution of each
  stage's first unit; that unit's projection shortcut reads the
  pre-activation, not the raw input; no convolution has a bias;
* after the last stage GN+ReLU, global average pooling and a dense head
  whose kernel starts at zero (`bit_tf2`);
* GroupNorm with 32 groups and epsilon 1e-5, weight standardisation with
  epsilon 1e-10 on the variance.

`bit_rDxW` is ResNet-D with every hidden layer W times wider (section 4.1).
The width multiplies the 64/128/256/512 bottleneck channels and the 4x wider
unit outputs, so parameters grow roughly with W squared.
"""

import keras
from keras import layers, ops

from convnets_tf.layers import bn_act, classifier_top, symmetric_pad
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

GROUPS = 32
GN_EPSILON = 1e-5
# Units per stage of ResNet-50/101/152 (He et al. 2016, Table 1).
BLOCK_UNITS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


@keras.saving.register_keras_serializable(package="convnets_tf")
class StandardizedConv2D(layers.Conv2D):
    """A Conv2D whose kernel is standardised per output filter at every call.

    Weight Standardisation (Qiao et al. 2019, arXiv:1903.10520; BiT section
    3.3): each filter w (all its kh x kw x c_in weights) is replaced by
    (w - mean(w)) / sqrt(var(w) + epsilon) before convolving, so the
    convolution sees zero-mean, unit-variance filters whatever the stored
    weights are. The stored kernel stays the trainable variable; gradients
    flow through the standardisation. There is no learnable scale: the
    GroupNorm that follows every BiT convolution supplies it. `epsilon` is
    the authors' 1e-10.
    """

    def __init__(self, filters, kernel_size, epsilon=1e-10, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        self.epsilon = epsilon

    def standardize(self, kernel):
        """Returns `kernel` standardised over (height, width, in) per filter."""
        # Moments in float32: under mixed_float16 the kernel arrives as
        # float16, where the 1e-10 epsilon is zero and the sums lose digits.
        w = ops.cast(kernel, "float32")
        mean = ops.mean(w, axis=(0, 1, 2), keepdims=True)
        var = ops.var(w, axis=(0, 1, 2), keepdims=True)
        return ops.cast((w - mean) / ops.sqrt(var + self.epsilon), kernel.dtype)

    def convolution_op(self, inputs, kernel):
        # Conv2D.call passes the kernel through here, so every call
        # standardises the current weights.
        return super().convolution_op(inputs, self.standardize(kernel))

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def gn_relu(x, name):
    """GroupNorm (32 groups) and ReLU: the pre-activation that BiT puts in
    front of every convolution in place of ResNet v2's BatchNorm and ReLU.

    GroupNorm normalises each image on its own, over groups of channels, so
    nothing depends on the batch (section 2.1); layers `{name}_gn`,
    `{name}_relu`.
    """
    return bn_act(x, name, norm="group", groups=GROUPS, epsilon=GN_EPSILON)


def std_conv(x, filters, kernel_size, name, strides=1):
    """A weight-standardised convolution without bias, `{name}_conv`.

    Kernels larger than 1x1 get (k-1)/2 pixels of zero padding on every side
    first (`{name}_pad`), as in the authors' code: with stride 2, Keras'
    "same" padding would pad only the bottom and right of an even-sized map
    and shift every output by one pixel relative to the BiT weights.
    """
    x, padding = symmetric_pad(x, kernel_size, strides, name, always=True)
    return StandardizedConv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=False,
        name=f"{name}_conv",
    )(x)


def root_block(x, filters, name="root"):
    """The root (stem): 7x7/2 weight-standardised convolution, then 3x3/2
    max-pooling, dividing the resolution by 4.

    The pooling input is zero padded by one pixel, as in the authors' code.
    The root has no normalisation or activation, so its output can be
    negative and the zero border is not the same as max-pooling's usual
    -infinity padding: a pooling window at the edge returns at least 0.
    """
    x = std_conv(x, filters, 7, strides=2, name=name)
    x, padding = symmetric_pad(x, 3, 2, f"{name}_pool")
    return layers.MaxPooling2D(3, strides=2, padding=padding, name=f"{name}_pool")(x)


def bottleneck_unit(x, filters, stride, name):
    """Pre-activation bottleneck unit (ResNet v2, He et al. 2016, Fig. 4e),
    with GN+WS as in BiT section 3.3.

    GN+ReLU, 1x1 conv to `filters`; GN+ReLU, 3x3 conv with `stride`;
    GN+ReLU, 1x1 conv to `4 * filters`; plus the shortcut, with no activation
    after the sum. Where the shape changes (the first unit of each stage) the
    shortcut is a strided 1x1 weight-standardised conv of the
    pre-activation (the GN+ReLU of the input), as in ResNet v2 and the
    authors' code, rather than of the raw input. Layers `{name}_a_*`,
    `{name}_b_*`, `{name}_c_*` and `{name}_proj_conv` follow the a/b/c names
    of the authors' checkpoints.
    """
    preact = gn_relu(x, name=f"{name}_a")
    if stride > 1 or x.shape[-1] != 4 * filters:
        shortcut = StandardizedConv2D(
            4 * filters, 1, strides=stride, use_bias=False, name=f"{name}_proj_conv"
        )(preact)
    else:
        shortcut = x
    y = std_conv(preact, filters, 1, name=f"{name}_a")
    y = gn_relu(y, name=f"{name}_b")
    y = std_conv(y, filters, 3, strides=stride, name=f"{name}_b")
    y = gn_relu(y, name=f"{name}_c")
    y = std_conv(y, 4 * filters, 1, name=f"{name}_c")
    return layers.Add(name=f"{name}_add")([shortcut, y])


def stage(x, filters, units, stride, name):
    """`units` bottleneck units (the authors' "block"); the first one carries
    the stride and the projection, the others keep the shape."""
    for i in range(1, units + 1):
        x = bottleneck_unit(
            x, filters, stride if i == 1 else 1, name=f"{name}_unit{i:02d}"
        )
    return x


def _check_variant(name, block_units, width):
    if (
        not isinstance(block_units, (tuple, list))
        or len(block_units) != 4
        or not all(isinstance(n, int) and n >= 1 for n in block_units)
    ):
        raise ValueError(
            f"{name}: block_units must be four positive integers, units per "
            f"stage (ResNet-50 is {BLOCK_UNITS[50]}, ResNet-101 "
            f"{BLOCK_UNITS[101]}, ResNet-152 {BLOCK_UNITS[152]}); got "
            f"{block_units!r}."
        )
    if not isinstance(width, (int, float)) or width <= 0 or 64 * width % 32:
        raise ValueError(
            f"{name}: width must be a positive multiple of 0.5 (1, 2, 3, 4 in "
            f"the paper), so that every layer's channels divide into "
            f"GroupNorm's {GROUPS} groups; got {width!r}."
        )


def bit(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="bit",
    block_units=BLOCK_UNITS[50],
    width=1,
):
    """BiT: ResNet v2 with GroupNorm and Weight Standardisation.

    Args:
        block_units: bottleneck units in each of the four stages;
            `BLOCK_UNITS` holds ResNet-50's, -101's and -152's.
        width: the paper's width multiplier ("x3" in R50x3), applied to every
            hidden layer: stage bottlenecks of 64/128/256/512 times `width`
            channels, unit outputs four times that. A multiple of 0.5, so
            that every layer has a multiple of 32 channels for GroupNorm.

    The other arguments are those of keras.applications. The input must be
    at least 32x32, the network's total stride; at 32x32 the last stage
    already works on a 1x1 map. The head is a zero-initialised dense layer
    on the pooled features after a last GN+ReLU. Inputs are expected in
    [-1, 1] as in the authors' preprocessing, or standardised; no rescaling
    happens inside.
    """
    check_arguments(name, input_shape, 32, pooling, weights)
    _check_variant(name, block_units, width)
    base = int(64 * width)

    inputs = keras.Input(input_shape)
    x = root_block(inputs, base)
    for i, (units, stride) in enumerate(zip(block_units, (1, 2, 2, 2))):
        x = stage(x, base * 2**i, units, stride, name=f"block{i + 1}")
    # Pre-activation units leave their sum unnormalised: the last one needs
    # the GN+ReLU that the next unit would have applied.
    x = gn_relu(x, name="pre_head")

    # The authors' zero kernel (bit_tf2 "head/dense"): the pooled features'
    # squared norm is about 1000 * width, so a random head's first SGD steps
    # move the logits by tens and overshoot; a zero head starts at the
    # uniform prediction and passes gradient to the body from the second
    # step on.
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                       name="head", kernel_initializer="zeros")
    return make_model(inputs, x, name, weights)


# The paper's five models are R50x1, R50x3, R101x1, R101x3 and R152x4
# (section 4.1). The wider ones (R50x3 has 217M parameters) are built with
# `bit(block_units=BLOCK_UNITS[50], width=3)`; registering them would make
# the registry-wide tests need more memory than the 2-core CI machines have.
for _depth, _width in ((50, 1), (101, 1)):
    register_model(
        f"bit_r{_depth}x{_width}", bit, block_units=BLOCK_UNITS[_depth], width=_width
    )
