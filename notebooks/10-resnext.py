# %% [markdown]
# # ResNeXt: aggregated residual transformations for deep neural networks
#
# **Paper:** S. Xie, R. Girshick, P. Dollár, Z. Tu and K. He, "Aggregated
# residual transformations for deep neural networks", *IEEE Conference on
# Computer Vision and Pattern Recognition* (CVPR), 2017.
# [arXiv:1611.05431](https://arxiv.org/abs/1611.05431)
#
# ResNeXt takes the bottleneck block of ResNet and splits its 3x3 layer
# into many narrow, identical paths whose outputs are added: Inception's
# split-transform-merge, but with one topology repeated, so that the only
# new hyperparameter is the number of paths, the **cardinality**. At the
# same parameter count and arithmetic as ResNet-50, ResNeXt-50 (32 paths
# of width 4) lowered the ImageNet top-1 error from 23.9% to 22.2%, and
# raising cardinality did more than making the network deeper or wider.
# The paths are one grouped convolution; this notebook checks that
# equivalence numerically, explains why TensorFlow needs a little help to
# run grouped convolutions fast on a CPU, verifies the models against the
# reference parameter counts, and tests the paper's central claim in
# miniature on CIFAR-10: four networks of equal cost, from one wide path
# to eight narrow ones.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/10-resnext.ipynb)

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
from convnets_tf import layers as cl
from convnets_tf.models import resnet

# Keras runs a grouped convolution through an XLA function traced anew
# for every input shape, and TensorFlow warns about the retracing.
tf.get_logger().setLevel("ERROR")
SMOKE = os.environ.get("CONVNETS_TF_SMOKE") == "1"   # CI: small and fast
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")


# %% [markdown]
# ## 1. The problem and the idea
#
# Network design had moved from engineering features to engineering
# networks, and the number of choices (width, filter sizes, strides, the
# branches of a module) had grown with it. Two styles stood out. VGG and
# ResNet stack blocks of one shape, with two simple rules, and so leave
# few hyperparameters to tune, which also makes them less likely to
# over-fit the data set they were designed on. Inception modules follow
# a **split-transform-merge** strategy: the input is projected into a few
# low-dimensional embeddings by 1x1 convolutions, each is transformed by
# its own filters (3x3, 5x5, ...), and the results are concatenated. That
# reaches the accuracy of large dense layers at a fraction of the cost,
# but every module is tailored by hand, and it is unclear how to adapt
# the design to a new task.
#
# ResNeXt keeps VGG/ResNet's repetition and borrows Inception's
# split-transform-merge, with every path the same.
#
# **A neuron as split-transform-aggregate (section 3.2).** The inner
# product $\sum_{i=1}^{D} w_i x_i$ splits $x$ into $D$ one-dimensional
# pieces, transforms each by scaling it with $w_i$, and aggregates by
# summing. ResNeXt replaces the scaling by a small network
# $\mathcal{T}_i$ and sums $C$ of them (equation 2):
#
# $$\mathcal{F}(x) = \sum_{i=1}^{C} \mathcal{T}_i(x),$$
#
# where $C$, the **cardinality**, is the size of the set of
# transformations, a dimension besides depth and width. All
# $\mathcal{T}_i$ have the same topology: a 1x1 convolution into a
# $d$-channel embedding, a 3x3 convolution, and a 1x1 convolution back.
# With a residual connection the block computes (equation 3)
#
# $$y = x + \sum_{i=1}^{C} \mathcal{T}_i(x).$$
#
# **The template (section 3.1).** Two rules, inherited from VGG and
# ResNet, fix the rest: (i) blocks that produce maps of the same size
# share their hyperparameters (width and filter sizes); (ii) each time
# the map is down-sampled by 2, the width of the blocks is multiplied by
# 2, which keeps the arithmetic per block roughly constant. Given the
# rules, a network is fixed by its depth, its cardinality $C$ and its
# bottleneck width $d$, written "$C \times d$d": ResNeXt-50 (32x4d).
#
# **The finding.** At the same parameter count and arithmetic, more
# paths and narrower ones train to lower error (section 2 below has the
# arithmetic, the table after it the paper's numbers), and when the
# budget is doubled, doubling the cardinality helps more than going
# deeper or wider (the paper's Table 4).

