"""The benchmark scripts' output handling, with the fits run in this process."""

import importlib
import json
import os
import runpy
import sys
from concurrent.futures import Future
from types import SimpleNamespace

import joblib
import numpy as np
import pytest
import torch

from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster.datasets import make_point_sets
from sklearn_deepcluster.pair_partition import pair_error_partition
from sklearn_deepcluster.set_transforms import flip_images, random_distortions

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")
sys.path.insert(0, BENCHMARKS)

import ddc_batch_augmentation  # noqa: E402
import ddc_n_init_curve  # noqa: E402
import ddc_vote_size  # noqa: E402
import learned_coil100_ensemble  # noqa: E402
import learned_coil100_objects  # noqa: E402
import learned_errors  # noqa: E402
import learned_image_sets  # noqa: E402
import learned_point_sets  # noqa: E402
import triplet_dec_margin  # noqa: E402
import run  # noqa: E402

#: What the docs promise every record of run.py holds.
RECORD_KEYS = {"estimator", "dataset", "n_samples", "seed", "acc", "nmi", "ari", "fit_seconds",
               "peak_memory_mb", "params", "estimator_params", "command"}


class InProcessExecutor:
    """Stands for ``ProcessPoolExecutor``: runs the job here, so that tests stay fast."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setattr(run, "ProcessPoolExecutor", InProcessExecutor)


KMEANS_DIGITS = ["--estimator", "kmeans", "--dataset", "digits", "--n-samples", "100",
                 "--seeds", "0", "--no-baseline"]


def test_run_out_in_the_current_folder(tmp_path, monkeypatch, in_process):
    monkeypatch.chdir(tmp_path)
    run.main([*KMEANS_DIGITS, "--out", "records.json"])
    (record,) = json.loads((tmp_path / "records.json").read_text())
    assert RECORD_KEYS <= set(record)
    assert record["n_samples"] == 100
    assert (tmp_path / "records.md").read_text().count("| kmeans | digits |") == 1


def test_run_table_beside_an_out_without_json_suffix(tmp_path, in_process):
    run.main([*KMEANS_DIGITS, "--out", str(tmp_path / "records")])
    assert (tmp_path / "records").exists()
    assert (tmp_path / "records.md").exists()


def test_run_param_without_value_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as excinfo:
        run.main([*KMEANS_DIGITS, "--param", "n_init", "--out", str(tmp_path / "r.json")])
    assert excinfo.value.code == 2
    assert "key=value" in capsys.readouterr().err
    assert not os.listdir(tmp_path)


def test_run_table_names_the_lowest_loss_run_of_each_fit():
    base = dict(estimator="ddc", dataset="digits", retention=None, n_samples=10,
                params={"n_init": "3", "vote": "3"}, acc=0.5, nmi=0.5, ari=0.5,
                fit_seconds=1.0, peak_memory_mb=1.0)
    records = [dict(base, seed=0, run_loss=[2.0, 1.0, 3.0], run_acc=[0.1, 0.9, 0.3],
                    run_nmi=[0.2, 0.8, 0.4]),
               dict(base, seed=1, run_loss=[0.5, 1.0, 3.0], run_acc=[0.7, 0.2, 0.3],
                    run_nmi=[0.6, 0.1, 0.4])]
    table = run.markdown(records)
    assert "the lowest-loss of the 3 runs, per seed: ACC 0.900 / 0.700 (0.800 ± 0.100)" in table
    assert "NMI 0.700 ± 0.100" in table
    single = dict(base, seed=0, run_loss=[1.0], run_acc=[0.5], run_nmi=[0.5])
    assert "lowest-loss" not in run.markdown([single, dict(base, seed=1)])


def test_learned_point_sets_best_iter_and_relative_out(tmp_path, monkeypatch):
    make_point_sets = learned_point_sets.make_point_sets

    def few_sets(n_sets, random_state):  # 60 sets: 1 held out for validation, 59 to train
        return make_point_sets(n_sets=min(n_sets, 60), random_state=random_state)

    monkeypatch.setattr(learned_point_sets, "make_point_sets", few_sets)
    monkeypatch.setattr(learned_point_sets, "tune_dbscan", lambda X, y: (0.1, 3))
    monkeypatch.chdir(tmp_path)
    learned_point_sets.main(["--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2",
                             "--max-iter", "3", "--decay-fraction", "0.5", "--out", "lps.json"])
    (record,) = json.loads((tmp_path / "lps.json").read_text())
    assert record["train"]["decay_fraction"] == 0.5
    assert "lr decayed over the last 50%" in (tmp_path / "lps.md").read_text()
    assert record["train"]["n_iter"] == 3
    assert record["train"]["best_iter"] == 3  # one epoch of 3 iterations, not 100
    assert (tmp_path / "lps.md").exists()


def model_saved_by_script_run(script, tmp_path, monkeypatch, args):
    """Run ``script`` as ``__main__`` with ``args`` and ``--save-model``; load what it saved.

    The loading happens here, where ``__main__`` is pytest's: it finds the
    script's own classes only if the script pickled them under its module name.
    """
    model = tmp_path / "model.joblib"
    monkeypatch.setattr(sys, "argv", [os.path.basename(script.__file__), *args,
                                      "--save-model", str(model)])
    runpy.run_path(script.__file__, run_name="__main__")
    return joblib.load(model)


def test_learned_point_sets_saved_model_loads_after_a_script_run(tmp_path, monkeypatch):
    """Run as a script, the benchmark pickles its callbacks where a later process finds them."""
    make_point_sets = learned_point_sets.make_point_sets
    monkeypatch.setattr(learned_point_sets, "make_point_sets",
                        lambda n_sets, random_state: make_point_sets(n_sets=min(n_sets, 60),
                                                                     random_state=random_state))
    monkeypatch.setattr(learned_point_sets, "tune_dbscan", lambda X, y: (0.1, 3))
    est = model_saved_by_script_run(learned_point_sets, tmp_path, monkeypatch, [
        "--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2", "--max-iter", "2",
        "--decay-fraction", "0.5", "--out", str(tmp_path / "lps.json")])
    assert est.n_iter_ == 2
    budget, schedule = est.callbacks
    assert type(budget).__module__ == schedule.lr_lambda.func.__module__ == "learned_point_sets"


class ScriptedClusterer:
    """Stands for a fitted LearnedClusterer: set ``i`` (``X[0, 0] == i``) gets ``outputs[i]``."""

    def __init__(self, outputs):
        self.outputs = outputs  # (labels, estimated k) per set

    def predict(self, X):
        return np.array(self.outputs[int(X[0, 0])][0])

    def predict_n_clusters(self, X):
        return np.eye(5)[self.outputs[int(X[0, 0])][1] - 1]


def test_learned_errors_breakdown_by_true_k_and_by_count():
    y_sets = [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    outputs = [([0, 0, 1, 1], 2),   # right: MR 0
               ([0, 0, 0, 1], 2),   # right k, one point wrong: MR 0.25
               ([0, 0, 1, 1], 2)]   # k = 1 split in two halves: MR 0.5
    X_sets = [np.full((4, 2), float(i)) for i in range(3)]
    # NMI of the second set: MI 0.2158 over the mean entropy (0.6931 + 0.5623) / 2 = 0.344
    by_k, by_count = learned_errors.error_breakdown(ScriptedClusterer(outputs), X_sets, y_sets)
    assert by_k[2:] == ["| 1 | 1 | 0.500 | 0.000 | 0.00 | 0.00 |",
                        "| 2 | 2 | 0.125 | 0.672 | 1.00 | 1.00 |",
                        "| all | 3 | 0.250 | 0.448 | 0.67 | 0.67 |"]
    # MR 0.75 in all: 0.25 from the sets whose k is right, 0.5 from the one whose k is wrong
    assert by_count[2:] == ["| right | 2 | 0.125 | 0.33 |", "| wrong | 1 | 0.500 | 0.67 |"]


def test_ddc_vote_size_gives_the_labels_of_ddc_vote():
    """The script's majority of the k lowest-loss runs is what ``vote=k`` returns."""
    from sklearn.datasets import make_blobs

    from sklearn_deepcluster import DDCClustering

    X, _ = make_blobs(60, n_features=4, centers=3, random_state=0)
    params = dict(n_clusters=3, n_init=4, max_epochs=2, batch_size=20, random_state=0)
    runs = DDCClustering(**params).fit(X)
    votes = ddc_vote_size.votes_by_size(runs, [1, 3])
    np.testing.assert_array_equal(votes[1], runs.labels_)
    np.testing.assert_array_equal(votes[3], DDCClustering(vote=3, **params).fit(X).labels_)


