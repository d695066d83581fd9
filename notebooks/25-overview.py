# %% [markdown]
# # Overview: every model side by side, and which one to use
#
# **What this is:** one table of every network this project builds, from
# LeNet-5 (1998) to ConvNeXt (2022), computed by the package's own helpers
# from the built models, with the ImageNet accuracy each paper (or
# keras.io) reports quoted beside it; the reference article's landmark
# table beside ours, with every disagreement explained; a bubble chart of
# accuracy against compute; and an answer to "which network should I use?"
# read off those numbers.
#
# The earlier notebooks explain one paper each; this one compares them. It
# trains nothing. Every count here (parameters, multiply-adds, activations,
# receptive fields) is measured on the model the package builds; every
# ImageNet accuracy is *quoted*, with its source, because this project has
# not trained anything on ImageNet.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/25-overview.ipynb)

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
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import tensorflow as tf

import convnets_tf
from convnets_tf import overview
from convnets_tf.models import bn_inception
from convnets_tf.notebook import smoke_mode

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
smoke = smoke_mode()
# The stored table, results/models.csv. A package installed without the
# repository (Colab) has no results/ folder: then the table is computed
# here, which took about 3 minutes on 2 CPU cores and under 2.5 GB of memory.
TABLE = overview.TABLE_FILE
if not TABLE.exists():
    TABLE = Path("models.csv")
    if not TABLE.exists():
        print(f"computing the table: {overview.write_table(TABLE, verbose=False):.0f} s")
rows = {row["name"]: row for row in overview.read_table(TABLE)}
print(f"{len(rows)} models in {TABLE.name}; {len(convnets_tf.list_models())} registered")
assert sorted(rows) == convnets_tf.list_models()

# %% [markdown]
# ## 1. The table
#
# One row per registered name (`convnets_tf.list_models()`), each model
# built once at its **default input**: the paper's ImageNet resolution for
# the ImageNet models (224x224 for most, 227 for AlexNet, 299 for the
# Inception family and Xception, EfficientNet's own resolution per
# variant), 32x32 for the CIFAR models. The columns:
#
# * **params**: trainable parameters, and the total that Keras'
#   `count_params()` reports (trainable plus BatchNorm's moving
#   statistics), `analysis.count_params`;
# * **GMACs**: multiply-adds per image, counted as the papers count "FLOPs"
#   (one per weight per output position, biases and normalisation left
#   out), `analysis.count_macs`;
# * **acts**: output elements of all convolutions per image, RegNet's
#   "activations", a proxy for memory traffic, `analysis.count_activations`;
# * **RF**: the theoretical receptive field of the last feature map, in
#   input pixels along one side, `analysis.receptive_field` (it can exceed
#   the input);
# * **top-1**: ImageNet top-1 as quoted by keras.io's applications table
#   (for the models keras.applications also has) or the paper or the
#   authors' repository; blank for CIFAR and MNIST models and where no
#   figure was found. The sources are listed after the table;
# * **CIFAR-10**: the best final test accuracy of a stored notebook run of
#   that very registered model in `results/runs.csv`. Most notebooks train
#   scaled-down variants with other names (they are in `runs.csv`, not
#   here), and the runs are short (3 to 10 epochs, some on a subset), so
#   they are not measurements of what the model can reach;
# * **b1 ms**: batch-1 inference latency on this project's 2-core CPU
#   (float32, XLA off), the median of 3 calls after 2 warm-up calls;
# * **b64 img/s**: inference throughput with batches of 64 images, from
#   one timed call after a warm-up call. Both are measured by
#   `overview.time_table()` (`convnets_tf.timing.inference_seconds`, a
#   compiled forward pass without `predict`'s overhead), one model at a
#   time on an otherwise idle machine; each row of the file keeps the
#   cores and load average it was timed under (`cpu_timed_on`, printed
#   below).
#
# The **notebook** column says where each model is explained.

