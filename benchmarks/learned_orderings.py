"""A trained LearnedClusterer on the 300 test point sets, each read in several orders.

``LearnedClusterer(n_orderings=R)`` reads a set as given and in R - 1 fixed
random orders, averages ``P(k)`` and the aligned ``P(l | x_i, k)``; the
network is not retrained. Takes a model saved by
``learned_point_sets.py --save-model`` and scores it on the same 300 test
sets as that script (MR, NMI, normalised BBN, share of sets with the exact
k), once per R::

    python benchmarks/learned_point_sets.py ... --save-model /tmp/point_sets.pkl
    OMP_NUM_THREADS=1 python benchmarks/learned_orderings.py --model /tmp/point_sets.pkl

Appends a table to ``benchmarks/results/learned_orderings.txt``.
"""

import argparse
import os
import platform
from datetime import datetime, timezone

import joblib

from learned_point_sets import RESULTS, score_orderings
from run import recorded_command
from sklearn_deepcluster.datasets import make_point_sets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a pickled LearnedClusterer")
    parser.add_argument("--orderings", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--seed", type=int, default=0,
                        help="the --seed of learned_point_sets.py (picks its test sets)")
    parser.add_argument("--note", default="", help="what the model is, for the table")
    parser.add_argument("--out", default=os.path.join(RESULTS, "learned_orderings.txt"))
    args = parser.parse_args(argv)

    est = joblib.load(args.model)  # its callbacks come from learned_point_sets, imported above
    X_test, y_test = make_point_sets(n_sets=300, random_state=10_000 + args.seed)
    lines = [f"## {datetime.now(timezone.utc).isoformat(timespec='seconds')}, "
             f"{platform.machine()} {os.cpu_count()} cpus, "
             f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')}",
             f"command: {recorded_command()}",
             f"model: {est.n_layers}x{est.hidden_size}, {est.n_iter_} iterations. {args.note}",
             "| n_orderings | MR | NMI | NMI (geometric) | BBN | k exact | predict s, 300 sets |",
             "|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for n_orderings, (s, seconds) in score_orderings(est, X_test, y_test,
                                                     args.orderings).items():
        lines.append(f"| {n_orderings} | {s['mr']:.3f} | {s['nmi']:.3f} | "
                     f"{s['nmi_geometric']:.3f} | {s['bbn']:.3f} | {s['k_exact']:.2f} | "
                     f"{seconds:.1f} |")
    print("\n".join(lines[5:]), flush=True)
    with open(args.out, "a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
