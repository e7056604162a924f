"""The set network of "Learning to Cluster" (paper 003, Table I and Fig. 1).

A set of ``n`` examples goes through an embedding network (a), a fully
connected layer and a stack of residual bi-directional LSTM layers (b), then
per-``k`` softmax heads give ``P(l | x_i, k)`` (c) and a small network on the
second-to-last LSTM layer gives ``P(k)`` (d).
"""

import torch
from torch import nn

from .layers import as_images, channels_last

LEAKY_SLOPE = 0.3


def fully_connected_embedding(n_features, units=256):
    """Two fully connected layers of Table III (FC, LeakyReLU(0.3), BatchNorm)."""
    return nn.Sequential(
        nn.Linear(n_features, units), nn.LeakyReLU(LEAKY_SLOPE), nn.BatchNorm1d(units),
        nn.Linear(units, units), nn.LeakyReLU(LEAKY_SLOPE), nn.BatchNorm1d(units),
    )


class ConvEmbedding(nn.Module):
    """The CNN of Table III, scaled to the input size.

    Three blocks ``conv 3x3 (32, 64, 128) - LeakyReLU(0.3) - BatchNorm -
    max-pool 2x2``, then two ``FC 256 - LeakyReLU(0.3) - BatchNorm``. Table III
    is written for 128x128 inputs (16x16x128 after the blocks); for smaller
    images a block is dropped while the image is smaller than 2 pixels.

    Parameters
    ----------
    image_shape : tuple (C, H, W)
    units : int, default=256
    """

    def __init__(self, image_shape, units=256):
        super().__init__()
        self.image_shape = tuple(image_shape)
        channels, height, width = self.image_shape
        layers = []
        for out_channels in (32, 64, 128):
            if min(height, width) < 2:
                break
            layers += [nn.Conv2d(channels, out_channels, 3, padding=1),
                       nn.LeakyReLU(LEAKY_SLOPE), nn.BatchNorm2d(out_channels), nn.MaxPool2d(2)]
            channels, height, width = out_channels, height // 2, width // 2
        self.features = nn.Sequential(*layers)
        self.head = fully_connected_embedding(channels * height * width, units)
        self.out_features = units
        channels_last(self)

    def forward(self, x):
        x = self.features(as_images(x, self.image_shape))
        return self.head(x.flatten(1))


