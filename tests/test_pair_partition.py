"""Partitions from pairwise same-cluster probabilities (sklearn_deepcluster.pair_partition)."""

import itertools

import numpy as np
import pytest

from sklearn_deepcluster.pair_partition import expected_pair_errors, pair_error_partition


def noisy_pair_proba(labels, noise, seed=0):
    """``P_ij`` near 1 for pairs of ``labels`` that share a cluster, near 0 otherwise."""
    rng = np.random.RandomState(seed)
    labels = np.asarray(labels)
    same = (labels[:, None] == labels[None, :]).astype(float)
    flips = rng.uniform(0, noise, size=same.shape)
    proba = np.abs(same - np.triu(flips, 1) - np.triu(flips, 1).T)
    np.fill_diagonal(proba, 1.0)
    return proba


def single_moves(labels, max_clusters):
    """Every partition one example's move away from ``labels`` (to a used or a new cluster)."""
    for i in range(len(labels)):
        for label in range(max_clusters):
            if label != labels[i]:
                moved = labels.copy()
                moved[i] = label
                yield moved


def test_expected_pair_errors_hand_computed():
    proba = np.array([[1.0, 0.9, 0.2], [0.9, 1.0, 0.4], [0.2, 0.4, 1.0]])
    # (0, 1) joined: 1 - 0.9; (0, 2) and (1, 2) split: 0.2 + 0.4
    assert expected_pair_errors([0, 0, 1], proba) == pytest.approx(0.7)
    # all joined: 0.1 + 0.8 + 0.6; all split: 0.9 + 0.2 + 0.4
    assert expected_pair_errors([5, 5, 5], proba) == pytest.approx(1.5)
    assert expected_pair_errors([0, 1, 2], proba) == pytest.approx(1.5)
    # the diagonal and the lower triangle are not read twice
    assert expected_pair_errors([0, 0, 1], np.where(np.eye(3) > 0, 0.0, proba)) == \
        pytest.approx(0.7)


def test_recovers_the_partition_behind_noisy_pair_probabilities():
    truth = np.array([2, 0, 0, 1, 2, 1, 1, 0, 2, 2])
    proba = noisy_pair_proba(truth, noise=0.4)
    one_cluster = np.zeros(10, dtype=int)
    labels = pair_error_partition(proba, [one_cluster], max_clusters=5)
    # the same partition, renumbered in order of first appearance
    np.testing.assert_array_equal(labels, [0, 1, 1, 2, 0, 2, 2, 1, 0, 0])
    assert expected_pair_errors(labels, proba) < expected_pair_errors(one_cluster, proba)


def test_the_result_is_a_local_minimum_no_worse_than_any_start():
    rng = np.random.RandomState(1)
    proba = rng.uniform(size=(9, 9))
    proba = (proba + proba.T) / 2
    starts = [rng.randint(3, size=9) for _ in range(4)]
    labels = pair_error_partition(proba, starts, max_clusters=3)
    errors = expected_pair_errors(labels, proba)
    assert labels.max() < 3
    assert all(errors <= expected_pair_errors(s, proba) + 1e-12 for s in starts)
    assert all(errors <= expected_pair_errors(m, proba) + 1e-12
               for m in single_moves(labels, 3))


def test_finds_the_exact_minimum_of_a_small_case():
    # all partitions of 6 examples into at most 3 clusters, by brute force
    proba = noisy_pair_proba([0, 0, 1, 1, 1, 2], noise=0.45, seed=3)
    best = min(itertools.product(range(3), repeat=6),
               key=lambda labels: expected_pair_errors(np.array(labels), proba))
    labels = pair_error_partition(proba, [np.zeros(6, dtype=int)], max_clusters=3)
    assert expected_pair_errors(labels, proba) == pytest.approx(
        expected_pair_errors(np.array(best), proba))


def test_max_clusters_bounds_the_clusters():
    proba = np.eye(4)  # every pair apart: the best is all singletons
    assert len(np.unique(pair_error_partition(proba, [np.zeros(4, dtype=int)]))) == 4
    labels = pair_error_partition(proba, [np.zeros(4, dtype=int)], max_clusters=2)
    assert len(np.unique(labels)) == 2


@pytest.mark.parametrize("proba, starts, kwargs, message", [
    (np.ones((3, 2)), [[0, 0, 0]], {}, "square"),
    ([[1, 0.2], [0.8, 1]], [[0, 0]], {}, "symmetric"),
    ([[1, 1.5], [1.5, 1]], [[0, 0]], {}, r"\[0, 1\]"),
    ([[1, np.nan], [np.nan, 1]], [[0, 0]], {}, "NaN"),
    (np.eye(2), [[0, 0, 0]], {}, "2 non-negative integers"),
    (np.eye(2), [[0.5, 0]], {}, "labels must hold integer cluster ids"),
    (np.eye(2), [[0, 2]], {"max_clusters": 2}, "max_clusters=2 allows labels below it"),
    (np.eye(2), [], {}, "at least one starting partition"),
    (np.eye(2), [[0, 0]], {"max_clusters": 0}, "max_clusters == 0"),
])
def test_bad_input_gets_a_clear_error(proba, starts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pair_error_partition(proba, starts, **kwargs)
