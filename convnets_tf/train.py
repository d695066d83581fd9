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
import math
import os
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import tensorflow as tf

from convnets_tf.data import make_dataset
from convnets_tf.history import read_header, read_rows
from convnets_tf.plots import plot_history

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
OPTIMIZERS = ("sgd", "adamw")


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


def _has_accelerator():
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


def compile_model(
    model,
    steps_per_epoch,
    epochs,
    optimizer="sgd",
    learning_rate=None,
    weight_decay=None,
    label_smoothing=0.1,
    warmup_epochs=None,
    loss_weights=None,
):
    """Compiles `model` with the shared recipe.

    SGD with Nesterov momentum 0.9 (learning rate 0.1, weight decay 5e-4) or
    AdamW (1e-3, 0.05); a linear warmup over `warmup_epochs` (default: a
    tenth of the run, at most 5 epochs) into a cosine decay to zero; label
    smoothing. Biases and normalisation parameters get no weight decay.
    Under `mixed_float16` Keras wraps the optimizer in a LossScaleOptimizer.
    XLA is on for GPU and TPU and off on CPU, where it is slower.
    Labels are one-hot (see `one_hot`), which label smoothing requires.

    A model with several outputs has its main classifier first and auxiliary
    classifiers after it (GoogLeNet, Inception v3). Each output gets the same
    loss, weighted by `loss_weights[output name]` (1.0 when not given);
    accuracy is measured on the main output only.
    """
    names = output_names(model)
    unknown = sorted(set(loss_weights or {}) - set(names))
    if unknown:
        raise ValueError(
            f"loss_weights names {unknown}, which are not outputs of "
            f"{model.name}; its outputs are {names}."
        )
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
        )
    peak = learning_rate or (0.1 if optimizer == "sgd" else 1e-3)
    schedule = warmup_cosine(peak, steps_per_epoch, epochs, warmup_epochs)
    if optimizer == "sgd":
        opt = keras.optimizers.SGD(
            schedule, momentum=0.9, nesterov=True,
            weight_decay=5e-4 if weight_decay is None else weight_decay,
        )
    else:
        opt = keras.optimizers.AdamW(
            schedule, weight_decay=0.05 if weight_decay is None else weight_decay
        )
    opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    if len(names) == 1:
        model.compile(optimizer=opt, loss=loss, metrics=["accuracy"],
                      jit_compile=_has_accelerator())
        return
    model.compile(
        optimizer=opt,
        loss={name: loss for name in names},
        loss_weights={name: (loss_weights or {}).get(name, 1.0) for name in names},
        metrics={names[0]: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=_has_accelerator(),
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


def one_hot(dataset, num_classes, output_names=None):
    """Turns a dataset's integer labels into one-hot vectors; given a
    multi-output model's `output_names`, into one such vector per output."""

    def targets(x, y):
        y = tf.one_hot(y, num_classes)
        if output_names is None or len(output_names) == 1:
            return x, y
        return x, {name: y for name in output_names}

    return dataset.map(targets, num_parallel_calls=tf.data.AUTOTUNE)


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


class ResumableCSVLogger(keras.callbacks.CSVLogger):
    """Appends one row per epoch to a CSV file, each epoch exactly once.

    A run killed after writing epoch N's row but before its backup reruns
    epoch N; the first epoch a (resumed) run starts drops the rows of that
    epoch and any later one before they are written again.
    """

    def __init__(self, filename):
        super().__init__(filename, append=True)

    def on_train_begin(self, logs=None):
        self._trimmed = False
        super().on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        if not self._trimmed:
            kept = [
                row for row in read_rows(self.filename, raw=True)
                if int(row[0]) < epoch
            ]
            header = read_header(self.filename)
            self.csv_file.seek(0)
            self.csv_file.truncate()
            if header and kept:
                writer = csv.writer(self.csv_file)
                writer.writerow(header)
                writer.writerows(kept)
            self.csv_file.flush()
            self.append_header = not kept
            self._trimmed = True
        super().on_epoch_begin(epoch, logs)


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore whose files are never half-written.

    Keras writes the backup in place, so a `kill -9` during the write leaves
    a corrupt file that stops the run from resuming. Here both files are
    written beside the old ones, then renamed over them (an atomic step).
    """

    def _save_model(self):
        final = self._weights_path, self._training_metadata_path
        partial = (
            os.path.join(self.backup_dir, "partial.weights.h5"),
            os.path.join(self.backup_dir, "partial_metadata.json"),
        )
        self._weights_path, self._training_metadata_path = partial
        try:
            super()._save_model()
        finally:
            self._weights_path, self._training_metadata_path = final
        for source, target in zip(partial, final):
            os.replace(source, target)


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


def training_callbacks(out_dir, main_output=None):
    """CSV history, best checkpoint, backup for resuming and a NaN guard.

    Order matters at the end of an epoch: the history row and the best
    checkpoint are written before the backup that marks the epoch finished.
    `main_output` names the main output of a multi-output model.
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
        ResumableCSVLogger(history),
        keras.callbacks.ModelCheckpoint(
            out_dir / "best.keras", monitor="val_accuracy", mode="max",
            save_best_only=True, initial_value_threshold=best_so_far,
        ),
        # Kept after the last epoch, so rerunning a finished run is a no-op.
        AtomicBackupAndRestore(str(out_dir / "backup"), delete_checkpoint=False),
        TerminateOnNaN(),
    ]


def describe_run(data, epochs, batch_size):
    """Hardware, precision, data and schedule of a run, in one line, so
    that every reported number says where it came from."""
    tpus = tf.config.list_logical_devices("TPU")
    gpus = tf.config.list_physical_devices("GPU")
    if tpus:
        hardware = f"{len(tpus)} TPU cores"
    elif gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        hardware = f"{len(gpus)} x {details.get('device_name', 'GPU')}"
    else:
        hardware = f"{len(os.sched_getaffinity(0))}-core CPU"
    (x_train, _), (x_test, _) = data
    source = os.path.basename(os.environ.get("CONVNETS_TF_DATA", "")) or "keras.datasets"
    return (
        f"{hardware}, {keras.mixed_precision.global_policy().name}, "
        f"{len(x_train):,} training / {len(x_test):,} test images ({source}), "
        f"{epochs} epoch{'s' if epochs != 1 else ''}, batch {batch_size}"
    )


def train_cifar(
    build_model,
    data,
    epochs,
    batch_size,
    out_dir,
    precision="auto",
    strategy=None,
    verbose=1,
    image_size=None,
    **recipe,
):
    """Trains a model on CIFAR with the shared recipe; resumes if interrupted.

    Args:
        build_model: a function of no arguments returning the model; it is
            called inside the strategy's scope, after the precision is set.
        data: `((x_train, y_train), (x_test, y_test))` from `load_cifar`.
        epochs: total epochs; a resumed run only runs the missing ones.
        batch_size: the global batch, split across replicas.
        out_dir: gets `history.csv`, `best.keras`, `backup/`, the final
            `model.keras` and `curves.png`.
        precision: see `set_precision`.
        strategy: a `tf.distribute.Strategy`; by default `get_strategy()`.
        verbose: Keras' progress display: 1 a bar, 2 a line per epoch.
        image_size: resize the images to this size in the input pipeline,
            for models whose minimum input is larger than 32x32.
        **recipe: passed to `compile_model` (optimizer, learning_rate,
            loss_weights, ...).

    Returns:
        The trained model.
    """
    (x_train, y_train), (x_test, y_test) = data
    steps_per_epoch = len(x_train) // batch_size
    if steps_per_epoch == 0:
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(x_train)} "
            "training images; use a smaller batch."
        )
    strategy = strategy or get_strategy()
    set_precision(precision)
    with strategy.scope():
        model = build_model()
        compile_model(model, steps_per_epoch, epochs, **recipe)
    names = output_names(model)
    num_classes = model.outputs[0].shape[-1]
    train_ds = one_hot(make_dataset(x_train, y_train, batch_size, training=True,
                                    image_size=image_size), num_classes, names)
    test_ds = one_hot(make_dataset(x_test, y_test, batch_size, training=False,
                                   image_size=image_size), num_classes, names)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.fit(
        train_ds,
        validation_data=test_ds,
        epochs=epochs,
        callbacks=training_callbacks(out_dir, names[0] if len(names) > 1 else None),
        verbose=verbose,
        shuffle=False,  # the dataset reshuffles itself every epoch
    )
    model.save(out_dir / "model.keras")
    plt.close(plot_history(out_dir / "history.csv", out_dir / "curves.png"))
    return model
