"""Certificates, licences, courses and diplomas as competency evidence. Pure code: the only I/O is
reading certificates.yaml, the reviewed mapping from documents to atlas competencies.

Recognition of free text ("VCA-basis", "C-rijbewijs", "NT2 niveau B1", "mbo 2 logistiek"):
text and names are normalised alike (case, accents, punctuation, words such as "certificaat",
"diploma", "behaald", years), and a name matches when every one of its words occurs in the text:

- codes (up to four characters, or with a digit: c, ce, b1, vol, ehbo, 2, nt2) exactly, because
  one letter is the whole difference between licences C, CE and B, or between EHBO and hbo;
- longer words within a small Levenshtein distance (rapidfuzz): one edit up to eight letters, two
  beyond. That forgives a typo ("heftruk", "rijbewys", "verzorgend") but not another compound
  ("busrijbewijs" is three edits from "rijbewijs", "reachtruck" three from "heftruck"); a ratio
  threshold cannot tell these apart, since a long shared tail scores high whatever the prefix.

Word order and extra words do not matter ("C-rijbewijs", "VCA basis behaald bij SOG"). Among the
names that match, the most specific wins: the one that accounts for most letters of the text
(minus its edits), so "vca vol" beats "vca", "mbo 2 logistiek" beats "mbo 2" and "rijbewijs c"
beats a bare "rijbewijs". The score is 100 x (1 - edits / letters of the name). Text that says the
document is not held ("geen rijbewijs", "bezig met VCA") is not recognised.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

DEFAULT_PATH = Path(__file__).with_name("certificates.yaml")
KINDS = frozenset({"licence", "certificate", "course", "diploma", "language"})
# A certificate name is a few words; a longer piece of text is a story, whose incidental words
# would match names by accident.
MAX_WORDS = 12

_FIELDS = frozenset({"id", "kind", "label_nl", "label_en", "names", "implies", "maps_to",
                     "confidence", "half_life_years", "note"})
_REQUIRED = ("id", "kind", "label_nl", "label_en", "names", "maps_to", "confidence")
_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_COMPETENCY = re.compile(r"^(http://data\.europa\.eu/esco/skill/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
                         r"|onet:[0-9](\.[0-9A-Za-z]+)+)$")

# Words that say nothing about which document it is.
_FILLER = frozenset("""certificaat certificaten certificate certificering diploma diplomas behaald
    gehaald geslaagd afgerond cursus course opleiding training examen exam niveau nivo level geldig
    tot in de het een van voor bij met en""".split())
# Words that say the document is not (yet) held.
_NOT_HELD = frozenset("geen niet no not zonder without bezig volgt lopend lopende".split())
_Fail = Callable[[str, str], NoReturn]  # raises ValueError(entry, field, problem)
_YEAR = re.compile(r"^(19|20)[0-9]{2}$")
_AGENT_SUFFIX = re.compile(r"(?<=\w)(['’`´](ers?|s)|-ers?)\b")   # "BHV'er", "PM-er", "VCA's"
_NT2 = re.compile(r"\bnt[\s-]*2\b")                                # "NT 2", "NT-2"
_TRAILER = re.compile(r"\b([bcd])\s*\+\s*e\b")                    # "B+E" is licence BE, not B and E
# Free text lists several documents: "rijbewijs B + C", "VCA, BHV en EHBO" (but not "B+E").
_SEPARATORS = re.compile(r"[,;/|\n•]|\+(?!\s*e\b)|\s+(?:en|met|&)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class CertificateMapping:
    competency: str  # ESCO skill URI or onet:<Element ID>
    label: str       # ESCO preferred label / O*NET element name, for reviewers
    level: float     # 0..1: what holding the document shows


@dataclass(frozen=True)
class Certificate:
    id: str
    kind: str
    label_nl: str
    label_en: str
    names: tuple[str, ...]
    maps_to: tuple[CertificateMapping, ...]
    confidence: float                 # 0..1: how much the document proves
    implies: tuple[str, ...] = ()
    half_life_years: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Recognised:
    certificate: Certificate
    score: float                   # 0-100: how closely the text spells the name that matched
    text: str                      # the (piece of) text it was recognised in
    name: str                      # the name or label that matched
    implied_by: str | None = None  # set when it was not named but follows from this certificate id


# ---------------------------------------------------------------- loading and validation

def load_certificates(path: Path | str | None = None) -> tuple[Certificate, ...]:
    """Reads and validates the mapping; any problem is a ValueError naming the entry and field."""
    path = Path(path) if path is not None else DEFAULT_PATH
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("certificates"), list):
        raise ValueError(f"{path}: expected a mapping with a list 'certificates'")
    certificates = tuple(_certificate(entry, f"{path}: certificates[{i}]")
                         for i, entry in enumerate(data["certificates"]))
    _check_together(certificates, path)
    return certificates


def _certificate(entry: Any, where: str) -> Certificate:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(entry).__name__}")
    where = f"{where} ({entry.get('id', '?')})"

    def fail(field: str, problem: str) -> NoReturn:
        raise ValueError(f"{where}: field '{field}': {problem}")

    for field in sorted(set(entry) - _FIELDS):
        fail(field, "unknown field")
    for field in _REQUIRED:
        if field not in entry:
            fail(field, "missing")
    if not isinstance(entry["id"], str) or not _ID.match(entry["id"]):
        fail("id", f"must be snake_case, got {entry['id']!r}")
    if entry["kind"] not in KINDS:
        fail("kind", f"must be one of {', '.join(sorted(KINDS))}, got {entry['kind']!r}")
    for field in ("label_nl", "label_en", "note"):
        if field in entry and (not isinstance(entry[field], str) or not entry[field].strip()):
            fail(field, "must be a non-empty text")
    names = _strings(entry["names"], "names", fail)
    if not names:
        fail("names", "must list at least one name")
    for k, name in enumerate(names):
        if name != name.lower():
            fail(f"names[{k}]", f"must be lower-case, got {name!r}")
    for field, name in [("label_nl", entry["label_nl"]), ("label_en", entry["label_en"])] + \
            [(f"names[{k}]", n) for k, n in enumerate(names)]:
        tokens = normalise(name)
        if not tokens or len(tokens) > MAX_WORDS or _NOT_HELD.intersection(tokens):
            fail(field, f"{name!r} can never be recognised (no words left after normalising, "
                        f"more than {MAX_WORDS} words, or a word such as 'geen')")
    implies = _strings(entry.get("implies", []), "implies", fail)
    if not isinstance(entry["maps_to"], list):
        fail("maps_to", "must be a list (empty for a document that proves no competency)")
    maps_to = tuple(_mapping(m, f"maps_to[{k}]", fail) for k, m in enumerate(entry["maps_to"]))
    competencies = [m.competency for m in maps_to]
    if len(set(competencies)) != len(competencies):
        fail("maps_to", "names a competency twice")
    half_life = entry.get("half_life_years")
    if half_life is not None and (not _is_number(half_life) or half_life <= 0):
        fail("half_life_years", f"must be a positive number (omit it for never), got {half_life!r}")
    return Certificate(
        id=entry["id"], kind=entry["kind"], label_nl=entry["label_nl"], label_en=entry["label_en"],
        names=names, maps_to=maps_to, confidence=_unit(entry["confidence"], "confidence", fail),
        implies=implies, half_life_years=float(half_life) if half_life is not None else None,
        note=entry.get("note", ""))


def _mapping(value: Any, field: str, fail: _Fail) -> CertificateMapping:
    if not isinstance(value, dict) or set(value) != {"competency", "label", "level"}:
        fail(field, "must have exactly competency, label and level")
    if not isinstance(value["competency"], str) or not _COMPETENCY.match(value["competency"]):
        fail(f"{field}.competency", f"must be an ESCO skill URI or onet:<element id>, got {value['competency']!r}")
    if not isinstance(value["label"], str) or not value["label"].strip():
        fail(f"{field}.label", "must be a non-empty text")
    return CertificateMapping(value["competency"], value["label"], _unit(value["level"], f"{field}.level", fail))


def _strings(value: Any, field: str, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        fail(field, "must be a list of non-empty texts")
    return tuple(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _unit(value: Any, field: str, fail: _Fail) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        fail(field, f"must be a number in [0, 1], got {value!r}")
    return float(value)


def _check_together(certificates: tuple[Certificate, ...], path: Path) -> None:
    """Unique ids, known implies, and no name that two entries share (it could only go to one)."""
    index: dict[str, int] = {}
    for i, cert in enumerate(certificates):
        if cert.id in index:
            raise ValueError(f"{path}: certificates[{i}] ({cert.id}): field 'id': "
                             f"repeats certificates[{index[cert.id]}]")
        index[cert.id] = i
    owner: dict[tuple[str, ...], str] = {}
    for i, cert in enumerate(certificates):
        where = f"{path}: certificates[{i}] ({cert.id})"
        for k, implied in enumerate(cert.implies):
            if implied not in index or implied == cert.id:
                raise ValueError(f"{where}: field 'implies[{k}]': unknown or own id {implied!r}")
        for name in {normalise(n) for n in (*cert.names, cert.label_nl, cert.label_en)}:
            other = owner.setdefault(name, cert.id)
            if other != cert.id:
                raise ValueError(f"{where}: field 'names': {' '.join(name)!r} is also a name of {other}")


@lru_cache(maxsize=1)
def shipped_certificates() -> tuple[Certificate, ...]:
    """The shipped mapping, read and validated once per process (it changes with a release)."""
    return load_certificates()


# ---------------------------------------------------------------- recognition

def normalise(text: str) -> tuple[str, ...]:
    """The words of a text that can identify a document: lower-case ASCII, filler words dropped."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    text = _TRAILER.sub(r"\1e", _NT2.sub("nt2", _AGENT_SUFFIX.sub("", text)))
    return tuple(w for w in re.findall(r"[a-z0-9]+", text) if w not in _FILLER and not _YEAR.match(w))