# %% [markdown]
# ## 2. Cardinality against width at a fixed complexity
#
# The paper's ablation (section 3.4, Table 2) holds ResNet-50's
# complexity fixed and trades width for cardinality in the conv2 stage
# block, whose input and output have 256 channels. One path has a 1x1
# layer 256 -> $d$, a 3x3 layer $d$ -> $d$ and a 1x1 layer $d$ -> 256,
# so a block with $C$ paths has (equation 4)
#
# $$C \cdot (256 \cdot d + 3 \cdot 3 \cdot d \cdot d + d \cdot 256)$$
#
# parameters, against $256 \cdot 64 + 3 \cdot 3 \cdot 64 \cdot 64 + 64
# \cdot 256 \approx 70$k for ResNet's bottleneck ($C = 1$, $d = 64$).
# The paper's Table 2 lists the $(C, d)$ pairs that keep it; below, each
# $d$ is recomputed as the root of the quadratic "$C$ paths cost as much
# as ResNet's block", rounded, and the counts compared:

# %%
# NBVAL_CHECK_OUTPUT
def block_params(C, d, channels=256):
    return C * (channels * d + 3 * 3 * d * d + d * channels)

resnet_block = block_params(1, 64)
table2 = {1: 64, 2: 40, 4: 24, 8: 14, 32: 4}   # the paper's (C, d)
print(f"{'C':>3} {'d (paper)':>10} {'d (solved)':>11} {'C x d':>6} {'parameters':>11} {'in the 3x3':>11}  vs ResNet")
for C, d in table2.items():
    # C * (9 d^2 + 512 d) = resnet_block, solved for d.
    solved = (-512 + np.sqrt(512**2 + 4 * 9 * resnet_block / C)) / (2 * 9)
    params = block_params(C, d)
    print(f"{C:>3} {d:>10} {solved:>11.2f} {C * d:>6} {params:>11,} {C * 9 * d * d:>11,}  "
          f"{params / resnet_block - 1:+.1%}")
    assert round(solved) == d and abs(params / resnet_block - 1) < 0.03

# %% [markdown]
# The width of the grouped 3x3 layer, $C \cdot d$, doubles from 64 to
# 128 as the cardinality goes from 1 to 32: the paths get narrower, but
# together they see more channels, at the same cost. The parameters move
# from the 3x3 layer, which holds more than half of ResNet's block, to
# the two 1x1 layers: in 32 x 4d the 3x3 layer holds 4,608 of them.
#
# The paper's results for these settings (Table 3, ImageNet-1K, top-1
# error of a 224x224 centre crop; the endpoints are also in the authors'
# [repository](https://github.com/facebookresearch/ResNeXt)):
#
# | setting | C x d | ResNet/ResNeXt-50 | ResNet/ResNeXt-101 |
# |---|---|---|---|
# | ResNet | 1 x 64d | 23.9 | 22.0 |
# | ResNeXt | 2 x 40d | 23.0 | 21.7 |
# | ResNeXt | 4 x 24d | 22.6 | 21.4 |
# | ResNeXt | 8 x 14d | 22.3 | 21.3 |
# | ResNeXt | 32 x 4d | **22.2** | **21.2** |
#
# Error falls steadily with cardinality at fixed complexity; the
# training error falls too (the paper's Figure 5), so the gain is not a
# regularisation effect but stronger representations. The gains shrink
# as the paths narrow: 0.1 points from 8 x 14d to 32 x 4d.

