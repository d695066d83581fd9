"""The training recipe: distribution strategy, precision policy, compile and
fit with resumable callbacks.

    model = train_cifar(
        lambda: build("lenet5", input_shape=(32, 32, 3), num_classes=10),
        load_cifar("cifar10"), epochs=30, batch_size=128, out_dir="runs/lenet5")

Running the same call again after an interruption resumes from the last
finished epoch in `out_dir`.
"""

import csv
import glob
import json
import math
import numbers
import os
import shutil
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import tensorflow as tf

from convnets_tf.data import check_arrays, make_dataset
from convnets_tf.files import atomic_path
from convnets_tf.history import read_header, read_rows
from convnets_tf.plots import plot_history

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
# Each optimizer's default peak learning rate and weight decay.
OPTIMIZERS = {"sgd": (0.1, 5e-4), "adamw": (1e-3, 0.05)}
MAX_LEARNING_RATE = 10.0
# CIFAR images are 32x32; models that need more are trained on them resized.
# Far larger sizes only exhaust memory.
MAX_IMAGE_SIZE = 512
RUN_FILES = ("run.json", "history.csv", "best.keras", "model.keras", "curves.png")


def _tpu_resolver():
    """Returns a TPU cluster resolver, or None where there is no TPU.

    Only machines that can have a TPU are probed: a TPU VM exposes
    /dev/accel*, a TPU node sets COLAB_TPU_ADDR or TPU_NAME. Elsewhere the
    resolver would wait on a metadata server that is not there.
    """
    on_tpu_vm = bool(glob.glob("/dev/accel*"))
    if not (on_tpu_vm or "COLAB_TPU_ADDR" in os.environ or "TPU_NAME" in os.environ):
        return None
    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu="local" if on_tpu_vm else None
        )
    except (ValueError, RuntimeError, tf.errors.OpError):
        return None


_tpu_strategy = None


def get_strategy():
    """Picks the distribution strategy: TPU, then several GPUs, then default.

    The TPU strategy is made once and reused: initialising the TPU system
    again would wipe what is on it.
    """
    global _tpu_strategy
    if _tpu_strategy is None:
        resolver = _tpu_resolver()
        if resolver is not None:
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            _tpu_strategy = tf.distribute.TPUStrategy(resolver)
    if _tpu_strategy is not None:
        return _tpu_strategy
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def has_accelerator():
    return bool(
        tf.config.list_logical_devices("TPU")
        or tf.config.list_logical_devices("GPU")
    )


def _auto_precision():
    """bfloat16 on TPU; float16 where every GPU has tensor cores (compute
    capability 7.0 or higher); float32 on CPU, where 16-bit math is slower."""
    if tf.config.list_logical_devices("TPU"):
        return "mixed_bfloat16"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and all(
        tf.config.experimental.get_device_details(gpu).get(
            "compute_capability", (0, 0)
        ) >= (7, 0)
        for gpu in gpus
    ):
        return "mixed_float16"
    return "float32"


def set_precision(policy="auto"):
    """Sets Keras' global dtype policy and returns it.

    Call it before building the model: layers take the policy at creation.
    """
    if policy not in PRECISIONS:
        raise ValueError(
            f"Unknown precision {policy!r}; choose one of {', '.join(PRECISIONS)}."
        )
    if policy == "auto":
        policy = _auto_precision()
    keras.mixed_precision.set_global_policy(policy)
    return keras.mixed_precision.global_policy()


def _check_count(what, value):
    if not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what} must be a whole number of at least 1, got {value!r}.")


