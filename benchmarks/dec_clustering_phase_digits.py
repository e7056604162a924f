"""Does DEC's clustering phase improve on AE + KMeans on digits? Seeds 0-2.

For each seed one autoencoder is pre-trained with the defaults
(``max_epochs=0``) and every clustering-phase variant below starts from it
through ``pretrained=``, so the variants differ only in the clustering phase.
Prints ACC of AE + KMeans and of each variant, then the mean and std over the
seeds. Output of the committed run: ``results/dec_clustering_phase_digits.txt``::

    OMP_NUM_THREADS=1 python benchmarks/dec_clustering_phase_digits.py
"""
import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

VARIANTS = {
    "defaults": {},
    "1000 epochs": {"max_epochs": 1000},
    "1000 epochs, update_interval 20": {"max_epochs": 1000, "update_interval": 20},
    "1000 epochs, lr 1e-4": {"max_epochs": 1000, "lr": 1e-4},
    "IDEC (reconstruction_weight 0.1)": {"max_epochs": 1000, "reconstruction_weight": 0.1},
    "alpha 0.2": {"alpha": 0.2},
}


def main():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")
    scores = {"AE + KMeans": [], **{name: [] for name in VARIANTS}}
    for seed in range(3):
        start = time.perf_counter()
        ae = DECClustering(10, max_epochs=0, random_state=seed).fit(X)
        scores["AE + KMeans"].append(clustering_accuracy(y, ae.labels_))
        print(f"seed {seed}: AE + KMeans {scores['AE + KMeans'][-1]:.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        for name, params in VARIANTS.items():
            start = time.perf_counter()
            dec = DECClustering(10, pretrained=ae, random_state=seed, **params).fit(X)
            scores[name].append(clustering_accuracy(y, dec.labels_))
            print(f"  {name}: DEC {scores[name][-1]:.3f} ({dec.n_iter_} epochs, "
                  f"{time.perf_counter() - start:.0f} s)", flush=True)
    for name, values in scores.items():
        print(f"{name}: ACC {np.mean(values):.3f} ± {np.std(values):.3f}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
