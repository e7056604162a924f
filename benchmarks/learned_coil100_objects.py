"""A trained COIL-100 LearnedClusterer on sets of its training, validation and test objects.

Takes a model saved by ``learned_image_sets.py --dataset coil100 --save-model``
and redraws that script's 80/10/10 object split (same ``--seed``). For each
group of objects it scores the network on 300 sets drawn as in section V
(n = 20, k <= 5; the same sampler and seed as the script's test sets), also
given the true k (``predict(x, n_clusters=k)``), beside KMeans given the true
k on the colour pixels and on grey ones (the mean of the three channels), and
gives each group's mean colour saturation (per pixel, the largest channel
minus the smallest, on the [0, 1] scale): the training objects were trained on,
the validation objects only chose the early-stopping point, the test objects
were never used. How far apart the two held-out groups are shows how much a
single split of 10 objects says. ``--flip`` also scores the network with
``set_transforms=[flip_images]`` (each set and its mirror image, the outputs
averaged; row ``learned_flip``), a test-time use of the left-right flip that
paper 003 trains with. ``--pairwise`` also scores ``decoding="pairwise"``
(the labels with the fewest expected pair errors under the network's
``P_ij``; with ``--flip``, also on the set and its mirror image), and
``--distortions N`` that with ``set_transforms=[flip_images] +
random_distortions(N)`` (the mirror image and N distorted copies, the
distortion paper 003 trains with). Each table gives NMI twice: scikit-learn's
default (mutual information over the arithmetic mean of the two entropies)
and paper 003's (over their geometric mean, section VI), never lower::

    python benchmarks/learned_image_sets.py --dataset coil100 ... --save-model /tmp/coil.joblib
    OMP_NUM_THREADS=2 python benchmarks/learned_coil100_objects.py --model /tmp/coil.joblib

Appends a table to ``benchmarks/results/learned_coil100_objects.txt``.
"""

import argparse
import os

import joblib
import numpy as np

from learned_image_sets import (add_reading_options, check_reading_options, extra_readings,
                                kmeans_on_pixels, predict_given_true_k, test_sets)
from learned_point_sets import (RESULTS, SCORE_COLUMNS, score_cells, scores, table_head,
                                text_header)
from run import load


def load_estimator(path):
    """A pickled LearnedClusterer; one saved before ``decoding`` existed gets the paper's."""
    estimator = joblib.load(path)
    vars(estimator).setdefault("decoding", "count")
    return estimator


def object_groups(validation_objects, seed):
    """Training, validation and test objects of ``learned_image_sets.py --seed seed``."""
    objects = np.random.RandomState(seed).permutation(100)
    return {"training": np.setdiff1d(objects[:90], validation_objects),
            "validation": np.asarray(validation_objects), "test": np.sort(objects[90:])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a pickled LearnedClusterer")
    parser.add_argument("--seed", type=int, default=0,
                        help="the --seed of learned_image_sets.py (its split and test sets)")
    parser.add_argument("--note", default="", help="what the model is, for the table")
    parser.add_argument("--out", default=os.path.join(RESULTS, "learned_coil100_objects.txt"))
    add_reading_options(parser)
    parser.add_argument("--groups", nargs="+", choices=["training", "validation", "test"],
                        default=["training", "validation", "test"],
                        help="the groups of objects to score")
    args = parser.parse_args(argv)
    check_reading_options(parser, args)

    estimator = load_estimator(args.model)
    X, y = load("coil100", 0)
    lines = [*text_header(estimator, args.note),
             *table_head("objects", "saturation", "method", SCORE_COLUMNS)]
    for group, objects in object_groups(estimator.validation_classes_, args.seed).items():
        if group not in args.groups:
            continue
        member = np.isin(y, objects)
        X_sets, y_sets = test_sets(X[member], y[member], 300, estimator.set_size_,
                                   estimator.max_clusters, 10_000 + args.seed)
        saturation = float((X[member].max(axis=1) - X[member].min(axis=1)).mean())
        methods = {
            "learned": [estimator.predict(x) for x in X_sets],
            "learned_true_k": predict_given_true_k(estimator, X_sets, y_sets),
            "kmeans_true_k_pixels": kmeans_on_pixels(X_sets, y_sets),
            "kmeans_true_k_grey": kmeans_on_pixels(X_sets.mean(axis=2), y_sets),
        }
        methods.update(extra_readings(estimator, X_sets, args))
        for method, labels in methods.items():
            s = scores(y_sets, labels)
            lines.append(f"| {group} ({len(objects)}) | {saturation:.3f} | {method} | "
                         f"{score_cells(s)} |")
        print("\n".join(lines[-len(methods):]), flush=True)
    with open(args.out, "a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
