# %% [markdown]
# # Inception v3: rethinking the Inception architecture for computer vision
#
# **Paper:** C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens and Z. Wojna,
# "Rethinking the Inception architecture for computer vision", *IEEE
# Conference on Computer Vision and Pattern Recognition* (CVPR), 2016.
# [arXiv:1512.00567](https://arxiv.org/abs/1512.00567)
#
# GoogLeNet (notebook 05) was accurate and cheap, but its design was
# hard to change: the paper that introduced it did not say which
# factors led to its choices, and scaling it up naively, by widening
# every layer, multiplies its cost. This paper states general design
# principles for convolutional networks and uses them to scale the
# Inception architecture up efficiently: large convolutions factorised
# into smaller and asymmetric ones, grid-size reductions that avoid
# bottlenecks, a batch-normalised auxiliary classifier as a regulariser,
# and label smoothing. Inception v3 reached 21.2% top-1 and 5.6% top-5
# error on the ILSVRC 2012 validation set with a single crop, at 5
# billion multiply-adds per image and fewer than 25 million
# parameters. This notebook rebuilds it (the network keras.applications
# ships, weight for weight), computes what each idea saves, shows what
# label smoothing does, and measures its effect on accuracy and
# calibration on CIFAR-10.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/06-inception-v3.ipynb)

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
from convnets_tf.models import inception_common, inception_v3

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. The problem and the design principles
#
# Since AlexNet, better classification networks had been bigger ones
# (VGG, GoogLeNet), and gains in classification carried over to other
# tasks. But cost matters: in the paper's figures GoogLeNet used 5
# million parameters, AlexNet 60 million and VGGNet about three times
# as many as AlexNet (the 5 million is a round figure: GoogLeNet's own
# Table 1 sums to 6.8 million, the network built from it in notebook 05
# has 7.0 million with its biases, and its two auxiliary classifiers add
# 3.2 million each during training), and mobile vision and large-scale uses need that
# efficiency. The Inception architecture's complexity made it hard to
# change: doubling every filter bank quadruples both parameters and
# computation. Section 2 of the paper states four design principles,
# found by large-scale experiments; they are heuristics, not proofs:
#
# 1. **Avoid representational bottlenecks, especially early in the
#    network.** Information flows from the input to the classifier; a
#    layer that compresses the representation drastically (a sharp drop
#    in height x width x depth) loses information that later layers
#    cannot recover. The size should decrease gently from the input to
#    the output. (Dimensionality is only a rough estimate of
#    information content; it ignores correlations.)
# 2. **Higher-dimensional representations are easier to process locally
#    within a network.** More activations per position give more
#    disentangled features, and networks train faster.
# 3. **Spatial aggregation can be done over lower-dimensional embeddings
#    without much or any loss of representational power.** Adjacent
#    units are strongly correlated, so reducing the depth before a 3x3
#    convolution (GoogLeNet's 1x1 reductions) loses little.
# 4. **Balance the width and the depth of the network.** For a given
#    budget, increasing both in parallel gives the best result.
#
# Sections 3 to 5 turn these into concrete tools, which the next
# sections compute one by one.
#
# ## 2. Factorising convolutions
#
# **Into smaller convolutions (section 3.1).** A 5x5 convolution costs
# 25/9 = 2.78 times as much as a 3x3 one with the same number of
# filters. Two stacked 3x3 convolutions see the same 5x5 window (a
# small fully connected network sliding over it) for 18/25 of the
# cost: 28% cheaper. The paper keeps a ReLU after the first 3x3 (a
# linear one was always worse in its experiments). **Into asymmetric
# convolutions (section 3.2).** A 3x3 convolution becomes a 3x1 then a
# 1x3 one: 6/9 of the cost, 33% cheaper, where two 2x2 convolutions
# would save only 11%. In general an nxn convolution becomes 1xn then
# nx1; the saving grows with n. The paper found this does not work well
# early in the network but very well on medium grids (12 to 20
# positions across), where it uses 1x7 and 7x1.
#
# The costs, counted from Keras layers (same input and output depth
# C = 192 everywhere, so the ratio is the kernel area):

# %%
# NBVAL_CHECK_OUTPUT
C = 192
def weights(*kernels):
    """Weights of convolutions applied one after another, C -> C channels each."""
    x = keras.Input((17, 17, C))
    y = x
    for k in kernels:
        y = keras.layers.Conv2D(C, k, padding="same", use_bias=False)(y)
    return keras.Model(x, y).count_params()

