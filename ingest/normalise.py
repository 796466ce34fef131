"""Occupation normalisation of vacancies: which ESCO occupation a vacancy is for, how sure that is.

Rules, in order:
1. an explicit ESCO occupation URI wins (confidence 1.0);
2. an O*NET-SOC code goes to ESCO through the official crosswalk in the graph; the match type
   sets the confidence (exact > close > narrow > broad); several candidates of the best type are
   told apart by the title;
3. an ISCO-08 code names a group of occupations: when the title look-up's best occupation lies in
   that group it is taken with high confidence; otherwise the best title match inside the group
   if good enough; otherwise only the group is kept (low confidence, for review);
4. otherwise a title that IS an occupation label (after the look-up's normalisation: case,
   accents, punctuation, gender markers such as "(m/v)"; then without the decorations that do not
   change the occupation: seniority, hours, full/part time) of exactly one occupation, in the
   vacancy's language, is that occupation (confidence 1.0, method `title_exact`), without scoring;
   with an ISCO code that occupation is taken when it lies in the group (`isco_title`);
5. otherwise the title (Dutch or English, without its decorations) goes through the atlas
   look-up (lexical + semantic).
Below `review_threshold` a match is flagged `needs_review` for a person to confirm.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from competency_atlas.lookup import Embed, LookupIndex, language_mask, normalise as normalise_text, score_forms
from ingest.vacancy_models import OccupationMatch, Vacancy
from ingest.vacancy_validation import KnownCodes, classify_code

REVIEW_THRESHOLD = 0.6
MATCH_TYPE_CONFIDENCE = {"exactMatch": 0.95, "closeMatch": 0.8, "narrowMatch": 0.7, "broadMatch": 0.6,
                         "exactISCO": 0.6}
AMBIGUOUS_CROSSWALK_FACTOR = 0.85  # several ESCO candidates of the same match type
ISCO_TITLE_CONFIDENCE = 0.8  # the title's best occupation lies in the named ISCO group
ISCO_GROUP_ONLY_CONFIDENCE = 0.4
EXACT_TITLE_CONFIDENCE = 1.0  # what the fused look-up gives a whole-label match, without its cost


# Words that decorate a vacancy title without changing its occupation ("Senior verpleegkundige
# 32-40 uur", "Experienced welder, full-time"), matched on the normalised title (lower case,
# no punctuation, English plurals folded: "hours" is "hour").
_DECORATION = re.compile(
    r"\b(?:senior|junior|medior|ervaren|experienced|allround|all round|lead|startende|entry level"
    r"|fulltime|full time|parttime|part time|voltijd|deeltijd"
    r"|\d+(?: \d+)? (?:uur|uren|hour|hrs|hr|u|h)(?: per (?:week|wk))?)\b")


def undecorated(title: str, lang: str | None) -> str:
    """The normalised title without seniority, hours and full/part-time words ('' if nothing else)."""
    return _strip_decorations(normalise_text(title, lang))


def _strip_decorations(normalised: str) -> str:
    return " ".join(_DECORATION.sub(" ", normalised).split())


@dataclass(frozen=True)
class OccupationCodes:
    """What the atlas knows about occupation codes (read from the graph)."""
    occupations: dict[str, str] = field(default_factory=dict)  # ESCO URI → English label
    isco_members: dict[str, frozenset[str]] = field(default_factory=dict)  # ISCO code → ESCO URIs
    isco_groups: frozenset[str] = frozenset()
    crosswalk: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # O*NET → (URI, type)

    def known(self) -> KnownCodes:
        return KnownCodes(esco=frozenset(self.occupations), isco=self.isco_groups | frozenset(self.isco_members),
                          onet=frozenset(self.crosswalk))


@dataclass(frozen=True)
class TitleHits:
    """Per title: concept scores over the whole index (best surface form per concept)."""
    concept_ids: list[str]
    scores: np.ndarray  # (n_titles, n_concepts)

    def best(self, row: int, among: frozenset[str] | None = None) -> tuple[str | None, float]:
        scores = self.scores[row]
        if among is not None:
            mask = np.fromiter((c in among for c in self.concept_ids), bool, len(self.concept_ids))
            scores = np.where(mask, scores, -np.inf)
        if not len(scores):
            return None, 0.0
        i = int(np.argmax(scores))
        return (self.concept_ids[i], float(scores[i])) if np.isfinite(scores[i]) else (None, 0.0)


@dataclass(frozen=True)
class _Grouping:
    """Forms sorted by concept, so a concept's best form is one `maximum.reduceat` for all titles."""
    order: np.ndarray
    starts: np.ndarray
    concept_rows: np.ndarray  # concept number of each group, in group order
    lang_masks: dict

    @classmethod
    def of(cls, index: LookupIndex) -> "_Grouping":
        order = np.argsort(index.concept_of_form, kind="stable")
        sorted_concepts = index.concept_of_form[order]
        starts = np.flatnonzero(np.r_[True, sorted_concepts[1:] != sorted_concepts[:-1]])
        masks = {lang: language_mask(index, lang) for lang in ("nl", "en")}
        return cls(order, starts, sorted_concepts[starts], masks)


