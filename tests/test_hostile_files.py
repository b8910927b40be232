"""Files the project writes can be read back: Batch mode takes score.py's output, adapt.py --choose's file
to label and its own download; a user's numbers stay numbers and only formulas are neutralised."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from emotion.files import escape_cell, read_csv, restore_cell, write_csv
from emotion.ui import predict_tab
from emotion.ui.page import Page
from emotion.ui.context import AppContext
from emotion.ui.inputs import Limits
from test_app_e2e import browser_test, launch

COMMENTS = pd.DataFrame({
    "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
    "text": ["thanks so much for the help, legend", "this is hilarious lol", "=1+1 lol", "-2+3 ok sure",
             "i am so sad about this news", "@SUM(A1) what"],
    "score": ["-0.5", "3", "-5", "+2", "1e-3", "-.25"],
})


@pytest.fixture(scope="module")
def page(tiny_checkpoint):
    return Page(AppContext(tiny_checkpoint, str(tiny_checkpoint.parent / "data")), Limits())


def run(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def written(tiny_checkpoint, tmp_path_factory):
    """The files the project's commands write from COMMENTS: score.py's output and adapt.py --choose's."""
    folder = tmp_path_factory.mktemp("written")
    write_csv(COMMENTS, folder / "comments.csv")
    model = ["--checkpoint", str(tiny_checkpoint), "--backend", "torch"]
    run("score.py", str(folder / "comments.csv"), str(folder / "scored.csv"), *model)
    run("adapt.py", "--choose", "4", str(folder / "comments.csv"), "--out", str(folder / "to_label.csv"),
        "--labels", "joy,frustration,trust", *model)
    return folder


def batch(page, path):
    table, download, note = predict_tab.predict_many(page, "", str(path), "per_class", 0.5)
    assert isinstance(table, pd.DataFrame), note  # not a refusal, and not a crash
    return table, download.value["path"], note


@pytest.mark.parametrize("name", ["scored.csv", "to_label.csv"])
def test_batch_mode_reads_a_file_the_project_wrote(page, written, name):
    """Batch mode crashed (two bare "Error" badges, AttributeError 'dtype') on a column named like an answer."""
    source = read_csv(written / name)
    answers = {"emotions", "top"} | {f"prob_{label}" for label in page.ctx.model.labels}
    table, download, note = batch(page, written / name)
    assert table.columns.is_unique and len(table) == len(source)
    theirs = [c for c in source.columns if c not in answers]  # every other column kept, as it was
    pd.testing.assert_frame_equal(table[theirs].astype(str), source[theirs].astype(str))
    back = read_csv(download)
    assert back.columns.tolist() == table.columns.tolist() and back["text"].tolist() == source["text"].tolist()
    replaced = [c for c in source.columns if c in answers]
    assert bool(replaced) == ("held an earlier answer" in note), note
    if name == "to_label.csv":  # a team's own label columns stay theirs; the probabilities sit beside them
        assert {"joy", "frustration", "trust"} <= set(table.columns) and "prob_joy" in table.columns
        assert not replaced


def test_batch_mode_reads_its_own_download(page, tmp_path):
    first, download, _ = batch(page, _csv(tmp_path / "mine.csv", COMMENTS))
    again, _, note = batch(page, download)
    assert again.columns.tolist() == first.columns.tolist() and "emotions, top, prob_admiration" in note
    np.testing.assert_allclose(again.filter(like="prob_").to_numpy(float), first.filter(like="prob_").to_numpy(float))


def _csv(path, frame):
    write_csv(frame, path)
    return path


def test_a_users_numbers_come_back_as_numbers_and_formulas_as_text(written, page, tmp_path):
    """'-0.5 came back as text from score.py and the batch download: only formulas are neutralised."""
    _, download, _ = batch(page, written / "comments.csv")
    for path in (written / "scored.csv", download):
        plain = pd.read_csv(path)  # as pandas or a spreadsheet reads it, without our reader
        assert plain["score"].dtype == float and plain["score"].tolist() == [-0.5, 3, -5, 2, 0.001, -0.25], path
        assert plain["text"].tolist()[2:4] == ["'=1+1 lol", "'-2+3 ok sure"] and plain["text"][5].startswith("'@")
        ours = read_csv(path)  # our reader gives back every cell as it was
        assert ours["text"].tolist() == COMMENTS["text"].tolist() and ours["score"].tolist() == COMMENTS["score"].tolist()
    first = (written / "scored.csv").read_text(encoding="utf-8").splitlines()[1]
    assert ',"-0.5",' in first and "'-0.5" not in first  # quoted, but not escaped


@pytest.mark.parametrize("cell", ["-0.5", "-5", "+3", "1e-3", "-.5", "=1+1", "-2+3", "-", "@A1", "\t5", "-inf",
                                  "'-0.5", "''=1", "'=1", "'", "plain", "-1,5", "- 5"])
def test_the_escape_is_reversible_and_leaves_numbers_alone(cell):
    assert restore_cell(escape_cell(cell)) == cell
    number = cell in ("-0.5", "-5", "+3", "1e-3", "-.5")
    assert (escape_cell(cell) == cell) == (number or not cell.lstrip("'").startswith(("=", "+", "-", "@", "\t")))
    assert restore_cell("'-0.5") == "-0.5"  # a file written before numbers were left alone reads as it did


def test_a_table_with_a_name_twice_is_written_safely(tmp_path):
    frame = pd.DataFrame([["=1+1", "ok", 1.5]], columns=["text", "text", "n"])
    write_csv(frame, tmp_path / "twice.csv")
    assert pd.read_csv(tmp_path / "twice.csv").iloc[0].tolist() == ["'=1+1", "ok", 1.5]


@pytest.mark.browser
@browser_test
def test_browser_batch_mode_takes_score_pys_output(app_url, written):
    """Two bare "Error" badges were all a person saw; now the rows, the note and a download."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_text("Batch mode").first.click()
        page.locator("input[type=file]").first.set_input_files(str(written / "scored.csv"))
        expect(page.get_by_text("scored.csv")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Predict all").click()
        expect(page.get_by_text("held an earlier answer")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("6 rows scored")).to_be_visible()
        expect(page.get_by_role("button", name="Download CSV")).to_be_visible()
        assert page.get_by_text("Error", exact=True).count() == 0
        browser.close()