def _is_code(word: str) -> bool:
    return len(word) <= 4 or any(c.isdigit() for c in word)


def _allowed_edits(word: str) -> int:
    return 1 if len(word) <= 8 else 2


@dataclass(frozen=True)
class _Name:
    certificate: Certificate
    name: str
    codes: frozenset[str]
    words: tuple[str, ...]
    size: int  # letters of its words: how much of a text it accounts for


@lru_cache(maxsize=8)
def _index(certificates: tuple[Certificate, ...]) -> tuple[tuple[_Name, ...], tuple[str, ...]]:
    names, seen = [], set()
    for cert in certificates:
        for name in (*cert.names, cert.label_nl, cert.label_en):
            tokens = normalise(name)
            if tokens and (cert.id, tokens) not in seen:
                seen.add((cert.id, tokens))
                names.append(_Name(cert, name, frozenset(t for t in tokens if _is_code(t)),
                                   tuple(t for t in tokens if not _is_code(t)), sum(map(len, tokens))))
    return tuple(names), tuple(sorted({w for n in names for w in n.words}))


def _certificates(certificates: Sequence[Certificate] | None) -> tuple[Certificate, ...]:
    return shipped_certificates() if certificates is None else tuple(certificates)


def _match(tokens: tuple[str, ...], text: str, certificates: tuple[Certificate, ...]) -> Recognised | None:
    if not tokens or len(tokens) > MAX_WORDS or _NOT_HELD.intersection(tokens):
        return None
    names, vocabulary = _index(certificates)
    if not names:
        return None
    # Dutch writes compounds joined and apart ("vrachtwagen rijbewijs"): offer adjacent pairs joined too.
    candidates = list(tokens) + [a + b for a, b in zip(tokens, tokens[1:])]
    edits = dict(zip(vocabulary, process.cdist(vocabulary, candidates, scorer=Levenshtein.distance).min(axis=1)))
    present = set(tokens)
    best: tuple[tuple[int, int], _Name] | None = None
    for name in names:
        if not name.codes <= present or any(edits[w] > _allowed_edits(w) for w in name.words):
            continue
        cost = int(sum(edits[w] for w in name.words))
        if best is None or (name.size - cost, -cost) > best[0]:
            best = ((name.size - cost, -cost), name)
    if best is None:
        return None
    (matched, cost), name = best
    return Recognised(name.certificate, round(100.0 * matched / name.size, 1), text, name.name)


