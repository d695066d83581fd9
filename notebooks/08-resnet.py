# %% [markdown]
# # ResNet: deep residual learning for image recognition
#
# **Paper:** K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning
# for image recognition", *IEEE Conference on Computer Vision and Pattern
# Recognition* (CVPR), 2016. [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
#
# By 2015 depth was known to matter (VGG, GoogLeNet), yet simply stacking
# more layers made networks *worse*, and not because they overfitted: their
# training error went up. He et al. called this the degradation problem and
# fixed it with one idea: let each few layers learn a residual $F(x)$ that is
# added to their input by an identity shortcut, $y = F(x) + x$. Residual
# networks of 152 layers, eight times deeper than VGG yet cheaper, won
# ILSVRC 2015 classification (3.57% top-5 error for the ensemble), and
# networks of over 1000 layers still trained on CIFAR-10. This notebook
# rebuilds the paper's ImageNet and CIFAR networks, checks them against
# keras.applications and the paper, computes what basic and bottleneck
# blocks and the three shortcut options cost, and trains ResNet-20 against
# the plain network of the same depth on CIFAR-10.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/08-resnet.ipynb)

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
# ## 1. The problem: deeper plain networks train worse
#
# **Degradation (Section 1, Figure 1).** Normalised initialisation and batch
# normalisation had largely solved vanishing and exploding gradients: networks
# of tens of layers started to converge. But as depth grew further, accuracy
# saturated and then fell, and the paper's Figure 1 shows that a 56-layer
# plain network has *higher training error* than a 20-layer one on CIFAR-10.
# Overfitting would lower the training error; this is an optimisation
# failure.
#
# **The construction argument.** A deeper model can always do what a
# shallower one does: copy the shallower model's layers and make the extra
# layers identity mappings. So the deeper model's training error should be
# no higher. That solvers do not find such solutions suggests that "multiple
# nonlinear layers" have difficulty approximating an identity mapping.
#
# **Residual learning (Section 3.1).** If the desired mapping of a few stacked
# layers is $\mathcal{H}(x)$, let the layers fit $\mathcal{F}(x) := \mathcal{H}(x) - x$
# and add $x$ back:
#
# $$y = \mathcal{F}(x, \{W_i\}) + x \qquad (1)$$
#
# With two layers, $\mathcal{F} = W_2\,\sigma(W_1 x)$, and a ReLU follows the
# addition. If the identity is optimal the solver only has to drive the
# weights of $\mathcal{F}$ to zero; if the optimum is close to the identity,
# it is easier to learn the small perturbation than the whole function. The
# shortcut adds neither parameters nor computation. Where the shapes of
# $x$ and $\mathcal{F}$ differ, a linear projection $W_s$ matches them:
#
# $$y = \mathcal{F}(x, \{W_i\}) + W_s x \qquad (2)$$
#
# **Evidence (Section 4.1, Table 2).** On ImageNet, the 34-layer plain network
# has a higher top-1 validation error (28.54%, 10-crop) than the 18-layer one
# (27.94%), and a higher training error throughout training. With shortcuts
# the order reverses: ResNet-34 25.03%, ResNet-18 27.88%. The plain networks
# use batch normalisation and the paper checked that their gradients have
# healthy norms, so it does not blame vanishing gradients; it conjectures that
# deep plain networks converge exponentially slowly.

# %% [markdown]
# The construction argument, in code. A ResNet-20 whose residual branches
# beyond the first block of each stage output zero (the last BatchNorm of
# the branch scaled to zero) computes *exactly* the function of a ResNet-8,
# one block per stage, with the same remaining weights: the extra blocks are
# identities. A plain network with BatchNorm can represent an identity
# too: its inputs come out of a ReLU and are non-negative, so a
# convolution whose kernels are a 1 at the centre of each channel's own
# filter, a BatchNorm set to undo its normalisation and the following ReLU
# pass them through unchanged. What the paper argues is that solvers do
# not find such settings: a residual block reaches the identity by driving
# its weights towards zero, while a plain block has to arrive at one
# particular configuration of all of its weights.

