"""Issue 33: a profile is a thing of its own (``emotion.profiles.profile.Profile``): its file, its equality, the
checkpoint it fits, the rule for new label names, ``EmotionClassifier(profile=...)``, and one way to draw folds."""

import ast
import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from emotion.checkpoint import Checkpoint
from emotion.labels import LABELS
from emotion.metrics import cv_folds
from emotion.profiles import fit
from emotion.profiles.heads import Head
from emotion.profiles.profile import FeatureStamp, Profile, ProfileError, check_new_label
from emotion.serve.predict import EmotionClassifier
from emotion.thresholds import PROFILE, ThresholdError, Thresholds

# Written by adapt() before the profile had a type of its own (HEAD of f64e814, synthetic features of width
# 32, a head for the new label "trust"): the format every saved profile has.
OLD = Path(__file__).resolve().parent / "data" / "profile_before_issue33.json"


def head(width: int, scale: float = 1.0) -> Head:
    return Head(np.linspace(-1, 1, width) * scale, 0.25, 0.5, 0.1)


def with_heads(name: str = "team", width: int = 60, stamp: FeatureStamp | None = None) -> Profile:
    per_class = {**dict.fromkeys(LABELS, 0.4), "trust": 0.5}
    return Profile(name, Thresholds(0.3, per_class), {"trust": head(width)},
                   stamp or FeatureStamp("tiny", "f" * 64, width), {"warnings": []})


# --- its file -------------------------------------------------------------------------------------------------------

def test_a_profile_file_written_before_the_type_loads_and_saves_back_unchanged(tmp_path):
    raw = json.loads(OLD.read_text())
    profile = Profile.load(OLD, LABELS)
    assert profile.name == "team" and list(profile.heads) == ["trust"] and profile.features.width == 32
    assert profile.labels(LABELS) == [*LABELS, "trust"] and profile.covered == ["joy", "trust"]
    assert profile.report.set_index("label").loc["trust", "served_by"] == "head"
    assert profile.thresholds.origin == PROFILE and profile.thresholds.source == "profile team"
    assert json.loads(profile.save(tmp_path / "again.json").read_text()) == raw  # the same format, key for key


def test_a_thresholds_only_profile_file_loads(tmp_path):
    """The shape ``Thresholds.save`` wrote for a profile without heads (what test_ui's "forum" profile is)."""
    path = tmp_path / "forum.json"
    Thresholds(0.2, dict.fromkeys(LABELS, 0.2), name="forum").save(path)
    profile = Profile.load(path, LABELS)
    assert profile.name == "forum" and not profile.heads and profile.features is None and profile.summary == {}
    assert profile.thresholds == Thresholds(0.2, dict.fromkeys(LABELS, 0.2), name="forum")
    assert json.loads(profile.save(tmp_path / "again.json").read_text()) == json.loads(path.read_text())


def test_a_profile_round_trips_through_its_file(tmp_path):
    profile = with_heads()
    loaded = Profile.load(profile.save(tmp_path / "p.json"), LABELS)
    assert loaded == profile and loaded.summary == profile.summary
    np.testing.assert_array_equal(loaded.heads["trust"].weights, profile.heads["trust"].weights)
    assert loaded.to_dict(summary=False) == {k: v for k, v in profile.to_dict().items() if k != "profile"}


def test_thresholds_hold_thresholds_only():
    assert not hasattr(Thresholds(0.3, {}), "heads") and not hasattr(Thresholds(0.3, {}), "features")
    source = (ROOT / "emotion" / "thresholds.py").read_text()
    imported = [node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)]
    assert imported and not [m for m in imported if "profiles" in m]  # the floor imports no wing


# --- equality -------------------------------------------------------------------------------------------------------

def test_two_profiles_are_equal_only_when_they_answer_alike():
    profile = with_heads()
    assert profile == with_heads()
    assert replace(profile, summary={"warnings": ["another date"]}) == profile  # what the fit found is not compared
    headless = Profile(profile.name, profile.thresholds)
    assert profile.thresholds == headless.thresholds and profile != headless  # heads change the answers
    assert replace(profile, heads={"trust": head(60, scale=2.0)}) != profile  # another head's weights
    assert replace(profile, heads={"trust": replace(head(60), intercept=0.3)}) != profile
    assert replace(profile, features=FeatureStamp("tiny", "e" * 64, 60)) != profile  # another checkpoint's features
    assert replace(profile, thresholds=Thresholds(0.3, {**profile.thresholds.per_class, "joy": 0.6})) != profile


# --- against a checkpoint ---------------------------------------------------------------------------------------------

def test_a_profile_with_heads_is_checked_against_the_checkpoint_it_reads(tiny_checkpoint):
    checkpoint = Checkpoint.open(tiny_checkpoint)
    stamp = FeatureStamp.of(checkpoint)
    assert stamp.width == len(LABELS) + 32 and stamp.weights_sha256 == checkpoint.fingerprint
    with_heads(width=stamp.width, stamp=stamp).check_checkpoint(checkpoint)  # fitted on it: fine
    for other in (replace(stamp, weights_sha256="0" * 64), FeatureStamp(stamp.checkpoint, stamp.weights_sha256, 40)):
        with pytest.raises(ProfileError, match="fitted on the features of .*Fit it again"):
            with_heads(width=other.width, stamp=other).check_checkpoint(checkpoint)
    Profile("plain", Thresholds(0.3, dict.fromkeys(LABELS, 0.4))).check_checkpoint(checkpoint)  # no heads: any


