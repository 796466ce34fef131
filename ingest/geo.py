"""Dutch geography for vacancies: postcode, place name or coordinates → pc4 area, municipality,
labour-market region; and the haversine distance the matcher uses for travel distance.

Data: `settings().data_dir / "nl-geo"` (GeoNames and CBS, CC BY 4.0; see its README). Rules:
- a postcode ("3511", "3511 AB", "3511AB") gives its pc4 centroid; a pc4 missing from the table
  (issued after April 2024) falls back to the numerically nearest pc4 of the same 3-digit area;
- coordinates give the nearest pc4 (the given point is kept as the location);
- a place name is looked up among municipality names, then GeoNames places (small spelling
  variants via rapidfuzz); a name shared by places in different municipalities is ambiguous;
- anything else stays unknown and is reported as a warning: never guessed.
"""
from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from ingest.report import Why
from ingest.vacancy_models import JobLocation, Place

EARTH_RADIUS_KM = 6371.0088
MAX_NEAREST_KM = 15.0  # coordinates farther than this from any pc4 point are not in the Netherlands
FUZZY_CUTOFF = 88.0  # rapidfuzz ratio for a spelling variant of a place name
NL_COUNTRIES = {"nl", "nld", "netherlands", "the netherlands", "nederland", "holland"}
# Common names that are neither the CBS municipality name nor a GeoNames place of this data.
ALIASES = {"den haag": "'s gravenhage", "the hague": "'s gravenhage", "den bosch": "'s hertogenbosch"}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def haversine_km_many(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@dataclass(frozen=True)
class Area:
    pc4: str
    lat: float
    lon: float
    municipality_code: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    region_code: str
    region_name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class PlaceName:
    name: str
    municipality_code: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class Geography:
    areas: dict[str, Area]
    municipalities: dict[str, Municipality]
    places: dict[str, list[PlaceName]]  # normalised name → places of that name
    _pc4s: tuple[str, ...]
    _lats: np.ndarray
    _lons: np.ndarray

    @classmethod
    def build(cls, areas: list[Area], municipalities: list[Municipality], places: list[PlaceName]) -> "Geography":
        by_name: dict[str, list[PlaceName]] = {}
        for place in places:
            by_name.setdefault(place_key(place.name), []).append(place)
        ordered = sorted(areas, key=lambda a: a.pc4)
        return cls({a.pc4: a for a in ordered}, {m.code: m for m in municipalities}, by_name,
                   tuple(a.pc4 for a in ordered), np.array([a.lat for a in ordered]),
                   np.array([a.lon for a in ordered]))


@dataclass(frozen=True)
class Located:
    place: Place
    warnings: tuple[Why, ...] = ()  # field-less reasons; the caller adds source and location


def place_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"^gemeente\s+", "", text)
    return " ".join(re.sub(r"[^0-9a-z']+", " ", text).split())


POSTCODE = re.compile(r"^\s*(?:NL[-\s]?)?(\d{4})\s*([A-Za-z]{2})?\s*$", re.IGNORECASE)


def _place(geo: Geography, lat: float, lon: float, pc4: str | None, municipality_code: str | None,
           method: str) -> Place:
    m = geo.municipalities.get(municipality_code or "")
    return Place(latitude=lat, longitude=lon, postcode=pc4, municipality_code=municipality_code,
                 municipality_name=m.name if m else None, region_code=m.region_code if m else None,
                 region_name=m.region_name if m else None, method=method)


def by_postcode(geo: Geography, postcode: str) -> Located | None:
    match = POSTCODE.match(postcode)
    if not match:
        return None
    pc4 = match.group(1)
    if pc4 in geo.areas:
        a = geo.areas[pc4]
        return Located(_place(geo, a.lat, a.lon, pc4, a.municipality_code, "postcode"))
    same_area = [p for p in geo._pc4s if p[:3] == pc4[:3]]
    if not same_area:
        return None
    nearest = min(same_area, key=lambda p: (abs(int(p) - int(pc4)), p))
    a = geo.areas[nearest]
    return Located(_place(geo, a.lat, a.lon, nearest, a.municipality_code, "postcode_neighbour"),
                   (Why(f"postcode {pc4} is not in the postcode table: located at neighbouring postcode {nearest}",
                        f"postcode {pc4} staat niet in de postcodetabel: geplaatst bij de naburige postcode {nearest}"),))


def by_coordinates(geo: Geography, lat: float, lon: float) -> Located | None:
    distances = haversine_km_many(lat, lon, geo._lats, geo._lons)
    i = int(np.argmin(distances))
    if distances[i] > MAX_NEAREST_KM:
        return None
    a = geo.areas[geo._pc4s[i]]
    return Located(_place(geo, lat, lon, a.pc4, a.municipality_code, "geo"))


def _municipality_by_name(geo: Geography, key: str) -> Municipality | None:
    found = [m for m in geo.municipalities.values() if place_key(m.name) == key]
    return found[0] if len(found) == 1 else None


