"""Checks shared by the tests of models that have a keras.applications twin
(imported by tests/test_mobilenet.py and tests/test_efficientnet.py)."""

import numpy as np


def randomise(model, seed=0):
    """Gives every weight a random value of a sensible scale: LeCun-normal
    kernels, BatchNorm scales and moving variances in [0.5, 1.5], small
    shifts and means; the logits come out of order 0.5. Fresh Keras
    initialisations are no test: deep MobileNets and EfficientNets then
    output about 1e-10, where any two networks agree to 1e-4. (He-normal
    kernels gave logits up to 40, where float32 rounding alone, keras'
    hard sigmoid x * (1/6) against Keras' activation's x / 6, reached 3e-4.)"""
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        path, shape = weight.path, tuple(weight.shape)
        if path.endswith(("gamma", "moving_variance")):
            value = rng.uniform(0.5, 1.5, shape)
        elif path.endswith("kernel"):
            # Variance-preserving for linear layers; a depthwise kernel
            # (k, k, channels, 1) reads k * k inputs.
            fan_in = np.prod(shape[:2] if "depthwise" in path else shape[:-1])
            value = rng.normal(0.0, np.sqrt(1.0 / fan_in), shape)
        elif path.endswith(("beta", "bias", "moving_mean")):
            value = rng.normal(0.0, 0.1, shape)
        else:  # Normalization's mean, variance and count stay as built
            value = np.asarray(weight)
        values.append(value.astype(weight.dtype))
    model.set_weights(values)


def weighted_layer_names(model, rename=None):
    """Names of the layers that hold weights, in order, through `rename`."""
    rename = rename or (lambda name: name)
    return [rename(layer.name) for layer in model.layers if layer.weights]


def assert_equivalent(ours, theirs, x, total, rename=None):
    """`ours` has `theirs`' weights (`total` of them, BatchNorm statistics
    included) in the same order under the same layer names (after
    `rename`), and computes the same function of `x` to 1e-4 once it holds
    `theirs`' (randomised) weights."""
    assert ours.count_params() == theirs.count_params() == total
    assert weighted_layer_names(ours) == weighted_layer_names(theirs, rename)
    randomise(theirs)
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs(x))
    assert np.abs(expected).max() > 0.1  # the comparison is not of zeros
    np.testing.assert_allclose(np.asarray(ours(x)), expected, atol=1e-4, rtol=1e-5)
