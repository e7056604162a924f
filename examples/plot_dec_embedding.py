"""The DEC embedding of digits before and after the clustering phase.

DEC first pre-trains an autoencoder, then trains the encoder on the cluster
assignment hardening loss. ``max_epochs=0`` stops after pre-training (the
centres are still set by KMeans); with the same ``random_state`` the second
estimator repeats that pre-training and then clusters, so the two show the
embedding of the same data before and after clustering (paper 001, Fig. 2,
with PCA to 2-D instead of t-SNE). A second figure shows every loss term
per epoch of both phases (:func:`~sklearn_deepcluster.plotting.plot_history`).

Run: ``python examples/plot_dec_embedding.py [--out FILE.png]`` (under a
minute); with ``--out``, the history is saved beside it as
``dec_history.png``.
"""

import argparse
import os

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from sklearn_deepcluster import DECClustering
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.plotting import plot_embedding, plot_history

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", help="save the figure to this file instead of showing it")
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
params = dict(n_clusters=10, hidden_dims=(256, 64), embedding_dim=10, pretrain_epochs=60,
              batch_size=64, random_state=0)
pretrained = DECClustering(**params, max_epochs=0).fit(X)
# The same seed gives the same pre-training, followed by at most 40 epochs of clustering
# (it stops earlier once fewer than tol=0.1% of the labels change between two refreshes).
dec = DECClustering(**params, max_epochs=40, update_interval=30).fit(X)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
for ax, (title, model) in zip(axes, [("after pre-training", pretrained),
                                     ("after DEC clustering", dec)]):
    plot_embedding(model, X, y, ax=ax)
    ax.set_title(f"{title}: ACC {clustering_accuracy(y, model.labels_):.3f}")
    print(f"{title}: ACC {clustering_accuracy(y, model.labels_):.3f}")
history = plot_history(dec)
if args.out:
    fig.savefig(args.out, dpi=80)
    history.savefig(os.path.join(os.path.dirname(args.out), "dec_history.png"), dpi=80)
else:
    plt.show()
