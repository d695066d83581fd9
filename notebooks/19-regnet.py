# %% [markdown]
# # RegNet: designing design spaces, not networks
#
# **Paper:** I. Radosavovic, R. P. Kosaraju, R. Girshick, K. He and P. Dollár,
# "Designing Network Design Spaces", *IEEE/CVF Conference on Computer Vision
# and Pattern Recognition* (CVPR), 2020.
# [arXiv:2003.13678](https://arxiv.org/abs/2003.13678)
#
# Most papers in this series present one network, or one network and a rule
# for scaling it. RegNet's authors present a *population*: they define a
# design space (a parametrised family of networks), sample models from it,
# train them briefly, and judge the space by the distribution of their
# errors. Step by step they restrict the space (shared bottleneck ratios,
# shared group widths, widths and depths that grow from stage to stage)
# whenever the restriction does not make the error distribution worse. What
# remains is the RegNet space: networks whose per-block widths follow a
# *quantised linear* function of the block index, six numbers (d, w0, wa,
# wm, g, b) per network. This notebook shows that rule generating the
# published RegNetX and RegNetY models, builds and checks one of them, runs a
# small design-space experiment on CIFAR-10 (a handful of sampled networks
# from an unconstrained AnyNet space and from the RegNet space, trained with
# the same short recipe, and their error distributions), and tests the
# paper's claim that a network's activations predict its running time better
# than its FLOPs, with timings of the registered RegNets on this CPU.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/19-regnet.ipynb)

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
from convnets_tf.analysis import count_activations, count_macs, count_params, trace_shapes
from convnets_tf.models import regnet
from convnets_tf.notebook import plan_run
from convnets_tf.timing import inference_seconds, machine

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
plan = plan_run(   # the design-space experiment of section 4, each sampled network
    cpu=dict(train_images=8192, test_images=None, epochs=3, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=10, batch_size=128),
)
smoke = plan.mode == "smoke"

# %% [markdown]
# ## 1. Design spaces and error distributions (section 2)
#
# A single trained network is one draw: its accuracy depends on its seed, its
# recipe and luck, and comparing two networks says little about the choices
# that produced them. The paper compares *design spaces* instead, following
# Radosavovic et al. 2019 ("On network design spaces for visual
# recognition"): sample n models from each space, train each with the same
# low-cost recipe (the paper: n = 500 models per space, 10 ImageNet epochs,
# in a fixed regime of 360 to 400 million FLOPs), and compare the spaces'
# **error empirical distribution functions** (EDFs),
#
# $$F(e) = \frac{1}{n} \sum_{i=1}^{n} \mathbf{1}[e_i < e],$$
#
# the fraction of the space's models with error below e. A space whose EDF
# lies to the left and rises faster holds more good models: a random draw
# from it is more likely to be good, and the best models it contains are
# easier to find.
#
# **AnyNet (section 3.1).** Every network is a stem (a 3x3 convolution,
# stride 2, 32 channels), a body of four stages that each halve the
# resolution, and a head (pooling and a classifier). Stage i is d_i blocks of
# width w_i; the block is the **X block**, ResNeXt's residual bottleneck: a
# 1x1 convolution to the bottleneck width w_i / b_i, a 3x3 grouped
# convolution with group width g_i (channels per group), a 1x1 convolution
# back to w_i. So the body has 16 free numbers (d_i, w_i, b_i, g_i for four
# stages). The paper's AnyNetX_A samples d_i <= 16, w_i <= 1024 (multiples
# of 8), b_i in {1, 2, 4} and g_i in {1, 2, 4, 8, 16, 32}: (16 x 128 x 3 x
# 6)^4, about 10^18 networks.
#
# **Refining the space (section 3.2).** AnyNetX_B shares one bottleneck
# ratio across the stages, AnyNetX_C also one group width: the EDFs barely
# move, so the space shrinks for free. AnyNetX_D keeps only networks whose
# widths grow from stage to stage (w_{i+1} >= w_i), AnyNetX_E also growing
# depths (d_{i+1} >= d_i): both improve the EDF. Looking at the best models
# of AnyNetX_E, the authors saw that the width of block j, plotted against
# j, is close to a line, with steps.
#
# **RegNet (section 3.3): the quantised linear rule.** A network of d blocks
# gets per-block widths from a line,
#
# $$u_j = w_0 + w_a \cdot j, \qquad 0 \le j < d,$$
#
# which is then made piecewise constant: with a multiplier w_m, each u_j is
# written as $u_j = w_0 \, w_m^{s_j}$, the exponent s_j is rounded, and
# $w_j = w_0 \, w_m^{\lfloor s_j \rceil}$ (then rounded to a multiple of 8).
# Blocks of equal width form a stage. Six numbers, (d, w0, wa, wm, g, b),
# define a network; the RegNet space samples d < 64, w0, wa < 256,
# 1.5 <= wm <= 3, with b and g as in AnyNetX_E. The paper then finds that
# b = 1 is best, and RegNetY adds squeeze-and-excitation to the X block.
# The package's generator, `convnets_tf.models.regnet.generate`:

# %%
print(inspect.getsource(regnet.generate))

# %% [markdown]
# The rule on RegNetX-400MF (d = 22, w0 = 24, wa = 24.48, wm = 2.54,
# g = 16): the line u_j, the quantised widths w_j, and the stages they form.

# %%
config = regnet.CONFIGS["x_400mf"]
j = np.arange(config["depth"])
u = config["w0"] + config["wa"] * j
s = np.round(np.log(u / config["w0"]) / np.log(config["wm"]))
w = np.round(config["w0"] * config["wm"] ** s / 8) * 8
widths, depths, groups = regnet.generate(**config)
print(f"u_j: {np.round(u).astype(int).tolist()}")
print(f"s_j: {s.astype(int).tolist()}")
print(f"w_j: {w.astype(int).tolist()}")
print(f"stages: widths {widths}, depths {depths}, group widths {groups}")
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(j, u, "--", label="$u_j = w_0 + w_a j$")
ax.step(j, w, where="mid", label="quantised $w_j$")
ax.set(xlabel="block j", ylabel="width", title="RegNetX-400MF: the quantised linear rule")
ax.legend()
plt.show()

# %% [markdown]
# Three of the four stage widths differ from the quantised w_j (24, 152 and
# 392 become 32, 160 and 400): each stage width is finally rounded to a
# multiple of the group width, 16 here, so that the groups divide it. On 392
# (24.5 groups of 16) the two released implementations part: torchvision
# rounds the half up, to 400, the authors' pycls to the even 24 groups, 384
# (`generate`'s docstring). Every published model, generated from its six
# numbers: stage widths and depths, both roundings. The numbers and the
# published stage tables are in `regnet.CONFIGS` and `tests/test_regnet.py`,
# which checks each generated table against the published one.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'model':<9}{'d':>3}{'w0':>5}{'wa':>8}{'wm':>6}{'g':>5}  "
      f"{'stage widths (torchvision)':<27}{'pycls, where different':<24}depths")
for key, c in regnet.CONFIGS.items():
    params = {k: v for k, v in c.items() if k != "se_ratio"}
    tv = regnet.generate(**params)
    pycls = regnet.generate(**params, rounding="pycls")
    other = str(pycls[0]) if pycls[0] != tv[0] else ""
    print(f"{key:<9}{c['depth']:>3}{c['w0']:>5}{c['wa']:>8}{c['wm']:>6}{c['group_width']:>5}  "
          f"{str(tv[0]):<27}{other:<24}{tv[1]}")

# %% [markdown]
# ## 2. The network: AnyNet, RegNet and the X block
#
# In the package every RegNet is an `anynet` with its generated stages; the
# same builder takes free per-stage widths, depths, group widths and
# bottleneck ratios for the design-space experiment below. The X block
# (with `se_ratio`, the Y block):

# %%
print(inspect.getsource(regnet.x_block))
print(inspect.getsource(regnet.anynet))

# %% [markdown]
# The shapes of RegNetX-400MF at 224x224 stage by stage (stem stride 2, then
# each stage halves the map), and the counts of the 400MF pair: parameters
# against torchvision's `regnet_x_400mf` and `regnet_y_400mf`, multiply-adds
# (the paper's "flops") against the names, and activations (the output
# elements of all convolutions, the paper's third complexity measure).

