# %% [markdown]
# # Inception-v4, Inception-ResNet and the impact of residual connections on learning
#
# **Paper:** C. Szegedy, S. Ioffe, V. Vanhoucke and A. A. Alemi,
# "Inception-v4, Inception-ResNet and the impact of residual connections
# on learning", *AAAI Conference on Artificial Intelligence*, 2017
# (arXiv:1602.07261, 2016).
# [Paper](https://arxiv.org/abs/1602.07261)
#
# In 2015 two designs reached about the same ImageNet accuracy by
# different routes: Inception-v3, a carefully factorised multi-branch
# network, and ResNet, a plain stack made trainable at great depth by
# residual connections. This paper asks whether Inception gains anything
# from residual connections. It builds three networks: **Inception-v4**,
# a cleaned-up, more uniform and larger pure Inception network, and two
# hybrids, **Inception-ResNet-v1** (about the cost of Inception-v3) and
# **Inception-ResNet-v2** (about the cost of Inception-v4), whose Inception
# blocks are residual. The answer: residual connections make Inception
# train much faster, the final accuracy is set mostly by the model's
# size, and very wide residual blocks need their residuals **scaled
# down** to train at all. This notebook builds all three networks
# (Inception-ResNet-v2 weight for weight as keras.applications ships
# it), traces their shapes, shows numerically why residual scaling
# matters, and tests on CIFAR-10, in miniature, whether the shortcuts
# make an Inception network train faster.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/07-inception-v4-resnet.ipynb)

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
from convnets_tf.models import inception_common, inception_resnet, inception_v4

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")


# %% [markdown]
# ## 1. The problem and the idea
#
# He et al. argued that residual connections are of inherent importance
# for training very deep networks. Inception networks are very deep too,
# so the paper replaces the filter concatenation at the end of an
# Inception block with a residual connection and asks what that buys
# (Section 1). It compares two pure Inception networks with two hybrids
# of similar cost:
#
# * **Inception-v4 (Section 3.1).** Inception-v3 carried baggage from
#   DistBelief, where the model had to be partitioned across machines;
#   after moving to TensorFlow the authors made "uniform choices for the
#   Inception blocks for each grid size": a new stem (Figure 3), 4
#   Inception-A blocks at 35x35, 7 Inception-B at 17x17, 3 Inception-C
#   at 8x8, with dedicated Reduction-A and Reduction-B blocks between
#   the grids (Figure 9).
# * **Residual Inception blocks (Section 3.2).** Each Inception-ResNet
#   block is a cheaper Inception block whose branches are concatenated
#   and passed through a 1x1 convolution *without activation* (the
#   "filter-expansion layer") that scales the width back up to the
#   input's, so the result can be added to the input. BatchNorm is used
#   on the traditional layers but not on top of the summations: this
#   saves enough memory to fit more blocks on one GPU.
#   Inception-ResNet-v1 has a smaller stem (Figure 14) and narrow blocks;
#   Inception-ResNet-v2 uses Inception-v4's stem and wider blocks
#   (Figure 15 is the schema of both).
# * **Scaling of the residuals (Section 3.3).** "If the number of
#   filters exceeded 1000, the residual variants started to exhibit
#   instabilities and the network has just 'died' early in the
#   training": after a few tens of thousands of iterations the last
#   layer before the average pooling produced only zeros. Neither a
#   lower learning rate nor an extra BatchNorm prevented it. Scaling the
#   residuals by a factor between 0.1 and 0.3 before the addition did;
#   where it was not strictly necessary, it never seemed to harm the
#   final accuracy.
#
# Training (Section 4): RMSProp with decay 0.9 and $\epsilon = 1.0$,
# learning rate 0.045 decayed every two epochs by a factor of 0.94, 20
# replicas on NVidia Kepler GPUs, and evaluation with a running average
# of the parameters. The paper's single-crop, single-model results on
# the ILSVRC 2012 validation set (its Table 2):
#
# | network | top-1 error | top-5 error |
# |---|---|---|
# | BN-Inception | 25.2% | 7.8% |
# | Inception-v3 | 21.2% | 5.6% |
# | Inception-ResNet-v1 | 21.3% | 5.5% |
# | Inception-v4 | 20.0% | 5.0% |
# | Inception-ResNet-v2 | 19.9% | 4.9% |
#
# Each hybrid ends about level with the pure network of the same cost;
# its training curves (the paper's Figures 21 to 26) reach that level
# in far fewer epochs. The paper's conclusion is that residual
# connections are not necessary to train deep Inception networks, but
# they speed training up markedly.

