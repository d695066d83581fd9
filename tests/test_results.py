"""results/runs.csv: one row per recorded run, replaced when it reruns."""

import csv
import json

import pytest

import convnets_tf
from convnets_tf import results
from convnets_tf.data import load_cifar
from convnets_tf.notebook import RunPlan
from convnets_tf.train import train_cifar


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def finished_run(tiny_cifar, tmp_path):
    out = tmp_path / "run"
    train_cifar(lambda: convnets_tf.build("lenet5_modern", input_shape=(32, 32, 3)),
                load_cifar(source=tiny_cifar).take(256, 64), epochs=2, batch_size=64,
                out_dir=out, verbose=0, learning_rate=0.05)
    return out


def test_a_run_is_recorded_once_with_its_definition(finished_run, tmp_path, monkeypatch):
    results_file = tmp_path / "results" / "runs.csv"
    results_file.parent.mkdir()
    monkeypatch.setattr(results, "RESULTS_FILE", results_file)
    plan = RunPlan("cpu", None, None, 2, 64, str(tmp_path))
    results.record_run(plan, finished_run, "99-test", "b")
    row = results.record_run(plan, finished_run, "99-test", "a")
    results.record_run(plan, finished_run, "99-test", "a")  # replaces its row
    recorded = rows(results_file)
    assert [r["label"] for r in recorded] == ["a", "b"]
    assert recorded[0] == {key: str(value) for key, value in row.items()}
    assert (row["model"], row["train_images"], row["test_images"], row["epochs"],
            row["learning_rate"], row["image_size"]) == (
        "lenet5_modern", 256, 64, 2, 0.05, "32x32")
    final = json.loads((finished_run / "final.json").read_text())
    assert row["final_test_accuracy"] == round(final["test_accuracy"], 4)
    assert row["tta_test_accuracy"] == "" and 0 <= row["best_test_accuracy"] <= 1
    assert row["train_seconds"] >= 0 and row["hardware"].endswith("-core CPU")


def test_smoke_runs_stay_out_of_the_repository(finished_run, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_FILE", tmp_path / "results" / "runs.csv")
    (tmp_path / "results").mkdir()
    plan = RunPlan("smoke", 256, 64, 1, 64, str(tmp_path / "smoke"))
    results.record_run(plan, finished_run, "99-test", "a")
    assert not results.RESULTS_FILE.exists()
    assert len(rows(tmp_path / "smoke" / "runs.csv")) == 1


def test_an_unfinished_run_is_refused(tmp_path):
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ValueError, match="no finished epoch"):
        results.record_run(RunPlan("cpu", None, None, 1, 64, str(tmp_path)), tmp_path,
                           "99-test", "a")


def test_a_run_from_before_epoch_timing_has_no_time(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({
        "model": "m", "parameters": 1, "dataset": "cifar10", "train_images": 8,
        "test_images": 4, "epochs": 2, "batch_size": 4, "precision": "float32",
        "optimizer": "sgd", "learning_rate": 0.1, "image_size": [32, 32]}))
    (tmp_path / "history.csv").write_text("epoch,loss,val_accuracy\n0,2.0,0.25\n1,1.5,0.5\n")
    plan = RunPlan("smoke", 8, 4, 2, 4, str(tmp_path / "smoke"))
    row = results.record_run(plan, tmp_path, "99-test", "old")
    assert (row["train_seconds"], row["final_test_accuracy"], row["best_test_accuracy"]) == (
        "", 0.5, 0.5)


def test_readme_shows_every_stored_run():
    readme = results.README_FILE.read_text()
    table = readme.split(results.TABLE_START)[1].split(results.TABLE_END)[0].strip()
    assert table == results.markdown_table(), \
        "README.md's runs table is stale; rewrite it with results.update_readme()"


def test_update_readme_rewrites_only_the_table(tmp_path):
    runs = tmp_path / "runs.csv"
    with open(runs, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=results.COLUMNS)
        writer.writeheader()
        writer.writerow({**dict.fromkeys(results.COLUMNS, ""), "notebook": "99-test",
                         "label": "a", "model": "m", "train_images": "50000", "epochs": "3",
                         "hardware": "2-core CPU", "train_seconds": "12",
                         "final_test_accuracy": "0.5", "tta_test_accuracy": "0.55"})
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{results.TABLE_START}\nold\n{results.TABLE_END}\nafter\n")
    results.update_readme(readme, runs)
    text = readme.read_text()
    assert text.startswith(f"before\n{results.TABLE_START}\n| notebook |")
    assert "| 99-test | a | `m` | 50,000 | 3 | 2-core CPU | 12 | 0.5 (0.55 with TTA) |\n" \
        f"{results.TABLE_END}\nafter\n" in text
    assert "old" not in text
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="add them"):
        results.update_readme(readme, runs)
