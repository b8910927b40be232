"""The ``spell`` normalisation (emotion/text.py): a word-level corrector over the committed wordfreq list, the same in
every runner (library, training's noisy copies, the static Space: tests/js/normalize.test.mjs and test_space.py)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion import text

ROOT = Path(__file__).resolve().parents[1]

# Sentences of our own (never dataset text), for typo'd variants here and in the browser check.
SENTENCES = [
    "thank you so much for the lovely present, it made my day",
    "I really appreciate everything you have done for our family",
    "This is absolutely ridiculous and I am furious about it",
    "Honestly the ending of that movie made me cry for an hour",
    "Congratulations on the new job, you totally deserve it",
    "I am so confused about what happened at the meeting yesterday",
    "Please tell me this is a joke because it is not funny",
    "What a beautiful morning, the weather is perfect for a walk",
    "I'm worried that my brother will not come home tonight",
    "That was the most disgusting thing I have ever tasted",
    "Wow, I did not expect that surprise at all, amazing",
    "Sorry for being late, the train was delayed again",
    "CANNOT BELIEVE they actually won the championship",
    "Nobody cares about your opinion, just leave already",
    "Remember when we used to play outside until midnight?",
    "Grateful for friends who listen without judging",
]


def typos(sentence: str, rng: random.Random) -> str:
    """One random Damerau edit in a few of the sentence's words (letters only), as a typist would make."""
    def edit(word: str) -> str:
        if len(word) < 3 or rng.random() < 0.5:
            return word
        i = rng.randrange(len(word) - 1)
        kind = rng.choice("dtri")
        c = rng.choice("abcdefghijklmnopqrstuvwxyz")
        return {"d": word[:i] + word[i + 1:], "t": word[:i] + word[i + 1] + word[i] + word[i + 2:],
                "r": word[:i] + c + word[i + 1:], "i": word[:i] + c + word[i:]}[kind]

    return re.sub(r"[A-Za-z]+", lambda m: edit(m[0]), sentence)


def typo_samples(n: int = 300) -> list[str]:
    rng = random.Random(34)
    extra = ["naïve caféé thnak", "Ωmega thnakś", "hello\u00e9thnak", "thnak\U0001d400", "", "  ", "1234 thnak5you",
             "snake_case_thnak", "don't woudln't", "THNAK", "Thnak", "tHNAK", "emoji 😂 thnak 😂", "ǅthnak",
             "shouldn\u2019t 'thnak' thta's weren'T shouldn'ts shouldn't\u00b2 shouldn't\U0001d400"]
    return extra + [typos(rng.choice(SENTENCES), rng) for _ in range(n - len(extra))]


def test_a_typo_is_put_right_and_a_known_word_left_alone():
    assert text.spell("thnak you so mcuh, I relly apreciate it") == "thank you so much, I really appreciate it"
    clean = "thank you so much for the lovely present"
    assert text.spell(clean) == clean
    assert text.spell("anoyed disapointed gratefull exicted") == "annoyed disappointed grateful excited"


def test_short_words_and_words_with_no_candidate_are_left_alone():
    assert len("teh") < text.MIN_LENGTH and text.spell("teh cta") == "teh cta"
    assert text.spell("xqzvbnmw") == "xqzvbnmw"  # nothing one edit away


def test_case_is_kept():
    assert text.spell("THNAK you") == "THANK you"
    assert text.spell("Thnak you") == "Thank you"
    assert text.spell("tHNAK you") == "thank you"  # neither all-caps nor a capital first: lower case


def test_a_word_inside_a_word_of_another_script_is_left_alone():
    # "naïv" would become "naive"-like; ASCII runs touching a non-ASCII letter are part of a longer word.
    assert text.spell("naïvee cafée thnakś") == "naïvee cafée thnakś"
    assert text.spell("é thnak é") == "é thank é"  # separated by spaces: a word of its own
    assert text.spell("thnak5you_thnak") == "thank5you_thank"  # digits and _ are not letters


