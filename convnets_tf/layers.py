"""Blocks shared by several papers.

Blocks are plain functions, tensor in and tensor out, with a `name` prefix for
their layers, as in keras.applications. A custom layer appears only where
Keras has none, and is registered for `keras.saving`.
"""

import functools

import keras
import tensorflow as tf
from keras import layers, ops


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


@functools.lru_cache(maxsize=None)
def _cpu_only():
    """Whether TensorFlow sees no GPU or TPU. The device list is fixed once
    the runtime starts, so the answer is cached."""
    return all(d.device_type == "CPU" for d in tf.config.list_logical_devices())


@keras.saving.register_keras_serializable(package="convnets_tf")
class GroupedConv2D(layers.Conv2D):
    """`keras.layers.Conv2D` with `groups`, fast on CPU as well as on GPU.

    Same arguments, same weights (kernel `(kh, kw, in/groups, filters)`, then
    bias) and the same function as `Conv2D(groups=g)`, so keras.applications
    style weights (legacy HDF5, matched by order) load unchanged. Keras 3
    `.weights.h5` files address layers by class name, so those saved from a
    model built with `Conv2D(groups=g)` do not. Only the CPU implementation
    differs.

    Keras runs a grouped convolution through an XLA-compiled function,
    because TensorFlow's own CPU kernels for it are broken without oneDNN
    (unimplemented when fused with a bias, wrong-sized filter gradients).
    On GPU and TPU that compiles to the native grouped kernel (cuDNN, the TPU
    convolution unit) and is fast. On CPU the XLA kernel is two orders of
    magnitude slower than the dense convolution it replaces, mostly in the
    backward pass (`benchmarks/grouped_conv.py`). There this layer splits
    the channels into the `groups` groups, convolves each with its slice of
    the kernel through the ordinary dense CPU kernel, and concatenates: the
    "concatenation" form of ResNeXt's figure 3(b). Measured on two cores for
    training steps of ResNeXt-shaped layers (4 to 64 channels per group), it
    beat a block-diagonal dense kernel, which does `groups` times the
    arithmetic, by 3.5 to 12x, and shifted-window patches multiplied by
    einsum or batched matmul by 6 to 9x (at 4 channels per group).
    TensorFlow's native kernel through oneDNN is 1.5 to 3x faster still at 4
    to 32 channels per group (slower at 64), but is not used: it fails
    outright where oneDNN is off.

    The choice is made when the layer is called, from the devices TensorFlow
    sees, as Keras does for its own CPU workarounds: the CPU path when every
    logical device is a CPU, Keras' path otherwise. It is a Python-level
    decision, so inside `tf.function` the traced graph holds only one path,
    and under a distribution strategy every replica makes the same choice
    (MirroredStrategy replicas are GPUs, TPUStrategy replicas TPU cores).
    A machine with a GPU forced onto its CPU with `tf.device` takes Keras'
    path: slow there, but correct.
    """

    def convolution_op(self, inputs, kernel):
        if self.groups == 1 or not _cpu_only():
            return super().convolution_op(inputs, kernel)
        axis = -1 if self.data_format == "channels_last" else 1
        # Each part has groups=1, so Keras runs it on the dense CPU kernel.
        outputs = [
            super(GroupedConv2D, self).convolution_op(x, k)
            for x, k in zip(
                ops.split(inputs, self.groups, axis=axis),
                ops.split(kernel, self.groups, axis=-1),
            )
        ]
        return ops.concatenate(outputs, axis=axis)
