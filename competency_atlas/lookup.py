"""Occupation (and competency) look-up by free text: lexical and semantic scores, fused.

Pure core: an in-memory index over (concept id, surface form, language) rows and plain
functions that score every surface form for a query. Nothing here does I/O; the sentence
encoder comes in as a callable (`Embed`), so tests can pass a tiny fake and the adapters pass
`competency_atlas.embeddings.encode` bound to the configured model.

Scores per surface form (all in 0..1):
- `tfidf`: cosine of character 2-4-gram TF-IDF vectors (sub-word overlap: compounds such as
  "trappenmaker", inflections, word order);
- `fuzzy`: rapidfuzz `ratio` on the token-sorted normalised text (typos, near-identical titles);
- `semantic`: cosine of sentence embeddings (synonyms, paraphrases);
- per concept, not per label: `description`, the cosine of the query and the occupation's own
  description in the query's language (`with_descriptions`), for a title no label says in words.
The fused score is a weighted sum with language-aware weights (a convex combination, so it stays
on the components' 0..1 scale, which thresholds elsewhere read): the default English model knows
English paraphrases but treats Dutch mostly as character noise, so Dutch leans on the lexical
scores. Per query, the semantic share may move towards the half that is more decisive about that
query (`semantic_shares`). Rank fusion (RRF), per-query z-score / min-max normalisation and
learned fusions were tried on the dev splits and not adopted (docs/benchmarks.md). A concept
scores as its best surface form, pulled towards its second best.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from rapidfuzz import fuzz, process

from competency_atlas.char_tfidf import CharTfidf

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
    # Per query, the semantic share moves by up to this much towards the half that is the more
    # decisive about the query (see `semantic_shares`); 0 = the same weights for every query.
    decisiveness: float = 0.0
    # Share of the concept's description (cosine of the query and the occupation's description in
    # the query's language) in the final score; the label score keeps the rest. Only where the
    # index holds description vectors for that language (`with_descriptions`), else ignored.
    description: float = 0.0


# Chosen on dev splits of the MELO corpora only, never on the MELO test queries: the best dev MRR
# of `python -m competency_atlas.bench_melo DEV [DEV] --grid` (scripts/melo_dev_split.py) on the
# split most like real titles in each language (session 14; before, English was chosen on held-out
# alternative labels, which reward the lexical scores more than real titles do). English: held-out
# ISCO unit-group titles (--isco-groups, 426 queries), official composite titles like O*NET's.
# Dutch: held-out ESCO hidden labels (--hidden-labels; 353 queries, seeds 7 and 11), the titles
# people search with. Figures in docs/benchmarks.md. Dutch leans on the lexical scores (the default
# model is English-only) and on the encoder only for a query it is the more decisive about.
DEFAULT_WEIGHTS: dict[str, FusionWeights] = {
    "en": FusionWeights(semantic=0.95, tfidf=0.0125, fuzzy=0.0375, description=0.2),
    "nl": FusionWeights(semantic=0.0, tfidf=0.75, fuzzy=0.25, decisiveness=0.5, description=0.1),
}
# No language given (e.g. the measurement ingest's title resolver): not measured, left as it was.
FALLBACK_WEIGHTS = FusionWeights(semantic=0.45, tfidf=0.4, fuzzy=0.15)
# A label matched only through a part of a composite title ranks just below a whole-title match.
VARIANT_DISCOUNT = 0.95
# How much a concept's second-best label counts (see `concept_scores`); 0 = best label only.
LABEL_AGREEMENT = 0.6
TFIDF_NGRAMS = (2, 4)


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
    vectorizer: CharTfidf
    tfidf_matrix: object  # scipy sparse, rows L2-normalised
    embeddings: np.ndarray | None
    concept_of_form: np.ndarray = field(repr=False)  # form row -> concept number
    concept_ids: list[str] = field(repr=False)
    sorted_forms: list[str] = field(repr=False, default_factory=list)  # token-sorted, for fuzzy
    # lang -> (n_concepts, dim) unit vectors of each concept's description; a zero row for a
    # concept without one (scored at the query's mean there: `_undescribed_at_mean`). Empty: labels only.
    descriptions: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


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
    vectorizer = CharTfidf(TFIDF_NGRAMS)
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
    return LookupIndex(forms, normalised, vectorizer, matrix, embeddings, concept_of_form, concept_ids,
                       [_sorted_tokens(t) for t in normalised])


def with_descriptions(index: LookupIndex, texts: dict[str, dict[str, str]], embed: Embed) -> LookupIndex:
    """The index with a vector per concept of its description in each language of `texts`
    (lang -> concept id -> description); concepts without one get a zero row."""
    vectors: dict[str, np.ndarray] = {}
    for lang, by_concept in texts.items():
        rows = [i for i, concept in enumerate(index.concept_ids) if (by_concept.get(concept) or "").strip()]
        if not rows:
            continue
        encoded = np.asarray(embed([by_concept[index.concept_ids[i]] for i in rows]), dtype=np.float32)
        table = np.zeros((len(index.concept_ids), encoded.shape[1]), dtype=np.float32)
        table[rows] = np.nan_to_num(encoded, nan=0.0, posinf=0.0, neginf=0.0)
        vectors[lang] = table
    return replace(index, descriptions=vectors)


def weights_for(lang: str | None, table: dict[str, FusionWeights] | None = None) -> FusionWeights:
    return (table or DEFAULT_WEIGHTS).get(lang or "", FALLBACK_WEIGHTS)


HALVES = ("lexical", "semantic")


def half_weights(lang: str | None, half: str) -> FusionWeights:
    """One half of the fused look-up alone, everything else (variants, label agreement) the same:
    `lexical` = the language's tfidf/fuzzy weights without the encoder, `semantic` = cosine only."""
    w = weights_for(lang)
    if half == "lexical":
        return FusionWeights(semantic=0.0, tfidf=w.tfidf, fuzzy=w.fuzzy)
    if half == "semantic":
        return FusionWeights(semantic=1.0, tfidf=0.0, fuzzy=0.0)
    raise ValueError(f"unknown half {half!r}: expected one of {', '.join(HALVES)}")


