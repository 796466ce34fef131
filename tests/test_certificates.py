"""Certificates as competency evidence: the shipped mapping (every competency real, labels right),
recognition of the Dutch spellings clients and coaches write, near misses that must stay apart,
implied certificates, every class of broken entry, and robustness on arbitrary text."""
from __future__ import annotations

import copy
import csv
import glob
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings as hypothesis_settings, strategies as st

from competency_atlas.certificates import (DEFAULT_PATH, KINDS, Certificate, Recognised, load_certificates,
                                           normalise, recognise, recognise_all)
from competency_atlas.instrument_profiles import known_competency_uris
from graph_schema.settings import Settings

DUTCH_SKILLS = ("understand spoken Dutch", "understand written Dutch", "interact verbally in Dutch", "write Dutch")


@pytest.fixture(scope="module")
def certificates() -> tuple[Certificate, ...]:
    return load_certificates()


@pytest.fixture(scope="module")
def by_id(certificates) -> dict[str, Certificate]:
    return {c.id: c for c in certificates}


def reference_labels(data_dir: Path) -> dict[str, str]:
    """Competency URI -> ESCO preferred label / O*NET element name, from the files that carry them
    separately (skills_uri_text.csv runs label, alternatives and description together)."""
    esco = data_dir / "esco-1.2.0"
    labels: dict[str, str] = {}
    with open(esco / "occupationSkillRelations_reconstructed.csv", newline="", encoding="utf-8") as fh:
        labels.update((row["skillUri"], row["skillLabel"].strip()) for row in csv.DictReader(fh))
    for path in sorted(glob.glob(str(esco / "*SkillsCollection_en.csv"))):
        with open(path, newline="", encoding="utf-8") as fh:
            labels.update((row["conceptUri"], row["preferredLabel"].strip()) for row in csv.DictReader(fh))
    for name in ("Skills.txt", "Knowledge.txt"):
        with open(data_dir / "onet-29.2" / name, newline="", encoding="utf-8") as fh:
            labels.update((f"onet:{row['Element ID']}", row["Element Name"])
                          for row in csv.DictReader(fh, delimiter="\t"))
    return labels


# ---------------------------------------------------------------- the shipped mapping

def test_the_shipped_file_loads_and_covers_what_coaches_meet(certificates, by_id):
    assert DEFAULT_PATH.exists() and len(certificates) >= 60
    assert {c.kind for c in certificates} == KINDS
    required = {
        "vca_basis", "vca_vol", "vca_vil", "rijbewijs_am", "rijbewijs_a", "rijbewijs_b", "rijbewijs_be",
        "rijbewijs_c", "rijbewijs_ce", "rijbewijs_d", "code_95", "heftruck", "reachtruck", "ept_palletwagen",
        "hoogwerker", "bhv", "ehbo", "svh_sociale_hygiene", "svh_barista", "svh_gastheer", "haccp",
        "nt2_a1", "nt2_a2", "nt2_b1", "nt2_b2", "nt2_c1", "staatsexamen_nt2_i", "staatsexamen_nt2_ii",
        "inburgeringsdiploma", "engels", "mbo_1", "mbo_2", "mbo_3", "mbo_4", "microsoft_office", "ecdl_icdl",
        "lassen", "kraanmachinist", "grondverzet_machinist", "taxi_chauffeurskaart", "beveiligingspas", "vog",
    }
    assert required <= set(by_id)
    named_diplomas = [c for c in certificates if c.kind == "diploma" and c.id.startswith(("mbo_", "hbo_"))
                      and c.id not in {"mbo_1", "mbo_2", "mbo_3", "mbo_4", "hbo_bachelor"}]
    assert len(named_diplomas) >= 15


def test_every_entry_maps_to_two_to_eight_competencies_except_the_vog(certificates, by_id):
    for cert in certificates:
        if cert.id == "vog":
            assert cert.maps_to == () and "not a competency" in cert.note
        else:
            assert 2 <= len(cert.maps_to) <= 8, cert.id


def test_every_competency_exists_in_the_reference_data_with_its_own_label(certificates):
    data_dir = Settings().data_dir
    known = known_competency_uris(data_dir)
    labels = reference_labels(data_dir)
    mappings = [(c.id, m) for c in certificates for m in c.maps_to]
    assert [(cid, m.competency) for cid, m in mappings if m.competency not in known] == []
    assert [(cid, m.competency, m.label, labels.get(m.competency)) for cid, m in mappings
            if labels.get(m.competency) != m.label] == []


