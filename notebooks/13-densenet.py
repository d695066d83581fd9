# %% [markdown]
# # DenseNet: densely connected convolutional networks
#
# **Paper:** G. Huang, Z. Liu, L. van der Maaten and K. Q. Weinberger,
# "Densely connected convolutional networks", *IEEE Conference on Computer
# Vision and Pattern Recognition* (CVPR), 2017.
# [arXiv:1608.06993](https://arxiv.org/abs/1608.06993)
#
# ResNet adds a layer's input to its output. DenseNet *concatenates*: every
# layer of a dense block receives the feature maps of all layers before it
# and passes its own to all layers after it. Each layer adds only a few
# maps (the growth rate $k$, 12 to 48), so the layers are narrow, features
# are reused rather than re-learned, and the networks need far fewer
# parameters than ResNets of similar accuracy: on CIFAR-10 with
# augmentation, DenseNet-BC (L=100, k=12) reaches 4.51% error with 0.8M
# parameters, against 6.41% to 6.61% for the 1.7M-parameter ResNet-110
# (Table 2). This notebook rebuilds the paper's Tables 1 and 2
# from the package's builders, counts every dense block's layers and the
# parameters against keras.applications, settles the DenseNet-264 count,
# trains a small DenseNet-BC against ResNet-20 on CIFAR-10, and measures
# what the concatenations cost in activation memory.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/13-densenet.ipynb)

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
from convnets_tf import build
from convnets_tf.models import densenet
from convnets_tf.notebook import smoke_mode

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")

# %% [markdown]
# ## 1. The idea: dense connectivity
#
# **Connectivity (Section 3, Eqn. 2).** In a ResNet, layer $\ell$ computes
# $x_\ell = H_\ell(x_{\ell-1}) + x_{\ell-1}$: the identity and the
# layer's output are *summed*, which, the paper argues, "may impede the
# information flow". In a dense block, layer $\ell$ reads all earlier maps,
# concatenated:
#
# $$x_\ell = H_\ell([x_0, x_1, \ldots, x_{\ell-1}])$$
#
# so a block of $L$ layers has $L(L+1)/2$ direct connections. $H_\ell$ is
# BN, ReLU and a 3x3 convolution. Every layer reaches the loss and the
# input through short paths (implicit deep supervision), and the features
# of early layers stay available to the last.
#
# **Growth rate (Section 3).** Each $H_\ell$ produces $k$ maps, so layer
# $\ell$ has $k_0 + k(\ell - 1)$ input maps. $k$ is small (12 on CIFAR, 32
# on ImageNet): the paper views the concatenated maps as the network's
# "collective knowledge", a global state to which each layer adds its own
# $k$ maps.
#
# **Transition layers.** Concatenation needs maps of the same size, so the
# network is split into dense blocks; between them a transition layer
# (BN, a 1x1 convolution, 2x2 average pooling) halves the resolution.
#
# **Bottleneck (DenseNet-B).** A 1x1 convolution to $4k$ maps before each
# 3x3 convolution: BN-ReLU-Conv(1x1)-BN-ReLU-Conv(3x3). It caps the cost
# of the 3x3 convolution however many maps a layer reads.
#
# **Compression (DenseNet-C).** A transition layer outputs
# $\lfloor \theta m \rfloor$ of its $m$ input maps; $\theta = 0.5$ in the
# paper. With both, the network is **DenseNet-BC**.
#
# A dense block of four layers with $k = 12$ on 24 input maps, from the
# package's `dense_block`: each layer's concatenation adds 12 maps.

# %%
# NBVAL_CHECK_OUTPUT
inputs = keras.Input((8, 8, 24))
block = keras.Model(inputs, densenet.dense_block(inputs, 4, name="demo", growth_rate=12))
for i in range(1, 5):
    print(f"layer {i}: reads {block.get_layer(f'demo_block{i}_0_bn').input.shape[-1]:>2} maps, "
          f"its 1x1 bottleneck makes {block.get_layer(f'demo_block{i}_1_conv').filters}, "
          f"its 3x3 conv {block.get_layer(f'demo_block{i}_2_conv').filters}; "
          f"the concatenation has {block.get_layer(f'demo_block{i}_concat').output.shape[-1]}")
