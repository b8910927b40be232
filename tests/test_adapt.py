"""Threshold profiles: reading labelled samples, re-tuning with shrinkage, and answering with a profile."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion.profiles.fit import MIN_POSITIVES, AdaptError, Sample, adapt, read_sample
from emotion.profiles.profile import Profile
from emotion.labels import LABELS
from emotion.thresholds import Thresholds

ROOT = Path(__file__).resolve().parents[1]
EIGHT = ["anger", "annoyance", "disgust", "fear", "joy", "love", "sadness", "surprise"]
CHECKPOINT = Thresholds(0.5, {name: 0.5 for name in LABELS})


def shifted(n: int = 100, seed: int = 0, covered=EIGHT):
    """Labels far more frequent than on Reddit, and a model whose probabilities for them run low:
    the best thresholds sit well below the checkpoint's 0.5."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(LABELS))) < 0.3).astype(int)
    probs = np.clip(0.2 * y + rng.normal(0.2, 0.08, y.shape), 0, 1)
    columns = [LABELS.index(c) for c in covered]
    return probs, Sample([f"comment {i}" for i in range(n)], y[:, columns], list(covered), "shifted"), y


def test_profile_raises_macro_f1_on_a_shifted_sample_and_keeps_uncovered_labels():
    probs, sample, y = shifted()
    profile = adapt(probs, sample, LABELS, CHECKPOINT)
    s = profile.summary
    assert s["macro_f1_after_cv"] > s["macro_f1_before"] + 0.2 and s["gain_95"][0] > 0
    after = profile.thresholds.per_class
    assert all(after[name] < 0.5 for name in EIGHT)  # moved toward the sample's best
    assert all(after[name] == 0.5 for name in LABELS if name not in EIGHT)  # not covered: the checkpoint's
    assert profile.report["label"].tolist() == EIGHT and s["sample"]["rows"] == 100
    # Held out from the whole procedure, the gain holds on comments the profile never saw.
    fresh_probs, fresh, _ = shifted(seed=1)
    columns = [LABELS.index(c) for c in EIGHT]
    from emotion.metrics import confusion_counts, f1_from_counts
    f1 = lambda t: f1_from_counts(*confusion_counts(fresh_probs[:, columns] >= t, fresh.y_true)).mean()
    assert f1(profile.thresholds.array(LABELS)[columns]) > f1(0.5) + 0.2


def test_labels_with_few_positives_keep_the_checkpoint_threshold_and_are_flagged():
    probs, sample, _ = shifted()
    y = sample.y_true.copy()
    y[:, 0] = 0
    y[:2, 0] = 1  # anger: 2 positives
    profile = adapt(probs, Sample(sample.texts, y, sample.covered, "few"), LABELS, CHECKPOINT)
    assert profile.thresholds.per_class["anger"] == 0.5
    assert any(w.startswith("anger: 2 positive") for w in profile.summary["warnings"])
    assert MIN_POSITIVES == 3


def test_shrinkage_pulls_a_small_sample_toward_the_checkpoint():
    probs, sample, _ = shifted(n=400)
    big = adapt(probs, sample, LABELS, CHECKPOINT).thresholds.per_class
    small = adapt(probs[:40], Sample(sample.texts[:40], sample.y_true[:40], EIGHT, "s"), LABELS, CHECKPOINT)
    # n/(n+k) weighs the sample's own best: fewer positives, closer to the checkpoint on average.
    assert np.mean([small.thresholds.per_class[n] for n in EIGHT]) >= np.mean([big[n] for n in EIGHT]) - 0.02


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_reads_wide_files_in_each_format(tmp_path, suffix):
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(30)], "id": range(30), "joy": [i % 2 for i in range(30)],
                          "anger": [int(i % 3 == 0) for i in range(30)]})
    path = tmp_path / f"s{suffix}"
    {".csv": lambda: frame.to_csv(path, index=False), ".jsonl": lambda: frame.to_json(path, orient="records", lines=True),
     ".parquet": lambda: frame.to_parquet(path)}[suffix]()
    sample = read_sample(path, LABELS)
    assert sample.covered == ["anger", "joy"] and sample.y_true.shape == (30, 2)  # the model's label order
    assert sample.y_true[:, 1].tolist() == frame["joy"].tolist()


def test_a_labels_column_needs_the_covered_labels(tmp_path):
    path = tmp_path / "names.csv"
    pd.DataFrame({"text": [f"t{i}" for i in range(30)], "labels": ["joy, anger", "", "joy"] * 10}).to_csv(path, index=False)
    with pytest.raises(AdaptError, match="not absent"):
        read_sample(path, LABELS)
    sample = read_sample(path, LABELS, ["joy", "anger", "fear"])
    # Ours in the model's order (then new labels, in the order given).
    assert sample.covered == ["anger", "fear", "joy"] and sample.y_true[:3].tolist() == [[1, 0, 1], [0, 0, 0], [0, 0, 1]]
    with pytest.raises(AdaptError, match="does not cover: anger"):
        read_sample(path, LABELS, ["joy"])
    # A covered name that is not ours is a new label (test_heads); one that cannot name a column is refused.
    assert read_sample(path, LABELS, ["joy", "anger", "happiness"]).new == ("happiness",)
    with pytest.raises(AdaptError, match="cannot name a label"):
        read_sample(path, LABELS, ["joy", "anger", "=HYPERLINK(1)"])


