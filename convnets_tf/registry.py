"""The model registry: one name per model variant, one `build` for all.

Each family module registers its builders at import time, timm-style, so a
variant is a builder plus the keyword arguments that make it that variant.
"""

import difflib
import functools

_BUILDERS = {}


def register_model(name, builder, **variant_kwargs):
    """Registers `builder` under `name`, with the keywords that define it."""
    if name in _BUILDERS:
        raise ValueError(f"Model name '{name}' is already registered.")
    _BUILDERS[name] = functools.partial(builder, name=name, **variant_kwargs)


def list_models():
    """Returns the sorted list of registered model names."""
    return sorted(_BUILDERS)


def build(name, **kwargs):
    """Builds the registered model `name`; `kwargs` go to its builder.

    Example: `build("alexnet_cifar", num_classes=100)`.
    """
    if name not in _BUILDERS:
        close = difflib.get_close_matches(name, _BUILDERS, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"Unknown model '{name}'.{hint} "
            f"Known models: {', '.join(list_models())}."
        )
    return _BUILDERS[name](**kwargs)
