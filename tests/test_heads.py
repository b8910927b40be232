"""Profiles with heads: a team's own labels learned on the model's features, served everywhere a profile goes."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import NEW, OURS, ROOT, labelled_comments
from emotion.profiles.fit import AdaptError, Sample, adapt, read_sample
from emotion.profiles.heads import fit_head
from emotion.profiles.profile import FeatureStamp, Profile
from emotion.labels import LABELS
from emotion.serve.predict import EmotionClassifier
from emotion.thresholds import ThresholdError, Thresholds

ELEVEN = OURS + list(NEW)


def test_a_head_recovers_a_planted_linear_rule_on_the_tiny_models_features(tiny_checkpoint):
    classifier = EmotionClassifier(tiny_checkpoint, backend="onnx")
    texts = labelled_comments(400, 3)["text"].tolist()
    features = classifier.features(texts)
    assert features.shape == (400, len(LABELS) + 32)
    # The features begin with the logits the probabilities come from: one pass serves both.
    np.testing.assert_allclose(1 / (1 + np.exp(-features[:, :28])), classifier.predict_probabilities(texts), atol=1e-6)
    rule = np.random.default_rng(0).normal(size=features.shape[1])
    score = features @ rule
    y = score > np.quantile(score, 0.7)
    head = fit_head(features[:300], y[:300])
    fresh = head.probability(features[300:]) >= head.threshold
    # On comments it never saw (always "no" would score 0.7). The weights themselves are not unique: the
    # logits are a linear function of the pooled part, so only the decisions are compared.
    assert (fresh == y[300:]).mean() > 0.9


def synthetic(n: int = 200, seed: int = 0):
    """Label "joy": the model's probability already separates it (a threshold serves it). Label "trust" (new)
    and "anger": only a direction of the pooled part carries them (a head is needed)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < 0.3).astype(int)
    logits = rng.normal(-3, 1, (n, len(LABELS)))
    logits[:, LABELS.index("joy")] = np.where(y[:, 0], 1.0, -3.0) + rng.normal(0, 0.3, n)
    pooled = rng.normal(0, 1, (n, 8))
    pooled[:, 0] += 4 * y[:, 1]
    pooled[:, 1] += 4 * y[:, 2]
    features = np.hstack([logits, pooled])
    sample = Sample([f"c{i}" for i in range(n)], y[:, [0, 2, 1]], ["joy", "anger", "trust"], "synthetic", None, ("trust",))
    return features, sample


def test_cross_validation_chooses_between_threshold_and_head_per_label():
    features, sample = synthetic()
    probs = 1 / (1 + np.exp(-features[:, :28]))
    profile = adapt(probs, sample, LABELS, Thresholds(0.5, {n: 0.5 for n in LABELS}), features=features,
                    fitted_on=FeatureStamp("synthetic", "x", features.shape[1]))
    report = profile.report.set_index("label")
    # The head is no better: the simpler rule stays (the checkpoint's 0.5 already separates joy here, so
    # re-tuning cannot beat it either and the checkpoint's threshold is kept).
    assert report.loc["joy", "served_by"] == "checkpoint" and profile.thresholds.per_class["joy"] == 0.5
    assert report.loc["anger", "served_by"] == "head" and report.loc["anger", "f1_head_cv"] > report.loc["anger", "f1_threshold_cv"] + 0.3
    assert report.loc["trust", "served_by"] == "head" and report.loc["trust", "new"] == "yes" and report.loc["trust", "f1_after_cv"] > 0.8
    assert set(profile.heads) == {"anger", "trust"} and profile.summary["new_labels"] == ["trust"]
    # A head serves anger: no note says it "keeps the checkpoint's" threshold.
    assert not any(w.startswith("anger:") for w in profile.summary["warnings"])
    assert profile.labels(LABELS) == [*LABELS, "trust"]
    # Both options are reported with intervals, whichever serves.
    assert report.loc["anger", "f1_threshold_95"] and report.loc["anger", "f1_head_95"]


def test_a_sample_of_new_labels_only_fits_their_heads():
    features, sample = synthetic()
    only = Sample(sample.texts, sample.y_true[:, 2:], ["trust"], "new only", None, ("trust",))
    profile = adapt(1 / (1 + np.exp(-features[:, :28])), only, LABELS, None, features=features,
                    fitted_on=FeatureStamp("synthetic", "x", features.shape[1]))
    s = profile.summary
    assert s["macro_f1_before"] is None and s["macro_f1_before_95"] == [None, None] and s["new_labels"] == ["trust"]
    assert s["macro_f1_all_cv"] > 0.8 and list(profile.heads) == ["trust"]


