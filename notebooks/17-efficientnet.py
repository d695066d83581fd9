# %% [markdown]
# # EfficientNet: scaling width, depth and resolution together
#
# **Paper:** M. Tan and Q. V. Le, "EfficientNet: Rethinking model scaling
# for convolutional neural networks", *International Conference on Machine
# Learning* (ICML), 2019. [arXiv:1905.11946](https://arxiv.org/abs/1905.11946)
#
# Before EfficientNet a bigger ConvNet was usually made by scaling one
# dimension: more layers (ResNet-18 to ResNet-200), more channels (Wide
# ResNets, MobileNet's width multiplier) or larger images (GPipe's 480x480).
# Tan and Le observed that each dimension alone saturates quickly, and that
# the dimensions interact: a deeper network needs larger images to fill its
# bigger receptive field, and wider layers to use the finer detail. They
# proposed **compound scaling**: one coefficient $\phi$ sets all three,
# depth $d = \alpha^\phi$, width $w = \beta^\phi$ and resolution
# $r = \gamma^\phi$, with $\alpha \beta^2 \gamma^2 \approx 2$ so that each
# step of $\phi$ doubles the FLOPs. A small grid search on a baseline found
# by architecture search, EfficientNet-B0, gave $\alpha = 1.2$, $\beta = 1.1$,
# $\gamma = 1.15$; B1-B7 are B0 scaled up. This notebook works through the
# rule, rebuilds Table 1 (B0) and Table 2 (the FLOPs and parameters of
# B0-B7) with the package's builders, compares the coefficients of the
# released models with the rule, and trains compound scaling against
# scaling width, depth or resolution alone at matched FLOPs on CIFAR-10,
# from a small B0-like base network (the paper's Figures 3 and 8, in
# miniature).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/17-efficientnet.ipynb)

# %%
# Setup: on Colab, install convnets_tf from GitHub; elsewhere do nothing
# (a local checkout has it installed with `pip install -e .`).
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "git+https://github.com/convnets-tf/convnets_tf"],
        check=True,
    )

# %%
import gc
import inspect
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf.analysis import count_macs, count_params, trace_shapes
from convnets_tf.models import efficientnet
from convnets_tf.notebook import plan_run
from convnets_tf.timing import machine

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
plan = plan_run(   # the training runs of section 5
    cpu=dict(train_images=6144, test_images=None, epochs=3, batch_size=64),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=64),
)
smoke = plan.mode == "smoke"

# %% [markdown]
# ## 1. The problem and the rule (section 3)
#
# The paper writes a ConvNet as stages $i = 1 \ldots s$, each a layer
# $\mathcal{F}_i$ repeated $L_i$ times on maps of $H_i \times W_i \times
# C_i$. Architecture search looks for the best $\mathcal{F}_i$; scaling
# keeps $\mathcal{F}_i$ fixed and changes only the lengths $L_i$ (depth),
# the widths $C_i$ and the resolution $H_i, W_i$, all stages by the same
# factors, to get the best accuracy under a memory and FLOPs budget
# (Eq. 2).
#
# **Observation 1** (Figure 3): scaling any one dimension improves accuracy,
# but the gain shrinks as the model grows: B0 scaled in width to $w = 5$, in
# depth to $d = 8$ or in resolution to $r = 560$ all flatten out near 80%
# top-1 on ImageNet. **Observation 2** (Figure 4): width helps more when
# depth and resolution grow too; the dimensions should be balanced.
#
# **Compound scaling** (Eq. 3): with one user-chosen coefficient $\phi$,
#
# $$d = \alpha^\phi, \quad w = \beta^\phi, \quad r = \gamma^\phi, \qquad
# \alpha \cdot \beta^2 \cdot \gamma^2 \approx 2, \quad \alpha, \beta, \gamma
# \ge 1.$$
#
# Why squares: the FLOPs of a convolution are proportional to the number of
# layers, to its input channels times its output channels, and to the number
# of positions, so a network's FLOPs grow as $d \, w^2 r^2$; with the
# constraint they grow by about $2^\phi$. The two steps: fix $\phi = 1$
# (twice B0's resources) and grid-search $\alpha, \beta, \gamma$ (this
# gave 1.2, 1.1 and 1.15); then fix them and raise $\phi$ to get B1-B7.
# What the rule promises, with the rounding of the released models (each
# stage's repeats rounded up, channels to a multiple of 8, sizes to whole
# pixels) left out:

# %%
# NBVAL_CHECK_OUTPUT
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15
print(f"alpha * beta^2 * gamma^2 = {ALPHA * BETA**2 * GAMMA**2:.3f} (FLOPs factor per step "
      f"of phi)")
print(f"{'phi':>4} {'depth':>6} {'width':>6} {'resolution':>11} {'FLOPs x':>8} {'2^phi':>6}")
for phi in range(8):
    d, w, r = ALPHA**phi, BETA**phi, GAMMA**phi
    print(f"{phi:>4} {d:>6.2f} {w:>6.2f} {224 * r:>11.0f} {d * w**2 * r**2:>8.1f} {2**phi:>6}")

# %% [markdown]
# ## 2. EfficientNet-B0 (Table 1)
#
# B0 came from the same multi-objective search as MnasNet, rewarding
# accuracy and FLOPs (target 400M) rather than phone latency. Its block is
# MobileNetV2's inverted residual (MBConv) with squeeze-and-excitation and
# swish:
#
# | stage | operator | resolution | channels | layers |
# |---|---|---|---|---|
# | 1 | conv 3x3 | 224x224 | 32 | 1 |
# | 2 | MBConv1, k3x3 | 112x112 | 16 | 1 |
# | 3 | MBConv6, k3x3 | 112x112 | 24 | 2 |
# | 4 | MBConv6, k5x5 | 56x56 | 40 | 2 |
# | 5 | MBConv6, k3x3 | 28x28 | 80 | 3 |
# | 6 | MBConv6, k5x5 | 14x14 | 112 | 3 |
# | 7 | MBConv6, k5x5 | 14x14 | 192 | 4 |
# | 8 | MBConv6, k3x3 | 7x7 | 320 | 1 |
# | 9 | conv 1x1, pooling, FC | 7x7 | 1280 | 1 |
#
# The resolution column is each stage's input; the first block of stages 3,
# 4, 5 and 7 has stride 2 (the table's rows 3-8 start at 112, 56, 28, 14, 14
# and 7). MBConv6 expands to six times its input width, MBConv1 does not
# expand. The package's builder, traced stage by stage with one random
# image (stage $k$ of the table is keras' `block{k-1}`):

# %%
b0 = convnets_tf.build("efficientnet_b0")
trace_shapes(b0, {
    "stem_activation": (1, 112, 112, 32), "block1a_project_bn": (1, 112, 112, 16),
    "block2b_add": (1, 56, 56, 24), "block3b_add": (1, 28, 28, 40),
    "block4c_add": (1, 14, 14, 80), "block5c_add": (1, 14, 14, 112),
    "block6d_add": (1, 7, 7, 192), "block7a_project_bn": (1, 7, 7, 320),
    "top_activation": (1, 7, 7, 1280), "predictions": (1, 1000),
})

# %% [markdown]
# The builder (`convnets_tf/models/efficientnet.py`). The scaling lives in
# two small functions: `round_filters` multiplies every stage's channels by
# the width factor and rounds to a multiple of 8 (never more than 10%
# down), `round_repeats` multiplies every stage's repeats by the depth
# factor and rounds up. Resolution is the input size. The block is the
# package's shared MBConv (`convnets_tf.models.mbconv.inverted_residual`,
# also MobileNetV2's and V3's), with SE reducing to a quarter of the block's
# input width and stochastic depth whose rate grows linearly along the
# network. `width_coefficient`, `depth_coefficient`, `early_strides` and
# `include_preprocessing` are this notebook's options for section 5; their
# defaults leave B0-B7 as keras builds them.

# %%
print(inspect.getsource(efficientnet.efficientnet))

