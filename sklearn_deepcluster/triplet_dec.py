"""DEC with an inter-class separation (triplet) constraint (paper 002)."""

import math
from functools import partial
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from ._callbacks import PhaseSwitch, TargetRefresh
from .augment import AUGMENTATIONS, check_augmentations
from .dec import (DECClustering, DECLoss, in_clustering_phase, refresh_target,
                  seeded_generator, start_clustering)
from .losses.triplet import balance_loss, triplet_loss
from .modules.triplet_conv import (TripletClusteringAutoencoder, TripletConvAutoencoder,
                                   needs_deep_network)

#: Parameter updates that three pre-training epochs of MNIST make at batch size 256.
_PAPER_PRETRAIN_UPDATES = 3 * math.ceil(70000 / 256)


class TripletDECLoss(DECLoss):
    """Criterion of paper 002, eq. (7): L = alpha L_r + beta L_c + gamma L_b + omega L_t.

    DEC's criterion gives L_r (eq. 1) and L_c = KL(P || Q) (eq. 4) and runs
    the reconstruction-only pre-training; this adds L_b (eq. 6) on the
    batch's assignments and, when the module formed triplets, L_t (eq. 5).

    Parameters
    ----------
    clustering_loss : {"kl", "kmeans"}
    reconstruction_weight, kl_weight, entropy_weight, triplet_weight : float
        alpha, beta, gamma and omega of eq. (7).
    margin : float
        The margin of eq. (5).
    """

    def __init__(self, clustering_loss, reconstruction_weight, kl_weight, entropy_weight,
                 triplet_weight, margin):
        super().__init__(clustering_loss, reconstruction_weight)
        self.kl_weight = kl_weight
        self.entropy_weight = entropy_weight
        self.triplet_weight = triplet_weight
        self.margin = margin

    def forward(self, outputs, index):
        terms = super().forward(outputs, index)
        if self.phase == "pretrain":
            return terms
        loss = self.kl_weight * terms[self.clustering_loss]
        if "reconstruction" in terms:
            loss = loss + self.reconstruction_weight * terms["reconstruction"]
        terms["entropy"] = balance_loss(outputs["proba"])
        loss = loss + self.entropy_weight * terms["entropy"]
        if "positive_embedding" in outputs:
            terms["triplet"] = triplet_loss(outputs["embedding"], outputs["positive_embedding"],
                                            outputs["negative_embedding"], self.margin)
            terms["negative_fallback"] = outputs["negative_fallback"]
            loss = loss + self.triplet_weight * terms["triplet"]
        terms["loss"] = loss
        return terms


def start_triplet_clustering(net, X, form_triplets, **start_params):
    """DEC's :func:`start_clustering` (with ``start_params``), then triplets on.

    Their generator is seeded from torch's generator, itself seeded for the run.
    """
    start_clustering(net, X, **start_params)
    module = net.module_
    module.triplet = form_triplets
    module.generator = seeded_generator(net.device)


