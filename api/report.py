"""The client report (rapportage, issue 14 item 6) as plain data: pure functions, no I/O.

`report_content(facts, options)` turns what the services read about one client into the report's
content: only words and rounded numbers a client reads (no URIs, no codes), in a fixed order, so
the same data always gives the same content. `content_hash` is the SHA-256 of its canonical JSON:
acknowledgements ("gezien en besproken") refer to that hash, so a re-render of the same data has
the same hash and any change of data or agreements gives a new one.

The psychological blocks (gate and its reasons, ABC cluster, balance, stressors, locus of control,
WCM life domains) are in the content only when the coach chose to include them; that choice is
itself part of the content (and so of the hash).
"""
from __future__ import annotations

import hashlib
import json

from competency_atlas.names import name_in

FORMAT = 2          # bump when the content's shape changes (old hashes then differ on purpose)
STRENGTHS = 5       # the client's highest measured competencies
MIN_STRENGTH = 0.5  # below this a level is not called a strength
DEVELOP = 8         # competencies to develop, essential first (and as many not measured yet)
SHORTFALL = ("missing", "partly_met")  # measured below what the work asks
MAX_AGREEMENTS = 4000
LANGS = ("nl", "en")
OBSERVATION = "observed"

# Level in words (B1): a client reads "sterk", not "0.72".
STRENGTH_WORDS = ((0.8, ("zeer sterk", "very strong")), (0.65, ("sterk", "strong")), (0.0, ("goed", "good")))

def options(agreements: str = "", include_sensitive: bool = False, lang: str = "nl") -> dict:
    """The coach's choices for a report: the agreements text, whether the sensitive blocks are
    in it, and its language (kept with the version, so switching the screen's language does not
    change an acknowledged report)."""
    text = "\n".join(line.rstrip() for line in (agreements or "").replace("\r\n", "\n").strip().split("\n"))
    return {"agreements": text[:MAX_AGREEMENTS], "include_sensitive": bool(include_sensitive),
            "lang": lang if lang in LANGS else "nl"}


def options_of(content: dict | None) -> dict:
    """The choices a stored report was made with (defaults when there is none yet)."""
    if not content:
        return options()
    return options(content.get("agreements", ""), content.get("sensitive") is not None, content.get("lang", "nl"))


