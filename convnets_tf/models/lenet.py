"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning
applied to document recognition", Proc. IEEE 1998).

`lenet5` follows section II.B of the paper: C1-S2-C3-S4-C5-F6 with the scaled
tanh squashing function, trainable subsampling and the partial C3 connection
table of Table I. `lenet5_modern` is the version most courses teach today:
full C3, max-pooling and ReLU.
"""

import keras
import numpy as np
from keras import layers

from convnets_tf.layers import classifier_top
from convnets_tf.models.common import check_arguments, make_model
from convnets_tf.registry import register_model

# Table I: the S2 feature maps that each of the 16 C3 maps reads. The paper
# breaks the symmetry between maps and keeps the connection count at 60.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1),
    (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


@keras.saving.register_keras_serializable(package="convnets_tf")
def scaled_tanh(x):
    """The paper's squashing function f(a) = A tanh(S a), A=1.7159, S=2/3
    (Appendix A): f(1) = 1 and f(-1) = -1, where its second derivative
    peaks, so targets of +-1 sit in the non-linear range, not on the
    asymptotes."""
    return 1.7159 * keras.ops.tanh(2.0 / 3.0 * x)


@keras.saving.register_keras_serializable(package="convnets_tf")
class RBFOutput(layers.Layer):
    """Euclidean RBF output units with fixed +1/-1 centres (section II.B).

    Unit i computes the squared distance between F6 and centre i; the layer
    returns its negative, so the nearest centre has the largest score. The
    paper draws each centre as a 7x12 bitmap of the character; for CIFAR's
    classes there are no such drawings, so the centres are fixed random +1/-1
    codes from `seed`. They are not trained.
    """

    def __init__(self, units, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.seed = seed

    def build(self, input_shape):
        codes = np.random.default_rng(self.seed).choice(
            [-1.0, 1.0], size=(input_shape[-1], self.units)
        )
        self.centres = self.add_weight(
            name="centres",
            shape=codes.shape,
            initializer=keras.initializers.Constant(codes),
            trainable=False,
        )

    def call(self, inputs):
        diff = keras.ops.expand_dims(inputs, -1) - self.centres
        return -keras.ops.sum(keras.ops.square(diff), axis=-2)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "seed": self.seed}


def subsampling(x, name):
    """S2/S4: the sum of each 2x2 block times a trainable coefficient plus a
    trainable bias, one pair per map, then the squashing function.

    Average pooling then a 1x1 depthwise convolution is exactly that: the
    depthwise kernel is the coefficient (absorbing the 1/4), plus its bias.
    """
    x = layers.AveragePooling2D(2, name=f"{name}_pool")(x)
    x = layers.DepthwiseConv2D(1, name=f"{name}_scale")(x)
    return layers.Activation(scaled_tanh, name=f"{name}_act")(x)


def partial_c3(x, name="c3"):
    """C3: 16 maps of 5x5 convolutions, map j reading only the S2 maps in
    column j of Table I (1,516 parameters instead of 2,416)."""
    maps = [
        layers.Conv2D(1, 5, name=f"{name}_{j}")(
            keras.ops.take(x, list(inputs), axis=-1)
        )
        for j, inputs in enumerate(C3_TABLE)
    ]
    x = layers.Concatenate(name=f"{name}_concat")(maps)
    return layers.Activation(scaled_tanh, name=f"{name}_act")(x)


def lenet5(
    input_shape=(32, 32, 1),
    num_classes=10,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="lenet5",
    modern=False,
    rbf_output=False,
):
    """LeNet-5.

    Args:
        modern: full C3, max-pooling and ReLU instead of the paper's partial
            C3, trainable subsampling and scaled tanh.
        rbf_output: the paper's fixed Euclidean RBF output units in place of
            a trained dense layer (60,000 instead of 60,850 trainable
            parameters for a 32x32x1 input).

    The other arguments are those of keras.applications. The paper's model
    has 10 classes (digits); the input must be at least 32x32, the size
    at which C5 sees a 5x5 map and becomes fully connected.
    """
    check_arguments(name, input_shape, 32, pooling, weights, fixed_size=include_top)
    act = "relu" if modern else scaled_tanh

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(6, 5, activation=act, name="c1")(inputs)
    if modern:
        x = layers.MaxPooling2D(2, name="s2")(x)
        x = layers.Conv2D(16, 5, activation=act, name="c3")(x)
        x = layers.MaxPooling2D(2, name="s4")(x)
    else:
        x = subsampling(x, name="s2")
        x = partial_c3(x, name="c3")
        x = subsampling(x, name="s4")
    # C5 is a convolution, not a dense layer: on larger inputs it slides.
    x = layers.Conv2D(120, 5, activation=act, name="c5")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(84, activation=act, name="f6")(x)
        if rbf_output:
            x = RBFOutput(num_classes, dtype="float32", name="rbf")(x)
            x = layers.Activation(
                classifier_activation, dtype="float32", name="predictions"
            )(x)
            return make_model(inputs, x, name, weights)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


register_model("lenet5", lenet5)
register_model("lenet5_modern", lenet5, modern=True)
