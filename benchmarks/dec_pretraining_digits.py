"""DEC pre-training choices on digits, seeds 0-2: AE+KMeans, DEC, DEC+final k-means, IDEC.

One pre-training per seed (``max_epochs=0``) is reused through ``pretrained=``
by the three clustering variants. Output of the committed run:
``benchmarks/results/dec_pretraining_digits.txt`` (run with CORRUPTION 0.2 and 0.0).

    python benchmarks/dec_pretraining_digits.py CORRUPTION
"""

import argparse
import time

from sklearn.datasets import load_digits

from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy


def main(corruption):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")
    for seed in range(3):
        start = time.time()
        ae = DECClustering(10, random_state=seed, corruption=corruption, max_epochs=0).fit(X)
        pretrain_seconds = time.time() - start
        variants = {
            "DEC": {},
            "DEC+fk": {"final_kmeans": True},
            "IDEC": {"reconstruction_weight": 1.0},
        }
        scores = {"AE+KM": clustering_accuracy(y, ae.labels_)}
        n_iter = {}
        for name, params in variants.items():
            dec = DECClustering(10, random_state=seed, pretrained=ae, **params).fit(X)
            scores[name] = clustering_accuracy(y, dec.labels_)
            n_iter[name] = dec.n_iter_
        print(f"corr={corruption} seed={seed} "
              + " ".join(f"{name}={score:.3f}" for name, score in scores.items())
              + f" pre_s={pretrain_seconds:.0f} total_s={time.time() - start:.0f}"
              f" it={n_iter['DEC']}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corruption", type=float, metavar="CORRUPTION",
                        help="DECClustering's corruption: dropout rate on the input "
                             "during pre-training, e.g. 0.2 or 0.0")
    main(parser.parse_args().corruption)
