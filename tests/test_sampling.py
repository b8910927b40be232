"""emotion.profiles.sampling: which comments of an unlabelled file to label, stratified by the model's top label,
with known weights N_h / n_h. Pure arrays and small files: no model needed."""

import numpy as np
import pandas as pd
import pytest

from emotion.profiles.sampling import WEIGHT, SamplingError, allocate, choose, read_unlabelled, to_label


def probs_with_tops(tops, labels=5, seed=0):
    """Probabilities (N, labels) whose most probable label is ``tops[i]`` for row i."""
    rng = np.random.default_rng(seed)
    probs = rng.uniform(0, 0.4, (len(tops), labels))
    probs[np.arange(len(tops)), tops] = 0.9
    return probs


def test_choose_covers_the_strata_with_known_weights():
    sizes = np.array([500, 50, 5, 0, 1])
    draws = allocate(sizes, 40)
    assert draws.sum() == 40 and (draws[sizes > 0] >= 1).all() and draws[3] == 0 and (draws <= sizes).all()
    assert draws[1] / 50 > draws[0] / 500  # a rare stratum is drawn more often than its share
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(28, 0.3), 2000)
    chosen = choose(probs, 100, seed=1)
    assert len(set(chosen.rows)) == 100 and chosen.weights.sum() == pytest.approx(2000, rel=1e-3)
    # Weighted, the sample estimates the whole file's label shares (Horvitz-Thompson).
    top = probs.argmax(1)
    for stratum in np.unique(chosen.strata):
        estimate = chosen.weights[top[chosen.rows] == stratum].sum()
        assert estimate == pytest.approx((top == stratum).sum(), rel=1e-3)


def test_allocation_follows_the_square_root_of_each_stratums_size():
    sizes = np.array([400, 100, 25, 0, 4])
    draws = allocate(sizes, 41)
    target = 41 * np.sqrt(sizes) / np.sqrt(sizes).sum()  # 41 * (20, 10, 5, 0, 2) / 37
    assert draws.sum() == 41 and np.abs(draws - target).max() < 1
    assert draws.tolist() == [22, 11, 6, 0, 2]  # proportional would give 32, 8, 2, 0, 0 (sizes / 529 * 41)


def test_every_stratum_gets_a_draw_while_n_allows_and_never_more_than_its_size():
    sizes = np.array([1000, 1, 1, 1, 0, 2])
    assert allocate(sizes, 5).tolist() == [1, 1, 1, 1, 0, 1]  # the square root alone would give [5, 0, 0, 0, 0, 0]
    assert allocate(sizes, 3).tolist() == [1, 1, 0, 0, 0, 1]  # fewer draws than strata: the largest get one each
    assert allocate(sizes, 2000).tolist() == sizes.tolist()  # more asked than the file holds: all of it
    draws = allocate(sizes, 500)
    assert draws.sum() == 500 and (draws <= sizes).all() and draws[1:4].tolist() == [1, 1, 1] and draws[5] == 2


def test_each_chosen_row_carries_its_strata_size_over_its_draws():
    tops = np.repeat([0, 1, 2, 4], [300, 40, 3, 1])  # label 3 is nobody's top label
    probs = probs_with_tops(tops)
    chosen = choose(probs, 30, seed=7)
    draws = allocate(np.bincount(tops, minlength=5), 30)
    assert len(chosen.rows) == 30 and len(set(chosen.rows)) == 30
    assert (chosen.strata == tops[chosen.rows]).all()  # a row's stratum is the model's top label for it
    assert np.bincount(chosen.strata, minlength=5).tolist() == draws.tolist()
    expected = {0: 300 / draws[0], 1: 40 / draws[1], 2: 3 / draws[2], 4: 1.0}  # N_h / n_h
    for stratum, weight in zip(chosen.strata, chosen.weights):
        assert weight == pytest.approx(expected[stratum], abs=1e-4)
    assert set(chosen.strata) == {0, 1, 2, 4}  # at least one from every stratum, the one-comment one too


