"""One table of every registered model: `results/models.csv`.

Each row is computed by the package's own helpers from the model built at
its default input (`convnets_tf.build(name)`), joined with two things that
are not computed: the ImageNet top-1 accuracy the model's paper (or
keras.io's applications table) reports, quoted with its source
(`PAPER_TOP1`), and the best CIFAR-10 test accuracy that a stored notebook
run of that very model reached (`results/runs.csv`).

    from convnets_tf import overview
    overview.model_row("resnet20")        # one row, a dict in COLUMNS' order
    overview.write_table()                 # all registered models -> results/models.csv
    overview.refresh_table()               # re-joins PAPER_TOP1 and runs.csv, no rebuild
    overview.read_table()                  # the stored rows, as dicts of strings

The CPU latency (batch 1) and inference throughput (batch 64) columns are
measured apart, by `time_table()`, on a quiet machine only: timings depend on
what else runs, so each row also records the cores and load average it was
timed under (`cpu_timed_on`). `write_table` keeps the stored timings of the
models it rebuilds, and `time_table()` times only the rows that lack them, so
a new model needs one short call and an interrupted timing run carries on.

`build_seconds` is how long building and counting the model took in that
run (on a 2-core CPU shared with a training run, at low priority); it says
what the table costs to recompute, not how fast the model runs.
"""

import csv
import gc
import math
import time
from pathlib import Path

import keras

import convnets_tf
from convnets_tf import analysis, timing
from convnets_tf.files import atomic_path
from convnets_tf.results import RESULTS_FILE

TABLE_FILE = RESULTS_FILE.parent / "models.csv"
NOT_MEASURED = ""

COLUMNS = (
    "name", "family", "input_size", "params_total", "params_trainable", "macs",
    "activations", "receptive_field", "imagenet_top1", "imagenet_top1_source",
    "cifar10_test_accuracy", "cifar10_run", "cpu_latency_ms_batch1",
    "cpu_images_per_second_batch64", "cpu_timed_on", "build_seconds",
)
# The columns a fresh `model_row` must reproduce exactly (build_seconds is a
# wall time, and the timing columns are measured by `time_table`).
COMPUTED = COLUMNS[:12]
TIMED = ("cpu_latency_ms_batch1", "cpu_images_per_second_batch64", "cpu_timed_on")
THROUGHPUT_BATCH = 64

# Sources, quoted once.
_KERAS = "keras.io applications table (keras.applications weights)"
_CIFAR = "none: a CIFAR model, never trained on ImageNet"
_RESNET = "He et al. 2015, Table {}: {}% top-1 error, 10-crop"
_INCEPTION_V4 = "Szegedy et al. 2016 (Inception-v4), Table 2: {}% single-crop top-1 error"
_CONVNEXT = "Liu et al. 2022, Table 1 and the authors' README: ImageNet-1K, 224x224"
_REGNET = ("Radosavovic et al. 2020, authors' pycls MODEL_ZOO: {}% top-1 error, 100 epochs, "
           "mean of 5 runs")
_SHUFFLENET = "Ma et al. 2018, authors' ShuffleNet-Series README: {}% top-1 error"
_BIT = ("none found: BiT reports ILSVRC-2012 after pre-training and fine-tuning; "
        "no figure for this variant verified")