# %%
def notebook_of(name):
    """The notebook that explains registered model `name`."""
    if name.startswith("resnet") and name.endswith("_v2"):
        return "09"
    for prefix, number in (
        ("airbench", "22"), ("bn_inception", "23"),
        ("efficientnet_v2", "18"), ("mobilenet_v3", "16"), ("resnext", "10"),
        ("preact", "09"), ("wide_resnet", "09"), ("wrn", "09"), ("resnet", "08"),
        ("inception_v3", "06"), ("inception", "07"), ("lenet", "01"), ("alexnet", "02"),
        ("nin", "03"), ("vgg", "04"), ("googlenet", "05"), ("bit", "11"), ("xception", "12"),
        ("densenet", "13"), ("mobilenet", "14"), ("shufflenet", "15"), ("efficientnet", "17"),
        ("regnet", "19"), ("convmixer", "20"), ("convnext", "21"),
    ):
        if name.startswith(prefix):
            return number
    return "-"


def millions(value):
    return f"{int(value) / 1e6:.2f}" if int(value) < 10_000_000 else f"{int(value) / 1e6:.1f}"


def table_line(row):
    top1, cifar = overview.percent(row["imagenet_top1"]), overview.percent(
        row["cifar10_test_accuracy"])
    return (f"{row['name']:<21} {notebook_of(row['name']):>2} "
            f"{row['input_size']:>9} {millions(row['params_trainable']):>7} "
            f"{millions(row['params_total']):>7} {int(row['macs']) / 1e9:8.3f} "
            f"{int(row['activations']) / 1e6:7.2f} {row['receptive_field']:>5} "
            f"{top1:>6} {cifar:>8} {row['cpu_latency_ms_batch1']:>8} "
            f"{row['cpu_images_per_second_batch64']:>8}")


HEADER = (f"{'model':<21} {'nb':>2} {'input':>9} {'params':>7} {'total':>7} {'GMACs':>8} "
          f"{'acts M':>7} {'RF':>5} {'top-1':>6} {'CIFAR-10':>8} {'b1 ms':>8} {'b64':>8}\n"
          f"{'':<21} {'':>2} {'':>9} {'M':>7} {'M':>7} {'':>8} {'':>7} {'':>5} {'':>6} "
          f"{'':>8} {'':>8} {'img/s':>8}")
print(HEADER)
for name in sorted(rows, key=lambda n: (notebook_of(n), n)):
    print(table_line(rows[name]))
print(f"\ntable computed in {sum(float(r['build_seconds']) for r in rows.values()):.0f} s "
      f"(building and counting all {len(rows)} models, one at a time)")
loads = [float(row["cpu_timed_on"].rsplit(" ", 1)[-1]) for row in rows.values()]
print(f"timed on {rows['resnet50']['cpu_timed_on'].split(',')[0]}, at 1-minute load "
      f"averages from {min(loads)} to {max(loads)}")

# %% [markdown]
# Where each ImageNet figure comes from (the `imagenet_top1_source` column
# of the file), and where each CIFAR-10 figure comes from:

# %%
by_source = {}
for name, row in rows.items():
    by_source.setdefault(row["imagenet_top1_source"], []).append(name)
for source, names in sorted(by_source.items(), key=lambda item: (-len(item[1]), item[0])):
    print(f"{source}:\n    {', '.join(names)}")
print()
for name, row in rows.items():
    if row["cifar10_run"]:
        print(f"CIFAR-10 {name}: {overview.percent(row['cifar10_test_accuracy'])} "
              f"({row['cifar10_run']})")

# %% [markdown]
# **The helper works, and the stored rows are current.** Each row comes
# from `overview.model_row(name)`; here two small models are built again
# and their rows compared with the stored ones (`tests/test_overview.py`
# does the same in CI, and fails when a registered model has no row). To
# rewrite the whole file after changing a builder:
# `python -c "from convnets_tf import overview; overview.write_table()"`;
# after a new stored run or a corrected source, `overview.refresh_table()`
# re-joins the quoted columns without building anything.

# %%
# NBVAL_CHECK_OUTPUT
for name in ("resnet20", "mobilenet_v3_small"):
    fresh = overview.as_stored(overview.model_row(name))
    same = all(fresh[c] == rows[name][c] for c in overview.COMPUTED)
    print(f"{name}: {int(fresh['params_trainable']):,} trainable, {int(fresh['macs']):,} "
          f"multiply-adds, RF {fresh['receptive_field']}; stored row current: {same}")
    assert same, f"results/models.csv is stale for {name}"

# %% [markdown]
# ## 2. The reference article's landmark table beside ours
#
# One of the project's reference articles tells the history of CNNs with a
# table of landmarks (AlexNet, VGG-16, GoogLeNet, Inception v2, ResNet-50,
# DenseNet, ..., Noisy Student, Meta Pseudo Labels) and their ImageNet
# accuracy and size. The article itself is not in the repository; the
# figures below are the ones issue 12 quotes from it. Where the issue
# quotes no figure the article column is blank, and only our numbers are
# shown.

