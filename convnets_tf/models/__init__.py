"""One module per paper family; importing them fills the registry."""

from convnets_tf.models import (  # noqa: F401
    airbench,
    alexnet,
    bit,
    bn_inception,
    convmixer,
    convnext,
    densenet,
    efficientnet,
    googlenet,
    inception_resnet,
    inception_v3,
    inception_v4,
    lenet,
    mobilenet,
    nin,
    regnet,
    resnet,
    shufflenet,
    vgg,
    xception,
)
