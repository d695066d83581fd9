# %% [markdown]
# # GoogLeNet: going deeper with convolutions
#
# **Paper:** C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed,
# D. Anguelov, D. Erhan, V. Vanhoucke and A. Rabinovich, "Going deeper
# with convolutions", *IEEE Conference on Computer Vision and Pattern
# Recognition* (CVPR), 2015.
# [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)
#
# GoogLeNet won the ILSVRC 2014 classification challenge with a top-5
# error of 6.67%. It is 22 layers deep, yet it has 8.7 times fewer
# parameters than AlexNet (6,998,552 against 60,965,224, both counted
# in these notebooks) and was designed to a budget of 1.5 billion
# multiply-adds per image. Its building block, the **inception module**,
# runs 1x1, 3x3 and 5x5 convolutions and a pooling side by side on the
# same input and concatenates their outputs; 1x1 convolutions shrink the
# depth in front of the expensive ones, which is what makes the width
# and depth affordable. Two auxiliary classifiers on intermediate
# modules add gradient to the middle of the network during training.
# This notebook rebuilds the network of the paper's Table 1, checks it
# against the table, and tests the module on CIFAR-10 with a miniature:
# inception modules against a plain stack of convolutions of the same
# cost.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/05-googlenet.ipynb)

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
from convnets_tf.models import googlenet

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. The problem and the idea
#
# **Bigger networks, and their two costs (section 3).** The most direct
# way to make a network better is to make it bigger: deeper and wider.
# The paper names the two drawbacks. A bigger network has more
# parameters and overfits more easily, and labelled data is expensive.
# And it needs much more computation: when two convolutional layers are
# chained, a uniform increase in their number of filters increases the
# computation quadratically, and if much of the added capacity ends up
# unused (weights close to zero) the computation is wasted.
#
# **Sparse structure, and the Hebbian principle.** The paper's
# fundamental answer is sparsity: sparsely connected layers instead of
# fully connected ones, even inside convolutions. Its theoretical
# anchor is Arora et al. (2014): if the probability distribution of the
# data can be represented by a large, very sparse deep network, then the
# optimal network can be built layer by layer, by analysing the
# correlation statistics of the last layer's activations and clustering
# the units whose outputs are highly correlated. The paper notes that
# this resonates with the Hebbian principle, *neurons that fire
# together, wire together*. But hardware and libraries of the time were
# very inefficient on non-uniform sparse computations: dense matrix
# multiplications were so well optimised that sparse ones did not pay.
#
# **The inception module (section 4): a sparse structure made of dense
# parts.** The architecture asks how the optimal *local* sparse
# structure of a convolutional network can be approximated by readily
# available dense components, then repeated spatially. In the lower
# layers, correlated units concentrate in local regions: many clusters
# sit at a single position and are covered by 1x1 convolutions in the
# next layer; fewer, more spread-out clusters are covered by 3x3 and 5x5
# convolutions. So a module runs 1x1, 3x3 and 5x5 convolutions side by
# side and concatenates their outputs; since pooling had been essential
# in the networks of the time, a parallel max-pooling path is added too
# (the sizes 1, 3 and 5 are "based more on convenience rather than
# necessity"). Higher layers capture more abstract features with less
# spatial concentration, so the share of 3x3 and 5x5 convolutions grows
# towards the top.
#
# **1x1 convolutions as dimension reduction.** Naively, even a modest
# number of 5x5 convolutions on top of a layer with many filters is
# prohibitively expensive, and the pooling path, which keeps all its
# input channels, makes the output deeper from module to module. The
# fix is to apply 1x1 convolutions in front of the 3x3 and 5x5
# convolutions (and after the pooling, the "pool proj") wherever the
# computation would otherwise blow up. They are "dual-purpose": they
# reduce the depth, and, being followed by a ReLU, they add
# non-linearity. The rest of the design follows: inception modules only
# from the third stage on, a stem of ordinary convolutions below them
# (for memory efficiency during training), average pooling instead of
# fully connected layers at the top (after Network in Network,
# notebook 03; 0.6% better top-1 in the paper), dropout kept.
#
# A 1x1 convolution is a fully connected layer applied to the channel
# vector of every pixel, with the same weights everywhere:

# %%
# NBVAL_CHECK_OUTPUT
conv1x1 = keras.layers.Conv2D(16, 1)
x = tf.random.stateless_normal((2, 28, 28, 192), seed=(0, 0))
y = conv1x1(x)
kernel, bias = conv1x1.get_weights()
per_pixel = tf.einsum("bhwc,cd->bhwd", x, kernel[0, 0]) + bias
print("kernel", kernel.shape, "->", "a 192 x 16 matrix applied at each of 28 x 28 pixels")
error = float(tf.reduce_max(tf.abs(y - per_pixel)))
print("1x1 conv == per-pixel matrix product:", error < 1e-4)
assert error < 1e-4


