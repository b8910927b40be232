"""Training never loses work: a killed run resumes to the same result; a diverging run stops clearly."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import tiny_run_args
from emotion import checkpoint as ckpt
from emotion.training import run

ROOT = Path(__file__).resolve().parents[1]


def test_sigkill_then_resume_matches_an_uninterrupted_run(tiny_bert, data_dir, tmp_path):
    common = ["--max_steps", "12", "--save_steps", "3", "--eval_steps", "3", "--max_eval_samples", "12",
              "--save_total_limit", "20"]
    straight = tmp_path / "straight"
    run(tiny_run_args(tiny_bert, data_dir, straight, straight / "out", *common))

    killed = tmp_path / "killed"
    args = tiny_run_args(tiny_bert, data_dir, killed, killed / "out", *common)
    proc = subprocess.Popen([sys.executable, "train_model.py", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (killed / "run" / "checkpoint-6" / "trainer_state.json").exists():
        assert proc.poll() is None and time.time() < deadline, "the run ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "out").exists(), "a killed run must not leave a final folder behind"

    run([*args, "--resume", "true"])
    a = json.loads((straight / "out" / ckpt.METRICS).read_text())
    b = json.loads((killed / "out" / ckpt.METRICS).read_text())
    for split in ("dev", "test"):
        for policy in a[split]:
            assert b[split][policy]["micro_f1"] == pytest.approx(a[split][policy]["micro_f1"], abs=0.02)
    la = json.loads((straight / "out" / "training_log.json").read_text())
    lb = json.loads((killed / "out" / "training_log.json").read_text())
    loss_a = [e["loss"] for e in la if "loss" in e and e.get("step") == 12]
    loss_b = [e["loss"] for e in lb if "loss" in e and e.get("step") == 12]
    assert loss_a and loss_b[0] == pytest.approx(loss_a[0], rel=0.05)


def test_diverging_loss_stops_with_a_clear_error(tiny_bert, data_dir, tmp_path):
    args = tiny_run_args(tiny_bert, data_dir, tmp_path, tmp_path / "out", "--max_steps", "6",
                         "--learning_rate", "1e38", "--head_learning_rate", "1e38", "--max_grad_norm", "0")
    with pytest.raises(FloatingPointError, match="loss became .* Lower --learning_rate"):
        run(args)
    assert not (tmp_path / "out").exists()
