"""MobileNet v1, v2 and v3: keras.applications equivalence and options.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest
from keras_twins import assert_equivalent, randomise

import convnets_tf
from convnets_tf import analysis
from convnets_tf.models import mobilenet

A = keras.applications
# (registered name, variant options, keras.applications twin, keras' total
# at these options: trainable plus BatchNorm statistics). The defaults'
# totals are GUIDE.md's; the variants' are keras' count_params().
KERAS_APPLICATIONS = [
    ("mobilenet", {}, A.MobileNet, 4_253_864),
    ("mobilenet", {"alpha": 0.5, "depth_multiplier": 2}, A.MobileNet, 2_159_672),
    ("mobilenet_v2", {}, A.MobileNetV2, 3_538_984),
    ("mobilenet_v2", {"alpha": 1.4}, A.MobileNetV2, 6_156_712),
    ("mobilenet_v3_small", {}, A.MobileNetV3Small, 2_554_968),
    ("mobilenet_v3_small", {"minimalistic": True}, A.MobileNetV3Small, 2_056_848),
    ("mobilenet_v3_large", {}, A.MobileNetV3Large, 5_507_432),
    ("mobilenet_v3_large", {"alpha": 0.75}, A.MobileNetV3Large, 4_012_616),
]
# The smallest input keras.applications accepts; every strided layer still
# sees an even-sized map (32 ... 2), where keras' padding (one pixel at the
# bottom and right) and a symmetric one differ.
SHAPE = (32, 32, 3)


def se_name_in_ours(name):
    """keras' MobileNetV3 SE layer names as `layers.squeeze_excite` spells
    them (the only names that differ)."""
    for theirs, ours in (("squeeze_excite_conv_1", "squeeze_excite_expand"),
                         ("squeeze_excite_conv", "squeeze_excite_reduce")):
        if name.endswith(theirs):
            return name[: -len(theirs)] + ours
    return name


def case_id(case):
    name, options = case[:2]
    return "-".join([name, *(f"{k}={v}" for k, v in options.items())])


@pytest.mark.parametrize("name, options, reference, total", KERAS_APPLICATIONS,
                         ids=map(case_id, KERAS_APPLICATIONS))
def test_keras_applications_equivalence(name, options, reference, total):
    theirs = reference(weights=None, input_shape=SHAPE, classifier_activation=None, **options)
    ours = convnets_tf.build(name, input_shape=SHAPE, classifier_activation=None, **options)
    # Pixels in [0, 255]: MobileNetV3 rescales them itself, as keras' does.
    x = np.random.default_rng(0).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    assert_equivalent(ours, theirs, x, total, rename=se_name_in_ours)


def test_mobilenet_v3_without_preprocessing_and_headless():
    options = dict(input_shape=SHAPE, include_top=False, include_preprocessing=False)
    theirs = A.MobileNetV3Small(weights=None, pooling="avg", **options)
    ours = convnets_tf.build("mobilenet_v3_small", pooling="avg", **options)
    assert not any(isinstance(layer, keras.layers.Rescaling) for layer in ours.layers)
    x = np.random.default_rng(1).normal(size=(2, *SHAPE)).astype("float32")
    assert_equivalent(ours, theirs, x, 939_120, rename=se_name_in_ours)


def test_weights_argument_loads_a_keras_applications_file(tmp_path):
    # Keras' .weights.h5 files address layers by class and position, not by
    # name: the SE layers' other names do not matter.
    theirs = A.MobileNetV3Small(weights=None, input_shape=SHAPE, include_top=False)
    randomise(theirs)
    theirs.save_weights(tmp_path / "mobilenet_v3_small.weights.h5")
    ours = convnets_tf.build("mobilenet_v3_small", input_shape=SHAPE, include_top=False,
                             weights=str(tmp_path / "mobilenet_v3_small.weights.h5"))
    x = np.random.default_rng(2).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-4)


def test_mobilenet_v1_minimum_size_is_exact():
    # 31 -> 16 -> 8 -> 4 -> 2 -> 1; at 30 the last strided layer gets 1x1.
    model = mobilenet.mobilenet(input_shape=(31, 31, 3), include_top=False)
    assert model.output_shape == (None, 1, 1, 1024)
    with pytest.raises(ValueError, match="minimum is 31x31"):
        mobilenet.mobilenet(input_shape=(30, 31, 3))


def test_mobilenet_v2_tiny_input_builds():
    model = mobilenet.mobilenet_v2(input_shape=(1, 1, 3), include_top=False)
    assert model.output_shape == (None, 1, 1, 1280)


def test_invalid_options_raise_with_the_allowed_values():
    with pytest.raises(ValueError, match="size must be one of small, large"):
        mobilenet.mobilenet_v3(size="medium")
    with pytest.raises(ValueError, match="alpha must be positive"):
        mobilenet.mobilenet_v2(alpha=0)
    with pytest.raises(ValueError, match="depth_multiplier must be a positive integer"):
        mobilenet.mobilenet(depth_multiplier=0.5)


# Howard et al. (2017), Table 6: (alpha, million mult-adds, million
# parameters) of MobileNet at 224x224, 1000 classes.
TABLE_6 = [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)]


@pytest.mark.parametrize("alpha, paper_macs, paper_params", TABLE_6)
def test_mobilenet_v1_table_6(alpha, paper_macs, paper_params):
    """`count_macs` and `count_params` reproduce Table 6.

    How the paper counts: its Table 2 splits the 1.0 model's mult-adds and
    parameters among conv 1x1, depthwise 3x3, the full 3x3 convolution and
    the fully connected layer (0.18% of the mult-adds, 24.33% of the
    parameters), so the classifier is included in both columns, and
    biases, BatchNorm and pooling are not mult-adds. The parameters are
    trainable ones (the BatchNorm moving statistics would make the 1.0
    model 4.25M, printed "4.3"). The mult-adds agree within 2% (in fact
    0.3%); the parameters are printed to one decimal, so they must round
    to the paper's figure (0.47M against "0.5" is 6% off but rounds right),
    and be within 2.5% of it for the three larger models (1.332M against
    "1.3" is 2.4% off, the others under 1%).
    """
    model = mobilenet.mobilenet(alpha=alpha)
    macs = analysis.count_macs(model) / 1e6
    params = analysis.count_params(model).trainable / 1e6
    assert abs(macs - paper_macs) <= 0.02 * paper_macs, macs
    assert round(params, 1) == paper_params, params
    if alpha >= 0.5:
        assert abs(params - paper_params) <= 0.025 * paper_params, params
    # Without the classifier the parameters would be 1.0M fewer.
    classifier = analysis.macs_per_layer(model)["conv_preds"]
    assert classifier == int(1024 * alpha) * 1000
    assert round(params - classifier / 1e6, 1) != paper_params


@pytest.mark.parametrize("name, options, final_map", [
    (mobilenet.mobilenet, {}, 4),
    (mobilenet.mobilenet_v2, {"alpha": 0.35}, 4),
    (mobilenet.mobilenet_v3, {"size": "small", "alpha": 0.75}, 4),
    (mobilenet.mobilenet_v3, {"size": "large", "minimalistic": True}, 4),
])
def test_cifar_early_strides_keep_a_4x4_map_and_the_weights(name, options, final_map):
    paper = name(input_shape=SHAPE, include_top=False, **options)
    cifar = name(input_shape=SHAPE, include_top=False, early_strides=(1, 1), **options)
    assert paper.output_shape[1:3] == (1, 1)
    assert cifar.output_shape[1:3] == (final_map, final_map)
    assert [w.shape for w in cifar.weights] == [w.shape for w in paper.weights]
    # Four times the map sides before the last stages: about 16x the mult-adds.
    assert 10 < analysis.count_macs(cifar) / analysis.count_macs(paper) < 17


def test_mobilenet_v1_minimum_size_with_cifar_strides():
    assert mobilenet.v1_min_size((2, 2)) == 31
    assert mobilenet.v1_min_size((1, 1)) == 8
    model = mobilenet.mobilenet(input_shape=(8, 8, 3), include_top=False, early_strides=(1, 1))
    assert model.output_shape == (None, 1, 1, 1024)
    with pytest.raises(ValueError, match="minimum is 8x8"):
        mobilenet.mobilenet(input_shape=(7, 7, 3), early_strides=(1, 1))
    with pytest.raises(ValueError, match="early_strides must be two strides"):
        mobilenet.mobilenet(early_strides=(1, 3))


def test_mobilenet_v2_relu_bottleneck_adds_only_activations():
    kwargs = dict(input_shape=SHAPE, alpha=0.35, include_top=False, pooling="avg")
    keras.utils.set_random_seed(0)
    linear = mobilenet.mobilenet_v2(**kwargs)
    keras.utils.set_random_seed(0)
    relu = mobilenet.mobilenet_v2(bottleneck_activation="relu6", **kwargs)
    added = [layer.name for layer in relu.layers if layer.name.endswith("project_act")]
    assert len(added) == 17 and added[0] == "expanded_conv_project_act"
    assert linear.count_params() == relu.count_params()
    relu.set_weights(linear.get_weights())
    x = np.random.default_rng(3).normal(size=(2, *SHAPE)).astype("float32")
    def upto(model, layer):
        return np.asarray(keras.Model(model.input, model.get_layer(layer).output)(x))

    assert not np.allclose(upto(relu, "block_2_add"), upto(linear, "block_2_add"), atol=1e-3)
    # Every block's output is now ReLU6 of its projection (plus a shortcut
    # of non-negative values): nothing negative flows between blocks.
    assert upto(relu, "block_16_project_BN").min() < 0 <= upto(relu, "block_16_project_act").min()


def test_mobilenet_v3_activation_option():
    kwargs = dict(input_shape=SHAPE, size="small", include_top=False)
    default = mobilenet.mobilenet_v3(**kwargs)
    relu = mobilenet.mobilenet_v3(activation="relu", **kwargs)

    def activations(model):
        return sorted({layer.get_config().get("activation") for layer in model.layers
                       if isinstance(layer, keras.layers.Activation)})

    assert activations(default) == ["hard_silu"]   # Keras' name for hard-swish
    assert activations(relu) == []                 # all ReLU layers
    assert relu.count_params() == default.count_params()
    with pytest.raises(ValueError, match="activation must be one of"):
        mobilenet.mobilenet_v3(activation="gelu")
