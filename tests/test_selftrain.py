"""Self-training (Noisy Student): the labelled split, the student's mixed
set of one-hot and soft targets, and soft targets and RandAugment through
the data pipeline and `train_cifar`."""

import json

import keras
import numpy as np
import pytest

from convnets_tf.data import CifarData, check_arrays, load_cifar, make_dataset
from convnets_tf.selftrain import pseudo_labels, split_labelled, student_data
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
