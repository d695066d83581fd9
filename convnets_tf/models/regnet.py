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

Every RegNet is built as an `anynet` (section 3.1): free per-stage widths,
depths, group widths and bottleneck ratios. `sample_anynet` and
`sample_regnet` draw configurations from the AnyNetX and RegNetX design
spaces (sections 3.2 and 3.3), within a multiply-add window computed by
`anynet_macs` without building the model; notebook 19 trains a few. They
are not registered.

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


def anynet(
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    weights=None,
    name="anynet",
    stage_widths=(32, 64, 160, 400),
    stage_depths=(1, 2, 7, 12),
    group_widths=16,
    bottleneck_ratios=1.0,
    se_ratio=0.0,
    stem_width=STEM_WIDTH,
    stem_stride=2,
):
    """An AnyNet (section 3.1, Figure 3): a stem, stages of X blocks whose
    width w_i, depth d_i, bottleneck ratio b_i and group width g_i are free
    per stage, and the classifier. Every RegNet is an AnyNet; the defaults
    are RegNetX-400MF's generated stages. Not registered: the notebook
    builds sampled ones (see `sample_anynet`).

    Args:
        stage_widths, stage_depths: w_i and d_i, one per stage.
        group_widths, bottleneck_ratios: g_i and the bottleneck ratio, one
            per stage or one number for all; the bottleneck width is w_i
            times the ratio (as torchvision and pycls write it: the paper's
            b_i = 2 is a ratio of 0.5), and g_i must divide it.
        se_ratio: squeeze-and-excitation in every block (the Y block).
        stem_width, stem_stride: the 3x3 stem; each stage then halves the
            resolution in its first block, so inputs must be at least
            stem_stride * 2 ** stages pixels (32 for ImageNet's layout, 16
            for a CIFAR layout with `stem_stride=1` and four stages).
    """
    stages = len(stage_widths)
    group_widths = _per_stage(group_widths, stages)
    bottleneck_ratios = _per_stage(bottleneck_ratios, stages)
    if not (stages == len(stage_depths) > 0) or min(stage_depths) < 1:
        raise ValueError(f"{name}: stage_widths and stage_depths need one entry per stage, "
                         f"depths at least 1; got {stage_widths} and {stage_depths}.")
    for width, g, b in zip(stage_widths, group_widths, bottleneck_ratios):
        bottleneck = int(round(width * b))
        if bottleneck < 1 or bottleneck % g:
            raise ValueError(f"{name}: the group width must divide the bottleneck width; "
                             f"stage width {width} x ratio {b} = {bottleneck}, group width {g}.")
    check_arguments(name, input_shape, stem_stride * 2 ** stages, pooling, weights)

    inputs = keras.Input(input_shape)
    x, padding = symmetric_pad(inputs, 3, stem_stride, "stem")
    x = conv_bn_act(x, stem_width, 3, "stem", strides=stem_stride, padding=padding,
                    bn_epsilon=BN_EPSILON)
    for stage, (width, blocks, g, b) in enumerate(
            zip(stage_widths, stage_depths, group_widths, bottleneck_ratios), start=1):
        for i in range(blocks):
            x = x_block(x, width, f"stage{stage}_block{i + 1}", stride=2 if i == 0 else 1,
                        group_width=g, bottleneck_ratio=b, se_ratio=se_ratio)
    x = classifier_top(x, num_classes, include_top, pooling, classifier_activation)
    return make_model(inputs, x, name, weights)