# %%
# NBVAL_CHECK_OUTPUT
keras.utils.set_random_seed(0)
deep = build("resnet20")            # 3 blocks per stage
shallow = resnet.resnet_cifar(depth=8, name="resnet8")  # 1 block per stage
for layer in shallow.layers:        # copy the weights ResNet-8 has
    if layer.weights:
        layer.set_weights(deep.get_layer(layer.name).get_weights())
for layer in deep.layers:           # silence the other blocks' branches
    if layer.name.endswith("_2_bn") and "block1" not in layer.name:
        gamma, beta, mean, var = layer.get_weights()
        layer.set_weights([0 * gamma, 0 * beta, mean, var])

x = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
difference = np.max(np.abs(deep(x) - shallow(x)))
print(f"{deep.name} with 6 zero branches == {shallow.name}: {difference < 1e-6}")
assert difference < 1e-6
del deep, shallow


# %% [markdown]
# ## 2. The architectures
#
# ### ImageNet (Table 1)
#
# The plain baseline follows VGG's rules: mostly 3x3 convolutions; layers
# with the same output size have the same number of filters; when the size
# halves (stride-2 convolution), the filters double, keeping the cost per
# layer. The network ends in global average pooling and one 1000-way fully
# connected layer. Batch normalisation follows every convolution, before
# the ReLU. The paper's Table 1, with its FLOPs (multiply-adds):
#
# | layer | output | 18-layer | 34-layer | 50-layer | 101-layer | 152-layer |
# |---|---|---|---|---|---|---|
# | conv1 | 112x112 | 7x7, 64, stride 2 | same | same | same | same |
# | conv2_x | 56x56 | 3x3 max pool, stride 2; [3x3, 64; 3x3, 64] x 2 | ... x 3 | [1x1, 64; 3x3, 64; 1x1, 256] x 3 | ... x 3 | ... x 3 |
# | conv3_x | 28x28 | [3x3, 128; 3x3, 128] x 2 | ... x 4 | [1x1, 128; 3x3, 128; 1x1, 512] x 4 | ... x 4 | ... x 8 |
# | conv4_x | 14x14 | [3x3, 256; 3x3, 256] x 2 | ... x 6 | [1x1, 256; 3x3, 256; 1x1, 1024] x 6 | ... x 23 | ... x 36 |
# | conv5_x | 7x7 | [3x3, 512; 3x3, 512] x 2 | ... x 3 | [1x1, 512; 3x3, 512; 1x1, 2048] x 3 | ... x 3 | ... x 3 |
# | | 1x1 | average pool, 1000-d fc, softmax | | | | |
# | FLOPs | | 1.8e9 | 3.6e9 | 3.8e9 | 7.6e9 | 11.3e9 |
#
# For comparison the paper gives VGG-19 19.6e9 FLOPs: ResNet-152 is
# cheaper than VGG-16/19.
#
# A random image through the stages of `resnet50`, the shapes checked
# against the table:

# %%
from convnets_tf.analysis import count_macs, count_params, trace_shapes

resnet50 = build("resnet50")
trace_shapes(resnet50, {
    "conv1_relu": (1, 112, 112, 64), "pool1_pool": (1, 56, 56, 64),
    "conv2_block3_out": (1, 56, 56, 256), "conv3_block4_out": (1, 28, 28, 512),
    "conv4_block6_out": (1, 14, 14, 1024), "conv5_block3_out": (1, 7, 7, 2048),
    "avg_pool": (1, 2048), "predictions": (1, 1000),
})

# %% [markdown]
# ### CIFAR-10 (Section 4.2)
#
# On 32x32 images the paper uses a smaller, thinner network to study
# depth: a 3x3 convolution, then $3 \times 2n$ layers of 3x3 convolutions in
# three stages, global average pooling and a 10-way classifier, $6n + 2$
# weighted layers. Stride-2 convolutions halve the maps between stages.
# The paper's table:
#
# | output map size | 32x32 | 16x16 | 8x8 |
# |---|---|---|---|
# | # layers | 1 + 2n | 2n | 2n |
# | # filters | 16 | 32 | 64 |
#
# Shortcuts connect the pairs of 3x3 layers ($3n$ shortcuts), all of them
# identities (option A, below). $n = 3, 5, 7, 9, 18$ gives ResNet-20, 32,
# 44, 56 and 110 (Table 6; also 1202 with $n = 200$).

