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


# -- The roadmap from ResNet-50 to ConvNeXt-T (Figure 2, Table 10) ----------

# Our totals (count_params().total, 1000 classes) at each step: the two ends
# are references (torchvision's ResNet-50 has 25,557,032 trainable
# parameters; keras.applications' ConvNeXtTiny 28,589,128 in all), the steps
# between are this implementation's, pinned so that a change shows.
ROADMAP_TOTALS = {
    "resnet50": 25_610_152,
    "stage_ratio": 28_689_320,
    "patchify_stem": 28_682_984,
    "depthwise_conv": 15_783_464,
    "increase_width": 33_852_232,
    "inverted_bottleneck": 25_973_608,
    "move_up_depthwise": 25_706_536,
    "kernel_7": 25_944_616,
    "gelu": 25_944_616,
    "fewer_activations": 25_944_616,
    "fewer_norms": 25_845_256,
    "layer_norm": 25_830_472,
    "separate_downsampling": 28_589_128,
}
# Table 10 gives GFLOPs to two decimals (at most 0.2% of 2.35G) and counts
# with fvcore, which also counts normalisation layers, where analysis counts
# convolutions and dense layers only; 1% covers both and still fails on any
# wrong layer (the smallest, the patchify stem, is 0.1G; one stride
# misplaced moves the count by 10% or more).
GFLOPS_TOLERANCE = 0.01


def test_roadmap_counts_and_flops_follow_table_10():
    from convnets_tf.analysis import count_macs, count_params
    from convnets_tf.models import convnext

    assert tuple(ROADMAP_TOTALS) == convnext.ROADMAP_STEPS
    totals, macs = {}, {}
    # One build per step, at 224x224: Keras' build costs the same at any
    # input size (about 1 s per step on an idle 2-core machine: the graph's
    # layers, not its maps), so a smaller input would save nothing.
    for step, _, _ in convnext.ROADMAP:
        model = convnext.roadmap(step)
        totals[step], macs[step] = count_params(model), count_macs(model)
        keras.backend.clear_session()
    assert totals["resnet50"].trainable == 25_557_032  # torchvision's ResNet-50
    assert totals["separate_downsampling"].total == TOTALS["convnext_tiny"]
    assert {step: count.total for step, count in totals.items()} == ROADMAP_TOTALS
    for step, _, gflops in convnext.ROADMAP:
        if step == "layer_norm":
            continue
        assert macs[step] / 1e9 == pytest.approx(gflops, rel=GFLOPS_TOLERANCE), step
    # A change of normalisation adds no multiply-adds; Table 10's 4.15 ->
    # 4.46 at BN -> LN is not a convolution (see the notebook).
    assert macs["layer_norm"] == macs["fewer_norms"] == macs["gelu"]


def test_roadmap_first_step_is_resnet50_v1_5_and_steps_are_checked():
    from convnets_tf.analysis import count_macs
    from convnets_tf.models import convnext, resnet

    ours = convnext.roadmap(0, input_shape=(64, 64, 3), num_classes=10)
    theirs = resnet.resnet(input_shape=(64, 64, 3), num_classes=10, depth=50,
                           use_bias=False, stride_in_3x3=True)
    assert ours.count_params() == theirs.count_params()
    assert count_macs(ours) == count_macs(theirs)
    with pytest.raises(ValueError, match="step must be one of resnet50, stage_ratio"):
        convnext.roadmap("attention")
    with pytest.raises(ValueError, match="four stages"):
        convnext.roadmap("gelu", depths=(1, 1, 1))
    designs = [convnext.roadmap_design(i) for i in range(len(convnext.ROADMAP_STEPS))]
    # Each step changes one thing (widths and the blocks' kernel are given
    # as values, not flags).
    for before, after in zip(designs, designs[1:]):
        changed = {k for k in before if k not in ("index", "step") and before[k] != after[k]}
        assert len(changed) == 1, (after["step"], changed)


@pytest.mark.parametrize("step", ["patchify_stem", "kernel_7", "layer_norm",
                                  "separate_downsampling"])
def test_roadmap_cifar_steps_build_small(step):
    from convnets_tf.models import convnext

    model = convnext.roadmap(step, input_shape=(32, 32, 3), num_classes=10,
                             widths=(16, 32, 64, 128), depths=(1, 1, 2, 1), patch_size=2)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 10) and np.allclose(y.sum(1), 1, atol=1e-5)
