"""DEC pre-training choices on digits, seeds 0-2: AE+KMeans, DEC, DEC+final k-means, IDEC.

Usage: python benchmarks/dec_pretraining_digits.py CORRUPTION
One pre-training per seed (max_epochs=0) is reused through ``pretrained=`` by the
three clustering variants. Output of the committed run:
benchmarks/results/dec_pretraining_digits.txt (run with CORRUPTION 0.2 and 0.0).
"""
import sys, time, numpy as np
from sklearn.datasets import load_digits
from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy as acc
X, y = load_digits(return_X_y=True); X = (X / 16).astype("float32")
corr = float(sys.argv[1]); extra = {}
for s in range(3):
    t = time.time()
    ae = DECClustering(10, random_state=s, corruption=corr, max_epochs=0, **extra).fit(X)
    t1 = time.time() - t
    dec = DECClustering(10, random_state=s, pretrained=ae, **extra).fit(X)
    fk = DECClustering(10, random_state=s, pretrained=ae, final_kmeans=True, **extra).fit(X)
    idec = DECClustering(10, random_state=s, pretrained=ae, reconstruction_weight=1.0, **extra).fit(X)
    print(f"corr={corr} {extra} seed={s} AE+KM={acc(y, ae.labels_):.3f} DEC={acc(y, dec.labels_):.3f} "
          f"DEC+fk={acc(y, fk.labels_):.3f} IDEC={acc(y, idec.labels_):.3f} pre_s={t1:.0f} total_s={time.time()-t:.0f} it={dec.n_iter_}", flush=True)