# %% [markdown]
# **What the reductions save.** Inception (3a) reads a 28x28x192 map.
# Figure 2(a) of the paper is the naive module: the 1x1, 3x3 and 5x5
# convolutions read all 192 channels and the pooling passes them all
# through. Figure 2(b), the one used, puts 96 and 16 1x1 filters in
# front of the 3x3 and 5x5 convolutions and 32 after the pooling (Table
# 1's "#3x3 reduce", "#5x5 reduce" and "pool proj"). Weights (without
# biases) and multiply-adds of both, for Table 1's filter numbers:

# %%
# NBVAL_CHECK_OUTPUT
def module_cost(depth, filters, grid, reductions=True):
    """Weights, multiply-adds and output depth of an inception module."""
    n1, n3_reduce, n3, n5_reduce, n5, pool_proj = filters
    if reductions:   # Figure 2(b)
        weights = (depth * (n1 + n3_reduce + n5_reduce + pool_proj)
                   + 9 * n3_reduce * n3 + 25 * n5_reduce * n5)
        out = n1 + n3 + n5 + pool_proj
    else:            # Figure 2(a): the pooled input goes straight through
        weights = depth * (n1 + 9 * n3 + 25 * n5)
        out = n1 + n3 + n5 + depth
    return weights, weights * grid * grid, out

filters_3a = googlenet.INCEPTION_MODULES["3a"]
naive = module_cost(192, filters_3a, 28, reductions=False)
reduced = module_cost(192, filters_3a, 28)
for label, (weights, macs, out) in (("naive (Fig. 2a)", naive), ("with 1x1 reductions", reduced)):
    print(f"inception (3a), {label:<20} {weights:>9,} weights {macs / 1e6:6.1f}M mult-adds  output depth {out}")
print(f"the reductions cut the cost by {naive[1] / reduced[1]:.1f}x")
assert reduced[0] == 163_328 and naive[0] == 387_072

# %% [markdown]
# One module, a factor of 2.4. The real problem is what the naive module
# does to the next one: its output (416 channels) is deeper than its
# input (192), because the pooling path passes every input channel
# through, and the next module's 5x5 convolutions read all of them.
# Stacking the nine modules of Table 1 in their naive form, with the
# same filter numbers and the same poolings between stages:

# %%
# NBVAL_CHECK_OUTPUT
GRID = {"3": 28, "4": 14, "5": 7}   # stage -> grid at 224x224 (Table 1)
totals = {"naive": [192, 0], "reduced": [192, 0]}   # [depth, mult-adds]
print(f"{'module':<7} {'naive: in -> out':>18} {'mult-adds':>10}   {'reduced: in -> out':>19} {'mult-adds':>10}")
for module, filters in googlenet.INCEPTION_MODULES.items():
    row = f"{module:<7}"
    for key, reductions in (("naive", False), ("reduced", True)):
        depth = totals[key][0]
        _, macs, out = module_cost(depth, filters, GRID[module[0]], reductions)
        totals[key] = [out, totals[key][1] + macs]
        row += f" {depth:>8} -> {out:<6} {macs / 1e6:>9.0f}M  "
    print(row)
for key, (depth, macs) in totals.items():
    print(f"{key:<8} nine modules: {macs / 1e9:.2f} billion mult-adds, final depth {depth}")
assert totals["reduced"][0] == 1024 and totals["naive"][0] == 4944