# %%
trace_shapes(build("resnet20"), {
    "conv1_relu": (1, 32, 32, 16), "conv2_block3_out": (1, 32, 32, 16),
    "conv3_block3_out": (1, 16, 16, 32), "conv4_block3_out": (1, 8, 8, 64),
    "avg_pool": (1, 64), "predictions": (1, 10),
})


# %% [markdown]
# ## 3. Blocks and shortcuts, and what they cost
#
# ### Basic and bottleneck blocks (Figure 5)
#
# ResNet-18/34 use the **basic block**: two 3x3 convolutions. For 50 layers
# and more the paper uses a **bottleneck**: a 1x1 convolution reduces the
# channels four times, a 3x3 convolution works on the reduced maps, and a
# 1x1 convolution restores them. Figure 5 compares a basic block on 64
# channels with a bottleneck on 256: "similar time complexity". Per
# position (multiply-adds equal parameters times output positions for a
# stride-1 convolution), without BatchNorm:

# %%
# NBVAL_CHECK_OUTPUT
def conv_params(k, c_in, c_out):
    return k * k * c_in * c_out

basic = conv_params(3, 64, 64) + conv_params(3, 64, 64)
bottleneck = conv_params(1, 256, 64) + conv_params(3, 64, 64) + conv_params(1, 64, 256)
basic_on_256 = 2 * conv_params(3, 256, 256)
positions = 56 * 56  # conv2_x
print(f"basic block, 64-d:        {basic:>9,} weights, {basic * positions / 1e6:6.1f} M multiply-adds at 56x56")
print(f"bottleneck, 256-d:        {bottleneck:>9,} weights, {bottleneck * positions / 1e6:6.1f} M multiply-adds")
print(f"basic block on 256-d:     {basic_on_256:>9,} weights, {basic_on_256 * positions / 1e6:6.1f} M multiply-adds")
assert (basic, bottleneck, basic_on_256) == (73_728, 69_632, 1_179_648)


# %% [markdown]
# The same arithmetic from the built layers (a block of conv2_x in ResNet-34
# and ResNet-50; ResNet-50's convolutions have biases, kept from
# keras.applications, and BatchNorm adds 4 values per channel, 2 of them
# trainable):

# %%
# NBVAL_CHECK_OUTPUT
def block_params(model, prefix):
    return sum(layer.count_params() for layer in model.layers
               if layer.name.startswith(prefix + "_") and layer.name[len(prefix) + 1] in "123")

resnet34 = build("resnet34")
print(f"resnet34 conv2_block2: {block_params(resnet34, 'conv2_block2'):>7,} parameters")
print(f"resnet50 conv2_block2: {block_params(resnet50, 'conv2_block2'):>7,} parameters")
assert block_params(resnet34, "conv2_block2") == basic + 2 * 4 * 64
assert block_params(resnet50, "conv2_block2") == bottleneck + (64 + 64 + 256) + 4 * (64 + 64 + 256)


# %% [markdown]
# The bottleneck's gain is depth at equal cost: replacing each basic block
# of ResNet-34 by a bottleneck gives ResNet-50 at almost the same FLOPs
# (3.6e9 and 3.8e9 in Table 1). Counting the multiply-adds of every
# convolution and the classifier of the built models reproduces Table 1's
# column. The count follows the paper's models, with the stride in the
# first 1x1 convolution of a bottleneck (see the implementation below):

# %%
# NBVAL_CHECK_OUTPUT
PAPER_FLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
for depth, paper in PAPER_FLOPS.items():
    model = {34: resnet34, 50: resnet50}.get(depth) or build(f"resnet{depth}")
    ours = count_macs(model) / 1e9
    print(f"ResNet-{depth:<4} {ours:5.2f} e9 multiply-adds (Table 1: {paper})")
    assert abs(ours - paper) < 0.1
    del model


