"""TripletDEC: does L_t act when it is computed on L2-normalised embeddings?

Eq. (5)'s margin (0.24, §4.4) resembles FaceNet's 0.2 on unit-length
embeddings, whereas the estimator applies it to the raw 64-d code, whose
squared distances are far larger, so the hinge rarely opens. This script
pre-trains one autoencoder (seed 0), then runs the joint phase either as the
estimator does (``base``) or with the anchor, positive, negative and
Algorithm 1's radius all on L2-normalised codes (``norm``: patched in here,
not an option of the estimator)::

    OMP_NUM_THREADS=1 python benchmarks/triplet_dec_normalised_triplet.py base 0.1 3000 10
    OMP_NUM_THREADS=1 python benchmarks/triplet_dec_normalised_triplet.py norm 0.1 3000 10

Arguments: variant, omega (``triplet_weight``), MNIST subset size, joint
epochs. Prints ACC / NMI and the per-epoch loss terms; results in
``results/triplet_dec_normalised_triplet.txt``.
"""

import argparse
import time

from sklearn.metrics import normalized_mutual_info_score
from torch.nn.functional import normalize

import sklearn_deepcluster.triplet_dec as triplet_dec
from run import load
from sklearn_deepcluster import TripletDECClustering
from sklearn_deepcluster.losses.triplet import triplet_loss
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.modules.triplet_conv import TripletClusteringAutoencoder

TERMS = ("train_loss", "reconstruction", "kl", "entropy", "triplet", "negative_fallback")


def use_unit_sphere():
    """Compute L_t and Algorithm 1's distances on L2-normalised codes."""
    def unit_triplet_loss(anchor, positive, negative, margin):
        return triplet_loss(normalize(anchor, dim=1), normalize(positive, dim=1),
                            normalize(negative, dim=1), margin)

    form_triplets = TripletClusteringAutoencoder.form_triplets

    def form_triplets_on_unit_sphere(self, x, z):
        embed = self.embed
        self.embed = lambda v: normalize(embed(v), dim=1)
        try:
            return form_triplets(self, x, z)
        finally:
            del self.embed

    triplet_dec.triplet_loss = unit_triplet_loss
    TripletClusteringAutoencoder.form_triplets = form_triplets_on_unit_sphere


def main(variant, omega, n_samples, epochs):
    if variant == "norm":
        use_unit_sphere()
    X, y = load("mnist", n_samples)
    start = time.perf_counter()
    ae = TripletDECClustering(10, max_epochs=0, random_state=0).fit(X)
    print(f"pre-training {time.perf_counter() - start:.0f} s, "
          f"AE + KMeans ACC {clustering_accuracy(y, ae.labels_):.3f}", flush=True)
    start = time.perf_counter()
    est = TripletDECClustering(10, pretrained=ae, max_epochs=epochs, triplet_weight=omega,
                               random_state=0).fit(X)
    print(f"{variant} omega={omega}: ACC {clustering_accuracy(y, est.labels_):.3f} "
          f"NMI {normalized_mutual_info_score(y, est.labels_):.3f}, "
          f"{time.perf_counter() - start:.0f} s, {est.n_iter_} epochs")
    for row in est.history_:
        print(f"  epoch {row['epoch']}: " + " ".join(f"{k} {row[k]:.4f}" for k in TERMS))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", choices=["base", "norm"],
                        help="L_t as the estimator computes it, or on L2-normalised codes")
    parser.add_argument("omega", type=float, help="triplet_weight, e.g. 0.1")
    parser.add_argument("n_samples", type=int,
                        help="size of the random MNIST subset (0: all 70,000), e.g. 3000")
    parser.add_argument("epochs", type=int, help="max_epochs of the joint phase, e.g. 10")
    args = parser.parse_args()
    main(args.variant, args.omega, args.n_samples, args.epochs)
