# %% [markdown]
# # EfficientNetV2: Fused-MBConv and progressive learning
#
# **Paper:** M. Tan and Q. V. Le, "EfficientNetV2: Smaller models and
# faster training", *International Conference on Machine Learning* (ICML),
# 2021. [arXiv:2104.00298](https://arxiv.org/abs/2104.00298)
#
# EfficientNet (notebook 17) optimised accuracy per FLOP; V2 optimises
# accuracy per hour of **training**. The paper first measures where
# EfficientNet's training time goes (section 3.2): very large images
# (slow, and they force small batches), depthwise convolutions in the early,
# high-resolution stages (few FLOPs, but they use accelerators poorly), and
# scaling every stage up by the same factor. Its answers are a new block,
# **Fused-MBConv**, which replaces MBConv's 1x1 expansion and 3x3 depthwise
# convolution by one regular 3x3 convolution in the early stages; a
# training-aware architecture search and a non-uniform scaling rule that
# give the V2-S/M/L networks; and **progressive learning** (section 4):
# train on small images with weak regularisation first and grow both in
# stages. The paper reports training up to 11x faster than earlier models
# with up to 6.8x fewer parameters. This notebook builds V2-S and V2-B0
# from `convnets_tf` and checks them, times Fused-MBConv against MBConv
# stage by stage on this CPU, and trains a small CIFAR network with
# progressive learning against a fixed image size.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/18-efficientnet-v2.ipynb)

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
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf import train
from convnets_tf.analysis import count_macs, count_params, trace_shapes
from convnets_tf.models import efficientnet
from convnets_tf.models.mbconv import EFFICIENTNET_V2_NAMES, fused_mbconv, inverted_residual
from convnets_tf.notebook import plan_run
from convnets_tf.timing import machine, training_images_per_second

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
plan = plan_run(   # the training runs of section 5; smoke mode also shrinks the timings
    cpu=dict(train_images=10000, test_images=None, epochs=6, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
    smoke=dict(epochs=2),  # two stages of the progressive run
)
smoke = plan.mode == "smoke"

# %% [markdown]
# ## 1. Where EfficientNet's training time goes (section 3.2)
#
# The paper profiles EfficientNet's training and names three bottlenecks:
#
# * **Large images are slow.** EfficientNet-B6 trains at 528 pixels; the
#   memory per image limits the batch, and throughput falls with the
#   pixels (Table 2). Training at smaller sizes is faster, and even
#   slightly more accurate, but a fixed small size costs accuracy; hence
#   progressive learning (section 4).
# * **Depthwise convolutions are slow in early layers.** A 3x3 depthwise
#   convolution has few parameters and FLOPs, but on TPUs and GPUs it runs
#   far below peak arithmetic throughput. In the early stages, where maps
#   are large and channels few, one regular 3x3 convolution (Fused-MBConv)
#   is faster although it has more FLOPs; in all stages it is slower again
#   (Table 3: Fused-MBConv in stages 1-3 of EfficientNet-B4 raises
#   training throughput, in stages 1-7 it lowers it and adds parameters).
# * **Equal scaling of every stage is sub-optimal.** EfficientNet scales
#   all stages by the same depth and width factors. V2 searches the block
#   type, expansion, kernel and depth per stage with a reward for training
#   step time and parameters (section 3.3), adds more layers to the later
#   stages when scaling up, and caps the image size at 480.
#
# The search's result for V2-S (Table 4) keeps only 3x3 kernels (more
# layers make up for the receptive field), uses expansion 4 instead of 6
# in early stages, and has no stride-1 last stage as V1 had:
#
# | stage | operator | stride | channels | layers |
# |---|---|---|---|---|
# | 0 | Conv3x3 | 2 | 24 | 1 |
# | 1 | Fused-MBConv1, k3x3 | 1 | 24 | 2 |
# | 2 | Fused-MBConv4, k3x3 | 2 | 48 | 4 |
# | 3 | Fused-MBConv4, k3x3 | 2 | 64 | 4 |
# | 4 | MBConv4, k3x3, SE0.25 | 2 | 128 | 6 |
# | 5 | MBConv6, k3x3, SE0.25 | 1 | 160 | 9 |
# | 6 | MBConv6, k3x3, SE0.25 | 2 | 256 | 15 |
# | 7 | Conv1x1 & Pooling & FC | - | 1280 | 1 |
#
# `convnets_tf` keeps the table as data (`efficientnet.V2_STAGES`), as
# keras.applications does; each row is (block, kernel, repeats, input
# channels, output channels, expansion, SE ratio, first stride):

# %%
for row in efficientnet.V2_STAGES["s"]:
    print(row)

# %% [markdown]
# ## 2. The blocks
#
# MBConv (EfficientNet's, MobileNetV2's inverted residual): a 1x1
# convolution expands the channels, a 3x3 depthwise convolution filters
# each channel, SE reweights them, a linear 1x1 convolution projects back.
# Fused-MBConv (Figure 2) does the expansion and the spatial filtering in
# one regular 3x3 convolution; with expansion 1 it is a single 3x3
# convolution. Both are shared blocks of the package,
# `convnets_tf/models/mbconv.py`; Fused-MBConv:

# %%
print(inspect.getsource(fused_mbconv))

# %% [markdown]
# ## 3. V2-S and V2-B0, built and checked
#
# `efficientnet_v2_s` builds Table 4 at its 384-pixel evaluation size;
# `efficientnet_v2_b0` is the authors' smaller base network (not in the
# paper; their `effnetv2_configs.py`), at 224. Both create the same
# weights as keras.applications' `EfficientNetV2S` and `EfficientNetV2B0`
# (the package's tests transfer them and compare outputs). The stages,
# traced with one random image:

# %%
v2_s = convnets_tf.build("efficientnet_v2_s")
trace_shapes(v2_s, {
    "stem_activation": (1, 192, 192, 24), "block1b_add": (1, 192, 192, 24),
    "block2d_add": (1, 96, 96, 48), "block3d_add": (1, 48, 48, 64),
    "block4f_add": (1, 24, 24, 128), "block5i_add": (1, 24, 24, 160),
    "block6o_add": (1, 12, 12, 256), "top_activation": (1, 12, 12, 1280),
    "predictions": (1, 1000),
})

# %% [markdown]
# **Counts** against the paper (Table 7: V2-S 22M parameters and 8.8B
# FLOPs at 384) and the authors' README (V2-B0: 7.1M parameters, 0.72B
# FLOPs at 224), and keras.applications' totals (V2-S 21,612,360; B0
# 7,200,312). `count_macs` counts multiply-adds of convolutions and dense
# layers, the paper's "FLOPs".

# %%
# NBVAL_CHECK_OUTPUT
v2_b0 = convnets_tf.build("efficientnet_v2_b0")
PAPER = {"efficientnet_v2_s": (22, 8.8), "efficientnet_v2_b0": (7.1, 0.72)}
KERAS_TOTAL = {"efficientnet_v2_s": 21_612_360, "efficientnet_v2_b0": 7_200_312}
for model in (v2_s, v2_b0):
    params, macs = count_params(model), count_macs(model)
    paper_params, paper_flops = PAPER[model.name]
    print(f"{model.name} at {model.input_shape[1]}: {params.trainable / 1e6:.2f}M trainable "
          f"parameters (paper {paper_params}M), total {params.total:,} (keras "
          f"{KERAS_TOTAL[model.name]:,}); {macs / 1e9:.2f}B mult-adds (paper {paper_flops}B, "
          f"{100 * (macs / 1e9 / paper_flops - 1):+.0f}%)")
    assert params.total == KERAS_TOTAL[model.name]
    fused = sum(1 for layer in model.layers if layer.name.endswith("expand_conv")
                and layer.kernel_size == (3, 3))
    print(f"  blocks with a fused 3x3 expansion: {fused}; depthwise convolutions: "
          f"{sum(isinstance(layer, keras.layers.DepthwiseConv2D) for layer in model.layers)}")

# %% [markdown]
# Where V2-S's mult-adds and parameters sit, stage by stage: the fused
# stages 1-3 work at the large maps, the MBConv stages 4-6 hold most of
# the parameters.

# %%
from convnets_tf.analysis import macs_per_layer

stage_macs, stage_params = {}, {}
for key, value in macs_per_layer(v2_s).items():
    stage = key[:6] if key.startswith("block") else key.split("_")[0]
    stage_macs[stage] = stage_macs.get(stage, 0) + value
for layer in v2_s.layers:
    stage = layer.name[:6] if layer.name.startswith("block") else layer.name.split("_")[0]
    stage_params[stage] = stage_params.get(stage, 0) + layer.count_params()
for stage, macs in stage_macs.items():
    print(f"{stage:<12} {macs / 1e9:5.2f}B mult-adds  {stage_params.get(stage, 0) / 1e6:5.2f}M "
          "parameters")

# %% [markdown]
# ## 4. Fused-MBConv against MBConv, stage by stage, on this CPU
#
# The claim (section 3.2, Table 3): Fused-MBConv trains faster than MBConv
# in the early stages, slower in the late ones. The test: for each stage
# of V2-S, one repeated block of that stage (stride 1, its width and
# expansion, kernel 3x3, BatchNorm and swish) built both ways, with no SE
# on either side so that fusing is the only change, at the map size the
# stage sees for a 192x192 input (half V2-S's 384, to fit this CPU). Each
# block alone, behind its input, with a pooled 10-way classifier, times
# one SGD training step (forward, backward, update) at batch 16
# (`timing.training_images_per_second`, the median of repeated steps). The
# paper measured on TPUs and V100 GPUs, where depthwise convolutions are
# the slow case; on CPUs they are not especially slow (a 3x3 depthwise
# layer trained faster than the 1x1 layer beside it in the project's
# measurements), so the question is whether the trade still holds here.

# %%
SIDE = 32 if smoke else 192          # the network's input side
BATCH, REPEATS = (4, 1) if smoke else (16, 5)


def stage_block(kind, side, channels, expansion):
    inputs = keras.Input((side, side, channels))
    common = dict(kernel_size=3, activation="swish", bn_momentum=0.9)
    if kind == "fused":
        x = fused_mbconv(inputs, channels, "block_", channels * expansion, **common)
    else:
        x = inverted_residual(inputs, channels, "block_", channels * expansion,
                              explicit_pad=False, names=EFFICIENTNET_V2_NAMES, **common)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x),
                       name=f"{kind}_{side}x{channels}")


