"""convnets_tf: the landmark convolutional networks in Keras 3.

    import convnets_tf
    convnets_tf.list_models()
    model = convnets_tf.build("lenet5", input_shape=(32, 32, 3), num_classes=10)
    convnets_tf.analysis.count_params(model)
"""

# models registers every family; analysis and notebook are public modules.
from convnets_tf import analysis, models, notebook  # noqa: F401
from convnets_tf.registry import ModelSpec, build, list_models, model_spec, register_model

__all__ = ["ModelSpec", "build", "list_models", "model_spec", "register_model"]
__version__ = "0.1.0"
