"""results/models.csv, the table of every registered model
(`convnets_tf.overview`): complete, not stale, and every quoted ImageNet
figure has a source, and every row is timed. Building and timing small
models keeps this file to a few seconds."""

import csv

import pytest

import convnets_tf
from convnets_tf import overview


@pytest.fixture(scope="module")
def stored():
    return {row["name"]: row for row in overview.read_table()}


def test_every_registered_model_has_a_row(stored):
    missing = sorted(set(convnets_tf.list_models()) - set(stored))
    unknown = sorted(set(stored) - set(convnets_tf.list_models()))
    assert not missing, (
        f"results/models.csv lacks {missing}; run "
        f"`python -c 'from convnets_tf import overview; overview.write_table()'`")
    assert not unknown, f"results/models.csv has rows for unregistered models {unknown}"
    assert list(stored) == convnets_tf.list_models()


def test_stored_columns(stored):
    assert list(next(iter(stored.values()))) == list(overview.COLUMNS)


@pytest.mark.parametrize("name", ["resnet20", "mobilenet_v3_small"])
def test_stored_row_equals_a_fresh_one(stored, name):
    """A builder, helper or join that changed since the table was written
    makes its rows stale: recompute two small models' rows and compare."""
    fresh = overview.as_stored(overview.model_row(name))
    columns = overview.COMPUTED
    assert {c: stored[name][c] for c in columns} == {c: fresh[c] for c in columns}, (
        "results/models.csv is stale; rewrite it with overview.write_table()")


def test_joined_columns_are_current(stored):
    """PAPER_TOP1 and results/runs.csv as the stored table has them (no
    model is built: `overview.refresh_table()` fixes a mismatch)."""
    runs = overview.cifar10_runs()
    for name, row in stored.items():
        top1, source = overview.PAPER_TOP1[name]
        assert row["imagenet_top1"] == ("" if top1 is None else str(top1)), name
        assert row["imagenet_top1_source"] == source, name
        accuracy, where = runs.get(name, ("", ""))
        assert (row["cifar10_test_accuracy"], row["cifar10_run"]) == (str(accuracy), where), name


def test_every_top1_entry_has_a_source():
    assert set(overview.PAPER_TOP1) == set(convnets_tf.list_models())
    for name, (top1, source) in overview.PAPER_TOP1.items():
        assert isinstance(source, str) and len(source) > 10, name
        if top1 is None:
            assert source.startswith("none"), f"{name}: a missing figure needs its reason"
        else:
            assert 0.5 < top1 < 0.9, name
            assert not source.startswith("none"), name


def test_cifar10_runs_keeps_each_models_best(tmp_path):
    path = tmp_path / "runs.csv"
    fields = ["notebook", "label", "model", "dataset", "train_images", "image_size", "epochs",
              "final_test_accuracy"]
    rows = [
        ["13-densenet", "a", "resnet20", "cifar10", "10000", "32x32", "3", "0.5"],
        ["14-x", "b", "resnet20", "cifar10", "", "32x32", "30", "0.9"],
        ["14-x", "c", "resnet20", "cifar100", "", "32x32", "30", "0.95"],
    ]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        writer.writerows(rows)
    assert overview.cifar10_runs(path) == {
        "resnet20": (0.9, "14-x/b, all training images at 32x32, 30 epochs")}
    assert overview.cifar10_runs(tmp_path / "none.csv") == {}


def test_every_row_is_timed(stored):
    for name, row in stored.items():
        assert float(row["cpu_latency_ms_batch1"]) > 0, (
            f"{name} has no CPU timing; run `overview.time_table()` on a quiet machine")
        assert float(row["cpu_images_per_second_batch64"]) > 0, name
        assert "CPU cores, load" in row["cpu_timed_on"], name


def test_time_table_times_only_what_lacks_it_and_write_table_keeps_it(tmp_path):
    path = tmp_path / "models.csv"
    overview.write_table(path, names=["lenet5", "resnet20"], verbose=False)
    overview.time_table(path, names=["lenet5"], verbose=False)
    rows = {row["name"]: row for row in overview.read_table(path)}
    assert float(rows["lenet5"]["cpu_latency_ms_batch1"]) > 0
    assert "CPU cores, load" in rows["lenet5"]["cpu_timed_on"]
    assert rows["resnet20"]["cpu_timed_on"] == ""
    # Rebuilding the rows keeps the timings they had.
    overview.write_table(path, names=["lenet5", "resnet20"], verbose=False)
    assert overview.read_table(path)[0] == rows["lenet5"] | {
        "build_seconds": overview.read_table(path)[0]["build_seconds"]}
    with pytest.raises(ValueError, match="no rows for"):
        overview.time_table(path, names=["resnet50"], verbose=False)
