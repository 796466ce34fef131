"""Client profiles from measurement rows, a whole batch at a time.

A measurement row is what the graph stores (ingest/measurement_ingest.measurement_row, or read
back from Neo4j): its scale levels become evidence through the instrument profiles' scale
mappings, its work history through every requirement of each occupation (from the atlas,
cached; matcher/profile.py says at which level and strength). The evidence of every client in the batch goes into columns and is combined in one pass
(matcher/profile_columns.py); the result is written out in the stored format
(matcher/profile_store.py) with the client's gate (matcher/profile.client_gate).

Scale mappings are kept as compressed rows over a numbered scale list: scale n's targets are
entries starts[n]..starts[n+1] of (competency code, strength), so a batch's ~300,000 scores expand
into evidence with a few array operations instead of one Python object each.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from competency_atlas.certificates import Certificate, recognise_all, shipped_certificates
from competency_atlas.instrument_profiles import InstrumentProfile
from matcher.profile import (MEASURED_CONFIDENCE, GateFact, client_gate, experience_level, experience_strength,
                             mapping_strength)
from matcher.profile_columns import Combined, EvidenceColumns, combine
from matcher.preferences import client_preferences, documents
from matcher.profile_store import native_date

WORK_HISTORY = "work history: "
CERTIFICATE = "certificate: "


class _Vocabulary:
    """Competency URI <-> code, codes given on first sight; `ranks()` maps codes to URI order."""

    def __init__(self) -> None:
        self.code: dict[str, int] = {}
        self.uris: list[str] = []

    def of(self, uri: str) -> int:
        code = self.code.get(uri)
        if code is None:
            code = self.code[uri] = len(self.uris)
            self.uris.append(uri)
        return code

    def ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """(rank per code, URI per rank)."""
        order = np.argsort(np.array(self.uris, dtype=object), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank, np.array(self.uris, dtype=object)[order]


Requirements = Callable[[list[str]], dict[str, list[tuple[str, float, bool]]]]


@dataclass(frozen=True)
class _Asks:
    """What one occupation requires, as arrays: competency codes, required levels, essential flags."""
    codes: np.ndarray
    required: np.ndarray
    essential: np.ndarray


class ProfileBuilder:
    def __init__(self, profiles: dict[str, InstrumentProfile], occupation_requirements: Requirements,
                 certificates: tuple[Certificate, ...] | None = None):
        self.profiles = profiles
        self.certificates = shipped_certificates() if certificates is None else certificates
        self.vocabulary = _Vocabulary()
        self.scale_number: dict[str, dict[str, int]] = {}  # instrument -> scale id -> number
        starts, competencies, strengths, stable = [0], [], [], []
        for p in profiles.values():
            numbers = self.scale_number[p.id] = {}
            for s in p.scales:
                numbers[s.id] = len(starts) - 1
                for m in s.maps_to:
                    competencies.append(self.vocabulary.of(m.competency))
                    strengths.append(mapping_strength(m.weight, m.match) * MEASURED_CONFIDENCE)
                stable.append(s.trait == "stable")
                starts.append(len(competencies))
        self.starts = np.array(starts, dtype=np.int64)
        self.target = np.array(competencies, dtype=np.int64)
        self.target_strength = np.array(strengths, dtype=float)
        self.scale_stable = np.array(stable, dtype=bool)
        self.sensitive_mapped = {p.id for p in profiles.values() if any(s.sensitive and s.maps_to for s in p.scales)}
        self._load_requirements = occupation_requirements
        self._asks: dict[str, _Asks] = {}  # occupation -> its requirements

    def requirements(self, uris: Iterable[str]) -> dict[str, _Asks]:
        missing = sorted({u for u in uris if u not in self._asks})
        if missing:
            for uri, rows in self._load_requirements(missing).items():
                self._asks[uri] = _Asks(np.array([self.vocabulary.of(c) for c, _, _ in rows], dtype=np.int64),
                                        np.array([lv for _, lv, _ in rows], dtype=float),
                                        np.array([e for _, _, e in rows], dtype=bool))
        return self._asks

    # ------------------------------------------------------------------ the batch

    def derive_clients(self, rows: list[dict]) -> dict[str, tuple[dict, dict | None]]:
        """Per client in `rows` (all their measurements): the profile row {key, props} and the
        work-history row {key, jobs} (None without work history)."""
        keys = list(dict.fromkeys(r["client_key"] for r in rows))
        number = {k: i for i, k in enumerate(keys)}
        jobs_of = self._jobs(rows)
        evidence = _Columns(self)
        rows_of: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            self._measured(evidence, number[row["client_key"]], row)
            self._documents(evidence, number[row["client_key"]], row)
            rows_of[row["client_key"]].append(row)
        asks = self.requirements(j["occupation"] for jobs in jobs_of.values() for j in jobs)
        for key, jobs in jobs_of.items():
            for job in jobs:
                evidence.add_experience(number[key], job, asks.get(job["occupation"]))
        rank, uris = self.vocabulary.ranks()
        sources, combined = evidence.combine(rank)
        gates = self._gates(rows)
        bounds = combined.client_bounds(len(keys))
        written = _Written(combined, uris, sources)
        out = {}
        for i, key in enumerate(keys):
            props = written.props(bounds[i], bounds[i + 1])
            gate = gates[key]
            props.update(gate=gate.status, gate_reasons=list(gate.reasons), gate_sources=list(gate.sources),
                         gate_measured=gate.measured,
                         **client_preferences(rows_of[key], self.profiles))
            out[key] = ({"key": key, "props": props}, _work_row(key, jobs_of.get(key, [])))
        return out

    def derive(self, new: list[dict], stored: list[dict]) -> tuple[list[dict], list[dict]]:
        derived = self.derive_clients(stored + new)
        return [p for p, _ in derived.values()], [j for _, j in derived.values() if j is not None]

    def _measured(self, evidence: "_Columns", client: int, row: dict) -> None:
        numbers = self.scale_number.get(row["instrument"], {})
        scales, levels = row["scale_ids"], row["levels"]
        if row["instrument"] in self.sensitive_mapped:
            scores = json.loads(row["sensitive_json"] or "{}").get("scores", {})
            scales, levels = [*scales, *scores], [*levels, *(v["level"] for v in scores.values())]
        evidence.add_scores(client, [numbers.get(s, -1) for s in scales], levels,
                            native_date(row["measured_at"]).toordinal(), row["id"])

    def _documents(self, evidence: "_Columns", client: int, row: dict) -> None:
        """Certificates, licences and courses: each recognised one is inferred evidence for what it
        maps to, dated at the measurement that named it."""
        day = native_date(row["measured_at"]).toordinal()
        for text in documents(row):
            for found in recognise_all(text, self.certificates):
                c = found.certificate
                evidence.add_document(client, [self.vocabulary.of(m.competency) for m in c.maps_to],
                                      [m.level for m in c.maps_to], c.confidence, day, CERTIFICATE + c.label_nl)

    @staticmethod
    def _jobs(rows: list[dict]) -> dict[str, list[dict]]:
        jobs_of: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            jobs_of[r["client_key"]] += [j for j in json.loads(r["work_history_json"] or "[]") if j.get("occupation")]
        return jobs_of

    @staticmethod
    def _gates(rows: list[dict]) -> dict:
        facts: dict[str, list[GateFact]] = defaultdict(list)
        for r in rows:
            facts[r["client_key"]].append(GateFact(
                r["instrument"], native_date(r["measured_at"]), r["id"], bool(r["gate_block_given"]),
                tuple((g["status"], g["reason"]) for g in json.loads(r["gates_json"] or "[]"))))
        return {key: client_gate(fs) for key, fs in facts.items()}


def _work_row(key: str, jobs: list[dict]) -> dict | None:
    years: dict[str, float | None] = {}
    for job in jobs:
        uri, known = job["occupation"], years.get(job["occupation"])
        years[uri] = job.get("years") if known is None else max(known, job.get("years") or 0.0)
    return {"key": key, "jobs": [{"uri": u, "years": y} for u, y in sorted(years.items())]} if years else None


class _Columns:
    """A batch's evidence, gathered as plain lists (scores) and per-job arrays (inferred skills),
    turned into EvidenceColumns once: per-measurement NumPy calls would cost more than they save."""

    def __init__(self, builder: ProfileBuilder) -> None:
        self.b = builder
        self.sources: list[str] = []
        # per score
        self.scale: list[int] = []
        self.level: list[float] = []
        self.measurement: list[int] = []
        # per measurement
        self.m_client: list[int] = []
        self.m_day: list[int] = []
        self.m_source: list[int] = []
        # per job: the occupation's requirements, and the job's client, date, source and years
        self.asks: list[_Asks] = []
        self.j_client: list[int] = []
        self.j_day: list[int] = []
        self.j_source: list[int] = []
        self.j_years: list[float | None] = []
        # per piece of documented evidence (certificates, licences, courses)
        self.d_client: list[int] = []
        self.d_code: list[int] = []
        self.d_level: list[float] = []
        self.d_strength: list[float] = []
        self.d_day: list[int] = []
        self.d_source: list[int] = []

    def add_scores(self, client: int, scales: list[int], levels: list[float], day: int, source: str) -> None:
        self.scale += scales
        self.level += levels
        self.measurement += [len(self.m_client)] * len(scales)
        self.m_client.append(client)
        self.m_day.append(day)
        self.m_source.append(self._source(source))

    def add_experience(self, client: int, job: dict, asks: _Asks | None) -> None:
        if asks is None or len(asks.codes) == 0:
            return
        self.asks.append(asks)
        self.j_client.append(client)
        self.j_day.append(date.fromisoformat(job["until"]).toordinal())
        self.j_source.append(self._source(WORK_HISTORY + job["occupation"]))
        self.j_years.append(job.get("years"))

    def add_document(self, client: int, codes: list[int], levels: list[float], strength: float, day: int,
                     source: str) -> None:
        if not codes:
            return
        code = self._source(source)
        n = len(codes)
        self.d_client += [client] * n
        self.d_code += codes
        self.d_level += levels
        self.d_strength += [strength] * n
        self.d_day += [day] * n
        self.d_source += [code] * n

    def _documented(self) -> list[np.ndarray]:
        n = len(self.d_code)
        return [np.array(self.d_client, dtype=np.int64), np.array(self.d_code, dtype=np.int64),
                np.array(self.d_level, dtype=float), np.array(self.d_strength, dtype=float),
                np.array(self.d_day, dtype=np.int64), np.zeros(n, dtype=bool), np.ones(n, dtype=bool),
                np.array(self.d_source, dtype=np.int64)]

    def _source(self, text: str) -> int:
        self.sources.append(text)
        return len(self.sources) - 1

    def _scores(self) -> list[np.ndarray]:
        scales = np.array(self.scale, dtype=np.int64)
        known = scales >= 0  # a scale the current profile no longer has is not evidence
        scales, level = scales[known], np.array(self.level, dtype=float)[known]
        m = np.array(self.measurement, dtype=np.int64)[known]
        starts = self.b.starts
        counts = starts[scales + 1] - starts[scales]
        # entry j of scale n is target starts[n] + j: a compressed-row expansion
        at = np.repeat(starts[scales] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
        m = np.repeat(m, counts)
        return [np.array(self.m_client, dtype=np.int64)[m], self.b.target[at], np.repeat(level, counts),
                self.b.target_strength[at], np.array(self.m_day, dtype=np.int64)[m],
                np.repeat(self.b.scale_stable[scales], counts), np.zeros(len(at), dtype=bool),
                np.array(self.m_source, dtype=np.int64)[m]]

    def _inferred(self) -> list[np.ndarray]:
        counts = np.array([len(a.codes) for a in self.asks], dtype=np.int64)
        n = int(counts.sum())

        def per_job(values: list, dtype) -> np.ndarray:
            return np.repeat(np.array(values, dtype=dtype), counts)

        def joined(parts: list[np.ndarray], dtype) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return [per_job(self.j_client, np.int64), joined([a.codes for a in self.asks], np.int64),
                joined([experience_level(a.required, y) for a, y in zip(self.asks, self.j_years)], float),
                joined([experience_strength(a.essential, y) for a, y in zip(self.asks, self.j_years)], float),
                per_job(self.j_day, np.int64), np.zeros(n, dtype=bool), np.ones(n, dtype=bool),
                per_job(self.j_source, np.int64)]

    def combine(self, rank: np.ndarray) -> tuple[np.ndarray, Combined]:
        """(source text per code, the combined batch), competency codes as URI ranks."""
        cols = [np.concatenate(parts) for parts in zip(self._scores(), self._inferred(), self._documented())]
        # source codes in text order: the stored profile lists each entry's sources sorted
        texts, code = np.unique(np.array(self.sources, dtype=object), return_inverse=True)
        return texts, combine(EvidenceColumns(
            client=cols[0], competency=rank[cols[1]], level=cols[2], strength=cols[3], day=cols[4], stable=cols[5],
            inferred=cols[6], source=code.reshape(-1)[cols[7]]))


class _Written:
    """A combined batch as stored profile properties (matcher/profile_store.py), per client."""

    def __init__(self, combined: Combined, uris: np.ndarray, sources: np.ndarray):
        self.c = combined
        self.uris = uris[combined.competency].tolist()
        self.levels, self.confidences = combined.level.tolist(), combined.confidence.tolist()
        dates = {d: date.fromordinal(d) for d in np.unique(combined.day).tolist()}
        self.as_of = [dates[d] for d in combined.day.tolist()]
        self.inferred = combined.inferred.tolist()
        self.traits = np.where(combined.stable, "stable", "trainable").tolist()
        self.sources = sources
        self.ends = combined.source_ends

    def props(self, lo: int, hi: int) -> dict:
        first = int(self.ends[lo - 1]) if lo > 0 else 0
        last = int(self.ends[hi - 1]) if hi > lo else first
        codes = self.c.source_codes[first:last]
        table = np.unique(codes)  # this client's sources, in text order
        return {"profile_competencies": self.uris[lo:hi], "profile_levels": self.levels[lo:hi],
                "profile_confidences": self.confidences[lo:hi], "profile_as_of": self.as_of[lo:hi],
                "profile_inferred": self.inferred[lo:hi], "profile_traits": self.traits[lo:hi],
                "profile_sources": self.sources[table].tolist(),
                "profile_source_refs": np.searchsorted(table, codes).tolist(),
                "profile_source_ends": (self.ends[lo:hi] - first).tolist()}
