"""Xception: keras.applications equivalence and the flows of Figure 5.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.models import xception

SHAPE = (71, 71, 3)  # the smallest input: cheap, and odd and even maps occur


def test_keras_applications_equivalence():
    theirs = keras.applications.Xception(weights=None, input_shape=SHAPE,
                                         classifier_activation=None)
    ours = convnets_tf.build("xception", input_shape=SHAPE, classifier_activation=None)
    assert theirs.count_params() == ours.count_params() == 22_910_480
    # keras leaves the four shortcut projections unnamed (conv2d,
    # batch_normalization, ...); every other weighted layer has its name.
    ours_named = [layer for layer in ours.layers if layer.weights]
    theirs_named = [layer for layer in theirs.layers if layer.weights]
    assert len(ours_named) == len(theirs_named)
    for a, b in zip(ours_named, theirs_named):
        assert [w.shape for w in a.weights] == [w.shape for w in b.weights]
        if "shortcut" in a.name:
            assert b.name.startswith(("conv2d", "batch_normalization"))
        else:
            assert a.name == b.name
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    logits = np.asarray(theirs(x))
    # Freshly initialised, Xception's logits are of order 1e-4: compare
    # them relative to their size, so that 1e-4 is not a vacuous tolerance.
    scale = np.abs(logits).max()
    assert scale > 1e-6
    np.testing.assert_allclose(np.asarray(ours(x)) / scale, logits / scale, atol=1e-4)


def test_figure5_flows():
    model = xception.xception(input_shape=(299, 299, 3), include_top=False)
    shapes = {name: model.get_layer(name).output.shape[1:] for name in (
        "block1_conv2_act", "block2_add", "block3_add", "block4_add", "block12_add",
        "block13_add", "block14_sepconv2_act")}
    assert shapes == {
        "block1_conv2_act": (147, 147, 64),
        "block2_add": (74, 74, 128),
        "block3_add": (37, 37, 256),
        "block4_add": (19, 19, 728),  # entry flow out
        "block12_add": (19, 19, 728),  # middle flow out, eight modules
        "block13_add": (10, 10, 1024),
        "block14_sepconv2_act": (10, 10, 2048),
    }
    # 36 convolutional layers (section 3): 2 stem + 34 separable.
    separable = [layer for layer in model.layers
                 if isinstance(layer, keras.layers.SeparableConv2D)]
    assert len(separable) == 34
    with pytest.raises(ValueError, match="middle_flow_modules"):
        xception.xception(middle_flow_modules=-1)
