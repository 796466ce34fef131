"""Demo vacancies: realistic schema.org JobPosting JSON-LD in Dutch and English.

Composed from atlas occupations and their essential/optional skills (read from the graph, or from
the ESCO files in data_dir so it works without a built atlas), real Dutch postcodes from
nl-geo/pc4_centroids.csv, generated company names, and the paragraphs real postings carry around
the requirements (about us, what we offer, diversity, how to apply). Must-have and nice-to-have
sentences use the cues the extractor looks for. ESCO has no Dutch skill labels, so Dutch postings
name skills by their English label inside Dutch sentences (as many Dutch tech postings do).

Deterministic: the same (seed, count, reference date) gives the same postings, byte for byte.
"""
from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from graph_schema.settings import settings


@dataclass(frozen=True)
class GenOccupation:
    uri: str
    isco: str | None
    label_en: str
    label_nl: str | None
    essential: tuple[str, ...]  # skill labels
    optional: tuple[str, ...]


@dataclass(frozen=True)
class GenArea:
    pc4: str
    place: str
    lat: float
    lon: float


# --- sources -------------------------------------------------------------------------------------

def occupations_from_csv(data_dir: Path, limit: int | None = None) -> list[GenOccupation]:
    """ESCO 1.2.0 occupations with at least three essential skills, Dutch labels from ESCO 1.1.1."""
    esco = data_dir / "esco-1.2.0"
    skills: dict[str, dict[str, list[str]]] = {}
    with (esco / "occupationSkillRelations_reconstructed.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = "essential" if row["relationType"] == "essential" else "optional"
            skills.setdefault(row["occupationUri"], {"essential": [], "optional": []})[kind].append(row["skillLabel"].strip())
    with (data_dir / "esco-1.1.1-nl" / "occupations_nl.csv").open(newline="", encoding="utf-8") as handle:
        dutch = {r["conceptUri"]: r["preferredLabel"].strip() for r in csv.DictReader(handle)}
    out = []
    with (esco / "occupations_en.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            s = skills.get(row["conceptUri"])
            if not s or len(s["essential"]) < 3:
                continue
            out.append(GenOccupation(row["conceptUri"], row["iscoGroup"] or None, row["preferredLabel"].strip(),
                                     dutch.get(row["conceptUri"]), tuple(sorted(s["essential"])),
                                     tuple(sorted(s["optional"]))))
    out.sort(key=lambda o: o.uri)
    return out[:limit] if limit else out


def areas_from_csv(data_dir: Path) -> list[GenArea]:
    with (data_dir / "nl-geo" / "pc4_centroids.csv").open(newline="", encoding="utf-8") as handle:
        return [GenArea(r["pc4"], (r["places"] or "").split("|")[0].split(";")[0].strip(), float(r["lat"]), float(r["lon"]))
                for r in csv.DictReader(handle) if r["lat"] and r["lon"]]


# --- text pieces -------------------------------------------------------------------------------

_COMPANY_FIRST = ["Van der Berg", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "De Boer",
                  "Noord", "Zuidwest", "Delta", "Polder", "Kempen", "Veluwe", "Rijnmond", "Twente", "IJssel", "Eem"]
_COMPANY_KIND = ["Logistiek", "Techniek", "Zorggroep", "Bouw", "Installatie", "Software", "Food", "Retail", "Services",
                 "Groep", "Partners", "Solutions", "Facilitair", "Transport", "Consultancy"]
_COMPANY_FORM = ["B.V.", "B.V.", "N.V.", "& Zn.", "", "Holding B.V."]

_NL = {
    "about": ["Over ons: {company} is een familiebedrijf met ruim {n} medewerkers in de regio {place}.",
              "Wie zijn wij? {company} is marktleider in de regio en groeit hard."],
    "intro": ["Voor onze vestiging in {place} zoeken wij een {title}.", "Ben jij de {title} die ons team in {place} komt versterken?"],
    "tasks_head": ["Wat ga je doen?", "Jouw werkzaamheden"],
    "task": ["Je bent verantwoordelijk voor {skill}.", "Dagelijks houd je je bezig met {skill}.", "Je zorgt voor {skill}."],
    "profile_head": ["Wat vragen wij?", "Jouw profiel"],
    "must": ["Ervaring met {skill} is vereist.", "Je beschikt aantoonbaar over kennis van {skill}.",
             "Kennis van {skill} is een must."],
    "nice": ["Ervaring met {skill} is een pré.", "Kennis van {skill} is een pluspunt.", "Affiniteit met {skill} is mooi meegenomen."],
    "offer": ["Wat bieden wij? Een goed salaris volgens de cao, 25 vakantiedagen en een pensioenregeling.",
              "Wij bieden een reiskostenvergoeding, vakantiegeld en volop opleidingsmogelijkheden."],
    "diversity": ["Wij vinden diversiteit belangrijk en nodigen iedereen uit te reageren, ongeacht achtergrond."],
    "apply": ["Solliciteer direct met je cv en motivatiebrief.", "Vragen over deze vacature? Neem contact op met onze recruiter."],
    "prefix": ["", "", "Ervaren ", "Junior ", "Senior ", "Allround "],
    "suffix": ["", "", " (m/v/x)", " 32-40 uur", " fulltime"],
    "hours": ["{h} uur per week", "{lo}-{h} uur per week"],
}
_EN = {
    "about": ["About us: {company} is a family business with over {n} employees in the {place} area.",
              "Who we are: {company} is a market leader in the region and growing fast."],
    "intro": ["For our site in {place} we are looking for a {title}.", "Are you the {title} who will strengthen our team in {place}?"],
    "tasks_head": ["What you will do", "Your responsibilities"],
    "task": ["You are responsible for {skill}.", "Every day you work on {skill}.", "You take care of {skill}."],
    "profile_head": ["What we ask", "Your profile"],
    "must": ["Experience with {skill} is required.", "You must have proven knowledge of {skill}.",
             "Knowledge of {skill} is essential."],
    "nice": ["Experience with {skill} is a plus.", "Knowledge of {skill} is nice to have.", "Familiarity with {skill} is preferred."],
    "offer": ["What we offer: a competitive salary, 25 vacation days and a pension scheme.",
              "We offer a travel allowance, holiday allowance and plenty of training opportunities."],
    "diversity": ["We are an equal opportunity employer and welcome applicants regardless of background."],
    "apply": ["Apply now with your CV and cover letter.", "Questions about this vacancy? Contact us via our recruiter."],
    "prefix": ["", "", "Experienced ", "Junior ", "Senior ", "Lead "],
    "suffix": ["", "", " (m/f/x)", " 32-40 hours", " full-time"],
    "hours": ["{h} hours per week", "{lo}-{h} hours per week"],
}


def _company(rng: random.Random) -> str:
    return " ".join(p for p in (rng.choice(_COMPANY_FIRST), rng.choice(_COMPANY_KIND), rng.choice(_COMPANY_FORM)) if p)


def _title(rng: random.Random, label: str, words: dict) -> str:
    core = label[:1].upper() + label[1:]
    return f"{rng.choice(words['prefix'])}{core}{rng.choice(words['suffix'])}".strip()


def _letters(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEGHJKLMNPRSTVWXZ") for _ in range(2))


def _location(rng: random.Random, area: GenArea) -> dict:
    kind = rng.random()
    address: dict = {"@type": "PostalAddress", "addressCountry": "NL"}
    place: dict = {"@type": "Place", "address": address}
    if kind < 0.45:
        address["postalCode"] = f"{area.pc4} {_letters(rng)}"
    elif kind < 0.7:
        address["postalCode"] = area.pc4
    elif kind < 0.85:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": round(area.lat + rng.uniform(-0.01, 0.01), 5),
                        "longitude": round(area.lon + rng.uniform(-0.01, 0.01), 5)}
    if area.place:
        address["addressLocality"] = area.place
    return place


def generate_posting(rng: random.Random, number: int, seed: int, occupation: GenOccupation, area: GenArea,
                     reference: date) -> dict:
    lang = "nl" if (occupation.label_nl and rng.random() < 0.6) else "en"
    words = _NL if lang == "nl" else _EN
    label = occupation.label_nl if lang == "nl" else occupation.label_en
    title = _title(rng, label, words)
    company, place = _company(rng), area.place or area.pc4
    tasks = rng.sample(occupation.essential, min(len(occupation.essential), rng.randint(2, 4)))
    rest = [s for s in occupation.essential if s not in tasks]
    musts = rng.sample(rest, min(len(rest), rng.randint(1, 3)))
    nices = rng.sample(occupation.optional, min(len(occupation.optional), rng.randint(0, 2)))
    fill = {"company": company, "place": place, "title": label,
            "n": rng.choice([40, 80, 150, 300, 1200])}
    paragraphs = [f"<p>{rng.choice(words['about']).format(**fill)}</p>", f"<p>{rng.choice(words['intro']).format(**fill)}</p>",
                  f"<h3>{rng.choice(words['tasks_head'])}</h3><ul>"
                  + "".join(f"<li>{rng.choice(words['task']).format(skill=s)}</li>" for s in tasks) + "</ul>",
                  f"<h3>{rng.choice(words['profile_head'])}</h3><ul>"
                  + "".join(f"<li>{rng.choice(words['must']).format(skill=s)}</li>" for s in musts)
                  + "".join(f"<li>{rng.choice(words['nice']).format(skill=s)}</li>" for s in nices) + "</ul>",
                  f"<p>{rng.choice(words['offer'])}</p>"]
    if rng.random() < 0.4:
        paragraphs.append(f"<p>{words['diversity'][0]}</p>")
    paragraphs.append(f"<p>{rng.choice(words['apply'])}</p>")
    posted = reference - timedelta(days=rng.randint(0, 45))
    hours = rng.choice([24, 32, 36, 38, 40])
    posting = {
        "@context": "https://schema.org/", "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": company, "value": f"GEN-{seed}-{number:06d}"},
        "title": title, "description": "".join(paragraphs), "inLanguage": lang,
        "hiringOrganization": {"@type": "Organization", "name": company},
        "jobLocation": _location(rng, area),
        "employmentType": rng.choice(["FULL_TIME", "PART_TIME", ["FULL_TIME", "TEMPORARY"]]),
        "workHours": rng.choice(words["hours"]).format(h=hours, lo=max(hours - 8, 16)),
        "datePosted": posted.isoformat(),
        "validThrough": (posted + timedelta(days=rng.randint(30, 90))).isoformat() + "T23:59:00+01:00",
        "baseSalary": {"@type": "MonetaryAmount", "currency": "EUR",
                       "value": {"@type": "QuantitativeValue", "minValue": rng.randrange(2200, 3500, 100),
                                 "maxValue": rng.randrange(3500, 6000, 100), "unitText": "MONTH"}},
        "directApply": rng.random() < 0.5,
    }
    roll = rng.random()
    if roll < 0.3:
        posting["occupationalCategory"] = occupation.uri
    elif roll < 0.45 and occupation.isco:
        posting["occupationalCategory"] = {"@type": "CategoryCode", "codeValue": occupation.isco[:4], "inCodeSet": "ISCO-08"}
    if rng.random() < 0.4:
        posting["skills"] = rng.sample(occupation.essential, min(len(occupation.essential), rng.randint(1, 3)))
    if rng.random() < 0.3:
        posting["educationRequirements"] = {"@type": "EducationalOccupationalCredential",
                                            "credentialCategory": rng.choice(["MBO 2", "MBO 4", "HBO", "bachelor degree"])}
    if rng.random() < 0.3:
        posting["experienceRequirements"] = {"@type": "OccupationalExperienceRequirements",
                                             "monthsOfExperience": rng.choice([6, 12, 24, 36])}
    return posting


def generate_postings(count: int, seed: int, occupations: list[GenOccupation], areas: list[GenArea],
                      reference: date) -> list[dict]:
    if not occupations or not areas:
        raise ValueError("no occupations or postcode areas to compose vacancies from")
    rng = random.Random(seed)
    # A realistic market: a few hundred occupations carry most postings, in every region.
    pool = rng.sample(occupations, min(len(occupations), 400))
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(pool))]
    return [generate_posting(rng, i + 1, seed, rng.choices(pool, weights)[0], rng.choice(areas), reference)
            for i in range(count)]


def load_sources(driver=None, database: str | None = None, data_dir: Path | None = None) -> list[GenOccupation]:
    """Occupations from the graph when it has an atlas with requirements, else from the ESCO files."""
    if driver is not None:
        from ingest.vacancy_repository import load_generator_occupations

        found = load_generator_occupations(driver, database or settings().neo4j_database)
        if found:
            return [GenOccupation(**o) for o in found]
    return occupations_from_csv(data_dir or settings().data_dir)


def write_postings(postings: list[dict], out_dir: Path, name: str, fmt: str = "jsonl") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in postings), encoding="utf-8")
    else:
        path.write_text(json.dumps(postings, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
