"""ConvNeXt: keras.applications equivalence, counts, blocks.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

import convnets_tf

# keras.applications' totals (GUIDE.md and issue 10).
TOTALS = {
    "convnext_tiny": 28_589_128,
    "convnext_small": 50_223_688,
    "convnext_base": 88_591_464,
    "convnext_large": 197_767_336,
    "convnext_xlarge": 350_196_968,
}
SHAPE = (32, 32, 3)  # the smallest input: the last stage sees 1x1


def weighted_layer_names(model):
    return [layer.name for layer in model.layers if layer.weights]


def test_keras_applications_equivalence_tiny(tmp_path):
    theirs = keras.applications.ConvNeXtTiny(weights=None, input_shape=SHAPE,
                                             classifier_activation=None)
    ours = convnets_tf.build("convnext_tiny", input_shape=SHAPE, classifier_activation=None)
    assert theirs.count_params() == ours.count_params() == TOTALS["convnext_tiny"]
    assert weighted_layer_names(ours) == weighted_layer_names(theirs)
    # Layer scale starts at 1e-6 (section 2.1, Appendix A.1).
    gamma = ours.get_layer("convnext_tiny_stage_0_block_0_layer_scale").weights[0]
    np.testing.assert_array_equal(np.asarray(gamma), np.full(96, 1e-6, "float32"))
    # keras' random init leaves every block nearly the identity: give the
    # layer scales weight, so that the comparison covers the blocks.
    rng = np.random.default_rng(0)
    for layer in theirs.layers:
        if layer.name.endswith("_layer_scale"):
            layer.set_weights([rng.uniform(0.5, 1.0, layer.weights[0].shape)])
    ours.set_weights(theirs.get_weights())
    x = rng.uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    logits = np.asarray(theirs(x))
    assert np.abs(logits).max() > 0.1
    np.testing.assert_allclose(np.asarray(ours(x)), logits, atol=1e-4)
    # keras.applications' ImageNet files are legacy HDF5 (weights in layer
    # order, nested Sequential stem and downsampling layers included).
    path = tmp_path / "convnext_tiny.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    loaded = convnets_tf.build("convnext_tiny", input_shape=SHAPE,
                               classifier_activation=None, weights=str(path))
    np.testing.assert_allclose(np.asarray(loaded(x)), logits, atol=1e-4)


@pytest.mark.parametrize("name", ["convnext_small", "convnext_base", "convnext_large",
                                  "convnext_xlarge"])
def test_larger_counts(name):
    # Count only: keras' model would double the memory (XL: 350M parameters).
    model = convnets_tf.build(name, input_shape=SHAPE, include_top=True)
    assert model.count_params() == TOTALS[name]


def test_stochastic_depth_rises_linearly_and_acts_in_training_only():
    model = convnets_tf.build("convnext_tiny", input_shape=SHAPE)
    rates = [layer.rate for layer in model.layers if isinstance(layer, convnets_tf.layers.DropPath)]
    # The first block has rate 0 (no layer); the last has the paper's 0.1.
    assert len(rates) == 17 and rates[-1] == pytest.approx(0.1)
    np.testing.assert_allclose(np.diff(rates), 0.1 / 17, rtol=1e-6)
    x = np.random.default_rng(0).uniform(0, 255, (2, *SHAPE)).astype("float32")
    np.testing.assert_array_equal(model(x), model(x))


def test_patch2_stem_for_cifar():
    model = convnets_tf.build("convnext_tiny_patch2")
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
    stage_shapes = [model.get_layer(f"convnext_tiny_patch2_stage_{i}_block_0_add").output.shape
                    for i in range(4)]
    assert [s[1:3] for s in stage_shapes] == [(16, 16), (8, 8), (4, 4), (2, 2)]
    with pytest.raises(ValueError, match="minimum is 16x16"):
        convnets_tf.build("convnext_tiny_patch2", input_shape=(15, 15, 3))
