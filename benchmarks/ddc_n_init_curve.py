"""DDC: ACC of the run chosen by loss as ``n_init`` grows from 1 to 20, from recorded fits.

``DDCClustering`` draws the seeds of its ``n_init`` runs in order from
``random_state``, so the first ``k`` runs of an ``n_init=20`` fit are the runs
of an ``n_init=k`` fit with the same ``random_state``. This script reads the
per-run losses and ACCs (``run_loss``, ``run_acc``) that ``run.py`` recorded
for ``n_init=20`` fits and, for each ``k``, keeps the lowest-loss run among
the first ``k``, as ``n_init=k`` would. No network is trained. Output of the
committed files: ``benchmarks/results/ddc_n_init_curve.txt``::

    python benchmarks/ddc_n_init_curve.py ddc-vote_digits_lr1e-2.json \
        ddc-vote_digits_lr1e-2_seeds3-7.json
"""

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def chosen_accuracy(record, k):
    """ACC of the lowest-loss run among the first ``k`` runs of one recorded fit."""
    losses = np.asarray(record["run_loss"][:k])
    return record["run_acc"][int(np.argmin(losses))]


def main(files, ks):
    records = [r for name in files for r in json.loads((RESULTS / name).read_text())]
    runs = {len(r["run_loss"]) for r in records}
    if min(runs) < max(ks):
        raise SystemExit(f"the files hold fits of {sorted(runs)} runs; k goes up to {max(ks)}")
    seeds = [r["seed"] for r in records]
    print(f"# {', '.join(files)}: seeds {seeds}")
    for k in ks:
        acc = np.array([chosen_accuracy(r, k) for r in records])
        head = acc[:3]
        print(f"n_init={k:2d}: ACC {acc.mean():.3f} ± {acc.std():.3f} over {len(acc)} seeds; "
              f"first three {head.mean():.3f} ± {head.std():.3f}  {np.round(acc, 3).tolist()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="results files (under benchmarks/results) of "
                                                 "n_init fits recorded by run.py")
    parser.add_argument("--k", type=int, nargs="+", default=list(range(1, 21)))
    args = parser.parse_args()
    main(args.files, args.k)