def test_ties_go_to_the_alphabetically_first_candidate():
    words = {"bat": 3.5, "cat": 3.5, "hat": 3.0, "cast": 3.5}
    assert text.correction("qat", words, min_length=3) == "bat"  # q is near neither b nor c: bat and cat tie
    assert text.correction("caat", words, min_length=3) == "cast"  # a doubled (cat), s beside a (cast): a tie
    assert all(text.spell("thnak") == "thank" for _ in range(3))


def test_the_likeliest_slip_wins_over_a_more_frequent_word():
    """A noisy channel: the word's frequency plus how likely the slip is (text.COMMON_SLIP ...)."""
    words = {"hate": 5.0, "date": 5.5}
    assert text.correction("jate", words) == "hate"  # j is beside h, far from d: date is 30 times less likely
    assert text.correction("dste", words) == "date"  # s is beside a
    assert text.slips("hatte", words) == {"hate": text.COMMON_SLIP}  # a doubled letter
    assert text.slips("hatye", words) == {"hate": text.NEAR_SLIP}  # an extra key beside the t
    assert text.slips("hatpe", words) == {"hate": text.RARE_SLIP}
    # On the committed list: "academy" (c for y, far apart) is as frequent as "academic" (one letter dropped).
    real = text.spelling_words()
    assert real["academic"] == real["academy"] and text.spell("academc") == "academic"


def test_a_word_before_nt_is_left_as_typed():
    # "shouldn't" is "shouldn" + "t": putting "shouldn" right would write "should't" and lose the "not"
    kept = "I shouldn't, wouldn't, hasn\u2019t and weren'T"
    assert text.spell(kept) == kept
    assert (text.spell("no, thta's wrong; 'thnak' \u2019mcuh\u2019 shouldn'ts")
            == "no, that's wrong; 'thank' \u2019much\u2019 should'ts")


def test_training_typos_press_the_keys_the_corrector_expects():
    from emotion.train import noise

    assert noise.NEIGHBOURS is text.KEY_NEIGHBOURS
    assert text.KEY_NEIGHBOURS["g"] == "tyfhvb" and text.KEY_NEIGHBOURS["q"] == "wa"


def test_clean_text_is_a_lookup_a_word(monkeypatch):
    """No edits are generated for a known word (the speed of clean text: a set lookup per word)."""
    text.spelling_words()

    def no_edits(word):
        raise AssertionError(f"edits generated for {word}")

    monkeypatch.setattr(text, "slips", no_edits)
    clean = " ".join(SENTENCES).replace("I'm", "I am")
    assert text.spell(clean) == clean


def test_the_list_is_read_once_and_agrees_with_floor():
    assert text.spelling_words() is text.spelling_words()
    words = text.spelling_words()
    assert text.spelling_floor() == text.FLOOR  # changing FLOOR means regenerating the list
    assert len(words) > 20_000 and min(words.values()) >= text.FLOOR
    assert all(w.isascii() and w.isalpha() and w == w.lower() for w in words)
    header = text.SPELLING_WORDS.read_text(encoding="utf-8").split("\n", 5)[:4]
    assert any("wordfreq 3.1.1" in line for line in header) and any("CC BY-SA 4.0" in line for line in header)


def test_the_list_format_round_trips(tmp_path):
    path = tmp_path / "words.txt"
    text.write_spelling_words(path, {"zebra": 3.456, "apple": 4.1}, "a header\nfloor: 3.0")
    assert path.read_text().splitlines() == ["# a header", "# floor: 3.0", "apple 4.10", "zebra 3.46"]
    assert text.read_spelling_words(path) == {"apple": 4.1, "zebra": 3.46} and text.spelling_floor(path) == 3.0


