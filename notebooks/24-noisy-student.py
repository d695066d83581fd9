# %% [markdown]
# # Noisy Student: can a student beat the teacher that labels its data?
#
# **Paper:** Q. Xie, M.-T. Luong, E. Hovy and Q. V. Le, "Self-training with
# Noisy Student improves ImageNet classification", CVPR 2020,
# [arXiv:1911.04252](https://arxiv.org/abs/1911.04252). Its successor:
# H. Pham, Z. Dai, Q. Xie and Q. V. Le, "Meta Pseudo Labels", CVPR 2021,
# [arXiv:2003.10580](https://arxiv.org/abs/2003.10580).
#
# After 2019 the best ImageNet accuracies came as much from *training* as
# from architecture. Noisy Student took EfficientNet-L2 to 88.4% top-1 by
# adding 300 million unlabelled images, labelled by a teacher network:
#
# 1. train a teacher on the labelled images;
# 2. let it label the unlabelled images, **without noise** (no
#    augmentation, no dropout), keeping its soft class probabilities and
#    dropping the images it is least sure of;
# 3. train an equal or larger student on both sets **with noise**: input
#    noise (RandAugment) and model noise (dropout, stochastic depth);
# 4. make the student the new teacher and repeat.
#
# The paper's claim is that the student ends *better* than its teacher,
# and that the noise is what makes it so: in its ablation study "the
# performance consistently drops with noise function removed", and a
# student trained without noise on its teacher's labels has little reason
# to do more than copy them.
#
# This notebook runs the method on CIFAR-10 with **4,000 labelled images
# (400 per class) and the other 46,000 training images without their
# labels**, the usual semi-supervised setting, and measures the teacher,
# the student at two iterations and a student without noise on the same
# 2,000 test images.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/convnets-tf/convnets_tf/blob/main/notebooks/24-noisy-student.ipynb)

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
import numpy as np
import tensorflow as tf

import convnets_tf
from convnets_tf import selftrain
from convnets_tf.data import load_cifar
from convnets_tf.models import vgg
from convnets_tf.notebook import plan_run
from convnets_tf.train import describe_run, get_strategy

# Each teacher's predictions trace a new graph, and TensorFlow warns about it.
tf.get_logger().setLevel("ERROR")
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"convnets_tf {convnets_tf.__version__}")
plan = plan_run(   # the students' runs; the teacher trains TEACHER_EPOCHS on its subset
    cpu=dict(train_images=None, test_images=None, epochs=3, batch_size=128),
    accelerator=dict(train_images=None, test_images=None, epochs=30, batch_size=128),
    smoke=dict(train_images=64, test_images=32, epochs=1, batch_size=10),
)
smoke = plan.mode == "smoke"
LABELLED = 20 if smoke else 4000
TEACHER_EPOCHS = 1 if smoke else 40   # 4,000 images: as many steps as 3.2 epochs of 50,000
THRESHOLD = 0.3   # section 3.1: images the teacher gives less confidence are dropped
strategy = get_strategy()
print(plan)

# %% [markdown]
# ## 1. The split and the network
#
# `selftrain.split_labelled` keeps the labels of a class-balanced random
# subset and hides the others. The hidden labels are kept aside only to
# measure the teacher's pseudo-labels; no training run sees them.
#
# Teacher and student are the same small network, the quarter-width
# VGG-11 of notebook 23 (configuration A at widths 16, 32, 64, 128, 128,
# with BatchNorm and a 512-512 head; 0.9M parameters): the paper's student
# is "equal or larger", and equal is the harder case, since the student
# cannot win by capacity alone. Its model noise is the head's dropout (0.5;
# stochastic depth needs residual blocks, which VGG has not). Its input
# noise is Keras' `RandAugment` (two random operations per batch, factor
# 0.5), on top of the crops and flips of every run here.

# %%
data = load_cifar("cifar10").take(plan.train_images, plan.test_images)
labelled, unlabelled, hidden = selftrain.split_labelled(data, LABELLED, seed=0)
print(f"{len(labelled[0][0]):,} labelled training images "
      f"({np.bincount(labelled[0][1]).min()} to {np.bincount(labelled[0][1]).max()} per class), "
      f"{len(unlabelled):,} without labels, {len(data[1][0]):,} test images")


def network(label, dropout):
    return vgg.vgg(config="A", input_shape=(32, 32, 3), num_classes=10, cifar_head=True,
                   widths=(16, 32, 64, 128, 128), batch_norm=True, dropout=dropout,
                   name=f"vgg11_quarter_{label}")


print(f"{network('teacher', 0.5).count_params():,} parameters")
print(inspect.getsource(selftrain.student_data))

# %% [markdown]
# ## 2. The teacher
#
# The teacher trains on the 4,000 labelled images alone, with the shared
# recipe (SGD, cosine schedule, label smoothing 0.1, crops and flips) and
# dropout, for 40 epochs: 1,240 steps, about as many as a student's 3
# epochs over its larger set.

# %%
from convnets_tf.results import record_run
from convnets_tf.timing import machine
from convnets_tf.train import train_cifar

RESULTS = {}


def train(label, model_label, train_data, epochs, dropout, **recipe):
    out = f"{plan.runs_dir}/noisy_student_{label}"
    print(f"Run: {describe_run(train_data, epochs, plan.batch_size, strategy=strategy, **recipe)}")
    model = train_cifar(lambda: network(model_label, dropout), train_data, epochs=epochs,
                        batch_size=plan.batch_size, out_dir=out, strategy=strategy, verbose=2,
                        seed=0, **recipe)
    RESULTS[label] = record_run(plan, out, notebook="24-noisy-student", label=label)
    print(f"{label}: test accuracy {RESULTS[label]['final_test_accuracy']:.4f}, "
          f"{RESULTS[label]['train_seconds']} s ({machine()})\n")
    return model


