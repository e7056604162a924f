"""The learned clusterer on 2-D point sets, with its estimated number of clusters.

``LearnedClusterer`` learns to cluster from labelled point sets (paper 003,
section VI-A) and then clusters new sets on its own, estimating how many
clusters each holds. Top row: four new sets, coloured by the predicted
clusters. Bottom row: the estimated distribution P(k), the true k in green
(as in the paper's Fig. 5).

The network is far smaller than the paper's (2 bi-LSTM layers of 64 instead
of 14 of 288, Adam instead of Adadelta, 6,000 iterations instead of
128,700), so that the example trains in about two minutes on a CPU; expect
rough clusterings, not the paper's. ``set_order="principal"`` makes the
bi-LSTMs read each set sorted along its first principal component, in
training and prediction (not in the paper: the bi-LSTMs read a set in
order, and sorting makes their output independent of the order the set
came in; reading each set in 8 orders instead, ``n_orderings=8``, the same
training found 3 of these 4 counts, against all 4 here). The trained model
then predicts with ``set_transforms=square_rotations()``: it also reads each
set turned by 90, 180 and 270 degrees, symmetries of these sets, and
averages the four outputs (not in the paper either; no retraining): the
MRs of these four sets are 0, 0, 0 and 0.125, against 0, 0, 0 and 0.22
without.

Run: ``python examples/plot_learned_point_sets.py [--out FILE.png]``.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster.datasets import make_point_sets
from sklearn_deepcluster.metrics import misclassification_rate
from sklearn_deepcluster.set_transforms import square_rotations

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", help="save the figure to this file instead of showing it")
args = parser.parse_args()

max_clusters, n_points = 3, 32
X, y = make_point_sets(n_sets=3000, n_points=n_points, max_clusters=max_clusters,
                       random_state=0)
model = LearnedClusterer(max_clusters=max_clusters, n_layers=2, hidden_size=64,
                         sets_per_batch=32, max_iter=6000, optimizer=torch.optim.Adam,
                         lr=1e-3, validation_fraction=0.0, set_order="principal",
                         random_state=0).fit(X, y)
model.set_params(set_transforms=square_rotations())

X_new, y_new = make_point_sets(n_sets=4, n_points=n_points, max_clusters=max_clusters,
                               random_state=2)
fig, axes = plt.subplots(2, 4, figsize=(12, 5.6), gridspec_kw={"height_ratios": (3, 1.4)},
                         layout="constrained")
for points, truth, top, bottom in zip(X_new, y_new, axes[0], axes[1]):
    labels = model.predict(points)
    p_k = model.predict_n_clusters(points)
    true_k = len(np.unique(truth))
    top.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=14)
    top.set_title(f"true k = {true_k}, predicted {p_k.argmax() + 1}, "
                  f"MR {misclassification_rate(truth, labels):.2f}", fontsize="medium")
    top.set_aspect("equal", adjustable="datalim")
    top.set_xticks([])
    top.set_yticks([])
    ks = np.arange(1, max_clusters + 1)
    bottom.bar(ks, p_k, color=["tab:green" if k == true_k else "0.6" for k in ks])
    bottom.set_xticks(ks)
    bottom.set_ylim(0, 1)
    bottom.set_xlabel("number of clusters k")
    print(f"true k {true_k}, P(k) {np.round(p_k, 2)}, "
          f"MR {misclassification_rate(truth, labels):.3f}")
axes[1, 0].set_ylabel("P(k)")
if args.out:
    fig.savefig(args.out, dpi=80)
else:
    plt.show()
