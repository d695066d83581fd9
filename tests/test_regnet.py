"""RegNet: the generator against the published stage tables, torchvision's
counts, the X and Y blocks.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
from convnets_tf.analysis import count_macs
from convnets_tf.models import regnet

# Per-stage (widths, depths) as published with the authors' pycls models,
# in the tables of Hugging Face transformers' RegNet conversion script
# (convert_regnet_to_pytorch.py, "regnet-x-002" ... "regnet-y-320").
PYCLS_STAGES = {
    "x_200mf": ((24, 56, 152, 368), (1, 1, 4, 7)),
    "x_400mf": ((32, 64, 160, 384), (1, 2, 7, 12)),
    "x_800mf": ((64, 128, 288, 672), (1, 3, 7, 5)),
    "x_1_6gf": ((72, 168, 408, 912), (2, 4, 10, 2)),
    "x_3_2gf": ((96, 192, 432, 1008), (2, 6, 15, 2)),
    "x_8gf": ((80, 240, 720, 1920), (2, 5, 15, 1)),
    "x_16gf": ((256, 512, 896, 2048), (2, 6, 13, 1)),
    "x_32gf": ((336, 672, 1344, 2520), (2, 7, 13, 1)),
    "y_200mf": ((24, 56, 152, 368), (1, 1, 4, 7)),
    "y_400mf": ((48, 104, 208, 440), (1, 3, 6, 6)),
    "y_800mf": ((64, 128, 320, 768), (1, 3, 8, 2)),
    "y_1_6gf": ((48, 120, 336, 888), (2, 6, 17, 2)),
    "y_3_2gf": ((72, 216, 576, 1512), (2, 5, 13, 1)),
    "y_8gf": ((168, 448, 896, 2016), (2, 4, 10, 1)),
    "y_16gf": ((224, 448, 1232, 3024), (2, 4, 11, 1)),
    "y_32gf": ((232, 696, 1392, 3712), (2, 5, 12, 1)),
}
# torchvision rounds three of them differently (see regnet.generate); its
# parameter counts below confirm these widths.
TORCHVISION_DIFFERENT = {
    "x_400mf": (32, 64, 160, 400),
    "y_800mf": (64, 144, 320, 784),
    "y_8gf": (224, 448, 896, 2016),
}
# The registered models' counts (torchvision's) are in test_models.py.


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def params(config):
    return {k: v for k, v in regnet.CONFIGS[config].items() if k != "se_ratio"}


@pytest.mark.parametrize("config", PYCLS_STAGES)
def test_generator_reproduces_the_published_stages(config):
    widths, depths = PYCLS_STAGES[config]
    generated = regnet.generate(**params(config), rounding="pycls")
    assert generated[:2] == (widths, depths)
    assert sum(depths) == regnet.CONFIGS[config]["depth"]
    tv_widths, tv_depths, groups = regnet.generate(**params(config))
    assert tv_depths == depths
    assert tv_widths == TORCHVISION_DIFFERENT.get(config, widths)
    # Every stage width is a multiple of its group width.
    assert all(w % g == 0 for w, g in zip(tv_widths, groups))


def test_counts_equal_torchvision():
    # torchvision's num_params. The registry test counts each registered
    # model; here some of the large configurations, which are not
    # registered (y_16gf 83,590,140 and x_32gf 107,811,560 match too).
    for config, expected in [("x_8gf", 39_572_648), ("y_8gf", 39_381_472),
                             ("x_16gf", 54_278_536), ("y_32gf", 145_046_770)]:
        model = regnet.regnet(input_shape=(32, 32, 3), **regnet.CONFIGS[config])
        assert trainable_count(model) == expected
        del model
        keras.backend.clear_session()


def test_x_and_y_blocks():
    model = convnets_tf.build("regnety_400mf", input_shape=(64, 64, 3))
    # Stage 1: one block, 32 -> 48 channels, stride 2, 48 / 8 = 6 groups,
    # SE reduced to a quarter of the block's input width (32 / 4 = 8).
    conv = model.get_layer("stage1_block1_b_conv")
    assert isinstance(conv, convnets_tf.layers.GroupedConv2D)
    assert (conv.groups, conv.strides) == (6, (2, 2))
    assert model.get_layer("stage1_block1_se_reduce").filters == 8
    assert model.get_layer("stage2_block2_se_reduce").filters == 104 // 4
    assert model.get_layer("stage4_block6_out").output.shape[1:] == (2, 2, 440)
    x_model = convnets_tf.build("regnetx_400mf", input_shape=(64, 64, 3))
    assert not [layer for layer in x_model.layers if "_se_" in layer.name]
    with pytest.raises(ValueError, match="rounding must be one of"):
        regnet.regnet(rounding="nearest")


CIFAR_SPACE = dict(image_size=32, stem_stride=1, macs=(3e6, 6e6))


def test_anynet_macs_counts_what_count_macs_counts():
    # Free per-stage ratios and group widths, the CIFAR layout, and a
    # RegNet's generated stages at a size where maps round up (stride 2 on 7).
    sample = dict(stage_widths=(32, 48, 96, 64), stage_depths=(1, 2, 1, 3),
                  group_widths=(16, 8, 8, 16), bottleneck_ratios=(0.5, 1.0, 0.25, 1.0))
    model = regnet.anynet(input_shape=(32, 32, 3), num_classes=10, stem_stride=1, **sample)
    assert regnet.anynet_macs(**sample, image_size=32, stem_stride=1,
                              num_classes=10) == count_macs(model)
    widths, depths, groups = regnet.generate(**params("x_200mf"))
    model = regnet.regnet(input_shape=(56, 56, 3), **regnet.CONFIGS["x_200mf"])
    assert regnet.anynet_macs(widths, depths, groups, image_size=56) == count_macs(model)


def test_sample_anynet_keeps_to_its_space():
    choices = dict(depths=range(1, 5), widths=range(8, 129, 8), group_widths=(16, 32))
    first = regnet.sample_anynet(7, **choices, **CIFAR_SPACE)
    assert first == regnet.sample_anynet(7, **choices, **CIFAR_SPACE)  # seeded
    rng = np.random.default_rng(0)
    for shared, increasing in [(False, False), (True, False), (True, True)]:
        for _ in range(2):
            c = regnet.sample_anynet(rng, **choices, shared=shared, increasing=increasing,
                                     **CIFAR_SPACE)
            assert len(c["stage_widths"]) == len(c["stage_depths"]) == 4
            assert set(c["stage_depths"]) <= set(range(1, 5))
            assert all(w % 8 == 0 and 8 <= w <= 128 for w in c["stage_widths"])
            assert set(c["bottleneck_ratios"]) <= {1.0, 0.5, 0.25}
            for w, b, g in zip(c["stage_widths"], c["bottleneck_ratios"], c["group_widths"]):
                assert g in (16, 32) and round(w * b) % g == 0
            assert 3e6 <= regnet.anynet_macs(**c, image_size=32, stem_stride=1) <= 6e6
            if shared:
                assert len(set(c["group_widths"])) == len(set(c["bottleneck_ratios"])) == 1
            if increasing:
                assert list(c["stage_widths"]) == sorted(c["stage_widths"])
                assert list(c["stage_depths"]) == sorted(c["stage_depths"])
    with pytest.raises(ValueError, match="no draw"):
        regnet.sample_anynet(0, macs=(1, 2), max_tries=10)


def test_sample_regnet_generates_its_stages():
    rng = np.random.default_rng(0)
    for _ in range(5):
        c = regnet.sample_regnet(rng, depths=range(4, 13), w0=(8, 64), wa=(4, 64),
                                 group_widths=(16, 32), **CIFAR_SPACE)
        p = c["params"]
        assert 4 <= p["depth"] <= 12 and p["w0"] % 8 == 0 and 1.5 <= p["wm"] <= 3.0
        assert regnet.generate(**p) == (c["stage_widths"], c["stage_depths"],
                                        c["group_widths"])
        assert sum(c["stage_depths"]) == p["depth"] and len(c["stage_widths"]) == 4
        stages = {k: v for k, v in c.items() if k != "params"}
        assert 3e6 <= regnet.anynet_macs(**stages, image_size=32, stem_stride=1) <= 6e6


def test_anynet_rejects_impossible_stages():
    with pytest.raises(ValueError, match="group width must divide"):
        regnet.anynet(stage_widths=(32, 64, 96, 128), stage_depths=(1, 1, 1, 1),
                      group_widths=(16, 16, 64, 16))
    with pytest.raises(ValueError, match="one entry per stage"):
        regnet.anynet(stage_widths=(32, 64), stage_depths=(1, 1, 1))
    with pytest.raises(ValueError, match="one value per stage"):
        regnet.anynet(stage_widths=(32, 64), stage_depths=(1, 1), group_widths=(16, 16, 16))
    # Four stages after a stride-1 stem need 16 pixels; the ImageNet layout 32.
    assert regnet.anynet(input_shape=(16, 16, 3), stem_stride=1).output_shape == (None, 1000)
    with pytest.raises(ValueError, match="minimum is 32x32"):
        regnet.regnet(input_shape=(16, 16, 3))
