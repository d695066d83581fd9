# %% [markdown]
# # ResNet v2 and Wide ResNet: identity mappings, and width against depth
#
# **Papers:**
# K. He, X. Zhang, S. Ren and J. Sun, "Identity mappings in deep residual
# networks", *European Conference on Computer Vision* (ECCV), 2016.
# [arXiv:1603.05027](https://arxiv.org/abs/1603.05027)
# S. Zagoruyko and N. Komodakis, "Wide residual networks", *British Machine
# Vision Conference* (BMVC), 2016.
# [arXiv:1605.07146](https://arxiv.org/abs/1605.07146)
#
# Two follow-ups to ResNet (notebook 08) that changed how residual networks
# are built. The first asks what makes the shortcut work and answers: it
# must be a clean identity, with nothing on it, not even the ReLU that the
# original block applies after the addition. Moving batch normalisation and
# the ReLU *before* each convolution ("pre-activation") makes the shortcuts
# of all blocks one uninterrupted path, and a 1001-layer network trains to
# 4.62% error on CIFAR-10. The second asks whether such depth is the best
# use of parameters, and finds that residual networks sixteen to
# twenty-eight layers deep but several times wider are more accurate and
# faster to train. This notebook follows both arguments with equations and
# numbers computed in cells, builds the networks, checks them against
# keras.applications and the papers, and tests the second claim on
# CIFAR-10: a thin 40-layer network against a twice-as-wide 16-layer one
# with about as many parameters.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/09-resnet-v2-and-wide-resnet.ipynb)

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
from convnets_tf.models import resnet

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. Identity mappings (He et al. 2016)
#
# ### The argument
#
# Write a residual block in general form, with a shortcut $h$ and a function
# $f$ applied after the addition:
#
# $$y_l = h(x_l) + \mathcal{F}(x_l, \mathcal{W}_l), \qquad x_{l+1} = f(y_l).$$
#
# In the original ResNet $h$ is the identity and $f$ is a ReLU. If *both*
# are identities,
#
# $$x_{l+1} = x_l + \mathcal{F}(x_l, \mathcal{W}_l),$$
#
# and unrolling from any shallower block $l$ to any deeper block $L$ gives
#
# $$x_L = x_l + \sum_{i=l}^{L-1} \mathcal{F}(x_i, \mathcal{W}_i).$$
#
# The feature of a deep block is the feature of a shallow block *plus* a sum
# of residuals; in a plain network it is a *product* of matrices (ignoring
# BN and ReLU). Differentiating a loss $\mathcal{E}$ by the chain rule,
#
# $$\frac{\partial \mathcal{E}}{\partial x_l}
#   = \frac{\partial \mathcal{E}}{\partial x_L}
#     \Big(1 + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} \mathcal{F}(x_i, \mathcal{W}_i)\Big).$$
#
# The term $\partial\mathcal{E}/\partial x_L$ reaches every shallower block
# directly, through no weight layer, and the bracket is unlikely to be
# exactly $-1$ for all samples of a mini-batch: the gradient of a block does
# not vanish even when the weights are arbitrarily small.
#
# The identity matters. With a scaled shortcut $h(x_l) = \lambda_l x_l$
# (folding the scalars into the residual functions $\hat{\mathcal{F}}$)
# the same unrolling gives
#
# $$x_L = \Big(\prod_{i=l}^{L-1} \lambda_i\Big) x_l + \sum_{i=l}^{L-1} \hat{\mathcal{F}}(x_i, \mathcal{W}_i),
#   \qquad
#   \frac{\partial \mathcal{E}}{\partial x_l}
#   = \frac{\partial \mathcal{E}}{\partial x_L}
#     \Big(\prod_{i=l}^{L-1} \lambda_i + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} \hat{\mathcal{F}}(x_i, \mathcal{W}_i)\Big).$$
#
# For $\lambda_i > 1$ the product grows exponentially with depth, for
# $\lambda_i < 1$ it vanishes exponentially, and the direct path is gone;
# gating, 1x1 convolutions or dropout on the shortcut similarly multiply it.
# The paper tried each on a 110-layer ResNet on CIFAR-10 (its Table 1): all
# of them trained worse than the identity, some failed to converge.

# %% [markdown]
# **The product term alone.** Without the residual branches, a shortcut
# scaled by 0.5 shrinks a signal and its gradient by $0.5^{L}$ over $L$
# blocks; the identity keeps them exactly:

