import json

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from conftest import make_rows, tiny_run_args, write_tsv
from emotion import checkpoint as ckpt
from emotion.data import load_split
from emotion.thresholds import POLICIES
from emotion.labels import LABELS
from emotion.train.training import parse_args, run
from emotion.train.args import PRESETS

EXPECTED_FILES = {
    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", ckpt.THRESHOLDS, ckpt.METRICS,
    ckpt.PER_CLASS, ckpt.RESULTS, ckpt.TRAINING_CONFIG, ckpt.THRESHOLD_TUNING, "training_log.json",
    "dev_probabilities.parquet", "test_probabilities.parquet", ckpt.MODEL_CARD,
}


def test_training_writes_a_complete_self_describing_folder(tiny_checkpoint):
    assert EXPECTED_FILES <= {p.name for p in tiny_checkpoint.iterdir()}
    metrics = json.loads((tiny_checkpoint / ckpt.METRICS).read_text())
    assert set(metrics) == {"dev", "test"}
    for split in metrics.values():
        assert set(split) == set(POLICIES)
        for values in split.values():
            assert {"micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall"} <= set(values)
    thresholds = json.loads((tiny_checkpoint / ckpt.THRESHOLDS).read_text())
    assert set(thresholds) == {"global", "per_class"} and list(thresholds["per_class"]) == list(LABELS)
    per_class = pd.read_csv(tiny_checkpoint / ckpt.PER_CLASS)
    assert per_class["label"].tolist() == list(LABELS)
    assert len(pd.read_csv(tiny_checkpoint / ckpt.RESULTS)) == 6
    config = json.loads((tiny_checkpoint / ckpt.TRAINING_CONFIG).read_text())
    assert config["max_length"] == 32 and config["head_learning_rate"] == 3e-3 and config["train_comments"] == 64


def test_model_card_has_hub_metadata_and_the_test_table(tiny_checkpoint):
    card = (tiny_checkpoint / ckpt.MODEL_CARD).read_text()
    front = card.split("---")[1]
    for key in ("language: en", "license:", "datasets:", "base_model:", "metrics:", "pipeline_tag: text-classification"):
        assert key in front
    metrics = json.loads((tiny_checkpoint / ckpt.METRICS).read_text())
    assert f"{metrics['test']['per_class_tuned']['macro_f1']:.4f}" in card
    assert "test split (24 comments)" in card and "r = " in card and "## Intended use and limitations" in card


def test_probabilities_are_keyed_by_id_without_texts_or_labels(tiny_checkpoint):
    frame = pd.read_parquet(tiny_checkpoint / "test_probabilities.parquet")
    assert list(frame.columns) == ["id", *LABELS]
    assert frame["id"].str.startswith("te").all() and len(frame) == 24


def test_plain_transformers_reload_reproduces_saved_probabilities(tiny_checkpoint):
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_checkpoint, dtype=torch.float32).eval()
    assert model.config.id2label[0] == "admiration"
    assert next(iter(model.state_dict().values())).dtype == torch.float32
    test = load_split("test", tiny_checkpoint.parent / "data")
    with torch.inference_mode():
        enc = tokenizer(list(test["text"]), truncation=True, padding=True, return_tensors="pt")
        probs = torch.sigmoid(model(**enc).logits).numpy()
    saved = pd.read_parquet(tiny_checkpoint / "test_probabilities.parquet")
    assert saved["id"].tolist() == list(test["id"])
    np.testing.assert_allclose(probs, saved[list(LABELS)].to_numpy(), atol=1e-4)


def test_weights_are_saved_in_half_precision(tiny_checkpoint):
    from safetensors import safe_open

    with safe_open(tiny_checkpoint / "model.safetensors", "pt") as f:
        assert f.get_tensor("classifier.weight").dtype == torch.float16


