"""The tokenizer a checkpoint's model reads with, from its ``tokenizer.json`` by the Rust ``tokenizers``
library alone: serving then imports neither transformers nor torch, which were 5 s of a cold start.
A test checks it gives the ids ``AutoTokenizer`` gives."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer as RustTokenizer

FILE, CONFIG = "tokenizer.json", "tokenizer_config.json"
LETTER = re.compile(r"[^\W\d_]")


class Tokenizer:
    """Token ids of texts, with the special tokens the model was trained with."""

    def __init__(self, folder: str | Path) -> None:
        folder = Path(folder)
        self._rust = RustTokenizer.from_file(str(folder / FILE))
        self._rust.no_padding()  # batches are padded by length (predict.length_sorted_batches)
        config = json.loads((folder / CONFIG).read_text()) if (folder / CONFIG).exists() else {}
        self.pad_token_id = self._id(config.get("pad_token"), "[PAD]")
        self.unk_token_id = self._id(config.get("unk_token"), "[UNK]")
        self.mask_token = config.get("mask_token") or "[MASK]"
        self.mask_token = self.mask_token["content"] if isinstance(self.mask_token, dict) else self.mask_token
        self.special_tokens = len(self._rust.encode("", add_special_tokens=True).ids)  # [CLS] and [SEP]

    def _id(self, token, default: str) -> int | None:
        token = token["content"] if isinstance(token, dict) else token or default
        return self._rust.token_to_id(token)

    def encode(self, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
        """Ids of each text, cut to ``max_length`` tokens (None: whole). Not thread-safe: it sets truncation."""
        if max_length:
            self._rust.enable_truncation(max_length)
        else:
            self._rust.no_truncation()
        return [encoding.ids for encoding in self._rust.encode_batch(list(texts))]

    def known_words(self, text: str) -> tuple[int, int]:
        """(words, words that are whole tokens of the vocabulary) in ``text``, split and normalised as the
        model reads it; punctuation is not a word. Read-only, so safe from several threads."""
        rust = self._rust
        normalized = rust.normalizer.normalize_str(text) if rust.normalizer else text
        pieces = rust.pre_tokenizer.pre_tokenize_str(normalized) if rust.pre_tokenizer else [(w, None) for w in normalized.split()]
        words = [word for word, _ in pieces if LETTER.search(word)]
        return len(words), sum(rust.token_to_id(word) is not None for word in words)
