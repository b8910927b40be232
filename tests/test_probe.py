"""emotion.analysis.probe and probe.py: the behavioural checks (CheckList style). The rules on a stand-in model whose
probabilities are written out by hand; the whole suite on the tiny model from conftest."""

import json
import numpy as np
import pandas as pd
import pytest

from emotion.labels import LABELS
from emotion.analysis.probe import DIR, INV, MFT, SATURATED, Case, build_cases, load_suite, run, summary, totals, typo

SUITE = {
    "names": ["Alex", "Priya", "Jordan", "Mei"],
    "minimum": {"gratitude": ["thank you so much, {name}", "thanks a lot!"], "not one of ours": ["skipped"]},
    "invariance": {"emoji": ["📅", "📌"], "punctuation": [".", "!"]},
    "negation": {"labels": ["joy"], "texts": {"joy": ["I am happy with this"]},
                 "negated": {"I am happy with this": "I am not happy with this"}},
    "intensifier": {"texts": ["I'm happy about this", "this is annoying"], "words": ["so", "really", "extremely"]},
    "laughing": {"texts": ["he fell off the chair"], "emoji": "😂", "label": "amusement"},
}


def test_each_kind_of_case_is_built_from_its_templates():
    cases = [(c.test, c.kind, c.label, c.text, c.base) for c in build_cases(SUITE, LABELS)]
    name = "thank you so much, Alex"
    assert cases == [
        ("MFT gratitude", MFT, "gratitude", name, ""),
        ("INV another name", INV, "gratitude", "thank you so much, Priya", name),  # the next two names only
        ("INV another name", INV, "gratitude", "thank you so much, Jordan", name),
        ("INV typo", INV, "gratitude", "tahnk you so much, Alex", name),
        ("INV punctuation", INV, "gratitude", "thank you so much, Alex.", name),  # the first mark only
        ("INV neutral emoji", INV, "gratitude", "thank you so much, Alex 📅", name),  # the first emoji only
        ("MFT gratitude", MFT, "gratitude", "thanks a lot!", ""),  # no {name}: no name cases
        ("INV typo", INV, "gratitude", "thnaks a lot!", "thanks a lot!"),
        ("INV punctuation", INV, "gratitude", "thanks a lot.", "thanks a lot!"),
        ("INV neutral emoji", INV, "gratitude", "thanks a lot! 📅", "thanks a lot!"),
        ("DIR negation lowers joy", DIR, "joy", "I am not happy with this", "I am happy with this"),
        ("DIR intensifier raises the top label", DIR, "", "I'm so happy about this", "I'm happy about this"),
        ("DIR intensifier raises the top label", DIR, "", "I'm really happy about this", "I'm happy about this"),
        ("DIR intensifier raises the top label", DIR, "", "this is so annoying", "this is annoying"),
        ("DIR intensifier raises the top label", DIR, "", "this is really annoying", "this is annoying"),
        ("DIR 😂 raises amusement", DIR, "amusement", "he fell off the chair 😂", "he fell off the chair"),
    ]
    assert all(c.expect for c in build_cases(SUITE, LABELS))


def test_a_label_the_model_lacks_gets_no_minimum_or_laughing_cases():
    labels = [n for n in LABELS if n not in ("gratitude", "amusement")]
    tests = {c.test for c in build_cases(SUITE, labels)}
    assert tests == {"DIR negation lowers joy", "DIR intensifier raises the top label"}


def test_a_typo_swaps_two_inner_letters_of_the_longest_word():
    assert typo("thank you so much") == "tahnk you so much"
    assert typo("so good, wonderful") == "so good, wonedrful"
    assert typo("ok no") == "ok no"  # no word of four letters: nothing a reader would read through


class Stub:
    """A model that answers from a table of probabilities, and notes how many comments each call scored."""

    def __init__(self, probs: dict[str, dict[str, float]]):
        self.labels, self.probs, self.calls = list(LABELS), probs, []

    def predict_probabilities(self, texts):
        self.calls.append(len(texts))
        return np.array([[self.probs[t].get(n, 0.0) for n in self.labels] for t in texts])

    def threshold_array(self):
        return np.full(len(self.labels), 0.5)


def case(kind, label, text, base="", test=None):
    return Case(test or f"{kind} {label}", kind, label, text, base, "what must hold")


def judged(probs, cases):
    stub = Stub(probs)
    results = run(stub, cases)
    assert set(stub.calls) == {1}  # each comment on its own (int8 graphs scale activations per batch)
    return results


