"""Time one training step of DEC's two convolutional autoencoders on MNIST-sized batches.

Paper 004's network (``architecture="conv"``) against DCEC's strided one
(``architecture="strided-conv"``): a reconstruction step (forward, MSE,
backward, Adam) on a batch of 256 random 28x28 images, averaged over 20
steps after one warm-up step, and the epoch of 70,000 images it implies.

Usage: ``OMP_NUM_THREADS=2 python benchmarks/conv_step_time.py``
"""

import time

import torch

from sklearn_deepcluster.modules import ConvAutoencoder, StridedConvAutoencoder


def step_seconds(module, batch, n_steps=20):
    optimizer = torch.optim.Adam(module.parameters())

    def step():
        optimizer.zero_grad()
        loss = ((module.decoder(module.encoder(batch)) - batch) ** 2).mean()
        loss.backward()
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - start) / n_steps


def main():
    torch.manual_seed(0)
    batch = torch.rand(256, 784)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, module in (("conv", ConvAutoencoder((1, 28, 28))),
                         ("strided-conv", StridedConvAutoencoder((1, 28, 28)))):
        seconds = step_seconds(module, batch)
        print(f"{name:>12}: {seconds * 1000:.0f} ms a step of 256, "
              f"about {seconds * 70000 / 256:.0f} s an epoch of 70,000")


if __name__ == "__main__":
    main()
