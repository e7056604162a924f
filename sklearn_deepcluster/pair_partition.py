"""Partitions that agree best with pairwise same-cluster probabilities.

Given ``P_ij``, the probability that examples ``i`` and ``j`` share a
cluster, the expected number of pairs a partition gets wrong is

    E = sum_{i<j} [c_i = c_j] (1 - P_ij) + [c_i != c_j] P_ij,

which is the objective of correlation clustering with weights ``2 P_ij - 1``
(joining ``i`` and ``j`` lowers ``E`` by ``2 P_ij - 1``). Finding its minimum
is NP-hard; :func:`pair_error_partition` improves given starting partitions
by best one-example moves, the ``LocalSearch`` of Gionis, Mannila and
Tsaparas, *Clustering Aggregation* (ACM TKDD 2007), and keeps the best.
``LearnedClusterer(decoding="pairwise")`` uses it on paper 003's ``P_ij``.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, check_scalar

from .ensemble import _check_integer_labels


def _check_pair_proba(pair_proba):
    """``pair_proba`` as a float64 symmetric matrix in [0, 1], else a ``ValueError``."""
    pair_proba = check_array(pair_proba, dtype=np.float64, input_name="pair_proba")
    if pair_proba.shape[0] != pair_proba.shape[1]:
        raise ValueError(f"pair_proba must be square, (n, n); got shape {pair_proba.shape}.")
    if not np.allclose(pair_proba, pair_proba.T, atol=1e-6):
        raise ValueError("pair_proba must be symmetric: P_ij is the probability that i and j "
                         "share a cluster, the same as P_ji.")
    if pair_proba.min() < 0 or pair_proba.max() > 1:
        raise ValueError("pair_proba holds probabilities: its values must lie in [0, 1].")
    return pair_proba


def _check_labels(labels, n):
    """Integer labels ``0..`` for ``n`` examples, else a ``ValueError``."""
    labels = _check_integer_labels(labels, "labels")
    if labels.shape != (n,) or (n and labels.min() < 0):
        raise ValueError(f"labels must be {n} non-negative integers, one per row of "
                         f"pair_proba; got {labels!r}.")
    return labels


def expected_pair_errors(labels, pair_proba):
    """Expected number of pairs that ``labels`` joins or splits wrongly.

    Parameters
    ----------
    labels : array-like of shape (n,)
        A partition of the ``n`` examples.
    pair_proba : array-like of shape (n, n)
        ``P_ij``, the probability that examples ``i`` and ``j`` share a
        cluster; only the pairs ``i < j`` are read.

    Returns
    -------
    errors : float
        ``sum_{i<j} [c_i = c_j] (1 - P_ij) + [c_i != c_j] P_ij``.

    Examples
    --------
    >>> from sklearn_deepcluster.pair_partition import expected_pair_errors
    >>> P = [[1, 0.9, 0.2], [0.9, 1, 0.4], [0.2, 0.4, 1]]
    >>> round(expected_pair_errors([0, 0, 1], P), 6)  # 0.1 + 0.2 + 0.4
    0.7
    """
    pair_proba = _check_pair_proba(pair_proba)
    labels = _check_labels(labels, len(pair_proba))
    upper = np.triu_indices(len(labels), 1)
    same = (labels[:, None] == labels[None, :])[upper]
    p = pair_proba[upper]
    return float(np.where(same, 1 - p, p).sum())


def _local_search(labels, weights, max_clusters):
    """Best one-example moves until none lowers the expected pair errors.

    ``weights`` is ``2 P - 1`` with a zero diagonal. A move may take an
    example to an empty cluster while fewer than ``max_clusters`` are used.
    """
    labels = labels.copy()
    rows = np.arange(len(labels))
    # gain[i, c]: sum of weights[i, j] over the examples j of cluster c
    gain = weights @ np.eye(max_clusters)[labels]
    while True:
        used = np.bincount(labels, minlength=max_clusters) > 0
        target = np.where(used, gain, -np.inf)
        if not used.all():
            target[:, np.argmin(used)] = 0.0  # one empty cluster: a singleton
        improvement = target.max(axis=1) - gain[rows, labels]
        i = int(improvement.argmax())
        if improvement[i] <= 1e-12 * len(labels):
            return labels
        old, new = labels[i], int(target[i].argmax())
        gain[:, old] -= weights[:, i]
        gain[:, new] += weights[:, i]
        labels[i] = new


def pair_error_partition(pair_proba, starts, max_clusters=None):
    """The partition with the fewest expected pair errors reached from ``starts``.

    Each starting partition is improved by moving one example at a time to
    the cluster (or, while fewer than ``max_clusters`` are used, to a new
    cluster) that lowers :func:`expected_pair_errors` most, until no move
    lowers it (Gionis et al. 2007, ``LocalSearch``); the best result is
    returned. A local minimum: the exact minimum is NP-hard.

    Parameters
    ----------
    pair_proba : array-like of shape (n, n)
        ``P_ij``, symmetric, in [0, 1]; the diagonal is ignored.
    starts : list of array-like of shape (n,)
        Starting partitions (integer labels), e.g. the clusterings of
        several models or of several assumed numbers of clusters.
    max_clusters : int, default=None
        Most clusters the result may have; None: ``n``. The starts must
        use labels below it.

    Returns
    -------
    labels : ndarray of shape (n,)
        Consecutive labels ``0..k-1``, numbered in order of first appearance.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_deepcluster.pair_partition import pair_error_partition
    >>> P = np.array([[1, .9, .8, .1], [.9, 1, .3, .2], [.8, .3, 1, .1], [.1, .2, .1, 1]])
    >>> pair_error_partition(P, [np.array([0, 0, 0, 0])])
    array([0, 0, 0, 1])
    """
    pair_proba = _check_pair_proba(pair_proba)
    n = len(pair_proba)
    if max_clusters is None:
        max_clusters = max(n, 1)
    check_scalar(max_clusters, "max_clusters", Integral, min_val=1)
    starts = [_check_labels(start, n) for start in starts]
    if not starts:
        raise ValueError("pair_error_partition needs at least one starting partition.")
    for start in starts:
        if n and start.max() >= max_clusters:
            raise ValueError(f"a starting partition uses label {start.max()}, but "
                             f"max_clusters={max_clusters} allows labels below it only.")
    weights = 2 * pair_proba - 1
    np.fill_diagonal(weights, 0.0)
    results = [_local_search(start, weights, max_clusters) for start in starts]
    best = min(results, key=lambda labels: expected_pair_errors(labels, pair_proba))
    _, first, inverse = np.unique(best, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse]
