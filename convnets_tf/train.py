"""The training recipe: distribution strategy, precision policy, compile and
fit with resumable callbacks.

    model = train_cifar(
        lambda: build("lenet5", input_shape=(32, 32, 3), num_classes=10),
        load_cifar("cifar10"), epochs=30, batch_size=128, out_dir="runs/lenet5")

Running the same call again after an interruption resumes from the last
finished epoch in `out_dir`.
"""

import contextlib
import csv
import glob
import hashlib
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
import numpy as np
import tensorflow as tf

from convnets_tf.data import check_arrays, check_crop_padding, make_dataset
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
RUN_FILES = ("run.json", "history.csv", "best.keras", "model.keras", "final.json",
             "curves.png")
# Test-time translations beyond a few pixels only show the model border.
MAX_TTA_TRANSLATE = 8
# Random-crop translation of training images (`make_dataset`'s default is
# 4); a progressive run may set it per stage, up to this.
MAX_TRANSLATE = 8
MAX_SHIFT_LR_MULTIPLIER = 1024.0
SCHEDULES = ("cosine", "triangular")

# Page's and Jordan's fast CIFAR-10 recipe, as airbench94 sets it (the code's
# `hyp`), in Keras' terms, for batch 1,024: `python -m convnets_tf train
# airbench94 --recipe fast`. airbench sums its loss over the batch and uses
# PyTorch's SGD with coupled weight decay, lr = 11.5 / (1024 * (1 + 1 / (1 -
# 0.85))) and weight decay 0.0153 * 1024 / (that same scale) per step; over a
# mean loss that is a learning rate of 1.5, and its weight decay, which runs
# through the momentum (x 1 / (1 - 0.85)), is Keras' decoupled 0.00887 at a
# learning rate of 1.5. Its 9.9 epochs become 10 here: `train_cifar` counts
# whole epochs. `fast_recipe` scales it to other batch sizes. As airbench,
# it decays the BatchNorm shifts too and pads its crops by reflection.
FAST_RECIPE = dict(
    optimizer="sgd", learning_rate=1.5, momentum=0.85, weight_decay=0.00887,
    label_smoothing=0.2, schedule="triangular", shift_lr_multiplier=64.0,
    lookahead=True, decay_shifts=True, translate=2, crop_padding="reflect", tta=True,
    tta_translate=1,
)
FAST_BATCH_SIZE = 1024
FAST_EPOCHS = 10


def fast_recipe(batch_size=FAST_BATCH_SIZE):
    """`FAST_RECIPE` for `batch_size`: airbench's learning rate is per
    example (it sums the loss over the batch), so over a mean loss it grows
    with the batch; its weight decay per step grows with the batch too,
    which Keras' decoupled decay, multiplied by the learning rate, already
    does."""
    _check_count("batch size", batch_size)
    rate = FAST_RECIPE["learning_rate"] * batch_size / FAST_BATCH_SIZE
    return {**FAST_RECIPE, "learning_rate": round(rate, 6)}


# airbench94 computes its whitening layer from the first 5,000 training images.
WHITENING_IMAGES = 5000


def _tpu_resolver():
    """Returns a TPU cluster resolver, or None where there is no TPU.

    Only machines that can have a TPU are probed: a TPU VM exposes
    /dev/accel*, a TPU node sets COLAB_TPU_ADDR or TPU_NAME. Elsewhere the
    resolver would wait on a metadata server that is not there. A TPU VM
    uses its own chips ("local") unless TPU_NAME names a TPU, such as the
    pod slice it belongs to, whose hosts the resolver then finds.
    """
    on_tpu_vm = bool(glob.glob("/dev/accel*"))
    if not (on_tpu_vm or "COLAB_TPU_ADDR" in os.environ or "TPU_NAME" in os.environ):
        return None
    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu="local" if on_tpu_vm and "TPU_NAME" not in os.environ else None
        )
    except (ValueError, RuntimeError, tf.errors.OpError):
        return None


