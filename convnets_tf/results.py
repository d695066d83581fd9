"""`results/runs.csv`: one row per stored notebook training run.

A notebook records each finished run once training returns:

    out = f"{plan.runs_dir}/xception_cifar"
    train_cifar(..., out_dir=out)
    record_run(plan, out, notebook="12-xception", label="separable")

The row says what ran (model, parameters, data, images, epochs, batch,
precision, optimizer and learning rate, from the run's `run.json`), on what
(hardware), how long it took and what it reached: the final test accuracy
(from its `final.json`, which holds the saved model's, after any EMA and
BatchNorm re-estimation; from the last `history.csv` row for a run from
before `final.json`), with test-time augmentation where the run used it,
and the best epoch's. A run recorded again replaces its row,
so re-running a notebook leaves one row per (notebook, label).

Rows go to the repository's `results/runs.csv`; smoke runs (CI) write to
their temporary runs directory instead, and so does a package installed
outside a checkout (Colab), which has no `results/` folder.
"""

import csv
import datetime
import json
import math
from pathlib import Path

from convnets_tf.files import atomic_path
from convnets_tf.history import read_rows
from convnets_tf.train import hardware

RESULTS_FILE = Path(__file__).resolve().parent.parent / "results" / "runs.csv"
README_FILE = RESULTS_FILE.parent.parent / "README.md"
# The README's copy of the table sits between these lines.
TABLE_START = "<!-- results/runs.csv as a table: results.update_readme() writes it -->"
TABLE_END = "<!-- end of the runs table -->"
COLUMNS = (
    "notebook", "label", "model", "parameters", "dataset", "train_images",
    "test_images", "image_size", "epochs", "batch_size", "precision", "optimizer",
    "learning_rate", "final_test_accuracy", "tta_test_accuracy", "best_test_accuracy",
    "train_seconds", "hardware", "date",
)


def results_file(plan):
    """Where `plan`'s runs are recorded (see the module docstring)."""
    if plan.mode == "smoke" or not RESULTS_FILE.parent.is_dir():
        return Path(plan.runs_dir) / "runs.csv"
    return RESULTS_FILE


def record_run(plan, out_dir, notebook, label):
    """Adds (or replaces) the row of the finished run in `out_dir`; returns it.

    `plan` is the notebook's `RunPlan` (its mode decides where rows go),
    `notebook` the notebook's file stem ("12-xception") and `label` the
    run's name within it.
    """
    out_dir = Path(out_dir)
    definition = json.loads((out_dir / "run.json").read_text())
    history = read_rows(out_dir / "history.csv")
    if not history:
        raise ValueError(f"{out_dir} has no finished epoch to record; train it first.")
    final_file = out_dir / "final.json"
    final = json.loads(final_file.read_text()) if final_file.exists() else {}
    # Epochs timed: all of them, except in a run from before `seconds` was
    # recorded (no time then), or one resumed by an older version.
    seconds = [row["seconds"] for row in history if not math.isnan(row.get("seconds", math.nan))]
    row = {
        "notebook": notebook, "label": label,
        **{key: definition.get(key) for key in (
            "model", "parameters", "dataset", "train_images", "test_images", "epochs",
            "batch_size", "precision", "optimizer", "learning_rate")},
        "image_size": "x".join(str(side) for side in definition["image_size"]),
        "final_test_accuracy": round(final.get("test_accuracy", history[-1]["val_accuracy"]), 4),
        "tta_test_accuracy": round(final["tta_test_accuracy"], 4) if "tta_test_accuracy" in final
        else "",
        "best_test_accuracy": round(max(row["val_accuracy"] for row in history), 4),
        "train_seconds": round(sum(seconds)) if len(seconds) == len(history) else "",
        "hardware": hardware(), "date": datetime.date.today().isoformat(),
    }
    path = results_file(plan)
    rows = []
    if path.exists():
        with open(path, newline="") as f:
            rows = [old for old in csv.DictReader(f)
                    if (old["notebook"], old["label"]) != (notebook, label)]
    rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial, open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["notebook"], r["label"])))
    return row


def markdown_table(path=RESULTS_FILE):
    """`runs.csv` as a markdown table, one line per run."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    lines = ["| notebook | run | model | training images | epochs | hardware | train s "
             "| test accuracy |",
             "| --- | --- | --- | ---: | ---: | --- | ---: | ---: |"]
    for row in rows:
        accuracy = row["final_test_accuracy"]
        if row["tta_test_accuracy"]:
            accuracy += f" ({row['tta_test_accuracy']} with TTA)"
        lines.append(
            f"| {row['notebook']} | {row['label']} | `{row['model']}` | "
            f"{int(row['train_images']):,} | {row['epochs']} | {row['hardware']} | "
            f"{row['train_seconds']} | {accuracy} |")
    return "\n".join(lines)


def update_readme(readme=README_FILE, path=RESULTS_FILE):
    """Rewrites the table between `TABLE_START` and `TABLE_END` in the
    README from `runs.csv`."""
    text = Path(readme).read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"{readme} lacks the lines {TABLE_START!r} and {TABLE_END!r} "
                         "that mark where the runs table goes; add them.")
    before, rest = text.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    with atomic_path(readme) as partial:
        Path(partial).write_text(
            f"{before}{TABLE_START}\n{markdown_table(path)}\n{TABLE_END}{after}")