# %% [markdown]
# ### Shortcut options A, B and C (Sections 3.3 and 4.1)
#
# Where a stage starts, the channels double and the maps halve, and the
# identity no longer fits. The paper tries three shortcuts:
#
# * **A**: the identity, subsampled by 2 and with the new channels
#   zero-padded. No parameters.
# * **B**: a projection (a strided 1x1 convolution, with BatchNorm here)
#   where the dimensions increase; identities elsewhere.
# * **C**: projections in every block.
#
# On ImageNet (Table 3, ResNet-34, top-1 error, 10-crop) A gives 25.03%, B
# 24.52%, C 24.19%: "small differences", so projections are "not essential
# for addressing the degradation problem". The paper keeps B for ImageNet
# (the zero-padded channels of A do no residual learning) and A on CIFAR,
# and avoids C because it costs parameters and, for bottlenecks, time:
# a projection joins the two 4x wider ends of a bottleneck, doubling its
# cost. What each option costs on ResNet-20, built:

# %%
# NBVAL_CHECK_OUTPUT
counts = {option: count_params(build("resnet20", shortcut=option)).trainable for option in "ABC"}
for option, count in counts.items():
    print(f"ResNet-20, option {option}: {count:>8,} trainable (+{count - counts['A']:,})")
# B: 1x1 convolutions 16->32 and 32->64 with BatchNorm's gamma and beta.
assert counts["B"] - counts["A"] == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
# C: also 16->16 in 3 blocks, 32->32 and 64->64 in 2 blocks each.
assert counts["C"] - counts["B"] == 3 * (16 * 16 + 32) + 2 * (32 * 32 + 64) + 2 * (64 * 64 + 128)

# %% [markdown]
# Option A in the package: a 1x1 max-pooling with stride 2 keeps every
# other position (what `x[:, ::2, ::2]` does), and `keras.ops.pad` appends
# the zero channels. Checked on a random tensor:

# %%
# NBVAL_CHECK_OUTPUT
inputs = keras.Input((8, 8, 16))
option_a = keras.Model(inputs, resnet.shortcut_branch(inputs, 32, 2, "zero_pad", name="a"))
x = np.random.default_rng(0).normal(size=(1, 8, 8, 16)).astype("float32")
y = np.asarray(option_a(x))
print("shape", x.shape, "->", y.shape, "| parameters:", option_a.count_params())
print("first 16 channels == x[:, ::2, ::2]:", np.array_equal(y[..., :16], x[:, ::2, ::2]))
print("last 16 channels all zero:          ", not y[..., 16:].any())
assert np.array_equal(y[..., :16], x[:, ::2, ::2]) and not y[..., 16:].any()

# %% [markdown]
# ## 4. The implementation
#
# Everything is in `convnets_tf/models/resnet.py`. One mechanism builds
# the family: a stem, stages of blocks, a head; the variants differ in the
# block and the shortcut. Layer names follow keras.applications
# (`conv{stage}_block{i}_{unit}_{conv|bn|relu}`), so that its weight files
# load into `resnet50`, `resnet101` and `resnet152`.
#
# **The shortcut.** `shortcut_kind` applies the option's rule to one
# block; `shortcut_branch` builds it. A projection is a `conv_bn_act` unit
# without activation.

# %%
print(inspect.getsource(resnet.shortcut_kind))
print(inspect.getsource(resnet.shortcut_branch))

# %% [markdown]
# **The basic block** (Figure 5 left): conv-BN-ReLU, conv-BN, the addition,
# then the ReLU, which follows the addition in this original design (the
# identity-mappings paper, notebook 09, moves it). With `shortcut=None` the
# same layers form the plain network. A strided convolution gets explicit
# symmetric zero padding, as in the paper's Caffe models; Keras' `"same"`
# would pad only the bottom and right of an even-sized map.

# %%
print(inspect.getsource(resnet.basic_block))

