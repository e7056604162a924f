"""TripletDEC on digits: does eq. (5)'s hinge act, and does opening it help?

Algorithm 1 accepts only negatives farther from the anchor than every
augmentation, so with the paper's margin (0.24) the hinge of eq. (5) is
almost always closed once the code spreads out. This script fits
TripletDECClustering on digits in the USPS rows' setting without batch
augmentation or final k-means (DCEC's strided network, raw input, SGD,
500 + 50 epochs) with the given parameters and prints, per seed, ACC, the
median squared distance between the final codes (the scale the margin is
measured against) and L_t (``history_["triplet"]``) in the first and last
joint epochs::

    OMP_NUM_THREADS=1 python benchmarks/triplet_dec_margin.py '{}' '{"margin": 10.0}' --seeds 0 1

Each argument is a JSON dict of TripletDECClustering parameters on top of
that setting. Output of the committed runs:
``benchmarks/results/triplet_dec_margin_digits.txt``; the ACC over seeds 0-7
is in ``triplet-dec_digits_strided_sgd_500_*.md``.
"""

import argparse
import json
import time

import numpy as np
from scipy.spatial.distance import pdist

from run import load
from sklearn_deepcluster import TripletDECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

SETTING = dict(n_clusters=10, architecture="strided-conv", standardize=False,
               clustering_optimizer="sgd", pretrain_epochs=500, max_epochs=50)


def joint_triplet_terms(history):
    """L_t of each epoch of the joint (clustering) phase."""
    return [row["triplet"] for row in history if row["phase"] == "cluster"]


def main(specs, seeds):
    X, y = load("digits", 0)
    for params in specs:
        for seed in seeds:
            start = time.time()
            est = TripletDECClustering(random_state=seed, **{**SETTING, **params}).fit(X)
            triplet = joint_triplet_terms(est.history_)
            median = np.median(pdist(est.transform(X), "sqeuclidean"))
            print(f"{params} seed {seed}: ACC {clustering_accuracy(y, est.labels_):.3f}, "
                  f"median squared code distance {median:.1f}, "
                  f"L_t first / last joint epoch {triplet[0]:.4f} / {triplet[-1]:.4f}, "
                  f"{time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("params", nargs="+", type=json.loads,
                        help="JSON dict of TripletDECClustering parameters: '{\"margin\": 10}'")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    main(args.params, args.seeds)
