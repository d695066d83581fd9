"""VGG against keras.applications and the paper's Table 1 and 2; Network In
Network against the authors' Caffe definitions."""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_params, receptive_field
from convnets_tf.layers import LocalResponseNormalization
from convnets_tf.models import nin as nin_module
from convnets_tf.models import vgg as vgg_module


def weighted_layer_names(model):
    return [layer.name for layer in model.layers if layer.weights]


def random_images(size, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (batch, size, size, 3)).astype("float32")


# VGG


@pytest.mark.parametrize(
    "name, reference, total",
    [
        ("vgg16", keras.applications.VGG16, 138_357_544),
        ("vgg19", keras.applications.VGG19, 143_667_240),
    ],
)
def test_vgg_equals_keras_applications(name, reference, total):
    keras.utils.set_random_seed(0)
    theirs = reference(weights=None)
    ours = convnets_tf.build(name)
    assert ours.count_params() == theirs.count_params() == total
    assert weighted_layer_names(ours) == weighted_layer_names(theirs)
    ours.set_weights(theirs.get_weights())
    x = random_images(224)
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-4)


def test_vgg16_loads_a_keras_applications_weights_file(tmp_path):
    # keras.applications' ImageNet files are legacy .h5 weight files of the
    # same layers; one is written here from a randomly initialised VGG16.
    keras.utils.set_random_seed(1)
    theirs = keras.applications.VGG16(
        weights=None, include_top=False, input_shape=(64, 64, 3)
    )
    path = str(tmp_path / "vgg16_notop.h5")
    theirs.save(path)
    x = random_images(64)

    ours = convnets_tf.build(
        "vgg16", include_top=False, input_shape=(64, 64, 3), weights=path
    )
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-4)
    # Loading by layer name works only if every name is keras.applications'.
    by_name = convnets_tf.build("vgg16", include_top=False, input_shape=(64, 64, 3))
    by_name.load_weights(path, by_name=True)
    np.testing.assert_allclose(by_name(x), theirs(x), atol=1e-4)


def conv_kernel_sizes(model):
    """Table 1, read back from a model: block -> kernel sizes of its convs."""
    blocks = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            blocks.setdefault(layer.name.split("_")[0], []).append(
                (layer.kernel_size[0], layer.filters)
            )
    return blocks


def test_vgg_configurations_are_table_1():
    three = lambda width, n: [(3, width)] * n  # noqa: E731
    expected = {
        "A": [three(64, 1), three(128, 1), three(256, 2), three(512, 2), three(512, 2)],
        "B": [three(64, 2), three(128, 2), three(256, 2), three(512, 2), three(512, 2)],
        "C": [three(64, 2), three(128, 2), three(256, 2) + [(1, 256)],
              three(512, 2) + [(1, 512)], three(512, 2) + [(1, 512)]],
        "D": [three(64, 2), three(128, 2), three(256, 3), three(512, 3), three(512, 3)],
        "E": [three(64, 2), three(128, 2), three(256, 4), three(512, 4), three(512, 4)],
    }
    expected["A-LRN"] = expected["A"]
    expected["B-5x5"] = [[(5, width)] for width in (64, 128, 256, 512, 512)]
    weight_layers = {"A": 11, "A-LRN": 11, "B": 13, "B-5x5": 8, "C": 16, "D": 16, "E": 19}
    for config, blocks in expected.items():
        # The top is the same in every configuration (and checked against
        # keras.applications above): leave it out to keep the test fast.
        model = vgg_module.vgg(input_shape=(32, 32, 3), config=config,
                               include_top=False)
        assert list(conv_kernel_sizes(model).values()) == blocks, config
        assert len(weighted_layer_names(model)) + 3 == weight_layers[config]
        lrn = [layer.name for layer in model.layers
               if isinstance(layer, LocalResponseNormalization)]
        assert lrn == (["block1_lrn"] if config == "A-LRN" else [])


def test_vgg_b_5x5_sees_what_b_sees_with_fewer_layers():
    # Section 4.1: a 5x5 convolution has the receptive field of two 3x3 ones.
    deep, shallow = (vgg_module.vgg(input_shape=(32, 32, 3), config=config, include_top=False)
                     for config in ("B", "B-5x5"))
    for block in range(1, 6):
        assert receptive_field(deep, f"block{block}_pool") \
            == receptive_field(shallow, f"block{block}_pool")
    assert receptive_field(shallow) == 156