def test_within_a_stratum_every_comment_is_equally_likely():
    """The weights are right only if each comment of a stratum is drawn with probability n_h / N_h."""
    tops = np.repeat([0, 1], [20, 5])
    probs = probs_with_tops(tops, labels=2)
    draws = allocate(np.array([20, 5]), 6)
    seen = np.zeros(len(tops))
    for seed in range(3000):
        seen[choose(probs, 6, seed=seed).rows] += 1
    rate = seen / 3000
    np.testing.assert_allclose(rate[:20], draws[0] / 20, atol=0.03)
    np.testing.assert_allclose(rate[20:], draws[1] / 5, atol=0.04)


def test_the_same_seed_gives_the_same_sample_in_the_same_order():
    probs = np.random.default_rng(3).dirichlet(np.full(28, 0.3), 500)
    one, again, other = choose(probs, 50, seed=11), choose(probs, 50, seed=11), choose(probs, 50, seed=12)
    assert one.rows.tolist() == again.rows.tolist() and one.weights.tolist() == again.weights.tolist()
    assert one.rows.tolist() != other.rows.tolist()


def test_the_sample_comes_in_random_order_so_labelling_can_stop_anywhere():
    tops = np.repeat(np.arange(5), 100)
    chosen = choose(probs_with_tops(tops), 50, seed=0)
    assert len(set(chosen.strata[:15])) >= 4  # not stratum by stratum: the first answers already spread out
    assert chosen.strata.tolist() != sorted(chosen.strata.tolist())


@pytest.mark.parametrize("probs", [np.zeros((0, 5)), np.zeros(5)], ids=["no-rows", "one-dimensional"])
def test_choose_needs_a_probability_matrix(probs):
    with pytest.raises(ValueError, match="at least one comment"):
        choose(probs, 3)


def test_an_unlabelled_file_keeps_its_comments_with_text(tmp_path):
    (tmp_path / "comments.csv").write_text("id,text\n1,hello there\n2,\n3,   \n4,thanks a lot\n", encoding="utf-8")
    frame = read_unlabelled(tmp_path / "comments.csv")
    assert frame["text"].tolist() == ["hello there", "thanks a lot"] and frame["id"].tolist() == ["1", "4"]
    (tmp_path / "lines.txt").write_text("one comment\n\nanother one\n", encoding="utf-8")
    assert read_unlabelled(tmp_path / "lines.txt")["text"].tolist() == ["one comment", "another one"]


@pytest.mark.parametrize("name, content, limit, message", [
    ("a.csv", "comment\nhi\n", None, "has no `text` column; its columns are: comment"),
    ("a.csv", "text\n \n\n", None, "has no comments with text"),
    ("a.csv", "text\n" + "hi\n" * 11, 10, "has 11 comments; the limit here is 10"),
    ("a.xlsx", "text\nhi\n", None, "xlsx"),
], ids=["no-text-column", "only-blanks", "over-the-limit", "unknown-format"])
def test_an_unusable_unlabelled_file_is_refused_in_words(tmp_path, name, content, limit, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(SamplingError, match=message) as caught:
        read_unlabelled(tmp_path / name, limit)
    assert str(tmp_path) not in str(caught.value)  # the file's name, never the server's folders


def test_to_label_gives_the_chosen_rows_their_weight_and_an_empty_column_per_label():
    frame = pd.DataFrame({"id": range(60), "text": [f"comment {i}" for i in range(60)]})
    probs = probs_with_tops(np.repeat([0, 1, 2], [40, 15, 5]), labels=3)
    out = to_label(frame, probs, 12, ["joy", "thankful"], seed=4)
    chosen = choose(probs, 12, seed=4)
    assert list(out.columns) == ["id", "text", WEIGHT, "joy", "thankful"]
    assert out["id"].tolist() == chosen.rows.tolist() and out[WEIGHT].tolist() == chosen.weights.tolist()
    assert (out[["joy", "thankful"]] == "").all().all() and out[WEIGHT].sum() == pytest.approx(60, rel=1e-3)
    with pytest.raises(SamplingError, match="at least one comment, not 0"):
        to_label(frame, probs, 0, ["joy"])
    with pytest.raises(SamplingError, match="already has columns named weight, joy"):
        to_label(frame.assign(joy=1, weight=2), probs, 5, ["joy"])