assert block.output.shape[-1] == 24 + 4 * 12

# %% [markdown]
# ## 2. The ImageNet networks (Table 1)
#
# All four are DenseNet-BC with $k = 32$: a 7x7/2 convolution to $2k$
# maps, 3x3/2 max-pooling, four dense blocks with transition layers
# between them, global average pooling and a 1000-way classifier. They
# differ in the number of layers in blocks 3 and 4:
#
# | layers | output size | DenseNet-121 | DenseNet-169 | DenseNet-201 | DenseNet-264 |
# |---|---|---|---|---|---|
# | convolution | 112x112 | 7x7 conv, stride 2 | same | same | same |
# | pooling | 56x56 | 3x3 max pool, stride 2 | same | same | same |
# | dense block (1) | 56x56 | [1x1 conv, 3x3 conv] x 6 | x 6 | x 6 | x 6 |
# | transition (1) | 56x56 -> 28x28 | 1x1 conv, 2x2 average pool, stride 2 | same | same | same |
# | dense block (2) | 28x28 | [1x1 conv, 3x3 conv] x 12 | x 12 | x 12 | x 12 |
# | transition (2) | 28x28 -> 14x14 | 1x1 conv, 2x2 average pool, stride 2 | same | same | same |
# | dense block (3) | 14x14 | [1x1 conv, 3x3 conv] x 24 | x 32 | x 48 | x 64 |
# | transition (3) | 14x14 -> 7x7 | 1x1 conv, 2x2 average pool, stride 2 | same | same | same |
# | dense block (4) | 7x7 | [1x1 conv, 3x3 conv] x 16 | x 32 | x 32 | x 48 |
# | classification | 1x1 | 7x7 global average pool, 1000-D fully connected, softmax | same | same | same |
#
# The name counts weighted layers: the stem, two convolutions per dense
# layer, three transitions and the classifier, $2 \sum n_i + 5$ (121 = 2 x
# 58 + 5).
#
# The table rebuilt from the built models: for each network, the layers
# **counted in each dense block of the graph** (its `_concat` layers), the
# map size and the channels each block and transition outputs. A rival
# notebook's "DenseNet-169" had an early `return` inside the loop over a
# block's layers: one layer per block, and nothing in its output said so.
# Counting the built graph catches that. The last row applies the
# name's formula to the counted layers.

# %%
# NBVAL_CHECK_OUTPUT
MODELS = {depth: build(f"densenet{depth}") for depth in (121, 169, 201, 264)}

def layers_per_block(model):
    """Dense layers counted in the built graph, per block (conv2 ... conv5)."""
    return tuple(sum(1 for layer in model.layers
                     if layer.name.startswith(f"conv{stage}_block") and layer.name.endswith("_concat"))
                 for stage in range(2, 6))

print(f"{'':<18}" + "".join(f"{'DenseNet-' + str(d):>16}" for d in MODELS))
for stage in range(2, 6):
    cells = []
    for depth, model in MODELS.items():
        n = layers_per_block(model)[stage - 2]
        shape = model.get_layer(f"conv{stage}_block{n}_concat").output.shape
        cells.append(f"{n:>3} -> {shape[1]}x{shape[2]}x{shape[3]}")
    print(f"dense block ({stage - 1})".ljust(18) + "".join(f"{c:>16}" for c in cells))
    if stage < 5:
        shapes = [m.get_layer(f"pool{stage}_pool").output.shape for m in MODELS.values()]
        print(f"transition ({stage - 1})".ljust(18)
              + "".join(f"{f'{s[1]}x{s[2]}x{s[3]}':>16}" for s in shapes))
