"""Occupation (and competency) look-up by free text: lexical and semantic scores, fused.

Pure core: an in-memory index over (concept id, surface form, language) rows and plain
functions that score every surface form for a query. Nothing here does I/O; the sentence
encoder comes in as a callable (`Embed`), so tests can pass a tiny fake and the adapters pass
`competency_atlas.embeddings.encode` bound to the configured model.

Scores per surface form (all in 0..1):
- `tfidf`: cosine of character 2-4-gram TF-IDF vectors (sub-word overlap: compounds such as
  "trappenmaker", inflections, word order);
- `fuzzy`: rapidfuzz `ratio` on the token-sorted normalised text (typos, near-identical titles);
- `semantic`: cosine of sentence embeddings (synonyms, paraphrases).
The fused score is a weighted sum with language-aware weights: the default English model knows
English paraphrases but treats Dutch mostly as character noise, so Dutch leans on the lexical
scores. A concept scores as its best surface form.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

Embed = Callable[[list[str]], np.ndarray]
"""Texts -> unit-length float32 vectors, one row per text."""


@dataclass(frozen=True)
class SurfaceForm:
    concept_id: str
    text: str
    lang: str


@dataclass(frozen=True)
class FusionWeights:
    semantic: float
    tfidf: float
    fuzzy: float


# Chosen once, a priori, and checked on a held-out-label split of the corpus (docs/benchmarks.md);
# not tuned on the MELO test figures. Dutch: the default model is English-only.
DEFAULT_WEIGHTS: dict[str, FusionWeights] = {
    "en": FusionWeights(semantic=0.6, tfidf=0.3, fuzzy=0.1),
    "nl": FusionWeights(semantic=0.3, tfidf=0.5, fuzzy=0.2),
}
FALLBACK_WEIGHTS = FusionWeights(semantic=0.45, tfidf=0.4, fuzzy=0.15)


@dataclass(frozen=True)
class ConceptHit:
    concept_id: str
    score: float
    best_form: str
    lang: str


@dataclass
class LookupIndex:
    forms: list[SurfaceForm]
    normalised: list[str]
    vectorizer: TfidfVectorizer
    tfidf_matrix: object  # scipy sparse, rows L2-normalised
    embeddings: np.ndarray | None
    concept_of_form: np.ndarray = field(repr=False)  # form row -> concept number
    concept_ids: list[str] = field(repr=False)


_GENDER_MARKER = re.compile(r"\((?:m|v|x|f|h|w)(?:\s*/\s*(?:m|v|x|f|h|w))+\)", re.IGNORECASE)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _singular_en(token: str) -> str:
    # Crude, but applied to queries and labels alike: "Managers" meets "manager".
    if len(token) <= 3:
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "ches", "shes", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def normalise(text: str, lang: str | None = None) -> str:
    """Lower case, no accents, no punctuation or gender markers; English plurals folded."""
    text = _GENDER_MARKER.sub(" ", text)
    tokens = _NON_WORD.sub(" ", _strip_accents(text).lower()).split()
    if lang == "en":
        tokens = [_singular_en(t) for t in tokens]
    return " ".join(tokens)


def _sorted_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


def build_index(rows: Iterable[SurfaceForm | tuple[str, str, str]],
                embed: Embed | None = None,
                embeddings: np.ndarray | None = None) -> LookupIndex:
    """Index the surface forms; embeddings are computed with `embed` unless given (cached)."""
    forms = [r if isinstance(r, SurfaceForm) else SurfaceForm(*r) for r in rows]
    if not forms:
        raise ValueError("cannot build a look-up index from zero surface forms")
    normalised = [normalise(f.text, f.lang) for f in forms]
    # char_wb n-grams stay inside words (padded with spaces), so "maker" in "trappenmaker"
    # matches "maker" in another compound; sublinear tf keeps long labels from dominating.
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                 dtype=np.float32)
    matrix = vectorizer.fit_transform(normalised)
    if embeddings is None and embed is not None:
        embeddings = embed([f.text for f in forms])
    if embeddings is not None and len(embeddings) != len(forms):
        raise ValueError(f"{len(embeddings)} embeddings for {len(forms)} surface forms")
    concept_ids: list[str] = []
    number: dict[str, int] = {}
    concept_of_form = np.empty(len(forms), dtype=np.int64)
    for i, form in enumerate(forms):
        if form.concept_id not in number:
            number[form.concept_id] = len(concept_ids)
            concept_ids.append(form.concept_id)
        concept_of_form[i] = number[form.concept_id]
    return LookupIndex(forms, normalised, vectorizer, matrix, embeddings, concept_of_form, concept_ids)


def weights_for(lang: str | None, table: dict[str, FusionWeights] | None = None) -> FusionWeights:
    return (table or DEFAULT_WEIGHTS).get(lang or "", FALLBACK_WEIGHTS)


def score_forms(index: LookupIndex, queries: Sequence[str], lang: str | None,
                embed: Embed | None = None, weights: FusionWeights | None = None) -> np.ndarray:
    """Fused score of every surface form for every query: (len(queries), len(forms)) float32.

    Without embeddings (no encoder), the semantic weight is shared out over the lexical scores.
    """
    w = weights or weights_for(lang)
    normalised = [normalise(q, lang) for q in queries]
    tfidf = (index.vectorizer.transform(normalised) @ index.tfidf_matrix.T).toarray().astype(np.float32)
    fuzzy = process.cdist([_sorted_tokens(q) for q in normalised],
                          [_sorted_tokens(t) for t in index.normalised],
                          scorer=fuzz.ratio, dtype=np.uint8, workers=-1).astype(np.float32) / 100.0
    if index.embeddings is None or embed is None:
        lexical = w.tfidf + w.fuzzy
        return (w.tfidf / lexical) * tfidf + (w.fuzzy / lexical) * fuzzy
    semantic = embed(list(queries)) @ index.embeddings.T
    return w.semantic * semantic + w.tfidf * tfidf + w.fuzzy * fuzzy


def concept_scores(index: LookupIndex, form_scores: np.ndarray) -> np.ndarray:
    """Per query, each concept's best surface-form score: (n_queries, n_concepts)."""
    out = np.full((form_scores.shape[0], len(index.concept_ids)), -np.inf, dtype=np.float32)
    for row, scores in enumerate(form_scores):
        np.maximum.at(out[row], index.concept_of_form, scores)
    return out