# %% [markdown]
# **Counts.** Parameters as keras.applications' `EfficientNetB0` counts them
# (5,330,571: trainable weights plus BatchNorm statistics and the 7 weights
# of keras' input normalisation) and multiply-adds, which is what the
# paper's "FLOPs" are (`count_macs`: one per weight per output position):

# %%
# NBVAL_CHECK_OUTPUT
params = count_params(b0)
print(f"EfficientNet-B0: {params.total:,} parameters ({params.trainable:,} trainable), "
      f"{count_macs(b0) / 1e9:.3f}B multiply-adds at 224x224 (paper: 5.3M, 0.39B)")
assert params.total == 5_330_571
del b0

# %% [markdown]
# ## 3. B0 to B7 (Table 2)
#
# The released models' coefficients, as keras.applications and the authors'
# `efficientnet_builder.py` set them (`EFFICIENTNET_SCALING`: width, depth,
# resolution, dropout), and each model's parameters and multiply-adds at its
# own resolution, against Table 2. The large models take time and memory to
# build (B7 has 66M parameters and runs at 600x600), so in smoke mode (CI)
# only B0 is counted; the test suite checks all eight
# (`tests/test_efficientnet.py`).

# %%
# NBVAL_CHECK_OUTPUT
TABLE_2 = {"b0": (5.3, 0.39), "b1": (7.8, 0.70), "b2": (9.2, 1.0), "b3": (12, 1.8),
           "b4": (19, 4.2), "b5": (30, 9.9), "b6": (43, 19), "b7": (66, 37)}
for variant, (width, depth, size, dropout) in efficientnet.EFFICIENTNET_SCALING.items():
    print(f"B{variant[1]}: width {width}, depth {depth}, resolution {size}, dropout {dropout}")

# %%
released = {}
for variant in ("b0",) if smoke else efficientnet.EFFICIENTNET_SCALING:
    model = convnets_tf.build(f"efficientnet_{variant}")
    released[variant] = (model.count_params(), count_macs(model))
    paper_params, paper_flops = TABLE_2[variant]
    print(f"B{variant[1]} at {model.input_shape[1]}x{model.input_shape[1]}: "
          f"{released[variant][0] / 1e6:5.2f}M parameters (paper {paper_params}M), "
          f"{released[variant][1] / 1e9:6.2f}B multiply-adds (paper {paper_flops}B, "
          f"{100 * (released[variant][1] / 1e9 / paper_flops - 1):+.1f}%)")
    del model
    keras.backend.clear_session()
    gc.collect()

# %% [markdown]
# ## 4. The released B1-B7 against the rule
#
# The paper does not give the $\phi$ of each model. If B1-B7 followed the
# rule exactly, the same $\phi$ would explain all three coefficients:
# $\phi_d = \log d / \log \alpha$, $\phi_w = \log w / \log \beta$,
# $\phi_r = \log (r / 224) / \log \gamma$. Each model's three values:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'':>3} {'phi from depth':>15} {'width':>6} {'resolution':>11}   "
      f"{'rule at mean phi (d, w, r)':>27}   released (d, w, r)")
