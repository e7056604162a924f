"""DEC on digits, seeds 0-2: does a longer clustering phase help?

One pre-trained autoencoder per seed (``max_epochs=0``) is reused through
``pretrained=`` by DEC with ``max_epochs`` 100 (the default) and 1000; each
line prints AE+KMeans, then each run's ACC, epochs run (``n_iter_``) and
seconds. Output of the committed run:
``benchmarks/results/dec_max_epochs_digits.txt``::

    OMP_NUM_THREADS=1 python benchmarks/dec_max_epochs_digits.py
"""

import argparse
import time

from run import load
from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy


def main():
    X, y = load("digits", 0)
    X = X.reshape(len(X), -1)  # flat: DEC's MLP autoencoder, as its digits benchmarks use
    for seed in range(3):
        ae = DECClustering(10, random_state=seed, max_epochs=0).fit(X)
        out = [f"AE+KM={clustering_accuracy(y, ae.labels_):.3f}"]
        for epochs in (100, 1000):
            start = time.time()
            dec = DECClustering(10, random_state=seed, pretrained=ae, max_epochs=epochs).fit(X)
            out.append(f"max_epochs={epochs}: ACC={clustering_accuracy(y, dec.labels_):.3f}"
                       f" n_iter={dec.n_iter_} s={time.time() - start:.0f}")
        print(f"seed={seed}", *out, flush=True)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