# %% [markdown]
# Without the reductions the final depth would be 4,944 instead of
# 1,024 and the nine modules alone would cost 12 billion multiply-adds,
# eight times the whole network's budget of 1.5 billion. The reductions are
# what lets the network be both deep and wide.
#
# ## 2. The architecture
#
# Table 1 of the paper, with its parameter and operation counts ("K"
# and "M" as printed there; section 4 below checks them). All
# convolutions use ReLU; "(S)" in the paper's Figure 3 marks 'same'
# padding, which every layer here uses; "reduce" columns are the 1x1
# convolutions in front of the 3x3 and 5x5 ones.
#
# | type | patch size / stride | output size | depth | #1x1 | #3x3 reduce | #3x3 | #5x5 reduce | #5x5 | pool proj | params | ops |
# |---|---|---|---|---|---|---|---|---|---|---|---|
# | convolution | 7x7/2 | 112x112x64 | 1 | | | | | | | 2.7K | 34M |
# | max pool | 3x3/2 | 56x56x64 | 0 | | | | | | | | |
# | convolution | 3x3/1 | 56x56x192 | 2 | | 64 | 192 | | | | 112K | 360M |
# | max pool | 3x3/2 | 28x28x192 | 0 | | | | | | | | |
# | inception (3a) | | 28x28x256 | 2 | 64 | 96 | 128 | 16 | 32 | 32 | 159K | 128M |
# | inception (3b) | | 28x28x480 | 2 | 128 | 128 | 192 | 32 | 96 | 64 | 380K | 304M |
# | max pool | 3x3/2 | 14x14x480 | 0 | | | | | | | | |
# | inception (4a) | | 14x14x512 | 2 | 192 | 96 | 208 | 16 | 48 | 64 | 364K | 73M |
# | inception (4b) | | 14x14x512 | 2 | 160 | 112 | 224 | 24 | 64 | 64 | 437K | 88M |
# | inception (4c) | | 14x14x512 | 2 | 128 | 128 | 256 | 24 | 64 | 64 | 463K | 100M |
# | inception (4d) | | 14x14x528 | 2 | 112 | 144 | 288 | 32 | 64 | 64 | 580K | 119M |
# | inception (4e) | | 14x14x832 | 2 | 256 | 160 | 320 | 32 | 128 | 128 | 840K | 170M |
# | max pool | 3x3/2 | 7x7x832 | 0 | | | | | | | | |
# | inception (5a) | | 7x7x832 | 2 | 256 | 160 | 320 | 32 | 128 | 128 | 1072K | 54M |
# | inception (5b) | | 7x7x1024 | 2 | 384 | 192 | 384 | 48 | 128 | 128 | 1388K | 71M |
# | avg pool | 7x7/1 | 1x1x1024 | 0 | | | | | | | | |
# | dropout (40%) | | 1x1x1024 | 0 | | | | | | | | |
# | linear | | 1x1x1000 | 1 | | | | | | | 1000K | 1M |
# | softmax | | 1x1x1000 | 0 | | | | | | | | |
#
# Figure 3 of the paper adds what the table leaves out: local response
# normalisation after the first max pooling and after the second
# convolution, and the two auxiliary classifiers on (4a) and (4d). The
# paper gives no LRN parameters; the builder uses those of the BVLC
# Caffe reproduction of GoogLeNet (5 channels, alpha 1e-4 divided by
# 5, beta 0.75, k = 1).
#
# A random image through each stage of the real model, with the shapes
# checked against the table:

# %%
from convnets_tf.analysis import count_macs, count_params, trace_shapes

imagenet = build("googlenet", aux_logits=True)   # 224x224x3, 1000 classes
trace_shapes(imagenet, {
    "conv1": (1, 112, 112, 64), "pool1": (1, 56, 56, 64), "lrn1": (1, 56, 56, 64),
    "conv2_reduce": (1, 56, 56, 64), "conv2": (1, 56, 56, 192), "pool2": (1, 28, 28, 192),
    "inception_3a": (1, 28, 28, 256), "inception_3b": (1, 28, 28, 480), "pool3": (1, 14, 14, 480),
    "inception_4a": (1, 14, 14, 512), "inception_4b": (1, 14, 14, 512),
    "inception_4c": (1, 14, 14, 512), "inception_4d": (1, 14, 14, 528),
    "inception_4e": (1, 14, 14, 832), "pool4": (1, 7, 7, 832),
    "inception_5a": (1, 7, 7, 832), "inception_5b": (1, 7, 7, 1024),
    "avg_pool": (1, 1024), "predictions": (1, 1000),
    "aux1_pool": (1, 4, 4, 512), "aux1_conv": (1, 4, 4, 128), "aux1_fc": (1, 1024),
    "aux2_pool": (1, 4, 4, 528), "aux1_predictions": (1, 1000), "aux2_predictions": (1, 1000),
})


# %% [markdown]
# The auxiliary pools give the 4x4x512 and 4x4x528 maps the paper's
# section 5 states.
#
# ### The smallest input, and CIFAR-10
#
# Every layer of the main path pads ('same'), and the paper's 7x7
# average pooling is global average pooling here, so the main path
# accepts any size; each stride-2 layer rounds up. The builder sets
# its minimum to 32x32, where the five halvings leave exactly one
# position for stage 5: the convention keras.applications uses for
# its other networks that downsample by 32 (ResNet, VGG, DenseNet).
# The auxiliary classifiers need more: their 5x5 pooling (stride 3,
# no padding) needs a 5x5 map at (4a) and (4d), after four halvings.