# %%
ARTICLE = [  # (landmark, article's top-1, article's parameters, our registered name)
    ("AlexNet", "63.3%", "", "alexnet"),
    ("VGG-16", "", "", "vgg16"),
    ("GoogLeNet", "", "", "googlenet"),
    ("Inception v2 (BN-Inception)", "74.8%", "11.2M", "bn_inception"),
    ("ResNet-50", "", "", "resnet50"),
    ("DenseNet-264", "", "22M", "densenet264"),
    ("EfficientNet-B7", "", "", "efficientnet_b7"),
    ("Noisy Student", "88.4%", "", None),
    ("Meta Pseudo Labels", "90.2%", "", None),
]
print(f"{'landmark':<28} {'article':>7} {'article':>8} | {'ours':<16} {'params M':>9} "
      f"{'GMACs':>6} {'top-1 quoted':>12}")
for landmark, top1, params, name in ARTICLE:
    if name is None:
        print(f"{landmark:<28} {top1:>7} {params:>8} | {'(not registered)':<16}")
        continue
    row = rows[name]
    print(f"{landmark:<28} {top1:>7} {params:>8} | {name:<16} "
          f"{int(row['params_trainable']) / 1e6:9.2f} {int(row['macs']) / 1e9:6.2f} "
          f"{overview.percent(row['imagenet_top1']) or '-':>12}")

# %% [markdown]
# Every disagreement, and why:
#
# * **AlexNet, 63.3% against our 59.3%.** Both come from the same table of
#   the paper (Krizhevsky et al. 2012, Table 2, ILSVRC-2012 validation).
#   63.3% is 100 minus the 36.7% top-1 error of the competition entry: an
#   ensemble of seven CNNs, two of them pre-trained on the 15M-image
#   ImageNet Fall 2011 release. One CNN, the network `alexnet` builds,
#   has 40.7% error, 59.3% top-1. The table quotes single models
#   throughout, so it quotes the 59.3%.
# * **BN-Inception, 74.8%**: the same figure (25.2% single-crop top-1
#   error, as the Inception-v4 paper's Table 2 lists it). **11.2M
#   parameters against our 11.29M**: Figure 5 of the paper is ambiguous
#   about the pool projections of modules 4c and 4d, and the readings
#   differ. The builder's docstring reconciles them (and
#   `tests/test_bn_inception.py` derives each reading from Figure 5):

# %%
doc = inspect.getdoc(bn_inception)
print(doc[doc.index("Parameters at 1000 classes"):])

# %% [markdown]
# * **DenseNet-264, 22M in the article against our 33.3M** (trainable;
#   33.7M with BatchNorm's statistics). The paper's Table 1 fixes the
#   ImageNet DenseNets completely: growth rate $k = 32$, blocks of 6, 12,
#   64 and 48 layers, each layer a BN-ReLU-1x1 convolution to $4k$ maps
#   then BN-ReLU-3x3 to $k$ maps, transitions that halve the channels. The
#   count follows from that table alone; the function below reproduces the
#   builder's count of all four ImageNet DenseNets exactly, and shows what
#   22M would take:

# %%
def densenet_trainable(blocks, k=32, stem=64, classes=1000):
    """Trainable parameters of an ImageNet DenseNet-BC (Table 1) by hand:
    convolutions without bias, BatchNorm's gamma and beta, the classifier."""
    channels, total = stem, 7 * 7 * 3 * stem + 2 * stem
    for i, layers in enumerate(blocks):
        for _ in range(layers):
            total += 2 * channels + channels * 4 * k + 2 * 4 * k + 9 * 4 * k * k
            channels += k
        if i < len(blocks) - 1:
            total += 2 * channels + channels * (channels // 2)
            channels //= 2
    return total + 2 * channels + channels * classes + classes


for depth, blocks in {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32),
                      264: (6, 12, 64, 48)}.items():
    stored = int(rows[f"densenet{depth}"]["params_trainable"])
    print(f"DenseNet-{depth}: by hand {densenet_trainable(blocks):,}, built {stored:,}")
    assert densenet_trainable(blocks) == stored