factorisations = {
    "5x5 -> 3x3, 3x3": ((5, 5), [(3, 3), (3, 3)]),
    "3x3 -> 3x1, 1x3": ((3, 3), [(3, 1), (1, 3)]),
    "3x3 -> 2x2, 2x2": ((3, 3), [(2, 2), (2, 2)]),
    "7x7 -> 1x7, 7x1": ((7, 7), [(1, 7), (7, 1)]),
}
savings = {}
for label, (big, small) in factorisations.items():
    before, after = weights(big), weights(*small)
    savings[label] = 1 - after / before
    print(f"{label:<17} {before:>9,} -> {after:>9,} weights: {savings[label]:.0%} cheaper")
assert round(savings["5x5 -> 3x3, 3x3"], 2) == 0.28 and round(savings["3x3 -> 3x1, 1x3"], 2) == 0.33


# %% [markdown]
# That the factorised stacks see the same window as the convolutions
# they replace is checked with gradients: the output at the centre of a
# map depends on exactly the input positions where its gradient is non
# zero.

# %%
# NBVAL_CHECK_OUTPUT
from convnets_tf.analysis import (
    count_macs,
    count_params,
    macs_per_layer,
    receptive_field,
    trace_shapes,
)


def conv_stack(*kernels):
    return keras.Sequential([keras.Input((32, 32, 1))] + [
        keras.layers.Conv2D(1, k, padding="same") for k in kernels
    ])

for kernels in ([(5, 5)], [(3, 3), (3, 3)], [(7, 7)], [(1, 7), (7, 1)]):
    size = receptive_field(conv_stack(*kernels))
    print(f"{' then '.join(f'{a}x{b}' for a, b in kernels):<12} sees a {size}x{size} window")
assert receptive_field(conv_stack((3, 3), (3, 3))) == 5
assert receptive_field(conv_stack((1, 7), (7, 1))) == 7

# %% [markdown]
# ## 3. Efficient grid-size reduction
#
# Going from a d x d grid with k filters to a d/2 x d/2 grid with 2k
# filters (section 5), a network can convolve first and pool after, or
# pool first and convolve after. The first is expensive; the second is
# cheaper but makes a bottleneck: right after the pooling the
# representation has a quarter of the positions and still only k
# channels, violating principle 1. The paper's solution is to do both
# in parallel with stride 2, a convolution branch and a pooling branch
# side by side, and concatenate (its Figure 10). Inception v3's first
# reduction, `mixed3`, goes from 35x35x288 to 17x17x768 this way. The
# three options, counted (the naive ones with a single 3x3 convolution
# from 288 to 768 channels; the actual block from the model's layers):

# %%
# NBVAL_CHECK_OUTPUT
model = build("inception_v3")   # 299x299x3, 1000 classes, keras.applications' network
d, k_in, k_out = 35, 288, 768
assert model.get_layer("mixed2").output.shape[1:] == (d, d, k_in)
assert model.get_layer("mixed3").output.shape[1:] == (17, 17, k_out)
options = {   # (mult-adds, smallest representation after the input)
    "conv 3x3 then pool": (d * d * 9 * k_in * k_out, 17 * 17 * k_out),
    "pool then conv 3x3": (17 * 17 * 9 * k_in * k_out, 17 * 17 * k_in),
    "mixed3, in parallel": (sum(macs for name, macs in macs_per_layer(model).items()
                                if name.startswith("mixed3_")), 17 * 17 * k_out),
}
print(f"input 35x35x288 = {d * d * k_in:,} values")
for label, (macs, narrowest) in options.items():
    print(f"{label:<20} {macs / 1e6:6.0f}M mult-adds, narrowest representation {narrowest:>9,} values")
parallel = options["mixed3, in parallel"][0]
print(f"mixed3 costs {parallel / options['conv 3x3 then pool'][0]:.2f} of conv-then-pool, "
      f"{parallel / options['pool then conv 3x3'][0]:.2f} of pool-then-conv")
assert parallel < min(macs for macs, _ in options.values() if macs != parallel)