def test_eval_only_recomputes_the_outputs(tiny_checkpoint, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    for name in (ckpt.METRICS, ckpt.THRESHOLDS, "dev_probabilities.parquet"):
        (copy / name).unlink()
    metrics = run(["--eval_only", str(copy), "--data_dir", str(tiny_checkpoint.parent / "data")])
    assert metrics == json.loads((tiny_checkpoint / ckpt.METRICS).read_text())
    assert (copy / "dev_probabilities.parquet").is_file()


def test_reread_gives_trained_weights_a_new_front_end(tiny_checkpoint, tmp_path):
    """--reread: the same weights, reading through another normalisation, evaluated; the record says where from."""
    import shutil

    from emotion.serve.predict import EmotionClassifier

    shutil.copytree(tiny_checkpoint, tmp_path / "source")
    source = ckpt.Checkpoint.open(tmp_path / "source")
    source.set_int8_fp32(["first"])  # how its int8 graph is made: a setting of the weights, carried over
    out = tmp_path / "spell"
    metrics = run(["--reread", str(source), "--text_normalization", "demojize+squeeze+spell",
                   "--output_dir", str(out), "--data_dir", str(tiny_checkpoint.parent / "data"),
                   "--choose_backend", "false"])
    copy = ckpt.Checkpoint.open(out)
    assert copy.text_normalization == "demojize+squeeze+spell" and metrics == copy.metrics
    assert (out / "model.safetensors").read_bytes() == source.weights_file.read_bytes()
    reads = copy.training_config["reads"]
    assert copy.int8_fp32 == ("first",)
    assert reads["weights_from"] == str(source) and reads["trained_reading"] == source.text_normalization
    assert "--reread" in reads["command"] and copy.training_config["base_model"] == source.training_config["base_model"]
    with pytest.raises(SystemExit):
        parse_args(["--reread", str(source), "--eval_only", str(out)])  # two ways not to train: one at a time
    typed, meant = "thnak you so mcuh", "thank you so much"
    assert (EmotionClassifier(out, backend="torch").predict_probabilities([typed])
            == EmotionClassifier(tiny_checkpoint, backend="torch").predict_probabilities([meant])).all()
    assert "demojize+squeeze+spell" in (out / ckpt.MODEL_CARD).read_text()


def test_resume_continues_from_the_last_checkpoint(tiny_bert, tmp_path, data_dir):
    out = tmp_path / "out"
    args = tiny_run_args(tiny_bert, data_dir, tmp_path, out, "--max_eval_samples", "8", "--loss", "focal")
    run([*args, "--max_steps", "4"])
    assert (tmp_path / "run" / "checkpoint-4").is_dir()
    run([*args, "--max_steps", "6", "--resume", "true"])
    log = json.loads((out / "training_log.json").read_text())
    assert max(entry.get("step", 0) for entry in log) == 6
    assert json.loads((out / ckpt.TRAINING_CONFIG).read_text())["loss"] == "focal"


def test_presets_and_overrides():
    model_args, _, _, training_args, note = parse_args(["--preset", "bert-base", "--learning_rate", "3e-5"])
    assert model_args.model_name_or_path == "bert-base-uncased" and "bert-base" in note
    assert training_args.learning_rate == 3e-5
    assert training_args.per_device_train_batch_size == 16 and training_args.num_train_epochs == 3
    assert training_args.warmup_steps == 500 and training_args.weight_decay == 0.01
    assert training_args.eval_steps == 500 and training_args.save_steps == 500
    assert training_args.metric_for_best_model == "micro_f1" and training_args.load_best_model_at_end
    assert training_args.fp16 == torch.cuda.is_available()
    model_args, _, _, training_args, note = parse_args([])
    expected = "bert-base" if torch.cuda.is_available() else "minilm-cpu"
    assert note.startswith(f"preset {expected}")
    assert model_args.model_name_or_path == PRESETS[expected]["model_name_or_path"]


def test_distilled_student_keeps_chosen_layers_and_records_its_teacher(tiny_checkpoint, tmp_path, data_dir):
    out = tmp_path / "student"
    run(tiny_run_args(tiny_checkpoint, data_dir, tmp_path, out, "--keep_layers", "1", "--teacher",
                      str(tiny_checkpoint), "--distill_weight", "0.7", "--max_steps", "2"))
    student = AutoModelForSequenceClassification.from_pretrained(out)
    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_checkpoint)
    assert student.config.num_hidden_layers == 1 and len(student.bert.encoder.layer) == 1
    config = json.loads((out / ckpt.TRAINING_CONFIG).read_text())
    assert config["teacher"] == str(tiny_checkpoint) and config["distill_weight"] == 0.7
    assert config["teacher_weights_sha256"] == ckpt.Checkpoint(tiny_checkpoint).fingerprint
    teacher_config = json.loads((tiny_checkpoint / ckpt.TRAINING_CONFIG).read_text())
    assert config["initialized_from"] == str(tiny_checkpoint)
    assert config["base_model"] == teacher_config["base_model"]  # the pretrained ancestor, not the teacher
    assert "distilled from the fine-tuned" in (out / ckpt.MODEL_CARD).read_text()
    comparison = json.loads((out / "distillation.json").read_text())
    for folder, role in ((out, "student"), (tiny_checkpoint, "teacher")):
        dev_micro = json.loads((folder / ckpt.METRICS).read_text())["dev"]["global_tuned"]["micro_f1"]
        assert comparison["figures"]["micro_f1"][role] == round(dev_micro, 5)
    assert comparison["replaces_teacher"] == all(f["difference"] >= -0.005 for f in comparison["figures"].values())
    low, high = comparison["micro_f1_difference_95ci"]
    assert -1 <= low <= high <= 1
    (out / "distillation.json").unlink()
    run(["--eval_only", str(out), "--data_dir", str(data_dir), "--choose_backend", "false"])
    assert json.loads((out / "distillation.json").read_text())["figures"] == comparison["figures"]
    # The student started from the teacher's layer 1; training moved it, but its shapes carried over.
    assert student.bert.encoder.layer[0].output.dense.weight.shape == teacher.bert.encoder.layer[1].output.dense.weight.shape


