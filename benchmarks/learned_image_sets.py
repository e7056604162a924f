"""LearnedClusterer on sets of images from classes unseen in training (paper 003).

Two protocols:

- ``--dataset mnist``: digits as classes. Training on the digits
  ``--train-classes`` of the MNIST training split, testing on sets of the
  other digits drawn from the MNIST test split (k up to ``--max-clusters``).
  By default the network trains for ``--max-iter`` iterations without early
  stopping; ``--validation-fraction 0.15`` holds one of 7 training digits out
  and keeps the weights of the best validation loss on sets of it.
- ``--dataset coil100``: section VI-C. An 80/10/10 split of the 100 objects
  (seeded); ``fit`` gets the 90 training + validation objects with
  ``validation_fraction=1/9``, so early stopping watches 10 held-out objects;
  the test sets come from the last 10. n = 20, k <= 5 (paper: MR 0.116,
  NMI 0.867 after 32,100 iterations, 8 h on a GPU).

300 test sets are sampled as in section V (k uniform, 2 examples per cluster
at least). Each set is also clustered by the same network given the true k
(row ``learned_true_k``, ``predict(x, n_clusters=k)``) and by KMeans on the
raw pixels, given the true k. For MNIST, ``learned_on_training_digits`` scores
the same network on 300 sets of the training digits drawn from the test split
(images unseen, classes seen), to separate generalisation across classes from
learning the task. Example::

    OMP_NUM_THREADS=1 python benchmarks/learned_image_sets.py --dataset mnist --max-iter 4000 \\
        --budget-minutes 35

``--orderings 4 16`` also scores the trained network with
``LearnedClusterer(n_orderings=4)`` and ``(n_orderings=16)`` (rows
``learned_n_orderings_<R>``); ``--flip`` (COIL-100) with
``set_transforms=[flip_images]``, each set also read mirrored (row
``learned_flip``); ``--pairwise`` with ``decoding="pairwise"`` (row
``learned_pairwise``, with ``--flip`` also ``learned_pairwise_flip``), and
``--distortions 6`` with that and ``set_transforms=[flip_images] +
random_distortions(6)`` (row ``learned_pairwise_flip_distort6``); none of
these changes the training. ``--train-seed`` seeds the training apart from
the split and the test sets. ``--augmentations flip rotate scale`` augments every
training set (the paper's COIL-100 run used random grid distortions and
left-right flips); ``--decay-fraction 0.2`` holds the learning rate, then
decays it linearly to 0 over the last 20% of ``--max-iter``;
``--ema-decay 0.999`` validates, checkpoints and keeps a moving average of
the weights (``LearnedClusterer(ema_decay=0.999)``, not in the paper).
``--downsample 4`` replaces every image by the means of its 4x4 pixel blocks,
each repeated over its block, so that the network and the image size stay
the same and only the detail finer than 4 pixels is lost. COIL-100's 32x32
images then hold the detail of 8x8 ones: a quarter in each direction, as
32x32 is of the paper's 128x128. ``--pool 4`` gives the CNN the same 4x4
block means at their own size (8x8): the training sets are augmented at
32x32, then average-pooled in front of the CNN of Table III scaled to 8x8;
a training step of 4 x 128 then takes about a sixth of the CPU time.

Training stops at ``--max-iter`` iterations or after ``--budget-minutes`` of
wall-clock time, whichever comes first; both are recorded.

Results are appended to ``benchmarks/results/learned_<dataset>.json`` (+ ``.md``).
"""

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone

import joblib
import numpy as np
import torch
from sklearn.cluster import KMeans
from torch import nn

from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster._base import image_shape_of, seeded_torch
from sklearn_deepcluster._set_sampling import class_members, sample_sets_from_classes
from sklearn_deepcluster.modules.layers import as_images
from sklearn_deepcluster.modules.set_network import ConvEmbedding
from sklearn_deepcluster.set_transforms import flip_images, random_distortions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learned_point_sets import (OPTIMIZERS, RESULTS, TimeBudget,  # noqa: E402
                                add_decay_fraction, add_optimizer, best_iteration,
                                decay_note, final_decay_scheduler, score_orderings,
                                scores, set_order_note, write_table)