weighted = {depth: 2 * sum(layers_per_block(model)) + 5 for depth, model in MODELS.items()}
print("weighted layers".ljust(18) + "".join(f"{w:>16}" for w in weighted.values()))
for depth, model in MODELS.items():
    assert layers_per_block(model) == densenet.IMAGENET_BLOCKS[depth]
assert weighted == {121: 121, 169: 169, 201: 201, 264: 265}

# %% [markdown]
# Every block has the layers of Table 1. The names of the first three
# networks are their weighted layers; Table 1's fourth column, as printed
# (6, 12, 64, 48), has $2 \times 130 + 5 = 265$, one more than its name.
# keras.applications has no DenseNet-264 to compare with; the package
# builds the column as printed.
#
# What a one-layer-per-block "DenseNet-169" amounts to: the same builder
# with `blocks=(1, 1, 1, 1)` has a quarter of a million parameters, the
# size the rival printed (264,960) rather than DenseNet-169's 14.3 million.

# %%
# NBVAL_CHECK_OUTPUT
truncated = densenet.densenet(blocks=(1, 1, 1, 1), name="one_layer_per_block")
print(f"one layer per block: {truncated.count_params():,} parameters, "
      f"layers per block {layers_per_block(truncated)}")
print(f"DenseNet-169:        {MODELS[169].count_params():,} parameters, "
      f"layers per block {layers_per_block(MODELS[169])}")
del truncated

# %% [markdown]
# ### Counts against keras.applications, and DenseNet-264
#
# Totals (weights plus BatchNorm's moving statistics) against
# keras.applications' DenseNet121/169/201. The references are keras'
# totals; outside CI's quick smoke run the cell builds keras' three
# networks and asserts that they are these numbers (tests/test_densenet.py
# also checks the layer names and, with the weights copied, the outputs).
# keras.applications has no DenseNet-264.

# %%
# NBVAL_CHECK_OUTPUT
from convnets_tf.analysis import count_activations, count_params, trace_shapes

KERAS_TOTALS = {121: 8_062_504, 169: 14_307_880, 201: 20_242_984}
for depth, model in MODELS.items():
    count = count_params(model)
    reference = (f"keras.applications {KERAS_TOTALS[depth]:,}" if depth in KERAS_TOTALS
                 else "(no keras.applications model)")
    print(f"DenseNet-{depth}: total {count.total:>10,}, trainable {count.trainable:>10,}; {reference}")
    if depth in KERAS_TOTALS:
        assert count.total == KERAS_TOTALS[depth]
if not smoke_mode():
    for depth, total in KERAS_TOTALS.items():
        assert getattr(keras.applications, f"DenseNet{depth}")(weights=None).count_params() == total

# %% [markdown]
# **DenseNet-264: 33.3M, and where 22M might come from.** The paper prints
# no parameter count in Table 1. Built from the table, DenseNet-264 has
# 33,337,704 trainable parameters (above), the "about 33.3M" usually quoted.
# One of our reference blog posts lists 22M. To see whether any reading of
# the paper gives 22M, the count can be written down by hand: the stem, for
# each dense layer BN on its $c$ input maps, a 1x1 convolution $c \to 4k$,
# BN, a 3x3 convolution $4k \to k$; each transition's BN and 1x1
# convolution $c \to \lfloor \theta c \rfloor$; the final BN and the
# classifier. The formula reproduces the four built networks exactly, so
# it can be evaluated for other growth rates without building them:

# %%
# NBVAL_CHECK_OUTPUT
def table1_trainable(blocks, k=32, theta=0.5, classes=1000):
    c = 2 * k
    total = 7 * 7 * 3 * c + 2 * c                      # stem convolution and BN
    for i, n in enumerate(blocks):
        for _ in range(n):                              # BN, 1x1 to 4k, BN, 3x3 to k
            total += 2 * c + c * 4 * k + 2 * 4 * k + 9 * 4 * k * k
            c += k
        if i < len(blocks) - 1:                         # transition: BN, 1x1 conv
            total += 2 * c + c * int(theta * c)
            c = int(theta * c)
    return total + 2 * c + (c + 1) * classes            # final BN, classifier

