# %% [markdown]
# # Fast training: airbench's 10-epoch CIFAR-10 recipe, in Keras
#
# **Papers and code:** D. Page, "How to train your ResNet" (blog series,
# 2018), the DAWNBench ResNet-9: 94% in 24 epochs;
# T. Balsam, hlb-CIFAR10 (2023);
# K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU" (2024),
# [arXiv:2404.00498](https://arxiv.org/abs/2404.00498), code
# [KellerJordan/cifar10-airbench](https://github.com/KellerJordan/cifar10-airbench):
# airbench94 reaches 94% in 9.9 epochs (3.83 s on one A100).
#
# Every earlier notebook changes the *network* and holds the recipe fixed.
# This one does the opposite. In airbench94, a small network (2M
# parameters, three blocks of widths 64, 256 and 256) with a handful of
# training ideas reaches 94% on CIFAR-10 in 10 epochs. Each idea is small
# and none is new:
#
# * a first layer that *whitens* 2x2 image patches, computed from the data
#   and frozen;
# * large batches (1,024), Nesterov SGD at momentum 0.85, and a triangular
#   learning-rate schedule;
# * label smoothing 0.2;
# * BatchNorm without a learned scale, whose shifts learn 64 times faster;
# * lookahead, an average of the weights taken every five steps;
# * small random crops (2 pixels) and flips, and test-time augmentation.
#
# The notebook builds the network and the recipe from `convnets_tf`, shows
# **three 10-epoch runs on all 50,000 training images** on this project's
# 2-core CPU, which reached 90.35% to 91.0% with test-time augmentation,
# and **airbench's own PyTorch code on the same data and CPU**, which
# reached 90.7%: on this copy of CIFAR-10 neither reaches airbench's 94%,
# and the Keras version matches the original. It then measures **what each
# ingredient buys** with an ablation on a subset.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/22-fast-training.ipynb)

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
import json
import math
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf.analysis import count_macs, count_params, trace_shapes
from convnets_tf.models import airbench
from convnets_tf.notebook import plan_run
from convnets_tf.timing import machine

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
plan = plan_run(   # the ablation of section 5
    cpu=dict(train_images=8192, test_images=None, epochs=3, batch_size=256),
    accelerator=dict(train_images=None, test_images=None, epochs=10, batch_size=1024),
)
smoke = plan.mode == "smoke"

# %% [markdown]
# ## 1. The network
#
# airbench94's network is a VGG-like stack with three ideas of its own:
#
# * **Whitening.** The first layer is a 2x2 convolution whose 24 filters
#   are the eigenvectors of the covariance of 2x2x3 patches of training
#   images, each scaled by one over the square root of its eigenvalue, and
#   their negatives (12 directions, two signs, so that the GELU after it
#   keeps both halves). It is computed once from 5,000 training images and
#   never trained: the network starts from decorrelated inputs.
# * **Identity initialisation.** Every 3x3 convolution starts as a
#   partial identity (a Dirac kernel on as many channels as it can), so
#   that a fresh network passes its input through.
# * **BatchNorm without scale**, momentum 0.6 (in Keras' convention),
#   and logits multiplied by 1/9: the network's output starts small and the
#   loss starts near its maximum.

# %%
print(inspect.getsource(airbench.conv_group))

# %%
# NBVAL_CHECK_OUTPUT
net = convnets_tf.build("airbench94")
counts = count_params(net)
print(f"airbench94: {counts.trainable:,} trainable, {counts.total - counts.trainable:,} frozen "
      f"parameters; {count_macs(net) / 1e6:.0f}M multiply-adds per image")
trace_shapes(net, {
    "whiten_gelu": (1, 31, 31, 24), "block1_gelu2": (1, 15, 15, 64),
    "block2_gelu2": (1, 7, 7, 256), "block3_gelu2": (1, 3, 3, 256),
    "pool": (1, 1, 1, 256), "predictions": (1, 10),
})

# %% [markdown]
# The whitening layer computed from the first 5,000 training images. Its
# filters are sorted by eigenvalue: the first ones are smooth colour and
# brightness directions, the last ones the high-frequency detail that a
# plain convolution would learn last. Each is divided by the square root of
# its eigenvalue plus $\epsilon = 5 \cdot 10^{-4}$, so its output has unit
# second moment over the patches, except the few directions whose
# eigenvalue is not much above $\epsilon$: those are damped, not amplified
# (the smallest second moment the cell prints).