# %%
x400 = convnets_tf.build("regnetx_400mf")
trace_shapes(x400, {
    "stem_relu": (1, 112, 112, 32), "stage1_block1_out": (1, 56, 56, 32),
    "stage2_block2_out": (1, 28, 28, 64), "stage3_block7_out": (1, 14, 14, 160),
    "stage4_block12_out": (1, 7, 7, 400), "predictions": (1, 1000),
})

# %%
# NBVAL_CHECK_OUTPUT
TORCHVISION = {"regnetx_400mf": 5_495_976, "regnety_400mf": 4_344_144}
for name, expected in TORCHVISION.items():
    model = x400 if name == "regnetx_400mf" else convnets_tf.build(name)
    params = count_params(model)
    print(f"{name}: {params.trainable:,} trainable parameters (torchvision {expected:,}), "
          f"{count_macs(model) / 1e6:.1f}M multiply-adds, "
          f"{count_activations(model) / 1e6:.2f}M activations")
    assert params.trainable == expected
    macs = regnet.anynet_macs(*regnet.generate(**{
        k: v for k, v in regnet.CONFIGS[name[6:]].items() if k != "se_ratio"}))
    print(f"  anynet_macs without building it: {macs / 1e6:.1f}M (no SE)")

# %% [markdown]
# RegNetY's squeeze-and-excitation adds almost nothing to the multiply-adds;
# its count is lower than RegNetX's because its generated widths are
# different. `anynet_macs` computes a network's multiply-adds from its stages
# alone (the same count for X blocks, `tests/test_regnet.py`), which makes it
# cheap to sample networks within a FLOP regime, as the paper does.
#
# ## 3. A small design-space experiment on CIFAR-10
#
# The paper's question, at the scale of two CPU cores: do networks drawn from
# the RegNet space train better than networks drawn from the unconstrained
# AnyNetX_A space, at the same cost? The paper answers with 500 models per
# space on ImageNet; here there are a handful per space, so the EDFs below
# are a picture of what is measured, not a test of it.
#
# **The spaces, shrunk to CIFAR.** Both use the CIFAR layout `stem_stride=1`
# (the stem keeps 32x32, the four stages run at 16, 8, 4 and 2 pixels) and
# the same cost window, 3 to 6 million multiply-adds per 32x32 image
# (rejection sampling with `anynet_macs`, as the paper samples within its
# 400MF regime).
#
# * **AnyNetX_A**: per stage d_i in 1..4, w_i in 8..128 (multiples of 8),
#   bottleneck ratio 1, 1/2 or 1/4 (the paper's b_i = 1, 2, 4), and group
#   width 16 or 32, all four stages independent (`regnet.sample_anynet`).
# * **RegNetX**: d in 4..12, w0 in 8..64 (multiples of 8), wa in 4..64 and
#   wm in 1.5..3, all three log-uniform, group width 16 or 32, b = 1, and
#   four stages (`regnet.sample_regnet`).
#
# The group widths are the one departure beyond size: the paper samples
# g in {1, 2, 4, 8, 16, 32}, but a grouped convolution with many narrow
# groups trains slowly on a CPU (`GroupedConv2D` runs each group as a dense
# convolution), so here no stage has more than a handful of groups.
#
# **The recipe** is the shared one
# ([How the notebooks train](https://github.com/convnets-tf/convnets_tf#how-the-notebooks-train)),
# identical for every network, with BatchNorm momentum 0.9 for these short
# runs; each network is trained from its own seed on the same training
# subset for the same epochs and tested on the same test images.

# %%
from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows
from convnets_tf.results import record_run
from convnets_tf.train import describe_run, get_strategy, train_cifar

SAMPLES = 1 if smoke else 4   # networks per space
CIFAR = dict(image_size=32, stem_stride=1, macs=(3e6, 6e6))
rng = np.random.default_rng(2020)
SPACES = {
    "anynetx_a": [regnet.sample_anynet(
        rng, depths=range(1, 5), widths=range(8, 129, 8), bottleneck_ratios=(1, 0.5, 0.25),
        group_widths=(16, 32), **CIFAR) for _ in range(SAMPLES)],
    "regnetx": [regnet.sample_regnet(
        rng, depths=range(4, 13), w0=(8, 64), wa=(4, 64), wm=(1.5, 3.0),
        group_widths=(16, 32), **CIFAR) for _ in range(SAMPLES)],
}
for space, configs in SPACES.items():
    for i, c in enumerate(configs):
        stages = {k: v for k, v in c.items() if k != "params"}
        macs = regnet.anynet_macs(**stages, image_size=32, stem_stride=1, num_classes=10)
        print(f"{space}_{i}: widths {c['stage_widths']}, depths {c['stage_depths']}, "
              f"g {c['group_widths']}, b {c['bottleneck_ratios']}, {macs / 1e6:.2f}M MACs"
              + (f"\n    from {c['params']}" if "params" in c else ""))