def test_nt2_levels_rise_with_the_cefr_level_and_imply_the_level_below(by_id):
    levels = [{m.label: m.level for m in by_id[f"nt2_{cefr}"].maps_to} for cefr in ("a1", "a2", "b1", "b2", "c1")]
    for skill in DUTCH_SKILLS:
        row = [lv[skill] for lv in levels]
        assert row == sorted(row) and len(set(row)) == len(row), skill
    assert by_id["nt2_b1"].implies == ("nt2_a2",) and "nt2_b1" in by_id["staatsexamen_nt2_i"].implies


def test_every_name_of_the_shipped_file_recognises_its_own_entry(certificates):
    misses = [(c.id, name, hit.certificate.id if hit else None)
              for c in certificates for name in (*c.names, c.label_nl, c.label_en)
              if (hit := recognise(name, certificates)) is None or hit.certificate.id != c.id]
    assert misses == []


# ---------------------------------------------------------------- recognition

@pytest.mark.parametrize("text, expected", [
    ("VCA-basis", "vca_basis"),
    ("vca basis diploma", "vca_basis"),
    ("VCA basis behaald bij SOG in 2019", "vca_basis"),
    ("B-VCA", "vca_basis"),
    ("VCA-VOL", "vca_vol"),
    ("VIL-VU", "vca_vil"),
    ("Heftruck certificaat", "heftruck"),
    ("heftruckcertificaat", "heftruck"),
    ("heftruk", "heftruck"),
    ("Reachtruck", "reachtruck"),
    ("EPT certificaat", "ept_palletwagen"),
    ("hoogwerker (IPAF)", "hoogwerker"),
    ("rijbewijs c", "rijbewijs_c"),
    ("C-rijbewijs", "rijbewijs_c"),
    ("vrachtwagen rijbewijs", "rijbewijs_c"),
    ("Rijbewys C", "rijbewijs_c"),
    ("Rijbewijs CE", "rijbewijs_ce"),
    ("Rijbewijs B+E", "rijbewijs_be"),
    ("rijbewijs B (geldig tot 2031)", "rijbewijs_b"),
    ("rijbewijs", "rijbewijs_b"),
    ("bromfietsrijbewijs", "rijbewijs_am"),
    ("Rijbewijs D", "rijbewijs_d"),
    ("Code 95", "code_95"),
    ("BHV'er", "bhv"),
    ("EHBO-diploma", "ehbo"),
    ("SVH Sociale Hygiëne", "svh_sociale_hygiene"),
    ("sociale hygiene", "svh_sociale_hygiene"),
    ("SVH Barista", "svh_barista"),
    ("Hygiënecode horeca", "haccp"),
    ("NT2 niveau B1", "nt2_b1"),
    ("NT-2 B2", "nt2_b2"),
    ("Staatsexamen NT2 I", "staatsexamen_nt2_i"),
    ("Staatsexamen NT2 programma II", "staatsexamen_nt2_ii"),
    ("Inburgeringsdiploma", "inburgeringsdiploma"),
    ("taalniveau Engels B2", "engels_b2"),
    ("MBO 2 logistiek", "mbo_logistiek_medewerker"),
    ("mbo niveau 2", "mbo_2"),
    ("Entree opleiding", "mbo_1"),
    ("diploma verzorgende IG", "mbo_verzorgende_ig"),
    ("Helpende Zorg en Welzijn", "mbo_helpende_zorg_welzijn"),
    ("PM'er kinderopvang", "mbo_pedagogisch_medewerker"),
    ("diploma Beveiliger 2", "mbo_beveiliger"),
    ("mbo verpleegkundige", "mbo_verpleegkundige"),
    ("HBO-V", "hbo_verpleegkunde"),
    ("ICT-beheer", "mbo_ict_beheerder"),
    ("Commerciële Economie", "hbo_commerciele_economie"),
    ("ECDL", "ecdl_icdl"),
    ("MIG/MAG lassen", "lassen_mig_mag"),
    ("Taxi chauffeurspas", "taxi_chauffeurskaart"),
    ("beveiligingspas", "beveiligingspas"),
    ("graafmachinist", "grondverzet_machinist"),
    ("VOG", "vog"),
])
def test_realistic_dutch_spellings_are_recognised(text, expected, certificates):
    hit = recognise(text, certificates)
    assert hit is not None and hit.certificate.id == expected, (text, hit)
    assert hit.text == text and 0 < hit.score <= 100 and hit.name