# %% [markdown]
# ## 2. The architecture
#
# The three networks share one plan (Figures 9 and 15): a stem takes the
# 299x299 image to a 35x35 grid, blocks at 35x35, a Reduction-A to
# 17x17, blocks at 17x17, a Reduction-B to 8x8, blocks at 8x8, average
# pooling, dropout (keep probability 0.8) and the softmax. Convolutions
# marked "V" in the figures use 'valid' padding, all others 'same'.
#
# | stage | Inception-v4 | Inception-ResNet-v1 | Inception-ResNet-v2 (keras.applications) |
# |---|---|---|---|
# | stem | Figure 3 -> 35x35x384 | Figure 14 -> 35x35x256 | Inception-v3 stem + mixed_5b -> 35x35x320 |
# | 35x35 blocks | 4 x Inception-A (Fig. 4) | 5 x Inception-ResNet-A (Fig. 10) | 10 x Inception-ResNet-A (Fig. 16) |
# | Reduction-A (Fig. 7) | k, l, m, n = 192, 224, 256, 384 -> 17x17x1024 | 192, 192, 256, 384 -> 17x17x896 | 256, 256, 384, 384 -> 17x17x1088 |
# | 17x17 blocks | 7 x Inception-B (Fig. 5) | 10 x Inception-ResNet-B (Fig. 11) | 20 x Inception-ResNet-B (Fig. 17) |
# | Reduction-B | Figure 8 -> 8x8x1536 | Figure 12 -> 8x8x1792 | Figure 18 -> 8x8x2080 |
# | 8x8 blocks | 3 x Inception-C (Fig. 6) | 5 x Inception-ResNet-C (Fig. 13) | 10 x Inception-ResNet-C (Fig. 19) |
# | head | | | 1x1 conv to 1536 (conv_7b) |
# | | avg pool, dropout, softmax | avg pool, dropout, softmax | avg pool, dropout, softmax |
#
# The k, l, m, n of Reduction-A are the paper's Table 1. The
# Inception-ResNet-v2 column is keras.applications' `InceptionResNetV2`,
# which is the authors' released TF-slim model and differs from the
# paper's figures (see below).
#
# ### The stems
#
# Inception-v4's stem (Figure 3) begins like Inception-v3's with three
# 3x3 convolutions (299 -> 149 -> 147), then halves the grid twice by
# running a stride-2 convolution beside a stride-2 max-pooling and
# concatenating them (mixed_3a, mixed_5a), with two convolution towers
# side by side in between (mixed_4a). The Inception-ResNet-v1 stem
# (Figure 14) is a plain sequence. A random image through each stage of
# the real models, with the shapes checked:

# %%
from convnets_tf.analysis import count_params, trace_shapes

v4 = build("inception_v4")
trace_shapes(v4, {
    "conv2d_1a_relu": (1, 149, 149, 32),   # 3x3/2 V
    "conv2d_2a_relu": (1, 147, 147, 32),   # 3x3 V
    "conv2d_2b_relu": (1, 147, 147, 64),   # 3x3
    "mixed_3a": (1, 73, 73, 160),          # 3x3/2 max pool | 3x3/2 V conv (96)
    "mixed_4a": (1, 71, 71, 192),          # two conv towers ending in 3x3 V (96 + 96)
    "mixed_5a": (1, 35, 35, 384),          # 3x3/2 V conv (192) | 3x3/2 max pool
})

# %%
v1 = build("inception_resnet_v1")
trace_shapes(v1, {
    "conv2d_2b_relu": (1, 147, 147, 64),
    "maxpool_3a": (1, 73, 73, 64),
    "conv2d_3b_relu": (1, 73, 73, 80),     # 1x1
    "conv2d_4a_relu": (1, 71, 71, 192),    # 3x3 V
    "conv2d_4b_relu": (1, 35, 35, 256),    # 3x3/2 V
})

