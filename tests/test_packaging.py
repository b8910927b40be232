"""Installs as users make them: a wheel in a fresh venv with the serving requirements only, and the file
set the README's `hf upload` selects, started the way a Space starts it (no data folder, no Hub)."""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, free_port, start_app, stop_app

MODEL = "checkpoints/minilm-l4-goemotions"


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with requirements.txt and the project's wheel, nothing else (no torch)."""
    folder = tmp_path_factory.mktemp("venv")
    wheels = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(pip + ["-r", str(ROOT / "requirements.txt")], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    leftover = [p for p in (ROOT / "build", *ROOT.glob("*.egg-info")) if not p.exists()]
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    for path in leftover:  # what the build left in the clone and was not there before
        shutil.rmtree(path, ignore_errors=True)
    assert build.returncode == 0, build.stderr[-3000:]
    done = subprocess.run(pip + ["--no-deps", str(next(wheels.glob("*.whl")))], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def upload_selection() -> list[str]:
    """The files the README's `hf upload --include ... --exclude ...` command selects."""
    command = re.search(r"hf upload .*?\n```", (ROOT / "README.md").read_text(), re.S).group(0)
    include = re.findall(r'--include "([^"]+)"', command)
    exclude = re.findall(r'--exclude "([^"]+)"', command)
    # The working tree less what .gitignore leaves out (the Hub applies the uploaded .gitignore too).
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    return [f for f in files if any(fnmatch.fnmatch(f, p) for p in include)
            and not any(fnmatch.fnmatch(f, p) for p in exclude)]


def serve(python: Path, folder: Path, args: list[str], extra: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("GOEMOTIONS_DIR", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", **extra})
    return start_app([str(python), "app.py", *args], folder, env, port, seconds=180)


def test_the_wheel_holds_the_package_data_and_serves_a_checkpoint_path(venv, tmp_path):
    from gradio_client import Client

    # app.py alone, outside the clone: everything else comes from the installed wheel.
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    check = subprocess.run([str(venv), "-c", "import emotion, importlib.util, sys; print(emotion.__file__); "
                            "print(importlib.util.find_spec('torch') is None)"], cwd=tmp_path, capture_output=True, text=True)
    assert "site-packages" in check.stdout and check.stdout.split()[-1] == "True", check.stdout + check.stderr
    missing = subprocess.run([str(venv), "-c", "from emotion import EmotionClassifier; EmotionClassifier()"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert "not in this install" in missing.stderr and "EmotionClassifier(" in missing.stderr
    proc, url = serve(venv, tmp_path, ["--checkpoint", str(ROOT / MODEL)], {})
    try:
        answer = Client(url, verbose=False).predict("thank you so much, you made my day", None, api_name="/predict")
        assert "gratitude" in answer["labels"]
    finally:
        stop_app(proc)


def test_the_space_upload_is_small_and_starts_as_a_space_does(venv, tmp_path):
    """The selected files in a folder of their own, started on port 7860's settings by environment
    (GRADIO_SERVER_NAME=0.0.0.0), without a data folder or the Hub: Predict answers, the rest says what
    is missing."""
    from gradio_client import Client

    files = upload_selection()
    assert "app.py" in files and f"{MODEL}/model.safetensors" in files and "requirements.txt" in files
    assert not any(f.startswith(("tests/", "bench/", "docs/", "checkpoints/minilm-goemotions/")) for f in files)
    assert sum((ROOT / f).stat().st_size for f in files) < 80e6
    space = tmp_path / "space"
    for f in files:
        (space / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, space / f)
    proc, url = serve(venv, space, [], {"GRADIO_SERVER_NAME": "0.0.0.0"})
    try:
        client = Client(url, verbose=False)
        assert "gratitude" in client.predict("thanks a lot, legend", None, api_name="/predict")["labels"]
        from gradio_client.exceptions import AppError

        with pytest.raises(AppError, match="data folder|--data_dir"):
            client.predict("thanks a lot", 3, api_name="/similar")
    finally:
        stop_app(proc)
