"""RegNet (Radosavovic, Kosaraju, Girshick, He and Dollar, "Designing
network design spaces", CVPR 2020, arXiv:2003.13678).

RegNets are not tabulated: each is generated from six numbers (section
3.3). The width of block j is linear in j, u_j = w_0 + w_a * j for 0 <= j
< d (Eqn. 2); it is then quantised in log space with the step w_m, s_j =
round(log(u_j / w_0) / log(w_m)) and w_j = w_0 * w_m ** s_j (Eqns. 3 and
4), rounded to a multiple of 8. Blocks of equal width form a stage, so d
blocks fall into (usually four) stages. The group width g sets the 3x3
layer's groups; the bottleneck ratio b is 1 for the published models
(section 4), and the widths are adjusted so that the group width divides
them. `generate` computes this; `CONFIGS` holds the published (d, w_0,
w_a, w_m, g) of each model (Appendix, the pycls model zoo and
torchvision's `regnet.py`).

The network (section 3.1, Figure 3 and 4): a 3x3/2 stem to 32 channels,
four stages of X blocks (a residual bottleneck: 1x1, grouped 3x3, 1x1,
the stride in the 3x3 layer and a projection shortcut where the shape
changes), global average pooling and the classifier. RegNetY adds
squeeze-and-excitation after the 3x3 layer, reduced to a quarter of the
block's input width (section 5, "RegNetY").

The registered models are RegNetX and RegNetY at 200MF (the paper's; no
torchvision model), and at 400MF, 800MF, 1.6GF and 3.2GF, whose trainable
counts equal torchvision's `regnet_x_*`/`regnet_y_*`. The 8GF, 16GF and
32GF configurations are in `CONFIGS` (`regnet(**CONFIGS["y_8gf"])`) with
the same property (tests/test_regnet.py), but not registered: at 39M to
145M parameters each, the registry-wide tests of six more models would
cost minutes of the CI budget for nothing the smaller ones do not cover.

Convolutions have no bias; BatchNorm uses PyTorch's epsilon 1e-5; strided
layers pad symmetrically, as PyTorch does.
"""

import math

import keras
import numpy as np
from keras import layers

from convnets_tf.layers import (
    classifier_top,
    conv_bn_act,
    make_divisible,
    squeeze_excite,
    symmetric_pad,
)
from convnets_tf.models.common import check_arguments, check_option, make_model
from convnets_tf.registry import register_model

BN_EPSILON = 1e-5
STEM_WIDTH = 32
QUANTUM = 8  # widths are multiples of 8 (section 3.3)
MIN_SIZE = 32  # total stride 32

# (d, w_0, w_a, w_m, g) per model; RegNetY adds SE with ratio 0.25.
# 200MF: the paper's Appendix / pycls model zoo; the rest: torchvision.
CONFIGS = {
    "x_200mf": dict(depth=13, w0=24, wa=36.44, wm=2.49, group_width=8),
    "x_400mf": dict(depth=22, w0=24, wa=24.48, wm=2.54, group_width=16),
    "x_800mf": dict(depth=16, w0=56, wa=35.73, wm=2.28, group_width=16),
    "x_1_6gf": dict(depth=18, w0=80, wa=34.01, wm=2.25, group_width=24),
    "x_3_2gf": dict(depth=25, w0=88, wa=26.31, wm=2.25, group_width=48),
    "x_8gf": dict(depth=23, w0=80, wa=49.56, wm=2.88, group_width=120),
    "x_16gf": dict(depth=22, w0=216, wa=55.59, wm=2.1, group_width=128),
    "x_32gf": dict(depth=23, w0=320, wa=69.86, wm=2.0, group_width=168),
    "y_200mf": dict(depth=13, w0=24, wa=36.44, wm=2.49, group_width=8, se_ratio=0.25),
    "y_400mf": dict(depth=16, w0=48, wa=27.89, wm=2.09, group_width=8, se_ratio=0.25),
    "y_800mf": dict(depth=14, w0=56, wa=38.84, wm=2.4, group_width=16, se_ratio=0.25),
    "y_1_6gf": dict(depth=27, w0=48, wa=20.71, wm=2.65, group_width=24, se_ratio=0.25),
    "y_3_2gf": dict(depth=21, w0=80, wa=42.63, wm=2.66, group_width=24, se_ratio=0.25),
    "y_8gf": dict(depth=17, w0=192, wa=76.82, wm=2.19, group_width=56, se_ratio=0.25),
    "y_16gf": dict(depth=18, w0=200, wa=106.23, wm=2.48, group_width=112, se_ratio=0.25),
    "y_32gf": dict(depth=20, w0=232, wa=115.89, wm=2.53, group_width=232, se_ratio=0.25),
}
ROUNDINGS = ("torchvision", "pycls")
REGISTERED = ("200mf", "400mf", "800mf", "1_6gf", "3_2gf")


