import ctypes
import gc
import os
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_sample.npz"


class Killed(BaseException):
    """Stands in for a kill: nothing after it runs, and nothing catches it."""


@pytest.fixture
def kill_after_epoch(monkeypatch):
    """`kill_after_epoch(n)` kills the next `train_cifar` run with `Killed`
    once its n-th epoch (counting from 1) is backed up, as a kill between
    epochs would; `monkeypatch.undo()` lifts it."""
    from convnets_tf import train

    backup_epoch_end = train.AtomicBackupAndRestore.on_epoch_end

    def kill_after(finished):
        def killed(self, epoch, logs=None):
            backup_epoch_end(self, epoch, logs)
            if epoch + 1 == finished:
                raise Killed

        monkeypatch.setattr(train.AtomicBackupAndRestore, "on_epoch_end", killed)

    return kill_after


@pytest.fixture(autouse=True)
def float32_policy():
    """Every test starts and ends in float32, whatever it sets, and frees
    the models it built: a worker builds every registered model in turn,
    and without this it grew past 12 GB and swapped."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")
    keras.backend.clear_session()
    gc.collect()
    if sys.platform == "linux":  # hand freed heap pages back to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@pytest.fixture
def tiny_cifar(tmp_path):
    """A small CIFAR-10-shaped .npz: real sample images when available."""
    source = os.environ.get("CONVNETS_TF_DATA") or SAMPLE
    rng = np.random.default_rng(0)
    if Path(source).exists():
        with np.load(source) as data:
            arrays = {
                "x_train": data["x_train"][:512], "y_train": data["y_train"][:512],
                "x_test": data["x_test"][:128], "y_test": data["y_test"][:128],
            }
    else:
        arrays = {
            "x_train": rng.integers(0, 256, (512, 32, 32, 3), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 512, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (128, 32, 32, 3), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 128, dtype=np.uint8),
        }
    path = tmp_path / "tiny_cifar10.npz"
    np.savez(path, **arrays)
    return path


def pytest_sessionfinish(session, exitstatus):
    """nbval kills notebook kernels (SIGKILL), so the last smoke-mode
    notebook's runs directory outlives it: remove those of ended processes."""
    from convnets_tf.notebook import remove_stale_runs_dirs

    remove_stale_runs_dirs()