def cluster_workers():
    """How many workers (a chief included) the `TF_CONFIG` variable names;
    0 where it is not set or names no cluster."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster") or {}
        return len(cluster.get("worker", [])) + len(cluster.get("chief", []))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(
            'TF_CONFIG must be JSON such as {"cluster": {"worker": ["host1:port", '
            '"host2:port"]}, "task": {"type": "worker", "index": 0}}; '
            f"got {raw[:200]!r}."
        ) from None


_cluster_strategy = None


def get_strategy():
    """Picks the distribution strategy: TPU, then several workers, then
    several GPUs, then default.

    Several workers are a cluster of more than one machine (or process)
    named by `TF_CONFIG`, trained in step with MultiWorkerMirroredStrategy
    over all their GPUs (or CPUs). The TPU and multi-worker strategies are
    made once and reused: initialising the TPU system again would wipe what
    is on it, and a second multi-worker strategy cannot join the cluster.
    """
    global _cluster_strategy
    if _cluster_strategy is None:
        resolver = _tpu_resolver()
        if resolver is not None:
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            _cluster_strategy = tf.distribute.TPUStrategy(resolver)
        elif cluster_workers() > 1:
            _cluster_strategy = tf.distribute.MultiWorkerMirroredStrategy()
    if _cluster_strategy is not None:
        return _cluster_strategy
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def has_accelerator():
    """Whether TensorFlow sees a GPU or a TPU.

    A Colab TPU shows as a physical device before the TPU system is
    initialised and as logical devices after.
    """
    return any(
        tf.config.list_physical_devices(kind) or tf.config.list_logical_devices(kind)
        for kind in ("GPU", "TPU")
    )


def hardware():
    """The machine in a few words: its accelerators, else its CPU cores, and
    the number of workers when `TF_CONFIG` names several."""
    tpus = tf.config.list_logical_devices("TPU")
    gpus = tf.config.list_physical_devices("GPU")
    if tpus:
        machine = f"{len(tpus)} TPU cores"
    elif gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        machine = f"{len(gpus)} x {details.get('device_name', 'GPU')}"
    else:
        machine = f"{len(os.sched_getaffinity(0))}-core CPU"
    if cluster_workers() > 1:
        machine = f"{cluster_workers()} workers, each {machine}"
    return machine


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


def _check_fraction(what, value, default):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0 <= value < 1:
        raise ValueError(
            f"{what} must be a number from 0 to below 1 (the default is {default}), "
            f"got {value!r}."
        )


def _check_flag(what, value):
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be True or False, got {value!r}.")


def full_recipe(optimizer="sgd", learning_rate=None, weight_decay=None,
                label_smoothing=0.1, warmup_epochs=None, loss_weights=None,
                bn_momentum=None, bn_reestimate=0, use_ema=False, ema_momentum=0.99,
                tta=False, tta_translate=0, image_sizes=None, translations=None,
                momentum=0.9, schedule="cosine", shift_lr_multiplier=1.0,
                lookahead=False, translate=4, crop_padding="zeros", seed=None,
                decay_shifts=False, randaugment=False):
    """The recipe's settings, checked, with the optimizer's defaults filled in
    (see `compile_model` and `train_cifar`); they are also part of a run's
    definition."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
        )
    if schedule not in SCHEDULES:
        raise ValueError(
            f"Unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}.")
    _check_fraction("momentum", momentum, 0.9)
    if isinstance(shift_lr_multiplier, bool) \
            or not isinstance(shift_lr_multiplier, numbers.Real) \
            or not 0 < shift_lr_multiplier <= MAX_SHIFT_LR_MULTIPLIER:
        raise ValueError(
            f"shift_lr_multiplier must be above 0 and at most {MAX_SHIFT_LR_MULTIPLIER} "
            f"(the default is 1; airbench uses 64), got {shift_lr_multiplier!r}.")
    if optimizer != "sgd" and (shift_lr_multiplier != 1 or momentum != 0.9):
        raise ValueError(
            "momentum and shift_lr_multiplier are options of SGD (optimizer='sgd'); "
            "AdamW's steps do not scale with its gradients.")
    _check_flag("lookahead", lookahead)
    _check_flag("decay_shifts", decay_shifts)
    _check_flag("randaugment", randaugment)
    if isinstance(translate, bool) or not isinstance(translate, numbers.Integral) \
            or not 0 <= translate <= MAX_TRANSLATE:
        raise ValueError(
            f"translate must be a whole number of pixels from 0 to {MAX_TRANSLATE} "
            f"(the default is 4), got {translate!r}.")
    check_crop_padding(crop_padding)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or seed < 0):
        raise ValueError(f"seed must be a whole number, 0 or more, or None; got {seed!r}.")
    if image_sizes is not None and translate != 4:
        raise ValueError("translate is the crop shift of a run at one size; a progressive "
                         "run (image_sizes) takes one per stage, as translations.")
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
    if bn_momentum is not None:
        _check_fraction("bn_momentum", bn_momentum, "the model's own, Keras' 0.99")
    if isinstance(bn_reestimate, bool) or not isinstance(bn_reestimate, numbers.Integral) \
            or bn_reestimate < 0:
        raise ValueError(
            "bn_reestimate must be a whole number of training batches, 0 for none, "
            f"got {bn_reestimate!r}."
        )
    _check_flag("use_ema", use_ema)
    _check_fraction("ema_momentum", ema_momentum, 0.99)
    _check_flag("tta", tta)
    if isinstance(tta_translate, bool) or not isinstance(tta_translate, numbers.Integral) \
            or not 0 <= tta_translate <= MAX_TTA_TRANSLATE:
        raise ValueError(
            f"tta_translate must be a whole number of pixels from 0 to {MAX_TTA_TRANSLATE}, "
            f"got {tta_translate!r}."
        )
    if tta_translate and not tta:
        raise ValueError("tta_translate needs tta=True (--tta): translations are "
                         "test-time augmentation.")
    image_sizes, translations = _check_progressive(image_sizes, translations)
    return {
        "optimizer": optimizer, "learning_rate": learning_rate,
        "weight_decay": default_decay if weight_decay is None else weight_decay,
        "label_smoothing": label_smoothing, "warmup_epochs": warmup_epochs,
        "loss_weights": loss_weights, "bn_momentum": bn_momentum,
        "bn_reestimate": int(bn_reestimate), "use_ema": use_ema,
        "ema_momentum": ema_momentum, "tta": tta, "tta_translate": int(tta_translate),
        "image_sizes": image_sizes, "translations": translations,
        "momentum": momentum, "schedule": schedule,
        "shift_lr_multiplier": float(shift_lr_multiplier), "lookahead": lookahead,
        "translate": int(translate), "crop_padding": crop_padding,
        "seed": None if seed is None else int(seed),
        "decay_shifts": decay_shifts, "randaugment": randaugment,
    }


