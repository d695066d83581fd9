"""BiT: weight-standardised convolution, GroupNorm, and the unit structure
of the authors' code, checked against a NumPy re-implementation."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from numpy.lib.stride_tricks import sliding_window_view

from convnets_tf.models.bit import StandardizedConv2D, bit

TINY = {"block_units": (1, 1, 1, 1), "width": 0.5}   # 32-channel root


def tiny_bit(size=35, **kwargs):
    keras.utils.set_random_seed(0)
    return bit(input_shape=(size, size, 3), num_classes=10, **{**TINY, **kwargs})


def randomise_norms_and_head(model, rng):
    """Non-trivial GN scales and offsets, so that a misplaced GN shows, and
    a random head instead of the zero one, which would hide everything."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.GroupNormalization):
            gamma, beta = layer.get_weights()
            layer.set_weights([1 + 0.3 * rng.normal(size=gamma.shape),
                               0.3 * rng.normal(size=beta.shape)])
    kernel, bias = model.get_layer("head").get_weights()
    model.get_layer("head").set_weights([
        rng.normal(size=kernel.shape) / np.sqrt(kernel.shape[0]),
        rng.normal(size=bias.shape)])


def test_kernel_is_standardised_per_output_filter():
    rng = np.random.default_rng(0)
    conv = StandardizedConv2D(8, 3)
    conv.build((None, 9, 9, 4))
    conv.kernel.assign(3.0 + 5.0 * rng.normal(size=(3, 3, 4, 8)))
    w = keras.ops.convert_to_numpy(conv.standardize(conv.kernel))
    np.testing.assert_allclose(w.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(w.var(axis=(0, 1, 2)), 1.0, atol=1e-4)


def test_convolution_uses_the_standardised_kernel():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 9, 4)).astype("float32")
    conv = StandardizedConv2D(8, 3, strides=2, use_bias=False)
    conv.build(x.shape)
    kernel = (2.0 + rng.normal(size=(3, 3, 4, 8))).astype("float32")
    conv.kernel.assign(kernel)
    mean = kernel.mean(axis=(0, 1, 2))
    std = np.sqrt(kernel.var(axis=(0, 1, 2)) + 1e-10)
    expected = tf.nn.conv2d(x, (kernel - mean) / std, strides=2, padding="VALID")
    np.testing.assert_allclose(conv(x), expected, atol=1e-4)
    # A plain convolution with the stored kernel differs: the test can fail.
    assert not np.allclose(tf.nn.conv2d(x, kernel, 2, "VALID"), expected, atol=1e-2)


def test_head_starts_at_zero():
    """The authors' zero head: every class starts equally likely."""
    out = tiny_bit(32)(np.ones((1, 32, 32, 3), "float32"))
    np.testing.assert_allclose(out, 0.1, atol=1e-6)


def test_output_ignores_each_filters_scale_and_offset():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    conv = StandardizedConv2D(4, 3, use_bias=False)
    y = conv(x)
    scale = rng.uniform(0.5, 4.0, size=4)
    offset = rng.normal(size=4)
    conv.kernel.assign(conv.kernel.numpy() * scale + offset)
    np.testing.assert_allclose(conv(x), y, atol=1e-4)


def test_layer_config_round_trip():
    conv = StandardizedConv2D(16, 3, strides=2, epsilon=1e-6, name="ws")
    config = keras.saving.serialize_keras_object(conv)
    assert config["registered_name"] == "convnets_tf>StandardizedConv2D"
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is StandardizedConv2D
    assert (clone.epsilon, clone.filters, clone.strides) == (1e-6, 16, (2, 2))


def test_every_convolution_is_standardised_and_every_norm_is_group_norm():
    model = tiny_bit()
    kinds = {type(layer) for layer in model.layers}
    assert keras.layers.BatchNormalization not in kinds
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs and all(type(c) is StandardizedConv2D and not c.use_bias for c in convs)
    norms = [layer for layer in model.layers
             if isinstance(layer, keras.layers.GroupNormalization)]
    # Three per unit, one before the head.
    assert len(norms) == 3 * 4 + 1
    assert all(n.groups == 32 and n.epsilon == 1e-5 for n in norms)


def source(model, layer_name, index=0):
    """Name of the layer whose output feeds input `index` of `layer_name`."""
    inputs = model.get_layer(layer_name).input
    tensor = inputs[index] if isinstance(inputs, (list, tuple)) else inputs
    return tensor._keras_history[0].name