implied = {}
for variant, (width, depth, size, _) in efficientnet.EFFICIENTNET_SCALING.items():
    phis = (math.log(depth) / math.log(ALPHA), math.log(width) / math.log(BETA),
            math.log(size / 224) / math.log(GAMMA))
    implied[variant] = phis
    phi = sum(phis) / 3
    print(f"B{variant[1]} {phis[0]:>15.2f} {phis[1]:>6.2f} {phis[2]:>11.2f}   "
          f"{ALPHA**phi:>11.2f} {BETA**phi:>5.2f} {224 * GAMMA**phi:>5.0f}     "
          f"{depth:>11.1f} {width:>4.1f} {size:>4}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
names = [f"B{v[1]}" for v in implied]
for k, label in enumerate(("depth", "width", "resolution")):
    ax.plot(names, [phis[k] for phis in implied.values()], marker="o", label=f"phi from {label}")
ax.plot(names, range(len(names)), "k:", label="phi = 0, 1, ..., 7")
ax.set(ylabel="implied phi", title="released EfficientNets against d = 1.2^phi, "
       "w = 1.1^phi, r = 1.15^phi")
ax.legend()
plt.show()

# %% [markdown]
# Where the released models depart from the rule:
#
# * **B1 scales no width** ($w = 1.0$): its depth and resolution say
#   $\phi \approx 0.5$, a half step, whose width factor
#   $1.1^{0.5} = 1.05$ would be rounded away anyway (channels are multiples
#   of 8).
# * **B2 is the only model on the rule**: $\phi \approx 1$ in every
#   dimension (depth 1.2, width 1.1, resolution 260 against the rule's 258).
# * **Depth lags from B3 on**: its implied $\phi$ is the smallest of the
#   three in B3-B7, by about one step in B6 and B7 (B7's depth 3.1 is
#   $1.2^{6.2}$, its width 2.0 is $1.1^{7.3}$): the released models are
#   shallower than the rule, and wider and larger in resolution.
# * **Resolution** leads in B3-B5 and is rounded to sizes that suited the
#   authors' pipeline (240, 260, 300, 380, 456, 528, 600).
# * **Not $\phi = 1, 2, \ldots, 7$.** The mean implied $\phi$ is not one
#   step apart from model to model (B4 is one and a half steps above B3).
#   Table 2's FLOPs (printed below) say the same: a factor of 95 from B0
#   to B7 is about $2^{6.6}$, not $2^7$.

# %%
# NBVAL_CHECK_OUTPUT
print(f"Table 2: B7 / B0 FLOPs = {TABLE_2['b7'][1] / TABLE_2['b0'][1]:.1f} = 2^"
      f"{math.log2(TABLE_2['b7'][1] / TABLE_2['b0'][1]):.2f}")
for variant in ("b1", "b2", "b3", "b4", "b5", "b6", "b7"):
    ratio = TABLE_2[variant][1] / TABLE_2["b0"][1]
    print(f"B{variant[1]}: FLOPs x{ratio:5.1f} over B0 = 2^{math.log2(ratio):.2f}; mean implied "
          f"phi {sum(implied[variant]) / 3:.2f}; alpha^phi beta^2phi gamma^2phi at that phi "
          f"= 2^{sum(implied[variant]) / 3 * math.log2(ALPHA * BETA**2 * GAMMA**2):.2f}")

# %% [markdown]
# So the rule describes the family's direction (all three dimensions grow
# together), not each model: the published coefficients were rounded and
# adjusted beyond it.
#
# ## 5. The experiment: compound scaling against one dimension at matched FLOPs
#
# The claim tested (Figures 3 and 8): for the same extra FLOPs, scaling
# width, depth and resolution together gives a more accurate network than
# scaling any one of them. The paper scaled B0 on ImageNet by each method
# up to about 4B FLOPs and found compound scaling ahead by up to 2.5% top-1.
#
# **Base network.** B0's structure from the same builder, shrunk to fit two
# CPU cores: width coefficient 0.75, depth coefficient 0.25 (every stage
# keeps one block: 7 MBConv blocks), CIFAR images downsampled to 16x16, the
# stem at stride 1 (`early_strides=(1, 2)`, so the maps run 16, 8, 4, 2,
# 2, 1), no dropout or stochastic depth for these short runs, and no keras
# preprocessing (the recipe normalises the images). Starting below CIFAR's
# 32x32 lets the resolution dimension add real detail instead of only
# interpolated pixels: every variant here sees at most the native 32x32.
# One more change from keras: the classifier's weights start at zero.
# Keras' EfficientNet initialises them with a variance of 1/3 over the
# number of classes (fan-out), sensible for 1,000 classes but a hundred
# times larger for 10: at initialisation the logits then had a standard
# deviation of about 3 and the first epoch's loss rose above that of a
# uniform guess, where with zeros it starts at $\ln 10$ and falls.
#
# **Variants**, each about twice the base's multiply-adds ($\phi = 1$):
#
# * **compound**: depth $\times 1.2$, width $\times 1.1$, resolution
#   $\times 1.15$, the paper's coefficients;
# * **width**, **depth**, **resolution**: one coefficient alone, chosen
#   from a grid as the one whose multiply-adds come closest to the compound
#   network's (depth moves in whole blocks, width in multiples of 8
#   channels, resolution in whole pixels, so the match is within a few
#   percent, printed below).

# %%
from convnets_tf.models.efficientnet import B0_STAGES

BASE = dict(width=0.75, depth=0.25, size=16)
SMOKE_GRID = ([1.479], [1.25], [25])   # CI only; see below


def cifar_efficientnet(width, depth, size, name="efficientnet_cifar"):
    """B0's structure at CIFAR scale: the package builder with this
    notebook's options; nothing here is registered."""
    model = efficientnet.efficientnet(
        input_shape=(size, size, 3), num_classes=10, width_coefficient=width,
        depth_coefficient=depth, early_strides=(1, 2), include_preprocessing=False,
        dropout=0.0, drop_connect_rate=0.0, name=name)
    kernel = model.get_layer("predictions").kernel
    kernel.assign(keras.ops.zeros(kernel.shape))
    return model


def repeats(depth):
    return tuple(math.ceil(depth * n) for _, n, *_ in B0_STAGES)


_counted = {}


def macs_of(width, depth, size):
    key = (round(width, 4), round(depth, 4), size)
    if key not in _counted:
        _counted[key] = count_macs(cifar_efficientnet(*key))
        keras.backend.clear_session()
    return _counted[key]


w0, d0, s0 = BASE["width"], BASE["depth"], BASE["size"]
compound = dict(width=w0 * BETA, depth=d0 * ALPHA, size=round(s0 * GAMMA))
target = macs_of(**compound)
base_macs = macs_of(**BASE)
# One dimension alone: the grid point whose multiply-adds come closest to
# the compound network's. The grids are centred on the factor each needs
# (multiply-adds grow about as width squared and as resolution squared);
# depth takes every distinct set of stage repeats. In smoke mode (CI) the
# grids are the points this search picked in the stored run.
factor = math.sqrt(target / base_macs)
WIDTHS = [round(w0 * f, 3) for f in factor * np.linspace(0.9, 1.3, 9)]
DEPTHS = list({repeats(d): round(d, 2) for d in np.arange(10 * d0, d0, -0.05)}.values())
SIZES = range(round(s0 * factor) - 2, round(s0 * factor) + 3)
if smoke:
    WIDTHS, DEPTHS, SIZES = SMOKE_GRID


def closest(candidates):
    return min(candidates, key=lambda v: abs(macs_of(**v) - target))


start = time.time()
width_only = closest(dict(width=w, depth=d0, size=s0) for w in WIDTHS)
depth_only = closest(dict(width=w0, depth=d, size=s0) for d in DEPTHS)
size_only = closest(dict(width=w0, depth=d0, size=s) for s in SIZES)
print(f"{len(_counted)} networks counted in {time.time() - start:.0f} s")
VARIANTS = {"base": BASE, "compound": compound, "width": width_only, "depth": depth_only,
            "resolution": size_only}

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'':<11} {'width':>6} {'depth':>6} {'blocks':>7} {'size':>5} {'parameters':>11} "
      f"{'M mult-adds':>12} {'x base':>7} {'x compound':>11}")