# %% [markdown]
# **The bottleneck** (Figure 5 right). One function serves ResNet, ResNeXt
# (notebook 10's grouped 3x3 layer, `cardinality`) and Wide ResNet-50-2
# (`bottleneck_width=128`). Two details come from keras.applications, to
# keep its weights usable: the convolutions have biases (redundant before
# BatchNorm; the registered ResNet-18/34 have none, as torchvision's), and
# the stride sits in the first 1x1 convolution, as in the paper's released
# models. A strided 1x1 convolution reads only one position in four, and
# later implementations (torchvision's "ResNet v1.5", ResNeXt) move the
# stride to the 3x3 layer; `stride_in_3x3=True` does that. The ImageNet
# builders also start the last BatchNorm scale of every branch at zero
# (`zero_init_last`, discussed in notebook 09), so that each block starts
# as its shortcut; the CIFAR networks of this notebook keep Keras'
# initialisers, since a plain network with zero branches would compute
# nothing.

# %%
print(inspect.getsource(resnet.bottleneck_block))

# %% [markdown]
# **The builders.** `resnet` is Table 1 (option B shortcuts); `resnet_cifar`
# is Section 4.2, with the shortcut option and `residual=False` for the
# plain baseline.

# %%
print(inspect.getsource(resnet._post_activation_stages))
print(inspect.getsource(resnet.resnet_cifar))

# %% [markdown]
# ## 5. Verification
#
# Trainable parameters of the CIFAR networks against Table 6 of the paper
# (which rounds them), and of ResNet-18/34 against torchvision's counts
# (no convolution biases):

# %%
# NBVAL_CHECK_OUTPUT
TABLE_6 = {20: "0.27M", 32: "0.46M", 44: "0.66M", 56: "0.85M", 110: "1.7M"}
EXACT = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}
for depth, paper in TABLE_6.items():
    count = count_params(build(f"resnet{depth}")).trainable
    print(f"resnet{depth:<4} {count:>10,} trainable (paper: {paper})")
    assert count == EXACT[depth]

for name, model, reference in [("resnet18", build("resnet18"), 11_689_512),
                               ("resnet34", resnet34, 21_797_672)]:
    print(f"{name:<10} {count_params(model).trainable:>10,} trainable (torchvision: {reference:,})")
    assert count_params(model).trainable == reference

# %% [markdown]
# ResNet-50 against keras.applications' ResNet50: the same total number of
# parameters (weights plus BatchNorm statistics), the same layer names,
# and, after copying its weights over, the same outputs. (The package's
# tests do this for ResNet-101/152 and the three v2 models too.)

# %%
# NBVAL_CHECK_OUTPUT
theirs = keras.applications.ResNet50(weights=None)

def named(model):
    return [layer.name for layer in model.layers if layer.weights]

print(f"total parameters: ours {resnet50.count_params():,}, keras.applications {theirs.count_params():,}")
print("same weighted layer names in the same order:", named(resnet50) == named(theirs))
resnet50.set_weights(theirs.get_weights())
x = np.random.default_rng(0).normal(size=(2, 224, 224, 3)).astype("float32")
difference = float(np.max(np.abs(resnet50(x) - theirs(x))))
print("outputs agree to 1e-4:", difference < 1e-4)
assert resnet50.count_params() == theirs.count_params() == 25_636_712
assert named(resnet50) == named(theirs) and difference < 1e-4
del theirs, resnet50, resnet34

# %% [markdown]
# ## 6. Experiment: the degradation problem on CIFAR-10 (Figure 6)
#
# **The claim.** Plain networks get *worse* with depth, in training error,
# not only in test error: plain-56 trains worse than plain-20, so the
# problem is optimisation, not overfitting. With identity shortcuts the
# same layers train as well at 56 layers as at 20 (Figure 6, Table 6).
#
# **The comparison.** Four networks: plain and residual, 20 and 56 layers.
# Within a depth the two share every layer; only the shortcuts differ
# (`resnet_cifar(depth=..., residual=False)` is the plain network, the same
# convolutions and classifier). The random seed is reset before each is
# built, and option A shortcuts have no weights, so each pair even starts
# from the same initial weights. All four train with the same data,
# schedule and settings:
#
# | | paper | here |
# |---|---|---|
# | optimiser | SGD, momentum 0.9, batch 128 | SGD, Nesterov momentum 0.9, batch 128 |
# | weight decay | 1e-4 | 1e-4 (decoupled; not on biases and BatchNorm) |
# | learning rate | 0.1, divided by 10 at 32k and 48k iterations, stop at 64k | 0.1 peak, linear warmup, cosine decay to 0 |
# | augmentation | 4-pixel padding, random 32x32 crop, flip | the same |
# | loss | cross-entropy | cross-entropy, label smoothing 0.1 |
#
# **The budget.** A step of 128 images takes 0.3-0.5 s for the 20-layer
# networks on this 2-core CPU and about 1 s for the 56-layer ones (the
# logs below), so the paper's 64,000 iterations are out of reach. The four networks train on the first 10,000
# of the 50,000 training images for 4 epochs, 312 steps each, about 15
# minutes for all four: the first 0.5% of the paper's schedule. On a GPU
# the same cell trains on all training images for 30 epochs.

