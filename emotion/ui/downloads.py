"""Files offered for download: each in a fresh folder, swept away after an hour."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

DOWNLOADS = Path(tempfile.gettempdir()) / "emotion-downloads"
DOWNLOAD_AGE_S = 3600  # a download file is kept this long: Gradio serves its own copy meanwhile


def download_file(name: str) -> Path:
    """A fresh path named ``name`` for a file offered for download; older ones are swept away, so a
    server that runs for weeks keeps at most an hour of them."""
    DOWNLOADS.mkdir(exist_ok=True)
    now = time.time()
    for folder in DOWNLOADS.iterdir():
        try:
            if now - folder.stat().st_mtime > DOWNLOAD_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # another worker swept it first
    return Path(tempfile.mkdtemp(dir=DOWNLOADS)) / name
