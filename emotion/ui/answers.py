"""What answers a visitor's comment, and what the browser gets of an answer to draw it at any threshold."""

from __future__ import annotations

import numpy as np

from ..analysis.groups import by_index as groups_by_index
from ..profiles.profile import Profile
from ..thresholds import ThresholdError
from .context import AppContext


def probabilities_payload(labels: list[str], probs: np.ndarray, thresholds: np.ndarray | None,
                          gold: np.ndarray | None = None) -> dict:
    """What ``render.js`` needs to draw one comment at any threshold."""
    payload = {"labels": labels, "probabilities": [round(float(p), 4) for p in probs],
               "thresholds": None if thresholds is None else [round(float(t), 4) for t in thresholds],
               "groups": groups_by_index(labels)}
    return payload if gold is None else {**payload, "gold": np.flatnonzero(gold).tolist()}


def visitor_classifier(ctx: AppContext, profile: dict | None):
    """The classifier that answers this visitor: the app's, or a copy with their profile from the Adapt tab
    (same runners; ``with_profile`` refuses heads fitted on another checkpoint)."""
    if not profile:
        return ctx.model.classifier
    try:  # it comes from the browser: checked like a file
        found = Profile.from_dict(profile, ctx.model.labels, source="the profile")
    except (TypeError, AttributeError) as err:
        raise ThresholdError(f"The profile is malformed ({err}); fit it again on the Adapt tab.") from None
    return ctx.model.classifier.with_profile(found)