# ImageNet top-1 (on the ILSVRC-2012 validation set, at the model's default
# input) of each registered name, as (accuracy or None, source). Models
# that keras.applications also has are quoted from keras.io's applications
# table (https://keras.io/api/applications/), which measured the released
# weights with single centre crops; the others from their paper (table
# named) or, where the paper has no single-model figure, the authors'
# repository. None where there is no ImageNet figure, with the reason as
# the source. Crops, input sizes and recipes differ between sources (a
# 10-crop figure is about a point above a single-crop one), so the column
# ranks models roughly, not to the decimal.
PAPER_TOP1 = {
    "airbench94": (None, _CIFAR),
    "alexnet": (0.593, "Krizhevsky et al. 2012, Table 2: one CNN, 40.7% top-1 error on "
                       "ILSVRC-2012 val (63.3% is the 7-CNN ensemble with pre-training)"),
    "alexnet_cifar": (None, _CIFAR),
    "bit_r101x1": (None, _BIT),
    "bit_r50x1": (None, _BIT),
    "bn_inception": (0.748, _INCEPTION_V4.format(25.2)),
    "convmixer_1536_20": (0.8137, "Trockman and Kolter 2022, authors' repository table"),
    "convmixer_256_8": (None, _CIFAR),
    "convmixer_768_32": (0.8016, "Trockman and Kolter 2022, authors' repository table "
                                 "(trained with ReLU)"),
    "convnext_base": (0.838, _CONVNEXT),
    "convnext_large": (0.843, _CONVNEXT),
    "convnext_small": (0.831, _CONVNEXT),
    "convnext_tiny": (0.821, _CONVNEXT),
    "convnext_tiny_patch2": (None, _CIFAR),
    "convnext_xlarge": (0.870, "Liu et al. 2022, authors' README: ImageNet-22K pre-trained, "
                               "fine-tuned at 224x224 (no ImageNet-1K-only XL)"),
    "densenet121": (0.750, _KERAS),
    "densenet169": (0.762, _KERAS),
    "densenet201": (0.773, _KERAS),
    "densenet264": (0.7785, "Huang et al. 2017, Table 3: 22.15% single-crop top-1 error"),
    "densenet40_k12": (None, _CIFAR),
    "densenet_bc100_k12": (None, _CIFAR),
    "efficientnet_b0": (0.771, _KERAS),
    "efficientnet_b1": (0.791, _KERAS),
    "efficientnet_b2": (0.801, _KERAS),
    "efficientnet_b3": (0.816, _KERAS),
    "efficientnet_b4": (0.829, _KERAS),
    "efficientnet_b5": (0.836, _KERAS),
    "efficientnet_b6": (0.840, _KERAS),
    "efficientnet_b7": (0.843, _KERAS),
    "efficientnet_v2_b0": (0.787, _KERAS),
    "efficientnet_v2_b1": (0.798, _KERAS),
    "efficientnet_v2_b2": (0.805, _KERAS),
    "efficientnet_v2_b3": (0.820, _KERAS),
    "efficientnet_v2_l": (0.857, _KERAS),
    "efficientnet_v2_m": (0.853, _KERAS),
    "efficientnet_v2_s": (0.839, _KERAS),
    "googlenet": (None, "none: Szegedy et al. 2014 report top-5 only (6.67% error, "
                        "7 models x 144 crops, Tables 2-3)"),
    "inception_resnet_v1": (0.787, _INCEPTION_V4.format(21.3)),
    "inception_resnet_v2": (0.803, _KERAS),
    "inception_v3": (0.779, _KERAS),
    "inception_v4": (0.800, _INCEPTION_V4.format(20.0)),
    "lenet5": (None, "none: an MNIST network (LeCun et al. 1998)"),
    "lenet5_modern": (None, "none: an MNIST network (LeCun et al. 1998)"),
    "mobilenet": (0.704, _KERAS),
    "mobilenet_v2": (0.713, _KERAS),
    "mobilenet_v3_large": (0.752, "Howard et al. 2019, Table 3"),
    "mobilenet_v3_small": (0.674, "Howard et al. 2019, Table 3"),
    "nin": (None, "none: Lin et al. 2013 report CIFAR, SVHN and MNIST only"),
    "nin_cifar": (None, _CIFAR),
    "preact_resnet18": (None, _CIFAR),
    "regnetx_1_6gf": (0.770, _REGNET.format(23.0)),
    "regnetx_200mf": (0.689, _REGNET.format(31.1)),
    "regnetx_3_2gf": (0.783, _REGNET.format(21.7)),
    "regnetx_400mf": (0.727, _REGNET.format(27.3)),
    "regnetx_800mf": (0.752, _REGNET.format(24.8)),
    "regnety_1_6gf": (0.780, _REGNET.format(22.0)),
    "regnety_200mf": (0.704, _REGNET.format(29.6)),
    "regnety_3_2gf": (0.790, _REGNET.format(21.0)),
    "regnety_400mf": (0.741, _REGNET.format(25.9)),
    "regnety_800mf": (0.763, _REGNET.format(23.7)),
    "resnet101": (0.764, _KERAS),
    "resnet101_v2": (0.772, _KERAS),
    "resnet110": (None, _CIFAR),
    "resnet152": (0.766, _KERAS),
    "resnet152_v2": (0.780, _KERAS),
    "resnet18": (0.7212, _RESNET.format(2, 27.88)),
    "resnet20": (None, _CIFAR),
    "resnet32": (None, _CIFAR),
    "resnet34": (0.7548, _RESNET.format("3 (option B)", 24.52)),
    "resnet44": (None, _CIFAR),
    "resnet50": (0.749, _KERAS),
    "resnet50_v2": (0.760, _KERAS),
    "resnet56": (None, _CIFAR),
    "resnext101_32x8d": (None, "none: Xie et al. 2017 report 32x4d and 64x4d, not 32x8d"),
    "resnext29_8x64d": (None, _CIFAR),
    "resnext50_32x4d": (0.778, "Xie et al. 2017, Table 3: 22.2% top-1 error, 224 centre crop"),
    "shufflenet_v2_x0_5": (0.611, _SHUFFLENET.format(38.9)),
    "shufflenet_v2_x1_0": (0.694, _SHUFFLENET.format(30.6)),
    "shufflenet_v2_x1_5": (0.726, _SHUFFLENET.format(27.4)),
    "shufflenet_v2_x2_0": (0.750, _SHUFFLENET.format(25.0)),
    "vgg11": (0.704, "Simonyan and Zisserman 2015, Table 3: config A, 29.6% top-1 error, "
                     "single scale 256"),
    "vgg13": (0.713, "Simonyan and Zisserman 2015, Table 3: config B, 28.7% top-1 error, "
                     "single scale 256"),
    "vgg16": (0.713, _KERAS),
    "vgg16_cifar": (None, _CIFAR),
    "vgg19": (0.713, _KERAS),
    "wide_resnet50_2": (0.781, "Zagoruyko and Komodakis 2016, authors' pretrained/README: "
                               "WRN-50-2-bottleneck, 21.9% top-1 error"),
    "wrn28_10": (None, _CIFAR),
    "xception": (0.790, _KERAS),
    "xception_cifar": (None, _CIFAR),
}


