"""Ablation of the four terms of TripletDEC's loss (paper 002 eq. 7, Fig. 5a).

One autoencoder is pre-trained per seed (``max_epochs=0``, the paper's three
MNIST epochs of updates) and every variant starts from it through
``pretrained=``, so the variants differ only in the loss of the joint phase:
each switches off one or more of L_c (``kl_weight``), L_b
(``entropy_weight``) and L_t (``triplet_weight``); L_r stays on. Records go
to ``benchmarks/results/triplet-dec_ablation_<dataset>_<n>.json`` with the
markdown table beside it (``benchmarks/run.py``'s format)::

    OMP_NUM_THREADS=1 python benchmarks/triplet_dec_ablation.py --dataset mnist \\
        --n-samples 3000 --max-epochs 10 --seeds 0
"""

import argparse
import json
import os
import platform
import resource
import time
from datetime import datetime, timezone

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from run import RESULTS, load, markdown, read_records, recorded_command, table_path
from sklearn_deepcluster import TripletDECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

#: The paper's input and code size (the estimator's defaults), named in every
#: record so that runs of earlier defaults (raw input, 10-d code) stay apart.
PAPER_INPUT = {"standardize": True, "embedding_dim": None}

VARIANTS = {
    "all four terms": {},
    "no L_t": {"triplet_weight": 0.0},
    "no L_b": {"entropy_weight": 0.0},
    "no L_t, no L_b": {"triplet_weight": 0.0, "entropy_weight": 0.0},
    "no L_c": {"kl_weight": 0.0},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    out = os.path.join(RESULTS, f"triplet-dec_ablation_{args.dataset}_{args.n_samples}.json")
    records = read_records(out)
    X, y = load(args.dataset, args.n_samples)
    meta = {"command": recorded_command(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cpus",
            "torch_threads": os.environ.get("OMP_NUM_THREADS", "default")}
    n_clusters = len(np.unique(y))
    for seed in args.seeds:
        start = time.perf_counter()
        ae = TripletDECClustering(n_clusters, max_epochs=0, random_state=seed,
                                  **PAPER_INPUT).fit(X)
        pretrain_seconds = time.perf_counter() - start
        for name, params in VARIANTS.items():
            params = {"max_epochs": args.max_epochs, **PAPER_INPUT, **params}
            start = time.perf_counter()
            est = TripletDECClustering(n_clusters, pretrained=ae, random_state=seed,
                                       **params).fit(X)
            labels = est.labels_
            records.append({
                "estimator": "triplet-dec", "dataset": args.dataset, "n_samples": len(X),
                "seed": seed, "variant": name, "acc": clustering_accuracy(y, labels),
                "nmi": normalized_mutual_info_score(y, labels),
                "ari": adjusted_rand_score(y, labels),
                "fit_seconds": time.perf_counter() - start,
                "pretrain_seconds": pretrain_seconds,
                "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "params": {k: repr(v) for k, v in params.items()},
                "n_iter": est.n_iter_, "loss": est.loss_, **meta})
            print(f"seed {seed} {name}: ACC {records[-1]['acc']:.3f} "
                  f"({records[-1]['fit_seconds']:.0f} s)", flush=True)
            json.dump(records, open(out, "w"), indent=1)
            open(table_path(out), "w").write(markdown(records))
    print(markdown(records))


if __name__ == "__main__":
    main()
