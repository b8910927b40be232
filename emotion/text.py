"""Text normalisation, applied identically in training and serving and recorded in the checkpoint.

BERT-family vocabularies map every emoji to the same ``[UNK]`` token, so "😂😂😂" and "😭😭😭" look alike
to the model. ``demojize`` writes each emoji as its English name ("face with tears of joy"), which the
vocabulary does know. ``squeeze`` holds a letter repeated three or more times to two ("soooo" ->
"soo", "loooove" -> "loove"), so that every stretching of a word reads the same. ``spell`` puts a
misspelt word right: the likeliest English word one slip of the finger away ("thnak" -> "thank"; see ``spell``). Steps
combine with "+", applied left to right ("demojize+squeeze+spell").
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

from .errors import EmotionError

NONE, DEMOJIZE, SQUEEZE, SPELL = "none", "demojize", "squeeze", "spell"
NORMALIZATIONS = (NONE, DEMOJIZE, SQUEEZE, f"{DEMOJIZE}+{SQUEEZE}", f"{DEMOJIZE}+{SQUEEZE}+{SPELL}")
STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # a letter three or more times in a row

# The speller's word list: English words from wordfreq at or above FLOOR on the Zipf scale (3 = once per million
# words), written by scripts/spelling_words.py. Changing FLOOR means regenerating the list (a test checks they
# agree). Words shorter than MIN_LENGTH are left alone: one edit away from too many others to guess.
# A checkpoint records "spell", not the list: a new list changes how every spelling checkpoint reads, so it
# needs a step of its own. 2.5 was chosen on dev (docs/robustness.md); at it, frequent misspellings such as
# "realy" and "becuase" are listed words and stay as typed.
FLOOR, MIN_LENGTH = 2.5, 4
SPELLING_WORDS = Path(__file__).with_name("spelling_words.txt")
ASCII_WORD = re.compile(r"[A-Za-z]+")
LOWER = "abcdefghijklmnopqrstuvwxyz"
NEGATION = re.compile(r"['\u2019][tT](?![^\W\d_])")  # the "'t" of "shouldn't", "weren\u2019t"
# QWERTY rows with their horizontal offsets in key widths; a key's neighbours are the keys within 1.2 key widths of
# it (same row left and right, the rows above and below). Training's typo generator presses these keys too.
ROWS = (("qwertyuiop", 0.0), ("asdfghjkl", 0.25), ("zxcvbnm", 0.75))
_POSITIONS = {ch: (r, i + offset) for r, (keys, offset) in enumerate(ROWS) for i, ch in enumerate(keys)}
KEY_NEIGHBOURS = {
    a: "".join(b for b, (rb, xb) in _POSITIONS.items() if b != a and abs(rb - ra) <= 1 and abs(xb - xa) <= 1.2)
    for a, (ra, xa) in _POSITIONS.items()
}
# How likely a slip is, added to a candidate's Zipf frequency (both log10): the corrector picks the word that most
# likely was meant, P(word) * P(typed | word), a noisy channel (Kernighan, Church and Gale 1990). Two neighbours
# swapped, a letter dropped, a letter doubled or a neighbouring key pressed are the common slips; an extra key beside
# the one meant is rarer; a distant key, or an extra letter away from its twin and its neighbours, about 30 times
# rarer. Set from how people type, before measuring, never fitted to the grading suite (docs/robustness.md).
COMMON_SLIP, NEAR_SLIP, RARE_SLIP = 0.0, -0.5, -1.5


def emoji_name(data: dict) -> str:
    """An emoji's English name as ``demojize`` writes it ("face with tears of joy")."""
    return data["en"].strip(":").replace("_", " ")


def demojize(text: str) -> str:
    if text.isascii():  # no emoji: skip the emoji package's per-character scan (most comments)
        return text
    import emoji

    return emoji.replace_emoji(text, replace=lambda _, data: f" {emoji_name(data)} ")


def emoji_table() -> dict:
    """What a browser needs to demojize exactly as Python does (the static Space's ``normalize.js``): every
    emoji's name, and which emoji are components (skin tones, hair), whose ZWJ rule differs."""
    import emoji
    from emoji.unicode_codes import STATUS

    return {"version": emoji.__version__,
            "names": {e: emoji_name(data) for e, data in emoji.EMOJI_DATA.items()},
            "components": [e for e, data in emoji.EMOJI_DATA.items() if data["status"] == STATUS["component"]]}


def squeeze(text: str) -> str:
    return STRETCHED.sub(r"\1\1", text)


def read_spelling_words(path: Path = SPELLING_WORDS) -> dict[str, float]:
    """The speller's list, ``word zipf`` a line after ``#`` comments, as {word: zipf}."""
    words = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, zipf = line.split()
            words[word] = float(zipf)
    return words