def test_ddc_vote_size_cosine_lr_anneals_every_run():
    """--cosine-lr's callback starts each run at the default rate and lowers it every epoch."""
    from sklearn.datasets import make_blobs

    from sklearn_deepcluster import DDCClustering

    X, _ = make_blobs(60, n_features=4, centers=3, random_state=0)
    est = DDCClustering(3, lr=1e-2, max_epochs=4, batch_size=20, n_init=2, vote=2,
                        random_state=0, callbacks=[ddc_vote_size.cosine_lr(4)]).fit(X)
    for net in est.vote_nets_:
        rates = net.history[:, "event_lr"]
        assert rates[0] == 1e-2 and np.all(np.diff(rates) < 0)


def test_ddc_n_init_curve_gives_the_choice_of_n_init_k():
    """The lowest loss among the first k runs of a recorded fit is the run ``n_init=k`` keeps."""
    from sklearn.datasets import make_blobs

    from sklearn_deepcluster import DDCClustering
    from sklearn_deepcluster.metrics import clustering_accuracy

    X, y = make_blobs(60, n_features=4, centers=3, random_state=0)
    params = dict(n_clusters=3, max_epochs=2, batch_size=20, random_state=0)
    runs = DDCClustering(n_init=4, **params).fit(X)
    record = {"run_loss": runs.run_losses_.tolist(),
              "run_acc": [clustering_accuracy(y, labels) for labels in runs.run_labels_]}
    for k in (1, 2, 3):
        fewer = DDCClustering(n_init=k, **params).fit(X)
        np.testing.assert_allclose(fewer.run_losses_, runs.run_losses_[:k])
        assert ddc_n_init_curve.chosen_accuracy(record, k) == clustering_accuracy(y, fewer.labels_)


