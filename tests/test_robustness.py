"""Issue 13: a run is never lost, never mixed with another, and bad input
never trains silently. One test (or one parametrised case) per failure a
user found, in the order the issue lists them."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.figure import Figure

import convnets_tf
from conftest import Killed
from convnets_tf import train
from convnets_tf.__main__ import main
from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows


def small_model(num_classes=10, channels=3):
    return convnets_tf.build("lenet5_modern", input_shape=(32, 32, channels),
                             num_classes=num_classes)


def torn_files(out_dir):
    """The run files in `out_dir` that exist but cannot be read."""
    torn = [name for name in ("best.keras", "model.keras")
            if (out_dir / name).exists() and train.model_file_problem(out_dir / name)]
    return torn + [name for name in ("history.csv", "curves.png", "run.json")
                   if (out_dir / name).exists() and (out_dir / name).stat().st_size == 0]


def one_error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


# Data lost.


@pytest.mark.parametrize("owner, method, call, name", [
    (keras.Model, "save", 1, "best.keras"),
    (keras.Model, "save", 2, "model.keras"),
    (Figure, "savefig", 1, "curves.png"),
])
def test_a_kill_during_a_write_leaves_every_file_readable(
        tiny_cifar, tmp_path, monkeypatch, owner, method, call, name):
    # The writer is cut off mid-file, as a kill -9 would cut it.
    calls = []
    real = getattr(owner, method)

    def cut_off(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == call:
            Path(path).write_bytes(b"")
            raise Killed
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(owner, method, cut_off)
    data = load_cifar(source=tiny_cifar)
    with pytest.raises(Killed):
        train.train_cifar(small_model, data, epochs=1, batch_size=64,
                          out_dir=tmp_path, verbose=0)
    assert torn_files(tmp_path) == []
    monkeypatch.undo()

    train.train_cifar(small_model, data, epochs=1, batch_size=64, out_dir=tmp_path,
                      verbose=0)
    assert torn_files(tmp_path) == []
    assert [row["epoch"] for row in read_rows(tmp_path / "history.csv")] == [0]
    assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_a_lost_best_checkpoint_is_rewritten(tiny_cifar, tmp_path, damage):
    data = load_cifar(source=tiny_cifar)
    train.train_cifar(small_model, data, epochs=1, batch_size=64, out_dir=tmp_path,
                      verbose=0)
    rows = read_rows(tmp_path / "history.csv")
    best = tmp_path / "best.keras"
    if damage == "missing":
        best.unlink()
    else:
        best.write_bytes(b"")

    train.train_cifar(small_model, data, epochs=1, batch_size=64, out_dir=tmp_path,
                      verbose=0)
    assert train.model_file_problem(best) is None
    assert read_rows(tmp_path / "history.csv") == rows  # nothing was retrained


# Silently wrong, and cryptic: arguments.


def nothing_built(*args, **kwargs):
    raise AssertionError("a model was built from invalid arguments")


@pytest.mark.parametrize("option, value, message", [
    ("--lr", "0", "learning rate must be above 0"),
    ("--lr", "-0.1", "learning rate must be above 0"),
    ("--lr", "1e6", "at most 10"),
    ("--lr", "nan", "learning rate"),
    ("--epochs", "0", "epochs must be a whole number of at least 1"),
    ("--epochs", "-2", "epochs must be"),
    ("--batch-size", "0", "batch size must be a whole number of at least 1"),
    ("--image-size", "0", "image size must be from 1 to 512"),
    ("--image-size", "100000", "image size must be from 1 to 512"),
    ("--dataset", "cifar100", "looks like CIFAR-10"),
    ("--bn-momentum", "1", "bn_momentum must be a number from 0 to below 1"),
    ("--bn-reestimate", "-1", "bn_reestimate must be a whole number of training batches"),
    ("--ema-momentum", "1.5", "ema_momentum must be a number from 0 to below 1"),
    ("--tta-translate", "2", "tta_translate needs tta=True (--tta)"),
])
def test_the_command_line_refuses_bad_arguments_before_building(
        tiny_cifar, tmp_path, monkeypatch, capsys, option, value, message):
    monkeypatch.setattr(convnets_tf, "build", nothing_built)
    out = tmp_path / "run"
    code = main(["train", "lenet5_modern", "--epochs", "1", "--data", str(tiny_cifar),
                 "--out", str(out), option, value])
    assert code == 1
    assert message in one_error_line(capsys)
    assert not out.exists() or not any(out.iterdir())


def read_only_dir(tmp_path):
    # Root writes anywhere chmod forbids; /sys refuses even root.
    if os.geteuid() == 0:
        return Path("/sys")
    path = tmp_path / "read_only"
    path.mkdir(mode=0o555)
    return path


@pytest.mark.parametrize("where, reason", [
    ("read-only", "Permission denied"),
    ("under a file", "Not a directory"),
    ("a file", "File exists"),
])
def test_an_unusable_out_is_a_clear_error(tiny_cifar, tmp_path, monkeypatch, capsys,
                                          where, reason):
    monkeypatch.setattr(convnets_tf, "build", nothing_built)
    (tmp_path / "file").touch()
    out = {"read-only": read_only_dir(tmp_path), "under a file": tmp_path / "file" / "run",
           "a file": tmp_path / "file"}[where]
    code = main(["train", "lenet5_modern", "--data", str(tiny_cifar), "--out", str(out)])
    assert code == 1
    line = one_error_line(capsys)
    assert str(out) in line and reason in line and "--out" in line


@pytest.mark.parametrize("arguments, message", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"batch_size": 0}, "batch size"),
    ({"learning_rate": 0}, "learning rate"),
    ({"learning_rate": -0.1}, "learning rate"),
    ({"learning_rate": float("inf")}, "learning rate"),
    ({"optimizer": "rmsprop"}, "sgd, adamw"),
    ({"bn_momentum": -0.1}, "bn_momentum must be a number from 0 to below 1"),
    ({"bn_momentum": "0.9"}, "bn_momentum"),
    ({"bn_reestimate": 2.5}, "bn_reestimate must be a whole number"),
    ({"bn_reestimate": True}, "bn_reestimate"),
    ({"use_ema": "yes"}, "use_ema must be True or False"),
    ({"ema_momentum": 1.0}, "ema_momentum must be a number from 0 to below 1"),
    ({"tta": 1}, "tta must be True or False"),
    ({"tta": True, "tta_translate": 9}, "tta_translate must be a whole number of pixels "
                                        "from 0 to 8"),
])
def test_train_cifar_refuses_bad_arguments_before_building(tiny_cifar, tmp_path,
                                                           arguments, message):
    arguments = {"epochs": 1, "batch_size": 64, **arguments}
    with pytest.raises(ValueError, match=message):
        train.train_cifar(nothing_built, load_cifar(source=tiny_cifar), out_dir=tmp_path,
                          **arguments)


@pytest.mark.parametrize("arguments, message", [
    ({"epochs": 0}, "epochs"),
    ({"steps_per_epoch": 0}, "steps_per_epoch"),
    ({"learning_rate": 0}, "learning rate"),
    ({"learning_rate": float("nan")}, "learning rate"),
])
def test_compile_model_refuses_bad_arguments(arguments, message):
    arguments = {"steps_per_epoch": 10, "epochs": 2, **arguments}
    with pytest.raises(ValueError, match=message):
        train.compile_model(small_model(), **arguments)


# Silently wrong: data that does not fit the model.


def arrays(path, **changes):
    (x_train, y_train), (x_test, y_test) = load_cifar(source=path)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    data.update({key: change(data[key]) for key, change in changes.items()})
    return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def with_label(label):
    def change(y):
        y = y.copy()
        y[3] = label
        return y
    return change


@pytest.mark.parametrize("changes, model, message", [
    ({"y_train": with_label(15)}, {}, r"y_train has labels in \[0, 15\]; expected \[0, 10\)"),
    ({"y_test": with_label(-1)}, {}, r"y_test has labels in \[-1, 9\]"),
    ({"x_train": lambda x: x / 255}, {}, r"x_train is float64 .*astype\('uint8'\)"),
    ({}, {"num_classes": 5}, r"\(5 classes\): y_train has labels in \[0, 9\]; expected \[0, 5\)"),
    ({"x_test": lambda x: x[:0], "y_test": lambda y: y[:0]}, {}, "x_test has no images"),
    ({}, {"channels": 1}, r"x_train is uint8 \(512, 32, 32, 3\); expected uint8 pixels "
                          r"\(N, any, any, 1\)"),
])
def test_train_cifar_refuses_data_the_model_cannot_use(tiny_cifar, tmp_path, changes,
                                                       model, message):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=message):
        train.train_cifar(lambda: small_model(**model), arrays(tiny_cifar, **changes),
                          epochs=1, batch_size=64, out_dir=out, verbose=0)
    assert not any(out.iterdir())


# Silently wrong and cryptic: a rerun into a folder that holds another run.


def test_a_different_run_in_the_same_folder_is_refused(tiny_cifar, tmp_path, capsys):
    run = ["train", "lenet5_modern", "--epochs", "1", "--batch-size", "64",
           "--data", str(tiny_cifar), "--out", str(tmp_path)]
    assert main(run) == 0
    rows = read_rows(tmp_path / "history.csv")
    capsys.readouterr()
    for change, difference in [
        (["--lr", "0.05"], "learning_rate 0.1 -> 0.05"),
        (["--batch-size", "32"], "batch_size 64 -> 32"),
        (["--optimizer", "adamw"], "optimizer 'sgd' -> 'adamw'"),
        # A larger --epochs does not extend a finished run: its cosine
        # schedule ended at zero.
        (["--epochs", "2"], "epochs 1 -> 2"),
        (["--ema"], "use_ema False -> True"),
        (["--bn-reestimate", "2"], "bn_reestimate 0 -> 2"),
    ]:
        assert main(run + change) == 1, change
        line = one_error_line(capsys)
        assert difference in line and "--restart" in line and "new --out" in line
    another_model = ["resnet20" if arg == "lenet5_modern" else arg for arg in run]
    assert main(another_model) == 1
    assert "model 'lenet5_modern' -> 'resnet20'" in one_error_line(capsys)
    # The same images with other labels: every count is the same.
    with np.load(tiny_cifar) as arrays:
        relabelled = {**arrays, "y_train": np.roll(arrays["y_train"], 1)}
    (tmp_path / "relabelled").mkdir()
    np.savez(tmp_path / "relabelled" / tiny_cifar.name, **relabelled)
    other_data = [str(tmp_path / "relabelled" / tiny_cifar.name) if arg == str(tiny_cifar)
                  else arg for arg in run]
    assert main(other_data) == 1
    assert "data_fingerprint" in one_error_line(capsys)
    assert read_rows(tmp_path / "history.csv") == rows

    # The same command says the run is finished and keeps it.
    assert main(run) == 0
    assert "all 1 epochs of this run are finished" in capsys.readouterr().out
    assert read_rows(tmp_path / "history.csv") == rows

    # A run recorded before the newer recipe options existed ran with their
    # defaults, and resumes.
    definition = json.loads((tmp_path / "run.json").read_text())
    older = {key: value for key, value in definition.items() if key not in (
        "bn_momentum", "bn_reestimate", "use_ema", "ema_momentum", "tta", "tta_translate",
        "data_fingerprint")}
    (tmp_path / "run.json").write_text(json.dumps(older))
    assert main(run) == 0
    assert "all 1 epochs of this run are finished" in capsys.readouterr().out

    # A folder from before run.json existed: the backup does not fit.
    (tmp_path / "run.json").unlink()
    assert main(another_model) == 1
    line = one_error_line(capsys)
    assert "holds another model's run" in line and len(line) < 400
    assert not (tmp_path / "run.json").exists()

    assert main(run + ["--lr", "0.05", "--restart"]) == 0
    assert json.loads((tmp_path / "run.json").read_text())["learning_rate"] == 0.05
    assert len(read_rows(tmp_path / "history.csv")) == 1


# Cryptic: evaluate.


def unreadable_model(kind, path, tiny_cifar):
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a model\n")
    elif kind == "npz renamed":
        shutil.copy(tiny_cifar, path)
    elif kind == "directory":
        path.mkdir()


@pytest.mark.parametrize("kind, message", [
    ("missing", "does not exist"),
    ("empty", "is empty"),
    ("text", "is not a Keras model file"),
    ("npz renamed", "not a Keras model file"),
    ("directory", "is a directory"),
])
def test_evaluate_explains_an_unreadable_model_file(tiny_cifar, tmp_path, capsys,
                                                    kind, message):
    path = tmp_path / "model.keras"
    unreadable_model(kind, path, tiny_cifar)
    assert main(["evaluate", str(path), "--data", str(tiny_cifar)]) == 1
    line = one_error_line(capsys)
    assert str(path) in line and message in line


def test_evaluate_refuses_an_empty_test_set(tiny_cifar, tmp_path, capsys):
    small_model().save(tmp_path / "model.keras")
    with np.load(tiny_cifar) as arrays:
        empty = {**arrays, "x_test": arrays["x_test"][:0], "y_test": arrays["y_test"][:0]}
    np.savez(tmp_path / "empty_test.npz", **empty)
    code = main(["evaluate", str(tmp_path / "model.keras"),
                 "--data", str(tmp_path / "empty_test.npz")])
    assert code == 1
    assert "x_test has no images" in one_error_line(capsys)


# Cryptic and unhelpful: Ctrl-C, resuming, provenance, precision.


def test_ctrl_c_stops_with_one_line_and_the_same_command_resumes(tiny_cifar, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "convnets_tf", "train", "lenet5_modern",
               "--epochs", "6", "--batch-size", "8", "--data", str(tiny_cifar),
               "--out", str(out)]
    # 64 steps an epoch: the poll below sees epoch 2 end long before epoch 6
    # does, even on a loaded machine (at batch 32 one CI run finished first).
    with open(tmp_path / "stderr", "w+") as stderr:
        # A test run started in the background by a non-interactive shell
        # ignores SIGINT, the child inherits that and Python then installs no
        # KeyboardInterrupt handler (two such runs exited 0 here): give the
        # child a terminal's default.
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 300
        while train.finished_epochs(out) < 2 and process.poll() is None:
            assert time.monotonic() < deadline, "training made no progress"
            time.sleep(0.05)
        assert process.poll() is None, "training ended before the interrupt"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 130
        stderr.seek(0)
        lines = stderr.read().strip().splitlines()
    done = train.finished_epochs(out)
    assert 2 <= done < 6, "the interrupt must land mid-run"
    assert lines[-1] == (f"stopped: epochs 1-{done} of 6 are saved in {out}; "
                         "the same command resumes from there.")
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in lines)

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"resuming from epoch {done + 1} of 6" in result.stdout
    assert [row["epoch"] for row in read_rows(out / "history.csv")] == list(range(6))


@pytest.mark.skipif(bool(tf.config.list_logical_devices("GPU")), reason="CPU only")
def test_the_run_says_what_it_runs_on_and_that_16_bit_is_slow_on_cpu(
        tiny_cifar, tmp_path, capsys):
    code = main(["train", "lenet5_modern", "--epochs", "1", "--batch-size", "64",
                 "--precision", "mixed_bfloat16", "--data", str(tiny_cifar),
                 "--out", str(tmp_path)])
    assert code == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert "-core CPU, DefaultDistributionStrategy (1 replica), mixed_bfloat16, XLA off, " \
           "512 training / 128 test images (tiny_cifar10.npz), 1 epoch, batch 64" in first
    assert second.startswith("note: mixed_bfloat16 is slower than float32 on a CPU")