# %% [markdown]
# ### The blocks
#
# Every block keeps its grid and width; the widths of the
# Inception-ResNet blocks' branches (the filter expansion is the
# residual's last 1x1 convolution, linear, back to the input width):
#
# | block | Inception-v4 (concatenated) | Inception-ResNet-v1 (residual) | Inception-ResNet-v2 (residual) |
# |---|---|---|---|
# | A, 35x35 | 1x1 96 / 1x1 64-3x3 96 / 1x1 64-3x3 96-3x3 96 / avg pool-1x1 96 | 1x1 32 / 1x1 32-3x3 32 / 1x1 32-3x3 32-3x3 32, expansion to 256 | 1x1 32 / 1x1 32-3x3 32 / 1x1 32-3x3 48-3x3 64, expansion to 320 |
# | B, 17x17 | 1x1 384 / 1x1 192-1x7 224-7x1 256 / 1x1 192-7x1 192-1x7 224-7x1 224-1x7 256 / avg pool-1x1 128 | 1x1 128 / 1x1 128-1x7 128-7x1 128, expansion to 896 | 1x1 192 / 1x1 128-1x7 160-7x1 192, expansion to 1088 |
# | C, 8x8 | 1x1 256 / 1x1 384-(1x3 256, 3x1 256) / 1x1 384-3x1 448-1x3 512-(1x3 256, 3x1 256) / avg pool-1x1 256 | 1x1 192 / 1x1 192-1x3 192-3x1 192, expansion to 1792 | 1x1 192 / 1x1 192-1x3 224-3x1 256, expansion to 2080 |
#
# The ideas are Inception-v3's: a 5x5 is two 3x3s (A), an nxn is a 1xn
# and an nx1 (B), and at the coarsest grid the 1x3 and 3x1 sit side by
# side instead of in sequence (C), which widens the representation where
# it is smallest. The residual blocks are much narrower than the pure
# ones: a single addition replaces the concatenation of four wide
# branches.
#
# ### Representational bottlenecks and grid reduction
#
# Inception-v3's first design principle is to avoid representational
# bottlenecks: the size of the representation should shrink gently from
# input to output. Pooling first and then widening would squeeze the
# representation through a narrow point; widening first and then pooling
# costs several times more. The reduction blocks do both at once: a
# stride-2 convolution tower and a stride-2 pooling side by side,
# concatenated, so the grid halves while the width grows (Reduction-A
# adds n + m channels to the pooled input). The activations per image,
# height x width x channels, at each grid, from the models' real shapes:

# %%
# NBVAL_CHECK_OUTPUT
v2 = build("inception_resnet_v2")
ends = {
    "inception_v4": (v4, ["mixed_5a", "mixed_5e", "mixed_6a", "mixed_6h", "mixed_7a", "mixed_7d"]),
    "inception_resnet_v1": (v1, ["conv2d_4b_relu", "block35_5_ac", "mixed_6a", "block17_10_ac", "mixed_7a", "block8_5_add"]),
    "inception_resnet_v2": (v2, ["mixed_5b", "block35_10_ac", "mixed_6a", "block17_20_ac", "mixed_7a", "block8_10_add"]),
}
print(f"{'':<20} {'stem out':>17} {'35x35 out':>17} {'Red.-A out':>17} {'17x17 out':>17} {'Red.-B out':>17} {'8x8 out':>17}")
for label, (model, layers) in ends.items():
    shapes = [model.get_layer(n).output.shape[1:] for n in layers]
    cells = [f"{'x'.join(map(str, s))}={np.prod(s) // 1000}k" for s in shapes]
    print(f"{label:<20} " + " ".join(f"{c:>17}" for c in cells))
    sizes = [int(np.prod(s)) for s in shapes]
    print(f"{'':<20} reductions shrink it {sizes[1] / sizes[2]:.2f}x (A) and {sizes[3] / sizes[4]:.2f}x (B)")
    assert sizes[1] > sizes[2] > sizes[4] and sizes[2] == sizes[3]

# %% [markdown]
# Reduction-A shrinks the representation by 1.2x to 1.6x and Reduction-B
# by 2.3x to 3.0x (the factors printed above), while the blocks in
# between keep it constant: the grid area falls by about 4x at each
# reduction, and the added channels make up most of it. The remaining
# stages traced with a random image, for all three networks:

# %%
trace_shapes(v4, {
    "mixed_5e": (1, 35, 35, 384),     # after 4 x Inception-A
    "mixed_6a": (1, 17, 17, 1024),    # Reduction-A: 384 (n) + 256 (m) + 384 (pool)
    "mixed_6h": (1, 17, 17, 1024),    # after 7 x Inception-B
    "mixed_7a": (1, 8, 8, 1536),      # Reduction-B: 192 + 320 + 1024 (pool)
    "mixed_7d": (1, 8, 8, 1536),      # after 3 x Inception-C
    "avg_pool": (1, 1536), "predictions": (1, 1000),
})

# %%
trace_shapes(v1, {
    "block35_5_ac": (1, 35, 35, 256),     # after 5 x Inception-ResNet-A
    "mixed_6a": (1, 17, 17, 896),         # Reduction-A: 384 (n) + 256 (m) + 256 (pool)
    "block17_10_ac": (1, 17, 17, 896),    # after 10 x Inception-ResNet-B
    "mixed_7a": (1, 8, 8, 1792),          # Reduction-B: 384 + 256 + 256 + 896 (pool)
    "block8_5_add": (1, 8, 8, 1792),      # after 5 x Inception-ResNet-C (the last without ReLU)
    "avg_pool": (1, 1792), "predictions": (1, 1000),
})