def test_triplet_dec_margin_reads_l_t_of_every_joint_epoch():
    from sklearn_deepcluster import TripletDECClustering

    X = np.random.default_rng(0).random((40, 8, 8), dtype=np.float32)
    est = TripletDECClustering(3, architecture="strided-conv", pretrain_epochs=2, max_epochs=3,
                               n_augmentations=2, tol=0.0, random_state=0).fit(X)
    terms = triplet_dec_margin.joint_triplet_terms(est.history_)
    assert len(terms) == 3 and all(np.isfinite(terms))


def test_ddc_batch_augmentation_augments_training_batches_only():
    """AugmentedLeNet changes what the body sees in training mode, not in eval mode."""
    import torch

    from sklearn_deepcluster import DDCClustering

    module = ddc_batch_augmentation.augmented_lenet((1, 12, 12), ["affine"])(144, 8)
    x = torch.rand(6, 144)
    module.eval()
    torch.testing.assert_close(module(x), module.body(x))
    module.train()
    body_alone = module.body(x)
    assert not torch.allclose(module(x), body_alone)

    X = np.random.RandomState(0).rand(40, 144).astype(np.float32)
    params = dict(n_clusters=2, max_epochs=2, batch_size=20, random_state=0,
                  architecture=ddc_batch_augmentation.augmented_lenet((1, 12, 12), ["affine"]))
    np.testing.assert_array_equal(DDCClustering(**params).fit(X).labels_,
                                  DDCClustering(**params).fit(X).labels_)