def by_place_name(geo: Geography, name: str) -> Located:
    """A municipality or place name → located, or unknown with the reason (ambiguous, not found)."""
    candidates = [name, name.split(",")[0], re.sub(r"\(.*?\)", "", name)]
    for candidate in dict.fromkeys(place_key(c) for c in candidates if c.strip()):
        key = ALIASES.get(candidate, candidate)
        if municipality := _municipality_by_name(geo, key):
            return Located(_place(geo, municipality.lat, municipality.lon, None, municipality.code, "place"))
        if key in geo.places:
            return _from_places(geo, name, geo.places[key])
    key = place_key(name.split(",")[0])
    names = list(geo.places) + [place_key(m.name) for m in geo.municipalities.values()]
    hits = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3)
    if hits:
        best = [h for h in hits if h[1] == hits[0][1]]
        if len({h[0] for h in best}) == 1:
            hit = best[0][0]
            if municipality := _municipality_by_name(geo, hit):
                return Located(_place(geo, municipality.lat, municipality.lon, None, municipality.code, "place"))
            return _from_places(geo, name, geo.places[hit])
        close = ", ".join(repr(h[0]) for h in best)
        return _unknown(Why(f"place {name!r} is ambiguous: it is close to {close}",
                            f"plaats {name!r} is niet eenduidig: lijkt op {close}"))
    return _unknown(Why(f"place {name!r} not found in the Dutch places list",
                        f"plaats {name!r} staat niet in de lijst van Nederlandse plaatsen"))


def _from_places(geo: Geography, name: str, places: list[PlaceName]) -> Located:
    codes = sorted({p.municipality_code for p in places})
    if len(codes) > 1:
        names = [geo.municipalities[c].name if c in geo.municipalities else c for c in codes]
        return _unknown(Why(f"place {name!r} is ambiguous: it lies in {len(codes)} municipalities ({', '.join(names)})",
                            f"plaats {name!r} is niet eenduidig: ligt in {len(codes)} gemeenten ({', '.join(names)})"))
    best = max(places, key=lambda p: p.population)
    return Located(_place(geo, best.lat, best.lon, None, codes[0], "place"))


LEFT_UNKNOWN = Why("location left unknown", "locatie onbekend gelaten")


def _unknown(*reasons: Why) -> Located:
    return Located(Place(method="unknown"), (Why.joined(list(reasons), LEFT_UNKNOWN),))


def locate(geo: Geography, where: JobLocation) -> Located:
    """Postcode first (administrative), then coordinates, then the place name; else unknown."""
    if where.country and place_key(where.country) not in NL_COUNTRIES:
        return _unknown(Why(f"country {where.country!r} is not the Netherlands",
                            f"land {where.country!r} is niet Nederland"))
    notes: list[Why] = []
    if where.postal_code:
        if found := by_postcode(geo, where.postal_code):
            return found
        notes.append(Why(f"postcode {where.postal_code!r} not recognised", f"postcode {where.postal_code!r} niet herkend"))
    if where.latitude is not None and where.longitude is not None:
        if found := by_coordinates(geo, where.latitude, where.longitude):
            return Located(found.place, tuple(notes))
        notes.append(Why(f"coordinates {where.latitude}, {where.longitude} are not in the Netherlands",
                         f"coördinaten {where.latitude}, {where.longitude} liggen niet in Nederland"))
    if where.locality:
        found = by_place_name(geo, where.locality)
        return Located(found.place, tuple(notes) + found.warnings)
    if not notes:
        notes.append(Why("no postcode, coordinates or place given", "geen postcode, coördinaten of plaats opgegeven"))
    return _unknown(*notes)


# --- loading ---------------------------------------------------------------------------------

def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: Dutch geography file not found (see the nl-geo README)")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=2)
def region_names(data_dir: Path) -> dict[str, str]:
    """Labour-market region code -> name (CBS), without loading the rest of the geography."""
    return {r["am_code"]: r["am_name"] for r in _rows(data_dir / "nl-geo" / "gemeenten_2026.csv")}


@lru_cache(maxsize=2)
def load_geography(data_dir: Path) -> Geography:
    folder = data_dir / "nl-geo"
    areas = [Area(r["pc4"].zfill(4), float(r["lat"]), float(r["lon"]), r["gemeente_code"])
             for r in _rows(folder / "pc4_centroids.csv") if r["lat"] and r["lon"]]
    municipalities = [
        Municipality(r["gemeente_code"], r["name"], r["am_code"], r["am_name"],
                     float(r["lat_pc4_mean"] or r["lat"]), float(r["lon_pc4_mean"] or r["lon"]))
        for r in _rows(folder / "gemeenten_2026.csv")]
    places = [PlaceName(r["name"], r["gemeente_code"], float(r["lat"]), float(r["lon"]), int(r["population"] or 0))
              for r in _rows(folder / "places_gemeente.csv") if r["gemeente_code"]]
    return Geography.build(areas, municipalities, places)
