"""Multi-label emotion classification of short informal text (GoEmotions, 28 labels)."""

from .checkpoint import Checkpoint
from .errors import EmotionError
from .labels import LABELS, NUM_LABELS
from .metrics import compute_metrics, per_class_table
from .profiles.profile import Profile
from .serve.predict import EmotionClassifier, Prediction
from .thresholds import Thresholds

__all__ = ["LABELS", "NUM_LABELS", "Checkpoint", "EmotionClassifier", "EmotionError", "Prediction", "Profile",
           "Thresholds", "compute_metrics", "per_class_table"]
