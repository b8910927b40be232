"""Regression tests for issue 35, items 7 and 9 (hostile-input and new-user trials): profiles fitted on few
labels must not invent answers, and the language notice must be right when it speaks."""

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion.checkpoint import DEFAULT_CHECKPOINT
from emotion.serve.language import other_language
from emotion.tokenizer import Tokenizer

FOREIGN = Path(__file__).resolve().parent / "data" / "foreign_comments.tsv"
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "goemotions"


@pytest.fixture(scope="module")
def known():
    """The shipped model's reading of a text's words (only its tokenizer.json is read)."""
    return Tokenizer(DEFAULT_CHECKPOINT).known_words


# --- item 9: the language notice ---------------------------------------------------------------------------

# The trials' English comments that were called Spanish (p 0.82 to 0.99), and a few of the same kind.
ENGLISH = ["thank you so much!", "thanks so much!", "love you so much!", "miss you so much!", "omg thanks so much!!",
           "tahnk you so much, Alex", "what the actual heck?", "im so excited!", "I am so offended right now",
           "brilliant, thank you so much!", "okay, thank you so much guys!", "lol get em boys"]


@pytest.mark.parametrize("text", ENGLISH)
def test_common_english_gets_no_language_notice(text, known):
    assert other_language(text, known) is None
    if len(text.split()) < 5:
        assert other_language(text) is None  # without the model's vocabulary: too short to tell


def test_an_english_comment_fasttext_misreads_is_kept_by_the_models_vocabulary(known):
    # fastText alone says German (p 0.88) of this six-word comment; the model knows five of its six words.
    text = "omg im on a roll today"
    assert other_language(text) is not None and other_language(text)[0] == "de"
    assert known(text) == (6, 5)
    assert other_language(text, known) is None


def test_foreign_comments_are_flagged_with_their_language(known):
    """Recall on short informal comments we wrote in 24 languages; the "check" set was written after the rule
    was fixed, and graded once (docs/limits.md)."""
    comments = pd.read_csv(FOREIGN, sep="\t")
    assert len(comments) >= 30 and comments["lang"].nunique() >= 10
    for name, part in comments.groupby("set"):
        found = [other_language(text, known) for text in part["text"]]
        recall = np.mean([f is not None for f in found])
        named = np.mean([f is not None and f[0] == lang for f, lang in zip(found, part["lang"])])
        assert recall >= 0.8 and named >= 0.75, (name, recall, named)
    # Another script is flagged from three words on (English is never written in it).
    assert other_language("спасибо большое, очень помогли", known)[0] == "ru"
    assert other_language("本当にありがとう、助かりました", known)[0] == "ja"


def test_the_notice_uses_the_models_vocabulary():
    from emotion.ui.inputs import reading_notices

    class Reads:
        max_length = 128

        def __init__(self, share):
            self.share = share

        def count_tokens(self, text):
            return len(text.split()) + 2, 0

        def known_words(self, text):
            words = len(text.split())
            return words, round(words * self.share)

    french = "franchement c'est nul, j'ai perdu mon temps"
    assert any("another language than English (fr" in n for n in reading_notices(Reads(0.2), french))
    assert reading_notices(Reads(1.0), french) == []  # every word read as English: no notice


@pytest.mark.integration
@pytest.mark.skipif(not (DATA / "train.tsv").is_file(), reason=f"no GoEmotions copy at {DATA}")
def test_the_notice_almost_never_speaks_on_goemotions(known):
    """Every GoEmotions comment is English (as far as the notice is concerned): 2 of 54,263 are flagged now,
    75 were with the old rule."""
    from emotion.data import load_split

    flagged = sum(other_language(text, known) is not None
                  for split in ("train", "dev", "test") for text in load_split(split, DATA)["text"])
    assert flagged <= 5


# --- item 7: profiles from few labels ----------------------------------------------------------------------

from emotion.profiles.fit import RULES, Sample, adapt  # noqa: E402
from emotion.labels import LABELS  # noqa: E402
from emotion.profiles.profile import FeatureStamp  # noqa: E402
from emotion.thresholds import Thresholds  # noqa: E402

CHECKPOINT = Thresholds(0.3, {name: 0.5 for name in LABELS})
STAMP = FeatureStamp("synthetic", "x", len(LABELS) + 16)


def few(seed: int = 0, n: int = 30, joy: int = 8, trust: int = 8):
    """A 30-comment sample like the trial's: joy with 8 positives whose probabilities tell nothing (the sample's
    best threshold is 0.01: call everything joy), and a new label "trust" that nothing in the features carries."""
    rng = np.random.default_rng(seed)
    y = np.zeros((n, 2), dtype=int)
    y[rng.choice(n, joy, replace=False), 0] = 1
    y[rng.choice(n, trust, replace=False), 1] = 1
    features = np.hstack([rng.normal(-3, 0.5, (n, len(LABELS))), rng.normal(0, 1, (n, 16))])
    features[:, LABELS.index("joy")] = rng.normal(-2.5, 0.5, n)  # p about 0.08 for every comment
    return features, Sample([f"c{i}" for i in range(n)], y, ["joy", "trust"], "team", None, ("trust",))


def fitted(features, sample, rules=RULES):
    """A profile of the sample (fitting takes seconds on 2 cores: the tests share ``profile_of``)."""
    return adapt(1 / (1 + np.exp(-features[:, : len(LABELS)])), sample, LABELS, CHECKPOINT, features=features,
                 fitted_on=STAMP, rules=rules)


SEEDS = (0, 1)  # a profile with a head takes seconds to fit on 2 cores: the tests share ``profile_of``


