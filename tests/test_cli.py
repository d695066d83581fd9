"""The command line, run as a user would: as a separate process."""

import os
import signal
import subprocess
import sys
import time

import convnets_tf
from convnets_tf.history import read_rows


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "convnets_tf", *args],
                          capture_output=True, text=True, timeout=600, **kwargs)


def test_list_prints_the_registry():
    result = cli("list")
    assert result.returncode == 0
    assert result.stdout.split() == convnets_tf.list_models()


def test_unknown_model_is_a_clear_error(tiny_cifar, tmp_path):
    result = cli("train", "lenet", "--data", str(tiny_cifar), "--out", str(tmp_path))
    assert result.returncode == 1
    assert "Unknown model 'lenet'. Did you mean: lenet5" in result.stderr


def test_missing_data_file_is_a_clear_error(tmp_path):
    result = cli("train", "lenet5", "--data", str(tmp_path / "nope.npz"),
                 "--out", str(tmp_path))
    assert result.returncode == 1
    assert "nope.npz" in result.stderr and "Traceback" not in result.stderr


def test_kill_9_then_rerun_loses_no_finished_epoch(tiny_cifar, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "convnets_tf", "train", "lenet5_modern",
               "--epochs", "8", "--batch-size", "32", "--data", str(tiny_cifar),
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    history = out / "history.csv"
    deadline = time.monotonic() + 300
    while len(read_rows(history)) < 3 and process.poll() is None:
        assert time.monotonic() < deadline, "training made no progress"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = read_rows(history)
    assert 3 <= len(before) < 8, "the kill must land mid-run"

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read_rows(history)
    assert [row["epoch"] for row in rows] == list(range(8))
    # The last row seen may belong to an epoch whose backup the kill beat;
    # every epoch before it was finished and must not have been redone.
    assert rows[:len(before) - 1] == before[:-1]
    assert "Epoch 1/8" not in result.stdout

    evaluated = cli("evaluate", str(out / "model.keras"), "--data", str(tiny_cifar))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    accuracy = float(evaluated.stdout.split("test accuracy: ")[1].split()[0])
    assert abs(accuracy - rows[-1]["val_accuracy"]) < 1e-3


def test_image_size_trains_and_evaluates_at_that_size(tiny_cifar, tmp_path):
    result = cli("train", "lenet5_modern", "--image-size", "40", "--epochs", "1",
                 "--batch-size", "64", "--data", str(tiny_cifar), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    evaluated = cli("evaluate", str(tmp_path / "model.keras"), "--data", str(tiny_cifar))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    accuracy = float(evaluated.stdout.split("test accuracy: ")[1].split()[0])
    assert abs(accuracy - read_rows(tmp_path / "history.csv")[-1]["val_accuracy"]) < 1e-3
