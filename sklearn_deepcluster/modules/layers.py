"""Layers shared by several networks."""

import torch
from torch import nn
from torch.nn import functional as F


class _OneValueBatchNorm:
    """Mixin for BatchNorm layers that also train on one value per channel.

    Such a training batch (one sample, with 1x1 feature maps for images) has
    no batch statistics; it is normalised with the running statistics (which
    it does not update) instead of raising, so that any ``batch_size`` and
    any remainder batch work.
    """

    def forward(self, x):
        if self.training and x.numel() == x.shape[1]:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)


class BatchNorm1d(_OneValueBatchNorm, nn.BatchNorm1d):
    """``nn.BatchNorm1d`` that also trains on a batch of one sample."""


class BatchNorm2d(_OneValueBatchNorm, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` that also trains on a batch of one sample of 1x1 maps."""


def as_images(x, image_shape):
    """View flat rows ``(n, C*H*W)`` as images ``(n, C, H, W)`` in channels-last memory order.

    The values are those of ``x.reshape(n, C, H, W)``; only the memory order
    differs. With weights stored by :func:`channels_last`, convolutions and
    max-pooling run in oneDNN's channels-last kernels, which on CPU make a
    training step of our convolutional networks 1.2-1.7 times faster than the
    default NCHW order (torch 2.13; NCHW max-pooling alone is about ten times
    slower). On a GPU the effect is mixed (on an H100, 0.87-1.32 times; see
    ``benchmarks/results/memory_format_cuda.txt``).
    """
    return x.reshape(len(x), *image_shape).contiguous(memory_format=torch.channels_last)


class ImageView(nn.Module):
    """Module form of :func:`as_images`, in place of ``nn.Unflatten(1, image_shape)``."""

    def __init__(self, image_shape):
        super().__init__()
        self.image_shape = tuple(image_shape)

    def forward(self, x):
        return as_images(x, self.image_shape)


def channels_last(module):
    """Store ``module``'s convolution weights in channels-last order (see :func:`as_images`).

    Call it after initialising the weights: random initialisers fill a tensor
    in memory order, so the same seed would give other weights.
    """
    return module.to(memory_format=torch.channels_last)