def _whole_numbers(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(item, numbers.Integral) and not isinstance(item, bool) for item in value)


def _check_progressive(image_sizes, translations):
    """Checks a progressive schedule (see `progressive_stages`); returns it
    as lists of ints, or (None, None) for a run at one size."""
    if image_sizes is None:
        if translations is not None:
            raise ValueError("translations needs image_sizes: give one training image size "
                             "per stage, such as image_sizes=[16, 24, 32].")
        return None, None
    if not _whole_numbers(image_sizes) or not all(
            1 <= size <= MAX_IMAGE_SIZE for size in image_sizes):
        raise ValueError(
            f"image_sizes must be a list of training image sizes from 1 to {MAX_IMAGE_SIZE} "
            f"pixels, one per stage, such as [16, 24, 32]; got {image_sizes!r}.")
    if translations is None:
        return [int(size) for size in image_sizes], None
    if not _whole_numbers(translations) or len(translations) != len(image_sizes) \
            or not all(0 <= pixels <= MAX_TRANSLATE for pixels in translations):
        raise ValueError(
            f"translations must be a list of random-crop shifts from 0 to {MAX_TRANSLATE} "
            f"pixels, one per stage of image_sizes {list(image_sizes)} (the fixed recipe's "
            f"is 4), such as [0, 2, 4]; got {translations!r}.")
    return [int(size) for size in image_sizes], [int(pixels) for pixels in translations]