@pytest.fixture(scope="module")
def saved_learner(tmp_path_factory):
    """A tiny LearnedClusterer saved as ``learned_point_sets.py --save-model`` saves one."""
    from sklearn_deepcluster import LearnedClusterer
    from sklearn_deepcluster.datasets import make_point_sets

    X, y = make_point_sets(n_sets=20, n_points=12, random_state=0)
    model = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(LearnedClusterer(n_layers=1, hidden_size=8, sets_per_batch=4, max_iter=2,
                                 validation_fraction=0.0, random_state=0).fit(X, y), model)
    return model


@pytest.mark.parametrize("script, options, table_row", [
    ("learned_errors", [], "| all | 300 |"),
    ("learned_orderings", ["--orderings", "1", "2"], "| 2 |"),
    ("learned_orderings", ["--orderings", "1", "--rotations"], "| 1 |")])
def test_saved_model_scripts_append_their_tables(tmp_path, saved_learner, script, options,
                                                 table_row):
    out = tmp_path / "result.txt"
    main = importlib.import_module(script).main
    for _ in range(2):
        main(["--model", str(saved_learner), "--out", str(out), *options])
    text = out.read_text()
    assert text.count(table_row) == 2
    assert text.count("command: ") == 2 and "1x8, 2 iterations" in text
    assert text.count("set_transforms=square_rotations()") == 2 * ("--rotations" in options)


def test_model_saved_before_set_transforms_still_predicts(tmp_path, saved_learner):
    old = joblib.load(saved_learner)
    del old.set_transforms
    joblib.dump(old, tmp_path / "old.joblib")
    for rotations in (False, True):
        args = SimpleNamespace(model=tmp_path / "old.joblib", seed=0, rotations=rotations)
        est, X_test, _ = learned_point_sets.load_saved_model(args)
        assert len(est.get_params()["set_transforms"] or ()) == 3 * rotations
        assert est.predict(X_test[0]).shape == (72,)


def test_learned_point_sets_final_decay():
    factors = [learned_point_sets.final_decay(i, max_iter=100, fraction=0.2)
               for i in (0, 80, 90, 100)]
    assert factors == pytest.approx([1.0, 1.0, 0.5, 0.0])


@pytest.mark.parametrize("schedule", [["--cosine", "--decay-fraction", "0.2"],
                                      ["--decay-fraction", "0"], ["--decay-fraction", "1.5"]])
def test_learned_point_sets_bad_schedule_is_a_usage_error(tmp_path, capsys, schedule):
    with pytest.raises(SystemExit) as excinfo:
        learned_point_sets.main([*schedule, "--out", str(tmp_path / "lps.json")])
    assert excinfo.value.code == 2
    assert "--decay-fraction" in capsys.readouterr().err
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("epochs, rounds", [(3, 2), (1, 2)])
def test_overhead_epochs_must_split_into_rounds(tmp_path, monkeypatch, epochs, rounds):
    import overhead

    monkeypatch.setattr(overhead, "RESULTS", str(tmp_path))
    with pytest.raises(SystemExit) as excinfo:
        overhead.main(["--dataset", "digits", "--n-samples", "50", "--epochs", str(epochs),
                       "--rounds", str(rounds)])
    assert excinfo.value.code == 2
    assert not os.listdir(tmp_path)


def fake_coil100():
    """Four random 3x8x8 images of each of 100 objects, as ``load("coil100", 0)`` returns them."""
    rng = np.random.RandomState(0)
    return rng.rand(100 * 4, 3, 8, 8).astype(np.float32), np.repeat(np.arange(100), 4)


