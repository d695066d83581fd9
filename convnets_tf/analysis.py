"""Counting and tracing a built model: parameters, shapes, multiply-adds,
activations and receptive fields.

What the notebooks and tests used to re-write in cells:

    from convnets_tf import analysis
    model = convnets_tf.build("resnet50")
    analysis.count_params(model)           # ParamCount(trainable=25583592, total=25636712)
    analysis.count_macs(model) / 1e9       # 3.86: the ResNet paper's "3.8 x 10^9 FLOPs"
    analysis.receptive_field(model)        # 483 input pixels, one side, of a conv5 unit
    analysis.trace_shapes(model, {"conv1_relu": (1, 112, 112, 64)})

Multiply-adds are counted as the papers count "FLOPs" (ResNet's Table 1,
VGG, RegNet): one per weight per output position for convolutions and dense
layers, and nothing for biases, normalisation, activations, pooling or
additions. The counts are read from the built graph, so a model must have a
fixed input size. Layers of a nested model (a model used as a layer) are
counted at the shapes that model was built with, under the key
`"outer_name/inner_name"`.
"""

import collections
import math

import keras
import numpy as np

ParamCount = collections.namedtuple("ParamCount", ["trainable", "total"])
ParamCount.__doc__ = "Trainable and total (trainable plus non-trainable) parameters."

_CONVS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
               keras.layers.Conv3DTranspose)
_POOLS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
# Layers that change the map size without changing what a unit sees.
_RESIZE_ONLY = (keras.layers.ZeroPadding2D, keras.layers.Cropping2D)


def count_params(model):
    """Trainable and total parameters of `model`, as a `ParamCount`.

    `total` is `model.count_params()`: the trainable weights plus the
    non-trainable ones (BatchNorm's moving means and variances).
    """
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return ParamCount(int(trainable), int(model.count_params()))


def trace_shapes(model, expected):
    """Runs one random image through `model` and checks named layers' shapes.

    `expected` maps layer names to output shapes with a batch of 1, e.g.
    `{"conv1_relu": (1, 112, 112, 64), "avg_pool": (1, 2048)}`; a value of
    None prints the shape without checking it. Prints one line per layer,
    then raises AssertionError naming every layer whose shape differs.
    Returns the shapes, a dict in the order of `expected`.
    """
    names = list(expected)
    image = (1, *model.input_shape[1:])
    if None in image:
        raise ValueError(
            f"trace_shapes: {model.name} has no fixed input size {model.input_shape}; "
            f"build it with a fixed input_shape."
        )
    trace = keras.Model(model.input, [model.get_layer(n).output for n in names])
    x = np.random.default_rng(0).normal(size=image).astype("float32")
    outputs = trace(x)
    if len(names) == 1:
        outputs = [outputs]
    shapes = {name: tuple(int(d) for d in y.shape) for name, y in zip(names, outputs)}
    width = max(len(n) for n in names) + 2
    for name, shape in shapes.items():
        print(f"{name:<{width}}{shape}")
    wrong = [
        f"{name}: {shapes[name]}, expected {tuple(expected[name])}"
        for name in names
        if expected[name] is not None and shapes[name] != tuple(expected[name])
    ]
    if wrong:
        raise AssertionError("Output shapes differ: " + "; ".join(wrong))
    return shapes


def macs_per_layer(model):
    """Multiply-adds per image of every layer that has any, in graph order.

    Convolutions (grouped, depthwise, separable and transposed ones
    included) and dense layers: weights times output positions, biases left
    out. A dense layer applied to a feature map (a 1x1 convolution, as in
    ConvNeXt) counts at every position. Every other layer counts zero and
    is left out of the dict.
    """
    macs = {}
    for key, layer, inputs, outputs in _leaf_nodes(model):
        count = _node_macs(layer, inputs, outputs)
        if count:
            macs[key] = macs.get(key, 0) + count
    return macs


def count_macs(model):
    """Multiply-adds per image of the whole model (see `macs_per_layer`)."""
    return sum(macs_per_layer(model).values())


