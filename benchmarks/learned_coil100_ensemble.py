"""Several COIL-100 LearnedClusterers of one object split, their pair probabilities averaged.

Takes models saved by ``learned_image_sets.py --dataset coil100 --save-model``
that share a ``--seed`` (the object split and the test sets) and differ in
``--train-seed``, and scores them on that split's 300 test sets: each model
alone, read with ``decoding="pairwise"`` and ``set_transforms=[flip_images] +
random_distortions(N)``, and the ensemble (not in paper 003), which averages
the models' ``predict_pair_proba`` and labels each set with
:func:`~sklearn_deepcluster.pair_partition.pair_error_partition`, started
from each model's own labels. Pair probabilities need no alignment of
cluster indices across models::

    OMP_NUM_THREADS=1 python benchmarks/learned_coil100_ensemble.py --seed 0 \\
        --models /tmp/coil_a.joblib /tmp/coil_b.joblib

Appends a table to ``benchmarks/results/learned_coil100_ensemble.txt``, with
NMI as scikit-learn's default and as paper 003's geometric mean (section VI).
"""

import argparse
import os

import numpy as np

from learned_coil100_objects import load_estimator, object_groups
from learned_image_sets import test_sets
from learned_point_sets import (RESULTS, SCORE_COLUMNS, score_cells, scores, table_head,
                                text_header)
from run import load
from sklearn_deepcluster.pair_partition import pair_error_partition
from sklearn_deepcluster.set_transforms import flip_images, random_distortions


def pairwise_readings(estimator, X_sets, distortions):
    """Each set's ``P_ij`` and pairwise labels, read with the mirror image and distorted copies."""
    estimator.set_params(decoding="pairwise",
                         set_transforms=[flip_images] + random_distortions(distortions))
    return ([estimator.predict_pair_proba(x) for x in X_sets],
            [estimator.predict(x) for x in X_sets])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True,
                        help="pickled LearnedClusterers of one object split")
    parser.add_argument("--seed", type=int, default=0,
                        help="the --seed of learned_image_sets.py (its split and test sets)")
    parser.add_argument("--distortions", type=int, default=6, metavar="N",
                        help="distorted copies each model reads beside the set and its mirror")
    parser.add_argument("--note", default="", help="what the models are, for the table")
    parser.add_argument("--out", default=os.path.join(RESULTS, "learned_coil100_ensemble.txt"))
    args = parser.parse_args(argv)
    if args.distortions < 0:
        parser.error("--distortions must be at least 0")

    estimators = [load_estimator(path) for path in args.models]
    X, y = load("coil100", 0)
    first = estimators[0]
    test = np.isin(y, object_groups(first.validation_classes_, args.seed)["test"])
    X_sets, y_sets = test_sets(X[test], y[test], 300, first.set_size_, first.max_clusters,
                               10_000 + args.seed)
    lines = [*text_header(first, f"{len(estimators)} models, read with decoding='pairwise' "
                                 f"and [flip_images] + random_distortions({args.distortions}). "
                                 f"{args.note}"),
             *table_head("test objects of split", "method", SCORE_COLUMNS)]
    readings = [pairwise_readings(est, X_sets, args.distortions) for est in estimators]
    rows = {f"model {i}": labels for i, (_, labels) in enumerate(readings)}
    rows["ensemble"] = [
        pair_error_partition(np.mean([pairs[s] for pairs, _ in readings], axis=0),
                             [labels[s] for _, labels in readings], first.max_clusters)
        for s in range(len(X_sets))]
    for method, labels in rows.items():
        lines.append(f"| {args.seed} | {method} | {score_cells(scores(y_sets, labels), 4)} |")
    print("\n".join(lines), flush=True)
    with open(args.out, "a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