data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy, bn_momentum=0.9)}")

# %%
def build_sample(label, config):
    stages = {k: v for k, v in config.items() if k != "params"}
    return regnet.anynet(input_shape=(32, 32, 3), num_classes=10, stem_stride=1,
                         name=label, **stages)


RESULTS = {}
for space, configs in SPACES.items():
    for i, config in enumerate(configs):
        label = f"{space}_{i}"
        out = f"{plan.runs_dir}/{label}"
        start = time.time()
        keras.utils.set_random_seed(i)
        model = train_cifar(lambda: build_sample(label, config), data, epochs=plan.epochs,
                            batch_size=plan.batch_size, out_dir=out, strategy=strategy,
                            verbose=2, bn_momentum=0.9)
        row = record_run(plan, out, notebook="19-regnet", label=label)
        RESULTS[label] = dict(space=space, error=1 - row["final_test_accuracy"],
                              macs=count_macs(model), params=count_params(model).trainable,
                              train_accuracy=read_rows(f"{out}/history.csv")[-1]["accuracy"])
        print(f"{label}: test accuracy {row['final_test_accuracy']:.3f}, "
              f"trained in {time.time() - start:.0f} s ({machine()})\n")

# %% [markdown]
# The results of all sampled networks, and each space's error EDF:

# %%
n_test = len(data[1][0])
print(f"{'network':<13}{'MACs':>7}{'params':>9}{'train acc':>10}{'test error':>11}")
for label, r in RESULTS.items():
    print(f"{label:<13}{r['macs'] / 1e6:6.2f}M{r['params']:>9,}{r['train_accuracy']:>10.3f}"
          f"{r['error']:>11.3f}")
for space in SPACES:
    errors = sorted(r["error"] for r in RESULTS.values() if r["space"] == space)
    print(f"{space}: errors {', '.join(f'{e:.3f}' for e in errors)}; median "
          f"{np.median(errors):.3f}, best {errors[0]:.3f}")
print(f"(one test error's standard error at 0.5 on {n_test} images: "
      f"{math.sqrt(0.25 / n_test):.3f})")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for space in SPACES:
    errors = np.sort([r["error"] for r in RESULTS.values() if r["space"] == space])
    edf = np.arange(1, len(errors) + 1) / len(errors)
    axes[0].step(np.concatenate([[errors[0]], errors, [1.0]]),
                 np.concatenate([[0], edf, [1.0]]), where="post",
                 label=f"{space} (n={len(errors)})")
    axes[1].scatter([r["macs"] / 1e6 for r in RESULTS.values() if r["space"] == space],
                    [r["error"] for r in RESULTS.values() if r["space"] == space], label=space)
axes[0].set(xlabel="test error", ylabel="cumulative probability", title="error EDF",
            xlim=(min(r["error"] for r in RESULTS.values()) - 0.02,
                  max(r["error"] for r in RESULTS.values()) + 0.02))
axes[1].set(xlabel="M multiply-adds", ylabel="test error", title="error against cost")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
plt.show()
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, bn_momentum=0.9)}, "
      f"each network")

# %% [markdown]
# ## 4. Activations against FLOPs as predictors of running time
#
# The paper's complexity analysis (section 4) adds a third measure to
# parameters and FLOPs: **activations**, the size of the output tensors of
# all convolutional layers. It reports that on GPUs the running time of
# RegNets tracks activations more closely than FLOPs, because memory traffic,
# not arithmetic, bounds many layers on such hardware. The claim is tested
# on this notebook's CPU: inference time (median of several calls, a compiled
# `tf.function`) of the ten registered RegNets at 224x224, batch 4, against
# their multiply-adds and activations. The CPU is not the paper's hardware,
# and it is shared with other jobs: `machine()` prints the load beside the
# timings. Smoke mode (CI) times three small models at 64x64.

