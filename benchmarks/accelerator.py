"""ResNet-50 training throughput on this machine's GPU: float32 against mixed
precision, with XLA, on synthetic data (issue 11's accelerator check).

    python benchmarks/accelerator.py                  # 224x224, batch 256
    python benchmarks/accelerator.py --batch-size 128

One line per precision: images per second of one SGD training step
(`convnets_tf.timing.training_images_per_second`: forward, backward,
update on random images, compiled with XLA), the median of `--repeats`
steps after two warm-up steps, and the ratio to float32 in the same run.
The mixed policy is the one `train_cifar` picks for the device
(`mixed_float16` on GPUs with tensor cores, `mixed_bfloat16` on TPUs;
`--mixed` overrides it). Anchor: NVIDIA's TensorFlow ResNet-50 v1.5
reports about 2,375 images/s on one A100 with AMP and XLA.

It also runs on a CPU (say `--mixed mixed_bfloat16`, since there is no
automatic mixed policy there), slowly and only to check that it works; the
first line names the hardware. Figures are printed, never asserted.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import convnets_tf  # noqa: E402
from convnets_tf import timing, train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed steps per precision, after two warm-up steps")
    parser.add_argument("--mixed", help="the mixed precision policy (default: the device's)")
    args = parser.parse_args()
    mixed = args.mixed or train.set_precision("auto").name  # what train_cifar picks
    if mixed == "float32":
        parser.error("this machine has no automatic mixed precision policy (a CPU); "
                     "name one with --mixed mixed_bfloat16 or mixed_float16")
    print(f"{train.hardware()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"resnet50 at {args.input_size}x{args.input_size}, batch {args.batch_size}, XLA on, "
          f"{args.repeats} steps", flush=True)
    start = time.time()
    baseline = None
    for policy in ("float32", mixed):
        train.set_precision(policy)
        keras.utils.set_random_seed(0)
        model = convnets_tf.build("resnet50", input_shape=(args.input_size, args.input_size, 3))
        rate = timing.training_images_per_second(
            model, args.batch_size, args.repeats, jit_compile=True)
        baseline = baseline or rate
        print(f"{policy:<16} {rate:10.1f} images/s  ({rate / baseline:.2f}x float32)", flush=True)
        del model
        keras.backend.clear_session()
    train.set_precision("float32")
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