def test_a_minimum_case_passes_at_or_above_the_labels_threshold():
    results = judged({"a": {"joy": 0.5}, "b": {"joy": 0.49}}, [case(MFT, "joy", "a"), case(MFT, "joy", "b")])
    assert results["passed"].tolist() == [True, False]
    assert results["got"].tolist() == ["p=0.50, threshold 0.50", "p=0.49, threshold 0.50"]


def test_an_invariance_case_passes_only_when_every_predicted_label_stays():
    probs = {"base": {"joy": 0.8, "love": 0.2}, "same": {"joy": 0.6, "love": 0.4},
             "one more": {"joy": 0.8, "love": 0.7}, "none": {"joy": 0.3}}
    cases = [case(INV, "joy", t, "base") for t in ("same", "one more", "none")]
    results = judged(probs, cases)
    assert results["passed"].tolist() == [True, False, False]  # a label gained elsewhere fails it too
    assert results["got"].tolist() == ["joy -> joy", "joy -> joy, love", "joy -> none"]


@pytest.mark.parametrize("before, after, passed", [
    (0.60, 0.40, True),
    (0.60, 0.60, False),  # no move is no pass
    (0.60, 0.70, False),
    (1 - SATURATED, 1 - SATURATED + 0.009, True),  # already as low as it goes: a change under 0.01 passes
    (1 - SATURATED + 0.01, 1 - SATURATED + 0.01, False),  # not saturated: it must move
    (0.02, 0.04, False),  # saturated, but it rose by 0.02
], ids=["lowered", "unmoved", "raised", "near-zero-unmoved", "not-near-zero-unmoved", "near-zero-but-rose"])
def test_negation_must_lower_its_label_unless_it_is_already_near_zero(before, after, passed):
    cases = [case(DIR, "joy", "not", "plain", test="DIR negation lowers joy")]
    results = judged({"plain": {"joy": before}, "not": {"joy": after}}, cases)
    assert results["passed"].tolist() == [passed] and results["got"][0] == f"p(joy) {before:.2f} -> {after:.2f}"


@pytest.mark.parametrize("before, after, passed", [
    (0.70, 0.80, True),
    (0.70, 0.70, False),
    (SATURATED, SATURATED - 0.009, True),  # already near 1: a change under 0.01 passes
    (SATURATED - 0.01, SATURATED - 0.01, False),
    (0.97, 0.95, False),  # saturated, but it fell by 0.02
], ids=["raised", "unmoved", "near-one-unmoved", "not-near-one-unmoved", "near-one-but-fell"])
def test_an_intensifier_must_raise_the_top_label_unless_it_is_already_near_one(before, after, passed):
    probs = {"plain": {"anger": before, "annoyance": 0.5}, "so": {"anger": after, "annoyance": 0.99}}
    results = judged(probs, [case(DIR, "", "so", "plain", test="DIR intensifier raises the top label")])
    # The top label is the plain comment's (anger), whatever leads after the edit.
    assert results["passed"].tolist() == [passed] and results["got"][0].startswith("p(anger) ")


def test_a_laughing_emoji_must_raise_amusement():
    probs = {"plain": {"amusement": 0.3, "joy": 0.9}, "up": {"amusement": 0.4}, "down": {"amusement": 0.2, "joy": 0.99}}
    cases = [case(DIR, "amusement", t, "plain", test="DIR 😂 raises amusement") for t in ("up", "down")]
    assert judged(probs, cases)["passed"].tolist() == [True, False]


def results_table():
    rows = [("MFT joy", MFT, "joy", True), ("MFT joy", MFT, "joy", False), ("MFT joy", MFT, "joy", True),
            ("INV typo", INV, "joy", False), ("INV typo", INV, "love", False),
            ("DIR up", DIR, "", True), ("DIR up", DIR, "", True)]
    return pd.DataFrame([{"test": t, "kind": k, "label": n, "text": f"text {i}", "base": "", "expect": "x",
                          "got": f"got {i}", "passed": p} for i, (t, k, n, p) in enumerate(rows)])


def test_the_summary_counts_failures_per_test_worst_first_with_its_first_failing_example():
    table = summary(results_table())
    assert table.to_dict("records") == [
        {"test": "INV typo", "kind": INV, "cases": 2, "failures": 2, "failure_rate": 1.0, "example": "text 3", "got": "got 3"},
        {"test": "MFT joy", "kind": MFT, "cases": 3, "failures": 1, "failure_rate": 0.333, "example": "text 1", "got": "got 1"},
        {"test": "DIR up", "kind": DIR, "cases": 2, "failures": 0, "failure_rate": 0.0, "example": "", "got": ""},
    ]


def test_the_totals_give_the_suites_figures_per_kind():
    assert totals(results_table()) == {"cases": 7, "tests": 3, "labels": 2, "failure_rate": round(3 / 7, 3),
                                       "failure_rate_by_kind": {DIR: 0.0, INV: 1.0, MFT: 0.333}}