teacher = train("teacher", "teacher", labelled, TEACHER_EPOCHS, dropout=0.5)

# %% [markdown]
# ## 3. Pseudo-labels
#
# The teacher labels the 46,000 unlabelled images in inference mode. Its
# soft labels carry what a hard label cannot: how sure it is, and which
# classes it confuses (a cat that looks like a dog). Images whose largest
# probability is below 0.3 are dropped (section 3.1). The hidden labels
# show how good the pseudo-labels are.

# %%
def pseudo_label(teacher_model):
    probabilities = selftrain.pseudo_labels(teacher_model, unlabelled)
    confident = probabilities.max(axis=1) >= THRESHOLD
    correct = probabilities.argmax(axis=1) == hidden
    print(f"pseudo-labels: {correct.mean():.3f} correct over all {len(hidden):,} images; "
          f"{confident.mean():.3f} of them kept (confidence >= {THRESHOLD}), "
          f"{correct[confident].mean():.3f} correct among those; mean confidence "
          f"{probabilities.max(axis=1).mean():.3f}")
    return selftrain.student_data(labelled, unlabelled, probabilities, THRESHOLD)


students_data = pseudo_label(teacher)
print(f"student's training set: {len(students_data[0][0]):,} images "
      f"({LABELLED:,} labelled, one-hot; the rest soft)")

# %% [markdown]
# ## 4. The students
#
# Three students, each for 3 epochs over the teacher's set, with the same
# recipe and seed:
#
# * **noisy student**: RandAugment and dropout 0.5, the paper's method;
# * **student without noise**: neither (the crops and flips of every run
#   remain), the paper's ablation;
# * **second iteration**: the noisy student becomes the teacher, labels
#   the unlabelled images again, and a new noisy student learns from it.

# %%
noisy = train("student_1_noisy", "student", students_data, plan.epochs, dropout=0.5,
              randaugment=True)
if not smoke:
    train("student_1_no_noise", "student", students_data, plan.epochs, dropout=0.0)
second = train("student_2_noisy", "student", pseudo_label(noisy), plan.epochs, dropout=0.5,
               randaugment=True)

# %%
print(f"{'':<20} {'test accuracy':>13} {'train images':>12} {'seconds':>8}")
for label, row in RESULTS.items():
    print(f"{label:<20} {row['final_test_accuracy']:>13.4f} {row['train_images']:>12,} "
          f"{row['train_seconds']:>8}")
n_test = len(data[1][0])
print(f"standard error of one accuracy near 0.6 on {n_test:,} test images: "
      f"{np.sqrt(0.6 * 0.4 / n_test):.3f}")

# %% [markdown]
# ## 5. Results
#
# Every number is printed above, from one stored run on the project's
# 2-core CPU (float32, seed 0, 17 minutes in all), tested on the same
# 2,000 test images. A difference of about 0.015 between two rows is
# within noise.
#
# * **The teacher**, trained on the 4,000 labelled images for 40 epochs,
#   reached 0.652. Its pseudo-labels were right for 65.9% of the 46,000
#   other images; 96.5% passed the 0.3 threshold, 67.4% of those right.
# * **The noisy student did not beat its teacher: 0.351 against
#   0.652.** It was still learning fast when its 3 epochs ended (test
#   accuracy 0.189, 0.237, 0.351; training accuracy on its own noised
#   images only 0.284): RandAugment and dropout made its task much harder,
#   and 1,131 steps were far too few to learn it. The paper trains its
#   students on ImageNet for hundreds of epochs, longer than their
#   teachers; this budget gave the student no more steps than the teacher.
# * **The student without noise** reached 0.663, 1.1 points above its
#   teacher: within noise, so no gain is shown either.
# * **The second iteration** inherited the weak teacher: the noisy
#   student's pseudo-labels were right for 34.9% of the images, only 11.3%
#   passed the threshold, and its student trained on 9,206 images to
#   0.237.
#
# So at this budget the run shows the opposite of the paper's ablation:
# the noise cost accuracy, because the student stopped long before it
# could fit its noised data. What the paper's claim needs, and this run
# does not have, is a student trained to convergence under its noise
# (many epochs over the unlabelled set, which here would take hours on
# this CPU, minutes on a GPU) and a better teacher. Also not done here:
# Meta Pseudo Labels, whose teacher learns from the student's progress on
# the labelled images through a custom training step; and the paper's
# class balancing of the pseudo-labelled set.
#
# ## References
#
# * Q. Xie, M.-T. Luong, E. Hovy, Q. V. Le. Self-training with Noisy
#   Student improves ImageNet classification. CVPR 2020.
#   [arXiv:1911.04252](https://arxiv.org/abs/1911.04252)
# * H. Pham, Z. Dai, Q. Xie, Q. V. Le. Meta Pseudo Labels. CVPR 2021.
#   [arXiv:2003.10580](https://arxiv.org/abs/2003.10580)
# * E. D. Cubuk, B. Zoph, J. Shlens, Q. V. Le. RandAugment. CVPR
#   Workshops 2020.
# * Previous in the series: [23-batch-norm.ipynb](23-batch-norm.ipynb).
#   Next: [25-overview.ipynb](25-overview.ipynb), every model side by side.