for k in (24, 26, 28):
    print(f"DenseNet-264 with k={k}: {densenet_trainable((6, 12, 64, 48), k) / 1e6:.1f}M")

# %% [markdown]
#   So no reading of Table 1 gives 22M: a 264-layer DenseNet has about 22M
#   parameters only with a growth rate near 26, which the paper never uses.
#   The article's figure sits close to DenseNet-201's 20.0M, and it equals
#   DenseNet-264's top-1 *error* (22.15%, the paper's Table 3); either slip
#   would explain it, and we cannot tell which. Our 33.3M is the paper's
#   network.
# * **Noisy Student (88.4%) and Meta Pseudo Labels (90.2%)** have no row:
#   they are ways of *training*, not architectures. Both results are for
#   an EfficientNet-L2, a wider and deeper EfficientNet of about 480M
#   parameters (over seven times B7), trained on ImageNet plus 300M
#   unlabelled JFT images pseudo-labelled by a teacher. The package's
#   largest EfficientNet is B7; its quoted 84.3% is for ImageNet training
#   alone. Notebook 24 tests both methods on CIFAR-10, at a small scale.
# * **VGG-16, GoogLeNet, ResNet-50, EfficientNet-B7**: the issue quotes no
#   figure from the article for these, so there is nothing to disagree
#   with; our counts equal keras.applications' (VGG-16, ResNet-50,
#   EfficientNet-B7, see their notebooks). GoogLeNet's paper reports only
#   a top-5 error (6.67%, for an ensemble of seven models over 144 crops),
#   so the table gives it no top-1.
#
# ## 3. Accuracy against compute
#
# ImageNet top-1 against multiply-adds per image (log scale), one bubble per
# model with a quoted figure, the bubble's area proportional to its
# parameters. Colours group the families. The quoted accuracies come from
# different recipes, crops and resolutions (see the sources above), so
# read the chart for its broad shape, not for half a point.

# %%
plotted = [r for r in rows.values() if r["imagenet_top1"]]
families = sorted({r["family"] for r in rows.values()})
# Dark hues first, then light ones: one colour per family.
palette = [*plt.cm.tab20.colors[0::2], *plt.cm.tab20b.colors[0::2],
           *plt.cm.tab20.colors[1::2], *plt.cm.tab20b.colors[1::2]]
colours = dict(zip(families, palette))
fig, ax = plt.subplots(figsize=(10, 6.2), dpi=80)
for r in plotted:
    gmacs, top1, params = int(r["macs"]) / 1e9, 100 * float(r["imagenet_top1"]), int(
        r["params_trainable"]) / 1e6
    ax.scatter(gmacs, top1, s=3 * params, color=colours[r["family"]], alpha=0.55,
               edgecolors="black", linewidths=0.4)
    ax.annotate(r["name"], (gmacs, top1), fontsize=6, xytext=(3, 2),
                textcoords="offset points")
for family in sorted({r["family"] for r in plotted}):
    ax.scatter([], [], color=colours[family], label=family, s=30)
ax.set_xscale("log")
ax.set_xlabel("multiply-adds per image (G, log scale), at the default input")
ax.set_ylabel("ImageNet top-1 (%), quoted")
ax.set_title(f"{len(plotted)} of {len(rows)} registered models: accuracy against compute; "
             "bubble area ~ parameters")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=7, ncol=2, loc="lower right", title="family", title_fontsize=7)
fig.tight_layout()
# The README shows this chart: written to results/ when run in a checkout,
# to a temporary folder in CI's smoke runs.
folder = Path(tempfile.mkdtemp()) if smoke or not overview.TABLE_FILE.exists() else (
    overview.TABLE_FILE.parent)
fig.savefig(folder / "overview.png", dpi=80)
size = (folder / "overview.png").stat().st_size
print(f"saved overview.png, {size / 1024:.0f} KB")
plt.show()

