# %% [markdown]
# # MobileNet v1 and MobileNetV2: depthwise separable convolutions, inverted residuals
#
# **Papers:** A. G. Howard, M. Zhu, B. Chen, D. Kalenichenko, W. Wang, T.
# Weyand, M. Andreetto and H. Adam, "MobileNets: Efficient convolutional
# neural networks for mobile vision applications", 2017.
# [arXiv:1704.04861](https://arxiv.org/abs/1704.04861).
# M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen, "MobileNetV2:
# Inverted residuals and linear bottlenecks", *CVPR* 2018.
# [arXiv:1801.04381](https://arxiv.org/abs/1801.04381)
#
# MobileNet v1 builds a whole ImageNet network from one cheap unit, the
# depthwise separable convolution (a per-channel 3x3 filter, then a 1x1
# convolution mixing channels), and adds two knobs to trade accuracy for
# cost: a width multiplier and a resolution multiplier. It reaches 70.6%
# top-1 with 569 million mult-adds, against 71.7% and 4,866 million for the
# same network with full convolutions (its Table 4). MobileNetV2 turns the
# block inside out: a narrow, *linear* bottleneck is expanded, filtered
# depthwise and projected back, with the shortcut between the narrow ends;
# 72.0% at 300 million mult-adds. This notebook rebuilds the papers' cost
# arithmetic and tables from the built models, checks them against
# keras.applications, trains the V2 ablation "linear against ReLU
# bottleneck" and a width sweep on CIFAR-10, and measures what the papers
# optimise: batch-1 latency, in Keras and in TFLite (LiteRT), float32 and
# int8.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/14-mobilenet.ipynb)

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
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf.analysis import count_macs, count_params, macs_per_layer, trace_shapes
from convnets_tf.models import mbconv, mobilenet

tf.get_logger().setLevel("ERROR")  # the TFLite converter's "Assets written to" lines
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. Depthwise separable convolution (v1, section 3.1)
#
# A standard convolution with a $D_K \times D_K$ kernel, $M$ input and $N$
# output channels on a $D_F \times D_F$ map filters and combines in one step,
# at a cost of $D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F$
# mult-adds. MobileNet splits the two: a **depthwise** convolution applies
# one $D_K \times D_K$ filter to each input channel
# ($D_K \cdot D_K \cdot M \cdot D_F \cdot D_F$), and a **pointwise** 1x1
# convolution combines the channels ($M \cdot N \cdot D_F \cdot D_F$). The
# ratio of the costs is
#
# $$\frac{D_K^2 M D_F^2 + M N D_F^2}{D_K^2 M N D_F^2} = \frac{1}{N} + \frac{1}{D_K^2},$$
#
# so a 3x3 layer becomes 8 to 9 times cheaper when $N$ is in the hundreds.
# The same count from built Keras layers, for a layer of MobileNet's
# 14x14x512 stage and a few others:

# %%
# NBVAL_CHECK_OUTPUT
def layer_macs(size, m, n, k=3, separable=True):
    inputs = keras.Input((size, size, m))
    if separable:
        x = keras.layers.DepthwiseConv2D(k, padding="same", use_bias=False)(inputs)
        x = keras.layers.Conv2D(n, 1, use_bias=False)(x)
    else:
        x = keras.layers.Conv2D(n, k, padding="same", use_bias=False)(inputs)
    return count_macs(keras.Model(inputs, x))

print(f"{'D_F':>4} {'M':>5} {'N':>5} {'standard':>12} {'separable':>11} {'ratio':>7} {'1/N + 1/9':>10}")
for size, m, n in ((112, 32, 64), (56, 128, 128), (14, 512, 512), (7, 1024, 1024)):
    full, sep = layer_macs(size, m, n, separable=False), layer_macs(size, m, n)
    print(f"{size:>4} {m:>5} {n:>5} {full:>12,} {sep:>11,} {sep / full:>7.4f} {1 / n + 1 / 9:>10.4f}")
    assert math.isclose(sep / full, 1 / n + 1 / 9)

