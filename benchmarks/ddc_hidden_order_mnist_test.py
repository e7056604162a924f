r"""DDC on the 10,000 MNIST test images: BatchNorm before or after the hidden ReLU.

The paper (section 3.1) puts BatchNorm in the fully connected hidden layer
and credits "activation rescaling through batch-normalization" for its
kernel-width rule (section 4.5); the package orders that layer
Linear -> BatchNorm -> ReLU (``bn_relu``, the default). The authors' later
code (Trosten et al.'s ``mvc``) orders it Linear -> ReLU -> BatchNorm, so that
the kernel sees the normalised activations (``relu_bn``). This script fits
DDCClustering with either order and prints, per seed, ACC, NMI, the final
loss (``loss_``) and the seconds per fit; with ``n_init`` in the parameters
it also prints every run's loss and ACC, lowest loss first.

``relu_bn`` replaces :func:`sklearn_deepcluster.modules.ddc.lenet_body` in
this process only, so ``n_jobs`` must stay 1 (worker processes would build
the default network). Output of the committed runs:
``benchmarks/results/ddc_hidden_order_mnist-test.txt``::

    OMP_NUM_THREADS=1 python benchmarks/ddc_hidden_order_mnist_test.py \
        relu_bn 0,1,2 '{"max_epochs": 10}'
"""

import argparse
import json
import time

import numpy as np
from sklearn.metrics import normalized_mutual_info_score
from torch import nn

import sklearn_deepcluster.ddc as ddc_module
from run import load
from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.modules.ddc import lenet_body


def relu_then_batchnorm(image_shape, n_hidden=100, channels=(32, 64)):
    """:func:`lenet_body` with its last three layers ordered Linear -> ReLU -> BatchNorm."""
    *convolutions, linear, batchnorm, relu = lenet_body(image_shape, n_hidden, channels)
    return nn.Sequential(*convolutions, linear, relu, batchnorm)


def seed_list(text):
    """``"0,1,2"`` -> ``[0, 1, 2]``."""
    return [int(s) for s in text.split(",")]


def main(order, seeds, params):
    if order == "relu_bn":
        ddc_module.lenet_body = relu_then_batchnorm
    X, y = load("mnist-test", 0)
    for seed in seeds:
        start = time.time()
        est = DDCClustering(10, random_state=seed, **params).fit(X)
        print(order, params, "seed", seed, "ACC", round(clustering_accuracy(y, est.labels_), 3),
              "NMI", round(normalized_mutual_info_score(y, est.labels_), 3),
              "loss", round(est.loss_, 4), f"{time.time() - start:.0f} s", flush=True)
        if est.n_init > 1:
            for i in np.argsort(est.run_losses_):
                print("   run loss", round(float(est.run_losses_[i]), 4),
                      "ACC", round(clustering_accuracy(y, est.run_labels_[i]), 3), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("order", choices=["bn_relu", "relu_bn"],
                        help="Linear -> BatchNorm -> ReLU (the default network) "
                             "or Linear -> ReLU -> BatchNorm")
    parser.add_argument("seeds", type=seed_list, help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("params", nargs="?", type=json.loads, default={},
                        help="a JSON dict of DDCClustering parameters (default: {})")
    args = parser.parse_args()
    main(args.order, args.seeds, args.params)
