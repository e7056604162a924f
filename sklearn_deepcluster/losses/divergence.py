"""Losses of Deep Divergence-based Clustering (paper 000).

Equation numbers refer to paper 000, *Deep Divergence-Based Approach to
Clustering* (Kampffmeyer et al., 2019). Every function works on one
mini-batch: ``hidden`` is the batch's hidden representation (n, h) and
``assignments`` its softmax output A (n, k).
"""

import torch

#: Floor of the numerators alpha_i^T K alpha_j of eq. (3); its square floors
#: the product under the square root, so empty clusters give no 0/0.
EPSILON = 1e-9


def pairwise_squared_distances(x):
    """Squared Euclidean distances between the rows of ``x``, shape (n, n).

    Computed as ``|a|^2 - 2 a.b + |b|^2`` (clamped at 0), so the gradient
    has no square root at the zero diagonal. The rows are centred first:
    distances do not change, but an offset shared by the rows would
    otherwise cancel in float32 and swamp them (rows of unit spread shifted
    by a random vector of scale 1000 got kernel values off by up to 0.5, the
    diagonal included).
    """
    x = x - x.mean(dim=0, keepdim=True)
    squared_norms = (x * x).sum(dim=1, keepdim=True)
    return (squared_norms - 2.0 * x @ x.T + squared_norms.T).clamp_min(0.0)


def gaussian_kernel(hidden, sigma=0.15):
    """Gaussian kernel matrix K of the hidden representation (section 3.2.1).

    k_ql = exp(-||h_q - h_l||^2 / (2 s^2)), where the squared width ``s^2``
    is ``sigma`` times the median of the squared pairwise distances
    ||h_q - h_l||^2, q < l, of this batch (section 4.5: "recomputed as part
    of the cost function evaluation"). This is how the authors' code sets
    the width (``rel_sigma * median(dist2)`` in Trosten et al.'s ``mvc``
    implementation of DDC); read literally, the paper's "15% of the median
    pairwise distance" would give a kernel about 2.6 times narrower, which
    measured worse (see :class:`~sklearn_deepcluster.DDCClustering`, Notes).
    The median is a constant for the gradient; with an even number of pairs
    it is the lower of the two middle values (``torch.median``), which for a
    batch of 100 (4,950 pairs) is next to the exact one.

    Parameters
    ----------
    hidden : tensor of shape (n, h)
    sigma : float, default=0.15
        Squared width relative to the median squared pairwise distance.

    Returns
    -------
    kernel : tensor of shape (n, n)
    width : tensor (scalar)
        The absolute width ``s`` used (``s^2`` at least ``EPSILON``; 1 for a
        batch of one sample, whose kernel is ``[[1]]`` whatever the width).
    """
    squared = pairwise_squared_distances(hidden)
    n = hidden.shape[0]
    with torch.no_grad():
        if n > 1:
            rows, cols = torch.triu_indices(n, n, offset=1, device=hidden.device)
            median = squared[rows, cols].median()
        else:
            median = squared.new_tensor(1.0 / sigma)
        variance = (sigma * median).clamp_min(EPSILON)
    return torch.exp(-squared / (2.0 * variance)), variance.sqrt()


def cauchy_schwarz_divergence(assignments, kernel):
    """The argument d of the Cauchy-Schwarz divergence, eq. (3).

    d = 1/k sum_{i<j} a_i^T K a_j / sqrt(a_i^T K a_i  a_j^T K a_j), with
    a_i the i-th column of ``assignments``. D_cs = -log d (eq. 2) is large
    when d is small, so d is minimised: 0 for clusters that share no
    kernel mass, (k-1)/2 when every column is the same.

    Parameters
    ----------
    assignments : tensor of shape (n, k)
        Soft assignments A (eq. 3), or the simplex-corner memberships M.
    kernel : tensor of shape (n, n)

    Returns
    -------
    d : tensor (scalar); 0 when k == 1 (there is no pair of clusters).
    """
    k = assignments.shape[1]
    if k < 2:
        return assignments.new_zeros(())
    inner = assignments.T @ kernel @ assignments  # (k, k): a_i^T K a_j
    self_inner = torch.diagonal(inner)
    denominator = (self_inner[:, None] * self_inner[None, :]).clamp_min(EPSILON ** 2)
    ratios = inner.clamp_min(EPSILON) / denominator.sqrt()
    rows, cols = torch.triu_indices(k, k, offset=1, device=assignments.device)
    return ratios[rows, cols].sum() / k


def assignment_orthogonality(assignments):
    """triu(A A^T) of eq. (4), as the mean over the n(n-1)/2 pairs of samples.

    The inner products alpha_q^T alpha_l, q < l, of the assignment vectors
    (section 3.2.2): 0 when every pair of samples is assigned to different
    clusters, 1 when all are assigned, one-hot, to the same cluster. The
    paper writes the sum; the mean keeps the term on the scale of the other
    two whatever the batch size. 0 for a batch of one sample.
    """
    n = assignments.shape[0]
    if n < 2:
        return assignments.new_zeros(())
    gram = assignments @ assignments.T
    rows, cols = torch.triu_indices(n, n, offset=1, device=assignments.device)
    return gram[rows, cols].mean()


def simplex_corner_memberships(assignments):
    """m_qi = exp(-||alpha_q - e_i||^2) (section 3.2.2), shape (n, k).

    1 only when alpha_q is the corner e_i of the simplex.
    ||alpha_q - e_i||^2 = ||alpha_q||^2 - 2 alpha_qi + 1.
    """
    squared_norms = (assignments * assignments).sum(dim=1, keepdim=True)
    return torch.exp(-(squared_norms - 2.0 * assignments + 1.0))


def ddc_loss(hidden, assignments, sigma=0.15, weights=(1.0, 1.0, 1.0)):
    """The DDC loss, eq. (4), and its three terms.

    L = w1 d_hid,alpha + w2 triu(A A^T) + w3 d_hid,m, where d_hid,alpha is
    eq. (3) with the kernel of the hidden layer and the assignments A, and
    d_hid,m is eq. (3) with the same kernel and the memberships M of
    :func:`simplex_corner_memberships` in place of A.

    Parameters
    ----------
    hidden : tensor of shape (n, h)
        Hidden representation (the last layer before the output layer).
    assignments : tensor of shape (n, k)
        Softmax output.
    sigma : float, default=0.15
        Squared kernel width relative to the median squared pairwise
        distance (see :func:`gaussian_kernel`).
    weights : tuple of 3 float, default=(1.0, 1.0, 1.0)

    Returns
    -------
    terms : dict
        ``"loss"``, ``"d_hid_alpha"``, ``"triu"``, ``"d_hid_m"`` and the
        kernel width ``"kernel_width"`` (a constant, for monitoring).
    """
    kernel, width = gaussian_kernel(hidden, sigma)
    d_alpha = cauchy_schwarz_divergence(assignments, kernel)
    triu = assignment_orthogonality(assignments)
    d_m = cauchy_schwarz_divergence(simplex_corner_memberships(assignments), kernel)
    w1, w2, w3 = weights
    return {
        "loss": w1 * d_alpha + w2 * triu + w3 * d_m,
        "d_hid_alpha": d_alpha,
        "triu": triu,
        "d_hid_m": d_m,
        "kernel_width": width,
    }
