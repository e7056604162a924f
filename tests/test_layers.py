"""The channels-last image view and the memory order of the conv networks' weights."""

import pytest
import torch
from torch import nn

from sklearn_deepcluster import DDCClustering, ddc
from sklearn_deepcluster.modules import autoencoder, set_network, triplet_conv
from sklearn_deepcluster.modules.layers import BatchNorm2d, as_images


def test_as_images_keeps_values_and_stores_channels_last():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, -1)
    images = as_images(x, (3, 4, 5))
    assert torch.equal(images, x.reshape(2, 3, 4, 5))
    assert images.is_contiguous(memory_format=torch.channels_last) and not images.is_contiguous()


def ddc_network():
    est = DDCClustering(n_clusters=3)
    est.image_shape_, est.n_features_in_ = (1, 16, 16), 256
    return est._build_module()


NETWORKS = {  # name: (the module where the network calls channels_last, its constructor)
    "ddc": (ddc, ddc_network),
    "dec-conv": (autoencoder, lambda: autoencoder.ConvAutoencoder((1, 16, 16))),
    "dec-strided-conv": (autoencoder, lambda: autoencoder.StridedConvAutoencoder((1, 16, 16))),
    "triplet-conv": (triplet_conv, lambda: triplet_conv.TripletConvAutoencoder((1, 16, 16))),
    "learned-cnn": (set_network, lambda: set_network.ConvEmbedding((1, 16, 16))),
}


def conv_weights(module):
    return [m.weight for m in module.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


@pytest.mark.parametrize("name", NETWORKS)
def test_conv_weights_are_channels_last_with_the_seed_s_nchw_values(name, monkeypatch):
    where, build = NETWORKS[name]
    torch.manual_seed(0)
    weights = conv_weights(build())
    monkeypatch.setattr(where, "channels_last", lambda module: module)
    torch.manual_seed(0)
    nchw = conv_weights(build())
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    assert all(w.is_contiguous() for w in nchw)
    # Random initialisers fill a tensor in memory order: converting after
    # initialising keeps the weights a seed gives in NCHW order.
    for w, ref in zip(weights, nchw):
        assert torch.equal(w, ref)


def test_batchnorm2d_trains_on_one_value_per_channel_with_its_running_statistics():
    norm = BatchNorm2d(3)
    norm.running_mean.fill_(0.5)
    norm.running_var.fill_(4.0)
    x = torch.arange(3.0).reshape(1, 3, 1, 1)
    out = norm(x)  # training mode, one value per channel: nn.BatchNorm2d raises
    torch.testing.assert_close(out, (x - 0.5) / torch.sqrt(torch.tensor(4.0) + norm.eps))
    assert torch.all(norm.running_mean == 0.5) and norm.num_batches_tracked == 0
    x = torch.rand(1, 3, 2, 2)  # one sample of 2x2 maps has batch statistics
    torch.testing.assert_close(norm(x), nn.BatchNorm2d(3)(x))
    assert norm.num_batches_tracked == 1
