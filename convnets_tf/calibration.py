"""How far a classifier's confidence matches its accuracy (Guo et al.,
"On calibration of modern neural networks", ICML 2017, section 2).

A prediction's confidence is its largest softmax probability. Sorting the
test predictions into equal-width confidence bins, a calibrated network is
right in each bin as often as it is confident there; the reliability
diagram plots the two against each other, and the expected calibration
error (ECE) is their gap averaged over bins, weighted by how many
predictions each holds.
"""

import numpy as np


def reliability_bins(probabilities, labels, bins=15):
    """The reliability diagram's figures, per confidence bin.

    `probabilities` is (N, classes) softmax outputs, `labels` the N integer
    labels; `bins` equal-width bins cover (0, 1] (Guo et al. use 15).
    Returns a dict of arrays, one entry per bin: `edges` (bins + 1 values),
    `count`, `confidence` (mean confidence) and `accuracy` (fraction
    right); the last two are NaN in an empty bin.
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels).reshape(-1)
    if probabilities.ndim != 2 or len(probabilities) != len(labels) or not len(labels):
        raise ValueError(
            f"reliability_bins needs (N, classes) probabilities and N labels, N > 0; got "
            f"shapes {probabilities.shape} and {labels.shape}.")
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin b holds confidences in (edges[b], edges[b + 1]]; a confidence of
    # exactly 0 cannot occur for a softmax over finitely many classes.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / count
        accuracy = np.bincount(which, correct, bins) / count
    return {"edges": edges, "count": count, "confidence": mean_confidence,
            "accuracy": accuracy}


def expected_calibration_error(probabilities, labels, bins=15):
    """ECE: the mean |accuracy - confidence| over `reliability_bins`,
    weighted by each bin's share of the predictions; 0 is calibrated."""
    table = reliability_bins(probabilities, labels, bins)
    filled = table["count"] > 0
    gaps = np.abs(table["accuracy"][filled] - table["confidence"][filled])
    return float(np.sum(table["count"][filled] * gaps) / np.sum(table["count"]))