class ResidualBiLSTM(nn.Module):
    """RBDLSTM layer (Fig. 2): a bi-directional LSTM whose output is added to its input.

    Each direction has ``width // 2`` units, so that the concatenated output
    has the input's width.
    """

    def __init__(self, width):
        super().__init__()
        if width % 2:
            raise ValueError(f"the width of a residual bi-LSTM must be even, got {width}.")
        self.lstm = nn.LSTM(width, width // 2, batch_first=True, bidirectional=True)

    def forward(self, x):
        self.lstm.flatten_parameters()  # contiguous cuDNN weights, e.g. after unpickling
        return x + self.lstm(x)[0]


class ClusterCountNetwork(nn.Module):
    """Cluster-count estimating network (d) of Table I.

    bi-LSTM (128 outputs per step), first and last outputs concatenated (256),
    FC 256, LeakyReLU(0.3), BatchNorm, Dropout(0.5), FC ``max_clusters``,
    softmax: ``P(k)`` for ``k = 1..max_clusters``.
    """

    def __init__(self, width, max_clusters, lstm_units=128, units=256, dropout=0.5):
        super().__init__()
        self.lstm = nn.LSTM(width, lstm_units // 2, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(2 * lstm_units, units), nn.LeakyReLU(LEAKY_SLOPE), nn.BatchNorm1d(units),
            nn.Dropout(dropout), nn.Linear(units, max_clusters),
        )

    def forward(self, h):
        self.lstm.flatten_parameters()
        out = self.lstm(h)[0]
        return torch.softmax(self.head(torch.cat([out[:, 0], out[:, -1]], dim=1)), dim=1)


def principal_order(z):
    """The order of each set's examples along the set's first principal component.

    Parameters
    ----------
    z : Tensor of shape (n_sets, n, d)
        Embedded sets.

    Returns
    -------
    order : LongTensor of shape (n_sets, n)
        ``z[s, order[s]]`` sorts set ``s`` by its projections on its first
        principal component, signed so that the projections' third moment is
        not negative (a principal axis has no sign of its own). The order does
        not depend on how the set was given, except among tied projections.
    """
    with torch.no_grad():
        centred = z - z.mean(dim=1, keepdim=True)
        axis = torch.linalg.svd(centred, full_matrices=False)[2][:, :1].transpose(1, 2)
        projection = (centred @ axis)[..., 0]
        sign = torch.where((projection ** 3).sum(dim=1, keepdim=True) < 0, -1.0, 1.0)
        return (sign * projection).argsort(dim=1, stable=True)


class SetClusteringNetwork(nn.Module):
    """The complete model of Fig. 1 / Table I.

    Parameters
    ----------
    embedding : nn.Module
        Maps a batch of examples ``(m, n_features)`` to ``(m, embedding_dim)``.
    embedding_dim : int
    max_clusters : int
        ``k_max``.
    n_layers : int, default=14
        ``m``, the number of RBDLSTM layers.
    hidden_size : int, default=288
        Width of the clustering network (must be even).
    set_order : {"given", "principal"}, default="given"
        Order in which the bi-LSTMs read a set: as given (the paper), or
        sorted by :func:`principal_order` of the embedded set (the outputs
        are returned in the given order).

    Notes
    -----
    ``forward(x)`` takes a batch of sets ``(n_sets, n, n_features)`` and
    returns a dict with ``"count_proba"`` ``(n_sets, k_max)``, P(k), and
    ``"assign_proba"`` ``(n_sets, n, k_max, k_max)``, where entry
    ``[s, i, k - 1, l]`` is ``P(l | x_i, k)`` for ``l < k`` and 0 otherwise.
    The ``k_max`` heads (ca-fully-connected_1..k_max) are computed by one
    linear layer of ``k_max (k_max + 1) / 2`` outputs, split per ``k``.
    """

    def __init__(self, embedding, embedding_dim, max_clusters, n_layers=14, hidden_size=288,
                 set_order="given"):
        super().__init__()
        if set_order not in ("given", "principal"):
            raise ValueError(f"set_order must be 'given' or 'principal', got {set_order!r}.")
        self.max_clusters = max_clusters
        self.set_order = set_order
        self.embedding = embedding
        self.project = nn.Sequential(nn.Linear(embedding_dim, hidden_size),
                                     nn.LeakyReLU(LEAKY_SLOPE))
        self.layers = nn.ModuleList(ResidualBiLSTM(hidden_size) for _ in range(n_layers))
        self.assign = nn.Linear(hidden_size, max_clusters * (max_clusters + 1) // 2)
        self.count = ClusterCountNetwork(hidden_size, max_clusters)

    def forward(self, x):
        n_sets, n = x.shape[:2]
        z = self.embedding(x.reshape(n_sets * n, *x.shape[2:])).reshape(n_sets, n, -1)
        if self.set_order == "principal":
            order = principal_order(z)
            z = z.gather(1, order[..., None].expand_as(z))
        h = self.project(z)
        before_last = h
        for layer in self.layers:
            before_last, h = h, layer(h)
        logits = self.assign(h)
        k_max = self.max_clusters
        assign = logits.new_zeros(n_sets, n, k_max, k_max)
        start = 0
        for k in range(1, k_max + 1):
            assign[:, :, k - 1, :k] = torch.softmax(logits[..., start:start + k], dim=-1)
            start += k
        if self.set_order == "principal":  # rows back to the given order
            inverse = order.argsort(dim=1)
            assign = assign.gather(1, inverse[..., None, None].expand_as(assign))
        return {"count_proba": self.count(before_last), "assign_proba": assign}
