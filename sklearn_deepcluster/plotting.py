"""Plots of a fitted estimator: its training history and its embedding.

matplotlib is an optional dependency, imported when a function is called::

    pip install sklearn-deepcluster[plot]
"""

import numbers

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_embedding", "plot_history"]

#: History columns that are bookkeeping, not per-epoch values worth a panel.
_NOT_PLOTTED = {"epoch", "dur", "phase"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("sklearn_deepcluster.plotting needs matplotlib: "
                          "pip install sklearn-deepcluster[plot]") from exc
    return plt


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _history_columns(history):
    """Numeric per-epoch columns, losses first, leaving out all-NaN ones."""
    names = []
    for row in history:
        for key, value in row.items():
            if (key in _NOT_PLOTTED or key.endswith("_best") or key.endswith("_batch_count")
                    or key in names or not _is_number(value)):
                continue
            names.append(key)
    first = [name for name in ("train_loss", "valid_loss") if name in names]
    names = first + [name for name in names if name not in first]
    return [name for name in names if not np.all(np.isnan(_column(history, name)))]


def _column(history, name):
    """The values of ``name`` per epoch as floats, NaN where missing or None."""
    values = [row.get(name) for row in history]
    if not all(v is None or _is_number(v) for v in values):
        raise ValueError(f"History column {name!r} is not numeric: nothing to plot.")
    return np.array([np.nan if v is None else float(v) for v in values])


def plot_history(estimator, terms=None, *, logy=False, figsize=None):
    """Plot every loss term of a fitted estimator per epoch.

    One panel per term (their scales differ by orders of magnitude), like
    Fig. 9 of Kampffmeyer et al. (2019). A term is missing (NaN) in the
    epochs of a phase that does not compute it; phase changes (e.g. DEC's
    pre-training and clustering) are drawn as dashed vertical lines.

    Parameters
    ----------
    estimator : fitted estimator with ``history_``, or a list of dict
        Any estimator of this package after ``fit``, or its ``history_``:
        one dict per epoch with ``epoch``, ``train_loss``, the loss terms
        and possibly ``phase``.
    terms : str or sequence of str, default=None
        Columns to plot. None: every numeric column (``train_loss`` and
        ``valid_loss`` first, then the method's terms and diagnostics such
        as DEC's ``label_change``) that is not NaN in every epoch.
    logy : bool, default=False
        Logarithmic y axes.
    figsize : tuple of float, default=None
        Figure size; None scales the height with the number of panels.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; ``fig.axes`` holds one Axes per term.

    Raises
    ------
    ImportError
        When matplotlib is not installed.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_deepcluster import DECClustering
    >>> from sklearn_deepcluster.plotting import plot_history
    >>> X = load_digits().data / 16
    >>> dec = DECClustering(n_clusters=10, hidden_dims=(64,), pretrain_epochs=3,
    ...                     max_epochs=3, random_state=0).fit(X)
    >>> fig = plot_history(dec)
    >>> [ax.get_title() for ax in fig.axes]
    ['train_loss', 'reconstruction', 'kl']
    """
    plt = _pyplot()
    if isinstance(estimator, (list, tuple)):
        history = list(estimator)
    else:
        check_is_fitted(estimator, "history_")
        history = estimator.history_
    if not history:
        raise ValueError("The history is empty: nothing to plot.")
    if terms is None:
        terms = _history_columns(history)
    else:
        terms = [terms] if isinstance(terms, str) else list(terms)
        unknown = [t for t in terms if not any(t in row for row in history)]
        if unknown:
            raise ValueError(f"Unknown history columns {unknown}; available: "
                             f"{sorted(set().union(*history))}.")
    if not terms:
        raise ValueError("The history has no numeric column to plot.")

    epochs = np.array([row.get("epoch", i + 1) for i, row in enumerate(history)])
    phases = [row.get("phase") for row in history]
    switches = [i for i in range(1, len(history)) if phases[i] != phases[i - 1]]
    if figsize is None:
        figsize = (6.4, 1.2 + 1.6 * len(terms))
    fig, axes = plt.subplots(len(terms), 1, sharex=True, figsize=figsize, squeeze=False,
                             layout="constrained")
    axes = axes[:, 0]
    for ax, term in zip(axes, terms):
        values = _column(history, term)
        ax.plot(epochs, values, marker="." if len(epochs) <= 50 else None)
        ax.set_title(term, fontsize="medium")
        if logy:
            ax.set_yscale("log")
        for i in switches:
            ax.axvline((epochs[i - 1] + epochs[i]) / 2, color="grey", linestyle="--",
                       linewidth=1)
        ax.grid(alpha=0.3)
    if any(p is not None for p in phases):
        starts = [0, *switches]
        for start in starts:
            axes[0].annotate(str(phases[start]), xy=(epochs[start], 1.0),
                             xycoords=("data", "axes fraction"), xytext=(4, -2),
                             textcoords="offset points", va="top", fontsize="small",
                             color="grey")
    axes[-1].set_xlabel("epoch")
    return fig


def plot_embedding(estimator, X, y=None, *, ax=None, show_centers=True, **scatter_kws):
    """Scatter plot of the learned embedding ``estimator.transform(X)`` in 2-D.

    An embedding wider than two dimensions is projected on its first two
    principal components (PCA fitted on ``transform(X)``), where Aljalbout
    et al. (2018, Fig. 2) use t-SNE. Points are coloured by ``y`` when given,
    otherwise by the estimator's clusters ``predict(X)``; the estimator's
    ``cluster_centers_`` (DEC) are marked with black crosses.

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` and ``predict``
        E.g. :class:`~sklearn_deepcluster.DECClustering`, or a ``Pipeline``
        ending in one.
    X : array-like
        Data accepted by ``estimator.transform``.
    y : array-like of shape (n_samples,), default=None
        Labels that colour the points (e.g. the true classes). None colours
        by predicted cluster.
    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure.
    show_centers : bool, default=True
        Mark ``cluster_centers_`` when the estimator (or a ``Pipeline``'s last
        step) has them and they are as wide as the embedding (projected with
        the same PCA).
    **scatter_kws
        Passed to :meth:`matplotlib.axes.Axes.scatter` (e.g. ``s``, ``cmap``).

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ImportError
        When matplotlib is not installed.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_deepcluster import DECClustering
    >>> from sklearn_deepcluster.plotting import plot_embedding
    >>> X, y = load_digits(return_X_y=True)
    >>> dec = DECClustering(n_clusters=10, hidden_dims=(64,), pretrain_epochs=3,
    ...                     max_epochs=3, random_state=0).fit(X / 16)
    >>> ax = plot_embedding(dec, X / 16, y)
    """
    plt = _pyplot()
    if not hasattr(estimator, "transform"):
        raise TypeError(f"{type(estimator).__name__} has no transform: plot_embedding needs "
                        "an estimator with a learned embedding.")
    Z = np.asarray(estimator.transform(X), dtype=float)
    clusterer = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    centers = getattr(clusterer, "cluster_centers_", None) if show_centers else None
    if centers is not None and np.ndim(centers) == 2 and centers.shape[1] != Z.shape[1]:
        centers = None  # not in the embedding space (e.g. KMeans: centres of the input)
    axis_names = ("z1", "z2")
    if Z.shape[1] > 2:
        pca = PCA(n_components=2).fit(Z)
        Z = pca.transform(Z)
        centers = None if centers is None else pca.transform(centers)
        axis_names = ("PC 1 of the embedding", "PC 2 of the embedding")
    elif Z.shape[1] == 1:
        Z = np.column_stack([Z[:, 0], np.zeros(len(Z))])
        centers = None if centers is None else np.column_stack([centers[:, 0],
                                                                np.zeros(len(centers))])
        axis_names = ("z1", "")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
    colors = estimator.predict(X) if y is None else np.asarray(y)
    if len(colors) != len(Z):
        raise ValueError(f"y has {len(colors)} labels for {len(Z)} samples.")
    classes, codes = np.unique(colors, return_inverse=True)
    n_colors = len(classes)
    if n_colors <= 20:
        palette = 10 if n_colors <= 10 else 20
        scatter_kws = {"cmap": f"tab{palette}", "vmin": 0, "vmax": palette - 1, **scatter_kws}
    scatter_kws = {"s": 8, "alpha": 0.8, **scatter_kws}
    points = ax.scatter(Z[:, 0], Z[:, 1], c=codes, **scatter_kws)
    if centers is not None:
        marks = ax.scatter(centers[:, 0], centers[:, 1], marker="x", c="black", s=80,
                           linewidths=2)
        ax.add_artist(ax.legend([marks], ["cluster centres"], loc="best", fontsize="small"))
    if n_colors <= 20:  # the main legend, so that constrained layout makes room for it
        handles, _ = points.legend_elements(num=None)
        ax.legend(handles, [str(c) for c in classes], title="cluster" if y is None else "label",
                  fontsize="x-small", title_fontsize="small", loc="center left",
                  bbox_to_anchor=(1.0, 0.5))
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    return ax
