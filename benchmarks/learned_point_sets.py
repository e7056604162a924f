"""LearnedClusterer on the 2-D point sets of paper 003 (section VI-A, Table II).

Trains on labelled point sets from ``make_point_sets`` (n = 72 points, 1-5
clusters) and evaluates on 300 fresh test sets: MR, NMI, normalised BBN and
the share of sets whose number of clusters is found exactly, beside KMeans
given the true k and DBSCAN (eps and min_samples chosen on 100 separate
tuning sets, the best NMI over a grid).

The paper trained the full network (14 layers of 288, 200 sets per batch,
Adadelta lr 5.0) for 128,700 iterations (123 h on a GPU). On this CPU the
default run is a reduced network and budget, stated in the results::

    OMP_NUM_THREADS=1 python benchmarks/learned_point_sets.py --n-layers 4 --hidden-size 128 \\
        --sets-per-batch 64 --max-iter 4000 --budget-minutes 45

(training stops at ``--max-iter`` iterations or after ``--budget-minutes`` of
wall-clock time, whichever comes first; both are recorded). ``--device cuda``
trains on a GPU; the committed GPU run (``learned_point_sets_cuda.md``)::

    python benchmarks/learned_point_sets.py --n-layers 6 --hidden-size 256 \
        --sets-per-batch 200 --max-iter 200000 --budget-minutes 6.5 --device cuda \
        --out benchmarks/results/learned_point_sets_cuda.json

Results are appended to ``benchmarks/results/learned_point_sets.json`` and
summarised in ``learned_point_sets.md``. ``--save-model PATH`` also pickles
the fitted estimator; its callbacks are this module's, so load it where
``benchmarks/`` is on the path (as ``learned_orderings.py`` does).
"""

import argparse
import json
import os
import platform
import sys
import time
from functools import partial
from datetime import datetime, timezone

import joblib
import numpy as np
import torch
from skorch.callbacks import Callback, LRScheduler
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import normalized_mutual_info_score
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR

from run import gpu_name, read_records, recorded_command, table_path
from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster.datasets import make_point_sets
from sklearn_deepcluster.metrics import bbn_score, misclassification_rate
from sklearn_deepcluster.set_transforms import square_rotations

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class TimeBudget(Callback):
    """Stop training after ``seconds`` of wall-clock time (checked after each epoch).

    skorch ends the fit as on a KeyboardInterrupt, so early stopping still
    restores the best parameters.
    """

    def __init__(self, seconds):
        self.seconds = seconds

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        if time.perf_counter() - self.start_ > self.seconds:
            raise KeyboardInterrupt


def best_iteration(est):
    """Iterations run up to the epoch of the lowest validation loss (the weights kept)."""
    best_epoch = int(np.argmin([row["valid_loss"] for row in est.history_])) + 1
    # validation_interval iterations per epoch, or max_iter when that is fewer
    return best_epoch * (est.n_iter_ // len(est.history_))


def final_decay(iteration, max_iter, fraction):
    """Learning-rate factor: 1, then linearly to 0 over the last ``fraction`` of ``max_iter``."""
    decay_start = (1 - fraction) * max_iter
    return min(1.0, max(0.0, (max_iter - iteration) / (max_iter - decay_start)))


def add_decay_fraction(parser):
    """The ``--decay-fraction F`` option: hold the lr, then decay it to 0 over the last F."""
    parser.add_argument("--decay-fraction", type=float, metavar="F",
                        help="keep the learning rate, then decay it linearly to 0 over the "
                             "last F of --max-iter iterations")


#: The ``--optimizer`` choices: paper 003 trains with Adadelta at lr 5.0 (section V).
OPTIMIZERS = {"adam": torch.optim.Adam, "adadelta": torch.optim.Adadelta}


def add_optimizer(parser):
    """The ``--optimizer`` option, one of :data:`OPTIMIZERS` (Adam by default)."""
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam",
                        help="adadelta is paper 003's (with --lr 5.0)")


