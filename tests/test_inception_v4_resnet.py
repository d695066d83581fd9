"""Inception-v4, Inception-ResNet-v1 and -v2: parameter counts derived from
the paper's block definitions and tied to reference implementations, the
shapes of the paper's figures, residual scaling, and weight-for-weight
equivalence with keras.applications' InceptionResNetV2."""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format
from test_models import REFERENCE_TRAINABLE

import convnets_tf
from convnets_tf.analysis import count_params
from convnets_tf.models import inception_resnet
from convnets_tf.models.inception_resnet import inception_resnet_block

# One worker under `-n 2 --dist loadgroup`, so the three ImageNet-sized
# models of the `models` fixture are built once.
pytestmark = pytest.mark.xdist_group("inception_v4_resnet")

# ---------------------------------------------------------------------------
# Parameter counts by hand. Every unit is conv-BN-ReLU without a conv bias
# and without BatchNorm's gamma (the authors' TF-slim convention), so a unit
# has kh*kw*cin*cout kernel weights and cout trainable betas; the
# Inception-ResNet filter expansions are 1x1 convolutions with a bias and no
# BatchNorm. Counts are numpy pairs (trainable, BatchNorm channels).


def chain(cin, *units):
    """A branch of conv-BN-ReLU units, each (cout, kh) or (cout, kh, kw)."""
    total = np.zeros(2, int)
    for cout, kh, *kw in units:
        total += [kh * (kw[0] if kw else kh) * cin * cout + cout, cout]
        cin = cout
    return total


def residual_block(cin, *branches):
    """Inception-ResNet block: the branches, then the linear 1x1 expansion
    from their concatenation back to cin channels."""
    width = sum(branch[-1][0] for branch in branches)
    return sum(chain(cin, *branch) for branch in branches) + [width * cin + cin, 0]


def reduction_a(cin, k, l, m, n):  # Figure 7; the pooling branch has no weights
    return chain(cin, (n, 3)) + chain(cin, (k, 1), (l, 3), (m, 3))


def classifier(width):
    return np.array([width * 1000 + 1000, 0])


STEM_BASE = chain(3, (32, 3), (32, 3), (64, 3))  # Figures 3 and 14


def inception_v4_count():
    stem = (STEM_BASE + chain(64, (96, 3))  # Figure 3
            + chain(160, (64, 1), (96, 3))
            + chain(160, (64, 1), (64, 1, 7), (64, 7, 1), (96, 3))
            + chain(192, (192, 3)))
    block_a = (chain(384, (96, 1)) + chain(384, (64, 1), (96, 3))  # Figure 4
               + chain(384, (64, 1), (96, 3), (96, 3)) + chain(384, (96, 1)))
    block_b = (chain(1024, (384, 1))  # Figure 5
               + chain(1024, (192, 1), (224, 1, 7), (256, 7, 1))
               + chain(1024, (192, 1), (192, 7, 1), (224, 1, 7), (224, 7, 1),
                       (256, 1, 7))
               + chain(1024, (128, 1)))
    reduction_b = (chain(1024, (192, 1), (192, 3))  # Figure 8
                   + chain(1024, (256, 1), (256, 1, 7), (320, 7, 1), (320, 3)))
    block_c = (chain(1536, (256, 1))  # Figure 6
               + chain(1536, (384, 1)) + 2 * chain(384, (256, 1, 3))
               + chain(1536, (384, 1), (448, 3, 1), (512, 1, 3))
               + 2 * chain(512, (256, 1, 3))
               + chain(1536, (256, 1)))
    return (stem + 4 * block_a + reduction_a(384, 192, 224, 256, 384)
            + 7 * block_b + reduction_b + 3 * block_c + classifier(1536))


def inception_resnet_v1_count():
    stem = STEM_BASE + chain(64, (80, 1), (192, 3), (256, 3))  # Figure 14
    block_a = residual_block(256, [(32, 1)], [(32, 1), (32, 3)],  # Figure 10
                             [(32, 1), (32, 3), (32, 3)])
    block_b = residual_block(896, [(128, 1)],  # Figure 11
                             [(128, 1), (128, 1, 7), (128, 7, 1)])
    reduction_b = (chain(896, (256, 1), (384, 3)) + chain(896, (256, 1), (256, 3))
                   + chain(896, (256, 1), (256, 3), (256, 3)))  # Figure 12
    block_c = residual_block(1792, [(192, 1)],  # Figure 13
                             [(192, 1), (192, 1, 3), (192, 3, 1)])
    return (stem + 5 * block_a + reduction_a(256, 192, 192, 256, 384)
            + 10 * block_b + reduction_b + 5 * block_c + classifier(1792))


