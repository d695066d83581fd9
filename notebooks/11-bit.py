# %% [markdown]
# # BiT: Big Transfer, general visual representation learning
#
# **Paper:** A. Kolesnikov, L. Beyer, X. Zhai, J. Puigcerver, J. Yung,
# S. Gelly and N. Houlsby, "Big Transfer (BiT): General visual
# representation learning", *European Conference on Computer Vision*
# (ECCV), 2020. [arXiv:1912.11370](https://arxiv.org/abs/1912.11370),
# code: [google-research/big_transfer](https://github.com/google-research/big_transfer)
#
# BiT is not a new architecture but a recipe for transfer learning: train a
# large ResNet once on a large labelled data set ("upstream"), then
# fine-tune it cheaply on each new task ("downstream") with one fixed rule
# for the hyperparameters. The paper names three ingredients: scale (the
# same recipe on 1.3M, 14M and 300M images, with ResNets up to 4x wider and
# 152 layers deep), **Group Normalization with Weight Standardisation in
# place of Batch Normalization**, and the **BiT-HyperRule**, which picks
# the fine-tuning schedule, resolution and MixUp from the task's size and
# image resolution. Its largest model reached 87.5% top-1 on ILSVRC-2012,
# 99.4% on CIFAR-10 and 76.3% on the 19-task VTAB-1k, and 97.0% on CIFAR-10
# with only 10 labelled images per class. This notebook shows numerically
# why BatchNorm was dropped and what GN and WS do instead, rebuilds the BiT
# ResNets and checks them against the authors' figures, turns the
# HyperRule into code, and, since no BiT weights can be downloaded here,
# runs the recipe in miniature: pre-train a small BiT on five CIFAR-10
# classes, fine-tune it on the other five, and compare with training from
# scratch.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/11-bit.ipynb)

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
import inspect
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf import build
from convnets_tf.models import bit

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. The problem and the idea
#
# Strong results in vision needed a lot of labelled data and compute *per
# task*. Transfer learning replaces most of that with one pre-training
# phase: "a network is trained once on a large, generic dataset, and its
# weights are then used to initialize subsequent tasks which can be solved
# with fewer data points, and less compute" (Section 1). BiT revisits the
# simplest form, supervised pre-training followed by fine-tuning of all
# weights, and asks which few components make it work across "1 example
# per class to 1M total examples":
#
# * **Scale (Section 2.1, 4.1).** Three upstream data sets: ILSVRC-2012,
#   1.28M images (BiT-S); ImageNet-21k, 14.2M images (BiT-M); JFT-300M, 300M
#   noisily labelled images (BiT-L). Models from ResNet-50x1 to
#   ResNet-152x4, where "x4" multiplies the width of every hidden layer. Data
#   and model size have to grow together: a ResNet-50x1 gains nothing from
#   JFT-300M over ImageNet-21k, a ResNet-152x4 gains a lot (Figure 5).
# * **GroupNorm + Weight Standardisation (Sections 2.1 and 4.3),** below.
# * **BiT-HyperRule (Sections 2.2 and 3.3):** no hyperparameter search per
#   task; one heuristic sets the schedule length, the resolution and
#   whether to use MixUp from the number of examples and the image size
#   (Section 5 of this notebook).
#
# Upstream training (Section 3.3): SGD with momentum 0.9, learning rate
# 0.03 scaled by batch size / 256, weight decay 1e-4, 5000 warm-up steps;
# global batch 4096 on a TPUv3-512, "resulting in 8 images per chip"; 90
# epochs for BiT-S and BiT-M (decays at 30, 60, 80), 40 for BiT-L.
#
# ### Why BatchNorm had to go
#
# The paper gives two reasons (Section 2.1): "First, when training large
# models with small per-device batches, BN performs poorly or incurs
# inter-device synchronization cost. Second, due to the requirement to
# update running statistics, BN is detrimental for transfer."
#
# * **Per-device batches.** Data parallelism splits the global batch over
#   the accelerators, and a large model leaves room for only a few images
#   per chip (8 in BiT's upstream runs). BN normalises with the statistics
#   of the images *on one chip*: with 8 images they are noisy. Synchronising
#   them across 128 or 512 chips costs an all-reduce in every BN layer, and
#   statistics over very large batches hurt generalisation (Section 4.3).
# * **Batch statistics.** In training mode BN's output for an image depends
#   on the other images of its batch; the model is a different function
#   for every batch (first cell below).
# * **Running statistics and the train/test discrepancy.** At test time BN
#   uses running averages of the training statistics. After pre-training
#   they describe the *upstream* data. Fine-tuning on a few downstream
#   examples trains the network with the downstream batch statistics, but
#   the running averages follow them only slowly (Keras' momentum 0.99 keeps
#   99% of the old value per step), so after a short fine-tuning schedule the
#   network that is evaluated is not the one that was trained (second cell).
#   With tiny downstream data sets (1 to 10 images per class) the batches
#   themselves are small, and their statistics noisy.
#
# **Group Normalization** (Wu and He 2018) normalises each image on its
# own: the channels are split into groups (32 in BiT) and every group is
# standardised over its channels and positions, then scaled and shifted by
# learned per-channel $\gamma$, $\beta$. Nothing depends on the batch and
# there are no running statistics, so training and test compute the same
# function. GN alone is weaker than BN at large batches, though: Section 4.3
# measures a 5.4% drop in ILSVRC-2012 top-1 for a ResNet-50x1 trained with
# batch 4096. **Weight Standardisation** (Qiao et al. 2019) closes the gap:
# every convolution standardises each of its filters, over all its input
# channels and kernel positions, to zero mean and unit variance before it
# is applied, $\hat W_{o} = (W_{o} - \mu_{o}) / \sqrt{\sigma^2_{o} + \epsilon}$.
# The layer's output no longer depends on the scale or offset of the stored
# weights, which Qiao et al. show smooths the loss landscape. The paper's
# Tables 4 and 5 (ResNet-50, batch 4096, ILSVRC-2012 from scratch; then the
# same models transferred to VTAB-1k):
#
# | ILSVRC-2012 top-1 (Table 4) | plain conv | weight std. |
# |---|---|---|
# | Batch Norm | 75.6 | 75.8 |
# | Group Norm | 70.2 | 76.0 |
#
# | VTAB-1k, 19 tasks (Table 5) | plain conv | weight std. |
# |---|---|---|
# | Batch Norm | 67.72 | 66.78 |
# | Group Norm | 68.77 | 70.39 |
#
# GN+WS matches BN upstream and transfers best, "so we use GN/WS in all BiT
# models".
#
# The batch dependence, in numbers: one image, normalised together with two
# different sets of companions, and alone, by BatchNorm (training mode) and
# GroupNorm.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
image = rng.normal(size=(1, 8, 8, 64)).astype("float32")
companions_a = rng.normal(size=(7, 8, 8, 64)).astype("float32")
companions_b = rng.normal(loc=1.0, scale=2.0, size=(7, 8, 8, 64)).astype("float32")
batch_a = np.concatenate([image, companions_a])
batch_b = np.concatenate([image, companions_b])

