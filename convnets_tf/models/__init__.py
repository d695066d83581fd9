"""One module per paper family; importing them fills the registry."""

from convnets_tf.models import alexnet, lenet  # noqa: F401