# %%
from convnets_tf.data import CIFAR_MEAN, CIFAR_STD, load_cifar
from convnets_tf.train import WHITENING_IMAGES

data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
first = data[0][0][:WHITENING_IMAGES]
whitened = convnets_tf.build("airbench94", whitening_images=first)
kernel = whitened.get_layer("whiten").get_weights()[0]   # (2, 2, 3, 24)
# The layer's 12 positive filters on (normalised) training images: their
# outputs' second moments should be 1 on the diagonal, 0 off it.
whiten = keras.Model(whitened.input, whitened.get_layer("whiten").output)
outputs = whiten.predict((first[:1000] - CIFAR_MEAN) / CIFAR_STD, verbose=0)
outputs = outputs[..., :12].reshape(-1, 12)
moments = outputs.T @ outputs / len(outputs)
print(f"whitening computed from {len(first):,} images; on 1,000 of them its outputs' "
      f"second moments are {moments.diagonal().min():.2f} to {moments.diagonal().max():.2f}, "
      f"and at most {np.abs(moments - np.diag(moments.diagonal())).max():.3f} between two "
      "filters")
fig, axes = plt.subplots(1, 12, figsize=(9, 1))
for i, ax in enumerate(axes):
    filt = kernel[..., i]
    ax.imshow((filt - filt.min()) / (np.ptp(filt) + 1e-9))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. The recipe, as options of the shared `train_cifar`
#
# Each ingredient is an option of the package's recipe, usable with any
# model (`convnets_tf.train.full_recipe` lists them). `fast_recipe(batch)`
# gives airbench's settings in Keras' terms for a batch size, and the
# command line takes them as `--recipe fast`:
#
# | ingredient | airbench94 | option |
# |---|---|---|
# | optimiser | Nesterov SGD, momentum 0.85 | `momentum=0.85` |
# | learning rate | 11.5 per 1,024 examples, summed loss | `learning_rate=1.5` at batch 1,024 (mean loss) |
# | weight decay | 0.0153 per 1,024, through the momentum | `weight_decay=0.00887` (decoupled) |
# | schedule | 0.2 to 1 over 23% of the steps, then down to 0.07 | `schedule="triangular"` |
# | BatchNorm shifts | 64x the learning rate | `shift_lr_multiplier=64` |
# | weight averaging | lookahead every 5 steps, decay 0.95^5 x progress^3 | `lookahead=True` |
# | label smoothing | 0.2 | `label_smoothing=0.2` |
# | augmentation | flip, translate 2 (reflection padding) | flip, crops shifted by up to 2 (`translate=2, crop_padding="reflect"`) |
# | weight decay on the BatchNorm shifts | yes | `decay_shifts=True` |
# | test-time augmentation | flip, then 1-pixel translations | `tta=True, tta_translate=1` (6 views, equal weights) |
# | epochs | 9.9 | 10 |
#
# Where this still differs from airbench94: epochs are whole; flips are
# random every epoch, not alternating; the whitening layer's bias stays
# zero (airbench trains it for 3 epochs); test-time augmentation averages
# probabilities over six equally weighted views (airbench averages logits,
# half of the weight on the untranslated pair). Reflected crops and weight
# decay on the shifts joined the recipe after the first two runs of
# section 3. The arithmetic behind the learning rate and the weight decay
# is in `convnets_tf/train.py`, beside `FAST_RECIPE`.

# %%
from convnets_tf.train import FAST_BATCH_SIZE, FAST_EPOCHS, Triangular, fast_recipe

