"""Vacancy text → sentences → requirements, on fixed Dutch and English examples."""
from __future__ import annotations

import numpy as np
import pytest

from graph_schema.settings import settings
from ingest.extraction import (ExtractedRequirement, LexicalIndex, SentenceEncoder, boilerplate_kind,
                               content_tokens, extract_requirements, rank_labels, requirement_strength,
                               token_windows, top_k)
from ingest.skill_index import (SkillDataError, SkillEntry, build_index, read_label_file,
                                skills_from_labels)
from ingest.text import description_sentences, html_to_text, split_sentences

# --- text --------------------------------------------------------------------------------------

DUTCH_HTML = """<div><h2>Wat ga je doen?</h2><p>Je ontwikkelt software in Python, bijv. API&#39;s en
data-pijplijnen. Je werkt nauw samen met o.a. het datateam.</p><ul><li>Ervaring met SQL is vereist</li>
<li>Kennis van Docker is een pr&eacute;</li></ul><script>var x = 1;</script></div>"""

ENGLISH_TEXT = ("We are looking for a backend engineer. You will build services in Java, e.g. REST APIs! "
                "Do you know Kubernetes? Great.\n- Strong SQL skills\n* Experience with AWS is a plus")


def test_html_to_text_keeps_blocks_as_lines_and_drops_scripts():
    text = html_to_text(DUTCH_HTML)
    assert text.splitlines() == [
        "Wat ga je doen?",
        "Je ontwikkelt software in Python, bijv. API's en data-pijplijnen. Je werkt nauw samen met o.a. het datateam.",
        "Ervaring met SQL is vereist",
        "Kennis van Docker is een pré",
    ]
    assert "var x" not in text


def test_dutch_sentences_respect_abbreviations():
    assert description_sentences(DUTCH_HTML) == [
        "Wat ga je doen?",
        "Je ontwikkelt software in Python, bijv. API's en data-pijplijnen.",
        "Je werkt nauw samen met o.a. het datateam.",
        "Ervaring met SQL is vereist",
        "Kennis van Docker is een pré",
    ]


def test_english_sentences_and_bullets():
    assert split_sentences(ENGLISH_TEXT) == [
        "We are looking for a backend engineer.",
        "You will build services in Java, e.g. REST APIs!",
        "Do you know Kubernetes?",
        "Great.",
        "Strong SQL skills",
        "Experience with AWS is a plus",
    ]


def test_decimal_numbers_and_lowercase_continuations_do_not_split():
    assert split_sentences("Salary 3.500 euro per month. version 2.0 is used") == [
        "Salary 3.500 euro per month. version 2.0 is used"]


# --- boilerplate and cues ----------------------------------------------------------------------

@pytest.mark.parametrize("sentence, kind", [
    ("Wij bieden een goed salaris en 25 vakantiedagen.", "benefits"),
    ("We offer a competitive salary and a pension plan.", "benefits"),
    ("Solliciteer direct via de knop hieronder.", "how_to_apply"),
    ("To apply, send your CV to jobs@example.com.", "how_to_apply"),
    ("We are an equal opportunity employer and value diversity.", "diversity"),
    ("Wij zijn een marktleider in logistiek, opgericht in 1950.", "about_company"),
    ("Over ons: een familiebedrijf in Tilburg.", "about_company"),
    ("Ervaring met Python is vereist.", None),
    ("You design and maintain data pipelines in Spark.", None),
])
def test_boilerplate_kind(sentence, kind):
    assert boilerplate_kind(sentence) == kind


@pytest.mark.parametrize("sentence, expected", [
    ("Ervaring met Python is vereist.", True),
    ("Een rijbewijs B is noodzakelijk.", True),
    ("You must have 3 years of experience with Java.", True),
    ("A degree in computer science is required.", True),
    ("Kennis van Docker is een pré.", False),
    ("Ervaring met SAP is een pluspunt.", False),
    ("Bij voorkeur heb je een HBO-diploma.", False),
    ("Kubernetes is nice to have.", False),
    ("Experience with AWS is a plus.", False),
    ("Go is preferred.", False),
    ("You must speak Dutch; German is a plus.", False),
    ("You will prepare monthly reports.", None),
    ("Je werkt in een team van vijf collega's.", None),
])
def test_requirement_strength(sentence, expected):
    assert requirement_strength(sentence) is expected