# %%
NAMES = [f"regnet{kind}_{size}" for size in regnet.REGISTERED for kind in ("x", "y")]
SIZE, BATCH, REPEATS = (64, 1, 2) if smoke else (224, 4, 7)
if smoke:
    NAMES = NAMES[:3]
print(f"before: {machine()}")
timing = {}
for name in NAMES:
    model = convnets_tf.build(name, input_shape=(SIZE, SIZE, 3))
    timing[name] = dict(macs=count_macs(model), acts=count_activations(model),
                        params=count_params(model).trainable,
                        seconds=inference_seconds(model, BATCH, REPEATS))
    print(f"{name:<15}{timing[name]['macs'] / 1e6:8.0f}M MACs {timing[name]['acts'] / 1e6:6.2f}M "
          f"activations {timing[name]['params'] / 1e6:5.1f}M params: "
          f"{1e3 * timing[name]['seconds']:7.1f} ms per batch of {BATCH} ({machine()})")
    del model
    keras.backend.clear_session()
print(f"after: {machine()}; {SIZE}x{SIZE}, medians of {REPEATS} calls")

# %% [markdown]
# How well each measure predicts the time: the Pearson correlation r of time
# with each, and the Spearman rank correlation (does the measure order the
# models as the clock does?), over the models timed above.

# %%
def ranks(values):
    return np.argsort(np.argsort(values))


seconds = np.array([t["seconds"] for t in timing.values()])
for key, what in (("macs", "multiply-adds"), ("acts", "activations"), ("params", "parameters")):
    values = np.array([t[key] for t in timing.values()], dtype=float)
    r = np.corrcoef(values, seconds)[0, 1]
    rho = np.corrcoef(ranks(values), ranks(seconds))[0, 1]
    print(f"time against {what:<14} Pearson r = {r:.3f}, Spearman rho = {rho:.3f}")
