"""Tests of sklearn_deepcluster.metrics against hand-computed values."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import metrics as sk_metrics

from sklearn_deepcluster.metrics import (
    __all__ as metrics_all,
    adjusted_rand_score,
    bbn_score,
    clustering_accuracy,
    misclassification_rate,
    normalized_mutual_info_score,
)

# (labels_true, labels_pred, accuracy, BBN_norm). The contingency tables n_ij
# (rows: predicted clusters i, columns: classes j) and the hand computations:
# accuracy = (sum of the matched n_ij) / N, BBN_norm = sum_ij n_ij^2 / n_i / N.
CASES = [
    # Perfect: clusters {0,1} {2,3}; BBN = (2^2/2 + 2^2/2) / 4 = 1.
    ([0, 0, 1, 1], [0, 0, 1, 1], 1.0, 1.0),
    # Permuted names only: same as perfect.
    ([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1], 1.0, 1.0),
    # One error: clusters {0: t0 x2}, {1: t0 x1, t1 x3}; matched 2 + 3 = 5;
    # BBN = (2^2/2 + 1^2/4 + 3^2/4) / 6 = (2 + 2.5) / 6 = 0.75.
    ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], 5 / 6, 0.75),
    # More clusters than classes (class 0 split 2 + 1): cluster 1 is unmatched,
    # so its point is an error; every cluster is pure, so BBN = 1.
    ([0, 0, 0, 1, 1, 1], [0, 0, 1, 2, 2, 2], 5 / 6, 1.0),
    # Fewer clusters than classes (classes 1 and 2 merged): class 2 is unmatched;
    # BBN = (2^2/2 + (2^2 + 2^2)/4) / 6 = 4 / 6.
    ([0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 1], 4 / 6, 4 / 6),
    # A single cluster: matched 2 of 4; BBN = (2^2 + 2^2) / 4 / 4 = 0.5.
    ([0, 0, 1, 1], [5, 5, 5, 5], 0.5, 0.5),
    # One cluster per point: only 2 of the 4 clusters can be matched; BBN = 1.
    ([0, 0, 1, 1], [0, 1, 2, 3], 0.5, 1.0),
    # Test cases of the authors of "Learning to Cluster" (MR 1/3 and 5/13).
    # Matches t0-p7 (2), t1-p2 (2), t2-p0 (2): 6 of 9. Clusters p7 {t0 x2},
    # p3 {t0, t1}, p2 {t1 x2}, p1 {t1}, p0 {t2 x2}: BBN = (2 + 1 + 2 + 1 + 2) / 9.
    ([0, 0, 0, 1, 1, 1, 1, 2, 2], [7, 7, 3, 3, 2, 2, 1, 0, 0], 6 / 9, 8 / 9),
    # p0 = {t0 x4, t1 x3}, p1 = {t0 x5, t1 x1}: matches t0-p1 (5) + t1-p0 (3);
    # BBN = ((16 + 9) / 7 + (25 + 1) / 6) / 13.
    (
        [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
        8 / 13,
        (25 / 7 + 26 / 6) / 13,
    ),
]


@pytest.mark.parametrize("labels_true, labels_pred, accuracy, bbn", CASES)
def test_hand_computed_values(labels_true, labels_pred, accuracy, bbn):
    assert_allclose(clustering_accuracy(labels_true, labels_pred), accuracy)
    assert_allclose(misclassification_rate(labels_true, labels_pred), 1 - accuracy)
    assert_allclose(bbn_score(labels_true, labels_pred), bbn)


def test_scores_are_python_floats():
    for metric in (clustering_accuracy, misclassification_rate, bbn_score):
        assert type(metric([0, 1], [1, 0])) is float


def test_string_labels_and_column_vectors():
    labels_true = np.array(["a", "a", "b", "b"])
    labels_pred = np.array([[3], [3], [3], [7]])
    assert clustering_accuracy(labels_true, labels_pred) == 0.75
    # BBN = (1^2/1 + (2^2 + 1^2)/3) / 4 = (1 + 5/3) / 4.
    assert_allclose(bbn_score(labels_true, labels_pred), (1 + 5 / 3) / 4)


def test_invariant_to_renaming_the_clusters():
    rng = np.random.RandomState(0)
    labels_true = rng.randint(0, 4, size=50)
    labels_pred = rng.randint(0, 5, size=50)
    renamed = np.array([10, 3, 7, 0, 1])[labels_pred]
    for metric in (clustering_accuracy, bbn_score):
        assert_allclose(metric(labels_true, renamed), metric(labels_true, labels_pred))


def test_bbn_lower_bound_is_a_single_cluster():
    # A single cluster gives sum_j n_j^2 / N^2 = (3^2 + 1^2) / 4^2.
    assert_allclose(bbn_score([0, 0, 0, 1], [0, 0, 0, 0]), 10 / 16)


def test_bbn_is_not_symmetric():
    # Splitting a class keeps clusters pure (1.0); merging classes does not (0.5).
    assert bbn_score([0, 0, 0, 0], [0, 0, 1, 1]) == 1.0
    assert bbn_score([0, 0, 1, 1], [0, 0, 0, 0]) == 0.5


def test_reexported_sklearn_metrics():
    assert normalized_mutual_info_score is sk_metrics.normalized_mutual_info_score
    assert adjusted_rand_score is sk_metrics.adjusted_rand_score
    assert set(metrics_all) == {
        "adjusted_rand_score",
        "bbn_score",
        "clustering_accuracy",
        "misclassification_rate",
        "normalized_mutual_info_score",
    }


@pytest.mark.parametrize("metric", [clustering_accuracy, misclassification_rate, bbn_score])
def test_input_errors(metric):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="1d array"):
        metric(np.zeros((2, 2)), [0, 1])
    with pytest.raises(ValueError, match="1d array"):
        metric([0, 1], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="at least one sample"):
        metric([], [])
