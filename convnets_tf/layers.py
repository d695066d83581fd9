"""Blocks shared by several papers.

Blocks are plain functions, tensor in and tensor out, with a `name` prefix for
their layers, as in keras.applications. A custom layer appears only where
Keras has none, and is registered for `keras.saving`.

- Convolution units: `conv_relu` (conv with bias and ReLU, before
  BatchNorm), `conv_bn_act` (conv, BatchNorm, activation; grouped and
  zero-initialised options), `bn_act` (norm then activation, the
  pre-activation), `symmetric_pad` (padding before a strided layer).
- Tops: `classifier_top` (pooling, dropout, float32 dense), built from
  `global_pool` and `classifier`.
- Attention and regularisers: `squeeze_excite`, `DropPath` (stochastic
  depth), `LayerScale`, `channel_shuffle`; `make_divisible` rounds channels.
- Layers: `GroupedConv2D` (grouped convolution fast on CPU),
  `LocalResponseNormalization`, `NoisyBatchNormalization` (BatchNorm
  whose output distribution moves at every step; `with_noisy_batchnorm`).
- Initialisation from data or to the identity: `whitening_kernel` (a
  first convolution that whitens image patches), `PartialIdentity` (a
  convolution that starts by passing its input through).

Hard-sigmoid and hard-swish (MobileNetV3, Howard et al. 2019, section 5.2)
need nothing here: Keras 3's `"hard_sigmoid"` is ReLU6(x + 3) / 6 and its
`"hard_swish"` (`"hard_silu"`) is x ReLU6(x + 3) / 6, the paper's functions
and those of keras.applications' MobileNetV3 (`tests/test_layers.py`
checks this; `keras.ops.hard_sigmoid`'s docstring still describes Keras
2's 0.2 x + 0.5, which the code no longer computes).
"""

import functools

import keras
import numpy as np
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


def classifier(x, num_classes, activation, name="predictions",
               kernel_initializer="glorot_uniform"):
    """The final dense layer, computed in float32.

    Under `mixed_float16` a float16 softmax loses precision and can
    overflow; keeping the last layer float32 makes the model's output float32
    under every precision policy.
    """
    return layers.Dense(
        num_classes, activation=activation, kernel_initializer=kernel_initializer,
        dtype="float32", name=name,
    )(x)


POOLINGS = (None, "avg", "max")


def global_pool(x, pooling, name=None):
    """Pools features when the top is left out, as keras.applications does:
    `pooling` "avg" or "max" gives a layer `avg_pool` or `max_pool` (or
    `name`), None returns the feature map."""
    name = name or f"{pooling}_pool"
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=name)(x)
    return x


def classifier_top(x, num_classes, include_top, pooling, classifier_activation,
                   dropout=0.0, name="predictions", kernel_initializer="glorot_uniform",
                   dropout_name="dropout"):
    """The model's top, keras.applications' arguments: with `include_top`,
    global average pooling (`avg_pool`; Lin et al. 2014, section 3.2, as
    every network since GoogLeNet), dropout at rate `dropout`
    (`dropout_name`; none at 0) and the float32 dense classifier (`name`); without it, the
    features pooled as `pooling` says (`global_pool`).

    A flat `x` (the output of AlexNet's or VGG's hidden dense layers) skips
    the pooling.
    """
    if not include_top:
        return global_pool(x, pooling)
    if len(x.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name=dropout_name)(x)
    return classifier(x, num_classes, classifier_activation, name=name,
                      kernel_initializer=kernel_initializer)


