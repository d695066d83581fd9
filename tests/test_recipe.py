"""Issue 11, the recipe: BatchNorm statistics after short runs, test-time
augmentation, weight averaging (EMA) and several workers (TF_CONFIG)."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import Killed
from convnets_tf import train
from convnets_tf.__main__ import main
from convnets_tf.data import load_cifar, make_dataset
from convnets_tf.history import read_rows


def bn_model():
    """Two convolutions with BatchNorm, small enough to train in seconds."""
    inputs = keras.Input((32, 32, 3))
    x = inputs
    for filters in (16, 32):
        x = keras.layers.Conv2D(filters, 3, strides=2, use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def accuracy(model, x, y):
    return float(np.mean(np.argmax(train.predict_main(model, x), axis=-1) == y))


# BatchNorm statistics.


def test_bn_momentum_sets_every_batchnorm_layer():
    model = bn_model()
    train.compile_model(model, steps_per_epoch=10, epochs=2)
    assert [layer.momentum for layer in train.batchnorm_layers(model)] == [0.99, 0.99]
    nested = keras.Sequential([keras.Input((32, 32, 3)), bn_model()])
    train.compile_model(nested, steps_per_epoch=10, epochs=2, bn_momentum=0.9)
    assert [layer.momentum for layer in train.batchnorm_layers(nested)] == [0.9, 0.9]


def batch_statistics(model, layer, dataset):
    """The per-channel mean and variance of `layer`'s inputs in training
    mode, averaged over the batches of `dataset`: computed directly."""
    inputs = keras.Model(model.inputs, layer.input)
    means, variances = [], []
    for images, _ in dataset:
        features = inputs(images, training=True).numpy().astype(np.float64)
        means.append(features.mean(axis=(0, 1, 2)))
        variances.append(features.var(axis=(0, 1, 2)))
    return np.mean(means, axis=0), np.mean(variances, axis=0)


def mismatch(model, dataset):
    """How far the model's predictions in evaluation mode are from those in
    training mode (with each batch's own statistics)."""
    return np.mean([np.abs(model(images) - model(images, training=True)).mean()
                    for images, _ in dataset])


# The images `tiny_cifar` holds: real ones when it finds them (see conftest.py).
REAL_IMAGES = bool(os.environ.get("CONVNETS_TF_DATA")) or (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_sample.npz").exists()


def test_reestimated_statistics_match_the_data_after_a_short_run(tiny_cifar, tmp_path):
    data = load_cifar(source=tiny_cifar)
    (x_train, y_train), (x_test, y_test) = data
    # 16 steps with Keras' momentum 0.99: the moving statistics are still
    # mostly their initial zeros and ones.
    model = train.train_cifar(bn_model, data, epochs=2, batch_size=64, out_dir=tmp_path,
                              verbose=0)
    dataset = make_dataset(x_train, y_train, 64, training=False)
    layers = train.batchnorm_layers(model)
    # Judged on all 640 images: 128 test images alone are too few to tell.
    x_all, y_all = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    stale = accuracy(model, x_all, y_all), mismatch(model, dataset)
    for layer in layers:
        mean, variance = batch_statistics(model, layer, dataset)
        assert np.abs(layer.moving_variance.numpy() / variance - 1).max() > 0.5
    kernels = [weight.numpy() for weight in model.trainable_weights]

    assert train.reestimate_batchnorm(model, dataset) == 8
    for layer in layers:
        mean, variance = batch_statistics(model, layer, dataset)
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-3)
        assert layer.momentum == 0.99
    for before, after in zip(kernels, model.trainable_weights):
        np.testing.assert_array_equal(before, after.numpy())
    # Evaluation now normalises as training did, so it predicts what the
    # model predicts in training mode, and it is not less accurate.
    assert mismatch(model, dataset) < stale[1] / 2
    if REAL_IMAGES:
        assert accuracy(model, x_all, y_all) >= stale[0]

    # Frozen layers keep their statistics; `batches` limits the data used.
    layers[0].trainable = False
    frozen = layers[0].moving_mean.numpy()
    assert train.reestimate_batchnorm(model, dataset, batches=2) == 2
    np.testing.assert_array_equal(layers[0].moving_mean.numpy(), frozen)
    mean, _ = batch_statistics(model, layers[1], dataset.take(2))
    np.testing.assert_allclose(layers[1].moving_mean.numpy(), mean, rtol=1e-3, atol=1e-4)


# Test-time augmentation.


def test_tta_averages_the_image_and_its_mirror_image(tiny_cifar):
    (_, _), (x, y) = load_cifar(source=tiny_cifar)
    x, y = x[:40], y[:40]
    model = bn_model()
    images = next(iter(make_dataset(x, y, 40, training=False)))[0]
    expected = (model(images) + model(tf.image.flip_left_right(images))) / 2
    np.testing.assert_allclose(train.predict_tta(model, x, batch_size=16), expected,
                               atol=1e-6)
    assert train.evaluate_tta(model, x, y, batch_size=16) == pytest.approx(
        np.mean(np.argmax(expected, axis=-1) == y))
    # The model is not flip-invariant: the mirror image counts.
    assert np.abs(model(images) - expected).max() > 1e-4


def test_tta_translations_shift_both_ways():
    x = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    views = train.tta_views(x, translate=2)
    assert len(views) == 6
    original, mirror, down_right, down_right_mirror, up_left, up_left_mirror = views
    np.testing.assert_array_equal(mirror, x[:, :, ::-1])
    np.testing.assert_array_equal(down_right[:, 2:, 2:], x[:, :-2, :-2])
    np.testing.assert_array_equal(up_left[:, :-2, :-2], x[:, 2:, 2:])
    np.testing.assert_array_equal(down_right_mirror, down_right[:, :, ::-1])
    np.testing.assert_array_equal(up_left_mirror, up_left[:, :, ::-1])


def test_train_cifar_reestimates_and_tests_with_tta_at_the_end(tiny_cifar, tmp_path,
                                                               capsys):
    data = load_cifar(source=tiny_cifar)
    (_, _), (x_test, y_test) = data
    model = train.train_cifar(bn_model, data, epochs=1, batch_size=64, out_dir=tmp_path,
                              verbose=0, bn_momentum=0.9, bn_reestimate=4, tta=True,
                              tta_translate=1)
    definition = json.loads((tmp_path / "run.json").read_text())
    assert (definition["bn_momentum"], definition["bn_reestimate"], definition["tta"],
            definition["tta_translate"]) == (0.9, 4, True, 1)
    final = json.loads((tmp_path / "final.json").read_text())
    assert final["bn_reestimate"] == 4 and final["tta_views"] == 6

    saved = keras.models.load_model(tmp_path / "model.keras")
    assert [layer.momentum for layer in train.batchnorm_layers(saved)] == [0.9, 0.9]
    for ours, theirs in zip(model.weights, saved.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # The saved model is the re-estimated one: its statistics are not those
    # of the last epoch's backup.
    backup = bn_model()
    backup.load_weights(tmp_path / "backup" / "latest.weights.h5", skip_mismatch=True)
    assert not np.allclose(train.batchnorm_layers(backup)[1].moving_mean.numpy(),
                           train.batchnorm_layers(saved)[1].moving_mean.numpy())
    assert final["test_accuracy"] == pytest.approx(accuracy(saved, x_test, y_test))
    assert final["tta_test_accuracy"] == pytest.approx(
        train.evaluate_tta(saved, x_test, y_test, translate=1))

    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "model.keras"), "--data", str(tiny_cifar),
                 "--tta", "--tta-translate", "1"]) == 0
    plain, tta = capsys.readouterr().out.splitlines()
    assert plain.startswith(f"test accuracy: {final['test_accuracy']:.4f} (128 cifar10")
    assert tta == ("test accuracy with test-time augmentation (6 views): "
                   f"{final['tta_test_accuracy']:.4f}")


