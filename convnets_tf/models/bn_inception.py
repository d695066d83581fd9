"""BN-Inception (Ioffe and Szegedy, "Batch normalization: Accelerating deep
network training by reducing internal covariate shift", ICML 2015,
arXiv:1502.03167), which TF-slim calls "Inception v2".

GoogLeNet (`googlenet.py`) with the changes of section 4.2 and the
appendix ("Variant of the Inception Model Used", Figure 5):

- every 5x5 convolution becomes two 3x3 convolutions, the "double 3x3"
  branch;
- BatchNorm before every ReLU (section 4.2), the convolution without bias
  (section 3.2: "the bias b can be ignored since its effect will be
  canceled by the subsequent mean subtraction");
- three 28x28 modules (3a, 3b, 3c) instead of two;
- no pooling layers between modules: the stride-2 modules 3c and 4e
  downsample, with no 1x1 branch and a stride-2 max pooling passed
  through unprojected ("max + pass through");
- average or max pooling in the pooling branch, as Figure 5 lists;
- no local response normalisation and no dropout (section 4.2.1).

Where the paper is ambiguous or the reference implementations differ, the
default follows the widely used Caffe model (Yuanjun Xiong's, whose
ImageNet weights Cadene's pretrained-models.pytorch ports as
`bninception.py`; TSN and towhee copy it):

- Figure 5's pool-projection column says 128 for 4c and 4d, its
  output-size column 576 (160 + 160 + 160 + 128 is 608). The Caffe model
  follows the filter columns (608, 608, then 1056 out of 4e); TF-slim's
  `inception_v2` follows the output column with 96-wide projections (576,
  576, 1024). The default takes the filter columns, as the Caffe model.
- The appendix: "Our model employed separable convolution with depth
  multiplier 8 on the first convolutional layer". The Caffe model has a
  plain 7x7 convolution; `separable_stem=True` gives the paper's (and
  TF-slim's) depthwise 7x7 (3 -> 24 maps) and pointwise 1x1 (24 -> 64).
- Pool types: the paper, the Caffe model and TF-slim agree: max in 3c,
  4e and 5b, average elsewhere.

Parameters at 1000 classes: 11,285,224 trainable (10,240,192 convolution
weights, 2 x 10,016 BatchNorm gamma and beta, 1,025,000 in the classifier)
and 20,032 BatchNorm moving statistics. The Caffe model has 11,295,240
learned parameters: the same plus its 10,016 convolution biases, which
BatchNorm cancels. `tests/test_bn_inception.py` derives both from Figure
5: the 11.2M quoted for "Inception V2" is TF-slim's reading (11,178,336);
the paper's own 13.6M (section 4.2) follows from no reading of the table.
"""

import keras
from keras import layers

from convnets_tf.layers import bn_act, classifier_top, conv_bn_act
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.models.googlenet import MIN_SIZE, max_pool
from convnets_tf.registry import register_model

# Figure 5, one row per module: #1x1, #3x3 reduce, #3x3, double #3x3
# reduce, double #3x3, pooling, pool proj. A #1x1 of 0 is no 1x1 branch; a
# pool proj of None is the "pass through" of the stride-2 modules.
INCEPTION_MODULES = {
    "3a": (64, 64, 64, 64, 96, "avg", 32),
    "3b": (64, 64, 96, 64, 96, "avg", 64),
    "3c": (0, 128, 160, 64, 96, "max", None),
    "4a": (224, 64, 96, 96, 128, "avg", 128),
    "4b": (192, 96, 128, 96, 128, "avg", 128),
    "4c": (160, 128, 160, 128, 160, "avg", 128),
    "4d": (96, 128, 192, 160, 192, "avg", 128),
    "4e": (0, 128, 192, 192, 256, "max", None),
    "5a": (352, 192, 320, 160, 224, "avg", 128),
    "5b": (352, 192, 320, 192, 224, "max", 128),
}
# Figure 5: "stride 2" on 3c and 4e, the modules that pass the pooling through.
STRIDE_2_MODULES = ("3c", "4e")

# The paper gives no epsilon; the Caffe model's (and PyTorch's) 1e-5, so
# its weights would give its outputs.
BN_EPSILON = 1e-5


