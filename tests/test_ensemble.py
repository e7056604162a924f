"""Label alignment and voting (DDC-VOTE) for any clusterer."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from sklearn_deepcluster.ensemble import align_labels, vote, vote_proba
from sklearn_deepcluster.metrics import clustering_accuracy


def test_align_labels_undoes_a_permutation():
    reference = np.array([0, 0, 1, 1, 2, 2, 2])
    permuted = np.array([2, 0, 1])[reference]
    np.testing.assert_array_equal(align_labels(permuted, reference), reference)
    aligned, mapping = align_labels(permuted, reference, return_mapping=True)
    assert mapping == {2: 0, 0: 1, 1: 2}


def test_align_labels_maximises_agreement_with_disagreements():
    reference = np.array([0, 0, 0, 1, 1, 1])
    labels = np.array([5, 5, 7, 7, 7, 5])  # 5 mostly covers 0, 7 mostly covers 1
    np.testing.assert_array_equal(align_labels(labels, reference), [0, 0, 1, 1, 1, 0])


def test_align_labels_gives_surplus_clusters_fresh_ids():
    reference = np.array([0, 0, 1, 1])
    labels = np.array([3, 4, 5, 5])
    aligned, mapping = align_labels(labels, reference, return_mapping=True)
    assert aligned[2] == aligned[3] == 1
    assert sorted(aligned[:2]) == [0, 2]  # one of 3 and 4 gets a new id
    assert set(mapping) == {3, 4, 5}


def test_align_labels_with_n_clusters_maps_every_id():
    reference = np.array([0, 0, 1, 1])
    labels = np.array([2, 2, 0, 0])  # id 1 is unused here
    aligned, mapping = align_labels(labels, reference, n_clusters=3, return_mapping=True)
    np.testing.assert_array_equal(aligned, reference)
    assert sorted(mapping) == [0, 1, 2] and sorted(mapping.values()) == [0, 1, 2]
    with pytest.raises(ValueError, match="0..2"):
        align_labels([3, 0, 0, 0], reference, n_clusters=3)


def test_align_labels_checks_its_input():
    with pytest.raises(ValueError, match="integer"):
        align_labels([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="inconsistent"):
        align_labels([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="n_clusters == 0"):
        align_labels([0, 1], [1, 0], n_clusters=0)
    with pytest.raises(TypeError, match="n_clusters must be an instance of int"):
        vote([[0, 1], [1, 0]], n_clusters=2.0)


def test_aligned_labels_are_int64_whatever_the_input_types():
    aligned = align_labels(np.array([0, 1], np.uint64), np.array([1, 0]))
    assert aligned.dtype == np.int64 and aligned.tolist() == [1, 0]
    fresh = align_labels(np.array([0, 1, 2], np.int8), np.full(3, 127, np.int8))
    assert fresh.tolist() == [127, 128, 129]  # no int8 overflow
    assert align_labels([], []).shape == (0,)


def test_vote_majority_after_alignment():
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    a = truth.copy()
    b = np.array([1, 1, 1, 2, 2, 2, 0, 0, 0])  # same partition, other ids
    c = np.array([1, 1, 2, 2, 2, 2, 0, 0, 0])  # other ids, and sample 2 moved
    np.testing.assert_array_equal(vote([a, b, c]), truth)
    # c's own error is outvoted; when c is the reference the ids follow c
    voted = vote([c, a, b])
    assert clustering_accuracy(truth, voted) == 1.0


def test_vote_ties_go_to_the_earliest_labelling():
    first = np.array([0, 1, 2])
    second = np.array([1, 2, 0])
    third = np.array([2, 0, 1])
    # every sample gets three different labels: the reference wins
    np.testing.assert_array_equal(vote([first, second, third], align=False), first)
    np.testing.assert_array_equal(vote([third, first], align=False), third)


def test_vote_single_labelling_and_empty():
    np.testing.assert_array_equal(vote([[3, 1, 3]]), [3, 1, 3])
    with pytest.raises(ValueError, match="at least one"):
        vote([])


def test_vote_combines_kmeans_runs(blobs):
    X, y = blobs
    runs = [KMeans(3, n_init=1, random_state=s).fit_predict(X) for s in range(5)]
    voted = vote(runs)
    assert clustering_accuracy(y, voted) >= max(clustering_accuracy(y, r) for r in runs) - 0.05


def test_vote_proba_renames_columns_before_averaging():
    first = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.1, 0.9]])
    renamed = first[:, [2, 0, 1]]  # the same run with its cluster ids permuted
    np.testing.assert_allclose(vote_proba([first, renamed]), first)
    other = np.array([[0.5, 0.4, 0.1], [0.0, 0.2, 0.8], [0.1, 0.6, 0.3]])
    # other's hard labels (0, 2, 1) against (0, 1, 2): its ids 0, 2, 1 become 0, 1, 2
    expected = (first + other[:, [0, 2, 1]]) / 2
    np.testing.assert_allclose(vote_proba([first, other]), expected)


def test_vote_proba_checks_its_shape():
    with pytest.raises(ValueError, match="n_runs, n_samples, n_clusters"):
        vote_proba([[0.5, 0.5]])
    with pytest.raises(ValueError, match="non-empty"):
        vote_proba(np.zeros((0, 3, 2)))
