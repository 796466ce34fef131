"""Corpus embeddings cached on disk, keyed by model and a hash of the texts.

Encoding ~34k labels on two shared cores takes a minute or two; a second run of the look-up
or the benchmark reads one .npy file instead. The cache lives under `settings().work_dir`.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from competency_atlas.embeddings import encode, model_key

CACHE_VERSION = "1"  # bump when what is embedded changes


def cache_path(folder: Path, model_name: str, texts: list[str]) -> Path:
    digest = hashlib.sha256()
    digest.update(f"{CACHE_VERSION}\n{model_key(model_name)}\n".encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x00")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)[-60:]
    return folder / f"{slug}-{digest.hexdigest()[:20]}.npy"


def cached_encode(texts: list[str], model_name: str, work_dir: Path) -> np.ndarray:
    """The look-up's corpus vectors, under <work_dir>/embeddings."""
    return cached_encode_in(work_dir / "embeddings", texts, model_name)


def cached_encode_in(folder: Path, texts: list[str], model_name: str) -> np.ndarray:
    path = cache_path(folder, model_name, texts)
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = _encode_once_each(texts, model_name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return vectors


def _encode_once_each(texts: list[str], model_name: str) -> np.ndarray:
    """A text listed twice (the same title in English and Dutch, ~6 % of the occupation labels)
    is encoded once."""
    unique = list(dict.fromkeys(texts))
    if len(unique) == len(texts):
        return encode(texts, model_name)
    row = {text: i for i, text in enumerate(unique)}
    return encode(unique, model_name)[[row[t] for t in texts]]