_EXCEPT = re.compile(r",?\s*\(?\b(except|excluding|behalve|uitgezonderd)\b.*$", re.IGNORECASE)
_ALL_OTHER = re.compile(r",\s*(all other|overige)\s*$", re.IGNORECASE)
_CONJUNCTION = {"en": "and", "nl": "en"}


def _split_conjunction(tokens: list[str], word: str) -> list[list[str]]:
    """'payroll and timekeeping clerk' -> payroll clerk, timekeeping clerk, payroll, timekeeping clerk."""
    if word not in tokens[1:-1]:
        return []
    at = tokens.index(word)
    left, right = tokens[:at], tokens[at + 1:]
    if len(left) == 1 and len(right) == 1:
        return [left, right]  # "interpreters and translators": two whole titles
    out = [left, right]
    if len(right) > 1:
        out.append(left + right[-1:])  # shared head noun: "payroll [clerk]"
    if len(left) > 1:
        out.append(left[:-1] + right)  # shared modifier: "automotive glass repairer"
    # A lone word cut out of a longer title ("repairer", "education") names no occupation.
    return [part for part in out if len(part) > 1]


def title_variants(title: str, lang: str | None) -> list[str]:
    """The title itself plus the simpler titles a composite one stands for.

    Official and vacancy titles pack several occupations into one: "Payroll and Timekeeping
    Clerks", "Directors, Religious Activities and Education", "Elementary School Teachers, Except
    Special Education", "Technicus productieproces en methodes". Each variant is matched on its
    own; a query scores a label by its best variant (the full title is always variant one).
    """
    cleaned = _ALL_OTHER.sub("", _EXCEPT.sub("", title)).strip() or title
    head, *qualifiers = [part.strip() for part in cleaned.split(",") if part.strip()] or [cleaned]
    bases = [title, cleaned]
    if len(head.split()) > 1 or not qualifiers:
        bases.append(head)
    if qualifiers:
        bases.append(" ".join(qualifiers + [head]))  # "Directors, Religious Activities" inverted
    variants = [normalise(b, lang) for b in bases]
    word = _CONJUNCTION.get(lang or "", "and")
    for base in list(variants[1:]):
        tokens = base.split()
        for part in _split_conjunction(tokens, word):
            if len(part) == 1 and "- " in title:
                continue  # "relatie- en gezinsbemiddelaar": "relatie" is half a compound
            variants.append(" ".join(part))
    seen: dict[str, None] = {}
    for v in variants:
        if v:
            seen.setdefault(v, None)
    # Nothing left after normalising (emoji, punctuation, another script): the text as given, so
    # the encoder still sees it and the lexical scores are plain zeros, never an empty block.
    return list(seen) or [" ".join(title.split())]


