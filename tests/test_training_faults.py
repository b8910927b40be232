"""Training never loses work: a killed run resumes to the same result; a diverging run stops clearly."""

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import tiny_run_args
from emotion import checkpoint as ckpt
from emotion.train.training import run

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
    # A kill while saving tears the newest checkpoint (a busy machine reaches the next save before the kill
    # lands): make one on purpose; --resume must skip it for the last one written whole.
    torn = killed / "run" / "checkpoint-99"
    torn.mkdir()
    (torn / "model.safetensors").write_bytes(b"half")

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


def test_a_failing_onnx_step_leaves_a_complete_checkpoint_served_on_torch(tiny_bert, data_dir, tmp_path, monkeypatch,
                                                                           caplog):
    from emotion.serve.predict import EmotionClassifier
    from emotion.ui.server import api_predict
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    # ONNX Runtime cannot be imported, so the backend choice (export, quantization, timing) fails at the very end.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        metrics = run(tiny_run_args(tiny_bert, data_dir, tmp_path, out, "--max_steps", "4", "--choose_backend", "true"))
    assert set(metrics) == {"dev", "test"}
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "tokenizer.json", ckpt.THRESHOLDS, ckpt.METRICS, ckpt.MODEL_CARD} <= names
    assert ckpt.INFERENCE not in names
    warning = next(r.getMessage() for r in caplog.records if r.name == "emotion.train.evaluate")
    assert "Choosing the default backend failed" in warning and "onnxruntime" in warning
    assert "scripts/choose_backend.py" in warning and "serves on the torch backend" in warning

    classifier = EmotionClassifier(out)
    assert classifier.backend == "torch" and classifier.thresholds is not None
    answer = api_predict(AppContext(out, str(data_dir)), Limits(), "thanks so much for the help, legend")
    assert len(answer["probabilities"]) == 28


def test_the_shipped_model_serves_without_torch():
    """What `pip install -r requirements.txt` gives: no PyTorch; the int8 graph ships in the checkpoint."""
    code = (
        # As in a venv without PyTorch: importing it fails, and transformers' check finds no torch.
        "import importlib.util, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "find_spec = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, package=None: (\n"
        "    None if name.split('.')[0] == 'torch' else find_spec(name, package))\n"
        "from emotion.serve.predict import EmotionClassifier\n"
        "from emotion.ui.context import AppContext\n"
        "c = EmotionClassifier('checkpoints/minilm-l4-goemotions')\n"
        "assert c.backend == 'onnx-int8', c.backend\n"
        "assert 'gratitude' in c.predict('Thank you so much, this really helped!').labels\n"
        "AppContext('checkpoints/minilm-l4-goemotions').load()\n"
        "assert 'torch' not in sys.modules\n"
        "try:\n"
        "    EmotionClassifier('checkpoints/minilm-l4-goemotions', backend='torch')\n"
        "except Exception as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "BackendError The torch backend needs PyTorch" in done.stdout and "requirements-train.txt" in done.stdout


def test_a_failing_evaluation_keeps_the_trained_model(tiny_bert, data_dir, tmp_path, monkeypatch):
    import emotion.train.evaluate

    def broken(*args, **kwargs):
        raise AttributeError("a bug in the model card")

    monkeypatch.setattr(emotion.train.evaluate, "write_model_card", broken)
    out = tmp_path / "out"
    with pytest.raises(AttributeError, match="a bug in the model card"):
        run(tiny_run_args(tiny_bert, data_dir, tmp_path, out, "--max_steps", "2"))
    kept = tmp_path / "out-unevaluated"
    assert not out.exists() and {"model.safetensors", "tokenizer.json", ckpt.TRAINING_CONFIG} <= {
        p.name for p in kept.iterdir()}
    monkeypatch.undo()
    metrics = run(["--eval_only", str(kept), "--data_dir", str(data_dir), "--choose_backend", "false"])
    assert set(metrics) == {"dev", "test"} and (kept / ckpt.THRESHOLDS).is_file()
