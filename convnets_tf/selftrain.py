"""Self-training with a teacher's pseudo-labels: Noisy Student (Xie et al.,
"Self-training with Noisy Student improves ImageNet classification", CVPR
2020, arXiv:1911.04252), on a labelled subset of CIFAR's training images and
the rest of them without their labels.

Algorithm 1 of the paper, with the package's training:

1. `split_labelled` keeps the labels of a class-balanced subset; train a
   teacher on it (`train_cifar`);
2. `pseudo_labels`: the teacher's class probabilities for the unlabelled
   images, computed without noise (unaugmented images, BatchNorm and
   dropout in inference mode);
3. `student_data`: the labelled images with their labels and the
   unlabelled ones with the teacher's soft targets, less those it is least
   sure of (section 3.1 filters ImageNet's below a confidence of 0.3);
   train an equal or larger student on them, with noise:
   `train_cifar(..., randaugment=True)` and the model's own dropout;
4. the student becomes the teacher, and step 2 repeats.

The paper also balances the classes of the pseudo-labelled set (section
3.1); here the kept images are used as they are.
"""

import numpy as np

from convnets_tf.data import CifarData
from convnets_tf.train import predict_main


def split_labelled(data, labelled, seed=0):
    """Keeps the labels of `labelled` training images of `data`, the same
    number from every class, chosen at random with `seed`.

    Returns `(labelled_data, unlabelled_images, hidden_labels)`: a
    `CifarData` with those images and the same test split, the other
    training images, and their labels, for measuring the pseudo-labels
    only, never for training.
    """
    (x_train, y_train), test = data
    classes = data.num_classes
    if labelled % classes or not 0 < labelled < len(x_train):
        raise ValueError(f"labelled must be a multiple of the {classes} classes and fewer "
                         f"than the {len(x_train):,} training images; got {labelled}.")
    rng = np.random.default_rng(seed)
    picked = np.concatenate([
        rng.permutation(np.flatnonzero(y_train == c))[:labelled // classes]
        for c in range(classes)])
    if len(picked) < labelled:
        raise ValueError(f"the training images have fewer than {labelled // classes} of "
                         "some class; label fewer images.")
    rest = np.setdiff1d(np.arange(len(x_train)), picked)
    picked = rng.permutation(picked)
    labelled_data = CifarData((x_train[picked], y_train[picked]), test, data.name, data.source)
    return labelled_data, x_train[rest], y_train[rest]


def pseudo_labels(teacher, images, batch_size=256):
    """The teacher's class probabilities for uint8 `images`, predicted
    without noise."""
    return predict_main(teacher, images, batch_size)


def student_data(labelled_data, images, probabilities, threshold):
    """The student's training set: `labelled_data`'s images with their
    labels as one-hot targets, then the unlabelled `images` whose largest
    probability is at least `threshold`, with `probabilities` as soft
    targets (section 3.1). The training pipeline shuffles the two together,
    so every batch mixes them in the ratio of their numbers. The test split
    is `labelled_data`'s."""
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be a probability in [0, 1); got {threshold}.")
    (x_labelled, y_labelled), test = labelled_data
    keep = probabilities.max(axis=1) >= threshold
    one_hot = np.eye(labelled_data.num_classes, dtype=np.float32)[y_labelled]
    x = np.concatenate([x_labelled, images[keep]])
    y = np.concatenate([one_hot, probabilities[keep].astype(np.float32)])
    return CifarData((x, y), test, labelled_data.name, labelled_data.source)
