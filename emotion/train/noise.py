"""Spelling noise for training: the student reads a sloppily typed copy of a comment and learns the
teacher's answer for the clean one (``training.NoisyCollator``).

Deliberately a different generator from the one that grades robustness (``robustness``): its own
keyboard geometry, its own choice of words and rates, its own random stream. A model tuned to one
generator's quirks would look robust only to that generator.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ..text import KEY_NEIGHBOURS as NEIGHBOURS  # the keys the corrector expects slips on

WORD = re.compile(r"[A-Za-z]+")
CONTRACTIONS = re.compile(r"\b(\w+)'(\w+)\b")
SHORTHAND = {"you": "u", "your": "ur", "you're": "ur", "i'm": "im", "don't": "dont", "going to": "gonna",
             "want to": "wanna", "because": "cuz", "though": "tho", "really": "rly", "people": "ppl",
             "can't": "cant", "that's": "thats", "it's": "its", "okay": "ok", "please": "pls"}


def misspell(word: str, rng: random.Random) -> str:
    """One slip of the finger: two letters swapped, one dropped, one doubled, or a neighbouring key."""
    i = rng.randrange(len(word))
    kind = rng.choice(("swap", "drop", "double", "neighbour", "neighbour"))
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    near = NEIGHBOURS.get(word[i].lower())
    if not near:
        return word[:i] + word[i + 1:]
    swap = rng.choice(near)
    return word[:i] + (swap.upper() if word[i].isupper() else swap) + word[i + 1:]


def stretch(word: str, rng: random.Random) -> str:
    """ "so" -> "sooooo": the last vowel (or the last letter) held for 3 to 7 letters."""
    vowels = [i for i, ch in enumerate(word) if ch.lower() in "aeiouy"]
    i = vowels[-1] if vowels else len(word) - 1
    return word[:i] + word[i] * rng.randint(3, 7) + word[i + 1:]


@dataclass(frozen=True)
class TrainingNoise:
    """How sloppy a noisy training copy is; each comment draws one style of sloppiness."""

    word_rate: float = 0.15  # share of words of 3+ letters misspelt, in a comment drawn for typos
    stretch_rate: float = 0.3  # share of words stretched, in a comment drawn for stretching

    def __call__(self, text: str, rng: random.Random) -> str:
        style = rng.random()
        if style < 0.55:
            text = WORD.sub(lambda m: misspell(m[0], rng) if len(m[0]) >= 3 and rng.random() < self.word_rate
                            else m[0], text)
            if rng.random() < 0.5:  # often exactly one more: a single typo is the common case
                words = [m for m in WORD.finditer(text) if len(m[0]) >= 3]
                if words:
                    m = rng.choice(words)
                    text = text[:m.start()] + misspell(m[0], rng) + text[m.end():]
        elif style < 0.7:
            text = WORD.sub(lambda m: stretch(m[0], rng) if len(m[0]) <= 6 and rng.random() < self.stretch_rate
                            else m[0], text)
        elif style < 0.85:
            text = CONTRACTIONS.sub(r"\1\2", text.lower()).rstrip(".!?")
            for long, short in sorted(SHORTHAND.items(), key=lambda kv: -len(kv[0])):  # "you're" before "you"
                if rng.random() < 0.7:
                    text = re.sub(rf"\b{re.escape(long)}\b", short, text)
        else:
            text = text.upper() if rng.random() < 0.4 else text.lower()
        return text
