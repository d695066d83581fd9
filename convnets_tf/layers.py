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
