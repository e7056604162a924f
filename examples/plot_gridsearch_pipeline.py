"""A Pipeline and GridSearchCV with a deep clusterer, beside KMeans.

A notebook-style walkthrough (``# %%`` cells) on scikit-learn's digits.

1. A deep clusterer is one step of a ``Pipeline``, after a scaler.
2. ``score`` is minus the method's unsupervised loss, so ``GridSearchCV``
   can choose parameters **without labels**. Only compare settings that leave
   the loss itself unchanged (here the learning rate); loss weights change
   the loss and cannot be compared this way.
3. With labels for a part of the data, any labelled score works too (here
   the adjusted Rand index).

DDC's fully connected network (``architecture="mlp"``) is trained for only 15
epochs, so that the searches run in under a minute on a CPU; with so few
epochs the paper's learning rate for it (``lr=None``: 1e-5) has barely moved
the weights, and the search finds a better one.

Run: ``python examples/plot_gridsearch_pipeline.py``.
"""

# %%
# Data and the KMeans baseline
import argparse

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, make_scorer, normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.metrics import clustering_accuracy

argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()

X, y = load_digits(return_X_y=True)
kmeans = make_pipeline(MinMaxScaler(), KMeans(n_clusters=10, n_init=10, random_state=0))
labels = kmeans.fit_predict(X)
print(f"KMeans          ACC {clustering_accuracy(y, labels):.3f}  "
      f"NMI {normalized_mutual_info_score(y, labels):.3f}")

# %%
# The same pipeline with DDC instead of KMeans
pipe = make_pipeline(MinMaxScaler(), DDCClustering(n_clusters=10, architecture="mlp",
                                                   max_epochs=15, random_state=0))
labels = pipe.fit_predict(X)
print(f"DDC (lr=None)   ACC {clustering_accuracy(y, labels):.3f}  "
      f"NMI {normalized_mutual_info_score(y, labels):.3f}")

# %%
# Choose the learning rate without labels: GridSearchCV uses ``score``,
# minus DDC's loss on the held-out folds.
search = GridSearchCV(pipe, {"ddcclustering__lr": [1e-4, 1e-3]}, cv=3)
search.fit(X)
print("unsupervised search:", search.best_params_,
      "mean scores", np.round(search.cv_results_["mean_test_score"], 3))
labels = search.best_estimator_.predict(X)
print(f"DDC (best lr)   ACC {clustering_accuracy(y, labels):.3f}  "
      f"NMI {normalized_mutual_info_score(y, labels):.3f}")

# %%
# With labels, any clustering metric can score the folds instead.
supervised = GridSearchCV(pipe, {"ddcclustering__lr": [1e-4, 1e-3]}, cv=3,
                          scoring=make_scorer(adjusted_rand_score))
supervised.fit(X, y)
print("search scored by ARI:", supervised.best_params_,
      "mean ARI", np.round(supervised.cv_results_["mean_test_score"], 3))
