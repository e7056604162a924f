"""The convolutional autoencoder of paper 002 (§3.1, §4.3) and its clustering module.

The clustering module also forms the triplets of eq. (5).
"""

import math

import torch
from torch import nn

from ..augment import augment
from ..losses.triplet import select_negatives
from .autoencoder import ClusteringAutoencoder, stride2_transposed_conv
from .init import xavier_init
from .layers import BatchNorm1d, BatchNorm2d, ImageView, channels_last


def _conv(n_in, n_out):
    return [nn.Conv2d(n_in, n_out, 3, stride=1, padding=1), BatchNorm2d(n_out), nn.ReLU()]


def _deconv(n_in, n_out, size_in, size_out, last=False):
    """3x3 transposed convolution, stride 2 up to exactly ``size_out`` (stride 1 when equal)."""
    if size_in == size_out:
        layer = nn.ConvTranspose2d(n_in, n_out, 3, stride=1, padding=1)
    else:
        layer = stride2_transposed_conv(n_in, n_out, 3, (1, 1), size_in, size_out)
    return [layer] if last else [layer, BatchNorm2d(n_out), nn.ReLU()]


def _halve(size):
    return tuple(math.ceil(v / 2) for v in size)


def needs_deep_network(image_shape):
    """Whether paper 002 (§4.3) would use its deeper network for these images.

    The deeper variant serves colour or larger images (CIFAR, FRGC,
    ImageNet), the shallow one grey images below 32x32 (MNIST, USPS).
    """
    c, h, w = image_shape
    return bool(c > 1 or min(h, w) >= 32)


class TripletConvAutoencoder(nn.Module):
    """Convolutional autoencoder of paper 002 (§4.3), shallow or deeper.

    Shallow encoder: three blocks of 3x3 convolution (stride 1, zero
    padding), BatchNorm, ReLU and 2x2 max-pooling (stride 2), then a fully
    connected layer to the code. The decoder mirrors it: a fully connected
    layer (BatchNorm, ReLU) and three 3x3 stride-2 transposed convolutions,
    the last one linear, back to the exact input size. The deeper variant
    adds a stride-1 convolution before each of the first two poolings (at
    the full and half sizes) and two stride-1 transposed convolutions in the
    decoder, each before an upsampling to the half and full sizes (so at the
    quarter and half sizes: not an exact mirror). Weights are Xavier
    initialised.

    Parameters
    ----------
    image_shape : tuple (C, H, W)
    embedding_dim : int, default=10
    channels : tuple of 3 int, default=(32, 64, 128)
        Channels of the three pooling blocks.
    deep : bool or None, default=None
        The deeper variant; None chooses as :func:`needs_deep_network`.
    """

    def __init__(self, image_shape, embedding_dim=10, channels=(32, 64, 128), deep=None):
        super().__init__()
        c, h, w = image_shape
        self.image_shape = tuple(image_shape)
        self.deep = needs_deep_network(image_shape) if deep is None else deep
        sizes = [(h, w)]
        for _ in channels:
            sizes.append(_halve(sizes[-1]))
        encoder = [ImageView(self.image_shape)]
        n_in = c
        for i, n_out in enumerate(channels):
            encoder += _conv(n_in, n_out)
            if self.deep and i < 2:
                encoder += _conv(n_out, n_out)
            encoder.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
            n_in = n_out
        code_size = channels[-1] * sizes[-1][0] * sizes[-1][1]
        self.encoder = nn.Sequential(*encoder, nn.Flatten(), nn.Linear(code_size, embedding_dim))
        decoder = [nn.Linear(embedding_dim, code_size), BatchNorm1d(code_size), nn.ReLU(),
                   ImageView((channels[-1], *sizes[-1]))]
        outs = (*channels[-2::-1], c)
        for i, (n_in, n_out) in enumerate(zip(channels[::-1], outs)):
            level = len(channels) - i  # from the smallest size up
            if self.deep and level <= 2:
                decoder += _deconv(n_in, n_in, sizes[level], sizes[level])
            decoder += _deconv(n_in, n_out, sizes[level], sizes[level - 1], last=level == 1)
        self.decoder = nn.Sequential(*decoder, nn.Flatten())
        channels_last(xavier_init(self))


class TripletClusteringAutoencoder(ClusteringAutoencoder):
    """DEC's clustering autoencoder that also forms the triplets of eq. (5).

    While ``triplet`` is true and the module is training, ``forward`` also
    makes ``n_augmentations`` augmentations of every image of the batch
    (:func:`~sklearn_deepcluster.augment.augment`), embeds them with the
    encoder in inference mode and without gradient, and returns:

    - ``"positive_embedding"``: the embedding (with gradient) of one of the
      augmentations of each anchor, chosen at random (Fig. 3);
    - ``"negative_embedding"``: the embedding of another sample of the batch,
      chosen by Algorithm 1 (:func:`~sklearn_deepcluster.losses.triplet.select_negatives`);
    - ``"negative_fallback"``: the fraction of anchors for which no candidate
      satisfied Algorithm 1's condition within ``max_tries``.

    All randomness comes from ``generator``, which must be set before.

    Parameters
    ----------
    autoencoder : nn.Module
        With ``encoder`` and ``decoder`` sub-modules, on flat inputs.
    n_clusters, embedding_dim, alpha
        As for :class:`ClusteringAutoencoder`.
    image_shape : tuple (C, H, W)
        How to view a flat sample as an image for augmentation (``(1, 1, d)``
        for plain vectors).
    augmentations : tuple of str
    n_augmentations : int
    max_tries : int
    corruption : float, default=0.0
    batch_augmentations : tuple of str, default=()
        As for :class:`ClusteringAutoencoder`; the anchors are then the
        augmented batch.
    """

    def __init__(self, autoencoder, n_clusters, embedding_dim, alpha, image_shape,
                 augmentations, n_augmentations=10, max_tries=50, corruption=0.0,
                 batch_augmentations=()):
        super().__init__(autoencoder, n_clusters, embedding_dim, alpha, corruption,
                         image_shape, batch_augmentations)
        self.augmentations = tuple(augmentations)
        self.n_augmentations = n_augmentations
        self.max_tries = max_tries
        self.triplet = False

    def encode_and_decode(self, x):
        out = super().encode_and_decode(x)
        if self.training and self.triplet and len(x) > 1:
            out.update(self.form_triplets(x, out["embedding"]))
        return out

    def form_triplets(self, x, z):
        """Positives and negatives (Algorithm 1) for the batch ``x`` with embeddings ``z``.

        The anchors and their augmentations are embedded in inference mode;
        the module is then returned to the mode it was in.
        """
        n, k = len(x), self.n_augmentations
        images = x.reshape(n, *self.image_shape).repeat(k, 1, 1, 1)
        views = augment(images, self.generator, self.augmentations).reshape(k, n, -1)
        training = self.training
        self.eval()
        with torch.no_grad():
            anchor = self.embed(x)
            augmented = self.embed(views.reshape(k * n, -1)).reshape(k, n, -1)
        self.train(training)
        radius = (augmented - anchor).norm(dim=2).max(dim=0).values
        negative, fallback = select_negatives(anchor, radius, self.generator, self.max_tries)
        pick = torch.randint(k, (n,), generator=self.generator,
                             device=self.generator.device).to(x.device)
        positive = views[pick, torch.arange(n, device=x.device)]
        return {"positive_embedding": self.embed(positive), "negative_embedding": z[negative],
                "negative_fallback": fallback.to(z.dtype).mean()}
