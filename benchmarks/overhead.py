"""Our training loop against a plain torch loop of the same model and batches.

Times DECClustering's pre-training epochs (skorch's per-epoch ``dur``, which
covers batching, the criterion, loss-term logging and every callback) against
a hand-written loop: the same autoencoder, Adam, reconstruction loss, batch
size, shuffled mini-batches by slicing. They run in ``--rounds`` alternating
rounds, so that machine noise hits both alike; each round trains a fresh model
of each kind and drops its first epoch (allocations, optimizer-state set-up).
The median epoch time is compared.

    python benchmarks/overhead.py --dataset mnist --n-samples 10000 --epochs 6
    python benchmarks/overhead.py --dataset digits --n-samples 0 --epochs 80 --rounds 8
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import RESULTS, load, recorded_command  # noqa: E402

from sklearn_deepcluster import DECClustering  # noqa: E402
from sklearn_deepcluster.losses.dec import reconstruction_loss  # noqa: E402
from sklearn_deepcluster.modules import MLPAutoencoder  # noqa: E402


def plain_epoch(model, optimizer, X, batch_size, generator):
    start = time.perf_counter()
    model.train()
    order = torch.randperm(len(X), generator=generator)
    for i in range(0, len(X), batch_size):
        xb = X[order[i:i + batch_size]]
        optimizer.zero_grad()
        loss = reconstruction_loss(xb, model.decoder(model.encoder(xb)))
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def plain_epochs(X, batch_size, epochs, seed):
    """A fresh model per round, like ``ours_epochs``; the first epoch is dropped."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = MLPAutoencoder(X.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = [plain_epoch(model, optimizer, X, batch_size, generator) for _ in range(epochs + 1)]
    return seconds[1:]


def ours_epochs(X_np, batch_size, epochs, seed):
    est = DECClustering(10, pretrain_epochs=epochs + 1, max_epochs=0, batch_size=batch_size,
                        random_state=seed).fit(X_np)
    return [row["dur"] for row in est.history_[1:]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=6,
                        help="epochs timed per kind, a multiple of --rounds")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.epochs < 1 or args.epochs % args.rounds:
        parser.error(f"--epochs {args.epochs} must be a positive multiple of --rounds "
                     f"{args.rounds}")

    X_np, _ = load(args.dataset, args.n_samples)
    X_np = X_np.reshape(len(X_np), -1)
    X = torch.from_numpy(X_np)
    ours, plain = [], []
    per_round = args.epochs // args.rounds
    for round_ in range(args.rounds):
        ours += ours_epochs(X_np, args.batch_size, per_round, round_)
        plain += plain_epochs(X, args.batch_size, per_round, round_)
    record = {
        "dataset": args.dataset, "n_samples": len(X), "batch_size": args.batch_size,
        "epochs": args.epochs, "rounds": args.rounds,
        "ours_epoch_seconds": ours, "plain_epoch_seconds": plain,
        "ours_median": float(np.median(ours)), "plain_median": float(np.median(plain)),
        "overhead": float(np.median(ours) / np.median(plain) - 1),
        "torch_threads": torch.get_num_threads(),
        "command": recorded_command(),
    }
    print(json.dumps(record, indent=1))
    out = os.path.join(RESULTS, f"overhead_{args.dataset}_{len(X)}.json")
    json.dump(record, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