def test_learned_image_sets_coil100_options(tmp_path, monkeypatch):
    """Augmented training, the lr schedule, the mirrored reading and the saved model."""
    fake_coil = fake_coil100()
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil)
    out, model = tmp_path / "coil.json", tmp_path / "coil.joblib"
    learned_image_sets.main([
        "--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2",
        "--max-iter", "4", "--decay-fraction", "0.5", "--augmentations", "flip", "scale",
        "--flip", "--save-model", str(model), "--out", str(out)])
    record, = json.load(open(out))
    assert record["train"]["augmentations"] == ["flip", "scale"]
    assert record["train"]["decay_fraction"] == 0.5
    assert set(record["learned_flip"]) == set(record["learned"])
    table = open(tmp_path / "coil.md").read()
    assert "lr decayed over the last 50%, augmented: flip, scale" in table
    assert "| learned_flip |" in table
    assert joblib.load(model).augmentations == ["flip", "scale"]

    # the saved model on sets of its training, validation and test objects
    monkeypatch.setattr(learned_coil100_objects, "load", lambda dataset, n: fake_coil)
    text = tmp_path / "objects.txt"
    learned_coil100_objects.main(["--model", str(model), "--out", str(text)])
    rows = [line for line in open(text) if line.startswith(("| training", "| validation",
                                                            "| test"))]
    assert [row.split(" | ")[0] for row in rows[::4]] == ["| training (80)", "| validation (10)",
                                                          "| test (10)"]
    test_rows = {row.split(" | ")[2]: row.split(" | ")[3:6] for row in rows[-4:]}
    for method in ("learned", "learned_true_k"):
        assert test_rows[method] == [f"{record[method][m]:.3f}"
                                     for m in ("mr", "nmi", "nmi_geometric")]
    assert set(test_rows) == {"learned", "learned_true_k", "kmeans_true_k_pixels",
                              "kmeans_true_k_grey"}

    # --flip adds the mirrored reading, the same as the training script's on the test sets
    learned_coil100_objects.main(["--model", str(model), "--out", str(text), "--flip"])
    rows = [line for line in open(text) if line.startswith("| test")]
    flipped = [row.split(" | ")[3:5] for row in rows if row.split(" | ")[2] == "learned_flip"]
    assert flipped == [[f"{record['learned_flip'][m]:.3f}" for m in ("mr", "nmi")]]

    # --pairwise and --distortions: rows of decoding="pairwise", with the flip and distortions
    # (on 20 sets of the test objects, for time)
    few_sets = lambda X, y, n_sets, *args: learned_image_sets.test_sets(X, y, 20, *args)  # noqa: E731
    monkeypatch.setattr(learned_coil100_objects, "test_sets", few_sets)
    decoded = tmp_path / "decoded.txt"
    learned_coil100_objects.main(["--model", str(model), "--out", str(decoded), "--groups", "test",
                                  "--flip", "--pairwise", "--distortions", "2"])
    rows = {row.split(" | ")[2]: row.split(" | ")[3:5] for row in open(decoded)
            if row.startswith("| test")}
    assert {"learned_pairwise", "learned_pairwise_flip",
            "learned_pairwise_flip_distort2"} < set(rows)
    X, y = fake_coil
    estimator = joblib.load(model).set_params(decoding="pairwise")
    member = np.isin(y, learned_coil100_objects.object_groups(
        estimator.validation_classes_, 0)["test"])
    X_sets, y_sets = few_sets(X[member], y[member], 300, 20, 5, 10_000)
    expected = learned_point_sets.scores(y_sets, [estimator.predict(x) for x in X_sets])
    assert rows["learned_pairwise"] == [f"{expected[m]:.3f}" for m in ("mr", "nmi")]
    with pytest.raises(SystemExit):
        learned_coil100_objects.main(["--model", str(model), "--distortions", "2"])