@pytest.mark.parametrize("content, message", [
    (b"text,joy\n" + b"a,1\n" * 5, "at least 20"),
    (b"body,joy\n" + b"a,1\n" * 30, "no `text` column"),
    (b"text,joy\n" + b"a,yes\n" * 30, "0 or 1"),
    (b"text,author\n" + b"a,bob\n" * 30, "neither a `labels` column"),
    (b"text,joy\n" + b"caf\xe9,1\n" * 30, "not UTF-8"),
    (b"text,joy\n" + b" ,1\n" * 30, "empty `text`"),
])
def test_bad_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(AdaptError, match=message):
        read_sample(path, LABELS)
    (tmp_path / "bad.xlsx").write_bytes(content)
    with pytest.raises(AdaptError, match="use a .csv"):
        read_sample(tmp_path / "bad.xlsx", LABELS)


def test_adapt_cli_writes_a_profile_that_score_and_predict_answer_with(tiny_checkpoint, tmp_path):
    from emotion.serve.predict import EmotionClassifier
    from emotion.ui.server import api_predict
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"text": [f"i am so proud of you {i}" if i % 2 else f"why would anyone do that {i}"
                                   for i in range(100)]})
    for name in EIGHT:
        frame[name] = (rng.random(100) < 0.3).astype(int)
    frame.to_csv(tmp_path / "mine.csv", index=False)
    out = tmp_path / "mine_profile.json"
    done = subprocess.run([sys.executable, "adapt.py", str(tmp_path / "mine.csv"), "--out", str(out),
                           "--checkpoint", str(tiny_checkpoint)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    saved = json.loads(out.read_text())
    assert saved["name"] == "mine" and saved["profile"]["covered"] == EIGHT and "texts_sha256" in saved["profile"]["sample"]
    assert "text" not in json.dumps(saved["profile"]["sample"]).replace("texts_sha256", "")  # no texts kept
    profile = Profile.load(out, LABELS)
    classifier = EmotionClassifier(tiny_checkpoint, profile=out)
    assert classifier.profile == profile and classifier.describe_thresholds() == "profile mine, one per label"
    answer = api_predict(AppContext(tiny_checkpoint, profile=str(out)), Limits(), "i am so proud of you")
    assert answer["thresholds"] == "profile mine, one per label"
    expected = [n for n, p in sorted(answer["probabilities"].items(), key=lambda kv: -kv[1])
                if p >= profile.thresholds.per_class[n]]
    assert answer["labels"] == expected
    scored = subprocess.run([sys.executable, "score.py", str(tmp_path / "mine.csv"), str(tmp_path / "scored.csv"),
                             "--checkpoint", str(tiny_checkpoint), "--thresholds", str(out)], cwd=ROOT,
                            capture_output=True, text=True)
    assert scored.returncode == 0 and "profile mine" in scored.stderr, scored.stderr
    rows = pd.read_csv(tmp_path / "scored.csv", keep_default_na=False)
    probs = rows[[f"prob_{n}" for n in LABELS]].to_numpy()
    array = profile.thresholds.array(LABELS)
    # The file's probabilities are rounded, so compare which labels, not their order among near-ties.
    assert [set(e.split(", ")) - {""} for e in rows["emotions"]] == [
        {LABELS[j] for j in range(len(LABELS)) if p[j] >= array[j]} for p in probs]
    bad = subprocess.run([sys.executable, "adapt.py", str(tmp_path / "missing.csv"), "--out", str(out),
                          "--checkpoint", str(tiny_checkpoint)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_a_sample_of_one_label_is_tuned_like_any_other():
    probs, sample, _ = shifted(covered=["joy"])
    profile = adapt(probs, sample, LABELS, CHECKPOINT)
    assert profile.report["label"].tolist() == ["joy"] and profile.thresholds.per_class["joy"] < 0.5
    assert profile.thresholds.per_class["anger"] == 0.5 and profile.summary["macro_f1_after_cv"] > profile.summary["macro_f1_before"]


def test_a_damaged_parquet_is_named_without_its_folder(tmp_path):
    path = tmp_path / "uploads" / "secret-folder" / "mine.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not parquet at all" * 10)
    with pytest.raises(AdaptError) as caught:
        read_sample(path, LABELS)
    assert "mine.parquet is not a readable parquet file" in str(caught.value) and "secret-folder" not in str(caught.value)
