"""GroupedConv2D computes exactly what Conv2D(groups=g) computes."""

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.legacy.saving import legacy_h5_format

from convnets_tf import layers as layers_module
from convnets_tf.layers import GroupedConv2D

CONFIGS = {
    "resnext_3x3": dict(filters=64, kernel_size=3, groups=32, padding="same",
                        use_bias=False),
    "resnext_3x3_stride2": dict(filters=64, kernel_size=3, groups=32,
                                strides=2, padding="same", use_bias=False),
    "alexnet_conv2": dict(filters=32, kernel_size=5, groups=2, padding="same",
                          activation="relu"),
    "valid_dilated": dict(filters=16, kernel_size=3, groups=4, padding="valid",
                          dilation_rate=2),
    "depthwise_7x7": dict(filters=64, kernel_size=7, groups=64, padding="same"),  # ConvNeXt
}


def pair(config, channels, seed=0):
    """A Conv2D(groups=g) and a GroupedConv2D holding the same weights."""
    keras.utils.set_random_seed(seed)
    reference = keras.layers.Conv2D(**config)
    ours = GroupedConv2D(**config)
    reference.build((None, 11, 11, channels))
    ours.build((None, 11, 11, channels))
    ours.set_weights(reference.get_weights())
    return reference, ours


def value_and_grads(layer, x, upstream):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
    return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]


def assert_same(reference, ours, x, rtol, atol_scale):
    upstream = np.random.default_rng(1).normal(
        size=reference.compute_output_shape(x.shape)
    ).astype("float32")
    for compute in (value_and_grads, tf.function(value_and_grads)):
        expected = compute(reference, x, upstream)
        got = compute(ours, x, upstream)
        assert len(got) == len(expected) == 2 + len(ours.trainable_weights)
        for name, e, g in zip(("output", "d_input", "d_kernel", "d_bias"),
                              expected, got):
            e, g = np.asarray(e, "float32"), np.asarray(g, "float32")
            np.testing.assert_allclose(
                g, e, rtol=rtol, atol=atol_scale * np.abs(e).max(),
                err_msg=name,
            )


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_outputs_and_gradients_equal_conv2d_groups(config):
    reference, ours = pair(config, channels=64)
    assert ours.kernel.shape == reference.kernel.shape
    assert ours.kernel.shape[2] == 64 // config["groups"]
    x = np.random.default_rng(0).normal(size=(2, 11, 11, 64)).astype("float32")
    assert_same(reference, ours, x, rtol=1e-5, atol_scale=1e-6)


def test_float16_compute_under_mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    reference, ours = pair(CONFIGS["resnext_3x3"], channels=64)
    assert ours.compute_dtype == "float16"
    assert ours.kernel.dtype == "float32"
    x = np.random.default_rng(0).normal(size=(2, 11, 11, 64)).astype("float32")
    assert ours(x).dtype == "float16"
    assert_same(reference, ours, x, rtol=1e-2, atol_scale=2e-3)


def conv_ops(layer, x):
    """The convolution ops in the graph `layer` traces, outside any nested
    (for example XLA-compiled) function."""
    graph = tf.function(layer).get_concrete_function(x).graph
    return [op for op in graph.get_operations() if op.type == "Conv2D"]


def test_depthwise_is_one_depthwise_conv_on_every_device(monkeypatch):
    _, ours = pair(CONFIGS["depthwise_7x7"], channels=64)
    x = tf.zeros((1, 11, 11, 64))
    for cpu_only in (True, False):
        monkeypatch.setattr(layers_module, "_cpu_only", lambda: cpu_only)
        graph = tf.function(ours).get_concrete_function(x).graph
        assert [op.type for op in graph.get_operations()
                if "Conv" in op.type] == ["DepthwiseConv2dNative"]


def test_cpu_path_is_one_dense_conv_per_group(monkeypatch):
    config = CONFIGS["resnext_3x3"]
    _, ours = pair(config, channels=64)
    x = tf.zeros((1, 11, 11, 64))
    assert len(conv_ops(ours, x)) == config["groups"]
    # With an accelerator in sight the layer is Keras' Conv2D, which hides
    # its grouped convolution inside an XLA-compiled function.
    monkeypatch.setattr(layers_module, "_cpu_only", lambda: False)
    assert len(conv_ops(ours, x)) == 0
    assert ours(x).shape == (1, 11, 11, 64)


def test_save_and_load_round_trip(tmp_path):
    inputs = keras.Input((11, 11, 64))
    outputs = GroupedConv2D(**CONFIGS["alexnet_conv2"], name="grouped")(inputs)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(2, 11, 11, 64)).astype("float32")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    layer = loaded.get_layer("grouped")
    assert type(layer) is GroupedConv2D
    assert layer.get_config() == model.get_layer("grouped").get_config()
    np.testing.assert_array_equal(loaded(x), model(x))



def test_loads_keras_applications_style_weights(tmp_path):
    """keras.applications files are legacy HDF5 weights, matched by order."""
    def model(conv):
        inputs = keras.Input((11, 11, 64))
        x = keras.layers.Conv2D(64, 1, name="conv1")(inputs)
        return keras.Model(inputs, conv(**CONFIGS["alexnet_conv2"], name="conv2")(x))

    reference, ours = model(keras.layers.Conv2D), model(GroupedConv2D)
    with h5py.File(tmp_path / "reference.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    ours.load_weights(tmp_path / "reference.h5")
    x = np.random.default_rng(0).normal(size=(2, 11, 11, 64)).astype("float32")
    np.testing.assert_allclose(ours(x), reference(x), rtol=1e-5, atol=1e-5)
