"""The shared blocks of convnets_tf.layers: shapes, weights, serialisation,
training versus inference, and agreement with keras.applications' blocks."""

import keras
import numpy as np
import pytest
from keras import layers
from keras.src.applications import efficientnet as keras_efficientnet
from keras.src.applications import mobilenet_v3 as keras_mobilenet_v3

from convnets_tf import layers as blocks
from convnets_tf.models.common import check_option


def functional(block, input_shape, **kwargs):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, block(inputs, **kwargs))


def roundtrip(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.models.load_model(path)


# --- Keras' own hard activations are MobileNetV3's -------------------------

def test_keras_hard_activations_are_the_papers():
    """Howard et al. 2019, section 5.2: h-sigmoid = ReLU6(x + 3) / 6 and
    h-swish = x h-sigmoid(x), as keras.applications' MobileNetV3 computes
    them; so no custom activation is needed."""
    x = np.linspace(-8, 8, 161).astype("float32")
    h_sigmoid = np.minimum(np.maximum(x + 3, 0), 6) / 6
    np.testing.assert_allclose(keras.activations.get("hard_sigmoid")(x), h_sigmoid,
                               atol=1e-6)
    np.testing.assert_allclose(keras.activations.get("hard_swish")(x), x * h_sigmoid,
                               atol=1e-6)
    np.testing.assert_allclose(
        keras_mobilenet_v3.hard_sigmoid(keras.ops.convert_to_tensor(x)), h_sigmoid,
        atol=1e-6,
    )


# --- conv units -------------------------------------------------------------

def test_conv_bn_act_groups_and_zero_init():
    model = functional(blocks.conv_bn_act, (8, 8, 16), filters=32, kernel_size=3,
                       name="u", groups=4, activation=None, zero_init=True)
    conv = model.get_layer("u_conv")
    assert isinstance(conv, blocks.GroupedConv2D) and conv.groups == 4
    assert conv.kernel.shape == (3, 3, 4, 32)
    assert [layer.name for layer in model.layers[1:]] == ["u_conv", "u_bn"]
    # A zero BatchNorm scale: the unit starts at its beta, zero.
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    np.testing.assert_array_equal(model(x, training=False), 0.0)


def test_conv_bn_act_default_is_a_plain_conv():
    model = functional(blocks.conv_bn_act, (8, 8, 3), filters=4, kernel_size=3,
                       name="u")
    assert type(model.get_layer("u_conv")) is layers.Conv2D
    assert [layer.name for layer in model.layers[1:]] == ["u_conv", "u_bn", "u_relu"]


def test_bn_act_batch_and_group():
    model = functional(blocks.bn_act, (4, 4, 64), name="a", epsilon=1e-5)
    assert [layer.name for layer in model.layers[1:]] == ["a_bn", "a_relu"]
    model = functional(blocks.bn_act, (4, 4, 64), name="a", norm="group",
                       activation=None)
    assert [layer.name for layer in model.layers[1:]] == ["a_gn"]
    assert model.get_layer("a_gn").groups == 32
    with pytest.raises(ValueError, match="batch, group"):
        functional(blocks.bn_act, (4, 4, 64), name="a", norm="layer")


@pytest.mark.parametrize("kernel_size, stride, always, padded", [
    (3, 2, False, True), (7, 2, False, True), (3, 1, False, False),
    (1, 2, False, False), (3, 1, True, True), (1, 1, True, False),
])
def test_symmetric_pad(kernel_size, stride, always, padded):
    inputs = keras.Input((8, 8, 2))
    x, padding = blocks.symmetric_pad(inputs, kernel_size, stride, "c", always=always)
    assert padding == ("valid" if padded else "same")
    assert (x is not inputs) == padded
    if padded:
        assert x.shape[1:3] == (8 + 2 * (kernel_size // 2),) * 2
    # Either way the strided convolution reads a window centred as in Caffe:
    # output (0, 0) is centred on input (0, 0).
    y = layers.Conv2D(1, kernel_size, strides=stride, padding=padding, use_bias=False,
                      kernel_initializer="ones")(x)
    ones = np.ones((1, 8, 8, 2), "float32")
    corner = float(keras.Model(inputs, y)(ones)[0, 0, 0, 0])
    assert corner == 2 * (kernel_size // 2 + 1) ** 2


def test_conv_relu_groups():
    model = functional(blocks.conv_relu, (9, 9, 8), filters=6, kernel_size=3,
                       name="c", groups=2)
    assert model.get_layer("c").kernel.shape == (3, 3, 4, 6)
    assert model.count_params() == 3 * 3 * 4 * 6 + 6


# --- tops --------------------------------------------------------------------

def test_classifier_top():
    model = functional(blocks.classifier_top, (4, 4, 8), num_classes=3,
                       include_top=True, pooling=None, classifier_activation="softmax",
                       dropout=0.5)
    assert [layer.name for layer in model.layers[1:]] == [
        "avg_pool", "dropout", "predictions"]
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = functional(blocks.classifier_top, (4, 4, 8), num_classes=3,
                       include_top=True, pooling=None, classifier_activation="softmax")
    assert model.output.dtype == "float32"
    for pooling, shape in (("avg", (None, 8)), ("max", (None, 8)), (None, (None, 4, 4, 8))):
        model = functional(blocks.classifier_top, (4, 4, 8), num_classes=3,
                           include_top=False, pooling=pooling,
                           classifier_activation="softmax")
        assert model.output.shape == shape
        if pooling:
            assert model.layers[-1].name == f"{pooling}_pool"
    # A flat input (after hidden dense layers) is not pooled.
    model = functional(blocks.classifier_top, (5,), num_classes=3, include_top=True,
                       pooling=None, classifier_activation=None, name="fc8")
    assert [layer.name for layer in model.layers[1:]] == ["fc8"]


def test_check_option():
    check_option("net", "depth", 50, (18, 50))
    check_option("net", "config", "A", {"A": 1, "B": 2})
    with pytest.raises(ValueError, match=r"net: depth must be one of 18, 50; got 34\."):
        check_option("net", "depth", 34, (18, 50))
    with pytest.raises(ValueError, match="config must be one of A, B; got 'C'"):
        check_option("net", "config", "C", {"A": 1, "B": 2})


# --- squeeze-and-excitation --------------------------------------------------

@pytest.mark.parametrize("value, divisor, expected", [
    (16 * 0.25, 8, 8), (72 * 0.25, 8, 24), (240 * 0.25, 8, 64), (100, 8, 104),
    (10, 8, 16), (37, 4, 36),
])
def test_make_divisible(value, divisor, expected):
    assert blocks.make_divisible(value, divisor) == expected
    assert blocks.make_divisible(value, divisor) == keras_mobilenet_v3._depth(value,
                                                                               divisor)


def test_squeeze_excite_shapes_and_params():
    c = 64
    model = functional(blocks.squeeze_excite, (7, 7, c), name="se", ratio=1 / 16)
    assert model.output.shape == (None, 7, 7, c)
    assert [layer.name for layer in model.layers[1:]] == [
        "se_squeeze", "se_reduce", "se_expand", "se_excite"]
    assert model.count_params() == (c * 4 + 4) + (4 * c + c)  # r = 16
    # Ratio of the block input (EfficientNet, RegNetY), not of x.
    model = functional(blocks.squeeze_excite, (7, 7, 96), name="se", channels_in=16)
    assert model.get_layer("se_reduce").filters == 4
    # MobileNetV3: rounded to a multiple of 8.
    model = functional(blocks.squeeze_excite, (7, 7, 72), name="se", divisor=8,
                       gate="hard_sigmoid")
    assert model.get_layer("se_reduce").filters == 24


def test_squeeze_excite_is_keras_mobilenet_v3s():
    """Same weights in the same order, same outputs as keras.applications'
    MobileNetV3 `_se_block` (ReLU, hard sigmoid, divisor 8)."""
    shape = (5, 5, 72)
    inputs = keras.Input(shape)
    theirs = keras.Model(inputs, keras_mobilenet_v3._se_block(inputs, 72, 0.25, "b_"))
    ours = functional(blocks.squeeze_excite, shape, name="se", divisor=8,
                      gate="hard_sigmoid")
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    theirs.set_weights([np.random.default_rng(i).normal(size=w.shape)
                        for i, w in enumerate(theirs.weights)])
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(9).normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)


def test_squeeze_excite_matches_keras_efficientnet_weights():
    """keras.applications' EfficientNet block: SE on the expanded width,
    reduced to a quarter of the block input, swish then sigmoid."""
    inputs = keras.Input((8, 8, 24))
    theirs = keras.Model(inputs, keras_efficientnet.block(
        inputs, filters_in=24, filters_out=40, expand_ratio=6, se_ratio=0.25,
        name="b_"))
    ours = functional(blocks.squeeze_excite, (8, 8, 144), name="se", channels_in=24,
                      activation="swish")
    se_weights = [w.shape for layer in theirs.layers if "_se_" in layer.name
                  for w in layer.weights]
    assert se_weights == [w.shape for w in ours.weights]
    assert theirs.get_layer("b_se_reduce").activation.__name__ == "silu"


# --- DropPath ----------------------------------------------------------------

def test_drop_path_inference_is_identity():
    x = np.random.default_rng(0).normal(size=(8, 3, 3, 4)).astype("float32")
    layer = blocks.DropPath(0.5, seed=1)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(blocks.DropPath(0.0)(x, training=True), x)


def test_drop_path_is_per_sample_and_keeps_the_expectation():
    rate, n = 0.25, 4000
    x = np.ones((n, 2, 2, 3), "float32")
    y = np.asarray(blocks.DropPath(rate, seed=3)(x, training=True))
    per_sample = y.reshape(n, -1)
    # Every sample is either dropped whole or kept whole, scaled by 1/(1-rate).
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
    np.testing.assert_allclose(np.unique(per_sample), [0.0, 1 / (1 - rate)], rtol=1e-6)
    dropped = np.mean(per_sample[:, 0] == 0)
    # Binomial: standard error sqrt(0.25 * 0.75 / 4000) = 0.007.
    assert abs(dropped - rate) < 0.03
    assert abs(y.mean() - 1.0) < 0.04


def test_drop_path_in_a_traced_graph_and_float16():
    """Inside tf.function the batch size is unknown when tracing."""
    import tensorflow as tf
    layer = blocks.DropPath(0.5, seed=5)
    step = tf.function(lambda x: layer(x, training=True),
                       input_signature=[tf.TensorSpec((None, 3, 3, 2), "float32")])
    y = np.asarray(step(tf.ones((64, 3, 3, 2)))).reshape(64, -1)
    assert set(np.unique(y)) == {0.0, 2.0}
    keras.mixed_precision.set_global_policy("mixed_float16")
    half = blocks.DropPath(0.5)(np.ones((8, 3, 3, 2), "float32"), training=True)
    assert half.dtype == "float16"
    assert set(np.unique(np.asarray(half, "float32"))) <= {0.0, 2.0}


def test_drop_path_rejects_a_rate_of_one():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        blocks.DropPath(1.0)


# --- LayerScale --------------------------------------------------------------

def test_layer_scale_matches_keras_convnext():
    from keras.src.applications.convnext import LayerScale as KerasLayerScale
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 8)).astype("float32")
    ours, theirs = blocks.LayerScale(1e-6), KerasLayerScale(1e-6, 8)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-6)
    assert [w.shape for w in ours.weights] == [(8,)]
    np.testing.assert_allclose(ours(x), x * 1e-6, rtol=1e-6)
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert blocks.LayerScale(0.5)(x.astype("float16")).dtype == "float16"


