"""What makes GoogLeNet and Inception v3 the papers' models: GoogLeNet
against Table 1 of its paper, Inception v3 against keras.applications."""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_params
from convnets_tf.models import googlenet as gn
from convnets_tf.models import inception_v3 as iv3

# GoogLeNet, Table 1: output size and the "params" column, in K of 1024
# weights (biases are not counted), for the rows that have parameters.
TABLE_1 = {
    "conv1": ((112, 112, 64), 2.7),
    "pool1": ((56, 56, 64), None),
    "conv2": ((56, 56, 192), 112),
    "pool2": ((28, 28, 192), None),
    "inception_3a": ((28, 28, 256), 159),
    "inception_3b": ((28, 28, 480), 380),
    "pool3": ((14, 14, 480), None),
    "inception_4a": ((14, 14, 512), 364),
    "inception_4b": ((14, 14, 512), 437),
    "inception_4c": ((14, 14, 512), 463),
    "inception_4d": ((14, 14, 528), 580),
    "inception_4e": ((14, 14, 832), 840),
    "pool4": ((7, 7, 832), None),
    "inception_5a": ((7, 7, 832), 1072),
    "inception_5b": ((7, 7, 1024), 1388),
    "avg_pool": ((1024,), None),
    "predictions": ((1000,), 1000),
}
TABLE_1_TOTAL_K = 6797.7


def kernel_weights(model, prefix):
    """Convolution and dense kernels of the layers named `prefix...`: what
    Table 1 counts."""
    return sum(
        int(np.prod(layer.kernel.shape)) for layer in model.layers
        if layer.name.startswith(prefix) and hasattr(layer, "kernel")
    )


@pytest.fixture(scope="module")
def googlenet_224():
    return convnets_tf.build("googlenet")


def test_googlenet_shapes_follow_table_1(googlenet_224):
    for layer, (shape, _) in TABLE_1.items():
        assert googlenet_224.get_layer(layer).output.shape[1:] == shape, layer


def test_googlenet_modules_have_table_1_channels(googlenet_224):
    # Each module's weights from the channel columns of Table 1, independent
    # of Keras: 1x1 convolutions on the input, 3x3 and 5x5 on their reduce.
    depth = 192
    for module, (n1, n3r, n3, n5r, n5, proj) in gn.INCEPTION_MODULES.items():
        expected = depth * (n1 + n3r + n5r + proj) + 9 * n3r * n3 + 25 * n5r * n5
        assert kernel_weights(googlenet_224, f"inception_{module}") == expected
        depth = n1 + n3 + n5 + proj


def test_googlenet_parameters_against_table_1(googlenet_224):
    ours = {
        "conv1": kernel_weights(googlenet_224, "conv1"),
        "conv2": kernel_weights(googlenet_224, "conv2"),  # with conv2_reduce
        **{layer: kernel_weights(googlenet_224, layer)
           for layer in TABLE_1 if layer.startswith("inception")},
        "predictions": kernel_weights(googlenet_224, "predictions"),
    }
    paper = {layer: k for layer, (_, k) in TABLE_1.items() if k is not None}
    assert sum(paper.values()) == pytest.approx(TABLE_1_TOTAL_K)
    # The rows that agree with the channel columns, to the table's rounding.
    for layer in ("conv2", "inception_3a", "inception_3b", "inception_4b",
                  "predictions"):
        assert abs(ours[layer] / 1024 - paper[layer]) <= 1, layer
    # conv1's 2.7K cannot be 7x7x3x64 weights; other rows differ by up to
    # 54K either way (see notebook 05). The totals agree to 0.5%.
    assert ours["conv1"] == 7 * 7 * 3 * 64
    assert sum(ours.values()) / 1024 == pytest.approx(TABLE_1_TOTAL_K, rel=5e-3)
    biases = count_params(googlenet_224).trainable - sum(ours.values())
    assert biases == sum(layer.filters if hasattr(layer, "filters") else 0
                         for layer in googlenet_224.layers) + 1000