def final_decay_scheduler(max_iter, fraction):
    """The skorch callback of ``--decay-fraction``: :func:`final_decay`, stepped per batch."""
    schedule = partial(final_decay, max_iter=max_iter, fraction=fraction)
    return LRScheduler(LambdaLR, lr_lambda=schedule, step_every="batch")


def scores(y_sets, label_sets):
    """Mean MR, NMI and normalised BBN over the sets, and the share with the exact k.

    ``nmi`` is scikit-learn's default (MI over the arithmetic mean of the two
    entropies), as in every committed record; ``nmi_geometric`` is paper 003's
    MI / sqrt(H(U) H(V)) (§VI), never below it.
    """
    pairs = list(zip(y_sets, label_sets))
    mr = [misclassification_rate(y, p) for y, p in pairs]
    nmi = [normalized_mutual_info_score(y, p) for y, p in pairs]
    nmi_geometric = [normalized_mutual_info_score(y, p, average_method="geometric")
                     for y, p in pairs]
    bbn = [bbn_score(y, p) for y, p in pairs]
    k_exact = [len(np.unique(y)) == len(np.unique(p)) for y, p in pairs]
    return {"mr": float(np.mean(mr)), "nmi": float(np.mean(nmi)),
            "nmi_geometric": float(np.mean(nmi_geometric)), "bbn": float(np.mean(bbn)),
            "k_exact": float(np.mean(k_exact))}


SCORE_COLUMNS = "MR | NMI | NMI (geometric) | BBN | k exact"


def table_head(*cells):
    """A text table's header row of ``cells`` and the rule under it."""
    header = f"| {' | '.join(cells)} |"
    return [header, "|" + "---|" * (header.count("|") - 1)]


def score_cells(s, digits=3):
    """The cells under ``SCORE_COLUMNS`` of a :func:`scores` result, for a text table."""
    cells = [f"{s[m]:.{digits}f}" for m in ("mr", "nmi", "nmi_geometric", "bbn")]
    return " | ".join(cells + [f"{s['k_exact']:.2f}"])


def score_orderings(estimator, X_sets, y_sets, orderings):
    """``{R: (scores, seconds)}``: the sets clustered with ``n_orderings=R`` for each R.

    The estimator's own ``n_orderings`` is restored afterwards.
    """
    results, kept = {}, estimator.n_orderings
    for n_orderings in orderings:
        estimator.set_params(n_orderings=n_orderings)
        start = time.perf_counter()
        labels = [estimator.predict(x) for x in X_sets]
        results[n_orderings] = (scores(y_sets, labels), time.perf_counter() - start)
    estimator.set_params(n_orderings=kept)
    return results


def tune_dbscan(X_sets, y_sets):
    """The (eps, min_samples) of a small grid with the best mean NMI on the tuning sets."""
    best = None
    for eps in (0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15):
        for min_samples in (2, 3, 4, 5):
            labels = [DBSCAN(eps=eps, min_samples=min_samples).fit_predict(x) for x in X_sets]
            nmi = np.mean([normalized_mutual_info_score(y, p) for y, p in zip(y_sets, labels)])
            if best is None or nmi > best[0]:
                best = (nmi, eps, min_samples)
    return best[1], best[2]


def set_order_note(train):
    """``", principal order"`` for a run with ``set_order="principal"``, else nothing."""
    return ", principal order" if train.get("set_order") == "principal" else ""


def decay_note(train):
    """``", lr decayed over the last 20%"`` for ``--decay-fraction 0.2``, else nothing.

    Says ``"(not reached)"`` when the time budget stopped training before the decay began.
    """
    fraction = train.get("decay_fraction")
    if not fraction:
        return ""
    reached = train["n_iter"] > train["max_iter"] * (1 - fraction)
    return f", lr decayed over the last {fraction:.0%}{'' if reached else ' (not reached)'}"


