"""Word attributions by occlusion: units, masks, effects, the faithfulness check, on the tiny model
and on the shipped one."""

import json

import numpy as np
import pytest

from emotion.checkpoint import DEFAULT_CHECKPOINT
from emotion.analysis.explain import MIN_P, explain, masked, word_spans
from emotion.serve.predict import EmotionClassifier

SHIPPED = DEFAULT_CHECKPOINT


def words(text: str) -> list[str]:
    return [text[a:b] for a, b in word_spans(text)]


def test_units_keep_placeholders_apostrophes_and_symbol_runs_whole():
    assert words("[NAME] don't do that!!! 😂😂 ok") == ["[NAME]", "don't", "do", "that", "!!!", "😂😂", "ok"]
    assert words("   ") == [] and len(word_spans("a " * 500)) == 128


def test_masking_keeps_every_other_character_and_one_mask_per_piece():
    text = "well, [NAME] said no"
    spans = word_spans(text)
    assert masked(text, spans, [2], [1, 1, 3, 1, 1], "[MASK]") == "well, [MASK] [MASK] [MASK] said no"
    assert masked(text, spans, [0, 4], [1, 1, 3, 1, 1], "[MASK]") == "[MASK], [NAME] said [MASK]"


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    return EmotionClassifier(tiny_checkpoint, backend="torch")


def test_effects_are_the_change_of_every_probability_when_a_word_goes(tiny):
    text = "i love this, thanks [NAME]"
    found = explain(tiny, text)
    assert found.words == ["i", "love", "this", ",", "thanks", "[NAME]"]
    assert found.effects.shape == (6, len(tiny.labels))
    spans, pieces = word_spans(text), tiny.count_pieces(found.words)
    variant = masked(text, spans, [1], pieces, tiny.tokenizer.mask_token)
    assert len(tiny.tokenizer.encode([variant])[0]) == len(tiny.tokenizer.encode([text])[0])  # positions stay put
    together = tiny.predict_probabilities([text, variant], together=True)
    np.testing.assert_allclose(found.effects[1], together[0] - together[1], atol=1e-5)
    np.testing.assert_allclose(found.probabilities, tiny.predict_probabilities([text])[0], atol=1e-5)
    assert found.noise < 1e-4  # torch in fp32 has no batch effect


def test_the_faithfulness_check_removes_the_top_words_of_each_label(tiny):
    found = explain(tiny, "i love this so much thanks")
    for j in range(len(tiny.labels)):
        top = found.top_words(j)
        assert len(top) <= max(1, round(0.2 * len(found.spans))) and all(found.effects[i, j] > 0 for i in top)
        if found.probabilities[j] < MIN_P:
            assert found.without_top[j] == found.with_top[j] and "too low" in found.faithfulness(j)
        elif top:
            variant = masked(found.text, found.spans, top, tiny.count_pieces(found.words), "[MASK]")
            assert found.without_top[j] == pytest.approx(tiny.predict_probabilities([variant])[0][j], abs=1e-5)
    answer = found.to_dict(label=3)
    assert list(answer["effects"]) == [tiny.labels[3]] and len(answer["effects"][tiny.labels[3]]) == 6
    assert "p(" + tiny.labels[3] + ")" in answer["faithfulness"][tiny.labels[3]]["sentence"]
    json.dumps(found.to_dict())


def test_a_text_without_words_explains_nothing(tiny):
    found = explain(tiny, "__")
    assert found.spans == [] and found.effects.shape == (0, len(tiny.labels))
    assert "comes from the comment as a whole" in found.faithfulness(0)


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped checkpoint")
def test_the_shipped_model_thanks_for_thank_you_and_tells_two_labels_apart():
    classifier = EmotionClassifier(SHIPPED)  # the default backend: what serves
    found = explain(classifier, "thank you so much, you made my day")
    gratitude = classifier.labels.index("gratitude")
    assert found.words[int(np.argmax(found.effects[:, gratitude]))] in ("thank", "thanks")
    assert found.without_top[gratitude] < 0.5 < found.with_top[gratitude]
    mixed = explain(classifier, "Oh great, another Monday. I just love being stuck in traffic for two hours")
    love, annoyance = classifier.labels.index("love"), classifier.labels.index("annoyance")
    assert mixed.top_words(love)[:1] != mixed.top_words(annoyance)[:1]