def cost_lines(models):
    """One line per model of `models` (label -> built model): its trainable
    parameters and multiply-adds per image, the costs the arms of a
    controlled comparison hold equal."""
    width = max(map(len, models))
    return "\n".join(
        f"{label:>{width}}: {count_params(model).trainable:,} trainable parameters, "
        f"{count_macs(model) / 1e6:.1f}M multiply-adds per image"
        for label, model in models.items())


def count_activations(model):
    """Output elements per image of all convolutions: RegNet's "activations"
    (Radosavovic et al. 2020, section 3.1), a proxy for memory traffic.

    A separable convolution counts both of its outputs, and a dense layer
    applied to a feature map counts as the 1x1 convolution it is.
    """
    total = 0
    for _, layer, inputs, outputs in _leaf_nodes(model):
        if isinstance(layer, _CONVS + _DEPTHWISE + _TRANSPOSED) or (
            isinstance(layer, keras.layers.Dense) and len(inputs[0].shape) > 2
        ):
            total += _elements(outputs[0], layer)
        elif isinstance(layer, _SEPARABLE):
            pointwise = _elements(outputs[0], layer)
            depthwise = pointwise // layer.filters * math.prod(layer.depthwise_kernel.shape[-2:])
            total += depthwise + pointwise
    return total


def receptive_field(model, layer=None):
    """How many input pixels, along one side, one unit of `layer`'s output sees.

    `layer` is a layer name or a layer of `model`; by default the last
    feature map (4-D output) of the model, the one that global pooling or
    flattening reads. The figure is the theoretical receptive field,
    r_out = r_in + (k - 1) * dilation * jump_in with jump_out = jump_in *
    stride, followed through every branch (the largest where branches
    join). It can exceed the input size. Global context, as a
    squeeze-and-excitation gate brings, is not counted. Where height and
    width differ (Inception's 1x7 and 7x1 factorisations between joins),
    the larger is returned.

    Raises ValueError for a layer that changes the map size in a way this
    function does not know (upsampling, a custom resampling layer).
    """
    states, last = _receptive_fields(model)
    if layer is None:
        if last is None:
            raise ValueError(f"receptive_field: {model.name} has no 4-D feature map.")
        key = last
    else:
        key = layer if isinstance(layer, str) else layer.name
        if key not in states:
            raise ValueError(f"receptive_field: {model.name} has no layer {key!r}.")
        if states[key] is None:
            raise ValueError(
                f"receptive_field: the output of {key!r} is not a feature map "
                f"(or holds global context only)."
            )
    size_h, size_w, _, _ = states[key]
    return int(max(size_h, size_w))


# -- the graph walk --------------------------------------------------------


def _graph_nodes(model):
    """The nodes of a functional model, inputs first."""
    functional = _functional(model)
    if functional is None:
        raise ValueError(
            f"{model.name}: only functional and Sequential models with a known "
            f"input shape can be analysed."
        )
    by_depth = functional._nodes_by_depth
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            if node.operation is not None and not node.is_input:
                yield functional, node


def _functional(model):
    """The functional graph of `model`: itself, or a built Sequential's."""
    if hasattr(model, "_nodes_by_depth"):
        return model
    inner = getattr(model, "_functional", None)  # keras.Sequential
    return inner if hasattr(inner, "_nodes_by_depth") else None


def _is_nested(layer):
    return isinstance(layer, keras.Model)


def _leaf_nodes(model, prefix=""):
    """(key, layer, input tensors, output tensors) for every call of a
    non-model layer, nested models flattened."""
    for _, node in _graph_nodes(model):
        layer = node.operation
        if _is_nested(layer):
            yield from _leaf_nodes(layer, f"{prefix}{layer.name}/")
        else:
            yield f"{prefix}{layer.name}", layer, list(node.input_tensors), list(node.outputs)


def _elements(tensor, layer):
    shape = tuple(tensor.shape[1:])
    if None in shape:
        raise ValueError(
            f"{layer.name}: output shape {tensor.shape} is not fixed; build the model "
            f"with a fixed input_shape to count it."
        )
    return math.prod(shape)


