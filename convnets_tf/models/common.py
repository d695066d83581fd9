"""Argument checks and model assembly shared by every builder."""

import os

import keras

from convnets_tf import weights as imagenet
from convnets_tf.layers import POOLINGS


def check_arguments(name, input_shape, min_size, pooling, weights, fixed_size=False):
    """Rejects impossible arguments before TensorFlow fails deep inside.

    `min_size` is the smallest height and width the model accepts; a None
    height or width accepts any size, unless `fixed_size` (a top that
    flattens the feature map into dense layers).
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"{name}: input_shape must be (height, width, channels), "
            f"got {input_shape}."
        )
    height, width, _ = input_shape
    size = max(min_size, 32)
    if fixed_size and None in (height, width):
        raise ValueError(
            f"{name}: its top flattens the feature map into dense layers, which needs a "
            f"fixed input size; give input_shape=(height, width, channels), or build it "
            f"with include_top=False to take any size."
        )
    # None: any size, checked when the model is called (progressive learning).
    if any(side is not None and side < min_size for side in (height, width)):
        raise ValueError(
            f"{name}: input size {height}x{width} is too small; the minimum "
            f"is {min_size}x{min_size}. Build it at input_shape=({size}, "
            f"{size}, 3) and train_cifar resizes CIFAR to it (command line: "
            f"--image-size {size}), or use a CIFAR variant (see "
            f"convnets_tf.list_models())."
        )
    check_option(name, "pooling", pooling, POOLINGS)
    if weights == "imagenet":
        imagenet.check_imagenet(name, input_shape)
    elif weights is not None and not os.path.isfile(weights):
        raise ValueError(
            f"{name}: weights must be None, 'imagenet' (for "
            f"{', '.join(imagenet.imagenet_models())}) or the path to a "
            f"weights file; {weights!r} is not a file."
        )


def check_option(model_name, option_name, value, allowed):
    """Raises ValueError unless `value` is one of `allowed` (a sequence, or
    a dict whose keys are the choices), naming the model, the option and
    the choices."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(
            f"{model_name}: {option_name} must be one of "
            f"{', '.join(map(str, allowed))}; got {value!r}."
        )


def make_model(inputs, outputs, name, weights):
    """Wraps the graph in a `keras.Model` and loads `weights` if given:
    keras.applications' ImageNet file for "imagenet" (see
    `convnets_tf.weights`), else the weights file at that path."""
    model = keras.Model(inputs, outputs, name=name)
    if weights == "imagenet":
        imagenet.load_imagenet(model, name)
    elif weights is not None:
        model.load_weights(weights)
    return model
