"""The look-up core: normalisation, fusion behaviour, per-concept aggregation (no Neo4j)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings as hypothesis_settings, strategies as st

from competency_atlas.lookup import (DEFAULT_WEIGHTS, FALLBACK_WEIGHTS, FusionWeights, SurfaceForm, build_index,
                                     concept_scores, half_margins, half_weights, normalise, rank_concepts, rank_forms,
                                     score_components,
                                     score_forms, search, semantic_shares, title_variants, with_descriptions)

BAKER = "http://data.europa.eu/esco/occupation/baker"
BUTCHER = "http://data.europa.eu/esco/occupation/butcher"
NURSE = "http://data.europa.eu/esco/occupation/nurse"
WELDER = "http://data.europa.eu/esco/occupation/welder"
CEO = "http://data.europa.eu/esco/occupation/ceo"

ROWS = [
    SurfaceForm(BAKER, "baker", "en"), SurfaceForm(BAKER, "bakery worker", "en"),
    SurfaceForm(BAKER, "bakker", "nl"), SurfaceForm(BAKER, "broodbakker", "nl"),
    SurfaceForm(BUTCHER, "butcher", "en"), SurfaceForm(BUTCHER, "meat cutter", "en"),
    SurfaceForm(BUTCHER, "slager", "nl"), SurfaceForm(BUTCHER, "vleesversnijder", "nl"),
    SurfaceForm(NURSE, "general nurse", "en"), SurfaceForm(NURSE, "registered nurse", "en"),
    SurfaceForm(NURSE, "verpleegkundige", "nl"),
    SurfaceForm(WELDER, "welder", "en"), SurfaceForm(WELDER, "lasser", "nl"),
    SurfaceForm(CEO, "chief executive officer", "en"), SurfaceForm(CEO, "algemeen directeur", "nl"),
]

DECISIVE = FusionWeights(semantic=0.5, tfidf=0.375, fuzzy=0.125, decisiveness=1.0)

# A deterministic stand-in for the sentence encoder: knows that "meat cutter" and "slaughterer"
# mean the same thing although they share no letters worth counting.
_SYNONYMS = {"slaughterer": "meat cutter"}


def fake_embed(texts: list[str]) -> np.ndarray:
    vocabulary = sorted({r.text for r in ROWS})
    out = np.zeros((len(texts), len(vocabulary) + 1), dtype=np.float32)
    for i, text in enumerate(texts):
        text = _SYNONYMS.get(text.lower(), text.lower())
        out[i, vocabulary.index(text) if text in vocabulary else -1] = 1.0
    return out


@pytest.fixture(scope="module")
def index():
    return build_index(ROWS, embed=fake_embed)


def test_normalise_folds_case_accents_punctuation_gender_markers_and_english_plurals():
    assert normalise("Chief Executives", "en") == "chief executive"
    assert normalise("Secretaries", "en") == "secretary"
    assert normalise("Piercer-tatoeëerder (m/v)", "nl") == "piercer tatoeeerder"
    # Dutch words are not "singularised" with English rules.
    assert normalise("Kapers", "nl") == "kapers"


def test_exact_label_ranks_its_concept_first(index):
    for form in ROWS:
        hits = search(index, form.text, form.lang, top=3, embed=fake_embed)
        assert hits[0].concept_id == form.concept_id, form
        assert hits[0].best_form == form.text


def test_dutch_title_finds_the_dutch_label(index):
    hits = search(index, "Slager", "nl", top=3, embed=fake_embed)
    assert hits[0].concept_id == BUTCHER
    assert (hits[0].best_form, hits[0].lang) == ("slager", "nl")
    # Asked in Dutch, answered with Dutch labels only.
    assert all(h.lang == "nl" for h in hits)


def test_typos_are_tolerated_without_any_embeddings():
    lexical = build_index(ROWS)  # no encoder at all: the lexical scores alone
    assert search(lexical, "verpleegkundge", "nl", top=1)[0].concept_id == NURSE
    assert search(lexical, "weldre", "en", top=1)[0].concept_id == WELDER


def test_english_plural_title_finds_the_singular_label(index):
    assert search(index, "Chief Executives", "en", top=1, embed=fake_embed)[0].concept_id == CEO


def test_semantic_score_finds_a_synonym_lexical_scores_miss(index):
    with_semantic = search(index, "slaughterer", "en", top=1, embed=fake_embed)
    assert with_semantic[0].concept_id == BUTCHER
    lexical_only = search(index, "slaughterer", "en", top=1, embed=fake_embed,
                          weights=FusionWeights(semantic=0.0, tfidf=0.7, fuzzy=0.3))
    assert lexical_only[0].concept_id != BUTCHER


def test_the_semantic_share_leans_towards_the_half_more_decisive_about_the_query():
    w = FusionWeights(semantic=0.5, tfidf=0.375, fuzzy=0.125, decisiveness=0.4)
    semantic_margin = np.array([0.3, 0.0, 0.1, 0.0, 0.3], dtype=np.float32)
    lexical_margin = np.array([0.0, 0.3, 0.1, 0.0, 0.1], dtype=np.float32)
    shares = semantic_shares(w, (semantic_margin, lexical_margin))
    # All semantic, all lexical, equally sure, no margin at all, semantic twice as sure.
    assert shares == pytest.approx([0.9, 0.1, 0.5, 0.5, 0.7])
    leaning = FusionWeights(semantic=0.9, tfidf=0.05, fuzzy=0.05, decisiveness=1.0)
    assert semantic_shares(leaning, (semantic_margin, lexical_margin))[:2] == pytest.approx([1.0, 0.0])


def test_a_decisive_encoder_answers_a_synonym_the_lexical_weights_alone_miss(index):
    lexical = FusionWeights(semantic=0.0, tfidf=0.75, fuzzy=0.25)
    assert search(index, "slaughterer", "en", top=1, embed=fake_embed, weights=lexical)[0].concept_id != BUTCHER
    parts = score_components(index, ["slaughterer"], "en", fake_embed)
    semantic_margin, lexical_margin = half_margins(index, parts, lexical)
    assert semantic_margin[0] > lexical_margin[0] > 0
    decisive = FusionWeights(semantic=0.0, tfidf=0.75, fuzzy=0.25, decisiveness=1.0)
    assert search(index, "slaughterer", "en", top=1, embed=fake_embed, weights=decisive)[0].concept_id == BUTCHER
    # Where the encoder knows nothing (no margin), the lexical weights answer as before.
    for query in ("verpleegkundge", "weldre"):
        assert (search(index, query, "en", top=1, embed=fake_embed, weights=decisive)[0].concept_id
                == search(index, query, "en", top=1, embed=fake_embed, weights=lexical)[0].concept_id)


def test_concept_score_is_the_best_form_pulled_towards_the_second_best(index):
    scores = score_forms(index, ["bakery worker"], "en", fake_embed)
    baker = index.concept_ids.index(BAKER)
    welder = index.concept_ids.index(WELDER)
    forms = sorted((scores[0, i] for i, f in enumerate(index.forms) if f.concept_id == BAKER), reverse=True)
    assert concept_scores(index, scores, agreement=0.0)[0, baker] == pytest.approx(forms[0])
    pulled = concept_scores(index, scores, agreement=0.6)[0]
    assert pulled[baker] == pytest.approx(forms[0] - 0.3 * (forms[0] - forms[1]))
    # With agreement the exact label's concept still wins.
    assert int(np.argmax(pulled)) == baker and pulled[welder] < pulled[baker]


def test_rank_concepts_lists_each_concept_once_by_its_best_label(index):
    scores = score_forms(index, ["broodbakker"], "nl", fake_embed)
    best = concept_scores(index, scores)[0]
    rows = rank_concepts(index, scores[0], best, top=len(ROWS))
    concepts = [index.forms[i].concept_id for i in rows]
    assert len(concepts) == len(set(concepts)) == len(index.concept_ids)
    assert [best[index.concept_ids.index(c)] for c in concepts] == sorted(best, reverse=True)
    for row, concept in zip(rows, concepts):  # each concept's own best label
        assert scores[0, row] == max(scores[0, i] for i, f in enumerate(index.forms) if f.concept_id == concept)
    assert index.forms[rows[0]].text == "broodbakker"
    # The grouped ranking puts all four of the baker's labels first; one per concept puts the
    # runner-up concept second. `search` shows this list.
    assert concepts[1] == [index.forms[i].concept_id for i in rank_forms(index, scores[0], best, len(ROWS))][4]
    hits = search(index, "broodbakker", None, top=3, embed=fake_embed)
    assert [(h.concept_id, h.best_form) for h in hits] == [(index.forms[i].concept_id, index.forms[i].text)
                                                          for i in rows[:3]]
    masked = np.where(np.arange(len(ROWS)) < 4, scores[0], -np.inf)  # the baker's labels only
    assert [index.forms[i].concept_id for i in rank_concepts(index, masked, concept_scores(index, masked[None])[0], 5)] == [BAKER]


def test_rank_forms_keeps_all_forms_of_a_concept_together(index):
    scores = score_forms(index, ["broodbakker"], "nl", fake_embed)
    best = concept_scores(index, scores)
    ranked = rank_forms(index, scores[0], best[0], top=len(ROWS))
    concepts = [index.forms[i].concept_id for i in ranked]
    assert concepts[:4] == [BAKER] * 4
    assert index.forms[ranked[0]].text == "broodbakker"
    assert len(ranked) == len(ROWS) and len(set(ranked)) == len(ROWS)


def test_empty_inputs_are_refused_with_a_reason(index):
    with pytest.raises(ValueError, match="empty query"):
        search(index, "   ", "en")
    with pytest.raises(ValueError, match="zero surface forms"):
        build_index([])


# ---- round trip through Neo4j: labels in the graph -> index -> search -> profile ----------

SEED = """
UNWIND $occupations AS o
MERGE (occ:Occupation {uri: o.uri}) SET occ.label_en = o.en, occ.label_nl = o.nl
WITH occ, o
UNWIND o.labels AS l
MERGE (lab:Label {key: o.uri + '|' + l.lang + '|' + l.text}) SET lab.text = l.text, lab.lang = l.lang, lab.kind = l.kind
MERGE (lab)-[:LABEL_OF]->(occ)
"""
SEED_REQUIREMENTS = """
UNWIND $requirements AS r
MATCH (o:Occupation {uri: r.occupation})
MERGE (c:Competency {uri: r.uri}) SET c.label_en = r.en, c.label_nl = r.nl, c.kind = r.kind
MERGE (o)-[q:REQUIRES]->(c) SET q.relation = r.relation, q.importance = r.importance, q.level = r.level,
                               q.sources = r.sources