def test_googlenet_auxiliary_classifiers():
    model = convnets_tf.build("googlenet", aux_logits=True)
    assert model.output_names == ["predictions", *gn.AUX_OUTPUTS]
    assert gn.AUX_LOSS_WEIGHTS == {"aux1_predictions": 0.3, "aux2_predictions": 0.3}
    # Section 5 at 224x224: 4x4x128 = 2048 inputs to the 1024-unit layer.
    assert model.get_layer("aux1_flatten").output.shape == (None, 2048)
    aux = {name: sum(layer.count_params() for layer in model.layers
                     if layer.name.startswith(name)) for name in ("aux1", "aux2")}
    assert aux == {"aux1": 512 * 128 + 128 + 2049 * 1024 + 1025 * 1000,
                   "aux2": 528 * 128 + 128 + 2049 * 1024 + 1025 * 1000}
    # torchvision (BN variant: BatchNorm's 2 x 128 in place of the 128
    # biases of each head's 1x1 conv) has 13,004,888 - 6,624,904 in its heads.
    assert sum(aux.values()) + 2 * 128 == 13_004_888 - 6_624_904
    assert count_params(model).trainable == 6_998_552 + sum(aux.values())


def test_googlenet_aux_heads_leave_the_main_output_alone():
    shape = (gn.MIN_SIZE_AUX, gn.MIN_SIZE_AUX, 3)
    with_aux = convnets_tf.build("googlenet", input_shape=shape, num_classes=10,
                                 aux_logits=True)
    plain = convnets_tf.build("googlenet", input_shape=shape, num_classes=10)
    for layer in plain.layers[1:]:
        layer.set_weights(with_aux.get_layer(layer.name).get_weights())
    x = np.random.default_rng(0).uniform(0, 1, (2, *shape)).astype("float32")
    main, aux1, aux2 = with_aux(x)
    np.testing.assert_allclose(main, plain(x), atol=1e-6)
    assert aux1.shape == aux2.shape == (2, 10)
    assert not np.allclose(aux1, main)


def test_googlenet_loss_weights_name_the_aux_outputs():
    shape = (gn.MIN_SIZE_AUX, gn.MIN_SIZE_AUX, 3)
    model = convnets_tf.build("googlenet", input_shape=shape, num_classes=10,
                              aux_logits=True)
    names = model.output_names
    model.compile(
        loss={name: "categorical_crossentropy" for name in names},
        loss_weights={name: gn.AUX_LOSS_WEIGHTS.get(name, 1.0) for name in names},
    )
    x = np.random.default_rng(0).uniform(0, 1, (4, *shape)).astype("float32")
    y = np.eye(10, dtype="float32")[[1, 2, 3, 4]]
    total = model.evaluate(x, {name: y for name in names}, verbose=0)[0]
    main, aux1, aux2 = (keras.losses.categorical_crossentropy(y, p).numpy().mean()
                        for p in model(x))
    assert total == pytest.approx(main + 0.3 * aux1 + 0.3 * aux2, rel=1e-4)


def test_googlenet_aux_input_limits():
    with pytest.raises(ValueError, match="minimum is 65x65"):
        convnets_tf.build("googlenet", input_shape=(64, 64, 3), aux_logits=True)
    # At 64x64 inception (4a) is 4x4, smaller than the heads' 5x5 pooling.
    plain = convnets_tf.build("googlenet", input_shape=(64, 64, 3))
    assert plain.get_layer("inception_4a").output.shape[1:3] == (4, 4)
    with pytest.raises(ValueError, match="include_top"):
        convnets_tf.build("googlenet", include_top=False, aux_logits=True)


def test_googlenet_cifar_and_its_plain_control_cost_the_same_per_stage():
    inception = gn.googlenet_cifar()
    plain = gn.googlenet_cifar(inception=False)
    # Table 1's modules at half width on 16x16, 8x8 and 4x4 grids.
    assert inception.get_layer("inception_3a").output.shape[1:] == (16, 16, 128)
    assert inception.get_layer("inception_5b").output.shape[1:] == (4, 4, 512)
    assert plain.get_layer("plain_5b").output.shape[1:] == (4, 4, 206)
    # Same grid per stage, so equal weights per stage mean equal multiply-adds.
    for stage, modules in {"3": "ab", "4": "abcde", "5": "ab"}.items():
        modules = [f"{stage}{m}" for m in modules]
        ours = sum(kernel_weights(inception, f"inception_{m}") for m in modules)
        control = sum(kernel_weights(plain, f"plain_{m}") for m in modules)
        assert control == pytest.approx(ours, rel=0.01), stage
    params = count_params(inception).trainable
    assert count_params(plain).trainable == pytest.approx(params, rel=0.01)


