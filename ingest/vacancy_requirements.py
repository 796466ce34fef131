"""A vacancy's competency requirements: explicit, extracted and inherited, merged but distinguishable.

- explicit: the employer's `skills` field, each resolved to an ESCO competency (an ESCO URI as
  given, the exact preferred label, or the best-ranked skill above a threshold); unresolved
  skills are kept on the vacancy as text, not guessed;
- extracted: from the description and the qualification/education/experience texts by the
  skill extractor (`ingest.extraction`), with score, sentence and must-/nice-to-have cue;
- inherited: the occupation's profile in the atlas.
One edge per competency: `origin` is the strongest origin (explicit > extracted > inherited),
`origins` lists all. The relation follows the sentence's cue (must-have → essential, nice-to-have
→ optional), then the explicit listing (essential), then the occupation profile, else optional.

`VacancyExtractor` runs the extraction for a batch of vacancies: sentences are de-duplicated
over the batch and cached (job sites repeat sentences across postings). Skill labels named
verbatim (`ingest.skill_phrases`) are requirements without the encoder; a sentence that only
announces the vacancy (its own title plus words that name no skill) is dropped; only sentences whose
remaining words may paraphrase another skill are encoded, in one call per batch, and ranked in
two stages — every skill by the sentence vector and the lexical score, then the full fused score
(token windows included) for the best `shortlist` candidates.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.extraction import (ExtractedRequirement, LexicalIndex, SentenceEncoder, Weights, boilerplate_kind,
                               content_tokens, requirement_strength, top_k)
from ingest.skill_index import SkillIndex
from ingest.skill_phrases import PARAPHRASE_SHARE, PhraseIndex, first_pass, first_pass_tokens
from ingest.text import description_sentences
from ingest.vacancy_models import Vacancy, VacancyRequirement

ORIGIN_RANK = {"explicit": 0, "extracted": 1, "inherited": 2}


@dataclass(frozen=True)
class ProfileRequirement:
    """One (:Occupation)-[:REQUIRES]->(:Competency) of the atlas."""
    competency_uri: str
    relation: str | None = None
    importance: float | None = None
    required_level: float | None = None


@dataclass(frozen=True)
class ExplicitSkill:
    text: str  # as the employer wrote it
    competency_uri: str | None  # None: not resolved


def _relation_from_cue(must_have: bool | None) -> str | None:
    return None if must_have is None else ("essential" if must_have else "optional")


def merge_requirements(explicit: Sequence[ExplicitSkill], extracted: Sequence[ExtractedRequirement],
                       inherited: Sequence[ProfileRequirement]) -> list[VacancyRequirement]:
    """Pure: the vacancy's requirement edges, one per competency, each saying where it came from."""
    profile = {p.competency_uri: p for p in inherited}
    named = {e.competency_uri: e for e in explicit if e.competency_uri}
    found = {x.competency_uri: x for x in extracted}
    out = []
    for uri in sorted(set(named) | set(found) | set(profile)):
        origins = tuple(o for o, present in (("explicit", uri in named), ("extracted", uri in found),
                                             ("inherited", uri in profile)) if present)
        p, x, e = profile.get(uri), found.get(uri), named.get(uri)
        relation = (_relation_from_cue(x.must_have) if x else None) or ("essential" if e else None) \
            or (p.relation if p else None) or "optional"
        out.append(VacancyRequirement(
            competency_uri=uri, origin=origins[0], origins=origins, relation=relation,
            required_level=p.required_level if p else None, importance=p.importance if p else None,
            score=round(x.score, 4) if x else None, sentence=x.sentence if x else None,
            text=e.text if e else None))
    return sorted(out, key=lambda r: (ORIGIN_RANK[r.origin], -(r.score or 0.0), r.competency_uri))


def vacancy_sentences(vacancy: Vacancy) -> list[str]:
    """The sentences that can state requirements: description plus the requirement texts."""
    sentences = description_sentences(vacancy.description) if vacancy.description else []
    for text in vacancy.requirement_texts():
        sentences.extend(description_sentences(text))
    return list(dict.fromkeys(sentences))


