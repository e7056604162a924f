"""Autoencoders (paper 001 §2.1, §2.3) and the clustering layer on their code."""

import math

import torch
from torch import nn

from ..augment import augment
from ..losses.dec import student_t_assignment
from .init import xavier_init
from .layers import BatchNorm2d, ImageView, channels_last


def mlp(sizes, final_activation=False):
    """Linear layers ``sizes[0] -> ... -> sizes[-1]`` with ReLU between them."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if final_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPAutoencoder(nn.Module):
    """DEC's fully connected autoencoder, d-500-500-2000-10 by default.

    The code layer and the reconstruction are linear; every other layer is
    followed by a ReLU (Xie et al., 2016; paper 001 §3.1).

    Parameters
    ----------
    n_features : int
    hidden_dims : tuple of int
    embedding_dim : int
    """

    def __init__(self, n_features, hidden_dims=(500, 500, 2000), embedding_dim=10):
        super().__init__()
        sizes = (n_features, *hidden_dims, embedding_dim)
        self.encoder = mlp(sizes)
        self.decoder = mlp(sizes[::-1])
        xavier_init(self)


def _conv_block(n_in, n_out, pool):
    layers = [nn.Conv2d(n_in, n_out, 3, padding=1), BatchNorm2d(n_out), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    return layers


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder of paper 004 ("architecture 7").

    Encoder: Conv3-c1, ReLU, Conv3-c2, ReLU, MaxPool2, Conv3-c3, ReLU,
    MaxPool2, Linear -> code, with BatchNorm after every convolution and
    Xavier initialisation (paper 004, "Contributions and Results: MNIST").
    The decoder mirrors it with nearest-neighbour upsampling back to the exact
    input size, so any ``H, W`` works.

    Parameters
    ----------
    image_shape : tuple (C, H, W)
    embedding_dim : int
    channels : tuple of 3 int, default=(32, 64, 64)
    """

    def __init__(self, image_shape, embedding_dim=10, channels=(32, 64, 64)):
        super().__init__()
        c, h, w = image_shape
        c1, c2, c3 = channels
        h1, w1 = math.ceil(h / 2), math.ceil(w / 2)
        h2, w2 = math.ceil(h1 / 2), math.ceil(w1 / 2)
        self.image_shape = tuple(image_shape)
        self.encoder = nn.Sequential(
            ImageView(self.image_shape),
            *_conv_block(c, c1, pool=False),
            *_conv_block(c1, c2, pool=True),
            *_conv_block(c2, c3, pool=True),
            nn.Flatten(),
            nn.Linear(c3 * h2 * w2, embedding_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(embedding_dim, c3 * h2 * w2),
            nn.ReLU(),
            ImageView((c3, h2, w2)),
            nn.Upsample(size=(h1, w1)),
            *_conv_block(c3, c2, pool=False),
            nn.Upsample(size=(h, w)),
            *_conv_block(c2, c1, pool=False),
            nn.Conv2d(c1, c, 3, padding=1),
            nn.Flatten(),
        )
        channels_last(xavier_init(self))


def _strided_sizes(size):
    """Feature-map sizes of :class:`StridedConvAutoencoder`'s encoder, and the last padding.

    Two 5x5 stride-2 convolutions with padding 2 halve a side (rounding
    up); the 3x3 stride-2 convolution after them is unpadded as in DCEC for
    sides that 8 does not divide (28 -> 14 -> 7 -> 3), and padded by one
    where 8 divides the side or the map is too small for no padding.
    """
    half = math.ceil(size / 2)
    quarter = math.ceil(half / 2)
    padding = 1 if size % 8 == 0 or quarter < 3 else 0
    return (size, half, quarter, (quarter + 2 * padding - 3) // 2 + 1), padding


def stride2_transposed_conv(n_in, n_out, kernel, padding, size_in, size_out):
    """Stride-2 transposed convolution from exactly ``size_in`` to exactly ``size_out``."""
    output_padding = tuple(t - (2 * (s - 1) - 2 * p + kernel)
                           for s, t, p in zip(size_in, size_out, padding))
    return nn.ConvTranspose2d(n_in, n_out, kernel, stride=2, padding=padding,
                              output_padding=output_padding)


class StridedConvAutoencoder(nn.Module):
    """The convolutional autoencoder of DCEC (Guo et al., 2017), as in ConvDEC-DA.

    Encoder: Conv5-c1 stride 2, ReLU, Conv5-c2 stride 2, ReLU, Conv3-c3
    stride 2, ReLU, Linear -> code: no pooling and no BatchNorm, so a
    training step on 28x28 images costs about a seventh of
    :class:`ConvAutoencoder`'s on CPU (``benchmarks/conv_step_time.py``).
    The decoder mirrors it (Linear, ReLU, three stride-2 transposed
    convolutions, ReLU between them, the last linear) back to the exact
    input size. Xavier initialisation (Keras' default, which DCEC used).
    Paper 001 (§4, Fig. 1) describes its method's network only as "a fully
    convolutional autoencoder" and does not cite DCEC; this network is not
    paper 001's, but a published strided convolutional autoencoder for the
    same method (DEC's loss with reconstruction, on images).

    Parameters
    ----------
    image_shape : tuple (C, H, W)
    embedding_dim : int
    channels : tuple of 3 int, default=(32, 64, 128)
    """

    def __init__(self, image_shape, embedding_dim=10, channels=(32, 64, 128)):
        super().__init__()
        c, h, w = image_shape
        c1, c2, c3 = channels
        (h0, h1, h2, h3), ph = _strided_sizes(h)
        (w0, w1, w2, w3), pw = _strided_sizes(w)
        self.image_shape = tuple(image_shape)
        self.encoder = nn.Sequential(
            ImageView(self.image_shape),
            nn.Conv2d(c, c1, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(c1, c2, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(c2, c3, 3, stride=2, padding=(ph, pw)), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(c3 * h3 * w3, embedding_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(embedding_dim, c3 * h3 * w3), nn.ReLU(),
            ImageView((c3, h3, w3)),
            stride2_transposed_conv(c3, c2, 3, (ph, pw), (h3, w3), (h2, w2)), nn.ReLU(),
            stride2_transposed_conv(c2, c1, 5, (2, 2), (h2, w2), (h1, w1)), nn.ReLU(),
            stride2_transposed_conv(c1, c, 5, (2, 2), (h1, w1), (h0, w0)),
            nn.Flatten(),
        )
        channels_last(xavier_init(self))


class ClusteringAutoencoder(nn.Module):
    """An autoencoder with a Student's t clustering layer on its code.

    ``forward`` returns a dict with ``"embedding"`` (z), ``"proba"`` (q of
    paper 001 eq. 3, against the learnable ``centers``) and, while
    ``reconstruct`` is true, ``"reconstruction"`` and the ``"input"`` it
    reconstructs. ``centers`` receive no
    gradient until a clustering loss uses them.

    Parameters
    ----------
    autoencoder : nn.Module
        Any module with ``encoder`` (flat input -> code) and ``decoder``
        (code -> flat reconstruction) sub-modules.
    n_clusters : int
    embedding_dim : int
    alpha : float
        Degrees of freedom of the Student's t kernel.
    corruption : float, default=0.0
        Dropout rate applied to the input in training mode (a denoising
        autoencoder); the reconstruction target stays the clean input.
    image_shape : tuple (C, H, W), default=None
        How to view a flat sample as an image for ``batch_augmentations``
        (None: ``(1, 1, d)``).
    batch_augmentations : tuple of str, default=()
        Names from :data:`~sklearn_deepcluster.augment.ALL_AUGMENTATIONS`.
        In training mode every batch is replaced by a random augmentation of
        it before anything else (DEC-DA, Guo et al., 2018): the code, the
        assignments and the reconstruction target are those of the augmented
        batch. The randomness comes from ``generator``, which must then be set.
    """

    def __init__(self, autoencoder, n_clusters, embedding_dim, alpha=1.0, corruption=0.0,
                 image_shape=None, batch_augmentations=()):
        super().__init__()
        self.autoencoder = autoencoder
        self.centers = nn.Parameter(torch.zeros(n_clusters, embedding_dim))
        self.alpha = alpha
        self.corruption = corruption
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.batch_augmentations = tuple(batch_augmentations)
        self.generator = None
        self.reconstruct = True

    def embed(self, x):
        return self.autoencoder.encoder(x)

    def assign(self, z):
        return student_t_assignment(z, self.centers, self.alpha)

    def augment_batch(self, x):
        """A random augmentation of every sample of the flat batch ``x``."""
        shape = self.image_shape or (1, 1, x.shape[1])
        return augment(x.reshape(len(x), *shape), self.generator,
                       self.batch_augmentations).reshape(x.shape)

    def forward(self, x):
        if self.training and self.batch_augmentations:
            x = self.augment_batch(x)
        return self.encode_and_decode(x)

    def encode_and_decode(self, x):
        """The outputs of ``forward`` for the (possibly augmented) batch ``x``."""
        z = self.embed(nn.functional.dropout(x, self.corruption, self.training))
        out = {"embedding": z, "proba": self.assign(z)}
        if self.reconstruct:
            out["reconstruction"] = self.autoencoder.decoder(z)
            out["input"] = x
        return out