# %% [markdown]
# ## 2. MobileNet v1 (Table 1)
#
# A full 3x3 convolution with stride 2, then 13 depthwise separable layers
# (each depthwise and pointwise step followed by BatchNorm and ReLU6 in
# keras' and TF-slim's implementation), average pooling and a 1000-way
# classifier; resolution is halved by strided *depthwise* layers:
#
# | layers | stride | output |
# |---|---|---|
# | conv 3x3, 32 | 2 | 112x112x32 |
# | dw 3x3 + pw 1x1, 64 | 1 | 112x112x64 |
# | dw + pw, 128; dw + pw, 128 | 2, 1 | 56x56x128 |
# | dw + pw, 256; dw + pw, 256 | 2, 1 | 28x28x256 |
# | dw + pw, 512; 5 x (dw + pw, 512) | 2, 1 | 14x14x512 |
# | dw + pw, 1024; dw + pw, 1024 | 2, 1 | 7x7x1024 |
# | average pool, fc 1000, softmax | | 1000 |

# %%
v1 = mobilenet.mobilenet()
trace_shapes(v1, {
    "conv1_relu": (1, 112, 112, 32), "conv_pw_1_relu": (1, 112, 112, 64),
    "conv_pw_3_relu": (1, 56, 56, 128), "conv_pw_5_relu": (1, 28, 28, 256),
    "conv_pw_11_relu": (1, 14, 14, 512), "conv_pw_13_relu": (1, 7, 7, 1024),
    "predictions": (1, 1000),
})

# %% [markdown]
# Where the cost goes (Table 2 of the paper): nearly all mult-adds are in
# the 1x1 convolutions, which a GEMM runs efficiently without im2col, and
# a quarter of the parameters are in the classifier. The paper prints
# 94.86%, 3.06%, 1.19% and 0.18% of the mult-adds, and 74.59%, 1.06%, 0.02%
# and 24.33% of the parameters (it counts the classifier in both columns).

# %%
# NBVAL_CHECK_OUTPUT
def layer_kind(layer):
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return "conv dw 3x3"
    if layer.name == "conv_preds":
        return "fully connected"
    return "conv 1x1" if layer.kernel_size == (1, 1) else "conv 3x3"

macs = macs_per_layer(v1)
shares = {}
for layer in v1.layers:
    if layer.name in macs:
        kind = layer_kind(layer)
        weights = sum(math.prod(w.shape) for w in layer.weights)
        shares[kind] = [a + b for a, b in zip(shares.get(kind, (0, 0)), (macs[layer.name], weights))]
total_macs = sum(a for a, _ in shares.values())
total_weights = sum(b for _, b in shares.values())
for kind, (a, b) in shares.items():
    print(f"{kind:<16} {100 * a / total_macs:6.2f}% of mult-adds {100 * b / total_weights:6.2f}% of parameters")
assert round(100 * shares["conv 1x1"][0] / total_macs, 2) == 94.86

# %% [markdown]
# Three of the four rows agree to the printed digit. The stem's share is
# 1.91% here; the paper's four mult-add shares add up to 99.29%, and with
# 1.91 in place of 1.19 they add up to 100.01%, so the paper's figure looks
# like two transposed digits.
#
# ## 3. Width and resolution multipliers (Tables 6 and 7)
#
# **Width multiplier $\alpha$ (section 3.3):** every layer gets
# $\alpha M$ inputs and $\alpha N$ outputs, so the cost falls roughly as
# $\alpha^2$. **Resolution multiplier $\rho$ (section 3.4):** a smaller input
# ($\rho$ times 224), so every map and every cost falls as $\rho^2$; the
# parameters do not change. The paper's Tables 6 and 7, recomputed from the
# built models (mult-adds include the classifier, parameters are trainable
# ones, as the paper counts them; `tests/test_mobilenet.py` checks Table 6):

