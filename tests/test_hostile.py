"""What a stranger may send the running app (../shared/reports/hostile-input-trial.md): each case gets a
clear refusal or a sane answer, never a traceback, and the server keeps answering predictions."""

import pytest

BIG = "x" * 1_000_000

# (endpoint, arguments, the refusal's words, or None when the call must succeed)
CASES = [
    ("/predict", (12345, None), "must be a string"),
    ("/predict", (["a", "b"], None), "must be a string"),
    ("/predict", ("", None), "empty"),
    ("/predict", ("ok", 2.0), "threshold must lie in"),
    ("/predict", ("ok", "abc"), "threshold must be"),
    ("/predict_batch", ("lol what", None), "A batch is a list of texts"),
    ("/predict_batch", ([1, "ok"], None), "item 0 is int"),
    ("/predict_batch", ([BIG, BIG, BIG], None), "the limit is 2 MB"),
    ("/predict_batch", (["ok"] * 1001, None), "over the limit of 1,000"),
    ("/predict_batch", ([None, None], None), "No comments found"),
    ("/explain", ("i love it", 5), "Unknown label"),
    ("/explain", ("i love it", "happiness"), "Unknown label"),
    ("/similar", ("i love it", "abc"), "whole number"),
    ("/similar", ("i love it", 1000), "between 1 and 100"),
    ("/similar", ("i love it", 2.5), "whole number"),
    ("/predict", ("x" * 20_000, None), None),
]


@pytest.mark.parametrize("endpoint, args, refusal", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_is_refused_in_words(app_url, endpoint, args, refusal):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    if refusal is None:
        client.predict(*args, api_name=endpoint)
    else:
        with pytest.raises(AppError, match=refusal):
            client.predict(*args, api_name=endpoint)
    assert len(client.predict("thanks a lot", None, api_name="/predict")["probabilities"]) == 28


def test_a_none_in_a_batch_is_a_blank_item_and_long_items_come_back_cut(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    out = client.predict([None, "ok sure", "y" * 6_000], None, api_name="/predict_batch")
    assert out[0]["error"].startswith("Type or paste a comment") and out[0]["probabilities"] == {}
    # The blank item costs its neighbour nothing: "ok sure" is answered as it is alone, all 28 figures.
    alone = client.predict("ok sure", None, api_name="/predict")
    assert out[1] == {"text": "ok sure", **alone} and len(out[1]["probabilities"]) == 28
    assert len(out[2]["text"]) == 5_000  # the README's limit: what was scored is what comes back


def run(tmp_path, *args):
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})


def files(tmp_path):
    (tmp_path / "ok.csv").write_text("text\nthanks so much\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 50)
    (tmp_path / "utf16.csv").write_text("text\nthanks\n", encoding="utf-16")
    (tmp_path / "data.xlsx").write_text("text\nthanks\n")
    (tmp_path / "latin1.csv").write_bytes("text\ncaf\xe9 ol\xe9\n".encode("latin-1"))
    (tmp_path / "bad_profile.json").write_text('{"name": "x"}')
    (tmp_path / "folder.csv").mkdir()


# (command, arguments with {tmp} and {ckpt}, exit status, words the one error line holds)
CLI_CASES = [
    ("score.py", ["{tmp}/nope.csv", "{tmp}/out.csv"], 1, "does not exist"),
    ("score.py", ["{tmp}/folder.csv", "{tmp}/out.csv"], 1, "is a folder"),
    ("score.py", ["{tmp}/empty.csv", "{tmp}/out.csv"], 1, "is empty"),
    ("score.py", ["{tmp}/binary.csv", "{tmp}/out.csv"], 1, "binary.csv looks like a binary file"),
    ("score.py", ["{tmp}/utf16.csv", "{tmp}/out.csv"], 1, "utf16.csv looks like a binary file; save it as UTF-8"),
    ("score.py", ["{tmp}/latin1.csv", "{tmp}/out.csv", "--checkpoint", "{ckpt}"], 1, "latin1.csv is not UTF-8"),
    ("score.py", ["{tmp}/data.xlsx", "{tmp}/out.csv"], 1, "use a .csv, .tsv, .jsonl, .jsonl.zst or .parquet file"),
    ("score.py", ["{tmp}/ok.csv", "{tmp}/missing/out.csv"], 1, "folder"),
    ("score.py", ["{tmp}/ok.csv", "{tmp}/out.csv", "--threshold", "0.3", "--thresholds", "{tmp}/bad_profile.json"], 2,
     "not both"),
    ("score.py", ["{tmp}/ok.csv", "{tmp}/out.csv", "--thresholds", "{tmp}/bad_profile.json", "--checkpoint", "{ckpt}"], 1,
     "has no 'global'"),
    ("app.py", ["--port", "99999"], 2, "from 1 to 65535"),
    ("app.py", ["--checkpoint", "{tmp}/nope"], 1, "does not exist"),
    ("adapt.py", ["{tmp}/nope.csv", "--out", "{tmp}/p.json"], 1, "nope.csv"),
    ("adapt.py", ["{tmp}/ok.csv", "--out", "{tmp}/p.json", "--backend", "gpu"], 2, "invalid choice"),
    ("score.py", ["{tmp}/ok.csv", "{tmp}/out.csv", "--chunk_size", "0"], 2, "must be above 0"),
    ("audit.py", ["--splits", "bogus"], 2, "--splits takes"),
    ("audit.py", ["--checkpoint", "{tmp}/nope"], 1, "does not exist"),
    ("train_model.py", ["--num_train_epochs", "-3", "--data_dir", "{tmp}"], 2, "--num_train_epochs must be above 0"),
    ("train_model.py", ["--max_length", "4", "--data_dir", "{tmp}"], 2, "--max_length must be between"),
]


@pytest.mark.parametrize("command, args, status, words", CLI_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CLI_CASES)])
def test_bad_input_at_a_command_is_one_line(tiny_checkpoint, tmp_path, command, args, status, words):
    files(tmp_path)
    done = run(tmp_path, command, *[a.format(tmp=tmp_path, ckpt=tiny_checkpoint) for a in args])
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith(("Scoring", "usage", " "))]
    assert done.returncode == status and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert words in done.stderr and len([line for line in lines if "error" in line]) == 1, done.stderr[-2000:]


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(app_url, tmp_path):
    import httpx

    big = b"text\n" + b"x" * 3_000_000
    refused = httpx.post(app_url + "gradio_api/upload", files={"files": ("big.csv", big, "text/csv")}, timeout=60)
    assert refused.status_code == 413, refused.text[:300]
    small = httpx.post(app_url + "gradio_api/upload", files={"files": ("ok.csv", b"text\nhi\n", "text/csv")}, timeout=60)
    assert small.status_code == 200