# %%
# NBVAL_CHECK_OUTPUT
def grids(n):
    """Side of the map after conv1 and each max pooling ('same': rounded up)."""
    sizes = [n]
    for _ in range(5):
        sizes.append(-(-sizes[-1] // 2))
    return dict(zip(["input", "conv1", "pool1", "pool2", "pool3 (stage 4)", "pool4 (stage 5)"], sizes))

for n in (224, 75, 65, 64, 32):
    print(f"{n:>3}x{n:<3}", grids(n))
minimum_aux = next(n for n in range(1, 300) if grids(n)["pool3 (stage 4)"] >= 5)
print("smallest input for the auxiliary classifiers:", minimum_aux)
assert minimum_aux == googlenet.MIN_SIZE_AUX == 65
for kwargs in ({"input_shape": (31, 31, 3)}, {"input_shape": (64, 64, 3), "aux_logits": True}):
    try:
        build("googlenet", **kwargs)
    except ValueError as err:
        print(f"build('googlenet', {kwargs}) -> {err}")


# %% [markdown]
# CIFAR-10 images are 32x32. The main path takes them, with stage 5 at
# 1x1, but the auxiliary classifiers cannot, and Inception v3 (notebook
# 06) needs at least 75x75. There are two ways out. A CIFAR stem (a
# 3x3 stride-1 first layer, no early pooling) would keep the 32x32
# resolution but change the paper's network. Resizing the images in
# the input pipeline (build the model at `input_shape=(N, N, 3)`;
# `train_cifar` resizes CIFAR to the model's input size) keeps the
# network and costs compute, since every layer's work grows with the
# number of pixels. **75x75** is Inception v3's minimum (notebook 06
# trains at it) and above the 65x65 that GoogLeNet's auxiliary
# classifiers need, so it is the cheapest size both networks take as
# published; sections 2 and 5 use it here. What it costs, counted from
# the model's layers (multiply-adds of every convolution and dense
# layer, main path):

# %%
# NBVAL_CHECK_OUTPUT
costs = {n: count_macs(build("googlenet", input_shape=(n, n, 3), num_classes=10)) for n in (224, 75, 32)}
for n, macs in costs.items():
    print(f"{n:>3}x{n:<3} {macs / 1e6:7.0f}M mult-adds per image ({macs / costs[32]:.1f}x the 32x32 cost)")

# %% [markdown]
# At 224x224 this count is close to the paper's budget of 1.5 billion
# multiply-adds (section 4 below sums the table's "ops" column). At
# 75x75 the network costs about six times what it would on the raw
# 32x32 images, and the stage-4 grid is 5x5, so the auxiliary pools
# reduce it to a single 1x1x512 position (4x4 at 224x224):

# %%
IMAGE_SIZE = 75
trace_shapes(build("googlenet", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), num_classes=10, aux_logits=True), {
    "conv1": (1, 38, 38, 64), "pool1": (1, 19, 19, 64), "pool2": (1, 10, 10, 192),
    "inception_3b": (1, 10, 10, 480), "pool3": (1, 5, 5, 480), "inception_4a": (1, 5, 5, 512),
    "aux1_pool": (1, 1, 1, 512), "aux1_conv": (1, 1, 1, 128), "inception_4e": (1, 5, 5, 832),
    "pool4": (1, 3, 3, 832), "inception_5b": (1, 3, 3, 1024), "predictions": (1, 10),
})

# %% [markdown]
# ## 3. The implementation
#
# The builder is in `convnets_tf/models/googlenet.py`. **Every
# convolution is a convolution with a bias and a ReLU** (no batch
# normalisation: that came with Inception v2, a year later), padded
# 'same': `conv_relu`, the unit GoogLeNet shares with AlexNet, NIN and
# VGG in `convnets_tf/layers.py`. Max poolings are 3x3, padded 'same'
# too. The stem, the layers below the modules, is a function of its
# own, which the CIFAR miniature of section 6 reuses:

# %%
print(inspect.getsource(googlenet.conv_relu))
print(inspect.getsource(googlenet.max_pool))
print(inspect.getsource(googlenet.stem))

# %% [markdown]
# **The inception module** is Figure 2(b): four branches on the same
# input, concatenated along the channels. The channel numbers are the
# rows of Table 1, kept in `INCEPTION_MODULES`:

# %%
print(inspect.getsource(googlenet.inception_module))
for module, filters in googlenet.INCEPTION_MODULES.items():
    print(module, filters)

# %% [markdown]
# **The auxiliary classifier** is section 5 line by line. Its fully
# connected layer reads the flattened 4x4x128 map, so its size depends
# on the input size (2,048 inputs at 224x224, 128 at 75x75):

# %%
print(inspect.getsource(googlenet.auxiliary_classifier))

# %% [markdown]
# **The builder.** The stem of Figure 3 (7x7 convolution, pooling, LRN,
# 1x1 and 3x3 convolutions, LRN, pooling), the nine modules with a
# pooling between stages, global average pooling, dropout 0.4 and the
# linear layer with softmax. With `aux_logits=True` the model has three
# outputs, main first, each a named layer, so a loss weight can be
# attached to each by name. The weights use Keras' default
# initialisers; the paper does not give its own.

# %%
print(inspect.getsource(googlenet.googlenet))

# %% [markdown]
# ## 4. Verification
#
# Table 1's "params" column, row by row, against the model. The table
# counts weights without biases, in units of K = 1024 (the linear layer,
# 1024 x 1000 = 1,024,000 weights, is exactly "1000K"); the
# convolution row "3x3/1" includes its 1x1 reduction (64 x 64 + 3 x 3 x
# 64 x 192 = 114,688 = 112K). Its "ops" column is weights times output
# positions, in millions.

# %%
# NBVAL_CHECK_OUTPUT
TABLE_1 = {   # row: (layer-name prefix, params in K, ops in M), as printed in the paper
    "conv 7x7/2": ("conv1", 2.7, 34), "conv 3x3/1": ("conv2", 112, 360),
    "3a": ("inception_3a", 159, 128), "3b": ("inception_3b", 380, 304),
    "4a": ("inception_4a", 364, 73), "4b": ("inception_4b", 437, 88),
    "4c": ("inception_4c", 463, 100), "4d": ("inception_4d", 580, 119),
    "4e": ("inception_4e", 840, 170), "5a": ("inception_5a", 1072, 54),
    "5b": ("inception_5b", 1388, 71), "linear": ("predictions", 1000, 1),
}
model = build("googlenet")   # no auxiliary classifiers, 224x224, 1000 classes

def row_weights(prefix):
    layers = [l for l in model.layers if l.name.startswith(prefix) and hasattr(l, "kernel")]
    weights = sum(int(np.prod(l.kernel.shape)) for l in layers)
    ops = sum(int(np.prod(l.kernel.shape)) * (np.prod(l.output.shape[1:3]) if l.output.ndim == 4 else 1)
              for l in layers)
    return weights, ops

print(f"{'row':<11} {'paper':>7} {'ours':>8} {'ours':>10}   {'paper':>6} {'ours':>6}")
print(f"{'':<11} {'K':>7} {'K':>8} {'weights':>10}   {'ops M':>6} {'ops M':>6}")
ours_total = 0
for row, (prefix, paper_k, paper_ops) in TABLE_1.items():
    weights, ops = row_weights(prefix)
    ours_total += weights
    print(f"{row:<11} {paper_k:>7} {weights / 1024:>8.1f} {weights:>10,}   {paper_ops:>6} {ops / 1e6:>6.0f}")
paper_total = sum(k for _, k, _ in TABLE_1.values())
print(f"{'total':<11} {paper_total:>7.1f} {ours_total / 1024:>8.1f} {ours_total:>10,}")
print(f"ops: paper {sum(o for *_, o in TABLE_1.values())}M, ours {count_macs(model) / 1e6:.0f}M")
assert round(paper_total, 1) == 6797.7 and ours_total == 6_990_272


# %% [markdown]
# **Reading the comparison.** The table's column sums to 6,797.7K, the
# "about 6.8 million" usually quoted for GoogLeNet. The model's weights,
# built from the table's channel columns, come to 6,990,272 = 6,826.4K:
# 0.4% more. Row by row:
#
# * conv2, 3a, 3b, 4b and the linear layer agree to within the table's
#   rounding (1K).
# * conv1's 2.7K cannot be right for 64 filters of 7x7x3 (9,408 weights =
#   9.2K); its 34M ops are 2.7K x 112 x 112, so the row is consistent
#   with itself but not with the layer it describes.
# * 4a, 4c, 4d, 4e and 5b are listed 3K to 35K below what their channel
#   columns give, while their "ops" entries match the channel columns
#   (4c: 463K, but 100M ops = 498K x 14 x 14). The params entries look
#   like leftovers from an earlier configuration.
# * 5a is listed 54K above, with ops (54M) to match; its channel
#   columns, which the builder follows, give 1,018K and 51M. They are
#   also the ones that chain: 5a's 256 + 320 + 128 + 128 = 832 outputs
#   are what the table's output size column says.
#
# The ops column sums to 1,502M (the paper's 1.5 billion); the model's
# count is higher mostly by conv1's share: the table's 34M for conv1 is
# under a third of what 64 7x7x3 filters on 112x112 outputs cost.
#
# **Biases and the total.** The table leaves out biases: 8,280 of them
# (one per filter of the 57 convolutions, 1,000 in the linear layer).
# Weights and biases together are the model's trainable count. The
# auxiliary classifiers add about 3.2 million parameters each at
# 224x224, most of them in their 2,048 x 1,024 fully connected layer,
# nearly doubling the training-time model; torchvision's GoogLeNet
# (with batch normalisation, which the paper's model does not have) is
# listed for comparison, and its auxiliary classifiers differ from ours
# only in using batch normalisation's 2 x 128 parameters instead of the
# 128 biases of their 1x1 convolution.

# %%
# NBVAL_CHECK_OUTPUT
trained = count_params(model).trainable
biases = trained - ours_total
aux = count_params(imagenet).trainable - trained
print(f"weights {ours_total:,} + biases {biases:,} = trainable {trained:,}")
print(f"with the auxiliary classifiers: {count_params(imagenet).trainable:,} (the two heads: {aux:,})")
print(f"torchvision (BN variant): 6,624,904 / 13,004,888, heads {13_004_888 - 6_624_904:,}"
      f" = ours + 2 x 128")
cifar_run = build("googlenet", input_shape=(75, 75, 3), num_classes=10, aux_logits=True)
print(f"at 75x75 with 10 classes and the heads (the CIFAR run below): "
      f"{count_params(cifar_run).trainable:,}")
assert trained == 6_998_552 and biases == 8_280
assert aux + 2 * 128 == 13_004_888 - 6_624_904

# %% [markdown]
# ## 5. The auxiliary classifiers and their 0.3 loss weight
#
# GoogLeNet was deep for its time, and the paper worried whether
# gradients would propagate back through all its layers. Shallower
# networks did well on ImageNet, so the features in the middle of the
# network should already be discriminative. Classifiers attached to
# (4a) and (4d) would "encourage discrimination in the lower stages",
# "increase the gradient signal that gets propagated back, and provide
# additional regularization". During training their losses are added
# to the main loss with a discount weight of 0.3; at inference they
# are discarded.
#
# The worry is visible in the untrained network. With Keras' default
# (Glorot) initialisation and no normalisation layers, the typical size
# of the activations shrinks stage by stage, and the main classifier's
# gradient reaching the lower layers is small. The gradient of each
# loss with respect to conv1's kernel and two module kernels on a batch
# of CIFAR images:

# %%
from convnets_tf.data import load_cifar, make_dataset

(x_train, y_train), (x_test, y_test) = data = load_cifar("cifar10")
images, labels = next(iter(make_dataset(x_train[:32], y_train[:32], 32, training=False,
                                        image_size=IMAGE_SIZE)))
keras.utils.set_random_seed(0)
small = build("googlenet", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), num_classes=10, aux_logits=True)
stages = ["conv1", "inception_3b", "inception_4e", "inception_5b", "avg_pool"]
activations = keras.Model(small.input, [small.get_layer(n).output for n in stages])(images)
stds = [float(tf.math.reduce_std(a)) for a in activations]
print("activation std:", ", ".join(f"{n} {s:.4f}" for n, s in zip(stages, stds)))
assert stds == sorted(stds, reverse=True)

