# %% [markdown]
# # Xception: deep learning with depthwise separable convolutions
#
# **Paper:** F. Chollet, "Xception: Deep learning with depthwise separable
# convolutions", *IEEE Conference on Computer Vision and Pattern
# Recognition* (CVPR), 2017. [arXiv:1610.02357](https://arxiv.org/abs/1610.02357)
#
# An Inception module splits a convolution into a few 1x1 "cross-channel"
# convolutions followed by spatial ones. Chollet pushed that idea to its
# extreme: map cross-channel and spatial correlations *entirely*
# separately, with one spatial filter per channel. That operation already
# existed as the depthwise separable convolution, and Xception ("Extreme
# Inception") is a stack of 36 of them (34 separable, 2 regular) with
# residual connections. With about as many parameters as Inception V3 it
# did slightly better on ImageNet (79.0% against 78.2% top-1, Table 1) and
# clearly better on the 350M-image JFT data set. This notebook rebuilds the
# network, checks it against keras.applications, computes what the
# separable convolutions save against regular ones, and tests on CIFAR-10
# the paper's finding that *no* non-linearity between the depthwise and the
# pointwise step works best (Figure 10).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/12-xception.ipynb)

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
from convnets_tf.models import xception

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. The idea: the Inception hypothesis, taken to its extreme
#
# A convolution layer learns filters in a 3D space, two spatial dimensions
# and one of channels, so each kernel maps spatial and cross-channel
# correlations *jointly*. The Inception module (notebooks 05-07) factors
# this: 1x1 convolutions first map the input into three or four smaller
# spaces, then 3x3 or 5x5 convolutions map correlations within each
# (Section 1.1). Its underlying hypothesis, in the paper's words, "is that
# cross-channel correlations and spatial correlations are sufficiently
# decoupled that it is preferable not to map them jointly".
#
# Simplify an Inception module to one size of convolution and no pooling
# (Figure 2), and it is a 1x1 convolution whose output channels are split
# into a few segments, each seen by its own 3x3 convolution (Figure 3). The
# number of segments is a free parameter. The extreme, one segment per
# channel (Figure 4), makes the *stronger* hypothesis that the two kinds of
# correlation can be mapped completely separately. That is, nearly, a
# **depthwise separable convolution**: a *depthwise* convolution, one 3x3
# filter per input channel, then a *pointwise* 1x1 convolution that mixes
# the channels. Section 1.2 lists the two differences from an "extreme"
# Inception module:
#
# * the order: Inception does the 1x1 step first, the separable convolution
#   last (which matters little once the operations are stacked);
# * the non-linearity: Inception follows both steps with a ReLU, while the
#   separable convolution is usually implemented without one in between.
#   Section 4.7 tests this choice (the experiment of this notebook).
#
# Between a regular convolution (one segment) and a depthwise separable one
# (one segment per channel) lies a spectrum of which Inception modules are
# points; Xception takes the end of it.
#
# ## 2. The architecture (Figure 5)
#
# "36 convolutional layers structured into 14 modules, all of which have
# linear residual connections around them, except for the first and last
# modules" (Section 3). Every convolution is followed by batch
# normalisation (not shown in the figure).
#
# | flow | layers | output at 299x299 |
# |---|---|---|
# | entry | Conv 32, 3x3, stride 2; ReLU; Conv 64, 3x3; ReLU | 147x147x64 |
# | entry | [SepConv 128; ReLU; SepConv 128; MaxPool 3x3/2] + Conv 1x1/2 shortcut | 74x74x128 |
# | entry | [ReLU; SepConv 256; ReLU; SepConv 256; MaxPool 3x3/2] + Conv 1x1/2 | 37x37x256 |
# | entry | [ReLU; SepConv 728; ReLU; SepConv 728; MaxPool 3x3/2] + Conv 1x1/2 | 19x19x728 |
# | middle | [ReLU; SepConv 728] x 3 + identity, repeated 8 times | 19x19x728 |
# | exit | [ReLU; SepConv 728; ReLU; SepConv 1024; MaxPool 3x3/2] + Conv 1x1/2 | 10x10x1024 |
# | exit | SepConv 1536; ReLU; SepConv 2048; ReLU | 10x10x2048 |
# | exit | global average pooling; (optional fully connected layers); logistic regression | 1000 |
#
# All separable convolutions are 3x3 with depth multiplier 1. The optional
# fully connected layers are not in keras.applications' network, nor here. A random image through
# `xception`, the shapes checked against the table:

# %%
from convnets_tf.analysis import count_macs, count_params, macs_per_layer, trace_shapes

model = build("xception")
trace_shapes(model, {
    "block1_conv2_act": (1, 147, 147, 64), "block2_add": (1, 74, 74, 128),
    "block3_add": (1, 37, 37, 256), "block4_add": (1, 19, 19, 728),
    "block12_add": (1, 19, 19, 728), "block13_add": (1, 10, 10, 1024),
    "block14_sepconv2_act": (1, 10, 10, 2048), "avg_pool": (1, 2048),
    "predictions": (1, 1000),
})

# %% [markdown]
# ## 3. What separable convolutions save
#
# A regular $k \times k$ convolution from $M$ to $N$ channels has
# $k^2 M N$ weights; its depthwise separable counterpart has $k^2 M$
# (depthwise) plus $M N$ (pointwise), a ratio of
# $\frac{1}{N} + \frac{1}{k^2}$, so close to 1/9 for 3x3 kernels and
# wide layers. Multiply-adds scale the same way, times the output
# positions. One middle-flow layer, 728 to 728 channels on a 19x19 map,
# counted by the package's helpers on single layers:

# %%
# NBVAL_CHECK_OUTPUT
def one_layer(layer, shape=(19, 19, 728)):
    inputs = keras.Input(shape)
    return keras.Model(inputs, layer(inputs))

regular = one_layer(keras.layers.Conv2D(728, 3, padding="same", use_bias=False))
separable = one_layer(keras.layers.SeparableConv2D(728, 3, padding="same", use_bias=False))
for label, m in (("regular 3x3", regular), ("separable 3x3", separable)):
    print(f"{label:<14} {count_params(m).trainable:>10,} weights "
          f"{count_macs(m) / 1e6:>8.1f}M multiply-adds")
ratio = count_params(separable).trainable / count_params(regular).trainable
print(f"ratio {ratio:.4f} = 1/728 + 1/9 = {1 / 728 + 1 / 9:.4f}")
assert count_params(regular).trainable == 9 * 728 * 728
assert count_params(separable).trainable == 9 * 728 + 728 * 728

# %% [markdown]
# And for the whole network: each of Xception's 34 separable convolutions
# against a regular 3x3 convolution with the same input and output
# channels, layer by layer from the built model (parameters and
# multiply-adds of the separable layers from `count_params` and
# `macs_per_layer`; a regular twin's are $9MN$ and $9MN$ times the output
# positions). The other layers, the stem, shortcuts, BatchNorm and
# classifier, are the same in both.

# %%
# NBVAL_CHECK_OUTPUT
def flow(layer_name):
    block = int(layer_name.split("_")[0].removeprefix("block"))
    return "entry" if block <= 4 else "middle" if block <= 12 else "exit"

layer_macs = macs_per_layer(model)
rows = {f: np.zeros(4) for f in ("entry", "middle", "exit")}   # sep/regular params, MACs
for layer in model.layers:
    if isinstance(layer, keras.layers.SeparableConv2D):
        m, n = layer.input.shape[-1], layer.filters
        positions = layer.output.shape[1] * layer.output.shape[2]
        rows[flow(layer.name)] += (layer.count_params(), 9 * m * n,
                                   layer_macs[layer.name], 9 * m * n * positions)
print(f"{'flow':<8} {'separable':>22} {'regular twin':>22}")
for f, (p_sep, p_reg, c_sep, c_reg) in rows.items():
    print(f"{f:<8} {p_sep / 1e6:7.2f}M params {c_sep / 1e9:5.2f}G MACs "
          f"{p_reg / 1e6:7.2f}M params {c_reg / 1e9:5.2f}G MACs")
p_sep, p_reg, c_sep, c_reg = sum(rows.values())
total_params, total_macs = count_params(model).trainable, count_macs(model)
twin_params, twin_macs = total_params - p_sep + p_reg, total_macs - c_sep + c_reg
print(f"Xception:     {total_params / 1e6:6.2f}M parameters, {total_macs / 1e9:5.2f}G multiply-adds")
print(f"regular twin: {twin_params / 1e6:6.2f}M parameters, {twin_macs / 1e9:5.2f}G multiply-adds "
      f"({twin_params / total_params:.1f}x and {twin_macs / total_macs:.1f}x)")