@pytest.mark.parametrize("text, expected", [
    ("rijbewijs C", "rijbewijs_c"), ("rijbewijs CE", "rijbewijs_ce"), ("rijbewijs B", "rijbewijs_b"),
    ("rijbewijs BE", "rijbewijs_be"), ("rijbewijs D", "rijbewijs_d"),
    ("VCA VOL", "vca_vol"), ("VCA basis", "vca_basis"), ("VCA VIL", "vca_vil"),
    ("NT2 B1", "nt2_b1"), ("NT2 B2", "nt2_b2"), ("Engels B1", "engels_b1"),
    ("EHBO", "ehbo"), ("hbo", "hbo_bachelor"), ("heftruck", "heftruck"), ("reachtruck", "reachtruck"),
    ("kraanmachinist", "kraanmachinist"), ("graafmachinist", "grondverzet_machinist"),
    ("hbo verpleegkunde", "hbo_verpleegkunde"), ("mbo verpleegkunde", "mbo_verpleegkundige"),
    ("busrijbewijs", "rijbewijs_d"),
])
def test_near_misses_stay_apart(text, expected, certificates):
    assert recognise(text, certificates).certificate.id == expected


@pytest.mark.parametrize("text", [
    "pianoles", "", "   ", "12345", "🚜🚜🚜", "C", "B1", "zorg", "word", "geen rijbewijs", "bezig met VCA",
    "Ik heb in 2019 een cursus gevolgd maar weet niet meer welke, het was heel leuk en ik wil het graag opnieuw",
    "x" * 10_000, "rijbewijs c " * 1000,
])
def test_unknown_text_is_not_recognised(text, certificates):
    assert recognise(text, certificates) is None


def test_normalising_drops_case_accents_punctuation_and_filler_words():
    assert normalise("Sociale Hygiëne-diploma, behaald in 2019!") == ("sociale", "hygiene")
    assert normalise("BHV'er") == ("bhv",) and normalise("NT 2 niveau B1") == ("nt2", "b1")
    assert normalise("Rijbewijs B + E") == ("rijbewijs", "be")


# ---------------------------------------------------------------- several certificates and implies

def ids(hits: tuple[Recognised, ...], implied: bool) -> list[str]:
    return [h.certificate.id for h in hits if (h.implied_by is not None) == implied]


def test_recognise_all_splits_lists_and_lets_a_bare_code_borrow_the_head_before_it(certificates):
    hits = recognise_all("rijbewijs B + C", certificates)
    assert ids(hits, implied=False) == ["rijbewijs_b", "rijbewijs_c"]
    assert [h.text for h in hits if h.implied_by is None] == ["rijbewijs B", "C"]
    assert ids(recognise_all("Rijbewijs A, B en C", certificates), False) == ["rijbewijs_a", "rijbewijs_b", "rijbewijs_c"]
    assert ids(recognise_all("VCA, BHV en EHBO; pianoles", certificates), False) == ["vca_basis", "bhv", "ehbo"]
    assert ids(recognise_all("NT2 A2/B1", certificates), False) == ["nt2_a2", "nt2_b1"]
    assert ids(recognise_all("rijbewijs C met code 95", certificates), False) == ["rijbewijs_c", "code_95"]
    assert ids(recognise_all("rijbewijs B+E", certificates), False) == ["rijbewijs_be"]
    assert ids(recognise_all("rijbewijs B, geen C", certificates), False) == ["rijbewijs_b"]
    assert recognise_all("", certificates) == () and recognise_all("pianoles", certificates) == ()


def test_implied_certificates_are_added_transitively_once_and_marked(certificates):
    hits = recognise_all("Rijbewijs CE", certificates)
    assert ids(hits, implied=False) == ["rijbewijs_ce"]
    assert set(ids(hits, implied=True)) == {"rijbewijs_c", "rijbewijs_be", "rijbewijs_b", "rijbewijs_am"}
    assert all(h.text == "Rijbewijs CE" and h.score == 100 for h in hits)
    assert {h.implied_by for h in hits if h.implied_by} == {"rijbewijs_ce"}
    # Named directly as well as implied: reported once, as named.
    hits = recognise_all("rijbewijs B en CE", certificates)
    assert [h.certificate.id for h in hits].count("rijbewijs_b") == 1
    assert next(h for h in hits if h.certificate.id == "rijbewijs_b").implied_by is None
    diploma = recognise_all("diploma verzorgende IG", certificates)
    assert ids(diploma, implied=True) == ["mbo_3"]