# %%
# NBVAL_CHECK_OUTPUT
TABLE_6 = {1.0: (70.6, 569, 4.2), 0.75: (68.4, 325, 2.6), 0.5: (63.7, 149, 1.3), 0.25: (50.6, 41, 0.5)}
TABLE_7 = {224: (70.6, 569), 192: (69.1, 418), 160: (67.2, 290), 128: (64.4, 186)}
print("width   paper: top-1  M mult-adds  M params | ours: M mult-adds  M params")
for alpha, (top1, paper_macs, paper_params) in TABLE_6.items():
    model = mobilenet.mobilenet(alpha=alpha)
    ours_macs, ours_params = count_macs(model) / 1e6, count_params(model).trainable / 1e6
    print(f"{alpha:<5}  {top1:>12}% {paper_macs:>12} {paper_params:>9} | {ours_macs:>16.1f} {ours_params:>9.3f}")
    assert abs(ours_macs / paper_macs - 1) < 0.02 and round(ours_params, 1) == paper_params
print("\ninput   paper: top-1  M mult-adds | ours: M mult-adds")
for size, (top1, paper_macs) in TABLE_7.items():
    ours_macs = count_macs(mobilenet.mobilenet(input_shape=(size, size, 3))) / 1e6
    print(f"{size:<5}  {top1:>12}% {paper_macs:>12} | {ours_macs:>16.1f}")
    assert abs(ours_macs / paper_macs - 1) < 0.02

# %% [markdown]
# The paper's 0.5M for $\alpha = 0.25$ is 0.47M rounded; to one decimal all
# eight figures agree. The accuracy columns are the paper's ImageNet
# results: accuracy falls smoothly as the width shrinks, until the
# network becomes too small at 0.25, and smoothly as the resolution
# shrinks; the parameters depend on the width only.
#
# ## 4. The implementation, and keras.applications
#
# `convnets_tf/models/mobilenet.py` creates keras.applications' layers,
# under its names and in its order. One depthwise separable block; a strided
# one pads the bottom and right and is 'valid', as TF-slim did:

# %%
print(inspect.getsource(mobilenet.depthwise_separable_block))
print(inspect.getsource(mobilenet.mobilenet))

# %% [markdown]
# The totals against keras.applications (weights plus BatchNorm
# statistics); `tests/test_mobilenet.py` also copies the weights across and
# compares outputs, for these and for other widths.

# %%
# NBVAL_CHECK_OUTPUT
v2 = mobilenet.mobilenet_v2()
for ours, reference in ((v1, keras.applications.MobileNet), (v2, keras.applications.MobileNetV2)):
    theirs = reference(weights=None)
    print(f"{ours.name:<13} ours {ours.count_params():,}, keras.applications {theirs.count_params():,}")
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype("float32")
    assert np.max(np.abs(ours(x) - theirs(x))) < 1e-4
assert (v1.count_params(), v2.count_params()) == (4_253_864, 3_538_984)
del theirs

# %% [markdown]
# ## 5. MobileNetV2: inverted residuals and linear bottlenecks
#
# **Linear bottlenecks (section 3.2).** The activations of a layer span a
# "manifold of interest" that is believed to lie in a low-dimensional
# subspace. ReLU is linear where it does not clip, and it keeps all the
# information of its input only when the input lies in a low-dimensional
# subspace of a much wider space. So V2 keeps the narrow tensors *linear*
# (no ReLU after the projection) and applies ReLU6 only in the expanded,
# wide layers. The paper's Figure 1 embeds a 2-D spiral into $n$ dimensions
# with a random matrix $T$, applies ReLU and maps back with $T^{-1}$; at
# $n$ = 2 or 3 much of the spiral collapses, at 15 or 30 it survives.
# Whether information is lost at a point can be counted exactly: ReLU keeps
# the coordinates that are positive there, and the point can be recovered
# only if the rows of $T$ that stay active still span the plane (rank 2).
# The fraction of the spiral's points where they do not:

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
t = np.linspace(0.5, 4 * np.pi, 1000)
spiral = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
lost = {}
for n in (2, 3, 5, 15, 30):
    T = rng.normal(size=(n, 2))
    active = spiral @ T.T > 0
    lost[n] = np.mean([np.linalg.matrix_rank(T[a]) < 2 for a in active])
    print(f"n = {n:>2}: ReLU(T x) loses information at {100 * lost[n]:5.1f}% of the points")