def recognise(text: str, certificates: Sequence[Certificate] | None = None) -> Recognised | None:
    """The one certificate a short text names, or None (never raises). Default: the shipped mapping."""
    if not isinstance(text, str):
        return None
    return _match(normalise(text), text, _certificates(certificates))


def recognise_all(text: str, certificates: Sequence[Certificate] | None = None) -> tuple[Recognised, ...]:
    """Every certificate a text names ("rijbewijs B + C", "VCA, BHV en EHBO"), in text order, then
    the ones they imply (marked implied_by). Each certificate appears once, with its best score."""
    if not isinstance(text, str):
        return ()
    certificates = _certificates(certificates)
    found: dict[str, Recognised] = {}
    context: tuple[str, ...] = ()
    for piece in map(str.strip, _SEPARATORS.split(text)):
        tokens = normalise(piece)
        hit = _match(tokens, piece, certificates)
        if hit is None and context and tokens:
            # "rijbewijs B + C", "NT2 A2/B1": a bare code borrows the head of the piece before it.
            tokens = context[:-1] + tokens
            hit = _match(tokens, piece, certificates)
        context = tokens if hit is not None else ()
        if hit is not None and (hit.certificate.id not in found or hit.score > found[hit.certificate.id].score):
            found[hit.certificate.id] = hit
    by_id = {c.id: c for c in certificates}
    for hit in list(found.values()):
        for implied in _implied(hit.certificate, by_id):
            found.setdefault(implied.id, Recognised(implied, hit.score, hit.text, hit.name,
                                                    implied_by=hit.certificate.id))
    return tuple(found.values())


def _implied(certificate: Certificate, by_id: dict[str, Certificate]) -> list[Certificate]:
    """Everything a certificate implies, transitively (CE -> C, BE -> B -> AM)."""
    seen: list[str] = []
    todo = list(certificate.implies)
    while todo:
        cid = todo.pop(0)
        if cid not in seen and cid != certificate.id and cid in by_id:
            seen.append(cid)
            todo.extend(by_id[cid].implies)
    return [by_id[cid] for cid in seen]
