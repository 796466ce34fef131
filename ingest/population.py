"""A synthetic client population, deterministic for a seed, written as the files a real export
would be (JSON Lines or the long CSV), so that the demo, the tests and the benchmarks go through
the real ingest path.

How a client is made:
- a generating ESCO occupation (uniform over occupations with at least 5 essential skills, from
  the reference data files); it is written ONLY to `truth.csv`, never into the measurements, so
  a matching-quality benchmark can check whether the matcher finds it back;
- a latent general ability a ~ N(0, 1); for every scale that maps onto atlas competencies the
  client's true level is 0.45 + 0.12·a + 0.25·fit + N(0, 0.12), where fit is the share of the
  scale's ESCO competencies that the occupation lists (essential or optional) plus a small bias
  by ISCO major group (managers lead, professionals think, sales staff sell); the instrument then
  reports that level with its own noise (N(0, 0.08)) rounded to its integer scale;
- instruments: ABC with p 0.6, CTC 0.5, WCM 0.5 (at least one), a few months apart, within the
  three years before the reference date; about 60 scale scores per client on average;
- ABC cluster: G1-G3 72 %, G4/G5 20 %, G6/G7 8 % (G6/G7: balance and stressors only, no
  competency positions, as the instrument reports them); WCM client profile: not fit for work
  5 %, care first 8 %, participation 12 %, trajectory 35 %, can start now 40 %;
- work history: the generating occupation (1-15 years) and with p 0.4 a second random one, in
  the WCM experience block or given directly; postcode: a random pc4 of
  settings().data_dir/nl-geo/pc4_centroids.csv with two letters; hours, education level, and an
  identity (synthetic name) for 30 % of clients.
"""
from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from competency_atlas.instrument_profiles import InstrumentProfile, load_profiles

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
INSTRUMENT_RATES = {"abc": 0.6, "ctc": 0.5, "wcm": 0.5}
ABC_CLUSTERS = (["G1", "G2", "G3", "G4", "G5", "G6", "G7"], [0.24, 0.26, 0.22, 0.12, 0.08, 0.05, 0.03])
WCM_PROFILES = (["niet_arbeidsgeschikt", "zorg_eerst", "participatie", "traject_naar_werk", "direct_aan_de_slag"],
                [0.05, 0.08, 0.12, 0.35, 0.40])
EDUCATION = (["geen", "vmbo", "mbo", "hbo", "wo"], [0.08, 0.22, 0.40, 0.20, 0.10])
HOURS = [12, 16, 20, 24, 32, 36, 40]
# Theme bias by ISCO major group (first digit): a little realism on top of the skill overlap.
ISCO_THEME_BIAS = {"1": {"leadership": 0.15, "commercial_skills": 0.05}, "2": {"thinking": 0.15, "capacities": 0.1},
                   "3": {"thinking": 0.05}, "4": {"work_style": 0.05}, "5": {"social_skills": 0.1,
                   "commercial_skills": 0.1}, "7": {"workload_capacity": 0.1}, "8": {"workload_capacity": 0.1},
                   "9": {"workload_capacity": 0.1}}
FIRST = ["Anna", "Mohamed", "Sanne", "Daan", "Fatima", "Lucas", "Emma", "Yusuf", "Lotte", "Jan", "Ayse", "Noah"]
LAST = ["de Vries", "Jansen", "Bakker", "El Amrani", "Visser", "Smit", "Yilmaz", "Mulder", "de Boer", "Peters"]


@dataclass(frozen=True)
class Occupation:
    uri: str
    label: str
    isco: str
    essential: tuple[str, ...]
    skills: frozenset[str]  # essential and optional