# %% [markdown]
# Here the parallel block is the cheapest of the three (its
# convolutions produce 384 + 96 channels; the pooling branch passes the
# other 288 through for free), and its narrowest point is its
# 17x17x768 output, 2.7 times the pool-first option's 17x17x288.
#
# ## 4. The architecture
#
# Table 1 of the paper (sizes are each row's *input*), and what
# keras.applications, TF-slim (the authors' code) and torchvision
# actually build, which is what the builder follows so that weights
# transfer:
#
# | paper: type | patch size / stride | input size | as released (layer names here) |
# |---|---|---|---|
# | conv | 3x3/2 | 299x299x3 | conv1: 3x3/2, 32 |
# | conv | 3x3/1 | 149x149x32 | conv2: 3x3/1, 32 |
# | conv padded | 3x3/1 | 147x147x32 | conv3: 3x3/1 padded, 64 |
# | pool | 3x3/2 | 147x147x64 | pool1 |
# | conv | 3x3/1 | 73x73x64 | conv4: **1x1**/1, 80 |
# | conv | 3x3/2 | 71x71x80 | conv5: 3x3/1, 192, then pool2: 3x3/2 max pooling |
# | conv | 3x3/1 | 35x35x192 | (none) |
# | 3 x Inception | Figure 5 | 35x35x288 | mixed0-2 (output 256, 288, 288) |
# | 5 x Inception | Figure 6 | 17x17x768 | mixed3 (reduction), mixed4-7 |
# | 2 x Inception | Figure 7 | 8x8x1280 | mixed8 (reduction), mixed9-10 |
# | pool | 8x8 | 8x8x2048 | avg_pool (global) |
# | linear | logits | 1x1x2048 | predictions |
# | softmax | classifier | 1x1x1000 | (part of predictions) |
#
# The released stem differs from the table, and its 35x35 modules keep
# a 5x5 branch beside the factorised 3x3-3x3 one; the grid reductions
# between the three groups are the parallel blocks of section 3. Every
# convolution is followed by batch normalisation and ReLU. The shapes of
# the real model, checked:

# %%
STAGES = {
    "conv1_relu": (1, 149, 149, 32), "conv2_relu": (1, 147, 147, 32), "conv3_relu": (1, 147, 147, 64),
    "pool1": (1, 73, 73, 64), "conv4_relu": (1, 73, 73, 80), "conv5_relu": (1, 71, 71, 192),
    "pool2": (1, 35, 35, 192),
    "mixed0": (1, 35, 35, 256), "mixed1": (1, 35, 35, 288), "mixed2": (1, 35, 35, 288),
    "mixed3": (1, 17, 17, 768), "mixed4": (1, 17, 17, 768), "mixed7": (1, 17, 17, 768),
    "mixed8": (1, 8, 8, 1280), "mixed9": (1, 8, 8, 2048), "mixed10": (1, 8, 8, 2048),
    "avg_pool": (1, 2048), "predictions": (1, 1000),
}
trace_shapes(model, STAGES)
print("values per image:")
for name, shape in STAGES.items():
    print(f"  {name:<16} {int(np.prod(shape[1:])):>9,}")

# %% [markdown]
# The number of values per image (last column) shrinks gently from the
# stem to the top, as principle 1 asks, while the depth grows as the
# grid shrinks (principle 2 at the coarse end: the 8x8
# modules of Figure 7 split their 3x3 convolutions into a 1x3 and a 3x1
# branch side by side, widening rather than deepening).
#
# ### The smallest input, and CIFAR-10
#
# The stem's unpadded convolutions and poolings, and the two reduction
# blocks, need room. Working the valid-padding arithmetic through gives
# the smallest input, and the one the auxiliary classifier needs (a 5x5
# map on the 17x17 grid for its 5x5 pooling):

# %%
# NBVAL_CHECK_OUTPUT
def valid(n, kernel=3, stride=1):
    return (n - kernel) // stride + 1 if n >= kernel else 0

def grids(n):
    x = valid(valid(n, stride=2))       # conv1 3x3/2, conv2 3x3 (conv3 is padded)
    x = valid(valid(x, stride=2))       # pool1 3x3/2, conv5 3x3 (conv4 is 1x1)
    grid35 = valid(x, stride=2)         # pool2
    grid17 = valid(grid35, stride=2)    # mixed3's stride-2 branches
    grid8 = valid(grid17, stride=2)     # mixed8's
    return {"35x35 grid": grid35, "17x17 grid": grid17, "8x8 grid": grid8}

for n in (299, 107, 106, 75, 74, 32):
    print(f"{n:>3}x{n:<3}", grids(n))