# --- the rule for new label names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, ok", [("trust", True), ("Team_label-2", True), ("joy", True), ("=cmd()", False),
                                      ("2fast", False), ("a" * 41, False), ("with space", False), ("", False)])
def test_the_rule_for_new_label_names(name, ok):
    assert (check_new_label(name, LABELS) is None) == ok


def test_a_profile_file_obeys_the_new_label_rule():
    raw = with_heads().to_dict()
    Profile.from_dict(raw, LABELS)
    for bad, words in (({"=cmd()": 0.5}, "cannot name a label"), ({"extra": 0.5}, "have no head")):
        forged = {**raw, "per_class": {**raw["per_class"], **bad}}
        with pytest.raises(ProfileError, match=words):
            Profile.from_dict(forged, LABELS)
    missing = {**raw, "per_class": {k: v for k, v in raw["per_class"].items() if k != "joy"}}
    with pytest.raises(ThresholdError, match="missing: \\['joy'\\]"):  # a ProfileError is a ThresholdError
        Profile.from_dict(missing, LABELS)


# --- EmotionClassifier(profile=...) -------------------------------------------------------------------------------

def test_the_classifier_takes_a_profile_and_thresholds_is_deprecated(tiny_checkpoint, head_profile):
    import emotion

    assert emotion.Profile is Profile  # the library's API names it beside EmotionClassifier and Thresholds
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # profile= warns of nothing
        profiled = EmotionClassifier(tiny_checkpoint, backend="onnx", profile=head_profile)
        given = EmotionClassifier(tiny_checkpoint, backend="onnx", profile=Profile.load(head_profile, LABELS))
    with pytest.warns(DeprecationWarning, match="thresholds=.*deprecated.*profile="):
        old = EmotionClassifier(tiny_checkpoint, backend="onnx", thresholds=head_profile)
    loaded = Profile.load(head_profile, LABELS)
    for classifier in (profiled, given, old):
        assert classifier.profile == loaded and classifier.thresholds == loaded.thresholds
        assert classifier.heads == loaded.heads and classifier.labels == loaded.labels(LABELS)
        assert classifier.reference_thresholds == Checkpoint.open(tiny_checkpoint).thresholds("onnx")
    text = "thanks so much for the help, legend"
    assert old.predict(text) == profiled.predict(text) == given.predict(text)
    plain = profiled.without_profile()
    assert plain.profile is None and plain.thresholds == plain.reference_thresholds == profiled.reference_thresholds
    assert plain.with_profile(loaded).profile == loaded and plain.with_profile(None) is plain
    with pytest.raises(ValueError, match="profile=... alone"), pytest.warns(DeprecationWarning):
        EmotionClassifier(tiny_checkpoint, backend="onnx", profile=head_profile, thresholds=head_profile)


# --- one way to draw folds ------------------------------------------------------------------------------------------

def test_cv_folds_partition_the_rows_the_same_way_every_time():
    folds = cv_folds(23, 5, seed=1)
    assert len(folds) == 5 and sorted(np.concatenate([held for _, held in folds]).tolist()) == list(range(23))
    for fit_rows, held in folds:
        assert not set(fit_rows) & set(held) and len(fit_rows) + len(held) == 23
    again = cv_folds(23, 5, seed=1)
    assert all(np.array_equal(a, b) for pair in zip(folds, again) for a, b in zip(*pair))
    y = np.array([1] * 5 + [0] * 18, dtype=bool)
    assert all(y[held].sum() == 1 for _, held in cv_folds(23, 5, seed=0, strata=y))  # each fold gets a positive


def test_thresholds_and_heads_are_graded_on_the_same_folds(monkeypatch):
    rng = np.random.default_rng(0)
    n = 60
    y = (rng.random((n, 2)) < 0.3).astype(int)
    features = np.hstack([rng.normal(-3, 1, (n, len(LABELS))), rng.normal(0, 1, (n, 4)) + 3 * y[:, :1]])
    sample = fit.Sample([f"c{i}" for i in range(n)], y, ["joy", "trust"], "s", None, ("trust",))
    seen = []

    def spy(real, position):
        def call(*args, **kwargs):
            seen.append(args[position])  # the folds it grades on
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(fit, "out_of_sample_predictions", spy(fit.out_of_sample_predictions, 3))
    monkeypatch.setattr(fit, "head_predictions", spy(fit.head_predictions, 2))
    fit.adapt(1 / (1 + np.exp(-features[:, : len(LABELS)])), sample, LABELS, None, features=features,
              fitted_on=FeatureStamp("s", "x", features.shape[1]))
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2]  # thresholds, then a head per label: the same rows
    assert all(np.array_equal(a, b) for pair in zip(seen[0], cv_folds(n, fit.FOLDS, fit.GRADING_SEED))
               for a, b in zip(*pair))


def test_the_adapt_tab_hands_the_browser_a_profile_the_predict_tab_answers_with(tiny_checkpoint, head_profile):
    from emotion.ui import predict_tab
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits
    from emotion.ui.page import Page

    profile = Profile.load(head_profile, LABELS)
    sent = profile.to_dict(summary=False)  # what the Adapt tab puts in the page (no figures, no per-label report)
    assert "profile" not in sent and Profile.from_dict(sent, LABELS) == profile
    result, _ = predict_tab.predict_one(Page(AppContext(tiny_checkpoint, backend="onnx"), Limits()), "thanks so much", sent)
    assert result["profile"] == profile.name == "team"
    assert [result["labels"][i] for i in result["new"]] == profile.labels(LABELS)[len(LABELS):]
