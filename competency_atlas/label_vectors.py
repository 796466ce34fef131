"""Label embeddings cached per text under settings().work_dir, so a rebuild never re-encodes.

The cache is one folder per model: `keys.npy` (sha1 hex of each text) and
`vectors.npy` (float32, one row per key). Texts already cached are read back; only new texts are
encoded, then appended. Keyed by text, not by label: the same title in many occupations, or in
two releases, is encoded once.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

Encoder = Callable[[list[str]], np.ndarray]


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class VectorCache:
    def __init__(self, work_dir: Path, model_name: str):
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)[-60:]
        self.folder = work_dir / "embeddings" / f"labels-{slug}"
        self.model_name = model_name

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        keys, vectors = self.folder / "keys.npy", self.folder / "vectors.npy"
        if keys.exists() and vectors.exists():
            k, v = np.load(keys), np.load(vectors)
            if len(k) == len(v):
                return k, v
        return np.empty((0,), dtype="U40"), np.empty((0, 0), dtype=np.float32)

    def _save(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("keys.npy", keys), ("vectors.npy", vectors)):
            tmp = self.folder / f"{name}.tmp.npy"
            np.save(tmp, array)
            tmp.replace(self.folder / name)  # atomic: a concurrent reader never sees half a file

    def vectors(self, texts: list[str], encode: Encoder, batch: int = 4096,
                progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
        """(one vector per text, in order; how many texts had to be encoded)."""
        keys, vectors = self._load()
        index = {k: i for i, k in enumerate(keys.tolist())}
        wanted = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, wanted) if k not in index))
        if missing:
            # Saved after every batch: an interrupted first build keeps what it already encoded.
            for start in range(0, len(missing), batch):
                chunk = missing[start:start + batch]
                new = np.asarray(encode(chunk), dtype=np.float32)
                keys = np.concatenate([keys, np.array([text_key(t) for t in chunk], dtype="U40")])
                vectors = new if vectors.size == 0 else np.vstack([vectors, new])
                self._save(keys, vectors)
                if progress:
                    progress(len(chunk))
            index = {k: i for i, k in enumerate(keys.tolist())}
        if not texts:
            return np.empty((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32), 0
        return vectors[[index[k] for k in wanted]], len(missing)
