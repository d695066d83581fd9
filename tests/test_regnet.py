"""RegNet: the generator against the published stage tables, torchvision's
counts, the X and Y blocks.

Counts, input sizes, mixed precision, training and saving of every
registered model are checked in test_models.py.
"""

import keras
import numpy as np
import pytest

import convnets_tf
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
