"""Save a fitted deep clusterer, load it, and cluster new data with it.

A fitted estimator pickles like any scikit-learn estimator, its trained
network included (``joblib.dump`` / ``joblib.load``, or ``pickle``). The
loaded model gives the same clusters, soft assignments and embedding, and
``predict`` assigns samples it has never seen. Load with the same versions
of the package, torch and scikit-learn.

Run: ``python examples/save_load_predict.py`` (under a minute).
"""

import argparse
import os
import tempfile

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()

X, y = load_digits(return_X_y=True)
X_train, X_new, y_train, y_new = train_test_split(X, y, test_size=0.25, random_state=0)

model = make_pipeline(MinMaxScaler(), DECClustering(n_clusters=10, hidden_dims=(256, 64),
                                                    pretrain_epochs=30, max_epochs=20,
                                                    random_state=0))
model.fit(X_train)

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "dec_digits.joblib")
    joblib.dump(model, path)
    print(f"saved {os.path.getsize(path) / 1e6:.1f} MB to {os.path.basename(path)}")
    loaded = joblib.load(path)

labels = loaded.predict(X_new)
assert np.array_equal(labels, model.predict(X_new))
np.testing.assert_allclose(loaded.transform(X_new), model.transform(X_new))
print(f"training data: ACC {clustering_accuracy(y_train, loaded[-1].labels_):.3f}")
print(f"new data:      ACC {clustering_accuracy(y_new, labels):.3f}")
print("soft assignments of the first new sample:",
      np.round(loaded.predict_proba(X_new[:1]), 2))