# --- ranking pieces (pure) ---------------------------------------------------------------------

def test_top_k_orders_best_first():
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 4, 0]


def test_token_windows_are_unit_means_without_special_tokens():
    tokens = np.array([[9, 9], [1, 0], [0, 1], [1, 1], [9, 9]], dtype=np.float32)  # CLS a b c SEP
    windows = token_windows(tokens, (1, 2))
    assert windows.shape == (3 + 2, 2)
    assert np.allclose(np.linalg.norm(windows, axis=1), 1.0)
    assert np.allclose(windows[3], [np.sqrt(0.5), np.sqrt(0.5)])  # mean of a and b


def test_lexical_scores_share_of_label_idf_mass():
    lexicon = LexicalIndex.build(["Java (computer programming)", "manage teams", "manage budgets"])
    assert content_tokens("Java (computer programming)") == ["java"]
    scores = lexicon.scores(["Experience managing teams and Java"])[0]
    assert scores[0] == pytest.approx(1.0)
    assert scores[1] == pytest.approx(1.0)  # manag + team
    assert 0.0 < scores[2] < 1.0  # only "manage" of "manage budgets"


# --- extraction on a small label space (real model) --------------------------------------------

LABELS = ["Python (computer programming)", "SQL", "Docker", "speak Dutch", "drive a car",
          "manage a team", "customer service", "bake bread", "JavaScript", "accounting"]


@pytest.fixture(scope="module")
def small_space(tmp_path_factory):
    s = settings()
    entries = skills_from_labels(LABELS, [])
    index = build_index(entries, s.embedding_model, tmp_path_factory.mktemp("skill-cache"))
    return index, SentenceEncoder(s.embedding_model), LexicalIndex.build(index.labels)


def test_python_required_is_a_must_have_python_requirement(small_space):
    index, encoder, lexicon = small_space
    found = extract_requirements(["Ervaring met Python is vereist"], index, encoder, lexicon,
                                 threshold=0.3, per_sentence=2)
    assert found[0] == ExtractedRequirement("label:Python (computer programming)",
                                            "Python (computer programming)", found[0].score,
                                            "Ervaring met Python is vereist", True)
    assert found[0].score > 0.5


def test_boilerplate_yields_no_requirements_and_nice_to_have_is_marked(small_space):
    index, encoder, lexicon = small_space
    sentences = ["Wij bieden een goed salaris en een leaseauto.", "Kennis van Docker is een pré",
                 "You will lead and manage a team of bakers"]
    found = extract_requirements(sentences, index, encoder, lexicon, threshold=0.45, per_sentence=1)
    by_label = {r.label: r for r in found}
    assert set(by_label) == {"Docker", "manage a team"}
    assert by_label["Docker"].must_have is False
    assert by_label["manage a team"].must_have is None


def test_rank_labels_ranks_the_whole_space(small_space):
    index, encoder, lexicon = small_space
    ranked = rank_labels(["Strong SQL skills", "Bread baking at night"], index, encoder, depth=len(LABELS),
                         lexicon=lexicon)
    assert [index.labels[i] for i in ranked[0][:1]] == ["SQL"]
    assert [index.labels[i] for i in ranked[1][:1]] == ["bake bread"]
    assert sorted(ranked[0].tolist()) == list(range(len(LABELS)))


def test_embedding_cache_is_reused(small_space, tmp_path, monkeypatch):
    from competency_atlas import embedding_cache

    s = settings()
    known = [SkillEntry("esco:sql", "SQL", "SQL structured query language A database language.")]
    entries = skills_from_labels(["SQL", "Docker"], known)
    first = build_index(entries, s.embedding_model, tmp_path)
    encoded: list[list[str]] = []
    def encode(texts, model):
        encoded.append(texts)
        raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setattr(embedding_cache, "encode", encode)
    second = build_index(entries, s.embedding_model, tmp_path)
    assert encoded == []  # labels and texts both read back
    assert np.array_equal(first.label_vectors, second.label_vectors)