side = SIDE // 2                     # after the stride-2 stem
BLOCKS = []
print(f"{'stage':<6}{'map':>10}{'exp':>4}  {'block':<7}{'params':>9}{'M mult-adds':>13}"
      f"{'images/s':>10}")
for stage, (kind, _, _, _, channels, expansion, _, stride) in enumerate(
        efficientnet.V2_STAGES["s"], start=1):
    side //= stride
    if smoke and stage not in (1, 6):
        continue
    row = {"stage": stage, "side": side, "channels": channels, "expansion": expansion,
           "paper": kind}
    for block in ("fused", "mbconv"):
        model = stage_block(block, side, channels, expansion)
        params = count_params(model).trainable - (channels * 10 + 10)
        macs = count_macs(model) - channels * 10
        speed = training_images_per_second(model, BATCH, REPEATS)
        row[block] = (params, macs, speed)
        print(f"{stage:<6}{f'{side}x{side}x{channels}':>10}{expansion:>4}  {block:<7}"
              f"{params:>9,}{macs / 1e6:>13.1f}{speed:>10.1f}")
    BLOCKS.append(row)
print(f"({machine()}; batch {BATCH}, median of {REPEATS} steps; the machine is shared)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
stages = [row["stage"] for row in BLOCKS]
speedup = [row["fused"][2] / row["mbconv"][2] for row in BLOCKS]
flops = [row["fused"][1] / row["mbconv"][1] for row in BLOCKS]
ax.bar(np.array(stages) - 0.2, speedup, 0.4, label="training speed, fused / MBConv")
ax.bar(np.array(stages) + 0.2, flops, 0.4, label="mult-adds, fused / MBConv")
ax.axhline(1, color="gray", lw=0.8)
ax.set(xlabel="V2-S stage", ylabel="ratio", yscale="log",
       title="Fused-MBConv against MBConv, one block per stage")
ax.legend(fontsize=8)
plt.show()
for row, s, f in zip(BLOCKS, speedup, flops):
    print(f"stage {row['stage']} ({row['paper']} in V2-S): fused trains {s:.2f}x as fast as "
          f"MBConv with {f:.1f}x the mult-adds")

# %% [markdown]
# ## 5. Progressive learning against a fixed image size on CIFAR-10
#
# **The idea (section 4).** Training on small images is cheap, and small
# images need less regularisation: the paper's Table 5 trains at 128, 192
# and 300 pixels with RandAugment magnitudes 5, 10 and 15, and each size is
# best with its own magnitude, weak for small images, strong for large
# ones. Earlier progressive resizing (FixRes-style, fast.ai's) kept the
# regularisation fixed and lost accuracy; V2 grows both together
# (Algorithm 1): the run is split into M stages of equal length, and stage
# $i$ trains at size $S_i$ with regularisation $\Phi_i$, both interpolated
# linearly from the first stage's to the last one's. V2-S trains in four
# stages from 128 to 300 pixels while RandAugment, mixup and dropout grow
# with the size (Table 6).
#
# **In the package.** `train_cifar(..., image_sizes=[16, 24, 32],
# translations=[0, 2, 4])` splits the epochs into one stage per size; each
# stage trains on CIFAR images resized to its size, on random crops
# shifted by up to its translation (the recipe's augmentation, whose
# fixed setting is 4 pixels, now grown with the size as the
# regularisation). The optimiser, its learning rate schedule and the
# callbacks run on across the stages, the test images are evaluated at
# the last size, and the schedule is part of the run's definition, so an
# interrupted run resumes in the right stage. The stages:

# %%
print(inspect.getsource(train.progressive_stages))

# %% [markdown]
# **The experiment.** A small EfficientNetV2-style CIFAR network built
# from the same blocks: a stride-1 3x3 stem, Fused-MBConv in the first two
# stages, MBConv with SE in the last two, a 1x1 head; built with
# `input_shape=(None, None, 3)` so that it takes every stage's size. Two
# runs from the same initial weights, the same recipe, epochs and images:
# **fixed**, 32x32 with the recipe's 4-pixel crops throughout, and
# **progressive**, 16, 24 and 32 pixels with crop shifts of 0, 2 and 4
# pixels over three equal stages. Both are tested at 32x32.

# %%
from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, train_cifar


def cifar_v2(input_shape=(None, None, 3), num_classes=10):
    """A small EfficientNetV2 for CIFAR: stages of 16, 32 (fused), 64, 128
    (MBConv, SE) channels at 32, 16, 8 and 4 pixels for a 32x32 input."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(16, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = keras.layers.Activation("swish", name="stem_activation")(x)
    x = fused_mbconv(x, 16, "block1a_", 16)
    x = fused_mbconv(x, 32, "block2a_", 64, stride=2)
    mbconv = dict(activation="swish", se_ratio=0.25, se_of_input=True, se_activation="swish",
                  explicit_pad=False, names=EFFICIENTNET_V2_NAMES, bn_momentum=0.9)
    x = inverted_residual(x, 64, "block3a_", 128, stride=2, **mbconv)
    x = inverted_residual(x, 64, "block3b_", 256, **mbconv)
    x = inverted_residual(x, 128, "block4a_", 256, stride=2, **mbconv)
    x = keras.layers.Conv2D(256, 1, use_bias=False, name="top_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="top_bn")(x)
    x = keras.layers.Activation("swish", name="top_activation")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(0.2, name="top_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name="cifar_efficientnet_v2")


for size in (16, 24, 32):
    fixed = cifar_v2((size, size, 3))
    print(f"at {size}x{size}: {count_macs(fixed) / 1e6:5.2f}M mult-adds per image, "
          f"{count_params(fixed).trainable:,} trainable parameters")

# %%
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()
print(plan)
STAGES = min(3, plan.epochs)  # smoke mode: its last two stages only
SCHEDULES = {
    "fixed": {},
    "progressive": dict(image_sizes=[16, 24, 32][-STAGES:], translations=[0, 2, 4][-STAGES:]),
}
MODELS, HISTORY, SECONDS = {}, {}, {}
for label, schedule in SCHEDULES.items():
    print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy, **schedule)}")
    out = f"{plan.runs_dir}/{label}"
    start = time.time()
    keras.utils.set_random_seed(0)
    MODELS[label] = train_cifar(cifar_v2, data, epochs=plan.epochs, batch_size=plan.batch_size,
                                out_dir=out, strategy=strategy, verbose=2, **schedule)
    record_run(plan, out, notebook="18-efficientnet-v2", label=label)
    HISTORY[label] = read_rows(f"{out}/history.csv")
    SECONDS[label] = time.time() - start
    print(f"{label}: {SECONDS[label]:.0f} s in all ({machine()})\n")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
n_test = len(data[1][0])
for label, rows in HISTORY.items():
    epochs = [r["epoch"] + 1 for r in rows]
    ax1.plot(np.cumsum([r["seconds"] for r in rows]), [r["val_accuracy"] for r in rows],
             marker="o", label=label)
    ax2.plot(epochs, [r["images_per_second"] for r in rows], marker="o", label=label)
    p = rows[-1]["val_accuracy"]
    train_seconds = sum(r["seconds"] for r in rows)
    print(f"{label:<12} test accuracy {p:.3f} (standard error "
          f"{math.sqrt(p * (1 - p) / n_test):.3f}), train accuracy {rows[-1]['accuracy']:.3f}; "
          f"epochs {train_seconds:.0f} s in all")
    print("    images/s by epoch: " + ", ".join(f"{r['images_per_second']:.0f}" for r in rows))
ax1.set(xlabel="training time (s, epochs incl. their evaluation)", ylabel="test accuracy")
ax2.set(xlabel="epoch", ylabel="training images / s")
ax1.legend(fontsize=8)
plt.tight_layout()
plt.show()
ratio = (sum(r["seconds"] for r in HISTORY["progressive"])
         / sum(r["seconds"] for r in HISTORY["fixed"]))
print(f"progressive / fixed epoch time: {ratio:.2f} ({machine()}; the machine is shared)")

# %% [markdown]
# ## 6. Results
#
# All numbers here are printed by the cells above. The stored notebook ran
# on a 2-core CPU shared with other jobs (load average 2.1 to 3.5 beside
# the timings), so the timings carry noise: the fixed run's third epoch ran
# at 490 images/s, its others at 248 to 296.
#
# * **The networks.** V2-S has 21.46M trainable parameters (paper 22M),
#   21,612,360 in total as keras.applications, and 8.37B mult-adds at 384
#   (paper 8.8B FLOPs, 5% more); V2-B0 has 7.14M (7.1M), 7,200,312 in
#   total, and 0.72B mult-adds at 224 (0.72B). In V2-S the fused stages
#   1-3 do 0.38B, 2.78B and 1.35B of the 8.37B mult-adds with 0.01M,
#   0.31M and 0.59M parameters; stage 6 alone holds 14.66M.
# * **Fused-MBConv against MBConv on this CPU** (one stride-1 block per
#   V2-S stage, without SE, batch 16, the map sizes of a 192x192 input):
#   fused blocks have 4.6x to 6.5x MBConv's mult-adds. In stages 1 and 2
#   (96x96x24 and 48x48x48) they trained as fast as MBConv (0.95x and
#   1.00x), so the extra arithmetic cost nothing; from stage 3 on they fell
#   behind, 0.76x at 24x24x64 and 0.46x to 0.57x in stages 4-6. The
#   paper's direction holds (fusing pays best early, and loses late), but
#   not its early-stage speedup: on a CPU the depthwise convolution is not
#   slow enough for fusing to win outright, which the paper measured on
#   TPUs and GPUs.
# * **Progressive learning on CIFAR-10** (the 172,258-parameter CIFAR
#   network, 10,000 training images, 6 epochs, the 2,000 test images, one
#   seed): 16, 24 and 32 pixels with crop shifts of 0, 2 and 4 reached
#   0.558 test accuracy in 133 s of epochs; the fixed 32x32 run reached
#   0.587 in 219 s (standard error 0.011 each). Progressive learning took
#   0.61 of the time and lost accuracy, by about two standard errors of
#   the difference, with one seed. Its small-image epochs ran at 755 and 1149 images/s against
#   about 250 to 300 at 32x32 (11.73M mult-adds per image at 32x32, 2.95M
#   at 16x16). At about the same wall time, after its fourth epoch (36, 36,
#   22 and 42 s in the log), the fixed run stood at 0.5405, but halfway
#   through its learning-rate schedule. While training at 16x16 the
#   progressive run scored 0.3155 and 0.342 when tested at 32x32, below its
#   training accuracy: the train-test resolution gap that the later, larger
#   stages close. The paper reports that progressive learning, over
#   hundreds of ImageNet epochs, keeps or improves accuracy while cutting
#   the training time; after 6 short epochs here it bought its time
#   saving with some accuracy.
#
# ## 7. Takeaways
#
# * EfficientNetV2 optimises training time, not FLOPs: the block, the
#   stage depths and the image sizes are chosen for throughput on the
#   training hardware.
# * Fused-MBConv trades FLOPs for hardware efficiency; whether the trade
#   pays depends on the stage (map size against channels) and on the
#   device.
# * Progressive learning is a schedule, not an architecture: any network
#   that takes any input size can be trained on growing images, with the
#   regularisation grown alongside.
#
# ## References
#
# * M. Tan and Q. V. Le. EfficientNetV2: Smaller models and faster
#   training. ICML 2021. [arXiv:2104.00298](https://arxiv.org/abs/2104.00298)
# * M. Tan and Q. V. Le. EfficientNet: Rethinking model scaling for
#   convolutional neural networks. ICML 2019 (notebook 17).
# * H. Touvron, A. Vedaldi, M. Douze, H. Jégou. Fixing the train-test
#   resolution discrepancy (FixRes). NeurIPS 2019.
# * E. D. Cubuk, B. Zoph, J. Shlens, Q. V. Le. RandAugment. CVPR
#   Workshops 2020.
# * The authors' code, `google/automl/efficientnetv2` (`effnetv2_configs.py`),
#   and keras.applications EfficientNetV2, whose weights these builders
#   reproduce.
# * Previous in the series: [17-efficientnet.ipynb](17-efficientnet.ipynb); next:
#   [19-regnet.ipynb](19-regnet.ipynb).