"""


@pytest.mark.neo4j
def test_lookup_round_trip_on_neo4j(clean_db, settings):
    from competency_atlas.lookup_repository import concept_names, load_label_rows, occupation_profile

    occupations = [
        {"uri": BUTCHER, "en": "butcher", "nl": "slager",
         "labels": [{"text": "butcher", "lang": "en", "kind": "preferred"},
                    {"text": "meat cutter", "lang": "en", "kind": "alternative"},
                    {"text": "slager", "lang": "nl", "kind": "preferred"}]},
        {"uri": BAKER, "en": "baker", "nl": "bakker",
         "labels": [{"text": "baker", "lang": "en", "kind": "preferred"},
                    {"text": "bakker", "lang": "nl", "kind": "preferred"}]},
    ]
    requirements = [
        {"occupation": BUTCHER, "uri": "http://data.europa.eu/esco/skill/cut-meat", "en": "cut meat",
         "nl": "vlees snijden", "kind": "skill", "relation": "essential", "importance": None, "level": None,
         "sources": ["esco"]},
        {"occupation": BUTCHER, "uri": "onet:2.A.1.a", "en": "Reading Comprehension", "nl": "Begrijpend lezen",
         "kind": "onet_skill", "relation": "optional", "importance": 3.1, "level": 2.9, "sources": ["onet"]},
    ]
    db = settings.neo4j_database
    clean_db.execute_query(SEED, occupations=occupations, database_=db)
    clean_db.execute_query(SEED_REQUIREMENTS, requirements=requirements, database_=db)

    rows = load_label_rows(clean_db, db, "Occupation")
    assert sorted((r.concept_id, r.text, r.lang) for r in rows) == sorted(
        (o["uri"], l["text"], l["lang"]) for o in occupations for l in o["labels"])
    assert load_label_rows(clean_db, db, "Competency") == []

    hits = search(build_index(rows), "Slagers", "nl", top=2)
    assert hits[0].concept_id == BUTCHER and hits[0].best_form == "slager"
    assert concept_names(clean_db, db, [BUTCHER])[BUTCHER].label("nl") == "slager"

    profile = occupation_profile(clean_db, db, BUTCHER)
    assert profile is not None and profile.label("en") == "butcher"
    # Essential first; both relations and the O*NET figures survive the trip.
    assert [(r.relation, r.label("nl")) for r in profile.requirements] == [
        ("essential", "vlees snijden"), ("optional", "Begrijpend lezen")]
    assert (profile.requirements[1].importance, profile.requirements[1].level) == (3.1, 2.9)
    assert occupation_profile(clean_db, db, "http://data.europa.eu/esco/occupation/none") is None

    from competency_atlas.lookup_repository import occupation_descriptions
    clean_db.execute_query("MATCH (o:Occupation {uri: $uri}) SET o.description_en = 'Cuts meat.', "
                           "o.description_nl = 'Snijdt vlees.'", uri=BUTCHER, database_=db)
    clean_db.execute_query("MATCH (o:Occupation {uri: $uri}) SET o.description_en = 'Bakes bread.'",
                           uri=BAKER, database_=db)
    assert occupation_descriptions(clean_db, db) == {"en": {BUTCHER: "Cuts meat.", BAKER: "Bakes bread."},
                                                      "nl": {BUTCHER: "Snijdt vlees."}}
    assert occupation_descriptions(clean_db, db, ("nl",)) == {"nl": {BUTCHER: "Snijdt vlees."}}


def test_composite_titles_are_split_into_the_titles_they_stand_for():
    assert title_variants("Payroll and Timekeeping Clerks", "en") == [
        "payroll and timekeeping clerk", "timekeeping clerk", "payroll clerk"]
    assert title_variants("Interpreters and Translators", "en")[1:] == ["interpreter", "translator"]
    assert "elementary school teacher" in title_variants("Elementary School Teachers, Except Special Education", "en")
    assert "fast food cook" in title_variants("Cooks, Fast Food", "en")
    # Half a Dutch compound ("relatie-") is no title on its own.
    assert "relatie" not in title_variants("Relatie- en gezinsbemiddelaar", "nl")
    assert title_variants("Slager", "nl") == ["slager"]


def test_a_composite_title_finds_each_of_its_occupations(index):
    concepts = [h.concept_id for h in search(index, "Bakers and Butchers", "en", top=2, embed=fake_embed)]
    assert set(concepts) == {BAKER, BUTCHER}


# ---- no NaN, no warning, no crash on any input ------------------------------------------

PLUMBER = "http://data.europa.eu/esco/occupation/plumber"
# One concept with English labels only: a Dutch search masks all its forms to -inf, which used to
# give -inf - -inf = NaN (and a RuntimeWarning) in the label-agreement step.
MIXED_ROWS = ROWS + [SurfaceForm(PLUMBER, "plumber", "en"), SurfaceForm(PLUMBER, "pipe fitter", "en")]


@pytest.fixture(scope="module")
def mixed_index():
    return build_index(MIXED_ROWS, embed=fake_embed)


def _assert_clean(hits, top):
    assert len(hits) <= top
    for hit in hits:
        assert np.isfinite(hit.score) and -1.0 <= hit.score <= 1.0, hit
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@hypothesis_settings(max_examples=150, deadline=None)
@given(query=st.text(max_size=300), lang=st.sampled_from([None, "en", "nl", "de"]), semantic=st.booleans())
@example(query="", lang="nl", semantic=True)
@example(query="   \t\n", lang="en", semantic=True)
@example(query="0123456789", lang="nl", semantic=True)
@example(query="👷‍♀️🔧😀", lang="nl", semantic=True)
@example(query="(m/v/x)", lang="nl", semantic=True)
@example(query="!!!", lang="en", semantic=False)
@example(query="lasser " * 1500, lang="nl", semantic=True)
@example(query="x" * 10_000, lang="en", semantic=True)
@example(query="ÅÄÖ ß ĳ ﬁ", lang="nl", semantic=False)
def test_search_never_gives_nan_nor_raises_except_for_an_empty_query(mixed_index, query, lang, semantic):
    embed = fake_embed if semantic else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (NaN arithmetic) fails the test
        if not query.strip():
            with pytest.raises(ValueError, match="empty query"):
                search(mixed_index, query, lang, top=5, embed=embed)
            # The batch scorer (used by the vacancy ingest) takes any string, the empty one too.
            assert np.isfinite(score_forms(mixed_index, [query], lang, embed)).all()
            return
        hits = search(mixed_index, query, lang, top=5, embed=embed)
        _assert_clean(hits, 5)
        scores = score_forms(mixed_index, [query], lang, embed)
        assert scores.shape == (1, len(MIXED_ROWS)) and np.isfinite(scores).all()
        if semantic:  # per-query shares, whatever the default weights are
            _assert_clean(search(mixed_index, query, lang, top=5, embed=embed, weights=DECISIVE), 5)


def test_a_dutch_search_skips_concepts_without_dutch_labels_without_a_warning(mixed_index):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hits = search(mixed_index, "loodgieter", "nl", top=len(MIXED_ROWS), embed=fake_embed)
    assert PLUMBER not in {h.concept_id for h in hits}
    assert all(h.lang == "nl" for h in hits)
    _assert_clean(hits, len(MIXED_ROWS))


def test_a_degenerate_query_vector_does_not_poison_the_fusion(index):
    def nan_embed(texts):
        return np.full((len(texts), index.embeddings.shape[1]), np.nan, dtype=np.float32)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hits = search(index, "slager", "nl", top=3, embed=nan_embed)
    assert hits[0].concept_id == BUTCHER  # the lexical half still answers
    _assert_clean(hits, 3)


def test_text_without_letters_or_digits_is_still_one_variant():
    assert title_variants("😀", "en") == ["😀"]
    assert title_variants("  !! ", "nl") == ["!!"]


def test_fusion_weights_are_convex_and_the_halves_are_one_side_each():
    # A convex combination keeps the fused score on the 0..1 scale callers threshold on.
    for w in [*DEFAULT_WEIGHTS.values(), FALLBACK_WEIGHTS]:
        assert min(w.semantic, w.tfidf, w.fuzzy) >= 0
        assert w.semantic + w.tfidf + w.fuzzy == pytest.approx(1.0)
        assert 0.0 <= w.description < 1.0
    assert FALLBACK_WEIGHTS.description == 0  # a title of unknown language: labels only, as measured
    assert half_weights("en", "semantic") == FusionWeights(1.0, 0.0, 0.0)  # labels only, no description
    lexical = half_weights("nl", "lexical")
    assert lexical.semantic == 0 and (lexical.tfidf, lexical.fuzzy) == (DEFAULT_WEIGHTS["nl"].tfidf,
                                                                       DEFAULT_WEIGHTS["nl"].fuzzy)
    with pytest.raises(ValueError, match="unknown half"):
        half_weights("en", "both")


def test_semantic_only_without_an_encoder_is_refused(index):
    with pytest.raises(ValueError, match="semantic-only weights need an encoder"):
        score_forms(index, ["baker"], "en", None, half_weights("en", "semantic"))


def test_the_lexical_index_is_kept_per_atlas_release(tmp_path):
    """A cold `search` (CLI or API) reads the labels from the graph once per release; the next reads the file."""
    from competency_atlas.lookup import SurfaceForm
    from competency_atlas.concept_search import _lexical_index

    reads = []

    def rows():
        reads.append(1)
        return [SurfaceForm("o:1", "heftruckchauffeur", "nl"), SurfaceForm("o:2", "kok", "nl")]

    first = _lexical_index(tmp_path, "Occupation|release-1|2", rows)
    again = _lexical_index(tmp_path, "Occupation|release-1|2", rows)
    other = _lexical_index(tmp_path, "Occupation|release-2|2", rows)  # another atlas: read again
    assert len(reads) == 2 and again.concept_ids == first.concept_ids == other.concept_ids
    assert search(again, "heftruck chauffeur", "nl", 1)[0].concept_id == "o:1"
    assert _lexical_index(tmp_path, "Occupation|empty|0", lambda: []) is None


def test_only_the_newest_lexical_index_files_are_kept(tmp_path):
    """One file per release and per version of the look-up code: older ones go when a new one lands."""
    import os

    from competency_atlas.concept_search import KEEP, _lexical_index
    from competency_atlas.lookup import SurfaceForm

    rows = [SurfaceForm("o:1", "heftruckchauffeur", "nl")]
    for release in range(KEEP + 2):
        _lexical_index(tmp_path, f"Occupation|release-{release}|1", lambda: rows)
        (newest,) = [p for p in tmp_path.glob("*.pickle") if p.stat().st_mtime_ns == max(
            q.stat().st_mtime_ns for q in tmp_path.glob("*.pickle"))]
        os.utime(newest, ns=(release * 10**9, release * 10**9))  # distinct times, oldest first
    reads = []
    _lexical_index(tmp_path, f"Occupation|release-{KEEP + 1}|1", lambda: reads.append(1) or rows)
    assert reads == [] and len(list(tmp_path.glob("*.pickle"))) == KEEP  # the newest is still read
    _lexical_index(tmp_path, "Occupation|release-0|1", lambda: reads.append(1) or rows)
    assert reads == [1]  # the oldest was removed: built again


def test_a_damaged_lexical_index_file_is_built_again(tmp_path):
    """A file cut short (a full disk) or pickled by code that no longer reads it: built again."""
    from competency_atlas.concept_search import _lexical_index
    from competency_atlas.lookup import SurfaceForm

    rows = [SurfaceForm("o:1", "heftruckchauffeur", "nl")]
    _lexical_index(tmp_path, "Occupation|release-1|2", lambda: rows)
    (kept,) = tmp_path.glob("*.pickle")
    kept.write_bytes(kept.read_bytes()[:40])
    reads = []
    again = _lexical_index(tmp_path, "Occupation|release-1|2", lambda: reads.append(1) or rows)
    assert reads == [1] and again.concept_ids == ["o:1"]
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # whole again, no temp file left


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdeéz ABÉ\t\n019-", max_size=30), min_size=1, max_size=25),
       st.lists(st.text(alphabet="abcdexyz XY\t09", max_size=30), min_size=1, max_size=5))
@example(["a", "ab abc", "trappenmaker", ""], ["maker", "q", ""])
def test_char_tfidf_gives_scikit_learns_numbers(texts, queries):
    """CharTfidf replaces scikit-learn's vectoriser (a heavy import for a cold CLI): the same vectors."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from competency_atlas.char_tfidf import CharTfidf

    ours = CharTfidf((2, 4))
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32)
    try:
        expected = theirs.fit_transform(texts)
    except ValueError:  # scikit-learn refuses a corpus without a single n-gram
        assert ours.fit_transform(texts).shape[1] == 0
        return
    got = ours.fit_transform(texts)
    order = [ours.vocabulary[g] for g in sorted(theirs.vocabulary_, key=theirs.vocabulary_.get)]
    assert set(ours.vocabulary) == set(theirs.vocabulary_)
    np.testing.assert_allclose(got.toarray()[:, order], expected.toarray(), atol=1e-6)
    np.testing.assert_allclose(ours.transform(queries).toarray()[:, order], theirs.transform(queries).toarray(),
                               atol=1e-6)


