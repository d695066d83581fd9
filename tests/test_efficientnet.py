"""EfficientNet B0-B7 and EfficientNetV2: keras.applications equivalence,
stochastic depth, options.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest
from keras_twins import assert_equivalent, randomise

import convnets_tf
from convnets_tf.analysis import count_macs
from convnets_tf.layers import DropPath
from convnets_tf.models import efficientnet

A = keras.applications
# keras.applications' totals (trainable plus BatchNorm statistics and, in
# EfficientNet and V2-B0-B3, the Normalization layer's), weights=None, 1000
# classes; the same at any input size.
TOTALS = {
    "efficientnet_b0": 5_330_571,
    "efficientnet_b1": 7_856_239,
    "efficientnet_b2": 9_177_569,
    "efficientnet_b3": 12_320_535,
    "efficientnet_b4": 19_466_823,
    "efficientnet_b5": 30_562_527,
    "efficientnet_b6": 43_265_143,
    "efficientnet_b7": 66_658_687,
    "efficientnet_v2_b0": 7_200_312,
    "efficientnet_v2_b1": 8_212_124,
    "efficientnet_v2_b2": 10_178_374,
    "efficientnet_v2_b3": 14_467_622,
    "efficientnet_v2_s": 21_612_360,
    "efficientnet_v2_m": 54_431_388,
    "efficientnet_v2_l": 119_027_848,
}
# Full equivalence (weights, names, outputs, rates) for these; building a
# pair costs 5 s (B0) to 50 s (V2-L) on two cores, so the others are
# counted only (test_total_count).
EQUIVALENCE = {
    "efficientnet_b0": A.EfficientNetB0,
    "efficientnet_b3": A.EfficientNetB3,  # width 1.2, depth 1.4: the rounding rules
    "efficientnet_v2_b0": A.EfficientNetV2B0,
    "efficientnet_v2_s": A.EfficientNetV2S,
}
SHAPE = (32, 32, 3)  # keras.applications' minimum
# The paper's Table 2 "FLOPs", in billions: multiply-adds (B0's 0.39B is
# what analysis.count_macs counts), each at the model's own resolution.
TABLE_2_MACS = {"efficientnet_b0": 0.39, "efficientnet_b1": 0.70, "efficientnet_b2": 1.0,
                "efficientnet_b3": 1.8, "efficientnet_b4": 4.2, "efficientnet_b5": 9.9,
                "efficientnet_b6": 19, "efficientnet_b7": 37}


def dropout_rates(model):
    """Rate of every dropout and stochastic depth layer, by name."""
    return {layer.name: round(layer.rate, 6) for layer in model.layers
            if isinstance(layer, (keras.layers.Dropout, DropPath))}


@pytest.mark.parametrize("name", EQUIVALENCE)
def test_keras_applications_equivalence(name):
    theirs = EQUIVALENCE[name](weights=None, input_shape=SHAPE, classifier_activation=None)
    ours = convnets_tf.build(name, input_shape=SHAPE, classifier_activation=None)
    # Pixels in [0, 255]: both models rescale and normalise them.
    x = np.random.default_rng(0).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    assert_equivalent(ours, theirs, x, TOTALS[name])
    # Stochastic depth where keras drops, at keras' rates; its dropout.
    assert isinstance(ours.get_layer("block2b_drop"), DropPath)
    assert dropout_rates(ours) == dropout_rates(theirs)


@pytest.mark.parametrize("name", sorted(set(TOTALS) - set(EQUIVALENCE) - set(TABLE_2_MACS)))
def test_total_count(name):
    model = convnets_tf.build(name, input_shape=SHAPE, include_top=True)
    assert model.count_params() == TOTALS[name]


@pytest.mark.parametrize("name", TABLE_2_MACS)
def test_multiply_adds_reproduce_table_2(name):
    """At each model's own resolution (224 ... 600), within 5%; the same
    build counts the parameters of the models not checked above."""
    model = convnets_tf.build(name)
    assert count_macs(model) / 1e9 == pytest.approx(TABLE_2_MACS[name], rel=0.05)
    assert model.count_params() == TOTALS[name]


def test_default_input_sizes_are_the_papers():
    resolutions = {name: spec[2] for name, spec in efficientnet.EFFICIENTNET_SCALING.items()}
    assert resolutions == {"b0": 224, "b1": 240, "b2": 260, "b3": 300,
                           "b4": 380, "b5": 456, "b6": 528, "b7": 600}
    model = convnets_tf.build("efficientnet_v2_b0", include_top=False)
    assert model.input_shape == (None, 224, 224, 3)


def test_weights_argument_loads_a_keras_applications_file(tmp_path):
    theirs = A.EfficientNetV2B0(weights=None, input_shape=SHAPE, include_top=False)
    randomise(theirs)
    theirs.save_weights(tmp_path / "efficientnetv2-b0.weights.h5")
    ours = convnets_tf.build("efficientnet_v2_b0", input_shape=SHAPE, include_top=False,
                             weights=str(tmp_path / "efficientnetv2-b0.weights.h5"))
    x = np.random.default_rng(1).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-4)


def test_drop_path_is_kerass_per_sample_dropout():
    # keras' Dropout(rate, noise_shape=(None, 1, 1, 1)): each sample zeroed
    # or divided by 1 - rate; identity at inference.
    x = np.ones((64, 2, 2, 3), "float32")
    layer = DropPath(0.25, seed=0)
    y = np.asarray(layer(x, training=True))
    per_sample = y.reshape(64, -1)
    assert set(np.unique(per_sample.min(axis=1))) <= {0.0, np.float32(1 / 0.75)}
    np.testing.assert_array_equal(per_sample.min(axis=1), per_sample.max(axis=1))
    assert 0 < (per_sample[:, 0] == 0).sum() < 64
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_v2_rounding_differs_from_make_divisible():
    # 16 * 1.2 = 19.2: keras' V2 rounds to 16, make_divisible's 10% rule to 24.
    assert efficientnet._v2_round_filters(16, 1.2) == 16


def test_invalid_variant_raises_with_the_allowed_values():
    with pytest.raises(ValueError, match="variant must be one of b0, b1"):
        efficientnet.efficientnet(variant="b8")
    with pytest.raises(ValueError, match="variant must be one of b0, b1, b2, b3, s, m, l"):
        efficientnet.efficientnet_v2(variant="xl")


def test_width_and_depth_coefficients_replace_the_variants():
    # B0 given B3's width 1.2 and depth 1.4 has B3's weights (they differ
    # only in dropout and default size, neither of which has weights).
    ours = efficientnet.efficientnet(variant="b0", input_shape=SHAPE, width_coefficient=1.2,
                                     depth_coefficient=1.4)
    assert ours.count_params() == TOTALS["efficientnet_b3"]
    assert ours.get_layer("block6f_add") is not None   # ceil(4 * 1.4) = 6 blocks in stage 6
    # A width or depth alone changes only its own dimension.
    deeper = efficientnet.efficientnet(input_shape=SHAPE, depth_coefficient=2.0)
    assert deeper.get_layer("stem_conv").filters == 32
    assert [layer.name for layer in deeper.layers if layer.name.startswith("block6")
            and layer.name.endswith("_add")][-1] == "block6h_add"
    wider = efficientnet.efficientnet(input_shape=SHAPE, width_coefficient=0.5)
    assert wider.get_layer("stem_conv").filters == 16
    assert wider.get_layer("top_conv").filters == 640
    assert not any(layer.name.startswith("block6e") for layer in wider.layers)


@pytest.mark.parametrize("early_strides, stem, stage2, top", [
    ((2, 2), 16, 8, 1), ((1, 2), 32, 16, 2), ((2, 1), 16, 16, 2), ((1, 1), 32, 32, 4)])
def test_early_strides_set_the_map_sizes_without_changing_weights(early_strides, stem, stage2,
                                                                   top):
    model = efficientnet.efficientnet(input_shape=SHAPE, early_strides=early_strides,
                                      num_classes=10)
    assert model.get_layer("stem_activation").output.shape[1:3] == (stem, stem)
    assert model.get_layer("block2b_add").output.shape[1:3] == (stage2, stage2)
    assert model.get_layer("top_activation").output.shape[1:3] == (top, top)
    assert model.count_params() == TOTALS["efficientnet_b0"] - 1281 * 990


def test_without_preprocessing_the_model_takes_normalised_inputs():
    full = efficientnet.efficientnet(input_shape=SHAPE, classifier_activation=None)
    bare = efficientnet.efficientnet(input_shape=SHAPE, classifier_activation=None,
                                     include_preprocessing=False)
    assert not any(isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization))
                   for layer in bare.layers)
    assert bare.count_params() == TOTALS["efficientnet_b0"] - 7
    randomise(full)
    norm = full.get_layer("normalization")
    norm.set_weights([np.array([0.5, 0.4, 0.3]), np.array([0.05, 0.06, 0.07]),
                      np.array(1)])
    bare.set_weights(full.get_weights()[3:])
    x = np.random.default_rng(2).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    normalised = keras.Model(full.input, norm.output)(x)
    np.testing.assert_allclose(np.asarray(bare(normalised)), np.asarray(full(x)), atol=1e-4)


@pytest.mark.parametrize("options, message", [
    ({"width_coefficient": 0}, "width_coefficient must be a positive number"),
    ({"depth_coefficient": "2"}, "depth_coefficient must be a positive number"),
    ({"early_strides": (2, 3)}, "early_strides must be two strides of 1 or 2"),
    ({"weights": "imagenet", "include_preprocessing": False},
     "weights='imagenet' needs include_preprocessing=True"),
])
def test_invalid_scaling_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        efficientnet.efficientnet(input_shape=SHAPE, **options)