watched = ["conv1", "inception_3b_3x3", "inception_4a_3x3"]
targets = tf.one_hot(labels, 10)
conv1_gradient = {}
for i, output in enumerate(small.output_names):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(targets, small(images)[i]))
    norms = [float(tf.norm(g)) for g in tape.gradient(loss, [small.get_layer(n).kernel for n in watched])]
    conv1_gradient[output] = norms[0]
    print(f"{output:<17} loss {float(loss):.3f}  gradient norm",
          {n: f"{g:.1e}" for n, g in zip(watched, norms)})
assert conv1_gradient["aux1_predictions"] > conv1_gradient["predictions"]

# %% [markdown]
# The main loss starts at about ln 10 = 2.30, the loss of a uniform
# guess: the outputs barely depend on the image yet. The auxiliary
# classifiers' losses reach conv1 through fewer layers; in this
# initialisation the first one sends conv1 a larger gradient than the
# main classifier does. The Inception v3 paper later found that the
# auxiliary classifiers did not speed up early training but acted as
# regularisers (notebook 06); batch normalisation solved the gradient
# problem more directly.
#
# **The weighted loss.** The module exposes the paper's weight as
# `AUX_LOSS_WEIGHT` and the `loss_weights` dictionary for the named
# outputs as `AUX_LOSS_WEIGHTS`; `train_cifar` passes it to Keras, which
# adds each output's loss times its weight (the main output's weight is
# 1). The total on the batch above, checked by hand:

# %%
# NBVAL_CHECK_OUTPUT
print("AUX_LOSS_WEIGHT =", googlenet.AUX_LOSS_WEIGHT)
print("AUX_LOSS_WEIGHTS =", googlenet.AUX_LOSS_WEIGHTS)
names = small.output_names
small.compile(loss={n: "categorical_crossentropy" for n in names},
              loss_weights={n: googlenet.AUX_LOSS_WEIGHTS.get(n, 1.0) for n in names})
total = small.evaluate(images, {n: targets for n in names}, verbose=0)[0]
main, aux1, aux2 = (float(tf.reduce_mean(keras.losses.categorical_crossentropy(targets, p)))
                    for p in small(images))
print("total = main + 0.3 x aux1 + 0.3 x aux2:", np.isclose(total, main + 0.3 * aux1 + 0.3 * aux2, rtol=1e-4))
assert np.isclose(total, main + 0.3 * aux1 + 0.3 * aux2, rtol=1e-4)

# %% [markdown]
# **The auxiliary classifiers are discarded at inference.** The
# deployed network is `googlenet` without them: the same layers, so
# trained weights load by layer name, and its predictions are the
# training model's main output:

# %%
# NBVAL_CHECK_OUTPUT
deployed = build("googlenet", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), num_classes=10)
for layer in deployed.layers[1:]:
    layer.set_weights(small.get_layer(layer.name).get_weights())
