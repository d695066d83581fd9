"""What makes bn_inception the BN-Inception of Ioffe and Szegedy (2015):
Figure 5 of the appendix, the changes of section 4.2 to GoogLeNet, and its
parameter count against the Caffe model, TF-slim's "Inception v2" and the
figures quoted for it."""

import collections

import keras
import pytest

import convnets_tf
from convnets_tf.analysis import count_params, trace_shapes
from convnets_tf.models import bn_inception as bi

# Figure 5, as printed: output size, then #1x1, #3x3 reduce, #3x3, double
# #3x3 reduce, double #3x3, pool + proj (None: "pass through").
FIGURE_5 = {
    "inception_3a": ((28, 28, 256), (64, 64, 64, 64, 96, "avg", 32)),
    "inception_3b": ((28, 28, 320), (64, 64, 96, 64, 96, "avg", 64)),
    "inception_3c": ((28, 28, 576), (0, 128, 160, 64, 96, "max", None)),
    "inception_4a": ((14, 14, 576), (224, 64, 96, 96, 128, "avg", 128)),
    "inception_4b": ((14, 14, 576), (192, 96, 128, 96, 128, "avg", 128)),
    "inception_4c": ((14, 14, 576), (160, 128, 160, 128, 160, "avg", 128)),
    "inception_4d": ((14, 14, 576), (96, 128, 192, 160, 192, "avg", 128)),
    "inception_4e": ((14, 14, 1024), (0, 128, 192, 192, 256, "max", None)),
    "inception_5a": ((7, 7, 1024), (352, 192, 320, 160, 224, "avg", 128)),
    "inception_5b": ((7, 7, 1024), (352, 192, 320, 192, 224, "max", 128)),
}

# Our shapes at 224x224, stage by stage. The printed output column differs
# in four rows, all explained by the filter columns: the stride-2 modules 3c
# and 4e list the grid they read (28, 14), not the one they give (14, 7);
# 4c and 4d concatenate 160 + 160 + 160 + 128 = 608 and 96 + 192 + 192 +
# 128 = 608 maps, not 576, so 4e gives 192 + 256 + 608 = 1056.
SHAPES_224 = {
    "conv1_relu": (1, 112, 112, 64),
    "pool1": (1, 56, 56, 64),
    "conv2_reduce_relu": (1, 56, 56, 64),
    "conv2_relu": (1, 56, 56, 192),
    "pool2": (1, 28, 28, 192),
    "inception_3a": (1, 28, 28, 256),
    "inception_3b": (1, 28, 28, 320),
    "inception_3c": (1, 14, 14, 576),
    "inception_4a": (1, 14, 14, 576),
    "inception_4b": (1, 14, 14, 576),
    "inception_4c": (1, 14, 14, 608),
    "inception_4d": (1, 14, 14, 608),
    "inception_4e": (1, 7, 7, 1056),
    "inception_5a": (1, 7, 7, 1024),
    "inception_5b": (1, 7, 7, 1024),
    "avg_pool": (1, 1024),
    "predictions": (1, 1000),
}

# Counted from the layer definitions of Cadene's pretrained-models.pytorch
# `pretrainedmodels/models/bninception.py` (the Caffe model; TSN's and
# towhee's copies are the same network): 69 Conv2d with bias, 69
# BatchNorm2d(affine=True), Linear(1024, 1000). PyTorch parameters, so
# without BatchNorm's running means and variances (buffers, 20,032 more).
CAFFE_PARAMETERS = 11_295_240


