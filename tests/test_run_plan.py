"""convnets_tf.notebook.plan_run: the run size a notebook trains with."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from convnets_tf import notebook
from convnets_tf.data import load_cifar
from convnets_tf.notebook import RunPlan, plan_run

CPU = {"train_images": 4096, "test_images": None, "epochs": 5, "batch_size": 64}
ACCELERATOR = {"train_images": None, "test_images": None, "epochs": 30, "batch_size": 256}


def test_smoke_mode_is_small_and_temporary(monkeypatch):
    monkeypatch.setenv("CONVNETS_TF_SMOKE", "1")
    plan = plan_run(CPU, ACCELERATOR)
    assert (plan.mode, plan.train_images, plan.test_images, plan.epochs, plan.batch_size) \
        == ("smoke", 64, 32, 1, 32)  # two batches, one test batch, batch capped at 32
    assert os.path.isdir(plan.runs_dir) and os.listdir(plan.runs_dir) == []
    assert plan_run(CPU, ACCELERATOR).runs_dir != plan.runs_dir  # a fresh one per plan
    custom = plan_run(CPU, ACCELERATOR, smoke={"train_images": 128, "batch_size": 16})
    assert (custom.train_images, custom.test_images, custom.epochs, custom.batch_size) \
        == (128, 16, 1, 16)
    small = plan_run({**CPU, "batch_size": 8}, ACCELERATOR)
    assert (small.train_images, small.test_images, small.batch_size) == (16, 8, 8)


def test_cpu_and_accelerator_modes(monkeypatch):
    monkeypatch.delenv("CONVNETS_TF_SMOKE", raising=False)
    monkeypatch.setattr(notebook, "has_accelerator", lambda: False)
    assert plan_run(CPU, ACCELERATOR) == RunPlan("cpu", 4096, None, 5, 64, "runs")
    monkeypatch.setattr(notebook, "has_accelerator", lambda: True)
    assert plan_run(CPU, ACCELERATOR) == RunPlan("accelerator", None, None, 30, 256, "runs")
    monkeypatch.setenv("CONVNETS_TF_SMOKE", "0")  # only "1" means smoke
    assert plan_run(CPU, ACCELERATOR).mode == "accelerator"
    # Images default to all of them.
    assert plan_run(CPU, {"epochs": 2, "batch_size": 8}).train_images is None


def test_plan_prints_as_one_line():
    line = str(RunPlan("cpu", 4096, None, 1, 64, "runs"))
    assert line == ("cpu run: 4,096 training images, all test images, 1 epoch, batch 64, "
                    "outputs in runs")
    assert "\n" not in repr(RunPlan("smoke", 512, 256, 3, 64, "/tmp/x"))


def test_misspelt_or_missing_keys_are_refused():
    with pytest.raises(ValueError, match=r"unknown \['epoch'\], missing \['epochs'\]"):
        plan_run({"epoch": 1, "batch_size": 8}, ACCELERATOR)


def test_smoke_runs_dir_is_removed_at_exit(tmp_path):
    """A notebook kernel that exits leaves no smoke-mode directory behind
    (an earlier version left gigabytes of them in /tmp)."""
    script = textwrap.dedent("""
        from convnets_tf.notebook import plan_run
        plan = plan_run({"epochs": 1, "batch_size": 8}, {"epochs": 1, "batch_size": 8})
        open(plan.runs_dir + "/history.csv", "w").write("epoch\\n")
        print(plan.runs_dir)
    """)
    env = {**os.environ, "CONVNETS_TF_SMOKE": "1", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True)
    runs_dir = done.stdout.strip().splitlines()[-1]
    assert runs_dir.startswith(str(tmp_path))
    assert not os.path.exists(runs_dir)
    assert list(tmp_path.iterdir()) == []


def test_smoke_runs_dir_of_a_killed_process_is_removed_by_the_next_plan(tmp_path, monkeypatch):
    """nbval stops notebook kernels with SIGKILL, which runs no exit
    handlers: the next smoke plan removes what such a kernel left."""
    script = textwrap.dedent("""
        import os, signal
        from convnets_tf.notebook import plan_run
        plan = plan_run({"epochs": 1, "batch_size": 8}, {"epochs": 1, "batch_size": 8})
        print(plan.runs_dir, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "CONVNETS_TF_SMOKE": "1", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == -9
    left = done.stdout.strip().splitlines()[-1]
    assert os.path.isdir(left)  # atexit did not run
    alive = tmp_path / f"convnets_tf_smoke_runs_{os.getpid()}_x"  # this process: kept
    alive.mkdir()
    monkeypatch.setenv("CONVNETS_TF_SMOKE", "1")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    plan = plan_run(CPU, ACCELERATOR)
    assert not os.path.exists(left)
    assert alive.is_dir() and os.path.isdir(plan.runs_dir)


def test_train_arms_trains_each_arm_from_the_same_seed_and_records_it(tiny_cifar, tmp_path):
    first_weights = {}

    def arm(label, width):
        def build():
            inputs = keras.Input((32, 32, 3))
            x = keras.layers.Conv2D(4, 3, name="shared")(inputs)
            x = keras.layers.GlobalAveragePooling2D()(keras.layers.Dense(width)(x))
            model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
            first_weights[label] = np.asarray(model.get_layer("shared").kernel).copy()
            return model
        return build

    plan = RunPlan("smoke", 64, 32, 2, 32, str(tmp_path))
    histories = notebook.train_arms(
        {"narrow": arm("narrow", 2), "wide": arm("wide", 8)},
        load_cifar(source=tiny_cifar).take(64, 32), plan, "99-test", out_prefix="cmp_",
        learning_rate=0.05)
    assert list(histories) == ["narrow", "wide"]
    assert [len(rows) for rows in histories.values()] == [2, 2]
    assert (tmp_path / "cmp_wide" / "history.csv").exists()
    # The same seed before each build: the shared layer starts from one draw.
    np.testing.assert_array_equal(first_weights["narrow"], first_weights["wide"])
    with open(tmp_path / "runs.csv") as f:   # smoke rows go to the runs dir
        assert f.read().count("99-test") == 2

    lines = notebook.error_summary(histories).splitlines()
    rows = histories["wide"]
    assert lines[1].startswith("wide    training error by epoch "
                               f"{1 - rows[0]['accuracy']:.3f} {1 - rows[1]['accuracy']:.3f}; "
                               f"final test accuracy {rows[1]['val_accuracy']:.3f}")
