"""Training curves."""

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from convnets_tf.files import atomic_path
from convnets_tf.history import read_rows


def plot_history(history_csv, path=None):
    """Plots train and validation loss and accuracy from a `history.csv`.

    `train_cifar` validates on the test split, so the curve is labelled so.

    Saves a PNG to `path` if given (atomically) and returns the figure
    (notebooks show it inline).
    """
    rows = read_rows(history_csv)
    epochs = [int(row["epoch"]) + 1 for row in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, label in (("", "train"), ("val_", "test")):
            if rows and prefix + metric in rows[0]:
                ax.plot(epochs, [row[prefix + metric] for row in rows],
                        marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    if path is not None:
        with atomic_path(path) as partial:
            fig.savefig(partial, dpi=100)
    return fig


def plot_error_curves(histories, styles=None):
    """Training and test error by epoch of several runs, side by side.

    `histories` maps each run's label to its `history.csv` rows (`read_rows`,
    `notebook.train_arms`);
    `styles` optionally maps a label to matplotlib line arguments. Returns
    the figure. The training error is that of the augmented batches while
    the weights change, as Keras measures it.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for label, rows in histories.items():
        epochs = [int(row["epoch"]) + 1 for row in rows]
        style = {"marker": "o", **(styles or {}).get(label, {})}
        for ax, metric in zip(axes, ("accuracy", "val_accuracy")):
            ax.plot(epochs, [1 - row[metric] for row in rows], label=label, **style)
    for ax, title in zip(axes, ("training error (augmented images)", "test error")):
        ax.set(title=title, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig
