"""Benchmark CLI: DEC, DDC and TripletDEC on any data set, beside KMeans.

Example::

    python benchmarks/run.py --estimator dec --dataset mnist --n-samples 70000 --seeds 0 1 2

``--retention R`` makes the data imbalanced as paper 002 §4.5
(:func:`sklearn_deepcluster.datasets.make_imbalanced`, applied after the
subset of ``--n-samples``; the record's ``n_samples`` is the size kept).
``--standardize`` shifts and scales the pixels to zero mean and unit variance
over the whole data set, as paper 002 §4.3 prepares its images
(``TripletDECClustering`` does so itself unless ``standardize=False``).

Each (estimator, seed) fit runs in a fresh process so that ``peak_memory_mb``
is that fit's own peak resident memory (with ``n_jobs`` > 1 the estimator's
worker processes are not counted). Records are appended to
``benchmarks/results/<estimator>_<dataset>[_r<R>][_std]_<n or all>.json`` (or
``--out``) and a markdown table of every record in that file is written beside
it. Each record holds the parameters given (``params``) and every parameter the
estimator ran with (``estimator_params``), so a record stays readable after a
default changes. LearnedClusterer, trained on labelled sets, has its own
scripts (``learned_point_sets.py``, ``learned_image_sets.py``).
"""

import argparse
import ast
import json
import multiprocessing
import os
import platform
import resource
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone

import numpy as np

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
DATA_DIR = os.environ.get("SKLEARN_DEEPCLUSTER_DATA",
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                       "shared", "data"))


#: The data sets ``load`` knows, and the estimators ``make_estimator`` builds.
DATASETS = ("circles", "digits", "mnist", "mnist-test", "usps", "coil20", "coil100")
ESTIMATORS = ("kmeans", "dec", "dec-conv", "ddc", "ddc-mlp", "triplet-dec")


def recorded_command():
    """This process's command line, quoted so that it can be pasted into a shell."""
    return shlex.join([os.path.basename(sys.executable), *sys.argv])


def parse_param(item):
    """``key=value`` from ``--param``: a Python literal, or else the plain string.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``item`` has no ``=``, so that argparse reports a usage error.
    """
    if "=" not in item:
        raise argparse.ArgumentTypeError(f"expected key=value, got {item!r}")
    key, value = item.split("=", 1)
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def read_records(out):
    """The records already in the results file ``out`` (none if it is new); makes its folder."""
    os.makedirs(os.path.dirname(out) or os.curdir, exist_ok=True)
    return json.load(open(out)) if os.path.exists(out) else []


def table_path(out):
    """The markdown table written beside the results file ``out``."""
    return os.path.splitext(out)[0] + ".md"


def load(dataset, n_samples, retention=None, seed_for_subset=0):
    """Images scaled to [0, 1] as (n, H, W) or (n, C, H, W); digits as (n, 8, 8).

    ``retention`` (r_min of paper 002 §4.5) subsamples the classes linearly
    from r_min to 1 after the random subset of ``n_samples``.
    """
    from sklearn.datasets import load_digits

    from sklearn_deepcluster import datasets

    if dataset == "circles":  # paper 000 Fig. 3: a small circle inside a ring
        from sklearn.datasets import make_circles
        X, y = make_circles(n_samples or 1000, factor=0.3, noise=0.05, random_state=0)
    elif dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).reshape(-1, 8, 8)
    elif dataset in ("mnist", "mnist-test"):
        X, y = datasets.load_mnist(data_home=DATA_DIR, return_X_y=True)
        if dataset == "mnist-test":
            X, y = X[60000:], y[60000:]
        X = X / 255.0
    elif dataset == "usps":
        X, y = datasets.load_usps(data_home=DATA_DIR, return_X_y=True)
    elif dataset == "coil20":
        X, y = datasets.load_coil20(size=32, data_home=DATA_DIR, return_X_y=True)
    elif dataset == "coil100":
        X, y = datasets.load_coil100(data_home=DATA_DIR, return_X_y=True)
        X = X / 255.0
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    X = np.asarray(X, dtype=np.float32)
    if n_samples and n_samples < len(X):
        idx = np.random.RandomState(seed_for_subset).permutation(len(X))[:n_samples]
        X, y = X[idx], y[idx]
    if retention is not None:
        X, y = datasets.make_imbalanced(X, y, retention=retention, random_state=seed_for_subset)
    return X, np.asarray(y)