@pytest.fixture(scope="module")
def keras_inception_v3():
    """keras.applications' model with every weight random, BatchNorm
    statistics included, so a weight in the wrong place changes the output."""
    model = keras.applications.InceptionV3(weights=None, classifier_activation=None)
    rng = np.random.default_rng(0)
    values = []
    for weight, value in zip(model.weights, model.get_weights()):
        if "variance" in weight.path:
            value = rng.uniform(0.5, 1.5, value.shape)
        elif "mean" in weight.path or "beta" in weight.path:
            value = rng.normal(0.0, 0.1, value.shape)
        values.append(value.astype("float32"))
    model.set_weights(values)
    return model


def test_inception_v3_matches_keras_applications(keras_inception_v3, tmp_path):
    theirs = keras_inception_v3
    ours = convnets_tf.build("inception_v3", classifier_activation=None)
    assert ours.count_params() == theirs.count_params() == 23_851_784
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(1).uniform(-1, 1, (2, 299, 299, 3)).astype("float32")
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-4)
    for name in [f"mixed{i}" for i in range(11)] + ["avg_pool", "predictions"]:
        assert ours.get_layer(name).output.shape == theirs.get_layer(name).output.shape

    # A keras.applications weights file (legacy HDF5, loaded by layer order).
    theirs.save(tmp_path / "inception_v3.h5")
    loaded = convnets_tf.build("inception_v3", classifier_activation=None,
                               weights=str(tmp_path / "inception_v3.h5"))
    np.testing.assert_allclose(loaded(x), theirs(x), atol=1e-4)


def test_inception_v3_auxiliary_classifier():
    model = convnets_tf.build("inception_v3", aux_logits=True)
    assert model.output_names == ["predictions", *iv3.AUX_LOSS_WEIGHTS]
    assert model.get_layer("aux_pool").output.shape[1:] == (5, 5, 768)
    assert model.get_layer("aux_conv2_conv").kernel.shape == (5, 5, 128, 768)
    head = sum(layer.count_params() for layer in model.layers
               if layer.name.startswith("aux"))
    # 1x1 conv, 5x5 conv (each with BatchNorm's beta, mean and variance),
    # then the 768 -> 1000 linear layer.
    assert head == 768 * 128 + 3 * 128 + 25 * 128 * 768 + 3 * 768 + 769 * 1000
    assert model.count_params() == 23_851_784 + head


def test_inception_v3_aux_input_limits():
    size = iv3.MIN_SIZE_AUX
    with pytest.raises(ValueError, match=f"minimum is {size}x{size}"):
        convnets_tf.build("inception_v3", input_shape=(size - 1, size, 3),
                          aux_logits=True)
    # One pixel less and the last 17x17 module's map is smaller than the
    # head's 5x5 pooling.
    plain = convnets_tf.build("inception_v3", input_shape=(size - 1, size - 1, 3))
    assert plain.get_layer("mixed7").output.shape[1] == 4
    # At the minimum the pooled map is 1x1 and the 5x5 convolution shrinks
    # to 1x1, as in the authors' code.
    model = convnets_tf.build("inception_v3", input_shape=(size, size, 3),
                              num_classes=10, aux_logits=True)
    assert model.get_layer("mixed7").output.shape[1] == 5
    assert model.get_layer("aux_conv2_conv").kernel.shape == (1, 1, 128, 768)
    main, aux = model(np.zeros((1, size, size, 3), "float32"))
    assert main.shape == aux.shape == (1, 10)
    with pytest.raises(ValueError, match="include_top"):
        convnets_tf.build("inception_v3", include_top=False, aux_logits=True)
