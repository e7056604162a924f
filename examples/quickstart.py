"""Quickstart: deep clustering estimators against KMeans on scikit-learn's digits.

Run with ``make demo`` (or ``python examples/quickstart.py``). Needs no download;
prints ACC, NMI, ARI and fit seconds for each estimator. The pixels go in as flat
features after MinMaxScaler, so ``architecture="auto"`` picks the fully connected
networks, except for DDC, which is given ``image_shape=(1, 8, 8)``: the paper
trains its convolutional network on images (the fully connected one, with its
learning rate of 1e-5, needs far more than 100 epochs on 1,797 samples).
"""

import argparse
import time

from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_deepcluster import DDCClustering, DECClustering, TripletDECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()

X, y = load_digits(return_X_y=True)
estimators = {"KMeans": KMeans(n_clusters=10, n_init=20, random_state=0)}
estimators["DECClustering"] = DECClustering(n_clusters=10, random_state=0)
estimators["DDCClustering"] = DDCClustering(n_clusters=10, image_shape=(1, 8, 8), random_state=0)
# 20 of at most 100 joint epochs keep the demo under 3 minutes on 2 CPU cores.
estimators["TripletDECClustering"] = TripletDECClustering(n_clusters=10, max_epochs=20,
                                                          random_state=0)

print(f"digits: {X.shape[0]} images of 8x8, 10 classes\n")
print(f"{'estimator':<22}{'ACC':>7}{'NMI':>7}{'ARI':>7}{'seconds':>9}")
for name, estimator in estimators.items():
    pipe = make_pipeline(MinMaxScaler(), estimator)
    start = time.perf_counter()
    labels = pipe.fit_predict(X)
    seconds = time.perf_counter() - start
    print(f"{name:<22}{clustering_accuracy(y, labels):7.3f}"
          f"{normalized_mutual_info_score(y, labels):7.3f}"
          f"{adjusted_rand_score(y, labels):7.3f}{seconds:9.1f}", flush=True)