for norm in (keras.layers.BatchNormalization(), keras.layers.GroupNormalization(32)):
    out_a = norm(batch_a, training=True)[0]
    out_b = norm(batch_b, training=True)[0]
    alone = norm(image, training=True)[0]
    diff_ab = float(np.max(np.abs(out_a - out_b)))
    diff_alone = float(np.max(np.abs(out_a - alone)))
    print(f"{type(norm).__name__:<20} same image, other batch: max diff {diff_ab:.3f}; "
          f"alone: {diff_alone:.3f}")
    if isinstance(norm, keras.layers.GroupNormalization):
        assert diff_ab < 1e-5 and diff_alone < 1e-5
    else:
        assert diff_ab > 0.5 and diff_alone > 0.5

# %% [markdown]
# The train/test discrepancy after fine-tuning. A BatchNorm layer leaves
# pre-training with running statistics of the upstream features (here mean 0,
# variance 1). The downstream features are distributed differently (mean 2,
# standard deviation 3). Each fine-tuning step runs in training mode,
# normalising with the batch's own statistics and moving the running
# averages 1% of the way. The table gives, after each number of steps, how
# far the layer's test-mode output is from the training-mode output on the
# same batch; GroupNorm has no running statistics and no gap.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(1)
downstream = rng.normal(loc=2.0, scale=3.0, size=(32, 4, 4, 64)).astype("float32")
bn = keras.layers.BatchNormalization(momentum=0.99)   # Keras' default momentum
bn.build(downstream.shape)                            # running mean 0, variance 1
gn = keras.layers.GroupNormalization(32)

def gap(layer):
    return float(np.mean(np.abs(layer(downstream, training=True)
                                - layer(downstream, training=False))))

print(f"{'steps':>5} {'BN running mean':>16} {'BN test-train gap':>18} {'GN gap':>7}")
steps_done = 0
gaps = {}
for steps in (0, 10, 100, 500):
    for _ in range(steps - steps_done):
        bn(downstream, training=True)   # one fine-tuning step's forward pass
    steps_done = steps
    gaps[steps] = gap(bn)
    print(f"{steps:>5} {float(np.mean(bn.moving_mean)):>16.3f} {gaps[steps]:>18.3f} {gap(gn):>7.3f}")
    assert gap(gn) < 1e-5
assert gaps[0] > 10 * gaps[500] and gaps[10] > 0.5 * gaps[0]

# %% [markdown]
# After 10 steps the running mean has covered a tenth of the way and the
# test-mode output is still far from what training saw; only after
# hundreds of steps do they agree. BiT's fine-tuning schedules are 500 to
# 20,000 steps, and few-shot tasks have few and small batches: with BN, the
# layer statistics would be another hyperparameter of transfer.
#
# Weight Standardisation, with this package's `StandardizedConv2D` (shown
# in Section 3): the stored kernel has arbitrary per-filter means and
# scales; the kernel the convolution uses has mean 0 and variance 1 in every
# filter, and scaling or shifting a filter's stored weights changes
# nothing.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(2)
x = rng.normal(size=(2, 8, 8, 16)).astype("float32")
conv = bit.StandardizedConv2D(4, 3, use_bias=False)
conv.build(x.shape)
# Four filters with different means and scales, as training leaves them.
stored = rng.normal(size=(3, 3, 16, 4)) * [0.05, 0.1, 0.2, 0.5] + [0.1, -0.05, 0.0, 0.2]
conv.kernel.assign(stored)
y = conv(x)
used = keras.ops.convert_to_numpy(conv.standardize(conv.kernel))
print("per filter (3x3x16 = 144 weights each)")
print("stored kernel  mean", np.round(stored.mean(axis=(0, 1, 2)), 3),
      " std", np.round(stored.std(axis=(0, 1, 2)), 3))
