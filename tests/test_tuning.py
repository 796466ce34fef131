"""Fine-tuning the encoder on ESCO's own synonyms: the pairs, the batches, one tiny real run."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd

from competency_atlas.tuning import Pair, batches, cross_lingual_pairs, occupation_pairs, skill_pairs, tune

OCC = "http://data.europa.eu/esco/occupation/"


def frame(rows):
    return pd.DataFrame(rows, columns=["uri", "preferred", "alternatives"])


def test_pairs_come_from_esco_synonyms_and_translations():
    english = frame([(OCC + "1", "cook", ["chef", "Cook", ""]), (OCC + "2", "baker", [])])
    dutch = frame([(OCC + "1", "kok", ["keukenkok"]), (OCC + "2", "bakker", []), (OCC + "3", "loodgieter", [])])
    assert [(p.anchor, p.positive, p.kind) for p in occupation_pairs(english, "en")] == [
        ("chef", "cook", "occupation_alt_en")]  # the preferred label again (any case) and blanks are no pair
    assert [(p.anchor, p.positive) for p in cross_lingual_pairs(english, dutch)] == [
        ("kok", "cook"), ("bakker", "baker")]  # only occupations both languages have
    skills = skill_pairs([("s1", "bake bread", "bake bread baking bread Make bread in an oven."),
                          ("s2", "knead", "knead"), ("s3", "odd", "text that does not start with the label")])
    assert [(p.anchor, p.positive) for p in skills] == [
        ("baking bread Make bread in an oven.", "bake bread"), ("text that does not start with the label", "odd")]


def test_a_batch_never_holds_two_pairs_of_one_concept():
    pairs = [Pair(f"a{i}", f"p{i % 3}", f"c{i % 3}", "k") for i in range(12)]
    first = list(itertools.islice(batches(pairs, 4, seed=1), 8))
    for batch in first:
        assert len({p.concept for p in batch}) == len(batch) <= 3
    # every pair comes round before any repeats
    covered = []
    for batch in first:
        covered += batch
        if len(covered) >= len(pairs):
            break
    assert sorted(p.anchor for p in covered[:12]) == sorted(p.anchor for p in pairs)


def test_a_tiny_tuning_run_writes_a_model_the_atlas_can_load(tmp_path):
    import pytest

    pytest.importorskip("sentence_transformers", reason="training needs the [train] extra (sentence-transformers, torch)")
    from competency_atlas.embeddings import encode, model_key
    from graph_schema.settings import settings

    pairs = [Pair("keukenkok", "cook", "c1", "k"), Pair("broodbakker", "baker", "c2", "k"),
             Pair("stratenmaker", "paver", "c3", "k"), Pair("loodgieter", "plumber", "c4", "k")]
    out = tmp_path / "tuned"
    report = tune(settings().embedding_model, pairs, out, steps=3, batch_size=4, learning_rate=1e-4)
    assert report.steps == 3 and report.pairs == {"k": 4}
    assert json.loads((out / "atlas_tuning.json").read_text())["output"] == str(out)
    before = model_key(str(out))
    vectors = encode(["keukenkok", "cook"], str(out))
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    original = encode(["keukenkok", "cook"], settings().embedding_model)
    assert not np.allclose(vectors, original, atol=1e-3)  # the weights moved
    tune(settings().embedding_model, pairs, out, steps=1, batch_size=4)
    assert model_key(str(out)) != before  # trained again in place: caches keyed by it are not reused