print(f"fast_recipe({FAST_BATCH_SIZE}) = {fast_recipe()}")
steps = FAST_EPOCHS * (50_000 // FAST_BATCH_SIZE)
schedule = Triangular(fast_recipe()["learning_rate"], steps)
progress = np.arange(steps + 1)
fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
axes[0].plot(progress, [float(schedule(step)) for step in progress])
axes[0].set(title="learning rate (Triangular)", xlabel="step")
axes[1].plot(progress, 0.95**5 * (progress / steps) ** 3)
axes[1].set(title="lookahead decay, every 5 steps", xlabel="step")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. The runs: 10 epochs on the 50,000 training images
#
# One command trains airbench94 with the fast recipe on all 50,000
# training images and tests it on the 2,000 test images of the offline
# sample (`../shared/data/cifar10_train50k.npz`):
#
# ```bash
# python -m convnets_tf train airbench94 --recipe fast --seed 0 \
#     --data ../shared/data/cifar10_train50k.npz --out runs/airbench94_fast_seed0
# ```
#
# Three runs of it are stored, all with seed 0 on this project's 2-core
# CPU, each as the recipe stood when it ran. The first (shared with other
# work for its first two epochs) had zero-padded crops and no weight decay
# on the BatchNorm shifts; the second added the decay. From Python, with
# today's recipe, the second is
#
# ```python
# data = load_cifar("cifar10", source="../shared/data/cifar10_train50k.npz")
# recipe = {**fast_recipe(), "crop_padding": "zeros", "seed": 0}
# train_cifar(lambda: build("airbench94", whitening_images=data[0][0][:WHITENING_IMAGES]),
#             data, FAST_EPOCHS, FAST_BATCH_SIZE, "runs/airbench94_fast_decay_shifts_seed0",
#             verbose=2, **recipe)
# ```
#
# and the first adds `"decay_shifts": False` to its recipe. The third is the command above as it is now, with reflected crops too
# (shared with the PyTorch run below for its first four epochs). Their
# records (`run.json`, `history.csv`, `final.json`, and the command's
# summary lines in `summary.txt`) are in `results/fast-training/`; the
# cell below reads them. None ran on a GPU.

# %%
from convnets_tf.history import read_rows
from convnets_tf.results import RESULTS_FILE

# In a checkout of the repository; not in a pip installation (Colab).
STORED = RESULTS_FILE.parent / "fast-training"
RUNS = {"zero-padded crops": "airbench94_fast_seed0",
        "zero-padded crops, decayed shifts": "airbench94_fast_decay_shifts_seed0",
        "reflected crops, decayed shifts (the fast recipe)": "airbench94_fast_reflect_seed0"}
for label, folder in RUNS.items():
    definition = json.loads((STORED / folder / "run.json").read_text())
    final = json.loads((STORED / folder / "final.json").read_text())
    history = read_rows(STORED / folder / "history.csv")
    print(f"{label}: {definition['model']}, {definition['train_images']:,} training images, "
          f"{definition['test_images']:,} test images, batch {definition['batch_size']}, "
          f"{definition['epochs']} epochs, seed {definition['seed']}, "
          f"crop_padding={definition.get('crop_padding', 'zeros')}, "
          f"decay_shifts={definition.get('decay_shifts', False)}")
    print(f"{'epoch':>5} {'train acc':>9} {'test acc':>8} {'seconds':>7} {'images/s':>8}")
    for row in history:
        print(f"{int(row['epoch']) + 1:>5} {row['accuracy']:>9.4f} {row['val_accuracy']:>8.4f} "
              f"{row['seconds']:>7.0f} {row['images_per_second']:>8.1f}")
    acc, tta = final["test_accuracy"], final["tta_test_accuracy"]
    se = math.sqrt(tta * (1 - tta) / definition["test_images"])
    print(f"final test accuracy {acc:.4f}; with test-time augmentation ({final['tta_views']} "
          f"views) {tta:.4f} (standard error {se:.4f}); "
          f"{sum(row['seconds'] for row in history) / 60:.0f} minutes of training and "
          "per-epoch testing\n")

# %% [markdown]
# **The reference: airbench's own code on the same data.** Is the gap to
# 94% in this port or in the data? `benchmarks/airbench94_pytorch.py` is
# airbench94's PyTorch file (`legacy/airbench94.py`) changed only to run on
# the CPU in float32 and to read the offline file; it has everything this
# port leaves out (alternating flips, the trained whitening bias, weighted
# logit test-time augmentation). It ran once, seed 0, on the same CPU and
# data (it needs PyTorch, which this project does not depend on, so the
# cell reads its stored log):

# %%
print((STORED / "airbench94_pytorch_seed0.txt").read_text())

# %% [markdown]
# ## 4. What each ingredient buys: the ablation
#
# The claim of the whole line of work (Page's, hlb-CIFAR10's, airbench's)
# is that each of these small pieces buys accuracy at a fixed, short
# budget. A full ablation at 10 epochs on 50,000 images would take about
# seven hours here (six runs of 70-75 minutes), so this one trains on a
# subset (`plan` below: 8,192 images, 3 epochs, batch 256, with the
# learning rate scaled by `fast_recipe(256)`), and takes out one
# ingredient per row:
#
# * **no lookahead** (`lookahead=False`);
# * **no 64x shift learning rate** (`shift_lr_multiplier=1`);
# * **no label smoothing** (`label_smoothing=0`);
# * **zero-padded crops** (`crop_padding="zeros"`): the border of a shifted
#   crop black instead of reflected;
# * **no whitening**: the frozen first layer keeps its random
#   initialisation instead of the whitening filters.
#
# Test-time augmentation needs no run of its own: every row reports its
# accuracy with and without it. Every row starts from the same seed and
# sees the same images; with 2,000 test images the standard error of each
# accuracy is about 0.01, so only differences of 0.03 or more stand out
# from the noise of a single run.

# %%
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, train_cifar

strategy = get_strategy()
RECIPE = fast_recipe(plan.batch_size)
ABLATIONS = {
    "full recipe": {},
    "no lookahead": dict(lookahead=False),
    "no 64x shift learning rate": dict(shift_lr_multiplier=1.0),
    "no label smoothing": dict(label_smoothing=0.0),
    "zero-padded crops": dict(crop_padding="zeros"),
    "no whitening": "random first layer",
}
if smoke:   # CI traces one training graph, not five
    ABLATIONS = {"full recipe": {}}
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy, **RECIPE)}")