@dataclass(frozen=True)
class _Hit:
    index: int  # row in the skill index
    score: float


# A verbatim mention is the surest evidence the extractor has and is not scored by the encoder
# (its sentence may not be encoded at all): it gets one fixed score, well above the threshold.
MENTION_SCORE = 1.0


class VacancyExtractor:
    def __init__(self, index: SkillIndex, encoder: SentenceEncoder, lexicon: LexicalIndex | None = None,
                 threshold: float = 0.55, per_sentence: int = 3, shortlist: int = 256,
                 explicit_threshold: float = 0.6, paraphrase_share: float = PARAPHRASE_SHARE,
                 weights: Weights = Weights(), cache_size: int = 50_000) -> None:
        self.index, self.encoder = index, encoder
        self.lexicon = lexicon or LexicalIndex.build(index.labels)
        self.phrases = PhraseIndex(index.labels)
        self.threshold, self.per_sentence, self.shortlist = threshold, per_sentence, shortlist
        self.explicit_threshold, self.paraphrase_share, self.weights = explicit_threshold, paraphrase_share, weights
        self._cache: OrderedDict[str, tuple[_Hit, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._uri_row = {e.uri: i for i, e in enumerate(index.entries)}
        self._label_row = {e.label.casefold(): i for i, e in enumerate(index.entries)}
        self.sentences_scored = 0
        self.sentences_encoded = 0
        self.cache_hits = 0

    # --- ranking ---
    def _semantic(self, sentences: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence the shortlist (rows, fused scores), best first: every skill by the sentence
        vector and the lexical share, then the token windows for the best `shortlist` only."""
        if not sentences:
            return []
        w, labels = self.weights, self.index.label_vectors
        encoded = self.encoder.encode(sentences)
        vectors = np.vstack([e.vector for e in encoded])
        coarse = w.sentence * (vectors @ labels.T) + w.lexical * self.lexicon.scores(sentences)
        out = []
        for row, enc in enumerate(encoded):
            candidates = top_k(coarse[row], self.shortlist)
            fine = coarse[row, candidates] + w.window_label * (enc.windows @ labels[candidates].T).max(axis=0)
            order = np.argsort(-fine, kind="stable")
            out.append((candidates[order], fine[order]))
        self.sentences_encoded += len(sentences)
        return out

    def rank(self, sentences: list[str], depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence (skill rows, scores), best first, at most `depth` beyond the mentions.

        Verbatim mentions come first (`MENTION_SCORE`). A sentence the mentions decide (see
        `ingest.skill_phrases`) is not encoded: the rest of its ranking is the lexical part of
        the fused score alone. Every other sentence is ranked by the fused score (shortlist).
        """
        first = first_pass(sentences, self.phrases, self.lexicon)
        undecided = [i for i, f in enumerate(first) if not f.decided(self.paraphrase_share)]
        semantic = dict(zip(undecided, self._semantic([sentences[i] for i in undecided])))
        decided = [i for i in range(len(sentences)) if i not in semantic]
        lexical = dict(zip(decided, self.lexicon.shares([set(content_tokens(sentences[i])) for i in decided])))
        out = []
        for i, f in enumerate(first):
            mentioned = list(dict.fromkeys(r for m in f.mentions for r in m.rows))
            if i in semantic:
                rows, scores = semantic[i]
            else:
                row = lexical[i]
                rows, scores = row.indices, self.weights.lexical * row.data
                order = np.argsort(-scores, kind="stable")
                rows, scores = rows[order], scores[order]
            keep = ~np.isin(rows, mentioned)
            out.append((np.concatenate([np.array(mentioned, dtype=np.int64), rows[keep][:depth]]),
                        np.concatenate([np.full(len(mentioned), MENTION_SCORE, np.float32), scores[keep][:depth]])))
        self.sentences_scored += len(sentences)
        return out

    def _score(self, sentences: list[str]) -> list[tuple[_Hit, ...]]:
        """Per sentence its mentions and at most `per_sentence` other skills above the threshold."""
        out = []
        for rows, scores in self.rank(sentences, self.per_sentence):
            out.append(tuple(_Hit(int(r), float(s)) for r, s in zip(rows, scores) if s >= self.threshold))
        return out

    def _scored(self, sentences: Sequence[str]) -> dict[str, tuple[_Hit, ...]]:
        unique = list(dict.fromkeys(sentences))
        missing = [s for s in unique if s not in self._cache]
        self.cache_hits += len(unique) - len(missing)
        for sentence, hits in zip(missing, self._score(missing)):
            self._cache[sentence] = hits
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return {s: self._cache[s] for s in unique}

    # --- the two uses ---
    def extract(self, sentence_lists: Sequence[list[str]],
                names: Sequence[Collection[str]] = ()) -> list[list[ExtractedRequirement]]:
        """Per vacancy: requirements of its non-boilerplate sentences, one per skill (best sentence).

        `names` are, per vacancy, the titles it goes by (as written, undecorated, its occupation's
        label): a sentence that only announces the vacancy by one of them is dropped.
        """
        kept = [[s for s in sentences if boilerplate_kind(s) is None] for sentences in sentence_lists]
        for sentences, vacancy_names in zip(kept, names):
            announced = self.announcements(sentences, vacancy_names)
            sentences[:] = [s for s in sentences if s not in announced]
        scored = self._scored([s for sentences in kept for s in sentences])
        out = []
        for sentences in kept:
            best: dict[str, ExtractedRequirement] = {}
            for sentence in sentences:
                strength = requirement_strength(sentence)
                for hit in scored[sentence]:
                    entry = self.index.entries[hit.index]
                    if entry.uri not in best or hit.score > best[entry.uri].score:
                        best[entry.uri] = ExtractedRequirement(entry.uri, entry.label, hit.score, sentence, strength)
            out.append(sorted(best.values(), key=lambda r: -r.score))
        return out

    def announcements(self, sentences: list[str], names: Collection[str]) -> set[str]:
        """The sentences that name the vacancy and nothing a skill label could recognise.

        "Are you the video editor who will strengthen our team in Putten?" names the occupation,
        whose requirements the vacancy inherits from its profile; what is left ("strengthen",
        "team", "putten") mentions no skill and makes up too little of any label to paraphrase
        one, so the encoder would only find the occupation's own skills again. A sentence that
        also says more ("... video editor with experience in colour grading") is kept.
        """
        titles = [set(words) for words in (content_tokens(n) for n in names if n) if words]
        candidates: list[tuple[str, list[str]]] = []
        for sentence in sentences:
            tokens = content_tokens(sentence)
            title = next((t for t in titles if t <= set(tokens)), None)
            if title is not None:
                candidates.append((sentence, [t for t in tokens if t not in title]))
        rest = first_pass_tokens([tokens for _, tokens in candidates], self.phrases, self.lexicon)
        return {sentence for (sentence, _), found in zip(candidates, rest)
                if not found.mentions and found.paraphrase_share < self.paraphrase_share}

    def resolve_skills(self, skill_lists: Sequence[list[str]]) -> list[list[ExplicitSkill]]:
        """Explicit skills → ESCO competencies: a URI as given, the exact label, else the best-ranked skill."""
        direct: dict[str, str | None] = {}
        to_rank = []
        for text in {t for skills in skill_lists for t in skills}:
            if text in self._uri_row:
                direct[text] = text
            elif text.casefold() in self._label_row:
                direct[text] = self.index.entries[self._label_row[text.casefold()]].uri
            else:
                to_rank.append(text)
        scored = self._scored(to_rank)
        for text in to_rank:
            hits = [h for h in scored[text] if h.score >= self.explicit_threshold]
            direct[text] = self.index.entries[hits[0].index].uri if hits else None
        return [[ExplicitSkill(t, direct[t]) for t in skills] for skills in skill_lists]
