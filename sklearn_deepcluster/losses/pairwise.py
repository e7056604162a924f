"""Loss of "Learning to Cluster" (paper 003, section IV), vectorised over all pairs."""

import math

import torch

EPS = 1e-7


def pairwise_same_cluster_proba(count_proba, assign_proba):
    """``P_ij``, the probability that ``x_i`` and ``x_j`` share a cluster (section IV).

    ``P_ij(k) = sum_l P(l | x_i, k) P(l | x_j, k)`` and
    ``P_ij = sum_k P(k) P_ij(k)`` (the marginalisation over ``k``).

    Parameters
    ----------
    count_proba : tensor of shape (n_sets, k_max)
        ``P(k)`` for ``k = 1..k_max``.
    assign_proba : tensor of shape (n_sets, n, k_max, k_max)
        ``[s, i, k - 1, l] = P(l | x_i, k)``, zero for ``l >= k``.

    Returns
    -------
    proba : tensor of shape (n_sets, n, n)
    """
    per_k = torch.einsum("sikl,sjkl->sijk", assign_proba, assign_proba)
    return torch.einsum("sijk,sk->sij", per_k, count_proba)


def same_cluster_targets(labels):
    """``y_ij = 1`` where examples ``i`` and ``j`` of a set share a label, else 0."""
    return (labels.unsqueeze(2) == labels.unsqueeze(1)).to(torch.get_default_dtype())


def n_clusters_of(labels):
    """The number of distinct labels in each row of ``labels`` (n_sets, n)."""
    ordered = labels.sort(dim=1).values
    return 1 + (ordered[:, 1:] != ordered[:, :-1]).sum(dim=1)


def pair_weights(phi):
    """The error weights ``(phi_0, phi_1)`` of section IV from ``phi~ = E[y_ij]``.

    ``phi_0 = c sqrt(phi~)`` weighs the pairs with ``y_ij = 0``,
    ``phi_1 = c sqrt(1 - phi~)`` those with ``y_ij = 1``, and
    ``phi_0 + phi_1 = 2``, i.e. ``phi_0 = 2 / (1 + sqrt(1 / phi~ - 1))`` and
    ``phi_1 = 2 / (1 + sqrt(phi~ / (1 - phi~)))``.
    """
    if not 0 < phi < 1:
        raise ValueError(f"the expected share of same-cluster pairs must lie in (0, 1), "
                         f"got {phi}: every training set is then trivially one cluster "
                         "or all singletons.")
    return 2 / (1 + math.sqrt(1 / phi - 1)), 2 / (1 + math.sqrt(phi / (1 - phi)))


def cluster_assignment_loss(pair_proba, targets, weights):
    """``L_ca = -2 / (n (n - 1)) sum_{i<j} BCE_w(y_ij, P_ij)``, averaged over sets.

    ``BCE_w = phi_1 y_ij log P_ij + phi_0 (1 - y_ij) log(1 - P_ij)``.

    Parameters
    ----------
    pair_proba, targets : tensors of shape (n_sets, n, n)
    weights : tuple (phi_0, phi_1)
    """
    n = pair_proba.shape[1]
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool, device=pair_proba.device), diagonal=1)
    p = pair_proba[:, upper].clamp(EPS, 1 - EPS)
    y = targets[:, upper]
    phi_0, phi_1 = weights
    bce = phi_1 * y * torch.log(p) + phi_0 * (1 - y) * torch.log(1 - p)
    return -bce.mean(dim=1).mean()


def cluster_count_loss(count_proba, n_clusters):
    """``L_cc = -sum_c y_c log P(k = c)``, the categorical cross-entropy, averaged over sets."""
    p = count_proba.gather(1, (n_clusters - 1).unsqueeze(1)).squeeze(1)
    return -torch.log(p.clamp_min(EPS)).mean()