assert lost[2] > 0.5 and lost[30] == 0

# %% [markdown]
# Embedded in two, three or five dimensions, ReLU loses the input on a
# large part of the spiral; in 15 or 30 it keeps all of it (the paper's
# Figure 1 shows the same).
#
# **Inverted residuals (section 3.3, Figure 3):** the residual block of ResNet is wide
# at its ends and narrow inside; V2's is narrow (linear) at its ends and
# wide (ReLU6) inside: a 1x1 expansion by $t$ (6), a 3x3 depthwise
# convolution, a linear 1x1 projection, and the shortcut between the narrow
# tensors when stride and widths allow. A block costs
# $h w d' t (d' + k^2 + d'')$ mult-adds for $d'$ input and $d''$ output
# channels. Table 2 of the paper, with $t$ the expansion, $c$ the output
# channels, $n$ the repeats and $s$ the first stride:
#
# | input | operator | t | c | n | s |
# |---|---|---|---|---|---|
# | 224x224x3 | conv2d 3x3 | - | 32 | 1 | 2 |
# | 112x112x32 | bottleneck | 1 | 16 | 1 | 1 |
# | 112x112x16 | bottleneck | 6 | 24 | 2 | 2 |
# | 56x56x24 | bottleneck | 6 | 32 | 3 | 2 |
# | 28x28x32 | bottleneck | 6 | 64 | 4 | 2 |
# | 14x14x64 | bottleneck | 6 | 96 | 3 | 1 |
# | 14x14x96 | bottleneck | 6 | 160 | 3 | 2 |
# | 7x7x160 | bottleneck | 6 | 320 | 1 | 1 |
# | 7x7x320 | conv2d 1x1 | - | 1280 | 1 | 1 |
# | 7x7x1280 | avgpool 7x7, conv2d 1x1 | - | k | - | - |

# %%
# NBVAL_CHECK_OUTPUT
trace_shapes(v2, {
    "Conv1_relu": (1, 112, 112, 32), "expanded_conv_project_BN": (1, 112, 112, 16),
    "block_2_add": (1, 56, 56, 24), "block_5_add": (1, 28, 28, 32),
    "block_9_add": (1, 14, 14, 64), "block_12_add": (1, 14, 14, 96),
    "block_15_add": (1, 7, 7, 160), "block_16_project_BN": (1, 7, 7, 320),
    "out_relu": (1, 7, 7, 1280), "predictions": (1, 1000),
})
print(f"\nMobileNetV2 1.0-224: {count_macs(v2) / 1e6:.1f}M mult-adds (paper: 300M), "
      f"{count_params(v2).trainable / 1e6:.2f}M trainable parameters (paper: 3.4M)")

# %% [markdown]
# The block, shared with MobileNetV3 and EfficientNet
# (`convnets_tf/models/mbconv.py`); `project_activation` is the one
# addition for the ablation below, off by default:

# %%
print(inspect.getsource(mbconv.inverted_residual))

# %% [markdown]
# ## 6. CIFAR variants: fewer early strides
#
# Both networks divide the resolution by 32, so a 32x32 CIFAR image leaves
# the last stages a single position. The builders' `early_strides` option
# sets the strides of the stem and of the first strided stage (v1's
# `conv_dw_2`, V2's first 24-channel bottleneck). It changes no weight.
# `(1, 1)` is the usual CIFAR variant (a 4x4 final map, and the cost of
# the ImageNet model at 128x128); `(1, 2)` keeps the second stride and
# ends at 2x2, four times cheaper, which is what this notebook can afford
# to train on two CPU cores:

# %%
# NBVAL_CHECK_OUTPUT
for strides in ((2, 2), (1, 2), (1, 1)):
    for builder, alpha in ((mobilenet.mobilenet, 0.5), (mobilenet.mobilenet_v2, 0.5)):
        model = builder(input_shape=(32, 32, 3), num_classes=10, alpha=alpha,
                        early_strides=strides, include_top=False)
        print(f"{model.name:<13} alpha {alpha} early_strides {strides}: final map "
              f"{model.output_shape[1]}x{model.output_shape[2]}, "
              f"{count_macs(model) / 1e6:5.1f}M mult-adds")

