"""Channels-last against NCHW memory order for the convolutional networks.

Our convolutional networks view their flat input as channels-last images and
store their convolution weights channels-last
(:func:`sklearn_deepcluster.modules.layers.as_images`). This script times a
max-pooling layer alone, then a training step (Adam, a batch of random rows of
the size each estimator trains with) of each network in both orders, then a
whole one-epoch ``DDCClustering`` fit on MNIST images. The
NCHW variant is the same code with the view patched back to a plain reshape
and the weights converted back to contiguous (NCHW) order. Each timing is the
median over ``--rounds`` alternating rounds of ``--steps`` steps (fits: one
fit per round), after one untimed warm-up round.

    python benchmarks/memory_format.py --device cpu
    python benchmarks/memory_format.py --device cuda --n-fit 10000
"""

import argparse
import os
import sys
import time
from statistics import median

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import load  # noqa: E402

from sklearn_deepcluster import DDCClustering  # noqa: E402
from sklearn_deepcluster.modules import layers, set_network  # noqa: E402
from sklearn_deepcluster.modules.autoencoder import ConvAutoencoder  # noqa: E402
from sklearn_deepcluster.modules.ddc import he_init, lenet_body  # noqa: E402
from sklearn_deepcluster.modules.triplet_conv import TripletConvAutoencoder  # noqa: E402

CHANNELS_LAST_VIEW = layers.as_images


def use_memory_format(channels_last):
    """Patch the image view of every network to channels-last or plain NCHW."""
    view = CHANNELS_LAST_VIEW if channels_last else (lambda x, shape: x.reshape(len(x), *shape))
    layers.as_images = set_network.as_images = view


def memory_format(channels_last):
    return torch.channels_last if channels_last else torch.contiguous_format


class Autoencoder(nn.Module):
    """Encoder then decoder, to time an autoencoder as one module."""

    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, x):
        return self.autoencoder.decoder(self.autoencoder.encoder(x))


NETWORKS = {  # name: (constructor, batch size) on 28x28 grey images
    "DDC LeNet": (lambda: he_init(lenet_body((1, 28, 28))), 100),
    "DEC conv autoencoder": (lambda: Autoencoder(ConvAutoencoder((1, 28, 28))), 256),
    "TripletDEC conv autoencoder": (lambda: Autoencoder(TripletConvAutoencoder((1, 28, 28))), 256),
    "LearnedClusterer CNN": (lambda: set_network.ConvEmbedding((1, 28, 28)), 400),
}


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def step_seconds(make, batch_size, channels_last, device, steps):
    use_memory_format(channels_last)
    torch.manual_seed(0)
    model = make().to(device=device, memory_format=memory_format(channels_last))
    optimizer = torch.optim.Adam(model.parameters())
    x = torch.rand(batch_size, 784, device=device)
    for i in range(steps + 2):  # two untimed steps: allocations, optimizer state
        if i == 2:
            synchronize(device)
            start = time.perf_counter()
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()
    synchronize(device)
    return (time.perf_counter() - start) / steps


def pooling_seconds(channels_last, device, steps):
    """Forward 2x2 max-pooling of DDC's first feature maps, (100, 32, 24, 24)."""
    x = torch.rand(100, 32, 24, 24, device=device).contiguous(
        memory_format=memory_format(channels_last))
    torch.nn.functional.max_pool2d(x, 2)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        torch.nn.functional.max_pool2d(x, 2)
    synchronize(device)
    return (time.perf_counter() - start) / steps


def ddc_fit_seconds(X, channels_last, device):
    use_memory_format(channels_last)
    est = DDCClustering(10, max_epochs=1, device=device, random_state=0)
    build = DDCClustering._build_module
    est._build_module = lambda: build(est).to(memory_format=memory_format(channels_last))
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start


def compare(name, timer, rounds):
    """Alternate the two orders for ``rounds`` rounds after a warm-up; print the medians."""
    times = {False: [], True: []}
    for r in range(rounds + 1):
        for channels_last in (False, True):
            t = timer(channels_last)
            if r:
                times[channels_last].append(t)
    nchw, last = median(times[False]), median(times[True])
    print(f"{name:42s} NCHW {nchw * 1e3:9.1f} ms  channels-last {last * 1e3:9.1f} ms  "
          f"speed-up x{nchw / last:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n-fit", type=int, default=5000,
                        help="MNIST images for the one-epoch DDC fit (0: skip the fit)")
    args = parser.parse_args()
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}"
          + (f" ({torch.cuda.get_device_name()})" if args.device == "cuda" else ""))
    compare("max-pooling (100, 32, 24, 24) alone",
            lambda cl: pooling_seconds(cl, args.device, args.steps), args.rounds)
    for name, (make, batch_size) in NETWORKS.items():
        compare(f"{name}, step of {batch_size}",
                lambda cl: step_seconds(make, batch_size, cl, args.device, args.steps),
                args.rounds)
    if args.n_fit:
        X, _ = load("mnist", args.n_fit)
        X = np.asarray(X, dtype=np.float32)
        compare(f"DDCClustering fit, 1 epoch of {len(X)}",
                lambda cl: ddc_fit_seconds(X, cl, args.device), args.rounds)
    use_memory_format(True)


if __name__ == "__main__":
    main()
