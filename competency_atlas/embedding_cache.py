"""Text vectors cached on disk, one vector per distinct text and model.

Encoding the 53.8k distinct occupation labels takes a minute or more on two cores; a second run
of the look-up, the ingest or the benchmark reads them instead. The cache is keyed by each text,
not by the list it came in: a new atlas release that changes a hundred labels encodes those
hundred, a list in another order or with a label more finds the rest, and `Label.embedding` (the
atlas build) and the look-up share one cache. Reading the look-up's 57k label vectors back costs
~0.1 s against ~0.03 s for the one-file-per-list cache this replaced (the price of never encoding
a whole list again).

Layout: `<folder>/<model slug>-<model digest>/<chunk>.npy` (float32 rows) beside `<chunk>.json`
(the texts of those rows). A chunk is written vectors first, texts last, each through a rename,
so a reader never sees half of one. Two processes that miss the same texts write the same chunk
(its name is a hash of its texts), each through temp files of its own: both copies are whole and
the same, and the last rename wins. A text that two chunks hold is read from the first.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np

from competency_atlas.embeddings import encode, model_key

Encoder = Callable[[list[str]], np.ndarray]

CACHE_VERSION = "2"  # bump when what a vector is made from changes


def store_dir(folder: Path, model_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)[-60:]
    digest = hashlib.sha256(f"{CACHE_VERSION}\n{model_key(model_name)}".encode()).hexdigest()[:16]
    return folder / f"{slug}-{digest}"


def cached_encode(texts: list[str], model_name: str, work_dir: Path) -> np.ndarray:
    """The look-up's corpus vectors, under <work_dir>/embeddings."""
    return cached_encode_in(work_dir / "embeddings", texts, model_name)


def cached_encode_in(folder: Path, texts: list[str], model_name: str) -> np.ndarray:
    """One unit vector per text, in order; only texts no chunk holds yet are encoded (each once)."""
    return cached_vectors(folder, texts, model_name)[0]


def cached_vectors(folder: Path, texts: list[str], model_name: str, encoder: Encoder | None = None,
                   batch: int = 4096, progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """(one vector per text, in order; how many texts had to be encoded). The missing texts are
    encoded `batch` at a time and each batch saved as it is done: an interrupted first run keeps
    what it encoded."""
    encoder = encoder or (lambda some: encode(some, model_name))
    if not texts:
        return np.asarray(encoder([]), dtype=np.float32), 0  # the model's width, as the caller expects
    store = store_dir(folder, model_name)
    chunks = _read_chunks(store)
    where = _places(chunks)
    # shortest first: each batch then holds texts of like length, as one call over all of them
    # would (the encoder pads a batch to its longest; unsorted batches of 4,096 cost ~10 % more)
    missing = sorted((t for t in dict.fromkeys(texts) if t not in where), key=len)
    for start in range(0, len(missing), batch):
        some = missing[start:start + batch]
        first = sum(len(names) for names, _ in chunks)  # rows read so far, repeats included
        chunks.append((some, _write_chunk(store, some, np.asarray(encoder(some), dtype=np.float32))))
        where.update((text, first + row) for row, text in enumerate(some))
        if progress:
            progress(len(some))
    return _gather(chunks, np.fromiter(map(where.__getitem__, texts), np.int64, len(texts))), len(missing)


Chunk = tuple[list[str], np.ndarray]


def _read_chunks(store: Path) -> list[Chunk]:
    chunks = []
    for names in sorted(store.glob("*.json")) if store.is_dir() else ():
        try:
            texts = json.loads(names.read_text(encoding="utf-8"))
            vectors = np.load(names.with_suffix(".npy"), mmap_mode="r")
        except (OSError, ValueError):
            continue  # a chunk another process is still writing, or a damaged one: encoded again
        if vectors.ndim == 2 and vectors.shape[0] == len(texts) \
                and (not chunks or vectors.shape[1] == chunks[0][1].shape[1]):
            chunks.append((texts, vectors))
    return chunks


def _places(chunks: list[Chunk]) -> dict[str, int]:
    """text -> its row in the chunks read one after the other; the first chunk holding a text
    gives its vector (filled last to first, so that it overwrites the later ones)."""
    where: dict[str, int] = {}
    end = sum(len(names) for names, _ in chunks)
    for names, _ in reversed(chunks):
        end -= len(names)
        where.update(zip(names, range(end, end + len(names))))
    return where


def _gather(chunks: list[Chunk], rows: np.ndarray) -> np.ndarray:
    """The given rows of the chunks read one after the other: one fancy index per chunk."""
    ends = np.cumsum([len(names) for names, _ in chunks])
    chunk_of = np.searchsorted(ends, rows, side="right")
    out = np.empty((len(rows), chunks[0][1].shape[1]), dtype=np.float32)
    for c in np.unique(chunk_of):
        picked = chunk_of == c
        out[picked] = chunks[c][1][rows[picked] - (ends[c] - len(chunks[c][0]))]
    return out


def _write_chunk(store: Path, texts: list[str], vectors: np.ndarray) -> np.ndarray:
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(f"the encoder gave {vectors.shape} for {len(texts)} texts")
    if not store.is_dir():
        _drop_replaced_caches(store.parent)
    store.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:20]
    mine = f"{os.getpid()}-{secrets.token_hex(4)}"  # two writers of one chunk never share a temp file
    tmp = store / f"{digest}.{mine}.tmp.npy"
    np.save(tmp, np.ascontiguousarray(vectors, dtype=np.float32))
    tmp.replace(store / f"{digest}.npy")
    names = store / f"{digest}.{mine}.json.tmp"
    names.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    names.replace(store / f"{digest}.json")
    return vectors


def _drop_replaced_caches(folder: Path) -> None:
    """What the caches this one replaced left in its folder (until session 29): one .npy per list
    of texts (`<model slug>-<20 hex>.npy`), and `labels-<model>/` of the atlas build's per-text
    cache; ~100 MB each. Nothing else: the folder may be one a caller chose."""
    for old in folder.glob("*.npy") if folder.is_dir() else ():
        if re.search(r"-[0-9a-f]{20}\.npy$", old.name):
            old.unlink(missing_ok=True)
    for old in folder.glob("labels-*/") if folder.is_dir() else ():
        for name in ("keys.npy", "vectors.npy"):
            (old / name).unlink(missing_ok=True)
        if not any(old.iterdir()):
            old.rmdir()