# %% [markdown]
# What the chart shows:
#
# * **The frontier moved left and up.** VGG-16 and MobileNetV2 have the
#   same quoted top-1, 71.3%, at 15.5 and 0.30 GMACs: fifty times fewer
#   multiply-adds for the same accuracy, four years later. Near 4 GMACs,
#   ResNet-50 (3.86) is quoted at 74.9%, ConvNeXt-T (4.46) at 82.1% and
#   EfficientNet-B4 (4.39) at 82.9%.
# * **Parameters are not compute.** VGG's large bubbles (most of their
#   parameters are in the fully connected layers) sit at moderate compute
#   and the lowest accuracy of their time; ConvMixer-1536/20 spends 51
#   GMACs on 52M parameters where ConvNeXt-L spends 34 GMACs on 198M,
#   because ConvMixer never downsamples after its patch embedding.
# * **The top right is bought with compute and data.** ConvNeXt-XL
#   (pre-trained on ImageNet-22K), EfficientNetV2-L and EfficientNet-B7
#   are quoted at 84 to 87% for 38 to 61 GMACs.
#
# ### Multiply-adds are not time
#
# The second chart plots what this CPU measured against what the counts
# predict: batch-1 latency against multiply-adds for the ImageNet-sized
# models (the 32x32 CIFAR and MNIST networks are in the table; at a few
# milliseconds their time is mostly per-call overhead), both axes
# logarithmic. A model on the dashed line runs at the median speed of these
# models, in multiply-adds per second at batch 64; above the line it is
# slower than its count suggests.

# %%
def gmacs_per_second(r):
    """Multiply-adds per second at batch 64 on this CPU, in billions."""
    return int(r["macs"]) / 1e9 * float(r["cpu_images_per_second_batch64"])


imagenet_sized = [r for r in rows.values() if not r["input_size"].startswith("32x32")]
speeds = sorted(gmacs_per_second(r) for r in imagenet_sized)
median_speed = speeds[len(speeds) // 2]
fig, ax = plt.subplots(figsize=(10, 6.2), dpi=80)
for r in imagenet_sized:
    gmacs, latency = int(r["macs"]) / 1e9, float(r["cpu_latency_ms_batch1"])
    ax.scatter(gmacs, latency, color=colours[r["family"]], s=25, alpha=0.8,
               edgecolors="black", linewidths=0.4)
    ax.annotate(r["name"], (gmacs, latency), fontsize=6, xytext=(3, 2),
                textcoords="offset points")
for family in sorted({r["family"] for r in imagenet_sized}):
    ax.scatter([], [], color=colours[family], label=family, s=30)
all_gmacs = sorted(int(r["macs"]) / 1e9 for r in imagenet_sized)
span = [all_gmacs[0], all_gmacs[-1]]
ax.plot(span, [1e3 * g / median_speed for g in span], "k--", lw=0.8,
        label=f"median speed, {median_speed:.0f} GMAC/s")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("multiply-adds per image (G, log scale), at the default input")
ax.set_ylabel("batch-1 latency on this 2-core CPU (ms, log scale)")
ax.set_title(f"The {len(imagenet_sized)} ImageNet-sized models: measured latency against "
             "multiply-adds")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=6, ncol=3, loc="upper left")
fig.tight_layout()
plt.show()
print(f"{'model':<21} {'GMACs':>7} {'b1 ms':>8} {'b64 img/s':>9} {'GMAC/s at b64':>13}")
by_speed = sorted(imagenet_sized, key=gmacs_per_second)
for r in by_speed[:8] + by_speed[-8:]:
    print(f"{r['name']:<21} {int(r['macs']) / 1e9:7.3f} {r['cpu_latency_ms_batch1']:>8} "
          f"{r['cpu_images_per_second_batch64']:>9} {gmacs_per_second(r):13.1f}")

# %% [markdown]
# On this CPU (2 cores, float32, XLA off; timed 2026-11-29), the median
# ImageNet-sized model runs 39 billion multiply-adds a second at batch 64,
# and the spread is wide:
#
# * **Depthwise convolutions run slowly per multiply-add.** The slowest
#   eight are all depthwise networks: ShuffleNetV2 0.5x (8 GMAC/s),
#   EfficientNet-B0 to B3 and MobileNetV3 (12 to 14). The fastest are
#   dense networks: ResNet-34, the VGGs, Inception-v4, BN-Inception and
#   NiN (66 to 71), five times faster per multiply-add.
# * **So the mobile networks gain less in time than in counts.**
#   EfficientNet-B0 needs 10 times fewer multiply-adds than ResNet-50
#   (0.39 against 3.86 G) but is only 1.7 times faster at batch 1 (38.9
#   against 66.1 ms) and 2 times at batch 64 (29.8 against 14.8
#   images/s). At equal counts, 4.4 to 4.5 G, EfficientNet-B4 takes 150
#   ms, ConvNeXt-T 100 ms and ResNet-50 (3.9 G) 66 ms.
# * **Batch size changes the order.** RegNetX-200MF and MobileNetV3-Large
#   have about the same count (0.20 and 0.22 G) and batch-1 latency (18.5
#   and 17.3 ms), but at batch 64 the RegNet processes 114 images/s and the
#   MobileNet 59.
#
# ## 4. Which network should I use?
#
# The answers below are read off the table: the most accurate model
# (quoted ImageNet top-1) within a budget of parameters or of
# multiply-adds, and the models that no other model beats on both
# accuracy and compute. Models whose quoted figure needed extra
# pre-training data (ConvNeXt-XL's ImageNet-22K) are left out of the
# budget picks. The latency budgets are this 2-core CPU's, at batch 1;
# on other hardware the order changes (see section 3), so time your
# candidates there with `convnets_tf.timing` or `benchmarks/cpu_models.py`.