minimum = next(n for n in range(3, 300) if grids(n)["8x8 grid"] >= 1)
minimum_aux = next(n for n in range(3, 400) if grids(n)["17x17 grid"] >= 5)
print("smallest input:", minimum, "  with the auxiliary classifier:", minimum_aux)
assert (minimum, minimum_aux) == (inception_v3.MIN_SIZE, inception_v3.MIN_SIZE_AUX) == (75, 107)
try:
    build("inception_v3", input_shape=(32, 32, 3), num_classes=10)
except ValueError as err:
    print("build('inception_v3', input_shape=(32, 32, 3)) ->", err)

# %% [markdown]
# 75x75 is keras.applications' minimum too. A 32x32 CIFAR image does
# not fit; as in notebook 05, we **resize the images to 75x75 in the
# input pipeline** rather than change the stem: the smallest size the
# network takes (and one GoogLeNet's auxiliary classifiers take too),
# so the cheapest. Section 9 of the paper supports training at low
# resolution: networks with 79x79 and 151x151 receptive fields, kept at
# a similar cost by reducing the stem's strides, were only a little
# less accurate than the 299x299 one. Here the stem is the paper's and
# 75x75 images simply cost less, at the price of very small late grids:

# %%
IMAGE_SIZE = 75
cifar_model = build("inception_v3", input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), num_classes=10)
trace_shapes(cifar_model, {
    "conv1_relu": (1, 37, 37, 32), "pool1": (1, 17, 17, 64), "pool2": (1, 7, 7, 192),
    "mixed2": (1, 7, 7, 288), "mixed3": (1, 3, 3, 768), "mixed7": (1, 3, 3, 768),
    "mixed8": (1, 1, 1, 1280), "mixed10": (1, 1, 1, 2048), "predictions": (1, 10),
})
for n, m in ((299, model), (IMAGE_SIZE, cifar_model)):
    print(f"{n}x{n}: {count_macs(m) / 1e9:.2f} billion mult-adds per image")

# %% [markdown]
# At 75x75 the 17x17 modules see a 3x3 grid, too small for the
# auxiliary classifier's 5x5 pooling, so the CIFAR run below trains
# without it (it would need 107x107, twice the pixels).
#
# ## 5. The implementation
#
# The builder is in `convnets_tf/models/inception_v3.py`, on blocks it
# shares with the Inception-v4 networks (notebook 07) in
# `convnets_tf/models/inception_common.py`. Every convolution is
# `conv_bn`, keras.applications' `conv2d_bn`: no bias, batch
# normalisation without scale (`conv_bn_act(..., bn_scale=False)`:
# a positive scale passes through the ReLU and the next convolution
# absorbs it), ReLU. `pool_branch` is the pooling branch of the
# non-reducing modules: a 3x3 average pooling, then a 1x1 projection.

# %%
print(inspect.getsource(inception_common.conv_bn))
print(inspect.getsource(inception_common.pool_branch))

# %% [markdown]
# **The 35x35 modules** (Figure 5): the factorised 5x5 (two 3x3) and,
# in the released network, a plain 5x5 branch beside it.

# %%
print(inspect.getsource(inception_v3.inception_a))

# %% [markdown]
# **The grid reductions** (Figure 10): stride-2 convolutions next to a
# stride-2 max pooling.

# %%
print(inspect.getsource(inception_v3.reduction_a))
print(inspect.getsource(inception_v3.reduction_b))

# %% [markdown]
# **The 17x17 modules** (Figure 6, n = 7): every 7x7 convolution is a
# 1x7 and a 7x1 one.

# %%
print(inspect.getsource(inception_v3.inception_b))

# %% [markdown]
# **The 8x8 modules** (Figure 7): the outputs of the 3x3 convolutions
# are split into parallel 1x3 and 3x1 convolutions and concatenated.

# %%
print(inspect.getsource(inception_v3.inception_c))

# %% [markdown]
# **The auxiliary classifier as a regulariser (section 4).** GoogLeNet
# added auxiliary classifiers to push gradient into the lower layers.
# This paper found that they did not speed up training early on: with
# and without them, training looked virtually the same until high
# accuracy, where the network with the side head overtook and reached a
# slightly higher plateau. Removing GoogLeNet's lower auxiliary branch
# did not hurt. The paper concludes that the auxiliary classifier acts
# as a regulariser, supported by the main classifier doing better when
# the side branch is batch-normalised or has dropout. Inception v3 keeps
# one, on the last 17x17 module, batch-normalised including its fully
# connected layer ("BN-auxiliary"). The paper gives no weight for its
# loss; the authors' TF-slim training script uses 0.4, exposed as
# `AUX_LOSS_WEIGHT`.