# %%
trace_shapes(v2, {
    "maxpool_5a": (1, 35, 35, 192),       # Inception-v3's stem
    "mixed_5b": (1, 35, 35, 320),         # an Inception-v3 35x35 block: 96 + 64 + 96 + 64
    "block35_10_ac": (1, 35, 35, 320),    # after 10 x Inception-ResNet-A
    "mixed_6a": (1, 17, 17, 1088),        # Reduction-A: 384 (n) + 384 (m) + 320 (pool)
    "block17_20_ac": (1, 17, 17, 1088),   # after 20 x Inception-ResNet-B
    "mixed_7a": (1, 8, 8, 2080),          # Reduction-B: 384 + 288 + 320 + 1088 (pool)
    "block8_10_add": (1, 8, 8, 2080),     # after 10 x Inception-ResNet-C
    "conv_7b_relu": (1, 8, 8, 1536),
    "avg_pool": (1, 1536), "predictions": (1, 1000),
})


# %% [markdown]
# ### Inception-ResNet-v2: the paper against keras.applications
#
# `inception_resnet_v2` reproduces keras.applications' `InceptionResNetV2`
# exactly (the same weights in the same order; the tests transfer them
# and compare outputs, and load a keras.applications-format weight
# file). That model is the authors' TF-slim release, which differs from
# the paper's figures:
#
# | | paper | keras.applications / TF-slim |
# |---|---|---|
# | stem | Figure 3 (Inception-v4's), 35x35x384 | Inception-v3's stem to 35x35x192, then an Inception-v3 35x35 block, 35x35x320 |
# | blocks A, B, C | 5, 10, 5 (Figure 15) | 10, 20, 10 |
# | filter expansions | 384, 1154, 2048 (Figures 16, 17, 19) | 320, 1088, 2080: the widths the stem and reductions actually produce |
# | after the last C block | average pooling | the last block unscaled and without ReLU, then a 1x1 convolution to 1536 |
# | residual scales | "between 0.1 and 0.3" | 0.17 (A), 0.1 (B), 0.2 (C) |
# | dropout before the classifier | keep 0.8 | none |
#
# The figures do not add up on their own: Reduction-A with k, l, m, n =
# 256, 256, 384, 384 on the 384 channels of Figure 3's stem gives 1152
# channels, not Figure 17's 1154, and Reduction-B (Figure 18) on those
# gives 2144, not Figure 19's 2048. The released model is the one that
# was trained, so keras.applications follows it, and so does this
# package. Dropout here defaults to the paper's 0.2 rate; a Dropout
# layer has no weights, so keras.applications' weights still load.
# `inception_resnet_v1`, which keras.applications does not have, is
# built from the paper's figures, with the release's scales 0.17, 0.1,
# 0.2 and its unscaled, linear last block.

# %% [markdown]
# ## 3. Why residual connections help: gradients at initialisation
#
# The paper's evidence that residual connections speed up training is
# its training curves (Figures 21 to 26), which take weeks of GPU time.
# One cause is visible before training starts. In a deep stack of
# conv-BatchNorm-ReLU layers without shortcuts, BatchNorm in training
# mode makes the gradient grow layer by layer on its way back to the
# input (Yang et al., "A mean field theory of batch normalization",
# 2019), so the first layers receive updates far larger, relative to
# their weights, than the last. A residual connection gives the gradient
# a path around every block. Below, for every convolution kernel $W$ of
# the three untrained networks (BatchNorm in training mode, two random
# 299x299 images, the cross-entropy loss), the ratio
# $\lVert \partial L / \partial W \rVert / \lVert W \rVert$ from the
# input side to the output side:

# %%
def gradient_ratios(model, batch=2):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(batch, 299, 299, 3)).astype("float32")
    # Every convolution kernel, input side first; the classifier is left out.
    kernels = [w for w in model.trainable_weights if w.path.endswith("kernel")][:-1]
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(np.arange(batch), probs))
    grads = tape.gradient(loss, kernels)
    return np.array([float(tf.norm(g) / tf.norm(w)) for g, w in zip(grads, kernels)])

ratios = {"inception_v4": gradient_ratios(v4), "inception_resnet_v1": gradient_ratios(v1),
          "inception_resnet_v2": gradient_ratios(v2)}
