"""Why a comment got its labels: each word's effect on all 28 probabilities, on the model that serves.

Leave-one-word-out occlusion: every word of the comment is replaced in turn by as many ``[MASK]``
tokens as it has word pieces, and the comment and all its variants are scored in one forward pass.
A word's effect on a label is p(comment) - p(comment without the word): positive where the word
pushes the label up. One pass answers for every label, so switching labels costs nothing. The int8
graph scales activations per batch, so the comment is scored in the same batch as its variants, and
``noise`` (how far the comment's probabilities move between that batch and scored alone) says how
small an effect means nothing.

Attention maps are no substitute: they are the same for every label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A unit is what a person calls a word: GoEmotions' placeholders ("[NAME]") whole, words with their
# apostrophes ("don't"), and runs of punctuation or emoji ("!!!", "😂😂").
UNIT = re.compile(r"\[[A-Z]+\]|[^\W_]+(?:['’][^\W_]+)*|[^\w\s]+")
MAX_WORDS = 128  # the model reads 128 word pieces; words past them have no effect to measure
TOP_SHARE = 0.2  # the faithfulness line removes the top fifth of the words (at least one)
MIN_P = 0.05  # below it a label's faithfulness line is not measured: there is nothing to take away


@dataclass(frozen=True)
class Explanation:
    text: str
    labels: list[str]
    spans: list[tuple[int, int]]  # each word's characters in ``text``
    probabilities: np.ndarray  # (L,) the whole comment, scored with its variants
    effects: np.ndarray  # (W, L) p(comment) - p(comment without the word)
    noise: float  # largest change of any probability between the comment alone and in its batch
    with_top: np.ndarray  # (L,) p(label) in the batch of ``without_top``: the two compare on equal terms
    without_top: np.ndarray  # (L,) p(label) with that label's top words (``top_words``) masked

    @property
    def words(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]

    def top_words(self, label: int) -> list[int]:
        """The words whose removal lowers ``label`` most: the top fifth (at least one), positive effects only."""
        k = max(1, round(TOP_SHARE * len(self.spans)))
        order = np.argsort(-self.effects[:, label], kind="stable")[:k]
        return [int(i) for i in order if self.effects[i, label] > 0]

    def faithfulness(self, label: int) -> str:
        """The live check, in words: what the label's probability is without its top words."""
        name, top = self.labels[label], self.top_words(label)
        if self.probabilities[label] < MIN_P:
            return f"p({name}) is {self.probabilities[label]:.2f}: too low for any word to carry it."
        if not top:
            return f"No word raises p({name}) (now {self.probabilities[label]:.2f}): it comes from the comment as a whole."
        quoted = ", ".join(f"“{self.words[i]}”" for i in top)
        return f"Without {quoted}, p({name}) goes from {self.with_top[label]:.2f} to {self.without_top[label]:.2f}."

    def to_dict(self, label: int | None = None) -> dict:
        """What the API and the browser receive: every label's word effects, rounded."""
        chosen = range(len(self.labels)) if label is None else [label]
        return {
            "text": self.text, "words": self.words, "spans": [list(s) for s in self.spans],
            "labels": self.labels, "noise": round(self.noise, 4),
            "probabilities": {self.labels[j]: round(float(self.probabilities[j]), 4) for j in chosen},
            "effects": {self.labels[j]: [round(float(e), 4) for e in self.effects[:, j]] for j in chosen},
            "faithfulness": {self.labels[j]: {"top_words": [self.words[i] for i in self.top_words(j)],
                                              "probability": round(float(self.with_top[j]), 4),
                                              "without_top_words": round(float(self.without_top[j]), 4),
                                              "sentence": self.faithfulness(j)} for j in chosen},
        }


def word_spans(text: str, limit: int = MAX_WORDS) -> list[tuple[int, int]]:
    return [m.span() for m in UNIT.finditer(text)][:limit]


def masked(text: str, spans: Sequence[tuple[int, int]], drop: Sequence[int], pieces: Sequence[int], mask: str) -> str:
    """``text`` with the words ``drop`` replaced by one ``mask`` per word piece (positions stay put)."""
    out, at = [], 0
    for i in sorted(drop):
        a, b = spans[i]
        out += [text[at:a], " ".join([mask] * max(pieces[i], 1))]
        at = b
    return "".join(out) + text[at:]


def explain(classifier, text: str) -> Explanation:
    """Occlusion of every word of ``text`` for every label of ``classifier`` (an ``EmotionClassifier``)."""
    spans = word_spans(text)
    pieces = classifier.count_pieces([text[a:b] for a, b in spans])
    mask = classifier.tokenizer.mask_token
    variants = [masked(text, spans, [i], pieces, mask) for i in range(len(spans))]
    scored = classifier.predict_probabilities([text, *variants], together=True)
    base, effects = scored[0], scored[0] - scored[1:]
    alone = classifier.predict_probabilities([text])[0]
    draft = Explanation(text, classifier.labels, spans, base, effects.reshape(len(spans), len(base)),
                        float(np.abs(alone - base).max()), base, base)
    # Each likely label's top words removed at once, in one more pass with the comment among them
    # (labels sharing their top words share a variant).
    tops = [tuple(draft.top_words(j)) if base[j] >= MIN_P else () for j in range(len(base))]
    distinct = sorted(set(tops) - {()})
    removed = classifier.predict_probabilities([text] + [masked(text, spans, t, pieces, mask) for t in distinct],
                                               together=True)
    row = {t: 1 + k for k, t in enumerate(distinct)}
    with_top = removed[0]
    without_top = np.array([removed[row[t], j] if t else with_top[j] for j, t in enumerate(tops)], dtype=np.float32)
    return Explanation(text, classifier.labels, spans, base, draft.effects, draft.noise, with_top, without_top)


FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.5)  # ERASER's removal fractions


def eraser(classifier, found: Explanation, label: int, order: Sequence[int],
           fractions: Sequence[float] = FRACTIONS) -> tuple[float, float]:
    """ERASER's comprehensiveness and sufficiency for one label, as AOPC over ``fractions``: the mean
    drop of p(label) when the top ``ceil(q * words)`` words of ``order`` are masked (comprehensiveness:
    higher is more faithful), and when only they are kept (sufficiency: lower is more faithful)."""
    words = len(found.spans)
    pieces = classifier.count_pieces(found.words)
    mask = classifier.tokenizer.mask_token
    tops = [list(order[: max(1, int(np.ceil(q * words)))]) for q in fractions]
    variants = [masked(found.text, found.spans, top, pieces, mask) for top in tops]
    variants += [masked(found.text, found.spans, sorted(set(range(words)) - set(top)), pieces, mask) for top in tops]
    scored = classifier.predict_probabilities([found.text, *variants], together=True)[:, label]
    full, removed, kept = scored[0], scored[1 : 1 + len(tops)], scored[1 + len(tops) :]
    return float(np.mean(full - removed)), float(np.mean(full - kept))