def test_a_name_is_in_the_asked_language_else_the_other_else_the_fallback_and_says_which():
    from competency_atlas.names import name_in

    both = {"label_nl": "kok", "label_en": "cook"}
    assert name_in(both, "nl", "u") == ("kok", "nl") and name_in(both, "en", "u") == ("cook", "en")
    assert name_in(both, None, "u") == ("cook", "en")  # the atlas' own language when none is asked
    assert name_in({"label_nl": None, "label_en": "cook"}, "nl", "u") == ("cook", "en")
    assert name_in({"label_nl": "kok", "label_en": ""}, "en", "u") == ("kok", "nl")
    assert name_in({}, "nl", "http://x/1") == ("http://x/1", None)


# ---- an occupation's description --------------------------------------------------------

def word_vectors(texts: list[str]) -> np.ndarray:
    """Hashed words, unit length: texts that share words point the same way."""
    out = np.zeros((len(texts), 32), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, sum(map(ord, word)) % 32] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


DESCRIBED_ROWS = [SurfaceForm(BAKER, "baker", "en"), SurfaceForm(BUTCHER, "butcher", "en"),
                  SurfaceForm(NURSE, "nurse", "en"), SurfaceForm(BAKER, "bakker", "nl")]
DESCRIPTIONS = {"en": {BAKER: "makes pastry in an oven", BUTCHER: "cuts and sells meat"}}