# Weight averaging.


def lenet():
    import convnets_tf

    return convnets_tf.build("lenet5_modern", input_shape=(32, 32, 3))


def backed_up_weights(out_dir, steps_per_epoch, epochs):
    """The trained weights and their EMA in the run's backup."""
    model = lenet()
    train.compile_model(model, steps_per_epoch, epochs, use_ema=True, ema_momentum=0.9)
    model.optimizer.build(model.trainable_variables)
    model.load_weights(out_dir / "backup" / "latest.weights.h5")
    trained = [weight.numpy() for weight in model.trainable_weights]
    with train.ema_weights(model):
        averaged = [weight.numpy() for weight in model.trainable_weights]
    return trained, averaged, int(model.optimizer.iterations.numpy())


def trainable(path):
    return [weight.numpy() for weight in keras.models.load_model(path).trainable_weights]


def assert_same(first, second):
    for a, b in zip(first, second, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_ema_evaluates_checkpoints_saves_and_resumes_the_average(tiny_cifar, tmp_path,
                                                                 monkeypatch, kill_after_epoch):
    data = load_cifar(source=tiny_cifar)
    run = dict(epochs=2, batch_size=64, out_dir=tmp_path, verbose=0, use_ema=True,
               ema_momentum=0.9)
    kill_after_epoch(1)
    with pytest.raises(Killed):
        train.train_cifar(lenet, data, **run)
    monkeypatch.undo()
    trained, averaged, steps = backed_up_weights(tmp_path, 8, 2)
    assert steps == 8
    assert max(np.abs(a - b).max() for a, b in zip(trained, averaged)) > 1e-3
    # The first epoch is the best so far; its checkpoint holds the average.
    assert_same(trainable(tmp_path / "best.keras"), averaged)

    resumed = {}
    restore = train.AtomicBackupAndRestore.on_train_begin

    def record_restored(self, logs=None):
        restore(self, logs)
        with train.ema_weights(self.model):
            resumed["averaged"] = [w.numpy() for w in self.model.trainable_weights]
        resumed["steps"] = int(self.model.optimizer.iterations.numpy())

    monkeypatch.setattr(train.AtomicBackupAndRestore, "on_train_begin", record_restored)
    model = train.train_cifar(lenet, data, **run)
    # The resumed run continued the same average, from step 8.
    assert resumed["steps"] == 8
    assert_same(resumed["averaged"], averaged)

    trained, averaged, steps = backed_up_weights(tmp_path, 8, 2)
    assert steps == 16
    assert_same([w.numpy() for w in model.trainable_weights], averaged)
    assert_same(trainable(tmp_path / "model.keras"), averaged)
    # Each epoch was evaluated with the average, which the final test repeats.
    rows = read_rows(tmp_path / "history.csv")
    saved = keras.models.load_model(tmp_path / "model.keras")
    (_, _), (x_test, y_test) = data
    test = make_dataset(x_test, y_test, 64, training=False, num_classes=10)
    loss, _ = saved.evaluate(test, verbose=0)
    assert loss == pytest.approx(rows[-1]["val_loss"], rel=1e-4)
    final = json.loads((tmp_path / "final.json").read_text())
    assert final["ema"] is True
    assert final["test_accuracy"] == pytest.approx(rows[-1]["val_accuracy"])


# Several workers.


def test_tf_config_names_the_workers(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert train.cluster_workers() == 0
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]},
         "task": {"type": "chief", "index": 0}}))
    assert train.cluster_workers() == 3
    # One worker is no cluster: the usual strategy.
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1"]}}))
    assert train.get_strategy() is tf.distribute.get_strategy()
    monkeypatch.setenv("TF_CONFIG", "worker=a:1")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        train.get_strategy()