# %%
from convnets_tf.data import load_cifar
from convnets_tf.notebook import error_summary, plan_run, train_arms
from convnets_tf.plots import plot_error_curves
from convnets_tf.train import describe_run, get_strategy

plan = plan_run(
    cpu=dict(train_images=10_000, test_images=None, epochs=4, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
)
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)


def network(kind, depth):
    return lambda: resnet.resnet_cifar(depth=depth, residual=kind == "resnet",
                                       name=f"{kind}{depth}")

ARMS = {f"{kind}-{depth}": network(kind, depth)
        for depth in (20, 56) for kind in ("plain", "resnet")}
if plan.mode == "smoke":   # CI: the 20-layer pair; the 56-layer one is the same call
    ARMS = {label: ARMS[label] for label in ("plain-20", "resnet-20")}
strategy = get_strategy()   # once: on a TPU it initialises the TPU system
print(plan)
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size, strategy=strategy)}")

# %%
RESULTS = train_arms(ARMS, data, plan, "08-resnet", out_prefix="degradation_",
                     strategy=strategy, learning_rate=0.1, weight_decay=1e-4)

# %% [markdown]
# Training and test error of the four runs, drawn as in Figure 6 (dashed:
# plain, solid: residual):

# %%
fig = plot_error_curves(RESULTS, styles={
    label: {"ls": "--" if label.startswith("plain") else "-",
            "color": "tab:orange" if label.endswith("56") else "tab:blue"}
    for label in RESULTS})
plt.show()
print(error_summary(RESULTS))
print(f"Run: {describe_run(data, plan.epochs, plan.batch_size)}, each network")

# %% [markdown]
# A test error near the 90% of chance, with a training error well below
# it, has two possible causes: the network has learned too little to
# generalise, or the moving BatchNorm statistics that evaluation uses do
# not fit its final weights. Recomputing them from 40 batches of
# unaugmented training images (`reestimate_batchnorm`) and testing again
# tells the two apart, for each of the four networks:

# %%
from convnets_tf.data import make_dataset
from convnets_tf.train import predict_main, reestimate_batchnorm

(x_train, y_train), (x_test, y_test) = data
for label in RESULTS:
    trained = keras.models.load_model(f"{plan.runs_dir}/degradation_{label}/model.keras")
    moving = np.mean(predict_main(trained, x_test).argmax(1) == y_test)
    reestimate_batchnorm(trained, make_dataset(x_train, y_train, 128, training=False), 40)
    reestimated = np.mean(predict_main(trained, x_test).argmax(1) == y_test)
    print(f"{label:<10} test accuracy {moving:.3f} with the moving statistics, "
          f"{reestimated:.3f} with statistics re-estimated")

