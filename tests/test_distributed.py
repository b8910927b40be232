"""Scoring shards on a local Ray: the same answers as score.py, resumable, and clear about bad shards."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")
zstandard = pytest.importorskip("zstandard")

from emotion.serve.distributed import Job, list_shards, score_shards  # noqa: E402
from emotion.serve.predict import EmotionClassifier  # noqa: E402
from emotion.serve.scoring import ScoringError, score_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORDS = "thanks so much i am sad about this news wow ok sure lol why would anyone do that proud of you".split()


def comments(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": [f"c{seed}-{i}" for i in range(n)], "score": rng.integers(-5, 50, n),
                         "text": [" ".join(rng.choice(WORDS, rng.integers(1, 12))) for _ in range(n)]})


def write_shards(folder: Path, parquet: int = 2, jsonl: int = 1, zst: int = 1, rows: int = 80) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seed = 0
    for i in range(parquet):
        comments(rows, seed := seed + 1).to_parquet(folder / f"part-{i}.parquet")
    for i in range(jsonl):
        (folder / f"posts-{i}.jsonl").write_text(comments(rows, seed := seed + 1).to_json(orient="records", lines=True))
    for i in range(zst):
        data = comments(rows, seed := seed + 1).to_json(orient="records", lines=True).encode()
        (folder / f"dump-{i}.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_output_equals_score_py(tiny_checkpoint, tmp_path, local_ray):
    write_shards(tmp_path / "in")
    job = Job(str(tiny_checkpoint), str(tmp_path / "out"), backend="onnx")  # fp32: no batch-dependent scales
    report = score_shards(str(tmp_path / "in"), job, workers=2)
    assert (report.scored, report.skipped, report.rows, report.failed) == (4, 0, 320, [])
    local = EmotionClassifier(tiny_checkpoint, backend="onnx", threads=1)
    for shard in list_shards(str(tmp_path / "in")):
        expected = tmp_path / "expected" / f"{shard.name}.parquet"
        expected.parent.mkdir(exist_ok=True)
        score_file(local, shard, expected)
        got, want = pd.read_parquet(job.target(shard)), pd.read_parquet(expected)
        assert list(got.columns) == list(want.columns) and list(got.columns[:3]) == ["id", "score", "text"]
        assert got["id"].tolist() == want["id"].tolist() and got["emotions"].tolist() == want["emotions"].tolist()
        probs = [c for c in got.columns if c.startswith("prob_")]
        np.testing.assert_allclose(got[probs].to_numpy(), want[probs].to_numpy(), atol=1e-5)
    # A second run finds every shard written and scores nothing.
    again = score_shards(str(tmp_path / "in"), job, workers=2)
    assert (again.scored, again.skipped) == (0, 4)


def test_the_ray_engine_writes_the_new_labels(tiny_checkpoint, head_profile, tmp_path, local_ray):
    from conftest import NEW, labelled_comments

    (tmp_path / "in").mkdir()
    labelled_comments(40, 5)[["text"]].to_parquet(tmp_path / "in" / "part-0.parquet")
    job = Job(str(tiny_checkpoint), str(tmp_path / "out"), backend="onnx", profile=str(head_profile))
    report = score_shards(str(tmp_path / "in"), job, workers=1)
    assert report.failed == [] and report.rows == 40
    got = pd.read_parquet(tmp_path / "out" / "part-0.parquet")
    assert all(f"prob_{n}" in got.columns for n in NEW)


def test_bad_shards_fail_alone_with_a_clear_message(tiny_checkpoint, tmp_path, local_ray):
    write_shards(tmp_path / "in", parquet=1, jsonl=0, zst=0)
    comments(10, 9).rename(columns={"text": "body"}).to_parquet(tmp_path / "in" / "no-text.parquet")
    (tmp_path / "in" / "broken.parquet").write_bytes(b"not a parquet file")
    job = Job(str(tiny_checkpoint), str(tmp_path / "out"), backend="onnx")
    report = score_shards(str(tmp_path / "in"), job, workers=2)
    assert report.scored == 1 and len(report.failed) == 2
    why = dict((Path(p).name, reason) for p, reason in report.failed)
    assert "no 'text' column" in why["no-text.parquet"] and "--text_column" in why["no-text.parquet"]
    assert why["broken.parquet"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["part-0.parquet"]  # nothing half-written


def test_shard_listing(tmp_path):
    with pytest.raises(ScoringError, match="No .parquet"):
        list_shards(str(tmp_path))
    write_shards(tmp_path, parquet=2, jsonl=0, zst=0)
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in list_shards(str(tmp_path / "part-*.parquet"))] == ["part-0.parquet", "part-1.parquet"]
    (tmp_path / "part-0.jsonl").write_text('{"text": "hi"}\n')
    with pytest.raises(ScoringError, match="part-0.parquet"):
        list_shards(str(tmp_path))


def test_killed_run_resumes_without_rescoring_finished_shards(tiny_checkpoint, tmp_path):
    write_shards(tmp_path / "in", parquet=6, jsonl=0, zst=0, rows=2000)  # long enough that the kill lands mid-run
    out = tmp_path / "out"
    command = [sys.executable, "score.py", str(tmp_path / "in"), str(out), "--engine", "ray", "--workers", "1",
               "--checkpoint", str(tiny_checkpoint), "--backend", "onnx"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.time() + 180
    while time.time() < deadline and not list(out.glob("*.parquet")):
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the driver and the Ray processes it started, mid-run
    first.wait()
    # A worker that outlives its driver may still finish the shard in its hands: wait for quiet.
    seen, quiet_since = None, time.time()
    while time.time() - quiet_since < 5:
        now = sorted(p.name for p in out.glob("*.parquet"))
        if now != seen:
            seen, quiet_since = now, time.time()
        time.sleep(0.2)
    done = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    assert 1 <= len(done) < 6
    for name in done:  # every file under a final name is complete
        assert len(pd.read_parquet(out / name)) == 2000
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert f"{len(done)} already there" in second.stdout
    assert {p.name for p in out.glob("*.parquet")} == {f"part-{i}.parquet" for i in range(6)}
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in done.items())  # not rescored
    assert not list(out.glob(".*"))  # the killed run's partial files were rewritten and renamed