def test_learned_image_sets_downsample_keeps_block_means(tmp_path, monkeypatch):
    """--downsample 2: every image is the means of its 2x2 blocks, shape kept, and recorded."""
    fake_coil = fake_coil100()
    blocks = learned_image_sets.block_means(fake_coil[0], 2)
    assert blocks.shape == fake_coil[0].shape
    assert blocks[5, 1, 2, 3] == pytest.approx(fake_coil[0][5, 1, 2:4, 2:4].mean())
    assert np.array_equal(blocks[..., ::2, ::2], blocks[..., 1::2, 1::2])
    seen = []
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil)
    monkeypatch.setattr(learned_image_sets, "kmeans_on_pixels",
                        lambda X_sets, y_sets: seen.append(X_sets) or list(y_sets))
    out = tmp_path / "coil.json"
    learned_image_sets.main([
        "--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2",
        "--max-iter", "2", "--downsample", "2", "--out", str(out)])
    record, = json.load(open(out))
    assert record["train"]["downsample"] == 2
    assert "--downsample 2 (2x2 block means)" in open(tmp_path / "coil.md").read()
    # the test sets are drawn from the block means
    assert np.array_equal(seen[0][..., ::2, ::2], seen[0][..., 1::2, 1::2])


def test_pooled_conv_embedding_sees_the_block_means_at_their_own_size():
    """--pool 2: the CNN gets each image's 2x2 block means as a 4x4 image."""
    images = torch.from_numpy(fake_coil100()[0][:6])
    torch.manual_seed(0)
    embedding = learned_image_sets.PooledConvEmbedding((3, 8, 8), 2).eval()
    assert embedding.conv.image_shape == (3, 4, 4)
    small = learned_image_sets.block_means(images.numpy(), 2)[..., ::2, ::2]
    with torch.no_grad():
        expected = embedding.conv(torch.from_numpy(small.copy()).flatten(1))
        assert torch.allclose(embedding(images.flatten(1)), expected, atol=1e-6)


def test_learned_image_sets_pool_trains_the_cnn_on_pooled_images(tmp_path, monkeypatch):
    """--pool 2 puts the pooled CNN in the estimator (seeded) and records the option."""
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil100())
    args = ["--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8",
            "--sets-per-batch", "2", "--max-iter", "2", "--augmentations", "flip", "--pool", "2"]
    models = []
    for global_seed, name in enumerate(("a", "b")):
        with torch.random.fork_rng():  # the seed, not the global state, sets the weights
            torch.manual_seed(global_seed)
            learned_image_sets.main(args + ["--save-model", str(tmp_path / f"{name}.joblib"),
                                            "--out", str(tmp_path / f"{name}.json")])
        models.append(joblib.load(tmp_path / f"{name}.joblib"))
    embedding = models[0].net_.module_.embedding
    assert isinstance(embedding, learned_image_sets.PooledConvEmbedding)
    assert embedding.conv.image_shape == (3, 4, 4)
    weights = [m.net_.module_.state_dict() for m in models]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    record = json.load(open(tmp_path / "a.json"))[0]
    assert record["train"]["pool"] == 2 and record["train"]["embedding"] == "conv"
    assert "--pool 2 (2x2 block means)" in open(tmp_path / "a.md").read()


def test_learned_image_sets_ema_decay_reaches_the_estimator_and_the_record(tmp_path, monkeypatch):
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil100())
    learned_image_sets.main(["--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8",
                             "--sets-per-batch", "2", "--max-iter", "2", "--ema-decay", "0.5",
                             "--save-model", str(tmp_path / "m.joblib"),
                             "--out", str(tmp_path / "a.json")])
    assert joblib.load(tmp_path / "m.joblib").ema_decay == 0.5
    assert json.load(open(tmp_path / "a.json"))[0]["train"]["ema_decay"] == 0.5
    assert "weights averaged (EMA 0.5)" in open(tmp_path / "a.md").read()


