"""CPU cost of the mobile, dense and 2020s models against ResNet-50.

For every selected model, one row: parameters, multiply-adds and
activations per image (`convnets_tf.analysis`), then, timed on this CPU
(`convnets_tf.timing`), the batch-1 inference latency, the batch-64
inference throughput and the batch-64 training throughput (one SGD step:
forward, backward, update), each also as a ratio to ResNet-50's, which is
always measured first in the same run. Issue 9's families (Xception,
DenseNet, MobileNet v1-v3, ShuffleNetV2) and issue 10's (EfficientNet v1
and v2, RegNet, ConvMixer, ConvNeXt).

    python benchmarks/cpu_models.py                         # the default selection
    python benchmarks/cpu_models.py --models issue9         # issue 9's models
    python benchmarks/cpu_models.py --models mobilenet shufflenet_v2_x1_5 --skip-training
    python benchmarks/cpu_models.py --models all --input-size 128

`--models` takes registered names, family prefixes (`densenet`, `regnety`)
and the words `default`, `issue9`, `issue10` and `all`. The default is
issue 9's models and the issue 10 models of at most about 1.2 GMACs at
their input size (`SMALL_ISSUE_10`): EfficientNet-B3 ... B7, EfficientNetV2
B2 ... L, the RegNets from 1.6GF, ConvMixer-1536/20 and -768/32 and ConvNeXt-T
... XL are left out, since a batch-64 training step of each takes from
tens of seconds to minutes on two cores and the largest need many GB of
memory (ConvNeXt-XL has 350M parameters). Ask for them by name.

Each model is built at its own default input (224x224 for most, 299 for
Xception, EfficientNet's per-variant resolution, 32x32 for the CIFAR
models), or at `--input-size`; ResNet-50 at 224, or `--input-size`. The
ratios are therefore model against ResNet-50 at their stated inputs, not at
equal work: read them with the input column. Latency ratios below 1 and
throughput ratios above 1 mean faster than ResNet-50.

How long it takes: on this project's 2-core machine, shared with other
jobs (load averages of 7 to 16), `--models mobilenet shufflenet densenet
xception --skip-training --repeats 1` (ResNet-50 and 12 models; the
`mobilenet` token then selected MobileNet v1 only) took 18 minutes and
peaked at 2.5 GB of memory; see benchmarks/README.md for that table and a
run with training. The default selection with training was not run here:
its time is dominated by the batch-64 training steps of the DenseNets,
Xception and ResNet-50 at 224 to 299 pixels, several seconds to a minute
each on two cores. Use `--skip-training`, fewer `--models` or a smaller
`--input-size` on such a machine. Each timing is the median of `--repeats`
calls after two warm-up calls.

Figures are printed, never asserted: they depend on the machine and on
what else runs on it (the machine line gives the cores and load average
at the start and the end). Run it on an idle machine for figures worth
comparing. A measured table is in benchmarks/README.md.
"""

import argparse
import gc
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import convnets_tf  # noqa: E402
from convnets_tf import analysis, timing  # noqa: E402

BASELINE = "resnet50"
ISSUE_9 = ("xception", "densenet", "mobilenet", "shufflenet")
ISSUE_10 = ("efficientnet", "regnet", "convmixer", "convnext")
# Issue 10's models of at most about 1.2 GMACs at their default input
# (EfficientNetV2-B1's 1.20 the largest; the next, RegNetX-1.6GF, 1.6).
SMALL_ISSUE_10 = (
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
    "efficientnet_v2_b0", "efficientnet_v2_b1",
    "regnetx_200mf", "regnetx_400mf", "regnetx_800mf",
    "regnety_200mf", "regnety_400mf", "regnety_800mf",
    "convmixer_256_8", "convnext_tiny_patch2",
)
BATCH = 64


def family(prefixes):
    """The registered models whose names start with one of `prefixes`, family
    by family."""
    return [name for prefix in prefixes for name in convnets_tf.list_models()
            if name.startswith(prefix)]


