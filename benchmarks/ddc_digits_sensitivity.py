"""DDC on digits, seeds 0-2: how ACC moves with one hyper-parameter changed at a time.

Each argument is a JSON dict of DDCClustering parameters that replace the
defaults (``{}`` keeps them); every setting is fitted with seeds 0, 1 and 2
(or ``--seeds``) and printed with its ACCs, their mean and the seconds per
fit. Output of the committed runs, all made while the default learning rate
was the paper's 1e-3 (defaults then: 0.772 ± 0.029, ``ddc_digits_all.md``;
since commit e804d74 it is 1e-2, ``ddc_digits_defaults_lr1e-2.md``):
``benchmarks/results/ddc_digits_sensitivity.txt``::

    OMP_NUM_THREADS=1 python benchmarks/ddc_digits_sensitivity.py '{"lr": 1e-4}' '{"n_hidden": 500}'
"""

import argparse
import json
import time

import numpy as np

from run import load
from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.metrics import clustering_accuracy


def main(specs, seeds=(0, 1, 2)):
    X, y = load("digits", 0)
    for params in specs:
        accs, start = [], time.time()
        for seed in seeds:
            est = DDCClustering(10, random_state=seed, **params).fit(X)
            accs.append(clustering_accuracy(y, est.labels_))
        seed_note = "" if list(seeds) == [0, 1, 2] else f" seeds {list(seeds)}"
        print(f"{params}{seed_note}", np.round(accs, 3), f"mean={np.mean(accs):.3f}",
              f"s/fit={(time.time() - start) / len(seeds):.0f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("params", nargs="*", type=json.loads,
                        help="a JSON dict of DDCClustering parameters, e.g. '{\"lr\": 1e-4}'")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    main(args.params, args.seeds)