def test_the_probe_suite_has_over_100_checks_over_20_labels_on_the_tiny_model(tiny_checkpoint):
    from emotion.serve.predict import EmotionClassifier

    classifier = EmotionClassifier(tiny_checkpoint, backend="onnx")
    cases = build_cases(load_suite(), classifier.labels)
    results = run(classifier, cases)
    figures = totals(results)
    assert figures["cases"] >= 100 and figures["labels"] >= 20 and set(results["kind"]) == {MFT, INV, DIR}
    table = summary(results)
    assert table["failures"].sum() == (~results["passed"]).sum() and table["failure_rate"].is_monotonic_decreasing
    assert all(c.expect for c in cases) and not any("{name}" in c.text for c in cases)


def test_probe_command_prints_the_checks_and_saves_them_in_the_card(tiny_checkpoint, data_dir, tmp_path, capsys):
    import shutil

    import probe
    from emotion.checkpoint import Checkpoint

    copy = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, copy)
    probe.main([str(copy), "--backend", "onnx", "--failures", "3", "--data_dir", str(data_dir), "--save"])
    out = capsys.readouterr().out
    stored = Checkpoint(copy).probe()
    assert f"{stored['cases']} cases, {stored['tests']} tests, {stored['labels']} labels" in out
    assert "Failing cases (first 3):" in out and stored["backend"] == "onnx" and len(stored["table"]) == stored["tests"]
    assert f"{stored['cases']} cases in {stored['tests']} tests" in (copy / "README.md").read_text()


@pytest.mark.slow
def test_the_shipped_models_card_holds_its_probe_figures():
    """int8 numerics differ between CPUs, so the rates may move a little; the suite's shape may not."""
    from emotion.checkpoint import DEFAULT_CHECKPOINT, Checkpoint
    from emotion.serve.predict import EmotionClassifier

    stored = Checkpoint.open(DEFAULT_CHECKPOINT).probe()
    classifier = EmotionClassifier(DEFAULT_CHECKPOINT, backend=stored["backend"])
    figures = totals(run(classifier, build_cases(load_suite(), classifier.labels)))
    assert (figures["cases"], figures["tests"], figures["labels"]) == (stored["cases"], stored["tests"], stored["labels"])
    assert figures["failure_rate"] == pytest.approx(stored["failure_rate"], abs=0.03)
    card = (DEFAULT_CHECKPOINT / "README.md").read_text()
    assert f"{stored['cases']} cases in {stored['tests']} tests" in card and f"{stored['failure_rate']:.3f}" in card
    assert json.loads((DEFAULT_CHECKPOINT / "probe.json").read_text())["weights_sha256"] == Checkpoint.open(DEFAULT_CHECKPOINT).fingerprint


def test_a_suite_whose_negation_labels_the_model_lacks_is_refused_with_the_labels_named():
    from emotion.analysis.probe import ProbeError

    foreign = {**SUITE, "negation": {**SUITE["negation"], "labels": ["joy", "schadenfreude"]}}
    with pytest.raises(ProbeError, match="negation labels 'schadenfreude' are not labels of this model"):
        build_cases(foreign, LABELS)


def test_probe_takes_the_shared_model_options():
    import probe
    from emotion.serve.backends import names

    assert probe.parse_args(["--checkpoint", "m", "--backend", names()[-1]]).checkpoint == "m"
    assert probe.parse_args(["m"]).checkpoint == "m" and probe.parse_args([]).backend == "auto"  # the folder alone, as before
    for wrong in (["--backend", "tensorrt"], ["a", "--checkpoint", "b"]):
        with pytest.raises(SystemExit) as stop:
            probe.parse_args(wrong)
        assert stop.value.code == 2  # argparse's usage line, before any model loads


@pytest.mark.parametrize("noise", [False, True])
def test_probe_save_stores_nothing_without_the_training_split(noise, tiny_checkpoint, data_dir, tmp_path, capsys):
    """--save and --noise --save write the card the same way: the training counts are read before anything is stored."""
    import shutil

    import probe
    from emotion.checkpoint import PROBE, ROBUSTNESS

    copy = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, copy)
    (data_dir / "train.tsv").unlink()
    with pytest.raises(SystemExit) as stop:
        probe.main(["--checkpoint", str(copy), "--backend", "onnx", "--data_dir", str(data_dir), "--save",
                    *(["--noise", "--split", "dev"] if noise else [])])
    assert stop.value.code == 1
    assert not (copy / (ROBUSTNESS if noise else PROBE)).exists()