for label, v in VARIANTS.items():
    net = cifar_efficientnet(**v)
    macs = count_macs(net)
    print(f"{label:<11} {v['width']:>6.3f} {v['depth']:>6.3f} {sum(repeats(v['depth'])):>7} "
          f"{v['size']:>5} {count_params(net).trainable:>11,} {macs / 1e6:>12.2f} "
          f"{macs / base_macs:>7.2f} {macs / target:>11.3f}")
    keras.backend.clear_session()

# %% [markdown]
# **Training.** The four scaled networks, each from the same seed with the
# same recipe: the package's
# ([How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train))
# with AdamW (learning rate 0.002) at batch 64 and BatchNorm momentum 0.9 (keras' 0.99 has not forgotten its initial
# statistics after a few hundred steps). `train_cifar` resizes the 32x32
# images to each network's input size in the input pipeline (bilinear),
# training and test images alike. On two CPU cores the runs are short: a
# subset of the 50,000 training images for a few epochs.

# %%
from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, train_cifar

RECIPE = dict(optimizer="adamw", learning_rate=0.002, bn_momentum=0.9)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy, **RECIPE)}")
RUNS = ["compound", "width", "depth", "resolution"]
if smoke:   # CI traces one training graph: each costs tens of seconds on two cores
    RUNS = ["compound"]