def _node_macs(layer, inputs, outputs):
    if isinstance(layer, _CONVS):
        positions = _elements(outputs[0], layer) // layer.filters
        return positions * math.prod(layer.kernel.shape)
    if isinstance(layer, _DEPTHWISE):
        channels = math.prod(layer.kernel.shape[-2:])  # inputs x multiplier
        positions = _elements(outputs[0], layer) // channels
        return positions * math.prod(layer.kernel.shape)
    if isinstance(layer, _SEPARABLE):
        positions = _elements(outputs[0], layer) // layer.filters
        kernels = math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape)
        return positions * kernels
    if isinstance(layer, _TRANSPOSED):
        # Every input position scatters the whole kernel.
        positions = _elements(inputs[0], layer) // layer.kernel.shape[-1]
        return positions * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        positions = _elements(outputs[0], layer) // layer.units
        return positions * math.prod(layer.kernel.shape)
    return 0


def _receptive_fields(model, input_states=None, prefix=""):
    """Receptive field and jump, (r_h, r_w, j_h, j_w), of every layer's
    output (None where it is not a spatial map), and the key of the last
    4-D output."""
    functional = _functional(model)
    if functional is None:
        raise ValueError(f"{model.name}: only functional and Sequential models can be analysed.")
    tensors = {}
    for i, x in enumerate(functional.inputs):
        state = input_states[i] if input_states is not None else (1, 1, 1, 1)
        tensors[id(x)] = state if len(x.shape) == 4 else None
    by_layer, last = {}, None
    for _, node in _graph_nodes(model):
        layer = node.operation
        inputs = list(node.input_tensors)
        outputs = list(node.outputs)
        in_states = [tensors.get(id(x)) for x in inputs]
        if _is_nested(layer):
            inner, inner_last = _receptive_fields(layer, in_states, f"{prefix}{layer.name}/")
            by_layer.update(inner)
            inner_outputs = _functional(layer).outputs
            out_states = [inner.get(f"{prefix}{layer.name}/{t._keras_history[0].name}")
                          for t in inner_outputs]
            if inner_last is not None:
                last = inner_last
        else:
            state = _layer_receptive_field(layer, inputs, in_states, outputs)
            out_states = [state] * len(outputs)
            by_layer[f"{prefix}{layer.name}"] = state
            if state is not None:
                last = f"{prefix}{layer.name}"
        for x, state in zip(outputs, out_states):
            tensors[id(x)] = state
    return by_layer, last


def _layer_receptive_field(layer, inputs, in_states, outputs):
    spatial = [s for s in in_states if s is not None]
    if len(outputs[0].shape) != 4 or not spatial:
        return None  # a vector, or a map computed from global context only
    if isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)):
        return None
    r_h, r_w, j_h, j_w = spatial[0]
    if isinstance(layer, _CONVS + _DEPTHWISE + _SEPARABLE):
        (k_h, k_w), (s_h, s_w), (d_h, d_w) = layer.kernel_size, layer.strides, layer.dilation_rate
        return (r_h + (k_h - 1) * d_h * j_h, r_w + (k_w - 1) * d_w * j_w, j_h * s_h, j_w * s_w)
    if isinstance(layer, _POOLS):
        (k_h, k_w), (s_h, s_w) = layer.pool_size, layer.strides
        return (r_h + (k_h - 1) * j_h, r_w + (k_w - 1) * j_w, j_h * s_h, j_w * s_w)
    if isinstance(layer, _RESIZE_ONLY):
        return spatial[0]
    # Anything else must keep the map size (normalisation, activations,
    # additions, concatenations, 1x1 dense layers); joins take the largest.
    size = tuple(outputs[0].shape[1:3])
    for x, state in zip(inputs, in_states):
        if state is not None and tuple(x.shape[1:3]) != size:
            raise ValueError(
                f"receptive_field: layer {layer.name!r} ({type(layer).__name__}) changes the "
                f"map size from {tuple(x.shape[1:3])} to {size}; its receptive field is unknown."
            )
    return tuple(max(s[i] for s in spatial) for i in range(4))