assert 7 < twin_params / total_params < 9

# %% [markdown]
# Flow by flow, the regular twin costs close to nine times the separable
# layers, the $1/N + 1/9$ of the single layer; over the whole network the
# factor is a little smaller (the printed 7.8x and 8.2x), because the
# layers that stay regular, the stem, the 1x1 shortcuts and the
# classifier, are the same in both. The paper does not pocket the saving: with the same parameter count as
# Inception V3 it spends it on width and depth; the abstract concludes
# that "the performance gains are not due to increased capacity but rather
# to a more efficient use of model parameters".
#
# ## 4. The implementation
#
# Everything is in `convnets_tf/models/xception.py`. The unit of every
# module is `separable_bn`: the ReLU before (keras.applications names it
# after the convolution that follows), the separable convolution and
# BatchNorm. With `intermediate_activation` set it builds the same weights
# as a `DepthwiseConv2D`, the activation and a 1x1 `Conv2D`, for the
# experiment of Section 6.

# %%
print(inspect.getsource(xception.separable_bn))

# %% [markdown]
# The downsampling modules of the entry and exit flows end in 3x3/2
# max-pooling, with a strided 1x1 projection on the shortcut; the middle
# module is three units around an identity.

# %%
print(inspect.getsource(xception.shortcut_projection))
print(inspect.getsource(xception.downsampling_module))
print(inspect.getsource(xception.middle_module))

# %% [markdown]
# The builder strings the flows together. `cifar_stem` (fewer early
# strides) and `width` exist for the CIFAR network of Section 6; the
# defaults build keras.applications' Xception.

# %%
print(inspect.getsource(xception.xception))

# %% [markdown]
# ## 5. Verification
#
# Against keras.applications' Xception: the same total number of parameters
# (22,910,480, weights plus BatchNorm statistics; the paper's Table 3 gives
# 22,855,952, the trainable part), and, with its weights copied over, the
# same outputs. keras leaves the four shortcut projections unnamed; every
# other weighted layer has the same name.

# %%
# NBVAL_CHECK_OUTPUT
theirs = keras.applications.Xception(weights=None)
print(f"total parameters: ours {model.count_params():,}, "
      f"keras.applications {theirs.count_params():,}")
print(f"trainable: {count_params(model).trainable:,} (paper, Table 3: 22,855,952)")
model.set_weights(theirs.get_weights())
x = np.random.default_rng(0).normal(size=(1, 299, 299, 3)).astype("float32")
reference = np.asarray(theirs(x))
difference = float(np.max(np.abs(np.asarray(model(x)) - reference)))
print("outputs agree to 1e-6:", difference < 1e-6)
assert model.count_params() == theirs.count_params() == 22_910_480
assert count_params(model).trainable == 22_855_952 and difference < 1e-6
del theirs

# %% [markdown]
# ## 6. Training on CIFAR-10: no non-linearity, ReLU or ELU in between
#
# **The claim (Section 4.7, Figure 10).** Chollet trained Xception on
# ImageNet with ReLU or ELU between the depthwise and the pointwise step of
# every separable convolution, and without: "the absence of any
# non-linearity leads to both faster convergence and better final
# performance". Szegedy et al. had found the opposite for Inception
# modules. The paper's explanation: in an Inception module the spatial
# convolution works on a deep feature space, where a non-linearity helps;
# a depthwise convolution works on 1-channel-deep spaces, where it may
# destroy information.
#
# **The network.** Xception reduces 299x299 by 32; a 32x32 image would be
# 1x1 before the middle flow, and the builder refuses inputs below 71x71.
# `xception_cifar` is the CIFAR variant: the stem's two convolutions keep
# the resolution (**fewer early strides**: stride 1 and 'same' padding), so
# the three entry modules take 32x32 to 4x4 for the middle flow; every
# layer has a quarter of the filters (182 instead of 728 in the middle
# flow), and the middle flow has four modules instead of eight, for a CPU.
# Everything else, module by module, is Figure 5:

# %%
# NBVAL_CHECK_OUTPUT
small = build("xception_cifar")
trace_shapes(small, {
    "block1_conv2_act": (1, 32, 32, 16), "block2_add": (1, 16, 16, 32),
    "block3_add": (1, 8, 8, 64), "block4_add": (1, 4, 4, 182),
    "block8_add": (1, 4, 4, 182), "block9_add": (1, 2, 2, 256),
    "block10_sepconv2_act": (1, 2, 2, 512), "predictions": (1, 10),
})
print(f"xception_cifar: {count_params(small).trainable:,} trainable parameters, "
      f"{count_macs(small) / 1e6:.1f}M multiply-adds per image")

# %% [markdown]
# **One thing changed.** The three arms are `xception_cifar` with
# `intermediate_activation` "linear" (no non-linearity), "relu" and "elu".
# All three build each separable convolution the same way, as a depthwise
# convolution, the activation and a pointwise convolution, so they differ
# in the activation function only, not in the layers that compute. With the
# same weights, the "linear" network computes exactly what the
# `SeparableConv2D` network (the default) computes; and with the random
# seed reset, the three arms are built with the same initial weights:

# %%
# NBVAL_CHECK_OUTPUT
split = build("xception_cifar", intermediate_activation="linear")
split.set_weights(small.get_weights())
x = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
difference = float(np.max(np.abs(np.asarray(split(x)) - np.asarray(small(x)))))
print(f"same parameters: {split.count_params() == small.count_params()}; "
      f"outputs agree to 1e-6: {difference < 1e-6}")
assert split.count_params() == small.count_params() and difference < 1e-6
initial = {}
for activation in ("linear", "relu", "elu"):
    keras.utils.set_random_seed(0)
    initial[activation] = build("xception_cifar", intermediate_activation=activation).get_weights()
same = all(np.array_equal(a, b) for other in ("relu", "elu")
           for a, b in zip(initial["linear"], initial[other]))
print(f"seeded builds of the three arms start from the same weights: {same}")
assert same
del split, model, initial

# %% [markdown]
# **The budget.** The package's shared recipe (SGD with Nesterov momentum,
# learning rate 0.1 with cosine decay, weight decay 5e-4, label smoothing
# 0.1, random crops and flips; the README's "How the notebooks train"),
# the same data, batch size and epochs for each arm, and the random seed
# reset before each network is built, so the three start from the same
# initial weights (the activation has none). On a CPU each arm trains on
# the first 10,000 of the 50,000 training images for 3 epochs of batch 64;
# with a GPU or TPU, on all of them for 30 epochs. The paper's ImageNet
# runs took about three days each on 60 K80 GPUs; this is a small-scale
# check of the direction, one seed per arm.

# %%
import time

from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows
from convnets_tf.notebook import plan_run
from convnets_tf.results import record_run
from convnets_tf.timing import machine
from convnets_tf.train import describe_run, get_strategy, train_cifar