spread = {}
print(f"{'model':<20} {'convs':>5} {'first conv':>10} {'first tenth':>11} {'last tenth':>10} {'spread':>8}")
for label, r in ratios.items():
    tenth = len(r) // 10
    spread[label] = np.median(r[:tenth]) / np.median(r[-tenth:])
    print(f"{label:<20} {len(r):>5} {r[0]:>10.3g} {np.median(r[:tenth]):>11.3g} "
          f"{np.median(r[-tenth:]):>10.3g} {spread[label]:>7.0f}x")
assert spread["inception_v4"] > 100 * max(spread["inception_resnet_v1"], spread["inception_resnet_v2"])

fig, ax = plt.subplots(figsize=(6, 3.5))
for label, r in ratios.items():
    ax.semilogy(np.linspace(0, 1, len(r)), r, lw=1, label=label)
ax.set_xlabel("position of the convolution (0 = input side, 1 = output side)")
ax.set_ylabel("|dL/dW| / |W|")
ax.set_title("Relative gradient size per layer, untrained networks")
ax.legend()
plt.show()

# %% [markdown]
# ("spread": the median ratio of the first tenth of the convolutions over
# that of the last tenth.) In Inception-v4 the relative gradient falls by
# more than three orders of magnitude from the input side to the output
# side (a spread of about 3,800x in the stored run); in both
# Inception-ResNets it stays within a factor of about 4 to 7. With one learning
# rate for every layer, plain SGD on Inception-v4 has to choose between
# steps that are far too large for the first layers and far too small
# for the last; the residual networks do not face that choice. RMSProp,
# which the paper trained with, divides each parameter's step by its
# recent gradient size and so copes with much of the spread, which is
# one reason Inception-v4 still trains well. This is a measurement at
# initialisation, not a reproduction of the paper's training curves.
#
# ## 4. Why residual scaling stabilises wide Inception-ResNets
#
# A residual block computes $x_{k+1} = \mathrm{ReLU}(x_k + s\,F_k(x_k))$.
# With $s = 1$ each block adds a residual whose size is set by a wide 1x1
# expansion (1088 outputs reading 384 inputs in a v2 B block), and twenty
# such blocks are stacked at 17x17. The paper could not train such
# networks without scaling; on a CPU we cannot reproduce tens of
# thousands of iterations, but the starting point already shows the
# difference. Twenty Inception-ResNet-v2 B blocks (the real
# `inception_resnet_block` with the real widths, BatchNorm in training
# mode, the same initial weights for every scale) on a batch of ReLU
# activations, for $s$ = 1.0, 0.3 and 0.1:

# %%
BLOCK_B = inception_resnet.CONFIGS["v2"]["block_b"]

def residual_stack(scale, blocks=20, grid=6, width=1088):
    keras.utils.set_random_seed(0)   # the same weights for every scale
    inputs = keras.Input((grid, grid, width))
    x, trunk = inputs, []
    for i in range(blocks):
        x = inception_resnet.inception_resnet_block(x, BLOCK_B, scale, f"b{i}")
        trunk.append(x)
    return keras.Model(inputs, trunk)

rng = np.random.default_rng(0)
x0 = tf.constant(np.maximum(rng.normal(size=(8, 6, 6, 1088)), 0), "float32")
probe = tf.constant(rng.normal(size=(8, 6, 6, 1088)), "float32")

def rms(t):
    return float(tf.sqrt(tf.reduce_mean(tf.square(t))))

growth = {}
print("scale  trunk RMS after 20 blocks  mean change per block  input-gradient gain")
for scale in (1.0, 0.3, 0.1):
    stack = residual_stack(scale)
    with tf.GradientTape() as tape:
        tape.watch(x0)
        trunk = stack(x0, training=True)
        loss = tf.reduce_sum(trunk[-1] * probe)
    gain = rms(tape.gradient(loss, x0)) / rms(probe)
    states = [x0, *trunk]
    change = np.mean([rms(b - a) / rms(a) for a, b in zip(states, states[1:])])
    growth[scale] = [rms(t) / rms(x0) for t in trunk]
    print(f"{scale:>5}  {growth[scale][-1]:>22.2f}x  {change:>20.1%}  {gain:>18.2f}x")
assert growth[1.0][-1] > 2 * growth[0.1][-1] and growth[0.1][-1] < 1.2

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for scale, values in growth.items():
    ax.plot(range(1, 21), values, marker="o", ms=3, label=f"scale {scale}")
ax.set_xlabel("Inception-ResNet-B blocks stacked")
ax.set_ylabel("trunk RMS / input RMS")
ax.set_title("Activation growth at initialisation")
ax.legend()
plt.show()