WORKER = textwrap.dedent("""
    import sys

    import keras
    import numpy as np
    import tensorflow as tf

    from convnets_tf import train
    from convnets_tf.data import load_cifar

    def bn_model():
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.Conv2D(8, 3, strides=2, use_bias=False)(inputs)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))

    strategy = train.get_strategy()
    assert isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy), strategy
    assert strategy.num_replicas_in_sync == 2
    data = load_cifar(source=sys.argv[1]).take(128, 32)
    model = train.train_cifar(bn_model, data, epochs=1, batch_size=32, out_dir=sys.argv[2],
                              strategy=strategy, verbose=0, use_ema=True, bn_reestimate=2)
    np.savez(sys.argv[2] + "/weights.npz", *model.get_weights(),
             steps=model.optimizer.iterations.numpy())
""")


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_workers_train_in_step(tiny_cifar, tmp_path):
    ports = [free_port(), free_port()]
    processes = []
    try:
        for index in range(2):
            tf_config = {"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                         "task": {"type": "worker", "index": index}}
            env = {**os.environ, "TF_CONFIG": json.dumps(tf_config),
                   "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
            processes.append(subprocess.Popen(
                [sys.executable, "-c", WORKER, str(tiny_cifar), str(tmp_path / f"w{index}")],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True))
        outputs = [process.communicate(timeout=300)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-3000:]
    first, second = (np.load(tmp_path / f"w{index}" / "weights.npz") for index in range(2))
    # 4 steps of 32 images, 16 on each worker.
    assert first["steps"] == second["steps"] == 4
    # Every weight is the same, the re-estimated BatchNorm statistics too:
    # a kernel, 4 BatchNorm arrays, the dense kernel and bias.
    assert len(first.files) == 8
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name])
    # Both logged the same epoch, measured over all the data of both.
    rows = [read_rows(tmp_path / f"w{index}" / "history.csv") for index in range(2)]
    assert len(rows[0]) == 1 and rows[0][0]["loss"] == rows[1][0]["loss"]
    assert rows[0][0]["val_accuracy"] == rows[1][0]["val_accuracy"]
