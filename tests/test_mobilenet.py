"""MobileNet v1, v2 and v3: keras.applications equivalence and options.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest
from keras_twins import assert_equivalent, randomise

import convnets_tf
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
