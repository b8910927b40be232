"""Installs as users make them: a wheel in a fresh venv with the serving requirements only, and the file
set the README's `hf upload` sends, started the way a Space starts it (no data folder, no Hub)."""

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def documented_upload() -> list[str]:
    """The README's command that uploads the Gradio Space (the `hf upload` that sends app.py), as arguments."""
    commands = [" ".join(c.split("\\\n")) for c in re.findall(r"^hf upload (?:.*\\\n)*.*$", (ROOT / "README.md").read_text(), re.M)]
    command = next(c for c in commands if '"app.py"' in c)
    return shlex.split(command)


class StandInHub(BaseHTTPRequestHandler):
    """The few Hub endpoints `hf upload` calls, answered as the Hub does; it keeps what it is sent. Large
    files are announced through the LFS batch call and answered as already stored, so only their sizes
    travel (the commit names them); small ones come inside the commit."""

    created: list[dict] = []
    sent: dict[str, int] = {}

    def log_message(self, *args) -> None:  # quiet
        pass

    def answer(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.answer({"error": "not here"}, 404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, own = self.path, f"http://{self.headers['Host']}"
        if path == "/api/repos/create":
            created = json.loads(body)
            type(self).created.append(created)
            return self.answer({"url": f"{own}/spaces/{created['organization']}/{created['name']}"})
        if path == "/api/validate-yaml":
            return self.answer({"errors": [], "warnings": []})
        if "/preupload/" in path:
            return self.answer({"files": [{"path": f["path"], "uploadMode": "lfs" if f["size"] > 10_000_000 else "regular",
                                           "shouldIgnore": False} for f in json.loads(body)["files"]]})
        if path.endswith(".git/info/lfs/objects/batch"):
            return self.answer({"transfer": "basic", "objects": [{"oid": o["oid"], "size": o["size"]}
                                                                 for o in json.loads(body)["objects"]]})
        if "/commit/" in path:
            for line in filter(None, body.decode().splitlines()):
                op = json.loads(line)
                if op["key"] == "file":
                    type(self).sent[op["value"]["path"]] = len(base64.b64decode(op["value"]["content"]))
                elif op["key"] == "lfsFile":
                    type(self).sent[op["value"]["path"]] = op["value"]["size"]
            return self.answer({"commitUrl": f"{own}/spaces/YOU/goemotions/commit/{'0' * 40}", "commitOid": "0" * 40})
        self.answer({"error": f"the stand-in does not know {path}"}, 404)


def clone_after_use(folder: Path) -> Path:
    """The working tree as a user's clone is after `pytest` and `python app.py --backend onnx`: every file
    linked (git's ignore rules do not apply: `hf upload` does not read .gitignore), plus what those runs
    leave inside the folders the command sends: an fp32 graph, the index cache, compiled modules."""
    from emotion.checkpoint import Checkpoint
    from emotion.serve import backends

    for here, folders, files in os.walk(ROOT):
        folders[:] = [f for f in folders if f != ".git"]
        for name in files:
            source = Path(here) / name
            target = folder / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    model = folder / MODEL
    fp32 = model / "onnx" / backends.get("onnx").graph_file(Checkpoint.open(ROOT / MODEL)).name
    leftovers = [fp32, model / "cache" / "train-embeddings-0123456789abcdef-onnx-int8.npz",
                 folder / "emotion" / "__pycache__" / "files.cpython-311.pyc"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.write_bytes(b"left by a run")
    return folder


def kept_by_git(paths: set[str]) -> set[str]:
    """Which of ``paths`` git keeps (tracked, or new and not ignored): what belongs in a clone."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return paths & set(listed)


@pytest.fixture(scope="module")
def upload_sent(tmp_path_factory) -> dict[str, int]:
    """Runs the README's `hf upload` command as written, with the installed `hf`, in a used clone, against a
    stand-in Hub on a loopback port (HF_ENDPOINT); returns the files it sent and their sizes."""
    hf = Path(sys.executable).with_name("hf")
    hf = str(hf) if hf.is_file() else shutil.which("hf")
    assert hf, "the `hf` command of huggingface_hub is not installed"
    clone = clone_after_use(tmp_path_factory.mktemp("clone"))
    StandInHub.created, StandInHub.sent = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update({"HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}", "HF_TOKEN": "hf_standin",
                "HF_HOME": str(tmp_path_factory.mktemp("hf-home")), "NO_COLOR": "1",
                # The stand-in speaks the Hub's plain commit protocol, not the Xet storage service; the files
                # are chosen before either is used.
                "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})
    try:
        command = documented_upload()
        assert command[:2] == ["hf", "upload"]
        done = subprocess.run([hf, *command[1:]], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert [(c["type"], c["name"], c["sdk"]) for c in StandInHub.created] == [("space", "goemotions", "gradio")]
    return dict(StandInHub.sent)


def test_the_documented_upload_sends_the_app_and_one_model_and_nothing_left_by_runs(upload_sent):
    sent = set(upload_sent)
    assert {"app.py", "README.md", "requirements.txt", "emotion/ui/server.py", f"{MODEL}/model.safetensors",
            f"{MODEL}/tokenizer.json"} <= sent
    from emotion.checkpoint import Checkpoint
    from emotion.serve import backends

    int8 = backends.get("onnx-int8").graph_file(Checkpoint.open(ROOT / MODEL)).relative_to(ROOT).as_posix()
    assert {f for f in sent if f.startswith(f"{MODEL}/onnx/")} == {int8}  # the graph it serves, alone
    # Only what a clone holds: no fp32 graph, index cache or compiled module, and all of the app and the model.
    assert sent == kept_by_git(sent)
    wanted = kept_by_git({f.relative_to(ROOT).as_posix() for f in [*(ROOT / "emotion").rglob("*"), *(ROOT / MODEL).rglob("*")]})
    assert wanted <= sent
    assert not any(f.startswith(("tests/", "bench/", "docs/", "web/", "scripts/", "checkpoints/minilm-goemotions/")) for f in sent)
    # The size the README and docs/deploy.md state is the size sent.
    size = sum(upload_sent.values()) / 1e6
    for doc in ("README.md", "docs/deploy.md"):
        stated = float(re.search(r"requirements,? \(?about (\d+) MB", (ROOT / doc).read_text()).group(1))
        assert abs(size - stated) <= 1, (doc, stated, size)


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


def test_the_space_upload_starts_as_a_space_does(venv, upload_sent, tmp_path):
    """The files the upload sends in a folder of their own, started on port 7860's settings by environment
    (GRADIO_SERVER_NAME=0.0.0.0), without a data folder or the Hub: Predict answers, the rest says what
    is missing."""
    from gradio_client import Client

    files = sorted(upload_sent)
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