def test_a_description_lifts_the_occupation_it_describes_in_the_querys_language_only():
    plain = build_index(DESCRIBED_ROWS, embed=word_vectors)
    described = with_descriptions(plain, DESCRIPTIONS, word_vectors)
    table = described.descriptions["en"]
    assert table.shape == (3, 32) and not table[described.concept_ids.index(NURSE)].any()  # none: a zero row
    weights = DEFAULT_WEIGHTS["en"]
    assert weights.description > 0
    without = FusionWeights(weights.semantic, weights.tfidf, weights.fuzzy, weights.decisiveness, 0.0)

    query = "pastry oven"  # no label says it, the baker's description does
    lifted = {h.concept_id: h.score for h in search(described, query, "en", top=3, embed=word_vectors)}
    labels_only = {h.concept_id: h.score for h in search(described, query, "en", top=3, embed=word_vectors,
                                                         weights=without)}
    assert max(lifted, key=lifted.get) == BAKER
    for concept in (BAKER, BUTCHER):  # each concept: its label score and its description's cosine, mixed
        cosine = float((word_vectors([query]) @ word_vectors([DESCRIPTIONS["en"][concept]]).T)[0, 0])
        assert lifted[concept] == pytest.approx((1 - weights.description) * labels_only[concept]
                                                + weights.description * cosine, abs=1e-5)
    # a share of 0, a Dutch query (no Dutch descriptions) or no encoder: the labels alone, as before
    assert labels_only == {h.concept_id: h.score for h in search(plain, query, "en", top=3, embed=word_vectors)}
    for lang, embed in (("nl", word_vectors), ("en", None)):
        assert ([(h.concept_id, h.score) for h in search(described, "bakker", lang, top=3, embed=embed)]
                == [(h.concept_id, h.score) for h in search(plain, "bakker", lang, top=3, embed=embed)])