for depth, model in MODELS.items():
    assert table1_trainable(densenet.IMAGENET_BLOCKS[depth]) == count_params(model).trainable
print("the formula equals the built networks' trainable counts for all four columns")
print(f"{'growth rate k':<14}" + "".join(f"{'DN-' + str(d):>9}" for d in MODELS))
near_22m = []
for k in (12, 24, 26, 32, 40, 48):
    counts = {d: table1_trainable(densenet.IMAGENET_BLOCKS[d], k) for d in MODELS}
    print(f"{k:<14}" + "".join(f"{c / 1e6:>8.1f}M" for c in counts.values()))
    near_22m += [(d, k, c) for d, c in counts.items() if 21.5e6 <= c < 22.5e6]
print("columns and growth rates that round to 22M:",
      ", ".join(f"DenseNet-{d} with k={k} ({c / 1e6:.2f}M)" for d, k, c in near_22m))

# %% [markdown]
# With the paper's $k = 32$, no column comes to 22M: DenseNet-201 has 20.0M,
# DenseNet-264 33.3M. A 264-layer network would need a growth rate of 26 to
# have about 22M parameters, and DenseNet-169 one of 40; the paper uses
# neither for ImageNet (its ImageNet networks all have $k = 32$; DenseNet-161
# in the authors' code has $k = 48$). We could not reproduce the 22M from
# the paper's configurations, and the count above is the one Table 1 gives.
#
# ### The CIFAR networks (Table 2)
#
# On CIFAR (Section 3, "Implementation details") the network has three dense
# blocks of equal depth on 32x32, 16x16 and 8x8 maps, after a 3x3
# convolution to 16 maps ($2k$ for DenseNet-BC). Depth $L$ counts the
# weighted layers: $L = 3n + 4$ without the bottleneck, $6n + 4$ with it.
# Table 2 lists DenseNet (L=40, k=12) with 1.0M parameters and DenseNet-BC
# (L=100, k=12) with 0.8M:

# %%
# NBVAL_CHECK_OUTPUT
for name, paper in (("densenet40_k12", "1.0M"), ("densenet_bc100_k12", "0.8M")):
    model = build(name)
    blocks = tuple(sum(1 for layer in model.layers if layer.name.startswith(f"conv{s}_block")
                       and layer.name.endswith("_concat")) for s in (2, 3, 4))
    print(f"{name:<20} {count_params(model).trainable:>9,} trainable (Table 2: {paper}); "
          f"layers per block {blocks}")
trace_shapes(model, {"conv1_conv": (1, 32, 32, 24), "conv2_block16_concat": (1, 32, 32, 216),
                     "pool2_pool": (1, 16, 16, 108), "conv3_block16_concat": (1, 16, 16, 300),
                     "pool3_pool": (1, 8, 8, 150), "conv4_block16_concat": (1, 8, 8, 342),
                     "predictions": (1, 10)})
del model, MODELS

# %% [markdown]
# ## 3. The implementation
#
# Everything is in `convnets_tf/models/densenet.py`. One dense layer is
# `conv_block` (names as keras.applications', so its weight files load),
# a block is a loop over it, and the transition layer compresses and pools.
# The loop in `dense_block` returns after the last layer, not inside it.

# %%
print(inspect.getsource(densenet.conv_block))
print(inspect.getsource(densenet.dense_block))
print(inspect.getsource(densenet.transition_block))

# %% [markdown]
# The ImageNet builder (Table 1) and the CIFAR builder (Table 2):

# %%
print(inspect.getsource(densenet.densenet))
print(inspect.getsource(densenet.densenet_cifar))