# %% [markdown]
# ## 3. Three equivalent forms of the block
#
# The paper's Figure 3 draws the same block three ways (here without
# BatchNorm; section 4 adds it after every convolution, which changes
# nothing below, since BatchNorm acts on each channel separately):
#
# * **(a) split-transform-sum**: 32 paths, each 1x1 256->4, ReLU, 3x3
#   4->4, ReLU, 1x1 4->256; the 32 outputs are summed.
# * **(b) early concatenation**: the same paths up to their 3x3 layers;
#   their outputs, 32 x 4 = 128 channels, are concatenated and a single
#   1x1 128->256 layer follows. The sum of (a) is what this 1x1 layer
#   computes: a 1x1 convolution over concatenated inputs is the sum of
#   1x1 convolutions over each part.
# * **(c) grouped convolution**: the 32 first 1x1 layers are one 1x1
#   layer 256->128 (a convolution over the same input, concatenated);
#   the 32 3x3 layers are one 3x3 layer with `groups=32`, where each
#   group of 4 filters reads only its own 4 channels.
#
# (c) is what ResNeXt's code runs. Below, one set of weights is built
# for (c) and sliced into the paths of (a) and (b), and all three are
# applied to the same input.

# %%
# NBVAL_CHECK_OUTPUT
C, d, channels = 32, 4, 256
block_c = keras.Sequential([
    keras.Input((8, 8, channels)),
    keras.layers.Conv2D(C * d, 1, use_bias=False),
    keras.layers.ReLU(),
    cl.GroupedConv2D(C * d, 3, padding="same", groups=C, use_bias=False),
    keras.layers.ReLU(),
    keras.layers.Conv2D(channels, 1, use_bias=False),
], name="form_c")
w1, w2, w3 = block_c.get_weights()
print("weights of (c):", w1.shape, w2.shape, w3.shape)

def conv(x, kernel):
    return tf.nn.conv2d(x, kernel, strides=1, padding="SAME")

def path_embedding(x, i):
    # Path i: its 4 filters of each layer; its 3x3 filters read its 4 channels.
    own = slice(d * i, d * (i + 1))
    h = tf.nn.relu(conv(x, w1[..., own]))
    return tf.nn.relu(conv(h, w2[..., own])), own

def form_a(x):   # split, transform, sum
    outputs = []
    for i in range(C):
        h, own = path_embedding(x, i)
        outputs.append(conv(h, w3[:, :, own, :]))
    return tf.add_n(outputs)

def form_b(x):   # split, transform, concatenate, one 1x1 layer
    return conv(tf.concat([path_embedding(x, i)[0] for i in range(C)], axis=-1), w3)

x = tf.random.stateless_normal((2, 8, 8, channels), seed=(0, 0))
y_c = block_c(x)
for label, form in (("(a) split-transform-sum", form_a), ("(b) concatenation", form_b)):
    error = float(tf.reduce_max(tf.abs(form(x) - y_c)) / tf.reduce_max(tf.abs(y_c)))
    print(f"{label:<24} == (c) grouped convolution: {error < 1e-5}")
    assert error < 1e-5
print(f"parameters of every form: {sum(w.size for w in (w1, w2, w3)):,} "
      f"= block_params(32, 4) = {block_params(32, 4):,}")
assert sum(w.size for w in (w1, w2, w3)) == block_params(32, 4)

# %% [markdown]
# The three forms differ only in how many operations carry the same
# arithmetic: (a) runs 96 small convolutions and a 32-way sum, (b) 65
# convolutions and a concatenation, (c) three convolutions, which is why
# it is the one implemented. The paper adds that the forms are only
# worth having in blocks of three layers or more. With two layers the
# first layers of the paths together are one dense layer (each reads the
# whole input) and the sum of the second layers is another (it reads
# every path): nothing stays grouped, and the block is merely a wider
# dense one (its Figure 4).

# %% [markdown]
# ## 4. Grouped convolutions on a CPU
#
# Keras' `Conv2D(groups=32)` computes form (c) through an XLA-compiled
# function, because TensorFlow's own CPU kernels for grouped
# convolutions are broken without oneDNN. On a GPU or TPU that compiles
# to the native grouped kernel and is fast; on a CPU it is far slower
# than even the dense convolution doing 32 times the arithmetic, mostly
# in the backward pass. `convnets_tf.layers.GroupedConv2D` is a
# `Conv2D` subclass with the same arguments and the same weights; where
# TensorFlow sees only CPUs it computes the grouped layer the way form
# (b) draws it: split the channels and the kernel into the groups,
# convolve each pair with the ordinary CPU kernel, concatenate.
# Everywhere else it is Keras' `Conv2D`. Its docstring records the
# alternatives that were measured and why this one was chosen.

