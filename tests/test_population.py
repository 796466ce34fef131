"""The synthetic population: deterministic, realistic rates, truth kept out, valid input."""
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from competency_atlas.instrument_profiles import load_profiles
from graph_schema.settings import Settings
from ingest.geo import load_geography
from ingest.measurement_readers import read_file
from ingest.measurement_validation import Deduplicator, education_block, validate
from ingest.population import generate


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pop")
    counts = generate(1500, 11, folder, data_dir=Settings().data_dir)
    return folder, counts


def test_same_seed_same_files_other_seed_other_files(population, tmp_path):
    folder, _ = population
    again = generate(1500, 11, tmp_path / "a", data_dir=Settings().data_dir)
    other = generate(50, 12, tmp_path / "b", data_dir=Settings().data_dir)
    first = (folder / "measurements" / "measurements-0000.jsonl").read_bytes()
    assert (tmp_path / "a" / "measurements" / "measurements-0000.jsonl").read_bytes() == first
    assert (tmp_path / "a" / "truth.csv").read_bytes() == (folder / "truth.csv").read_bytes()
    assert not first.startswith((tmp_path / "b" / "measurements" / "measurements-0000.jsonl").read_bytes()[:200])
    assert again["scores"] > 0 and other["clients"] == 50


def test_every_generated_record_validates_and_rates_are_plausible(population):
    folder, counts = population
    profiles = load_profiles()
    edu, dedupe = education_block(profiles), Deduplicator()
    results = [dedupe.check(validate(r, profiles, date(2026, 1, 1), edu))
               for f in sorted((folder / "measurements").iterdir()) for r in read_file(f)]
    assert all(r.measurement is not None for r in results), [r.problems for r in results if r.problems][:3]
    ms = [r.measurement for r in results]
    assert len(ms) == counts["measurements"] and sum(len(m.scores) for m in ms) == counts["scores"]
    assert 50 <= counts["scores"] / 1500 <= 75  # "about 60 scale scores each"
    clusters = Counter(m.sensitive_blocks["cluster"] for m in ms if m.instrument == "abc")
    n = sum(clusters.values())
    assert 0.05 <= (clusters["G6"] + clusters["G7"]) / n <= 0.11
    assert 0.16 <= (clusters["G4"] + clusters["G5"]) / n <= 0.24
    not_fit = sum(m.blocks.get("client_profile") == "niet_arbeidsgeschikt" for m in ms if m.instrument == "wcm")
    assert 0.02 <= not_fit / sum(m.instrument == "wcm" for m in ms) <= 0.09
    assert all(m.postcode and m.hours_available for m in ms if m.postcode is not None)
    postcodes = {m.postcode for m in ms if m.postcode is not None}
    assert len(postcodes) >= 100 and postcodes <= set(load_geography(Settings().data_dir).areas)  # real pc4s
    assert sum(bool(m.work_history) for m in ms) >= 1400


def test_generating_occupation_only_in_the_truth_file(population):
    folder, _ = population
    truth = (folder / "truth.csv").read_text().splitlines()
    assert truth[0].startswith("client_key,occupation_uri") and len(truth) == 1501
    text = (folder / "measurements" / "measurements-0000.jsonl").read_text()
    assert "occupation_label" not in text and "truth" not in text
    # G6/G7 get no competency positions (as the ABC reports them)
    assert all(row.split(",")[-2] in ("", "G1", "G2", "G3", "G4", "G5", "G6", "G7") for row in truth[1:])


def test_long_csv_output_reads_back_to_the_same_measurements(tmp_path):
    jsonl = generate(40, 5, tmp_path / "j", data_dir=Settings().data_dir)
    csv = generate(40, 5, tmp_path / "c", data_dir=Settings().data_dir, fmt="csv")
    profiles = load_profiles()

    def ids(folder: Path) -> set[str]:
        out = set()
        for f in (folder / "measurements").iterdir():
            for r in read_file(f):
                v = validate(r, profiles, date(2026, 1, 1), education_block(profiles))
                assert v.measurement is not None, v.problems
                out.add(v.measurement.id)
        return out
    assert csv["scores"] == jsonl["scores"]
    assert ids(tmp_path / "j") == ids(tmp_path / "c")
