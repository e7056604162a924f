"""Networks of Deep Divergence-based Clustering (paper 000, section 3.1)."""

import torch
from torch import nn

from .layers import BatchNorm1d, ImageView


def he_init(module):
    """He-normal weights (fan-in, ReLU gain) and zero biases for every linear and conv layer.

    The initialisation of paper 000 section 4.5 (He et al., 2015).
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def _conv_output_side(side, padding):
    """Side of the feature map after two (5x5 conv, 2x2 max-pool) blocks."""
    for _ in range(2):
        side = -(-(side + 2 * padding - 4) // 2)  # ceil_mode pooling
    return side


def lenet_body(image_shape, n_hidden=100, channels=(32, 64)):
    """The convolutional part of the DDC network, up to the hidden layer (Fig. 2).

    conv 5x5 (32) -> max-pool 2x2 -> ReLU -> conv 5x5 (64) -> max-pool 2x2
    -> ReLU -> fully connected ``n_hidden`` -> BatchNorm -> ReLU. Takes flat
    input ``(n, C*H*W)``. Convolutions are unpadded (LeNet) when the image
    is large enough (at least 13 pixels a side, e.g. MNIST: 28 -> 24 -> 12
    -> 8 -> 4); smaller images (e.g. 8x8 digits) are padded by 2 ("same").

    Parameters
    ----------
    image_shape : tuple (C, H, W)
    n_hidden : int, default=100
    channels : tuple of 2 int, default=(32, 64)
    """
    c, h, w = image_shape
    padding = 0 if min(_conv_output_side(h, 0), _conv_output_side(w, 0)) >= 1 else 2
    c1, c2 = channels
    flat = c2 * _conv_output_side(h, padding) * _conv_output_side(w, padding)
    return nn.Sequential(
        ImageView(image_shape),
        nn.Conv2d(c, c1, 5, padding=padding), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(c1, c2, 5, padding=padding), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(flat, n_hidden), BatchNorm1d(n_hidden), nn.ReLU(),
    )


def mlp_body(n_features, hidden_dims=(200, 200, 500)):
    """The fully connected DDC network up to the hidden layer (section 3.1).

    Linear + ReLU layers of ``hidden_dims``; the last (the hidden layer the
    kernel is computed on, 500 units in the paper) has BatchNorm before its
    ReLU.
    """
    sizes = (n_features, *hidden_dims)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i == len(hidden_dims) - 1:
            layers.append(BatchNorm1d(n_out))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DDCNet(nn.Module):
    """A body network followed by the softmax output layer of DDC.

    ``forward`` returns ``{"embedding": hidden, "proba": softmax}``: the
    hidden representation the kernel is computed on and the soft cluster
    assignments A (paper 000 Fig. 2).

    Parameters
    ----------
    body : nn.Module
        Maps flat input ``(n, d)`` to the hidden representation ``(n, n_hidden)``.
    n_hidden : int
        Width of the body's output.
    n_clusters : int
    """

    def __init__(self, body, n_hidden, n_clusters):
        super().__init__()
        self.body = body
        self.output = nn.Linear(n_hidden, n_clusters)

    def forward(self, x):
        hidden = self.body(x)
        return {"embedding": hidden, "proba": torch.softmax(self.output(hidden), dim=1)}