print("used kernel    mean", np.round(used.mean(axis=(0, 1, 2)), 3) + 0.0,
      " std", np.round(used.std(axis=(0, 1, 2)), 3))
conv.kernel.assign(stored * [10.0, 0.5, 3.0, 1.0] + [0.0, 0.2, -0.3, 0.1])
change = float(np.max(np.abs(conv(x) - y)) / np.max(np.abs(y)))
print(f"filters rescaled and shifted: output changes by less than 1e-5 of its size: {change < 1e-5}")
assert np.allclose(used.mean(axis=(0, 1, 2)), 0, atol=1e-6)
assert np.allclose(used.std(axis=(0, 1, 2)), 1, atol=1e-4)
assert change < 1e-5


# %% [markdown]
# ## 2. The architecture
#
# "All of our BiT models use a vanilla ResNet-v2 architecture, except that
# we replace all Batch Normalization layers with Group Normalization and use
# Weight Standardization in all convolutional layers" (Section 3.3). ResNet
# v2 (He et al. 2016, "Identity mappings in deep residual networks") puts
# normalisation and ReLU *before* each convolution, so the shortcut path
# from unit to unit is a pure identity. The paper has no table of its own;
# this is the ResNet-50 of He et al.'s Table 1 as the authors' code builds
# it, with the width multiplier $W$ ("x$W$") on every hidden layer:
#
# | stage (code's name) | output, 224x224 input | layers | channels, R50x1 | R50x$W$ |
# |---|---|---|---|---|
# | root | 56x56 | 7x7/2 StdConv; 3x3/2 max-pool | 64 | 64$W$ |
# | block1 | 56x56 | [GN, ReLU, 1x1; GN, ReLU, 3x3; GN, ReLU, 1x1] x 3 | 64, 64, 256 | x$W$ |
# | block2 | 28x28 | same, x 4, stride 2 in the first unit's 3x3 | 128, 128, 512 | x$W$ |
# | block3 | 14x14 | same, x 6 | 256, 256, 1024 | x$W$ |
# | block4 | 7x7 | same, x 3 | 512, 512, 2048 | x$W$ |
# | head | 1x1 | GN, ReLU, global average pool, dense | classes | |
#
# ResNet-101 has 23 units in block3, ResNet-152 8 in block2 and 36 in
# block3. The details the paper does not state, taken from the authors'
# code (`bit_tf2/models.py`, `bit_pytorch/models.py`):
#
# * the root has no normalisation or activation; its convolution is padded
#   by 3 pixels, and the max-pool's input by 1 pixel of *zeros*;
# * the first unit of every stage has a 1x1 projection shortcut (strided in
#   blocks 2 to 4) that reads the unit's *pre-activation*, GN+ReLU of its
#   input, not the input itself;
# * the stride is on the 3x3 convolution (keras.applications' ResNet50V2
#   instead strides in the *last* unit of each stage);
# * no convolution has a bias; GN uses 32 groups and $\epsilon = 10^{-5}$; WS
#   adds $\epsilon = 10^{-10}$ to the variance;
# * the head's dense layer starts at zero (`bit_tf2`; `bit_pytorch` zeroes
#   it when fine-tuning).
#
# A random image through each stage of `bit_r50x1`, with the shapes checked
# against the table:

# %%
from convnets_tf.analysis import count_params, trace_shapes

r50x1 = build("bit_r50x1")   # 224x224x3, 1000 classes
trace_shapes(r50x1, {
    "root_conv": (1, 112, 112, 64), "root_pool": (1, 56, 56, 64),
    "block1_unit03_add": (1, 56, 56, 256), "block2_unit01_add": (1, 28, 28, 512),
    "block2_unit04_add": (1, 28, 28, 512), "block3_unit06_add": (1, 14, 14, 1024),
    "block4_unit03_add": (1, 7, 7, 2048), "pre_head_relu": (1, 7, 7, 2048),
    "avg_pool": (1, 2048), "head": (1, 1000),
})

# %% [markdown]
# The network divides the resolution by 32. A 32x32 CIFAR image leaves the
# last stage a single position, one reason the HyperRule (Section 5) resizes
# small images to 160x160 and crops 128x128 for fine-tuning, which leaves
# 4x4. The builder accepts inputs down to 32x32:

# %%
# NBVAL_CHECK_OUTPUT
for size in (32, 128, 224, 384):
    model = bit.bit(input_shape=(size, size, 3), include_top=False,
                    block_units=(1, 1, 1, 1), width=0.5)
    print(f"{size:>3}x{size:<3} input -> last stage {model.output_shape[1]}x{model.output_shape[2]}")
try:
    build("bit_r50x1", input_shape=(31, 31, 3))
except ValueError as err:
    print("31x31 ->", err)