# %% [markdown]
# ## 4. The memory cost of concatenation
#
# A DenseNet's parameters grow slowly with depth, but its feature maps do
# not: layer $\ell$ of a block reads $k_0 + k(\ell - 1)$ maps, and a
# straightforward implementation stores each layer's concatenated input,
# plus its BN and ReLU outputs, for the backward pass. Summed over a block
# of $n$ layers that is quadratic in $n$, where a ResNet's layer outputs
# grow linearly with depth. (The authors later showed a memory-efficient
# implementation that shares storage between the concatenations and
# recomputes the BN outputs: Pleiss et al. 2017.)
#
# The totals per image against depth, for DenseNet-BC ($k = 12$) and the
# CIFAR ResNets: parameters, the outputs of all convolutions
# (`count_activations`, RegNet's "activations"), the outputs of the
# concatenations alone, and the outputs of all layers (convolutions, BN,
# ReLU, concatenations, additions), roughly what Keras keeps for the
# backward pass.

# %%
def memory_row(model):
    concat = sum(math.prod(layer.output.shape[1:]) for layer in model.layers
                 if isinstance(layer, keras.layers.Concatenate))
    every = sum(math.prod(layer.output.shape[1:]) for layer in model.layers[1:])
    return count_params(model).trainable, count_activations(model), concat, every

FAMILIES = {"DenseNet-BC": [22, 40, 64, 100], "ResNet": [20, 32, 56, 110]}
if smoke_mode():
    FAMILIES = {"DenseNet-BC": [22, 40], "ResNet": [20, 32]}
MEMORY, DEEPEST = {}, {}
print(f"{'model':<16} {'params':>9} {'conv outputs':>13} {'concat outputs':>15} "
      f"{'all outputs':>12} {'MB per image':>13}")
for family, depths in FAMILIES.items():
    for depth in depths:
        model = (densenet.densenet_cifar(depth=depth, growth_rate=12, name=f"densenet_bc{depth}")
                 if family == "DenseNet-BC" else build(f"resnet{depth}"))
        MEMORY[family, depth] = row = memory_row(model)
        print(f"{family + '-' + str(depth):<16} {row[0]:>9,} {row[1]:>13,} {row[2]:>15,} "
              f"{row[3]:>12,} {4 * row[3] / 2**20:>13.1f}")
    DEEPEST[family] = model
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for family, depths in FAMILIES.items():
    rows = np.array([MEMORY[family, d] for d in depths])
    axes[0].plot(depths, rows[:, 3] * 4 / 2**20, marker="o", label=family)
    axes[1].plot(rows[:, 0] / 1e6, rows[:, 3] * 4 / 2**20, marker="o", label=family)
axes[0].set(xlabel="depth L", ylabel="all layer outputs, MB per image")
axes[1].set(xlabel="parameters (millions)", ylabel="all layer outputs, MB per image")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Where it comes from, layer by layer: the size of the input each
# convolution reads, in the deepest network of each family above, on a
# 32x32 image. The dense blocks' inputs grow layer after layer and the
# transitions compress them (the sawtooth); the ResNet's stay constant
# within a stage.

# %%
fig, ax = plt.subplots(figsize=(10, 3.5))
for family, model in DEEPEST.items():
    sizes = [math.prod(layer.input.shape[1:]) for layer in model.layers
             if isinstance(layer, keras.layers.Conv2D)]
    ax.plot(range(1, len(sizes) + 1), np.array(sizes) / 1e3, label=model.name)
ax.set(xlabel="convolution, in order", ylabel="input elements per image (thousands)",
       title="what each convolution reads")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
del DEEPEST, model