def conv_relu(x, filters, kernel_size, name, strides=1, padding="same", groups=1,
              kernel_initializer="glorot_uniform"):
    """A convolution with bias and ReLU in one layer, `name`: the unit of the
    networks before batch normalisation (AlexNet section 3.1, NIN, VGG
    section 2.1, GoogLeNet section 5).

    With `groups` > 1 each group of filters reads only its slice of the input
    channels (AlexNet's two GPU towers, section 3.2), through
    `GroupedConv2D`.
    """
    conv = GroupedConv2D if groups > 1 else layers.Conv2D
    return conv(
        filters, kernel_size, strides=strides, padding=padding, groups=groups,
        activation="relu", kernel_initializer=kernel_initializer, name=name,
    )(x)


def conv_bn_act(
    x,
    filters,
    kernel_size,
    name,
    strides=1,
    padding="same",
    groups=1,
    use_bias=False,
    activation="relu",
    bn_scale=True,
    bn_epsilon=1e-3,
    zero_init=False,
):
    """Convolution, batch normalisation and activation: the unit of nearly
    every network since Inception v2 (Ioffe and Szegedy 2015).

    The convolution needs no bias because BatchNorm's beta replaces it;
    `use_bias`, `bn_scale` and `bn_epsilon` exist because keras.applications
    families differ in exactly these, and matching them keeps their weights
    loadable. `groups` > 1 makes a grouped convolution (ResNeXt, Xie et al.
    2017, Figure 3c) through `GroupedConv2D`. `zero_init` starts BatchNorm's
    scale at zero, so the unit outputs zero: on the last unit of a residual
    branch the block starts as its shortcut (Goyal et al. 2017, "Accurate,
    large minibatch SGD", section 5.1; timm's `zero_init_last`).
    `activation=None` leaves the output linear. Layers are named
    `{name}_conv`, `{name}_bn` and `{name}_{activation}`.
    """
    conv = GroupedConv2D if groups > 1 else layers.Conv2D
    x = conv(
        filters, kernel_size, strides=strides, padding=padding, groups=groups,
        use_bias=use_bias, name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        scale=bn_scale, epsilon=bn_epsilon,
        gamma_initializer="zeros" if zero_init else "ones", name=f"{name}_bn",
    )(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x


NORMS = ("batch", "group")


def bn_act(x, name, activation="relu", epsilon=1e-3, norm="batch", groups=32):
    """Normalisation then activation: the pre-activation of ResNet v2 (He et
    al. 2016, Figure 4e), put before each convolution.

    `norm="batch"` is BatchNorm (`{name}_bn`); `norm="group"` is GroupNorm
    over `groups` channel groups (`{name}_gn`; Wu and He 2018), which BiT
    uses in its place (Kolesnikov et al. 2020, section 3.3) because it
    normalises each image on its own. The activation is `{name}_{activation}`;
    None leaves it out.
    """
    if norm == "batch":
        x = layers.BatchNormalization(epsilon=epsilon, name=f"{name}_bn")(x)
    elif norm == "group":
        x = layers.GroupNormalization(groups, epsilon=epsilon, name=f"{name}_gn")(x)
    else:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}; got {norm!r}.")
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    return x


def symmetric_pad(x, kernel_size, stride, name, always=False):
    """Pads `kernel_size // 2` zeros on every side (`{name}_pad`) for a
    strided convolution or pooling, which must then use 'valid'; returns the
    tensor and the padding to use.

    Keras' 'same' pads only the bottom and right of an even-sized input
    when it strides, which shifts every output by a pixel against the
    papers' Caffe, Torch and TF-slim models and keras.applications' weights.
    Without a stride (or with a 1x1 kernel) 'same' is already symmetric and
    nothing is added, unless `always`: keras.applications' ResNetV2 and
    BiT's code pad explicitly there too, and their layer names keep it.
    """
    if kernel_size == 1 or (stride == 1 and not always):
        return x, "same"
    return layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x), "valid"


