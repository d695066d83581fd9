"""The fast recipe's pieces (airbench's): the triangular schedule, the
BatchNorm-shift learning rate, lookahead and the `--recipe fast` command."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from convnets_tf.data import CIFAR_MEAN, CIFAR_STD
from convnets_tf.history import read_rows
from convnets_tf.layers import whitening_kernel
from convnets_tf.train import (
    FAST_RECIPE,
    Lookahead,
    ShiftScaledSGD,
    Triangular,
    compile_model,
    fast_recipe,
    full_recipe,
)


def test_triangular_rises_from_a_fifth_to_the_peak_then_falls_to_seven_percent():
    schedule = Triangular(2.0, 100)
    rates = [float(schedule(step)) for step in (0, 23, 100)]
    assert rates == pytest.approx([0.4, 2.0, 0.14])
    assert float(schedule(10)) == pytest.approx(2.0 * (0.2 + 0.8 * 10 / 23))
    assert Triangular.from_config(schedule.get_config()).get_config() == schedule.get_config()


def dense_bn_model():
    inputs = keras.Input((3,))
    x = keras.layers.Dense(2, use_bias=False)(inputs)
    return keras.Model(inputs, keras.layers.BatchNormalization(scale=False)(x))


def test_shift_lr_multiplier_scales_only_the_batchnorm_shifts_steps():
    model = dense_bn_model()
    optimizer = ShiftScaledSGD(0.1, shift_lr_multiplier=64.0)
    kernel, beta = model.trainable_weights
    before = [v.numpy().copy() for v in (kernel, beta)]
    optimizer.apply([np.ones((3, 2), "float32"), np.ones(2, "float32")], [kernel, beta])
    assert np.allclose(before[0] - kernel.numpy(), 0.1)
    assert np.allclose(before[1] - beta.numpy(), 6.4)
    config = ShiftScaledSGD.from_config(optimizer.get_config()).get_config()
    assert config["shift_lr_multiplier"] == 64.0


@pytest.mark.parametrize("decay_shifts", [False, True])
def test_weight_decay_reaches_the_batchnorm_shifts_only_with_decay_shifts(decay_shifts):
    model = dense_bn_model()
    compile_model(model, steps_per_epoch=10, epochs=1, learning_rate=0.1, weight_decay=0.5,
                  schedule="triangular", decay_shifts=decay_shifts)
    kernel, beta = model.trainable_weights
    kernel.assign(np.ones((3, 2), "float32"))
    beta.assign(np.ones(2, "float32"))
    model.optimizer.apply([np.zeros((3, 2), "float32"), np.zeros(2, "float32")], [kernel, beta])
    decayed = 1 - 0.1 * 0.2 * 0.5  # the triangular schedule starts at a fifth of the peak
    assert np.allclose(kernel.numpy(), decayed)
    assert np.allclose(beta.numpy(), decayed if decay_shifts else 1.0)


def test_lookahead_pulls_the_weights_back_to_the_slow_copy_taken_at_the_first_step():
    model = dense_bn_model()
    compile_model(model, steps_per_epoch=10, epochs=1)
    model.optimizer.build(model.trainable_variables)
    lookahead = Lookahead(total_steps=10)
    lookahead.set_model(model)
    lookahead.set_params({"steps": 10})
    lookahead.on_train_begin()
    kernel = model.trainable_weights[0]
    kernel.assign(kernel + 5.0)  # as a resumed run's backup does, after on_train_begin
    lookahead.on_train_batch_begin(0)
    slow = kernel.numpy().copy()
    kernel.assign(slow + 1.0)
    model.optimizer.iterations.assign(3)  # not a fifth step, nor the epoch's last
    lookahead.on_train_batch_end(2)
    assert np.allclose(kernel.numpy(), slow + 1.0)
    model.optimizer.iterations.assign(10)
    lookahead.on_train_batch_end(9)
    decay = 0.95**5
    assert np.allclose(kernel.numpy(), slow + (1 - decay))


@pytest.mark.parametrize("options, message", [
    (dict(schedule="linear"), "Unknown schedule"),
    (dict(momentum=1.0), "momentum must be"),
    (dict(optimizer="adamw", shift_lr_multiplier=64.0), "options of SGD"),
    (dict(shift_lr_multiplier=0), "shift_lr_multiplier must be"),
    (dict(translate=-1), "translate must be"),
    (dict(crop_padding="edge"), "crop_padding must be one of zeros, reflect"),
    (dict(translate=2, image_sizes=[16, 32]), "one per stage"),
    (dict(lookahead=1), "lookahead must be True or False"),
    (dict(decay_shifts="yes"), "decay_shifts must be True or False"),
])
def test_bad_fast_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        full_recipe(**options)


def test_fast_recipe_trains_airbench_from_the_command_line(tiny_cifar, tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "convnets_tf", "train", "airbench94", "--recipe", "fast",
         "--epochs", "1", "--batch-size", "256", "--data", str(tiny_cifar), "--out", str(out)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "batch 256" in result.stdout and "lookahead" in result.stdout
    recorded = json.loads((out / "run.json").read_text())
    # The recipe's learning rate, scaled from batch 1,024 to 256.
    assert all(recorded[option] == value for option, value in fast_recipe(256).items())
    assert recorded["learning_rate"] == FAST_RECIPE["learning_rate"] / 4
    assert len(read_rows(out / "history.csv")) == 1
    assert "tta_test_accuracy" in json.loads((out / "final.json").read_text())
    # The frozen whitening layer was computed from the training images.
    model = keras.models.load_model(out / "model.keras", compile=False)
    with np.load(tiny_cifar) as data:
        images = (data["x_train"].astype("float32") - CIFAR_MEAN) / CIFAR_STD
    assert np.allclose(model.get_layer("whiten").get_weights()[0],
                       whitening_kernel(images, 2), atol=1e-4)
