"""MELO protocol: trec_eval-style metrics by hand, dataset loading errors, the CLI end to end."""
from __future__ import annotations

import json
import runpy
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from competency_atlas.bench_melo import (DESCRIPTION_SHARES, DEV_MARKER, DatasetError, average_precision,
                                         choose_weights, description_grid, esco_descriptions, evaluate, load_dataset,
                                         reciprocal_rank, run, success_at, weight_grid)
from competency_atlas.lookup import FusionWeights
from graph_schema.settings import settings


def test_reciprocal_rank_is_one_over_the_first_relevant_position():
    assert reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a", "b", "c"], {"b", "c"}) == pytest.approx(1 / 2)
    assert reciprocal_rank(["a", "b"], {"z"}) == 0.0


def test_average_precision_counts_unretrieved_relevant_forms_as_misses():
    # Relevant at ranks 1 and 3; a third relevant form never retrieved: (1/1 + 2/3) / 3.
    assert average_precision(["r1", "x", "r2", "y"], {"r1", "r2", "r3"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["x", "r1"], {"r1"}) == pytest.approx(0.5)
    assert average_precision(["x"], {"r1"}) == 0.0


def test_success_at_k():
    ranked = ["a", "b", "c", "d", "e", "f"]
    assert success_at(ranked, {"e"}, 1) == 0.0
    assert success_at(ranked, {"e"}, 5) == 1.0
    assert success_at(ranked, {"a"}, 1) == 1.0


def test_evaluate_averages_over_judged_queries():
    rankings = {"q1": ["a", "b"], "q2": ["c", "d"], "q3": ["e"]}
    relevant = {"q1": {"a"}, "q2": {"d", "z"}}  # q3 has no judgement: not averaged (trec_eval)
    result = evaluate(rankings, relevant)
    assert result["queries"] == 2
    assert result["mrr"] == pytest.approx((1 + 0.5) / 2, abs=1e-4)
    assert result["map"] == pytest.approx((1 + 0.5 / 2) / 2, abs=1e-4)
    assert result["a_at_1"] == pytest.approx(0.5)
    assert result["a_at_5"] == pytest.approx(1.0)


def _write(folder: Path, name: str, rows: list[str]) -> None:
    (folder / name).write_text("".join(r + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "tst_q_en_c_en"
    folder.mkdir()
    concepts = {
        "C000001": ["baker", "bread baker", "bakery worker"],
        "C000002": ["butcher", "meat cutter"],
        "C000003": ["registered nurse", "general nurse", "staff nurse"],
        "C000004": ["welder", "arc welder"],
        "C000005": ["software developer", "programmer", "software engineer"],
        "C000006": ["truck driver", "lorry driver"],
    }
    corpus, mapping = [], []
    for concept, forms in concepts.items():
        for n, form in enumerate(forms):
            cid = f"{concept}_en_{n:03d}"
            corpus.append(f"{cid}\t{form}")
            mapping.append(f"{cid}\thttp://data.europa.eu/esco/occupation/{concept}")
    queries = {"Q000001": ("Bakers", "C000001"), "Q000002": ("Butchers and Meat Cutters", "C000002"),
               "Q000003": ("Registered Nurses", "C000003"), "Q000004": ("Software Developers", "C000005"),
               "Q000005": ("Heavy and Tractor-Trailer Truck Drivers", "C000006")}
    _write(folder, "queries.tsv", [f"{q}\t{title}" for q, (title, _) in queries.items()])
    _write(folder, "corpus_elements.tsv", corpus)
    _write(folder, "concept_mapping.tsv", mapping)
    _write(folder, "annotations.tsv", [f"{q}\t0\t{concept}_en_{n:03d}\t1"
                                       for q, (_, concept) in queries.items()
                                       for n in range(len(concepts[concept]))])
    return folder


def test_load_dataset_reads_languages_concepts_and_judgements(tiny_dataset: Path):
    data = load_dataset(tiny_dataset)
    assert (data.query_lang, data.corpus_lang) == ("en", "en")
    assert len(data.queries) == 5 and len(data.corpus) == 15
    assert data.concept_of["C000002_en_001"].endswith("/C000002")
    assert data.relevant["Q000002"] == {"C000002_en_000", "C000002_en_001"}


def test_load_dataset_names_file_row_and_reason(tiny_dataset: Path):
    with (tiny_dataset / "annotations.tsv").open("a", encoding="utf-8") as handle:
        handle.write("Q000001\t0\tC999999_en_000\t1\n")
    with pytest.raises(DatasetError, match=r"annotations.tsv: row 14: corpus element 'C999999_en_000'"):
        load_dataset(tiny_dataset)
    (tiny_dataset / "queries.tsv").unlink()
    with pytest.raises(DatasetError, match="queries.tsv: file missing"):
        load_dataset(tiny_dataset)


@pytest.fixture
def private_work_dir(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ATLAS_WORK_DIR", str(tmp_path / "work"))
    settings.cache_clear()
    yield tmp_path / "work"
    settings.cache_clear()


@pytest.mark.parametrize("mode", ["--semantic", "--lexical-only"])
def test_bench_melo_command_prints_one_json_object(tiny_dataset: Path, private_work_dir: Path, mode: str):
    result = CliRunner().invoke(app, ["bench", "melo", str(tiny_dataset), "--json", mode])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    metrics = {"mrr", "map", "a_at_1", "a_at_5", "a_at_10", "queries"}
    assert set(figures) == metrics | {"one_label_per_concept", "seconds"}
    assert set(figures["one_label_per_concept"]) == metrics
    for ranking in (figures, figures["one_label_per_concept"]):
        assert ranking["queries"] == 5
        for key in ("mrr", "map", "a_at_1", "a_at_5", "a_at_10"):
            assert 0.0 <= ranking[key] <= 1.0
        assert ranking["a_at_1"] <= ranking["a_at_5"] <= ranking["a_at_10"]
        # Every query here shares a word with its gold labels: the look-up must find them all.
        assert ranking["mrr"] == 1.0
    # One label per concept leaves the gold concept's other labels further down.
    assert figures["one_label_per_concept"]["map"] < figures["map"]
    assert figures["seconds"] >= 0
    if mode == "--semantic":  # corpus embeddings were cached under the work dir
        assert list((private_work_dir / "embeddings").glob("*/*.npy"))


def test_bench_melo_command_reports_a_broken_folder(tmp_path: Path):
    result = CliRunner().invoke(app, ["bench", "melo", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert "queries.tsv: file missing" in result.output


# ---- the halves and the dev-split weight grid -----------------------------------------------

def word_embed(texts: list[str]) -> np.ndarray:
    """A tiny deterministic encoder: hashed words, unit length (no model needed)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, zlib.crc32(word.rstrip("s").encode()) % 64] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def test_each_half_runs_through_the_same_code(tiny_dataset: Path):
    fused = run(tiny_dataset, word_embed)
    lexical = run(tiny_dataset, word_embed, half="lexical")  # the encoder is dropped
    semantic = run(tiny_dataset, word_embed, half="semantic")
    for figures in (fused, lexical, semantic):
        assert figures["queries"] == 5 and 0.0 <= figures["mrr"] <= 1.0
    assert lexical == run(tiny_dataset, None, half="lexical") | {"seconds": lexical["seconds"]}
    with pytest.raises(DatasetError, match="needs the sentence encoder"):
        run(tiny_dataset, None, half="semantic")
    with pytest.raises(DatasetError, match="unknown half"):
        run(tiny_dataset, word_embed, half="both")


def test_weights_are_chosen_only_on_a_dev_split(tiny_dataset: Path, tmp_path: Path, monkeypatch):
    with pytest.raises(DatasetError, match="not a dev split"):
        choose_weights([tiny_dataset], word_embed)
    dev = tmp_path / "dev"
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(dev), "--queries", "4"])
    runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")
    assert (dev / DEV_MARKER).is_file()
    data = load_dataset(dev)
    held_out = {title for _, title in data.queries}
    assert len(held_out) == 4 and not held_out & {text for _, text in data.corpus}  # queries left the corpus
    rows = choose_weights([dev, dev], word_embed)
    assert len(rows) == len(weight_grid())
    assert [r["dev_mrr"] for r in rows] == sorted((r["dev_mrr"] for r in rows), reverse=True)
    for r in rows:
        assert 0.0 <= r["dev_mrr"] <= 1.0
        assert r["semantic"] + r["tfidf"] + r["fuzzy"] == pytest.approx(1.0)
    # The grid reuses the halves' margins across weightings; the product path computes them afresh.
    for r in [r for r in rows if r["decisiveness"] and 0 < r["semantic"] < 1][:3]:
        weights = FusionWeights(r["semantic"], r["tfidf"], r["fuzzy"], r["decisiveness"])
        assert run(dev, word_embed, weights=weights)["mrr"] == pytest.approx(r["dev_mrr"], abs=1e-4)


def test_a_dev_split_of_hidden_labels_holds_out_only_what_esco_lists_as_hidden(tiny_dataset: Path, tmp_path: Path,
                                                                              monkeypatch):
    esco = tmp_path / "occupations.csv"
    occ = "http://data.europa.eu/esco/occupation/"
    esco.write_text("conceptUri,preferredLabel,hiddenLabels\n"
                    f'{occ}C000001,baker,"Bakery Worker\nbroodbakker"\n'
                    f"{occ}C000004,welder,arc welder;\n"
                    f"{occ}C000002,butcher,butcher\n", encoding="utf-8")  # a preferred label is never held out
    dev = tmp_path / "dev"
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(dev), "--queries", "10",
                                      "--hidden-labels", str(esco)])
    runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")
    data = load_dataset(dev)
    assert sorted(title for _, title in data.queries) == ["arc welder", "bakery worker"]
    assert "hidden labels" in (dev / DEV_MARKER).read_text()
    relevant = {title: sorted(data.relevant[q]) for q, title in data.queries}  # the concept's other labels
    assert relevant == {"bakery worker": ["C000001_en_000", "C000001_en_001"], "arc welder": ["C000004_en_000"]}


def test_a_hidden_labels_file_without_its_columns_stops_the_split_before_it_writes(tiny_dataset: Path, tmp_path: Path,
                                                                                monkeypatch):
    wrong = tmp_path / "occupations.csv"
    wrong.write_text("uri,label\nx,y\n", encoding="utf-8")
    dev = tmp_path / "dev"
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(dev), "--hidden-labels", str(wrong)])
    with pytest.raises(SystemExit, match=r"occupations.csv: not an ESCO occupations CSV \(no column conceptUri, hiddenLabels\)"):
        runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")
    assert not dev.exists()


def test_a_dev_split_of_isco_group_titles_asks_for_the_groups_member_occupations(tiny_dataset: Path, tmp_path: Path,
                                                                                 monkeypatch):
    isco = "http://data.europa.eu/esco/isco/"
    groups = {"C7512": "Bakers, pastry-cooks and confectionery makers", "C751": "Food processing trades workers",
              "C3221": "Nursing associate professionals", "C322": "Nursing associate professionals",
              "C9999": "Group without members here"}
    with (tiny_dataset / "corpus_elements.tsv").open("a", encoding="utf-8") as corpus, \
            (tiny_dataset / "concept_mapping.tsv").open("a", encoding="utf-8") as mapping:
        for n, (group, title) in enumerate(groups.items()):
            corpus.write(f"G{n:06d}_en_000\t{title}\n")
            mapping.write(f"G{n:06d}_en_000\t{isco}{group}\n")
    esco = tmp_path / "occupations.csv"
    occ = "http://data.europa.eu/esco/occupation/"
    esco.write_text(f"conceptUri,iscoGroup\n{occ}C000001,7512\n{occ}C000003,3221\n{occ}C000006,8332\n"
                    f"{occ}C000002,7511\n{occ}C000099,9999\n", encoding="utf-8")
    dev = tmp_path / "dev"
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(dev), "--queries", "10",
                                      "--isco-groups", str(esco)])
    runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")
    data = load_dataset(dev)
    relevant = {title: sorted(data.relevant[q]) for q, title in data.queries}
    assert relevant == {groups["C7512"]: ["C000001_en_000", "C000001_en_001", "C000001_en_002"],
                        groups["C3221"]: ["C000003_en_000", "C000003_en_001", "C000003_en_002"]}
    left = {text for _, text in data.corpus}
    # The held-out title is gone at every level it is listed (C322 too); other groups stay as distractors.
    assert groups["C3221"] not in left and groups["C7512"] not in left and groups["C751"] in left
    assert groups["C9999"] in left  # no member occupation in the corpus: not a query
    assert "ISCO unit-group titles" in (dev / DEV_MARKER).read_text()
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(tmp_path / "x"),
                                      "--isco-groups", str(esco), "--hidden-labels", str(esco)])
    with pytest.raises(SystemExit):
        runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")


def _uri(concept: str) -> str:
    return f"http://data.europa.eu/esco/occupation/{concept}"


def test_descriptions_count_in_the_fused_lookup_not_in_its_halves(tiny_dataset: Path):
    # The welder described in the words of the first query, the others in words no query has: a
    # heavy description share ranks the welder first.
    misleading = {"en": {_uri(f"C00000{n}"): "duties" for n in range(1, 7)} | {_uri("C000004"): "bakers"}}
    heavy = FusionWeights(0.95, 0.0125, 0.0375, 0.0, 0.9)
    plain = run(tiny_dataset, word_embed, weights=heavy)
    misled = run(tiny_dataset, word_embed, weights=heavy, descriptions=misleading)
    assert misled["mrr"] < plain["mrr"] == 1.0
    import competency_atlas.bench_melo as bench_melo

    def refuse(*args, **kwargs):
        raise AssertionError("a half scored descriptions")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench_melo, "with_descriptions", refuse)
        for half in ("lexical", "semantic"):
            run(tiny_dataset, word_embed, half=half, descriptions=misleading)


def test_the_description_share_is_chosen_on_a_dev_split_with_the_label_weights(tiny_dataset: Path, tmp_path: Path,
                                                                               monkeypatch):
    dev = tmp_path / "dev"
    monkeypatch.setattr(sys, "argv", ["melo_dev_split.py", str(tiny_dataset), str(dev), "--queries", "4"])
    runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "melo_dev_split.py"), run_name="__main__")
    grid = description_grid("en")
    # every occupation described in the words of another: the more the description counts, the worse
    concepts = [f"C00000{n}" for n in range(1, 7)]
    labels = {c: " ".join(t for cid, t in load_dataset(tiny_dataset).corpus if cid.startswith(c)) for c in concepts}
    misleading = {"en": {_uri(c): labels[concepts[(n + 1) % 6]] for n, c in enumerate(concepts)}}
    rows = choose_weights([dev], word_embed, grid=grid, descriptions=misleading)
    assert sorted(r["description"] for r in rows) == sorted(DESCRIPTION_SHARES)
    for r in rows:  # the grid scores as the benchmark's own run does
        weights = FusionWeights(r["semantic"], r["tfidf"], r["fuzzy"], r["decisiveness"], r["description"])
        assert run(dev, word_embed, weights=weights, descriptions=misleading)["mrr"] == pytest.approx(r["dev_mrr"], abs=1e-4)
    heavy = [FusionWeights(grid[0].semantic, grid[0].tfidf, grid[0].fuzzy, 0.0, share) for share in (0.0, 0.9)]
    by_share = {r["description"]: r["dev_mrr"] for r in choose_weights([dev], word_embed, grid=heavy,
                                                                         descriptions=misleading)}
    assert by_share[0.9] < by_share[0.0]  # the descriptions were read and counted
    assert {(r["semantic"], r["tfidf"], r["fuzzy"]) for r in rows} == {(grid[0].semantic, grid[0].tfidf, grid[0].fuzzy)}
    with pytest.raises(DatasetError, match="not a dev split"):
        choose_weights([tiny_dataset], word_embed, grid=grid)


def test_esco_descriptions_come_from_the_reference_files_by_uri(tmp_path: Path):
    header = ("conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,"
              "regulatedProfessionNote,scopeNote,definition,inScheme,description,code\n")
    for folder, lang, text in (("esco-1.2.0", "en", "Bakes bread."), ("esco-1.1.1-nl", "nl", "Bakt brood.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"occupations_{lang}.csv").write_text(
            header + f"Occupation,{_uri('C1')},7512,baker,,,released,,,,,,{text},7512.1\n"
            + f"Occupation,{_uri('C2')},7511,butcher,,,released,,,,,,,7511.1\n", encoding="utf-8")
    (tmp_path / "esco-1.2.0" / "ISCOGroups_en.csv").write_text(
        "conceptType,conceptUri,code,preferredLabel,status,altLabels,inScheme,description\n"
        "ISCOGroup,http://data.europa.eu/esco/isco/C7512,7512,Bakers,released,,,Bakers bake.\n", encoding="utf-8")
    for folder in ("onet-29.2", "crosswalks"):
        (tmp_path / folder).mkdir()
    found = esco_descriptions(tmp_path)
    assert found["en"] == {_uri("C1"): "Bakes bread.", _uri("C2"): "",
                           "http://data.europa.eu/esco/isco/C7512": "Bakers bake."}
    assert found["nl"] == {_uri("C1"): "Bakt brood.", _uri("C2"): ""}
