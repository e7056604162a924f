"""DDC with DEC-DA's batch augmentation: does what lifted DEC on MNIST lift DDC?

``DECClustering(batch_augmentations=("affine",))`` rose from 0.88 to 0.97 on
all of MNIST (``benchmarks/results/dec_mnist_affine_sgd.md``). Paper 000 has
no augmentation. This script gives ``DDCClustering`` the same treatment
through its ``architecture`` parameter: :class:`AugmentedLeNet` is the paper's
convolutional body (section 3.1, He initialisation, channels-last as with
``architecture="conv"``) that, in training mode only, replaces every batch by
a random augmentation of it (``augment``'s names, default ``("affine",)``:
rotation up to 10 degrees and shift up to 10% in one resampling). Prediction
and the final loss see the images as they are. Each seed is fitted three times
(one run each, learning rate 1e-2 unless ``--params`` says otherwise): with
``architecture="conv"``, with :class:`AugmentedLeNet` and no augmentation (the
control: a user module's softmax layer keeps torch's default initialisation,
where ``"conv"`` He-initialises it too), and with the augmentation; the ACCs
are printed. Output of the committed runs:
``benchmarks/results/ddc_batch_augmentation.txt``::

    OMP_NUM_THREADS=1 python benchmarks/ddc_batch_augmentation.py --dataset mnist-test \\
        --params '{"max_epochs": 10}' --seeds 0 1 2 3
"""

import argparse
import json
import time

import numpy as np
from torch import nn

from run import load
from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.augment import augment
from sklearn_deepcluster.dec import seeded_generator
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.modules.ddc import he_init, lenet_body
from sklearn_deepcluster.modules.layers import channels_last


class AugmentedLeNet(nn.Module):
    """DDC's convolutional body behind a random augmentation of each training batch.

    ``DDCClustering`` builds it once per run, as ``cls(n_features,
    n_hidden)`` inside the run's seeded block, so the weights and the
    augmentation stream both follow ``random_state``. Subclass it with
    :func:`augmented_lenet` to set the image shape and the augmentations.
    """

    image_shape = None
    names = ("affine",)

    def __init__(self, n_features, n_hidden):
        super().__init__()
        self.body = channels_last(he_init(lenet_body(self.image_shape, n_hidden)))
        self.generator = seeded_generator("cpu")

    def forward(self, x):
        if self.training:
            images = x.reshape(len(x), *self.image_shape)
            x = augment(images, self.generator, self.names).reshape(x.shape)
        return self.body(x)


def augmented_lenet(image_shape, names):
    """:class:`AugmentedLeNet` for images of ``image_shape`` and the augmentations ``names``."""
    return type("AugmentedLeNet", (AugmentedLeNet,),
                {"image_shape": tuple(image_shape), "names": tuple(names)})


def main(dataset, seeds, params, names):
    X, y = load(dataset, 0)
    image_shape = (1, *X.shape[1:])
    X = X.reshape(len(X), -1)
    n_clusters = len(np.unique(y))

    settings = {"none": {"architecture": "conv", "image_shape": image_shape},
                # the control: the same user-module path (whose softmax layer keeps
                # torch's default initialisation) without the augmentation
                "none (user module)": {"architecture": augmented_lenet(image_shape, ())},
                "+".join(names): {"architecture": augmented_lenet(image_shape, names)}}
    for label, setting in settings.items():
        accs = []
        for seed in seeds:
            start = time.time()
            est = DDCClustering(n_clusters, random_state=seed, **setting, **params).fit(X)
            accs.append(clustering_accuracy(y, est.labels_))
            print(f"{dataset} augmentation={label} {params} seed={seed} ACC={accs[-1]:.3f} "
                  f"loss={est.loss_:.4f} s={time.time() - start:.0f}", flush=True)
        print(f"{dataset} augmentation={label} {params} mean ACC {np.mean(accs):.3f} "
              f"± {np.std(accs):.3f} over seeds {list(seeds)}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # one-channel images only: main() views every sample as (1, H, W)
    parser.add_argument("--dataset", default="mnist-test",
                        choices=["digits", "mnist", "mnist-test", "usps"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--params", type=json.loads, default={},
                        help="JSON dict of DDCClustering parameters, e.g. '{\"max_epochs\": 10}'")
    parser.add_argument("--augmentations", nargs="+", default=["affine"])
    args = parser.parse_args()
    main(args.dataset, args.seeds, args.params, args.augmentations)