def test_a_text_listed_twice_is_encoded_once_and_given_back_in_every_place(tmp_path, monkeypatch):
    from competency_atlas import embedding_cache

    s = settings()
    seen: list[list[str]] = []
    real = embedding_cache.encode
    monkeypatch.setattr(embedding_cache, "encode", lambda texts, model: seen.append(list(texts)) or real(texts, model))
    texts = ["barista", "kok", "barista", "cook", "kok"]
    vectors = embedding_cache.cached_encode_in(tmp_path, texts, s.embedding_model)
    assert len(seen) == 1 and sorted(seen[0]) == ["barista", "cook", "kok"]
    assert np.allclose(vectors, real(texts, s.embedding_model), atol=1e-6)
    assert np.array_equal(embedding_cache.cached_encode_in(tmp_path, texts, s.embedding_model), vectors)
    assert len(seen) == 1  # the second call read the cache


# --- skill index from labels -------------------------------------------------------------------

def test_labels_are_enriched_by_exact_then_casefolded_label():
    known = [SkillEntry("esco:1", "Java (computer programming)", "Java (computer programming) java The language."),
             SkillEntry("esco:2", "manage a team", "manage a team lead a team Direct people.")]
    entries = skills_from_labels(["Java (computer programming)", "Manage a team", "bake bread"], known)
    assert [(e.uri, e.text) for e in entries] == [
        ("esco:1", "Java (computer programming) java The language."),
        ("esco:2", "manage a team lead a team Direct people."),
        ("label:bake bread", "bake bread"),
    ]
    assert entries[1].label == "Manage a team"  # the benchmark's label is kept as given


def test_label_file_errors_name_the_file(tmp_path):
    with pytest.raises(SkillDataError, match="missing.txt: label file not found"):
        read_label_file(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(SkillDataError, match="empty.txt: no labels"):
        read_label_file(empty)


def test_ingest_ranking_puts_mentions_first_and_encodes_only_undecided_sentences(small_space):
    from ingest.vacancy_requirements import MENTION_SCORE, VacancyExtractor

    index, encoder, lexicon = small_space
    extractor = VacancyExtractor(index, encoder, lexicon)
    (sql_rows, sql_scores), (bread_rows, bread_scores) = extractor.rank(
        ["Strong SQL skills", "Bread baking at night"], depth=3)
    assert extractor.sentences_encoded == 1  # the verbatim "SQL" decides the first sentence
    assert (index.labels[sql_rows[0]], sql_scores[0]) == ("SQL", MENTION_SCORE)
    assert index.labels[bread_rows[0]] == "bake bread" and bread_scores[0] < MENTION_SCORE
    assert len(bread_rows) == 3 and list(bread_scores) == sorted(bread_scores, reverse=True)


def test_a_sentence_that_only_announces_the_vacancy_is_not_encoded(small_space):
    from ingest.vacancy_requirements import VacancyExtractor

    index, encoder, lexicon = small_space
    extractor = VacancyExtractor(index, encoder, lexicon, threshold=0.45)
    sentences = ["Are you the team baker who will strengthen our bakery in Putten?",  # the title, nothing more
                 "As a team baker you bake bread and manage a team",  # the title and two mentions
                 "We zoeken een teambakker met rijbewijs"]  # the title's words are not all there
    names = ("Senior Team Baker 32 hours", "team baker", None)
    assert extractor.announcements(sentences, names) == {sentences[0]}
    found = extractor.extract([sentences], [names])[0]
    assert {r.label for r in found} >= {"bake bread", "manage a team"}
    assert all(r.sentence != sentences[0] for r in found)
    assert extractor.announcements(sentences, ()) == set()  # no names: nothing is an announcement