def test_learned_image_sets_train_seed_and_pairwise_readings(tmp_path, monkeypatch):
    """--train-seed seeds the training only; --pairwise and --distortions add their rows."""
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil100())
    out, model = tmp_path / "coil.json", tmp_path / "coil.joblib"
    common = ["--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8",
              "--sets-per-batch", "2", "--max-iter", "2", "--out", str(out)]
    learned_image_sets.main([*common, "--save-model", str(model)])
    learned_image_sets.main([*common, "--train-seed", "3", "--pairwise", "--distortions", "1",
                             "--save-model", str(model)])
    default, reseeded = json.load(open(out))
    assert default["train"]["random_state"] == 0 and reseeded["train"]["random_state"] == 3
    assert joblib.load(model).random_state == 3
    # the same split and test sets, another training
    assert default["split"]["test_objects"] == reseeded["split"]["test_objects"]
    assert default["kmeans_true_k_pixels"] == reseeded["kmeans_true_k_pixels"]
    assert default["train"]["final_train_loss"] != reseeded["train"]["final_train_loss"]
    assert {"learned_pairwise", "learned_pairwise_flip_distort1"} < set(reseeded)
    assert "learned_pairwise_flip" not in reseeded  # that one needs --flip
    assert "| learned_pairwise_flip_distort1 |" in open(tmp_path / "coil.md").read()


@pytest.mark.parametrize("options, message", [
    (["--distortions", "2"], "--distortions is for --pairwise"),
    (["--pairwise", "--distortions", "-1"], "--distortions must be at least 0")])
def test_learned_image_sets_bad_reading_options_are_usage_errors(tmp_path, capsys, options,
                                                                message):
    with pytest.raises(SystemExit):
        learned_image_sets.main(["--dataset", "coil100", *options,
                                 "--out", str(tmp_path / "c.json")])
    assert message in capsys.readouterr().err


def test_a_model_pickled_before_decoding_existed_loads_with_the_papers(tmp_path):
    X, y = make_point_sets(n_sets=8, n_points=8, max_clusters=2, random_state=0)
    est = LearnedClusterer(max_clusters=2, n_layers=1, hidden_size=8, sets_per_batch=4,
                           max_iter=2, random_state=0).fit(X, y)
    del est.decoding
    joblib.dump(est, tmp_path / "old.joblib")
    loaded = learned_coil100_objects.load_estimator(tmp_path / "old.joblib")
    assert loaded.decoding == "count"
    assert loaded.set_params(decoding="pairwise").predict(X[0]).shape == (8,)


def test_learned_coil100_ensemble_averages_the_pair_probabilities(tmp_path, monkeypatch):
    """Each model alone as the objects script reads it; the same model twice is that model."""
    fake_coil = fake_coil100()
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil)
    models = [tmp_path / "a.joblib", tmp_path / "b.joblib"]
    for model, seed in zip(models, ("0", "1")):
        learned_image_sets.main(["--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8",
                                 "--sets-per-batch", "2", "--max-iter", "2", "--train-seed", seed,
                                 "--save-model", str(model), "--out", str(tmp_path / "c.json")])
    monkeypatch.setattr(learned_coil100_ensemble, "load", lambda dataset, n: fake_coil)
    few_sets = lambda X, y, n_sets, *args: learned_image_sets.test_sets(X, y, 10, *args)  # noqa: E731
    monkeypatch.setattr(learned_coil100_ensemble, "test_sets", few_sets)

    def table(*paths):
        out = tmp_path / "ensemble.txt"
        out.unlink(missing_ok=True)
        learned_coil100_ensemble.main(["--models", *map(str, paths), "--distortions", "1",
                                       "--out", str(out)])
        assert "set_transforms" not in out.read_text()  # the header describes the saved model
        return {row.split(" | ")[1]: row.split(" | ")[2:5] for row in open(out)
                if row.startswith("| 0 |")}

    rows = table(*models)
    assert set(rows) == {"model 0", "model 1", "ensemble"}
    a, b = (joblib.load(m).set_params(decoding="pairwise",
                                      set_transforms=[flip_images] + random_distortions(1))
            for m in models)
    member = np.isin(fake_coil[1], learned_coil100_objects.object_groups(
        a.validation_classes_, 0)["test"])
    X_sets, y_sets = few_sets(fake_coil[0][member], fake_coil[1][member], 300, 20, 5, 10_000)

    def scored(label_sets):
        s = learned_point_sets.scores(y_sets, label_sets)
        return [f"{s[m]:.4f}" for m in ("mr", "nmi", "nmi_geometric")]

    assert rows["model 1"] == scored([b.predict(x) for x in X_sets])
    assert rows["ensemble"] == scored([pair_error_partition(
        (a.predict_pair_proba(x) + b.predict_pair_proba(x)) / 2, [a.predict(x), b.predict(x)], 5)
        for x in X_sets])
    twice = table(models[1], models[1])
    assert twice["ensemble"] == twice["model 0"] == rows["model 1"]