# %% [markdown]
# ## 7. Training on CIFAR-10
#
# Two questions, with the same recipe, data and budget for every run:
#
# * **Linear against ReLU6 bottlenecks (V2, Figure 6a).** MobileNetV2
#   $\alpha$ = 0.5 with `early_strides=(1, 2)`, trained twice from the same
#   initial weights; the only change is `bottleneck_activation="relu6"`, a
#   ReLU6 after every projection's BatchNorm (before the addition), as
#   TF-slim's `project_activation_fn` does. The paper finds the linear
#   bottleneck better on ImageNet.
# * **Accuracy against mult-adds (the width multiplier).** The linear run
#   and two more widths, $\alpha$ = 0.35 and 0.75.
#
# The shared recipe (SGD with Nesterov momentum, peak learning rate 0.1,
# cosine decay, weight decay 5e-4, label smoothing 0.1; see
# [How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train)),
# with one change: keras' MobileNetV2 uses BatchNorm momentum 0.999,
# meant for runs of hundreds of thousands of steps. A run of a few hundred
# steps would evaluate with moving statistics still close to their
# initial values, so the runs here use 0.9. On two CPU cores the budget
# is a subset of the 50,000 training images for a few epochs: a
# comparison at small scale, not the paper's accuracy.

# %%
import time

from convnets_tf.data import CIFAR_MEAN, CIFAR_STD, load_cifar
from convnets_tf.history import read_rows
from convnets_tf.notebook import plan_run
from convnets_tf.results import record_run
from convnets_tf.timing import (
    inference_seconds,
    machine,
    run_tflite,
    tflite_seconds,
    to_tflite,
)
from convnets_tf.train import describe_run, get_strategy, train_cifar