HISTORY, SECONDS = {}, {}
for label in RUNS:
    v = VARIANTS[label]
    out = f"{plan.runs_dir}/{label}"
    start = time.time()
    keras.utils.set_random_seed(0)
    train_cifar(lambda: cifar_efficientnet(**v, name=f"efficientnet_cifar_{label}"), data,
                epochs=plan.epochs, batch_size=plan.batch_size, out_dir=out,
                strategy=strategy, verbose=2, **RECIPE)
    record_run(plan, out, notebook="17-efficientnet", label=label)
    HISTORY[label] = read_rows(f"{out}/history.csv")
    SECONDS[label] = time.time() - start
    print(f"{label}: trained in {SECONDS[label]:.0f} s ({machine()})\n")

# %%
n_test = len(data[1][0])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for label, rows in HISTORY.items():
    v = VARIANTS[label]
    macs = _counted[(round(v["width"], 4), round(v["depth"], 4), v["size"])]
    p = rows[-1]["val_accuracy"]
    print(f"{label:<11} {macs / 1e6:5.2f}M mult-adds: test accuracy {p:.3f} (standard error "
          f"{math.sqrt(p * (1 - p) / n_test):.3f}), train accuracy {rows[-1]['accuracy']:.3f}, "
          f"{SECONDS[label]:.0f} s")
    axes[0].plot([r["epoch"] + 1 for r in rows], [r["val_accuracy"] for r in rows],
                 marker="o", label=label)
    axes[1].scatter(macs / 1e6, p, label=label)
axes[0].set(xlabel="epoch", ylabel="test accuracy", title="test accuracy per epoch")
axes[1].set(xlabel="M multiply-adds", ylabel="final test accuracy",
            title="accuracy against cost (Figure 8's axes)")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
plt.show()
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, **RECIPE)}, each network; "
      f"{machine()}")

