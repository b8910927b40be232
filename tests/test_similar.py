"""Similar training comments: the pooled embedding on every backend, the cached index, agreement."""

import numpy as np
import pytest

from emotion.serve.predict import EmotionClassifier
from emotion.analysis.similar import Embedder, Index, label_agreement

TEXTS = ["i love this so much", "thanks for the help", "this is so annoying", "what do you mean", "i am so proud of you"]


def test_the_int8_graph_and_torch_give_the_same_directions(tiny_checkpoint):
    torch_vectors = Embedder(EmotionClassifier(tiny_checkpoint, backend="torch")).embed(TEXTS)
    onnx_vectors = Embedder(EmotionClassifier(tiny_checkpoint, backend="onnx")).embed(TEXTS)
    int8_vectors = Embedder(EmotionClassifier(tiny_checkpoint, backend="onnx-int8")).embed(TEXTS)
    assert torch_vectors.shape == (5, 32)
    np.testing.assert_allclose(np.linalg.norm(torch_vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-4)  # the same tensor the head reads
    assert (np.sum(int8_vectors * torch_vectors, axis=1) > 0.95).all()


def test_the_embedder_shares_the_classifiers_session_and_answers(tiny_checkpoint):
    classifier = EmotionClassifier(tiny_checkpoint, backend="onnx-int8")
    before, run = classifier.predict_probabilities(TEXTS), classifier._run
    Embedder(classifier).embed(TEXTS)
    assert classifier._run is not run  # moved to the session that also gives the pooled output
    np.testing.assert_array_equal(classifier.predict_probabilities(TEXTS), before)


def test_the_index_is_built_once_then_read_from_its_cache(tiny_checkpoint, monkeypatch):
    classifier = EmotionClassifier(tiny_checkpoint, backend="torch")
    ids = [f"c{i}" for i in range(len(TEXTS))]
    built = Index.load_or_build(classifier, ids, TEXTS)
    assert classifier.checkpoint.derived_file("train-embeddings", "torch").is_file()
    monkeypatch.setattr(Embedder, "embed", lambda *a, **k: pytest.fail("the cached embeddings were not reused"))
    cached = Index.load_or_build(classifier, ids, TEXTS, embedder=object.__new__(Embedder))
    np.testing.assert_allclose(cached.vectors, built.vectors, atol=1e-3)


def test_nearest_is_exact_cosine_top_k_most_similar_first():
    # A random tiny model's embeddings are nearly parallel, so the order is checked on known vectors.
    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1], [0.8, 0.6, 0]], dtype=np.float32)
    index = Index(["a", "b", "c", "d"], vectors)
    found = index.nearest(np.array([1, 0, 0], dtype=np.float32), 3)
    assert [n.index for n in found] == [0, 3, 1] and [round(n.similarity, 2) for n in found] == [1.0, 0.8, 0.6]
    assert len(index.nearest(np.array([0, 0, 1], dtype=np.float32), 10)) == 4


def test_label_agreement_is_a_weighted_overlap():
    assert label_agreement([1], [[1], [1]], [0.9, 0.8]) == 1.0
    assert label_agreement([1], [[2], [3]], [0.9, 0.8]) == 0.0
    assert label_agreement([1, 2], [[1], [2, 1]], [1.0, 1.0]) == pytest.approx((0.5 + 1.0) / 2)
    assert np.isnan(label_agreement([1], [], []))


def test_the_index_builds_in_a_child_process_while_predictions_go_on(tiny_checkpoint, tmp_path):
    """The build holds neither the classifier's lock nor its cores: a prediction during the build takes
    its usual time, the status says how far it is, and the cache it leaves is found after a restart."""
    import shutil
    import time

    from conftest import make_rows, write_tsv
    from emotion.ui.context import AppContext

    folder = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, folder, ignore=shutil.ignore_patterns("cache"))
    data = tmp_path / "data"
    data.mkdir()
    for split, n in (("train", 20_000), ("dev", 50), ("test", 50)):
        write_tsv(data / f"{split}.tsv", make_rows(n, 1, split))
    ctx = AppContext(folder, str(data))
    usual = []
    for _ in range(20):
        started = time.perf_counter()
        ctx.model.classifier.predict("thanks so much for the help")
        usual.append(time.perf_counter() - started)
    assert ctx.neighbours.index() is None  # started in the background
    during, statuses = [], set()
    while ctx.neighbours.index() is None:
        started = time.perf_counter()
        ctx.model.classifier.predict("thanks so much for the help")
        during.append(time.perf_counter() - started)
        statuses.add(ctx.neighbours.status())
        time.sleep(0.05)
    assert len(during) >= 5, "the build finished before predictions could be timed"
    # Generous against a shared CI machine; before, a prediction waited for the whole build.
    assert np.percentile(during, 95) < max(20 * np.median(usual), 0.5)
    assert any("done (" in s and "predictions and explanations go on" in s for s in statuses)
    index = ctx.neighbours.index()
    assert len(index.ids) == 20_000
    again = AppContext(folder, str(data))
    assert again.neighbours.index() is not None  # read from the cache at once


def test_a_failed_build_says_why_and_a_returning_data_folder_is_found(tiny_checkpoint, tmp_path):
    import shutil

    from conftest import make_rows, write_tsv
    from emotion.ui.context import AppContext, DataUnavailable

    folder = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, folder, ignore=shutil.ignore_patterns("cache"))
    data = tmp_path / "data"
    ctx = AppContext(folder, str(data))
    with pytest.raises(DataUnavailable, match="train split"):
        ctx.neighbours.index()
    data.mkdir()
    write_tsv(data / "train.tsv", make_rows(30, 1, "train"))
    import time

    deadline = time.time() + 120
    while ctx.neighbours.index() is None and time.time() < deadline:
        time.sleep(0.2)
    assert len(ctx.neighbours.index().ids) == 30
