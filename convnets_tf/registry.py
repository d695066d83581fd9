"""The model registry: one name per model variant, one `build` for all.

Each family module registers its builders at import time, timm-style, so a
variant is a builder plus the keyword arguments that make it that variant.
"""

import collections
import difflib
import types

_BUILDERS = {}

ModelSpec = collections.namedtuple("ModelSpec", ["name", "builder", "kwargs"])
ModelSpec.__doc__ = """What a registered name stands for: `builder(name=name, **kwargs)`.

`kwargs` holds the variant's keywords only (`depth=50`, `cardinality=32`),
read-only; `build(name, **more)` adds `more` to them, `more` winning.
"""


def register_model(name, builder, **variant_kwargs):
    """Registers `builder` under `name`, with the keywords that define it."""
    if name in _BUILDERS:
        raise ValueError(f"Model name '{name}' is already registered.")
    _BUILDERS[name] = ModelSpec(name, builder, types.MappingProxyType(dict(variant_kwargs)))


def list_models():
    """Returns the sorted list of registered model names."""
    return sorted(_BUILDERS)


def model_spec(name):
    """The builder and variant keywords registered under `name`, a `ModelSpec`.

    Example: `model_spec("vgg16")` has `builder` `convnets_tf.models.vgg.vgg`
    and `kwargs` `{"config": "D"}`: `build("vgg16")` calls
    `vgg(name="vgg16", config="D")`. Raises ValueError for an unknown name.
    """
    _check_name(name)
    return _BUILDERS[name]


def build(name, **kwargs):
    """Builds the registered model `name`; `kwargs` go to its builder.

    Example: `build("alexnet_cifar", num_classes=100)`.
    """
    _check_name(name)
    spec = _BUILDERS[name]
    return spec.builder(**{"name": name, **spec.kwargs, **kwargs})


def _check_name(name):
    if name not in _BUILDERS:
        close = difflib.get_close_matches(name, _BUILDERS, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"Unknown model '{name}'.{hint} "
            f"Known models: {', '.join(list_models())}."
        )