# %%
candidates = [r for r in plotted if "22K" not in r["imagenet_top1_source"]]


def best_within(key, limits, unit, scale):
    for limit in limits:
        fits = [r for r in candidates if float(r[key]) <= limit * scale]
        best = max(fits, key=lambda r: float(r["imagenet_top1"]))
        budget = "any" if math.isinf(limit) else f"{limit:g}{unit}"
        print(f"  up to {budget:>5}: {best['name']:<20} "
              f"{overview.percent(best['imagenet_top1']):>6}, "
              f"{int(best['params_trainable']) / 1e6:6.1f}M parameters, "
              f"{int(best['macs']) / 1e9:6.2f} GMACs, "
              f"{float(best['cpu_latency_ms_batch1']):6.1f} ms")


print("By parameters (trainable):")
best_within("params_trainable", (3, 6, 10, 25, 60, math.inf), "M", 1e6)
print("By multiply-adds per image:")
best_within("macs", (0.1, 0.3, 0.6, 1, 2, 4, 10, math.inf), "G", 1e9)
print("By batch-1 latency on this CPU:")
best_within("cpu_latency_ms_batch1", (15, 20, 30, 50, 100, 200, math.inf), "ms", 1)
for key, what in (("macs", "multiply-adds"), ("cpu_latency_ms_batch1", "CPU latency")):
    frontier, best_so_far = [], 0.0
    for r in sorted(candidates, key=lambda r: (float(r[key]), -float(r["imagenet_top1"]))):
        if float(r["imagenet_top1"]) > best_so_far:
            frontier.append(r["name"])
            best_so_far = float(r["imagenet_top1"])
    print(f"Not beaten on both accuracy and {what} ({len(frontier)}):\n  "
          + ", ".join(frontier))
for name in ("vgg16", "mobilenet_v2", "resnet50", "efficientnet_b0", "convnext_tiny"):
    print(table_line(rows[name]))