# %%
# NBVAL_CHECK_OUTPUT
for blocks in (10, 50, 100):
    print(f"{blocks:>3} blocks: identity 1.0^L = {1.0 ** blocks:.1f}, scaled 0.5^L = {0.5 ** blocks:.1e}")


# %% [markdown]
# **Whole blocks, measured.** The branches change the picture, so here they
# are, at initialisation: 256 random inputs of 64 features go through
# $L$ blocks whose branch is BN-ReLU-dense-BN-ReLU-dense with He-initialised
# weights, BatchNorm using the batch's statistics as it does during training
# (a dense toy with the structure of the paper's blocks, not a trained
# network). For each kind of block the cell prints how much the forward
# signal's standard deviation and the gradient's norm change between block
# $L$ and the input: the gradient is that of $\mathcal{E} = \sum x_L \cdot r$
# for a fixed random $r$, so $\partial\mathcal{E}/\partial x_L = r$.
#
# * *pre-activation*: $x_{l+1} = x_l + \mathcal{F}(x_l)$, the v2 block;
# * *scaled shortcut*: $x_{l+1} = 0.5\,x_l + \mathcal{F}(x_l)$;
# * *original*: $x_{l+1} = \mathrm{ReLU}(x_l + \mathcal{G}(x_l))$, the v1 block,
#   whose branch is dense-BN-ReLU-dense-BN;
# * *plain*: $x_{l+1} = \mathcal{G}'(x_l)$, the same layers as the original
#   block with a ReLU at the end and no shortcut.

# %%
def batch_norm(x):   # training mode, no learned scale or shift
    mean, variance = tf.nn.moments(x, axes=[0])
    return (x - mean) / tf.sqrt(variance + 1e-5)