def title_hits(index: LookupIndex, titles: Sequence[str], lang: str | None, embed: Embed | None,
               grouping: _Grouping | None = None) -> TitleHits:
    """All titles of one language scored in one pass (one encoder call for the batch)."""
    grouping = grouping or _Grouping.of(index)
    # Like the look-up: a Dutch title is answered with Dutch labels when the index has them.
    scores = score_forms(index, list(titles), lang, embed, mask=grouping.lang_masks.get(lang))
    best = np.full((len(titles), len(index.concept_ids)), -np.inf, dtype=np.float32)
    best[:, grouping.concept_rows] = np.maximum.reduceat(scores[:, grouping.order], grouping.starts, axis=1)
    return TitleHits(index.concept_ids, best)


def _match(uri: str | None, method: str, confidence: float, threshold: float, *,
           isco_group: str | None = None, label: str | None = None) -> OccupationMatch:
    confidence = round(float(min(max(confidence, 0.0), 1.0)), 4)
    return OccupationMatch(occupation_uri=uri, isco_group=isco_group, method=method, confidence=confidence,
                           needs_review=confidence < threshold or uri is None, matched_label=label)


def normalise_one(vacancy: Vacancy, codes: OccupationCodes, hits: TitleHits | None, row: int,
                  threshold: float = REVIEW_THRESHOLD) -> OccupationMatch:
    kind_code = classify_code(vacancy.occupational_category) if vacancy.occupational_category else None
    kind, code = kind_code if kind_code else (None, None)
    if kind == "esco" and code in codes.occupations:
        return _match(code, "explicit_esco", 1.0, threshold, label=codes.occupations[code])
    if kind == "onet" and codes.crosswalk.get(code):
        return _from_crosswalk(codes.crosswalk[code], codes, hits, row, threshold)
    if kind == "isco":
        return _from_isco(code, codes, hits, row, threshold)
    if hits is None:
        return _match(None, "none", 0.0, threshold)
    uri, score = hits.best(row)
    return _match(uri, "title", score, threshold, label=codes.occupations.get(uri or ""))


def _from_crosswalk(candidates, codes: OccupationCodes, hits: TitleHits | None, row: int,
                    threshold: float) -> OccupationMatch:
    best_type = max((t for _, t in candidates), key=lambda t: MATCH_TYPE_CONFIDENCE.get(t, 0.5))
    uris = sorted(u for u, t in candidates if t == best_type)
    confidence = MATCH_TYPE_CONFIDENCE.get(best_type, 0.5)
    uri = uris[0]
    if len(uris) > 1:
        confidence *= AMBIGUOUS_CROSSWALK_FACTOR
        if hits is not None:
            uri = hits.best(row, frozenset(uris))[0] or uri
    return _match(uri, "explicit_onet", confidence, threshold, label=codes.occupations.get(uri))


def _from_isco(group: str, codes: OccupationCodes, hits: TitleHits | None, row: int,
               threshold: float) -> OccupationMatch:
    members = codes.isco_members.get(group, frozenset())
    if hits is not None and members:
        top_uri, top_score = hits.best(row)
        if top_uri in members:
            return _match(top_uri, "isco_title", max(top_score, ISCO_TITLE_CONFIDENCE), threshold,
                          isco_group=group, label=codes.occupations.get(top_uri))
        uri, score = hits.best(row, members)
        if uri is not None and score >= threshold:
            return _match(uri, "isco_title", score, threshold, isco_group=group, label=codes.occupations.get(uri))
    return _match(None, "explicit_isco", ISCO_GROUP_ONLY_CONFIDENCE, threshold, isco_group=group)