# %%
print(inspect.getsource(inception_v3.auxiliary_classifier))
with_aux = build("inception_v3", aux_logits=True)
trace_shapes(with_aux, {
    "mixed7": (1, 17, 17, 768), "aux_pool": (1, 5, 5, 768), "aux_conv1_relu": (1, 5, 5, 128),
    "aux_conv2_relu": (1, 1, 1, 768), "aux_predictions": (1, 1000), "predictions": (1, 1000),
})
print("outputs:", with_aux.output_names, " loss weights:", inception_v3.AUX_LOSS_WEIGHTS)

# %% [markdown]
# **The builder** puts it together. `aux_logits=True` appends the
# auxiliary classifier as a second output after the main one.

# %%
print(inspect.getsource(inception_v3.inception_v3))

# %% [markdown]
# ## 6. Verification
#
# Against keras.applications.InceptionV3, built with random weights:
# the same parameter count (23,851,784, including BatchNorm's moving
# means and variances), and the same outputs once its weights are
# copied into ours in order. Every weight is randomised first, the
# moving statistics included, so that a weight in the wrong place would
# change the output.

# %%
# NBVAL_CHECK_OUTPUT
theirs = keras.applications.InceptionV3(weights=None)
rng = np.random.default_rng(0)
values = []
for weight, value in zip(theirs.weights, theirs.get_weights()):
    if "variance" in weight.path:
        value = rng.uniform(0.5, 1.5, value.shape)
    elif "mean" in weight.path or "beta" in weight.path:
        value = rng.normal(0.0, 0.1, value.shape)
    values.append(value.astype("float32"))
theirs.set_weights(values)
model.set_weights(theirs.get_weights())
x = rng.uniform(-1, 1, (2, 299, 299, 3)).astype("float32")
difference = float(np.max(np.abs(model(x) - theirs(x))))
trained = count_params(model).trainable
print(f"keras.applications: {theirs.count_params():,} parameters, ours: {model.count_params():,}")
print(f"ours: {trained:,} trainable + {model.count_params() - trained:,} moving statistics")
print("same weights in the same order, outputs agree to 1e-4:", difference < 1e-4)
head = with_aux.count_params() - model.count_params()
print(f"with the auxiliary classifier: {with_aux.count_params():,} (the head: {head:,})")
assert model.count_params() == theirs.count_params() == 23_851_784 and difference < 1e-4
assert head == 768 * 128 + 3 * 128 + 25 * 128 * 768 + 3 * 768 + 769 * 1000
del theirs, with_aux

# %% [markdown]
# Because the order is the same, `build("inception_v3",
# weights="inception_v3_weights_tf_dim_ordering_tf_kernels.h5")` loads
# keras.applications' ImageNet file (tested in
# `tests/test_googlenet_inception_v3.py` with a file written by
# keras.applications). The auxiliary head adds 3,327,592 parameters,
# most of them in its 5x5x128x768 convolution, the batch-normalised
# "fully connected" layer.
#
# ## 7. Label smoothing
#
# **The problem (section 7).** With one-hot targets, the cross-entropy
# loss is only minimised when the logit of the correct class is
# infinitely larger than all others. A network trained to do that can
# overfit (it is pushed to assign full probability to every training
# label) and becomes less adaptable, since the gradient keeps pushing
# the largest logit up. The paper calls this being "too confident".
#
# **The fix: label-smoothing regularisation.** Replace the target
# distribution $q(k) = \delta_{k,y}$ by a mixture with a fixed
# distribution $u$, the uniform $u(k) = 1/K$ in the paper:
# $$q'(k) = (1 - \epsilon)\,\delta_{k,y} + \epsilon / K.$$
# The loss becomes $H(q', p) = (1 - \epsilon)\,H(q, p) + \epsilon\,H(u, p)$:
# the usual cross-entropy plus a penalty for predictions far from
# uniform. The paper used $\epsilon = 0.1$ with $K = 1000$ and gained
# about 0.2% top-1 and top-5 accuracy. The shared recipe's
# `label_smoothing=0.1` is Keras' implementation of exactly this. For
# CIFAR-10 ($K = 10$):

# %%
# NBVAL_CHECK_OUTPUT
EPSILON, K = 0.1, 10
one_hot = tf.one_hot([3], K)
smoothed = one_hot * (1 - EPSILON) + EPSILON / K
print("hard target:    ", one_hot.numpy().round(3)[0])
print("smoothed target:", smoothed.numpy().round(3)[0])