@hypothesis_settings(max_examples=60, deadline=None)
@given(query=st.text(max_size=200), lang=st.sampled_from([None, "en", "nl"]))
@example(query="0123456789", lang="en")
@example(query="👷‍♀️🔧😀", lang="en")
@example(query="x" * 10_000, lang="en")
def test_a_described_index_never_gives_nan(query, lang):
    described = with_descriptions(build_index(DESCRIBED_ROWS, embed=word_vectors), DESCRIPTIONS, word_vectors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = score_forms(described, [query], lang, word_vectors)
        assert np.isfinite(scores).all() and (scores <= 1.0 + 1e-6).all()
        if query.strip():
            _assert_clean(search(described, query, lang, top=3, embed=word_vectors), 3)


def test_a_batch_scores_each_query_as_it_would_alone():
    """The description row of each query is its whole title's, also after a query of several variants."""
    described = with_descriptions(build_index(DESCRIBED_ROWS, embed=word_vectors), DESCRIPTIONS, word_vectors)
    queries = ["Bakers and Butchers, Except Nurses", "pastry oven", "meat"]
    batch = score_forms(described, queries, "en", word_vectors)
    for row, query in zip(batch, queries):
        assert np.allclose(row, score_forms(described, [query], "en", word_vectors)[0])


def test_a_concept_without_a_description_scores_the_querys_mean_there_neither_lifted_nor_pushed_down():
    plain = build_index(DESCRIBED_ROWS, embed=word_vectors)
    described = with_descriptions(plain, DESCRIPTIONS, word_vectors)
    parts = score_components(described, ["pastry oven"], "en", word_vectors)
    nurse, baker, butcher = (described.concept_ids.index(c) for c in (NURSE, BAKER, BUTCHER))
    assert parts.description[0, nurse] == pytest.approx((parts.description[0, baker] + parts.description[0, butcher]) / 2)


def test_a_degenerate_label_or_description_vector_does_not_poison_the_fusion():
    plain = build_index(DESCRIBED_ROWS, embed=word_vectors)
    broken = plain.embeddings.copy()
    broken[0] = np.nan
    index = with_descriptions(build_index(DESCRIBED_ROWS, embeddings=broken),
                              DESCRIPTIONS, lambda texts: np.full((len(texts), 32), np.inf, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = score_forms(index, ["baker", "pastry oven"], "en", word_vectors)
    assert np.isfinite(scores).all()


def test_the_api_adds_descriptions_only_for_an_occupation_search_with_a_language(clean_db, settings, tmp_path):
    from dataclasses import replace as with_fields

    from api.services.lookup import search_concepts

    db = settings.neo4j_database
    clean_db.execute_query(SEED, occupations=[
        {"uri": BUTCHER, "en": "butcher", "nl": "slager", "labels": [{"text": "butcher", "lang": "en", "kind": "preferred"},
                                                                    {"text": "slager", "lang": "nl", "kind": "preferred"}]},
        {"uri": BAKER, "en": "baker", "nl": "bakker", "labels": [{"text": "baker", "lang": "en", "kind": "preferred"},
                                                                 {"text": "bakker", "lang": "nl", "kind": "preferred"}]},
    ], database_=db)
    clean_db.execute_query("MATCH (o:Occupation {uri: $uri}) SET o.description_en = 'Bakes bread and pastry in an oven.'",
                           uri=BAKER, database_=db)
    api_settings = with_fields(settings, work_dir=tmp_path, api_semantic=True)
    cache: dict = {}
    assert search_concepts(cache, clean_db, db, api_settings, "Occupation", "slager", None, 1)[0]["uri"] == BUTCHER
    assert list(cache) == [("lookup", "Occupation", False)]  # no language: labels only, nothing encoded for it
    hits = search_concepts(cache, clean_db, db, api_settings, "Occupation", "makes pastry in an oven", "en", 2)
    plain, described = cache[("lookup", "Occupation", False)][1], cache[("lookup", "Occupation", True)][1]
    assert not plain.descriptions and set(described.descriptions) == {"en"}
    assert described.embeddings is plain.embeddings  # the label vectors are shared, not held twice
    assert hits[0]["uri"] == BAKER
