"""Losses of DEC and of the taxonomy of Aljalbout et al. (paper 001).

Equation numbers refer to paper 001, *Clustering with Deep Learning:
Taxonomy and New Methods* (Aljalbout et al., 2018).
"""

import torch


def student_t_assignment(z, centers, alpha=1.0):
    """Soft assignments q_ij with a Student's t kernel (eq. 3).

    q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha+1)/2), normalised over j.

    Parameters
    ----------
    z : tensor of shape (n, d)
    centers : tensor of shape (k, d)
    alpha : float
        Degrees of freedom (nu in the paper).

    Returns
    -------
    q : tensor of shape (n, k), rows sum to 1.
    """
    squared = torch.cdist(z, centers).pow(2)
    # log-space normalisation keeps far-away points from underflowing to 0/0
    log_kernel = -(alpha + 1.0) / 2.0 * torch.log1p(squared / alpha)
    return torch.softmax(log_kernel, dim=1)


def target_distribution(q):
    """DEC's auxiliary target distribution P (eq. 4).

    p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j') with f_j = sum_i q_ij,
    computed over the rows given (the whole data set, in DEC).
    """
    weight = q.pow(2) / q.sum(dim=0).clamp_min(torch.finfo(q.dtype).tiny)
    return weight / weight.sum(dim=1, keepdim=True)


def kl_divergence(p, q):
    """KL(P || Q) = sum_i sum_j p_ij log(p_ij / q_ij) (eq. 5), averaged over rows."""
    eps = torch.finfo(q.dtype).tiny
    return (p * (torch.log(p.clamp_min(eps)) - torch.log(q.clamp_min(eps)))).sum(dim=1).mean()


def kmeans_loss(z, centers, assignment):
    """k-means loss sum_k s_ik ||z_i - mu_k||^2 (eq. 2), averaged over rows.

    Parameters
    ----------
    z : tensor of shape (n, d)
    centers : tensor of shape (k, d)
    assignment : tensor of shape (n, k)
        The boolean (one-hot) s_ik, held fixed between cluster updates.
    """
    return (assignment * torch.cdist(z, centers).pow(2)).sum(dim=1).mean()


def reconstruction_loss(x, x_reconstructed):
    """Autoencoder reconstruction loss ||x - f(x)||^2 (eq. 1), averaged over entries."""
    return torch.mean((x_reconstructed - x.reshape(x_reconstructed.shape)) ** 2)