def test_hidden_state_loss_is_zero_for_the_teacher_itself_and_trains_a_student(tiny_checkpoint, tmp_path, data_dir):
    from types import SimpleNamespace

    from emotion.serve.model import keep_layers
    from emotion.train.training import EmotionTrainer

    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_checkpoint, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    inputs = dict(tokenizer(["what a lovely day", "so angry"], padding=True, return_tensors="pt"))
    same = SimpleNamespace(teacher=teacher, layer_map=[0, 1])
    states = teacher(**inputs, output_hidden_states=True).hidden_states
    assert EmotionTrainer.hidden_loss(same, inputs, states).item() == pytest.approx(0.0, abs=1e-10)
    student = keep_layers(AutoModelForSequenceClassification.from_pretrained(tiny_checkpoint), [1]).eval()
    states = student(**inputs, output_hidden_states=True).hidden_states
    assert EmotionTrainer.hidden_loss(SimpleNamespace(teacher=teacher, layer_map=[1]), inputs, states).item() > 0

    out = tmp_path / "student"
    run(tiny_run_args(tiny_checkpoint, data_dir, tmp_path, out, "--keep_layers", "1", "--teacher",
                      str(tiny_checkpoint), "--distill_hidden_weight", "1.0", "--max_steps", "2"))
    assert json.loads((out / ckpt.TRAINING_CONFIG).read_text())["distill_hidden_weight"] == 1.0
    # With the 1-layer student as teacher, --keep_layers 0,1 names a teacher layer that does not exist.
    with pytest.raises(ValueError, match="own layers"):
        run(tiny_run_args(tiny_checkpoint, data_dir, tmp_path, tmp_path / "bad", "--keep_layers", "0,1",
                          "--teacher", str(out), "--distill_hidden_weight", "1.0", "--max_steps", "2"))


def test_soft_targets_blend_labels_with_the_teacher_and_are_scored_once(tiny_checkpoint, tmp_path, monkeypatch):
    from emotion.train.distill import blend, teacher_probabilities
    from emotion.serve.predict import EmotionClassifier

    texts, ids = ["what a lovely day", "this is awful and I am so angry"], ["a", "b"]
    y_true = np.zeros((2, len(LABELS)), dtype=np.float32)
    y_true[0, 17] = y_true[1, 2] = 1.0
    teacher = EmotionClassifier(tiny_checkpoint, backend="torch").predict_probabilities(texts)
    probs = teacher_probabilities(tiny_checkpoint, ids, texts, LABELS)
    np.testing.assert_allclose(probs, teacher, atol=1e-6)
    np.testing.assert_array_equal(blend(y_true, probs, 0.0), y_true)
    np.testing.assert_allclose(blend(y_true, probs, 1.0), teacher, atol=1e-6)
    np.testing.assert_allclose(blend(y_true, probs, 0.25), 0.75 * y_true + 0.25 * teacher, atol=1e-6)
    # The second time the same comments are read from the cache: the teacher never runs.
    monkeypatch.setattr(EmotionClassifier, "predict_probabilities", lambda *a, **k: pytest.fail("teacher ran again"))
    np.testing.assert_array_equal(teacher_probabilities(tiny_checkpoint, ids, texts, LABELS), probs)
    with pytest.raises(pytest.fail.Exception):  # other comments: scored afresh
        teacher_probabilities(tiny_checkpoint, ["a", "c"], texts, LABELS)
    with pytest.raises(ValueError, match="same label set"):
        teacher_probabilities(tiny_checkpoint, ids, texts, LABELS[:5])