def imagenet_top1(name):
    """(top-1 accuracy in [0, 1] or None, source or reason) for `name`."""
    return PAPER_TOP1[name]


def family(name):
    """The family module of a registered model: 'resnet' for 'resnet50'."""
    return convnets_tf.model_spec(name).builder.__module__.rsplit(".", 1)[-1]


def cifar10_runs(runs_file=RESULTS_FILE):
    """The best stored CIFAR-10 run of each model name in `runs_file`:
    {model: (final test accuracy, 'notebook/label, N training images at
    HxW, E epochs')}.

    Best means the highest final (last-epoch) test accuracy; a model whose
    name is not registered (an experiment's variant) is kept too, under its
    own name, and simply never joined.
    """
    best = {}
    path = Path(runs_file)
    if not path.exists():
        return best
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["dataset"] != "cifar10":
                continue
            accuracy = float(row["final_test_accuracy"])
            if row["model"] not in best or accuracy > best[row["model"]][0]:
                images = f"{int(row['train_images']):,}" if row["train_images"] else "all"
                where = (f"{row['notebook']}/{row['label']}, {images} training images "
                         f"at {row['image_size']}, {row['epochs']} epochs")
                best[row["model"]] = (accuracy, where)
    return best


def _joined(name, runs):
    top1, source = imagenet_top1(name)
    accuracy, where = runs.get(name, ("", ""))
    return {
        "imagenet_top1": "" if top1 is None else top1,
        "imagenet_top1_source": source,
        "cifar10_test_accuracy": accuracy,
        "cifar10_run": where,
    }


def model_row(name, runs=None):
    """One row of the table for registered model `name`, a dict in COLUMNS'
    order; builds the model at its default input and frees it again.

    `runs` is `cifar10_runs()` (read once per table); None reads it.
    """
    runs = cifar10_runs() if runs is None else runs
    start = time.perf_counter()
    model = convnets_tf.build(name)
    params = analysis.count_params(model)
    row = {
        "name": name,
        "family": family(name),
        "input_size": "x".join(str(d) for d in model.input_shape[1:]),
        "params_total": params.total,
        "params_trainable": params.trainable,
        "macs": analysis.count_macs(model),
        "activations": analysis.count_activations(model),
        "receptive_field": analysis.receptive_field(model),
        **_joined(name, runs),
        **dict.fromkeys(TIMED, NOT_MEASURED),
    }
    del model
    keras.backend.clear_session()
    gc.collect()
    row["build_seconds"] = round(time.perf_counter() - start, 1)
    return {key: row[key] for key in COLUMNS}


