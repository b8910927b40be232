"""Console logging for the entry points: one line per message, prefixed by where it comes from."""

import logging
import os


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        return f"[{record.name.removeprefix('emotion.')}] {level}{record.getMessage()}"


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_Formatter())
    logging.basicConfig(level=level, handlers=[handler])
    # Serving runs without PyTorch by design; transformers' advice that it is missing would only confuse.
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    # Third-party libraries log at INFO about their own internals; the user's console is for ours.
    for noisy in ("httpx", "urllib3", "huggingface_hub", "gradio", "datasets", "onnx_ir", "onnxscript", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
