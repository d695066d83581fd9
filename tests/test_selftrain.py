"""Self-training (Noisy Student and Meta Pseudo Labels): the labelled
split, the student's mixed set of one-hot and soft targets, soft targets and
RandAugment through the data pipeline and `train_cifar`, and Meta Pseudo
Labels' training step and its resumption."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import Killed
from convnets_tf import train
from convnets_tf.data import CifarData, check_arrays, load_cifar, make_dataset
from convnets_tf.history import read_rows
from convnets_tf.selftrain import (
    meta_pseudo_labels,
    mixed_data,
    pseudo_labels,
    split_labelled,
    student_data,
)
from convnets_tf.train import train_cifar


def small_data(n=200, test=20):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n) % 10)
    test = (rng.integers(0, 256, (test, 32, 32, 3), dtype=np.uint8), np.arange(test) % 10)
    return CifarData(train, test, "cifar10", "test")


def test_split_keeps_the_labels_of_a_balanced_subset_and_hides_the_rest():
    data = small_data()
    labelled, images, hidden = split_labelled(data, 50, seed=1)
    (x_labelled, y_labelled), test = labelled
    assert np.bincount(y_labelled, minlength=10).tolist() == [5] * 10
    assert len(images) == len(hidden) == 150 and test is data[1]
    # Every training image lands on exactly one side, with its own label.
    pixels = {img.tobytes(): label for img, label in zip(*data[0])}
    seen = [img.tobytes() for img in np.concatenate([x_labelled, images])]
    assert sorted(seen) == sorted(pixels)
    assert all(pixels[img.tobytes()] == y for img, y in zip(images, hidden))
    with pytest.raises(ValueError, match="multiple of the 10 classes"):
        split_labelled(data, 55)


def test_student_data_is_labelled_one_hot_then_confident_soft_targets():
    data = small_data()
    labelled, images, _ = split_labelled(data, 50)
    probabilities = np.full((150, 10), 0.1, np.float32)
    probabilities[:40] = np.eye(10, dtype=np.float32)[np.arange(40) % 10] * 0.55 + 0.05
    student = student_data(labelled, images, probabilities, threshold=0.3)
    (x, y), test = student
    assert len(x) == 50 + 40 and test is data[1] and student.name == "cifar10"
    np.testing.assert_array_equal(y[:50].argmax(1), labelled[0][1])
    assert np.all(y[:50].max(1) == 1)
    np.testing.assert_array_equal(x[50:], images[:40])
    np.testing.assert_allclose(y[50:], probabilities[:40])
    with pytest.raises(ValueError, match="threshold"):
        student_data(labelled, images, probabilities, threshold=1.0)


def test_soft_targets_pass_through_the_pipeline_unchanged():
    x = np.zeros((8, 32, 32, 3), np.uint8)
    soft = np.random.default_rng(0).dirichlet(np.ones(10), 8).astype(np.float32)
    (x_train, y_train), _ = check_arrays("t", x, soft, x, np.zeros(8, int), 10)
    assert y_train.dtype == np.float32 and y_train.shape == (8, 10)
    _, targets = next(iter(make_dataset(x_train, y_train, 8, training=False, num_classes=10)))
    np.testing.assert_allclose(targets, soft, rtol=1e-6)
    with pytest.raises(ValueError, match="summing to 1"):
        check_arrays("t", x, soft * 2, x, np.zeros(8, int), 10)


def test_randaugment_changes_the_training_images():
    x = load_cifar("cifar10")[0][0][:64]
    y = np.zeros(64, int)
    plain, noisy = (next(iter(make_dataset(x, y, 64, training=True, seed=0, translate=0,
                                           randaugment=randaugment)))[0].numpy()
                    for randaugment in (False, True))
    assert plain.shape == noisy.shape
    changed = np.mean(np.abs(plain - noisy).reshape(64, -1).max(axis=1) > 1e-3)
    assert changed > 0.5


def test_a_student_trains_on_soft_targets_with_randaugment(tmp_path):
    data = small_data()
    labelled, images, _ = split_labelled(data, 50)

    def build():
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
        return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))

    teacher = train_cifar(build, labelled, epochs=1, batch_size=25, out_dir=tmp_path / "t",
                          verbose=0)
    probabilities = pseudo_labels(teacher, images)
    assert probabilities.shape == (150, 10)
    np.testing.assert_allclose(probabilities.sum(1), 1, atol=1e-5)
    student = student_data(labelled, images, probabilities, threshold=0.0)
    train_cifar(build, student, epochs=1, batch_size=50, out_dir=tmp_path / "s", verbose=0,
                randaugment=True)
    run = json.loads((tmp_path / "s" / "run.json").read_text())
    assert run["train_images"] == 200 and run["randaugment"] is True


def test_mixed_data_marks_the_unlabelled_images_with_zero_rows():
    labelled, images, _ = split_labelled(small_data(), 50)
    (x, y), test = mixed_data(labelled, images)
    assert len(x) == 200 and test is labelled[1]
    np.testing.assert_array_equal(y[:50].argmax(1), labelled[0][1])
    assert np.all(y[:50].sum(1) == 1) and not y[50:].any()
    np.testing.assert_array_equal(x[50:], images)
    # The pipeline accepts them; a row that is neither still fails.
    check_arrays("t", x, y, *test, 10)
    with pytest.raises(ValueError, match="all 0 for an unlabelled image"):
        check_arrays("t", x, y * 0.5, *test, 10)


def dense(name):
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs), name=name)


def test_one_meta_pseudo_labels_step_by_hand():
    """The student learns the teacher's hard labels of the unlabelled rows;
    the teacher learns its labelled rows plus its labels' cross-entropy
    weighted by how much the student's step lowered its labelled loss."""
    keras.utils.set_random_seed(0)
    model = meta_pseudo_labels(dense("teacher"), dense("student"))
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss={name: keras.losses.CategoricalCrossentropy()
                        for name in model.output_names},
                  metrics={"student": [keras.metrics.CategoricalAccuracy(name="accuracy")]})
    teacher, student = model.get_layer("teacher"), model.get_layer("student")
    x = tf.constant(np.random.default_rng(0).normal(size=(6, 4)), tf.float32)
    y = np.zeros((6, 3), np.float32)
    # Rows 1 and 4 labelled, with the classes the student predicts: its
    # accuracy on them is 1, on all rows less.
    y[[1, 4], student(x).numpy().argmax(1)[[1, 4]]] = 1
    labelled = y.any(1)
    t_weights, s_weights = teacher.get_weights(), student.get_weights()

    def mean_cross_entropy(targets, probabilities, rows):
        return -tf.reduce_mean(tf.reduce_sum(targets * tf.math.log(probabilities), 1)[rows])

    pseudo = tf.one_hot(tf.argmax(teacher(x), 1), 3)
    with tf.GradientTape() as tape:
        student_loss = mean_cross_entropy(pseudo, student(x), ~labelled)
    before = mean_cross_entropy(y, student(x), labelled)
    grads = tape.gradient(student_loss, student.trainable_variables)
    expected_student = [w - 0.5 * g for w, g in zip(s_weights, grads)]
    student.set_weights(expected_student)
    feedback = before - mean_cross_entropy(y, student(x), labelled)
    with tf.GradientTape() as tape:
        probabilities = teacher(x)
        teacher_loss = (mean_cross_entropy(y, probabilities, labelled)
                        + feedback * mean_cross_entropy(pseudo, probabilities, ~labelled))
    grads = tape.gradient(teacher_loss, teacher.trainable_variables)
    expected_teacher = [w - 0.5 * g for w, g in zip(t_weights, grads)]

    student.set_weights(s_weights)
    logs = model.train_step((x, {name: tf.constant(y) for name in model.output_names}))
    for got, want in zip(student.get_weights() + teacher.get_weights(),
                         expected_student + expected_teacher):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert abs(float(logs["teacher_feedback"]) - float(feedback)) < 1e-6
    assert float(logs["student_accuracy"]) == 1.0
    assert feedback != 0


