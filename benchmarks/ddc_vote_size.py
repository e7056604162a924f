"""DDC-VOTE with more voters: ACC of the majority of the k lowest-loss runs.

Paper 000 (§4.5) votes among the three lowest-loss runs of 20. For each seed
this fits ``DDCClustering(n_init=20)`` once (extra parameters as JSON, e.g.
``'{"max_epochs": 10}'``) and votes among the ``k`` lowest-loss runs of those
20 for every ``--votes`` k, with :func:`sklearn_deepcluster.ensemble.vote`
(each run aligned to the lowest-loss run by the Hungarian method, as
``vote=k`` does). ``k = 1`` is the run chosen by loss and ``k = 3`` the
paper's DDC-VOTE. Prints one line per seed and k, then the means over the
seeds. ``--cosine-lr`` anneals Adam's learning rate to 0 over ``max_epochs``
with skorch's ``LRScheduler(policy="CosineAnnealingLR")`` (not in the paper)
and each seed's line also gives the correlation of the runs' losses with
their ACC. ``--agreement`` also orders the same 20 runs by their mean NMI
with the other 19 (the "average NMI" of Strehl and Ghosh, 2002, who pick the
labelling that shares most information with the rest; not in paper 000) and
prints, for each k, the vote of the k most agreeing runs, the most agreeing
first (so ``agreement vote 1`` is the run chosen by agreement, not by loss).
Output of the committed runs: ``benchmarks/results/ddc_vote_size.txt``::

    OMP_NUM_THREADS=1 python benchmarks/ddc_vote_size.py --dataset digits

``--dataset`` is ``digits``, ``mnist-test`` (the 10,000 test images) or
``mnist`` (all 70,000 images).
"""

import argparse
import json
import time

import numpy as np
from skorch.callbacks import LRScheduler
from sklearn.metrics import normalized_mutual_info_score

from run import load
from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.ensemble import vote
from sklearn_deepcluster.metrics import clustering_accuracy


LINE_LABELS = {"loss": "vote", "agreement": "agreement vote"}  # how each ordering's lines begin


def agreement(label_sets):
    """Each labelling's mean NMI with every other labelling (Strehl and Ghosh's average NMI)."""
    n = len(label_sets)
    nmi = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            nmi[i, j] = nmi[j, i] = normalized_mutual_info_score(label_sets[i], label_sets[j])
    return (nmi.sum(axis=1) - 1) / max(n - 1, 1)


def votes_by_size(estimator, sizes, order=None):
    """Labels of the majority of the first ``k`` runs of ``order``, for each ``k`` in ``sizes``.

    ``order`` defaults to the runs sorted by loss, lowest first (DDC-VOTE).
    """
    if order is None:
        order = np.argsort(estimator.run_losses_, kind="stable")
    runs = [estimator.run_labels_[i] for i in order]
    return {k: vote(runs[:k], n_clusters=estimator.n_clusters) for k in sizes}


def cosine_lr(max_epochs):
    """Adam's learning rate annealed to 0 over ``max_epochs`` (one step per epoch)."""
    return LRScheduler(policy="CosineAnnealingLR", T_max=max_epochs)


def main(dataset, seeds, sizes, params, cosine=False, by_agreement=False):
    X, y = load(dataset, 0)
    n_clusters = len(np.unique(y))
    orderings = ["loss", "agreement"] if by_agreement else ["loss"]
    scores = {(name, k): [] for name in orderings for k in sizes}
    fit_params = dict(params)
    if cosine:
        max_epochs = params.get("max_epochs", DDCClustering().max_epochs)
        fit_params["callbacks"] = [cosine_lr(max_epochs)]
        params = {**params, "lr schedule": "cosine"}
    for seed in seeds:
        start = time.time()
        est = DDCClustering(n_clusters, n_init=20, random_state=seed, **fit_params).fit(X)
        seconds = time.time() - start
        if cosine:
            run_accs = [clustering_accuracy(y, labels) for labels in est.run_labels_]
            print(f"{dataset} seed {seed} cosine lr: runs' mean ACC {np.mean(run_accs):.3f}, "
                  f"correlation of loss and ACC {np.corrcoef(est.run_losses_, run_accs)[0, 1]:.2f}",
                  flush=True)
        for name in orderings:
            order = (np.argsort(-agreement(est.run_labels_), kind="stable")
                     if name == "agreement" else None)
            for k, labels in votes_by_size(est, sizes, order).items():
                acc = clustering_accuracy(y, labels)
                nmi = normalized_mutual_info_score(y, labels)
                scores[name, k].append((acc, nmi))
                print(f"{dataset} {params} seed {seed} {LINE_LABELS[name]} {k:2d}: ACC {acc:.3f} "
                      f"NMI {nmi:.3f} ({seconds:.0f} s for the 20 runs)", flush=True)
    for name, k in scores:
        acc, nmi = np.array(scores[name, k]).T
        print(f"{dataset} {params} seeds {list(seeds)} {LINE_LABELS[name]} {k:2d}: "
              f"ACC {acc.mean():.3f} ± {acc.std():.3f} NMI {nmi.mean():.3f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist-test", "mnist"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--votes", type=int, nargs="+", default=[1, 3, 5, 10, 20])
    parser.add_argument("--cosine-lr", action="store_true",
                        help="anneal the learning rate to 0 over max_epochs (cosine)")
    parser.add_argument("--agreement", action="store_true",
                        help="also order the runs by their mean NMI with the others")
    parser.add_argument("params", nargs="?", type=json.loads, default={})
    args = parser.parse_args()
    main(args.dataset, args.seeds, args.votes, args.params, args.cosine_lr, args.agreement)