def test_unit_structure_follows_the_authors_code():
    model = tiny_bit(block_units=(1, 2, 1, 1))
    # The stride is on the 3x3 convolution of the first unit of a stage.
    strides = {n: model.get_layer(n).strides for n in (
        "block2_unit01_a_conv", "block2_unit01_b_conv", "block2_unit01_c_conv",
        "block2_unit01_proj_conv", "block2_unit02_b_conv", "block1_unit01_b_conv")}
    assert strides == {
        "block2_unit01_a_conv": (1, 1), "block2_unit01_b_conv": (2, 2),
        "block2_unit01_c_conv": (1, 1), "block2_unit01_proj_conv": (2, 2),
        "block2_unit02_b_conv": (1, 1), "block1_unit01_b_conv": (1, 1)}
    # The projection reads the pre-activation; later units add the identity.
    assert source(model, "block2_unit01_proj_conv") == "block2_unit01_a_relu"
    assert source(model, "block2_unit01_add", 0) == "block2_unit01_proj_conv"
    assert source(model, "block2_unit02_add", 0) == "block2_unit01_add"
    names = {layer.name for layer in model.layers}
    assert "block2_unit02_proj_conv" not in names
    # Units end in the sum: no activation between units, GN+ReLU before the head.
    assert source(model, "block3_unit01_a_gn") == "block2_unit02_add"
    assert source(model, "pre_head_gn") == "block4_unit01_add"


def test_width_multiplies_every_hidden_layer():
    narrow, wide = tiny_bit(width=1, include_top=False), tiny_bit(width=2, include_top=False)
    for layer in ("root_conv", "block1_unit01_b_conv", "block3_unit01_c_conv",
                  "block4_unit01_proj_conv"):
        assert wide.get_layer(layer).filters == 2 * narrow.get_layer(layer).filters
    assert narrow.output_shape[-1] == 2048 and wide.output_shape[-1] == 4096


# A NumPy forward pass written from the authors' bit_pytorch/models.py.
def np_conv(x, w, stride=1):
    pad = w.shape[0] // 2
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(x, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]
    mean, var = w.mean(axis=(0, 1, 2)), w.var(axis=(0, 1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, (w - mean) / np.sqrt(var + 1e-10))


def np_gn_relu(x, gamma, beta):
    n, h, w, c = x.shape
    g = x.reshape(n, h, w, 32, c // 32)
    g = (g - g.mean(axis=(1, 2, 4), keepdims=True)) / np.sqrt(
        g.var(axis=(1, 2, 4), keepdims=True) + 1e-5)
    return np.maximum(g.reshape(x.shape) * gamma + beta, 0.0)


def np_bit(model, x):
    def weights(name):
        return [w.astype("float64") for w in model.get_layer(name).get_weights()]

    x = np_conv(x, *weights("root_conv"), stride=2)
    x = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))   # zeros, then max-pool 3/2
    x = sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, ::2].max(axis=(-2, -1))
    for stage in range(1, 5):
        unit = 1
        while f"block{stage}_unit{unit:02d}_add" in {l.name for l in model.layers}:
            p = f"block{stage}_unit{unit:02d}"
            stride = 2 if stage > 1 and unit == 1 else 1
            out = np_gn_relu(x, *weights(f"{p}_a_gn"))
            shortcut = x
            if unit == 1:
                shortcut = np_conv(out, *weights(f"{p}_proj_conv"), stride=stride)
            out = np_conv(out, *weights(f"{p}_a_conv"))
            out = np_conv(np_gn_relu(out, *weights(f"{p}_b_gn")), *weights(f"{p}_b_conv"),
                          stride=stride)
            out = np_conv(np_gn_relu(out, *weights(f"{p}_c_gn")), *weights(f"{p}_c_conv"))
            x = out + shortcut
            unit += 1
    x = np_gn_relu(x, *weights("pre_head_gn")).mean(axis=(1, 2))
    kernel, bias = weights("head")
    return x @ kernel + bias


@pytest.mark.parametrize("size", [32, 35])
def test_matches_a_numpy_reimplementation_of_the_authors_model(size):
    model = tiny_bit(size, block_units=(1, 2, 1, 1), classifier_activation=None)
    rng = np.random.default_rng(size)
    randomise_norms_and_head(model, rng)
    x = rng.uniform(-1, 1, size=(2, size, size, 3))
    np.testing.assert_allclose(model(x.astype("float32")), np_bit(model, x),
                               rtol=1e-4, atol=1e-4)


def test_an_images_output_does_not_depend_on_the_rest_of_the_batch():
    """The point of GroupNorm (section 2.1): even in training mode, no
    statistic is shared across the batch, unlike BatchNorm's."""
    model = tiny_bit(32, include_top=False, pooling="avg")
    x = np.random.default_rng(3).uniform(-1, 1, size=(4, 32, 32, 3)).astype("float32")
    together = model(x, training=True)[:1]
    alone = model(x[:1], training=True)
    np.testing.assert_allclose(together, alone, atol=1e-4)


@pytest.mark.parametrize("options, message", [
    ({"block_units": (3, 4, 6)}, "four positive integers"),
    ({"block_units": (3, 0, 6, 3)}, "four positive integers"),
    ({"width": 0.75}, "multiple of 0.5"),
    ({"width": 0}, "multiple of 0.5"),
])
def test_impossible_variants_raise(options, message):
    with pytest.raises(ValueError, match=message):
        bit(input_shape=(32, 32, 3), **options)