def select_spelling_words(floor: float = FLOOR, top_n: int = 200_000) -> tuple[dict[str, float], str]:
    """The speller's list from wordfreq (scripts/spelling_words.py, never at run time: the package is 56 MB): its
    ``top_n`` English words that are ASCII letters at or above ``floor``, with their Zipf frequency (2 decimals),
    and the header that names the source, version, floor and licence."""
    from importlib.metadata import version

    from wordfreq import top_n_list, zipf_frequency

    words = {w: round(zipf_frequency(w, "en"), 2) for w in top_n_list("en", top_n) if w.isascii() and w.isalpha()}
    header = (f"Spelling words for emotion.text.spell: English words and their Zipf frequency from wordfreq "
              f"{version('wordfreq')} (top_n_list('en', {top_n}), ASCII letters only, zipf_frequency >= {floor}).\n"
              f"floor: {floor}\n"
              "Data: wordfreq by Robyn Speer et al., https://github.com/rspeer/wordfreq, licensed CC BY-SA 4.0; this "
              "list is a derived work under the same licence.\n"
              "Regenerate with: python scripts/spelling_words.py")
    return {w: z for w, z in words.items() if z >= floor}, header


def write_spelling_words(path: Path, words: dict[str, float], header: str) -> None:
    """The format ``read_spelling_words`` reads: ``#`` header lines, then ``word zipf`` a line in word order."""
    lines = [f"# {line}" for line in header.splitlines()] + [f"{w} {z:.2f}" for w, z in sorted(words.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def spelling_floor(path: Path = SPELLING_WORDS) -> float | None:
    """The floor a list was written with (its ``# floor:`` line)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# floor:"):
            return float(line.split(":", 1)[1])
    return None


@functools.cache
def spelling_words() -> dict[str, float]:
    """The committed list, read once per process, and only by a process that spells."""
    if not SPELLING_WORDS.is_file():
        raise EmotionError(f"This checkpoint corrects spelling and needs {SPELLING_WORDS.name}, which this "
                           "installation lacks: reinstall the project (`pip install .`).")
    return read_spelling_words()


def slips(typed: str, words: dict[str, float]) -> dict[str, float]:
    """Each listed word one slip from ``typed`` (lower case), with the likeliest slip's weight (``COMMON_SLIP``...)."""
    found: dict[str, float] = {}

    def meant(word: str, weight: float) -> None:
        if word in words and found.get(word, RARE_SLIP - 1) < weight:
            found[word] = weight

    n = len(typed)
    for i, ch in enumerate(typed):
        before, after = typed[i - 1] if i else "", typed[i + 1] if i + 1 < n else ""
        # an extra letter typed: a doubled one is common, one beside a neighbouring key less so
        extra = (COMMON_SLIP if ch in (before, after)
                 else NEAR_SLIP if ch in KEY_NEIGHBOURS.get(before, "") + KEY_NEIGHBOURS.get(after, "") else RARE_SLIP)
        meant(typed[:i] + typed[i + 1:], extra)
        if after and after != ch:
            meant(typed[:i] + after + ch + typed[i + 2:], COMMON_SLIP)
        for c in LOWER:
            if c != ch:
                meant(typed[:i] + c + typed[i + 1:], COMMON_SLIP if ch in KEY_NEIGHBOURS.get(c, "") else RARE_SLIP)
    for i in range(n + 1):  # a letter dropped
        for c in LOWER:
            meant(typed[:i] + c + typed[i:], COMMON_SLIP)
    return found


def correction(word: str, words: dict[str, float], min_length: int = MIN_LENGTH) -> str:
    """``word`` (ASCII letters) as ``spell`` writes it: itself when short or known, else the listed word one slip away
    that was most likely meant (highest Zipf frequency plus the slip's weight; ties: the alphabetically first), in the
    word's case; itself when there is none."""
    lower = word.lower()
    if len(word) < min_length or lower in words:
        return word
    candidates = slips(lower, words)
    if not candidates:
        return word
    best = min(candidates, key=lambda c: (-(words[c] + candidates[c]), c))
    if word == word.upper():
        return best.upper()
    return best[0].upper() + best[1:] if word[0].isupper() else best


def spell(text: str, words: dict[str, float] | None = None) -> str:
    """Each misspelt ASCII word put right (``correction``). A word is a maximal run of ASCII letters that is not
    part of a longer word in another script ("café", "naïve" are left alone). Clean text costs a set lookup a word.
    ``web/normalize.js`` does the same in the browser."""
    words = spelling_words() if words is None else words

    def fix(match: re.Match) -> str:
        start, end = match.span()
        if (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
            return match[0]
        # before "n't": "shouldn't" is "shouldn" + "t", and "should't" would drop the "not"
        if NEGATION.match(text, end):
            return match[0]
        return correction(match[0], words)

    return ASCII_WORD.sub(fix, text)


def _step(name: str) -> Callable[[str], str]:
    if name == DEMOJIZE:
        if importlib.util.find_spec("emoji") is None:
            raise EmotionError("This checkpoint writes emoji as words and needs the emoji package: "
                               "`pip install -r requirements.txt`.")
        return demojize
    if name == SQUEEZE:
        return squeeze
    if name == SPELL:
        spelling_words()  # a missing list is said now, not at the first comment
        return spell
    raise EmotionError(f"Unknown text normalization {name!r}; this version knows {', '.join(NORMALIZATIONS)}. "
                       "Update the project, or retrain the checkpoint.")


def normalizer(name: str) -> Callable[[str], str]:
    """The function a checkpoint's ``text_normalization`` names."""
    if name == NONE:
        return lambda text: text
    steps = [_step(part) for part in name.split("+")]
    if len(steps) == 1:
        return steps[0]

    def normalize(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return normalize