def make_estimator(name, n_clusters, seed, params):
    """The registry: name -> (estimator, input layout)."""
    from sklearn.cluster import KMeans

    import sklearn_deepcluster as sdc

    registry = {
        "kmeans": (lambda: KMeans(n_clusters, n_init=20, random_state=seed), "flat"),
        "dec": (lambda: sdc.DECClustering(n_clusters, random_state=seed), "flat"),
        "dec-conv": (lambda: sdc.DECClustering(n_clusters, architecture="conv",
                                               random_state=seed), "image"),
    }
    for name_, cls, layout in (("ddc", sdc.DDCClustering, "image"),
                               ("ddc-mlp", sdc.DDCClustering, "flat"),
                               ("triplet-dec", sdc.TripletDECClustering, "image")):
        registry[name_] = (lambda c=cls: c(n_clusters, random_state=seed), layout)
    if name not in registry:
        raise ValueError(f"unknown estimator {name!r}; known: {sorted(registry)}")
    factory, layout = registry[name]
    return factory().set_params(**params), layout


def fit_one(job):
    """Fit one estimator with one seed (in its own process) and score it."""
    from joblib.externals.loky import get_reusable_executor
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from sklearn_deepcluster.metrics import clustering_accuracy

    X, y = load(job["dataset"], job["n_samples"], job["retention"])
    if job.get("standardize"):
        X = (X - X.mean()) / X.std()
    estimator, layout = make_estimator(job["estimator"], len(np.unique(y)), job["seed"],
                                       job["params"])
    if layout == "flat":
        X = X.reshape(len(X), -1)
    start = time.perf_counter()
    labels = estimator.fit_predict(X)
    seconds = time.perf_counter() - start
    # With n_jobs > 1 joblib leaves idle loky workers behind, and this process
    # would wait for their 5-minute idle timeout before it can exit.
    get_reusable_executor().shutdown(wait=True)
    record = {
        "estimator": job["estimator"], "dataset": job["dataset"], "n_samples": len(X),
        "retention": job["retention"], "standardize": job.get("standardize", False),
        "seed": job["seed"], "acc": clustering_accuracy(y, labels),
        "nmi": normalized_mutual_info_score(y, labels), "ari": adjusted_rand_score(y, labels),
        "fit_seconds": seconds,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params": {k: repr(v) for k, v in job["params"].items()},
        "estimator_params": {k: repr(v) for k, v in estimator.get_params(deep=False).items()},
        "n_iter": getattr(estimator, "n_iter_", None),
        "loss": getattr(estimator, "loss_", None),
    }
    if hasattr(estimator, "run_labels_"):  # every n_init run, e.g. to compare DDC with DDC-VOTE
        record["run_acc"] = [clustering_accuracy(y, lab) for lab in estimator.run_labels_]
        record["run_nmi"] = [normalized_mutual_info_score(y, lab) for lab in estimator.run_labels_]
        record["run_loss"] = [float(v) for v in estimator.run_losses_]
    return record


def gpu_name(params):
    """The GPU's name and torch's version, for the record, when the fits run on a GPU."""
    import torch

    device = str(params.get("device", "cpu"))
    if (device == "auto" or device.startswith("cuda")) and torch.cuda.is_available():
        return f", {torch.cuda.get_device_name()}, torch {torch.__version__}"
    return ""


