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

Meta Pseudo Labels (Pham et al., CVPR 2021, arXiv:2003.10580) lets the
teacher learn from the student: `meta_pseudo_labels(teacher, student)` is
one model that `train_cifar` trains on `mixed_data`, labelled and
unlabelled images shuffled together (see `MetaPseudoLabels`).
"""

import keras
import numpy as np
import tensorflow as tf

from convnets_tf.data import CifarData
from convnets_tf.train import clone_optimizer, predict_main


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


def mixed_data(labelled_data, images):
    """Meta Pseudo Labels' training set: `labelled_data`'s images with
    one-hot targets, then the unlabelled `images` with all-zero rows, which
    mark them as unlabelled. The pipeline shuffles the two together, so every
    batch mixes them in the ratio of their numbers. The test split is
    `labelled_data`'s."""
    (x_labelled, y_labelled), test = labelled_data
    one_hot = np.eye(labelled_data.num_classes, dtype=np.float32)[y_labelled]
    unlabelled = np.zeros((len(images), labelled_data.num_classes), np.float32)
    x = np.concatenate([x_labelled, images])
    return CifarData((x, np.concatenate([one_hot, unlabelled])), test,
                     labelled_data.name, labelled_data.source)


def meta_pseudo_labels(teacher, student, name="meta_pseudo_labels"):
    """Teacher and student as one model for `train_cifar`: its main output
    is the student's, which is what the run tests and saves as its result;
    the second, the teacher's, is trained by the student's feedback."""
    inputs = keras.Input(student.input_shape[1:])
    return MetaPseudoLabels(inputs, [student(inputs), teacher(inputs)], name=name)


@keras.saving.register_keras_serializable("convnets_tf")
class MetaPseudoLabels(keras.Model):
    """Meta Pseudo Labels' training step (Pham et al. 2021, section 3 and
    Algorithm 1), for a model of two outputs, the student's then the
    teacher's (`meta_pseudo_labels`), on batches whose all-zero target rows
    are unlabelled images (`mixed_data`). At each step:

    1. the teacher labels the batch's unlabelled images with its hard
       pseudo-labels (section 3.2 finds hard labels work as well as soft);
    2. the student takes one step on them alone, and its loss on the
       batch's labelled images is measured before and after that step;
    3. the teacher takes one step on its own labelled loss plus its
       pseudo-labels' cross-entropy weighted by h, the fall in the
       student's labelled loss. h stands for the paper's first-order
       teacher feedback (Appendix A: eta_S times the dot product of the
       student's two gradients), which to first order equals that fall;
       its sign is the derivation's (a fall makes the label more likely).
       The PyTorch reimplementation kekmodel/MPL-pytorch measures the same
       difference and discusses the sign in its issue 6.

    A pseudo-label that helped the student (h > 0) is made more likely, one
    that hurt it less likely. Two copies of the compiled optimizer (and its
    schedule) train the two networks; both are saved with the model, so a
    resumed run continues both. Not built here: the teacher's UDA loss and
    the student's final fine-tuning on the labelled images (section 4).
    """

    def compile(self, optimizer, metrics=None, **kwargs):
        # Weighted, so that the training accuracy counts the labelled rows
        # only (Keras passes sample weights to weighted metrics alone).
        super().compile(optimizer=optimizer, weighted_metrics=metrics, **kwargs)
        self.losses_by_output = kwargs["loss"]
        self.teacher_optimizer = clone_optimizer(self.optimizer)
        # Each optimizer holds the state of its own network only, and both
        # exist before a backup is restored into them.
        student, teacher = (self.get_layer(name) for name in self.output_names)
        self.optimizer.build(student.trainable_variables)
        self.teacher_optimizer.build(teacher.trainable_variables)
        # Training figures only: kept out of `metrics`, which evaluation
        # reports too, and reset with them.
        self.trackers = [keras.metrics.Mean(name=name) for name in (
            "teacher_labelled_loss", "teacher_feedback")]

    @property
    def metrics(self):
        return [metric for metric in super().metrics
                if metric not in getattr(self, "trackers", [])]

    def reset_metrics(self):
        super().reset_metrics()
        for tracker in self.trackers:
            tracker.reset_state()

    def get_compile_config(self):
        # A saved model is used for inference (its main output, the
        # student); its custom `compile` is not rebuilt on loading.
        return None

    def _masked_loss(self, output, targets, predictions, mask):
        """The mean loss of `output` over the rows that `mask` keeps (0 when
        it keeps none)."""
        loss = self.losses_by_output[output](targets, predictions, sample_weight=mask)
        batch = tf.cast(tf.shape(mask)[0], loss.dtype)
        return loss * batch / tf.maximum(tf.reduce_sum(tf.cast(mask, loss.dtype)), 1.0)

    def _step(self, optimizer, tape, loss, variables):
        gradients = tape.gradient(optimizer.scale_loss(loss), variables)
        optimizer.apply(gradients, variables)

    def _student_step(self, x, y, pseudo, labelled):
        """Steps 1-2: the student learns the pseudo-labels of the unlabelled
        rows; returns its predictions and loss before the step, and the fall
        in its loss on the labelled rows, the teacher's feedback."""
        name = self.output_names[0]
        student = self.get_layer(name)
        with tf.GradientTape() as tape:
            probabilities = student(x, training=True)
            loss = self._masked_loss(name, pseudo, probabilities, 1.0 - labelled)
        before = self._masked_loss(name, y, probabilities, labelled)
        self._step(self.optimizer, tape, loss, student.trainable_variables)
        after = self._masked_loss(name, y, student(x, training=True), labelled)
        return probabilities, loss, before - after

    def train_step(self, data):
        x, targets = data
        student_name, teacher_name = self.output_names
        y = targets[student_name]
        labelled = tf.cast(tf.reduce_sum(y, axis=-1) > 0, tf.float32)
        unlabelled = 1.0 - labelled
        teacher = self.get_layer(teacher_name)
        with tf.GradientTape() as teacher_tape:
            teacher_probabilities = teacher(x, training=True)
            pseudo = tf.stop_gradient(tf.one_hot(
                tf.argmax(teacher_probabilities, axis=-1), tf.shape(y)[-1]))
            with teacher_tape.stop_recording():
                student_probabilities, student_loss, feedback = self._student_step(
                    x, y, pseudo, labelled)
            teacher_labelled = self._masked_loss(
                teacher_name, y, teacher_probabilities, labelled)
            teacher_loss = teacher_labelled + feedback * self._masked_loss(
                teacher_name, pseudo, teacher_probabilities, unlabelled)
        self._step(self.teacher_optimizer, teacher_tape, teacher_loss,
                   teacher.trainable_variables)
        # `loss` is the student's, as for every other model; each output's
        # loss is its network's training loss, and the accuracy is on the
        # batch's labelled images.
        self._loss_tracker.update_state(student_loss)
        for tracker, value in zip(self._compile_loss.metrics, (student_loss, teacher_loss)):
            tracker.update_state(value)
        for tracker, value in zip(self.trackers, (teacher_labelled, feedback)):
            tracker.update_state(value)
        logs = self.compute_metrics(x, targets, [student_probabilities, teacher_probabilities],
                                    sample_weight=labelled)
        return {**logs, **{tracker.name: tracker.result() for tracker in self.trackers}}