# %% [markdown]
# ## 3. The implementation
#
# The builder is in `convnets_tf/models/bit.py`. **Weight Standardisation**
# is a subclass of `keras.layers.Conv2D` that standardises the kernel each
# time the convolution runs, so the stored kernel stays the trainable
# variable and the gradient flows through the standardisation. Under
# `mixed_float16` the kernel arrives in float16, where $10^{-10}$ rounds to
# zero, so the moments are computed in float32. It is registered for
# `keras.saving`, so saved models load again.

# %%
print(inspect.getsource(bit.StandardizedConv2D))

# %% [markdown]
# **The pre-activation, the convolution and the root.** `gn_relu` is the
# GN+ReLU in front of every convolution (the shared `bn_act` unit of
# `convnets_tf.layers` with `norm="group"`). `std_conv` pads explicitly by
# (k-1)/2 on each side (the shared `symmetric_pad`): for a strided convolution on an even-sized map,
# Keras' "same" padding pads only bottom and right, which would shift the
# sampling grid by a pixel relative to the authors' code. The root pools
# over a zero-padded map; its output is not yet activated and can be
# negative, so a zero border is not the same as max-pooling's usual
# "ignore the border" (the authors' code remarks that it is "subtly not the
# same").

# %%
for block in (bit.gn_relu, bit.std_conv, bit.root_block):
    print(inspect.getsource(block))

# %% [markdown]
# **The unit and the network.** The projection, where there is one, reads
# `preact`; the unit ends in the sum, and the next unit's GN+ReLU (or the
# final `pre_head` GN+ReLU) normalises it.

# %%
for block in (bit.bottleneck_unit, bit.stage, bit.bit):
    print(inspect.getsource(block))


# %% [markdown]
# ## 4. Verification
#
# **Parameter counts.** The network's parameters follow from the table: per
# unit, two GN (scale and offset) per conv input plus the three kernels,
# and a projection in each stage's first unit. The function below counts
# them without building anything, so that it can also reach ResNet-152x4,
# whose 936 million float32 weights need 3.7 GB. It agrees with the built
# models, with the 25.5M that timm's model card gives for
# `resnetv2_50x1_bit` (1000 classes) and 68.3M for its ImageNet-21k version
# (21,843 classes), and with the paper: "BiT has 928 million parameters"
# (Section 2.2) is ResNet-152x4 without its head.

# %%
# NBVAL_CHECK_OUTPUT
def bit_parameters(block_units, width, num_classes):
    base = int(64 * width)
    total, channels = 7 * 7 * 3 * base, base           # root convolution
    for stage, units in enumerate(block_units):
        f = base * 2**stage
        for unit in range(units):
            total += 2 * channels + channels * f          # GN, 1x1
            total += 2 * f + 9 * f * f                     # GN, 3x3
            total += 2 * f + f * 4 * f                     # GN, 1x1
            if unit == 0:
                total += channels * 4 * f                  # projection
            channels = 4 * f
    total += 2 * channels                                 # final GN
    return total + (channels + 1) * num_classes if num_classes else total

small = bit.bit(input_shape=(32, 32, 3), num_classes=10, block_units=(1, 1, 1, 1), width=0.5)
assert bit_parameters((3, 4, 6, 3), 1, 1000) == count_params(r50x1).trainable
assert bit_parameters((1, 1, 1, 1), 0.5, 10) == count_params(small).trainable

models = [  # name, units, width, registered in convnets_tf
    ("R50x1", bit.BLOCK_UNITS[50], 1, True), ("R50x2", bit.BLOCK_UNITS[50], 2, True),
    ("R50x3", bit.BLOCK_UNITS[50], 3, True), ("R101x1", bit.BLOCK_UNITS[101], 1, True),
    ("R101x3", bit.BLOCK_UNITS[101], 3, False), ("R152x4", bit.BLOCK_UNITS[152], 4, False),
]
print(f"{'model':<7} {'1000 classes':>13} {'21,843 classes':>15} {'no head':>12}  registered")
counts = {}
for label, units, width, registered in models:
    counts[label] = [bit_parameters(units, width, c) for c in (1000, 21843, 0)]
    print(f"{label:<7} {counts[label][0]:>13,} {counts[label][1]:>15,} {counts[label][2]:>12,}  "
          f"{'bit_' + label.lower() if registered else '-'}")
assert counts["R50x1"][0] == 25_549_352 and round(counts["R50x1"][1] / 1e6, 1) == 68.3
assert round(counts["R50x3"][0] / 1e6, 1) == 217.3       # timm: resnetv2_50x3_bit
assert round(counts["R152x4"][2] / 1e6) == 928            # the paper, Section 2.2

# %% [markdown]
# **Against keras.applications' ResNet50V2.** The same pre-activation
# ResNet-50 with BatchNorm. Its layout differs (stride in the last unit of
# each stage, subsampled identity shortcuts), but not its weight shapes:
# BN's scale and offset take the place of GN's, so the only trainable
# difference is that ResNet50V2 keeps biases on the root convolution, on
# every unit's last 1x1 convolution and on the projections, while every
# BiT convolution is bias-free. BN also carries 2 running statistics per
# channel that GN does not have.

# %%
# NBVAL_CHECK_OUTPUT
keras_v2 = keras.applications.ResNet50V2(weights=None)
convs = [l for l in r50x1.layers if isinstance(l, bit.StandardizedConv2D)]
biases = sum(l.filters for l in convs
             if l.name == "root_conv" or l.name.endswith(("_c_conv", "_proj_conv")))