def test_keep_layers_refuses_layers_the_model_lacks(tiny_bert, tmp_path, data_dir):
    with pytest.raises(ValueError, match="layers 0 to 1"):
        run(tiny_run_args(tiny_bert, data_dir, tmp_path, tmp_path / "out", "--keep_layers", "0,2"))


@pytest.mark.parametrize(("flag", "value"), [("--max_length", "4"), ("--max_train_samples", "0"), ("--loss", "hinge"),
                                             ("--keep_layers", "2,1"), ("--keep_layers", "a"),
                                             ("--distill_weight", "1.5"), ("--distill_hidden_weight", "1")])
def test_bad_arguments_are_refused(flag, value):
    with pytest.raises((ValueError, SystemExit)):
        parse_args([flag, value])


def test_training_reads_bad_data_as_a_clear_error(tiny_bert, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_tsv(data / "train.tsv", make_rows(8, 0, "tr"))
    (data / "dev.tsv").write_text("only one column\n")
    from emotion.data import DataError

    with pytest.raises(DataError, match="dev.tsv: expected 3"):
        run(tiny_run_args(tiny_bert, data, tmp_path, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_bert_base_preset_trains_two_steps_on_cpu(tmp_path, data_dir, tiny_bert):
    """The bert-base recipe's path with a bert-base-sized config and random weights."""
    from transformers import BertConfig, BertModel

    base = tmp_path / "bert-base-random"
    BertModel(BertConfig(vocab_size=len((tiny_bert / "vocab.txt").read_text().split()))).save_pretrained(base)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (base / name).write_bytes((tiny_bert / name).read_bytes())
    out = tmp_path / "out"
    metrics = run([
        "--preset", "bert-base", "--model_name_or_path", str(base), "--data_dir", str(data_dir),
        "--output_dir", str(out), "--run_dir", str(tmp_path / "run"), "--logs_dir", str(tmp_path / "logs"),
        "--max_steps", "2", "--max_eval_samples", "8", "--disable_tqdm", "true",
    ])
    config = json.loads((out / ckpt.TRAINING_CONFIG).read_text())
    assert config["num_parameters"] > 85e6  # 12 layers x 768 wide; our tiny vocabulary trims the embeddings
    assert config["training_arguments"]["learning_rate"] == 2e-5
    assert set(metrics["test"]) == set(POLICIES)


def test_checkpoint_folder_is_readable_by_others(tiny_checkpoint):
    assert tiny_checkpoint.stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o444 == 0o444 for p in tiny_checkpoint.iterdir())


def test_an_ensemble_is_a_checkpoint_that_averages_its_members_and_can_teach(tiny_checkpoint, tiny_bert, data_dir,
                                                                              tmp_path):
    from emotion.serve.predict import EmotionClassifier

    second = tmp_path / "second"
    run(tiny_run_args(tiny_bert, data_dir, tmp_path, second, "--max_steps", "4", "--seed", "7"))
    out = tmp_path / "ensemble"
    metrics = run(["--ensemble_of", f"{tiny_checkpoint},{second}", "--output_dir", str(out), "--data_dir",
                   str(data_dir), "--choose_backend", "false"])
    checkpoint = ckpt.Checkpoint.open(out)
    assert [m.path.resolve() for m in checkpoint.members] == [tiny_checkpoint.resolve(), second.resolve()]
    assert metrics == checkpoint.metrics and checkpoint.thresholds() is not None
    texts = ["thanks so much for the help, legend", "ugh this is so annoying"]
    members = [EmotionClassifier(m, backend="torch").predict_probabilities(texts) for m in (tiny_checkpoint, second)]
    ensemble = EmotionClassifier(out, backend="torch")
    np.testing.assert_allclose(ensemble.predict_probabilities(texts), np.mean(members, axis=0), atol=1e-6)
    assert ensemble.predict(texts[0]).probabilities and ensemble.thresholds == checkpoint.thresholds()
    card = (out / ckpt.MODEL_CARD).read_text()
    assert "An ensemble" in card and second.name in card and "test split (24 comments)" in card

    # A student distilled from the ensemble, with hidden states from the member its layers come from.
    student = tmp_path / "student"
    run(tiny_run_args(tiny_checkpoint, data_dir, tmp_path, student, "--keep_layers", "1", "--teacher", str(out),
                      "--distill_hidden_weight", "1.0", "--max_steps", "2"))
    comparison = json.loads((student / "distillation.json").read_text())
    assert comparison["teacher_weights_sha256"] == checkpoint.fingerprint
    assert comparison["figures"]["micro_f1"]["teacher"] == round(metrics["dev"]["global_tuned"]["micro_f1"], 5)
    with pytest.raises(ValueError, match="one of the ensemble's members"):
        run(tiny_run_args(second, data_dir, tmp_path, tmp_path / "bad", "--keep_layers", "0", "--teacher", str(out),
                          "--distill_hidden_weight", "1.0", "--max_steps", "2", "--model_name_or_path", str(student)))


def test_two_process_ddp_training_writes_one_complete_checkpoint(tiny_bert, tmp_path, data_dir):
    """torchrun on CPU, with no --ddp_backend: gloo is chosen by itself, and the whole multi-process path runs
    here as on GPUs (without gloo the two processes trained side by side and raced on one folder)."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    args = tiny_run_args(tiny_bert, data_dir, tmp_path, out, "--max_steps", "4")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", str(port), "train_model.py", *args], cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "world size 2" in done.stderr, done.stderr[-2000:]
    assert EXPECTED_FILES <= {p.name for p in out.iterdir()}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out")] == ["out"]  # one folder, no leftovers
    dev_ids, dev_probs = ckpt.Checkpoint(out).probabilities("dev")
    assert sorted(dev_ids) == sorted(str(i) for i in load_split("dev", str(data_dir))["id"])  # all of dev, once
    config = json.loads((out / ckpt.TRAINING_CONFIG).read_text())
    assert config["world_size"] == 2


def test_noisy_copies_learn_the_teachers_answer_for_the_clean_comment(tiny_checkpoint, tmp_path, data_dir):
    """--train_noise: a share of the comments is re-typed with noise and tokenized anew; a noisy copy's target is
    the teacher's probabilities, a clean one's the blend of labels and teacher; evaluation batches stay as they are."""
    from transformers import AutoTokenizer

    from emotion.train.training import NoisyCollator

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    text = "thank you so much for the lovely present"
    clean = dict(tokenizer(text), labels=[1.0, 0.0], text=text, teacher=[0.25, 0.5])
    always = NoisyCollator(tokenizer, 32, 1.0, "demojize+squeeze", seed=0)
    batch = always([dict(clean) for _ in range(40)])
    as_read = tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True)
    retyped = [tokenizer.decode(ids, skip_special_tokens=True) != as_read for ids in batch["input_ids"]]
    labels = batch["labels"].tolist()
    assert sum(retyped) >= 20 and all(label == [0.25, 0.5] for label, r in zip(labels, retyped) if r)
    # Unchanged rows keep the clean target (a style may leave the text as it was, or change only its case,
    # which an uncased tokenizer does not see).
    assert all(label in ([0.25, 0.5], [1.0, 0.0]) for label in labels)
    never = NoisyCollator(tokenizer, 32, 0.0, "demojize", seed=0)([clean])
    assert never["labels"].tolist() == [[1.0, 0.0]] and never["input_ids"][0].tolist() == tokenizer(text)["input_ids"]
    evaluation = {k: v for k, v in clean.items() if k not in ("text", "teacher")}
    assert always([evaluation])["labels"].tolist() == [[1.0, 0.0]]

    out = tmp_path / "robust"
    run(tiny_run_args(tiny_checkpoint, data_dir, tmp_path, out, "--teacher", str(tiny_checkpoint), "--train_noise",
                      "0.5", "--text_normalization", "demojize+squeeze", "--max_steps", "3", "--dropout", "0"))
    config = json.loads((out / ckpt.TRAINING_CONFIG).read_text())
    assert config["train_noise"] == 0.5 and ckpt.Checkpoint(out).text_normalization == "demojize+squeeze"
    # --dropout 0: every rate of the encoder, as trained and saved (a student learning its own answers drifts with it)
    rates = {k: v for k, v in json.loads((out / ckpt.CONFIG).read_text()).items() if "dropout" in k and v is not None}
    assert config["dropout"] == 0 and rates and set(rates.values()) == {0.0}


def test_every_training_command_in_the_docs_parses():
    """The recipes in docs/ and the README are commands people paste: each one's options exist and validate."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    commands = []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        joined = doc.read_text(encoding="utf-8").replace("\\\n", " ")
        commands += [(doc.name, m[1]) for m in re.finditer(r"^\s*python train_model\.py([^\n#`]*)", joined, re.MULTILINE)]
    assert len(commands) >= 8 and any("--reread" in c for _, c in commands)
    for doc, command in commands:
        args = shlex.split(command)
        if "--help" in args or "--help_all" in args:
            continue
        try:
            parse_args(args)
        except SystemExit as err:
            raise AssertionError(f"{doc}: `python train_model.py{command}` does not parse") from err
