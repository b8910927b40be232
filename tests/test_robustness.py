"""The noise suite that grades robustness (emotion.analysis.robustness): the noise it makes, its figures, its command."""

import random

import numpy as np
import pytest

from emotion.train import noise as training_noise
from emotion.analysis import robustness
from emotion.analysis.robustness import NOISES, evaluate, noisy_texts

IDS = [f"c{i}" for i in range(6)]
TEXTS = ["Thank you so much, I really love this!", "I'm not going to lie, you're wrong.", "ok", "wow so cute",
         "This is absolutely terrible and I hate it.", "Don't worry, it happens to everyone."]


def test_each_kind_of_noise_changes_what_it_names_and_only_that():
    rng = random.Random(0)
    for _ in range(200):
        for word in ("terrible", "sorry", "Aaah"):
            out = robustness.typo(word, rng)
            assert out != word and abs(len(out) - len(word)) <= 1
    assert robustness.one_typo("ok lol", rng) is None  # no word of 4+ letters: not graded
    one = robustness.one_typo(TEXTS[0], random.Random(1))
    assert sum(a != b for a, b in zip(one.split(), TEXTS[0].split())) == 1
    stretched = robustness.stretched("wow so cute", random.Random(0))
    assert stretched.lower() != "wow so cute" and robustness.stretched("fine then", rng) is None
    assert robustness.plain("I'm SO done!!", rng) == "im so done"
    assert robustness.reddit_spellings("I'm sure you're right, don't you think", rng) == "im sure ur right, dont u think"


def test_the_noise_is_reproducible_per_comment_and_independent_of_order():
    noise = NOISES[1]
    rows, first = noisy_texts(noise, IDS, TEXTS, seed=3)
    rows_again, again = noisy_texts(noise, IDS[::-1], TEXTS[::-1], seed=3)
    assert first == again[::-1] and rows.tolist() == [0, 1, 3, 4, 5]  # "ok" has no word of 4+ letters
    assert noisy_texts(noise, IDS, TEXTS, seed=4)[1] != first


def test_the_grading_generator_is_not_the_training_one():
    assert robustness.KEYBOARD is not training_noise.NEIGHBOURS
    assert robustness.typo.__module__ != training_noise.misspell.__module__
    assert set(robustness.STRETCHABLE) != set()  # graded words are chosen here, not by the trainer


def test_figures_match_a_direct_computation_and_a_perfect_reader_drops_nothing():
    rng = np.random.default_rng(0)
    n, labels = 400, 5
    ids = [str(i) for i in range(n)]
    texts = [f"comment number {i} is really something" for i in range(n)]
    y_true = rng.random((n, labels)) < 0.3
    clean = np.where(y_true, 0.9, 0.1)

    def reader(batch):  # reads the clean comment's answer whatever the noise: a perfectly robust model
        return np.vstack([clean[int(t.split()[2])] if t.split()[2].isdigit() else clean[0] for t in batch])

    table = evaluate(reader, ids, texts, y_true, np.full(labels, 0.5), noises=[NOISES[0]], resamples=200)
    assert table["noise"].tolist() == ["clean", "one typo"]
    assert (table["macro_drop"] == 0).all() and table.loc[0, "macro_f1"] == 1.0

    def careless(batch):  # noise makes it miss everything
        return np.zeros((len(batch), labels)) if batch[0] != texts[0] else clean
    table = evaluate(careless, ids, texts, y_true, np.full(labels, 0.5), noises=[NOISES[0]], resamples=200)
    row = table.iloc[1]
    assert row["macro_f1"] == 0.0 and row["macro_drop"] == 1.0 and row["macro_drop_95ci"][0] > 0.9
    assert "| one typo in each comment" in robustness.markdown(table)


def test_probe_noise_command_prints_and_saves_the_table(tiny_checkpoint, data_dir, tmp_path, capsys):
    import shutil

    import probe
    from emotion.checkpoint import Checkpoint

    copy = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, copy)
    probe.main([str(copy), "--noise", "--split", "dev", "--data_dir", str(data_dir), "--save", "--backend", "torch"])
    out = capsys.readouterr().out
    assert "as written" in out and "one typo" in out
    stored = Checkpoint(copy).robustness()
    assert stored["split"] == "dev" and stored["table"][0]["noise"] == "clean"
    assert "## Typing noise" in (copy / "README.md").read_text()