print(f"ResNet50V2 trainable     {count_params(keras_v2).trainable:>11,}")
print(f"bit_r50x1 trainable      {count_params(r50x1).trainable:>11,}")
print(f"difference               {count_params(keras_v2).trainable - count_params(r50x1).trainable:>11,}")
print(f"ResNet50V2's conv biases {biases:>11,}")
print(f"BN running statistics    {keras_v2.count_params() - count_params(keras_v2).trainable:>11,} "
      f"(bit_r50x1: {r50x1.count_params() - count_params(r50x1).trainable})")
assert count_params(keras_v2).trainable - count_params(r50x1).trainable == biases
del keras_v2


# %% [markdown]
# The structure itself (padding, where the projection reads, the stride on
# the 3x3) is checked by `tests/test_bit.py`, which runs a small BiT against
# an independent NumPy forward pass written from the authors'
# `bit_pytorch/models.py`.
#
# ## 5. The BiT-HyperRule
#
# "Most hyperparameters are fixed across all datasets, but schedule,
# resolution, and usage of MixUp depend on the tasks image resolution and
# training set size" (Section 3.3):
#
# | | rule |
# |---|---|
# | optimizer | SGD, momentum 0.9, initial learning rate 0.003, batch 512 |
# | regularisation | no weight decay, no dropout (Section 2.2) |
# | schedule | fewer than 20k examples ("small"): 500 steps; fewer than 500k ("medium"): 10k steps; otherwise ("large"): 20k steps |
# | learning-rate decay | divided by 10 at 30%, 60% and 90% of the steps |
# | resolution | images smaller than 96x96 pixels: resize to 160x160, random 128x128 crop; larger: resize to 448x448, 384x384 crop (512 and 480 for R152x4) |
# | augmentation | random crop and horizontal flip (unless they destroy the label), test: resize only |
# | MixUp | $\alpha = 0.1$ for medium and large tasks, none for small ones |
#
# The authors' code (`bit_hyperrule.py`) also warms the learning rate up
# linearly (the first 100 steps of the small schedule, 500 of the others)
# and, for small tasks, decays at steps 200, 300 and 400. The rule as a
# function, applied to some of the paper's tasks and to this notebook's
# downstream task:

# %%
# NBVAL_CHECK_OUTPUT
def bit_hyperrule(num_examples, image_size):
    """The BiT-HyperRule (Section 3.3) for a task of `num_examples`
    training images of `image_size` (height, width)."""
    if num_examples < 20_000:
        regime, steps = "small", 500
    elif num_examples < 500_000:
        regime, steps = "medium", 10_000
    else:
        regime, steps = "large", 20_000
    small_images = image_size[0] * image_size[1] < 96 * 96
    return {
        "regime": regime, "steps": steps, "batch": 512, "lr": 0.003, "momentum": 0.9,
        "decay_at": [round(steps * f) for f in (0.3, 0.6, 0.9)],
        "resize": 160 if small_images else 448, "crop": 128 if small_images else 384,
        "mixup": 0.0 if regime == "small" else 0.1,
        "epochs": steps * 512 / num_examples,
    }

tasks = [  # name, training images, image size
    ("CIFAR-10", 50_000, (32, 32)), ("CIFAR-10, 10 per class", 100, (32, 32)),
    ("a VTAB-1k task", 1_000, (224, 224)), ("Oxford-IIIT Pet", 3_680, (500, 375)),
    ("ILSVRC-2012", 1_281_167, (400, 350)), ("here: CIFAR-10 classes 5-9, 100 each", 500, (32, 32)),
]
print(f"{'task':<38} {'regime':<7} {'steps':>6} {'decay at':<20} {'resize/crop':<12} {'MixUp':>5} {'epochs':>7}")
for name, n, size in tasks:
    r = bit_hyperrule(n, size)
    print(f"{name:<38} {r['regime']:<7} {r['steps']:>6} {str(r['decay_at']):<20} "
          f"{str(r['resize']) + '/' + str(r['crop']):<12} {r['mixup']:>5} {r['epochs']:>7.1f}")
assert bit_hyperrule(50_000, (32, 32))["steps"] == 10_000
assert bit_hyperrule(500, (32, 32))["mixup"] == 0.0