def test_learned_image_sets_pooled_model_loads_after_a_script_run(tmp_path, monkeypatch):
    """Run as a script with --pool, the benchmark pickles its CNN where a later process
    (learned_coil100_objects.py) finds it."""
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil100())
    est = model_saved_by_script_run(learned_image_sets, tmp_path, monkeypatch, [
        "--dataset", "coil100", "--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2",
        "--max-iter", "2", "--pool", "2", "--out", str(tmp_path / "a.json")])
    assert type(est.net_.module_.embedding).__module__ == "learned_image_sets"


@pytest.mark.parametrize("options, message", [
    (["--pool", "3"], "--pool 3 does not divide the 8x8"),
    (["--pool", "0"], "--downsample and --pool must be at least 1"),
    (["--embedding", "mlp", "--pool", "2"], "--pool is for the conv embedding"),
    (["--downsample", "3"], "--downsample 3 does not divide the 8x8"),
    (["--downsample", "0"], "--downsample and --pool must be at least 1")])
def test_learned_image_sets_bad_downsample_or_pool_is_a_usage_error(tmp_path, monkeypatch,
                                                                    capsys, options, message):
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_coil100())
    with pytest.raises(SystemExit):
        learned_image_sets.main(["--dataset", "coil100", *options,
                                 "--out", str(tmp_path / "c.json")])
    assert message in capsys.readouterr().err
    assert not os.listdir(tmp_path)


def test_learned_image_sets_mnist_early_stopping_on_a_held_out_digit(tmp_path, monkeypatch):
    """--validation-fraction holds a training digit out; the record names it and best_iter."""
    rng = np.random.RandomState(0)
    fake_mnist = rng.rand(70000, 1, 4, 4).astype(np.float32), np.tile(np.arange(10), 7000)
    monkeypatch.setattr(learned_image_sets, "load", lambda dataset, n: fake_mnist)
    out = tmp_path / "mnist.json"
    learned_image_sets.main([
        "--dataset", "mnist", "--n-layers", "1", "--hidden-size", "8", "--sets-per-batch", "2",
        "--max-iter", "4", "--validation-fraction", "0.15", "--out", str(out)])
    record, = json.load(open(out))
    digits = record["split"]["validation_digits"]
    assert len(digits) == 1 and digits[0] in record["split"]["train_digits"]
    assert record["train"]["validation_fraction"] == 0.15
    assert record["train"]["best_iter"] == 4  # one validation after the 4 iterations
    table = open(tmp_path / "mnist.md").read()
    assert f"early stopping on digit {digits[0]} (best at 4 it)" in table


def test_learned_image_sets_flip_is_for_coil100_only(tmp_path, capsys):
    with pytest.raises(SystemExit):
        learned_image_sets.main(["--dataset", "mnist", "--flip", "--out", str(tmp_path / "m.json")])
    assert "a mirrored digit is not the same digit" in capsys.readouterr().err