@functools.cache
def profile_of(seed: int):
    features, sample = few(seed)
    return fitted(features, sample)


def joy_only(seed: int, rules=RULES, n: int = 30, joy: int = 8):
    """The joy column of ``few`` alone, without features: thresholds only, fast."""
    features, sample = few(seed, n, joy)
    probs = 1 / (1 + np.exp(-features[:, : len(LABELS)]))
    return probs, adapt(probs, Sample(sample.texts, sample.y_true[:, :1], ["joy"], "team"), LABELS, CHECKPOINT,
                        rules=rules)


def test_eight_positives_cannot_drag_a_threshold_to_the_floor():
    from emotion.profiles.fit import BEFORE
    from emotion.thresholds import tune_per_class_raw

    for seed in range(6):
        probs, profile = joy_only(seed)
        y = few(seed)[1].y_true[:, :1]
        assert tune_per_class_raw(probs[:, [LABELS.index("joy")]], y)[0] < 0.1  # the sample's best: near 0.01
        # At most 8/18 of the way from the checkpoint's 0.5 (shrinkage never below k = 10), or not moved at all.
        joy = profile.thresholds.per_class["joy"]
        assert joy >= 0.5 - 8 / 18 * 0.5 - 0.01
        row = profile.report.iloc[0]
        if row["served_by"] == "checkpoint":  # cross-validation did not show re-tuning to help: said so
            assert joy == 0.5 and any("did not beat the checkpoint's" in w for w in profile.summary["warnings"])
        else:
            assert row["f1_threshold_cv"] > row["f1_before"]
    assert joy_only(0, BEFORE)[1].thresholds.per_class["joy"] < 0.1  # what the trial met: 0.01


def test_a_new_label_no_better_than_calling_everything_is_left_out_with_what_it_needs():
    """Nothing in the features carries "trust": its head is left out (the trial's head with CV F1 0.00 was
    served, as every new label's head was). By chance a head on noise can beat the bar on 30 comments; it
    must not do so often (3 of 4 seeds left it out when measured; two are tested)."""
    left_out = 0
    for seed in SEEDS:
        profile = profile_of(seed)
        row = profile.report.set_index("label").loc["trust"]
        share = row["positives"] / profile.summary["sample"]["rows"]
        assert (row["served_by"] == "head") == (row["f1_head_cv"] > 2 * share / (1 + share))
        if row["served_by"] == "none":
            left_out += 1
            assert "trust" not in profile.heads and "trust" not in profile.labels(LABELS)
            note = next(w for w in profile.summary["warnings"] if w.startswith("trust (new)"))
            assert "left out" in note and "8 more comments that carry it" in note
    assert left_out >= 1


def test_a_new_label_with_a_signal_is_still_learned_from_thirty_comments():
    features, sample = few(0)
    y = sample.y_true.copy()
    features[:, len(LABELS)] += 8 * y[:, 1]  # one direction of the pooled part carries trust
    profile = fitted(features, Sample(sample.texts, y, sample.covered, "team", None, ("trust",)))
    assert profile.summary["new_labels"] == ["trust"] and profile.heads["trust"].threshold == 0.5
    row = profile.report.set_index("label").loc["trust"]
    assert row["f1_head_cv"] > 2 * 8 / 30 / (1 + 8 / 30) + 0.1  # well above calling every comment trust


def test_a_small_sample_is_said_plainly_in_the_summary_the_app_and_the_command(tiny_checkpoint, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT
    from emotion.ui.adapt_tab import summary_html

    profile = profile_of(0)
    assert profile.summary["small_sample"].startswith("This sample is too small to show much: 30 comments")
    assert "joy, trust" in profile.summary["small_sample"]
    assert "too small to show much" in summary_html(profile)
    rows = ["text,joy"] + [f"{'so happy for you' if i % 2 else 'ok sure'} {i},{i % 2}" for i in range(30)]
    (tmp_path / "small.csv").write_text("\n".join(rows) + "\n")
    done = subprocess.run([sys.executable, "adapt.py", str(tmp_path / "small.csv"), "--out", str(tmp_path / "p.json"),
                           "--checkpoint", str(tiny_checkpoint), "--backend", "onnx"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "note: This sample is too small to show much: 30 comments" in done.stdout


def test_a_large_sample_with_enough_positives_gets_no_small_sample_note():
    assert joy_only(0, n=120, joy=30)[1].summary["small_sample"] == ""
    assert "8 positives" not in joy_only(0)[1].summary["small_sample"]  # it names the labels, not counts
    assert "fewer than 10 positives for joy" in joy_only(0)[1].summary["small_sample"]


def test_a_label_of_ours_served_by_a_head_is_not_said_to_keep_the_checkpoints_threshold():
    """The Adapt tab said "joy ... keeps the checkpoint's" threshold while a head served joy."""
    features, sample = few(0)
    joy = sample.y_true[:, 0].astype(bool)
    column = LABELS.index("joy")
    features[:, column] = -2.2  # p 0.10: the checkpoint's 0.5 finds 2 of the 8, re-tuning does no better
    features[np.flatnonzero(joy)[:2], column] = 0.4
    features[:, len(LABELS) + 1] += 12 * joy  # the pooled part carries all of it: a head serves joy
    profile = fitted(features, Sample(sample.texts, sample.y_true[:, :1], ["joy"], "team"))
    row = profile.report.iloc[0]
    assert row["served_by"] == "head" and row["f1_threshold_cv"] <= row["f1_before"]
    assert not any(w.startswith("joy:") and "threshold" in w for w in profile.summary["warnings"])