same = np.allclose(deployed(images), small(images)[0], atol=1e-5)
print(f"deployed model: {count_params(deployed).trainable:,} parameters, "
      f"training model: {count_params(small).trainable:,}; same predictions: {same}")
assert same
del small, deployed

# %% [markdown]
# ## 6. Inception modules against a plain stack of the same cost
#
# **The claim.** The paper's case for the inception module is the use
# of a fixed computing budget: its knobs let the computation be balanced
# so that the networks come out 2-3 times faster than similarly
# performing networks without inception modules (section 4), and its
# conclusion is a significant quality gain at a modest increase in
# computation over shallower and less wide networks (section 9). Put
# as a controlled experiment: **at the same number of multiply-adds, a
# network of inception modules learns better than a plain stack of
# convolutions.**
#
# **Two networks of the same cost.** On 32x32 images the paper's network
# runs its modules on 4x4, 2x2 and 1x1 grids, and at 75x75 it costs
# 203M multiply-adds per image (section 2). `googlenet_cifar` is a
# miniature for 32x32 images, not a network of the paper: Table 1 at
# half its filter numbers, the
# stem with a 3x3 stride-1 first convolution and without its last
# pooling, so the three stages of modules run on 16x16, 8x8 and 4x4
# grids, and no auxiliary classifiers. Its control,
# `googlenet_cifar(inception=False)`, keeps the stem, the poolings and
# the classifier and replaces each module by one 3x3 convolution, every
# convolution of a stage as wide as gives the stage the multiply-adds
# of its modules: 85, 129 and 206 channels, where the modules output
# 128-240, 256-416 and 416-512. The plain stack pays the full 3x3 price
# for every channel; the modules spend much of theirs on 1x1
# convolutions and reduced 3x3 and 5x5 paths, and come out wider.
# The control has as many layers as the inception network's shortest
# path (one per module). A first control of the modules' depth (a 1x1
# reduction and a 3x3 convolution per module, at the module's output
# width) did not learn at all in a trial (5,000 images, 2 epochs, the
# recipe below; loss 2.3026 to 2.3023, test accuracy 0.100; not stored
# here): 21 ReLU convolutions without normalisation, at Keras' default
# initialisation, pass almost no signal, the problem of section 5.

# %%
from convnets_tf.analysis import cost_lines
from convnets_tf.models.googlenet import googlenet_cifar

ARMS = {
    "inception": lambda: googlenet_cifar(name="googlenet_cifar"),
    "plain": lambda: googlenet_cifar(inception=False, name="googlenet_cifar_plain"),
}
candidates = {label: build_model() for label, build_model in ARMS.items()}
print(cost_lines(candidates))
print("convolutions:", {label: sum(isinstance(layer, keras.layers.Conv2D) for layer in m.layers)
                        for label, m in candidates.items()})
trace_shapes(candidates["inception"], {
    "conv1": (1, 32, 32, 32), "conv2": (1, 16, 16, 96), "inception_3a": (1, 16, 16, 128),
    "inception_3b": (1, 16, 16, 240), "pool3": (1, 8, 8, 240), "inception_4e": (1, 8, 8, 416),
    "pool4": (1, 4, 4, 416), "inception_5b": (1, 4, 4, 512), "predictions": (1, 10),
})
_ = trace_shapes(candidates["plain"], {
    "conv2": (1, 16, 16, 96), "plain_3b": (1, 16, 16, 85), "plain_4e": (1, 8, 8, 129),
    "plain_5b": (1, 4, 4, 206), "predictions": (1, 10),
})

# %% [markdown]
# **The recipe** is the shared one, the same for both networks; how it
# differs from the paper's:
#
# | | paper (section 6) | here |
# |---|---|---|
# | optimiser | asynchronous SGD, momentum 0.9 | AdamW, learning rate 1e-3, weight decay 0.05 (the recipe's) |
# | schedule | learning rate decreased by 4% every 8 epochs | one epoch of linear warmup, then cosine decay to 0 |
# | weights at test time | Polyak averaging | the last weights |
# | augmentation | patches of 8% to 100% of the image, aspect ratios 3/4 to 4/3, photometric distortions | 32x32 crops of the 4-pixel-padded image, flips |
#
# Why AdamW: neither network has normalisation layers, and the gradient
# reaching their lower layers is small at the start (section 5). SGD
# with a learning rate that is safe for the upper layers barely moves
# the lower ones for a long time; AdamW's step per weight does not
# depend on the size of its gradient.
#
# **The budget.** On a CPU: the first 25,000 training images, 5 epochs
# of batch 128, all 2,000 test images, each network in turn from the
# same seed. With a GPU or TPU the same cells train on all the images
# for 30 epochs. Recipe, strategy, precision, run sizes, resuming and
# Colab: [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train) in the README.

# %%
from convnets_tf.notebook import error_summary, plan_run, train_arms
from convnets_tf.plots import plot_error_curves
from convnets_tf.train import describe_run, get_strategy