def full_recipe(optimizer="sgd", learning_rate=None, weight_decay=None,
                label_smoothing=0.1, warmup_epochs=None, loss_weights=None):
    """The recipe's settings, checked, with the optimizer's defaults filled in
    (see `compile_model`); they are also part of a run's definition."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
        )
    default_rate, default_decay = OPTIMIZERS[optimizer]
    if learning_rate is None:
        learning_rate = default_rate
    # Zero or less does not train, and rates far above any recipe's diverge
    # until the loss overflows, which looks like training for a while.
    if not 0 < learning_rate <= MAX_LEARNING_RATE:
        raise ValueError(
            f"The learning rate must be above 0 and at most {MAX_LEARNING_RATE}, got "
            f"{learning_rate} (the default for {optimizer} is {default_rate})."
        )
    return {
        "optimizer": optimizer, "learning_rate": learning_rate,
        "weight_decay": default_decay if weight_decay is None else weight_decay,
        "label_smoothing": label_smoothing, "warmup_epochs": warmup_epochs,
        "loss_weights": loss_weights,
    }


def compile_model(model, steps_per_epoch, epochs, **recipe):
    """Compiles `model` with the shared recipe.

    SGD with Nesterov momentum 0.9 (learning rate 0.1, weight decay 5e-4) or
    AdamW (1e-3, 0.05); a linear warmup over `warmup_epochs` (default: a
    tenth of the run, at most 5 epochs) into a cosine decay to zero; label
    smoothing (default 0.1). Biases and normalisation parameters get no
    weight decay. Under `mixed_float16` Keras wraps the optimizer in a
    LossScaleOptimizer. XLA is on for GPU and TPU and off on CPU, where it
    is slower. Targets are one-hot (`make_dataset(..., num_classes=...)`),
    which label smoothing requires.

    A model with several outputs has its main classifier first and auxiliary
    classifiers after it (GoogLeNet, Inception v3). Each output gets the same
    loss, weighted by `loss_weights[output name]` (1.0 when not given);
    accuracy is measured on the main output only.

    `recipe`: optimizer ("sgd" or "adamw"), learning_rate, weight_decay,
    label_smoothing, warmup_epochs, loss_weights; see `full_recipe`.
    """
    _check_count("epochs", epochs)
    _check_count("steps_per_epoch", steps_per_epoch)
    recipe = full_recipe(**recipe)
    names = output_names(model)
    loss_weights = recipe["loss_weights"] or {}
    unknown = sorted(set(loss_weights) - set(names))
    if unknown:
        raise ValueError(
            f"loss_weights names {unknown}, which are not outputs of "
            f"{model.name}; its outputs are {names}."
        )
    schedule = warmup_cosine(recipe["learning_rate"], steps_per_epoch, epochs,
                             recipe["warmup_epochs"])
    if recipe["optimizer"] == "sgd":
        opt = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True,
                                   weight_decay=recipe["weight_decay"])
    else:
        opt = keras.optimizers.AdamW(schedule, weight_decay=recipe["weight_decay"])
    opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe["label_smoothing"])
    if len(names) == 1:
        model.compile(optimizer=opt, loss=loss, metrics=["accuracy"],
                      jit_compile=has_accelerator())
        return
    model.compile(
        optimizer=opt,
        loss={name: loss for name in names},
        loss_weights={name: loss_weights.get(name, 1.0) for name in names},
        metrics={names[0]: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=has_accelerator(),
    )


def output_names(model):
    """The names of a model's outputs. Functional models name them after
    their output layers; a Sequential model has no `output_names`, and its
    one output is its last layer's."""
    return getattr(model, "output_names", None) or [model.layers[-1].name]


def warmup_cosine(peak, steps_per_epoch, epochs, warmup_epochs=None):
    """Linear warmup from 0 to `peak`, then cosine decay to 0 at the end.

    `warmup_epochs` defaults to a tenth of the run, at most 5 epochs.
    """
    if warmup_epochs is None:
        warmup_epochs = min(5, epochs // 10)
    warmup_steps = warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup_steps else peak,
        decay_steps=max(1, (epochs - warmup_epochs) * steps_per_epoch),
        warmup_target=peak if warmup_steps else None,
        warmup_steps=warmup_steps,
    )


class MainOutputAccuracy(keras.callbacks.Callback):
    """Logs a multi-output model's main accuracy as `accuracy` and
    `val_accuracy`, the names every other model logs (Keras calls them
    `{output}_accuracy`), so that the history, the best checkpoint and the
    plots read the same columns for every model. Must run first."""

    def __init__(self, main_output):
        super().__init__()
        self.main_output = main_output

    def on_epoch_end(self, epoch, logs=None):
        for prefix in ("", "val_"):
            key = f"{prefix}{self.main_output}_accuracy"
            if logs is not None and key in logs:
                logs[f"{prefix}accuracy"] = logs[key]


def model_file_problem(path):
    """Why `path` is not a readable `.keras` model file, or None if it is."""
    path = Path(path)
    if not path.exists():
        return f"{path} does not exist"
    if path.is_dir():
        return f"{path} is a directory, not a .keras file"
    if path.stat().st_size == 0:
        return f"{path} is empty (0 bytes)"
    # A .keras file is a zip archive holding the model's config.json.
    if not zipfile.is_zipfile(path):
        return f"{path} is not a Keras model file (.keras)"
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            return f"{path} is a zip archive but not a Keras model file (.keras)"
    return None


