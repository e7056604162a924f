"""Training sets for LearnedClusterer, sampled as in paper 003 section V.

All randomness draws from torch's generator, which the estimator seeds inside
:func:`sklearn_deepcluster._base.seeded_torch`.
"""

import math

import torch


def sample_cluster_sizes(n_sets, set_size, max_clusters, min_per_cluster, max_available=None):
    """Number of clusters and the size of each, for ``n_sets`` sets (section V).

    ``k`` is uniform in ``1..min(max_clusters, max_available)``; every cluster
    gets ``min_per_cluster`` examples, and each remaining example goes to a
    cluster drawn uniformly among the ``k``.

    Returns
    -------
    sizes : tensor of shape (n_sets, max_clusters), int64
        Row ``s`` holds the ``k`` cluster sizes of set ``s`` (summing to
        ``set_size``) followed by zeros.
    """
    k_max = max_clusters if max_available is None else min(max_clusters, max_available)
    k = torch.randint(1, k_max + 1, (n_sets, 1))
    n_extra = set_size - k * min_per_cluster
    slots = torch.arange(set_size).unsqueeze(0)
    extra = (torch.rand(n_sets, set_size) * k).long()
    extra = torch.where(slots < n_extra, extra, max_clusters)
    counts = torch.zeros(n_sets, max_clusters + 1, dtype=torch.int64)
    counts.scatter_add_(1, extra, torch.ones_like(extra))
    used = torch.arange(max_clusters).unsqueeze(0) < k
    return (counts[:, :max_clusters] + min_per_cluster) * used


def sample_sets_from_classes(members, n_sets, set_size, max_clusters, min_per_cluster):
    """Index sets drawn from class-labelled examples (section V).

    For each set: ``k`` and the cluster sizes from :func:`sample_cluster_sizes`,
    ``k`` distinct classes, and that many examples of each class (without
    replacement while the class has enough examples, with replacement
    otherwise); finally the set is shuffled.

    Parameters
    ----------
    members : list of 1-D int64 tensors
        Indices of the examples of each class.
    n_sets, set_size, max_clusters, min_per_cluster : int

    Returns
    -------
    index : tensor of shape (n_sets, set_size), int64
        Rows of the example array.
    labels : tensor of shape (n_sets, set_size), int64
        The cluster of each example, ``0..k-1``.
    """
    index = torch.empty(n_sets, set_size, dtype=torch.int64)
    labels = torch.empty(n_sets, set_size, dtype=torch.int64)
    all_sizes = sample_cluster_sizes(n_sets, set_size, max_clusters, min_per_cluster,
                                     len(members))
    for s in range(n_sets):
        sizes = all_sizes[s][all_sizes[s] > 0]
        classes = torch.randperm(len(members))[:len(sizes)]
        parts = []
        for c, size in zip(classes.tolist(), sizes.tolist()):
            pool = members[c]
            if len(pool) >= size:
                parts.append(pool[torch.randperm(len(pool))[:size]])
            else:
                parts.append(pool[torch.randint(len(pool), (size,))])
        order = torch.randperm(set_size)
        index[s] = torch.cat(parts)[order]
        labels[s] = torch.repeat_interleave(torch.arange(len(sizes)), sizes)[order]
    return index, labels


def class_members(y):
    """Indices of the examples of each class of ``y`` (labels ``0..C-1``)."""
    order = torch.argsort(y, stable=True)
    counts = torch.bincount(y)
    return list(torch.split(order, counts.tolist()))


def expected_same_cluster_share(set_size, max_clusters, min_per_cluster, width=0.005,
                                chunk=10000, max_sets=1_000_000):
    """``phi~``: estimate of ``E[y_ij]`` under the sampler of section V.

    Cluster sizes are sampled until the 95% confidence interval of the mean
    share of same-cluster pairs is narrower than ``width`` (section IV).
    """
    n_pairs = set_size * (set_size - 1)
    shares = torch.empty(0, dtype=torch.float64)
    while True:
        sizes = sample_cluster_sizes(chunk, set_size, max_clusters, min_per_cluster)
        shares = torch.cat([shares, (sizes * (sizes - 1)).sum(dim=1) / n_pairs])
        half_width = 1.96 * shares.std().item() / math.sqrt(len(shares))
        if 2 * half_width < width or len(shares) >= max_sets:
            return shares.mean().item()


def same_cluster_share(labels):
    """``phi~`` of labelled sets ``(n_sets, n)``: the mean of ``y_ij`` over the pairs ``i < j``."""
    n = labels.shape[1]
    rows, cols = torch.triu_indices(n, n, offset=1)
    return (labels[:, rows] == labels[:, cols]).double().mean().item()


class SetBatchIterator:
    """Freshly sampled training sets: skorch's ``iterator_train`` (one epoch = ``n_batches``).

    ``dataset.X`` holds either examples ``(n_examples, n_features)`` with
    ``dataset.y`` their classes ``(n_examples,)`` — sets are then sampled by
    :func:`sample_sets_from_classes` — or labelled sets
    ``(n_sets, set_size, n_features)`` with ``dataset.y`` of shape
    ``(n_sets, set_size)`` — sets are then drawn at random and the order of
    their examples shuffled.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
    batch_size : int
        Sets per batch, ``N`` in section V.
    n_batches : int
        Batches per epoch.
    set_size, max_clusters, min_per_cluster : int
        Used for class-labelled examples.
    augment : callable, default=None
        ``augment(x, generator)`` applied to every batch ``x`` of sets, with a
        :class:`torch.Generator` seeded from torch's generator once per epoch.
    """

    def __init__(self, dataset, batch_size, n_batches, set_size, max_clusters, min_per_cluster,
                 augment=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.n_batches = n_batches
        self.set_size = set_size
        self.max_clusters = max_clusters
        self.min_per_cluster = min_per_cluster
        self.augment = augment

    def __len__(self):
        return self.n_batches

    def __iter__(self):
        if self.augment is None:
            yield from self._batches()
            return
        generator = torch.Generator().manual_seed(int(torch.randint(2 ** 62, ()).item()))
        for x, labels in self._batches():
            yield self.augment(x, generator), labels

    def _batches(self):
        X, y = self.dataset.X, self.dataset.y
        if y.ndim == 1:
            members = class_members(y)
            for _ in range(self.n_batches):
                index, labels = sample_sets_from_classes(
                    members, self.batch_size, self.set_size, self.max_clusters,
                    self.min_per_cluster)
                yield X[index], labels
        else:
            n_sets, set_size = y.shape
            for _ in range(self.n_batches):
                chosen = torch.randint(n_sets, (self.batch_size, 1))
                order = torch.rand(self.batch_size, set_size).argsort(dim=1)
                yield X[chosen, order], y[chosen, order]
