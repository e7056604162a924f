"""Validation loss of LearnedClusterer against wall-clock time, for one network size.

Trains on the 2-D point sets of ``learned_point_sets.py`` (the same 100,000
training sets and 1% validation split, seed 0) for ``MINUTES`` and prints,
after every ``validation_interval`` (100) iterations, the seconds since the
start of training and the validation loss. Run two sizes side by side with
one thread each to see which learns faster on this CPU within a time budget
(``--clip NORM`` adds skorch's ``GradientNormClipping``)::

    OMP_NUM_THREADS=1 python benchmarks/learned_validation_curve.py 4x128x64 20 &
    OMP_NUM_THREADS=1 python benchmarks/learned_validation_curve.py 4x256x32 20

``LxHxB`` is ``n_layers`` x ``hidden_size`` x ``sets_per_batch``. Output of
the committed runs: ``benchmarks/results/learned_validation_curve.txt``.
"""

import argparse
import time

from skorch.callbacks import Callback, GradientNormClipping

from learned_point_sets import TimeBudget
from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster.datasets import make_point_sets


class PrintValidation(Callback):
    """Print the seconds since the start of training, the iterations and the validation loss."""

    def __init__(self, validation_interval):
        self.validation_interval = validation_interval

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        iterations = len(net.history) * self.validation_interval
        print(f"{time.perf_counter() - self.start_:7.0f} s  {iterations:6d} it  "
              f"valid {net.history[-1, 'valid_loss']:.4f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", help="n_layers x hidden_size x sets_per_batch, e.g. 4x128x64")
    parser.add_argument("minutes", type=float)
    parser.add_argument("--clip", type=float, default=None,
                        help="clip the gradient norm to this value (default: no clipping)")
    args = parser.parse_args()
    n_layers, hidden_size, sets_per_batch = map(int, args.size.split("x"))
    X, y = make_point_sets(n_sets=100_000, random_state=0)
    print(args.size + (f" clip {args.clip:g}" if args.clip else ""), flush=True)
    estimator = LearnedClusterer(max_clusters=5, n_layers=n_layers, hidden_size=hidden_size,
                                 sets_per_batch=sets_per_batch, max_iter=60_000,
                                 validation_fraction=0.01, random_state=0)
    printer = PrintValidation(estimator.validation_interval)
    callbacks = [TimeBudget(60 * args.minutes), printer]
    if args.clip:
        callbacks.append(GradientNormClipping(args.clip))
    estimator.set_params(callbacks=callbacks).fit(X, y)


if __name__ == "__main__":
    main()