# %% [markdown]
# In the stored run, with $s = 1$ each block changes the trunk by about a
# third of its size, the changes compound (the trunk ends 3.1 times
# larger than its input) and the gradient that reaches the input is 15
# times the one at the output. With $s = 0.3$ the figures are 17%, 1.35x
# and 1.4x; with $s = 0.1$, 7%, 1.04x and 0.78x. Scaled blocks start
# close to the identity, the trunk keeps its input's scale, and the
# gradient passes through the stack without being amplified; the
# residual branches then grow into their role during training. This is the same argument as He et al.'s warm-up for very
# deep ResNets, which the paper cites (Section 3.3), made permanent in
# the architecture. What the paper observed, units that "died" after
# tens of thousands of iterations, is a consequence of the training
# dynamics that this measurement at initialisation only motivates; the
# paper's evidence is empirical, and it notes that lowering the
# learning rate did not fix it while scaling did.
#
# ## 5. The implementation
#
# The builders are in `convnets_tf/models/inception_v4.py` and
# `convnets_tf/models/inception_resnet.py`, on blocks shared with
# Inception v3 in `convnets_tf/models/inception_common.py`. Every
# convolution is its `conv_bn`: `conv_bn_act` from `convnets_tf.layers`
# with BatchNorm's scale (gamma) left out and epsilon 1e-3, the convention
# of the authors' TF-slim code and of keras.applications'
# InceptionResNetV2 (a ReLU follows, so a positive gamma could be folded
# into the next convolution). A branch is a chain of such units:

# %%
print(inspect.getsource(inception_common.conv_bn))
print(inspect.getsource(inception_common.conv_chain))

# %% [markdown]
# **The Inception-v4 stem and blocks** (Figures 3 to 8). `stem_base`, the
# first three convolutions, is shared with both Inception-ResNet stems;
# `reduction_a`, parametrised by Table 1's k, l, m, n, is shared by all
# three networks (both are in `inception_common.py`, with `pool_branch`,
# the pooling branch of the A, B and C blocks). Where the figures and the released TF-slim code order a
# 1xn and an nx1 convolution differently, the code's order is used
# (the one timm's port of the released weights has); the parameter counts
# are the same.

# %%
for block in (inception_v4.stem, inception_v4.inception_a, inception_v4.inception_c,
              inception_common.reduction_a, inception_v4.reduction_b):
    print(inspect.getsource(block))

# %% [markdown]
# **The Inception-ResNet block**, one function for the A, B and C blocks
# of both versions: the branches (as `conv_chain` specs), their
# concatenation, the linear 1x1 filter expansion with a bias and without
# BatchNorm (Section 3.2: no BatchNorm on top of the summations), the
# scaling (a `Rescaling` layer, left out when the scale is 1) and the
# addition. The layer names are keras.applications' (`block35_1_mixed`,
# `block35_1_conv`, `block35_1_ac`).

# %%
print(inspect.getsource(inception_resnet.inception_resnet_block))

# %% [markdown]
# **v1 and v2 as data.** The two versions differ in their stems, depths,
# branch widths and reductions; everything else is the same code:

# %%
print(inspect.getsource(inception_resnet.stem_v1))
print(inspect.getsource(inception_resnet.stem_v2))
for version, config in inception_resnet.CONFIGS.items():
    print(version, {k: v for k, v in config.items() if k != "stem"})

# %%
print(inspect.getsource(inception_resnet.inception_resnet))


# %% [markdown]
# ## 6. Verification
#
# Parameter counts at the default arguments (299x299x3, 1000 classes).
# The references:
#
# * `inception_resnet_v2`: keras.applications' `InceptionResNetV2`,
#   55,873,736 parameters in Keras' `count_params()` (trainable plus
#   BatchNorm's moving means and variances). The test suite also builds
#   it, transfers its weights and compares outputs.
# * `inception_v4`: timm's `inception_v4`, a port of the authors'
#   TF-slim release, has 42,679,816 parameters; PyTorch's BatchNorm has a
#   gamma per channel, which TF-slim and this package leave out. So the
#   reference is 42,679,816 less one parameter per BatchNorm channel.
# * `inception_resnet_v1`: no released implementation publishes a count
#   (keras.applications, timm and TF-slim have no v1), so the reference
#   is computed by hand from the paper's figures, unit by unit, in
#   `tests/test_inception_v4_resnet.py`; the same derivation reproduces
#   the two counts above.

# %%
# NBVAL_CHECK_OUTPUT
def bn_channels(model):
    return sum(layer.beta.shape[0] for layer in model.layers
               if isinstance(layer, keras.layers.BatchNormalization))

print(f"{'model':<20} {'trainable':>11} {'total':>11} {'BN channels':>11}")
for label, model in [("inception_v4", v4), ("inception_resnet_v1", v1),
                     ("inception_resnet_v2", v2)]:
    print(f"{label:<20} {count_params(model).trainable:>11,} {model.count_params():>11,} "
          f"{bn_channels(model):>11,}")

