"""Clustering metrics: accuracy and MR under the best matching, and BBN.

The functions compare a clustering ``labels_pred`` with a reference
``labels_true``. Label values are arbitrary: they only name groups, so any
permutation of ``labels_pred`` gets the same score. scikit-learn's
:func:`~sklearn.metrics.normalized_mutual_info_score` and
:func:`~sklearn.metrics.adjusted_rand_score` are re-exported for convenience.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = [
    "adjusted_rand_score",
    "bbn_score",
    "clustering_accuracy",
    "misclassification_rate",
    "normalized_mutual_info_score",
]


def _check_labels(labels_true, labels_pred):
    """Return both labelings as 1-D arrays of the same, non-zero length."""
    labels_true = column_or_1d(labels_true, input_name="labels_true")
    labels_pred = column_or_1d(labels_pred, input_name="labels_pred")
    check_consistent_length(labels_true, labels_pred)
    if labels_true.shape[0] == 0:
        raise ValueError("labels_true and labels_pred are empty; need at least one sample.")
    return labels_true, labels_pred


def clustering_accuracy(labels_true, labels_pred):
    r"""Clustering accuracy under the best one-to-one cluster-to-class mapping.

    .. math::

        \mathrm{ACC} = \max_{m \in M} \frac{1}{n}
        \sum_{i=1}^{n} \mathbb{1}\{l_i = m(c_i)\}

    where :math:`l_i` is the true label of sample :math:`i`, :math:`c_i` its
    cluster and :math:`M` the set of one-to-one mappings between clusters and
    classes (equation 8 of Das et al.). The best mapping is found with the
    Hungarian algorithm on the contingency matrix. When the number of clusters
    differs from the number of classes, the surplus clusters (or classes) stay
    unmatched and all their samples count as errors.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth class labels.

    labels_pred : array-like of shape (n_samples,)
        Cluster labels to evaluate.

    Returns
    -------
    accuracy : float
        Fraction of samples whose cluster is mapped to their class, in
        ``[0, 1]``; 1 is a perfect clustering.

    See Also
    --------
    misclassification_rate : ``1 - clustering_accuracy``.

    References
    ----------
    .. [1] S. Das et al., "Deep Representation Learning Characterized by
       Inter-class Separation for Image Clustering", WACV 2019, eq. 8.
    .. [2] J. Xie, R. Girshick and A. Farhadi, "Unsupervised Deep Embedding for
       Clustering Analysis", ICML 2016.

    Examples
    --------
    >>> from sklearn_deepcluster.metrics import clustering_accuracy
    >>> clustering_accuracy([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> clustering_accuracy([0, 0, 1, 1], [0, 0, 0, 1])
    0.75
    """
    labels_true, labels_pred = _check_labels(labels_true, labels_pred)
    contingency = contingency_matrix(labels_true, labels_pred)
    rows, cols = linear_sum_assignment(contingency, maximize=True)
    return float(contingency[rows, cols].sum() / labels_true.shape[0])


def misclassification_rate(labels_true, labels_pred):
    r"""Misclassification rate (MR) of a clustering.

    Each cluster is taken to represent one class and MR is the fraction of
    wrongly assigned samples, minimised over the assignments (Meier et al.,
    section VI):

    .. math::

        \mathrm{MR} = \frac{1}{N} \sum_{j=1}^{N_s} e_j

    where :math:`N` is the number of samples, :math:`N_s` the number of true
    classes and :math:`e_j` the number of samples of class :math:`j` outside
    the cluster assigned to it. The assignment is one-to-one, as in the
    authors' implementation: a class without a cluster (more classes than
    clusters) has all its samples wrong, and samples in a cluster without a
    class (more clusters than classes) are wrong as well. The best such
    assignment is found exactly (Hungarian method), where the authors'
    ``misclassification_rate_BV01`` searches it greedily and so may report a
    higher rate. Hence ``MR = 1 - clustering_accuracy``.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth class labels.

    labels_pred : array-like of shape (n_samples,)
        Cluster labels to evaluate.

    Returns
    -------
    mr : float
        Misclassification rate in ``[0, 1]``; lower is better, 0 is a perfect
        clustering.

    See Also
    --------
    clustering_accuracy : ``1 - misclassification_rate``.

    References
    ----------
    .. [1] B. Meier, T. Stadelmann and O. Dürr, "Learning to Cluster", 2018,
       section VI.
    .. [2] D. Liu and F. Kubala, "Online speaker clustering", ICASSP 2003.

    Examples
    --------
    >>> from sklearn_deepcluster.metrics import misclassification_rate
    >>> misclassification_rate([0, 0, 1, 1], [1, 1, 0, 0])
    0.0
    >>> misclassification_rate([0, 0, 1, 1], [0, 0, 0, 0])
    0.5
    """
    return 1.0 - clustering_accuracy(labels_true, labels_pred)


def bbn_score(labels_true, labels_pred):
    r"""Normalised BBN metric (Q = 0) of a clustering.

    The BBN metric of Kotti et al. with parameter :math:`Q` is

    .. math::

        \mathrm{BBN}_Q = \sum_{i=1}^{N_c} \sum_{j=1}^{N_s}
        \frac{n_{ij}^2}{n_i} - Q N_c

    where :math:`N_c` is the number of predicted clusters, :math:`N_s` the
    number of true classes, :math:`n_{ij}` the number of samples of class
    :math:`j` in cluster :math:`i` and :math:`n_i` the size of cluster
    :math:`i`. Meier et al. use :math:`Q = 0` (no preference for small or
    large clusters) and normalise by the score of the true labeling:

    .. math::

        \mathrm{BBN}_{\mathrm{norm}}(y, \tilde{y})
        = \frac{\mathrm{BBN}_{Q=0}(y, \tilde{y})}{\mathrm{BBN}_{Q=0}(y, y)}
        = \frac{1}{N} \sum_{i=1}^{N_c} \sum_{j=1}^{N_s} \frac{n_{ij}^2}{n_i}

    since :math:`\mathrm{BBN}_{Q=0}(y, y) = \sum_j n_j = N`. The score
    measures the purity of the predicted clusters: it is 1 exactly when every
    cluster holds a single class (splitting a class over several clusters is
    not penalised) and at least :math:`\sum_j n_j^2 / N^2 > 0`, the value of
    a single cluster holding everything. It is not symmetric in its arguments.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth class labels (the speakers of Kotti et al.).

    labels_pred : array-like of shape (n_samples,)
        Cluster labels to evaluate.

    Returns
    -------
    score : float
        Normalised BBN score in ``(0, 1]``; higher is better.

    References
    ----------
    .. [1] B. Meier, T. Stadelmann and O. Dürr, "Learning to Cluster", 2018,
       section VI.
    .. [2] M. Kotti, V. Moschou and C. Kotropoulos, "Speaker segmentation and
       clustering", Signal Processing 88(5), 2008, pp. 1091-1124.

    Examples
    --------
    >>> from sklearn_deepcluster.metrics import bbn_score
    >>> bbn_score([0, 0, 1, 1], [0, 0, 1, 2])
    1.0
    >>> bbn_score([0, 0, 1, 1], [0, 0, 0, 0])
    0.5
    """
    labels_true, labels_pred = _check_labels(labels_true, labels_pred)
    # Rows are predicted clusters i, columns true classes j: entries n_ij.
    counts = contingency_matrix(labels_pred, labels_true).astype(np.float64)
    cluster_sizes = counts.sum(axis=1, keepdims=True)
    return float((counts**2 / cluster_sizes).sum() / labels_true.shape[0])