def make_divisible(value, divisor=8, min_value=None):
    """`value` rounded to the nearest multiple of `divisor`, at least
    `min_value` (default `divisor`) and never more than 10% below `value`:
    the channel rounding of MobileNetV2/V3 and EfficientNet (TF-slim's
    `_make_divisible`, keras.applications' `_depth` and `round_filters`)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return int(rounded)


def squeeze_excite(x, name, ratio=0.25, channels_in=None, divisor=None,
                   activation="relu", gate="sigmoid", kernel_initializer="glorot_uniform"):
    """Squeeze-and-excitation (Hu et al. 2018, section 3, Figure 2): global
    average pooling squeezes each channel to one number (`{name}_squeeze`),
    a 1x1 convolution reduces them (`{name}_reduce`, with `activation`), a
    second restores the channels (`{name}_expand`, with `gate`), and the
    result rescales the input channel by channel (`{name}_excite`).

    The reduced width is `ratio` times `channels_in` (default: the
    channels of `x`), rounded by `make_divisible(., divisor)` when a
    `divisor` is given and truncated (at least 1) otherwise. The families
    differ in exactly these options:

    - SENet: `ratio=1/16`, ReLU, sigmoid (the paper's r = 16).
    - MobileNetV3 (Howard et al. 2019, section 5.3): `ratio=0.25` of the
      expanded width (the default `channels_in`), `divisor=8`, ReLU and
      `gate="hard_sigmoid"` (Keras' hard sigmoid is the paper's
      ReLU6(x + 3) / 6), as keras.applications' `_se_block`.
    - EfficientNet (Tan and Le 2019, section 4): `ratio=0.25` of the block's
      input width, `channels_in=<block input channels>`, no divisor,
      `activation="swish"`, sigmoid, as keras.applications' block.
    - RegNetY (Radosavovic et al. 2020, section 5): `ratio=0.25` of the
      block's input width, ReLU, sigmoid.

    The convolutions have biases and are created reduce first, as in
    keras.applications, so their MobileNetV3 and EfficientNet weights load
    by order. Pooling keeps the 1x1 spatial dimensions, which equals keras'
    pooling followed by a Reshape.
    """
    channels = x.shape[-1]
    reduced = ratio * (channels if channels_in is None else channels_in)
    reduced = make_divisible(reduced, divisor) if divisor else max(1, int(reduced))
    se = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)
    se = layers.Conv2D(reduced, 1, activation=activation,
                       kernel_initializer=kernel_initializer, name=f"{name}_reduce")(se)
    se = layers.Conv2D(channels, 1, activation=gate,
                       kernel_initializer=kernel_initializer, name=f"{name}_expand")(se)
    return layers.Multiply(name=f"{name}_excite")([x, se])


@keras.saving.register_keras_serializable(package="convnets_tf")
class DropPath(layers.Layer):
    """Stochastic depth (Huang et al. 2016, section 3): in training, each
    sample's input (a residual branch) is zeroed with probability `rate`
    and otherwise divided by 1 - `rate`, so its expected value is the input;
    at inference it is the identity.

    The paper scales at test time instead; dividing in training, as timm's
    `DropPath` and keras.applications' ConvNeXt `StochasticDepth` do, leaves
    inference untouched. Put it on the residual branch just before the
    addition: a dropped sample then passes through the shortcut alone.
    `seed` makes the masks reproducible.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"DropPath: rate must be in [0, 1); got {rate}.")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        # One draw per sample, broadcast over every other axis.
        noise_shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        return keras.random.dropout(
            inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="convnets_tf")