plan = plan_run(
    cpu=dict(train_images=8192, test_images=None, epochs=4, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")


def cifar_v2(alpha, bottleneck_activation=None):
    model = mobilenet.mobilenet_v2(
        input_shape=(32, 32, 3), num_classes=10, alpha=alpha, early_strides=(1, 2),
        bottleneck_activation=bottleneck_activation,
        name=f"mobilenet_v2_{alpha}_{bottleneck_activation or 'linear'}")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    return model


RUNS = {"v2_0.5_linear": (0.5, None), "v2_0.5_relu6": (0.5, "relu6"),
        "v2_0.35_linear": (0.35, None), "v2_0.75_linear": (0.75, None)}
if plan.mode == "smoke":   # CI: the ablation pair only
    RUNS = dict(list(RUNS.items())[:2])
MODELS, HISTORY = {}, {}
for label, (alpha, activation) in RUNS.items():
    out = f"{plan.runs_dir}/{label}"
    start = time.time()
    keras.utils.set_random_seed(0)   # the same initial weights for both 0.5 runs
    MODELS[label] = train_cifar(
        lambda: cifar_v2(alpha, activation), data, epochs=plan.epochs,
        batch_size=plan.batch_size, out_dir=out, strategy=strategy, verbose=2,
        learning_rate=0.1,
    )
    record_run(plan, out, notebook="14-mobilenet", label=label)
    HISTORY[label] = read_rows(f"{out}/history.csv")
    print(f"{label}: trained in {time.time() - start:.0f} s\n")

# %%
fig, (ax_curves, ax_width) = plt.subplots(1, 2, figsize=(11, 4))
for label in ("v2_0.5_linear", "v2_0.5_relu6"):
    rows = HISTORY[label]
    ax_curves.plot([r["epoch"] + 1 for r in rows], [r["val_accuracy"] for r in rows],
                   marker="o", label=label)
ax_curves.set(title="linear vs ReLU6 bottleneck", xlabel="epoch", ylabel="test accuracy")
ax_curves.legend()
points = []
for label in [name for name in HISTORY if name.endswith("linear")]:
    cost = count_macs(MODELS[label]) / 1e6
    points.append((cost, HISTORY[label][-1]["val_accuracy"], label))
points.sort()
ax_width.plot([p[0] for p in points], [p[1] for p in points], marker="o")
for cost, accuracy, label in points:
    ax_width.annotate(label.split("_")[1], (cost, accuracy))
ax_width.set(title="width multiplier", xlabel="M mult-adds (32x32)", ylabel="test accuracy")
fig.tight_layout()
plt.show()
n_test = len(data[1][0])
for label, rows in HISTORY.items():
    p = rows[-1]["val_accuracy"]
    model = MODELS[label]
    print(f"{label:<15} {count_macs(model) / 1e6:5.1f}M mult-adds, "
          f"{count_params(model).trainable:>9,} parameters: test accuracy {p:.3f} "
          f"(standard error {math.sqrt(p * (1 - p) / n_test):.3f}), train {rows[-1]['accuracy']:.3f}")
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# ## 8. Latency: Keras and TFLite (LiteRT), batch 1, on this CPU
#
# The papers optimise latency on phones, and mult-adds predict it only
# roughly: a layer's speed depends on its memory traffic and on how well
# the kernels use the hardware (v1's Table 2 argument for 1x1
# convolutions). Here each ImageNet-size model runs one image at a time, in
# Keras (a compiled `tf.function`) and in the TFLite interpreter
# (`convnets_tf.timing`), float32; the largest v1 and V2 also as int8
# (post-training quantisation, calibrated on 32 CIFAR images resized to
# 224). In smoke mode (CI) only two small models run, briefly.

# %%
smoke = plan.mode == "smoke"
REPEATS = 3 if smoke else 20
LATENCY_MODELS = {
    "v1 0.25-224": dict(builder=mobilenet.mobilenet, alpha=0.25),
    "v1 0.5-224": dict(builder=mobilenet.mobilenet, alpha=0.5),
    "v1 0.75-224": dict(builder=mobilenet.mobilenet, alpha=0.75),
    "v1 1.0-224": dict(builder=mobilenet.mobilenet, alpha=1.0),
    "v1 1.0-192": dict(builder=mobilenet.mobilenet, size=192),
    "v1 1.0-160": dict(builder=mobilenet.mobilenet, size=160),
    "v1 1.0-128": dict(builder=mobilenet.mobilenet, size=128),
    "v2 0.35-224": dict(builder=mobilenet.mobilenet_v2, alpha=0.35),
    "v2 1.0-224": dict(builder=mobilenet.mobilenet_v2, alpha=1.0),
}
if smoke:
    LATENCY_MODELS = {"v1 0.25-128": dict(builder=mobilenet.mobilenet, alpha=0.25, size=128),
                      "v2 0.35-96": dict(builder=mobilenet.mobilenet_v2, alpha=0.35, size=96)}
INT8 = () if smoke else ("v1 1.0-224", "v2 1.0-224")
calibration_224 = tf.image.resize(
    (data[0][0][:32].astype("float32") - 127.5) / 127.5, (224, 224)).numpy()

latency = {}
for label, spec in LATENCY_MODELS.items():
    spec = dict(spec)
    builder, size = spec.pop("builder"), spec.pop("size", 224)
    model = builder(input_shape=(size, size, 3), **spec)
    row = {"macs": count_macs(model) / 1e6, "keras": inference_seconds(model, 1, REPEATS)}
    row["tflite"] = tflite_seconds(to_tflite(model), REPEATS)
    if label in INT8:
        row["int8"] = tflite_seconds(to_tflite(model, calibration_224), REPEATS)
    latency[label] = row
    print(f"{label:<12} {row['macs']:6.1f}M mult-adds: Keras {1e3 * row['keras']:6.1f} ms, "
          f"TFLite float32 {1e3 * row['tflite']:6.1f} ms"
          + (f", int8 {1e3 * row['int8']:6.1f} ms" if "int8" in row else ""))
print(f"({machine()}; medians of {REPEATS} calls)")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for key, marker in (("keras", "o"), ("tflite", "s")):
    ax.scatter([r["macs"] for r in latency.values()], [1e3 * r[key] for r in latency.values()],
               marker=marker, label=key)
for label, r in latency.items():
    ax.annotate(label, (r["macs"], 1e3 * r["tflite"]), fontsize=7)
ax.set(xlabel="M mult-adds", ylabel="batch-1 latency (ms)", title="latency against mult-adds")
ax.legend()
plt.show()
macs_ratio = latency[list(latency)[-1]]["macs"] / latency[list(latency)[0]]["macs"]
tflite_ratio = latency[list(latency)[-1]]["tflite"] / latency[list(latency)[0]]["tflite"]
print(f"{list(latency)[-1]} / {list(latency)[0]}: {macs_ratio:.1f}x the mult-adds, "
      f"{tflite_ratio:.1f}x the TFLite latency")

# %% [markdown]
# ### The trained model in TFLite: float32 and int8 outputs and accuracy
#
# The $\alpha$ = 0.5 linear-bottleneck model from section 7, converted
# twice: float32, and int8 weights and activations calibrated on 200
# training images (normalised as in training). All three run on the same
# test images, one at a time.

# %%
trained = MODELS["v2_0.5_linear"]
x_test = ((data[1][0].astype("float32") - CIFAR_MEAN) / CIFAR_STD).astype("float32")
y_test = data[1][1]
calibration = ((data[0][0][:16 if smoke else 200].astype("float32") - CIFAR_MEAN)
               / CIFAR_STD).astype("float32")
flat, int8 = to_tflite(trained), to_tflite(trained, calibration)
keras_out = trained.predict(x_test, batch_size=256, verbose=0)
flat_out, int8_out = run_tflite(flat, x_test), run_tflite(int8, x_test)
print(f"file size: float32 {len(flat) / 1e6:.2f} MB, int8 {len(int8) / 1e6:.2f} MB")
print(f"largest |TFLite float32 - Keras| probability: {np.max(np.abs(flat_out - keras_out)):.1e}")
print(f"largest |TFLite int8 - Keras| probability:    {np.max(np.abs(int8_out - keras_out)):.3f}")
for name, out in (("Keras", keras_out), ("TFLite float32", flat_out), ("TFLite int8", int8_out)):
    print(f"{name:<15} test accuracy {np.mean(out.argmax(1) == y_test):.3f} on {len(y_test):,} images")
print(f"int8 predictions equal to Keras': {np.mean(int8_out.argmax(1) == keras_out.argmax(1)):.3f}")
print(f"batch-1 latency at 32x32: Keras {1e3 * inference_seconds(trained, 1, REPEATS):.2f} ms, "
      f"TFLite float32 {1e3 * tflite_seconds(flat, REPEATS):.2f} ms, "
      f"int8 {1e3 * tflite_seconds(int8, REPEATS):.2f} ms ({machine()})")

# %% [markdown]
# ## 9. Results
#
# All numbers here are printed by the cells above.
#
# * **Cost.** A depthwise separable layer costs exactly $1/N + 1/9$ of a
#   standard 3x3 layer (0.1131 at 14x14x512). In MobileNet v1 the 1x1
#   convolutions hold 94.86% of the mult-adds and 74.57% of the
#   parameters, the classifier 24.35% of the parameters.
# * **Tables 6 and 7** follow from the built models: 568.7M, 325.4M, 149.5M
#   and 41.0M mult-adds for widths 1.0 to 0.25 (paper 569, 325, 149, 41),
#   4.232M, 2.586M, 1.332M and 0.470M parameters (paper 4.2, 2.6, 1.3,
#   0.5), and 418.1M, 290.7M and 186.4M at 192, 160 and 128 pixels (paper
#   418, 290, 186). MobileNetV2 has 300.8M mult-adds (paper 300M) and 3.50M
#   trainable parameters (paper 3.4M). Both equal keras.applications:
#   4,253,864 and 3,538,984 parameters in total.
# * **Linear against ReLU6 bottlenecks** (MobileNetV2 $\alpha$ = 0.5,
#   `early_strides=(1, 2)`, 8,192 training images, 4 epochs, 2,000 test
#   images, one seed): linear 0.270 test accuracy, ReLU6 0.282, with a
#   standard error of 0.010 each; training accuracy 0.263 and 0.262. The
#   difference is about one standard error in the direction opposite to
#   the paper's: this run cannot separate the two. Both models are far from
#   trained (256 steps, on a machine shared with other jobs), where the
#   information a ReLU destroys in a narrow tensor matters less than how
#   fast the network fits; the paper's Figure 6a compares fully trained
#   ImageNet models.
# * **Accuracy against mult-adds.** $\alpha$ = 0.35, 0.5 and 0.75 (4.7M,
#   7.8M and 17.0M mult-adds at 32x32) reached 0.256, 0.270 and 0.306:
#   accuracy rises with width, at a small budget that favours no model.
#   These accuracies are low (chance is 0.1): the recipe's SGD at a peak
#   learning rate of 0.1 without warm-up (a run of 4 epochs gets none)
#   left a mean loss of 3.104 in the first epoch of the linear run, above
#   the ln 10 = 2.30 of a uniform guess, and 4 epochs of 8,192 images are
#   few for a 17-block network.
# * **Latency against mult-adds** (batch 1, 224x224 unless stated; load
#   4.6 on 2 cores). In TFLite float32, v1 ran in 1.6, 4.2, 8.7 and 14.1 ms
#   at widths 0.25 to 1.0 and in 11.3, 7.8 and 5.5 ms at 192, 160 and 128
#   pixels: nearly proportional to mult-adds within one architecture. Across
#   architectures it is not: MobileNetV2 1.0 (300.8M mult-adds) took 10.2
#   ms, more than v1 1.0-160 (290.7M, 7.8 ms) and v1 0.75 (325.4M, 8.7 ms),
#   and V2 0.35 (59.3M) took 2.7 ms against 1.6 ms for v1 0.25 (41.0M).
#   Keras is several times slower at batch 1 and flatter (8.5 to 28.2 ms),
#   its per-call overhead dominating the small models. int8 was not faster
#   than float32 on this x86 CPU (14.7 against 14.1 ms for v1, 10.7
#   against 10.2 ms for V2).
# * **TFLite on the trained model** ($\alpha$ = 0.5, linear): float32
#   differs from Keras by at most 9.5e-07 in any probability and gives the
#   same test accuracy (0.270); int8 shrinks the file from 2.82 to 1.00 MB,
#   changes probabilities by up to 0.058, agrees with Keras on 91.4% of the
#   test images and scores 0.271.
#
# ## 10. Takeaways
#
# * A depthwise separable 3x3 layer costs $1/N + 1/9$ of a full one; in
#   MobileNet v1 95% of the mult-adds end up in 1x1 convolutions.
# * Width and resolution multipliers scale mult-adds by about $\alpha^2$ and
#   $\rho^2$; the paper's Tables 6 and 7 follow from the built models.
# * MobileNetV2 keeps the narrow tensors linear and the wide ones
#   non-linear, and connects the narrow ends; a ReLU on a low-dimensional
#   tensor loses information (the spiral above).
# * Mult-adds are a proxy. The quantity these papers optimise is latency on
#   a device, and it has to be measured there.
#
# ## References
#
# * A. G. Howard et al. MobileNets: Efficient convolutional neural networks
#   for mobile vision applications. 2017. [arXiv:1704.04861](https://arxiv.org/abs/1704.04861)
# * M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen. MobileNetV2:
#   Inverted residuals and linear bottlenecks. CVPR 2018.
#   [arXiv:1801.04381](https://arxiv.org/abs/1801.04381)
# * F. Chollet. Xception: Deep learning with depthwise separable
#   convolutions. CVPR 2017 (notebook 12).
# * keras.applications MobileNet and MobileNetV2, whose weights these
#   builders reproduce; TF-slim's `mobilenet_v1.py` and `conv_blocks.py`.
# * Previous in the series: [13-densenet.ipynb](13-densenet.ipynb); next:
#   [15-shufflenet-v2.ipynb](15-shufflenet-v2.ipynb).
