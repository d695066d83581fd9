"""benchmarks/cpu_models.py: which models a run measures (the timings
themselves are printed, never asserted)."""

import importlib.util
from pathlib import Path

import pytest

import convnets_tf

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "cpu_models.py"
spec = importlib.util.spec_from_file_location("cpu_models", PATH)
cpu_models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu_models)


def test_default_is_issue_9_and_the_small_issue_10_models_after_resnet50():
    names = cpu_models.select()
    assert names[0] == "resnet50" and len(set(names)) == len(names)
    issue9 = cpu_models.family(cpu_models.ISSUE_9)
    assert {"xception", "densenet264", "mobilenet_v3_small", "shufflenet_v2_x2_0"} <= set(issue9)
    assert names[1:] == issue9 + [n for n in cpu_models.family(cpu_models.ISSUE_10)
                                  if n in cpu_models.SMALL_ISSUE_10]
    # Every small model is registered and none of the largest is in.
    assert set(cpu_models.SMALL_ISSUE_10) <= set(convnets_tf.list_models())
    assert not {"convnext_xlarge", "efficientnet_b7", "efficientnet_v2_l"} & set(names)


def test_names_prefixes_and_groups():
    assert cpu_models.select(["shufflenet_v2_x1_0"]) == ["resnet50", "shufflenet_v2_x1_0"]
    # A name is also the prefix of its family's later models.
    assert cpu_models.select(["mobilenet"]) == [
        "resnet50", "mobilenet", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
    # In the order asked, a family in registry order.
    assert cpu_models.select(["regnety", "xception"]) == ["resnet50"] + [
        name for name in convnets_tf.list_models() if name.startswith("regnety")] + [
        "xception", "xception_cifar"]
    assert cpu_models.select(["shufflenet_v2_x1_0", "shufflenet", "resnet50"]) == [
        "resnet50", "shufflenet_v2_x1_0", "shufflenet_v2_x0_5", "shufflenet_v2_x1_5",
        "shufflenet_v2_x2_0"]
    every = cpu_models.select(["all"])
    assert "convnext_xlarge" in every and "efficientnet_b7" in every
    assert every == ["resnet50"] + cpu_models.select(["issue9"])[1:] + cpu_models.select(
        ["issue10"])[1:]
    with pytest.raises(ValueError, match="matches no model of issues 9 and 10"):
        cpu_models.select(["vgg16"])
