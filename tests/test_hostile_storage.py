"""What a stranger, a restart or a busy server may do to what the project stores
(../shared/reports/hostile-input-trial.md N1, N2, N9 and N10's `score.py in.csv in.csv`): a visitor's
key survives a restart, labelling storage is bounded server-wide, confirmed answers and input files are
never lost."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


def command(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def one_error_line(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("spelling", ["in.csv", "./in.csv", "{tmp}/in.csv", "link.csv", "hard.csv"])
def test_score_refuses_an_output_that_is_its_input(tmp_path, spelling):
    source = tmp_path / "in.csv"
    source.write_text("text\nthanks so much\n")
    (tmp_path / "link.csv").symlink_to(source)
    os.link(source, tmp_path / "hard.csv")
    done = command(str(ROOT / "score.py"), "in.csv", spelling.format(tmp=tmp_path), cwd=tmp_path)
    assert "is the input file; give another output path" in one_error_line(done)
    assert source.read_text() == "text\nthanks so much\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.csv", "in.csv", "link.csv"]  # no partial left


def test_adapt_choose_refuses_an_output_that_is_its_input(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\nthanks so much\n")
    done = command(str(ROOT / "adapt.py"), "--choose", "5", "in.csv", "--out", "./in.csv", cwd=tmp_path)
    assert "is the input file" in one_error_line(done)
    assert source.read_text() == "text\nthanks so much\n"
