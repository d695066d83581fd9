"""Throughput of `make_dataset` against a naive per-image `tf.data` pipeline.

Usage:
    python benchmarks/input_pipeline.py [--data PATH] [--batch-size 128] [--epochs N]

The naive baseline maps pad + random crop + flip + normalise over single
images; `make_dataset` gathers and augments whole batches. Both produce the
same kind of batches, so the ratio is the speed-up of the training pipeline.

Measured on a 2-core CPU, 10k-image offline sample, three runs of

    python benchmarks/input_pipeline.py --data ../shared/data/cifar10_sample.npz --epochs 5

naive 16,300-20,000 images/s, make_dataset 129,000-143,000 images/s,
ours / naive 7.1-7.9x.
"""

import argparse
import time

import tensorflow as tf

from convnets_tf.data import CIFAR_MEAN, CIFAR_STD, load_cifar, make_dataset


def naive_dataset(x, y, batch_size):
    """The textbook pipeline: shuffle, then augment one image at a time."""
    height, width, channels = x.shape[1:]

    def augment(image, label):
        image = tf.image.pad_to_bounding_box(image, 4, 4, height + 8, width + 8)
        image = tf.image.random_crop(image, [height, width, channels])
        image = tf.image.random_flip_left_right(image)
        image = (tf.cast(image, tf.float32) - CIFAR_MEAN) / CIFAR_STD
        return image, tf.cast(label, tf.int32)

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x))
    dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def images_per_second(dataset, epochs):
    """Times full passes after one warm-up pass (tracing, buffer filling)."""
    for _ in dataset:
        pass
    count = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for images, _ in dataset:
            count += images.shape[0]
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="CIFAR .npz file (default: load_cifar's lookup)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3, help="timed passes each")
    args = parser.parse_args()

    (x, y), _ = load_cifar(source=args.data)
    naive = images_per_second(naive_dataset(x, y, args.batch_size), args.epochs)
    ours = images_per_second(
        make_dataset(x, y, args.batch_size, training=True), args.epochs
    )
    print(f"{len(x)} images, batch {args.batch_size}, {args.epochs} timed epochs")
    print(f"naive:        {naive:10,.0f} images/s")
    print(f"make_dataset: {ours:10,.0f} images/s")
    print(f"ours / naive: {ours / naive:10.1f}x")


if __name__ == "__main__":
    main()