def _per_stage(value, stages):
    if isinstance(value, (int, float)):
        return (value,) * stages
    if len(value) != stages:
        raise ValueError(f"need one value per stage ({stages}); got {value}.")
    return tuple(value)


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
    stem_stride=2,
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
        stem_stride: 2 (the paper's); 1 suits 32x32 CIFAR images.

    Inputs must be at least 32x32 (with `stem_stride=2` and four stages).
    """
    check_option(name, "rounding", rounding, ROUNDINGS)
    widths, depths, groups = generate(depth, w0, wa, wm, group_width, bottleneck_ratio,
                                      rounding)
    return anynet(input_shape, num_classes, include_top, pooling, classifier_activation,
                  weights, name, stage_widths=widths, stage_depths=depths,
                  group_widths=groups, bottleneck_ratios=bottleneck_ratio,
                  se_ratio=se_ratio, stem_stride=stem_stride)


def anynet_macs(stage_widths, stage_depths, group_widths=16, bottleneck_ratios=1.0,
                image_size=224, stem_width=STEM_WIDTH, stem_stride=2, num_classes=1000):
    """Multiply-adds per image of the `anynet` with these stages (no SE),
    computed from the shapes alone, without building it: what
    `analysis.count_macs` counts on the built model (tests/test_regnet.py),
    cheap enough to sample design spaces at a fixed cost (section 3.2)."""
    stages = len(stage_widths)
    group_widths = _per_stage(group_widths, stages)
    bottleneck_ratios = _per_stage(bottleneck_ratios, stages)
    size = -(-image_size // stem_stride)
    macs = size * size * 9 * 3 * stem_width
    width_in = stem_width
    for width, blocks, g, b in zip(stage_widths, stage_depths, group_widths,
                                   bottleneck_ratios):
        bottleneck = int(round(width * b))
        for i in range(blocks):
            size_in, size = size, (-(-size // 2) if i == 0 else size)
            macs += size_in * size_in * width_in * bottleneck  # 1x1 a
            macs += size * size * 9 * bottleneck * g  # grouped 3x3 b
            macs += size * size * bottleneck * width  # 1x1 c
            if i == 0:  # the first block always strides: a projection shortcut
                macs += size * size * width_in * width  # strided projection
            width_in = width
    return macs + width_in * num_classes


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def sample_anynet(seed, stages=4, depths=range(1, 17), widths=range(8, 1025, 8),
                  bottleneck_ratios=(1.0, 0.5, 0.25), group_widths=(1, 2, 4, 8, 16, 32),
                  shared=False, increasing=False, macs=None, image_size=224, stem_stride=2,
                  max_tries=100_000):
    """One configuration drawn from an AnyNetX design space (section 3.2),
    a dict of `anynet` options.

    Each stage's depth, width, bottleneck ratio and group width is drawn
    uniformly from the choices given; the defaults are AnyNetX_A's (d_i <=
    16, w_i <= 1024 in multiples of 8, b_i in {1, 2, 4}, written here as
    ratios 1, 1/2, 1/4, g_i in {1, 2, ..., 32}). `shared=True` uses one
    ratio and one group width for all stages (AnyNetX_B and _C);
    `increasing=True` keeps only widths and depths that do not decrease from
    stage to stage (AnyNetX_D and _E). Draws whose group width does not
    divide the bottleneck width, or whose multiply-adds (`anynet_macs` at
    `image_size` and `stem_stride`) fall outside `macs` = (low, high), are
    rejected and drawn again, as the paper samples within a flop regime.
    `seed` is an int or a `np.random.Generator`.
    """
    rng = _rng(seed)
    depths, widths = list(depths), list(widths)
    for _ in range(max_tries):
        d = [int(rng.choice(depths)) for _ in range(stages)]
        w = [int(rng.choice(widths)) for _ in range(stages)]
        n = 1 if shared else stages
        b = [float(rng.choice(bottleneck_ratios)) for _ in range(n)] * (stages // n)
        g = [int(rng.choice(group_widths)) for _ in range(n)] * (stages // n)
        if increasing and (d != sorted(d) or w != sorted(w)):
            continue
        if any(int(round(wi * bi)) < 1 or int(round(wi * bi)) % gi
               for wi, bi, gi in zip(w, b, g)):
            continue
        config = dict(stage_widths=tuple(w), stage_depths=tuple(d), group_widths=tuple(g),
                      bottleneck_ratios=tuple(b))
        if macs is None or macs[0] <= anynet_macs(
                **config, image_size=image_size, stem_stride=stem_stride) <= macs[1]:
            return config
    raise ValueError(f"sample_anynet: no draw in {max_tries} met the constraints (macs={macs}).")


def sample_regnet(seed, depths=range(12, 29), w0=(8, 256), wa=(8, 256), wm=(1.5, 3.0),
                  group_widths=(1, 2, 4, 8, 16, 32), stages=4, macs=None, image_size=224,
                  stem_stride=2, max_tries=100_000):
    """One configuration drawn from the RegNetX design space (section 3.3),
    a dict of `anynet` options and its (d, w_0, w_a, w_m, g) under "params".

    d uniform over `depths`; w_0 (a multiple of 8), w_a and w_m
    log-uniform in their (low, high) ranges, as pycls samples them; g
    uniform over `group_widths`; bottleneck ratio 1. The stages come from
    `generate`; draws with other than `stages` stages, or outside `macs`,
    are drawn again.
    """
    rng = _rng(seed)

    def log_uniform(low, high):
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))

    for _ in range(max_tries):
        params = dict(depth=int(rng.choice(list(depths))),
                      w0=int(round(log_uniform(*w0) / QUANTUM) * QUANTUM) or QUANTUM,
                      wa=round(log_uniform(*wa), 2), wm=round(log_uniform(*wm), 2),
                      group_width=int(rng.choice(group_widths)))
        widths, stage_depths, groups = generate(**params)
        if len(widths) != stages:
            continue
        config = dict(stage_widths=widths, stage_depths=stage_depths, group_widths=groups,
                      bottleneck_ratios=(1.0,) * stages)
        if macs is None or macs[0] <= anynet_macs(
                **config, image_size=image_size, stem_stride=stem_stride) <= macs[1]:
            return {**config, "params": params}
    raise ValueError(f"sample_regnet: no draw in {max_tries} met the constraints (macs={macs}).")


for _size in REGISTERED:
    for _kind in ("x", "y"):
        register_model(f"regnet{_kind}_{_size}", regnet, **CONFIGS[f"{_kind}_{_size}"])
