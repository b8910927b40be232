"""Regression tests for issue 35, items 7 and 9 (hostile-input and new-user trials): profiles fitted on few
labels must not invent answers, and the language notice must be right when it speaks."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion.checkpoint import DEFAULT_CHECKPOINT
from emotion.language import other_language
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