def test_quarter_vgg_is_the_notebooks_small_network():
    # The counts of notebook 23's stored runs (results/runs.csv).
    assert vgg_module.quarter_vgg("A").count_params() == 913_706
    assert vgg_module.quarter_vgg("A", batch_norm=False).count_params() == 910_954
    model = vgg_module.quarter_vgg("B-5x5", dropout=0.5)
    assert list(conv_kernel_sizes(model).values()) == [
        [(5, width)] for width in vgg_module.QUARTER_WIDTHS]
    assert model.get_layer("fc1").units == 512 and model.get_layer("fc1_dropout").rate == 0.5
    assert model.output.shape == (None, 10)


def test_vgg_registry_names_are_the_papers_configurations():
    for name, config in (("vgg11", "A"), ("vgg13", "B"), ("vgg16", "D"), ("vgg19", "E")):
        ours = convnets_tf.build(name, input_shape=(32, 32, 3), include_top=False)
        paper = vgg_module.vgg(input_shape=(32, 32, 3), config=config,
                               include_top=False)
        assert conv_kernel_sizes(ours) == conv_kernel_sizes(paper)


def test_vgg_parameter_counts_round_to_table_2():
    # Table 2 gives the counts in millions: A and A-LRN 133, B 133, C 134,
    # D 138, E 144. The convolutions' parameters do not depend on the input
    # size; the top's are fc6-fc8 on a 7x7x512 map.
    top = (7 * 7 * 512 + 1) * 4096 + 4097 * 4096 + 4097 * 1000
    table_2 = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    counts = {
        c: top + vgg_module.vgg(input_shape=(32, 32, 3), config=c,
                                include_top=False).count_params()
        for c in table_2
    }
    assert counts["D"] == 138_357_544  # keras.applications' VGG16
    assert counts["C"] == 133_638_952
    assert {c: round(n / 1e6) for c, n in counts.items()} == table_2


def test_vgg_unknown_configuration_lists_the_valid_ones():
    with pytest.raises(ValueError, match="A, A-LRN, B, B-5x5, C, D, E"):
        convnets_tf.build("vgg16", config="F")


def test_vgg_batch_norm_matches_torchvision_vgg_bn():
    # torchvision's vgg16_bn: 138,365,992 parameters (conv biases kept).
    model = convnets_tf.build("vgg16", batch_norm=True)
    assert count_params(model).trainable == 138_365_992
    names = [layer.name for layer in model.layers]
    i = names.index("block1_conv1_conv")
    assert names[i:i + 3] == ["block1_conv1_conv", "block1_conv1_bn", "block1_conv1_relu"]
    assert model.get_layer("block1_conv1_conv").use_bias
    assert model.get_layer("block1_conv1_bn").epsilon == 1e-5


def test_vgg_cifar_head_is_512_wide_with_dropout():
    model = convnets_tf.build("vgg16_cifar")
    assert model.get_layer("block5_pool").output.shape[1:] == (1, 1, 512)
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [512, 512, 10]
    assert [model.get_layer(n).rate for n in ("fc1_dropout", "fc2_dropout")] == [0.5, 0.5]
    x = random_images(32, batch=4)
    # Dropout acts in training: two passes over the same batch differ.
    assert not np.allclose(model(x, training=True), model(x, training=True))


def test_vgg_widths_set_the_five_blocks_channels():
    model = convnets_tf.build("vgg11", input_shape=(32, 32, 3), num_classes=10,
                              cifar_head=True, widths=(16, 32, 64, 128, 128))
    assert [model.get_layer(f"block{b}_pool").output.shape[-1] for b in range(1, 6)] \
        == [16, 32, 64, 128, 128]
    # Configuration A's eight 3x3 convolutions with biases, then 128-512-512-10.
    convs = [(3, 16), (16, 32), (32, 64), (64, 64), (64, 128), (128, 128), (128, 128),
             (128, 128)]
    dense = [(128, 512), (512, 512), (512, 10)]
    assert count_params(model).trainable == sum(9 * i * o + o for i, o in convs) \
        + sum(i * o + o for i, o in dense)
    with pytest.raises(ValueError, match="five positive channel counts"):
        convnets_tf.build("vgg11", widths=(16, 32, 64))


# Network In Network

