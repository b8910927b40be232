"""A profile: what carries the model to one platform, as one thing with its own file.

A profile holds per-label ``thresholds`` (every label of the model, then its own new ones), ``heads``
(``heads.Head``: for a label of the model a head replaces its probability, for a new label it is its
only one), the ``features`` stamp of the checkpoint whose features the heads read, and a ``summary`` of
what the fit found. Like SetFit's model body and head, the checkpoint stays as it is and the profile is a
named part saved beside it: ``EmotionClassifier(checkpoint, profile=...)`` answers with it.

The file is JSON (``adapt.py`` writes it, the Adapt tab downloads it, a visitor's browser sends it back),
so it is read as a stranger's: its size, nesting, names, counts and numbers are checked here before
anything uses it. Its format predates this type and is unchanged: the thresholds' own keys (``global``,
``per_class``, ``name``), then ``features`` and ``heads`` when it has heads, and ``profile`` (the summary).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..files import write_json
from ..thresholds import MAX_NAME, PROFILE, ThresholdError, Thresholds, not_valid, read_file
from .heads import Head, feature_width

# A new label's name becomes a column (prob_<name>) and a key of every answer: plain and short.
NEW_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
MAX_HEADS = 64
MAX_FEATURES = 8192
# A profile file's size: 64 heads of 8,192 weights each take about 12 MB as JSON; anything larger is not a
# profile, and is refused before it is read whole.
MAX_PROFILE_BYTES = 16_000_000


class ProfileError(ThresholdError):
    """A profile is malformed, hostile, or does not fit the checkpoint; the message says why and what to do.
    A ``ThresholdError``: every surface that refuses bad thresholds in one line refuses a bad profile alike."""


def check_new_label(name: str, model_labels: Sequence[str]) -> str | None:
    """Why ``name`` cannot be a new label (None when it can): the one rule, for adapt.py, the labelling
    view and every profile read."""
    if name in model_labels:
        return None
    if not NEW_LABEL.fullmatch(name):
        return (f"{name[:50]!r} cannot name a label: use a letter, then up to 39 letters, digits, '_' or '-' "
                "(it becomes the column prob_<label>).")
    return None


@dataclass(frozen=True)
class FeatureStamp:
    """The checkpoint whose features a profile's heads read: its name, its weights' fingerprint, and the
    number of features (its labels' logits, then its pooled embedding)."""

    checkpoint: str
    weights_sha256: str
    width: int

    @classmethod
    def of(cls, checkpoint) -> "FeatureStamp":
        """The stamp of a ``Checkpoint``'s features."""
        return cls(checkpoint.name, checkpoint.fingerprint, feature_width(checkpoint))

    def to_dict(self) -> dict:
        return {"checkpoint": self.checkpoint, "weights_sha256": self.weights_sha256, "width": self.width}

    @classmethod
    def from_dict(cls, raw: dict) -> "FeatureStamp":
        width = raw.get("width", 0)
        whole = isinstance(width, int) and not isinstance(width, bool)  # 1e400 reads as inf, 412.5 is no width
        if not (whole and 0 < width <= MAX_FEATURES):
            raise ValueError(f"a profile's heads need a stated feature width (features.width) up to {MAX_FEATURES}")
        return cls(str(raw.get("checkpoint") or "another checkpoint")[:200], str(raw.get("weights_sha256", "")), width)


@dataclass(frozen=True)
class Profile:
    """Per-label thresholds and heads fitted for a platform, the checkpoint they read, and what the fit found.

    Two profiles are equal when they answer alike: the same name, thresholds, heads (weights, intercepts,
    thresholds) and features stamp; the summary (figures, warnings, dates) is not compared."""

    name: str
    thresholds: Thresholds  # every label: the model's (the covered ones re-tuned or served by a head), then new ones
    heads: dict[str, Head] = field(default_factory=dict)
    features: FeatureStamp | None = None  # with heads: the checkpoint they were fitted on
    # What the fit found, as the file keeps it (its "profile" key): macro F1 before / after with 95%
    # intervals, sample size and hash, warnings, date, the covered labels, and one record per covered label.
    summary: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # The thresholds say whose they are (``Thresholds.source``: "profile <name>") in every answer.
        name = str(self.name or "")[:MAX_NAME]
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "thresholds", replace(self.thresholds, name=name).from_origin(PROFILE))

    # --- what it answers ---------------------------------------------------------------------------------------

    def labels(self, model_labels: Sequence[str]) -> list[str]:
        """The labels it answers: the model's, then its new ones (each has a head)."""
        return self.thresholds.labels(model_labels)

    @property
    def covered(self) -> list[str]:
        """The labels its sample was labelled for."""
        return list(self.summary.get("covered") or [])

    @property
    def report(self) -> pd.DataFrame:
        """Per covered label: positives, what serves it, the cross-validated F1 of each option."""
        return pd.DataFrame(self.summary.get("labels") or [])

    # --- against a checkpoint ----------------------------------------------------------------------------------

    def check_checkpoint(self, checkpoint) -> None:
        """Refuse heads fitted on another checkpoint's features (a ``Checkpoint``): they would read numbers
        that mean something else. A profile without heads fits any checkpoint of the same labels."""
        if not self.heads:
            return
        stamp = self.features
        if stamp is None or stamp.weights_sha256 != checkpoint.fingerprint or stamp.width != feature_width(checkpoint):
            fitted_on = stamp.checkpoint if stamp is not None else "another checkpoint"
            raise ProfileError(
                f"The profile {self.name} was fitted on the features of {fitted_on}, not of {checkpoint.name} (its "
                f"weights differ). Fit it again on this checkpoint: "
                f"`python adapt.py LABELLED.csv --out PROFILE.json --checkpoint {checkpoint.name}`.")

    # --- its file ----------------------------------------------------------------------------------------------

    def to_dict(self, summary: bool = True) -> dict:
        """The profile as its file keeps it; ``summary=False``: what answers need, without what the fit found
        (the Adapt tab hands this to the visitor's browser, which sends it back with each comment)."""
        out = {"global": round(float(self.thresholds.global_threshold), 4),
               "per_class": {k: round(float(v), 4) for k, v in self.thresholds.per_class.items()}}
        if self.heads:
            out |= {"features": self.features.to_dict() if self.features else {},
                    "heads": {k: head.to_dict() for k, head in self.heads.items()}}
        out["name"] = self.name
        return {**out, "profile": self.summary} if summary and self.summary else out

    def save(self, path: str | os.PathLike) -> Path:
        write_json(path, self.to_dict())
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike, label_names: Sequence[str] | None = None) -> "Profile":
        """A profile file, checked as a stranger's (``from_dict``); ``label_names``: the model's labels."""
        try:
            raw = read_file(path, MAX_PROFILE_BYTES)
        except ThresholdError as err:
            raise ProfileError(str(err)) from err.__cause__
        return cls.from_dict(raw, label_names, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, label_names: Sequence[str] | None = None, source: str = "the profile") -> "Profile":
        """A profile from its JSON (a file, or a visitor's browser): every part checked as a stranger's input.
        ``source`` names where ``raw`` came from, for the error messages."""
        try:
            thresholds = Thresholds.from_dict(raw, None, source=source)
        except ThresholdError as err:
            raise ProfileError(str(err)) from None
        try:
            features, heads = _read_heads(raw)
            summary = raw.get("profile") or {}
            if not isinstance(summary, dict):
                raise ValueError("its `profile` summary is not an object")
        except RecursionError:  # a value nested thousands deep
            raise ProfileError(not_valid(source, "it is nested too deep")) from None
        except (KeyError, ValueError, TypeError, AttributeError, ArithmeticError) as err:
            raise ProfileError(not_valid(source, err)) from err
        profile = cls(thresholds.name, thresholds, heads, features, summary)
        if label_names is not None:
            profile._check_labels(label_names, source)
        return profile

    @classmethod
    def of(cls, value: "str | os.PathLike | Profile | Thresholds", label_names: Sequence[str]) -> "Profile":
        """A profile from a path (read and checked against ``label_names``, the model's labels), a ``Profile``,
        or bare ``Thresholds`` (how a profile was passed before it had a type of its own: no heads)."""
        if isinstance(value, Profile):
            return value
        if isinstance(value, Thresholds):
            return cls(value.name, value)
        return cls.load(value, label_names)

    def _check_labels(self, label_names: Sequence[str], source: str) -> None:
        """Every label of the model has a threshold; every other one is a valid name with a head."""
        served = self.labels(label_names)
        try:
            self.thresholds.array(served)
        except ThresholdError as err:
            raise ProfileError(f"{source}: {err}") from err
        new = served[len(label_names):]
        named = [why for why in (check_new_label(n, label_names) for n in new) if why]
        if named:
            raise ProfileError(f"{source}: {named[0]}")
        headless = [n for n in new if n not in self.heads]
        if headless:
            raise ProfileError(f"{source}: {', '.join(headless[:5])} are not the model's labels and have no "
                               f"head; the model's labels are: {', '.join(label_names)}.")


def _read_heads(raw: dict) -> tuple[FeatureStamp | None, dict[str, Head]]:
    """A profile's features stamp and heads, checked as input from a stranger: names, counts, sizes and numbers."""
    heads = raw.get("heads") or {}
    if not heads:
        return None, {}
    if not isinstance(heads, dict) or len(heads) > MAX_HEADS:
        raise ValueError(f"a profile holds at most {MAX_HEADS} heads over a stated feature width (features.width)")
    features = raw.get("features") or {}
    if not isinstance(features, dict):
        raise ValueError("its `features` is not an object")
    stamp = FeatureStamp.from_dict(features)
    bad = [name for name in heads if name not in raw["per_class"]]
    if bad:
        raise ValueError(f"heads without a threshold in per_class: {', '.join(map(str, bad[:5]))}")
    return stamp, {str(name): Head.from_dict(head, stamp.width) for name, head in heads.items()}