class NoisyBatchNormalization(layers.BatchNormalization):
    """BatchNorm followed, in training only, by a random affine map per
    channel, drawn anew at every step: `scale` x output + `shift`, with
    `scale` log-uniform in [1 / `max_scale`, `max_scale`] and `shift`
    uniform in [-`max_shift`, `max_shift`].

    The "noisy BatchNorm" of Santurkar et al. ("How does batch normalization
    help optimization?", NeurIPS 2018, section 2.1) in the form of a layer:
    the next layer's inputs no longer have a stable distribution, which is
    all that BatchNorm was meant to provide against internal covariate
    shift. (They draw i.i.d. noise per activation from a distribution whose
    mean and variance change at every step; here the whole channel moves.)
    At inference it is plain BatchNorm.
    """

    def __init__(self, max_shift, max_scale, seed=None, **kwargs):
        super().__init__(**kwargs)
        if max_shift < 0 or max_scale < 1:
            raise ValueError("NoisyBatchNormalization: max_shift must be 0 or more and "
                             f"max_scale 1 or more; got {max_shift} and {max_scale}.")
        self.max_shift, self.max_scale, self.seed = max_shift, max_scale, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None, mask=None):
        outputs = super().call(inputs, training=training, mask=mask)
        if not training:
            return outputs
        channels = (outputs.shape[self.axis],)
        log_scale = float(np.log(self.max_scale))
        scale = ops.exp(keras.random.uniform(channels, -log_scale, log_scale,
                                             seed=self.seed_generator, dtype=outputs.dtype))
        shift = keras.random.uniform(channels, -self.max_shift, self.max_shift,
                                     seed=self.seed_generator, dtype=outputs.dtype)
        return outputs * scale + shift

    def get_config(self):
        return {**super().get_config(), "max_shift": self.max_shift,
                "max_scale": self.max_scale, "seed": self.seed}


