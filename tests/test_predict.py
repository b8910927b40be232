import numpy as np
import pytest
import torch

from emotion.checkpoint import CheckpointError
from emotion.serve.backends import torch_runner
from emotion.serve.predict import EmotionClassifier, Prediction, length_sorted_batches, predict_probabilities

TEXTS = ["thanks so much for the help, legend", "ok", "why would anyone do that? i am so confused lol"]


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint):
    return EmotionClassifier(tiny_checkpoint, backend="torch")


def test_loads_labels_and_thresholds_from_the_checkpoint(classifier):
    assert len(classifier.labels) == 28 and classifier.labels[27] == "neutral"
    assert classifier.thresholds is not None
    assert classifier.max_length == 32
    assert classifier.device == "cpu"
    assert next(classifier.model.parameters()).dtype == torch.float32


def test_single_and_batch_agree(classifier):
    one = classifier.predict(TEXTS[2])
    many = classifier.predict(TEXTS)
    assert isinstance(one, Prediction) and isinstance(many, list) and len(many) == 3
    assert one.probabilities == pytest.approx(many[2].probabilities, abs=1e-5)
    assert list(one.probabilities) == classifier.labels
    assert [name for name, _ in one.top] == sorted(one.probabilities, key=one.probabilities.get, reverse=True)[:3]


def test_length_sorted_batches_keep_input_order(classifier):
    run = torch_runner(classifier.model)
    batched = predict_probabilities(run, classifier.tokenizer, TEXTS, 28, 32, batch_size=2)
    single = np.vstack([predict_probabilities(run, classifier.tokenizer, [t], 28, 32) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert predict_probabilities(run, classifier.tokenizer, [], 28, 32).shape == (0, 28)


def test_batches_are_padded_per_batch_with_a_mask(classifier):
    texts = ["ok", "why would anyone do that", "lol", "thanks so much for the help"]
    owner, batches = length_sorted_batches(classifier.tokenizer, texts, 32, batch_size=2)
    batches = list(batches)
    assert owner.tolist() == [0, 1, 2, 3]  # all short: one window each
    assert [sorted(positions.tolist()) for positions, _, _ in batches] == [[0, 2], [1, 3]]
    for _, input_ids, mask in batches:
        assert input_ids.dtype == mask.dtype == np.int64 and input_ids.shape == mask.shape
        assert mask[:, 0].all() and (input_ids[mask == 0] == classifier.tokenizer.pad_token_id).all()


def test_threshold_choices(classifier):
    p = classifier.predict(TEXTS[0], threshold=0.0)
    assert len(p.labels) == 28
    assert classifier.predict(TEXTS[0], threshold=1.0).labels == []
    per_class = classifier.threshold_array()
    np.testing.assert_allclose(per_class, classifier.thresholds.array(classifier.labels))
    assert set(classifier.threshold_array("global")) == {classifier.thresholds.global_threshold}
    probs = np.array(list(p.probabilities.values()))
    expected = [classifier.labels[i] for i in np.argsort(-probs, kind="stable") if probs[i] >= per_class[i]]
    assert classifier.predict(TEXTS[0]).labels == expected
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        classifier.predict("x", threshold=1.5)
    with pytest.raises(ValueError, match="'global' or 'per_class'"):
        classifier.predict("x", threshold="best")


def test_missing_or_broken_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        EmotionClassifier(tmp_path / "nope")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="no weights"):
        EmotionClassifier(tmp_path)


def test_text_normalization_is_recorded_and_applied(tiny_checkpoint, tmp_path):
    import json
    import shutil

    from emotion.text import demojize

    assert demojize("lol 😂") == "lol  face with tears of joy " and demojize("snake_case :)") == "snake_case :)"
    assert json.loads((tiny_checkpoint / "training_config.json").read_text())["text_normalization"] == "demojize"
    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    clf = EmotionClassifier(copy, backend="torch")
    written = clf.predict_probabilities(["lol face with tears of joy"])
    np.testing.assert_allclose(clf.predict_probabilities(["lol 😂"]), written, atol=1e-6)
    assert clf.count_tokens("😂") == clf.count_tokens("face with tears of joy")
    assert clf.count_tokens("ok")[1] == 0 and clf.count_tokens("\u16a0\u16a2\u16a6")[1] > 0
    config = json.loads((copy / "training_config.json").read_text())
    (copy / "training_config.json").write_text(json.dumps({**config, "text_normalization": "none"}))
    plain = EmotionClassifier(copy, backend="torch")  # checkpoints from before normalisation: text as given
    assert not np.allclose(plain.predict_probabilities(["lol 😂"]), written, atol=1e-6)
    (copy / "training_config.json").write_text(json.dumps({**config, "text_normalization": "demojize+squeeze"}))
    squeezed = EmotionClassifier(copy, backend="torch")  # stretched letters held to two, then emoji as words
    np.testing.assert_allclose(squeezed.predict_probabilities(["sooooo happyyyy 😂"]),
                               squeezed.predict_probabilities(["soo happyy face with tears of joy"]), atol=1e-6)
    assert squeezed.normalize("sooooo 😂") == "soo  face with tears of joy " and clf.normalize("sooooo") == "sooooo"
    for unknown in ("stem", "demojize+stem"):
        (copy / "training_config.json").write_text(json.dumps({**config, "text_normalization": unknown}))
        with pytest.raises(Exception, match="Unknown text normalization 'stem'"):
            EmotionClassifier(copy, backend="torch")


def test_serving_tokenizer_gives_the_ids_transformers_gives(classifier, tiny_checkpoint):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_checkpoint)
    texts = [*TEXTS, "", "   ", "Ünïcödé café [NAME] 😂😂", "word " * 80]
    assert classifier.tokenizer.encode(texts, 32) == hf(texts, truncation=True, max_length=32)["input_ids"]
    assert classifier.tokenizer.encode(texts) == hf(texts, verbose=False)["input_ids"]
    assert (classifier.tokenizer.pad_token_id, classifier.tokenizer.unk_token_id) == (hf.pad_token_id, hf.unk_token_id)


def test_serving_imports_neither_transformers_nor_torch(tiny_checkpoint):
    import subprocess
    import sys

    code = (f"import sys; from emotion.serve.predict import EmotionClassifier; "
            f"c = EmotionClassifier({str(tiny_checkpoint)!r}, backend='onnx'); c.predict('ok'); "
            "print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize("backend", ["auto", "onnx-int8", "torch"])
def test_damaged_weights_are_named_as_damaged_on_every_backend(tiny_checkpoint, tmp_path, backend):
    """Without PyTorch nothing else reads the weights: their own header is checked before a backend is chosen."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, copy)
    with open(copy / "model.safetensors", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(CheckpointError, match=r"model.safetensors is damaged.*git checkout"):
        EmotionClassifier(copy, backend=backend)
    (copy / "model.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="is damaged"):
        EmotionClassifier(copy, backend=backend)
