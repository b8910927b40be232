import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion.serve.predict import EmotionClassifier
from emotion.serve.scoring import ScoringError, score_file

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["thanks so much", 'he said ""no"" lol 😂', "ok sure", "i am so sad about this news", "wow"]


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint):
    # torch: int8 scales activations per batch, so chunking would move its results slightly.
    return EmotionClassifier(tiny_checkpoint, backend="torch")


def write(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.to_dict("records")))
    else:
        frame.to_parquet(path)


def read(path: Path) -> pd.DataFrame:
    return {".csv": pd.read_csv, ".jsonl": lambda p: pd.read_json(p, lines=True), ".parquet": pd.read_parquet}[path.suffix](path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_scores_in_chunks_keeping_columns_and_order(classifier, tmp_path, suffix):
    source, target = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    write(source, pd.DataFrame({"id": [f"c{i}" for i in range(len(TEXTS))], "text": TEXTS}))
    ticks = []
    assert score_file(classifier, source, target, chunk_size=2, progress=ticks.append) == len(TEXTS)
    assert ticks == [2, 2, 1]
    out = read(target)
    assert out["id"].tolist() == [f"c{i}" for i in range(len(TEXTS))] and out["text"].tolist() == TEXTS
    probs = out[[f"prob_{n}" for n in classifier.labels]].to_numpy()
    np.testing.assert_allclose(probs, classifier.predict_probabilities(TEXTS), atol=1e-4)
    expected = [", ".join(p.labels) for p in classifier.predict(TEXTS)]
    assert out["emotions"].fillna("").tolist() == expected
    assert not list(tmp_path.glob(".*partial"))


def test_missing_text_column_names_the_columns_and_leaves_nothing(classifier, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"body": ["hi"], "score": [1]}).to_csv(source, index=False)
    with pytest.raises(ScoringError, match="no 'text' column; its columns are: body, score"):
        score_file(classifier, source, tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_format_mismatch_and_missing_input(classifier, tmp_path):
    with pytest.raises(ScoringError, match="does not exist"):
        score_file(classifier, tmp_path / "nope.csv", tmp_path / "out.csv")
    (tmp_path / "in.csv").write_text("text\nhi\n")
    assert score_file(classifier, tmp_path / "in.csv", tmp_path / "out.parquet") == 1  # formats may differ
    assert pd.read_parquet(tmp_path / "out.parquet")["text"].tolist() == ["hi"]
    with pytest.raises(ScoringError, match="out.xlsx: use a .csv, .jsonl or .parquet file"):
        score_file(classifier, tmp_path / "in.csv", tmp_path / "out.xlsx")


def test_command_line(tiny_checkpoint, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"body": TEXTS}).to_csv(source, index=False)
    done = subprocess.run([sys.executable, "score.py", str(source), str(tmp_path / "out.csv"), "--checkpoint",
                           str(tiny_checkpoint), "--text_column", "body", "--threshold", "0.3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote 5 rows" in done.stdout and "comments/s" in done.stdout
    bad = subprocess.run([sys.executable, "score.py", str(source), str(tmp_path / "o.csv"), "--checkpoint",
                          str(tiny_checkpoint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "no 'text' column" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stopped_run_leaves_no_partial_file_and_no_traceback(tiny_checkpoint, tmp_path, stop):
    import signal
    import time

    source = tmp_path / "in.csv"
    pd.DataFrame({"text": [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(200_000)]}).to_csv(source, index=False)
    # A suite started in the background (`pytest &`) ignores SIGINT, and a child inherits that: restore it.
    run = subprocess.Popen([sys.executable, "score.py", str(source), str(tmp_path / "out.csv"), "--checkpoint",
                            str(tiny_checkpoint), "--chunk_size", "512"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / ".out.csv.partial").exists():
        time.sleep(0.1)
    assert (tmp_path / ".out.csv.partial").exists(), "the run never started writing"
    run.send_signal(getattr(signal, stop))
    stderr = run.communicate(timeout=60)[1]
    assert run.returncode in (130, 143) and "Traceback" not in stderr, stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # neither the output nor its partial file
