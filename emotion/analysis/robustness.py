"""How a model's answers hold up when comments are typed the way people type them: the labelled split
re-written under several kinds of noise, graded at the model's own tuned thresholds next to the clean text.

The generator here grades; it is not the one that trains (``noise``): its own keyboard table, its own
words and its own random stream, seeded per comment, so a figure is reproducible and does not depend on
the order of the comments.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import bootstrap_counts, confusion_counts, f1_from_counts, interval95

# Each letter's neighbours on a QWERTY keyboard, written out by hand.
KEYBOARD = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj", "i": "uojk",
    "o": "ipkl", "p": "ol", "a": "qwsz", "s": "awedxz", "d": "serfcx", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv",
    "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}
LONG_WORD = re.compile(r"[A-Za-z]{4,}")
# Words people stretch ("sooo", "loooove"); a comment is graded under "stretched" only if it has one.
STRETCHABLE = ("so", "love", "yes", "no", "omg", "please", "wow", "cute", "good", "really", "hate", "sorry", "thanks",
               "nice", "lol", "yay", "ugh", "god", "what", "why", "oh", "too", "cool", "sad", "hope")
STRETCH_WORD = re.compile(rf"\b({'|'.join(STRETCHABLE)})\b", re.IGNORECASE)
REDDIT_SPELLINGS = {"you": "u", "your": "ur", "you're": "ur", "i'm": "im", "don't": "dont", "going to": "gonna",
                    "want to": "wanna", "didn't": "didnt", "doesn't": "doesnt"}
SPELLING = re.compile(rf"\b({'|'.join(map(re.escape, sorted(REDDIT_SPELLINGS, key=len, reverse=True)))})\b",
                      re.IGNORECASE)  # longest first: "you're" before "you"


def typo(word: str, rng: random.Random) -> str:
    """One typo of the four kinds people make: two neighbouring letters swapped, one dropped, one
    doubled, or one replaced by a key next to it."""
    kind = rng.randrange(4)
    swappable = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]  # swapping "rr" changes nothing
    if kind == 0 and swappable:
        i = rng.choice(swappable)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    kind = kind or 1
    i = rng.randrange(len(word))
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    key = rng.choice(KEYBOARD.get(word[i].lower(), word[i]))
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]


def one_typo(text: str, rng: random.Random) -> str | None:
    words = list(LONG_WORD.finditer(text))
    if not words:
        return None
    m = rng.choice(words)
    return text[:m.start()] + typo(m[0], rng) + text[m.end():]


def typo_rate(rate: float) -> Callable[[str, random.Random], str | None]:
    def noisy(text: str, rng: random.Random) -> str | None:
        if not LONG_WORD.search(text):
            return None
        return LONG_WORD.sub(lambda m: typo(m[0], rng) if rng.random() < rate else m[0], text)
    return noisy


def stretched(text: str, rng: random.Random) -> str | None:
    if not STRETCH_WORD.search(text):
        return None

    def hold(m: re.Match) -> str:
        word = m[0]
        vowels = [i for i, ch in enumerate(word) if ch.lower() in "aeiouy"] or [len(word) - 1]
        i = rng.choice(vowels)
        return word[:i] + word[i] * rng.randint(4, 7) + word[i + 1:]
    return STRETCH_WORD.sub(hold, text)


def plain(text: str, rng: random.Random) -> str:
    """No apostrophes, lower case, no final punctuation."""
    return text.replace("'", "").replace("\u2019", "").lower().rstrip(" .!?")


def reddit_spellings(text: str, rng: random.Random) -> str | None:
    if not SPELLING.search(text):
        return None
    return SPELLING.sub(lambda m: REDDIT_SPELLINGS[m[0].lower()], text)


@dataclass(frozen=True)
class Noise:
    name: str
    description: str
    apply: Callable[[str, random.Random], str | None]  # None: the comment has nothing this noise can change


NOISES = (
    Noise("one typo", "one typo in each comment (one word of 4+ letters: swap, drop, double or keyboard neighbour)",
          one_typo),
    Noise("typos 30%", "a typo in about 30% of the words of 4+ letters", typo_rate(0.3)),
    Noise("stretched", "common words stretched (\"sooooo\", \"loooove\"), in the comments that have one", stretched),
    Noise("plain", "no apostrophes, lower case, no final punctuation", plain),
    Noise("lower case", "all lower case", lambda text, rng: text.lower()),
    Noise("all caps", "all upper case", lambda text, rng: text.upper()),
    Noise("reddit spellings", "u, ur, im, dont, gonna ... in the comments that have the words", reddit_spellings),
)
NOISE_NAMES = tuple(n.name for n in NOISES)


def noisy_texts(noise: Noise, ids: Sequence[str], texts: Sequence[str], seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """(rows the noise applies to, their noisy texts); each comment's noise is drawn from its own id."""
    rows, out = [], []
    for row, (cid, text) in enumerate(zip(ids, texts)):
        changed = noise.apply(text, random.Random(f"{seed}|{noise.name}|{cid}"))
        if changed is not None:
            rows.append(row)
            out.append(changed)
    return np.asarray(rows, dtype=np.int64), out