# %%
print(inspect.getsource(cl.GroupedConv2D.convolution_op))


# %% [markdown]
# One training step (forward and backward) of the grouped 3x3 layer of
# ResNeXt-50's conv2 stage, 128 channels in 32 groups, on 16x16 maps
# (the stage's maps for a 64x64 image), with both layers holding the
# same weights, on this notebook's hardware. The first call traces the
# step (and, for Keras, compiles it with XLA) and is not timed; each
# figure is the median of three further calls (`timing.median_seconds`). The
# figures depend on the machine and its load: they are printed, not
# checked. `benchmarks/grouped_conv.py` measures the same and the whole
# block.

# %%
from convnets_tf.timing import forward_backward, median_seconds

batch = 4 if SMOKE else 16
x = tf.random.stateless_normal((batch, 16, 16, 128), seed=(0, 1))
upstream = tf.random.stateless_normal((batch, 16, 16, 128), seed=(0, 2))
ours = cl.GroupedConv2D(128, 3, padding="same", groups=32, use_bias=False)
theirs = keras.layers.Conv2D(128, 3, padding="same", groups=32, use_bias=False)
dense = keras.layers.Conv2D(128, 3, padding="same", use_bias=False)
for layer in (ours, theirs, dense):
    layer.build(x.shape)
theirs.set_weights(ours.get_weights())
steps = {layer: forward_backward(layer, upstream) for layer in (ours, theirs, dense)}
y_ours, y_theirs = steps[ours](x), steps[theirs](x)
agree = all(np.allclose(a, b, rtol=1e-4, atol=1e-4 * float(tf.reduce_max(tf.abs(b))))
            for a, b in zip(y_ours, y_theirs))
print(f"devices: {', '.join(d.device_type for d in tf.config.list_logical_devices())}; "
      f"batch {batch}, 16x16x128, 32 groups, forward + backward")
print(f"outputs and gradients agree: {agree}")
t_ours, t_theirs, t_dense = (
    median_seconds(lambda: [t.numpy() for t in steps[layer](x)], repeats=3, warmup=1)
    for layer in (ours, theirs, dense))
print(f"GroupedConv2D            {t_ours:8.3f} s per step")
print(f"keras Conv2D(groups=32)  {t_theirs:8.3f} s per step ({t_theirs / t_ours:.0f}x slower)")
print(f"dense Conv2D, 32x FLOPs  {t_dense:8.3f} s per step")
assert agree


# %% [markdown]
# ## 5. The architecture
#
# The paper's Table 1, ResNet-50 next to ResNeXt-50 (32x4d); brackets
# are blocks, "C=32" a grouped convolution with 32 groups. Both networks
# have the same stem, stages, strides and head; ResNeXt widens the inner
# layers of each block and splits its 3x3 layer into 32 groups.
#
# | stage | output | ResNet-50 | ResNeXt-50 (32x4d) |
# |---|---|---|---|
# | conv1 | 112x112 | 7x7, 64, stride 2 | 7x7, 64, stride 2 |
# | conv2 | 56x56 | 3x3 max pool, stride 2; [1x1, 64; 3x3, 64; 1x1, 256] x 3 | 3x3 max pool, stride 2; [1x1, 128; 3x3, 128, C=32; 1x1, 256] x 3 |
# | conv3 | 28x28 | [1x1, 128; 3x3, 128; 1x1, 512] x 4 | [1x1, 256; 3x3, 256, C=32; 1x1, 512] x 4 |
# | conv4 | 14x14 | [1x1, 256; 3x3, 256; 1x1, 1024] x 6 | [1x1, 512; 3x3, 512, C=32; 1x1, 1024] x 6 |
# | conv5 | 7x7 | [1x1, 512; 3x3, 512; 1x1, 2048] x 3 | [1x1, 1024; 3x3, 1024, C=32; 1x1, 2048] x 3 |
# | | 1x1 | global average pool, 1000-d fc, softmax | global average pool, 1000-d fc, softmax |
# | # params | | 25.5 x 10^6 | 25.0 x 10^6 |
# | FLOPs | | 4.1 x 10^9 | 4.2 x 10^9 |
#
# Section 4 adds the details: BatchNorm after every convolution, ReLU
# after every BatchNorm except at the block's output, where it follows
# the addition of the shortcut; the down-sampling of conv3, conv4 and
# conv5 is a stride of 2 in the 3x3 layer of each stage's first block;
# shortcuts are identities, and projections (type B) where the shape
# changes.
#
# A random 224x224 image through `resnext50_32x4d`, the shapes checked
# against the table (the grouped 3x3 layer of each stage's first block is
# traced too):

