"""Long comments are read whole, in overlapping windows, by every runner (emotion.serve.windows)."""

import numpy as np
import pytest
from scipy.special import expit

from emotion.serve import windows
from emotion.serve.predict import EmotionClassifier

LONG = " ".join(["my landlord ignored the leak for weeks and now the ceiling has fallen in"] * 6 +
                ["i am so angry and exhausted, thanks for nothing"])


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint):
    return EmotionClassifier(tiny_checkpoint, backend="torch")


def test_windows_cover_every_token_with_the_comments_own_special_tokens():
    ids = [101, *range(1000, 1100), 102]  # [CLS], 100 word pieces, [SEP]
    cut = windows.split(ids, 32, overlap=8)
    assert all(w[0] == 101 and w[-1] == 102 and len(w) <= 32 for w in cut)
    assert sorted({i for w in cut for i in w[1:-1]}) == list(range(1000, 1100))  # nothing left unread
    assert cut[-1][-2] == 1099 and all(len(set(a) & set(b)) - 2 >= 8 for a, b in zip(cut, cut[1:]))  # they overlap
    assert windows.split(ids[:20], 32) == [ids[:20]]


def test_labels_take_their_highest_window_and_neutral_its_lowest():
    rows = np.array([[0.0, 2.0, 1.0, 5.0], [3.0, -1.0, 4.0, 7.0]], dtype=np.float32)  # 3 logits, then pooled
    assert windows.combine(rows, 3, neutral=2).tolist() == [3.0, 2.0, 1.0, 6.0]
    assert windows.combine(rows, 3, neutral=None, rule="mean").tolist() == [1.5, 0.5, 2.5, 6.0]
    assert windows.combine(rows, 3, neutral=2, rule="first").tolist() == rows[0].tolist()
    with pytest.raises(ValueError, match="max, mean or first"):
        windows.combine(rows, 3, 2, rule="vote")


def test_a_long_comment_is_the_combination_of_its_windows_as_read_one_by_one(classifier):
    tokenizer = classifier.tokenizer
    ids = tokenizer.encode([LONG])[0]
    assert len(ids) > 2 * classifier.max_length
    parts = windows.split(ids, classifier.max_length)
    import torch

    with torch.no_grad():
        each = np.vstack([classifier.model(input_ids=torch.tensor([w]), attention_mask=torch.ones(1, len(w),
                                                                                                 dtype=torch.long)
                                           ).logits.numpy() for w in parts])
    expected = expit(windows.combine(each, 28, classifier.labels.index("neutral")))
    got = classifier.predict_probabilities([LONG, "ok", LONG])
    np.testing.assert_allclose(got[0], expected, atol=1e-5)
    np.testing.assert_allclose(got[2], expected, atol=1e-5)
    assert not np.array_equal(got[0], expit(each[0]))  # the later windows count: not the first 32 tokens alone
    # The pooled embedding (what similar comments and heads read) is the windows' mean, one row per comment.
    assert classifier.features([LONG, "ok"]).shape == (2, classifier.feature_width)