def figure_5_count(stem="plain", proj_4cd=128, conv_bias=True, bn_gamma=True,
                   classes=1000):
    """Learned parameters from Figure 5's filter columns:
    (convolution weights, BatchNorm channels, convolution biases, total)."""
    rows = {name: row for name, (_, row) in FIGURE_5.items()}
    for module in ("inception_4c", "inception_4d"):
        rows[module] = (*rows[module][:-1], proj_4cd)
    # (inputs x kernel area, outputs) of every convolution; a separable stem
    # is a 7x7 depthwise (3 -> 24 maps, no BatchNorm between) and a 1x1.
    convs = [(3 * 7 * 7, 64)] if stem == "plain" else [(24, 64)]
    weights = 0 if stem == "plain" else 3 * 8 * 7 * 7
    convs += [(64, 64), (64 * 9, 192)]
    depth = 192
    for n1x1, reduce3, n3, reduce_d, nd, _, proj in rows.values():
        convs += [(depth, reduce3), (reduce3 * 9, n3),
                  (depth, reduce_d), (reduce_d * 9, nd), (nd * 9, nd)]
        convs += [(depth, n) for n in (n1x1, proj) if n]
        depth = n1x1 + n3 + nd + (proj or depth)
    weights += sum(fan_in * n for fan_in, n in convs)
    channels = sum(n for _, n in convs)
    total = (weights + channels * (1 + bn_gamma + conv_bias)
             + (depth + 1) * classes)
    return weights, channels, channels if conv_bias else 0, total


def test_the_module_table_is_figure_5():
    assert {f"inception_{k}": v for k, v in bi.INCEPTION_MODULES.items()} == {
        name: row for name, (_, row) in FIGURE_5.items()}
    # "stride 2" on the rows that pass the pooling through.
    assert bi.STRIDE_2_MODULES == tuple(
        name[-2:] for name, (_, row) in FIGURE_5.items() if row[-1] is None)


def test_count_is_the_caffe_models_less_its_biases():
    from test_models import REFERENCE_TRAINABLE

    weights, channels, biases, caffe = figure_5_count()
    assert (weights, channels) == (10_240_192, 10_016)
    assert caffe == CAFFE_PARAMETERS  # the filter columns are the Caffe model's
    # Section 3.2: BatchNorm's beta replaces the bias; gamma and beta stay.
    ours = figure_5_count(conv_bias=False)[3]
    assert ours == CAFFE_PARAMETERS - biases == REFERENCE_TRAINABLE["bn_inception"]
    assert ours == weights + 2 * channels + 1024 * 1000 + 1000


def test_reconcile_with_11_2m_and_13_6m():
    """11.2M, the figure quoted for "Inception V2 / BN-Inception", is TF-slim's
    `inception_v2`: the paper's separable stem, 96-wide pool projections in
    4c and 4d (so that the output column's 576 holds), convolutions without
    bias and BatchNorm without gamma. The Caffe model is 11.3M; every
    reading of Figure 5 lies between. The paper's own 13.6M (section 4.2)
    is 2.3M more than any of them, and its appendix's "increases the number
    of parameters by 25%" does not fit either: GoogLeNet's 6.8M (Table 1
    of Szegedy et al. 2014) would become 8.5M, and Figure 5 has 66% more.
    The paper does not say what else it counted."""
    slim = figure_5_count(stem="separable", proj_4cd=96, conv_bias=False,
                          bn_gamma=False)
    assert slim[3] == 11_178_336
    assert slim[3] + 2 * slim[1] == 11_198_240  # Keras' total: moving statistics
    readings = [figure_5_count(stem, proj, bias, gamma)[3]
                for stem in ("plain", "separable") for proj in (96, 128)
                for bias in (False, True) for gamma in (False, True)]
    assert 11_170_000 < min(readings) < max(readings) == CAFFE_PARAMETERS < 11_300_000
    assert round(slim[3] / 1e6, 1) == 11.2 and round(CAFFE_PARAMETERS / 1e6, 1) == 11.3
    assert 13.6e6 - max(readings) > 2.3e6
    assert round(figure_5_count(conv_bias=False)[3] / 6_797_700, 2) == 1.66


@pytest.fixture(scope="module")
def model_224():
    return convnets_tf.build("bn_inception")


def test_count_and_moving_statistics(model_224):
    count = count_params(model_224)
    assert count.trainable == figure_5_count(conv_bias=False)[3] == 11_285_224
    # BatchNorm's moving mean and variance, one pair per convolution output.
    assert count.total - count.trainable == 2 * 10_016