# keras.applications InceptionResNetV2, total parameters
assert v2.count_params() == 55_873_736
# timm inception_v4 = our trainable + a gamma per BatchNorm channel
assert count_params(v4).trainable + bn_channels(v4) == 42_679_816
# derived from the paper's figures (tests/test_inception_v4_resnet.py)
assert count_params(v1).trainable == 22_742_808

# %% [markdown]
# Where the parameters are, per stage (the head is conv_7b, where there
# is one, and the classifier). In all three networks most of them sit in
# the 17x17 and 8x8 stages, where the blocks are widest:

# %%
# NBVAL_CHECK_OUTPUT
# model.layers is in topological order, and every layer of a stage lies
# between the previous stage's last layer and its own.
stages = ["stem", "35x35", "Red.-A", "17x17", "Red.-B", "8x8", "head"]
print(f"{'model':<20} " + " ".join(f"{s:>8}" for s in stages))
for label, (model, stage_ends) in ends.items():
    names = [layer.name for layer in model.layers]
    bounds = [0] + [names.index(n) + 1 for n in stage_ends] + [len(names)]
    counts = [sum(count_params(layer).trainable for layer in model.layers[a:b])
              for a, b in zip(bounds, bounds[1:])]
    assert sum(counts) == count_params(model).trainable
    print(f"{label:<20} " + " ".join(f"{c / 1e6:>7.2f}M" for c in counts))

# %% [markdown]
# ## 7. Experiment: do the shortcuts make Inception train faster?
#
# **The claim** (section 3.2, Figures 21-26): Inception networks with
# residual connections train faster than Inception networks of similar
# cost without them; the final accuracy depends mostly on the model's
# size.
#
# **The comparison.** The paper's networks are built at 75x75 at least
# and take seconds per step on this 2-core CPU, so the experiment uses a
# miniature from the same blocks: `inception_resnet_cifar`, a 3x3 stem
# and three stages of two blocks with Inception-ResNet-v1's A branches
# (1x1; 1x1-3x3; 1x1-3x3-3x3) at 64, 128 and 256 channels, joined by
# Reduction-A. Its control, `shortcut=False`, has the same layers and
# weights without the additions: each block is then a plain Inception
# block whose linear 1x1 projection feeds the next. The random seed is
# reset before each is built, so the two start from the same weights.
# The residuals are not scaled: the paper scaled them only beyond about
# 1,000 filters (section 3.3; section 4 of this notebook), and the widest
# stage here has 256.
#
# **The recipe** is the shared one of `convnets_tf.train`, with AdamW, its
# adaptive optimiser, as in the GoogLeNet and Inception-v3 notebooks
# (the paper's RMSProp is adaptive too; it is not in the recipe):
#
# | | paper (Section 4) | here |
# |---|---|---|
# | optimiser | RMSProp, decay 0.9, epsilon 1.0 | AdamW (the recipe's) |
# | learning rate | 0.045, times 0.94 every two epochs | 1e-3 peak, a one-epoch linear warmup, then cosine decay to 0 |
# | weight decay | not stated in the paper | 0.05, decoupled, not on biases and BatchNorm |
# | evaluation | running average of the parameters | the last weights |
# | input | 299x299 ImageNet crops | CIFAR-10 32x32, 4-pixel-padded crops and flips |
# | loss | softmax cross-entropy | cross-entropy with label smoothing 0.1 |
#
# **The budget.** 70 to 90 images a second for either network here (the
# stored epochs): the first 10,000 of the 50,000 training images for 4
# epochs (312 steps), 9 to 10 minutes per network. With a GPU or TPU the same cell trains both
# on all training images for 30 epochs.
# Recipe, strategy, precision, run sizes, resuming and Colab: [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train) in the
# README.

# %%
from convnets_tf.analysis import cost_lines
from convnets_tf.data import load_cifar
from convnets_tf.models.inception_resnet import inception_resnet_cifar
from convnets_tf.notebook import error_summary, plan_run, train_arms
from convnets_tf.plots import plot_error_curves
from convnets_tf.train import describe_run, get_strategy

