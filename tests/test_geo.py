"""Locating vacancies with the Dutch geography in data_dir/nl-geo (the real files, no database)."""
from __future__ import annotations

import pytest

from graph_schema.settings import settings
from ingest.geo import haversine_km, load_geography, locate
from ingest.vacancy_models import JobLocation


@pytest.fixture(scope="module")
def geo():
    return load_geography(settings().data_dir)


def test_haversine_amsterdam_utrecht():
    # Dam square to Utrecht Dom tower: about 35 km as the crow flies.
    assert haversine_km(52.3731, 4.8926, 52.0908, 5.1222) == pytest.approx(34.9, abs=0.5)
    assert haversine_km(52.0, 5.0, 52.0, 5.0) == 0.0


@pytest.mark.parametrize("postcode", ["3511", "3511 AB", "3511ab", "NL-3511 AB"])
def test_postcode_with_or_without_letters(geo, postcode):
    found = locate(geo, JobLocation(postal_code=postcode))
    place = found.place
    assert (place.postcode, place.municipality_code, place.municipality_name) == ("3511", "GM0344", "Utrecht")
    assert (place.region_code, place.method) == ("AM13", "postcode")
    assert place.latitude == pytest.approx(52.0886) and found.warnings == ()


def test_unknown_postcode_falls_back_to_a_neighbour_in_the_same_area(geo):
    found = locate(geo, JobLocation(postal_code="3519 XX"))  # 3516-3519 are not in the table; 3515 is
    assert (found.place.postcode, found.place.method, found.place.municipality_code) == ("3515", "postcode_neighbour", "GM0344")
    assert "neighbouring postcode 3515" in found.warnings[0]
    assert found.warnings[0].nl == "postcode 3519 staat niet in de postcodetabel: geplaatst bij de naburige postcode 3515"


def test_place_name_and_spelling_variant(geo):
    assert locate(geo, JobLocation(locality="Hengelo")).place.municipality_code == "GM0164"  # the municipality
    assert locate(geo, JobLocation(locality="Den Haag")).place.municipality_name == "'s-Gravenhage"
    variant = locate(geo, JobLocation(locality="Amsterdamm"))
    assert (variant.place.municipality_code, variant.place.method) == ("GM0363", "place")


def test_ambiguous_or_unknown_place_is_reported_not_guessed(geo):
    ambiguous = locate(geo, JobLocation(locality="Heikant"))  # a hamlet name in 20 municipalities
    assert not ambiguous.place.known and ambiguous.place.municipality_code is None
    assert "ambiguous" in ambiguous.warnings[0]
    unknown = locate(geo, JobLocation(locality="Blorpdorp"))
    assert unknown.place.method == "unknown" and unknown.place.latitude is None
    assert unknown.warnings == ("place 'Blorpdorp' not found in the Dutch places list; location left unknown",)
    assert locate(geo, JobLocation()).warnings == ("no postcode, coordinates or place given; location left unknown",)
    # the desk's page shows the Dutch, which says the same
    assert unknown.warnings[0].nl == "plaats 'Blorpdorp' staat niet in de lijst van Nederlandse plaatsen; locatie onbekend gelaten"
    assert "niet eenduidig" in ambiguous.warnings[0].nl and "20 gemeenten" in ambiguous.warnings[0].nl


def test_coordinates_give_the_nearest_postcode_and_foreign_ones_stay_unknown(geo):
    found = locate(geo, JobLocation(latitude=52.09, longitude=5.12))
    assert (found.place.postcode, found.place.municipality_code, found.place.method) == ("3511", "GM0344", "geo")
    assert found.place.latitude == 52.09  # the given point is kept
    paris = locate(geo, JobLocation(latitude=48.86, longitude=2.35))
    assert not paris.place.known and "not in the Netherlands" in paris.warnings[0]
    assert paris.warnings[0].nl == "coördinaten 48.86, 2.35 liggen niet in Nederland; locatie onbekend gelaten"
    abroad = locate(geo, JobLocation(postal_code="3511", country="BE"))
    assert not abroad.place.known


def test_unrecognised_postcode_then_place_name(geo):
    found = locate(geo, JobLocation(postal_code="ABCD", locality="Zwolle"))
    assert found.place.municipality_name == "Zwolle"
    assert found.warnings == ("postcode 'ABCD' not recognised",)