logits = tf.random.stateless_normal((1, K), seed=(1, 2))
keras_loss = keras.losses.CategoricalCrossentropy(label_smoothing=EPSILON)(one_hot, tf.nn.softmax(logits))
log_p = tf.nn.log_softmax(logits)
decomposed = (1 - EPSILON) * -tf.reduce_sum(one_hot * log_p) + EPSILON * -tf.reduce_mean(log_p)
print("Keras' label_smoothing=0.1 loss == (1 - e) H(q, p) + e H(u, p):",
      np.isclose(float(keras_loss), float(decomposed), rtol=1e-5))
assert np.isclose(float(keras_loss), float(decomposed), rtol=1e-5)


# %% [markdown]
# **What it does to the logits.** The smoothed loss has a finite
# minimum: the softmax equal to $q'$, where the correct class's logit
# exceeds the others by $\log\big((1 - \epsilon + \epsilon/K) /
# (\epsilon/K)\big) = \log 91 \approx 4.51$ for CIFAR-10. With hard
# targets there is none. Gradient descent on the logits of one example
# shows it:

# %%
# NBVAL_CHECK_OUTPUT
def descend(label_smoothing, steps, learning_rate=1.0):
    # The cross-entropy's gradient with respect to the logits is softmax(z) - target.
    target = one_hot.numpy()[0] * (1 - label_smoothing) + label_smoothing / K
    z = np.zeros(K)
    for _ in range(steps):
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        z -= learning_rate * (p - target)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return z[3] - np.delete(z, 3).max(), p.max()

results = {(eps, steps): descend(eps, steps) for eps in (0.0, 0.1) for steps in (1000, 2000)}
for (eps, steps), (gap, confidence) in results.items():
    print(f"label_smoothing={eps}, {steps} steps: logit gap {gap:5.2f}, confidence {confidence:.4f}")
print(f"log 91 = {np.log(91):.2f}, 1 - e + e / K = {1 - EPSILON + EPSILON / K}")
gap_smoothed, confidence_smoothed = results[(0.1, 2000)]
assert abs(gap_smoothed - np.log(91)) < 0.01 and abs(confidence_smoothed - 0.91) < 1e-3
assert results[(0.0, 2000)][0] > results[(0.0, 1000)][0] > gap_smoothed

# %% [markdown]
# Without smoothing the gap keeps growing with more steps (it is larger
# after 2,000 steps than after 1,000) and the confidence approaches 1;
# with smoothing it stops at log 91 and a confidence of 0.91. The same on
# a real classifier: a linear softmax layer fitted to 1,000 CIFAR-10
# images (raw pixels), with and without smoothing, then its confidence
# on its own training images and on unseen ones:

# %%
# The figures depend on the data file: CI runs on the 10,000-image sample,
# whose first 1,000 training images are other images, so it checks the
# assertion, not the output.
from convnets_tf.data import load_cifar

(x_train, y_train), (x_test, y_test) = data = load_cifar("cifar10")
features = (x_train[:1000].reshape(1000, -1) / 255.0 - 0.5).astype("float32")
held_out = (x_test[:500].reshape(500, -1) / 255.0 - 0.5).astype("float32")
targets = tf.one_hot(y_train[:1000], K)
confidence = {}
for eps in (0.0, 0.1):
    keras.utils.set_random_seed(0)
    linear = keras.Sequential([keras.Input((3072,)), keras.layers.Dense(K, activation="softmax")])
    linear.compile(keras.optimizers.Adam(1e-2), keras.losses.CategoricalCrossentropy(label_smoothing=eps))
    # 500 full-batch steps, as one epoch of a repeated batch.
    linear.fit(tf.data.Dataset.from_tensors((features, targets)).repeat(500), verbose=0)
    train_p, test_p = linear.predict(features, verbose=0), linear.predict(held_out, verbose=0)
    confidence[eps] = float(train_p.max(axis=1).mean())
    print(f"label_smoothing={eps}: training images: accuracy "
          f"{np.mean(train_p.argmax(1) == y_train[:1000]):.2f}, mean confidence {confidence[eps]:.2f}; "
          f"unseen: accuracy {np.mean(test_p.argmax(1) == y_test[:500]):.2f}, "
          f"mean confidence {test_p.max(axis=1).mean():.2f}")
assert confidence[0.1] < 0.91 < confidence[0.0]

