"""Timing helpers and the TFLite (LiteRT) round trip, on a small model."""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf import timing


@pytest.fixture(scope="module")
def model():
    return convnets_tf.build("lenet5_modern", input_shape=(32, 32, 3))


def test_timings_are_positive(model):
    assert 0 < timing.inference_seconds(model, batch_size=4, repeats=2) < 10
    assert timing.training_images_per_second(model, batch_size=8, repeats=2) > 0
    assert timing.machine().startswith(f"{timing.os.cpu_count()} CPU cores, load ")


def test_median_ignores_warmup_and_outliers():
    delays = iter([0.3, 0.0, 0.0, 0.2, 0.0])
    assert timing.median_seconds(lambda: timing.time.sleep(next(delays)),
                                 repeats=4, warmup=1) < 0.1


def test_forward_backward_gives_the_output_and_the_gradients_of_a_dense_layer():
    rng = np.random.default_rng(0)
    x, upstream = (rng.normal(size=shape).astype("float32") for shape in ((4, 3), (4, 2)))
    dense = keras.layers.Dense(2, use_bias=False)
    dense.build((4, 3))
    kernel = dense.get_weights()[0]
    y, dx, dkernel = (t.numpy() for t in timing.forward_backward(dense, upstream)(x))
    # sum(y * upstream) with y = x @ kernel: d/dx = upstream @ kernel.T, d/dkernel = x.T @ upstream
    np.testing.assert_allclose(y, x @ kernel, rtol=1e-5)
    np.testing.assert_allclose(dx, upstream @ kernel.T, rtol=1e-5)
    np.testing.assert_allclose(dkernel, x.T @ upstream, rtol=1e-5)


def test_tflite_float_and_int8_agree_with_keras(model):
    images = np.random.default_rng(0).uniform(0, 1, (16, 32, 32, 3)).astype("float32")
    expected = model.predict(images, verbose=0)
    flat = timing.to_tflite(model)
    np.testing.assert_allclose(timing.run_tflite(flat, images), expected, atol=1e-5)
    int8 = timing.to_tflite(model, calibration=images)
    assert len(int8) < len(flat) / 2  # int8 weights
    quantised = timing.run_tflite(int8, images)
    assert np.abs(quantised - expected).max() < 0.1
    assert timing.tflite_seconds(flat, repeats=2) > 0


def test_a_model_without_a_fixed_input_size_is_refused():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(ValueError, match="no fixed input size"):
        timing.inference_seconds(model)
