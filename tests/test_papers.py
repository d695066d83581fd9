"""What makes LeNet-5 and AlexNet the papers' models, checked layer by layer."""

import keras
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf.analysis import count_params
from convnets_tf.layers import LocalResponseNormalization
from convnets_tf.models.lenet import C3_TABLE, lenet5, scaled_tanh


def test_c3_table_is_the_papers():
    # Table I: 60 connections; every S2 map feeds exactly 10 of the 16 C3 maps.
    assert sum(len(column) for column in C3_TABLE) == 60
    assert [sum(k in column for column in C3_TABLE) for k in range(6)] == [10] * 6
    assert C3_TABLE[12:15] == ((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))


def test_c3_maps_read_only_their_table_column():
    model = lenet5()
    c3 = keras.Model(model.get_layer("s2_act").output,
                     model.get_layer("c3_concat").output)
    x = np.random.rand(1, 14, 14, 6).astype("float32")
    base = c3(x).numpy()
    for k in range(6):
        bumped = x.copy()
        bumped[..., k] += 1.0
        changed = np.abs(c3(bumped).numpy() - base).max(axis=(0, 1, 2)) > 0
        assert list(changed) == [k in column for column in C3_TABLE]


def test_lenet5_layer_parameters():
    model = lenet5()
    counts = {layer.name: layer.count_params() for layer in model.layers}
    assert counts["c1"] == 156
    assert counts["s2_scale"] == 12  # a coefficient and a bias per map
    assert sum(counts[f"c3_{j}"] for j in range(16)) == 1_516
    assert counts["s4_scale"] == 32
    assert counts["c5"] == 48_120
    assert counts["f6"] == 10_164


def test_scaled_tanh_maps_plus_minus_one_to_themselves():
    values = scaled_tanh(np.array([-1.0, 0.0, 1.0], "float32")).numpy()
    np.testing.assert_allclose(values, [-1.0, 0.0, 1.0], atol=1e-4)


def test_rbf_output_is_fixed_and_computes_distances():
    model = lenet5(rbf_output=True)
    assert count_params(model).trainable == 60_000
    rbf = model.get_layer("rbf")
    centres = rbf.centres.numpy()
    assert centres.shape == (84, 10) and set(np.unique(centres)) == {-1.0, 1.0}

    f6 = keras.Model(model.input, model.get_layer("f6").output)
    x = np.random.rand(4, 32, 32, 1).astype("float32")
    distances = ((f6(x).numpy()[:, :, None] - centres) ** 2).sum(axis=1)
    np.testing.assert_allclose(rbf(f6(x)), -distances, rtol=1e-5)

    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, np.arange(4))
    np.testing.assert_array_equal(rbf.centres.numpy(), centres)


def test_alexnet_towers():
    two = convnets_tf.build("alexnet")
    one = convnets_tf.build("alexnet", two_tower=False)
    assert count_params(one).trainable == 62_378_344
    for layer, groups in (("conv1", 1), ("conv2", 2), ("conv3", 1),
                          ("conv4", 2), ("conv5", 2)):
        assert two.get_layer(layer).groups == groups
        assert one.get_layer(layer).groups == 1


def test_alexnet_stage_shapes():
    model = convnets_tf.build("alexnet")
    shapes = {name: model.get_layer(name).output.shape[1:] for name in
              ("conv1", "pool1", "conv2", "pool2", "conv3", "conv5", "pool5")}
    assert shapes == {
        "conv1": (55, 55, 96), "pool1": (27, 27, 96),
        "conv2": (27, 27, 256), "pool2": (13, 13, 256),
        "conv3": (13, 13, 384), "conv5": (13, 13, 256), "pool5": (6, 6, 256),
    }


def test_lrn_matches_the_papers_formula():
    a = np.random.rand(2, 3, 3, 8).astype("float32") * 10
    b = LocalResponseNormalization()(a).numpy()
    # b_i = a_i / (k + alpha * sum_{j=i-2..i+2} a_j^2)^beta, k=2, alpha=1e-4.
    padded = np.pad(a**2, [(0, 0)] * 3 + [(2, 2)])
    window = sum(padded[..., j:j + 8] for j in range(5))
    np.testing.assert_allclose(b, a / (2 + 1e-4 * window) ** 0.75, rtol=1e-5)


def test_lrn_does_not_overflow_in_float16():
    # 5 * 300^2 overflows float16 (max 65504); the sum must not.
    a = np.full((1, 2, 2, 5), 300.0, "float32")
    b = LocalResponseNormalization(dtype="mixed_float16")(tf.constant(a, "float16"))
    assert b.dtype == "float16"
    expected = LocalResponseNormalization()(a).numpy()
    np.testing.assert_allclose(b.numpy().astype("float32"), expected, rtol=1e-2)