# %% [markdown]
# Both fit their 1,000 training images perfectly. Trained with hard
# targets, the classifier is nearly certain about them (0.97 on
# average) and, on unseen images it gets right only 28% of the time,
# still 0.80 confident: far more sure than it is right. With smoothing
# its confidence stays below 0.91 on the training images and is lower
# on unseen ones. A linear model on 1,000 images overfits either way.
# On the 500 unseen images the accuracies differ too, 0.28 against
# 0.22: with a standard error of about 0.02 each (an accuracy near 0.25
# on 500 images), that is 2 to 3 standard errors, more than noise would
# usually give, so here smoothing also cost accuracy. One seed and a
# linear model cannot say whether that carries over to deep networks
# (the paper reports a small gain on ImageNet); what label smoothing
# changes by design is the confidence.
#
# ## 8. Experiment: label smoothing, accuracy and calibration
#
# **The claim.** Section 7: smoothing keeps the network from becoming "too
# confident", and on ImageNet it gained about 0.2% top-1. Whether a
# network is too confident can be measured: among the test images it
# classifies with confidence 0.9 (its largest softmax probability), it
# should be right 90% of the time. Guo et al. (2017) sort the predictions
# into 15 equal-width confidence bins; the *reliability diagram* plots
# each bin's accuracy against its mean confidence, and the *expected
# calibration error* (ECE) averages the gap over the bins, weighted by how
# many predictions each holds (`convnets_tf.calibration`). Müller,
# Kornblith and Hinton (2019) found that label smoothing also lowers it.
#
# **The comparison.** Inception v3 at 75x75 costs several seconds per
# training step on this CPU, and the claim is about the loss, not the
# architecture. So the experiment trains the small network of notebooks
# 04 and 23, `vgg.quarter_vgg("A")` (VGG-11 at a quarter of its widths,
# with BatchNorm; 0.9 million parameters), twice: with hard targets and
# with label smoothing 0.1. All else is shared: all 50,000 training
# images, 6 epochs of batch 128, the recipe's SGD (peak learning rate
# 0.1, weight decay 5e-4, warmup and cosine decay), seed 0. On a GPU the
# same cell trains for 30 epochs.

# %%
from convnets_tf.calibration import expected_calibration_error, reliability_bins
from convnets_tf.history import read_rows
from convnets_tf.models import vgg
from convnets_tf.notebook import plan_run
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, predict_main, train_cifar

