"""How fast a model runs here: latency, throughput, and TFLite (LiteRT).

Timings are medians of several repeats after warm-up calls, so the first
call's tracing and one-off stalls do not count. They depend on the machine
and on what else runs on it: `machine()` gives the line to print beside
them (cores and load average).

    latency = inference_seconds(model, batch_size=1)
    step = forward_backward(layer, upstream)     # time it with median_seconds
    rate = training_images_per_second(model, batch_size=64)
    flat = to_tflite(model)                      # float32 flatbuffer
    int8 = to_tflite(model, calibration=images)  # int8 post-training quantised
    outputs = run_tflite(flat, images)
    seconds = tflite_seconds(flat)
"""

import contextlib
import io
import os
import statistics
import time
import warnings

import keras
import numpy as np
import tensorflow as tf


def machine():
    """The CPU cores and the 1-minute load average, e.g. '2 CPU cores, load 1.9'."""
    return f"{os.cpu_count()} CPU cores, load {os.getloadavg()[0]:.1f}"


def median_seconds(fn, repeats=10, warmup=2):
    """The median wall time of `fn()` over `repeats` calls, after `warmup`."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_backward(layer, upstream):
    """One training step's work for `layer` (a layer or a model), compiled:
    a function of `x` that returns the output and the gradients of
    `sum(output * upstream)` for `x` and for every trainable weight.
    `upstream` stands for the gradient arriving from the layers above."""

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * upstream)
        return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]

    return step


def _random_input(model, batch_size, seed=0):
    shape = model.input_shape[1:]
    if None in shape:
        raise ValueError(f"{model.name} has no fixed input size {shape}; build it with one.")
    return np.random.default_rng(seed).uniform(0, 1, (batch_size, *shape)).astype("float32")


def inference_seconds(model, batch_size=1, repeats=10, warmup=2):
    """Median seconds of one inference call on a batch of `batch_size`
    random images at the model's input size (a compiled `tf.function`, as
    `predict` runs it, without `predict`'s per-call overhead), after
    `warmup` untimed calls (the first traces)."""
    images = tf.constant(_random_input(model, batch_size))
    forward = tf.function(lambda x: model(x, training=False))
    return median_seconds(lambda: forward(images).numpy(), repeats, warmup)


def training_images_per_second(model, batch_size=64, repeats=5, jit_compile=False):
    """Training images per second: the median time of one SGD step (forward,
    backward, update) on a batch of random images and labels. The model is
    compiled here with plain SGD and cross-entropy, so the figure measures
    the architecture, not a recipe; `jit_compile` compiles the step with
    XLA (as `train_cifar` does on a GPU or TPU)."""
    images = tf.constant(_random_input(model, batch_size))
    labels = tf.zeros((batch_size,), "int32")
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  jit_compile=jit_compile)
    return batch_size / median_seconds(lambda: model.train_on_batch(images, labels), repeats)


def to_tflite(model, calibration=None):
    """The model as a TFLite (LiteRT) flatbuffer, float32; with `calibration`
    (a few hundred representative inputs, preprocessed as the model expects
    them), int8 post-training quantisation of weights and activations, with
    float32 input and output."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calibration is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]

        def representative():
            for image in calibration:
                yield [np.asarray(image, "float32")[None]]

        converter.representative_dataset = representative
    # The converter prints every traced tensor of the exported SavedModel,
    # and warns that float inputs have no quantisation statistics (they stay
    # float on purpose); failures raise, so its chatter is dropped.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Statistics for quantized inputs")
        return converter.convert()


def _interpreter(flatbuffer):
    # LiteRT's interpreter: tf.lite's is deprecated and warns on every use.
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer, num_threads=os.cpu_count())
    interpreter.allocate_tensors()
    return interpreter


def run_tflite(flatbuffer, images):
    """The TFLite model's outputs for `images`, one image at a time (the
    converted model has batch 1)."""
    interpreter = _interpreter(flatbuffer)
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]
    outputs = []
    for image in images:
        interpreter.set_tensor(source, np.asarray(image, "float32")[None])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(target)[0])
    return np.stack(outputs)


def tflite_seconds(flatbuffer, repeats=20):
    """Median seconds of one batch-1 TFLite inference on a random image."""
    interpreter = _interpreter(flatbuffer)
    details = interpreter.get_input_details()[0]
    image = np.random.default_rng(0).uniform(0, 1, details["shape"]).astype("float32")
    interpreter.set_tensor(details["index"], image)
    return median_seconds(interpreter.invoke, repeats)
