import numpy as np
import pytest

from convnets_tf.calibration import expected_calibration_error, reliability_bins


def two_class(confidences, correct):
    """Softmax rows whose largest probability is `confidence`, on class 0
    when the prediction is to be right (every label is 0)."""
    rows = [[c, 1 - c] if right else [1 - c, c] for c, right in zip(confidences, correct)]
    return np.array(rows), np.zeros(len(rows), dtype=int)


def test_bins_hold_mean_confidence_and_accuracy():
    # Two predictions at 0.6, both right, and one at 0.9, wrong.
    probabilities, labels = two_class([0.6, 0.6, 0.9], [True, True, False])
    table = reliability_bins(probabilities, labels, bins=10)
    assert table["count"].tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 1, 0]
    np.testing.assert_allclose(table["confidence"][[5, 8]], [0.6, 0.9])
    np.testing.assert_allclose(table["accuracy"][[5, 8]], [1.0, 0.0])
    assert np.isnan(table["accuracy"][0])
    # |1.0 - 0.6| for two thirds of the predictions, |0.0 - 0.9| for one.
    assert expected_calibration_error(probabilities, labels, bins=10) == pytest.approx(
        (2 * 0.4 + 0.9) / 3)


def test_a_bin_includes_its_upper_edge():
    probabilities, labels = two_class([0.6, 1.0], [True, True])
    assert reliability_bins(probabilities, labels, bins=5)["count"].tolist() == [0, 0, 1, 0, 1]


def test_calibrated_predictions_have_zero_error_and_overconfident_ones_do_not():
    rng = np.random.default_rng(0)
    confidence = rng.choice([0.55, 0.75, 0.95], size=30_000)
    calibrated = two_class(confidence, rng.random(confidence.size) < confidence)
    assert expected_calibration_error(*calibrated) < 0.01
    always_sure = two_class(np.full(1000, 0.99), np.arange(1000) % 2 == 0)
    assert expected_calibration_error(*always_sure) == pytest.approx(0.49)


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="N labels"):
        reliability_bins(np.full((3, 10), 0.1), np.zeros(4))
