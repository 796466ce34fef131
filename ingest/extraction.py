"""Competency requirements from vacancy sentences: which ESCO skills a sentence asks for.

Per sentence, in order:
1. boilerplate (about the company, benefits, diversity statement, how to apply) is dropped by
   Dutch and English cue lists;
2. every skill of the label space gets a score that fuses
   - a *semantic* part: cosine between the skill label and the sentence, where the sentence is represented by itself and by short windows of its
     contextual token vectors (one encoder pass; a window is a mean of token vectors, so a
     two-word phrase in a long sentence can match a two-word label — the idea behind
     token-level matching such as ConTeXT-match), and
   - a *lexical* part: the IDF-weighted share of the label's words that occur in the sentence;
3. skills above the threshold are kept, best first, a few per sentence;
4. must-have / nice-to-have cues ("vereist", "must", "pré", "nice to have", ...) mark the
   requirement; no cue leaves it unknown (None), because most sentences say neither.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from ingest.skill_index import SkillIndex

# --- boilerplate ---------------------------------------------------------------------------

# Cues are matched on word boundaries, case-insensitively. Each list names one kind of
# sentence that describes the employer or the process rather than the work; the most specific
# kinds come first ("We are an equal opportunity employer" is a diversity statement).
BOILERPLATE_CUES: dict[str, tuple[str, ...]] = {
    "benefits": (
        "wat bieden wij", "wat wij bieden", "wij bieden", "we bieden", "salaris", "pensioenregeling",
        "vakantiegeld", "vakantiedagen", "dertiende maand", "13e maand", "reiskostenvergoeding",
        "leaseauto", "secundaire arbeidsvoorwaarden", "arbeidsvoorwaarden", "cao", "thuiswerkvergoeding",
        "what we offer", "we offer", "salary", "pension", "benefits package", "paid time off",
        "holiday allowance", "competitive compensation", "bonus scheme", "health insurance",
        "vacation days", "stock options", "employee discount", "personeelskorting",
    ),
    "diversity": (
        "equal opportunity", "equal employment", "diversity", "diversiteit", "inclusive", "inclusief",
        "inclusie", "regardless of", "ongeacht", "without regard to", "gender identity",
        "sexual orientation", "veteran status", "disability status", "gelijke kansen",
    ),
    "how_to_apply": (
        "solliciteer", "sollicitatie", "reageer", "reageren", "stuur je cv", "stuur uw cv",
        "motivatiebrief", "neem contact op", "meer informatie", "vragen over deze vacature",
        "apply now", "how to apply", "to apply", "send your cv", "send your resume", "cover letter",
        "for more information", "contact us", "acquisitie", "recruitment agencies",
        "assessment kan onderdeel", "vog", "verklaring omtrent het gedrag", "click apply",
    ),
    "about_company": (
        "wie zijn wij", "over ons", "ons bedrijf", "onze organisatie", "wij zijn een", "we zijn een",
        "marktleider", "opgericht in", "ons team bestaat", "about us", "who we are", "our company",
        "we are a leading", "we are an", "founded in", "market leader", "our mission", "onze missie",
        "headquartered", "hoofdkantoor",
    ),
}
_BOILERPLATE_PATTERNS = {
    kind: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b", re.IGNORECASE)
    for kind, cues in BOILERPLATE_CUES.items()
}


def boilerplate_kind(sentence: str) -> str | None:
    """The kind of boilerplate the sentence is, or None for a sentence about the work."""
    for kind, pattern in _BOILERPLATE_PATTERNS.items():
        if pattern.search(sentence):
            return kind
    return None


# --- must-have / nice-to-have ----------------------------------------------------------------

MUST_HAVE_CUES = (
    "vereist", "vereiste", "verplicht", "noodzakelijk", "een must", "is een must", "moet", "moeten",
    "beschik je over", "je beschikt over", "je hebt", "u heeft", "minimaal", "ten minste",
    "tenminste", "vereisten", "eis", "eisen", "harde eis",
    "must", "must have", "must-have", "required", "requires", "requirement", "requirements",
    "mandatory", "essential", "necessary", "at least", "minimum", "you have", "you will have",
    "you must", "need to", "needs to", "strong", "proven",
)
NICE_TO_HAVE_CUES = (
    "pré", "pre", "een pré", "is een pré", "pluspunt", "is een pluspunt", "een plus", "is een plus",
    "bij voorkeur", "strekt tot aanbeveling", "wenselijk", "gewenst", "mooi meegenomen",
    "nice to have", "nice-to-have", "is a plus", "a plus", "plus", "preferred", "preferably",
    "preferable", "desirable", "advantage", "an advantage", "bonus", "is a bonus", "ideally",
    "would be nice", "beneficial", "optional", "welcome",
)


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    # \b does not work after "é"; (?<!\w) and (?!\w) do, and also keep "pre" from matching "prepare".
    alternatives = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?![\w-])", re.IGNORECASE)


_MUST = _cue_pattern(MUST_HAVE_CUES)
_NICE = _cue_pattern(NICE_TO_HAVE_CUES)


def requirement_strength(sentence: str) -> bool | None:
    """True for a must-have, False for a nice-to-have, None when the sentence says neither.

    A nice-to-have cue wins over a must-have cue: "Ervaring met Go is een pré" and "you must be
    fluent in English; German is a plus" name the softer requirement explicitly, while many
    must-cues ("je hebt", "strong") also occur in plain descriptions.
    """
    if _NICE.search(sentence):
        return False
    if _MUST.search(sentence):
        return True
    return None


# --- lexical part ----------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9à-ÿ+#]+(?:[.\-][a-z0-9à-ÿ+#]+)*")
_STOPWORDS = frozenset(
    "a an and or the of to in on for with by at as from into use using be is are de het een en "
    "of van in op voor met te aan bij door om".split()
)


def _stem(token: str) -> str:
    # A light suffix strip so "teams"/"team" and "managing"/"manage" meet; good enough for
    # ranking, where the semantic part does the heavy lifting.
    for suffix in ("ing", "ies", "es", "ed", "s", "e"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def content_tokens(text: str) -> list[str]:
    text = re.sub(r"\([^)]*\)", " ", text.casefold())  # "Java (computer programming)" → java
    return [_stem(t) for t in _TOKEN.findall(text) if t not in _STOPWORDS]


@dataclass(frozen=True)
class LexicalIndex:
    vocabulary: dict[str, int]
    weights: sparse.csr_matrix  # (labels, vocab): IDF of each label word, rows summing to 1

    @classmethod
    def build(cls, labels: list[str]) -> "LexicalIndex":
        tokenised = [sorted(set(content_tokens(label))) for label in labels]
        frequency = Counter(t for tokens in tokenised for t in tokens)
        vocabulary = {t: i for i, t in enumerate(sorted(frequency))}
        rows, cols, vals = [], [], []
        for row, tokens in enumerate(tokenised):
            idf = [math.log(1 + len(labels) / frequency[t]) for t in tokens]
            total = sum(idf) or 1.0
            for token, weight in zip(tokens, idf):
                rows.append(row), cols.append(vocabulary[token]), vals.append(weight / total)
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(labels), len(vocabulary)),
                                   dtype=np.float32)
        return cls(vocabulary, matrix)

    def shares(self, token_sets: list[set[str]], with_counts: bool = False):
        """(sets, labels), sparse: share of each label's IDF mass among each set's tokens, and
        `with_counts` also how many of the label's words are there (same sparsity pattern)."""
        rows, cols = [], []
        for row, tokens in enumerate(token_sets):
            for token in tokens:
                col = self.vocabulary.get(token)
                if col is not None:
                    rows.append(row), cols.append(col)
        present = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                    shape=(len(token_sets), len(self.vocabulary)))
        shares = (present @ self.weights.T).tocsr()
        if not with_counts:
            return shares
        counts = (present @ self._words.T).tocsr()  # IDF weights are positive: same pattern
        shares.sort_indices(), counts.sort_indices()
        return shares, counts

    @cached_property
    def _words(self) -> sparse.csr_matrix:
        return (self.weights > 0).astype(np.float32)

    def scores(self, sentences: list[str]) -> np.ndarray:
        """(sentences, labels): share of each label's IDF mass found in the sentence."""
        return self.shares([set(content_tokens(s)) for s in sentences]).toarray()


