"""`atlas-match bench fit`: can a client reach a high fit, and does the fit rank as a coach expects?

Synthetic clients go through the ingest's own profile code (ingest/profile_builder.py) and are
scored against the occupations exactly as the index ranks them (matcher/scoring.py), so the
figures are the product's, not a re-implementation's. Per occupation O:
- ideal: top marks on every scale of every instrument, five years in O until a year ago;
- ctc_top: top marks on every CTC scale, nothing else;
- abc_mid: the midpoint of every ABC scale, nothing else.
`reach_by_source` is, per source, the median share of an occupation's requirement weight that the
source can give evidence for at all (instruments: the competencies their scales map to).
"""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

import numpy as np
from neo4j import Driver

from competency_atlas.certificates import load_certificates
from competency_atlas.instrument_profiles import InstrumentProfile, load_profiles
from ingest.measurement_repository import load_occupation_requirements
from ingest.profile_builder import ProfileBuilder
from matcher.index import MatchIndex
from matcher.index_repository import load_index
from matcher.profile import current_confidence
from matcher.profile_store import decode
from matcher.scoring import Evidence, Requirement, score_requirements

IDEAL_YEARS = 5.0


def measurement(client: str, instrument: InstrumentProfile, level: float, when: date, jobs: list[dict] = ()) -> dict:
    """A stored measurement row (ingest/measurement_ingest.py's shape) with every scale at `level`."""
    scales = [s.id for s in instrument.scales if s.maps_to]
    return {"id": f"{client}:{instrument.id}", "client_key": client, "instrument": instrument.id, "measured_at": when,
            "scale_ids": scales, "levels": [level] * len(scales), "sensitive_json": "{}", "gates_json": "[]",
            "gate_block_given": False, "work_history_json": json.dumps(list(jobs))}


def scoring_profile(props: dict, today: date) -> dict[str, Evidence]:
    """Stored profile properties as the index holds them: confidences decayed to today."""
    return {uri: Evidence(e.level, current_confidence(e, today), ", ".join(e.sources), e.as_of, e.inferred)
            for uri, e in decode(props).items()}


def _share(requirements: list[Requirement], reached: set[str]) -> float:
    total = sum(r.weight for r in requirements)
    return sum(r.weight for r in requirements if r.competency in reached) / total if total else 0.0


def _clients(instruments: dict[str, InstrumentProfile], occupation: str, today: date) -> list[dict]:
    measured, until = today - timedelta(days=30), (today - timedelta(days=365)).isoformat()
    job = [{"occupation": occupation, "years": IDEAL_YEARS, "until": until}]
    ideal = [measurement(f"ideal|{occupation}", p, 1.0, measured, job if i == 0 else [])
             for i, p in enumerate(instruments.values())]
    return [*ideal, measurement(f"ctc_top|{occupation}", instruments["ctc"], 1.0, measured),
            measurement(f"abc_mid|{occupation}", instruments["abc"], 0.5, measured)]


def run(driver: Driver, database: str, sample: int | None = None, seed: int = 7, today: date | None = None,
        index: MatchIndex | None = None) -> dict:
    today = today or date.today()
    idx = index or load_index(driver, database)
    instruments = load_profiles()
    occupations = [k for k in idx.occupations.keys if idx.occupations.span(idx.occupations.row[k]).stop
                   > idx.occupations.span(idx.occupations.row[k]).start]
    if sample and sample < len(occupations):
        occupations = sorted(random.Random(seed).sample(occupations, sample))
    builder = ProfileBuilder(instruments, lambda uris: load_occupation_requirements(driver, database, uris))
    derived = builder.derive_clients([row for o in occupations for row in _clients(instruments, o, today)])
    reach_sets = {p.id: {m.competency for s in p.scales for m in s.maps_to} for p in instruments.values()}
    reach_sets["certificates"] = {m.competency for c in load_certificates() for m in c.maps_to}
    fits: dict[str, list] = {"ideal": [], "ideal_low": [], "ctc_top": [], "abc_mid": []}
    reach: dict[str, list[float]] = {k: [] for k in reach_sets}
    for o in occupations:
        reqs = idx.requirements_of(idx.occupations, o)
        for who in ("ideal", "ctc_top", "abc_mid"):
            m = score_requirements(reqs, scoring_profile(derived[f"{who}|{o}"][0]["props"], today))
            fits[who].append(m.fit)
            if who == "ideal":
                fits["ideal_low"].append(m.fit_low)
        for source, reached in reach_sets.items():
            reach[source].append(_share(reqs, reached))
    ideal, low = np.array(fits["ideal"]), np.array(fits["ideal_low"])
    return {
        "occupations": len(occupations),
        "ideal_fit_p5": _r(np.percentile(ideal, 5)), "ideal_fit_median": _r(np.median(ideal)),
        "ideal_low_p5": _r(np.percentile(low, 5)), "ideal_low_median": _r(np.median(low)),
        "ideal_reaches_goal": _r(((ideal >= 0.85) & (low >= 0.6)).mean()),
        "ctc_top_over_abc_mid": _r((np.array(fits["ctc_top"]) > np.array(fits["abc_mid"])).mean()),
        "ctc_top_fit_median": _r(np.median(fits["ctc_top"])), "abc_mid_fit_median": _r(np.median(fits["abc_mid"])),
        "reach_by_source": {k: _r(np.median(v)) for k, v in reach.items()},
    }


def _r(x) -> float:
    return round(float(x), 4)


def caseload_figures(service, clients: list[str], top: int = 10) -> dict:
    """What coaches see on a caseload (e.g. the demo): the distribution of the top-`top` vacancy
    fits over the clients, and the share of requirement rows shown with a Dutch label."""
    fits, rows, dutch, wished = [], 0, 0, 0
    for key in clients:
        for m in service.vacancies(key, top, filter_distance=False, lang="nl"):
            fits.append(m.fit)
            wished += m.preference == "wished"
            for r in m.explained.match.results:
                rows += 1
                dutch += r.requirement.label_lang == "nl"
    if not fits:
        return {"clients": len(clients), "rows": 0}
    f = np.array(fits)
    return {"clients": len(clients), "rows": len(fits),
            "top_fit_percentiles": {str(p): _r(np.percentile(f, p)) for p in (5, 25, 50, 75, 95)},
            "top_fit_histogram": {f"{lo / 10:.1f}-{(lo + 1) / 10:.1f}": int(((f >= lo / 10) & (f < (lo + 1) / 10)).sum())
                                  for lo in range(10)},
            "wished_rows": wished, "requirement_rows": rows, "dutch_label_share": _r(dutch / rows) if rows else None}