# %%
from convnets_tf.analysis import count_macs, count_params, trace_shapes

resnext50 = build("resnext50_32x4d")
trace_shapes(resnext50, {
    "conv1_relu": (1, 112, 112, 64), "pool1_pool": (1, 56, 56, 64),
    "conv2_block1_2_conv": (1, 56, 56, 128), "conv2_block3_out": (1, 56, 56, 256),
    "conv3_block1_2_conv": (1, 28, 28, 256), "conv3_block4_out": (1, 28, 28, 512),
    "conv4_block1_2_conv": (1, 14, 14, 512), "conv4_block6_out": (1, 14, 14, 1024),
    "conv5_block1_2_conv": (1, 7, 7, 1024), "conv5_block3_out": (1, 7, 7, 2048),
    "avg_pool": (1, 2048), "predictions": (1, 1000),
})

# %% [markdown]
# The template at work: in every stage the grouped layer has 32 groups,
# its width doubles whenever the map halves, and each group keeps
# `width / 32` channels (4, 8, 16, 32). And the conv2 block of section 2,
# read off the built models: the weights of the three convolutions of
# `conv2_block2` in ResNeXt-50 and in ResNet-50 (built as the paper's
# Torch baseline: no conv biases, and the stride in the 3x3 layer like
# ResNeXt) are the 32 x 4d and 1 x 64d rows of the table there.

# %%
# NBVAL_CHECK_OUTPUT
for stage in (2, 3, 4, 5):
    layer = resnext50.get_layer(f"conv{stage}_block1_2_conv")
    print(f"conv{stage}: {type(layer).__name__}, width {layer.filters}, "
          f"groups {layer.groups}, kernel {layer.kernel.shape} "
          f"({layer.filters // layer.groups} channels per group)")
    assert isinstance(layer, cl.GroupedConv2D) and layer.groups == 32

# The paper's ResNet-50 baseline (fb.resnet.torch): no conv biases, stride in the 3x3.
resnet50 = build("resnet50", use_bias=False, stride_in_3x3=True)

def conv_weights(model, block):
    return sum(model.get_layer(f"{block}_{i}_conv").count_params() for i in (1, 2, 3))

for label, model, C, d in (("ResNeXt-50", resnext50, 32, 4), ("ResNet-50", resnet50, 1, 64)):
    print(f"{label:<10} conv2_block2: {conv_weights(model, 'conv2_block2'):,} weights "
          f"= block_params({C}, {d})")
    assert conv_weights(model, "conv2_block2") == block_params(C, d)

# %% [markdown]
# ### The CIFAR network: ResNeXt-29
#
# For CIFAR (section 5.3) the paper stacks three stages of three
# bottleneck blocks after a 3x3 convolution with 64 filters: 1 + 9 x 3
# layers and the classifier make 29. The stages output 256, 512 and
# 1024 channels on 32x32, 16x16 and 8x8 maps. The paper's models are
# 8x64d and 16x64d: the grouped layer of the first stage has 8 x 64 =
# 512 channels, or 16 x 64 = 1024, doubling in each stage. Their
# CIFAR-10 and CIFAR-100 test errors were 3.65% and 17.77% for 8x64d
# (34.4M parameters), 3.58% and 17.31% for 16x64d (68.1M), against
# 4.17% and 20.50% for Wide ResNet-28-10 (36.5M). The authors' notes say
# these numbers came from pre-activation blocks and batch 256, and that
# the original blocks with batch 128 do better.
#
# `resnext29_8x64d` builds the 8x64d network; `resnext_cifar` takes
# `depth`, `cardinality` and `bottleneck_width` for smaller ones. Its
# shapes, on a CIFAR image:

