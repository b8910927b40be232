"""CSV files are safe to open in a spreadsheet and read back unchanged."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from emotion.files import NUMBER, escape_cell, read_csv, restore_cell, write_csv

FORMULAS = ["=HYPERLINK(\"http://x\",\"click\")", "+1+cmd|' /C calc'!A0", "-1+2", "@SUM(A1)", "\tx", "\rx", "'=already", "''-x"]


def test_formula_cells_are_written_as_text_and_read_back(tmp_path):
    frame = pd.DataFrame({"text": FORMULAS + ["plain", "it's", "'quoted", ""], "prob_joy": [-0.5] * 12})
    frame.columns = ["text", "prob_joy"]
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    # What a spreadsheet sees: no cell of text starts a formula; numbers stay numbers.
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in raw["text"])
    assert raw["text"].tolist()[-4:] == ["plain", "it's", "'quoted", ""]
    assert (raw["prob_joy"] == "-0.5").all()
    back = read_csv(path)
    assert back["text"].tolist() == frame["text"].tolist()


def test_formula_column_names_are_escaped_too(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"=cmd": ["a"]}), path)
    assert open(path).readline().startswith('"\'=cmd"')
    assert list(read_csv(path).columns) == ["=cmd"]


@given(st.text())
def test_the_escape_is_reversible(text):
    assert restore_cell(escape_cell(text)) == text
    # A plain number ("-0.5") is no formula and stays as it is; anything else that would start one is escaped.
    assert NUMBER.fullmatch(text) or not escape_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))