class TripletDECClustering(DECClustering):
    """Deep clustering with an inter-class separation constraint (Das et al., 2019).

    A convolutional autoencoder (§3.1, §4.3) is pre-trained on
    reconstruction (eq. 1); KMeans on its code gives the centres of DEC's
    Student's t clustering layer (eq. 2); then the network is trained on

        L = alpha L_r + beta L_c + gamma L_b + omega L_t        (eq. 7)

    where L_c = KL(P || Q) against DEC's target distribution (eqs. 3-4),
    recomputed over the whole data set every ``update_interval``
    iterations; L_b (eq. 6) makes each assignment confident while keeping the
    batch spread over the clusters; and L_t (eq. 5) is a triplet loss: the
    positive of an anchor is one of ``n_augmentations`` random augmentations
    of it, its negative another sample whose embedding lies farther from the
    anchor's than every augmentation (Algorithm 1).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    architecture : {"auto", "mlp", "conv", "strided-conv"} or nn.Module class or instance, \
default="auto"
        ``"conv"``: the convolutional autoencoder of §4.3
        (:class:`~sklearn_deepcluster.modules.triplet_conv.TripletConvAutoencoder`),
        shallow for grey images smaller than 32x32 (MNIST, USPS), the deeper
        variant for colour or larger images. ``"mlp"``: DEC's fully connected
        autoencoder with ``hidden_dims``. ``"strided-conv"``: DCEC's
        convolutional autoencoder, as in :class:`DECClustering` (a 10-d code
        unless ``embedding_dim`` says otherwise). ``"auto"``: ``"conv"`` for images,
        ``"mlp"`` otherwise. A module (or a class called with
        ``n_features, embedding_dim``) must have ``encoder`` and ``decoder``.
    image_shape : tuple (C, H, W), default=None
        Shape of one image when ``X`` is given flat.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Hidden layers of the MLP variant.
    embedding_dim : int or None, default=None
        Dimension of the code z. None: the paper's (§4.3), 64 for the
        shallow convolutional network and 10 for the deeper one; 10 (DEC's)
        for the MLP variant and user modules.
    standardize : bool, default=True
        Shift and scale the input to zero mean and unit variance, with one
        mean and one standard deviation over all training values (§4.3:
        "We normalize the input images to zero mean and unit variance").
        The same shift and scale are applied in ``predict``, ``transform``
        and ``score``. An autoencoder reused through ``pretrained`` sees the
        standardised input: set False if it was trained on raw input.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel (1 in eq. 2).
    pretrain_epochs : int or None, default=None
        Epochs of reconstruction pre-training. None: 3 epochs (§3.3), or
        more on small data sets so that pre-training makes at least the
        822 updates that 3 epochs of MNIST make at batch size 256. Ignored
        with ``pretrained``. Far more than 3 helped here: on USPS, with
        DCEC's strided network and ``("affine",)`` batches, KMeans on the
        code after 50 epochs split the zeros over two clusters and put 7 and
        9 into one, which the clustering phase kept (ACC 0.81); after 200
        epochs it did not, for seed 0 (0.98;
        ``benchmarks/results/usps_pretraining.txt``); seeds 1-2 still
        failed (``dec-conv_usps_strided_affine_200.md``). After DEC-DA's 500
        epochs no seed of 0-2 failed (ACC 0.979 / 0.979 / 0.980;
        ``triplet-dec_usps_strided_affine_sgd_500.md``).
    corruption : float, default=0.0
        Dropout rate on the input during pre-training (a denoising
        autoencoder, as DEC's); the paper pre-trains on clean input.
    max_epochs : int, default=100
        Upper bound on epochs of the clustering phase.
    update_interval : int, default=140
        Iterations between recomputations of the target P over the whole data.
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changed between refreshes.
    reconstruction_weight : float, default=1.0
        alpha of eq. (7), the weight of L_r.
    clustering_loss : {"kl", "kmeans"}, default="kl"
        L_c: KL(P || Q) (eq. 4), or DEC-taxonomy's k-means loss.
    final_kmeans : bool, default=False
        Re-cluster the final embedding with KMeans.
    pretrained : DECClustering, default=None
        A fitted estimator whose autoencoder's weights are loaded instead of
        pre-training (wrapped in ``sklearn.frozen.FrozenEstimator`` for
        ``GridSearchCV``): a TripletDECClustering with the same
        ``architecture``, ``embedding_dim`` (and ``hidden_dims``), or a
        DECClustering with ``architecture="mlp"`` or ``"strided-conv"``, whose
        autoencoders this estimator shares (its ``"conv"`` network is not
        DECClustering's).
    kl_weight : float or None, default=None
        beta of eq. (7), the weight of L_c. None: the paper's value for the
        network (§4.4): 0.8 for the shallow network (and the MLP variant),
        0.7 for the deeper one.
    entropy_weight : float, default=0.01
        gamma of eq. (7), the weight of L_b.
    triplet_weight : float or None, default=None
        omega of eq. (7), the weight of L_t; 0 skips forming triplets. None:
        0.1 for the shallow network (and the MLP variant), 0.3 for the deeper
        one (§4.4).
    margin : float or None, default=None
        The margin of eq. (5). None: 0.24 for the shallow network (and the
        MLP variant), 0.3 for the deeper one (§4.4).
    n_augmentations : int, default=10
        Augmentations per anchor (Algorithm 1).
    augmentations : tuple of str, default=AUGMENTATIONS
        Which augmentations make a positive, applied in the order given,
        each with random strength: by default paper 002's six
        (:data:`sklearn_deepcluster.augment.AUGMENTATIONS`: rotate, scale,
        erase, flip, brightness, contrast); ``"shift"``, ``"affine"`` and ``"grayscale"`` are
        also accepted (:data:`~sklearn_deepcluster.augment.ALL_AUGMENTATIONS`). At least
        one (``triplet_weight=0`` turns the triplet term off). Flat
        vectors without ``image_shape`` are augmented as 1 x d images.
    batch_augmentations : tuple of str, default=None
        Not in the paper: augment every training batch before it enters the
        network, in both phases, as
        :class:`~sklearn_deepcluster.DECClustering` does (DEC-DA); the
        anchors of eq. (5) are then the augmented images. Needs images.
        None: the paper's training on the images as given. On all of MNIST,
        seed 0, ``architecture="mlp", batch_augmentations=("shift",
        "rotate"), pretrain_epochs=40, max_epochs=60`` gave ACC 0.896 (NMI
        0.881; 74 minutes on one CPU thread), the best TripletDEC result
        measured here (the paper's conv network, 3 + 5 epochs: 0.641), and
        above DECClustering with the same augmentations and epochs (0.848;
        ``benchmarks/results/*_mnist_batch_aug.md``). On USPS, seed 0, the
        paper's conv network with 20 clustering epochs: 0.804 against 0.730
        without (``triplet-dec_usps_batch_aug.md``). ``("affine",)``
        (rotation and shift in one resampling, as DEC-DA) did better: MNIST,
        the same setting, 0.926; USPS, conv, 0.821
        (``triplet-dec_*_affine.md``). With DCEC's strided network,
        raw input and DEC's SGD, ``architecture="strided-conv",
        standardize=False, clustering_optimizer="sgd", final_kmeans=True``,
        all of MNIST, 30 + 20 epochs, seeds 0-2: ACC 0.973 / 0.973 / 0.973.
        DECClustering in that setting gave 0.974 / 0.904 / 0.896 on 2
        threads and 0.973 / 0.974 / 0.973 on seeds 1-3 on 1 thread
        (``dec-conv_mnist_strided_affine_rerun.md``): level; on 2 threads
        seed 1 gives 0.903 for this estimator and 0.904 for DECClustering
        (``*_mnist_strided_affine*_2threads*.md``): the thread count, not
        the method, decides between 0.90 and 0.97 there; USPS,
        200 + 50 epochs: 0.976 / 0.826 / 0.816, level with DECClustering
        (0.978 / 0.825 / 0.817; ``triplet-dec_*_strided_affine_sgd*.md``);
        500 + 50 epochs: 0.979 / 0.979 / 0.980, above the paper's 0.976 on every
        seed, and level with DECClustering again (0.980 / 0.980 / 0.981;
        ``*_usps_strided_affine*_500.md``).
    batch_size : int, default=256
    lr : float, default=1e-3
        Learning rate of Adam (§4.3): in pre-training, and in the clustering
        phase unless ``clustering_optimizer`` or ``clustering_lr`` say otherwise.
    clustering_optimizer : {"adam", "sgd"}, default="adam"
        As in :class:`~sklearn_deepcluster.DECClustering`: ``"sgd"`` trains
        the clustering phase with DEC's SGD (momentum 0.9, learning rate
        0.01) instead of the paper's Adam. Not a lever here: MNIST, MLP,
        ``("affine",)``, 40 + 30 epochs, seed 0: ACC 0.907 against 0.926 with
        Adam and 60 epochs (``triplet-dec_mnist_affine_sgd.md``).
    clustering_lr : float, default=None
        Learning rate of the clustering phase. None: ``lr`` with Adam, 0.01
        with SGD.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    random_state : int, RandomState instance or None, default=None
        Seeds weights, shuffling, KMeans, augmentations and negative sampling.
    verbose : int, default=0
    callbacks : list of skorch callbacks, default=None
    n_init : int, default=1
        Independent runs; the one with the lowest final loss is kept.
    n_jobs : int, default=None

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
    input_mean_ : float
        Value subtracted from the input (0.0 without ``standardize``).
    input_scale_ : float
        Value the centred input is divided by (1.0 without ``standardize``,
        or for constant training data).
    pretrain_epochs_ : int
        Pre-training epochs run (``pretrain_epochs`` resolved; 0 with ``pretrained``).
    n_features_in_ : int
    image_shape_ : tuple or None
    net_ : skorch.NeuralNet
    history_ : list of dict
        Per epoch: ``phase``, ``train_loss``, ``reconstruction``, ``kl``
        (``kmeans`` with ``clustering_loss="kmeans"``), ``entropy``,
        ``triplet``, ``negative_fallback`` (fraction of anchors whose
        negative is Algorithm 1's fallback); ``label_change`` only in epochs
        in which the targets were refreshed.
    loss_ : float
        beta L_c + alpha L_r + gamma L_b over the whole training data.
    n_iter_ : int
    run_losses_ : ndarray of shape (n_init,)
    run_labels_ : list of ndarray

    Notes
    -----
    Deviations from the paper:

    - L_b: eq. (6) as printed has the opposite sign of what §3.3 describes
      (minimising it would make assignments ambiguous); the mean entropy of
      the assignments minus the entropy of their batch average is used, i.e.
      minus the mutual information (Bridle et al., 1992).
    - L_r, L_c and L_t are averaged over the batch (L_r also over pixels)
      instead of summed; the weights of eq. (7) are the paper's.
    - Negatives (Algorithm 1) are drawn from the current mini-batch, which
      is a uniform sample of the data set, with at most 50 candidates per
      anchor; when none is farther than every augmentation, the farthest
      candidate is used and counted in ``negative_fallback``. Augmentations
      are embedded with the encoder in inference mode (BatchNorm running
      statistics) and without gradient; the positive, one augmentation drawn
      at random, is re-embedded with gradient, in training mode: BatchNorm
      normalises the positives with their own batch statistics and updates
      its running statistics a second time per step.
    - "Batch normalization to each layer" (§4.3) is applied to every layer
      but the code layer and the decoder's output layer. The deeper
      decoder's extra stride-1 transposed convolutions sit at a quarter and
      half of the input size (the paper does not place them).
    - The triplet term starts with the clustering phase; pre-training is
      reconstruction only (§3.3, §4.3).
    - Transposed convolutions have stride 2, so the decoder reaches the
      input size without the paper's unstated un-pooling; channel widths
      (32, 64, 128) are not given in the paper.
    - Adam (or ``clustering_optimizer``) is re-initialised at the start of the
      clustering phase.
    - BatchNorm normalises a training batch with a single value per channel
      (one sample; for convolutions, one sample of 1x1 feature maps) with its
      running statistics, and the triplet term skips a batch of one sample.
    - ``loss_`` and ``score`` leave out the stochastic L_t and compute L_b
      with the average over the whole data set.

    Measured on a 2-core CPU with far fewer epochs than the paper (see the
    benchmarks page): the paper's standardised input and 64-d code beat raw
    input with a 10-d code (``standardize=False, embedding_dim=10``) on
    digits (ACC 0.859 against 0.845, seeds 0-2) and USPS (0.732 against
    0.703), but not on MNIST (all 70,000 images, 3 + 5 epochs: 0.641 against
    0.705; 3,000 images: 0.593 against 0.652). More epochs on a GPU did not
    close the gap to the paper's 0.989 on MNIST: 3 + 20 epochs gave 0.634,
    30 + 10 epochs 0.626 (``triplet-dec_mnist_cuda*.md``).

    L_t is small by construction: Algorithm 1 accepts only a negative
    farther from the anchor than every augmentation, and the positive is one
    of those augmentations, so the hinge of eq. (5) is open only where
    ||z^a - z^n||^2 - ||z^a - z^p||^2 < ``margin``, which is rare once the
    code spreads out. On digits (seed 0, ``max_epochs=20``) the embeddings'
    median squared distance is about 29 and ``history_["triplet"]`` falls
    from 0.09 to about 0.01 within the first epochs of the joint phase; in
    the ablation on 3,000 MNIST images, switching L_t off changed ACC by
    0.02 at most. Nor is it a matter of scale: with L_t and Algorithm 1 on
    L2-normalised codes, where the margin is comparable to the distances
    (as FaceNet's 0.2), the term stays near 0.01 and ACC is 0.604 against
    0.606 on those 3,000 images (AE + KMeans alone: 0.603;
    ``benchmarks/results/triplet_dec_normalised_triplet.txt``). On all
    70,000 images, in the setting of ``batch_augmentations`` above (DCEC's
    network, ``("affine",)`` batches, raw input, SGD, final k-means: 0.973),
    switching L_t off gave the same ACC on seeds 1-2 (0.9734 / 0.9735
    against 0.9728 / 0.9733;
    ``triplet-dec_mnist_strided_affine_sgd_no_triplet.md``), and so did
    switching L_b off as well (0.9734 / 0.9736) and then beta from 0.8 to
    1 (0.9740 / 0.9741), which leaves DECClustering's loss; DECClustering
    itself gives 0.9731 / 0.9736 there on 1 thread
    (``dec-conv_mnist_strided_affine_rerun.md``). Nor does
    opening the hinge help. In DCEC's network without augmented batches
    (``architecture="strided-conv", standardize=False,
    clustering_optimizer="sgd"``, 500 + 50 epochs) on digits, the codes'
    median squared distance is 20-30 and L_t ends near 0 with the paper's
    margin; ``margin=10`` keeps it at 0.25-0.32, and ACC is 0.822 against
    0.827 with 0.24 and 0.830 for DECClustering in that setting (seeds
    0-7); on USPS 0.789 against 0.789 and 0.789 (seeds 0-1). With
    ``triplet_weight=1`` as well, the codes spread out (median squared
    distance about 80) until the hinge closes again, and ACC falls to 0.64
    (seeds 0-2; seed 3 diverged) (``triplet_dec_margin_digits.txt``,
    ``triplet-dec_digits_strided_sgd_500_*.md``).

    References
    ----------
    .. [1] D. Das, R. Ghosh, B. Bhowmick, "Deep Representation Learning
       Characterized by Inter-class Separation for Image Clustering",
       WACV 2019.
    .. [2] J. Xie, R. Girshick, A. Farhadi, "Unsupervised Deep Embedding for
       Clustering Analysis", ICML 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_deepcluster import TripletDECClustering
    >>> X = load_digits().images / 16
    >>> est = TripletDECClustering(n_clusters=10, pretrain_epochs=2, max_epochs=2,
    ...                            n_augmentations=2, random_state=0).fit(X)
    >>> est.labels_.shape
    (1797,)
    """

    _parameter_constraints = {
        **DECClustering._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"), None],
        "kl_weight": [Interval(Real, 0, None, closed="left"), None],
        "entropy_weight": [Interval(Real, 0, None, closed="left")],
        "triplet_weight": [Interval(Real, 0, None, closed="left"), None],
        "margin": [Interval(Real, 0, None, closed="left"), None],
        "n_augmentations": [Interval(Integral, 1, None, closed="left")],
        "augmentations": [tuple, list],
    }

    #: Candidates examined per anchor by Algorithm 1 before falling back.
    _max_negative_tries = 50

    def __init__(self, n_clusters=8, *, architecture="auto", image_shape=None,
                 hidden_dims=(500, 500, 2000), embedding_dim=None, standardize=True,
                 alpha=1.0, pretrain_epochs=None, corruption=0.0, max_epochs=100,
                 update_interval=140, tol=1e-3, reconstruction_weight=1.0, clustering_loss="kl",
                 final_kmeans=False, pretrained=None, kl_weight=None, entropy_weight=0.01,
                 triplet_weight=None, margin=None, n_augmentations=10, augmentations=AUGMENTATIONS,
                 batch_augmentations=None, batch_size=256, lr=1e-3, clustering_optimizer="adam",
                 clustering_lr=None, device="cpu", random_state=None, verbose=0, callbacks=None,
                 n_init=1, n_jobs=None):
        super().__init__(
            n_clusters, architecture=architecture, image_shape=image_shape,
            hidden_dims=hidden_dims, embedding_dim=embedding_dim, alpha=alpha,
            pretrain_epochs=pretrain_epochs, corruption=corruption, max_epochs=max_epochs,
            update_interval=update_interval, tol=tol,
            reconstruction_weight=reconstruction_weight, clustering_loss=clustering_loss,
            final_kmeans=final_kmeans, pretrained=pretrained, standardize=standardize,
            batch_augmentations=batch_augmentations, batch_size=batch_size, lr=lr,
            clustering_optimizer=clustering_optimizer, clustering_lr=clustering_lr,
            device=device, random_state=random_state, verbose=verbose, callbacks=callbacks,
            n_init=n_init, n_jobs=n_jobs)
        self.kl_weight = kl_weight
        self.entropy_weight = entropy_weight
        self.triplet_weight = triplet_weight
        self.margin = margin
        self.n_augmentations = n_augmentations
        self.augmentations = augmentations

    # ------------------------------------------------------------ the method
    def _check_method_params(self, X):
        super()._check_method_params(X)
        if not self.augmentations:
            raise ValueError("augmentations must name at least one of "
                             f"{AUGMENTATIONS}; to train without the triplet term, set "
                             "triplet_weight=0.")
        check_augmentations(self.augmentations)
        if self.pretrained is not None:
            self.pretrain_epochs_ = 0
        elif self.pretrain_epochs is None:
            batches = math.ceil(X.shape[0] / self.batch_size)
            self.pretrain_epochs_ = max(3, math.ceil(_PAPER_PRETRAIN_UPDATES / batches))
        else:
            self.pretrain_epochs_ = self.pretrain_epochs

    def _build_autoencoder(self):
        architecture = self._resolve_architecture()
        if architecture == "conv":
            return TripletConvAutoencoder(self.image_shape_, self._embedding_dim())
        return super()._build_autoencoder()

    def _network(self):
        """``"shallow"`` or ``"deep"`` for §4.3's conv networks, else ``"other"``."""
        if self._resolve_architecture() != "conv":
            return "other"
        return "deep" if needs_deep_network(self.image_shape_) else "shallow"

    def _embedding_dim(self):
        if self.embedding_dim is not None:
            return self.embedding_dim
        return 64 if self._network() == "shallow" else 10

    def _paper_weights(self):
        """(beta, omega, margin): those given, else §4.4's for the network used."""
        paper = (0.7, 0.3, 0.3) if self._network() == "deep" else (0.8, 0.1, 0.24)
        given = (self.kl_weight, self.triplet_weight, self.margin)
        return tuple(p if g is None else g for g, p in zip(given, paper))

    def _build_module(self):
        image_shape = self.image_shape_ or (1, 1, self.n_features_in_)
        return TripletClusteringAutoencoder(
            self._build_autoencoder(), self.n_clusters, self._embedding_dim(), self.alpha,
            image_shape, tuple(self.augmentations), self.n_augmentations,
            self._max_negative_tries, self.corruption, self.batch_augmentations or ())

    def _loss_terms(self):
        return ("reconstruction", self.clustering_loss, "entropy", "triplet",
                "negative_fallback")

    def _build_criterion(self):
        kl_weight, triplet_weight, margin = self._paper_weights()
        return TripletDECLoss(self.clustering_loss, self.reconstruction_weight, kl_weight,
                              self.entropy_weight, triplet_weight, margin)

    def _n_pretrain_epochs(self):
        return self.pretrain_epochs_

    def _method_callbacks(self):
        switch = partial(start_triplet_clustering, form_triplets=self._paper_weights()[1] > 0,
                         **self._clustering_start_params())
        return [
            PhaseSwitch(self._n_pretrain_epochs(), switch),
            TargetRefresh(self.update_interval, self.tol, refresh_target, in_clustering_phase),
        ]

    def _finish_run(self, net, X):
        super()._finish_run(net, X)
        net.module_.triplet = False

    def _unsupervised_loss(self, net, X):
        """beta L_c + alpha L_r + gamma L_b on all of X (L_t is stochastic and left out)."""
        clustering, reconstruction, q = self._terms_on_all_data(net, X)
        return (net.criterion_.kl_weight * clustering + self.reconstruction_weight * reconstruction
                + self.entropy_weight * balance_loss(q).item())