# %%
trace_shapes(build("resnext29_8x64d"), {
    "conv1_relu": (1, 32, 32, 64),
    "conv2_block1_2_conv": (1, 32, 32, 512), "conv2_block3_out": (1, 32, 32, 256),
    "conv3_block1_2_conv": (1, 16, 16, 1024), "conv3_block3_out": (1, 16, 16, 512),
    "conv4_block1_2_conv": (1, 8, 8, 2048), "conv4_block3_out": (1, 8, 8, 1024),
    "avg_pool": (1, 1024), "predictions": (1, 10),
})

# %% [markdown]
# ## 6. The implementation
#
# The ResNeXt models live with the other ResNets in
# `convnets_tf/models/resnet.py`: ResNeXt-50/101 are the ResNet builder
# with `cardinality` and `bottleneck_width`, ResNeXt-29 is
# `resnext_cifar`. The block is ResNet's bottleneck; with a cardinality
# above 1 its 3x3 layer is a `GroupedConv2D` (form (c); the shared
# `conv_bn_act` unit builds one when `groups` > 1), its width is
# `cardinality * bottleneck_width` in the first stage, and the stride
# moves into the 3x3 layer, where the paper puts it.

# %%
print(inspect.getsource(resnet.bottleneck_block))

# %%
print(inspect.getsource(resnet.resnext_cifar))

# %% [markdown]
# The registered variants are the builder plus the keywords that define
# them, as the registry reports them (`convnets_tf.model_spec`):

# %%
for name in convnets_tf.list_models():
    if name.startswith("resnext"):
        spec = convnets_tf.model_spec(name)
        keywords = ", ".join(f"{key}={value!r}" for key, value in spec.kwargs.items())
        print(f"{name:<17} = {spec.builder.__name__}({keywords})")

# %% [markdown]
# ## 7. Verification
#
# Trainable parameters against the reference counts: torchvision's
# `resnext50_32x4d` and `resnext101_32x8d` (the same layers, no conv
# biases), and the paper's 34.4M for ResNeXt-29 (8x64d, CIFAR-10). And
# the paper's Table 1 comparison: ResNet-50 against ResNeXt-50 in
# parameters and multiply-adds (the paper's "FLOPs"), counted here over
# the convolutions and the classifier of the built models. The ResNet-50
# is the paper's Torch baseline, which strides in the 3x3 layer; the
# original ResNet paper, and keras.applications, stride in the first 1x1
# layer, which skips three quarters of the positions before the 3x3 layer
# and is why that paper's Table 1 says 3.8 billion.

# %%
# NBVAL_CHECK_OUTPUT
for name, expected in (("resnext50_32x4d", 25_028_904),
                       ("resnext101_32x8d", 88_791_336),
                       ("resnext29_8x64d", 34_426_698)):
    model = resnext50 if name == "resnext50_32x4d" else build(name)
    print(f"{name:<17} {count_params(model).trainable:>11,} trainable (reference {expected:,})")
    assert count_params(model).trainable == expected
del model
print(f"ResNeXt-29 (8x64d): {count_params(build('resnext29_8x64d')).trainable / 1e6:.1f}M, the paper's 34.4M")


# %%
# NBVAL_CHECK_OUTPUT
for label, model, params, flops in (("ResNet-50", resnet50, 25.5, 4.1),
                                    ("ResNeXt-50", resnext50, 25.0, 4.2)):
    p, f = count_params(model).trainable / 1e6, count_macs(model) / 1e9
    print(f"{label:<10} {p:.2f}M parameters, {f:.2f}G multiply-adds (paper: {params}M, {flops}G)")
    assert abs(p - params) < 0.1 and abs(f - flops) < 0.1
f = count_macs(build("resnet50")) / 1e9
print(f"resnet50 as registered, stride in the 1x1 layer: {f:.2f}G multiply-adds (ResNet paper: 3.8G)")
assert abs(f - 3.8) < 0.1

