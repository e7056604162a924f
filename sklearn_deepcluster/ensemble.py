"""Label alignment and majority voting across clusterings.

Cluster ids are arbitrary, so two runs of a clusterer that find the same
partition may still name its clusters differently. :func:`align_labels`
renames the clusters of one labelling to match a reference with the
Hungarian method (paper 000 section 4.5, after Strehl and Ghosh, 2002),
:func:`vote` combines several labellings by majority after aligning them to
the first one (DDC-VOTE), and :func:`vote_proba` averages soft assignments
aligned the same way. They work on the output of any clusterer.
"""

from numbers import Integral

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = ["align_labels", "vote", "vote_proba"]


def _check_integer_labels(labels, name):
    labels = column_or_1d(labels, input_name=name)
    if labels.size and not np.issubdtype(labels.dtype, np.integer):  # [] is float64 to numpy
        raise ValueError(f"{name} must hold integer cluster ids, got dtype {labels.dtype}.")
    return labels.astype(np.int64, copy=False)  # mixed or small int types would not add up


def align_labels(labels, reference, *, n_clusters=None, return_mapping=False):
    """Rename the clusters of ``labels`` to agree best with ``reference``.

    The one-to-one renaming maximises the number of samples whose new label
    equals their reference label (the Hungarian method, via
    :func:`scipy.optimize.linear_sum_assignment` on the contingency table).
    Clusters of ``labels`` left without a partner (``labels`` has more
    clusters than ``reference``) get fresh ids above every reference id.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        The labelling to rename.
    reference : array-like of int, shape (n_samples,)
        The labelling to agree with.
    n_clusters : int, default=None
        When given, both labellings take values in ``0..n_clusters-1`` and the
        mapping covers all of them, also ids absent from these samples (so it
        can rename the labels of new samples).
    return_mapping : bool, default=False
        Also return the renaming as a dict ``{old id: new id}``.

    Returns
    -------
    aligned : ndarray of shape (n_samples,)
    mapping : dict
        Only when ``return_mapping`` is True.

    Examples
    --------
    >>> from sklearn_deepcluster.ensemble import align_labels
    >>> align_labels([1, 1, 0, 2], [0, 0, 2, 1])
    array([0, 0, 2, 1])
    """
    labels = _check_integer_labels(labels, "labels")
    reference = _check_integer_labels(reference, "reference")
    check_consistent_length(labels, reference)
    if n_clusters is None:
        ids, inverse = np.unique(labels, return_inverse=True)
        ref_ids, ref_inverse = np.unique(reference, return_inverse=True)
        table = contingency_matrix(inverse, ref_inverse)
    else:
        check_scalar(n_clusters, "n_clusters", Integral, min_val=1)
        if labels.size and (min(labels.min(), reference.min()) < 0
                            or max(labels.max(), reference.max()) >= n_clusters):
            raise ValueError(f"labels and reference must lie in 0..{n_clusters - 1}.")
        ids = ref_ids = np.arange(n_clusters)
        inverse = labels
        table = np.zeros((n_clusters, n_clusters), dtype=np.int64)
        np.add.at(table, (labels, reference), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    new_ids = np.empty(len(ids), dtype=np.int64)
    new_ids[rows] = ref_ids[cols]
    unmatched = np.setdiff1d(np.arange(len(ids)), rows)
    start = (ref_ids.max() + 1) if len(ref_ids) else 0
    new_ids[unmatched] = start + np.arange(len(unmatched))
    aligned = new_ids[inverse]
    if return_mapping:
        return aligned, dict(zip(ids.tolist(), new_ids.tolist()))
    return aligned


def vote(label_sets, *, align=True, n_clusters=None):
    """Majority vote over labellings of the same samples (DDC-VOTE).

    The first labelling is the reference (in DDC-VOTE: the run with the
    lowest loss). With ``align=True`` every other labelling is first renamed
    to agree with it (:func:`align_labels`). Each sample then gets the label
    most labellings give it; a tie goes to the label of the earliest
    labelling among the tied ones, so the reference wins every tie it is in.

    Parameters
    ----------
    label_sets : sequence of array-like of int, each of shape (n_samples,)
    align : bool, default=True
        Align to the first labelling before voting; False when the
        labellings already share their cluster ids.
    n_clusters : int, default=None
        Passed to :func:`align_labels`.

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn_deepcluster.ensemble import vote
    >>> vote([[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]])
    array([0, 0, 1, 1])
    """
    if n_clusters is not None:
        check_scalar(n_clusters, "n_clusters", Integral, min_val=1)
    sets = [_check_integer_labels(s, "label_sets") for s in label_sets]
    if not sets:
        raise ValueError("vote needs at least one labelling.")
    check_consistent_length(*sets)
    if align:
        sets = [sets[0]] + [align_labels(s, sets[0], n_clusters=n_clusters) for s in sets[1:]]
    stacked = np.stack(sets)  # (n_sets, n_samples)
    counts = (stacked[:, None, :] == stacked[None, :, :]).sum(axis=1)  # votes for each set's label
    winner = counts.argmax(axis=0)  # first set among those with the most votes
    return stacked[winner, np.arange(stacked.shape[1])]


def vote_proba(probas):
    """Average soft cluster assignments after aligning their clusters to the first.

    The soft counterpart of :func:`vote`: the columns of each matrix after
    the first are renamed with the mapping :func:`align_labels` finds
    between its hard labels (the row-wise argmax) and those of the first
    matrix, then all matrices are averaged.

    Parameters
    ----------
    probas : array-like of shape (n_runs, n_samples, n_clusters)
        ``probas[r, i, c]`` is the probability that run ``r`` gives sample
        ``i`` cluster ``c``; rows sum to 1.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_clusters)
        The average, in the cluster ids of the first run.

    Examples
    --------
    >>> from sklearn_deepcluster.ensemble import vote_proba
    >>> vote_proba([[[0.9, 0.1], [0.2, 0.8]], [[0.3, 0.7], [1.0, 0.0]]])
    array([[0.8, 0.2],
           [0.1, 0.9]])
    """
    probas = np.asarray(probas, dtype=np.float64)
    if probas.ndim != 3 or 0 in probas.shape:
        raise ValueError("probas must be a non-empty array of shape (n_runs, n_samples, "
                         f"n_clusters), got shape {probas.shape}.")
    n_clusters = probas.shape[2]
    reference = probas[0].argmax(axis=1)
    total = probas[0].copy()
    for proba in probas[1:]:
        _, mapping = align_labels(proba.argmax(axis=1), reference, n_clusters=n_clusters,
                                  return_mapping=True)
        renamed = np.empty_like(proba)
        renamed[:, list(mapping.values())] = proba[:, list(mapping.keys())]
        total += renamed
    return total / len(probas)