def propagate(kind, blocks, width=64, batch=256, seed=0):
    rng = np.random.default_rng(seed)

    def he():
        return tf.constant(rng.normal(scale=np.sqrt(2 / width), size=(width, width)), tf.float32)

    weights = [(he(), he()) for _ in range(blocks)]
    x0 = tf.constant(rng.normal(size=(batch, width)), tf.float32)
    r = tf.constant(rng.normal(size=(batch, width)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x0)
        x = x0
        for w1, w2 in weights:
            if kind in ("pre-activation", "scaled shortcut"):
                branch = tf.nn.relu(batch_norm(tf.nn.relu(batch_norm(x)) @ w1)) @ w2
                x = (1.0 if kind == "pre-activation" else 0.5) * x + branch
            else:
                branch = batch_norm(tf.nn.relu(batch_norm(x @ w1)) @ w2)
                x = tf.nn.relu(x + branch if kind == "original" else branch)
        loss = tf.reduce_sum(x * r)
    gradient = tape.gradient(loss, x0)
    return (float(tf.math.reduce_std(x) / tf.math.reduce_std(x0)),
            float(tf.norm(gradient) / tf.norm(r)))

DEPTHS = (1, 10, 30, 100)
print(f"{'block':<16}" + "".join(f"{f'L = {L}':>22}" for L in DEPTHS))
print(f"{'':<16}" + "".join(f"{'forward   gradient':>22}" for L in DEPTHS))
PROPAGATION = {}
for kind in ("pre-activation", "scaled shortcut", "original", "plain"):
    PROPAGATION[kind] = [propagate(kind, L) for L in DEPTHS]
    print(f"{kind:<16}" + "".join(f"{f'{s:8.2f} {g:12.3g}':>22}" for s, g in PROPAGATION[kind]))
# What the text below relies on, for this seed:
assert all(g < 1e3 for _, g in PROPAGATION["pre-activation"])
assert PROPAGATION["scaled shortcut"][-1][1] > 1e6 and PROPAGATION["plain"][-1][1] > 1e6


# %% [markdown]
# With identity shortcuts (pre-activation) the signal and its gradient
# grow with depth, but slowly: after 100 blocks the signal's standard
# deviation is 9.62 times the input's (about the square root of the
# number of blocks, since each block adds a normalised residual that is
# roughly independent of the others) and the gradient's norm 76.5 times
# $\partial\mathcal{E}/\partial x_L$'s, roughly in proportion to the
# number of blocks. Nothing vanishes and nothing explodes, as the
# unrolled sum predicts. The original block, whose ReLU after the
# addition is the only thing on its path, behaves much the same at
# initialisation (159 at 100 blocks); the paper sees its difficulty only
# at 1001 layers, during training (below). Without a clean identity the
# gradient grows exponentially while the forward signal stays of order
# one: 1.25e13 times after 100 blocks with the 0.5-scaled shortcut, 2.75e16
# for the plain stack. The scaled shortcut's direct term, $0.5^{100}$, has
# vanished, and what is left is the product of the branches' Jacobians,
# which BatchNorm keeps from vanishing but not from exploding
# (batch-normalised plain networks are known to have exploding gradients at
# initialisation; Yang et al. 2019). Only the identity keeps a path with
# nothing on it.

# %% [markdown]
# ### Where to put the activation (Section 4, Figure 4)
#
# The addition is followed by a ReLU in the original block, so $f$ is not
# the identity. The paper tries five arrangements of BN and ReLU on
# ResNet-110 for CIFAR-10: (a) original; (b) BN after the addition;
# (c) ReLU moved before the addition; (d) ReLU-only pre-activation;
# (e) full pre-activation, BN and ReLU before each convolution. Putting BN
# on the shortcut (b) hampers propagation and is the worst; (c) makes the
# branch output non-negative, so it can only increase the signal. The
# fix is to see the activations as *pre-activations of the next weight
# layer*: (e) has an identity $f$ and an identity $h$, and was the best,
# 6.37% test error against 6.61% for the original ResNet-110 (Table 2). At
# 1001 layers the gap widens, 4.92% against 7.61% (Table 3), and the
# training curves show the reason the paper gives: the original 1001-layer
# network's training loss falls slowly at first, because the ReLU after
# each addition truncates negative signals, while the pre-activation
# network optimises easily. The paper names a second benefit: every
# weight layer now sees normalised inputs, which reduces overfitting
# (higher training loss but lower test error).
#
# Pre-activation needs two small adjustments at the ends of the network
# (the paper's appendix): the first block's BN-ReLU acts as the stem
# convolution's activation, and an extra BN-ReLU follows the last block's
# addition, which nothing else would activate.

# %% [markdown]
# ## 2. The pre-activation networks
#
# ### ImageNet: keras.applications' ResNet50V2/101V2/152V2
#
# `resnet_v2` builds the network keras.applications ships as ResNetV2, with
# its weights, names and quirks, so its weight files load: the stages and
# bottleneck widths of Table 1 of the ResNet paper, full pre-activation
# bottlenecks, BN-ReLU after the last block (`post_bn`), and, as in the
# TF-Slim models the weights come from, the stride in the **last** block of
# conv2_x, conv3_x and conv4_x (none in conv5_x) instead of the first. The
# resolutions at the stage boundaries are those of v1. Traced:

# %%
from convnets_tf.analysis import count_macs, count_params, trace_shapes

resnet50_v2 = build("resnet50_v2")
trace_shapes(resnet50_v2, {
    "conv1_conv": (1, 112, 112, 64), "pool1_pool": (1, 56, 56, 64),
    "conv2_block2_out": (1, 56, 56, 256), "conv2_block3_out": (1, 28, 28, 256),
    "conv3_block4_out": (1, 14, 14, 512), "conv4_block6_out": (1, 7, 7, 1024),
    "conv5_block3_out": (1, 7, 7, 2048), "post_relu": (1, 7, 7, 2048),
    "avg_pool": (1, 2048), "predictions": (1, 1000),
})

# %% [markdown]
# The block, as keras.applications has it: BN-ReLU first; the projection
# shortcut of a stage's first block reads the pre-activated input (both
# paths need normalised input there), while an identity shortcut reads the
# raw input, subsampled by a 1x1 max-pooling in the strided block. The 1x1
# convolutions keep biases, which the weights need.

# %%
print(inspect.getsource(resnet.preact_bottleneck_block))

# %% [markdown]
# ### CIFAR: pre-activation ResNet-18
#
# `preact_resnet18` is the pre-activation ResNet-18 commonly trained on
# CIFAR: Table 1's four stages of 64 to 512 filters with basic blocks, on a
# 3x3 stride-1 stem (Liu's pytorch-cifar), plus the final BN-ReLU the paper
# prescribes. Its block, shared with Wide ResNet below:

# %%
print(inspect.getsource(resnet.preact_basic_block))
trace_shapes(build("preact_resnet18"), {
    "conv1_conv": (1, 32, 32, 64), "conv2_block2_out": (1, 32, 32, 64),
    "conv3_block2_out": (1, 16, 16, 128), "conv4_block2_out": (1, 8, 8, 256),
    "conv5_block2_out": (1, 4, 4, 512), "post_relu": (1, 4, 4, 512), "predictions": (1, 10),
})

# %% [markdown]
# ### Verification
#
# ResNet50V2 against keras.applications: the same total number of
# parameters, the same layer names, and the same outputs once its weights
# are copied over (the package's tests do the same for ResNet101V2 and
# ResNet152V2). Then the CIFAR pre-activation ResNet-18 against the
# count of its usual PyTorch implementation. By default the builders start the last layer of every
# residual branch at zero (`zero_init_last`, below); copied weights
# replace that.

# %%
# NBVAL_CHECK_OUTPUT
theirs = keras.applications.ResNet50V2(weights=None)

def named(model):
    return [layer.name for layer in model.layers if layer.weights]

print(f"total parameters: ours {resnet50_v2.count_params():,}, keras.applications {theirs.count_params():,}")
print("same weighted layer names in the same order:", named(resnet50_v2) == named(theirs))
resnet50_v2.set_weights(theirs.get_weights())
x = np.random.default_rng(0).normal(size=(2, 224, 224, 3)).astype("float32")
difference = float(np.max(np.abs(resnet50_v2(x) - theirs(x))))
print("outputs agree to 1e-4:", difference < 1e-4)
assert resnet50_v2.count_params() == theirs.count_params() == 25_613_800
assert named(resnet50_v2) == named(theirs) and difference < 1e-4
del theirs, resnet50_v2


# %%
# NBVAL_CHECK_OUTPUT
# pytorch-cifar's PreActResNet18 has 11,171,146; the final BN adds 2 x 512.
count = count_params(build("preact_resnet18")).trainable
print(f"preact_resnet18 {count:>10,} trainable (pytorch-cifar 11,171,146 + 1,024)")
assert count == 11_171_146 + 1_024

# %% [markdown]
# **Zero-initialised branches.** `zero_init_last=True`, the default of every
# builder in this family except the paper-faithful CIFAR ResNets of
# notebook 08, starts the last BatchNorm scale (post-activation) or the
# last convolution (pre-activation) of each residual branch at zero, as
# timm does by default (Goyal et al. 2017). Each block then starts as its
# shortcut, and in a pre-activation network the whole stage is an exact
# identity at initialisation, negative values included:

# %%
# NBVAL_CHECK_OUTPUT
net = resnet.wide_resnet(depth=16, width=1)   # conv2: 16 channels, 2 identity blocks
probe = keras.Model(net.input, [net.get_layer(n).output for n in ("conv1_conv", "conv2_block2_out")])
x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
stem, stage = (np.asarray(t) for t in probe(x))
print("conv2 stage output == its input:", np.array_equal(stem, stage),
      "| negative values kept:", bool(stage.min() < 0))
assert np.array_equal(stem, stage) and stage.min() < 0


# %% [markdown]
# ## 3. Wide residual networks (Zagoruyko and Komodakis 2016)
#
# ### Width against depth
#
# The residual networks of the identity-mappings paper went to 1001 layers
# with thin blocks (16 to 64 channels on CIFAR). Zagoruyko and Komodakis
# argue that this depth is an inefficient use of parameters: with identity
# shortcuts a block *may* learn little or nothing ("diminishing feature
# reuse"), so that a few blocks do the useful work and the rest add
# computation, and each fraction of a percent of accuracy costs nearly
# doubling the number of layers. They make the blocks of a pre-activation ResNet $k$ times wider
# instead. Their CIFAR network WRN-$n$-$k$ (Table 1 of their paper):
#
# | group | output size | block type = B(3,3) |
# |---|---|---|
# | conv1 | 32x32 | [3x3, 16] |
# | conv2 | 32x32 | [3x3, 16k; 3x3, 16k] x N |
# | conv3 | 16x16 | [3x3, 32k; 3x3, 32k] x N |
# | conv4 | 8x8 | [3x3, 64k; 3x3, 64k] x N |
# | avg-pool | 1x1 | [8x8] |
#
# with $N = (n - 4)/6$ pre-activation basic blocks per group; $k = 1$ is the
# thin network of the identity-mappings paper. The arithmetic of width:
# a 3x3 convolution with $c$ inputs and $c$ outputs has $9c^2$ weights and
# $9c^2$ multiply-adds per output position, so widening by $k$ multiplies
# parameters and computation by $k^2$, while adding blocks adds them
# linearly. Wide layers are also what GPUs run efficiently: the
# computation is in fewer, larger convolutions rather than many small
# sequential ones.

# %%
# NBVAL_CHECK_OUTPUT
def wrn_params(depth, k, classes=10):
    """WRN-depth-k's trainable parameters, by hand."""
    n = (depth - 4) // 6
    widths = (16, 16 * k, 32 * k, 64 * k)
    total = 27 * 16                                   # stem
    for stage in range(3):
        c_in, c = widths[stage], widths[stage + 1]
        projection = c_in * c if stage > 0 or c_in != c else 0       # 1x1, no bias
        total += 2 * c_in + 9 * c_in * c + 2 * c + 9 * c * c + projection  # first block
        total += (n - 1) * (2 * c + 9 * c * c + 2 * c + 9 * c * c)       # the others
    return total + 2 * widths[-1] + widths[-1] * classes + classes   # final BN, classifier

PAPER = {(40, 4): "8.9M", (16, 8): "11.0M", (28, 10): "36.5M"}
print(f"{'network':<10} {'parameters':>12} {'multiply-adds':>15}  paper")
for depth, k in [(40, 1), (40, 2), (40, 4), (16, 8), (28, 10)]:
    model = resnet.wide_resnet(depth=depth, width=k)
    params, macs = count_params(model).trainable, count_macs(model)
    assert params == wrn_params(depth, k)
    print(f"WRN-{depth}-{k:<4} {params:>12,} {macs / 1e9:>13.2f} e9  {PAPER.get((depth, k), '')}")
    del model

# %% [markdown]
# Each doubling of the width multiplies parameters and multiply-adds by
# close to 4 (WRN-40-1, 40-2 and 40-4: 563,930, 2,243,546 and 8,949,210
# parameters; 0.08, 0.33 and 1.30 e9 multiply-adds), while depth adds them
# linearly. The counts agree with the paper's rounded figures where it
# gives them (8.9M, 11.0M and 36.5M). Width is not cheap: WRN-28-10 does
# 5.24e9 multiply-adds on a 32x32 image, more than ResNet-50 on a 224x224
# one (3.86e9, notebook 08). The paper's point is that it buys more
# accuracy per parameter and per hour of GPU time than depth does: in its
# abstract's words, "even a simple 16-layer-deep wide residual network
# outperforms in accuracy and efficiency all previous deep residual
# networks, including thousand-layer-deep networks".

# %% [markdown]
# ### Dropout between the convolutions
#
# Widening multiplies the parameters, so the paper adds regularisation
# inside the block: dropout between the two convolutions, after the
# second BN-ReLU (their Figure 1d), rather than on the shortcut, where the
# identity-mappings paper found it harmful. They use a rate of 0.3 on
# CIFAR; `wrn28_10` is registered with it. In the built block the dropout
# layer reads the ReLU and feeds the second convolution (the projection
# shortcut `conv3_block1_0_conv` reads the pre-activation and is left
# out of the listing); it is random in training and the identity at
# inference:

# %%
# NBVAL_CHECK_OUTPUT
# Keras' initialisers here: with a zero second convolution (the default
# zero_init_last) the dropout's effect would not reach the output yet.
wrn = resnet.wide_resnet(depth=10, width=2, dropout=0.3, zero_init_last=False)
branch = [layer.name for layer in wrn.layers
          if layer.name.startswith("conv3_block1_") and "_0_" not in layer.name]
print("residual branch:", " -> ".join(branch))
drop = wrn.get_layer("conv3_block1_drop")
assert drop.input is wrn.get_layer("conv3_block1_1_relu").output
assert wrn.get_layer("conv3_block1_2_conv").input is drop.output

x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
same_in_training = np.array_equal(wrn(x, training=True), wrn(x, training=True))
same_at_inference = np.array_equal(wrn(x, training=False), wrn(x, training=False))
print("two training-mode passes agree:", same_in_training, "| two inference passes agree:", same_at_inference)
assert not same_in_training and same_at_inference

# %% [markdown]
# The builder: the stem, three groups of `preact_basic_block`s `width`
# times wider than ResNet's, the final BN-ReLU, the head.

# %%
print(inspect.getsource(resnet._preact_cifar))
print(inspect.getsource(resnet.wide_resnet))

# %% [markdown]
# ### On ImageNet: Wide ResNet-50-2
#
# On ImageNet the paper widens the bottleneck's inner layers of ResNet-50
# by 2 ("WRN-50-2-bottleneck"); torchvision's `wide_resnet50_2` is this
# network, and here it is the ResNet builder with a bottleneck width of 128
# channels in conv2_x instead of 64 (and no conv biases, stride in the 3x3
# layer, as torchvision). The 1x1 layers grow by 2 and the 3x3 layer by 4:

# %%
# NBVAL_CHECK_OUTPUT
wide, thin = build("wide_resnet50_2"), build("resnet50", use_bias=False, stride_in_3x3=True)
for label, model in (("ResNet-50", thin), ("Wide ResNet-50-2", wide)):
    block = [tuple(model.get_layer(f"conv2_block2_{i}_conv").kernel.shape) for i in (1, 2, 3)]
    print(f"{label:<17} {count_params(model).trainable:>11,} trainable, "
          f"{count_macs(model) / 1e9:5.2f} e9 multiply-adds, conv2_block2 kernels {block}")
assert count_params(wide).trainable == 68_883_240 and count_params(thin).trainable == 25_557_032
del wide, thin

# %% [markdown]
# ## 4. How the networks train
#
# The recipe of the WRN paper and the package's shared one:
#
# | | paper | here |
# |---|---|---|
# | optimiser | SGD, Nesterov momentum 0.9, batch 128 | the same |
# | weight decay | 5e-4 | 5e-4 (decoupled; not on biases and BatchNorm) |
# | learning rate | 0.1, divided by 5 at epochs 60, 120 and 160, 200 epochs | 0.1 peak, linear warmup, cosine decay to 0 |
# | augmentation | horizontal flips, random crops of the image padded by 4 pixels (reflections) | the same, zero padding |
# | dropout | 0.3 in the dropout experiments | none: a short run underfits, and dropout would only slow it |
# | loss | cross-entropy | cross-entropy, label smoothing 0.1 |
#
# ## 5. Experiment: width against depth at about equal parameters
#
# **The claim.** Zagoruyko and Komodakis argue that, for the same number
# of parameters, a wider and shallower residual network trains better and
# faster than a thinner and deeper one: depth makes each added unit
# contribute less (diminishing feature reuse), while width is cheap on
# parallel hardware.
#
# **The comparison.** Two networks from the same builder, with the same
# pre-activation block, stem and classifier; only depth and width differ:
# WRN-40-1 (6 blocks per group, ResNet's widths 16-32-64) and WRN-16-2 (2
# blocks per group, twice as wide). The cell below prints their parameters
# and multiply-adds. Both train with the same data, seed, schedule and
# settings (the table above), no dropout.
#
# **The budget.** 210 to 260 images a second for either network on this
# 2-core CPU (the stored epochs): the first 20,000 of the 50,000 training
# images for 4 epochs (625 steps), about 6 minutes per network. On a GPU the same cell trains
# on all training images for 30 epochs.
# Recipe, strategy, precision, run sizes, resuming and Colab: [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train) in
# the README.

# %%
from convnets_tf.analysis import cost_lines
from convnets_tf.data import load_cifar
from convnets_tf.notebook import error_summary, plan_run, train_arms
from convnets_tf.plots import plot_error_curves
from convnets_tf.train import describe_run, get_strategy

plan = plan_run(
    cpu=dict(train_images=20_000, test_images=None, epochs=4, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)


def wrn(depth, width):
    return lambda: resnet.wide_resnet(depth=depth, width=width, name=f"wrn{depth}_{width}")

ARMS = {"wrn40_1": wrn(40, 1), "wrn16_2": wrn(16, 2)}
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")
print(cost_lines({label: build_model() for label, build_model in ARMS.items()}))

# %%
RESULTS = train_arms(ARMS, data, plan, "09-resnet-v2-and-wide-resnet", strategy=strategy,
                     learning_rate=0.1, weight_decay=5e-4)

# %%
fig = plot_error_curves(RESULTS)
plt.show()
print(error_summary(RESULTS))
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 6. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# the two networks trained one after another on a 2-core CPU, in float32,
# on the first 20,000 of the 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) with
# the 2,000 test images, 4 epochs of batch 128 each (625 steps), as the
# `Run:` line says.
#
# | | WRN-40-1 (thin, deep) | WRN-16-2 (wide, shallow) |
# |---|---|---|
# | parameters | 563,930 | 691,674 |
# | multiply-adds per image | 83M | 101M |
# | training error after epochs 1-4 | 0.653, 0.486, 0.397, **0.346** | 0.605, 0.425, 0.347, **0.304** |
# | test accuracy | 0.6685 | **0.680** |
# | training time (80,000 images) | 374 s | 337 s |
#
# * **The wide, shallow network trains better.** WRN-16-2's training
#   error is 0.04-0.06 below WRN-40-1's after every epoch. Its test
#   accuracy ends only 1.2 points higher, inside the standard error of
#   the difference of two accuracies on 2,000 test images (0.015). An
#   earlier run of the same cells (same data and seed, on a busier
#   machine) gave the same training errors to within 0.01 but test
#   accuracies of 0.645 and 0.678: at this budget the test accuracies
#   move by a few points from run to run, the training errors do not.
#   One run each, so this is evidence, not proof.
# * **It costs no more time here.** WRN-16-2 does 22% more
#   multiply-adds per image, yet it trained at 234-256 images a second
#   against WRN-40-1's 214-233 on this CPU, likely because fewer, wider
#   layers keep the cores busier (not profiled here). On a GPU the WRN
#   paper reports wide networks several times faster than thin ones of
#   similar accuracy.
# * **What this does not show:** the accuracies of the paper's 200-epoch
#   runs on all 50,000 images. After 625 steps both networks are far
#   from converged. And "about equal" parameters means 23% more for
#   WRN-16-2, which is part of the comparison; a thin network with
#   exactly as many parameters was not trained.
#
# **The paper's networks were not trained here.** To train WRN-28-10
# (with dropout 0.3) on all training images, on a GPU:
#
# ```
# python -m convnets_tf train wrn28_10 --dataset cifar10 --epochs 30 --batch-size 128 --lr 0.1 --out runs/wrn28_10
# python -m convnets_tf evaluate runs/wrn28_10/model.keras
# ```
#
# or open this notebook in Colab with a GPU runtime and run all cells.
#
# ## 7. Takeaways
#
# * The shortcut should be a clean identity. Then every block's output is
#   a shallower block's output plus a sum of residuals, and the gradient
#   reaches every block through a path with no weights on it; scaling,
#   gating or convolving the shortcut multiplies that path.
# * Pre-activation (BN and ReLU before each convolution) removes the last
#   thing on the path, the ReLU after the addition. It mattered most for
#   the deepest networks (1001 layers on CIFAR-10) and is the block of
#   most later residual networks (and of BiT, notebook 11).
# * Depth is not the only or the cheapest lever: widening a residual
#   network multiplies its parameters and computation by the square of the
#   factor, but a 16- to 28-layer wide network beat thousand-layer thin
#   ones in the WRN paper and uses the parallel hardware better.
# * Dropout belongs inside the block, between the convolutions, not on the
#   shortcut.
#
# ## References
#
# * K. He, X. Zhang, S. Ren, J. Sun. Identity mappings in deep residual
#   networks. ECCV 2016. [arXiv:1603.05027](https://arxiv.org/abs/1603.05027)
# * S. Zagoruyko, N. Komodakis. Wide residual networks. BMVC 2016.
#   [arXiv:1605.07146](https://arxiv.org/abs/1605.07146)
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image
#   recognition. CVPR 2016. [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
# * P. Goyal et al. Accurate, large minibatch SGD: training ImageNet in 1
#   hour. arXiv:1706.02677, 2017 (zero-initialised residual branches).
# * G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. A
#   mean field theory of batch normalization. ICLR 2019.
# * keras.applications ResNet50V2/101V2/152V2, whose weights `resnet_v2`
#   reproduces; torchvision's `wide_resnet50_2`; K. Liu's pytorch-cifar for
#   the CIFAR pre-activation ResNet-18.
# * Previous: [08-resnet.ipynb](08-resnet.ipynb); next:
#   [10-resnext.ipynb](10-resnext.ipynb).