# %% [markdown]
# ## 8. Experiment: cardinality against width at equal cost
#
# **The claim** (section 5.1, Table 3, Figure 5): at the same parameters
# and arithmetic, a block with more and narrower paths trains to lower
# error, in training as well as in test error, from 1 x 64d (ResNet) to
# 32 x 4d.
#
# **The comparison.** Table 3's first four settings in a miniature CIFAR
# ResNeXt from the same builder: `resnext_cifar` with one block per stage
# (depth 11) at half width (`base_channels=32`: a 32-channel stem, stages
# of 128, 256 and 512 channels). Halving every width halves each path's
# width too, so the equal-cost pairs become 1 x 32d, 2 x 20d, 4 x 12d
# and 8 x 7d (section 2's equation with 128 channels in and out instead
# of 256). The next cell prints their parameters and multiply-adds: the
# parameters within 5% of each other, the multiply-adds within 7% (the
# pairs hold the cost of a block whose input is as wide as its output;
# with one block per stage, every block here widens its input). The four
# share the data, seed, schedule and settings:
# the paper's CIFAR recipe (section 5.3) where the shared recipe takes it,
# SGD with momentum 0.9, batch 128, learning rate 0.1, weight decay 5e-4,
# with a warmup and cosine decay instead of steps, decoupled weight decay
# that spares biases and BatchNorm, and label smoothing 0.1.
#
# **The budget.** The paper's ResNeXt-29 8x64d does billions of
# multiply-adds per CIFAR image and trains 300 epochs; the miniatures do
# 81-86 million, but the grouped layers make them slow on a CPU (68-80
# images a second measured here at batch 128). So each network trains on
# the first 10,000 of the 50,000 training images for 3 epochs (234
# steps), about 7 minutes each: the first steps of training, where the
# paper's Figure 5 already separates the settings in training error, but
# the test accuracy of one run per setting is uncertain by about a point
# (standard error on 2,000 test images). With a GPU or TPU (Colab) the same cell
# trains the four on all training images for 30 epochs.
# Recipe, strategy, precision, run sizes, resuming and Colab: [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train) in the README.

# %%
from convnets_tf.analysis import cost_lines
from convnets_tf.data import load_cifar
from convnets_tf.notebook import error_summary, plan_run, train_arms
from convnets_tf.plots import plot_error_curves
from convnets_tf.train import describe_run, get_strategy