def _word(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def strength_word(level: float, lang: str) -> str:
    return next(_word(words, lang) for floor, words in STRENGTH_WORDS if level >= floor)


def pct(x: float | None) -> int | None:
    return None if x is None else int(round(100 * float(x)))


def _fit(row: dict) -> dict:
    return {"fit": pct(row["fit"]), "low": pct(row["fit_low"]), "high": pct(row["fit_high"]),
            "measured": pct(row["measured"]), "inferred": pct(row["coverage"] - row["measured"])}


def _decision(d: dict | None, reason_words: dict[str, str]) -> dict | None:
    if not d:
        return None
    return {"choice": d["choice"], "reason": reason_words.get(d.get("reason_code") or "", ""),
            "text": (d.get("reason_text") or "").strip(), "date": (d.get("at") or "")[:10]}


def measured(measurements: list[dict], names: dict[str, str], observation: frozenset[str], lang: str) -> list[dict]:
    """Who measured what and when: one line per administration, oldest first."""
    rows = []
    for m in measurements:
        inst = m.get("instrument") or ""
        what = ("waarneming coach" if lang == "nl" else "coach observation") if inst in observation \
            else names.get(inst, inst.upper())
        rows.append({"what": what, "date": str(m.get("measured_at") or "")[:10],
                     "by": m.get("administered_by") or None})
    return sorted(rows, key=lambda r: (r["date"], r["what"], r["by"] or ""))


def strengths(competencies: list[dict], lang: str, include_sensitive: bool = False) -> list[dict]:
    """The highest measured (or coach-observed) competencies, in words; inferred evidence (work
    history, certificates) is not called a measured strength, and a competency measured by a
    sensitive scale is left out unless the coach included the sensitive blocks."""
    picked = [c for c in competencies if c.get("evidence") in ("measured", OBSERVATION)
              and float(c.get("level") or 0) >= MIN_STRENGTH and (include_sensitive or not c.get("sensitive"))]
    picked.sort(key=lambda c: (-round(float(c["level"]), 2), c["label"].lower()))
    return [{"competency": c.get("uri"), "label": c["label"], **_foreign(c, lang),
             "word": strength_word(float(c["level"]), lang),
             **_sensitive_mark(c)} for c in picked[:STRENGTHS]]


def _foreign(item: dict, lang: str) -> dict:
    """The language of a label that is not in the report's (an ESCO skill without a Dutch label
    yet), for the page to mark; nothing for a label in the report's language."""
    other = item.get("label_lang")
    return {"label_lang": other} if other and other != lang else {}


def _sensitive_mark(item: dict) -> dict:
    """Marks what a sensitive scale measured, so that a reader other than the coach gets it left out."""
    return {"sensitive": True} if item.get("sensitive") else {}


def develop(gaps: list[dict], lang: str, include_sensitive: bool = False,
            strong: frozenset[str] = frozenset()) -> list[dict]:
    """Competencies to develop over all advised targets: measured below what the work asks (not
    measured is not a shortfall: see `not_measured`), essential first, then by how many vacancies
    within the client's travel radius each opens; each names the advice it is needed for. A
    competency the report calls a strength (`strong`) is not also one to learn: the client would
    read the two as a contradiction. A competency a sensitive scale measured (ABC stabiliteit)
    only when the coach includes the sensitive blocks."""
    merged: dict[str, dict] = {}
    for g in gaps:
        title = g["target"]
        for item in g["gaps"]:
            if item["status"] not in SHORTFALL or item["competency"] in strong \
                    or (item.get("sensitive") and not include_sensitive):
                continue
            row = merged.setdefault(item["competency"], {"label": item["label"], **_foreign(item, lang),
                                                         "essential": False, "opens": 0,
                                                         "reach_km": g.get("reach_km"), "for": [],
                                                         **_sensitive_mark(item)})
            row["essential"] = row["essential"] or bool(item["essential"])
            row["opens"] = max(row["opens"], int(item.get("unlocks") or 0))
            if title and title.lower() not in {t.lower() for t in row["for"]}:
                row["for"].append(title)
    rows = sorted(merged.values(), key=lambda r: (not r["essential"], -r["opens"], r["label"].lower()))
    return [{**r, "for": sorted(r["for"], key=str.lower)} for r in rows[:DEVELOP]]


def not_measured(gaps: list[dict]) -> list[str]:
    """What the advised work asks and nobody measured yet, essential first: to measure, not to learn."""
    found: dict[str, tuple[bool, str]] = {}
    for g in gaps:
        for item in g["gaps"]:
            if item["status"] == "unknown":
                essential = found.get(item["competency"], (False, ""))[0] or bool(item["essential"])
                found[item["competency"]] = (essential, item["label"])
    return [label for _, label in sorted(found.values(), key=lambda e: (not e[0], e[1].lower()))][:DEVELOP]


def foreign_labels(gaps: list[dict], lang: str) -> dict[str, str]:
    """label -> its language, for the advice's competency labels not in the report's language: the
    page marks them where a list holds plain labels ("not measured yet")."""
    return {item["label"]: item["label_lang"] for g in gaps for item in g["gaps"]
            if item.get("label_lang") not in (None, lang)}


def _place(v: dict) -> str | None:
    m = v.get("municipality")
    return None if not m or (m[:2] == "GM" and m[2:].isdigit()) else m  # a CBS code is not a place name


def measured_advice(rows: list[dict]) -> list[dict]:
    """Advice with some evidence behind it (measured or inferred): a fit where nothing is known is
    the prior's guess (50 %, 0-100 %), and a client reading it as advice would draw the wrong conclusion."""
    return [r for r in rows if r.get("coverage", 0) > 0]


def vacancies(rows: list[dict], decisions: dict[str, dict], reason_words: dict[str, str]) -> list[dict]:
    return [{"title": r["vacancy"].get("title") or "", "employer": r["vacancy"].get("employer") or None,
             "place": _place(r["vacancy"]),
             "km": None if r.get("distance_km") is None else int(round(r["distance_km"])), **_fit(r),
             "decision": _decision(decisions.get("vacancy:" + r["vacancy"]["id"]), reason_words)}
            for r in measured_advice(rows)]


def occupations(rows: list[dict], decisions: dict[str, dict], reason_words: dict[str, str], lang: str) -> list[dict]:
    out = []
    for r in measured_advice(rows):
        o = r["occupation"]
        title = o.get("label") or name_in(o, lang, "")[0]
        out.append({"title": title, **_foreign(o, lang), **_fit(r),
                    "decision": _decision(decisions.get("occupation:" + o["uri"]), reason_words)})
    return out


def sensitive(facts: dict, names: dict[str, str]) -> dict:
    """The psychological blocks, only when the coach chose to include them: per measurement its
    blocks and scales as the instrument names them (`sensitive_words`, read by the service), and the
    gate with its reasons in the report's language."""
    blocks = []
    for m in sorted(facts["measurements"], key=lambda m: (str(m.get("measured_at") or ""), m.get("instrument") or "")):
        items = [f"{name}: {value}" for name, value in m.get("sensitive_words") or []]
        if items:
            inst = m.get("instrument") or ""
            blocks.append({"what": names.get(inst, inst.upper()), "date": str(m.get("measured_at") or "")[:10],
                           "items": items})
    return {"gate": facts.get("gate"), "gate_measured": facts.get("gate_measured"),
            "gate_reasons": list(facts.get("gate_reasons") or []), "blocks": blocks}


def for_other_reader(content: dict) -> dict:
    """The report as a reader other than the client's coach (a CTC advisor) may see it: without the
    psychological blocks and without the strengths and points to develop a sensitive scale measured,
    which the coach may have included; `sensitive_withheld` says something was left out."""
    kept = {"strengths": [s for s in content.get("strengths", []) if not s.get("sensitive")],
            "develop": [d for d in content.get("develop", []) if not d.get("sensitive")]}
    withheld = content.get("sensitive") is not None or any(len(kept[k]) < len(content.get(k, [])) for k in kept)
    return {**content, **kept, "sensitive": None, "sensitive_withheld": withheld}


def report_content(facts: dict, opts: dict) -> dict:
    """The report as plain data. `facts` (read by api/services/report.py): key, measurements,
    instrument_names, observation_instruments, competencies (label, level, evidence kind, sensitive),
    vacancies and occupations (ranked rows), gaps ([{target, gaps}]), decisions (advice ref ->
    latest decision), reason_words, availability, gate, gate_reasons."""
    lang = opts["lang"]
    names, reasons = facts["instrument_names"], facts["reason_words"]
    return {
        "format": FORMAT,
        "client": facts["key"],
        "lang": lang,
        "measured": measured(facts["measurements"], names, facts["observation_instruments"], lang),
        "strengths": (strong := strengths(facts["competencies"], lang, opts["include_sensitive"])),
        "develop": develop(facts["gaps"], lang, opts["include_sensitive"], frozenset(s["competency"] for s in strong)),
        "not_measured": not_measured(facts["gaps"]),
        "foreign_labels": foreign_labels(facts["gaps"], lang),
        "occupations": occupations(facts["occupations"], facts["decisions"], reasons, lang),
        "vacancies": vacancies(facts["vacancies"], facts["decisions"], reasons),
        "availability": {k: facts["availability"].get(k) for k in ("hours", "radius", "education", "preferences")},
        "agreements": opts["agreements"],
        "sensitive": sensitive(facts, names) if opts["include_sensitive"] else None,
    }


def canonical_json(content: dict) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def content_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of the content as it is read (`read_text`): the version
    acknowledgements refer to."""
    return hashlib.sha256(canonical_json(read_text(content)).encode("utf-8")).hexdigest()


# how a word is marked for a screen reader, not a word the client reads
MARKUP = frozenset({"label_lang", "foreign_labels"})


def read_text(value):
    """The content without its markup: what hashes and comparisons look at, so that marking a
    word's language leaves a version the client acknowledged as it was."""
    if isinstance(value, dict):
        return {k: read_text(v) for k, v in value.items() if k not in MARKUP}
    if isinstance(value, list):
        return [read_text(v) for v in value]
    return value


# The report's parts in reading order: what is about the client, then the advice, which moves
# with the vacancies around them (a report seen yesterday differs today in those alone).
ABOUT_CLIENT = ("measured", "strengths", "availability", "agreements", "sensitive")
ADVICE = ("occupations", "vacancies", "develop", "not_measured")


def changed_parts(seen: list[dict], now: dict) -> list[str]:
    """The parts of the current report that differ from any version seen (each role's last one,
    so nothing that changed for the client is left out because the coach saw it since); [] when a
    version seen is in another language or format, where every sentence differs."""
    if any((v.get("lang"), v.get("format")) != (now.get("lang"), now.get("format")) for v in seen):
        return []
    return [part for part in (*ABOUT_CLIENT, *ADVICE)
            if any(read_text(v.get(part)) != read_text(now.get(part)) for v in seen)]


def versions_seen_before(state: dict) -> list[str]:
    """The hashes of the versions each role last acknowledged, where that is not the current one."""
    return list(dict.fromkeys(r["ack"]["hash"] for r in state["roles"].values() if r["ack"] and not r["current"]))


def acknowledgement_state(current_hash: str, acks: list[dict]) -> dict:
    """Per role (coach, client) the newest acknowledgement and whether it is of this version;
    `changed` when an acknowledgement exists for another version (the report changed after it was
    seen), `complete` when both acknowledged this version. `acks`: newest first, each with role,
    by, present, at, hash."""
    roles = {}
    for role in ("coach", "client"):
        mine = [a for a in acks if a["role"] == role]
        this = next((a for a in mine if a["hash"] == current_hash), None)
        roles[role] = {"ack": this or (mine[0] if mine else None), "current": this is not None}
    return {"roles": roles, "changed": any(v["ack"] and not v["current"] for v in roles.values()),
            "complete": all(v["current"] for v in roles.values())}