# %%
first = data[0][0][:WHITENING_IMAGES]
for label, change in ABLATIONS.items():
    whiten = change != "random first layer"
    options = {**RECIPE, **(change if whiten else {}), "seed": 0}
    out = f"{plan.runs_dir}/airbench94_{label.replace(' ', '_')}"
    train_cifar(lambda: convnets_tf.build(
        "airbench94", whitening_images=first if whiten else None),
        data, epochs=plan.epochs, batch_size=plan.batch_size, out_dir=out,
        strategy=strategy, verbose=2, **options)
    record_run(plan, out, notebook="22-fast-training", label=label)

# %%
n_test = len(data[1][0])
print(f"{'':<28} {'test acc':>8} {'with TTA':>8} {'train acc':>9} {'s/epoch':>7}")
for label in ABLATIONS:
    out = Path(plan.runs_dir) / f"airbench94_{label.replace(' ', '_')}"
    final = json.loads((out / "final.json").read_text())
    rows = read_rows(out / "history.csv")
    print(f"{label:<28} {final['test_accuracy']:>8.4f} {final['tta_test_accuracy']:>8.4f} "
          f"{rows[-1]['accuracy']:>9.4f} {np.mean([r['seconds'] for r in rows]):>7.0f}")
full = json.loads((Path(plan.runs_dir) / "airbench94_full_recipe" / "final.json").read_text())
p = full["test_accuracy"]
print(f"standard error of one accuracy near {p:.2f} on {n_test:,} test images: "
      f"{math.sqrt(p * (1 - p) / n_test):.3f}; {machine()}")