@lru_cache(maxsize=2)
def load_occupations(data_dir: Path, min_essential: int = 5) -> tuple[Occupation, ...]:
    from competency_atlas.sources import locate

    folders = locate(Path(data_dir))
    essential: dict[str, list[str]] = {}
    every: dict[str, set[str]] = {}
    with open(folders.esco / "occupationSkillRelations_reconstructed.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            every.setdefault(r["occupationUri"], set()).add(r["skillUri"])
            if r["relationType"] == "essential":
                essential.setdefault(r["occupationUri"], []).append(r["skillUri"])
    out = []
    with open(folders.esco / "occupations_en.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            uri = r["conceptUri"]
            if len(essential.get(uri, ())) >= min_essential:
                out.append(Occupation(uri, r["preferredLabel"], r["iscoGroup"], tuple(sorted(essential[uri])),
                                      frozenset(every[uri])))
    return tuple(sorted(out, key=lambda o: o.uri))


@lru_cache(maxsize=2)
def load_postcodes(data_dir: Path) -> tuple[str, ...]:
    with open(Path(data_dir) / "nl-geo" / "pc4_centroids.csv", newline="", encoding="utf-8") as fh:
        return tuple(sorted(r["pc4"].zfill(4) for r in csv.DictReader(fh) if r["lat"]))


class _Instrument:
    """What the generator needs of a profile: per scale its range, direction and mappings."""

    def __init__(self, profile: InstrumentProfile):
        self.profile = profile
        self.scales = profile.scales
        self.low = np.array([s.range.min for s in self.scales])
        self.high = np.array([s.range.max for s in self.scales])
        self.up = np.array([s.direction == "higher_is_better" for s in self.scales])
        self.esco = [[m.competency for m in s.maps_to if m.competency.startswith(ESCO_SKILL_PREFIX)]
                     for s in self.scales]
        self.mapped = np.array([bool(s.maps_to) for s in self.scales])
        self.themes = [s.theme for s in self.scales]

    def fit(self, occupation: Occupation) -> np.ndarray:
        bias = ISCO_THEME_BIAS.get(occupation.isco[:1], {})
        return np.array([(sum(c in occupation.skills for c in esco) / len(esco) if esco else 0.0)
                         + bias.get(theme, 0.0) for esco, theme in zip(self.esco, self.themes)])

    def raw(self, levels: np.ndarray) -> np.ndarray:
        oriented = np.where(self.up, levels, 1.0 - levels)
        return np.rint(self.low + np.clip(oriented, 0, 1) * (self.high - self.low))


def generate(n_clients: int, seed: int, out_dir: Path, *, data_dir: Path | None = None, fmt: str = "jsonl",
             clients_per_file: int = 10_000, key_prefix: str = "P", reference: date = date(2025, 6, 30),
             profiles: dict[str, InstrumentProfile] | None = None) -> dict:
    """Writes out_dir/measurements/*.{jsonl,csv} (grouped by client) and out_dir/truth.csv (the
    generating occupation per client, kept out of the measurements); returns counts."""
    if data_dir is None:
        from graph_schema.settings import settings
        data_dir = settings().data_dir
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"format must be jsonl or csv, got {fmt!r}")
    profiles = profiles or load_profiles()
    instruments = {k: _Instrument(profiles[k]) for k in INSTRUMENT_RATES}
    occupations = load_occupations(Path(data_dir))
    postcodes = load_postcodes(Path(data_dir))
    rng = np.random.default_rng(seed)
    (out_dir / "measurements").mkdir(parents=True, exist_ok=True)
    counts = {"clients": n_clients, "measurements": 0, "scores": 0, "files": []}
    truth = open(out_dir / "truth.csv", "w", newline="", encoding="utf-8")
    truth_writer = csv.writer(truth)
    truth_writer.writerow(["client_key", "occupation_uri", "occupation_label", "abc_cluster", "wcm_client_profile"])
    handle = writer = None
    fit_cache: dict[tuple[str, str], np.ndarray] = {}
    try:
        for i in range(n_clients):
            if i % clients_per_file == 0:
                if handle is not None:
                    handle.close()
                path = out_dir / "measurements" / f"measurements-{i // clients_per_file:04d}.{fmt}"
                handle = open(path, "w", newline="", encoding="utf-8")
                writer = _CsvSink(handle) if fmt == "csv" else None
                counts["files"].append(str(path))
            key = f"{key_prefix}{i:07d}"
            occupation = occupations[int(rng.integers(len(occupations)))]
            records, cluster, wcm_profile = _client(rng, key, occupation, occupations, postcodes, instruments,
                                                    reference, fit_cache)
            truth_writer.writerow([key, occupation.uri, occupation.label, cluster or "", wcm_profile or ""])
            for record in records:
                counts["measurements"] += 1
                counts["scores"] += len(record["scores"]) + sum(
                    len(v) if isinstance(v, dict) else 1 for k, v in record["blocks"].items()
                    if k in ("balance", "stressors", "locus_of_control", "life_domains"))
                if writer is not None:
                    writer.write(record)
                else:
                    handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    finally:
        if handle is not None:
            handle.close()
        truth.close()
    counts["truth"] = str(out_dir / "truth.csv")
    return counts


def _client(rng: np.random.Generator, key: str, occupation: Occupation, occupations: tuple[Occupation, ...],
            postcodes: tuple[str, ...], instruments: dict[str, _Instrument], reference: date,
            fit_cache: dict) -> tuple[list[dict], str | None, str | None]:
    ability = rng.normal()
    taken = [k for k, p in INSTRUMENT_RATES.items() if rng.random() < p] or [
        list(INSTRUMENT_RATES)[int(rng.integers(len(INSTRUMENT_RATES)))]]
    years = float(rng.integers(1, 16))
    jobs = [{"occupation": occupation.uri, "years": years}]
    if rng.random() < 0.4:
        jobs.append({"occupation": occupations[int(rng.integers(len(occupations)))].uri,
                     "years": float(rng.integers(1, 6))})
    client = {"postcode": f"{postcodes[int(rng.integers(len(postcodes)))]} "
                          f"{chr(65 + int(rng.integers(26)))}{chr(65 + int(rng.integers(26)))}",
              "hours_available": float(HOURS[int(rng.integers(len(HOURS)))]),
              "education_level": str(rng.choice(EDUCATION[0], p=EDUCATION[1]))}
    if rng.random() < 0.3:
        first, last = FIRST[int(rng.integers(len(FIRST)))], LAST[int(rng.integers(len(LAST)))]
        client["identity"] = {"name": f"{first} {last}",
                              "email": f"{first.lower()}.{last.lower().replace(' ', '')}.{key.lower()}@example.nl"}
    day = reference - timedelta(days=int(rng.integers(0, 3 * 365)))
    records, cluster, wcm_profile = [], None, None
    for n, instrument_id in enumerate(taken):
        inst = instruments[instrument_id]
        fit = fit_cache.get((instrument_id, occupation.uri))
        if fit is None:
            fit = fit_cache[(instrument_id, occupation.uri)] = inst.fit(occupation)
        true = 0.45 + 0.12 * ability + 0.25 * fit + rng.normal(0, 0.12, len(inst.scales))
        raw = inst.raw(np.clip(true + rng.normal(0, 0.08, len(inst.scales)), 0, 1))
        measured = day - timedelta(days=60 * (len(taken) - 1 - n))
        record = {"client_key": key, "instrument": instrument_id, "instrument_version": inst.profile.version,
                  "measured_at": measured.isoformat(), "administered_by": f"coach C-{int(rng.integers(1, 400)):03d}",
                  "scores": {}, "blocks": {}}
        if instrument_id == "abc":
            cluster = str(rng.choice(ABC_CLUSTERS[0], p=ABC_CLUSTERS[1]))
            _abc(record, inst, raw, cluster, rng)
        else:
            record["scores"] = {s.id: float(v) for s, v in zip(inst.scales, raw)
                                if not s.sensitive}
        if instrument_id == "wcm":
            wcm_profile = str(rng.choice(WCM_PROFILES[0], p=WCM_PROFILES[1]))
            _wcm(record, inst, raw, wcm_profile, jobs, client, rng)
        if instrument_id == "ctc":
            record["blocks"]["tests_taken"] = ["personality", "capacities", "workload_capacity"]
            record["blocks"]["client_question"] = "Welk werk past bij mij?"
        if n == len(taken) - 1:
            record.update({k: v for k, v in client.items() if k != "education_level" or "wcm" not in taken})
            if "wcm" not in taken:
                record["work_history"] = jobs
        records.append(record)
    return records, cluster, wcm_profile


def _abc(record: dict, inst: _Instrument, raw: np.ndarray, cluster: str, rng: np.random.Generator) -> None:
    out_of_balance = cluster in ("G6", "G7")
    groups = {"energy_balance": "balance", "locus_of_control": "locus_of_control", "stressors": "stressors"}
    for scale, value in zip(inst.scales, raw):
        if scale.theme in groups:
            if out_of_balance:  # out of balance: low balance, high stressors
                value = scale.range.max - 1 if scale.direction == "lower_is_better" else scale.range.min + 2
            group = groups[scale.theme]
            if group == "locus_of_control":
                record["blocks"][group] = float(value)
            else:
                record["blocks"].setdefault(group, {})[scale.id] = float(value)
        elif not out_of_balance:  # G6/G7 get no competency positions
            record["scores"][scale.id] = float(value)
    record["blocks"]["cluster"] = cluster


def _wcm(record: dict, inst: _Instrument, raw: np.ndarray, profile: str, jobs: list[dict], client: dict,
         rng: np.random.Generator) -> None:
    record["scores"] = {s.id: float(v) for s, v in zip(inst.scales, raw) if s.theme != "availability"}
    record["blocks"]["life_domains"] = {s.id: float(v) for s, v in zip(inst.scales, raw) if s.theme == "availability"}
    record["blocks"]["client_profile"] = profile
    record["blocks"]["experience"] = {"education_level": client["education_level"],
                                      "work_history": [{"occupation": j["occupation"], "years": j["years"]}
                                                       for j in jobs],
                                      "courses": _courses(record["client_key"]),
                                      "benefit_duration_months": float(rng.integers(0, 48))}
    record["blocks"]["occupation_list"] = [jobs[0]["occupation"]]


# Courses and certificates as clients write them on a WCM form (competency_atlas/certificates.yaml
# recognises them). Drawn from the client key, not from the population's random stream, so that
# adding them left every other generated value as it was.
COURSES = ("VCA basis", "Heftruckcertificaat", "BHV", "Rijbewijs B", "Rijbewijs C", "SVH Sociale Hygiëne",
           "NT2 niveau B1", "HACCP", "EHBO", "mbo 2 logistiek medewerker")


def _courses(key: str) -> list[str]:
    draw = np.random.default_rng(zlib.crc32(key.encode("utf-8")))
    return sorted(draw.choice(COURSES, size=int(draw.integers(0, 3)), replace=False).tolist())


class _CsvSink:
    """The long CSV format: one row per scale score, blocks as block/value rows."""
    COLUMNS = ["client_key", "instrument", "instrument_version", "measured_at", "administered_by", "scale", "score",
               "block", "value", "postcode", "hours_available", "education_level", "name", "email", "phone"]

    def __init__(self, handle):
        self.writer = csv.writer(handle)
        self.writer.writerow(self.COLUMNS)

    def write(self, record: dict) -> None:
        head = [record["client_key"], record["instrument"], record["instrument_version"], record["measured_at"],
                record["administered_by"]]
        identity = record.get("identity") or {}
        tail = [record.get("postcode", ""), record.get("hours_available", ""), record.get("education_level", ""),
                identity.get("name", ""), identity.get("email", ""), identity.get("phone", "")]
        empty = [""] * len(tail)
        first = True
        for scale, score in record["scores"].items():
            self.writer.writerow(head + [scale, score, "", ""] + (tail if first else empty))
            first = False
        for block, value in record["blocks"].items():
            if isinstance(value, dict) and block in ("balance", "stressors", "life_domains"):
                for scale, score in value.items():
                    self.writer.writerow(head + [scale, score, "", ""] + (tail if first else empty))
                    first = False
                continue
            if block == "locus_of_control":
                self.writer.writerow(head + ["interne_beheersingsorientatie", value, "", ""] + (tail if first else empty))
            else:
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                self.writer.writerow(head + ["", "", block, text] + (tail if first else empty))
            first = False
        if record.get("work_history"):
            self.writer.writerow(head + ["", "", "work_history", json.dumps(record["work_history"])]
                                 + (tail if first else empty))
