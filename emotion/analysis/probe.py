"""Behavioural checks per label, in the CheckList style (Ribeiro et al., 2020), written for emotions.

Three kinds of test, each a group of cases built from ``data/probe.json`` (our own templates, no
GoEmotions text):

- minimum functionality (MFT): a short comment must carry its label ("thank you so much" -> gratitude);
- invariance (INV): another name, a typo, punctuation or an emoji that carries no emotion must not change
  the predicted labels of an MFT comment;
- directional (DIR): adding "not" to a positive comment lowers its label's probability; an intensifier
  ("so", "really") raises the top label's; "😂" raises amusement.

Each case states what it expects and passes or fails; a test's failure rate is its failed share. The
templates are ours, not users': a low failure rate says the model handles these patterns, not that it
handles the patterns users write.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmotionError

SUITE = Path(__file__).with_name("data") / "probe.json"
MFT, INV, DIR = "minimum functionality", "invariance", "directional"
INTENSIFIED = re.compile(r"\b(I'm|is|that's) ")  # where an intensifier goes: "I'm so happy", "this is so annoying"
SATURATED = 0.95  # a probability this close to 1 (or 0) cannot move much further: a change under 0.01 passes


class ProbeError(EmotionError, ValueError):
    """A suite that does not fit the model; the message says what to change."""


@dataclass(frozen=True)
class Case:
    test: str  # the group it belongs to, e.g. "MFT gratitude"
    kind: str  # MFT, INV or DIR
    label: str  # the label it is about
    text: str  # the comment scored
    base: str  # the comment it was made from ("" for MFT)
    expect: str  # what must hold, in words


def load_suite(path: str | Path = SUITE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def typo(text: str) -> str:
    """Swap two inner letters of the longest word (a typo a reader reads through)."""
    words = text.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    word = words[i]
    if len(word) >= 4:
        middle = len(word) // 2
        words[i] = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]
    return " ".join(words)


def build_cases(suite: dict, labels: list[str]) -> list[Case]:
    """Every case of the suite for the labels the model has. The negation tests name their labels outright
    (no template to skip), so a suite naming one the model lacks is refused rather than run wrong."""
    names = suite["names"]
    foreign = [label for label in suite["negation"]["labels"] if label not in labels]
    if foreign:
        raise ProbeError(f"The suite's negation labels {', '.join(map(repr, foreign))} are not labels of this model "
                         f"({len(labels)} labels: {', '.join(labels[:5])}, ...); list only the model's labels under "
                         "negation.labels in the suite.")
    cases: list[Case] = []
    for label, templates in suite["minimum"].items():
        if label not in labels:
            continue
        for template in templates:
            text = template.replace("{name}", names[0])
            cases.append(Case(f"MFT {label}", MFT, label, text, "", f"{label} is predicted"))
            if "{name}" in template:
                cases += [Case("INV another name", INV, label, template.replace("{name}", other), text,
                               "the same labels as with " + names[0]) for other in names[1:3]]
            cases.append(Case("INV typo", INV, label, typo(text), text, "the same labels without the typo"))
            for mark in suite["invariance"]["punctuation"][:1]:
                cases.append(Case("INV punctuation", INV, label, text.rstrip("!.?") + mark, text,
                                  "the same labels with other end punctuation"))
            for emoji in suite["invariance"]["emoji"][:1]:
                cases.append(Case("INV neutral emoji", INV, label, f"{text} {emoji}", text,
                                  f"the same labels with {emoji} (no emotion) added"))
    negation = suite["negation"]
    for label in negation["labels"]:
        for text in negation["texts"].get(label, []):
            cases.append(Case(f"DIR negation lowers {label}", DIR, label, negation["negated"][text], text,
                              f'adding "not" lowers p({label})'))
    intensifier = suite["intensifier"]
    for text in intensifier["texts"]:
        for word in intensifier["words"][:2]:
            stronger = INTENSIFIED.sub(lambda m: f"{m.group(1)} {word} ", text, count=1)
            cases.append(Case("DIR intensifier raises the top label", DIR, "", stronger, text,
                              f'adding "{word}" raises the top label\'s probability'))
    laughing = suite["laughing"]
    if laughing["label"] in labels:
        for text in laughing["texts"]:
            cases.append(Case(f"DIR {laughing['emoji']} raises {laughing['label']}", DIR, laughing["label"],
                              f"{text} {laughing['emoji']}", text, f"adding {laughing['emoji']} raises p({laughing['label']})"))
    return cases


def run(classifier, cases: list[Case]) -> pd.DataFrame:
    """One row per case: what it expected, what the model gave, and whether it passed. Each comment is
    scored on its own (int8 graphs scale activations per batch)."""
    labels = list(classifier.labels)
    texts = sorted({c.text for c in cases} | {c.base for c in cases if c.base})
    probs = {t: p for t, p in zip(texts, (classifier.predict_probabilities([t])[0] for t in texts))}
    thresholds = classifier.threshold_array()

    def predicted(text: str) -> set[str]:
        return {labels[j] for j in np.flatnonzero(probs[text] >= thresholds)}

    rows = []
    for case in cases:
        if case.kind == MFT:
            j = labels.index(case.label)
            passed, got = bool(probs[case.text][j] >= thresholds[j]), f"p={probs[case.text][j]:.2f}, threshold {thresholds[j]:.2f}"
        elif case.kind == INV:
            before, after = predicted(case.base), predicted(case.text)
            passed, got = before == after, f"{', '.join(sorted(before)) or 'none'} -> {', '.join(sorted(after)) or 'none'}"
        else:
            j = labels.index(case.label) if case.label else int(np.argmax(probs[case.base]))
            before, after = probs[case.base][j], probs[case.text][j]
            lower = case.test.startswith("DIR negation")
            moved = after < before if lower else after > before
            stuck = (before <= 1 - SATURATED if lower else before >= SATURATED) and abs(after - before) < 0.01
            passed = bool(moved or stuck)
            got = f"p({labels[j]}) {before:.2f} -> {after:.2f}"
        rows.append({**asdict(case), "got": got, "passed": passed})
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per test: its kind, cases, failures, failure rate and one failing example; worst first."""
    def one(group: pd.DataFrame) -> pd.Series:
        failing = group[~group["passed"]]
        return pd.Series({"kind": group["kind"].iloc[0], "cases": len(group), "failures": len(failing),
                          "failure_rate": round(len(failing) / len(group), 3),
                          "example": failing["text"].iloc[0] if len(failing) else "",
                          "got": failing["got"].iloc[0] if len(failing) else ""})

    table = results.groupby("test", sort=False)[list(results.columns)].apply(one).reset_index()
    return table.sort_values(["failure_rate", "cases"], ascending=[False, False], kind="stable").reset_index(drop=True)


def totals(results: pd.DataFrame) -> dict:
    """The suite's figures for a model card: cases, labels covered, failure rate per kind."""
    labels = {label for label in results["label"] if label}
    by_kind = results.groupby("kind")["passed"].agg(lambda p: round(1 - p.mean(), 3)).to_dict()
    return {"cases": int(len(results)), "tests": int(results["test"].nunique()), "labels": len(labels),
            "failure_rate": round(float(1 - results["passed"].mean()), 3),
            "failure_rate_by_kind": by_kind}
