"""The skill-extraction benchmark: protocol, metrics against hand-computed values, the command."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from matcher.bench_skills import (AnnotationError, GoldSentence, r_precision_at, read_annotations,
                                  reciprocal_rank, score_rankings)


def test_reciprocal_rank_is_first_gold_position():
    assert reciprocal_rank(["a", "b", "c"], frozenset({"c", "b"})) == pytest.approx(1 / 2)
    assert reciprocal_rank(["a", "b"], frozenset({"z"})) == 0.0


def test_r_precision_divides_by_min_of_k_and_gold_size():
    ranked = ["a", "x", "b", "y", "c", "d"]
    assert r_precision_at(ranked, frozenset({"a"}), 1) == 1.0
    assert r_precision_at(ranked, frozenset({"x", "a", "q"}), 1) == 1.0
    assert r_precision_at(ranked, frozenset({"b"}), 1) == 0.0
    # gold {a, b, c}, top 5 holds all three: 3 / min(5, 3)
    assert r_precision_at(ranked, frozenset({"a", "b", "c"}), 5) == 1.0
    # gold of seven, top 5 holds a, b, c: 3 / 5
    assert r_precision_at(ranked, frozenset("abcdefg"), 5) == pytest.approx(0.6)


def test_score_rankings_averages_over_sentences():
    rankings = [["a", "b", "c"], ["x", "y", "z"]]
    golds = [frozenset({"b"}), frozenset({"x", "z"})]
    result = score_rankings(rankings, golds)
    # MRR: (1/2 + 1) / 2; RP@1: (0 + 1) / 2; RP@5 and @10: (1 + 2/2) / 2
    assert result == {"mrr": 0.75, "rp_at_1": 50.0, "rp_at_5": 100.0, "rp_at_10": 100.0, "sentences": 2}


def _write_csv(path, rows):
    path.write_text("sentence,span,sub_span,label\n" + "".join(f'"{s}",span,,{l}\n' for s, l in rows))
    return path


def test_read_annotations_groups_and_drops_non_gold(tmp_path):
    path = _write_csv(tmp_path / "a.csv", [
        ("Strong SQL skills", "SQL"), ("Strong SQL skills", "LABEL NOT PRESENT"),
        ("Team player", "UNDERSPECIFIED"), ("Python and Docker", "Docker"),
        ("Python and Docker", "Python (computer programming)"), ("Strong SQL skills", "SQL")])
    assert read_annotations(path) == [
        GoldSentence("Strong SQL skills", frozenset({"SQL"})),
        GoldSentence("Python and Docker", frozenset({"Docker", "Python (computer programming)"})),
    ]


def test_read_annotations_reports_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nx,SQL\n")
    with pytest.raises(AnnotationError, match="bad.csv: header lacks column"):
        read_annotations(path)


def test_bench_skills_command_prints_one_json_object(tmp_path):
    annotations = _write_csv(tmp_path / "tiny.csv", [
        ("Strong SQL skills are required", "SQL"), ("Strong SQL skills are required", "LABEL NOT PRESENT"),
        ("You bake bread every night", "bake bread"), ("Nothing here", "UNDERSPECIFIED")])
    labels = tmp_path / "labels.txt"
    labels.write_text("SQL\nbake bread\nDocker\nspeak Dutch\ndrive a car\n")
    result = CliRunner().invoke(app, ["bench", "skills", str(annotations), "--labels", str(labels), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip())
    assert {"mrr", "rp_at_1", "rp_at_5", "rp_at_10", "sentences", "seconds"} <= set(payload)
    assert payload["sentences"] == 2
    assert payload["rp_at_1"] == 100.0 and payload["mrr"] == 1.0


def test_bench_skills_command_reports_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nx\n")
    labels = tmp_path / "labels.txt"
    labels.write_text("SQL\n")
    result = CliRunner().invoke(app, ["bench", "skills", str(bad), "--labels", str(labels), "--json"])
    assert result.exit_code == 1
    assert "bad.csv: header lacks column" in result.output
