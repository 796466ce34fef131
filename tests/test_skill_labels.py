"""The project's Dutch skill labels (competency_atlas/skill_labels_nl.csv) against the reference
data: the file's own check (scripts/skill_labels_todo.py --check) passes, and it refuses two skills
that read the same in Dutch."""
from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from graph_schema.settings import Settings

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "skill_labels_todo.py"


@pytest.fixture(scope="module")
def todo():
    data = Settings().data_dir  # the script reads the same folder (ATLAS_DATA_DIR, else ../shared/data)
    if not (data / "esco-1.2.0").is_dir():
        pytest.skip(f"no ESCO reference data in {data}")
    spec = importlib.util.spec_from_file_location("skill_labels_todo", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_labels_pass_their_check(todo, capsys):
    assert todo.check(todo.CSV_FILE) == 0, capsys.readouterr().out


def test_two_skills_with_one_dutch_label_are_refused(todo, tmp_path, capsys):
    rows = list(csv.reader(todo.CSV_FILE.open(encoding="utf-8")))
    rows[-1][2] = rows[-2][2]
    copy = tmp_path / "labels.csv"
    with copy.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    assert todo.check(copy) == 1
    assert f"is also the label of {rows[-2][0]}" in capsys.readouterr().out
