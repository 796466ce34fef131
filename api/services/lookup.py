"""Occupation and competency look-up for the API: the atlas's own look-up (competency_atlas.lookup)
over an index built once per atlas release and kept in memory."""
from __future__ import annotations

import threading
from functools import partial

from neo4j import Driver

from competency_atlas.lookup import LookupIndex, build_index, search
from competency_atlas.lookup_repository import (Target, concept_names, load_label_rows, occupation_profile,
                                               release_tag)
from graph_schema.settings import Settings

_lock = threading.Lock()


def lookup_index(cache: dict, driver: Driver, database: str, settings: Settings, target: Target) -> LookupIndex | None:
    """The cached index for the current release (rebuilt when the atlas changes); None: no labels."""
    tag = release_tag(driver, database)
    with _lock:
        hit = cache.get(("lookup", target))
        if hit is not None and hit[0] == tag:
            return hit[1]
        rows = load_label_rows(driver, database, target)
        index = None
        if rows:
            vectors = None
            if settings.api_semantic:
                from competency_atlas.embedding_cache import cached_encode
                vectors = cached_encode([r.text for r in rows], settings.embedding_model, settings.work_dir)
            index = build_index(rows, embeddings=vectors)
        cache[("lookup", target)] = (tag, index)
        return index


def search_concepts(cache: dict, driver: Driver, database: str, settings: Settings, target: Target, text: str,
                    lang: str | None, top: int) -> list[dict]:
    index = lookup_index(cache, driver, database, settings, target)
    if index is None:
        return []
    embed = None
    if settings.api_semantic and index.embeddings is not None:
        from competency_atlas.embeddings import encode
        embed = partial(encode, model_name=settings.embedding_model)
    hits = search(index, text, lang, top, embed)
    names = concept_names(driver, database, [h.concept_id for h in hits])
    return [{"rank": i, "uri": h.concept_id,
             "label": names[h.concept_id].label(lang) if h.concept_id in names else h.best_form,
             "matched": h.best_form, "matched_lang": h.lang, "score": round(float(h.score), 4)}
            for i, h in enumerate(hits, start=1)]


def occupation_profile_view(driver: Driver, database: str, uri: str, lang: str) -> dict | None:
    found = occupation_profile(driver, database, uri)
    if found is None:
        return None
    return {"uri": found.uri, "label": found.label(lang), "requirements": [
        {"uri": r.uri, "label": r.label(lang), "kind": r.kind, "relation": r.relation, "importance": r.importance,
         "level": r.level, "required_level": r.required_level, "weight": r.weight} for r in found.requirements]}
