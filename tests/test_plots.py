import matplotlib

matplotlib.use("Agg")

from convnets_tf.plots import plot_error_curves  # noqa: E402


def test_plot_error_curves_draws_one_to_minus_accuracy_per_run():
    runs = {
        "a": [{"epoch": 0, "accuracy": 0.25, "val_accuracy": 0.5},
              {"epoch": 1, "accuracy": 0.5, "val_accuracy": 0.75}],
        "b": [{"epoch": 0, "accuracy": 0.125, "val_accuracy": 0.25}],
    }
    fig = plot_error_curves(runs, styles={"b": {"ls": "--"}})
    train, test = fig.axes
    for ax, metric in ((train, "accuracy"), (test, "val_accuracy")):
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert list(lines) == ["a", "b"]
        for label, rows in runs.items():
            assert list(lines[label].get_xdata()) == [row["epoch"] + 1 for row in rows]
            assert list(lines[label].get_ydata()) == [1 - row[metric] for row in rows]
        assert lines["b"].get_linestyle() == "--" and lines["a"].get_linestyle() == "-"