def _write(rows, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial, open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_table(path=TABLE_FILE, names=None, verbose=True):
    """Computes the row of every registered model (or of `names`) and writes
    them to `path`, one model built at a time; returns the total seconds.

    Memory: the largest model (ConvNeXt-XL, 350M parameters) needs a few GB
    while it is built; each model is freed before the next.
    """
    names = convnets_tf.list_models() if names is None else list(names)
    runs = cifar10_runs()
    timed = {row["name"]: {key: row.get(key, NOT_MEASURED) for key in TIMED}
             for row in (read_table(path) if Path(path).exists() else [])}
    start = time.perf_counter()
    rows = []
    for i, name in enumerate(names, 1):
        rows.append({**model_row(name, runs), **timed.get(name, {})})
        if verbose:
            print(f"{i:3d}/{len(names)} {name:<22} {rows[-1]['build_seconds']:7.1f} s",
                  flush=True)
    _write(rows, path)
    return time.perf_counter() - start


def timing_row(name, repeats=3):
    """The timing columns of registered model `name` at its default input,
    measured on this CPU: the median batch-1 inference latency over
    `repeats` calls, and the images per second of one batch of 64."""
    keras.utils.set_random_seed(0)
    model = convnets_tf.build(name)
    latency = timing.inference_seconds(model, batch_size=1, repeats=repeats)
    # A batch of 64 takes from milliseconds to a minute here: its first,
    # tracing call is the warm-up, and one timed call is enough at that size.
    batch = timing.inference_seconds(model, batch_size=THROUGHPUT_BATCH, repeats=1, warmup=1)
    del model
    keras.backend.clear_session()
    gc.collect()
    return {
        "cpu_latency_ms_batch1": round(latency * 1e3, 1),
        "cpu_images_per_second_batch64": round(THROUGHPUT_BATCH / batch, 1),
        "cpu_timed_on": timing.machine(),
    }


def time_table(path=TABLE_FILE, names=None, verbose=True):
    """Fills the timing columns of `names` (None: every row without them)
    in the stored table, rewriting it after each model so that an
    interrupted run keeps what it measured; returns the total seconds.

    Run it on an otherwise idle machine: the figures are only as quiet as
    the machine (`cpu_timed_on` keeps the load average it ended with).
    """
    rows = read_table(path)
    names = [row["name"] for row in rows if not row["cpu_timed_on"]] if names is None else names
    unknown = sorted(set(names) - {row["name"] for row in rows})
    if unknown:
        raise ValueError(f"{path} has no rows for {unknown}; add them with write_table() first.")
    start = time.perf_counter()
    for i, name in enumerate(names, 1):
        row = next(row for row in rows if row["name"] == name)
        row.update(as_stored(timing_row(name)))
        _write(rows, path)
        if verbose:
            print(f"{i:3d}/{len(names)} {name:<22} {row['cpu_latency_ms_batch1']:>9} ms "
                  f"{row['cpu_images_per_second_batch64']:>8} img/s  {row['cpu_timed_on']}",
                  flush=True)
    return time.perf_counter() - start


def read_table(path=TABLE_FILE):
    """The stored rows of `path`, a list of dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def refresh_table(path=TABLE_FILE):
    """Re-joins PAPER_TOP1 and results/runs.csv into the stored table without
    building any model (after a new run or a corrected source)."""
    runs = cifar10_runs()
    rows = [{**row, **_joined(row["name"], runs)} for row in read_table(path)]
    _write(rows, path)
    return rows


def as_stored(row):
    """`row` as `read_table` gives it back: every value a string."""
    return {key: "" if value is None else str(value) for key, value in row.items()}


def megas(value):
    """'25.6M' for 25,636,712; '' for an empty cell."""
    return "" if value in ("", None) else f"{float(value) / 1e6:.1f}M"


def gigas(value):
    """'3.86G' for 3,860,000,000 (three significant figures below 10)."""
    if value in ("", None):
        return ""
    g = float(value) / 1e9
    return f"{g:.3g}G" if g < 10 else f"{g:.1f}G"


def percent(value):
    """'76.1%' for 0.761; '' for an empty cell or NaN."""
    if value in ("", None) or math.isnan(float(value)):
        return ""
    return f"{100 * float(value):.1f}%"