# %% [markdown]
# The schedule is counted in steps of 512 images, not in epochs: a small
# task is seen hundreds of times (the last column), a large one a few
# times. The paper finds that "setting an appropriate schedule length, i.e.
# training longer for larger datasets, provides sufficient regularization"
# (Section 2.2), which is why there is no weight decay or dropout.
#
# ## 6. Big Transfer in miniature
#
# No BiT weights can be downloaded here, so this section runs the whole
# recipe on a scale a CPU can afford: pre-train upstream, fine-tune
# downstream, and compare with training from scratch, each start with its
# own tuned downstream settings. Upstream and downstream are disjoint classes of one
# data set here, a choice for the miniature; the paper's transfer and
# few-shot results fine-tune on other data sets (ILSVRC-2012, CIFAR,
# Pets, Flowers, VTAB) than the ones it pre-trains on (ImageNet-21k,
# JFT-300M).
#
# * **Upstream**: CIFAR-10 classes 0-4 (airplane, automobile, bird, cat,
#   deer), all their 25,000 training images.
# * **Downstream**: classes 5-9 (dog, frog, horse, ship, truck), relabelled
#   0-4, with only 100 training images per class (500 in all, a "small" task
#   for the HyperRule); tested on all test images of those classes.
# * **Model**: BiT-R14x0.5, one unit per stage (`block_units=(1, 1, 1, 1)`,
#   14 weight layers) at half width: the same root, units, GN, WS and head
#   as `bit_r50x1`, with less than a twelfth of its parameters (printed
#   below), so that the runs fit in about half an hour on a 2-core CPU.
#
# | | paper | here (CPU) |
# |---|---|---|
# | upstream | ResNet-152x4 (and smaller), 1.3M to 300M images, 90 epochs | R14x0.5, 25,000 images of classes 0-4, 5 epochs |
# | upstream optimiser | SGD, momentum 0.9, lr 0.03 x batch/256, weight decay 1e-4, warm-up | SGD, Nesterov momentum 0.9, lr 0.03 x 128/256 = 0.015, weight decay 1e-4 (decoupled), warm-up then cosine |
# | downstream optimiser | SGD, momentum 0.9, lr 0.003 at an effective batch of 512, no weight decay | SGD, Nesterov momentum 0.9, batch 40; learning rate and weight decay tuned for each start (below) |
# | downstream schedule | 500 steps, decays at 30/60/90% | 240 steps (about 500 with an accelerator), warm-up then cosine decay (the shared recipe) |
# | resolution | 160x160, random 128x128 crop | 32x32, 4-pixel-padded random crop, flip |
# | MixUp | none (fewer than 20k examples) | none |
# | head | new, zero-initialised | new, zero-initialised; body copied from upstream |
# | label smoothing | none | none |
#
# **The claim, and a fair baseline.** BiT's claim is that a pre-trained
# network transfers: fine-tuned on a few examples per class, it beats
# training the same network from scratch. A from-scratch network run with
# the fine-tuning settings (a small learning rate, no weight decay, a
# short schedule) would lose for the wrong reason: those settings are made
# for adapting a trained network. So each start gets its own learning rate
# and weight decay, chosen from the same grid by accuracy on a
# **validation set**, another 100 training images per downstream class
# that neither run trains on; the test images play no part in the choice.
# Both starts then have the same architecture, data, batch, schedule and
# grid: only the initial weights differ.
#
# **The downstream batch is not the paper's.** The authors keep the
# learning rate at 0.003 for an effective batch of 512, accumulating
# gradients over several smaller batches when 512 images do not fit on a
# device. Here each step is one batch of 40, so the run sees 40 x 240 =
# 9,600 images where the rule's 500 steps see 256,000; the grid includes
# the HyperRule's 0.003.
#
# With a GPU or TPU the same cells pre-train for 30 epochs and fine-tune
# for about 500 steps of 40.
# Recipe, strategy, precision, run sizes, resuming and Colab: [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train) in
# the README.

# %%
import time

from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows
from convnets_tf.notebook import plan_run
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, predict_main, train_cifar