# %% [markdown]
# **By task**, from those numbers:
#
# * **A default, and a backbone for detection or segmentation:
#   ResNet-50.** It is not on the frontier any more, but it is the network
#   every framework, paper and pre-trained checkpoint supports, its
#   bottleneck stages give the feature pyramid that detectors expect, and
#   it has no depthwise or grouped convolutions that some hardware runs
#   slowly. Start there and move when a measurement says so.
# * **On a phone or a small CPU: MobileNetV3, ShuffleNetV2,
#   EfficientNet(V2)-B0.** They are the most accurate models within 0.1 to
#   0.6 GMACs or 3 to 6M parameters above. Measured here, MobileNetV3-Small
#   (10.5 ms, 67.4%) and -Large (17.3 ms, 75.2%) win the budgets up to 20 ms
#   at batch 1, and EfficientNetV2-B0 (28.6 ms, 78.7%) the 30 ms one, ahead
#   of EfficientNet-B0 (38.9 ms, 77.1%). Other hardware orders them
#   differently (ShuffleNetV2's paper was about exactly that), so time them
#   there.
# * **The best accuracy for the compute: EfficientNet, and ConvNeXt when
#   time is the budget.** EfficientNet v1 and v2 make up most of the
#   multiply-add frontier and win every budget from 0.6 GMACs or 6M
#   parameters up (counted at each variant's own, larger, input size). By
#   measured latency the picture shifts: EfficientNetV2 holds most of the
#   frontier, RegNetY-800MF and ConvNeXt-T join it, and ConvNeXt-T is the
#   most accurate model within 100 ms (82.1% at 99.8 ms; EfficientNet-B4,
#   82.9%, takes 150 ms). So the rule of thumb "EfficientNet or ConvNeXt
#   for the best trade-off" holds here, once speed is measured rather than
#   counted.
# * **The highest accuracy, whatever it costs**: the largest EfficientNetV2
#   and ConvNeXt models, best with extra pre-training data (the 22K
#   ConvNeXt-XL). Noisy Student and Meta Pseudo Labels show that past this
#   point the training method adds more than the architecture.
# * **CIFAR-sized images (32x32)**: the CIFAR models (ResNet-20 to 110,
#   WRN-28-10, DenseNet-BC, airbench94, ConvMixer-256/8) rather than an
#   ImageNet network at 32 pixels, which would downsample the image away in
#   its stem. This table has no comparable CIFAR-10 accuracies: the stored
#   runs are short, on subsets, and mostly of scaled-down variants.
#
# ## Takeaways
#
# * Every count in the table is computed from the built model; every
#   ImageNet accuracy is quoted with its source, and 24 of the 89 models
#   (CIFAR and MNIST networks, and a few with no figure we could verify)
#   have none.
# * The article's table and ours disagree where the article quotes an
#   ensemble (AlexNet), a different reading of an ambiguous figure
#   (BN-Inception's 11.2M), or a size that no reading of the paper gives
#   (DenseNet-264's 22M against 33.3M).
# * Compute, parameters and accuracy move together only loosely; the
#   frontier belongs to networks designed or searched for efficiency.
# * Multiply-adds are not time: on this CPU the slowest depthwise networks
#   run 5 to 9 times fewer multiply-adds a second than the fastest dense
#   ones (8 to 14 against 66 to 71 GMAC/s), so by measured
#   latency EfficientNetV2, MobileNetV3, RegNetY-800MF and ConvNeXt-T hold
#   the frontier, and EfficientNet v1 keeps only B4 on it. Time candidates
#   on the hardware they will run on.
#
# ## References and the series
#
# * keras.io, Keras Applications:
#   [keras.io/api/applications](https://keras.io/api/applications/) (the
#   quoted top-1 of 33 models).
# * The papers and repositories named in the sources above; each model's
#   notebook cites its paper in full.
# * Q. Xie, M.-T. Luong, E. Hovy, Q. V. Le. Self-training with Noisy
#   Student improves ImageNet classification. CVPR 2020.
#   [arXiv:1911.04252](https://arxiv.org/abs/1911.04252)
# * H. Pham, Z. Dai, Q. Xie, Q. V. Le. Meta Pseudo Labels. CVPR 2021.
#   [arXiv:2003.10580](https://arxiv.org/abs/2003.10580)
#
# The notebooks of the series: [01-lenet5](01-lenet5.ipynb),
# [02-alexnet](02-alexnet.ipynb), [03-nin](03-nin.ipynb),
# [04-vgg](04-vgg.ipynb), [05-googlenet](05-googlenet.ipynb),
# [06-inception-v3](06-inception-v3.ipynb),
# [07-inception-v4-resnet](07-inception-v4-resnet.ipynb),
# [08-resnet](08-resnet.ipynb),
# [09-resnet-v2-and-wide-resnet](09-resnet-v2-and-wide-resnet.ipynb),
# [10-resnext](10-resnext.ipynb), [11-bit](11-bit.ipynb),
# [12-xception](12-xception.ipynb), [13-densenet](13-densenet.ipynb),
# [14-mobilenet](14-mobilenet.ipynb),
# [15-shufflenet-v2](15-shufflenet-v2.ipynb),
# [16-mobilenet-v3](16-mobilenet-v3.ipynb),
# [17-efficientnet](17-efficientnet.ipynb),
# [18-efficientnet-v2](18-efficientnet-v2.ipynb),
# [19-regnet](19-regnet.ipynb), [20-convmixer](20-convmixer.ipynb),
# [21-convnext](21-convnext.ipynb); fast training (airbench94, 90.2% in
# 10 epochs on this CPU and data, as airbench's own code reached here):
# [22-fast-training](22-fast-training.ipynb);
# [23-batch-norm](23-batch-norm.ipynb);
# [24-noisy-student](24-noisy-student.ipynb).
#
# * Previous in the series: [24-noisy-student.ipynb](24-noisy-student.ipynb).