def select(tokens=None):
    """The models to measure: ResNet-50 first, then in the order of `tokens`,
    each group family by family.

    `tokens` are registered names or name prefixes (`densenet`, `regnety`;
    a name also selects the models it is a prefix of, so `mobilenet` is
    MobileNet v1, v2 and v3) or the words `default`, `issue9`, `issue10`
    and `all`; None means `default`. A name that matches no model of issues 9 and 10 raises
    ValueError.
    """
    issue9, issue10 = family(ISSUE_9), family(ISSUE_10)
    groups = {
        "default": issue9 + [name for name in issue10 if name in SMALL_ISSUE_10],
        "issue9": issue9, "issue10": issue10, "all": issue9 + issue10,
    }
    candidates = issue9 + issue10
    chosen = []
    for token in tokens or ["default"]:
        # A name is its own prefix: "mobilenet" is MobileNet v1, v2 and v3.
        matches = groups.get(token) or [
            name for name in [BASELINE, *candidates] if name.startswith(token)]
        if not matches:
            raise ValueError(
                f"{token!r} matches no model of issues 9 and 10. Use a registered "
                f"name, a prefix of one ({', '.join(ISSUE_9 + ISSUE_10)}), or "
                f"{', '.join(groups)}.")
        chosen += [name for name in matches if name not in chosen and name != BASELINE]
    return [BASELINE] + chosen


def measure(name, input_size, repeats, skip_training):
    """One row of figures for model `name`, a dict."""
    kwargs = {} if input_size is None else {"input_shape": (input_size, input_size, 3)}
    if name == BASELINE and input_size is None:
        kwargs = {"input_shape": (224, 224, 3)}
    keras.utils.set_random_seed(0)
    model = convnets_tf.build(name, **kwargs)
    row = {
        "model": name,
        "input": model.input_shape[1],
        "params": analysis.count_params(model).total,
        "macs": analysis.count_macs(model),
        "activations": analysis.count_activations(model),
        "latency": timing.inference_seconds(model, batch_size=1, repeats=repeats),
        "inference": BATCH / timing.inference_seconds(model, batch_size=BATCH,
                                                      repeats=repeats),
        "training": None if skip_training else timing.training_images_per_second(
            model, batch_size=BATCH, repeats=repeats),
    }
    del model
    keras.backend.clear_session()
    gc.collect()
    return row


def ratio(value, baseline):
    return "" if value is None or baseline is None else f"({value / baseline:.2f})"


def print_row(row, baseline):
    training = "-" if row["training"] is None else f"{row['training']:7.1f}"
    print(f"{row['model']:<22}{row['input']:>5}{row['params'] / 1e6:>8.1f}"
          f"{row['macs'] / 1e9:>8.2f}{row['activations'] / 1e6:>8.1f}"
          f"{row['latency'] * 1e3:>9.1f} {ratio(row['latency'], baseline['latency']):<7}"
          f"{row['inference']:>8.1f} {ratio(row['inference'], baseline['inference']):<7}"
          f"{training:>8} {ratio(row['training'], baseline['training']):<7}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", metavar="NAME",
                        help="names, family prefixes, or default, issue9, issue10, all "
                             "(default: default)")
    parser.add_argument("--input-size", type=int,
                        help="height and width for every model (default: each model's own)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed calls per figure, after two warm-up calls")
    parser.add_argument("--skip-training", action="store_true",
                        help="no batch-64 training step (the slowest part)")
    args = parser.parse_args()
    names = select(args.models)
    tf.get_logger().setLevel("ERROR")  # each model's step is traced anew
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"{timing.machine()}, {len(names)} models, {args.repeats} repeats, "
          f"batch {BATCH} for throughput")
    print(f"{'model':<22}{'input':>5}{'params':>8}{'GMACs':>8}{'acts':>8}"
          f"{'b1 ms':>9} {'(xR50)':<7}{'b64 inf':>8} {'(xR50)':<7}{'b64 trn':>8} {'(xR50)':<7}")
    print(f"{'':<22}{'':>5}{'M':>8}{'':>8}{'M':>8}{'':>9} {'':<7}{'img/s':>8} {'':<7}"
          f"{'img/s':>8}")
    start = time.time()
    baseline = None
    for name in names:
        row = measure(name, args.input_size, args.repeats, args.skip_training)
        baseline = baseline or row
        print_row(row, baseline)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{time.time() - start:.0f} s, peak memory {peak:.1f} GB, {timing.machine()}")


if __name__ == "__main__":
    main()