def point_set_budget(record):
    """The training run of a point-set record, in a few words."""
    t = record["train"]
    return (f"{t['n_layers']}x{t['hidden_size']}, {t['sets_per_batch']} sets/batch, "
            f"{t['n_iter']} it ({t['fit_seconds'] / 60:.0f} min wall, "
            f"{t['fit_cpu_seconds'] / 60:.0f} min CPU), {t['optimizer']}"
            f"{', ' + t['device'] if t.get('device', 'cpu') != 'cpu' else ''}"
            f"{' cosine' if t.get('cosine') else ''}"
            f"{decay_note(t)}{set_order_note(t)}")


def write_table(records, out, budget=point_set_budget,
                methods=("learned", "kmeans_true_k", "dbscan")):
    """Write the markdown table of ``records`` beside the results file ``out``; return it.

    ``budget(record)`` describes the training run, shown on the first
    method's row; ``methods`` (a tuple, or ``methods(record)``) names the
    scored entries of a record, in order; absent ones are skipped.
    """
    lines = table_head("method", "train", "MR", "NMI", "BBN", "k exact")
    for r in records:
        names = [n for n in (methods(r) if callable(methods) else methods) if n in r]
        for name in names:
            s = r[name]
            lines.append(f"| {name} | {budget(r) if name == names[0] else ''} | {s['mr']:.3f} "
                         f"| {s['nmi']:.3f} | {s['bbn']:.3f} | {s['k_exact']:.2f} |")
    table = "\n".join(lines) + "\n"
    open(table_path(out), "w").write(table)
    return table