def markdown(records):
    groups = {}
    for r in records:
        params = json.dumps(r["params"], sort_keys=True)
        if r.get("note"):
            params += f" ({r['note']})"
        if r.get("standardize"):
            params += " standardized"
        key = (r["estimator"], r["dataset"], r.get("retention"), r["n_samples"], params)
        groups.setdefault(key, []).append(r)
    lines = ["| estimator | dataset | r_min | n | params | seeds | ACC | NMI | ARI | fit s "
             "| peak MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (est, data, retention, n, params), rs in groups.items():
        def stat(k):
            v = np.array([r[k] for r in rs])
            return f"{v.mean():.3f} ± {v.std():.3f}"
        lines.append(f"| {est} | {data} | {retention if retention is not None else ''} | {n} "
                     f"| {params} | {','.join(str(r['seed']) for r in rs)} "
                     f"| {stat('acc')} | {stat('nmi')} | {stat('ari')} "
                     f"| {np.mean([r['fit_seconds'] for r in rs]):.1f} "
                     f"| {max(r['peak_memory_mb'] for r in rs):.0f} |")
    notes = [lowest_loss_note(params, rs) for (_, _, _, _, params), rs in groups.items()
             if all(len(r.get("run_loss", ())) > 1 for r in rs)]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def lowest_loss_note(params, records):
    """ACC and NMI of each fit's lowest-loss run among its ``n_init`` (DDC's selection, §4.5).

    With ``vote`` the table shows the vote; this line shows the run that the
    loss alone would have kept, read from each record's ``run_loss``.
    """
    chosen = [int(np.argmin(r["run_loss"])) for r in records]
    acc = np.array([r["run_acc"][i] for r, i in zip(records, chosen)])
    nmi = np.array([r["run_nmi"][i] for r, i in zip(records, chosen)])
    return (f"{params}, the lowest-loss of the {len(records[0]['run_loss'])} runs, per seed: "
            f"ACC {' / '.join(f'{a:.3f}' for a in acc)} ({acc.mean():.3f} ± {acc.std():.3f}), "
            f"NMI {nmi.mean():.3f} ± {nmi.std():.3f}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimator", required=True, choices=ESTIMATORS)
    parser.add_argument("--dataset", required=True, choices=DATASETS,
                        help="mnist-test: the 10,000 MNIST test images")
    parser.add_argument("--n-samples", type=int, default=0, help="0: the whole data set")
    parser.add_argument("--retention", type=float, default=None,
                        help="r_min of paper 002 §4.5: make the classes imbalanced")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one fit per seed (default: 0 1 2)")
    parser.add_argument("--param", action="append", default=[], type=parse_param,
                        help="estimator parameter as key=value, the value a Python literal "
                             "or else a string, e.g. max_epochs=10 or device=cuda (repeatable)")
    parser.add_argument("--standardize", action="store_true",
                        help="zero mean and unit variance over all pixels (paper 002 §4.3)")
    parser.add_argument("--no-baseline", action="store_true", help="skip KMeans on the same data")
    parser.add_argument("--out", help="results file (json); default from the arguments")
    args = parser.parse_args(argv)

    params = dict(args.param)
    imbalance = "" if args.retention is None else f"_r{args.retention:g}"
    standardized = "_std" if args.standardize else ""
    out = args.out or os.path.join(
        RESULTS, f"{args.estimator}_{args.dataset}{imbalance}{standardized}_"
                 f"{args.n_samples or 'all'}.json")
    records = read_records(out)

    jobs = [dict(estimator=args.estimator, dataset=args.dataset, n_samples=args.n_samples,
                 retention=args.retention, standardize=args.standardize, seed=s, params=params)
            for s in args.seeds]
    if not args.no_baseline:
        jobs += [dict(estimator="kmeans", dataset=args.dataset, n_samples=args.n_samples,
                      retention=args.retention, standardize=args.standardize, seed=s, params={})
                 for s in args.seeds]
    context = multiprocessing.get_context("spawn")
    meta = {"command": recorded_command(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cpus{gpu_name(params)}",
            "torch_threads": os.environ.get("OMP_NUM_THREADS", "default")}
    for job in jobs:
        # A fresh (non-daemonic) process per fit: its peak memory is this fit's
        # alone, and the estimator's own n_jobs can still start workers.
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            record = pool.submit(fit_one, job).result()
        record.update(meta)
        records.append(record)
        print(json.dumps({k: record[k] for k in ("estimator", "dataset", "n_samples", "seed",
                                                 "acc", "nmi", "ari", "fit_seconds")}),
              flush=True)
        json.dump(records, open(out, "w"), indent=1)
        open(table_path(out), "w").write(markdown(records))
    print(markdown(records))


if __name__ == "__main__":
    main()
