"""convnets_tf.analysis: counts checked by hand on tiny models and against
published figures on ResNet-50 and VGG-16."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import convnets_tf
from convnets_tf import analysis
from convnets_tf.layers import GroupedConv2D


def tiny_model():
    """Every counted layer kind once, small enough to count by hand."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = GroupedConv2D(6, 3, strides=2, padding="same", groups=2, name="c2")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.SeparableConv2D(8, 3, name="sep")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(5, name="fc")(x)
    return keras.Model(inputs, outputs, name="tiny")


# Multiply-adds per image: output positions x kernel weights, no biases.
TINY_MACS = {
    "c1": 8 * 8 * (3 * 3 * 3 * 4),           # 8x8x4 out
    "c2": 4 * 4 * (3 * 3 * 2 * 6),           # stride 2, 2 groups of 2 -> 3 channels
    "dw": 4 * 4 * (3 * 3 * 6),               # one 3x3 filter per channel
    "sep": 2 * 2 * (3 * 3 * 6 + 6 * 8),      # valid: 4x4 -> 2x2, depthwise + 1x1
    "fc": 8 * 5,
}


def test_count_params_on_a_hand_counted_model():
    count = analysis.count_params(tiny_model())
    trainable = ((27 * 4 + 4) + 2 * 4 + (18 * 6 + 6) + (54 + 6)
                 + (54 + 48 + 8) + (8 * 5 + 5))
    assert count == (trainable, trainable + 2 * 4)  # BatchNorm's moving mean, variance
    assert count.trainable == trainable


def test_cost_lines_name_each_model_with_its_counts():
    def conv(filters):   # 32 x 32 x 27 x filters multiply-adds
        inputs = keras.Input((32, 32, 3))
        return keras.Model(inputs, keras.layers.Conv2D(filters, 3, padding="same")(inputs))

    lines = analysis.cost_lines({"64": conv(64), "wider, 128": conv(128)})
    assert lines.splitlines() == [
        "        64: 1,792 trainable parameters, 1.8M multiply-adds per image",
        "wider, 128: 3,584 trainable parameters, 3.5M multiply-adds per image",
    ]


def test_multiply_adds_activations_and_receptive_fields_by_hand():
    model = tiny_model()
    assert analysis.macs_per_layer(model) == TINY_MACS
    assert list(analysis.macs_per_layer(model)) == list(TINY_MACS)  # graph order
    assert analysis.count_macs(model) == sum(TINY_MACS.values()) == 9_952
    # Conv outputs: 8x8x4, 4x4x6, 4x4x6, and the separable conv's 2x2x6 and 2x2x8.
    assert analysis.count_activations(model) == 256 + 96 + 96 + 24 + 32
    # 3x3 convs: 3, then 5; stride 2 doubles the step, so the next two 3x3
    # layers add 4 each.
    fields = {name: analysis.receptive_field(model, name) for name in ("c1", "bn", "c2", "dw")}
    assert fields == {"c1": 3, "bn": 3, "c2": 5, "dw": 9}
    assert analysis.receptive_field(model) == 13  # the last map, before pooling
    assert analysis.receptive_field(model, model.get_layer("sep")) == 13
    with pytest.raises(ValueError, match="not a feature map"):
        analysis.receptive_field(model, "fc")
    with pytest.raises(ValueError, match="no layer 'c9'"):
        analysis.receptive_field(model, "c9")


def stack(*layers, size=33):
    return keras.Sequential([keras.Input((size, size, 1)), *layers])


def conv(kernel, **kwargs):
    return keras.layers.Conv2D(1, kernel, kernel_initializer="ones", use_bias=False, **kwargs)