def progressive_stages(epochs, image_sizes, translations=None):
    """The stages of progressive learning (Tan and Le 2021, section 4.2,
    Algorithm 1): the run's epochs split into `len(image_sizes)` stages of
    equal length (where they do not divide, the first ones are an epoch
    shorter), stage i training on images resized to `image_sizes[i]` with
    random crops shifted by up to `translations[i]` pixels (default: the
    fixed recipe's 4 in every stage), the regularisation that the paper
    grows with the size.

    Returns:
        A list of `(first_epoch, end_epoch, image_size, translate)`, epochs
        counted from 0, `end_epoch` excluded.
    """
    image_sizes, translations = _check_progressive(image_sizes, translations)
    if image_sizes is None:
        raise ValueError("progressive_stages needs image_sizes, one per stage, "
                         "such as [16, 24, 32].")
    stages = len(image_sizes)
    if stages > epochs:
        raise ValueError(
            f"image_sizes {image_sizes} has {stages} stages but the run has {epochs} "
            f"epoch{'s' * (epochs != 1)}; give at most one size per epoch.")
    bounds = [stage * epochs // stages for stage in range(stages + 1)]
    translations = translations or [4] * stages
    return [(bounds[i], bounds[i + 1], image_sizes[i], translations[i])
            for i in range(stages)]


def compile_model(model, steps_per_epoch, epochs, **recipe):
    """Compiles `model` with the shared recipe.

    SGD with Nesterov momentum (`momentum`, 0.9; learning rate 0.1, weight
    decay 5e-4) or AdamW (1e-3, 0.05); a linear warmup over `warmup_epochs`
    (default: a tenth of the run, at most 5 epochs) into a cosine decay to
    zero, or with `schedule="triangular"` airbench's (`Triangular`); label
    smoothing (default 0.1). SGD's `shift_lr_multiplier` multiplies the
    learning rate of the normalisation layers' shifts (airbench: 64).
    Biases and normalisation parameters get no weight decay, except the
    normalisation shifts with `decay_shifts` (airbench decays them). Under
    `mixed_float16` Keras wraps the optimizer in a
    LossScaleOptimizer. XLA is on for GPU and TPU and off on CPU, where it
    is slower. Targets are one-hot (`make_dataset(..., num_classes=...)`),
    which label smoothing requires.

    A model with several outputs has its main classifier first and auxiliary
    classifiers after it (GoogLeNet, Inception v3). Each output gets the same
    loss, weighted by `loss_weights[output name]` (1.0 when not given);
    accuracy is measured on the main output only.

    `bn_momentum` sets the momentum of every BatchNormalization layer (the
    builders keep Keras' 0.99, whose moving statistics lag a run of a few
    hundred steps). `use_ema` has the optimizer keep an exponential moving
    average of the weights (`ema_momentum`, default 0.99), which `fit` puts
    into the model at its end; `training_callbacks(..., ema=True)` evaluates
    and checkpoints with it every epoch.

    `recipe`: optimizer ("sgd" or "adamw"), learning_rate, weight_decay,
    label_smoothing, warmup_epochs, loss_weights, bn_momentum, use_ema,
    ema_momentum; see `full_recipe`. Its options for after training
    (bn_reestimate, tta, tta_translate) are checked and left to
    `train_cifar`.
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
    if recipe["bn_momentum"] is not None:
        for layer in batchnorm_layers(model):
            layer.momentum = float(recipe["bn_momentum"])
    if recipe["schedule"] == "triangular":
        schedule = Triangular(recipe["learning_rate"], steps_per_epoch * epochs)
    else:
        schedule = warmup_cosine(recipe["learning_rate"], steps_per_epoch, epochs,
                                 recipe["warmup_epochs"])
    ema = dict(use_ema=recipe["use_ema"], ema_momentum=recipe["ema_momentum"])
    if recipe["optimizer"] == "sgd":
        opt = ShiftScaledSGD(schedule, momentum=recipe["momentum"], nesterov=True,
                             weight_decay=recipe["weight_decay"],
                             shift_lr_multiplier=recipe["shift_lr_multiplier"], **ema)
    else:
        opt = keras.optimizers.AdamW(schedule, weight_decay=recipe["weight_decay"], **ema)
    opt.exclude_from_weight_decay(
        var_names=["bias", "gamma"] + ([] if recipe["decay_shifts"] else ["beta"]))
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


@keras.saving.register_keras_serializable("convnets_tf")
class Triangular(keras.optimizers.schedules.LearningRateSchedule):
    """airbench94's learning rate schedule (its `get_lr`): a linear rise
    from `start` x `peak` to `peak` over the first `warmup` of the steps,
    then a linear fall to `end` x `peak` at the last step."""

    def __init__(self, peak, total_steps, warmup=0.23, start=0.2, end=0.07):
        self.peak, self.total_steps = peak, total_steps
        self.warmup, self.start, self.end = warmup, start, end

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rise = max(1, int(self.total_steps * self.warmup))
        fall = max(1, self.total_steps - rise)
        up = self.start + (1 - self.start) * step / rise
        down = 1 + (self.end - 1) * (step - rise) / fall
        return self.peak * keras.ops.where(step < rise, up, down)

    def get_config(self):
        return dict(peak=self.peak, total_steps=self.total_steps, warmup=self.warmup,
                    start=self.start, end=self.end)


@keras.saving.register_keras_serializable("convnets_tf")
class ShiftScaledSGD(keras.optimizers.SGD):
    """Keras' SGD, with the gradients of the normalisation layers' shifts
    (BatchNorm's and LayerNorm's `beta`) multiplied by
    `shift_lr_multiplier`, which for SGD is multiplying their learning rate
    (airbench's `bias_scaler`, 64: the shifts of a network whose BatchNorms
    have no scale learn that much faster). Their weight decay is not
    scaled."""

    def __init__(self, *args, shift_lr_multiplier=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.shift_lr_multiplier = shift_lr_multiplier

    def apply(self, grads, trainable_variables=None):
        if self.shift_lr_multiplier != 1:
            variables = trainable_variables or self._trainable_variables
            grads = [grad * self.shift_lr_multiplier
                     if grad is not None and variable.name == "beta" else grad
                     for grad, variable in zip(grads, variables)]
        return super().apply(grads, trainable_variables)

    def get_config(self):
        return {**super().get_config(), "shift_lr_multiplier": self.shift_lr_multiplier}


class Lookahead(keras.callbacks.Callback):
    """Lookahead (Zhang et al. 2019) on every float weight of the model,
    BatchNorm statistics included, as airbench94 schedules it: every
    `every` steps the slow copy moves to `decay` x slow + (1 - decay) x
    the trained weights, and training continues from it; `decay` rises as
    0.95**5 x (step / `total_steps`)**3, from 0 to 0.77. Also at the end of
    each epoch, so that its evaluation, checkpoints and backup (from which
    a resumed run restarts the slow copy) hold the averaged weights."""

    def __init__(self, total_steps, every=5):
        super().__init__()
        self.total_steps, self.every = total_steps, every

    def on_train_begin(self, logs=None):
        self.slow = None

    def on_train_batch_begin(self, batch, logs=None):
        # Taken at the first step, not in on_train_begin: a resumed run's
        # backup is restored into the model after that.
        if self.slow is None:
            self.variables = [v for v in self.model.weights if "float" in str(v.dtype)]
            self.slow = [np.array(v.numpy()) for v in self.variables]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every and batch + 1 != self.params["steps"]:
            return
        decay = 0.95**5 * min(1.0, step / self.total_steps) ** 3
        for slow, variable in zip(self.slow, self.variables):
            slow *= decay
            slow += (1 - decay) * variable.numpy()
            variable.assign(slow)


def batchnorm_layers(model):
    """Every BatchNormalization layer of `model`, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found += batchnorm_layers(layer)
    return found


def reestimate_batchnorm(model, dataset, batches=None):
    """Recomputes the moving statistics of `model`'s BatchNormalization
    layers from `batches` batches of `dataset` (all of it by default); the
    weights are not changed. Returns the number of batches used.

    As `torch.optim.swa_utils.update_bn` does: each layer's moving mean and
    variance become the plain average, over the batches, of the batch
    statistics that the layer computes in training mode. Evaluation then
    normalises with statistics of the final weights, where the moving
    averages of a short run (or of weights replaced by their EMA) lag
    behind. Layers that are frozen (`trainable=False`) keep theirs.

    `dataset` yields batches of model inputs, or `(inputs, targets)`
    tuples, such as `make_dataset(..., training=False)` makes; the model
    runs under the strategy it was built in.
    """
    layers = [layer for layer in batchnorm_layers(model) if layer.trainable]
    if not layers:
        return 0
    strategy = model.distribute_strategy
    momenta = [layer.momentum for layer in layers]
    # Momentum 0 leaves each forward pass's batch statistics in the moving
    # ones, where they are read, averaged over the replicas, and summed.
    for layer in layers:
        layer.momentum = 0.0

    def replica_statistics(inputs):
        model(inputs, training=True)
        # Copies: the variables themselves would be taken as one value.
        return [(tf.identity(layer.moving_mean), tf.identity(layer.moving_variance))
                for layer in layers]

    @tf.function
    def batch_statistics(batch):
        statistics = strategy.run(replica_statistics, args=(batch,))
        return tf.nest.map_structure(
            lambda value: strategy.reduce("MEAN", value, axis=None), statistics)

    if batches is not None:
        dataset = dataset.take(batches)
    sums, count = None, 0
    try:
        for batch in strategy.experimental_distribute_dataset(dataset):
            statistics = batch_statistics(batch[0] if isinstance(batch, tuple) else batch)
            statistics = tf.nest.map_structure(np.asarray, statistics)
            sums = statistics if sums is None else tf.nest.map_structure(
                np.add, sums, statistics)
            count += 1
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if count == 0:
        raise ValueError("reestimate_batchnorm got an empty dataset.")
    for layer, (mean, variance) in zip(layers, sums):
        layer.moving_mean.assign(mean / count)
        layer.moving_variance.assign(variance / count)
    return count


def tta_views(x, translate=0):
    """The views of uint8 images `x` (N, H, W, C) that test-time
    augmentation averages over: the images and their mirror images; with
    `translate`, also both of them shifted by `translate` pixels down and
    right, and up and left (the border filled by reflection)."""
    views = [x, x[:, :, ::-1]]
    if translate:
        height, width = x.shape[1:3]
        pad = [(0, 0), (translate, translate), (translate, translate), (0, 0)]
        padded = np.pad(x, pad, mode="reflect")
        for start in (0, 2 * translate):
            shifted = padded[:, start:start + height, start:start + width]
            views += [shifted, shifted[:, :, ::-1]]
    return views


def predict_main(model, x, batch_size=256, image_size=None):
    """The main output's class probabilities for uint8 images `x`,
    normalised (and resized to `image_size`, by default the model's input
    size) as in training."""
    dataset = make_dataset(x, np.zeros(len(x), np.int64), batch_size, training=False,
                           image_size=image_size or model.input_shape[1:3])
    predictions = model.predict(dataset, verbose=0)
    if isinstance(predictions, dict):
        predictions = predictions[output_names(model)[0]]
    if isinstance(predictions, (list, tuple)):
        predictions = predictions[0]
    return np.asarray(predictions, np.float32)


def predict_tta(model, x, batch_size=256, translate=0):
    """Class probabilities averaged over the views of `tta_views`: each
    image and its mirror image, and with `translate` pixels, their shifted
    copies too (6 views in all)."""
    return np.mean([predict_main(model, view, batch_size)
                    for view in tta_views(x, translate)], axis=0)


def evaluate_tta(model, x, y, batch_size=256, translate=0):
    """Accuracy on uint8 images `x` with integer labels `y`, predicted with
    test-time augmentation (see `predict_tta`)."""
    return _accuracy(predict_tta(model, x, batch_size, translate), y)


def _accuracy(predictions, y):
    return float(np.mean(np.argmax(predictions, axis=-1) == np.asarray(y).reshape(-1)))


def describe_final(final):
    """The line that says what a run's `final.json` holds."""
    how = [what for what, used in (
        ("EMA weights", final.get("ema")),
        (f"BatchNorm statistics re-estimated over {final.get('bn_reestimate')} "
         "training batches", final.get("bn_reestimate"))) if used]
    line = f"final test accuracy: {final['test_accuracy']:.4f}"
    line += f" ({', '.join(how)})" if how else ""
    if "tta_test_accuracy" in final:
        line += (f"; with test-time augmentation ({final['tta_views']} views): "
                 f"{final['tta_test_accuracy']:.4f}")
    return line


def clone_optimizer(optimizer):
    """A new optimizer, unbuilt, with `optimizer`'s settings and schedule,
    loss scaling included, for a second network trained beside the first
    (`selftrain.MetaPseudoLabels`). Keras' configuration leaves out the
    weight-decay exclusions, so they are copied."""
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:
        return keras.optimizers.LossScaleOptimizer(
            clone_optimizer(inner), **{key: value for key, value in optimizer.get_config().items()
                                       if key != "inner_optimizer"})
    clone = type(optimizer).from_config(optimizer.get_config())
    for exclusions in ("_exclude_from_weight_decay", "_exclude_from_weight_decay_pattern"):
        if hasattr(optimizer, exclusions):  # set with a weight decay only
            setattr(clone, exclusions, getattr(optimizer, exclusions))
    return clone


def _ema_optimizer(model):
    """The optimizer that keeps `model`'s weight averages, or None."""
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # loss scaling
    return optimizer if getattr(optimizer, "use_ema", False) else None


@contextlib.contextmanager
def ema_weights(model):
    """Puts the optimizer's moving averages of the weights into `model` for
    the block, as Keras' SwapEMAWeights does for an evaluation; does
    nothing where there are none (no EMA, or before the first step)."""
    optimizer = _ema_optimizer(model)
    if optimizer is None or not optimizer.built:
        yield model
        return
    swap = keras.callbacks.SwapEMAWeights()
    swap.set_model(model)
    swap.on_test_begin()
    try:
        yield model
    finally:
        swap.on_test_end()


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
        # With EMA, the epoch was evaluated with the averaged weights.
        with ema_weights(self.model), atomic_path(self.path) as partial:
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


def training_callbacks(out_dir, main_output=None, images_per_epoch=None, ema=False,
                       lookahead_steps=None):
    """Best checkpoint, CSV history, backup for resuming and a NaN guard;
    with `lookahead_steps` (the run's total steps), `Lookahead`.

    Order matters at the end of an epoch: the best checkpoint and the
    history row are written before the backup that marks the epoch
    finished, so an epoch that has a row has had its checkpoint.
    `main_output` names the main output of a multi-output model;
    `images_per_epoch` gives the history its images per second.

    With `ema` (an optimizer with `use_ema=True`), every epoch is evaluated
    and checkpointed with the averaged weights, while the backup keeps the
    trained weights and the optimizer's averages, so that a resumed run
    continues both.
    """
    out_dir = Path(out_dir)
    history = out_dir / "history.csv"
    # A resumed run must beat the best epoch of the run it continues.
    best_so_far = max(
        (row["val_accuracy"] for row in read_rows(history) if "val_accuracy" in row),
        default=None,
    )
    renames = [MainOutputAccuracy(main_output)] if main_output else []
    averaging = [keras.callbacks.SwapEMAWeights()] if ema else []
    averaging += [Lookahead(lookahead_steps)] if lookahead_steps else []
    return renames + averaging + [
        BestCheckpoint(out_dir / "best.keras", best_so_far),
        HistoryLogger(history, images_per_epoch),
        # Kept after the last epoch, so rerunning a finished run is a no-op.
        AtomicBackupAndRestore(str(out_dir / "backup"), delete_checkpoint=False),
        TerminateOnNaN(),
    ]


def describe_run(data, epochs, batch_size, strategy=None, precision="auto", **recipe):
    """Hardware, strategy, precision, XLA, data and schedule of a run, in
    one line, so that every reported number says where it came from.

    `strategy` and `precision` are what `train_cifar` was given (by default
    what it picks itself), so the line is true before and after the run.
    `recipe`: the run's recipe options; those that differ from the default
    recipe are named.
    """
    recipe = full_recipe(**recipe)
    default = full_recipe(optimizer=recipe["optimizer"])
    strategy = strategy or get_strategy()
    replicas = strategy.num_replicas_in_sync
    # TensorFlow's one-device default is a private class, _DefaultDistributionStrategy.
    strategy_name = type(strategy).__name__.lstrip("_")
    policy = _auto_precision() if precision == "auto" else precision
    (x_train, _), (x_test, _) = data
    source = getattr(data, "source", None)
    source = f" ({os.path.basename(source)})" if source else ""
    return (
        f"{hardware()}, {strategy_name} ({replicas} replica{'s' * (replicas != 1)}), "
        f"{policy}, XLA {'on' if has_accelerator() else 'off'}, "
        f"{len(x_train):,} training / {len(x_test):,} test images{source}, "
        f"{epochs} epoch{'s' * (epochs != 1)}, batch {batch_size}"
        + "".join(f", {option}" for option, used in (
            (recipe["optimizer"], recipe["optimizer"] != "sgd"),
            *((f"{option.replace('_', ' ')} {recipe[option]:g}",
               recipe[option] != default[option])
              for option in ("learning_rate", "weight_decay", "label_smoothing")),
            (f"momentum {recipe['momentum']}", recipe["momentum"] != 0.9),
            ("triangular schedule", recipe["schedule"] == "triangular"),
            (f"{recipe['shift_lr_multiplier']:g}x learning rate for normalisation shifts",
             recipe["shift_lr_multiplier"] != 1),
            ("lookahead", recipe["lookahead"]),
            ("weight decay on normalisation shifts", recipe["decay_shifts"]),
            (f"crops shifted by up to {recipe['translate']}", recipe["translate"] != 4),
            ("crops padded by reflection", recipe["crop_padding"] == "reflect"),
            ("RandAugment", recipe["randaugment"]),
            (f"seed {recipe['seed']}", recipe["seed"] is not None),
            (f"BatchNorm momentum {recipe['bn_momentum']}", recipe["bn_momentum"] is not None),
            (f"EMA {recipe['ema_momentum']}", recipe["use_ema"]),
            (f"BatchNorm statistics re-estimated over {recipe['bn_reestimate']} batches",
             recipe["bn_reestimate"]),
            (f"test-time augmentation (flip, translate {recipe['tta_translate']})"
             if recipe["tta_translate"] else "test-time augmentation (flip)", recipe["tta"]),
            (recipe["image_sizes"] and _describe_progressive(epochs, recipe),
             recipe["image_sizes"]),
        ) if used)
    )


def _describe_progressive(epochs, recipe):
    stages = progressive_stages(epochs, recipe["image_sizes"], recipe["translations"])
    return ("progressive learning: " + ", ".join(
        f"{size}x{size} (crop shift {shift}) for {end - first} epoch{'s' * (end - first != 1)}"
        for first, end, size, shift in stages))


def check_run(epochs, batch_size, out_dir, **recipe):
    """Checks what a run is given, before anything is built.

    Returns:
        The run directory (created if needed, and writable) and the full
        recipe (see `full_recipe`).
    """
    _check_count("epochs", epochs)
    _check_count("batch size", batch_size)
    recipe = full_recipe(**recipe)
    if recipe["image_sizes"]:
        progressive_stages(epochs, recipe["image_sizes"], recipe["translations"])
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


def data_fingerprint(arrays):
    """A short hash of the contents of checked arrays `((x_train, y_train),
    (x_test, y_test))` (`check_arrays`' output): two data sets of the same
    sizes, a teacher's pseudo-labels of two teachers say, differ in it."""
    digest = hashlib.blake2b(digest_size=8)
    for array in (*arrays[0], *arrays[1]):
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _run_definition(model, data, arrays, batch_size, epochs, recipe, image_size):
    """What makes a run this run: a rerun must match it to resume it.
    `arrays` are `data` checked (`check_arrays`); `image_size` is the size
    it is tested at (and a progressive run ends at); its schedule is in the
    recipe."""
    import convnets_tf

    definition = {
        "model": model.name, "parameters": model.count_params(),
        "dataset": getattr(data, "name", None),
        "train_images": len(data[0][0]), "test_images": len(data[1][0]),
        "data_fingerprint": data_fingerprint(arrays),
        "image_size": image_size, "batch_size": batch_size,
        "epochs": epochs, "precision": model.dtype_policy.name, **recipe,
        # Recorded, not compared: an upgrade may resume a run.
        "version": convnets_tf.__version__,
    }
    return json.loads(json.dumps(definition))  # as it reads back


def _check_definition(out_dir, definition):
    """Refuses to continue a run in `out_dir` that `definition` differs from."""
    path = out_dir / "run.json"
    recorded = json.loads(path.read_text()) if path.exists() else definition
    # A run recorded before an option existed ran with its default.
    recorded = {**full_recipe(), **recorded}
    differences = [
        f"{key} {recorded.get(key)!r} -> {value!r}"
        for key, value in definition.items()
        # The version is only recorded; a run recorded before the data's
        # fingerprint existed is compared without it.
        if key != "version" and (key in recorded or key != "data_fingerprint")
        and recorded.get(key) != value
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


def _build_state(model, strategy, dataset):
    """Creates the compiled model's variables (metrics, losses, optimizer)
    from the shapes of `dataset`'s batches, before `fit`.

    Under the default strategy Keras leaves them to the first trace of the
    training step, and TensorFlow, seeing variables created, traces the step
    a second time, which doubles the tracing part of every run's start-up
    (Inception-ResNet-v1 at 75x75 on this 2-core CPU: 82 s to 57 s for a
    two-batch run)."""
    with strategy.scope():
        model._symbolic_build(data_batch=dataset.element_spec)


def _patch_for_workers(model):
    """Works around two faults of Keras 3 under MultiWorkerMirroredStrategy
    (keras-team/keras#20585), for a model whose state `_build_state` built.

    At the start of `fit` and `evaluate`, Keras builds the variables from a
    batch that it first averages over the replicas, which this strategy
    cannot do with a batch of several tensors: that step is skipped, the
    variables being built already. After each step, Keras averages the
    replicas' metrics along an axis 0 that scalars do not have: here the
    steps return them with one. (The epoch's logs are read from the metrics'
    variables afterwards, summed over all replicas of all workers.)
    """
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    for name in ("train_step", "test_step"):
        step = getattr(model, name)
        setattr(model, name, lambda data, step=step: tf.nest.map_structure(
            lambda value: tf.reshape(value, [1]), step(data)))


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

    Progressive learning (Tan and Le 2021, section 4): with
    `image_sizes=[16, 24, 32]` the epochs are split into that many equal
    stages (`progressive_stages`), each training on images resized to its
    size, and with `translations=[0, 2, 4]` on random crops shifted by up
    to that many pixels (default 4 throughout), so that the augmentation
    grows with the size; the test images are evaluated at the last size.
    The model must take any size (`input_shape=(None, None, 3)`). The
    schedule is part of the run's definition: a resumed run continues it.

    At the end, with `use_ema`, the model gets the averaged weights; with
    `bn_reestimate=N`, its BatchNorm statistics are recomputed over N
    batches of training images (at most an epoch's; unaugmented, a fixed
    random subset; see `reestimate_batchnorm`); then it is saved as
    `model.keras` and tested:
    `final.json` holds its test accuracy, and with `tta` also the accuracy
    with test-time augmentation (`evaluate_tta`, translated by
    `tta_translate` pixels).

    Args:
        build_model: a function of no arguments returning the model; it is
            called inside the strategy's scope, after the precision is set.
        data: `((x_train, y_train), (x_test, y_test))`, uint8 images and
            integer labels, such as `load_cifar` returns; `y_train` may be
            soft targets instead (`convnets_tf.selftrain.student_data`).
        epochs: total epochs; a resumed run only runs the missing ones.
        batch_size: the global batch, split across replicas.
        out_dir: gets `run.json`, `history.csv`, `best.keras`, `backup/`,
            the final `model.keras`, `final.json` and `curves.png`, each
            written atomically.
        precision: see `set_precision`; it applies to the model built here,
            and the previous global policy is restored afterwards.
        strategy: a `tf.distribute.Strategy`; by default `get_strategy()`.
        verbose: Keras' progress display: 1 a bar, 2 a line per epoch, 0
            nothing (not even the resuming line).
        restart: delete a previous run in `out_dir` and start over.
        **recipe: see `full_recipe`; passed to `compile_model` (optimizer,
            learning_rate, loss_weights, bn_momentum, use_ema, ...),
            image_sizes and translations, the progressive schedule,
            crop_padding and randaugment (`make_dataset`), and bn_reestimate, tta and
            tta_translate, applied at the end.

    Returns:
        The trained model.
    """
    out_dir, recipe = check_run(epochs, batch_size, out_dir, **recipe)
    if restart:
        _delete_run(out_dir)
    strategy = strategy or get_strategy()
    previous_policy = keras.mixed_precision.global_policy()
    set_precision(precision)
    if recipe["seed"] is not None:  # the initial weights, shuffling and augmentation
        keras.utils.set_random_seed(recipe["seed"])
    try:
        with strategy.scope():
            model = build_model()
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)

    image_size = model.input_shape[1:3]
    if None not in image_size:
        check_image_size(max(image_size))
    if recipe["image_sizes"]:
        if image_size != (None, None):
            raise ValueError(
                f"image_sizes (progressive learning) needs a model that takes any image "
                f"size, built with input_shape=(None, None, channels); {model.name} takes "
                f"{image_size[0]}x{image_size[1]} only.")
        stages = progressive_stages(epochs, recipe["image_sizes"], recipe["translations"])
        # Tested at the size it ends training at.
        image_size = (recipe["image_sizes"][-1],) * 2
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
    if None in image_size:  # a model that takes any size gets the data's
        image_size = x_train.shape[1:3]
    if not recipe["image_sizes"]:
        stages = [(0, epochs, image_size, recipe["translate"])]
    definition = _run_definition(model, data, ((x_train, y_train), (x_test, y_test)),
                                 batch_size, epochs, recipe, image_size)
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
    workers = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    test_ds = make_dataset(x_test, y_test, batch_size, training=False, **targets)
    callbacks = training_callbacks(
        out_dir, names[0] if len(names) > 1 else None, steps_per_epoch * batch_size,
        ema=recipe["use_ema"],
        lookahead_steps=steps_per_epoch * epochs if recipe["lookahead"] else None,
    ) + [
        # Recorded once the backup, if any, was restored into this model:
        # a folder from before run.json existed must not get a wrong one.
        keras.callbacks.LambdaCallback(
            on_train_begin=lambda logs: _record_definition(out_dir, definition)),
    ]
    # One `fit` per stage of a progressive run (one in all otherwise), each
    # with its stage's images; the learning rate schedule, the optimizer and
    # the callbacks run on across them. A resumed run skips the finished
    # stages, and the backup restores where the current one stopped. A
    # finished run still calls `fit` once: its backup holds the weights.
    built = False
    seed = recipe["seed"]
    for first, end, size, translate in [
            stage for stage in stages if stage[1] > done] or stages[-1:]:
        # Workers of a cluster each keep their share of the same shuffled batches.
        train_ds = make_dataset(x_train, y_train, batch_size, training=True,
                                seed=0 if workers and seed is None else seed,
                                translate=translate, crop_padding=recipe["crop_padding"],
                                randaugment=recipe["randaugment"],
                                **{**targets, "image_size": size})
        if not built:
            _build_state(model, strategy, train_ds)
            if workers:
                _patch_for_workers(model)
            built = True
        model.fit(
            train_ds,
            validation_data=test_ds,
            initial_epoch=first,
            epochs=end,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,  # the dataset reshuffles itself every epoch
        )
    # `fit` has put the EMA weights, if any, into the model.
    final = {"ema": recipe["use_ema"], "bn_reestimate": 0}
    if recipe["bn_reestimate"]:
        # Unaugmented, like the test images; full batches of a fixed subset.
        batches = min(recipe["bn_reestimate"], steps_per_epoch)
        pick = np.random.default_rng(0).permutation(len(x_train))[:batches * batch_size]
        final["bn_reestimate"] = reestimate_batchnorm(model, make_dataset(
            x_train[pick], y_train[pick], batch_size, training=False, **targets))
    with atomic_path(out_dir / "model.keras") as partial:
        model.save(partial)
    views = tta_views(x_test, recipe["tta_translate"]) if recipe["tta"] else [x_test]
    predictions = [predict_main(model, view, batch_size, image_size) for view in views]
    final["test_accuracy"] = _accuracy(predictions[0], y_test)
    if recipe["tta"]:
        final["tta_views"] = len(views)
        final["tta_test_accuracy"] = _accuracy(np.mean(predictions, axis=0), y_test)
    with atomic_path(out_dir / "final.json") as partial:
        partial.write_text(json.dumps(final, indent=1) + "\n")
    if verbose:
        print(describe_final(final))
    plt.close(plot_history(out_dir / "history.csv", out_dir / "curves.png"))
    return model