def f1_with_interval(y_true: np.ndarray, noisy: np.ndarray, clean: np.ndarray, resamples: int, seed: int) -> dict:
    """Macro and micro F1 of the noisy and clean decisions on the same comments, with 95% intervals, and
    the paired interval of each drop (clean - noisy)."""
    (tn, fn_, nn), (tc, fc, nc) = bootstrap_counts(y_true, [noisy, clean], resamples, seed)
    boot = {"macro": (f1_from_counts(tn, fn_, nn).mean(1), f1_from_counts(tc, fc, nc).mean(1)),
            "micro": (f1_from_counts(tn.sum(1), fn_.sum(1), nn.sum(1)), f1_from_counts(tc.sum(1), fc.sum(1), nc.sum(1)))}
    point = {}
    pred = {"noisy": noisy, "clean": clean}
    for name, p in pred.items():
        tp, fp, fn = confusion_counts(p, y_true)
        point[name] = {"macro": float(f1_from_counts(tp, fp, fn).mean()),
                       "micro": float(f1_from_counts(tp.sum(), fp.sum(), fn.sum()))}
    out = {}
    for average, (noisy_boot, clean_boot) in boot.items():
        out[f"{average}_f1"] = round(point["noisy"][average], 4)
        out[f"{average}_f1_95ci"] = [round(v, 4) for v in interval95(noisy_boot)]
        out[f"clean_{average}_f1"] = round(point["clean"][average], 4)
        out[f"{average}_drop"] = round(point["clean"][average] - point["noisy"][average], 4)
        out[f"{average}_drop_95ci"] = [round(v, 4) for v in interval95(clean_boot - noisy_boot)]
    return out


def evaluate(
    predict: Callable[[list[str]], np.ndarray], ids: Sequence[str], texts: Sequence[str], y_true: np.ndarray,
    thresholds: np.ndarray, noises: Sequence[Noise] = NOISES, seed: int = 0, resamples: int = 1000,
    clean_probs: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per kind of noise (and the clean text first): comments graded, macro and micro F1 at
    ``thresholds`` with 95% intervals, and the drop from the same comments read clean.
    ``predict`` maps texts to probabilities (N, labels)."""
    y_true = np.asarray(y_true, dtype=bool)
    clean_probs = predict(list(texts)) if clean_probs is None else clean_probs
    clean = clean_probs >= thresholds
    rows = [{"noise": "clean", "comments": len(texts), "description": "the comments as written",
             **f1_with_interval(y_true, clean, clean, resamples, seed)}]
    for noise in noises:
        picked, changed = noisy_texts(noise, ids, texts, seed)
        if not len(picked):
            continue
        noisy = predict(changed) >= thresholds
        rows.append({"noise": noise.name, "comments": len(picked), "description": noise.description,
                     **f1_with_interval(y_true[picked], noisy, clean[picked], resamples, seed)})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as the model card and docs show it."""
    lines = ["| text | comments | macro F1 (95% CI) | drop | micro F1 (95% CI) | drop |", "| --- | --- | --- | --- | --- | --- |"]
    for r in table.to_dict("records"):
        ci = lambda k: f"{r[k][0]:.3f}-{r[k][1]:.3f}"  # noqa: E731
        drop = lambda k: "" if r["noise"] == "clean" else f"{round(-r[k], 3) + 0.0:+.3f}"  # noqa: E731  (no "-0.000")
        lines.append(f"| {r['description'] if r['noise'] != 'clean' else 'as written'} | {r['comments']:,} | "
                     f"{r['macro_f1']:.3f} ({ci('macro_f1_95ci')}) | {drop('macro_drop')} | "
                     f"{r['micro_f1']:.3f} ({ci('micro_f1_95ci')}) | {drop('micro_drop')} |")
    return "\n".join(lines)