def _component_scores(index: LookupIndex, texts: list[str],
                      embed: Embed | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    tfidf = (index.vectorizer.transform(texts) @ index.tfidf_matrix.T).toarray().astype(np.float32)
    fuzzy = process.cdist([_sorted_tokens(q) for q in texts], index.sorted_forms,
                          scorer=fuzz.ratio, dtype=np.uint8, workers=-1).astype(np.float32) / 100.0
    if embed is None or (index.embeddings is None and not index.descriptions):
        return tfidf, fuzzy, None, None
    vectors = _finite(np.asarray(embed(texts), dtype=np.float32))
    semantic = None if index.embeddings is None else _finite(vectors @ index.embeddings.T)
    return tfidf, fuzzy, semantic, vectors


def _finite(scores: np.ndarray) -> np.ndarray:
    """A degenerate vector (query, label or description) must not poison the fusion."""
    scores = np.asarray(scores, dtype=np.float32)
    return scores if np.isfinite(scores).all() else np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass(frozen=True)
class Components:
    """The three scores of every surface form for every title variant of a batch of queries."""
    variants: list[list[str]]  # per query, its title variants (rows below, in order)
    tfidf: np.ndarray  # (n_variants, n_forms)
    fuzzy: np.ndarray
    semantic: np.ndarray | None  # None without an encoder or label embeddings
    # (n_queries, n_concepts): each query (its first variant, the whole title) against each
    # concept's description in the query's language; None without an encoder or descriptions
    description: np.ndarray | None = None


def score_components(index: LookupIndex, queries: Sequence[str], lang: str | None,
                     embed: Embed | None = None) -> Components:
    variants = [title_variants(q, lang) for q in queries]
    tfidf, fuzzy, semantic, vectors = _component_scores(index, [v for vs in variants for v in vs], embed)
    described = index.descriptions.get(lang or "")
    description = None
    if vectors is not None and described is not None:
        whole = np.cumsum([0] + [len(vs) for vs in variants])[:-1]  # each query's first variant row
        description = _undescribed_at_mean(_finite(vectors[whole] @ described.T), described.any(axis=1))
    return Components(variants, tfidf, fuzzy, semantic, description)


def _undescribed_at_mean(scores: np.ndarray, has: np.ndarray) -> np.ndarray:
    """A concept without a description in the query's language (an ISCO group in Dutch, say) gets
    the query's mean over the described ones: neither lifted nor pushed down for what is missing."""
    if has.all() or not has.any():
        return scores
    scores[:, ~has] = scores[:, has].mean(axis=1, keepdims=True)
    return scores


def language_mask(index: LookupIndex, lang: str | None) -> np.ndarray | None:
    """Forms a query in `lang` may be answered with: a Dutch query gets Dutch labels (and vice
    versa) when the index has them; None = every form."""
    if lang is None:
        return None
    same = np.array([f.lang == lang for f in index.forms], dtype=bool)
    return same if same.any() else None


def _best_variant(variants: list[list[str]], rows: np.ndarray, variant_discount: float) -> np.ndarray:
    """Per query, each form's best score over the query's title variants (derived ones discounted)."""
    out = np.empty((len(variants), rows.shape[1]), dtype=np.float32)
    row = 0
    for q, vs in enumerate(variants):
        out[q] = rows[row]
        if len(vs) > 1:
            np.maximum(out[q], variant_discount * rows[row + 1:row + len(vs)].max(axis=0), out=out[q])
        row += len(vs)
    return out


def _margins(index: LookupIndex, form_scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Per query, how far the best concept stands above the runner-up (0 if there is none)."""
    if mask is not None:
        form_scores = np.where(mask[None, :], form_scores, -np.inf)
    concepts = concept_scores(index, form_scores)
    margin = np.zeros(len(concepts), dtype=np.float32)
    if concepts.shape[1] < 2:
        return margin
    top2 = -np.partition(-concepts, 1, axis=1)[:, :2]
    known = np.isfinite(top2).all(axis=1)
    margin[known] = top2[known, 0] - top2[known, 1]
    return margin


def half_margins(index: LookupIndex, parts: Components, weights: FusionWeights,
                 variant_discount: float = VARIANT_DISCOUNT,
                 mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the semantic and the lexical half's margin of its best concept over the runner-up."""
    return _half_margins(index, parts, _lexical(parts, weights), variant_discount, mask)


def _half_margins(index: LookupIndex, parts: Components, lexical: np.ndarray, variant_discount: float,
                  mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    return (_margins(index, _best_variant(parts.variants, parts.semantic, variant_discount), mask),
            _margins(index, _best_variant(parts.variants, lexical, variant_discount), mask))


def semantic_shares(weights: FusionWeights, margins: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per query, the semantic half's share of the fused score.

    The fixed share, moved by up to `decisiveness` towards the half whose best concept stands
    further above its runner-up, relative to the other half's margin (`half_margins`): a title the
    character n-grams pin down (a known spelling) leans on them, a synonym they miss leans on the
    encoder. Chosen on dev splits like the weights (docs/benchmarks.md, session 14).
    """
    w = weights
    semantic_margin, lexical_margin = margins
    base = w.semantic / (w.semantic + w.tfidf + w.fuzzy)
    total = semantic_margin + lexical_margin
    lean = np.divide(semantic_margin - lexical_margin, total, out=np.zeros_like(total), where=total > 0)
    return np.clip(base + w.decisiveness * lean, 0.0, 1.0)


def _lexical(parts: Components, weights: FusionWeights) -> np.ndarray:
    lexical_weight = weights.tfidf + weights.fuzzy
    return (weights.tfidf / lexical_weight) * parts.tfidf + (weights.fuzzy / lexical_weight) * parts.fuzzy


def fuse(index: LookupIndex, parts: Components, weights: FusionWeights,
         variant_discount: float = VARIANT_DISCOUNT, mask: np.ndarray | None = None,
         margins: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The weighted sum of the components, best variant per query: (n_queries, n_forms) float32.

    With `decisiveness`, each query has its own semantic share (`semantic_shares`; `margins` may
    be given when the same halves are fused many times). Forms outside `mask` (see
    `language_mask`) score -inf.
    """
    w = weights
    if parts.semantic is None:
        if w.tfidf + w.fuzzy <= 0:
            raise ValueError("semantic-only weights need an encoder and label embeddings")
        rows = _lexical(parts, w)
    elif w.decisiveness and w.tfidf + w.fuzzy > 0:
        lexical = _lexical(parts, w)
        margins = margins or _half_margins(index, parts, lexical, variant_discount, mask)
        share = np.repeat(semantic_shares(w, margins), [len(vs) for vs in parts.variants])[:, None]
        rows = share * parts.semantic + (1.0 - share) * lexical
    else:
        rows = w.semantic * parts.semantic + w.tfidf * parts.tfidf + w.fuzzy * parts.fuzzy
    out = _best_variant(parts.variants, rows, variant_discount)
    if w.description and parts.description is not None:
        # a concept's description counts for each of its labels alike: it moves concepts, not labels
        out = (1.0 - w.description) * out + w.description * parts.description[:, index.concept_of_form]
    if mask is not None:
        out[:, ~mask] = -np.inf
    return out


def score_forms(index: LookupIndex, queries: Sequence[str], lang: str | None,
                embed: Embed | None = None, weights: FusionWeights | None = None,
                variant_discount: float = VARIANT_DISCOUNT, mask: np.ndarray | None = None) -> np.ndarray:
    """Fused score of every surface form for every query: (len(queries), len(forms)) float32.

    Each query is scored through its title variants (see `title_variants`); a derived variant's
    score is discounted a little so that a label matching the whole title wins a tie.
    Without embeddings (no encoder), the semantic weight is shared out over the lexical scores.
    Forms outside `mask` score -inf.
    """
    w = weights or weights_for(lang)
    if w.tfidf + w.fuzzy <= 0 and (embed is None or index.embeddings is None):
        raise ValueError("semantic-only weights need an encoder and label embeddings")
    return fuse(index, score_components(index, queries, lang, embed), w, variant_discount, mask)


def concept_scores(index: LookupIndex, form_scores: np.ndarray,
                   agreement: float = LABEL_AGREEMENT) -> np.ndarray:
    """Per query, each concept's score from its surface forms: (n_queries, n_concepts).

    The best form's score, pulled down by `agreement` x half the gap to the concept's second-best
    form: a concept whose other labels also match the query is a safer answer than one whose
    single odd alternative label happens to match. Concepts with one label keep their score.
    """
    order = np.argsort(index.concept_of_form, kind="stable")
    concepts, starts = np.unique(index.concept_of_form[order], return_index=True)
    scores = form_scores[:, order]
    best = np.maximum.reduceat(scores, starts, axis=1)
    if agreement:
        counts = np.diff(np.append(starts, len(order)))
        without_best = np.where(scores >= np.repeat(best, counts, axis=1), -np.inf, scores)
        second = np.maximum.reduceat(without_best, starts, axis=1)
        # No finite second form (one label, or the others excluded as -inf by a language filter):
        # the concept keeps its best score. Never -inf - -inf (that was a NaN).
        gap = np.zeros_like(best)
        np.subtract(best, second, out=gap, where=np.isfinite(best) & np.isfinite(second))
        best = best - agreement * 0.5 * gap
    out = np.full((form_scores.shape[0], len(index.concept_ids)), -np.inf, dtype=np.float32)
    out[:, concepts] = best
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


def rank_concepts(index: LookupIndex, form_scores: np.ndarray, concept_best: np.ndarray, top: int) -> list[int]:
    """Surface-form rows, one per concept (its best-scoring label), concepts by score: the list a
    user is shown (`search`). Concepts scoring -inf (no form left after a language filter) are left out."""
    by_concept = np.lexsort((-form_scores, index.concept_of_form))
    concepts, first = np.unique(index.concept_of_form[by_concept], return_index=True)
    best_form, scores = by_concept[first], concept_best[concepts]
    chosen = np.argsort(-scores, kind="stable")[:top]
    return [int(best_form[i]) for i in chosen if np.isfinite(scores[i])]


def search(index: LookupIndex, query: str, lang: str | None = None, top: int = 10,
           embed: Embed | None = None, weights: FusionWeights | None = None) -> list[ConceptHit]:
    """The `top` concepts for a free-text query, each with its best-matching surface form."""
    if not query.strip():
        raise ValueError("empty query: give a job title or competency text")
    if top < 1:
        return []
    scores = score_forms(index, [query], lang, embed, weights, mask=language_mask(index, lang))[0]
    best = concept_scores(index, scores[None, :])[0]
    hits: list[ConceptHit] = []
    for row in rank_concepts(index, scores, best, top):
        form, concept = index.forms[row], int(index.concept_of_form[row])
        hits.append(ConceptHit(index.concept_ids[concept], float(best[concept]), form.text, form.lang))
    return hits
