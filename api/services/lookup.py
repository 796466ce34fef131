"""Occupation and competency look-up for the API: `competency_atlas.concept_search` over an
index read once per atlas release and kept in memory."""
from __future__ import annotations

import threading

from neo4j import Driver

from competency_atlas.concept_search import current_index, described, ranked_concepts
from competency_atlas.lookup import LookupIndex
from competency_atlas.lookup_repository import Target, occupation_profile, release_tag
from graph_schema.settings import Settings

# One lock per kept index: the descriptions' first encoding (~2 minutes once per machine) holds up
# only the searches that need them, not every look-up.
_locks: dict[tuple, threading.Lock] = {}


def _model(settings: Settings) -> str | None:
    return settings.embedding_model if settings.api_semantic else None


def lookup_index(cache: dict, driver: Driver, database: str, settings: Settings, target: Target,
                 with_descriptions: bool = False, tag: str | None = None) -> LookupIndex | None:
    """The cached index for the current release (`tag`, read here if not given; the index is read
    again when the atlas changes); None: no labels. `with_descriptions`: the same index with its
    occupations' descriptions added."""
    tag = tag or release_tag(driver, database)
    key = ("lookup", target, with_descriptions)
    with _locks.setdefault(key, threading.Lock()):  # setdefault is atomic: one lock per key, ever
        hit = cache.get(key)
        if hit is not None and hit[0] == tag:
            return hit[1]
        model = _model(settings)
        if with_descriptions:
            index = lookup_index(cache, driver, database, settings, target, tag=tag)
            if index is not None and model is not None:
                index = described(driver, database, index, model, settings.work_dir)
        else:
            index = current_index(driver, database, target, settings.work_dir, model, tag)
        cache[key] = (tag, index)
        return index


def search_concepts(cache: dict, driver: Driver, database: str, settings: Settings, target: Target, text: str,
                    lang: str | None, top: int, name_in: str | None = None) -> list[dict]:
    # an occupation's description counts only for a query of known language (its weights)
    index = lookup_index(cache, driver, database, settings, target, target == "Occupation" and lang is not None)
    if index is None:
        return []
    return ranked_concepts(driver, database, index, text, lang, top, _model(settings), name_in)


def occupation_profile_view(driver: Driver, database: str, uri: str, lang: str) -> dict | None:
    found = occupation_profile(driver, database, uri)
    if found is None:
        return None
    return {"uri": found.uri, **found.labelled(lang), "requirements": [
        {"uri": r.uri, **r.labelled(lang), "kind": r.kind, "relation": r.relation, "importance": r.importance,
         "level": r.level, "required_level": r.required_level, "weight": r.weight} for r in found.requirements]}