macs = np.array([t["macs"] for t in timing.values()], dtype=float)
acts = np.array([t["acts"] for t in timing.values()], dtype=float)
print(f"multiply-adds against activations: r = {np.corrcoef(macs, acts)[0, 1]:.3f} "
      f"(the two measures are themselves correlated across these models)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, key, label in ((axes[0], "macs", "M multiply-adds"), (axes[1], "acts", "M activations")):
    for name, t in timing.items():
        ax.scatter(t[key] / 1e6, 1e3 * t["seconds"], marker="o" if "regnetx" in name else "s",
                   color="C0" if "regnetx" in name else "C1")
        ax.annotate(name[6:], (t[key] / 1e6, 1e3 * t["seconds"]), fontsize=7)
    ax.set(xlabel=label, ylabel=f"ms per batch of {BATCH}")
    ax.grid(alpha=0.3)
axes[0].set_title("time against FLOPs (circles X, squares Y)")
axes[1].set_title("time against activations")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Results
#
# All numbers here are printed by the cells above. The stored notebook ran
# on a 2-core CPU shared with other jobs, float32; the load average printed
# beside each training run and timing was between 4.0 and 14.6.
#
# * **The rule.** For RegNetX-400MF the line u_j runs from 24 to 538 over
#   22 blocks; quantised with w_m = 2.54 it takes four values (24, 64, 152,
#   392), so the blocks fall into four stages of 1, 2, 7 and 12, and
#   rounding to the group width gives the stage widths 32, 64, 160 and 400.
#   All sixteen published configurations, X and Y from 200MF to 32GF,
#   generate their published stage tables from their six numbers; the two
#   released implementations disagree on three of them (X-400MF, Y-800MF,
#   Y-8GF), and the registered models follow torchvision.
# * **Counts.** RegNetX-400MF has 5,495,976 trainable parameters and
#   RegNetY-400MF 4,344,144, both equal to torchvision's; they compute
#   413.8M and 401.8M multiply-adds and 3.17M and 3.89M activations at
#   224x224. `anynet_macs`, from the stage table alone, gives 413.8M and
#   401.2M (it leaves out RegNetY's SE, 0.6M).
# * **The design-space experiment** (8,192 training images, 3 epochs, batch
#   128, the 2,000 test images; 3 to 6M multiply-adds per network). The
#   four AnyNetX_A samples reached test errors of 0.539, 0.555, 0.607 and
#   0.657 (median 0.581), the four RegNetX samples 0.563, 0.568, 0.613 and
#   0.803 (median 0.591); one test error has a standard error of about
#   0.011. Seven of the eight networks reached test accuracies between
#   0.343 and 0.461. The eighth, regnetx_2 (w0 = 8, d = 12; widths 8, 16,
#   48 and 112), reached 0.197, training accuracy 0.176: its mean training
#   loss in the first epoch, 2.8998, was above that of a uniform guess over
#   ten classes (ln 10), so it diverged early at the shared learning rate
#   and never recovered in three epochs. The EDFs cross, and with four
#   samples per space they cannot separate the two spaces: this run does
#   **not** reproduce the paper's finding that the RegNet space is better
#   than AnyNetX_A. The two best networks, anynetx_a_2 and anynetx_a_0,
#   were the shallowest (one block per stage, four in all), which may only
#   mean that shallow networks train fastest in three epochs; eight samples
#   say nothing about whether the width rule helps. What the run shows is
#   the method: the same recipe for every sample, the errors turned into a
#   distribution per space, and how wide those distributions are even
#   within one cost window. Each network trained in 93 to 309 s, as the
#   load allowed.
# * **Activations against FLOPs** (the ten registered RegNets at 224x224,
#   batch 4, medians of 7 calls, load 6.2 falling to 4.0). Inference time
#   ran from 41.0 ms (RegNetX-200MF) to 401.5 ms (RegNetX-3.2GF). Its
#   correlation with multiply-adds was r = 0.914 (Spearman 0.976), with
#   activations r = 0.915 (0.988), with parameters r = 0.859 (0.939). The
#   difference between FLOPs and activations is negligible, because across
#   the published models the two measures themselves correlate at r =
#   0.981, so timings of these ten networks can hardly tell them apart.
#   Testing the claim needs networks of equal FLOPs and unequal
#   activations (and the paper's hardware, GPUs); that test is not made
#   here. Some pairs are not ordered by any of the measures:
#   RegNetY-800MF took 156.3 ms against RegNetX-800MF's 88.1 ms at nearly
#   the same multiply-adds and activations, and RegNetY-1.6GF 259.3 against
#   128.0 ms, while at 3.2GF the order is reversed (259.7 ms for Y, 401.5
#   for X). On a shared CPU single medians move with the load, and costs
#   no measure counts (the SE layers, the number of groups each grouped
#   convolution is split into on CPU) differ between X and Y.
#
# ## 6. Takeaways
#
# * RegNet's contribution is a method: judge a family of networks by the
#   error distribution of random samples from it, and keep restricting the
#   family while the distribution does not get worse.
# * The outcome is a rule, not a table: six numbers (d, w0, wa, wm, g, b)
#   generate each published network's stage widths and depths through a
#   quantised line, and the package builds every RegNet from them.
# * A handful of samples per space is enough to run the method end to end,
#   not to rank spaces: the paper uses hundreds, and here four per space
#   gave crossing EDFs and one optimisation failure.
# * Activations and FLOPs grow together across the published RegNets, so
#   timing those models alone cannot say which of the two predicts running
#   time better; on this CPU both ranked the models about equally well.
#
# ## References
#
# * I. Radosavovic, R. P. Kosaraju, R. Girshick, K. He, P. Dollár. Designing
#   network design spaces. CVPR 2020.
#   [arXiv:2003.13678](https://arxiv.org/abs/2003.13678)
# * I. Radosavovic, J. Johnson, S. Xie, W.-Y. Lo, P. Dollár. On network design
#   spaces for visual recognition. ICCV 2019.
#   [arXiv:1905.13214](https://arxiv.org/abs/1905.13214)
# * S. Xie, R. Girshick, P. Dollár, Z. Tu, K. He. Aggregated residual
#   transformations for deep neural networks (ResNeXt, the X block). CVPR
#   2017 (notebook 10).
# * The authors' pycls model zoo, and torchvision's `regnet_x_*` and
#   `regnet_y_*`, whose parameter counts these builders equal.
# * Previous in the series: [18-efficientnet-v2.ipynb](18-efficientnet-v2.ipynb);
#   next: [20-convmixer.ipynb](20-convmixer.ipynb).