from run import load, read_records, recorded_command  # noqa: E402


def test_sets(X, y, n_sets, set_size, max_clusters, seed):
    """``n_sets`` sets sampled from the classes of ``y`` as in section V (seeded)."""
    _, labels = np.unique(y, return_inverse=True)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        index, set_labels = sample_sets_from_classes(
            class_members(torch.from_numpy(labels.astype(np.int64))), n_sets, set_size,
            max_clusters, 2)
    return X[index.numpy()], set_labels.numpy()


def block_means(X, factor):
    """Each image of ``X`` (..., H, W) as the means of its ``factor`` x ``factor`` blocks,
    repeated over each block so that the shape is unchanged; ``factor`` divides H and W."""
    *lead, h, w = X.shape
    small = X.reshape(*lead, h // factor, factor, w // factor, factor).mean(axis=(-3, -1))
    return small.repeat(factor, axis=-2).repeat(factor, axis=-1)


class PooledConvEmbedding(nn.Module):
    """The CNN of Table III on the images average-pooled by ``factor``.

    Takes flat examples ``(m, C*H*W)`` of ``image_shape`` (C, H, W);
    ``factor`` divides H and W.
    """

    def __init__(self, image_shape, factor):
        super().__init__()
        self.image_shape = tuple(image_shape)
        channels, height, width = self.image_shape
        self.pool = nn.AvgPool2d(factor)
        self.conv = ConvEmbedding((channels, height // factor, width // factor))
        self.out_features = self.conv.out_features

    def forward(self, x):
        return self.conv(self.pool(as_images(x, self.image_shape)).flatten(1))


def predict_given_true_k(estimator, X_sets, y_sets):
    """The network's labels for each set, given that set's true number of clusters."""
    return [estimator.predict(x, n_clusters=len(np.unique(t))) for x, t in zip(X_sets, y_sets)]


def predict_with(estimator, X_sets, **params):
    """Labels of each set predicted with the estimator's ``params`` set for the call.

    E.g. ``set_transforms=[flip_images]`` reads each set with its mirror image.
    The estimator's own parameters are restored afterwards.
    """
    own = {name: getattr(estimator, name) for name in params}
    estimator.set_params(**params)
    try:
        return [estimator.predict(x) for x in X_sets]
    finally:
        estimator.set_params(**own)


def add_reading_options(parser):
    """``--flip``, ``--pairwise`` and ``--distortions``: extra ways to read the test sets."""
    parser.add_argument("--flip", action="store_true",
                        help="coil100: also predict with set_transforms=[flip_images] (each set "
                             "and its mirror image; row learned_flip)")
    parser.add_argument("--pairwise", action="store_true",
                        help="also predict with decoding='pairwise' (row learned_pairwise; with "
                             "--flip also learned_pairwise_flip)")
    parser.add_argument("--distortions", type=int, default=0, metavar="N",
                        help="with --pairwise: also predict with set_transforms=[flip_images] + "
                             "random_distortions(N) (row learned_pairwise_flip_distortN)")


def check_reading_options(parser, args):
    """Usage errors of ``add_reading_options``' options."""
    if args.distortions and not args.pairwise:
        parser.error("--distortions is for --pairwise")
    if args.distortions < 0:
        parser.error("--distortions must be at least 0")


def extra_readings(estimator, X_sets, args):
    """Labels of each set for the rows that ``add_reading_options``' options ask for."""
    rows = {}
    if args.flip:
        rows["learned_flip"] = predict_with(estimator, X_sets, set_transforms=[flip_images])
    if args.pairwise:
        rows["learned_pairwise"] = predict_with(estimator, X_sets, decoding="pairwise")
    if args.pairwise and args.flip:
        rows["learned_pairwise_flip"] = predict_with(estimator, X_sets, decoding="pairwise",
                                                     set_transforms=[flip_images])
    if args.distortions:
        rows[f"learned_pairwise_flip_distort{args.distortions}"] = predict_with(
            estimator, X_sets, decoding="pairwise",
            set_transforms=[flip_images] + random_distortions(args.distortions))
    return rows


def kmeans_on_pixels(X_sets, y_sets):
    """KMeans on each set's raw pixels, given its true number of clusters."""
    return [KMeans(len(np.unique(t)), n_init=10, random_state=0).fit_predict(
        x.reshape(len(x), -1)) for x, t in zip(X_sets, y_sets)]


def image_set_budget(record):
    """The training run of an image-set record, in a few words."""
    t = record["train"]
    return (f"{t['embedding']} + {t['n_layers']}x{t['hidden_size']}, "
            f"{t['sets_per_batch']} sets/batch, {t['n_iter']} it "
            f"({t['fit_seconds'] / 60:.0f} min wall, {t['fit_cpu_seconds'] / 60:.0f} min CPU)"
            f"{decay_note(t)}{set_order_note(t)}{augmentation_note(t)}{downsample_note(t)}"
            f"{ema_note(t)}{optimizer_note(t)}"
            f"{seed_note(record)}"
            f"{held_out_digits_note(record)}")


def held_out_digits_note(record):
    """For MNIST with early stopping, the held-out digits and the iteration kept."""
    digits = record["split"].get("validation_digits")
    if not digits:
        return ""
    return (f", early stopping on digit{'s' if len(digits) > 1 else ''} "
            f"{', '.join(map(str, digits))} (best at {record['train']['best_iter']} it)")


def seed_note(record):
    """``", --seed 2"`` for a record of another seed than 0 (for COIL-100: another object split)."""
    seed = record.get("seed", 0)
    return f", --seed {seed}" if seed else ""


def downsample_note(train):
    """``", --downsample 4 (4x4 block means)"`` for a ``--downsample`` run, likewise
    for ``--pool``, else nothing."""
    notes = [f", --{option} {factor} ({factor}x{factor} block means)"
             for option in ("downsample", "pool") if (factor := train.get(option, 1)) > 1]
    return "".join(notes)


def ema_note(train):
    """``", weights averaged (EMA 0.999)"`` for an ``--ema-decay`` run, else nothing."""
    decay = train.get("ema_decay")
    return "" if decay is None else f", weights averaged (EMA {decay})"


def optimizer_note(train):
    """``", adadelta lr 5.0"`` for a run not trained with Adam, else nothing."""
    name = train.get("optimizer", "adam")
    return "" if name == "adam" else f", {name} lr {train['lr']}"


def augmentation_note(train):
    """``", augmented: flip, rotate"`` when training sets were augmented, else nothing."""
    names = train.get("augmentations")
    return f", augmented: {', '.join(names)}" if names else ""


def image_set_methods(record):
    """The scored entries of an image-set record, in table order."""
    orderings = sorted((n for n in record if n.startswith("learned_n_orderings")),
                       key=lambda n: int(n.rsplit("_", 1)[1]))
    distorted = sorted(n for n in record if n.startswith("learned_pairwise_flip_distort"))
    return ["learned", "learned_true_k", *orderings, "learned_flip", "learned_pairwise",
            "learned_pairwise_flip", *distorted, "kmeans_true_k_pixels",
            "learned_on_training_digits"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["mnist", "coil100"], required=True)
    parser.add_argument("--train-classes", type=int, nargs="+", default=list(range(7)),
                        help="mnist: the training digits")
    parser.add_argument("--max-clusters", type=int, default=None,
                        help="default: 3 for mnist, 5 for coil100")
    parser.add_argument("--set-size", type=int, default=20)
    parser.add_argument("--embedding", default=None, help="default: mlp (mnist), conv (coil100)")
    parser.add_argument("--n-layers", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--sets-per-batch", type=int, default=32)
    parser.add_argument("--max-iter", type=int, default=1500)
    add_optimizer(parser)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--budget-minutes", type=float, default=30.0,
                        help="wall-clock limit of the training run")
    parser.add_argument("--orderings", type=int, nargs="+", default=[],
                        help="also score the network reading each test set in this many "
                             "orders (LearnedClusterer's n_orderings)")
    parser.add_argument("--set-order", choices=["given", "principal"], default="given",
                        help="LearnedClusterer's set_order")
    add_decay_fraction(parser)
    parser.add_argument("--augmentations", nargs="+", default=None, metavar="NAME",
                        help="LearnedClusterer's augmentations (sklearn_deepcluster.augment), "
                             "applied to every training set")
    add_reading_options(parser)
    parser.add_argument("--validation-fraction", type=float, default=None, metavar="F",
                        help="LearnedClusterer's validation_fraction: the share of the training "
                             "classes held out for early stopping; default 0 for mnist, "
                             "1/9 for coil100 (its 10 validation objects)")
    parser.add_argument("--downsample", type=int, default=1, metavar="F",
                        help="keep only the detail of images F times smaller (block means)")
    parser.add_argument("--pool", type=int, default=1, metavar="F",
                        help="conv embedding on the images average-pooled by F (see above)")
    parser.add_argument("--ema-decay", type=float, default=None, metavar="D",
                        help="LearnedClusterer's ema_decay: validate and keep a moving average "
                             "of the weights")
    parser.add_argument("--seed", type=int, default=0,
                        help="the object split (coil100), the test sets and, unless "
                             "--train-seed, the training")
    parser.add_argument("--train-seed", type=int, default=None, metavar="S",
                        help="seed of the training alone (initialisation, sets, held-out "
                             "classes); default --seed")
    parser.add_argument("--save-model", metavar="PATH",
                        help="pickle the fitted estimator there (joblib)")
    parser.add_argument("--out", default=None,
                        help="results file; default benchmarks/results/learned_<dataset>.json")
    args = parser.parse_args(argv)
    if args.decay_fraction is not None and not 0 < args.decay_fraction <= 1:
        parser.error("--decay-fraction must be in (0, 1]")
    if args.downsample < 1 or args.pool < 1:
        parser.error("--downsample and --pool must be at least 1")
    if (args.flip or args.distortions) and args.dataset != "coil100":
        parser.error("--flip and --distortions are for coil100: a mirrored digit is not the "
                     "same digit")
    check_reading_options(parser, args)
    train_seed = args.seed if args.train_seed is None else args.train_seed

    X, y = load(args.dataset, 0)
    h, w = X.shape[-2:]
    for option, factor in (("downsample", args.downsample), ("pool", args.pool)):
        if h % factor or w % factor:
            parser.error(f"--{option} {factor} does not divide the {h}x{w} images")
    if args.downsample > 1:
        X = block_means(X, args.downsample)
    default_validation = 0.0 if args.dataset == "mnist" else 1 / 9
    validation_fraction = (default_validation if args.validation_fraction is None
                           else args.validation_fraction)
    if args.dataset == "mnist":
        max_clusters = args.max_clusters or 3
        embedding = args.embedding or "mlp"
        train = np.isin(y, args.train_classes)
        train[60000:] = False
        test = ~np.isin(y, args.train_classes)
        test[:60000] = False
        split = {"train_digits": args.train_classes,
                 "test_digits": sorted(set(range(10)) - set(args.train_classes))}
    else:
        max_clusters = args.max_clusters or 5
        embedding = args.embedding or "conv"
        objects = np.random.RandomState(args.seed).permutation(100)
        train = np.isin(y, objects[:90])
        test = np.isin(y, objects[90:])
        split = {"test_objects": sorted(objects[90:].tolist())}
    if args.pool > 1:
        if embedding != "conv":
            parser.error("--pool is for the conv embedding")
        with seeded_torch(train_seed):
            pooled = PooledConvEmbedding(image_shape_of(X), args.pool)
    # flat examples for the fully connected embedding, with their image shape
    # (which augmenting them needs)
    image_shape = X.shape[1:] if embedding == "mlp" else None
    if embedding == "mlp":
        X = X.reshape(len(X), -1)
    X_test, y_test = test_sets(X[test], y[test], 300, args.set_size, max_clusters,
                               10_000 + args.seed)
    if args.dataset == "mnist":
        # diagnostic: sets of the training digits, from the (unseen) test-split images
        seen = np.isin(y, args.train_classes)
        seen[:60000] = False
        X_seen, y_seen = test_sets(X[seen], y[seen], 300, args.set_size, max_clusters,
                                   20_000 + args.seed)

    callbacks = [TimeBudget(60 * args.budget_minutes)]
    if args.decay_fraction is not None:
        callbacks.append(final_decay_scheduler(args.max_iter, args.decay_fraction))
    est = LearnedClusterer(max_clusters=max_clusters, set_size=args.set_size,
                           embedding=pooled if args.pool > 1 else embedding,
                           image_shape=image_shape, n_layers=args.n_layers,
                           hidden_size=args.hidden_size, sets_per_batch=args.sets_per_batch,
                           max_iter=args.max_iter, validation_fraction=validation_fraction,
                           optimizer=OPTIMIZERS[args.optimizer], lr=args.lr,
                           set_order=args.set_order,
                           augmentations=args.augmentations, ema_decay=args.ema_decay,
                           callbacks=callbacks, random_state=train_seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    est.fit(X[train], y[train])
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = time.process_time() - cpu_start
    if args.save_model:
        joblib.dump(est, args.save_model)
    early_stopping = {}
    if est.validation_classes_ is not None:
        held_out = "validation_objects" if args.dataset == "coil100" else "validation_digits"
        split[held_out] = est.validation_classes_.tolist()
        early_stopping = {"best_iter": best_iteration(est)}
    learned = [est.predict(x) for x in X_test]
    given_k = predict_given_true_k(est, X_test, y_test)
    orderings = {f"learned_n_orderings_{r}": s for r, (s, _) in
                 score_orderings(est, X_test, y_test, args.orderings).items()}
    readings = {name: scores(y_test, labels)
                for name, labels in extra_readings(est, X_test, args).items()}
    kmeans = kmeans_on_pixels(X_test, y_test)

    record = {
        "benchmark": f"learned_{args.dataset}", "split": split, "n_test_sets": len(X_test),
        "set_size": args.set_size, "max_clusters": max_clusters, "seed": args.seed,
        "train": {"embedding": embedding, "n_layers": args.n_layers,
                  "hidden_size": args.hidden_size, "sets_per_batch": args.sets_per_batch,
                  "max_iter": args.max_iter, "n_iter": est.n_iter_,
                  **early_stopping,
                  "optimizer": args.optimizer,
                  "lr": args.lr, "validation_fraction": validation_fraction,
                  "set_order": args.set_order, "decay_fraction": args.decay_fraction,
                  "augmentations": args.augmentations, "downsample": args.downsample,
                  "pool": args.pool, "ema_decay": args.ema_decay, "random_state": train_seed,
                  "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds,
                  "budget_minutes": args.budget_minutes,
                  "final_train_loss": float(est.history_[-1]["train_loss"])},
        "learned": scores(y_test, learned),
        "learned_true_k": scores(y_test, given_k),
        **orderings,
        **readings,
        "kmeans_true_k_pixels": scores(y_test, kmeans),
        **({"learned_on_training_digits": scores(y_seen, [est.predict(x) for x in X_seen])}
           if args.dataset == "mnist" else {}),
        "command": recorded_command(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "torch_threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }
    out = args.out or os.path.join(RESULTS, f"learned_{args.dataset}.json")
    records = read_records(out)
    records.append(record)
    json.dump(records, open(out, "w"), indent=1)
    sys.stdout.write(write_table(records, out, image_set_budget, image_set_methods))


if __name__ == "__main__":
    # Run as the module learned_image_sets, not as __main__, so that --save-model pickles
    # PooledConvEmbedding (--pool) under a name that another script can import.
    import learned_image_sets
    learned_image_sets.main()
