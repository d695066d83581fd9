"""airbench94 and its initialisations: the whitening first layer and the
identity-initialised convolutions (convnets_tf/models/airbench.py)."""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_params
from convnets_tf.data import CIFAR_MEAN, CIFAR_STD
from convnets_tf.layers import PartialIdentity, whitening_kernel


def test_whitening_kernel_decorrelates_patches():
    rng = np.random.default_rng(0)
    # Strongly correlated channels and neighbouring pixels, like photographs.
    noise = rng.normal(size=(200, 9, 9, 3)).astype(np.float32)
    images = noise + noise[:, :, :, :1] + np.roll(noise, 1, axis=1)
    kernel = whitening_kernel(images, 2, epsilon=0.0)
    assert kernel.shape == (2, 2, 3, 24)
    np.testing.assert_allclose(kernel[..., 12:], -kernel[..., :12])
    outputs = keras.ops.convert_to_numpy(keras.ops.conv(images, kernel[..., :12]))
    flat = outputs.reshape(-1, 12).astype(np.float64)
    np.testing.assert_allclose(flat.T @ flat / len(flat), np.eye(12), atol=1e-3)


def test_whitening_kernel_refuses_images_smaller_than_a_patch():
    with pytest.raises(ValueError, match=r"at least 2x2 pixels"):
        whitening_kernel(np.zeros((4, 1, 1, 3)), 2)


def test_partial_identity_passes_its_input_through():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 6, 4)).astype(np.float32)
    kernel = PartialIdentity(seed=1)((3, 3, 4, 6))
    y = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, padding="same"))
    np.testing.assert_allclose(y[..., :4], x, atol=1e-6)  # the dirac filters
    assert np.std(keras.ops.convert_to_numpy(kernel)[..., 4:]) > 0  # the others random
    bound = 1 / np.sqrt(3 * 3 * 4)  # PyTorch's default: uniform within 1/sqrt(fan_in)
    assert np.abs(keras.ops.convert_to_numpy(kernel)[..., 4:]).max() <= bound


def test_airbench94_counts_and_whitened_frozen_first_layer():
    images = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    model = convnets_tf.build("airbench94", whitening_images=images)
    # By hand: the blocks' convolutions and BatchNorm shifts, the dense layer.
    blocks = [(24, 64), (64, 256), (256, 256)]
    expected = sum(9 * cin * cout + 9 * cout * cout + 2 * cout for cin, cout in blocks) + 256 * 10
    assert count_params(model).trainable == expected == 1_971_328
    whiten = model.get_layer("whiten")
    assert not whiten.trainable
    assert not {id(w) for w in whiten.weights} & {id(w) for w in model.trainable_weights}
    normalised = (images.astype(np.float32) - CIFAR_MEAN) / CIFAR_STD
    np.testing.assert_allclose(whiten.get_weights()[0], whitening_kernel(normalised, 2))
    assert model.output_shape == (None, 10)