# ---------------------------------------------------------------- broken entries

GOOD = {
    "id": "test_cert", "kind": "certificate", "label_nl": "Testcertificaat", "label_en": "Test certificate",
    "names": ["testcert"], "implies": [],
    "maps_to": [{"competency": "onet:2.A.1.a", "label": "Reading Comprehension", "level": 0.5},
                {"competency": "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da",
                 "label": "operate forklift", "level": 0.6}],
    "confidence": 0.7, "half_life_years": 5,
}
OTHER = {**copy.deepcopy(GOOD), "id": "other_cert", "label_nl": "Ander", "label_en": "Other", "names": ["ander"]}


def write(tmp_path: Path, *entries) -> Path:
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "certificates": list(entries)}, allow_unicode=True), encoding="utf-8")
    return path


def broken(**changes) -> dict:
    entry = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            del entry[key]
        else:
            entry[key] = value
    return entry


def test_a_small_valid_file_loads_and_is_used_for_recognition(tmp_path):
    loaded = load_certificates(write(tmp_path, OTHER, GOOD))
    assert [c.id for c in loaded] == ["other_cert", "test_cert"]
    assert loaded[1].maps_to[1].level == 0.6 and loaded[1].half_life_years == 5.0
    assert recognise("Testcert behaald", loaded).certificate.id == "test_cert"
    assert recognise("rijbewijs B", loaded) is None


@pytest.mark.parametrize("changes, field", [
    ({"kind": "badge"}, "kind"),
    ({"id": "Test-Cert"}, "id"),
    ({"confidence": 1.2}, "confidence"),
    ({"confidence": True}, "confidence"),
    ({"maps_to": [{"competency": "onet:2.A.1.a", "label": "Reading Comprehension", "level": 1.5}]}, "maps_to[0].level"),
    ({"maps_to": [{"competency": "onet:2.A.1.a", "label": "Reading Comprehension", "level": -0.1}]}, "maps_to[0].level"),
    ({"maps_to": [{"competency": "esco:forklift", "label": "operate forklift", "level": 0.5}]}, "maps_to[0].competency"),
    ({"maps_to": [{"competency": "http://data.europa.eu/esco/occupation/1b2e0f8a-0a6c-4a3e-9b0c-3c1d2e3f4a5b",
                   "label": "x", "level": 0.5}]}, "maps_to[0].competency"),
    ({"maps_to": [{"competency": "onet:2.A.1.a", "level": 0.5}]}, "maps_to[0]"),
    ({"maps_to": "onet:2.A.1.a"}, "maps_to"),
    ({"implies": ["no_such_cert"]}, "implies[0]"),
    ({"implies": ["test_cert"]}, "implies[0]"),
    ({"names": ["Testcert"]}, "names[0]"),
    ({"names": []}, "names"),
    ({"names": ["diploma"]}, "names[0]"),
    ({"names": ["geen testcert"]}, "names[0]"),
    ({"names": ["ander"]}, "names"),
    ({"half_life_years": 0}, "half_life_years"),
    ({"label_nl": ""}, "label_nl"),
    ({"confidance": 0.5}, "confidance"),
    ({"confidence": None}, "confidence"),
])
def test_a_broken_entry_is_rejected_naming_the_entry_and_the_field(tmp_path, changes, field):
    with pytest.raises(ValueError) as error:
        load_certificates(write(tmp_path, OTHER, broken(**changes)))
    message = str(error.value)
    assert "certificates[1]" in message and f"field '{field}'" in message, message
    if "id" not in changes:
        assert "(test_cert)" in message, message


def test_a_repeated_id_and_a_file_without_a_list_are_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"certificates\[1\] \(test_cert\): field 'id': repeats certificates\[0\]"):
        load_certificates(write(tmp_path, GOOD, {**copy.deepcopy(GOOD), "names": ["iets anders"],
                                                 "label_nl": "A", "label_en": "B"}))
    (tmp_path / "empty.yaml").write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="list 'certificates'"):
        load_certificates(tmp_path / "empty.yaml")


# ---------------------------------------------------------------- arbitrary text

@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_recognition_never_raises_on_arbitrary_text(text):
    hit = recognise(text)
    assert hit is None or (isinstance(hit, Recognised) and 0 < hit.score <= 100)
    assert all(isinstance(h, Recognised) for h in recognise_all(text))