plan = plan_run(
    cpu=dict(train_images=10_000, test_images=None, epochs=3, batch_size=64),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")

# %%
ARMS = {"none": "linear", "relu": "relu", "elu": "elu"}
SPEC = convnets_tf.model_spec("xception_cifar")   # its builder and variant keywords
SECONDS = {}
for label, activation in ARMS.items():
    out = f"{plan.runs_dir}/xception_{label}"
    start = time.time()
    keras.utils.set_random_seed(0)   # the same initial weights for every arm
    train_cifar(
        lambda: SPEC.builder(**SPEC.kwargs, intermediate_activation=activation,
                             name=f"xception_cifar_{label}"),
        data, epochs=plan.epochs, batch_size=plan.batch_size, out_dir=out,
        strategy=strategy, verbose=2,
    )
    SECONDS[label] = time.time() - start
    record_run(plan, out, notebook="12-xception", label=f"intermediate_{label}")
    print(f"{label}: trained in {SECONDS[label]:.0f} s ({machine()})\n")

# %% [markdown]
# The curves, from the runs' `history.csv` files:

# %%
RESULTS = {label: read_rows(f"{plan.runs_dir}/xception_{label}/history.csv") for label in ARMS}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for label, rows in RESULTS.items():
    epochs = [int(row["epoch"]) + 1 for row in rows]
    axes[0].plot(epochs, [row["loss"] for row in rows], marker="o", label=label)
    axes[1].plot(epochs, [row["val_accuracy"] for row in rows], marker="o", label=label)
for ax, title in zip(axes, ("training loss", "test accuracy")):
    ax.set(title=title, xlabel="epoch")
    ax.grid(alpha=0.3)
    ax.legend(title="between the steps")
fig.tight_layout()
plt.show()
n_test = len(data[1][0])
for label, rows in RESULTS.items():
    p = rows[-1]["val_accuracy"]
    print(f"{label:<5} final training loss {rows[-1]['loss']:.3f}, train accuracy "
          f"{rows[-1]['accuracy']:.3f}, test accuracy {p:.3f} (standard error "
          f"{np.sqrt(p * (1 - p) / n_test):.3f}), {SECONDS[label]:.0f} s")
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each arm")

# %% [markdown]
# ## 7. Results
#
# All numbers here are printed by the cells above. The stored run trained
# each arm on a 2-core CPU shared with other jobs (load averages of 9 to 14
# are printed beside the times, so the times say little about the arms'
# speed), in float32, on the first 10,000 images of the 50,000-image
# CIFAR-10 training set, tested on 2,000 test images, for 3 epochs of
# batch 64, as the `Run:` line says.
#
# * **No non-linearity did best**: test accuracy 0.495 without one,
#   0.475 with ReLU and 0.474 with ELU between the depthwise and the
#   pointwise step. The gap, 2 points, is about twice the standard error
#   of each figure (0.011 on 2,000 images), from one run per arm with one
#   seed: it agrees in direction with Figure 10 but is not, on its own, a
#   significant result.
# * **Faster convergence, on the test set**: after the first epoch the
#   arm without a non-linearity had 0.2695 test accuracy against 0.1530
#   (ReLU) and 0.1840 (ELU), after the second 0.3645 against 0.2495 and
#   0.3485 (the logs above). The paper's first observation, faster
#   convergence, shows here in the test accuracy.
# * **The training curves barely differ**: final training losses 1.629
#   (none), 1.633 (ReLU) and 1.604 (ELU), training accuracies 0.468,
#   0.466 and 0.487 (on augmented images). At this scale the three arms fit
#   the training data equally well; the non-linearity changed how well the
#   network generalised in these three epochs, not how fast it fitted. The
#   early test accuracies are also affected by BatchNorm's moving
#   statistics, which lag behind quickly changing weights in the first
#   epochs (notebook 08 discusses this).
#
# A convincing test needs several seeds per arm and longer schedules: on
# a GPU or TPU the same cells train each arm on all 50,000 images for 30
# epochs.
#
# ## 8. Takeaways
#
# * Xception replaces every Inception module by depthwise separable
#   convolutions: one 3x3 filter per channel, then a 1x1 convolution
#   across channels. The "Inception hypothesis" taken to its extreme.
# * Per layer that costs about 1/9 of a regular 3x3 convolution's weights
#   and multiply-adds; over the whole network a regular-convolution twin
#   would be about eight times larger (computed above). Xception spends the
#   saving on width and depth, at Inception V3's parameter count.
# * The network is simple to write down: 14 modules of separable
#   convolutions and residual connections, in three flows; keras.applications'
#   Xception is the same network, weight for weight.
# * The paper found no non-linearity between the depthwise and the
#   pointwise step to be best, against the intuition from Inception; the
#   small run above tests the direction on CIFAR-10.
# * Depthwise separable convolutions became the basic layer of the mobile
#   networks that follow: MobileNet (notebook 14) builds on them directly.
#
# ## References
#
# * F. Chollet. Xception: Deep learning with depthwise separable
#   convolutions. CVPR 2017. [arXiv:1610.02357](https://arxiv.org/abs/1610.02357)
# * C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. Rethinking the
#   Inception architecture for computer vision. CVPR 2016 (Inception V3,
#   notebook 06).
# * L. Sifre. Rigid-motion scattering for image classification. PhD
#   thesis, 2014 (depthwise separable convolutions).
# * D.-A. Clevert, T. Unterthiner, S. Hochreiter. Fast and accurate deep
#   network learning by exponential linear units (ELUs). ICLR 2016.
# * keras.applications Xception, whose weights this builder reproduces.
# * Previous in the series: [11-bit.ipynb](11-bit.ipynb); next:
#   [13-densenet.ipynb](13-densenet.ipynb).