# %% [markdown]
# ## 5. Training on CIFAR-10: a small DenseNet-BC against ResNet-20
#
# **The claim (Section 4.3, Table 2, Figure 4).** DenseNets use their
# parameters more efficiently: on CIFAR-10 and CIFAR-100, DenseNet-BC
# matches or beats ResNets that have several times more parameters.
#
# **The comparison here.** The paper's smallest CIFAR DenseNet-BC
# (L=100) trains at a fraction of ResNet-20's speed on a CPU, so this uses
# a shallow one with the same design: **DenseNet-BC (L=22, k=12)**, three
# bottleneck layers per block (`densenet_cifar(depth=22)`), against
# **ResNet-20** (`resnet20`, He et al.'s CIFAR network, notebook 08). Both
# train with the package's shared recipe (SGD with Nesterov momentum,
# learning rate 0.1 with cosine decay, weight decay 5e-4, label smoothing
# 0.1, random crops and flips), the same images, batch size and epochs,
# and the random seed reset before each is built: one thing changed, the
# architecture. On a CPU that is the first 10,000 of the 50,000 training
# images for 3 epochs of batch 64; with a GPU or TPU, DenseNet-BC (L=100,
# k=12) against ResNet-110, the paper's pair, on all images for 30 epochs.

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
DENSE_DEPTH, RES_DEPTH = (100, 110) if plan.mode == "accelerator" else (22, 20)
ARMS = {
    "densenet": lambda: densenet.densenet_cifar(depth=DENSE_DEPTH, growth_rate=12,
                                                name=f"densenet_bc{DENSE_DEPTH}_k12"),
    "resnet": lambda: build(f"resnet{RES_DEPTH}"),
}
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")

# %%
SECONDS, PARAMS = {}, {}
for label, build_model in ARMS.items():
    out = f"{plan.runs_dir}/{label}"
    start = time.time()
    keras.utils.set_random_seed(0)
    model = train_cifar(build_model, data, epochs=plan.epochs, batch_size=plan.batch_size,
                        out_dir=out, strategy=strategy, verbose=2)
    SECONDS[label], PARAMS[label] = time.time() - start, count_params(model).trainable
    record_run(plan, out, notebook="13-densenet", label=label)
    print(f"{model.name}: {PARAMS[label]:,} parameters, trained in {SECONDS[label]:.0f} s "
          f"({machine()})\n")

# %% [markdown]
# The curves, from the runs' `history.csv` files, and the comparison:

# %%
RESULTS = {label: read_rows(f"{plan.runs_dir}/{label}/history.csv") for label in ARMS}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for label, rows in RESULTS.items():
    epochs = [int(row["epoch"]) + 1 for row in rows]
    axes[0].plot(epochs, [row["loss"] for row in rows], marker="o", label=label)
    axes[1].plot(epochs, [row["val_accuracy"] for row in rows], marker="o", label=label)
for ax, title in zip(axes, ("training loss", "test accuracy")):
    ax.set(title=title, xlabel="epoch")
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
plt.show()
n_test = len(data[1][0])
for label, rows in RESULTS.items():
    p = rows[-1]["val_accuracy"]
    seconds = sum(row["seconds"] for row in rows)
    print(f"{label:<9} {PARAMS[label]:>8,} parameters: test accuracy {p:.3f} (standard error "
          f"{np.sqrt(p * (1 - p) / n_test):.3f}), train accuracy {rows[-1]['accuracy']:.3f}, "
          f"{seconds:.0f} s of training ({plan.epochs * len(data[0][0]) / seconds:.0f} images/s)")
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network; {machine()}")

