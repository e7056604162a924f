"""Where a trained LearnedClusterer's errors are on the 300 test point sets.

Takes a model saved by ``learned_point_sets.py --save-model`` and scores it on
the same 300 test sets as that script, split two ways:

- by the true number of clusters k: MR, NMI, the share of sets whose
  estimated k (``predict_n_clusters(X).argmax() + 1``) is right, and the
  share whose labels take exactly k distinct values (the benchmark's
  ``k exact``, which also misses a right estimate that leaves a cluster
  index unused);
- by whether the estimated k is right: how much of the total MR comes from
  sets with a wrong estimate, and the MR of the assignments alone::

    python benchmarks/learned_point_sets.py ... --save-model /tmp/point_sets.joblib
    OMP_NUM_THREADS=1 python benchmarks/learned_errors.py --model /tmp/point_sets.joblib

Appends its tables to ``benchmarks/results/learned_errors.txt``.
"""

import numpy as np

from learned_point_sets import load_saved_model, saved_model_parser, scores, text_header


def error_breakdown(estimator, X_sets, y_sets):
    """The two tables of the module docstring, as lists of markdown lines."""
    labels = [estimator.predict(x) for x in X_sets]
    estimated_k = np.array([estimator.predict_n_clusters(x).argmax() + 1 for x in X_sets])
    true_k = np.array([len(np.unique(y)) for y in y_sets])
    set_scores = [scores([y], [p]) for y, p in zip(y_sets, labels)]
    mr = np.array([s["mr"] for s in set_scores])
    nmi = np.array([s["nmi"] for s in set_scores])
    k_exact = np.array([s["k_exact"] for s in set_scores])

    by_k = ["| true k | sets | MR | NMI | k estimated right | k exact (labels) |",
            "|---|---|---|---|---|---|"]
    for k in np.unique(true_k):
        m = true_k == k
        by_k.append(f"| {k} | {m.sum()} | {mr[m].mean():.3f} | {nmi[m].mean():.3f} | "
                    f"{(estimated_k[m] == k).mean():.2f} | {k_exact[m].mean():.2f} |")
    by_k.append(f"| all | {len(mr)} | {mr.mean():.3f} | {nmi.mean():.3f} | "
                f"{(estimated_k == true_k).mean():.2f} | {k_exact.mean():.2f} |")

    by_count = ["| estimated k | sets | MR | share of the total MR |", "|---|---|---|---|"]
    total = mr.sum()
    for name, m in (("right", estimated_k == true_k), ("wrong", estimated_k != true_k)):
        share = mr[m].sum() / total if total else 0.0
        mean = f"{mr[m].mean():.3f}" if m.any() else "-"
        by_count.append(f"| {name} | {m.sum()} | {mean} | {share:.2f} |")
    return by_k, by_count


def main(argv=None):
    args = saved_model_parser(__doc__, "learned_errors.txt").parse_args(argv)
    est, X_test, y_test = load_saved_model(args)
    by_k, by_count = error_breakdown(est, X_test, y_test)
    lines = [*text_header(est, f"n_orderings={est.n_orderings}. {args.note}"),
             "", *by_k, "", *by_count]
    print("\n".join(lines), flush=True)
    with open(args.out, "a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