# %% [markdown]
# ## 6. Results
#
# All numbers here are printed by the cells above. The stored notebook ran
# on a 2-core CPU shared with other jobs (load averages of 2.9 to 4.7
# printed beside the runs), float32; the training times are therefore
# rough.
#
# * **The rule.** $\alpha \beta^2 \gamma^2 = 1.920$, so each step of
#   $\phi$ multiplies the FLOPs by 1.92, not 2: at $\phi = 7$ the rule
#   gives 96.3 times B0's FLOPs, not 128.
# * **B0 (Table 1).** The shapes trace as the table says, stage by stage;
#   5,330,571 parameters (5,288,548 trainable), as keras.applications, and
#   0.386B multiply-adds at 224x224 (paper 5.3M and 0.39B).
# * **Table 2.** All eight models' parameters agree with the paper's
#   rounded figures (5.33M ... 66.66M against 5.3M ... 66M), and their
#   multiply-adds are within 5% of its FLOPs: from -1.9% (B1, 0.69B) to
#   +4.6% (B4, 4.39B); B7 has 37.75B against 37B.
# * **The released coefficients.** B2 is the only model on the rule (implied
#   $\phi$ 1.00, 1.00 and 1.07 from depth, width and resolution). B1 scales
#   no width (0.52, 0.00, 0.49). From B3 on depth gives the smallest
#   $\phi$: for B7 6.21 against 7.27 (width) and 7.05 (resolution). The
#   mean implied $\phi$ runs 0.34, 1.02, 1.95, 3.51, 4.78, 5.85, 6.84, and
#   the FLOPs of Table 2 grow by $2^{0.84}$ to $2^{6.57}$ over B0: not
#   $2^1 \ldots 2^7$.
# * **Matched FLOPs.** The base network (width 0.75, depth 0.25, 16x16, 7
#   blocks) has 2.65M multiply-adds. The compound network (width 0.825,
#   depth 0.3, 18x18) has 7.80M, 2.94 times the base rather than about 2:
#   at such small maps the sizes round up (18 -> 9 -> 5 -> 3 -> 3 -> 2
#   against 16 -> 8 -> 4 -> 2 -> 2 -> 1), so the last stages see four
#   positions instead of one. The one-dimension networks came within 10%
#   of it: width 1.479 (7.57M, 0.971 of the compound network's), depth
#   1.25 (23 blocks, 8.58M, 1.100) and resolution 25x25 (8.37M, 1.073).
# * **Accuracy after 3 epochs of 6,144 images** (2,000 test images,
#   standard error about 0.011): compound scaling 0.394, width 0.398,
#   resolution 0.410, depth 0.247; all above chance (0.1), depth far
#   behind. Compound, width and resolution are within about 1.5 standard
#   errors of each other. Training took 103 s (compound), 137 s (width),
#   185 s (depth) and 143 s (resolution).
#
# **What this shows and what it cannot.** This run does **not** reproduce
# the paper's Figure 8: compound scaling did not beat width or resolution
# scaling, and the three are indistinguishable at this sample size and one
# seed. It does show one part of the paper's argument, the cost of
# unbalanced depth: the network made 23 blocks deep at 16x16 is the
# slowest to train and, after the same short schedule, by far the least
# accurate (a deep narrow network needs more steps; in the paper's
# Figure 3 depth alone also gains least for its FLOPs). The rest is out of reach of a
# 3-epoch CPU run: all four networks are still underfitting (training
# accuracy, on augmented images while the weights change, 0.23 to 0.38,
# below test accuracy), so what is measured is how fast each trains, not
# what accuracy its capacity allows; the paper trained each model to
# convergence on ImageNet. CIFAR's 32x32 images also cap what resolution can add (here
# 16 to 25 pixels of real detail, where the paper went from 224 to 600),
# and the base network is far smaller than B0 and was not found by a
# search. A fair test needs full training, several seeds and a base
# network whose maps are large enough that the rounding of sizes does not
# dominate the FLOPs.
#
# ## 7. Takeaways
#
# * Scaling a ConvNet has three knobs whose costs multiply: FLOPs grow as
#   $d \, w^2 r^2$. EfficientNet's rule turns the three into one,
#   $\phi$, with $\alpha \beta^2 \gamma^2 \approx 2$ so that each step
#   doubles the cost.
# * The coefficients came from a small grid search at $\phi = 1$ on the
#   baseline; the baseline itself (B0) came from architecture search, and
#   the paper credits much of the family's efficiency to it.
# * The released B1-B7 follow the rule's direction, not its letter: B1
#   scales no width, B4-B7 scale width faster than depth, and the steps
#   between models are not equal.
# * Comparing scaling methods needs matched FLOPs and a training budget
#   that lets the larger model use its capacity. At three CPU epochs,
#   compound, width and resolution scaling tied; only the very deep
#   network fell behind.
#
# ## References
#
# * M. Tan and Q. V. Le. EfficientNet: Rethinking model scaling for
#   convolutional neural networks. ICML 2019.
#   [arXiv:1905.11946](https://arxiv.org/abs/1905.11946)
# * M. Tan et al. MnasNet: Platform-aware neural architecture search for
#   mobile. CVPR 2019 (the search that produced B0).
# * M. Sandler et al. MobileNetV2: Inverted residuals and linear
#   bottlenecks. CVPR 2018 (MBConv, notebook 14); J. Hu et al.
#   Squeeze-and-excitation networks. CVPR 2018; G. Huang et al. Deep
#   networks with stochastic depth. ECCV 2016.
# * keras.applications EfficientNetB0-B7 and the authors'
#   `efficientnet_builder.py` (tensorflow/tpu), whose coefficients and
#   weights these builders reproduce.
# * Previous in the series: [16-mobilenet-v3.ipynb](16-mobilenet-v3.ipynb).
#   Next: [18-efficientnet-v2.ipynb](18-efficientnet-v2.ipynb).