def inception_resnet_v2_count():
    """keras.applications' version (see inception_resnet.py): Inception-v3's
    stem and mixed_5b, 10/20/10 blocks at the widths that add up, conv_7b."""
    stem = (STEM_BASE + chain(64, (80, 1), (192, 3))
            + chain(192, (96, 1)) + chain(192, (48, 1), (64, 5))
            + chain(192, (64, 1), (96, 3), (96, 3)) + chain(192, (64, 1)))
    block_a = residual_block(320, [(32, 1)], [(32, 1), (32, 3)],  # Figure 16
                             [(32, 1), (48, 3), (64, 3)])
    block_b = residual_block(1088, [(192, 1)],  # Figure 17
                             [(128, 1), (160, 1, 7), (192, 7, 1)])
    reduction_b = (chain(1088, (256, 1), (384, 3)) + chain(1088, (256, 1), (288, 3))
                   + chain(1088, (256, 1), (288, 3), (320, 3)))  # Figure 18
    block_c = residual_block(2080, [(192, 1)],  # Figure 19
                             [(192, 1), (224, 1, 3), (256, 3, 1)])
    return (stem + 10 * block_a + reduction_a(320, 256, 256, 384, 384)
            + 20 * block_b + reduction_b + 10 * block_c
            + chain(2080, (1536, 1)) + classifier(1536))


def test_inception_v4_count_matches_timm():
    trainable, bn_channels = inception_v4_count()
    assert REFERENCE_TRAINABLE["inception_v4"] == trainable
    # timm's inception_v4 (Cadene's port of the TF-slim release; also osmr's
    # imgclsmob tables) reports 42,679,816: PyTorch's BatchNorm adds a gamma
    # per channel, which TF-slim and this package leave out.
    assert trainable + bn_channels == 42_679_816


def test_inception_resnet_v2_count_matches_keras_and_cadene():
    trainable, bn_channels = inception_resnet_v2_count()
    assert REFERENCE_TRAINABLE["inception_resnet_v2"] == trainable
    # keras.applications' count_params() adds BatchNorm's moving mean and
    # variance; Cadene's PyTorch port (osmr's tables) adds a gamma instead.
    assert trainable + 2 * bn_channels == 55_873_736
    assert trainable + bn_channels == 55_843_464


def test_inception_resnet_v1_count_from_the_figures():
    # No released implementation of v1 publishes a count (keras.applications,
    # timm and TF-slim have none): the derivation above is the reference.
    trainable, _ = inception_resnet_v1_count()
    assert REFERENCE_TRAINABLE["inception_resnet_v1"] == trainable


# ---------------------------------------------------------------------------
# The built models: one of each, shared by the tests below.


@pytest.fixture(scope="module")
def models():
    return {name: convnets_tf.build(name) for name in
            ("inception_v4", "inception_resnet_v1", "inception_resnet_v2")}


# The grid sizes and widths of Figures 3, 9, 14 and 15 (keras.applications'
# widths for v2), at each stage's last layer.
STAGES = {
    "inception_v4": {
        "conv2d_1a_relu": (149, 149, 32), "conv2d_2b_relu": (147, 147, 64),
        "mixed_3a": (73, 73, 160), "mixed_4a": (71, 71, 192),
        "mixed_5a": (35, 35, 384), "mixed_5e": (35, 35, 384),
        "mixed_6a": (17, 17, 1024), "mixed_6h": (17, 17, 1024),
        "mixed_7a": (8, 8, 1536), "mixed_7d": (8, 8, 1536), "avg_pool": (1536,),
    },
    "inception_resnet_v1": {
        "conv2d_2b_relu": (147, 147, 64), "maxpool_3a": (73, 73, 64),
        "conv2d_3b_relu": (73, 73, 80), "conv2d_4a_relu": (71, 71, 192),
        "conv2d_4b_relu": (35, 35, 256), "block35_5_ac": (35, 35, 256),
        "mixed_6a": (17, 17, 896), "block17_10_ac": (17, 17, 896),
        "mixed_7a": (8, 8, 1792), "block8_5_add": (8, 8, 1792), "avg_pool": (1792,),
    },
    "inception_resnet_v2": {
        "conv2d_4a_relu": (71, 71, 192), "maxpool_5a": (35, 35, 192),
        "mixed_5b": (35, 35, 320), "block35_10_ac": (35, 35, 320),
        "mixed_6a": (17, 17, 1088), "block17_20_ac": (17, 17, 1088),
        "mixed_7a": (8, 8, 2080), "block8_10_add": (8, 8, 2080),
        "conv_7b_relu": (8, 8, 1536), "avg_pool": (1536,),
    },
}