# %% [markdown]
# ## 7. Results
#
# All numbers here are printed by the cells above. In the stored notebook
# the four networks trained one after another on a 2-core CPU, in
# float32, on the first 10,000 of the 50,000 training images
# (`cifar10_train50k.npz`: real CIFAR-10 decoded from a JPEG export) with
# the 2,000 test images, 4 epochs of batch 128 each (312 steps), as the
# `Run:` line says. A step took 0.32-0.49 s for the 20-layer networks and
# 0.95-1.1 s for the 56-layer ones.
#
# Training error after each of the 4 epochs (measured on augmented
# batches while the weights change):
#
# | | 20 layers | 56 layers |
# |---|---|---|
# | plain | 0.744, 0.662, 0.619, **0.575** | 0.888, 0.869, 0.810, **0.786** |
# | residual | 0.743, 0.602, 0.539, **0.499** | 0.890, 0.837, 0.771, **0.727** |
#
# * **Degradation, as the paper defines it, is there.** Plain-56 ends
#   with a training error 0.21 above plain-20's, and it is above in
#   every epoch: the deeper plain network fits its own training data
#   worse. That is an optimisation failure, not overfitting, and
#   plain-56 barely starts at all in the first epoch (0.888, against
#   0.9 for guessing).
# * **Shortcuts help at both depths:** ResNet-20 ends 0.08 below
#   plain-20, ResNet-56 0.06 below plain-56.
# * **But this budget does not show the paper's second half**, that the
#   residual 56-layer network trains as well as or better than the
#   20-layer one. After 312 steps ResNet-56 is 0.23 behind ResNet-20, a
#   gap as large as the plain networks'. A 56-layer network of either kind
#   starts slower, and 312 steps are the very start of the paper's
#   64,000 iterations; whether ResNet-56 catches up, as in Figure 6 and
#   Table 6 (6.97% test error against 8.75% for ResNet-20), was not
#   measured here. At about 1 s a step, 10 epochs of all 50,000 images
#   would take over an hour per 56-layer network on this CPU.
# * **Test accuracy** follows the training error: 0.495 (ResNet-20), 0.418
#   (plain-20), 0.273 (ResNet-56) and 0.143 (plain-56). Plain-56's figure
#   is near chance, partly because its moving BatchNorm statistics lag its
#   weights: re-estimated on training batches they give 0.234 (the last
#   cell); the other networks change by 0 to 0.024. So plain-56 has
#   learned a little; what the run shows is how much less than plain-20.
#
# One seed per network: at 2,000 test images an accuracy near 0.3 has a
# standard error of about 0.01, far below the gaps above, but a different
# seed would move each training curve by an amount this run cannot say.
#
# **On a GPU.** Open this notebook in Colab with a GPU runtime and run all
# cells (the same four networks on all 50,000 images for 30 epochs), or
# train one network from the command line:
#
# ```
# python -m convnets_tf train resnet56 --dataset cifar10 --epochs 30 --batch-size 128 --lr 0.1 --out runs/resnet56
# python -m convnets_tf evaluate runs/resnet56/model.keras
# ```
#
# The command line uses the recipe's default weight decay, 5e-4, not the
# paper's 1e-4 that the notebook passes.
#
# ## 8. Takeaways
#
# * Depth failed for a reason the paper could name: deeper plain networks
#   were harder to *optimise* (higher training error), not prone to
#   overfitting.
# * An identity shortcut lets a block default to doing nothing; what it
#   learns is a correction to its input. That costs no parameters and no
#   computation, and made 152 layers (and 1202 on CIFAR-10) trainable.
# * The bottleneck block buys depth at almost constant cost: ResNet-50 has
#   the FLOPs of ResNet-34 (3.8e9 against 3.6e9, computed above from the
#   built models).
# * Shortcut projections are not what fixes degradation (options A, B and C
#   differ little); identities where the shapes allow them keep the
#   bottleneck cheap.
# * The design was refined rather than replaced: pre-activation and wide
#   networks (notebook 09), grouped convolutions in ResNeXt (notebook 10);
#   nearly every later architecture in this series has residual
#   connections.
#
# ## References
#
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image
#   recognition. CVPR 2016. [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
# * K. He, X. Zhang, S. Ren, J. Sun. Identity mappings in deep residual
#   networks. ECCV 2016. [arXiv:1603.05027](https://arxiv.org/abs/1603.05027)
# * S. Ioffe, C. Szegedy. Batch normalization: accelerating deep network
#   training by reducing internal covariate shift. ICML 2015.
# * keras.applications ResNet50/101/152, whose weights these builders
#   reproduce; torchvision's ResNet-18/34 for their parameter counts.
# * Previous in the series: [07-inception-v4-resnet.ipynb](07-inception-v4-resnet.ipynb); next:
#   [09-resnet-v2-and-wide-resnet.ipynb](09-resnet-v2-and-wide-resnet.ipynb).
