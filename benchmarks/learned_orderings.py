"""A trained LearnedClusterer on the 300 test point sets, each read in several orders.

``LearnedClusterer(n_orderings=R)`` reads a set as given and in R - 1 fixed
random orders, averages ``P(k)`` and the aligned ``P(l | x_i, k)``; the
network is not retrained. Takes a model saved by
``learned_point_sets.py --save-model`` and scores it on the same 300 test
sets as that script (MR, NMI, normalised BBN, share of sets with the exact
k), once per R; ``--rotations`` also reads each set turned by 90, 180 and
270 degrees (``set_transforms=square_rotations()``)::

    python benchmarks/learned_point_sets.py ... --save-model /tmp/point_sets.pkl
    OMP_NUM_THREADS=1 python benchmarks/learned_orderings.py --model /tmp/point_sets.pkl

Appends a table to ``benchmarks/results/learned_orderings.txt``.
"""

from learned_point_sets import (SCORE_COLUMNS, load_saved_model, saved_model_parser, score_cells,
                                score_orderings, table_head, text_header)


def main(argv=None):
    parser = saved_model_parser(__doc__, "learned_orderings.txt")
    parser.add_argument("--orderings", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    args = parser.parse_args(argv)

    est, X_test, y_test = load_saved_model(args)
    lines = [*text_header(est, args.note),
             *table_head("n_orderings", SCORE_COLUMNS, "predict s, 300 sets")]
    print("\n".join(lines), flush=True)
    for n_orderings, (s, seconds) in score_orderings(est, X_test, y_test,
                                                     args.orderings).items():
        lines.append(f"| {n_orderings} | {score_cells(s)} | {seconds:.1f} |")
    print("\n".join(lines[5:]), flush=True)
    with open(args.out, "a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
