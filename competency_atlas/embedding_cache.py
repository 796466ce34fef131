"""Corpus embeddings cached on disk, keyed by model and a hash of the texts.

Encoding ~34k labels on two shared cores takes a minute or two; a second run of the look-up
or the benchmark reads one .npy file instead. The cache lives under `settings().work_dir`.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from competency_atlas.embeddings import encode

CACHE_VERSION = "1"  # bump when what is embedded changes


def cache_path(work_dir: Path, model_name: str, texts: list[str]) -> Path:
    digest = hashlib.sha256()
    digest.update(f"{CACHE_VERSION}\n{model_name}\n".encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x00")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)[-60:]
    return work_dir / "embeddings" / f"{slug}-{digest.hexdigest()[:20]}.npy"


def cached_encode(texts: list[str], model_name: str, work_dir: Path) -> np.ndarray:
    path = cache_path(work_dir, model_name, texts)
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = encode(texts, model_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return vectors