NIN_IMAGENET_CAFFE = [  # name, kernel, stride, output maps
    ("conv1", 11, 4, 96), ("cccp1", 1, 1, 96), ("cccp2", 1, 1, 96),
    ("conv2", 5, 1, 256), ("cccp3", 1, 1, 256), ("cccp4", 1, 1, 256),
    ("conv3", 3, 1, 384), ("cccp5", 1, 1, 384), ("cccp6", 1, 1, 384),
    ("conv4", 3, 1, 1024), ("cccp7", 1, 1, 1024), ("cccp8", 1, 1, 1000),
]
NIN_CIFAR_CAFFE = [
    ("conv1", 5, 1, 192), ("cccp1", 1, 1, 160), ("cccp2", 1, 1, 96),
    ("conv2", 5, 1, 192), ("cccp3", 1, 1, 192), ("cccp4", 1, 1, 192),
    ("conv3", 3, 1, 192), ("cccp5", 1, 1, 192), ("cccp6", 1, 1, 10),
]


def conv_table(model):
    return [
        (layer.name, layer.kernel_size[0], layer.strides[0], layer.filters)
        for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
    ]


@pytest.mark.parametrize(
    "name, caffe, stages",
    [
        ("nin", NIN_IMAGENET_CAFFE, {
            "cccp2": 54, "pool1": 27, "pool2": 13, "pool3": 6, "cccp8": 6}),
        ("nin_cifar", NIN_CIFAR_CAFFE, {
            "cccp2": 32, "pool1": 16, "pool2": 8, "cccp6": 8}),
    ],
)
def test_nin_is_the_caffe_definition(name, caffe, stages):
    model = convnets_tf.build(name)
    assert conv_table(model) == caffe
    for conv in model.layers:
        if isinstance(conv, keras.layers.Conv2D):
            assert conv.activation is keras.activations.relu
    # Map sizes of the Caffe models, which round pooled sizes up.
    for layer, size in stages.items():
        assert model.get_layer(layer).output.shape[1:3] == (size, size), layer
    # No dense layer: global average pooling is the classifier.
    assert not any(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    pools = {type(layer).__name__ for layer in model.layers if "pool" in layer.name}
    assert "GlobalAveragePooling2D" in pools


def caffe_pool(x, kind):
    """Caffe's 3x3 stride-2 pooling without padding, written out: output
    size rounded up, windows clipped to the map, averages over the pixels
    inside it."""
    n = x.shape[1]
    out = int(np.ceil((n - 3) / 2)) + 1
    y = np.empty((x.shape[0], out, out, x.shape[3]), x.dtype)
    for i in range(out):
        for j in range(out):
            window = x[:, 2 * i:min(2 * i + 3, n), 2 * j:min(2 * j + 3, n)]
            reduce = np.max if kind == "max" else np.mean
            y[:, i, j] = reduce(window, axis=(1, 2))
    return y


@pytest.mark.parametrize("kind, sizes", [("max", (8, 9, 13, 54)), ("avg", (8, 16))])
def test_pooling_is_caffes(kind, sizes):
    for n in sizes:
        # Post-ReLU inputs, as in the network.
        x = np.maximum(np.random.default_rng(n).normal(size=(2, n, n, 3)), 0)
        inputs = keras.Input((n, n, 3))
        pool = keras.Model(inputs, nin_module.caffe_pool(inputs, kind, "pool"))
        np.testing.assert_allclose(
            pool(x.astype("float32")), caffe_pool(x, kind), atol=1e-6
        )


def test_nin_top_is_the_class_maps_averaged():
    model = convnets_tf.build("nin_cifar", classifier_activation=None)
    class_maps = keras.Model(model.input, model.get_layer("cccp6").output)
    x = random_images(32)
    np.testing.assert_allclose(
        model(x), np.mean(class_maps(x), axis=(1, 2)), rtol=1e-5, atol=1e-6
    )
    # include_top=False drops exactly the class-map convolution.
    headless = convnets_tf.build("nin_cifar", include_top=False)
    assert headless.output_shape == (None, 8, 8, 192)
    assert weighted_layer_names(headless) == weighted_layer_names(model)[:-1]


def test_nin_unknown_configuration_lists_the_valid_ones():
    with pytest.raises(ValueError, match="imagenet, cifar"):
        convnets_tf.build("nin", config="mnist")


def test_nin_initial_class_scores_do_not_vanish():
    # With Glorot initialisation they start near 0.01 and SGD stalls (see
    # `mlpconv`); He initialisation keeps them near unit scale.
    keras.utils.set_random_seed(0)
    model = convnets_tf.build("nin_cifar", classifier_activation=None)
    x = np.random.default_rng(0).normal(size=(16, 32, 32, 3)).astype("float32")
    assert np.std(model(x)) > 0.3