def test_the_teacher_gets_its_own_copy_of_the_recipes_optimizer():
    model = meta_pseudo_labels(dense("teacher"), dense("student"))
    train.compile_model(model, steps_per_epoch=10, epochs=2, weight_decay=0.1)
    ours, theirs = model.optimizer, model.teacher_optimizer
    assert theirs is not ours and theirs.get_config() == ours.get_config()
    assert int(theirs.iterations) == 0 and theirs.built
    dense_layer = model.get_layer("teacher").layers[-1]
    # Biases stay out of the weight decay, as in the student's.
    assert theirs._use_weight_decay(dense_layer.kernel)
    assert not theirs._use_weight_decay(dense_layer.bias)


def test_a_cloned_optimizer_keeps_its_loss_scaling():
    scaled = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, weight_decay=1e-4), initial_scale=1024.0)
    scaled.inner_optimizer.exclude_from_weight_decay(var_names=["bias"])
    clone = train.clone_optimizer(scaled)
    assert isinstance(clone, keras.optimizers.LossScaleOptimizer) and clone is not scaled
    assert clone.get_config() == scaled.get_config()
    assert clone.inner_optimizer._exclude_from_weight_decay_pattern.pattern == "bias"


def test_meta_pseudo_labels_resumes_both_networks(tmp_path, monkeypatch, kill_after_epoch):
    labelled, images, _ = split_labelled(small_data(), 50)
    data = mixed_data(labelled, images)

    def build():
        def net(name):
            inputs = keras.Input((32, 32, 3))
            x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
            return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x),
                               name=name)
        return meta_pseudo_labels(net("teacher"), net("student"))

    kill_after_epoch(1)
    with pytest.raises(Killed):
        train_cifar(build, data, epochs=2, batch_size=50, out_dir=tmp_path, verbose=0)
    monkeypatch.undo()
    model = train_cifar(build, data, epochs=2, batch_size=50, out_dir=tmp_path, verbose=0)
    # Each optimizer took all 8 steps: the teacher's state came back too.
    assert int(model.optimizer.iterations) == int(model.teacher_optimizer.iterations) == 8
    rows = read_rows(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1]
    assert all(row["teacher_labelled_loss"] > 0 for row in rows)
    saved = keras.saving.load_model(tmp_path / "model.keras")
    x = data[1][0][:4].astype("float32")
    np.testing.assert_allclose(saved.predict(x, verbose=0)[0], model.predict(x, verbose=0)[0],
                               rtol=1e-5, atol=1e-6)
