"""Occupations and competencies found by text in the graph's current atlas release: the one way
the CLI (`atlas-match search`) and the API (`GET /occupations`, `GET /competencies`) answer.

The lexical index (labels and their TF-IDF) is kept on disk per atlas release, so a cold process
skips reading ~57,000 labels from the graph and fitting the vectoriser (the API's first search took
4.9 s when it built its own in memory); the label vectors come from the text-vector cache.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from neo4j import Driver

from competency_atlas.lookup import Embed, LookupIndex, SurfaceForm, build_index, search, with_descriptions
from competency_atlas.lookup_repository import (Target, concept_names, is_released, load_label_rows,
                                                occupation_descriptions, release_tag)


def _code_digest() -> str:
    """What a kept index is a function of besides the labels: the code that builds it. A change to
    it gets a new file, so an index pickled by older code is never read."""
    from competency_atlas import char_tfidf, lookup

    digest = hashlib.sha256()
    for module in (lookup, char_tfidf):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


INDEX_FORMAT = f"char-tfidf-1|{_code_digest()}"
KEEP = 4  # newest index files kept (two targets, the release before): older ones are removed on a write


def current_index(driver: Driver, database: str, target: Target, work_dir: Path, model: str | None,
                  tag: str | None = None, descriptions: Sequence[str] = ()) -> LookupIndex | None:
    """The look-up index of the current release (`tag`: its `release_tag`, if already read), with
    label vectors of `model` (None: lexical only); None when the graph has no such labels.

    `descriptions` (languages): occupations also get a vector of their description in each, which
    the searches fuse in (`FusionWeights.description`). Encoded once per machine (~2 minutes on
    2 cores for ~6,000 texts), then read from the vector cache. The vacancy ingest leaves them out:
    its review threshold was set on label scores, and the demo's first run would pay the encoding."""
    tag = tag or release_tag(driver, database)
    rows = partial(load_label_rows, driver, database, target)
    if is_released(tag):
        index = _lexical_index(work_dir / "lookup", f"{target}|{tag}|{INDEX_FORMAT}", rows)
    else:  # labels no complete release names (a hand-seeded graph, a build under way): not kept
        index = _built(rows())
    if index is None or model is None:
        return index
    from competency_atlas.embedding_cache import cached_encode

    index = dataclasses.replace(index, embeddings=cached_encode([f.text for f in index.forms], model, work_dir))
    if not descriptions or target != "Occupation":
        return index
    return described(driver, database, index, model, work_dir, descriptions)


def described(driver: Driver, database: str, index: LookupIndex, model: str, work_dir: Path,
              langs: Sequence[str] = ("en", "nl")) -> LookupIndex:
    """An occupation index with its occupations' descriptions in `langs` (the label vectors
    shared, not copied)."""
    from competency_atlas.embedding_cache import cached_encode

    return with_descriptions(index, occupation_descriptions(driver, database, langs),
                             partial(cached_encode, model_name=model, work_dir=work_dir))


def ranked_concepts(driver: Driver, database: str, index: LookupIndex, text: str, lang: str | None, top: int,
                    model: str | None, name_in: str | None = None) -> list[dict]:
    """The best `top` concepts for `text` in `lang` (None: any), named in `name_in` (default
    `lang`); raises ValueError for an empty text."""
    hits = search(index, text, lang, top, query_encoder(index, model))
    names = concept_names(driver, database, [h.concept_id for h in hits])
    shown = name_in or lang
    return [{"rank": i, "uri": h.concept_id,
             "label": names[h.concept_id].label(shown) if h.concept_id in names else h.best_form,
             "matched": h.best_form, "matched_lang": h.lang, "score": round(float(h.score), 4)}
            for i, h in enumerate(hits, start=1)]


def query_encoder(index: LookupIndex | None, model: str | None) -> Embed | None:
    """What encodes a query for `search`: the model, when the index holds label vectors of it."""
    if model is None or index is None or index.embeddings is None:
        return None
    from competency_atlas.embeddings import encode

    return partial(encode, model_name=model)


def _lexical_index(folder: Path, tag: str, rows: Callable[[], list[SurfaceForm]]) -> LookupIndex | None:
    path = folder / (hashlib.sha256(tag.encode()).hexdigest()[:24] + ".pickle")
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # our own file, written below
    except FileNotFoundError:
        pass
    except (EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        path.unlink(missing_ok=True)  # damaged or unreadable: built again
    index = _built(rows())
    if index is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}-{secrets.token_hex(4)}.tmp")  # never shared by two writers
    with tmp.open("wb") as handle:
        pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)  # atomic: a reader never sees half a file
    _drop_oldest(folder)
    return index


def _built(rows: list[SurfaceForm]) -> LookupIndex | None:
    return build_index(rows) if rows else None


def _drop_oldest(folder: Path) -> None:
    """Index files of older releases or older look-up code, beyond the newest KEEP."""
    kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in kept[KEEP:]:
        old.unlink(missing_ok=True)