def test_shapes_stage_by_stage(model_224):
    trace_shapes(model_224, SHAPES_224)
    for name, (printed, row) in FIGURE_5.items():
        depth = SHAPES_224[name][-1]
        n1x1, _, n3, _, nd, _, proj = row
        module_input = model_224.get_layer(f"{name}_pool").input.shape
        assert depth == n1x1 + n3 + nd + (proj or module_input[-1]), name
        if proj is None:  # the stride-2 modules: the printed grid is their input's
            assert module_input[1:3] == printed[:2]
        else:
            assert SHAPES_224[name][1:3] == printed[:2]


def consumers(model):
    """Layer name -> the layers that read its output."""
    readers = collections.defaultdict(list)
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                readers[tensor._keras_history.operation.name].append(layer)
    return readers


def test_every_convolution_is_batch_normalised_then_relu(model_224):
    readers = consumers(model_224)
    convs = [layer for layer in model_224.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 69  # the Caffe model's 69 convolutions
    for conv in convs:
        assert not conv.use_bias, conv.name  # section 3.2
        (bn,) = readers[conv.name]
        assert isinstance(bn, keras.layers.BatchNormalization), conv.name
        assert bn.scale and bn.center  # Algorithm 1's gamma and beta
        (relu,) = readers[bn.name]
        assert isinstance(relu, keras.layers.Activation) and relu.name.endswith("_relu")
    # No 5x5 (or other large) kernel but the stem's 7x7: the 3x3 are conv2
    # and three per module; no LRN, no dropout.
    kernels = collections.Counter(conv.kernel_size for conv in convs)
    assert kernels == {(1, 1): 37, (3, 3): 1 + 3 * 10, (7, 7): 1}
    assert not [layer.name for layer in model_224.layers
                if "LocalResponse" in type(layer).__name__
                or isinstance(layer, keras.layers.Dropout)]


def test_pooling_branches_follow_figure_5(model_224):
    for name, (_, row) in FIGURE_5.items():
        n1x1, *_, pool, proj = row
        pool_layer = model_224.get_layer(f"{name}_pool")
        kind = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}
        assert isinstance(pool_layer, kind[pool]), name
        assert pool_layer.strides == ((1, 1) if proj else (2, 2)), name
        branches = [t._keras_history.operation.name
                    for t in model_224.get_layer(name).input]
        # "max + pass through": the pooled maps join the concatenation as they are.
        assert (f"{name}_pool" in branches) == (proj is None), name
        assert (f"{name}_1x1_relu" in branches) == bool(n1x1), name
        # The stride sits on the last 3x3 of each tower (Caffe model, TF-slim).
        strided = [layer.name for layer in model_224.layers
                   if layer.name.startswith(name) and getattr(layer, "strides", None) == (2, 2)]
        assert strided == ([] if proj else [f"{name}_3x3_conv", f"{name}_double_3x3_2_conv",
                                            f"{name}_pool"]), name
    # No pooling layer between modules: GoogLeNet's pool3 and pool4 are gone.
    pools = [layer.name for layer in model_224.layers
             if isinstance(layer, keras.layers.MaxPooling2D)
             and not layer.name.startswith("inception")]
    assert pools == ["pool1", "pool2"]


def test_separable_stem_dropout_and_minimum_input():
    with pytest.raises(ValueError, match="minimum is 32x32"):
        convnets_tf.build("bn_inception", input_shape=(31, 31, 3))
    model = convnets_tf.build("bn_inception", input_shape=(32, 32, 3),
                              separable_stem=True, dropout=0.1)
    assert model.get_layer("inception_5b").output.shape[1:] == (1, 1, 1024)
    stem = model.get_layer("conv1_conv")
    assert isinstance(stem, keras.layers.SeparableConv2D)
    assert stem.depthwise_kernel.shape == (7, 7, 3, 8)  # "depth multiplier 8"
    assert stem.pointwise_kernel.shape == (1, 1, 24, 64)
    assert [layer.name for layer in consumers(model)["conv1_conv"]] == ["conv1_bn"]
    assert model.get_layer("dropout").rate == 0.1
    assert (count_params(model).trainable
            == figure_5_count(stem="separable", conv_bias=False)[3]
            == 11_285_224 - 7 * 7 * 3 * 64 + 7 * 7 * 3 * 8 + 24 * 64)
