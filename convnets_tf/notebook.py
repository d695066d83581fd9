"""How big a notebook's training run is: smoke, CPU or accelerator.

Each notebook states its run sizes once and lets the machine pick:

    plan = plan_run(
        cpu={"train_images": 4096, "test_images": None, "epochs": 5, "batch_size": 128},
        accelerator={"train_images": None, "test_images": None, "epochs": 30, "batch_size": 128},
    )
    print(plan)   # one line: mode, images, epochs, batch, where runs go
    data = load_cifar("cifar10").take(plan.train_images, plan.test_images)

The mode is "smoke" when the environment sets `CONVNETS_TF_SMOKE=1` (CI: two
training batches, one test batch, one epoch, outputs in a temporary directory that is
removed when the Python process exits), else "accelerator" when TensorFlow
sees a GPU or TPU, else "cpu".
"""

import atexit
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import keras

from convnets_tf.history import read_rows
from convnets_tf.results import record_run
from convnets_tf.train import has_accelerator, train_cifar

# Smoke runs only check that every cell runs: two training steps and one
# test batch cost a few seconds even for the largest CIFAR models.
SMOKE_BATCH = 32
_KEYS = ("train_images", "test_images", "epochs", "batch_size")
_PREFIX = "convnets_tf_smoke_runs_"


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """The run size a notebook uses; `None` images means all of them."""

    mode: str
    train_images: int | None
    test_images: int | None
    epochs: int
    batch_size: int
    runs_dir: str

    def __str__(self):
        def images(n):
            return "all" if n is None else f"{n:,}"

        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        return (
            f"{self.mode} run: {images(self.train_images)} training images, "
            f"{images(self.test_images)} test images, {epochs}, batch {self.batch_size}, "
            f"outputs in {self.runs_dir}"
        )


def smoke_mode():
    """Whether `CONVNETS_TF_SMOKE=1`: CI's tiny runs of every notebook."""
    return os.environ.get("CONVNETS_TF_SMOKE") == "1"


def plan_run(cpu, accelerator, smoke=None):
    """The run size for this machine, a `RunPlan`.

    `cpu`, `accelerator` and `smoke` are dicts with the keys `train_images`
    and `test_images` (None: all images; both default to None), `epochs` and
    `batch_size`. `smoke` defaults to one epoch of two batches of training images
    and one batch of test images, at the cpu batch size capped at 32; keys
    given in `smoke` replace those.

    `runs_dir` is "runs" (git-ignored; point it elsewhere, e.g. Google
    Drive, to keep runs across a Colab reset), except in smoke mode: then a
    fresh temporary directory, deleted when the interpreter exits, so CI
    leaves nothing behind. A process killed outright runs no exit handlers
    (nbval stops notebook kernels with SIGKILL), so each smoke plan also
    removes the smoke directories of processes that have ended
    (`remove_stale_runs_dirs`).
    """
    cpu = _checked("cpu", cpu)
    accelerator = _checked("accelerator", accelerator)
    if smoke_mode():
        batch = (smoke or {}).get("batch_size", min(cpu["batch_size"], SMOKE_BATCH))
        smoke = _checked("smoke", {"train_images": 2 * batch, "test_images": batch,
                                   "epochs": 1, "batch_size": batch, **(smoke or {})})
        return RunPlan("smoke", **smoke, runs_dir=_temporary_runs_dir())
    if has_accelerator():
        return RunPlan("accelerator", **accelerator, runs_dir="runs")
    return RunPlan("cpu", **cpu, runs_dir="runs")


def train_arms(builders, data, plan, notebook, out_prefix="", strategy=None, **recipe):
    """Trains the arms of a controlled comparison one after another.

    `builders` maps each arm's label to a function of no arguments that
    returns its model. Every arm gets the same data, `plan` (epochs, batch),
    `recipe` and random seed, reset before its model is built, so arms that
    share layers start from the same weights. Each run goes to
    `{plan.runs_dir}/{out_prefix}{label}` (a finished one is only reloaded)
    and gets its row in the results table (`record_run`). Returns each
    arm's `history.csv` rows, by label.
    """
    histories = {}
    for label, build_model in builders.items():
        out = f"{plan.runs_dir}/{out_prefix}{label}"
        start = time.time()
        keras.utils.set_random_seed(0)
        train_cifar(build_model, data, epochs=plan.epochs, batch_size=plan.batch_size,
                    out_dir=out, strategy=strategy, verbose=2, **recipe)
        record_run(plan, out, notebook=notebook, label=label)
        histories[label] = read_rows(f"{out}/history.csv")
        print(f"{label}: trained in {time.time() - start:.0f} s\n")
    return histories


def error_summary(histories):
    """One line per run of `train_arms`: its training error after each
    epoch, its final test accuracy and its training time."""
    width = max(map(len, histories))
    return "\n".join(
        f"{label:<{width}}  training error by epoch "
        + " ".join(f"{1 - row['accuracy']:.3f}" for row in rows)
        + f"; final test accuracy {rows[-1]['val_accuracy']:.3f}; "
        f"{sum(row['seconds'] for row in rows):.0f} s"
        for label, rows in histories.items())


def _checked(mode, sizes):
    unknown = set(sizes) - set(_KEYS)
    missing = {"epochs", "batch_size"} - set(sizes)
    if unknown or missing:
        raise ValueError(
            f"plan_run: {mode} needs the keys {_KEYS} (images default to None, all); "
            f"unknown {sorted(unknown)}, missing {sorted(missing)}."
        )
    return {"train_images": None, "test_images": None, **sizes}


def remove_stale_runs_dirs(directory=None):
    """Removes the smoke-mode runs directories, in `directory` (default: the
    temporary directory), of processes that are no longer running; returns
    their paths. Each name carries its process id."""
    removed = []
    for path in sorted(Path(directory or tempfile.gettempdir()).glob(_PREFIX + "*")):
        pid = path.name[len(_PREFIX):].split("_", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _temporary_runs_dir():
    remove_stale_runs_dirs()
    path = tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}_")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