# %% [markdown]
# ## 5. Results
#
# All numbers here are printed by the cells above; everything ran on the
# project's 2-core CPU in float32.
#
# * **The network.** airbench94 as built here has 1,971,328 trainable
#   parameters (2,616 frozen: the whitening layer and the BatchNorm
#   statistics) and costs 118M multiply-adds per image. The whitening layer
#   decorrelates the 2x2 patches (at most 0.041 between two filters).
# * **10 epochs on 50,000 images: 90.20%, 91.00% with test-time
#   augmentation, not airbench's 94%.** The fast recipe as it stands
#   (reflected crops, decayed shifts; seed 0) took 44 minutes of training
#   and per-epoch testing, 165-235 s per epoch with the machine to itself
#   (210-300 images/s), 320-380 s in the first four epochs while the
#   PyTorch run shared it. The two earlier runs, with zero-padded crops,
#   ended at 88.85% (90.35%) and, with the shifts decayed, 89.30%
#   (90.70%). Between two runs the standard error of a difference is about
#   0.009, so none of these steps is measurably better than another; the
#   epoch-by-epoch test accuracies of the three runs follow each other.
# * **The gap to 94% is the data's, not the port's.** airbench94's own
#   PyTorch code, on the same 50,000 training and 2,000 test images and
#   the same CPU, ended at 90.20%, 90.70% with its own test-time
#   augmentation: the same figure as the Keras run without test-time
#   augmentation, and 0.3 points below it with it, one seed each. Its
#   epoch-by-epoch test accuracy follows the Keras runs' too (0.62, 0.71,
#   0.77 after the first three epochs, against 0.61, 0.69, 0.72 here).
#   airbench's 94.01% (the average of 1,000 runs) is on the original
#   CIFAR-10 test set of 10,000 images; this offline copy was decoded from
#   JPEG files (`../shared/data/README.md`) and tests on 2,000 images.
#   What costs the 3-4 points (the JPEG decoding, the smaller test set,
#   or something else of this setup) was not measured: the original files
#   cannot be downloaded here. The differences that remain between
#   this port and airbench (alternating flips, the trained whitening
#   bias, weighted logit test-time augmentation) are all inside the
#   PyTorch run, and it did not do better.
# * **The ablation** (8,192 images, 3 epochs, batch 256, one seed per
#   row; a row's standard error is about 0.01, a difference between two
#   rows about 0.015). Against the full recipe's 0.676 (0.6815 with
#   test-time augmentation):
#   * without whitening: 0.651 (0.660), 2.5 points lower;
#   * with zero-padded crops: 0.6685 (0.6695), 0.75 lower;
#   * without the 64x learning rate for the BatchNorm shifts: 0.672
#     (0.675), 0.4 lower;
#   * without lookahead: 0.6925 (0.6995), 1.65 *higher*;
#   * without label smoothing: 0.6985 (0.697), 2.25 *higher*.
#
#   Only whitening stands out, and by less than 2 standard errors of a
#   difference. The same ablation of the earlier recipe (zero-padded crops,
#   shifts not decayed; its stored outputs replaced by this run) put
#   whitening 3 points and the fast shifts 2.5 points below the full
#   recipe; the shifts' effect did not repeat. Lookahead and label
#   smoothing are regularisers whose effect airbench measures at the end of
#   full 10-epoch runs over many seeds; 96 steps on 8,192 images cannot
#   show it, and one seed per row cannot tell such rows apart.
# * **Test-time augmentation** added 0.8 points to the current 50,000-image
#   run (0.9020 to 0.9100), 1.4-1.5 to the earlier two, 0.5 to airbench's
#   own code (0.9020 to 0.9070), and 0.55 to the ablation's full recipe.
# * **Not measured:** the time to 94% on a GPU (on this data airbench94
#   does not reach 94% in 10 epochs, above). The GPU machine lent to this
#   project has JAX and PyTorch but no TensorFlow, and the package needs
#   TensorFlow; `benchmarks/README.md` has what was measured there
#   through Keras' JAX backend (ResNet-50 throughput).
#
# ## References
#
# * D. Page. How to train your ResNet (blog series, Myrtle.ai, 2018),
#   parts 1-8; the hyperparameter parametrisation is part 5.
# * K. Jordan. 94% on CIFAR-10 in 3.29 seconds on a single GPU. 2024.
#   [arXiv:2404.00498](https://arxiv.org/abs/2404.00498); code:
#   [KellerJordan/cifar10-airbench](https://github.com/KellerJordan/cifar10-airbench),
#   `legacy/airbench94.py`, which this notebook follows.
# * M. R. Zhang, J. Lucas, G. Hinton, J. Ba. Lookahead optimizer: k steps
#   forward, 1 step back. NeurIPS 2019.
# * C. Szegedy et al. Rethinking the Inception architecture (label
#   smoothing; notebook 06).
# * Previous in the series: [21-convnext.ipynb](21-convnext.ipynb). Next:
#   [23-batch-norm.ipynb](23-batch-norm.ipynb), what BatchNorm does to
#   training.