def rank_forms(index: LookupIndex, form_scores: np.ndarray, concept_best: np.ndarray, top: int) -> list[int]:
    """Surface-form rows ranked for one query: by their concept's score, then their own.

    All forms of the best concept come before the next concept, because every label of a
    concept names the same occupation: a user (and MELO) wants the concept, not the string.
    """
    key = concept_best[index.concept_of_form]
    # Only forms of the best concepts can make the top: pre-select, then sort exactly.
    k = min(len(key), max(top * 4, 400))
    candidates = np.argpartition(-key, k - 1)[:k] if k < len(key) else np.arange(len(key))
    order = np.lexsort((-form_scores[candidates], -key[candidates]))
    return [int(candidates[i]) for i in order[:top]]


def search(index: LookupIndex, query: str, lang: str | None = None, top: int = 10,
           embed: Embed | None = None, weights: FusionWeights | None = None) -> list[ConceptHit]:
    """The `top` concepts for a free-text query, each with its best-matching surface form."""
    if not query.strip():
        raise ValueError("empty query: give a job title or competency text")
    scores = score_forms(index, [query], lang, embed, weights)[0]
    if lang is not None:
        # A Dutch query is answered with Dutch labels (and vice versa) when the index has both.
        same = np.array([f.lang == lang for f in index.forms])
        if same.any():
            scores = np.where(same, scores, -np.inf)
    best = concept_scores(index, scores[None, :])[0]
    hits: list[ConceptHit] = []
    for c in np.argsort(-best, kind="stable")[:top]:
        if not np.isfinite(best[c]):
            break
        rows = np.flatnonzero(index.concept_of_form == c)
        form_row = int(rows[np.argmax(scores[rows])])
        form = index.forms[form_row]
        hits.append(ConceptHit(index.concept_ids[c], float(best[c]), form.text, form.lang))
    return hits