plan = plan_run(   # sizes of the upstream run; the downstream epochs follow below
    cpu=dict(train_images=None, test_images=None, epochs=5, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
(x_train, y_train), (x_test, y_test) = load_cifar("cifar10")
strategy = get_strategy()   # once: on a TPU it initialises the TPU system

SMALL = {"block_units": (1, 1, 1, 1), "width": 0.5}   # BiT-R14x0.5
PER_CLASS = 100              # downstream training (and validation) images per class

up_train, up_test = y_train < 5, y_test < 5
n_train, n_test = plan.train_images, plan.test_images   # None: all
upstream_data = ((x_train[up_train][:n_train], y_train[up_train][:n_train]),
                 (x_test[up_test][:n_test], y_test[up_test][:n_test]))
rng = np.random.default_rng(0)
shuffled = [rng.permutation(np.flatnonzero(y_train == c)) for c in range(5, 10)]
chosen = np.concatenate([order[:PER_CLASS] for order in shuffled])
held_out = np.concatenate([order[PER_CLASS:2 * PER_CLASS] for order in shuffled])
down_test = y_test >= 5
downstream_data = ((x_train[chosen], y_train[chosen] - 5),
                   (x_test[down_test][:n_test], y_test[down_test][:n_test] - 5))
x_val, y_val = x_train[held_out], y_train[held_out] - 5

UP_BATCH, DOWN_BATCH = plan.batch_size, 40   # multiples of 8, for TPUs
UP_EPOCHS, RUNS = plan.epochs, plan.runs_dir
# 42 epochs of 12 steps with an accelerator: about the HyperRule's 500 steps
DOWN_EPOCHS = {"smoke": 1, "cpu": 20, "accelerator": 42}[plan.mode]
GRID = [(lr, wd) for lr in (0.003, 0.01, 0.03, 0.1) for wd in (0.0, 5e-4)]
if plan.mode == "smoke":   # CI: one point of the grid; the others are the same call
    GRID = GRID[:1]
print(plan)
print(f"Run (upstream):   {describe_run(upstream_data, UP_EPOCHS, UP_BATCH, strategy=strategy)}")
print(f"Run (downstream): {describe_run(downstream_data, DOWN_EPOCHS, DOWN_BATCH, strategy=strategy)}")
print(f"validation: {len(y_val)} other training images of classes 5-9")
print(f"BiT-R14x0.5: {bit_parameters(SMALL['block_units'], SMALL['width'], 5):,} parameters "
      f"with a 5-class head; bit_r50x1: {count_params(r50x1).trainable:,}")

# %% [markdown]
# **Upstream.** The paper's upstream optimiser with its learning-rate rule
# at batch 128, and its weight decay; no label smoothing, which BiT does not
# use.

# %%
start = time.time()
upstream = train_cifar(
    lambda: bit.bit(input_shape=(32, 32, 3), num_classes=5, name="bit_upstream", **SMALL),
    upstream_data, epochs=UP_EPOCHS, batch_size=UP_BATCH, out_dir=f"{RUNS}/bit_upstream",
    strategy=strategy, verbose=2,
    learning_rate=0.03 * UP_BATCH / 256, weight_decay=1e-4, label_smoothing=0.0,
)
record_run(plan, f"{RUNS}/bit_upstream", notebook="11-bit", label="upstream (classes 0-4)")
print(f"upstream trained in {time.time() - start:.0f} s")


# %% [markdown]
# **Downstream.** The fine-tuned model is a new network with a 5-class
# head; every layer but the head takes the upstream weights, and the head
# starts at zero as in the authors' code. Each start trains once per point
# of the grid; its validation accuracy picks the point.

# %%
def fine_tuned():
    model = bit.bit(input_shape=(32, 32, 3), num_classes=5, name="bit_finetuned", **SMALL)
    for layer in model.layers:
        if layer.weights and layer.name != "head":
            layer.set_weights(upstream.get_layer(layer.name).get_weights())
    return model

def from_scratch():
    return bit.bit(input_shape=(32, 32, 3), num_classes=5, name="bit_scratch", **SMALL)

STARTS = {"fine-tuned": fine_tuned, "from scratch": from_scratch}
validation = {}   # (start, lr, wd) -> validation accuracy
for start_name, build_model in STARTS.items():
    for lr, wd in GRID:
        begin = time.time()
        keras.utils.set_random_seed(0)
        model = train_cifar(
            build_model, downstream_data, epochs=DOWN_EPOCHS, batch_size=DOWN_BATCH,
            out_dir=f"{RUNS}/bit_{start_name.replace(' ', '_')}_lr{lr}_wd{wd}",
            strategy=strategy, verbose=0, learning_rate=lr, weight_decay=wd,
            label_smoothing=0.0,
        )
        accuracy = np.mean(predict_main(model, x_val).argmax(1) == y_val)
        validation[start_name, lr, wd] = accuracy
        print(f"{start_name:<12} lr {lr:<6} weight decay {wd:<7} validation accuracy "
              f"{accuracy:.3f} ({time.time() - begin:.0f} s)")
steps = DOWN_EPOCHS * (len(downstream_data[0][0]) // DOWN_BATCH)
print(f"downstream: {steps} steps of {DOWN_BATCH} images each (the HyperRule: 500 of 512)")

# %% [markdown]
# Each start's chosen run, its test accuracy (the test images of classes
# 5-9, not seen in the choice), and the curves of the two chosen runs and
# of the upstream run:

# %%
best = {}
for start_name in STARTS:
    lr, wd = max(GRID, key=lambda point: validation[(start_name, *point)])
    out = f"{RUNS}/bit_{start_name.replace(' ', '_')}_lr{lr}_wd{wd}"
    record_run(plan, out, notebook="11-bit", label=f"{start_name}, lr {lr}, wd {wd}")
    best[start_name] = read_rows(f"{out}/history.csv")
    print(f"{start_name:<12} chosen: lr {lr}, weight decay {wd}")

fig, (ax_up, ax_down) = plt.subplots(1, 2, figsize=(11, 4))
rows = read_rows(f"{RUNS}/bit_upstream/history.csv")
epochs = [r["epoch"] + 1 for r in rows]
ax_up.plot(epochs, [r["accuracy"] for r in rows], label="train")
ax_up.plot(epochs, [r["val_accuracy"] for r in rows], label="test")
ax_up.set(title="upstream: classes 0-4", xlabel="epoch", ylabel="accuracy")
ax_up.legend()
for (start_name, rows), color in zip(best.items(), ("C2", "C3")):
    epochs = [r["epoch"] + 1 for r in rows]
    ax_down.plot(epochs, [r["accuracy"] for r in rows], color=color, linestyle="--",
                 label=f"{start_name} train")
    ax_down.plot(epochs, [r["val_accuracy"] for r in rows], color=color,
                 label=f"{start_name} test")
ax_down.set(title=f"downstream: classes 5-9, {PER_CLASS} images each",
            xlabel="epoch", ylabel="accuracy")
ax_down.legend()
plt.show()

up = read_rows(f"{RUNS}/bit_upstream/history.csv")[-1]
print(f"upstream:    final test accuracy {up['val_accuracy']:.3f}, train {up['accuracy']:.3f}")
n_test = len(downstream_data[1][0])
for start_name, rows in best.items():
    p = rows[-1]["val_accuracy"]
    print(f"{start_name + ':':<13} final test accuracy {p:.3f} (standard error "
          f"{np.sqrt(p * (1 - p) / n_test):.3f} on {n_test:,} images), "
          f"train {rows[-1]['accuracy']:.3f}")
print(f"Run (upstream):   {describe_run(upstream_data, UP_EPOCHS, UP_BATCH)}")
print(f"Run (downstream): {describe_run(downstream_data, DOWN_EPOCHS, DOWN_BATCH)}")

# %% [markdown]
# ## 7. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# they come from a 2-core CPU, float32, and `cifar10_train50k.npz` (all
# 50,000 CIFAR-10 training images, decoded from a JPEG export, and 2,000
# test images): upstream, the 25,000 training and 1,000 test images of
# classes 0-4 for 5 epochs at batch 128; downstream, 100 training images
# per class of classes 5-9, 100 more per class for validation, and their
# 1,000 test images, 20 epochs at batch 40 (240 steps) per point of the
# grid, as the `Run:` lines say.
#
# * **Upstream**, the small BiT reached 0.640 test accuracy on five
#   classes (chance is 0.2) after 5 epochs: a weak pre-trained
#   representation, from 25,000 images instead of millions.
# * **The grid.** Both starts chose a learning rate of 0.01 with weight
#   decay 5e-4 on the validation images (the fine-tuned start tied with
#   0.03 without weight decay at 0.638; ties go to the first point of the
#   grid). 0.1 failed for both (validation accuracy 0.24-0.33); the
#   HyperRule's 0.003 was the worst of the rest for both, at this batch
#   of 40 and 240 steps.
# * **Downstream**, each with its chosen settings, the fine-tuned model
#   ends at **0.635** test accuracy and the model trained from scratch at
#   **0.563**: 7.2 points apart, about three times the standard error of
#   the difference (0.022 on 1,000 test images). On the validation
#   images fine-tuning is ahead at every point of the grid below a
#   learning rate of 0.1, by 0.05 to 0.13.
# * **What this does not show.** Both starts share one schedule, 240
#   steps; a from-scratch model might gain more than the fine-tuned one
#   from a longer schedule, which was not tried. It is one run of each
#   with one seed, and upstream and downstream are disjoint classes of the
#   same data set, unlike the paper, which transfers to other data sets
#   than the one it pre-trains on. The paper's gains come from
#   pre-training models up to ResNet-152x4 on up to 300 million images.
#
# **Larger runs were not made here.** Open this notebook in Colab with a GPU
# or TPU runtime and run all cells: it downloads CIFAR-10, pre-trains on the
# 25,000 images of classes 0-4 for 30 epochs and fine-tunes for about the
# HyperRule's 500 steps (of batch 40, not 512). The registered full-size models
# (`convnets_tf.build("bit_r50x1", input_shape=(128, 128, 3), num_classes=10)`)
# train at the HyperRule's CIFAR resolution: `train_cifar` resizes CIFAR to
# the model's input size.
#
# ## 8. Takeaways
#
# * BiT's architecture is ResNet v2 with two substitutions: GroupNorm for
#   BatchNorm and weight-standardised convolutions. Both make the network a
#   fixed function of its weights, with no batch statistics in training and
#   no running statistics at test time, which is what transfer to small
#   tasks with small batches needs.
# * GN alone loses to BN at large batch sizes; with WS it matches BN upstream
#   and transfers better (Tables 4 and 5).
# * The width multiplier grows parameters roughly with its square: R50x3 has
#   8.5 times R50x1's parameters, and R152x4 (928 million without its head)
#   was BiT-L's model.
# * The BiT-HyperRule replaces per-task hyperparameter search with three
#   decisions from two numbers, the number of examples and the image size;
#   everything else is fixed.
# * Pre-training only pays off when data and model grow together (Figure
#   5); the miniature here shows the mechanics of the recipe, not its scale.
#
# ## References
#
# * A. Kolesnikov, L. Beyer, X. Zhai, J. Puigcerver, J. Yung, S. Gelly, N.
#   Houlsby. Big Transfer (BiT): General visual representation learning.
#   ECCV 2020. [arXiv:1912.11370](https://arxiv.org/abs/1912.11370); code:
#   [github.com/google-research/big_transfer](https://github.com/google-research/big_transfer).
# * K. He, X. Zhang, S. Ren, J. Sun. Identity mappings in deep residual
#   networks. ECCV 2016. [arXiv:1603.05027](https://arxiv.org/abs/1603.05027)
# * Y. Wu, K. He. Group normalization. ECCV 2018.
#   [arXiv:1803.08494](https://arxiv.org/abs/1803.08494)
# * S. Qiao, H. Wang, C. Liu, W. Shen, A. Yuille. Weight standardization.
#   arXiv:1903.10520, 2019.
# * H. Zhang, M. Cisse, Y. N. Dauphin, D. Lopez-Paz. mixup: Beyond empirical
#   risk minimization. ICLR 2018.
# * timm's model cards for `resnetv2_50x1_bit.goog_in21k_ft_in1k`,
#   `resnetv2_50x1_bit.goog_in21k` and `resnetv2_50x3_bit.goog_in21k_ft_in1k`
#   (parameter counts), [huggingface.co/timm](https://huggingface.co/timm).
# * Previous in the series: [10-resnext.ipynb](10-resnext.ipynb).
# * Next: [12-xception.ipynb](12-xception.ipynb), depthwise separable convolutions.
