"""Losses of paper 002 (Das, Ghosh, Bhowmick, "Deep Representation Learning
Characterized by Inter-class Separation for Image Clustering", WACV 2019).

The clustering layer, the target distribution and KL(P || Q) (eqs. 2-4) and
the reconstruction loss (eq. 1) are DEC's, in :mod:`.dec`.
"""

import torch


def balance_loss(q):
    """Assignment-balance constraint L_b of eq. (6), as minus the mutual information.

    L_b = (1/B) sum_i sum_j q_ij log q_ij - sum_j qbar_j log qbar_j,
    with qbar_j = (1/B) sum_i q_ij over the batch: the mean entropy of the
    assignments minus the entropy of their average. Minimising it makes each
    q_i confident while spreading the batch over the clusters (Bridle et
    al., 1992).

    Parameters
    ----------
    q : tensor of shape (B, K)
        Soft assignments of a batch (eq. 2), rows summing to 1.

    Returns
    -------
    loss : scalar tensor, in [-log K, log K].

    Notes
    -----
    Eq. (6) as printed is the negative of this, with the first sum not
    divided by B; minimising it literally would make the assignments
    ambiguous, the opposite of what the paper describes (§3.3, Fig. 4).
    """
    eps = torch.finfo(q.dtype).tiny
    mean_entropy = -(q * torch.log(q.clamp_min(eps))).sum(dim=1).mean()
    q_bar = q.mean(dim=0)
    entropy_of_mean = -(q_bar * torch.log(q_bar.clamp_min(eps))).sum()
    return mean_entropy - entropy_of_mean


def triplet_loss(anchor, positive, negative, margin=0.24):
    """Inter-class separation constraint L_t of eq. (5), averaged over the batch.

    L_t = (1/n) sum_i max(0, ||z_i^a - z_i^p||^2 - ||z_i^a - z_i^n||^2 + margin).

    Parameters
    ----------
    anchor, positive, negative : tensors of shape (n, d)
        Embeddings of the anchors, their positives and their negatives.
    margin : float, default=0.24
        The margin of §4.4 (shallow network).

    Returns
    -------
    loss : scalar tensor
    """
    positive_distance = (anchor - positive).pow(2).sum(dim=1)
    negative_distance = (anchor - negative).pow(2).sum(dim=1)
    return torch.relu(positive_distance - negative_distance + margin).mean()


def select_negatives(anchor, radius, generator, max_tries=50):
    """Algorithm 1, vectorised over a batch: a negative for every anchor.

    For anchor i, candidates are the other samples of the batch in a random
    order; the first whose embedding is farther from z_i than ``radius[i]``
    (the largest distance from z_i to an augmentation of it) is accepted.
    After ``max_tries`` rejected candidates the farthest of those tried is
    taken instead, and the anchor is flagged as a fallback.

    Parameters
    ----------
    anchor : tensor of shape (B, d)
        Embeddings of the batch, B >= 2.
    radius : tensor of shape (B,)
        max_k ||z_i - z_{i,k}^p|| over the augmentations k of sample i.
    generator : torch.Generator
        Draws the candidate order.
    max_tries : int, default=50
        Candidates examined per anchor (at most B - 1).

    Returns
    -------
    negative : LongTensor of shape (B,)
        Index into the batch of each anchor's negative (never itself).
    fallback : BoolTensor of shape (B,)
        True where no candidate satisfied the condition.
    """
    n = len(anchor)
    tries = min(max_tries, n - 1)
    # exact differences: the matrix-product shortcut loses the small distances to cancellation
    distance = torch.cdist(anchor, anchor, compute_mode="donot_use_mm_for_euclid_dist")
    keys = torch.rand(n, n, generator=generator, device=generator.device).to(anchor.device)
    keys.fill_diagonal_(float("inf"))  # an anchor is never its own candidate
    order = keys.argsort(dim=1)[:, :tries]
    candidate_distance = distance.gather(1, order)
    accepted = candidate_distance > radius[:, None]
    fallback = ~accepted.any(dim=1)
    first = accepted.to(torch.uint8).argmax(dim=1)  # the first accepted candidate
    choice = torch.where(fallback, candidate_distance.argmax(dim=1), first)
    return order.gather(1, choice[:, None]).squeeze(1), fallback
