"""convnets_tf: the landmark convolutional networks in Keras 3.

    import convnets_tf
    convnets_tf.list_models()
    model = convnets_tf.build("lenet5", input_shape=(32, 32, 3), num_classes=10)
"""

from convnets_tf import models  # noqa: F401  (registers every family)
from convnets_tf.registry import build, list_models, register_model

__all__ = ["build", "list_models", "register_model"]
__version__ = "0.1.0"