# --- semantic part -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EncodedSentence:
    vector: np.ndarray  # (d,) unit
    windows: np.ndarray  # (w, d) unit: mean-pooled token windows


def token_windows(tokens: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """Unit vectors of every window of `sizes` consecutive tokens ([CLS]/[SEP] excluded)."""
    inner = tokens[1:-1] if len(tokens) > 2 else tokens
    cumulative = np.vstack([np.zeros((1, inner.shape[1]), np.float32), np.cumsum(inner, axis=0)])
    parts = []
    for size in sizes:
        if size <= len(inner):
            parts.append((cumulative[size:] - cumulative[:-size]) / size)
    if not parts:
        parts.append(inner.mean(axis=0, keepdims=True))
    windows = np.vstack(parts)
    return windows / np.maximum(np.linalg.norm(windows, axis=1, keepdims=True), 1e-9)


class SentenceEncoder:
    """One encoder pass per batch of sentences → sentence vectors and token-window vectors."""

    def __init__(self, model_name: str, window_sizes: tuple[int, ...] = (1, 2, 3, 4, 6)) -> None:
        self.model_name = model_name
        self.window_sizes = window_sizes

    def warm_up(self) -> None:
        self.encode(["warm up"])

    def encode(self, sentences: list[str], batch_size: int = 64) -> list[EncodedSentence]:
        from competency_atlas.embeddings import encode_tokens

        # Token vectors come without padding ([CLS] … [SEP]), so a sentence's windows no longer
        # depend on the other sentences in its batch.
        vectors, tokens = encode_tokens(sentences, self.model_name, batch_size=batch_size)
        return [EncodedSentence(vector, token_windows(token_vectors, self.window_sizes))
                for vector, token_vectors in zip(vectors, tokens)]


# --- fusion and ranking ------------------------------------------------------------------------

@dataclass(frozen=True)
class Weights:
    """Fusion weights, chosen on the TECH and HOUSE *validation* sets (never on test)."""
    sentence: float = 0.3  # whole sentence vs label
    window_label: float = 0.7  # best token window vs label: finds the phrase that names the skill
    window_text: float = 0.0  # best window vs label + alt labels + description (off: it did not help)
    lexical: float = 0.2  # share of the label's IDF-weighted words present in the sentence


def semantic_scores(encoded: EncodedSentence, index: SkillIndex, weights: Weights) -> np.ndarray:
    scores = weights.sentence * (index.label_vectors @ encoded.vector)
    scores += weights.window_label * (encoded.windows @ index.label_vectors.T).max(axis=0)
    if weights.window_text:
        scores += weights.window_text * (encoded.windows @ index.text_vectors.T).max(axis=0)
    return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first (argpartition, then sort only those k)."""
    k = min(k, scores.shape[-1])
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def score_sentences(sentences: list[str], index: SkillIndex, encoder: SentenceEncoder,
                    lexicon: LexicalIndex, weights: Weights = Weights()) -> np.ndarray:
    """(sentences, skills) fused scores."""
    encoded = encoder.encode(sentences)
    lexical = lexicon.scores(sentences)
    return np.vstack([semantic_scores(e, index, weights) + weights.lexical * lex
                      for e, lex in zip(encoded, lexical)])


def rank_labels(sentences: list[str], index: SkillIndex, encoder: SentenceEncoder, depth: int,
                lexicon: LexicalIndex | None = None, weights: Weights = Weights()) -> list[np.ndarray]:
    lexicon = lexicon or LexicalIndex.build(index.labels)
    scores = score_sentences(sentences, index, encoder, lexicon, weights)
    return [top_k(row, depth) for row in scores]


# --- requirements ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExtractedRequirement:
    competency_uri: str
    label: str
    score: float
    sentence: str
    must_have: bool | None


def extract_requirements(sentences: list[str], index: SkillIndex, encoder: SentenceEncoder,
                         lexicon: LexicalIndex, threshold: float = 0.55, per_sentence: int = 3,
                         weights: Weights = Weights()) -> list[ExtractedRequirement]:
    """Requirements of the non-boilerplate sentences; one per skill (its best sentence)."""
    kept = [s for s in sentences if boilerplate_kind(s) is None]
    if not kept:
        return []
    scores = score_sentences(kept, index, encoder, lexicon, weights)
    best: dict[str, ExtractedRequirement] = {}
    for sentence, row in zip(kept, scores):
        strength = requirement_strength(sentence)
        for i in top_k(row, per_sentence):
            if row[i] < threshold:
                break
            entry = index.entries[i]
            found = ExtractedRequirement(entry.uri, entry.label, float(row[i]), sentence, strength)
            if entry.uri not in best or found.score > best[entry.uri].score:
                best[entry.uri] = found
    return sorted(best.values(), key=lambda r: -r.score)