class BestCheckpoint(keras.callbacks.Callback):
    """Saves the model to `path` whenever `val_accuracy` beats `best`.

    Written through a temporary file, so a kill leaves the previous best
    intact. A `path` lost before this run (missing or empty) is rewritten:
    by the first epoch run, or, if none is left to run, by the final model.
    """

    def __init__(self, path, best=None):
        super().__init__()
        self.path = Path(path)
        self.best = None if model_file_problem(self.path) else best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get("val_accuracy")
        if value is not None and (self.best is None or value > self.best):
            self.best = value
            self.save()

    def on_train_end(self, logs=None):
        if model_file_problem(self.path) is not None:
            self.save()

    def save(self):
        with atomic_path(self.path) as partial:
            self.model.save(partial)


class HistoryLogger(keras.callbacks.Callback):
    """Keeps one row per finished epoch in a CSV file, each epoch once.

    Besides Keras' metrics, each row has `seconds`, the epoch's wall time
    including evaluation, and `images_per_second`, the training images of
    the epoch (`images_per_epoch`) over the time spent training them.

    The file is rewritten whole through a temporary file at every epoch's
    end, so a kill leaves the old or the new file, never a torn one. An
    epoch that reruns after a kill (its row was written, its backup was not)
    replaces its row, and any later one.
    """

    def __init__(self, path, images_per_epoch=None):
        super().__init__()
        self.path = Path(path)
        self.images_per_epoch = images_per_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._train_end = time.perf_counter(), None

    def on_test_begin(self, logs=None):  # fit's evaluation of the epoch
        self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        train_seconds = (self._train_end or now) - self._epoch_start
        logs = {**(logs or {}), "seconds": round(now - self._epoch_start, 3)}
        if self.images_per_epoch:
            logs["images_per_second"] = round(self.images_per_epoch / train_seconds, 1)
        header = read_header(self.path) or ["epoch", *sorted(logs)]
        rows = [row for row in read_rows(self.path, raw=True) if int(row[0]) < epoch]
        rows.append([epoch, *(logs.get(key, "NA") for key in header[1:])])
        with atomic_path(self.path) as partial, open(partial, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore whose files are never half-written.

    Keras writes the backup in place, so a `kill -9` during the write leaves
    a corrupt file that stops the run from resuming. Here both files are
    written beside the old ones, then renamed over them (an atomic step).
    """

    def on_train_begin(self, logs=None):
        # A backup of another model makes Keras warn once per layer that does
        # not fit, then fail with a dump of every weight array; a backup that
        # only partly loads must not resume either.
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("error", category=UserWarning, module="keras")
                super().on_train_begin(logs)
        except (ValueError, UserWarning):
            raise ValueError(
                f"The backup in {self.backup_dir} does not fit {self.model.name}: "
                "the folder holds another model's run. Use a new --out (out_dir), "
                "or --restart (restart=True) to delete that run and start over."
            ) from None

    def _save_model(self):
        final = self._weights_path, self._training_metadata_path
        # The metadata, which marks the epoch finished, is renamed last.
        with atomic_path(final[1]) as metadata, atomic_path(final[0]) as weights:
            self._weights_path, self._training_metadata_path = weights, metadata
            try:
                super()._save_model()
            finally:
                self._weights_path, self._training_metadata_path = final


def finished_epochs(out_dir):
    """How many epochs of the run in `out_dir` are finished and backed up."""
    path = Path(out_dir) / "backup" / "training_metadata.json"
    return json.loads(path.read_text())["epoch"] if path.exists() else 0


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Stops training on a NaN or infinite loss with an error that says what
    to do. The last finished epoch stays in the backup."""

    def __init__(self):
        super().__init__(raise_error=True)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise FloatingPointError(
                f"The training loss became {float(loss)} at batch {batch}. "
                "Lower the learning rate, check the input data for NaN or "
                "infinite values, or train in float32 (precision 'float32'). "
                "Rerunning the same command resumes from the last finished epoch."
            )


def training_callbacks(out_dir, main_output=None, images_per_epoch=None):
    """Best checkpoint, CSV history, backup for resuming and a NaN guard.

    Order matters at the end of an epoch: the best checkpoint and the
    history row are written before the backup that marks the epoch
    finished, so an epoch that has a row has had its checkpoint.
    `main_output` names the main output of a multi-output model;
    `images_per_epoch` gives the history its images per second.
    """
    out_dir = Path(out_dir)
    history = out_dir / "history.csv"
    # A resumed run must beat the best epoch of the run it continues.
    best_so_far = max(
        (row["val_accuracy"] for row in read_rows(history) if "val_accuracy" in row),
        default=None,
    )
    renames = [MainOutputAccuracy(main_output)] if main_output else []
    return renames + [
        BestCheckpoint(out_dir / "best.keras", best_so_far),
        HistoryLogger(history, images_per_epoch),
        # Kept after the last epoch, so rerunning a finished run is a no-op.
        AtomicBackupAndRestore(str(out_dir / "backup"), delete_checkpoint=False),
        TerminateOnNaN(),
    ]


def describe_run(data, epochs, batch_size, strategy=None, precision="auto"):
    """Hardware, strategy, precision, XLA, data and schedule of a run, in
    one line, so that every reported number says where it came from.

    `strategy` and `precision` are what `train_cifar` was given (by default
    what it picks itself), so the line is true before and after the run.
    """
    tpus = tf.config.list_logical_devices("TPU")
    gpus = tf.config.list_physical_devices("GPU")
    if tpus:
        hardware = f"{len(tpus)} TPU cores"
    elif gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        hardware = f"{len(gpus)} x {details.get('device_name', 'GPU')}"
    else:
        hardware = f"{len(os.sched_getaffinity(0))}-core CPU"
    strategy = strategy or get_strategy()
    replicas = strategy.num_replicas_in_sync
    # TensorFlow's one-device default is a private class, _DefaultDistributionStrategy.
    strategy_name = type(strategy).__name__.lstrip("_")
    policy = _auto_precision() if precision == "auto" else precision
    (x_train, _), (x_test, _) = data
    source = getattr(data, "source", None)
    source = f" ({os.path.basename(source)})" if source else ""
    return (
        f"{hardware}, {strategy_name} ({replicas} replica{'s' * (replicas != 1)}), "
        f"{policy}, XLA {'on' if has_accelerator() else 'off'}, "
        f"{len(x_train):,} training / {len(x_test):,} test images{source}, "
        f"{epochs} epoch{'s' * (epochs != 1)}, batch {batch_size}"
    )


def check_run(epochs, batch_size, out_dir, **recipe):
    """Checks what a run is given, before anything is built.

    Returns:
        The run directory (created if needed, and writable) and the full
        recipe (see `full_recipe`).
    """
    _check_count("epochs", epochs)
    _check_count("batch size", batch_size)
    recipe = full_recipe(**recipe)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as err:
        raise ValueError(
            f"Cannot use {out_dir} as the run directory ({err.strerror}); "
            "choose another --out (out_dir)."
        ) from None
    return out_dir, recipe


def check_image_size(size):
    """Refuses image sizes no model can train on in memory. Each model
    checks its own minimum when it is built."""
    if not 1 <= size <= MAX_IMAGE_SIZE:
        raise ValueError(
            f"The image size must be from 1 to {MAX_IMAGE_SIZE} pixels (CIFAR's is 32), "
            f"got {size}."
        )


def _run_definition(model, data, batch_size, epochs, recipe):
    """What makes a run this run: a rerun must match it to resume it."""
    import convnets_tf

    definition = {
        "model": model.name, "parameters": model.count_params(),
        "dataset": getattr(data, "name", None),
        "train_images": len(data[0][0]), "test_images": len(data[1][0]),
        "image_size": model.input_shape[1:3], "batch_size": batch_size,
        "epochs": epochs, "precision": model.dtype_policy.name, **recipe,
        # Recorded, not compared: an upgrade may resume a run.
        "version": convnets_tf.__version__,
    }
    return json.loads(json.dumps(definition))  # as it reads back


def _check_definition(out_dir, definition):
    """Refuses to continue a run in `out_dir` that `definition` differs from."""
    path = out_dir / "run.json"
    recorded = json.loads(path.read_text()) if path.exists() else definition
    differences = [
        f"{key} {recorded.get(key)!r} -> {value!r}"
        for key, value in definition.items()
        if key != "version" and recorded.get(key) != value
    ]
    if differences:
        raise ValueError(
            f"{out_dir} holds a different run ({'; '.join(differences)}). Use a new "
            "--out (out_dir), or --restart (restart=True) to delete that run and start over."
        )


def _record_definition(out_dir, definition):
    path = out_dir / "run.json"
    if not path.exists():
        with atomic_path(path) as partial:
            partial.write_text(json.dumps(definition, indent=1) + "\n")


def _delete_run(out_dir):
    for name in RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "backup", ignore_errors=True)