def with_noisy_batchnorm(model, max_shift, max_scale):
    """A copy of `model`, with fresh weights, in which every
    BatchNormalization layer is a `NoisyBatchNormalization` with the same
    settings (channels-last models)."""

    def clone(layer):
        if isinstance(layer, layers.BatchNormalization):
            return NoisyBatchNormalization(max_shift, max_scale, **layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(model, clone_function=clone)


@keras.saving.register_keras_serializable(package="convnets_tf")
class LayerScale(layers.Layer):
    """Layer scale (Touvron et al. 2021, "Going deeper with image
    transformers", section 3; ConvNeXt, Liu et al. 2022, section 2.6): the
    input times a learned per-channel factor that starts at `init_values`
    (1e-6 in ConvNeXt), so a residual branch starts almost switched off.

    As keras.applications' ConvNeXt `LayerScale`: one weight `gamma` of
    shape `(projection_dim,)`, the last axis; `projection_dim=None` takes it
    from the input.
    """

    def __init__(self, init_values=1e-6, projection_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        dim = self.projection_dim or input_shape[-1]
        self.gamma = self.add_weight(
            name="gamma", shape=(dim,),
            initializer=keras.initializers.Constant(self.init_values),
        )

    def call(self, inputs):
        return inputs * ops.cast(self.gamma, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


@keras.saving.register_keras_serializable(package="convnets_tf")
class ChannelShuffle(layers.Layer):
    """Channel shuffle (Zhang et al. 2018, ShuffleNet, section 3.1, Figure
    1c; ShuffleNetV2, Ma et al. 2018, section 4): the channels, read as a
    `groups` x (channels / groups) matrix, are transposed and flattened, so
    that the next grouped convolution sees channels from every group.
    Output channel `j * groups + i` is input channel `i * (channels /
    groups) + j`. No weights.
    """

    def __init__(self, groups, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups

    def build(self, input_shape):
        if input_shape[-1] % self.groups:
            raise ValueError(
                f"{self.name}: {input_shape[-1]} channels do not split into "
                f"{self.groups} groups."
            )

    def call(self, inputs):
        shape = ops.shape(inputs)
        channels = inputs.shape[-1]
        x = ops.reshape(inputs, (*shape[:-1], self.groups, channels // self.groups))
        x = ops.swapaxes(x, -1, -2)
        return ops.reshape(x, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


def channel_shuffle(x, groups, name):
    """`ChannelShuffle(groups)` as a block: layer `{name}_shuffle`."""
    return ChannelShuffle(groups, name=f"{name}_shuffle")(x)


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

    A depthwise convolution written as a grouped one (one channel per group
    in and out, keras.applications' ConvNeXt) runs on every device as
    `ops.depthwise_conv` on the same kernel reshaped to `(kh, kw, filters,
    1)`, the same memory order: fast on CPU and on accelerators.
    """

    def convolution_op(self, inputs, kernel):
        axis = -1 if self.data_format == "channels_last" else 1
        if self.groups == self.filters == inputs.shape[axis] > 1:
            return ops.depthwise_conv(
                inputs, ops.reshape(kernel, (*kernel.shape[:2], self.filters, 1)),
                strides=self.strides, padding=self.padding,
                data_format=self.data_format, dilation_rate=self.dilation_rate,
            )
        if self.groups == 1 or not _cpu_only():
            return super().convolution_op(inputs, kernel)
        # Each part has groups=1, so Keras runs it on the dense CPU kernel.
        outputs = [
            super(GroupedConv2D, self).convolution_op(x, k)
            for x, k in zip(
                ops.split(inputs, self.groups, axis=axis),
                ops.split(kernel, self.groups, axis=-1),
            )
        ]
        return ops.concatenate(outputs, axis=axis)


def whitening_kernel(images, patch_size, epsilon=5e-4):
    """A `patch_size` x `patch_size` convolution kernel that whitens the
    patches of `images` (Page 2018, "How to train your ResNet"; Jordan 2024,
    airbench94): the eigenvectors of the patches' second-moment matrix,
    each divided by the square root of its eigenvalue plus `epsilon` and
    paired with its negative, so that a ReLU-like activation after it keeps
    both signs. Largest eigenvalue first.

    `images`: float images as the model sees them (normalised), shape
    `(N, H, W, C)`. Returns a float32 kernel of shape
    `(patch_size, patch_size, C, 2 * patch_size**2 * C)`, for a Conv2D with
    that many filters and "valid" padding, usually frozen.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or min(images.shape[1:3]) < patch_size:
        raise ValueError(
            f"whitening_kernel needs images (N, H, W, C) of at least {patch_size}x"
            f"{patch_size} pixels, got shape {images.shape}."
        )
    channels = images.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(
        images, (patch_size, patch_size), axis=(1, 2))  # (N, h, w, C, k, k)
    # Rows ordered (row, column, channel), as Keras flattens a kernel.
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, patch_size**2 * channels)
    moments = patches.T.astype(np.float64) @ patches / len(patches)
    eigenvalues, eigenvectors = np.linalg.eigh(moments)  # ascending
    filters = eigenvectors[:, ::-1] / np.sqrt(eigenvalues[::-1] + epsilon)
    kernel = filters.reshape(patch_size, patch_size, channels, -1)
    return np.concatenate([kernel, -kernel], axis=-1).astype(np.float32)


@keras.saving.register_keras_serializable(package="convnets_tf")
class PartialIdentity(keras.initializers.Initializer):
    """A convolution kernel whose first `min(in, out)` filters copy their own
    input channel (a centred one, zeros elsewhere), as PyTorch's
    `nn.init.dirac_` on them; the other filters are drawn as PyTorch's
    default (uniform within 1/sqrt(fan_in)). A stack of such convolutions
    starts close to passing its input through (airbench94's convolutions,
    Jordan 2024; the "dirac" ablation there)."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        height, width, channels_in, channels_out = shape
        random = keras.initializers.VarianceScaling(
            1 / 3, "fan_in", "uniform", seed=self.seed)(shape, dtype)
        kept = min(channels_in, channels_out)
        identity = np.zeros(shape, np.float32)
        identity[height // 2, width // 2, np.arange(kept), np.arange(kept)] = 1
        random_part = np.ones(shape, np.float32)
        random_part[..., :kept] = 0
        return random * ops.cast(random_part, random.dtype) + ops.cast(identity, random.dtype)

    def get_config(self):
        return {"seed": self.seed}
