"""ResNet-50 training throughput through Keras 3's JAX backend: float32
against mixed float16 and mixed bfloat16, XLA-compiled, synthetic data.

`accelerator.py` measures the same through TensorFlow and needs it. This
script is for accelerator machines that have JAX but no TensorFlow (this
project's lent GPU machines, where a TensorFlow wheel is too large to
carry). It uses `keras.applications.ResNet50`, which `convnets_tf`'s
`resnet50` equals layer for layer and weight for weight
(tests/test_resnet.py), because `convnets_tf` itself imports TensorFlow.

    KERAS_BACKEND=jax python benchmarks/accelerator_jax.py
    KERAS_BACKEND=jax python benchmarks/accelerator_jax.py --batch-size 128 --repeats 10

One line per precision: images per second of one SGD training step
(forward, backward, update; Keras compiles it with XLA on JAX), the median
of `--repeats` steps after three warm-up steps, and the ratio to float32
in the same run. Figures are printed, never asserted.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def images_per_second(batch_size, input_size, repeats):
    keras.utils.set_random_seed(0)
    model = keras.applications.ResNet50(weights=None, input_shape=(input_size, input_size, 3))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    # On the device once: a NumPy batch would be copied from the host every step.
    images = jax.device_put(np.random.default_rng(0).uniform(
        0, 1, (batch_size, input_size, input_size, 3)).astype("float32"))
    labels = jax.device_put(np.zeros(batch_size, "int32"))
    for _ in range(3):
        model.train_on_batch(images, labels)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(images, labels)  # returns the loss, so the step has finished
        times.append(time.perf_counter() - start)
    return batch_size / statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if keras.backend.backend() != "jax":
        parser.error(f"run it with KERAS_BACKEND=jax (Keras uses {keras.backend.backend()})")
    device = jax.devices()[0]
    print(f"{device.device_kind} ({device.platform}), JAX {jax.__version__}, Keras "
          f"{keras.__version__}, keras.applications.ResNet50 at {args.input_size}x"
          f"{args.input_size}, batch {args.batch_size}, {args.repeats} steps", flush=True)
    start = time.time()
    baseline = None
    for policy in POLICIES:
        keras.config.set_dtype_policy(policy)
        rate = images_per_second(args.batch_size, args.input_size, args.repeats)
        baseline = baseline or rate
        print(f"{policy:<16} {rate:10.1f} images/s  ({rate / baseline:.2f}x float32)", flush=True)
        keras.backend.clear_session()
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