@pytest.mark.parametrize("name", STAGES)
def test_stage_shapes_at_299(models, name):
    model = models[name]
    for layer, shape in STAGES[name].items():
        assert model.get_layer(layer).output.shape[1:] == shape, layer


@pytest.mark.parametrize("name, repeats", [
    ("inception_resnet_v1", (5, 10, 5)),  # Figure 15
    ("inception_resnet_v2", (10, 20, 10)),  # keras.applications, TF-slim
])
def test_block_counts_and_residual_scales(models, name, repeats):
    names = {layer.name for layer in models[name].layers}
    for block, count, scale in zip(("block35", "block17", "block8"), repeats,
                                   (0.17, 0.1, 0.2)):
        assert f"{block}_{count}_add" in names
        assert f"{block}_{count + 1}_add" not in names
        assert models[name].get_layer(f"{block}_1_scale").scale == scale
    # The last block is neither scaled nor rectified.
    assert f"block8_{repeats[2]}_scale" not in names
    assert f"block8_{repeats[2]}_ac" not in names


@pytest.mark.parametrize("scale, activation", [(0.1, "relu"), (1.0, None)])
def test_residual_block_adds_the_scaled_expansion(scale, activation):
    inputs = keras.Input((5, 5, 8))
    out = inception_resnet_block(inputs, [[(4, 1)], [(4, 1), (6, 3)]], scale,
                                 "block", activation=activation)
    block = keras.Model(inputs, out)
    probe = keras.Model(inputs, [out, block.get_layer("block_conv").output])
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 8)).astype("float32")
    y, expansion = (t.numpy() for t in probe(x))
    assert expansion.shape == x.shape  # the 1x1 conv restores the width
    expected = x + scale * expansion
    if activation:
        expected = np.maximum(expected, 0)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    has_scale = "block_scale" in [layer.name for layer in block.layers]
    assert has_scale == (scale != 1.0)


def test_invalid_options_raise():
    with pytest.raises(ValueError, match="version must be one of v1, v2"):
        convnets_tf.build("inception_resnet_v2", version="v3")
    with pytest.raises(ValueError, match="three positive factors"):
        convnets_tf.build("inception_resnet_v2", residual_scales=(0.1, 0.2))
    with pytest.raises(ValueError, match="three positive factors"):
        convnets_tf.build("inception_resnet_v1", residual_scales=(0.1, 0.0, 0.2))


def test_inception_resnet_v2_is_keras_applications(models, tmp_path):
    theirs = keras.applications.InceptionResNetV2(weights=None)
    ours = models["inception_resnet_v2"]
    assert theirs.count_params() == ours.count_params() == 55_873_736
    x = np.random.default_rng(0).uniform(-1, 1, (2, 299, 299, 3)).astype("float32")
    expected = theirs(x).numpy()

    ours.set_weights(theirs.get_weights())
    # Softmax outputs are near 1/1000 here: compare their logarithms.
    np.testing.assert_allclose(np.log(ours(x).numpy()), np.log(expected),
                               atol=1e-4)

    # keras.applications' ImageNet files are legacy HDF5 weight files, read
    # layer by layer in order: `weights=` (model.load_weights) takes them.
    path = tmp_path / "inception_resnet_v2.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    ours.set_weights([np.zeros(w.shape, "float32") for w in ours.weights])
    ours.load_weights(path)
    np.testing.assert_allclose(np.log(ours(x).numpy()), np.log(expected),
                               atol=1e-4)


def test_inception_resnet_cifar_differs_from_its_plain_control_only_in_the_additions():
    residual = inception_resnet.inception_resnet_cifar(blocks_per_stage=2)
    plain = inception_resnet.inception_resnet_cifar(blocks_per_stage=2, shortcut=False)
    adds = [layer for layer in residual.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 6  # one per block, 2 blocks x 3 stages
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    assert count_params(residual).trainable == count_params(plain).trainable
    # Stages of 64, 128 and 256 channels on 32x32, 15x15 and 7x7 maps; the
    # A branches at a quarter of the width.
    for model in (residual, plain):
        assert [tuple(model.get_layer(f"stage{s}_block2_conv").output.shape[1:])
                for s in (1, 2, 3)] == [(32, 32, 64), (15, 15, 128), (7, 7, 256)]
    assert residual.get_layer("stage2_block1_b2_2_conv").filters == 32
    with pytest.raises(ValueError, match="blocks_per_stage"):
        inception_resnet.inception_resnet_cifar(blocks_per_stage=0)