def generate(depth, w0, wa, wm, group_width, bottleneck_ratio=1.0, rounding="torchvision"):
    """Per-stage widths, depths and group widths from the quantised linear
    parameters (section 3.3, Eqns. 2-4).

    Returns three tuples of equal length: each stage's output width, its
    number of blocks, and its group width (at most the bottleneck width).
    The stage width is then rounded to a multiple of the group width, and
    there the two released implementations differ: `rounding="pycls"`
    rounds to the nearest multiple, halves to even (Python's `round`), as
    the authors' pycls does; `"torchvision"` uses `make_divisible` (halves
    up, never more than 10% down). They disagree for RegNetX-400MF (last
    stage 384 vs 400), RegNetY-800MF (128/768 vs 144/784) and RegNetY-8GF
    (168 vs 224 in the first stage); the registered models follow
    torchvision, whose parameter counts they reproduce.
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}; got {rounding!r}.")
    if wa < 0 or w0 <= 0 or wm <= 1 or w0 % QUANTUM:
        raise ValueError(f"RegNet parameters need wa >= 0, w0 > 0 a multiple of "
                         f"{QUANTUM}, wm > 1; got w0={w0}, wa={wa}, wm={wm}.")
    u = np.arange(depth) * wa + w0  # Eqn. 2: linear widths
    s = np.round(np.log(u / w0) / math.log(wm))  # Eqn. 3: steps in log space
    widths = (np.round(w0 * np.power(wm, s) / QUANTUM) * QUANTUM).astype(int)  # Eqn. 4
    stage_widths, stage_depths = [], []
    for w in widths.tolist():
        if stage_widths and stage_widths[-1] == w:
            stage_depths[-1] += 1
        else:
            stage_widths.append(w)
            stage_depths.append(1)
    # Make the group width divide the bottleneck width (never exceeding it).
    bottlenecks = [int(w * bottleneck_ratio) for w in stage_widths]
    groups = [min(group_width, b) for b in bottlenecks]
    if rounding == "pycls":
        bottlenecks = [int(round(b / g) * g) for b, g in zip(bottlenecks, groups)]
    else:
        bottlenecks = [make_divisible(b, g) for b, g in zip(bottlenecks, groups)]
    stage_widths = [int(b / bottleneck_ratio) for b in bottlenecks]
    return tuple(stage_widths), tuple(stage_depths), tuple(groups)


def x_block(x, filters, name, stride=1, group_width=1, bottleneck_ratio=1.0, se_ratio=0.0):
    """The X block (section 3.1, Figure 4): 1x1 conv-BN-ReLU to the
    bottleneck width, grouped 3x3 conv-BN-ReLU (groups = width / group
    width, stride here), 1x1 conv-BN, plus the shortcut (a strided 1x1
    projection and BN where the width or resolution changes), then ReLU.
    With `se_ratio` it is the Y block: squeeze-and-excitation after the 3x3
    layer, reduced to `se_ratio` times the block's input width."""
    width_in = x.shape[-1]
    bottleneck = int(round(filters * bottleneck_ratio))
    groups = bottleneck // group_width
    shortcut = x
    if width_in != filters or stride != 1:
        shortcut = conv_bn_act(x, filters, 1, f"{name}_proj", strides=stride,
                               activation=None, bn_epsilon=BN_EPSILON)
    y = conv_bn_act(x, bottleneck, 1, f"{name}_a", bn_epsilon=BN_EPSILON)
    y, padding = symmetric_pad(y, 3, stride, f"{name}_b")
    y = conv_bn_act(y, bottleneck, 3, f"{name}_b", strides=stride, padding=padding,
                    groups=groups, bn_epsilon=BN_EPSILON)
    if se_ratio:
        # torchvision: int(round(se_ratio * width_in)) channels; the widths
        # are multiples of 8, so squeeze_excite's truncation agrees.
        y = squeeze_excite(y, f"{name}_se", ratio=se_ratio, channels_in=width_in)
    y = conv_bn_act(y, filters, 1, f"{name}_c", activation=None, bn_epsilon=BN_EPSILON)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def regnet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="regnet",
    depth=22,
    w0=24,
    wa=24.48,
    wm=2.54,
    group_width=16,
    bottleneck_ratio=1.0,
    se_ratio=0.0,
    rounding="torchvision",
):
    """A RegNet generated from its parameters (Radosavovic et al. 2020,
    section 3.3); the defaults are RegNetX-400MF.

    Args:
        depth: d, the number of blocks.
        w0: the initial width (a multiple of 8).
        wa: the slope of the linear widths.
        wm: the width multiplier between stages (the quantisation step).
        group_width: g, channels per group of the 3x3 convolutions.
        bottleneck_ratio: b (1 for every published RegNet).
        se_ratio: 0.25 for RegNetY's squeeze-and-excitation; 0 for RegNetX.
        rounding: how stage widths become multiples of the group width,
            "torchvision" or "pycls" (see `generate`).

    Inputs must be at least 32x32.
    """
    check_option(name, "rounding", rounding, ROUNDINGS)
    widths, depths, groups = generate(depth, w0, wa, wm, group_width, bottleneck_ratio,
                                      rounding)
    check_arguments(name, input_shape, MIN_SIZE, pooling, weights)

    inputs = keras.Input(input_shape)
    x, padding = symmetric_pad(inputs, 3, 2, "stem")
    x = conv_bn_act(x, STEM_WIDTH, 3, "stem", strides=2, padding=padding,
                    bn_epsilon=BN_EPSILON)
    for stage, (width, blocks, g) in enumerate(zip(widths, depths, groups), start=1):
        for i in range(blocks):
            x = x_block(x, width, f"stage{stage}_block{i + 1}", stride=2 if i == 0 else 1,
                        group_width=g, bottleneck_ratio=bottleneck_ratio, se_ratio=se_ratio)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


for _size in REGISTERED:
    for _kind in ("x", "y"):
        register_model(f"regnet{_kind}_{_size}", regnet, **CONFIGS[f"{_kind}_{_size}"])