def test_the_generator_writes_the_committed_list(tmp_path):
    pytest.importorskip("wordfreq")  # not a test dependency: only the script needs it
    out = tmp_path / "words.txt"
    done = subprocess.run([sys.executable, "scripts/spelling_words.py", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == text.SPELLING_WORDS.read_text()


def test_spell_follows_squeeze_in_a_checkpoints_normalization(tiny_checkpoint, tmp_path):
    from emotion.serve.predict import EmotionClassifier

    name = "demojize+squeeze+spell"
    assert name in text.NORMALIZATIONS
    assert text.normalizer(name)("thnaks sooooo mcuh 😂") == "thanks soo much  face with tears of joy "
    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    config = json.loads((copy / "training_config.json").read_text())
    (copy / "training_config.json").write_text(json.dumps({**config, "text_normalization": name}))
    clf = EmotionClassifier(copy, backend="torch")
    np.testing.assert_allclose(clf.predict_probabilities(["I relly apreciate it"]),
                               clf.predict_probabilities(["I really appreciate it"]), atol=1e-6)


def test_train_model_offers_spell():
    from emotion.train.args import parse_args

    model_args = parse_args(["--text_normalization", "demojize+squeeze+spell", "--output_dir", "x"])[0]
    assert model_args.text_normalization == "demojize+squeeze+spell"


@pytest.mark.skipif(not shutil.which("node"), reason="no node")
def test_the_browser_spells_as_python_does(tmp_path):
    """web/normalize.js against emotion.text on a few hundred typo'd sentences of our own (tests/js/normalize.test.mjs
    with Python's answers), alone and after demojize and squeeze."""
    samples = typo_samples(300)
    assert sum(text.spell(t) != t for t in samples) > 100  # the check is about corrections, not untouched text
    fixture = {"emoji": text.emoji_table(), "key_neighbours": text.KEY_NEIGHBOURS,
               "spelling": {"file": str(text.SPELLING_WORDS), "min_length": text.MIN_LENGTH},
               "normalize": [{"name": name, "texts": samples, "want": [text.normalizer(name)(t) for t in samples]}
                             for name in ("spell", "demojize+squeeze+spell")]}
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False))
    done = subprocess.run(["node", "--test", "tests/js/normalize.test.mjs"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "EMOTION_JS_FIXTURE": str(path)})
    assert done.returncode == 0 and "# fail 0" in done.stdout and "# skipped 0" in done.stdout, done.stdout[-4000:]


def test_training_reads_clean_and_noisy_comments_through_the_spell_step(tiny_checkpoint):
    """--text_normalization demojize+squeeze+spell: the training comments and, with --train_noise, the noisy copies go
    through the checkpoint's normalisation, so the student learns on the text it will be served."""
    from datasets import Dataset
    from transformers import AutoTokenizer

    from emotion.train.training import NoisyCollator, encode

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    name = "demojize+squeeze+spell"
    meant, typed = "thanks so much for the help, legend", "thnaks so mcuh for the hlep, lgeend"
    assert tokenizer(typed)["input_ids"] != tokenizer(meant)["input_ids"]  # the tiny vocabulary tells them apart
    clean = dict(tokenizer(meant), labels=[1.0, 0.0], text=meant, teacher=[0.25, 0.5])
    retyped = NoisyCollator(tokenizer, 32, 1.0, name, seed=0, noise=lambda text, rng: typed)([clean])
    assert retyped["input_ids"][0].tolist() == tokenizer(meant)["input_ids"]
    assert retyped["labels"].tolist() == [[0.25, 0.5]]  # the teacher's answer for the clean comment
    unspelt = NoisyCollator(tokenizer, 32, 1.0, "demojize+squeeze", seed=0, noise=lambda text, rng: typed)([clean])
    assert unspelt["input_ids"][0].tolist() != tokenizer(meant)["input_ids"]
    data = encode(Dataset.from_dict({"text": [typed], "labels": [[0]]}), tokenizer, 32, 2, normalization=name)
    assert data["input_ids"][0] == tokenizer(meant)["input_ids"]


def test_the_model_card_names_every_normalisation_step(tiny_checkpoint, tmp_path):
    """A checkpoint loaded without this project must be fed text normalised the same way: its card says how."""
    from emotion.checkpoint import Checkpoint
    from emotion.train.card import write_model_card

    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    config = json.loads((copy / "training_config.json").read_text())
    (copy / "training_config.json").write_text(json.dumps({**config, "text_normalization": "demojize+squeeze+spell"}))
    card = " ".join(write_model_card(Checkpoint(copy)).read_text().split())
    assert 'emotion.text.normalizer("demojize+squeeze+spell")' in card
    assert "emoji written as their English names" in card and "a misspelt word put right" in card
