"""Hostile input, file by file: the corpus of tests/hostile/ (made by tests/hostile/make_corpus.py)
ingested on the real Neo4j. Each file is answered as its entry in `<kind>.expected.json` says:
what is valid lands (a `;` CSV from Dutch Excel, UTF-16, CRLF), everything else is rejected with a
problem naming the file and the place; nothing raises, nothing is half-written, and the same
file ingested again changes nothing. The 100 MB files are written here, not committed, and
ingested by the CLI in a child process whose peak memory is checked."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from measurement_helpers import seed_atlas

HOSTILE = Path(__file__).parent / "hostile"
DB = "neo4j"


def cases(kind: str) -> list[tuple[str, dict]]:
    return sorted(json.loads((HOSTILE / f"{kind}.expected.json").read_text()).items())


def test_the_corpus_has_at_least_fifty_files_per_kind_and_matches_its_generator():
    sys.path.insert(0, str(HOSTILE))
    import make_corpus

    for kind, made in (("measurements", make_corpus.measurement_cases()), ("vacancies", make_corpus.vacancy_cases())):
        files = {p.name for p in (HOSTILE / kind).iterdir()}
        assert len(files) >= 50 and files == set(made) == {name for name, _ in cases(kind)}, kind
        changed = [n for n, (content, _) in made.items() if (HOSTILE / kind / n).read_bytes() != content]
        assert changed == [], f"{kind}: rerun tests/hostile/make_corpus.py"


def graph_counts(driver) -> dict:
    rows = driver.execute_query("MATCH (n) WHERE NOT n:IngestRun AND NOT n:SchemaMigration "
                                "UNWIND labels(n) AS l RETURN l, count(*) AS n", database_=DB).records
    return {r["l"]: r["n"] for r in rows}


def check(report, path: Path, expected: dict, before: dict, after: dict, label: str, new: int) -> None:
    problems = report.problems
    accepted = report.landed + report.unchanged
    assert (accepted, report.rejected) == (expected["landed"], expected["rejected"]), \
        (path.name, accepted, [str(p) for p in problems])
    assert all(p.source == str(path) for p in problems), path.name
    assert all(p.reason for p in problems), path.name
    if expected["names"]:
        said = " ".join(f"{p.location} {p.field} {p.reason}" for p in problems)
        assert expected["names"].lower() in said.lower(), (path.name, said)
    assert after.get(label, 0) - before.get(label, 0) == new, path.name  # what landed, no more, no less
    if not accepted:
        assert after == before, path.name  # a rejected file writes nothing at all


@pytest.fixture(scope="module")
def measurement_db(driver, settings):
    from conftest import wipe_data
    wipe_data(driver, DB)
    seed_atlas(driver)
    return driver


@pytest.mark.parametrize("name, expected", cases("measurements"))
def test_a_hostile_measurement_file_is_answered_as_expected(measurement_db, name, expected):
    from ingest.measurement_ingest import ingest_paths

    path = HOSTILE / "measurements" / name
    before = graph_counts(measurement_db)
    report = ingest_paths([path], measurement_db, DB)
    after = graph_counts(measurement_db)
    check(report, path, expected, before, after, "Measurement", report.landed)
    again = ingest_paths([path], measurement_db, DB)
    assert (again.landed, again.unchanged, again.rejected) == (0, report.landed + report.unchanged,
                                                              report.rejected), name
    assert graph_counts(measurement_db) == after, name


@pytest.fixture(scope="module")
def vacancy_db(driver, settings):
    from conftest import wipe_data
    from test_vacancy_ingest import make_enricher
    from vacancy_helpers import write_mini_atlas

    wipe_data(driver, DB)
    write_mini_atlas(driver, DB)
    return driver, make_enricher(driver, DB)


@pytest.mark.parametrize("name, expected", cases("vacancies"))
def test_a_hostile_vacancy_file_is_answered_as_expected(vacancy_db, name, expected):
    from ingest.vacancy_ingest import ingest_paths

    driver, enricher = vacancy_db
    path = HOSTILE / "vacancies" / name
    before = graph_counts(driver)
    report = ingest_paths([path], driver, DB, enricher)
    after = graph_counts(driver)
    check(report, path, expected, before, after, "Vacancy", report.created)
    again = ingest_paths([path], driver, DB, enricher)
    assert (again.landed, again.rejected) == (0, report.rejected), name
    assert graph_counts(driver) == after, name


# ---------------------------------------------------------------- 100 MB files, memory bounded

HUNDRED_MB = 100 * 2**20
EXTRA_MB = 50


def large_cases(folder: Path) -> dict[str, tuple[Path, str]]:
    """(file, what its report must say) for each kind: a 100 MB document is refused unread; a
    100 MB line of JSON Lines is skipped without being held, the line after it still lands."""
    sys.path.insert(0, str(HOSTILE))
    from make_corpus import js, measurement, posting

    out = {}
    for kind, record in (("measurements", measurement("H-BIG")), ("vacancies", posting("HV-BIG"))):
        big = folder / f"{kind}-big.json"
        with big.open("wb") as f:
            f.write(b"[" + js(record) + b"," + b" " * HUNDRED_MB + b"]")
        lines = folder / f"{kind}-big-line.jsonl"
        with lines.open("wb") as f:
            f.write(b'{"x": "' + b"y" * HUNDRED_MB + b'"}\n' + js(record) + b"\n")
        out[kind] = (big, lines)
    return out


# the CLI in a child that reports its own peak memory (RUSAGE_CHILDREN would mix in earlier children)
PEAK = ("import atexit, resource, sys\n"
        "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
        "from api.cli import main\n"
        "sys.argv = ['atlas-match', *sys.argv[1:]]\n"
        "main()\n")


def ingest_cli(kind: str, files: list[Path], rejects: Path) -> tuple[dict, float]:
    """The CLI's JSON report and the child's peak RSS in MB."""
    extra = ["--no-extract"] if kind == "vacancies" else []
    done = subprocess.run([sys.executable, "-c", PEAK, "ingest", kind, *map(str, files), "--json",
                           "--rejects-dir", str(rejects), *extra], capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout), int(done.stderr.rsplit("PEAK_KB", 1)[1].split()[0]) / 1024


@pytest.mark.parametrize("kind", ["measurements", "vacancies"])
def test_a_100_mb_file_is_refused_or_streamed_within_bounded_memory(measurement_db, tmp_path, kind):
    big, lines = large_cases(tmp_path)[kind]
    _, baseline_mb = ingest_cli(kind, [HOSTILE / kind / "valid.json"], tmp_path / "rejects")
    summary, peak_mb = ingest_cli(kind, [big, lines], tmp_path / "rejects")
    assert summary["landed"] + summary["unchanged"] == 1 and summary["rejected"] == 2, summary
    said = json.dumps(summary)
    assert "larger than" in said and "line 1" in said, said[:2000]
    # 100 MB never sit in memory: reading either file whole would add at least that much
    assert peak_mb - baseline_mb < EXTRA_MB, (peak_mb, baseline_mb)


def test_rejects_files_hold_the_rejected_records_as_read_ready_to_correct(measurement_db, tmp_path):
    """What a kind of problem leaves in the rejects file: the row's cells (a ragged row with its extra
    cells named), the record itself (a surrogate written as its JSON escape), never a placeholder."""
    import pandas as pd

    from ingest.measurement_ingest import ingest_paths

    names = ["ragged_other_client.csv", "key_surrogate.json", "digits_400_score.json"]
    report = ingest_paths([HOSTILE / "measurements" / n for n in names], measurement_db, DB)
    written = {p.name.split(".")[0]: p for p in report.write_rejects(tmp_path)}
    rows = pd.read_csv(written["ragged_other_client"], dtype=str, keep_default_na=False)
    assert {"client_key", "score", "extra_0"} <= set(rows.columns) and "H-001" in set(rows["client_key"])
    surrogate = json.loads(written["key_surrogate"].read_text())
    assert surrogate[0]["client_key"] == "H\ud800" and surrogate[0]["scores"]["Samenwerken"] == 7
    big = json.loads(written["digits_400_score"].read_text())
    assert big[0]["client_key"] == "H-001" and "scores" in big[0]