# --- channel shuffle ---------------------------------------------------------

def test_channel_shuffle_permutation():
    """ShuffleNet section 3.1: reshape to (groups, n), transpose, flatten."""
    c, g = 12, 3
    x = np.broadcast_to(np.arange(c, dtype="float32"), (2, 4, 5, c))
    model = functional(blocks.channel_shuffle, (4, 5, c), groups=g, name="s")
    y = np.asarray(model(x))
    expected = np.arange(c).reshape(g, c // g).T.ravel()
    np.testing.assert_array_equal(y[1, 3, 4], expected)
    assert model.count_params() == 0
    assert model.layers[-1].name == "s_shuffle"
    with pytest.raises(ValueError, match="do not split"):
        functional(blocks.channel_shuffle, (4, 5, 10), groups=3, name="s")


def test_channel_shuffle_variable_size():
    model = functional(blocks.channel_shuffle, (None, None, 8), groups=2, name="s")
    x = np.arange(8, dtype="float32") * np.ones((1, 3, 2, 8), "float32")
    np.testing.assert_array_equal(model(x)[0, 2, 1], [0, 4, 1, 5, 2, 6, 3, 7])


# --- serialisation and training behaviour of the custom layers ----------------

def test_custom_layers_save_and_load(tmp_path):
    inputs = keras.Input((6, 6, 8))
    y = blocks.squeeze_excite(inputs, "se", divisor=8, gate="hard_sigmoid")
    y = blocks.channel_shuffle(y, 2, "shuffle")
    y = blocks.LayerScale(0.1, name="scale")(y)
    y = blocks.DropPath(0.3, seed=4, name="drop")(y)
    y = layers.Add(name="add")([inputs, y])
    model = keras.Model(inputs, y)
    model.get_layer("scale").gamma.assign(np.linspace(0.1, 0.8, 8))
    loaded = roundtrip(model, tmp_path)
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 8)).astype("float32")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)
    assert loaded.get_layer("drop").get_config() == model.get_layer("drop").get_config()
    assert loaded.get_layer("shuffle_shuffle").groups == 2
    assert loaded.get_layer("scale").init_values == 0.1
    # The loaded DropPath still drops in training and not at inference.
    x = np.ones((256, 6, 6, 8), "float32")
    trained = np.asarray(loaded(x, training=True)) - x
    inferred = np.asarray(loaded(x, training=False)) - x
    branch_zero = np.all(trained.reshape(256, -1) == 0, axis=1)
    assert 0.15 < branch_zero.mean() < 0.45
    assert not np.any(np.all(inferred.reshape(256, -1) == 0, axis=1))