plan = plan_run(
    cpu=dict(train_images=10_000, test_images=None, epochs=3, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
# Table 3's (C, d); at half width each group has d / 2 channels.
ARMS = {f"{C}x{d // 2}d": (C, d) for C, d in ((1, 64), (2, 40), (4, 24), (8, 14))}
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")


def miniature(C, d, name):
    return resnet.resnext_cifar(depth=11, cardinality=C, bottleneck_width=d,
                                base_channels=32, name=name)

print(cost_lines({label: miniature(C, d, label) for label, (C, d) in ARMS.items()}))

# %%
RESULTS = train_arms(
    {label: lambda C=C, d=d, label=label: miniature(C, d, f"resnext11_half_{label}")
     for label, (C, d) in ARMS.items()},
    data, plan, "10-resnext", out_prefix="resnext11_half_", strategy=strategy,
    learning_rate=0.1, weight_decay=5e-4)

# %% [markdown]
# On a CPU `GroupedConv2D` takes its own path (section 4); on a GPU,
# where XLA is on, it is Keras' grouped convolution, which XLA compiles
# to cuDNN's grouped kernel. Training and test error of the four runs:

# %%
fig = plot_error_curves(RESULTS)
plt.show()
print(error_summary(RESULTS))
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 9. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# the four networks trained one after another on a 2-core CPU, in
# float32, on the first 10,000 of the 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) with
# the 2,000 test images, 3 epochs of batch 128 each (234 steps), as the
# `Run:` line says.
#
# | C x d (half width) | parameters | multiply-adds | training error after epochs 1-3 | test accuracy | time |
# |---|---|---|---|---|---|
# | 1 x 32d | 500,010 | 80.6M | 0.741, 0.644, 0.611 | 0.342 | 391 s |
# | 2 x 20d | 489,898 | 82.0M | 0.747, 0.649, 0.615 | 0.329 | 402 s |
# | 4 x 12d | 479,786 | 83.4M | 0.747, 0.655, 0.616 | 0.341 | 409 s |
# | 8 x 7d | 477,234 | 85.9M | 0.740, 0.650, 0.616 | 0.343 | 525 s |
#
# * **At this budget cardinality made no difference.** The four training
#   errors end within 0.005 of each other, and the test accuracies within
#   1.4 points, less than the standard error of the difference of two
#   accuracies on 2,000 test images (about 0.015). The paper's gaps are
#   1.7 points of ImageNet top-1 error from 1 x 64d to 32 x 4d, after full
#   training.
# * **Why the run cannot settle it.** 234 steps are the very start of
#   training: all four networks are still near 0.61 training error, where
#   they are limited by how far they have got, not by what their blocks
#   can represent. The claim is about the error they converge to. Testing
#   it needs the accelerator run (all images, 30 epochs), which was not
#   made here.
# * **What the run does show:** the equal-cost construction holds in
#   miniature (the counts above) and the grouped layers train
#   inside the shared recipe. On this CPU more groups cost more time, up
#   to 34% more for 8 groups, although the arithmetic is nearly the same,
#   likely because `GroupedConv2D` computes each group as its own, smaller
#   convolution (not profiled here).
#
# The measurement of section 4, on the same 2-core CPU (re-run on its
# own after the training): a training step of the grouped 3x3 layer took
# 0.011 s with `GroupedConv2D` and 1.223 s with Keras'
# `Conv2D(groups=32)` (108 times longer), and the dense convolution,
# with 32 times the arithmetic, took 0.018 s.
#
# **The paper's networks were not trained here.** To train ResNeXt-29
# 8x64d on all training images, on a GPU:
#
# ```
# python -m convnets_tf train resnext29_8x64d --dataset cifar10 --epochs 30 --batch-size 128 --lr 0.1 --out runs/resnext29_8x64d
# python -m convnets_tf evaluate runs/resnext29_8x64d/model.keras
# ```
#
# or open this notebook in Colab with a GPU runtime and run all cells.
#
# ## 10. Takeaways
#
# * Cardinality, the number of identical paths in a block, is a
#   dimension of its own besides depth and width: at a fixed budget,
#   more and narrower paths gave lower error (Table 3), and spending a
#   doubled budget on cardinality beat spending it on depth or width
#   (Table 4).
# * Split-transform-merge does not need hand-designed branches: one
#   topology repeated C times, plus ResNet's two template rules, leaves
#   two hyperparameters, C and d.
# * Summing C paths, concatenating them before one 1x1 layer, and a
#   grouped convolution are the same function; the last is the one to
#   run, and its speed depends on the framework's grouped kernel, which
#   on a CPU needed `GroupedConv2D` here.
# * AlexNet's two towers were a grouped convolution with 2 groups forced
#   by memory ([02-alexnet.ipynb](02-alexnet.ipynb)); ResNeXt makes the
#   number of groups a design choice, and depthwise convolutions
#   (MobileNet, Xception) take it to one channel per group.
#
# ## References
#
# * S. Xie, R. Girshick, P. Dollár, Z. Tu, K. He. Aggregated residual
#   transformations for deep neural networks. CVPR 2017.
#   [arXiv:1611.05431](https://arxiv.org/abs/1611.05431); code and
#   models: [facebookresearch/ResNeXt](https://github.com/facebookresearch/ResNeXt).
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image
#   recognition. CVPR 2016 (ResNet, the block and template ResNeXt keeps).
# * C. Szegedy et al. Going deeper with convolutions. CVPR 2015
#   (Inception, split-transform-merge).
# * A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet classification
#   with deep convolutional neural networks. NeurIPS 2012 (grouped
#   convolutions, as two GPUs).
# * Previous in the series: [09-resnet-v2-and-wide-resnet.ipynb](09-resnet-v2-and-wide-resnet.ipynb); next:
#   [11-bit.ipynb](11-bit.ipynb).