def saved_model_parser(doc, out_name):
    """The command line of a script that scores a model saved by ``--save-model``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--model", required=True, help="a pickled LearnedClusterer")
    parser.add_argument("--seed", type=int, default=0,
                        help="the --seed of learned_point_sets.py (picks its test sets)")
    parser.add_argument("--note", default="", help="what the model is, for the table")
    parser.add_argument("--out", default=os.path.join(RESULTS, out_name))
    parser.add_argument("--rotations", action="store_true",
                        help="predict with set_transforms=square_rotations() (each set and its "
                             "three quarter turns)")
    return parser


def load_saved_model(args):
    """The model of ``args.model`` and the 300 test sets its run was scored on.

    With ``args.rotations``, the model predicts with ``set_transforms=square_rotations()``.
    """
    estimator = joblib.load(args.model)  # its callbacks are this module's
    vars(estimator).setdefault("set_transforms", None)  # saved before the parameter existed
    if args.rotations:
        estimator.set_params(set_transforms=square_rotations())
    X_test, y_test = make_point_sets(n_sets=300, random_state=10_000 + args.seed)
    return estimator, X_test, y_test


def text_header(estimator, note):
    """The first lines of a text result: date, machine, threads, command, model."""
    return [f"## {datetime.now(timezone.utc).isoformat(timespec='seconds')}, "
            f"{platform.machine()} {os.cpu_count()} cpus, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')}",
            f"command: {recorded_command()}",
            f"model: {estimator.n_layers}x{estimator.hidden_size}, {estimator.n_iter_} "
            f"iterations, set_order={estimator.set_order!r}"
            f"{', set_transforms=square_rotations()' if estimator.set_transforms else ''}. "
            f"{note}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-layers", type=int, default=4)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--sets-per-batch", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=5000)
    parser.add_argument("--budget-minutes", type=float, default=45.0,
                        help="wall-clock limit of the training run")
    parser.add_argument("--n-train-sets", type=int, default=100_000)
    add_optimizer(parser)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--cosine", action="store_true",
                        help="anneal the learning rate to 0 over --max-iter iterations")
    add_decay_fraction(parser)
    parser.add_argument("--set-order", choices=["given", "principal"], default="given",
                        help="LearnedClusterer's set_order")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="torch device of the network")
    parser.add_argument("--out", default=os.path.join(RESULTS, "learned_point_sets.json"))
    parser.add_argument("--save-model", metavar="PATH",
                        help="pickle the fitted estimator there (joblib)")
    args = parser.parse_args(argv)
    if args.cosine and args.decay_fraction is not None:
        parser.error("--cosine and --decay-fraction are two schedules: choose one")
    if args.decay_fraction is not None and not 0 < args.decay_fraction <= 1:
        parser.error("--decay-fraction must be in (0, 1]")

    X_train, y_train = make_point_sets(n_sets=args.n_train_sets, random_state=args.seed)
    X_test, y_test = make_point_sets(n_sets=300, random_state=10_000 + args.seed)
    X_tune, y_tune = make_point_sets(n_sets=100, random_state=20_000 + args.seed)

    optimizer = OPTIMIZERS[args.optimizer]
    callbacks = [TimeBudget(60 * args.budget_minutes)]
    if args.cosine:
        callbacks.append(LRScheduler(CosineAnnealingLR, T_max=args.max_iter, step_every="batch"))
    if args.decay_fraction is not None:
        callbacks.append(final_decay_scheduler(args.max_iter, args.decay_fraction))
    est = LearnedClusterer(max_clusters=5, n_layers=args.n_layers, hidden_size=args.hidden_size,
                           sets_per_batch=args.sets_per_batch, max_iter=args.max_iter,
                           validation_fraction=0.01, optimizer=optimizer, lr=args.lr,
                           set_order=args.set_order, callbacks=callbacks, device=args.device,
                           random_state=args.seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    est.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = time.process_time() - cpu_start
    if args.save_model:
        joblib.dump(est, args.save_model)
    start = time.perf_counter()
    learned = [est.predict(x) for x in X_test]
    predict_seconds = time.perf_counter() - start

    kmeans = [KMeans(len(np.unique(y)), n_init=10, random_state=0).fit_predict(x)
              for x, y in zip(X_test, y_test)]
    eps, min_samples = tune_dbscan(X_tune, y_tune)
    dbscan = [DBSCAN(eps=eps, min_samples=min_samples).fit_predict(x) for x in X_test]

    record = {
        "benchmark": "learned_point_sets", "n_test_sets": len(X_test), "n_points": 72,
        "max_clusters": 5, "seed": args.seed,
        "train": {"n_layers": args.n_layers, "hidden_size": args.hidden_size,
                  "sets_per_batch": args.sets_per_batch, "max_iter": args.max_iter,
                  "n_iter": est.n_iter_, "best_iter": best_iteration(est),
                  "n_train_sets": args.n_train_sets, "optimizer": args.optimizer,
                  "lr": args.lr, "cosine": args.cosine,
                  "decay_fraction": args.decay_fraction, "set_order": args.set_order,
                  "fit_seconds": fit_seconds,
                  "fit_cpu_seconds": fit_cpu_seconds,
                  "budget_minutes": args.budget_minutes, "device": args.device,
                  "final_valid_loss": float(est.history_[-1]["valid_loss"]),
                  "best_valid_loss": float(min(r["valid_loss"] for r in est.history_))},
        "predict_seconds_300_sets": predict_seconds,
        "learned": scores(y_test, learned),
        "kmeans_true_k": scores(y_test, kmeans),
        "dbscan": {**scores(y_test, dbscan), "eps": eps, "min_samples": min_samples},
        "command": recorded_command(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus{gpu_name(vars(args))}",
        "torch_threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }
    records = read_records(args.out)
    records.append(record)
    json.dump(records, open(args.out, "w"), indent=1)
    sys.stdout.write(write_table(records, args.out))


if __name__ == "__main__":
    # Run as the module learned_point_sets, not as __main__, so that --save-model pickles
    # TimeBudget and final_decay under a name that another script can import.
    import learned_point_sets
    learned_point_sets.main()