# %% [markdown]
# ## 6. Results
#
# All numbers here are printed by the cells above. The stored run trained
# both networks on a 2-core CPU shared with other jobs (load averages of
# 13 to 14 are printed beside the times), in float32, on the first 10,000
# images of the 50,000-image CIFAR-10 training set, tested on 2,000 test
# images, for 3 epochs of batch 64, as the `Run:` line says.
#
# * **Parameter efficiency.** DenseNet-BC (L=22, k=12) with 71,686
#   parameters reached 0.495 test accuracy, ResNet-20 with 269,722
#   parameters 0.501: a difference well inside the standard error of
#   either figure (0.011 on 2,000 images). At this budget the DenseNet
#   matched the ResNet with a fraction of its parameters, the direction
#   of the paper's Table 2 and Figure 4; it is one run per network with
#   one seed, after three epochs, not the paper's 300.
# * **Time.** The DenseNet trained more slowly: 973 s against 607 s for
#   the same images (31 against 49 images per second), on a loaded
#   machine. Fewer parameters did not mean faster training here.
# * **Memory.** The layers of DenseNet-BC (L=100), 769,162 parameters,
#   output 13,237,216 elements per image (50.5 MB in float32), those of
#   ResNet-110, 1,727,962 parameters, 3,696,906 (14.1 MB). The
#   concatenations alone output 3,182,592 elements, more than all of
#   ResNet-110's convolutions (1,048,576). From L=22 to L=100 the
#   DenseNet's outputs grew from 5.2 MB to 50.5 MB per image; from 20 to
#   110 layers the ResNet's from 2.6 MB to 14.1 MB. The plot of what each
#   convolution reads shows why: within a block the input grows by $k$
#   maps per layer. Parameter counts understate what a DenseNet costs to
#   train; the memory-efficient implementation (Pleiss et al.) exists for
#   that reason.
# * **Counts.** Every dense block has its Table 1 depth in the built
#   graphs; DenseNet-121, 169 and 201 have keras.applications' totals
#   (8,062,504, 14,307,880 and 20,242,984); DenseNet-264 has 33,337,704
#   trainable parameters (33,736,232 with BatchNorm's statistics). At the
#   paper's $k = 32$ no column has 22M; the count formula gives 22.48M for
#   the 264 column with $k = 26$ and 21.54M for DenseNet-169 with $k = 40$,
#   configurations the paper does not use, so the 22M could not be
#   reproduced from the paper. The fourth column of Table 1 as printed has
#   265 weighted layers.
#
# On a GPU or TPU the same cells train the paper's DenseNet-BC (L=100,
# k=12) against ResNet-110 on all 50,000 images for 30 epochs.
#
# ## 7. Takeaways
#
# * A dense block concatenates instead of adding: each layer reads every
#   earlier map of its block and adds $k$ of its own. Narrow layers and
#   feature reuse make DenseNets small for their accuracy.
# * Bottlenecks and compression (DenseNet-BC) keep the width of the 3x3
#   convolutions and of the transitions in check; every network of Table 1
#   is a DenseNet-BC with $k = 32$.
# * Counted from the built graphs: 6, 12, 24/32/48/64 and 16/32/32/48
#   layers per block, keras.applications' totals for DenseNet-121/169/201,
#   and 33.3M parameters for DenseNet-264; 22M matches no column of Table 1
#   at the paper's growth rate.
# * The price is memory and speed: the concatenated inputs grow within
#   each block, so activations grow faster with depth than parameters, and
#   on this CPU the small DenseNet-BC trained more slowly than ResNet-20
#   with far fewer parameters.
#
# ## References
#
# * G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger. Densely
#   connected convolutional networks. CVPR 2017.
#   [arXiv:1608.06993](https://arxiv.org/abs/1608.06993)
# * G. Pleiss, D. Chen, G. Huang, T. Li, L. van der Maaten, K. Q.
#   Weinberger. Memory-efficient implementation of DenseNets. 2017.
#   [arXiv:1707.06990](https://arxiv.org/abs/1707.06990)
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image
#   recognition. CVPR 2016 (ResNet-20 and ResNet-110, notebook 08).
# * keras.applications DenseNet121/169/201, whose weights these builders
#   reproduce.
# * Previous in the series: [12-xception.ipynb](12-xception.ipynb); next:
#   [14-mobilenet.ipynb](14-mobilenet.ipynb).