plan = plan_run(
    cpu=dict(train_images=10_000, test_images=None, epochs=4, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")
del v4, v1, v2   # free the ImageNet-sized models before training
ARMS = {
    "residual": lambda: inception_resnet_cifar(name="inception_resnet_cifar"),
    "plain": lambda: inception_resnet_cifar(shortcut=False, name="inception_cifar_plain"),
}
print(cost_lines({label: build_model() for label, build_model in ARMS.items()}))

# %%
RESULTS = train_arms(ARMS, data, plan, "07-inception-v4-resnet", out_prefix="inception_cifar_",
                     strategy=strategy, optimizer="adamw", warmup_epochs=1)

# %%
fig = plot_error_curves(RESULTS)
plt.show()
print(error_summary(RESULTS))
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 8. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# the two networks trained one after another on a 2-core CPU, in
# float32, on the first 10,000 of the 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) with
# the 2,000 test images, 4 epochs of batch 128 (312 steps), as the `Run:`
# line says. Both have 749,898 parameters and 106M multiply-adds.
#
# | | with shortcuts | without |
# |---|---|---|
# | training error after epochs 1-4 | 0.725, 0.553, 0.465, **0.392** | 0.784, 0.618, 0.523, **0.464** |
# | test accuracy after epochs 1-4 | 0.194, 0.217, 0.327, **0.455** | 0.100, 0.138, 0.224, **0.315** |
#
# * **The residual network trains faster**, as the paper found for its
#   full-size networks: its training error is 0.06-0.07 lower after every
#   epoch, and the plain network's error after 4 epochs (0.464) is
#   about where the residual one was after 3 (0.465). Its test accuracy
#   ends 14 points higher (the standard error of the difference is about
#   0.015).
# * **The test accuracies lag the training accuracies** in both runs,
#   most in the first epochs (the plain network tests at chance after
#   its first): evaluation uses BatchNorm's moving statistics, which
#   trail weights that change quickly in so short a run
#   (`train_cifar(..., bn_reestimate=...)` recomputes them after
#   training; these runs did not).
# * **What this does not show:** the paper's other finding, that the
#   final accuracy at equal cost ends about the same with or without
#   shortcuts (that needs runs to convergence), nor anything about
#   residual scaling, which the paper needed only for blocks far wider
#   than these (section 4 computes why).
#
# **The paper's networks were not trained here.** To train
# Inception-ResNet-v1 on all training images, on a GPU:
#
# ```
# python -m convnets_tf train inception_resnet_v1 --dataset cifar10 --image-size 75 --optimizer adamw --epochs 30 --batch-size 128 --out runs/inception_resnet_v1
# python -m convnets_tf evaluate runs/inception_resnet_v1/model.keras
# ```
#
# The command line uses the recipe's default warmup, a tenth of the run
# (3 epochs of 30); `evaluate` resizes the test images to the model's
# input size. Opened in Colab with a GPU runtime, this notebook trains the
# miniature pair on all training images for 30 epochs.
#
# ## 9. Takeaways
#
# * Residual connections are not what makes a deep Inception network
#   trainable (Inception-v4 trains fine without them), but they make it
#   train much faster; at equal cost the hybrid and the pure network end
#   at about the same accuracy (Table 2).
# * Inception-v4 is Inception-v3's ideas applied uniformly: one block type
#   per grid size, dedicated reduction blocks, factorised and asymmetric
#   convolutions, and grid reductions that never squeeze the
#   representation.
# * An Inception-ResNet block needs a linear 1x1 filter expansion to
#   match the input's width before the addition; BatchNorm is left off
#   the summations to save memory.
# * Very wide residual blocks need their residuals scaled (0.1 to 0.3)
#   to train stably: each block then starts close to the identity. The
#   idea returns in later networks as small initial residual gains
#   (Fixup, SkipInit, LayerScale in CaiT and ConvNeXt).
# * The released Inception-ResNet-v2, the one keras.applications ships,
#   is not the network of the paper's figures: a different stem, twice
#   the blocks, and consistent widths.
#
# ## References
#
# * C. Szegedy, S. Ioffe, V. Vanhoucke, A. A. Alemi. Inception-v4,
#   Inception-ResNet and the impact of residual connections on learning.
#   AAAI 2017. [arXiv:1602.07261](https://arxiv.org/abs/1602.07261)
# * C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. Rethinking
#   the Inception architecture for computer vision. CVPR 2016
#   (Inception-v3: the design principles and factorisations used here).
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image
#   recognition. CVPR 2016.
# * G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz.
#   A mean field theory of batch normalization. ICLR 2019 (gradient
#   explosion at initialisation in deep BatchNorm networks without
#   shortcuts).
# * TF-slim's `inception_v4.py` and `inception_resnet_v2.py` in
#   tensorflow/models (the authors' release), keras.applications'
#   `inception_resnet_v2.py`, and timm's `inception_v4.py`: the reference
#   implementations the counts are checked against.
# * Previous in the series: [06-inception-v3.ipynb](06-inception-v3.ipynb); next:
#   [08-resnet.ipynb](08-resnet.ipynb).