plan = plan_run(
    cpu=dict(train_images=None, test_images=None, epochs=6, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = data.take(plan.train_images, plan.test_images)
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")
del model, cifar_model

# %%
PROBABILITIES, HISTORY = {}, {}
for smoothing in (0.0, 0.1):
    label = f"label smoothing {smoothing}"
    out = f"{plan.runs_dir}/label_smoothing_{smoothing}"
    model = train_cifar(lambda: vgg.quarter_vgg("A", name="vgg11_quarter_bn"), data,
                        epochs=plan.epochs, batch_size=plan.batch_size, out_dir=out,
                        strategy=strategy, verbose=2, label_smoothing=smoothing, seed=0)
    record_run(plan, out, notebook="06-inception-v3", label=label)
    HISTORY[label] = read_rows(f"{out}/history.csv")
    PROBABILITIES[label] = predict_main(model, data[1][0])

# %% [markdown]
# Accuracy, confidence and calibration of the two networks on the 2,000
# test images, and their reliability diagrams (a calibrated network's
# points lie on the diagonal; below it, it is more confident than right):

# %%
y_test = data[1][1]
fig, ax = plt.subplots(figsize=(4.5, 4.2))
ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
for label, probabilities in PROBABILITIES.items():
    table = reliability_bins(probabilities, y_test)
    filled = table["count"] > 0
    ax.plot(table["confidence"][filled], table["accuracy"][filled], "o-", label=label)
    accuracy = np.mean(probabilities.argmax(1) == y_test)
    print(f"{label}: test accuracy {accuracy:.3f}, mean confidence "
          f"{probabilities.max(1).mean():.3f}, ECE {expected_calibration_error(probabilities, y_test):.3f}, "
          f"train accuracy {HISTORY[label][-1]['accuracy']:.3f} (last epoch), "
          f"{sum(row['seconds'] for row in HISTORY[label]):.0f} s")
    print("  bins (confidence: images, accuracy):  " + "  ".join(
        f"{conf:.2f}: {n}, {acc:.2f}" for conf, n, acc in zip(
            table["confidence"][filled], table["count"][filled], table["accuracy"][filled])))
ax.set(xlabel="confidence (bin mean)", ylabel="accuracy in the bin",
       title="reliability on the 2,000 test images")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 9. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# they come from a 2-core CPU, float32, all 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) and
# the 2,000 test images, 6 epochs of batch 128 for each network, as the
# `Run:` line says.
#
# | | hard targets | label smoothing 0.1 |
# |---|---|---|
# | test accuracy | 0.750 | 0.767 |
# | mean confidence on the test images | 0.774 | 0.706 |
# | ECE (15 bins) | **0.029** | **0.062** |
#
# * **Accuracy:** smoothing ends 1.7 points ahead, about 1.3 standard
#   errors of the difference of two accuracies on 2,000 images (0.013):
#   in the direction of the paper's small ImageNet gain, but not
#   distinguishable from noise in one run of each.
# * **Calibration went the other way.** After 6 epochs the network
#   trained with hard targets is only mildly overconfident: its mean
#   confidence (0.774) is close to its accuracy (0.750), its ECE is
#   0.029, and its largest gaps, in the bins between 0.57 and 0.77
#   confidence, are up to 12 points. Label smoothing, which pulls every
#   prediction away from certainty, then makes it *underconfident*: in
#   nearly every bin it is right more often than it is confident (0.92
#   right at confidence 0.84, 0.98 at 0.90), and its ECE doubles to 0.062.
# * So the strong over-confidence that smoothing counters is something a
#   network acquires by fitting its training data for long; this short
#   run never got there (its training accuracy, 0.755, is about its test
#   accuracy). Müller et al. measured the calibration gain on fully
#   trained networks. Whether it appears here with longer training was
#   not measured; on a GPU the same cells train for 30 epochs.
#
# Inception v3 itself is not trained here: at 75x75 one step of 64 images
# took several seconds on this CPU (an earlier version of this notebook
# trained it for 2 epochs on 2,048 images). To train it on a GPU, with
# the recipe's default label smoothing of 0.1:
#
# ```
# python -m convnets_tf train inception_v3 --dataset cifar10 --image-size 75 --optimizer adamw --epochs 30 --batch-size 128 --out runs/inception_v3
# ```

# %% [markdown]
# ## 10. Takeaways
#
# * The paper turned the Inception design into stated principles:
#   avoid early bottlenecks, keep representations high-dimensional
#   where they are processed, reduce depth before spatial aggregation,
#   balance width and depth.
# * Factorisation is the main tool: two 3x3 convolutions for a 5x5
#   (28% cheaper, same window), 1xn and nx1 for an nxn (for n = 7,
#   71% cheaper). VGG had shown stacks of 3x3 work; this paper
#   explains why they are efficient and adds asymmetric kernels.
# * Grid reductions in parallel (a stride-2 convolution next to a
#   stride-2 pooling) avoid both the expense of convolving at full
#   resolution and the bottleneck of pooling first; the same block
#   reappears in Inception v4 and Inception-ResNet.
# * The auxiliary classifier stayed, but as a batch-normalised
#   regulariser, not a gradient booster.
# * Label smoothing gives the loss a finite optimum (a logit gap of
#   log 91 for 10 classes with epsilon = 0.1) and caps the model's
#   confidence; it is now a default in most training recipes,
#   including this package's. On a network trained too briefly to become
#   overconfident, it makes it underconfident instead (section 9).
#
# ## References
#
# * C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. Rethinking
#   the Inception architecture for computer vision. CVPR 2016.
#   [arXiv:1512.00567](https://arxiv.org/abs/1512.00567)
# * S. Ioffe, C. Szegedy. Batch normalization: accelerating deep network
#   training by reducing internal covariate shift. ICML 2015 (Inception
#   v2's BN-Inception).
# * C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger. On calibration of modern
#   neural networks. ICML 2017 (reliability diagrams and the ECE).
# * R. Müller, S. Kornblith, G. Hinton. When does label smoothing help?
#   NeurIPS 2019.
# * TF-slim `nets/inception_v3.py` and `train_image_classifier.py` (the
#   authors' released model and its auxiliary loss weight 0.4), and
#   `keras.applications.InceptionV3`.
# * Previous in the series: [05-googlenet.ipynb](05-googlenet.ipynb); next:
#   [07-inception-v4-resnet.ipynb](07-inception-v4-resnet.ipynb).