def conv_bn_relu(x, filters, kernel_size, name, strides=1):
    """Convolution without bias, BatchNorm (gamma and beta, Algorithm 1)
    and ReLU: `{name}_conv`, `{name}_bn`, `{name}_relu`. 'same' padding.

    Not `inception_common.conv_bn`, the TF-slim unit of Inception v3 and
    v4, which drops gamma (and uses epsilon 1e-3): the paper's Algorithm 1
    and the Caffe model keep it.
    """
    return conv_bn_act(x, filters, kernel_size, name, strides=strides,
                       bn_epsilon=BN_EPSILON)


def inception_module(x, filters, name, strides=1):
    """An Inception module of Figure 5, a row of `INCEPTION_MODULES`.

    Branches: a 1x1 convolution (absent where #1x1 is 0); a 1x1 reduce and
    a 3x3; a 1x1 reduce and two 3x3 (in place of GoogLeNet's 5x5: the same
    5x5 field, one more ReLU, 18/25 of the weights at equal widths); 3x3
    average or max pooling, projected by a 1x1 convolution or, in the
    stride-2 modules, passed through. With
    `strides=2` the last 3x3 of both convolution towers and the pooling
    stride, as in the Caffe model and TF-slim.
    """
    n1x1, n3x3_reduce, n3x3, double_reduce, double, pool, pool_proj = filters
    branches = []
    if n1x1:
        branches.append(conv_bn_relu(x, n1x1, 1, f"{name}_1x1"))
    branch = conv_bn_relu(x, n3x3_reduce, 1, f"{name}_3x3_reduce")
    branches.append(conv_bn_relu(branch, n3x3, 3, f"{name}_3x3", strides=strides))
    branch = conv_bn_relu(x, double_reduce, 1, f"{name}_double_3x3_reduce")
    branch = conv_bn_relu(branch, double, 3, f"{name}_double_3x3_1")
    branches.append(conv_bn_relu(branch, double, 3, f"{name}_double_3x3_2", strides=strides))
    if pool == "max":
        branch = max_pool(x, strides=strides, name=f"{name}_pool")
    else:
        branch = layers.AveragePooling2D(3, strides=strides, padding="same",
                                         name=f"{name}_pool")(x)
    if pool_proj:
        branch = conv_bn_relu(branch, pool_proj, 1, f"{name}_pool_proj")
    branches.append(branch)
    return layers.Concatenate(name=name)(branches)


def bn_inception(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="bn_inception",
    separable_stem=False,
    dropout=0.0,
):
    """BN-Inception (Figure 5 of the appendix; section 4.2).

    Args:
        separable_stem: the paper's first layer, a separable 7x7
            convolution with depth multiplier 8 (appendix), instead of the
            Caffe model's plain 7x7 convolution: 2,712 weights instead of
            9,408.
        dropout: dropout before the classifier. Section 4.2.1 removes
            GoogLeNet's 0.4; the ensemble members of section 4.2.3 used
            0.05 or 0.1.

    The other arguments are those of keras.applications. Input must be at
    least 32x32: every strided layer pads to 'same', so the 224x224 grid
    halves five times (112, 56, 28, 14, 7) and 32x32 leaves the last stage
    one position, as in `googlenet`. The final 7x7 average pooling is
    global average pooling, so other sizes work. Padding is TensorFlow's
    'same' throughout: Caffe pads strided convolutions on both sides and
    averages over the padding, so ported Caffe weights would differ at the
    borders. Weights use Keras' default initialisers.
    """
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    if separable_stem:
        x = layers.SeparableConv2D(64, 7, strides=2, padding="same", depth_multiplier=8,
                                   use_bias=False, name="conv1_conv")(inputs)
        x = bn_act(x, "conv1", epsilon=BN_EPSILON)
    else:
        x = conv_bn_relu(inputs, 64, 7, "conv1", strides=2)
    x = max_pool(x, name="pool1")
    x = conv_bn_relu(x, 64, 1, "conv2_reduce")
    x = conv_bn_relu(x, 192, 3, "conv2")
    x = max_pool(x, name="pool2")
    for module, filters in INCEPTION_MODULES.items():
        x = inception_module(x, filters, name=f"inception_{module}",
                             strides=2 if module in STRIDE_2_MODULES else 1)

    outputs = classifier_top(x, num_classes, include_top, pooling,
                             classifier_activation, dropout=dropout)
    return make_model(inputs, outputs, name, weights)


register_model("bn_inception", bn_inception)
