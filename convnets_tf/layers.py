"""Blocks shared by several papers.

Blocks are plain functions, tensor in and tensor out, with a `name` prefix for
their layers, as in keras.applications. A custom layer appears only where
Keras has none, and is registered for `keras.saving`.
"""

import keras
import tensorflow as tf
from keras import layers


@keras.saving.register_keras_serializable(package="convnets_tf")
class LocalResponseNormalization(layers.Layer):
    """Local response normalisation across channels (AlexNet, section 3.3).

    b = a / (k + alpha * sum of a^2 over `size` neighbouring channels)^beta,
    with the paper's k=2, n=5, alpha=1e-4, beta=0.75. Keras has no LRN layer.
    """

    def __init__(self, size=5, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.bias = bias
        self.alpha = alpha
        self.beta = beta

    def call(self, inputs):
        # The sum of squares overflows float16, so normalise in float32.
        x = tf.cast(inputs, "float32")
        y = tf.nn.local_response_normalization(
            x,
            depth_radius=self.size // 2,
            bias=self.bias,
            alpha=self.alpha,
            beta=self.beta,
        )
        return tf.cast(y, inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "bias": self.bias,
            "alpha": self.alpha,
            "beta": self.beta,
        }


def classifier(x, num_classes, activation, name="predictions"):
    """The final dense layer, computed in float32.

    Under `mixed_float16` a float16 softmax loses precision and can
    overflow; keeping the last layer float32 makes the model's output float32
    under every precision policy.
    """
    return layers.Dense(
        num_classes, activation=activation, dtype="float32", name=name
    )(x)


POOLINGS = (None, "avg", "max")


def global_pool(x, pooling, name="pool"):
    """Pools features when the top is left out, as keras.applications does."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=name)(x)
    return x


def conv_bn_act(
    x,
    filters,
    kernel_size,
    name,
    strides=1,
    padding="same",
    use_bias=False,
    activation="relu",
    bn_scale=True,
    bn_epsilon=1e-3,
):
    """Convolution, batch normalisation and activation: the unit of nearly
    every network since Inception v2 (Ioffe and Szegedy 2015).

    The convolution needs no bias because BatchNorm's beta replaces it;
    `use_bias`, `bn_scale` and `bn_epsilon` exist because keras.applications
    families differ in exactly these, and matching them keeps their weights
    loadable. `activation=None` leaves the output linear. Layers are named
    `{name}_conv`, `{name}_bn` and `{name}_{activation}`.
    """
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding,
        use_bias=use_bias, name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        scale=bn_scale, epsilon=bn_epsilon, name=f"{name}_bn"
    )(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x
