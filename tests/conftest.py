"""Fixtures the tests make themselves: a tiny random BERT with its own vocabulary and a small
made-up data set in the release's TSV layout. Nothing here comes from GoEmotions."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from emotion.cli import free_port
from emotion.labels import LABELS

# Made-up comments in a Reddit-ish style, each with the labels it plausibly carries.
TEMPLATES: list[tuple[str, list[str]]] = [
    ("thanks so much for the help, legend", ["gratitude"]),
    ("this is hilarious lol", ["amusement"]),
    ("i love this community so much", ["love"]),
    ("wow that is amazing work", ["admiration"]),
    ("why would anyone do that? i am so confused", ["confusion", "curiosity"]),
    ("ugh this is so annoying", ["annoyance"]),
    ("i am so sad about this news", ["sadness"]),
    ("that is terrifying, i am scared", ["fear"]),
    ("ok sure", ["neutral"]),
    ("the game starts at noon", ["neutral"]),
    ("i hope things get better for you", ["optimism", "caring"]),
    ("what a disgusting thing to say", ["disgust", "anger"]),
    ("i am so proud of you", ["pride", "admiration"]),
    ("oh no, i am sorry for your loss", ["remorse", "sadness", "grief"]),
    ("omg i can't wait!!", ["excitement", "joy"]),
    ("yes exactly, i agree", ["approval"]),
    ("no, that is wrong", ["disapproval"]),
    ("oh wow i did not expect that", ["surprise"]),
    # Markup must show as text wherever a comment appears; the browser test checks that it never runs.
    ("<img src=x onerror=window.__pwned=1> lol <script>window.__pwned=2</script>", ["amusement"]),
]
WORDS = sorted({w for text, _ in TEMPLATES for w in re.findall(r"\w+", text.lower())})


def make_rows(n: int, seed: int, prefix: str) -> list[tuple[str, list[int], str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text, names = rng.choice(TEMPLATES)
        rows.append((text, [LABELS.index(name) for name in names], f"{prefix}{i:04d}"))
    return rows


def write_tsv(path: Path, rows) -> None:
    path.write_text("".join(f"{t}\t{','.join(map(str, ids))}\t{cid}\n" for t, ids, cid in rows), encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    for split, n, seed in (("train", 64, 0), ("dev", 24, 1), ("test", 24, 2)):
        write_tsv(folder / f"{split}.tsv", make_rows(n, seed, f"{split[:2]}"))
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer, 32-wide BERT encoder with a vocabulary of our own words."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "?", "!", ",", "'", ".", "<", ">", "/", "="]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    # transformers 5 takes the vocabulary as `vocab`; `vocab_file=` is ignored and every word became [UNK].
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    import torch

    torch.manual_seed(0)  # the same tiny model on every run: a test's outcome must not depend on the draw
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_bert: Path, tmp_path_factory) -> Path:
    """A tiny fine-tuned checkpoint written by the real training entry point."""
    from emotion.train.training import run

    root = tmp_path_factory.mktemp("ckpt")
    data = root / "data"
    data.mkdir()
    for split, n, seed in (("train", 64, 0), ("dev", 24, 1), ("test", 24, 2)):
        write_tsv(data / f"{split}.tsv", make_rows(n, seed, split[:2]))
    out = root / "model"
    run(tiny_run_args(tiny_bert, data, root, out, "--choose_backend", "true"))
    return out


def tiny_run_args(model: Path, data: Path, root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--preset", "minilm-cpu", "--model_name_or_path", str(model), "--data_dir", str(data),
        "--output_dir", str(out), "--run_dir", str(root / "run"), "--logs_dir", str(root / "logs"),
        "--num_train_epochs", "2", "--per_device_train_batch_size", "16", "--eval_steps", "4",
        "--save_steps", "4", "--logging_steps", "2", "--max_length", "32", "--disable_tqdm", "true",
        "--choose_backend", "false", *extra,
    ]


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tiny_checkpoint, tmp_path_factory) -> Path:
    """A copy of the tiny checkpoint with its label-quality audit, built by the real entry point."""
    folder = tmp_path_factory.mktemp("served") / "model"
    shutil.copytree(tiny_checkpoint, folder)
    done = subprocess.run([sys.executable, "audit.py", "--checkpoint", str(folder), "--data_dir",
                           str(tiny_checkpoint.parent / "data")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "test: " in done.stderr, done.stderr
    return folder


def start_app(command: list[str], cwd: Path, env: dict, port: int, seconds: float = 120) -> tuple[subprocess.Popen, str]:
    """Start the app and wait until its page answers; a start that fails shows the app's own output."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited early:\n{proc.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail(f"the app did not come up within {seconds:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def app_url(served, tiny_checkpoint, tmp_path_factory):
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "EMOTION_LABELLING_DIR": str(tmp_path_factory.mktemp("labelling"))}
    proc, url = start_app([sys.executable, "app.py", "--checkpoint", str(served), "--data_dir",
                           str(tiny_checkpoint.parent / "data"), "--port", str(port)], ROOT, env, port)
    yield url
    stop_app(proc)


# A team's labels for the tests of profiles with heads: eight of ours and three of its own.
OURS = ["anger", "annoyance", "disgust", "fear", "joy", "love", "sadness", "surprise"]
NEW = {"thankful": "thanks", "puzzled": "why", "hyped": "wait"}  # a new label: the comment has this word


def labelled_comments(n: int, seed: int):
    """``n`` made-up comments (two templates each) with 0/1 columns for OURS (from the templates' labels)
    and for each new label of NEW (from a word of the text)."""
    import pandas as pd

    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        parts = rng.sample(TEMPLATES[:-1], 2)
        text = " ".join(t for t, _ in parts)
        names = {name for _, labels in parts for name in labels}
        rows.append({"text": text, **{name: int(name in names) for name in OURS},
                     **{label: int(word in re.findall(r"\w+", text)) for label, word in NEW.items()}})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def head_profile(tiny_checkpoint, tmp_path_factory) -> Path:
    """A profile with heads for the three new labels, fitted on the tiny checkpoint by adapt.py."""
    folder = tmp_path_factory.mktemp("profile")
    labelled_comments(120, 0).to_csv(folder / "team.csv", index=False)
    done = subprocess.run([sys.executable, "adapt.py", str(folder / "team.csv"), "--out", str(folder / "team.json"),
                           "--checkpoint", str(tiny_checkpoint), "--backend", "onnx"],  # fp32: no batch-dependent scales
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return folder / "team.json"
