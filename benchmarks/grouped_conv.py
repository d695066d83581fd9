"""Grouped convolution on CPU: GroupedConv2D against Keras' Conv2D(groups).

Times one training step (forward and backward, gradients for the input and
every weight) of ResNeXt's grouped 3x3 convolution and of the whole
bottleneck block around it (Xie et al. 2017, figure 3(c): 1x1 conv to
`width` channels, grouped 3x3 conv, 1x1 conv back, each with BatchNorm,
identity shortcut), built once with `convnets_tf.layers.GroupedConv2D` and
once with `keras.layers.Conv2D(groups=...)`, with the same weights. It
checks that both give the same outputs and gradients, and prints the time
per step, the speed-up, and the dense (groups=1) convolution for scale.

    python benchmarks/grouped_conv.py                    # about a minute
    python benchmarks/grouped_conv.py --batch-size 64 --only conv   # several minutes

The defaults are ResNeXt-50's first-stage block (256 -> 128 -> 256,
cardinality 32, so 4 channels per group) at 16x16. Keras' grouped step
dominates the run time, which grows with the batch. Figures are printed,
never asserted: they depend on the machine. Run it on a CPU-only machine;
where TensorFlow sees a GPU, GroupedConv2D is Keras' Conv2D by design.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from convnets_tf.layers import GroupedConv2D  # noqa: E402
from convnets_tf.timing import forward_backward, median_seconds  # noqa: E402


def grouped_conv(conv, shape, width, cardinality):
    """The grouped 3x3 convolution alone, as a model."""
    inputs = keras.Input(shape[1:])
    outputs = conv(width, 3, padding="same", groups=cardinality,
                   use_bias=False, name="conv")(inputs)
    return keras.Model(inputs, outputs)


def bottleneck(conv, shape, width, cardinality):
    """ResNeXt's bottleneck block, figure 3(c), with an identity shortcut."""
    inputs = keras.Input(shape[1:])
    x = inputs
    for i, (filters, size, groups) in enumerate(
        ((width, 1, 1), (width, 3, cardinality), (shape[-1], 1, 1))
    ):
        x = conv(filters, size, padding="same", groups=groups, use_bias=False,
                 name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        if i < 2:
            x = keras.layers.ReLU()(x)
    x = keras.layers.ReLU()(keras.layers.Add()([x, inputs]))
    return keras.Model(inputs, x)


def time_step(step, x, repeats):
    """Median seconds per step, after a first call that traces (and, for
    Keras' grouped convolution, XLA-compiles) the step; and the first
    call's outputs."""
    first = [t.numpy() for t in step(x)]
    return median_seconds(lambda: [t.numpy() for t in step(x)], repeats, warmup=0), first


def max_relative_difference(a, b):
    return max(
        float(np.abs(u - v).max() / max(np.abs(v).max(), 1e-12))
        for u, v in zip(a, b)
    )


def compare(title, build, args):
    shape = (args.batch_size, args.size, args.size, args.channels)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=shape), "float32")
    keras.utils.set_random_seed(0)
    ours = build(GroupedConv2D, shape, args.width, args.cardinality)
    theirs = build(keras.layers.Conv2D, shape, args.width, args.cardinality)
    theirs.set_weights(ours.get_weights())
    dense = build(keras.layers.Conv2D, shape, args.width, 1)
    upstream = tf.constant(rng.normal(size=ours.output_shape[1:]), "float32")

    t_ours, out_ours = time_step(forward_backward(ours, upstream), x, args.repeats)
    t_theirs, out_theirs = time_step(forward_backward(theirs, upstream), x, args.repeats)
    t_dense, _ = time_step(forward_backward(dense, upstream), x, args.repeats)
    difference = max_relative_difference(out_ours, out_theirs)

    print(f"\n{title}, input {shape}, width {args.width}, "
          f"cardinality {args.cardinality}: forward + backward, s/step")
    print(f"  GroupedConv2D              {t_ours:9.4f}")
    print(f"  {f'Conv2D(groups={args.cardinality})':<27}{t_theirs:9.4f}")
    print(f"  Conv2D dense (groups=1)    {t_dense:9.4f}   "
          f"({args.cardinality}x the arithmetic in the 3x3 conv)")
    print(f"  speed-up of GroupedConv2D over Conv2D(groups): "
          f"{t_theirs / t_ours:.0f}x")
    print(f"  outputs and {len(out_ours) - 1} gradients: largest difference "
          f"{difference:.1e} of the largest value")
    return difference


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--size", type=int, default=16, help="height and width")
    parser.add_argument("--channels", type=int, default=256,
                        help="block input and output channels")
    parser.add_argument("--width", type=int, default=128,
                        help="channels of the grouped 3x3 convolution")
    parser.add_argument("--cardinality", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2,
                        help="timed steps after the first")
    parser.add_argument("--only", choices=("conv", "block"),
                        help="run one of the two comparisons")
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")  # each model's step is traced anew
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"{len(os.sched_getaffinity(0))} CPU cores, devices: "
          f"{', '.join(d.name for d in tf.config.list_logical_devices())}")

    differences = []
    if args.only in (None, "conv"):
        # The conv alone reads the block's `width` channels.
        conv_args = argparse.Namespace(**{**vars(args), "channels": args.width})
        differences.append(compare("Grouped 3x3 convolution", grouped_conv, conv_args))
    if args.only in (None, "block"):
        differences.append(compare("ResNeXt bottleneck block", bottleneck, args))
    if max(differences) > 1e-4:
        raise SystemExit("GroupedConv2D and Conv2D(groups) disagree.")


if __name__ == "__main__":
    main()