class OccupationNormaliser:
    """Batch normalisation: titles of one language are scored together (one encoder call).

    Feeds repeat titles ("Chauffeur C/E", "Verkoopmedewerker"), so each distinct (language,
    title) is scored once and its concept scores kept in a bounded LRU (`title_cache` rows of
    one float per occupation, ~12 KB each).
    """

    def __init__(self, codes: OccupationCodes, index: LookupIndex | None, embed: Embed | None = None,
                 threshold: float = REVIEW_THRESHOLD, title_cache: int = 4096) -> None:
        self.codes, self.index, self.embed, self.threshold = codes, index, embed, threshold
        self._grouping = _Grouping.of(index) if index is not None else None
        self._exact = exact_labels(index) if index is not None else {}
        self._titles: OrderedDict[tuple[str | None, str], np.ndarray] = OrderedDict()
        self._title_cache = title_cache

    def _title_hits(self, titles: list[str], lang: str | None) -> TitleHits:
        rows: dict[str, np.ndarray] = {}
        for title in dict.fromkeys(titles):
            if (lang, title) in self._titles:
                self._titles.move_to_end((lang, title))
                rows[title] = self._titles[(lang, title)]
        missing = [t for t in dict.fromkeys(titles) if t not in rows]
        if missing:
            fresh = title_hits(self.index, missing, lang, self.embed, self._grouping)
            for title, row in zip(missing, fresh.scores):
                rows[title] = self._titles[(lang, title)] = row
                if len(self._titles) > self._title_cache:
                    self._titles.popitem(last=False)
        return TitleHits(self.index.concept_ids, np.vstack([rows[t] for t in titles]))

    def normalise(self, vacancies: Sequence[Vacancy]) -> list[OccupationMatch]:
        out: list[OccupationMatch | None] = [None] * len(vacancies)
        by_lang: dict[str | None, list[int]] = {}
        for i, v in enumerate(vacancies):
            out[i] = self._without_scoring(v)
            if out[i] is None and self._needs_title(v):
                by_lang.setdefault(v.lang if v.lang in ("nl", "en") else None, []).append(i)
            elif out[i] is None:
                out[i] = normalise_one(v, self.codes, None, 0, self.threshold)
        for lang, rows in by_lang.items():
            hits = self._title_hits([self._query(vacancies[i]) for i in rows], lang)
            for row, i in enumerate(rows):
                out[i] = normalise_one(vacancies[i], self.codes, hits, row, self.threshold)
        return out  # type: ignore[return-value]

    def _without_scoring(self, v: Vacancy) -> OccupationMatch | None:
        """Rule 4: a title that is exactly one occupation's label (and agrees with an ISCO code)."""
        exact = self._exact_title(v)
        if exact is None:
            return None
        label = self.codes.occupations.get(exact)
        if not v.occupational_category:
            return _match(exact, "title_exact", EXACT_TITLE_CONFIDENCE, self.threshold, label=label)
        kind, code = classify_code(v.occupational_category) or (None, None)
        if kind == "isco" and exact in self.codes.isco_members.get(code, frozenset()):
            return _match(exact, "isco_title", EXACT_TITLE_CONFIDENCE, self.threshold, isco_group=code, label=label)
        return None

    def _exact_title(self, v: Vacancy) -> str | None:
        """The one occupation whose label the title is, as written or undecorated; else None."""
        if not self._exact:
            return None
        langs = (v.lang,) if v.lang in ("nl", "en") else ("nl", "en")
        written = {lang: normalise_text(v.title, lang) for lang in langs}
        for texts in (written, {lang: _strip_decorations(text) for lang, text in written.items()}):
            found = {self._exact.get((lang, text), "") for lang, text in texts.items()} - {""}
            if found:
                return found.pop() if len(found) == 1 and None not in found else None
        return None

    @staticmethod
    def _query(v: Vacancy) -> str:
        """What is scored: the title without its decorations (as written when that leaves nothing)."""
        return undecorated(v.title, v.lang if v.lang in ("nl", "en") else None) or v.title

    def _needs_title(self, v: Vacancy) -> bool:
        if self.index is None:
            return False
        kind_code = classify_code(v.occupational_category) if v.occupational_category else None
        if kind_code and kind_code[0] == "esco":
            return False
        if kind_code and kind_code[0] == "onet":
            return len(self.codes.crosswalk.get(kind_code[1], ())) > 1
        return True


def exact_labels(index: LookupIndex) -> dict[tuple[str, str], str | None]:
    """(language, normalised label) -> its occupation; None when the label names several."""
    table: dict[tuple[str, str], str | None] = {}
    for form, text in zip(index.forms, index.normalised):
        key = (form.lang, text)
        table[key] = form.concept_id if table.get(key, form.concept_id) == form.concept_id else None
    return table
