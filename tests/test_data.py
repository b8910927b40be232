import json
import time

import numpy as np
import pandas as pd
import pytest

from emotion import data as data_mod
from emotion.data import DataError, find_split_file, load_split, multi_hot, read_split_file

TRICKY = 'He said ""no way"" 😂😂 and left "quietly"\t1,26\ttricky1'


def test_loads_tsv_splits_with_ids_texts_and_label_lists(data_dir):
    train = load_split("train", data_dir)
    assert train.column_names == ["id", "text", "labels"]
    assert len(train) == 64
    assert all(isinstance(ids, list) and ids for ids in train["labels"])
    assert load_split("validation", data_dir)["id"][0].startswith("de")


def test_tricky_line_survives_exactly(tmp_path):
    (tmp_path / "test.tsv").write_text(TRICKY + "\n", encoding="utf-8")
    row = load_split("test", tmp_path)[0]
    assert row["text"] == 'He said ""no way"" 😂😂 and left "quietly"'
    assert row["labels"] == [1, 26]
    assert row["id"] == "tricky1"


def test_environment_variable_names_the_folder(data_dir, monkeypatch):
    monkeypatch.setenv("GOEMOTIONS_DIR", str(data_dir))
    assert len(load_split("test")) == 24


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_hub_columns_saved_as_other_formats(tmp_path, fmt):
    frame = pd.DataFrame({"text": ['quote "this" 🙂', "plain"], "labels": [[3, 10], [27]], "id": ["a", "b"]})
    path = tmp_path / f"validation.{fmt}"
    if fmt == "csv":
        frame.assign(labels=frame["labels"].map(str)).to_csv(path, index=False)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.to_dict("records")))
    else:
        frame.to_parquet(path)
    loaded = load_split("dev", tmp_path)
    assert loaded["text"] == ['quote "this" 🙂', "plain"]
    assert loaded["labels"] == [[3, 10], [27]]
    assert loaded["id"] == ["a", "b"]


def test_multi_hot():
    out = multi_hot([[0, 2], [1]], num_labels=3)
    np.testing.assert_array_equal(out, [[1, 0, 1], [0, 1, 0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("only text\n", "expected 3"),
        ("text\t3\tid\textra\n", "expected 3"),
        ("text\t28\tid\n", "out of range"),
        ("text\t-1\tid\n", "out of range"),
        ("text\t\tid\n", "no label ids"),
    ],
)
def test_bad_tsv_gives_clear_error(tmp_path, content, message):
    (tmp_path / "test.tsv").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_split("test", tmp_path)


def test_missing_columns_are_named(tmp_path):
    pd.DataFrame({"comment": ["x"], "emotions": ["1"]}).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match=r"missing column\(s\) text, labels, id; found comment, emotions"):
        load_split("test", tmp_path)


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(DataError, match="does not exist.*--data_dir"):
        load_split("test", tmp_path / "nowhere")
    with pytest.raises(DataError, match="No file for split 'test'"):
        find_split_file(tmp_path, "test")
    with pytest.raises(DataError, match="Unknown split"):
        load_split("holdout", tmp_path)


def test_not_utf8_is_a_clear_error(tmp_path):
    (tmp_path / "test.tsv").write_bytes("caf\xe9\t1\tid\n".encode("latin-1"))
    with pytest.raises(DataError, match="Could not read"):
        read_split_file(tmp_path / "test.tsv")


def test_unreachable_hub_fails_fast_with_local_hint(monkeypatch):
    monkeypatch.delenv("GOEMOTIONS_DIR", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(data_mod, "hub_reachable", lambda *a, **k: False)
    with pytest.raises(DataError, match="not reachable.*--data_dir"):
        load_split("test")


def test_hub_probe_is_bounded():
    started = time.time()
    data_mod.hub_reachable("203.0.113.1", timeout=0.5)  # TEST-NET-3: never answers
    assert time.time() - started < 3


def test_one_loader_joins_the_test_split_with_the_stored_probabilities(tiny_checkpoint, tmp_path):
    import shutil

    from emotion.checkpoint import Checkpoint, CheckpointError
    from emotion.data import label_counts, labelled_split, load_split, load_test_set, multi_hot

    data = tiny_checkpoint.parent / "data"
    checkpoint = Checkpoint.open(tiny_checkpoint)
    raw = load_split("test", data)
    test = load_test_set(data, checkpoint)
    assert test.split == "test" and test.stored and test.ids == [str(i) for i in raw["id"]]
    assert test.texts == list(raw["text"]) and test.label_ids == [list(x) for x in raw["labels"]]
    np.testing.assert_array_equal(test.y_true, multi_hot(raw["labels"], len(checkpoint.labels)))
    np.testing.assert_array_equal(test.probs, checkpoint.probabilities("test", test.ids)[1])
    assert load_test_set(data, checkpoint, "dev").ids == labelled_split("dev", data).ids  # dev the same way
    np.testing.assert_array_equal(label_counts("train", data), multi_hot(load_split("train", data)["labels"]).sum(0))
    # Stored probabilities of other weights: refused, or computed by the caller's fallback, which is told why.
    copy = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, copy)
    (copy / "test_probabilities.parquet").unlink()
    with pytest.raises(CheckpointError):
        load_test_set(data, Checkpoint.open(copy))
    asked = []
    found = load_test_set(data, Checkpoint.open(copy), fallback=lambda split, why: asked.append(why) or split.y_true * 0.5)
    assert not found.stored and "test_probabilities.parquet" in asked[0]
    np.testing.assert_array_equal(found.probs, test.y_true * 0.5)


def test_the_test_split_is_loaded_in_one_place():
    """The analysis views, compare, the audit, the Space and the benchmarks read the test set with its labels and
    stored probabilities through data.load_test_set; nothing else joins them itself."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("*.py"), *(root / "emotion").rglob("*.py"), *(root / "bench").glob("*.py")]
    joined = [f.relative_to(root).as_posix() for f in files if f.name != "data.py" and 'load_split("test"' in f.read_text()
              and ("multi_hot" in f.read_text() or ".probabilities(" in f.read_text())]
    assert not joined, joined