def test_drop_path_in_a_training_step():
    """Gradients reach the branch through the kept samples only."""
    import tensorflow as tf
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    branch = layers.Dense(4, name="branch")(inputs)
    out = layers.Add()([inputs, blocks.DropPath(0.5, seed=2)(branch)])
    model = keras.Model(inputs, out)
    x = tf.ones((64, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(np.all(np.isfinite(g)) for g in grads)
    # Bias gradient: (number of kept samples) / keep per unit.
    kept = float(grads[1][0]) * 0.5
    assert kept == round(kept) and 10 < kept < 54


# --- NoisyBatchNormalization (Santurkar et al. 2018) -------------------------

def test_noisy_batchnorm_is_batchnorm_at_inference_and_moves_each_channel_in_training(tmp_path):
    model = functional(lambda x: blocks.NoisyBatchNormalization(1.0, 2.0, seed=0)(x), (4, 4, 3))
    plain = functional(lambda x: layers.BatchNormalization()(x), (4, 4, 3))
    x = np.random.default_rng(0).normal(2.0, 3.0, (8, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(model(x), plain(x), atol=1e-6)
    clean = plain(x, training=True).numpy()
    noisy = [model(x, training=True).numpy() for _ in range(2)]
    for out in noisy:
        # One affine map per channel: output = scale x clean + shift.
        for c in range(3):
            scale, shift = np.polyfit(clean[..., c].ravel(), out[..., c].ravel(), 1)
            assert 0.5 - 1e-4 <= scale <= 2.0 + 1e-4 and abs(shift) <= 1.0 + 1e-4
            np.testing.assert_allclose(out[..., c], scale * clean[..., c] + shift, atol=1e-4)
    assert not np.allclose(noisy[0], noisy[1])  # drawn anew at every call
    assert roundtrip(model, tmp_path).layers[-1].get_config()["max_scale"] == 2.0


def test_with_noisy_batchnorm_replaces_every_batchnorm_and_keeps_the_rest():
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3),
                              layers.BatchNormalization(epsilon=1e-5), layers.ReLU(),
                              layers.Conv2D(4, 3), layers.BatchNormalization()])
    noisy = blocks.with_noisy_batchnorm(model, max_shift=0.5, max_scale=1.5)
    kinds = [type(layer).__name__ for layer in noisy.layers]
    assert kinds == ["Conv2D", "NoisyBatchNormalization", "ReLU", "Conv2D",
                     "NoisyBatchNormalization"]
    assert noisy.layers[1].epsilon == 1e-5 and noisy.layers[1].max_shift == 0.5
    assert noisy.count_params() == model.count_params()
    with pytest.raises(ValueError, match="max_scale 1 or more"):
        blocks.NoisyBatchNormalization(0.5, 0.5)