plan = plan_run(
    cpu=dict(train_images=25_000, test_images=None, epochs=5, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")

# %%
RESULTS = train_arms(ARMS, data, plan, "05-googlenet", out_prefix="googlenet_cifar_",
                     strategy=strategy, optimizer="adamw", warmup_epochs=1)

# %%
fig = plot_error_curves(RESULTS)
plt.show()
print(error_summary(RESULTS))
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 7. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# the two networks trained one after another on a 2-core CPU, in
# float32, on the first 25,000 of the 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) with
# the 2,000 test images, 5 epochs of batch 128 (975 steps), as the `Run:`
# line says. Both cost 98M multiply-adds per image (1,498,850 and
# 1,490,309 parameters).
#
# | | inception modules | plain stack |
# |---|---|---|
# | training error after epochs 1-5 | 0.792, 0.656, 0.550, 0.486, **0.438** | 0.775, 0.642, 0.547, 0.469, **0.414** |
# | test accuracy after epochs 1-5 | 0.3065, 0.4125, 0.4945, 0.5620, **0.5895** | 0.3485, 0.4425, 0.5105, 0.5835, **0.5940** |
# | training time, 5 epochs | 701 s | 525 s |
#
# * **At this budget the inception modules bring no gain.** The plain
#   stack's training error is 0.003 to 0.024 lower after every epoch,
#   and the final test accuracies are 0.45 points apart, far inside the
#   standard error of the difference of two accuracies on 2,000 test
#   images (about 0.015). One run each, so the claim is neither
#   reproduced nor refuted here: the paper's evidence is ImageNet, 1.2
#   million images at 224x224 trained for many epochs, and a miniature
#   after 975 steps is far from what either network can reach. Testing
#   it at convergence needs the accelerator run (all images, 30
#   epochs), which was not made here.
# * **On this CPU the inception network is the slower one**: 701 s
#   against 525 s for the same arithmetic (epochs of 125-155 s against
#   89-147 s), likely because its 57 convolutions, many of them small
#   1x1 ones, use the cores less well than the plain stack's 12 (not
#   profiled here). The paper's speed claim was about accuracy per unit
#   of computation, on its own hardware and software.
# * **Both learn without normalisation layers** under AdamW, from
#   Keras' default initialisation, while the deeper control of section 6
#   (two layers per module) did not learn at all in its trial, likely
#   because the inception module's 1x1 and pooling branches give it a
#   path of one convolution through every module, where that control
#   had two.
#
# **The paper's network on full CIFAR-10 was not measured here.** Open
# this notebook in Colab with a GPU runtime to run the comparison on all
# 50,000 training images for 30 epochs. The command line trains the
# paper's network, at 75x75 and without the auxiliary classifiers:
#
# ```
# python -m convnets_tf train googlenet --dataset cifar10 --image-size 75 --optimizer adamw --epochs 30 --batch-size 128 --out runs/googlenet
# ```

# %% [markdown]
# ## 8. Takeaways
#
# * The inception module approximates a sparse network with dense
#   parts: several filter sizes side by side, so that each layer can
#   choose its scale, on hardware that only runs dense operations fast.
# * 1x1 convolutions are what make it affordable: they shrink the depth
#   in front of the expensive convolutions (2.4x cheaper for (3a), and
#   without them the depth and cost of the stacked modules explode) and
#   add a non-linearity. Nearly every later network uses them as
#   bottlenecks (ResNet's bottleneck blocks, MobileNet's pointwise
#   convolutions).
# * Global average pooling instead of fully connected layers: GoogLeNet
#   has 7.0 million parameters to AlexNet's 61 million (notebook 02)
#   while being far deeper.
# * The auxiliary classifiers were a response to training a deep network
#   without normalisation. Inception v3 (notebook 06) found they work as
#   regularisers rather than as gradient boosters, and batch
#   normalisation made them unnecessary for that purpose.
# * In miniature on CIFAR-10 (25,000 images, 5 epochs, section 7),
#   inception modules did no better than a plain stack of 3x3
#   convolutions of the same cost, and trained slower on a CPU. The
#   paper's gain was measured on ImageNet after long training; this short
#   run does not show it.
# * Table 1 is not exact: its per-layer parameter counts disagree with
#   its own channel columns in several rows; the channel columns are what
#   chain together and what the builder follows.
#
# ## References
#
# * C. Szegedy et al. Going deeper with convolutions. CVPR 2015.
#   [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)
# * S. Arora, A. Bhaskara, R. Ge, T. Ma. Provable bounds for learning
#   some deep representations. ICML 2014.
# * M. Lin, Q. Chen, S. Yan. Network in network. ICLR 2014.
# * BVLC Caffe, `models/bvlc_googlenet` (the reproduction whose LRN
#   parameters the builder uses).
# * Previous in the series: [04-vgg.ipynb](04-vgg.ipynb); next:
#   [06-inception-v3.ipynb](06-inception-v3.ipynb).