def measured_receptive_field(model):
    """The input pixels that can change the centre output unit: where its
    gradient is non-zero (all-ones kernels and positive inputs, so nothing
    cancels). Notebook 04's method."""
    x = tf.random.stateless_uniform((1, *model.input_shape[1:]), seed=(0, 0)) + 0.5
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
        centre = y[0, y.shape[1] // 2, y.shape[2] // 2, 0]
    touched = np.argwhere(tape.gradient(centre, x)[0, :, :, 0].numpy() != 0)
    return int(touched[:, 0].max() - touched[:, 0].min() + 1)


@pytest.mark.parametrize("layers, expected", [
    ([conv(3), conv(3)], 5),                      # VGG: two 3x3 see 5x5
    ([conv(3), conv(3), conv(3)], 7),             # three see 7x7
    ([conv(7)], 7),
    ([conv(3, strides=2), conv(3)], 7),           # stride 2 doubles the next layer's step
    ([conv(3), keras.layers.AveragePooling2D(2), conv(3, dilation_rate=2)], 12),
    ([keras.layers.ZeroPadding2D(1), conv(3, strides=2), keras.layers.DepthwiseConv2D(
        3, depthwise_initializer="ones", use_bias=False)], 7),
])
def test_receptive_field_formula_matches_the_gradient(layers, expected):
    model = stack(*layers)
    assert analysis.receptive_field(model) == expected
    assert measured_receptive_field(model) == expected


def test_receptive_field_takes_the_widest_branch_and_nested_models():
    inputs = keras.Input((33, 33, 1))
    wide = conv(3, padding="same")(conv(3, padding="same")(inputs))
    narrow = conv(1)(inputs)
    joined = keras.layers.Add(name="join")([wide, narrow])
    inner = keras.Model(inputs, joined, name="inner")
    outer_in = keras.Input((33, 33, 1))
    outer = keras.Model(outer_in, conv(3, name="last")(inner(outer_in)), name="outer")
    assert analysis.receptive_field(inner) == 5 == measured_receptive_field(inner)
    assert analysis.receptive_field(outer, "inner/join") == 5
    assert analysis.receptive_field(outer) == 7 == measured_receptive_field(outer)
    # A nested model's layers are counted under "model/layer".
    macs = analysis.macs_per_layer(outer)
    assert analysis.count_macs(inner) == 33 * 33 * (9 + 9 + 1)
    assert sum(v for k, v in macs.items() if k.startswith("inner/")) == 33 * 33 * 19
    assert macs["last"] == 31 * 31 * 9
    assert analysis.count_activations(outer) == 3 * 33 * 33 + 31 * 31


def test_dense_on_a_feature_map_counts_at_every_position():
    """ConvNeXt's pointwise layers: a Dense on a 4x4x6 map is a 1x1 conv."""
    inputs = keras.Input((4, 4, 6))
    model = keras.Model(inputs, keras.layers.Dense(7, name="pw")(inputs))
    assert analysis.macs_per_layer(model) == {"pw": 4 * 4 * 6 * 7}
    assert analysis.count_activations(model) == 4 * 4 * 7
    assert analysis.receptive_field(model) == 1


def test_unknown_resampling_and_free_input_size_are_refused():
    model = stack(conv(3), keras.layers.UpSampling2D(2, name="up"), size=8)
    with pytest.raises(ValueError, match="'up' .*UpSampling2D.* changes the map size"):
        analysis.receptive_field(model)
    free = keras.Sequential([keras.Input((None, None, 3)), conv(3)])
    with pytest.raises(ValueError, match="fixed input_shape"):
        analysis.count_macs(free)
    with pytest.raises(ValueError, match="fixed input_shape"):
        analysis.trace_shapes(free, {})


def test_trace_shapes_prints_checks_and_raises(capsys):
    model = tiny_model()
    shapes = analysis.trace_shapes(model, {"c2": (1, 4, 4, 6), "sep": None, "fc": (1, 5)})
    assert shapes == {"c2": (1, 4, 4, 6), "sep": (1, 2, 2, 8), "fc": (1, 5)}
    assert capsys.readouterr().out.splitlines() == [
        "c2   (1, 4, 4, 6)", "sep  (1, 2, 2, 8)", "fc   (1, 5)",
    ]
    with pytest.raises(AssertionError, match=r"c1: \(1, 8, 8, 4\), expected \(1, 8, 8, 3\)"):
        analysis.trace_shapes(model, {"c1": (1, 8, 8, 3), "fc": (1, 5)})
    assert capsys.readouterr().out.splitlines()[0] == "c1  (1, 8, 8, 4)"  # printed first


def test_resnet50_against_the_papers():
    model = convnets_tf.build("resnet50")
    # keras.applications.ResNet50's 25,636,712, less 53,120 moving statistics.
    assert analysis.count_params(model) == (25_583_592, 25_636_712)
    # He et al. (2016) Table 1: 3.8 x 10^9 FLOPs (multiply-adds). With the
    # stride in the first 1x1 layer, as the paper and keras.applications
    # have it, the convolutions and the classifier give 3.86e9.
    macs = analysis.count_macs(model)
    assert 3.8e9 <= macs <= 4.1e9
    assert macs == 3_857_973_248
    # conv1: 112x112 positions, 7x7x3x64 weights.
    assert analysis.macs_per_layer(model)["conv1_conv"] == 112 * 112 * 7 * 7 * 3 * 64
    # By hand: conv1 (7, step 2) and the 3x3 pool give 11 at step 4; each
    # bottleneck's 3x3 adds 2 steps, the first 1x1 of a stage doubles the
    # step: 11 + 3*8 + 4*16 + 6*32 + 3*64 = 483.
    assert analysis.receptive_field(model) == 11 + 3 * 8 + 4 * 16 + 6 * 32 + 3 * 64 == 483
    analysis.trace_shapes(model, {
        "conv1_relu": (1, 112, 112, 64), "conv5_block3_out": (1, 7, 7, 2048),
        "predictions": (1, 1000),
    })
    # The Torch ResNet-50 (stride in the 3x3 layer) that ResNeXt's Table 1
    # compares against: 4.1 x 10^9 there, 4.09e9 here. The strided 3x3
    # layers of stages 3-5 now work at the earlier step: 8 + 16 + 32 less.
    torch = convnets_tf.build("resnet50", use_bias=False, stride_in_3x3=True)
    assert analysis.count_macs(torch) == 4_089_184_256
    assert analysis.receptive_field(torch) == 483 - 8 - 16 - 32 == 427


def test_vgg16_against_the_paper():
    model = convnets_tf.build("vgg16")
    assert analysis.count_params(model) == (138_357_544, 138_357_544)
    # 15.5 x 10^9 multiply-adds (the figure usually quoted for VGG-16 at
    # 224x224, e.g. in the ResNet paper's comparison and in torchvision).
    macs = analysis.count_macs(model)
    assert 15.4e9 <= macs <= 15.6e9
    per_layer = analysis.macs_per_layer(model)
    assert per_layer["fc1"] == 7 * 7 * 512 * 4096
    assert per_layer["block1_conv2"] == 224 * 224 * 3 * 3 * 64 * 64
    # By hand: 3x3 convs at steps 1, 2, 4, 8, 16 (2, 2, 3, 3, 3 of them),
    # each 2x2 pool adding one step before doubling it.
    assert analysis.receptive_field(model) \
        == 1 + 2 * (2 * 1 + 2 * 2 + 3 * 4 + 3 * 8 + 3 * 16) + (1 + 2 + 4 + 8 + 16) == 212
    assert analysis.receptive_field(model, "block1_conv2") == 5
    # Activations: the 13 convolutions' outputs.
    sizes = [(224, 64)] * 2 + [(112, 128)] * 2 + [(56, 256)] * 3 + [(28, 512)] * 3 \
        + [(14, 512)] * 3
    assert analysis.count_activations(model) == sum(s * s * c for s, c in sizes)
