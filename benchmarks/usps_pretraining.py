"""Where DEC's clusters go wrong on USPS, by pre-training length: confusion matrices.

DECClustering with DCEC's strided conv network, DEC-DA's ``("affine",)``
batches, joint training and SGD (the setting of
``benchmarks/results/dec-conv_usps_strided_affine*.md``) on all 9,298 USPS
images. For each number of pre-training epochs, one pre-training
(``max_epochs=0``: the autoencoder and KMeans on its code) is reused through
``pretrained=`` by a clustering phase of ``--max-epochs`` epochs with a final
k-means. Prints ACC, NMI and the confusion matrix (rows: digits 0-9; columns:
clusters in the order that best matches them) after KMeans and after DEC.
Output of the committed run: ``benchmarks/results/usps_pretraining.txt``.

    SKLEARN_DEEPCLUSTER_DATA=../shared/data OMP_NUM_THREADS=1 \\
        python benchmarks/usps_pretraining.py 50 200 --seed 0
"""

import argparse
import time

import numpy as np
from sklearn.metrics import confusion_matrix, normalized_mutual_info_score

from run import load
from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.ensemble import align_labels
from sklearn_deepcluster.metrics import clustering_accuracy

SETTING = dict(n_clusters=10, architecture="strided-conv", reconstruction_weight=1.0,
               batch_augmentations=("affine",), standardize=False)


def report(name, y, labels):
    """ACC, NMI and the confusion matrix with clusters renamed to their matched digits."""
    print(f"{name}: ACC {clustering_accuracy(y, labels):.3f} "
          f"NMI {normalized_mutual_info_score(y, labels):.3f}")
    print(confusion_matrix(y, align_labels(labels, y)), flush=True)


def main(pretrain_epochs, max_epochs, seed):
    X, y = load("usps", 0)
    print("class sizes", np.bincount(y))
    for epochs in pretrain_epochs:
        start = time.time()
        ae = DECClustering(pretrain_epochs=epochs, max_epochs=0, random_state=seed,
                           **SETTING).fit(X)
        print(f"\n{epochs} pre-training epochs, seed {seed}, {time.time() - start:.0f} s")
        report("AE + KMeans", y, ae.labels_)
        dec = DECClustering(pretrained=ae, max_epochs=max_epochs, final_kmeans=True,
                            random_state=seed, **SETTING).fit(X)
        report(f"DEC, {dec.n_iter_} clustering epochs", y, dec.labels_)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pretrain_epochs", type=int, nargs="+")
    parser.add_argument("--max-epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.pretrain_epochs, args.max_epochs, args.seed)