def test_weights_are_read_back_exactly(tmp_path):
    features, sample = synthetic()
    probs = 1 / (1 + np.exp(-features[:, :28]))
    stamp = FeatureStamp("synthetic", "x", features.shape[1])
    profile = adapt(probs, sample, LABELS, None, features=features, fitted_on=stamp)
    loaded = Profile.load(profile.save(tmp_path / "p.json"), LABELS)
    assert loaded == profile and loaded.thresholds == profile.thresholds and loaded.features == stamp
    for name, head in profile.heads.items():
        np.testing.assert_array_equal(loaded.heads[name].weights, head.weights)
        assert (loaded.heads[name].intercept, loaded.heads[name].threshold) == (head.intercept, head.threshold)
        np.testing.assert_array_equal(loaded.heads[name].probability(features), head.probability(features))
    assert "c0" not in (tmp_path / "p.json").read_text()  # never the texts


def test_a_profile_fitted_on_one_checkpoint_is_refused_on_another(head_profile):
    from emotion.checkpoint import DEFAULT_CHECKPOINT

    with pytest.raises(ThresholdError, match="fitted on the features of .*Fit it again"):
        EmotionClassifier(DEFAULT_CHECKPOINT, backend="onnx-int8", profile=head_profile)
    done = subprocess.run([sys.executable, "score.py", str(head_profile), "out.csv", "--profile", str(head_profile)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("change, message", [
    (lambda p: p["heads"]["thankful"].update(weights=[1.0] * 3), "finite weights"),
    (lambda p: p["heads"]["thankful"].update(threshold=2), "threshold in"),
    (lambda p: p["per_class"].update({"=cmd()": 0.5}), "cannot name a label"),
    (lambda p: p["per_class"].update({"extra": 0.5}), "have no head"),
    (lambda p: p["heads"].update({f"x{i}": p["heads"]["thankful"] for i in range(70)}), "at most 64 heads"),
])
def test_a_damaged_or_hostile_profile_is_refused_with_a_clear_error(head_profile, change, message):
    raw = json.loads(head_profile.read_text())
    change(raw)
    with pytest.raises(ThresholdError, match=message):
        Profile.from_dict(raw, LABELS)


def test_eleven_labels_three_new_reach_score_py_and_the_api(tiny_checkpoint, head_profile, tmp_path):
    from emotion.ui.server import api_predict
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    saved = json.loads(head_profile.read_text())
    assert set(saved["heads"]) >= set(NEW) and saved["features"]["width"] == len(LABELS) + 32
    assert {row["label"] for row in saved["profile"]["labels"]} == set(ELEVEN)
    classifier = EmotionClassifier(tiny_checkpoint, backend="onnx", profile=head_profile)
    assert classifier.labels == [*LABELS, *NEW]
    answer = classifier.predict("thanks so much for the help, legend why would anyone do that")
    assert set(NEW) <= set(answer.probabilities) and "thankful" in answer.labels
    comments = labelled_comments(60, 9)[["text"]]
    comments.to_csv(tmp_path / "in.csv", index=False)
    scored = subprocess.run([sys.executable, "score.py", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"),
                             "--checkpoint", str(tiny_checkpoint), "--profile", str(head_profile), "--backend", "onnx"],
                            cwd=ROOT, capture_output=True, text=True)
    assert scored.returncode == 0, scored.stderr
    rows = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert [f"prob_{n}" for n in ELEVEN if f"prob_{n}" not in rows.columns] == []
    found = {label for cell in rows["emotions"] for label in cell.split(", ") if label}
    assert found & set(NEW), found  # the new labels are predicted, not only scored
    thankful = rows["text"].str.contains("thanks")
    assert rows.loc[thankful, "prob_thankful"].mean() > rows.loc[~thankful, "prob_thankful"].mean() + 0.3
    text = "thanks so much for the help, legend why would anyone do that"
    api = api_predict(AppContext(tiny_checkpoint, backend="onnx", profile=str(head_profile)), Limits(), text)
    assert set(NEW) <= set(api["probabilities"]) and api["labels"] == classifier.predict(text).labels


def test_the_whole_profile_answers_one_comment_as_in_a_batch(tiny_checkpoint, head_profile):
    """A person's profile in the app is a copy of the served classifier: same runners, its own labels."""
    served = EmotionClassifier(tiny_checkpoint, backend="onnx")
    mine = served.with_profile(Profile.load(head_profile, LABELS))
    assert served.labels == list(LABELS) and mine.labels == [*LABELS, *NEW]
    texts = labelled_comments(5, 1)["text"].tolist()
    plain = [j for j, name in enumerate(LABELS) if name not in mine.heads]  # a head replaces a label's probability
    assert plain and len(plain) < 28
    np.testing.assert_allclose(mine.predict_probabilities(texts)[:, plain], served.predict_probabilities(texts)[:, plain],
                               atol=1e-6)
    profiled = EmotionClassifier(tiny_checkpoint, backend="onnx", profile=head_profile)  # an app's --profile
    plain = profiled.without_profile()
    assert plain.labels == list(LABELS) and plain.thresholds == served.thresholds and not plain.heads
    assert plain._outputs is profiled._outputs  # the same runners
    from emotion.analysis.explain import explain

    found = explain(mine, "thanks so much for the help")
    assert found.labels[-3:] == list(NEW) and found.effects.shape[1] == 31  # word effects for a new label too


def test_choose_on_the_command_line_then_adapt_reads_the_weights(tiny_checkpoint, tmp_path):
    labelled_comments(300, 4)[["text"]].to_csv(tmp_path / "all.csv", index=False)
    done = subprocess.run([sys.executable, "adapt.py", "--choose", "60", str(tmp_path / "all.csv"), "--out",
                           str(tmp_path / "to_label.csv"), "--labels", "joy,thankful", "--checkpoint", str(tiny_checkpoint)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    chosen = pd.read_csv(tmp_path / "to_label.csv", keep_default_na=False)
    assert list(chosen.columns) == ["text", "weight", "joy", "thankful"] and len(chosen) == 60
    assert (chosen[["joy", "thankful"]] == "").all().all() and chosen["weight"].sum() == pytest.approx(300, rel=1e-3)
    # Labelled half-way: the unanswered rows are skipped, the weights kept.
    chosen.loc[:39, "joy"] = chosen["text"].str.contains("wait").astype(int).astype(str)[:40]
    chosen.loc[:39, "thankful"] = chosen["text"].str.contains("thanks").astype(int).astype(str)[:40]
    chosen.to_csv(tmp_path / "half.csv", index=False)
    sample = read_sample(tmp_path / "half.csv", LABELS)
    assert len(sample.texts) == 40 and sample.new == ("thankful",) and sample.covered == ["joy", "thankful"]
    np.testing.assert_allclose(sample.weights, chosen["weight"][:40])
    bad = subprocess.run([sys.executable, "adapt.py", "--choose", "10", str(tmp_path / "all.csv"), "--out",
                          str(tmp_path / "x.csv"), "--labels", "=HYPERLINK()", "--checkpoint", str(tiny_checkpoint)],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "cannot name a label" in bad.stderr and "Traceback" not in bad.stderr


def test_a_new_label_with_too_few_positives_gets_a_warning_and_no_head(tiny_checkpoint, tmp_path):
    frame = labelled_comments(60, 2)
    frame["rare"] = 0
    frame.loc[:2, "rare"] = 1
    frame.to_csv(tmp_path / "rare.csv", index=False)
    from emotion.profiles.fit import fit_profile

    profile = fit_profile(EmotionClassifier(tiny_checkpoint, backend="onnx"), read_sample(tmp_path / "rare.csv", LABELS))
    assert "rare" not in profile.heads and "rare" not in profile.thresholds.per_class
    assert any(w.startswith("rare (new): 3 positive(s)") for w in profile.summary["warnings"])


@pytest.mark.parametrize("content, message", [
    (b"text,joy,mood\n" + b"a,2,1\n" * 30, "must hold 0 or 1; these hold other values: joy[.]"),  # ours: 0/1 only
    (b"text,joy,weight\n" + b"a,1,-1\n" * 30, "positive numbers"),
    (b"text,joy,hype\n" + b"a,1,\n" * 29 + b"a,,1\n", "some label cells empty"),
], ids=["ours-not-0-1", "negative-weight", "half-labelled-row"])
def test_bad_labelled_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(AdaptError, match=message):
        read_sample(path, LABELS)


def test_a_column_of_another_name_that_is_not_0_1_is_not_a_label(tmp_path):
    path = tmp_path / "mood.csv"
    path.write_bytes(b"text,joy,mood\n" + b"a,1,2\n" * 15 + b"b,0,3\n" * 15)
    sample = read_sample(path, LABELS)  # "mood" holds 2 and 3: a note of the team's, ignored
    assert sample.covered == ["joy"] and sample.new == () and sample.y_true[:, 0].tolist() == [1] * 15 + [0] * 15


def test_a_visitors_profile_from_another_checkpoint_is_refused_on_the_predict_tab(tiny_checkpoint, head_profile):
    from emotion.ui import predict_tab
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    raw = json.loads(head_profile.read_text())
    result, _ = predict_tab.predict_one(page, "thanks so much", raw)
    assert result["labels"][-3:] == list(NEW) and result["new"] == [28, 29, 30]
    raw["features"]["weights_sha256"] = "another checkpoint's"
    result, error = predict_tab.predict_one(page, "thanks so much", raw)
    assert result is None and "fitted on the features" in error