def train_cifar(
    build_model,
    data,
    epochs,
    batch_size,
    out_dir,
    precision="auto",
    strategy=None,
    verbose=1,
    restart=False,
    **recipe,
):
    """Trains a model on CIFAR with the shared recipe; resumes if interrupted.

    The model's input size decides the image size: images are resized in
    the input pipeline when it is not the data's (for models whose minimum
    input is larger than 32x32).

    `out_dir` records the run's definition (model, data set, image size,
    batch size, epochs, precision, recipe) in `run.json` on the first start.
    Running the same call again resumes from the last finished epoch; a call
    that differs in any of these is refused, unless `restart=True`, which
    deletes the old run first. So a finished run is not extended by a larger
    `epochs`: its cosine schedule has already decayed to zero at its end.

    Args:
        build_model: a function of no arguments returning the model; it is
            called inside the strategy's scope, after the precision is set.
        data: `((x_train, y_train), (x_test, y_test))`, uint8 images and
            integer labels, such as `load_cifar` returns.
        epochs: total epochs; a resumed run only runs the missing ones.
        batch_size: the global batch, split across replicas.
        out_dir: gets `run.json`, `history.csv`, `best.keras`, `backup/`,
            the final `model.keras` and `curves.png`, each written
            atomically.
        precision: see `set_precision`; it applies to the model built here,
            and the previous global policy is restored afterwards.
        strategy: a `tf.distribute.Strategy`; by default `get_strategy()`.
        verbose: Keras' progress display: 1 a bar, 2 a line per epoch, 0
            nothing (not even the resuming line).
        restart: delete a previous run in `out_dir` and start over.
        **recipe: passed to `compile_model` (optimizer, learning_rate,
            loss_weights, ...).

    Returns:
        The trained model.
    """
    out_dir, recipe = check_run(epochs, batch_size, out_dir, **recipe)
    if restart:
        _delete_run(out_dir)
    strategy = strategy or get_strategy()
    previous_policy = keras.mixed_precision.global_policy()
    set_precision(precision)
    try:
        with strategy.scope():
            model = build_model()
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)

    image_size = model.input_shape[1:3]
    if None not in image_size:
        check_image_size(max(image_size))
    names = output_names(model)
    num_classes = model.outputs[0].shape[-1]
    (x_train, y_train), (x_test, y_test) = check_arrays(
        f"data for {model.name} ({num_classes} classes)", *data[0], *data[1],
        num_classes, image_shape=(None, None, model.input_shape[-1]),
    )
    steps_per_epoch = len(x_train) // batch_size
    if steps_per_epoch == 0:
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(x_train)} "
            "training images; use a smaller batch."
        )
    definition = _run_definition(model, data, batch_size, epochs, recipe)
    _check_definition(out_dir, definition)
    with strategy.scope():
        compile_model(model, steps_per_epoch, epochs, **recipe)

    done = finished_epochs(out_dir)
    if done and verbose:
        print(f"resuming from epoch {done + 1} of {epochs}" if done < epochs
              else f"all {epochs} epochs of this run are finished")
    # Exactly what the compiled model consumes: its input size, one-hot
    # targets for each of its outputs.
    targets = dict(image_size=image_size, num_classes=num_classes, outputs=names)
    train_ds = make_dataset(x_train, y_train, batch_size, training=True, **targets)
    test_ds = make_dataset(x_test, y_test, batch_size, training=False, **targets)
    model.fit(
        train_ds,
        validation_data=test_ds,
        epochs=epochs,
        callbacks=training_callbacks(
            out_dir, names[0] if len(names) > 1 else None, steps_per_epoch * batch_size,
        ) + [
            # Recorded once the backup, if any, was restored into this model:
            # a folder from before run.json existed must not get a wrong one.
            keras.callbacks.LambdaCallback(
                on_train_begin=lambda logs: _record_definition(out_dir, definition)),
        ],
        verbose=verbose,
        shuffle=False,  # the dataset reshuffles itself every epoch
    )
    with atomic_path(out_dir / "model.keras") as partial:
        model.save(partial)
    plt.close(plot_history(out_dir / "history.csv", out_dir / "curves.png"))
    return model
